"Acceptance: `rrlib eval` reproduces the published Set5 bicubic PSNR/SSIM (Y, crop = scale). Set5 is not shipped: skipped unless shared/ is there."
import csv, os
from pathlib import Path
import pytest
from rrlib.cli import main
from rrlib.evaluation.evaluate import bicubic_baseline

SET5 = Path(os.environ.get('RRLIB_SHARED', Path(__file__).resolve().parents[2] / 'shared')) / 'data' / 'set5' / 'HR'
PUBLISHED = {2: (33.66, 0.9299), 3: (30.39, 0.8682), 4: (28.42, 0.8104)}


@pytest.mark.skipif(not SET5.is_dir(), reason='shared/data/set5 not beside the repository')
@pytest.mark.parametrize('scale', [2, 3, 4])
def test_set5_bicubic(tmp_path, scale, capsys):
    bicubic_baseline(SET5, tmp_path / 'sr', scale)
    out = tmp_path / 'set5.csv'
    assert main(['eval', '--pred', str(tmp_path / 'sr'), '--ref', str(SET5), '--metrics', 'psnr,ssim', '--convention', 'sr',
                 '--scale', str(scale), '--out', str(out), '--no-progress']) == 0
    mean = list(csv.DictReader(open(out)))[-1]
    psnr, ssim = float(mean[f'psnr[sr-x{scale}]']), float(mean[f'ssim[sr-x{scale}]'])
    print(f"Set5 x{scale}: PSNR {psnr:.3f} (published {PUBLISHED[scale][0]}), SSIM {ssim:.4f} (published {PUBLISHED[scale][1]})")
    assert abs(psnr - PUBLISHED[scale][0]) <= 0.02 and abs(ssim - PUBLISHED[scale][1]) <= 0.001
