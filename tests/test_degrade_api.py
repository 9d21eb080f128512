"Public API of rrlib.degradations: shapes, records as JSON, exact replay, batch == one at a time, bad input."
import json
import pytest
import torch
from rrlib.core import RRLibError
from rrlib.degradations import degrade, get_preset, replay, list_presets
from degrade_helpers import one_thread  # noqa: F401  (autouse fixture)


@pytest.fixture(scope='module')
def photos():
    from skimage.data import astronaut, coffee
    return torch.stack([torch.from_numpy(a[:256:4, :256:4].copy()).permute(2, 0, 1).float() / 255 for a in (astronaut(), coffee())])


def test_presets_name_their_source():
    presets = list_presets()
    assert {'realesrgan-x4plus', 'realesrgan-x2plus', 'seesr', 'diffbir-v1'} <= set(presets)
    assert all(src for src in presets.values())


@pytest.mark.parametrize('name,size', [('realesrgan-x4plus', 16), ('realesrgan-x2plus', 32), ('diffbir-v1', 64)])
def test_shapes_replay_and_batching(photos, name, size):
    lq, rec = degrade(photos, name, generator=123)
    assert lq.shape == (2, 3, size, size) and lq.dtype == torch.float32
    rec = json.loads(json.dumps(rec))  # JSON-serialisable
    assert torch.equal(replay(rec, photos), lq)
    g = torch.Generator().manual_seed(123)
    singles = torch.cat([degrade(photos[i:i + 1], name, generator=g)[0] for i in range(2)])
    assert torch.equal(singles, lq)


def test_edited_config_is_used(photos):
    cfg = get_preset('realesrgan-x4plus'); cfg.scale = 2
    assert degrade(photos, cfg, generator=0)[0].shape[-1] == 32


@pytest.mark.parametrize('bad,msg', [(lambda x: x * 2, 'lie in [0, 1]'), (lambda x: x[0], '(B, C, H, W)'),
                                     (lambda x: (x * 255).byte(), 'float'), (lambda x: x[:, :2], 'channels')])
def test_bad_images(photos, bad, msg):
    with pytest.raises(RRLibError, match=None) as e: degrade(bad(photos), generator=0)
    assert msg in str(e.value)


def test_unknown_preset(photos):
    with pytest.raises(RRLibError, match='unknown degradation preset'): degrade(photos, 'nope')
