"""Latent cache: encode a manifest's fixed pairs once with the prior's codec, for training without the encoder in the step.

Every record with an `lq` is encoded whole (HQ, LQ resized to the HQ's size, and their mirror images) into
safetensors shards with an index (`rrlib.data.latent_cache`); `nbs/train.ipynb -p data OUT` then trains from it
(one-stage runs of FluxIR, ControlNet, DRA and editing; the held-out pairs still come from the manifest's images).
With --captions the distinct captions' embeddings are cached too (the prior's text encoders), so training runs no
text encoder.
Records without an `lq` (degraded on the fly) and unreadable images are reported and left out. Shards are written
atomically and a re-run skips those already written (resume).

    python data_recipes/cache_latents.py /data/nine/pairs.jsonl /data/nine/latents                    # the tiny Flux codec
    python data_recipes/cache_latents.py pairs.jsonl latents --base-model /models/FLUX.1-dev --device cuda --dtype bf16
"""
from __future__ import annotations
import argparse, sys
import torch
from rrlib.core import RRLibError
from rrlib.data.latent_cache import build_latent_cache
from rrlib.recipes.train import RunConfig, load_run_prior


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('manifest', help='the pairs (a *.jsonl manifest)')
    p.add_argument('out', help='the cache folder')
    p.add_argument('--method', default='fluxir', help="the method whose default prior 'auto' means")
    p.add_argument('--base-model', default='auto', help="the prior whose codec encodes ('auto', 'tiny-flux', or a local model folder)")
    p.add_argument('--codec', default='auto', help="'auto' (the prior's), 'pixel-unshuffle[:F]' or a local VAE folder")
    p.add_argument('--shard-size', type=int, default=256, help='records per shard')
    p.add_argument('--min-size', type=int, default=0, help='enlarge images smaller than this (the training crop size)')
    p.add_argument('--no-flips', action='store_true', help='do not cache mirror images (then train without flips)')
    p.add_argument('--captions', action='store_true', help="also cache the captions' embeddings by the prior's text encoders (DRA, DreamClear priors)")
    p.add_argument('--device', default='cpu')
    p.add_argument('--dtype', default='fp32', choices=['fp32', 'bf16', 'fp16'])
    a = p.parse_args(argv)
    try:
        cfg = RunConfig(method=a.method, base_model=a.base_model, codec=a.codec)
        prior = load_run_prior(cfg, a.device, {'fp32': torch.float32, 'bf16': torch.bfloat16, 'fp16': torch.float16}[a.dtype])
        skipped = []
        if a.captions and getattr(prior, 'captions', None) is None: raise RRLibError(f"--captions: the prior {cfg.base_model} has no caption encoder")
        index = build_latent_cache(a.manifest, prior.codec, a.out, a.shard_size, a.min_size, not a.no_flips,
                                   prior.captions.encode if a.captions else None, on_error=lambda m: (skipped.append(m), print(m, file=sys.stderr)))
    except RRLibError as e:
        print(f"error: {e}", file=sys.stderr); return 2
    n = sum(len(s['records']) for s in index['shards'])
    print(f"{n} pairs cached in {a.out} ({len(index['shards'])} shards; {len(index['skipped'])} records left out)")
    return 0


if __name__ == '__main__': sys.exit(main())
