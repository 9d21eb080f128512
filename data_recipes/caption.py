"""Captions: fill a manifest's `caption` field (DRA's and DreamClear's prompts) with a local vision-language model.

Each record without a caption (every record with --overwrite) gets a one-sentence description of its clean image
(`hq`) from the model at --vlm (transformers' AutoModelForImageTextToText with a chat template, e.g. Qwen2-VL),
--batch-size images per generate call. Captions are appended to OUT.captions.jsonl as they are made (a re-run
resumes); the manifest is then written whole, atomically (in place unless --out). Unreadable images are reported
and keep an empty caption.

    python data_recipes/caption.py /data/nine/pairs.jsonl --vlm /models/Qwen2-VL-7B-Instruct --device cuda --batch-size 16
"""
from __future__ import annotations
import argparse, sys
from rrlib.core import RRLibError


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog='\n'.join(__doc__.split('\n')[2:]))
    p.add_argument('manifest', help='the manifest (*.jsonl)')
    p.add_argument('--vlm', required=True, help='local vision-language model folder')
    p.add_argument('--out', help='write the captioned manifest here (default: in place)')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--prompt', help='the instruction to the model (default: describe content, not quality)')
    p.add_argument('--max-new-tokens', type=int, default=40)
    p.add_argument('--overwrite', action='store_true', help='caption records that already have a caption too')
    p.add_argument('--device')
    a = p.parse_args(argv)
    try:
        from rrlib.data.captions import VLMCaptioner, caption_manifest, CAPTION_PROMPT
        cap = VLMCaptioner(a.vlm, a.prompt or CAPTION_PROMPT, a.device, a.max_new_tokens)
        c = caption_manifest(a.manifest, cap, a.out, a.batch_size, a.overwrite, on_error=lambda m: print(m, file=sys.stderr))
    except RRLibError as e:
        print(f"error: {e}", file=sys.stderr); return 2
    print(f"{c['captioned']} captioned, {c['resumed']} resumed, {c['kept']} kept their caption, {c['unreadable']} unreadable: {a.out or a.manifest}")
    return 0


if __name__ == '__main__': sys.exit(main())
