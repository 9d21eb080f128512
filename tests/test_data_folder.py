"A data folder with a corrupt file and a 16-bit RGBA PNG: the corrupt one is reported and skipped, the other used."
import warnings
import numpy as np, torch
from rrlib.io import load_folder, _awkward_images
from rrlib.data.datasets import PairedCrops


def test_corrupt_skipped_and_16bit_rgba_used(tmp_path):
    files = _awkward_images(tmp_path)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        imgs = load_folder(tmp_path)
    assert any('corrupt.png' in str(x.message) for x in w), "the corrupt file is reported"
    assert 'corrupt.png' not in imgs and 'rgba16.png' in imgs
    x = imgs['rgba16.png']
    assert x.shape == (1, 3, 12, 20) and len(torch.unique(x)) > 256  # full 16-bit precision reaches the data
    pc = PairedCrops({'rgba16': [x]}, lambda hq, g: (hq, {}), size=8, batch_size=2)
    assert pc.batch(0)['hq'].shape == (2, 3, 8, 8)
