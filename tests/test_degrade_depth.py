"Haze depth on the real path: a transformers depth model loaded from a local folder (a tiny random DPT here)."
import pytest
import torch
from rrlib.core import MissingWeightsError
from rrlib.degradations import degrade, replay
from rrlib.degradations.weather import Haze, TransformersDepth, estimate_depth, haze
from degrade_helpers import one_thread  # noqa: F401  (autouse fixture)


@pytest.fixture(scope='module')
def tiny_dpt(tmp_path_factory):
    from transformers import DPTConfig, DPTForDepthEstimation, DPTImageProcessor
    torch.manual_seed(0)
    cfg = DPTConfig(hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=37, image_size=32, patch_size=8,
                    neck_hidden_sizes=[8, 16, 32, 32], fusion_hidden_size=16, backbone_out_indices=[0, 1, 2, 3],
                    reassemble_factors=[4, 2, 1, 0.5])
    d = tmp_path_factory.mktemp('dpt')
    DPTForDepthEstimation(cfg).eval().save_pretrained(d)
    DPTImageProcessor(size={'height': 32, 'width': 32}).save_pretrained(d)
    return d


def test_transformers_depth_and_haze(tiny_dpt):
    x = torch.rand(2, 3, 40, 56)
    d = TransformersDepth(tiny_dpt)(x)
    assert d.shape == (2, 1, 40, 56) and d.min() >= 0 and d.max() <= 1
    name = f'transformers:{tiny_dpt}'
    torch.testing.assert_close(estimate_depth(x, name), d)
    y, rec = degrade(x, Haze(depth=name), generator=0)
    assert rec['images'][0]['ops'][0]['depth'] == name
    assert torch.equal(replay(rec, x), y)
    p = rec['images'][1]['ops'][0]  # the op is the scattering model on that depth
    torch.testing.assert_close(y[1:], haze(x[1:], d[1:], p['beta'], p['A'], p['gamma'], p['t_blur'], p['t_min']))


def test_missing_weights_say_what_to_put_where(tmp_path):
    with pytest.raises(MissingWeightsError, match='does not exist'): TransformersDepth(tmp_path / 'none')(torch.rand(1, 3, 8, 8))
    (tmp_path / 'config.json').write_text('{}')
    with pytest.raises(MissingWeightsError, match=r"lacks \['preprocessor_config.json', '\*.safetensors'\]"):
        TransformersDepth(tmp_path)(torch.rand(1, 3, 8, 8))
