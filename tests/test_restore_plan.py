"`rrlib restore --plan` prints the memory estimate and the choice and writes nothing; `--memory auto` picks the settings from the free memory."
import json
import numpy as np
import pytest
from PIL import Image
from rrlib.cli import main
import rrlib.recipes.restore as restore_mod
from rrlib.recipes.memory import plan_memory


@pytest.fixture
def photos(tmp_path):
    d = tmp_path / 'photos'; d.mkdir()
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((160, 144, 3)) * 255).astype(np.uint8)).save(d / 'big.png')
    Image.fromarray((rng.random((40, 24, 3)) * 255).astype(np.uint8)).save(d / 'small.png')
    (d / 'corrupt.png').write_bytes(b'not an image')
    return d


def test_plan_prints_the_estimate_and_the_choice_and_writes_nothing(photos, tmp_path, capsys):
    out = tmp_path / 'out'
    assert main(['restore', str(photos), str(out), '--plan', '--base-model', 'flux1-dev', '--upscale', '4']) == 0
    o = capsys.readouterr().out
    assert 'fluxir on flux1-dev, largest output 576×640 of 2 photo(s)' in o
    assert 'text_encoder_2' in o and 'denoiser step' in o and 'choice: --dtype bf16' in o
    assert not out.exists()  # nothing written, not even the report
    assert main(['restore', str(photos), str(out), '--plan']) == 0  # no adapter: the default method on its embedded prior
    o = capsys.readouterr().out
    assert 'fluxir on tiny-flux' in o and 'choice: --dtype fp32' in o and not out.exists()


def test_plan_keeps_explicit_options(photos, tmp_path, capsys):
    assert main(['restore', str(photos), str(tmp_path / 'o'), '--plan', '--dtype', 'bf16', '--tile', '64']) == 0
    o = capsys.readouterr().out
    assert 'choice: --dtype bf16 --offload none --tile 64' in o


def test_memory_auto_follows_the_free_memory(trained, photos, tmp_path, capsys, monkeypatch):
    (photos / 'corrupt.png').unlink(); (photos / 'small.png').unlink()
    kw = dict(method_kwargs=restore_mod.method_kwargs(restore_mod.RunConfig(**{k: v for k, v in json.loads((trained / 'config.json').read_text()).items()
                                                                              if k in restore_mod.RunConfig.__dataclass_fields__})))
    kw['headroom'] = restore_mod.HEADROOM['cpu']
    untiled = plan_memory('tiny-flux', 'fluxir', (160, 144), free=2**40, **kw)
    assert (untiled.dtype, untiled.tile) == ('fp32', None)
    monkeypatch.setattr(restore_mod, 'free_memory', lambda device=None: 2**40)
    assert main(['restore', str(photos), str(tmp_path / 'a'), '--adapter', str(trained), '--memory', 'auto', '--steps', '1', '--quiet']) == 0
    assert '--memory auto: --dtype fp32 --offload none --tile 0' in capsys.readouterr().out
    short = int(untiled.need / kw['headroom'] * 0.8)  # less than the untiled float32 restore needs
    want = plan_memory('tiny-flux', 'fluxir', (160, 144), free=short, tiles=(None, 128, 96, 64), **kw)
    assert want.fits and (want.tile, want.dtype) != (None, 'fp32')
    monkeypatch.setattr(restore_mod, 'free_memory', lambda device=None: short)
    assert main(['restore', str(photos), str(tmp_path / 'b'), '--adapter', str(trained), '--memory', 'auto', '--steps', '1', '--quiet']) == 0
    o = capsys.readouterr().out
    assert f"--memory auto: --dtype {want.dtype} --offload none --tile {want.tile or 0}" in o and 'NOT fit' not in o
    assert (tmp_path / 'b' / 'big.png').is_file()
    rep = json.loads((tmp_path / 'b' / 'restore_report.json').read_text())
    assert rep['settings']['tile'] == want.tile and rep['restored'] == ['big.png']


def test_memory_auto_chooses_an_offload_where_the_weights_do_not_fit(photos, tmp_path, capsys, monkeypatch):
    "On an accelerator, FLUX.1-dev in bf16 (22 GiB transformer, 9 GiB T5) fits with no offload in 140 GiB, needs model offload in 32, sequential in 16."
    chosen = {}
    for gib in (140, 32, 16):
        monkeypatch.setattr(restore_mod, 'free_memory', lambda device=None, g=gib: g * 2**30)
        assert main(['restore', str(photos), str(tmp_path / 'o'), '--plan', '--base-model', 'flux1-dev', '--device', 'cuda']) == 0
        o = capsys.readouterr().out
        chosen[gib] = o.split('choice: ')[1].split('--offload ')[1].split()[0]
    assert chosen == {140: 'none', 32: 'model', 16: 'sequential'}
