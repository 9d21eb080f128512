"""RealRestorer-style synthetic pairs: every clean image degraded by each of the nine real-world degradation types.

For each clean image and each type, `--per-type` draws with a severity uniform in `--severity LO HI` (seeded per
image, type and draw). The layout is meant for `nbs/train.ipynb` and for `rrlib eval`'s per-type subfolders:

    OUT/hq/NAME.png                   the clean image (8-bit PNG)
    OUT/TYPE/lq/NAME_K.png            the degraded image
    OUT/TYPE/records/NAME_K.json      the exact record (`rrlib.degradations.replay` reproduces the LQ)
    OUT/pairs.jsonl                   one line per pair: hq, lq, type, severity, seed, instruction

Every file is written atomically; a re-run skips the pairs already written (resume). An unreadable clean image is
reported and skipped. `--clean embedded` uses the photos that ship with scikit-image and matplotlib.

    python data_recipes/nine_types.py --clean /data/clean --out /data/nine_types --per-type 2
    python data_recipes/nine_types.py --clean embedded --out /tmp/nine --types rain haze --severity 0.3 1
"""
from __future__ import annotations
import argparse, json, random, sys
from pathlib import Path
from tqdm.auto import tqdm
from rrlib.core import RRLibError, atomic_write_text
from rrlib.io import load_folder, save_image
from rrlib.degradations import degrade
from rrlib.degradations.cli import file_seed
from rrlib.degradations.types import TYPES, get_type
from rrlib.data.manifests import INSTRUCTIONS  # RealRestorer's instruction naming each degradation


def clean_images(clean:str, downscale:int=1) -> dict:
    "Name -> (1, 3, H, W) clean image: a folder (unreadable files reported and skipped) or the embedded photos."
    if clean == 'embedded':
        from rrlib.data.datasets import embedded_images
        return {k: v[0] for k, v in embedded_images(downscale).items()}
    if not Path(clean).is_dir(): raise RRLibError(f"--clean {clean!r}: not a folder (or give 'embedded')")
    imgs = load_folder(clean, on_error=lambda p, msg: print(f"skipped {msg}", file=sys.stderr))
    if not imgs: raise RRLibError(f"--clean {clean!r}: no readable images")
    return imgs


def build(clean:str, out:str|Path, types=TYPES, per_type:int=1, severity=(0.2, 1.0), seed:int=0, downscale:int=1,
          progress:bool=True) -> list[dict]:
    "Write the pairs (skipping those already written) and `pairs.jsonl`; return the pairs' rows."
    bad = [t for t in types if t not in TYPES]
    if bad: raise RRLibError(f"unknown degradation types {bad}; choose from {', '.join(TYPES)}")
    lo, hi = severity
    if not 0 <= lo <= hi <= 1: raise RRLibError(f"--severity {lo} {hi}: need 0 <= LO <= HI <= 1")
    out, imgs, rows = Path(out), clean_images(clean, downscale), []
    jobs = [(name, t, k) for name in sorted(imgs) for t in types for k in range(per_type)]
    for name, t, k in tqdm(jobs, disable=not progress, desc='nine types'):
        stem = Path(name).with_suffix('').as_posix().replace('/', '__')
        hq, lq = out / 'hq' / f'{stem}.png', out / t / 'lq' / f'{stem}_{k}.png'
        rec_path = out / t / 'records' / f'{stem}_{k}.json'
        if not hq.is_file(): save_image(imgs[name][0], hq)
        s = file_seed(seed, f'{name}/{t}/{k}')
        sev = round(lo + (hi - lo) * random.Random(s).random(), 4)
        if not (lq.is_file() and rec_path.is_file()):  # resume: both written means done (each atomically)
            y, record = degrade(imgs[name], get_type(t, sev), generator=s)
            save_image(y[0], lq)
            atomic_write_text(rec_path, json.dumps(record))
        rows.append({'hq': hq.relative_to(out).as_posix(), 'lq': lq.relative_to(out).as_posix(), 'type': t,
                     'severity': sev, 'seed': s, 'instruction': INSTRUCTIONS[t]})
    atomic_write_text(out / 'pairs.jsonl', ''.join(json.dumps(r) + '\n' for r in rows))
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--clean', required=True, help="a folder of clean images, or 'embedded'")
    p.add_argument('--out', required=True, help='output folder')
    p.add_argument('--types', nargs='+', default=list(TYPES), help=f"subset of: {' '.join(TYPES)}")
    p.add_argument('--per-type', type=int, default=1, help='degraded copies per image and type')
    p.add_argument('--severity', type=float, nargs=2, default=(0.2, 1.0), metavar=('LO', 'HI'), help='severity range')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--downscale', type=int, default=1, help="shrink the embedded photos first (with --clean embedded)")
    a = p.parse_args(argv)
    try: rows = build(a.clean, a.out, a.types, a.per_type, tuple(a.severity), a.seed, a.downscale)
    except RRLibError as e:
        print(f"error: {e}", file=sys.stderr); return 2
    print(f"{len(rows)} pairs in {a.out} (pairs.jsonl)")
    return 0


if __name__ == '__main__': sys.exit(main())
