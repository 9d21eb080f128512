"""DRA and the ControlNet baselines end to end: papermill runs of nbs/train.ipynb on the embedded tiny SD3, exact resume
of the adapter with its peft-tied LoRA, and `rrlib params` on the real configs."""
import json
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
    from rrlib.priors.sd import init_tiny_sd_prior
    from rrlib.methods.registry import build_method, step_loss_for
    from rrlib.data.datasets import PairedCrops, embedded_images, split_sources
    from rrlib.degradations import degrade
    from rrlib.training.objectives import timestep_sampler
    from rrlib.training.trainer import train, TrainConfig
    prior = init_tiny_sd_prior('sd3')
    m = build_method('dra', prior, every_k=4, lora_rank=4, p_lq_target=0.5)
    photos = {k: v for k, v in embedded_images(4).items() if k in split_sources()[0][:3]}
    batches = PairedCrops(photos, lambda hq, g: degrade(hq, 'realesrgan-x4plus', g), size=32, batch_size=2, seed=3)
    loss = step_loss_for(m, prior, batches, timestep_sampler('logit_normal'))
    def step_loss(step, g, adapter):
        if step == interrupt_at: raise KeyboardInterrupt
        return loss(step, g, adapter)
    try: train(m.adapter, step_loss, TrainConfig(max_steps, lr=1e-3, seed=5, save_every=2, progress=False), out)
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


def test_params_cli_on_real_configs(capsys):
    from rrlib.cli import main   # the console script's entry point, in-process (the real configs on the meta device)
    assert main(['params', 'dra', '--base', 'sd3-medium', '--json']) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts['parts']['n_adapters'] == 6 and abs(counts['trainable'] / 80e6 - 1) < 0.15   # DRA Table 3: 80 M on SD3
    assert counts['trainable'] + counts['frozen'] == counts['total'] == counts['prior'] + counts['parts']['adapter']
    assert main(['params', 'controlnet', '--base', 'sd3-medium', '--json']) == 0
    assert abs(json.loads(capsys.readouterr().out)['trainable'] / 504e6 - 1) < 0.15    # ControlNet on SD3: 504 M
    assert main(['params', 'dra', '--base', 'flux1-dev', '--json']) == 2             # bad input: one line, exit 2
    assert 'sd3-medium' in capsys.readouterr().err


@pytest.mark.parametrize('kind', ['sd3', 'sdxl'])
def test_real_layout_folders(tmp_path, kind):
    "The real path: a stable-diffusion-3-medium / sdxl-base layout folder of tiny real components (AutoencoderKL, CLIP, T5)."
    from rrlib.priors.flux import load_prior
    from rrlib.priors.sd import make_tiny_sd3_folder, make_tiny_sdxl_folder
    from rrlib.methods.registry import build_method
    prior = load_prior((make_tiny_sd3_folder if kind == 'sd3' else make_tiny_sdxl_folder)(tmp_path / kind))
    z_t, z_lq = torch.randn(1, prior.codec.latent_channels, 8, 8), torch.randn(1, prior.codec.latent_channels, 8, 8)
    t = torch.tensor([0.5]) if kind == 'sd3' else torch.tensor([500])
    for name, params in (('dra', {'every_k': 1, 'lora_rank': 4}), ('controlnet', {})):
        m = build_method(name, prior, **params)
        with torch.no_grad(): assert torch.equal(m.predict(m.adapter, z_t, t, z_lq), prior.predict(z_t, t)), name
        out = m.make_pipeline(m.adapter)(torch.rand(1, 3, 16, 16), num_inference_steps=1, generator=0, progress=False)
        assert out.shape == (1, 3, 16, 16) and 0 <= out.min() and out.max() <= 1
    # the ControlNet was built from a prior carrying DRA's LoRA: its attention weights are the prior's, copied
    block = (lambda d: d.transformer_blocks[0].attn) if kind == 'sd3' else (lambda d: d.down_blocks[1].attentions[0].transformer_blocks[0].attn1)
    assert torch.equal(block(m.adapter).to_q.weight, block(prior.denoiser).to_q.weight)
