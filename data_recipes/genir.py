"""GenIR (DreamClear §3.1): dual-prompt learning on a text-to-image prior, generation with positive/negative CFG, filtering, a manifest.

Positives are random crops of clean images (--clean: a folder, unreadable files reported and skipped, or 'embedded');
negatives are their image-to-image outputs under "cartoon, painting, over-smooth, dirty". A positive and a negative
prompt (embeddings initialised from "4K, highly detailed, professional" and "deformation, low quality, over-smooth")
are learned with a peft LoRA on the UNet's attention layers; then --n images are generated with eq. 1,
ε = ω·ε(pos) + (1 − ω)·ε(neg), and kept if a quality classifier trained on positives vs negatives gives them
P(HQ) >= --threshold. Gemini's captions, prompts and semantic check are not run (no MLLM), as the report says.

Writes OUT/dual_prompt/ (learned prompts and LoRA, safetensors; reused by a re-run), OUT/images/NNNNNN.png (seeded,
atomic; a re-run keeps the readable ones), OUT/manifest.jsonl (kept images as clean hq records: the trainer degrades
them on the fly) and OUT/report.json.

    python data_recipes/genir.py /tmp/genir --n 8                                   # the embedded tiny SDXL, 64² px
    python data_recipes/genir.py /data/genir --n 100000 --base-model /models/sdxl-base --clean /data/hq --size 1024 --device cuda
"""
from __future__ import annotations
import argparse, sys
from rrlib.core import RRLibError


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog='\n'.join(__doc__.split('\n')[2:]))
    p.add_argument('out', help='output folder')
    p.add_argument('--n', type=int, required=True, help='images to generate')
    p.add_argument('--clean', default='embedded', help="positives: a folder of clean images or 'embedded'")
    p.add_argument('--base-model', default='tiny-sdxl', help="'tiny-sdxl' or a local SDXL folder")
    p.add_argument('--size', type=int, default=64, help='side of positives, negatives and generated images (px)')
    p.add_argument('--n-samples', type=int, default=32, help='positive (and negative) samples')
    p.add_argument('--finetune-steps', type=int, default=100)
    p.add_argument('--lora-rank', type=int, default=4)
    p.add_argument('--omega', type=float, default=4.5, help='CFG scale ω of eq. 1')
    p.add_argument('--steps', type=int, default=20, help='sampling steps')
    p.add_argument('--strength', type=float, default=0.6, help='image-to-image strength of the negatives')
    p.add_argument('--threshold', type=float, default=0.5, help="keep images the quality classifier gives P(HQ) >= this")
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', default='cpu')
    a = p.parse_args(argv)
    try:
        from rrlib.recipes.genir import genir
        r = genir(a.out, a.n, a.clean, a.base_model, a.size, a.n_samples, a.finetune_steps, a.lora_rank, a.omega, a.steps,
                  a.strength, a.threshold, a.seed, a.device)
    except RRLibError as e:
        print(f"error: {e}", file=sys.stderr); return 2
    print(f"{r['generated']} generated, {r['kept']} of {r['n']} kept by the quality classifier; manifest: {a.out}/manifest.jsonl")
    return 0


if __name__ == '__main__': sys.exit(main())
