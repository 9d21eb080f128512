"""DRA and the ControlNet baselines end to end: papermill runs of nbs/train.ipynb on the embedded tiny SD3, exact resume
of the adapter with its peft-tied LoRA, and `rrlib params` on the real configs."""
import json, subprocess
import pytest, torch
from test_train_notebook import _papermill


@pytest.mark.parametrize('method, adapter_class', [('dra', 'DRAAdapter'), ('controlnet', 'SD3ControlNetModel')])
def test_short_run_on_tiny_sd3(root, venv_bin, tmp_path, method, adapter_class):
    _papermill(root, venv_bin, tmp_path, '-p', 'method', method)
    for f in ('config.json', 'adapter/diffusion_pytorch_model.safetensors', 'metrics.json', 'loss.csv', 'loss.png', 'before_after.png'):
        assert (tmp_path / f).is_file(), f"missing {f}"
    cfg = json.loads((tmp_path / 'config.json').read_text())
    assert (cfg['alpha'], cfg['timestep_sampler']) == (0.0, 'logit_normal'), "the method's own objective (no pixel term, SD3's t)"
    m = json.loads((tmp_path / 'metrics.json').read_text())
    assert m['train_steps'] == 4 and m['trainable_parameters'] > 0 and 5 < m['psnr_restored'] < 60
    assert json.loads((tmp_path / 'adapter' / 'config.json').read_text())['_class_name'] == adapter_class
    import rrlib, diffusers
    cls = getattr(rrlib, adapter_class, None) or getattr(diffusers, adapter_class)
    assert sum(p.numel() for p in cls.from_pretrained(tmp_path / 'adapter').parameters()) >= m['trainable_parameters']


def _dra_run(out, max_steps, interrupt_at=None):
    from rrlib.priors_sd import init_tiny_sd_prior
    from rrlib.methods import build_method, step_loss_for
    from rrlib.data import PairedCrops, embedded_images, split_sources
    from rrlib.degradations import degrade
    from rrlib.objectives import timestep_sampler
    from rrlib.training import train
    prior = init_tiny_sd_prior('sd3')
    m = build_method('dra', prior, every_k=4, lora_rank=4, p_lq_target=0.5)
    photos = {k: v for k, v in embedded_images(4).items() if k in split_sources()[0][:3]}
    batches = PairedCrops(photos, lambda hq, g: degrade(hq, 'realesrgan-x4plus', g), size=32, batch_size=2, seed=3)
    loss = step_loss_for(m, prior, batches, timestep_sampler('logit_normal'))
    def step_loss(step, g, adapter):
        if step == interrupt_at: raise KeyboardInterrupt
        return loss(step, g, adapter)
    try: train(m.adapter, step_loss, max_steps, out, lr=1e-3, seed=5, save_every=2, progress=False)
    except KeyboardInterrupt: pass
    return m.adapter, prior


def test_dra_resumes_to_identical_weights_including_lora(tmp_path):
    full, _ = _dra_run(tmp_path / 'full', 4)
    _dra_run(tmp_path / 'cut', 4, interrupt_at=3)
    resumed, prior = _dra_run(tmp_path / 'cut', 4)
    a, b = full.state_dict(), resumed.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    lora_b = [k for k in a if k.endswith('B.weight')]
    assert lora_b and any(a[k].abs().sum() > 0 for k in lora_b), "the LoRA trained"
    layer = prior.denoiser.transformer_blocks[0].attn.to_q      # the prior's peft layer uses the resumed weights
    assert layer.lora_B['dra'].weight is resumed.lora['transformer_blocks-0-attn-to_q']['B'].weight


def test_params_cli_on_real_configs(venv_bin):
    r = subprocess.run([str(venv_bin / 'rrlib'), 'params', 'dra', '--base', 'sd3-medium', '--json'], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    counts = json.loads(r.stdout)
    assert counts['n_adapters'] == 6 and abs(counts['total'] / 80e6 - 1) < 0.15   # DRA Table 3: 80 M on SD3


def test_params_cli_rejects_a_flux_base_for_dra(capsys):
    from rrlib.cli import main
    assert main(['params', 'dra', '--base', 'flux1-dev', '--json']) == 2
    assert 'sd3-medium' in capsys.readouterr().err
