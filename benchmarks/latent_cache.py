"""Latent cache: the time of a training step that reads cached latents ÷ one that encodes its crops, with a real-size
`AutoencoderKL` (FLUX.1-dev's VAE config: 4 down blocks of 128-256-512-512 channels, 2 layers each, 16 latent
channels; random weights, no download) as the codec. Printed numbers, not a timed test.

The denoiser is the embedded tiny Flux transformer (random weights, `in_channels=64` for the VAE's 16 latent
channels) under a FluxIR adapter, so the step is mostly the codec's work: this measures what the cache removes
(reading and cropping the images and encoding HQ and LQ), not the ratio on FLUX.1-dev, whose 12 B transformer makes
the encoder a smaller share of the step. With FluxIR's pixel loss (`--alpha 1`, eq. 10) both steps also decode the
prediction, which the cache cannot remove. Each step is the forward and backward pass of `flow_step_loss`.

    python benchmarks/latent_cache.py                       # 256² crops, batch 2, 3 timed steps, alpha 0
    python benchmarks/latent_cache.py --size 512 --alpha 1

Measured (2026-12-01, 2 CPU cores shared with other jobs (load ≈ 5), torch fp32, 8 pairs of 320² px, crops 256², batch 2,
alpha 0, 3 timed steps after one):

    cache build: 282.6 s for 8 pairs (HQ, LQ and their mirror images: 32 encodes)
    step from images: 16.441 s (median of 16.441, 13.802, 31.495)
    step from cache:  0.214 s (median of 0.214, 0.219, 0.206)
    cached ÷ uncached step time: 0.013 (cached 76.9× faster per step; goal ≥ 1.5×)

With FluxIR's pixel loss on (`--alpha 1`; 2 pairs, 2 timed steps, load ≈ 7 on the 2 cores): 42.2 s from images,
55.7 s from the cache (ratio 1.32, i.e. no gain: the VAE decoder's forward and backward through the pixel loss
dominate both steps and the cache cannot remove them; the difference is within the noise of the shared cores).

The alpha-0 ratio is this large because the tiny denoiser costs almost nothing next to four 256² VAE encodes; on FLUX.1-dev
the denoiser's share is far larger and the gain smaller (not measured here: no GPU in this session).
"""
from __future__ import annotations
import argparse, os, statistics, tempfile, time
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
from pathlib import Path
import torch

FLUX_VAE_CONFIG = dict(in_channels=3, out_channels=3, down_block_types=('DownEncoderBlock2D',) * 4,
                       up_block_types=('UpDecoderBlock2D',) * 4, block_out_channels=(128, 256, 512, 512), layers_per_block=2,
                       latent_channels=16, norm_num_groups=32, sample_size=1024, scaling_factor=0.3611, shift_factor=0.1159)


def _prior():
    from diffusers import AutoencoderKL, FluxTransformer2DModel, FlowMatchEulerDiscreteScheduler
    from rrlib.priors.flux import FluxPrior, TINY_FLUX_CONFIG, TINY_PROMPT_LEN
    from rrlib.priors.base import PromptEmbeddings
    torch.manual_seed(0)
    tr = FluxTransformer2DModel(**{**TINY_FLUX_CONFIG, 'in_channels': 64}).requires_grad_(False)
    vae = AutoencoderKL(**FLUX_VAE_CONFIG).requires_grad_(False).eval()
    pe = PromptEmbeddings(TINY_PROMPT_LEN, TINY_FLUX_CONFIG['joint_attention_dim'], TINY_FLUX_CONFIG['pooled_projection_dim'])
    return FluxPrior(tr, vae, FlowMatchEulerDiscreteScheduler(), pe)


def _pairs(folder:Path, n:int, side:int) -> Path:
    from rrlib.io import save_image
    from rrlib.data.datasets import embedded_images
    from rrlib.data.manifests import write_manifest
    from rrlib.resize import resize
    photos = [v[0] for v in embedded_images(1).values()][:n]
    recs = []
    for k, x in enumerate(photos):
        hq = resize(x, (side, side), 'area').clamp(0, 1)
        save_image(hq, folder / f'hq/{k}.png'); save_image(resize(hq, (side // 4, side // 4), 'area').clamp(0, 1), folder / f'lq/{k}.png')
        recs.append({'hq': str(folder / f'hq/{k}.png'), 'lq': str(folder / f'lq/{k}.png')})
    return write_manifest(folder / 'pairs.jsonl', recs)


def _step_times(method, prior, batches, alpha:float, steps:int) -> list[float]:
    from rrlib.methods.registry import flow_step_loss
    from rrlib.training.objectives import timestep_sampler
    loss = flow_step_loss(method, prior, batches, timestep_sampler('uniform'), alpha)
    out = []
    for s in range(steps + 1):
        t0 = time.perf_counter()
        loss(s, torch.Generator().manual_seed(s), method.adapter)['loss'].backward()
        out.append(time.perf_counter() - t0)
    return out[1:]  # the first step warms up


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--size', type=int, default=256, help='crop side in pixels')
    p.add_argument('--batch-size', type=int, default=2)
    p.add_argument('--steps', type=int, default=3, help='timed steps (after one warm-up step)')
    p.add_argument('--photos', type=int, default=8, help='pairs in the manifest')
    p.add_argument('--alpha', type=float, default=0.0, help="FluxIR's pixel-loss weight (1 decodes in every step)")
    a = p.parse_args(argv)
    from rrlib.methods.registry import build_method
    from rrlib.data.manifests import Manifest, ManifestPairs
    from rrlib.data.latent_cache import build_latent_cache, LatentCache, CachedPairs
    prior = _prior(); method = build_method('fluxir', prior)
    with tempfile.TemporaryDirectory() as d:
        d = Path(d); man = _pairs(d, a.photos, a.size + 64)
        t0 = time.perf_counter(); build_latent_cache(man, prior.codec, d / 'cache', progress=False)
        t_build = time.perf_counter() - t0
        kw = dict(size=a.size, batch_size=a.batch_size, seed=0)
        images = _step_times(method, prior, ManifestPairs(Manifest(man), align=prior.codec.downscale, **kw), a.alpha, a.steps)
        cached = _step_times(method, prior, CachedPairs(LatentCache(d / 'cache'), **kw), a.alpha, a.steps)
    ti, tc = statistics.median(images), statistics.median(cached)
    print(f"codec: AutoencoderKL (FLUX.1-dev VAE config, {sum(p.numel() for p in prior.vae.parameters()) / 1e6:.1f} M parameters, random weights); "
          f"denoiser: tiny Flux + FluxIR; crops {a.size}², batch {a.batch_size}, alpha {a.alpha:g}, {torch.get_num_threads()} threads")
    print(f"cache build: {t_build:.1f} s for {a.photos} pairs of {a.size + 64}² (with mirror images)")
    print(f"step from images: {ti:.3f} s (median of {a.steps}: {', '.join(f'{t:.3f}' for t in images)})")
    print(f"step from cache:  {tc:.3f} s (median of {a.steps}: {', '.join(f'{t:.3f}' for t in cached)})")
    print(f"cached ÷ uncached step time: {tc / ti:.3f}  (cached is {ti / tc:.1f}× faster per step; goal ≥ 1.5×)")


if __name__ == '__main__': main()
