"""Training speed: the cost of one training step of each adapter (FluxIR, DRA, DreamClear) against a diffusers ControlNet on
the same prior and batch, and against the frozen prior's own forward + backward. Printed tables, not a timed test.

Part 1, measured (the embedded tiny priors, random crops, one process): each row is one optimiser step as `rrlib train`
runs it: the method's own step loss (`rrlib.methods.registry.step_loss_for` on `build_method(name, load_prior(...))`,
codec encode included), its backward and an AdamW step on the trainable parameters. The rows of one prior share the
batch (the same `batches.batch(step)` and generator per step) and are timed interleaved: repeat r runs every row once,
in turn, so load on the machine hits them alike. Step time is the median over the timed repeats, after warm-up steps.
* `controlnet`: rrlib's `controlnet` method (diffusers' `FluxControlNetModel` / `SD3ControlNetModel` from the prior,
  default depths). diffusers has no PixArt ControlNet, so DreamClear's row has no ControlNet ratio.
* `frozen prior`: the prior's own `predict` under the same step loss, with one trainable scalar multiplying its input
  latent, so the backward runs through the whole frozen prior (activation gradients, no weight gradients): the least
  any adapter that steers the prior's features must pay.
* Peak memory: CUDA: `torch.cuda.max_memory_allocated` over one step (reset before it). CPU: the peak of live tensor
  bytes during one step, from the torch profiler's memory events (`profile_memory=True`: the running sum of every
  op's own allocations and frees, in time order): tensors only, not the process's RSS, and the prior's weights (held
  before the step) not counted.

Part 2, counted (real configs on the meta device, no weights, no memory): FLUX.1-dev, SD3-medium, SDXL-base and
PixArt-α-1024 built with `accelerate.init_empty_weights`, each method's adapter built on it by the same builder
(`build_method`), then one forward + backward of the denoiser's output (sum of squares as the loss) under
`torch.utils.flop_counter.FlopCounterMode` on meta tensors: matmuls, convolutions and attention (scaled dot-product)
counted, element-wise ops not. One 512² px crop per sample (batch 1; 64² latents: 1,024 image tokens for FLUX.1-dev,
SD3 and PixArt; SDXL's UNet at 64²), the priors' real text lengths (Flux 512 T5 tokens, SD3 333, SDXL 77, PixArt 120).
The optimiser's work (a few element-wise ops per trainable parameter) is not a FLOP the counter sees; the trainable
parameter counts are printed beside the ratios instead.

    python benchmarks/training_speed.py                 # 64² crops, batch 2, 2 warm-up + 5 timed repeats
    python benchmarks/training_speed.py --size 128 --repeats 9 --skip-flops
    python benchmarks/training_speed.py --device cuda

Measured (2026-12-01, 2 CPU cores shared with two other jobs (load ≈ 3-5), torch 2.14 fp32, diffusers 0.42, 64² crops,
batch 2, 2 warm-up + 9 timed interleaved repeats; `python benchmarks/training_speed.py --repeats 9`):

    Part 1: measured step time (median) and peak memory, cpu profiler
    prior       row            trainable   step ms  peak MiB  ÷ frozen  CN ÷ this  goals
    tiny-flux   fluxir           791,760     316.3      26.4      1.49       1.88  ÷ frozen ≤ 1.3: NOT met; CN ÷ this ≥ 2: NOT met
    tiny-flux   controlnet     2,366,592     594.3      56.5      2.80             
    tiny-flux   frozen                 1     212.0      21.8      1.00             
    tiny-sd3    dra              172,384     136.7      18.1      1.47       0.83  ÷ frozen ≤ 1.3: NOT met; CN ÷ this ≥ 2: NOT met
    tiny-sd3    controlnet       344,384     112.9      16.5      1.21             
    tiny-sd3    frozen                 1      93.2      12.0      1.00             
    tiny-pixart dreamclear     2,885,004     395.9      81.6      4.57             ÷ frozen ≤ 1.3: NOT met
    tiny-pixart frozen                 1      86.6      16.0      1.00             

    Part 2: counted FLOPs of one forward + backward (meta device, FlopCounterMode; 64² latents, batch 1)
    config             row               trainable    TFLOP  ÷ frozen  CN ÷ this  goals
    flux1-dev          fluxir          410,140,544    45.51      1.02       1.34  ÷ frozen ≤ 1.3: met; CN ÷ this ≥ 2: NOT met
    flux1-dev          controlnet    2,952,654,336    60.88      1.36             
    flux1-dev          frozen                    1    44.61      1.00             
    sd3-medium         dra              78,053,504     4.85      1.08       1.24  ÷ frozen ≤ 1.3: met; CN ÷ this ≥ 2: NOT met
    sd3-medium         controlnet      538,805,760     6.03      1.35             
    sd3-medium         frozen                    1     4.48      1.00             
    sdxl-base          dra             185,312,960     3.99      1.26       1.14  ÷ frozen ≤ 1.3: met; CN ÷ this ≥ 2: NOT met
    sdxl-base          controlnet    1,249,974,672     4.55      1.44             
    sdxl-base          frozen                    1     3.17      1.00             
    pixart-alpha-1024  dreamclear    1,600,527,060    12.83      4.96             ÷ frozen ≤ 1.3: NOT met
    pixart-alpha-1024  frozen                    1     2.59      1.00             

Reading it. Against the goals: the ControlNet ÷ adapter goal (≥ 2×) is met by no row of this run, measured or counted (measured
ControlNet ÷ FluxIR reached 2.13 in one of three runs); the
adapter ÷ frozen goal (≤ 1.3×) is met in FLOPs by FluxIR (1.02), DRA on SD3-medium (1.08) and on SDXL (1.26), and by
none of the tiny measured rows (FluxIR 1.49, DRA 1.47 in this run; the tiny priors are so small that the adapters' own small ops and the
AdamW step weigh more than on a real prior). DreamClear copies every PixArt block into each of its two ControlFormer
branches (the paper's design), so it costs 4.6× (measured) and 5.0× (FLOPs) the frozen prior, as a full ControlNet would.
The FLOP counts leave out what differs most between an adapter and a ControlNet on a real prior: the trainable
parameters (FLUX.1-dev: ControlNet 2.95 B, FluxIR 0.41 B; 7.2×) and with them the gradients and AdamW's states
(fp32: 16 bytes each, 47 GB against 6.6 GB) and the optimiser's element-wise work, which the counter does not see.
The tiny ControlNets are not the real ones' shape: on the tiny Flux (2 + 4 blocks) diffusers' default depths (4 + 10)
copy the whole transformer; on the tiny SD3 (8 blocks) a quarter is 2 blocks, lighter than DRA's LoRA and adapters.
The measured ratios vary from run to run on these shared cores (FluxIR ÷ frozen 1.35-1.49, ControlNet ÷ FluxIR
1.72-2.13 over three runs); the FLOP ratios do not. No GPU in this session: `--device cuda` was not run.

Goals (the papers' claims, from issue 15): FluxIR and DRA ≥ 2× faster per step than the ControlNet of the same prior;
an adapter step ≤ 1.3× the frozen prior's forward + backward.
"""
from __future__ import annotations
import argparse, os, statistics, time
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
import torch

ROWS = {'tiny-flux': ['fluxir', 'controlnet', 'frozen'], 'tiny-sd3': ['dra', 'controlnet', 'frozen'], 'tiny-pixart': ['dreamclear', 'frozen']}
BUILD_KW = {'dreamclear': {'reference': 'train'}}  # its (random, untrained) reference restorer runs in the step, as in training


class InputScale(torch.nn.Module):
    "One trainable scalar s: the frozen-prior row predicts prior(s · z_t), so the backward crosses the whole prior."
    def __init__(self): super().__init__(); self.s = torch.nn.Parameter(torch.ones(()))
    def forward(self, z): return self.s.to(z.dtype) * z


def frozen_method(method, prior):
    "The frozen prior's own forward + backward under `method`'s step loss (same objective, condition and info)."
    from dataclasses import replace
    return replace(method, name='frozen', adapter=InputScale().to(prior.device),
                   predict=lambda a, z, t, c, **kw: prior.predict(a(z), t, **kw))


def _batches(prior, size:int, batch_size:int):
    from rrlib.data.datasets import PairedCrops, embedded_images
    from rrlib.resize import resize
    degrade = lambda hq, g: (resize(hq, (size // 4, size // 4), 'area').clamp(0, 1), None)  # ×4 down (the same LQ for every row)
    return PairedCrops(embedded_images(2), degrade, size, batch_size, seed=0)


def _rows(base:str, device, size:int, batch_size:int):
    "{row: (method, step_loss, optimiser)} on one prior (each its own prior copy: LoRA-injecting methods leave the others alone)."
    from rrlib.priors.base import load_prior
    from rrlib.methods.registry import build_method, step_loss_for
    from rrlib.training.objectives import timestep_sampler
    out = {}
    for name in ROWS[base]:
        prior = load_prior(base, device=device)
        m = build_method(ROWS[base][0] if name == 'frozen' else name, prior, **BUILD_KW.get(name, BUILD_KW.get(ROWS[base][0], {}) if name == 'frozen' else {}))
        if name == 'frozen': m = frozen_method(m, prior)
        m.adapter.to(device).train()
        sampler = m.train_defaults.get('timestep_sampler', 'clamped_uniform')
        loss = step_loss_for(m, prior, _batches(prior, size, batch_size), timestep_sampler(sampler), m.train_defaults.get('alpha', 0.0))
        params = [p for p in m.adapter.parameters() if p.requires_grad]
        out[name] = (m, loss, torch.optim.AdamW(params, lr=1e-5), sum(p.numel() for p in params))
    return out


def _sync(device):
    if torch.device(device).type == 'cuda': torch.cuda.synchronize()


def _step(row, step:int, device) -> float:
    m, loss, opt, _ = row
    _sync(device); t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss(step, torch.Generator().manual_seed(step), m.adapter)['loss'].backward()
    opt.step()
    _sync(device)
    return time.perf_counter() - t0


def _peak_bytes(row, step:int, device) -> tuple[int, str]:
    "Peak tensor bytes of one step: CUDA's allocator, or the CPU profiler's memory events."
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize(); torch.cuda.reset_peak_memory_stats(); base = torch.cuda.memory_allocated()
        _step(row, step, device)
        return torch.cuda.max_memory_allocated() - base, 'cuda max_memory_allocated'
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof: _step(row, step, device)
    evs = sorted((e for e in prof.events() if e.cpu_memory_usage or e.self_cpu_memory_usage), key=lambda e: e.time_range.start)
    live = peak = 0
    for e in evs: live += e.self_cpu_memory_usage; peak = max(peak, live)
    return peak, 'cpu profiler'


def measure(device:str='cpu', size:int=64, batch_size:int=2, warmup:int=2, repeats:int=5) -> list[dict]:
    "One dict per row: prior, row, trainable parameters, median step seconds, the times, peak bytes."
    torch.manual_seed(0)
    table = []
    for base in ROWS:
        rows = _rows(base, device, size, batch_size)
        times = {k: [] for k in rows}
        for r in range(warmup + repeats):  # interleaved: every row once per repeat, same step index (same batch)
            for k, row in rows.items():
                dt = _step(row, r, device)
                if r >= warmup: times[k].append(dt)
        for k, row in rows.items():
            peak, how = _peak_bytes(row, warmup + repeats, device)
            table.append({'prior': base, 'row': k, 'trainable': row[3], 'step_s': statistics.median(times[k]), 'times': times[k],
                          'peak_bytes': peak, 'memory': how})
        del rows
    return table


# ---- part 2: FLOPs on the real configs (meta device) ----

def _meta_prior(kind:str):
    from accelerate import init_empty_weights
    import diffusers
    from rrlib.priors.base import PromptEmbeddings
    from rrlib.priors.flux import FluxPrior, FLUX1_DEV_CONFIG
    from rrlib.priors.sd import SD3Prior, SDXLPrior, SD3_MEDIUM_CONFIG, SDXL_BASE_CONFIG, SDXL_SCHEDULER_CONFIG
    from rrlib.priors.pixart import PixArtPrior, PIXART_ALPHA_1024_CONFIG
    with init_empty_weights(include_buffers=kind != 'sdxl-base'):  # SD3's positional-embedding buffer must be on meta; SDXL's UNet copies out of its buffers
        vae = diffusers.AutoencoderKL(block_out_channels=(1, 1, 1, 1), down_block_types=('DownEncoderBlock2D',) * 4,
                                      up_block_types=('UpDecoderBlock2D',) * 4, norm_num_groups=1)  # only its downscale (8) is used
        if kind == 'flux1-dev':
            return FluxPrior(diffusers.FluxTransformer2DModel(**FLUX1_DEV_CONFIG), vae, diffusers.FlowMatchEulerDiscreteScheduler(),
                             PromptEmbeddings(512, 4096, 768), 3.5), 16
        if kind == 'sd3-medium':
            return SD3Prior(diffusers.SD3Transformer2DModel(**SD3_MEDIUM_CONFIG), vae, diffusers.FlowMatchEulerDiscreteScheduler(),
                            PromptEmbeddings(333, 4096, 2048)), 16
        if kind == 'sdxl-base':
            return SDXLPrior(diffusers.UNet2DConditionModel(**SDXL_BASE_CONFIG), vae, diffusers.EulerDiscreteScheduler(**SDXL_SCHEDULER_CONFIG),
                             PromptEmbeddings(77, 2048, 1280)), 4
        if kind == 'pixart-alpha-1024':
            return PixArtPrior(diffusers.PixArtTransformer2DModel(**PIXART_ALPHA_1024_CONFIG), vae, diffusers.DDPMScheduler(),
                               PromptEmbeddings(120, 4096, 1)), 4
    raise ValueError(kind)


REAL_ROWS = {'flux1-dev': ['fluxir', 'controlnet', 'frozen'], 'sd3-medium': ['dra', 'controlnet', 'frozen'],
             'sdxl-base': ['dra', 'controlnet', 'frozen'], 'pixart-alpha-1024': ['dreamclear', 'frozen']}


def count_flops(kind:str, name:str, latent:int=64) -> dict:
    "{'flops', 'trainable'} of one forward + backward of `name` on the meta real config `kind`."
    from torch.utils.flop_counter import FlopCounterMode
    from accelerate import init_empty_weights
    from rrlib.methods.registry import build_method
    prior, C = _meta_prior(kind)
    with init_empty_weights(include_buffers=kind != 'sdxl-base'):
        m = build_method(REAL_ROWS[kind][0] if name == 'frozen' else name, prior, seed=None,
                         **({'reference': 'none'} if 'dreamclear' in (name, REAL_ROWS[kind][0]) else {}))
        adapter = InputScale() if name == 'frozen' else m.adapter
    adapter = adapter.to('meta')
    if name == 'frozen': m = frozen_method(m, prior)
    trainable = sum(p.numel() for p in adapter.parameters() if p.requires_grad)
    z = torch.randn(1, C, latent, latent, device='meta')
    t = torch.full((1,), 500 if kind in ('sdxl-base', 'pixart-alpha-1024') else 0.5, device='meta')
    if kind == 'pixart-alpha-1024': t = t.long()
    cond = z if name != 'dreamclear' else torch.randn(1, 2 * C, latent, latent, device='meta')  # DreamClear: cat([z_lq, z_ref])
    with FlopCounterMode(display=False) as fc:
        out = m.predict(adapter, z, t, cond)
        out.float().pow(2).sum().backward()
    return {'flops': fc.get_total_flops(), 'trainable': trainable}


def print_tables(table:list[dict]):
    goal = {'fluxir': 2.0, 'dra': 2.0}
    print(f"\nPart 1: measured step time (median) and peak memory, {table[0]['memory']}")
    print(f"{'prior':<12}{'row':<12}{'trainable':>12}{'step ms':>10}{'peak MiB':>10}{'÷ frozen':>10}{'CN ÷ this':>11}  goals")
    for base in ROWS:
        rows = {r['row']: r for r in table if r['prior'] == base}
        for k, r in rows.items():
            vs_frozen = r['step_s'] / rows['frozen']['step_s']
            cn = rows['controlnet']['step_s'] / r['step_s'] if 'controlnet' in rows and k not in ('controlnet', 'frozen') else None
            g = []
            if k not in ('controlnet', 'frozen'): g.append(f"÷ frozen ≤ 1.3: {'met' if vs_frozen <= 1.3 else 'NOT met'}")
            if cn is not None and k in goal: g.append(f"CN ÷ this ≥ 2: {'met' if cn >= goal[k] else 'NOT met'}")
            print(f"{base:<12}{k:<12}{r['trainable']:>12,d}{1e3 * r['step_s']:>10.1f}{r['peak_bytes'] / 2**20:>10.1f}{vs_frozen:>10.2f}"
                  f"{'' if cn is None else f'{cn:.2f}':>11}  {'; '.join(g)}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    p.add_argument('--size', type=int, default=64, help='crop side in pixels')
    p.add_argument('--batch-size', type=int, default=2)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--skip-flops', action='store_true')
    p.add_argument('--skip-measure', action='store_true')
    a = p.parse_args(argv)
    table = [] if a.skip_measure else measure(a.device, a.size, a.batch_size, a.warmup, a.repeats)
    flops = None
    if not a.skip_flops:
        flops = {}
        for kind, names in REAL_ROWS.items():
            flops[kind] = {}
            for n in names:
                try: flops[kind][n] = count_flops(kind, n)
                except Exception as e: flops[kind][n] = {'error': f"{type(e).__name__}: {str(e).splitlines()[0][:120]}"}
    if table: print_tables(table)
    if flops: print_flops(flops)


def print_flops(flops:dict):
    goal = {'fluxir': 2.0, 'dra': 2.0}
    print("\nPart 2: counted FLOPs of one forward + backward (meta device, FlopCounterMode; 64² latents, batch 1)")
    print(f"{'config':<19}{'row':<12}{'trainable':>15}{'TFLOP':>9}{'÷ frozen':>10}{'CN ÷ this':>11}  goals")
    for kind, rows in flops.items():
        for k, r in rows.items():
            if 'error' in r: print(f"{kind:<19}{k:<12}  not counted: {r['error']}"); continue
            ok = 'flops' in rows.get('frozen', {})
            vs_frozen = r['flops'] / rows['frozen']['flops'] if ok else float('nan')
            cn = rows['controlnet']['flops'] / r['flops'] if 'flops' in rows.get('controlnet', {}) and k not in ('controlnet', 'frozen') else None
            g = []
            if k not in ('controlnet', 'frozen'): g.append(f"÷ frozen ≤ 1.3: {'met' if vs_frozen <= 1.3 else 'NOT met'}")
            if cn is not None and k in goal: g.append(f"CN ÷ this ≥ 2: {'met' if cn >= goal[k] else 'NOT met'}")
            print(f"{kind:<19}{k:<12}{r['trainable']:>15,d}{r['flops'] / 1e12:>9.2f}{vs_frozen:>10.2f}{'' if cn is None else f'{cn:.2f}':>11}  {'; '.join(g)}")


if __name__ == '__main__': main()
