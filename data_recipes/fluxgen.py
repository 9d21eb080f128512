"""FluxGen (FluxIR §3.1): unconditional images from a text-to-image prior, IQA selection, and a manifest for training.

Image i is generated from the empty prompt with seed `file_seed(--seed, i)` into OUT/images/NNNNNN.png (atomic
writes; a re-run keeps the readable images already there and regenerates unreadable ones). The images in the top
`--keep` of every selection metric are kept (the paper: 95 % by CLIPIQA, MANIQA and MUSIQ, used when their weights
are on disk; otherwise the offline BRISQUE and NIQE, as the report says). OUT/manifest.jsonl lists the kept images as
clean `hq` records without `lq`: `nbs/train.ipynb -p data OUT/manifest.jsonl` degrades them on the fly (Real-ESRGAN's
pipeline by default, as FluxIR). OUT/selection/ holds kept.txt, dropped.csv and report.md; OUT/report.json the rest.

    python data_recipes/fluxgen.py /tmp/fluxgen --n 16                                     # the embedded tiny Flux, 96×128
    python data_recipes/fluxgen.py /data/fluxgen --n 350000 --base-model /models/FLUX.1-dev --device cuda --dtype bf16
"""
from __future__ import annotations
import argparse, sys
import torch
from rrlib.core import RRLibError
from rrlib.recipes.fluxgen import fluxgen, FLUXGEN_REAL, FLUXGEN_EMBEDDED


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog='\n'.join(__doc__.split('\n')[2:]))
    p.add_argument('out', help='output folder')
    p.add_argument('--n', type=int, required=True, help='images to generate')
    p.add_argument('--base-model', default='tiny-flux', help="'tiny-flux' (embedded) or a diffusers text-to-image folder (e.g. FLUX.1-dev)")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--height', type=int, help=f"default {FLUXGEN_REAL['height']} (folder) / {FLUXGEN_EMBEDDED['height']} (embedded)")
    p.add_argument('--width', type=int, help=f"default {FLUXGEN_REAL['width']} / {FLUXGEN_EMBEDDED['width']}")
    p.add_argument('--steps', type=int, help=f"sampling steps, default {FLUXGEN_REAL['num_inference_steps']} / {FLUXGEN_EMBEDDED['num_inference_steps']}")
    p.add_argument('--guidance', type=float, help=f"guidance scale, default {FLUXGEN_REAL['guidance_scale']} (folder; the embedded prior has none)")
    p.add_argument('--keep', type=float, default=0.95, help='fraction each selection metric keeps (the paper: 0.95)')
    p.add_argument('--metrics', help="comma-separated no-reference metrics (default: clipiqa,maniqa,musiq if their weights are present, else brisque-libsvm,niqe)")
    p.add_argument('--weights-dir', help='folder of metric weights')
    p.add_argument('--device', default='cpu')
    p.add_argument('--dtype', default='fp32', choices=['fp32', 'bf16', 'fp16'])
    a = p.parse_args(argv)
    try:
        r = fluxgen(a.out, a.n, a.base_model, a.seed, a.height, a.width, a.steps, 'auto' if a.guidance is None else a.guidance, a.keep,
                    a.metrics.split(',') if a.metrics else None, a.weights_dir, a.device,
                    {'fp32': torch.float32, 'bf16': torch.bfloat16, 'fp16': torch.float16}[a.dtype])
    except RRLibError as e:
        print(f"error: {e}", file=sys.stderr); return 2
    print(f"{r['generated']} generated, {r['kept']} kept of {r['n']} by {', '.join(r['metrics'])} "
          f"({r['metrics_why']}); manifest: {a.out}/manifest.jsonl")
    return 0


if __name__ == '__main__': sys.exit(main())
