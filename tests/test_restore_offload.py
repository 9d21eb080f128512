"`rrlib restore`'s memory modes: diffusers' model and sequential CPU offload on every method's pipeline give the output of no offload; bf16 / fp16 stay close to fp32."
import pytest, torch
from rrlib.priors.base import load_prior
from rrlib.methods.registry import METHODS, build_method, default_prior
from rrlib.recipes.restore import enable_offload

TOLERANCE = 1e-5  # max |Δ| in [0, 1] against no offload: the same kernels run, only where the weights wait differs


def _pipeline(method:str):
    "The method's pipeline on its tiny prior, with a random (not zero-initialised) adapter, so the adapter's path counts."
    m = build_method(method, load_prior(default_prior(method), device='cpu', dtype=torch.float32))
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in m.adapter.parameters(): p.add_(torch.randn(p.shape, generator=g) * 0.02)
    return m.make_pipeline(m.adapter)


def _restore(pipe, lq):
    return pipe(lq, num_inference_steps=3, generator=0, strength=0.6, progress=False)


@pytest.mark.parametrize('method', sorted(METHODS))
def test_offload_modes_equal_none(method):
    lq = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    none = _restore(_pipeline(method), lq)
    for mode in ('model', 'sequential'):
        pipe = enable_offload(_pipeline(method), mode, 'cpu')
        hooked = [n for n, c in pipe.components.items() if isinstance(c, torch.nn.Module) and hasattr(c, '_hf_hook')]
        assert hooked, f"{method} {mode}: no offload hook was installed"
        out = _restore(pipe, lq)
        assert out.shape == none.shape
        assert (out - none).abs().max().item() <= TOLERANCE, f"{method} {mode}: max |Δ| {(out - none).abs().max().item():.2e}"
        if mode == 'sequential':  # the offloaded weights really wait outside the module between calls
            den = pipe.components.get('transformer', pipe.components.get('denoiser'))
            assert {p.device.type for p in den.parameters()} == {'meta'}


def test_unknown_offload_is_refused():
    from rrlib.core import RRLibError
    with pytest.raises(RRLibError, match='unknown offload'): enable_offload(None, 'disk', 'cpu')


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_half_precision_stays_close_to_fp32(dtype):
    "The shipped adapter sampled as the main job (strength 0.6, control 3): PSNR of bf16 / fp16 against fp32 ≥ 40 dB (58 / 77 dB measured on a crop of chelsea)."
    from rrlib.recipes.restore import load_restorer
    lq = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    run = lambda dt: load_restorer(None, device='cpu', dtype=dt).pipeline(lq, num_inference_steps=8, generator=0, strength=0.6,
                                                                          control_scale=3.0, progress=False).float()
    full, half = run(torch.float32), run(dtype)
    assert -10 * torch.log10((half - full).pow(2).mean()).item() >= 40
