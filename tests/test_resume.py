"Resume: a run interrupted after k steps and resumed ends with bit-identical adapter weights."
import torch, pytest
from rrlib.training.pretrain import init_tiny_prior
from rrlib.methods.registry import build_method, flow_step_loss
from rrlib.data.datasets import PairedCrops, embedded_images, split_sources
from rrlib.degradations import degrade
from rrlib.training.objectives import timestep_sampler
from rrlib.training.trainer import train, TrainConfig, latest_checkpoint


def _run(out, max_steps, interrupt_at=None):
    prior = init_tiny_prior(0)
    m = build_method('fluxir', prior, se_rank=4)
    photos = {k: v for k, v in embedded_images(2).items() if k in split_sources()[0][:3]}
    batches = PairedCrops(photos, lambda hq, g: degrade(hq, 'realesrgan-x4plus', g), size=32, batch_size=2, seed=3)
    loss = flow_step_loss(m, prior, batches, timestep_sampler('clamped_uniform'), alpha=1.0)
    def step_loss(step, g, adapter):
        if step == interrupt_at: raise KeyboardInterrupt  # the run dies in the middle of this step
        return loss(step, g, adapter)
    try: train(m.adapter, step_loss, TrainConfig(max_steps, lr=1e-3, seed=5, save_every=2, progress=False), out)
    except KeyboardInterrupt: pass
    return m.adapter


def test_interrupted_run_resumes_to_identical_weights(tmp_path):
    full = _run(tmp_path / 'full', 6)
    _run(tmp_path / 'cut', 6, interrupt_at=5)          # dies during step 6; the last checkpoint is after step 4
    assert latest_checkpoint(tmp_path / 'cut').name == 'step_000004'
    resumed = _run(tmp_path / 'cut', 6)                 # a fresh process state: new adapter, resumes at step 4
    a, b = full.state_dict(), resumed.state_dict()
    assert a.keys() == b.keys()
    changed = [k for k in a if not torch.equal(a[k], b[k])]
    assert not changed, f"weights differ after resume: {changed[:5]}"
    trained = [k for k in a if 'excitation' in k and a[k].abs().sum() > 0]
    assert trained, "the adapter did train (excitations moved away from zero)"
