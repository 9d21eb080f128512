"`rrlib restore` end to end on a tiny trained adapter: a folder of several sizes and modes with one corrupt file, resume, tiles, colour fix, one-line errors."
import json
import numpy as np
import pytest
import torch
from PIL import Image
from rrlib.cli import main
from rrlib.recipes.restore import read_photo


@pytest.fixture
def photos(tmp_path):
    "RGB 20×28, odd-sized grey 17×13, 16-bit RGBA 12×20, an EXIF-rotated JPEG 10×16, in a subfolder too, and a corrupt PNG."
    import cv2
    d = tmp_path / 'photos'; (d / 'sub').mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((20, 28, 3)) * 255).astype(np.uint8)).save(d / 'rgb.png')
    Image.fromarray((rng.random((17, 13)) * 255).astype(np.uint8)).save(d / 'sub' / 'gray.png')
    a16 = (rng.random((12, 20, 4)) * 65535).astype(np.uint16); a16[..., 3] = 65535; a16[:4, :4, 3] = 0
    cv2.imwrite(str(d / 'rgba16.png'), a16[..., [2, 1, 0, 3]])
    im = Image.fromarray((rng.random((10, 16, 3)) * 255).astype(np.uint8)); exif = im.getexif(); exif[0x0112] = 6
    im.save(d / 'sub' / 'rotated.jpg', exif=exif, quality=95)
    (d / 'corrupt.png').write_bytes(b'\x89PNG\r\n\x1a\nnot an image')
    return d


def _restore(*args): return main(['restore', *map(str, args), '--steps', '1', '--quiet'])


def test_folder_restored_at_scale_with_modes_kept_then_resumed(trained, photos, tmp_path, capsys):
    out = tmp_path / 'out'
    assert _restore(photos, out, '--adapter', trained, '--upscale', '2') == 0
    o = capsys.readouterr()
    assert 'restored 4 image(s), 0 already done, 1 skipped' in o.out and 'corrupt.png' in o.err
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob('*.png')) == ['rgb.png', 'rgba16.png', 'sub/gray.png', 'sub/rotated.png']
    assert read_photo(out / 'rgb.png').rgb.shape == (1, 3, 40, 56)
    g = read_photo(out / 'sub' / 'gray.png'); assert g.gray and g.rgb.shape[-2:] == (34, 26)
    a = read_photo(out / 'rgba16.png'); assert a.bits == 16 and a.alpha.shape == (1, 1, 24, 40)
    assert a.alpha[0, 0, :6, :6].max() < 0.05 and a.alpha[0, 0, 10:, 10:].min() > 0.95  # the transparent corner, upscaled
    assert read_photo(out / 'sub' / 'rotated.png').rgb.shape[-2:] == (32, 20)  # upright: 16 × 10 turned, × 2
    rep = json.loads((out / 'restore_report.json').read_text())
    assert [s['file'] for s in rep['skipped']] == ['corrupt.png'] and 'cannot read' in rep['skipped'][0]['reason']
    assert rep['settings']['method'] == 'fluxir' and rep['settings']['base_model'] == 'tiny-flux' and len(rep['restored']) == 4
    first = np.asarray(Image.open(out / 'rgb.png'))
    # a second run restores nothing and says so; an interrupted one redoes only what is missing, identically
    assert _restore(photos, out, '--adapter', trained, '--upscale', '2') == 0
    assert 'restored 0 image(s), 4 already done, 1 skipped' in (o := capsys.readouterr().out) and 'all 4 readable image(s) were already done' in o
    (out / 'rgb.png').unlink()
    assert _restore(photos, out, '--adapter', trained / 'adapter', '--upscale', '2') == 0  # its adapter/ works as well
    assert 'restored 1 image(s), 3 already done, 1 skipped' in capsys.readouterr().out
    np.testing.assert_array_equal(np.asarray(Image.open(out / 'rgb.png')), first)
    assert _restore(photos, out, '--adapter', trained, '--upscale', '2', '--overwrite') == 0
    assert 'restored 4 image(s), 0 already done' in capsys.readouterr().out


def test_shipped_adapter_restores_out_of_the_box(photos, tmp_path, capsys):
    "No --adapter: the main job's FluxIR adapter that ships in the package, sampling as the main job did."
    from rrlib.recipes.restore import DEFAULT_ADAPTER
    assert _restore(photos / 'rgb.png', tmp_path / 'out') == 0
    cap = capsys.readouterr()
    assert 'ships with rrlib' in cap.err and 'restored 1 image(s)' in cap.out
    rep = json.loads((tmp_path / 'out' / 'restore_report.json').read_text())
    assert rep['settings']['adapter'] == str(DEFAULT_ADAPTER / 'adapter') and rep['settings']['control_scale'] == 3.0
    assert Image.open(tmp_path / 'out' / 'rgb.png').size == Image.open(photos / 'rgb.png').size


def test_usage_errors_are_one_line(trained, photos, tmp_path, capsys):
    for args, says in [(['--adapter', tmp_path], 'no adapter/config.json'), (['--adapter', trained, '--ext', '.xyz'], '--ext'),
                       (['--adapter', trained, '--method', 'dra'], 'trained with fluxir'),
                       (['--adapter', trained, '--tile', '16', '--tile-overlap', '16'], '--tile-overlap')]:
        assert _restore(photos / 'rgb.png', tmp_path / 'o', *args) == 2, args
        err = capsys.readouterr().err.strip(); assert len(err.splitlines()) == 1 and says in err, err


def test_nothing_restored_is_an_error(trained, photos, tmp_path, capsys):
    assert _restore(photos / 'corrupt.png', tmp_path / 'o', '--adapter', trained) == 1
    assert 'restored 0 image(s), 0 already done, 1 skipped' in capsys.readouterr().out


def test_single_file_to_a_file_name(trained, photos, tmp_path):
    assert _restore(photos / 'rgb.png', tmp_path / 'x' / 'restored.webp', '--adapter', trained, '--upscale', '1.5') == 0
    assert read_photo(tmp_path / 'x' / 'restored.webp').rgb.shape == (1, 3, 30, 42)
    assert (tmp_path / 'x' / 'restore_report.json').is_file()


def test_tiled_equals_untiled_when_one_tile_covers_the_photo(trained, photos, tmp_path, capsys):
    runs = {'untiled': [], 'one tile': ['--tile', '512'], 'tiles': ['--tile', '16', '--tile-overlap', '8']}
    for name, extra in runs.items():
        assert _restore(photos / 'rgb.png', tmp_path / name, '--adapter', trained, '--upscale', '2', *extra) == 0
    img = {k: np.asarray(Image.open(tmp_path / k / 'rgb.png')).astype(float) for k in runs}
    np.testing.assert_array_equal(img['one tile'], img['untiled'])
    assert img['tiles'].shape == img['untiled'].shape and np.abs(img['tiles'] - img['untiled']).mean() < 25


@pytest.mark.parametrize('fix', ['wavelet', 'adain'])
def test_color_fix_pulls_colours_to_the_input(trained, photos, tmp_path, fix):
    src = photos / 'rgb.png'
    x = np.asarray(Image.open(src)).astype(float) / 255
    Image.fromarray(((x * 0.5 + 0.25) * 255).astype(np.uint8)).save(src)  # mid-range: no clamping
    lq = read_photo(src).rgb
    for name, extra in (('plain', ['--color-fix', 'none']), (fix, ['--color-fix', fix])):  # the run's default is wavelet: 'plain' says none
        assert _restore(src, tmp_path / name, '--adapter', trained, *extra) == 0
    plain, fixed = (read_photo(tmp_path / k / 'rgb.png').rgb for k in ('plain', fix))
    err = lambda y: (y.mean((-2, -1)) - lq.mean((-2, -1))).abs().max().item()
    # AdaIN sets the channel means (up to clamping); the wavelet fix takes the input's low frequencies, whose mean on a
    # 20 × 28 photo is not the photo's (5 levels reach a dilation of 16 px: the replicate border weighs in). Measured:
    # channel-mean error 0.072 plain, 0.027 wavelet, 3e-5 AdaIN.
    assert err(fixed) < (0.02 if fix == 'adain' else 0.5 * err(plain))


def test_memory_modes_on_cpu(trained, photos, tmp_path, capsys):
    assert _restore(photos / 'rgb.png', tmp_path / 'o', '--adapter', trained, '--device', 'cpu', '--offload', 'model', '--vae-tile') == 0
    out = capsys.readouterr().out
    assert '--offload model: needs an accelerator' in out and '--vae-tile: the codec of tiny-flux' in out
    base = read_photo(tmp_path / 'o' / 'rgb.png').rgb
    assert _restore(photos / 'rgb.png', tmp_path / 'bf16', '--adapter', trained, '--device', 'cpu', '--dtype', 'bf16') == 0
    assert (read_photo(tmp_path / 'bf16' / 'rgb.png').rgb - base).abs().mean() < 0.05  # bf16 within a stated tolerance of fp32


def test_batches_of_same_size_photos(trained, tmp_path, capsys):
    d = tmp_path / 'same'; d.mkdir()
    rng = np.random.default_rng(1)
    for k in 'abc': Image.fromarray((rng.random((16, 16, 3)) * 255).astype(np.uint8)).save(d / f'{k}.png')
    Image.fromarray((rng.random((8, 12, 3)) * 255).astype(np.uint8)).save(d / 'small.png')
    assert _restore(d, tmp_path / 'o', '--adapter', trained, '--batch-size', '2') == 0
    assert 'restored 4 image(s), 0 already done, 0 skipped' in capsys.readouterr().out
    assert read_photo(tmp_path / 'o' / 'small.png').rgb.shape == (1, 3, 8, 12)


@pytest.mark.parametrize('method', ['dra', 'controlnet', 'dreamclear', 'editing'])
def test_every_method_restores_an_odd_size_in_tiles(method, tmp_path, capsys):
    "An adapter folder without a run config (saved right after building: plumbing only) needs --method; odd sides are padded and cropped back."
    from rrlib.priors.base import load_prior
    from rrlib.methods.registry import build_method, default_prior
    build_method(method, load_prior(default_prior(method), device='cpu', dtype=torch.float32)).adapter.save_pretrained(tmp_path / 'ad')
    Image.fromarray((np.random.default_rng(2).random((13, 19, 3)) * 255).astype(np.uint8)).save(tmp_path / 'odd.png')
    assert _restore(tmp_path / 'odd.png', tmp_path / 'o', '--adapter', tmp_path / 'ad', '--method', method, '--upscale', '2',
                    '--tile', '16', '--tile-overlap', '8') == 0, capsys.readouterr().err
    assert read_photo(tmp_path / 'o' / 'odd.png').rgb.shape == (1, 3, 26, 38)


def test_empty_and_truncated_files_are_skipped(trained, photos, tmp_path, capsys):
    (photos / 'empty.jpg').write_bytes(b'')
    (photos / 'cut.png').write_bytes((photos / 'rgb.png').read_bytes()[:60])
    assert _restore(photos, tmp_path / 'o', '--adapter', trained) == 0
    rep = json.loads((tmp_path / 'o' / 'restore_report.json').read_text())
    assert sorted(s['file'] for s in rep['skipped']) == ['corrupt.png', 'cut.png', 'empty.jpg'] and len(rep['restored']) == 4


def test_sampling_follows_the_run_unless_given(trained, photos, tmp_path, capsys):
    "--steps, --strength and --color-fix default to the run's num_inference_steps, strength and color_fix."
    run_cfg = json.loads((trained / 'config.json').read_text())
    assert main(['restore', str(photos / 'rgb.png'), str(tmp_path / 'a'), '--adapter', str(trained), '--quiet']) == 0
    s = json.loads((tmp_path / 'a' / 'restore_report.json').read_text())['settings']
    assert (s['steps'], s['strength'], s['color_fix']) == (run_cfg['num_inference_steps'], run_cfg['strength'], run_cfg['color_fix'])
    assert main(['restore', str(photos / 'rgb.png'), str(tmp_path / 'b'), '--adapter', str(trained), '--quiet',
                 '--steps', '4', '--strength', '0.5', '--color-fix', 'adain']) == 0
    s = json.loads((tmp_path / 'b' / 'restore_report.json').read_text())['settings']
    assert (s['steps'], s['strength'], s['color_fix']) == (4, 0.5, 'adain')
    assert main(['restore', str(photos / 'rgb.png'), str(tmp_path / 'c'), '--adapter', str(trained), '--strength', '0']) != 0
    assert '--strength 0.0: must lie in (0, 1]' in capsys.readouterr().err


def test_prompts_and_vlm_captions(trained, photos, tmp_path, capsys):
    "`--prompt` changes the restoration ('' is no prompt); `--caption vlm --vlm DIR` (a tiny random Qwen2-VL) writes each photo's prompt, recorded in the report."
    from rrlib.evaluation.realir import tiny_qwen2vl
    one = photos / 'rgb.png'
    outs = {}
    for name, extra in [('plain', []), ('empty', ['--prompt', '']), ('prompt', ['--prompt', 'a red bus in the rain'])]:
        assert _restore(one, tmp_path / name / 'rgb.png', '--adapter', trained, *extra) == 0, name
        outs[name] = np.asarray(Image.open(tmp_path / name / 'rgb.png'))
    np.testing.assert_array_equal(outs['empty'], outs['plain'])
    assert not np.array_equal(outs['prompt'], outs['plain'])
    capsys.readouterr()
    vlm = tiny_qwen2vl(tmp_path / 'vlm')  # its captions are noise, but real tokens decoded by the real processor
    assert _restore(photos, tmp_path / 'cap', '--adapter', trained, '--caption', 'vlm', '--vlm', vlm) == 0
    assert 'restored 4 image(s), 0 already done, 1 skipped' in capsys.readouterr().out
    rep = json.loads((tmp_path / 'cap' / 'restore_report.json').read_text())
    assert rep['settings']['caption'] == 'vlm' and rep['settings']['vlm'] == str(vlm)
    assert sorted(rep['captions']) == sorted(rep['restored']) and all(isinstance(c, str) for c in rep['captions'].values())
    assert any(rep['captions'].values())  # the random model says something for at least one photo
    for name, cap in rep['captions'].items():  # a photo with a non-empty caption is restored under it
        if cap and name == 'rgb.png': assert not np.array_equal(np.asarray(Image.open(tmp_path / 'cap' / name)), outs['plain'])


def test_prompt_usage_errors_are_one_line(trained, photos, tmp_path, capsys):
    for args, says in [(['--caption', 'vlm'], '--vlm DIR'), (['--caption', 'vlm', '--vlm', tmp_path / 'nothing'], 'vision-language model folder'),
                       (['--vlm', tmp_path], '--caption vlm'),
                       (['--prompt', 'a cat', '--negative-prompt', 'blurry', '--guidance-scale', '3.5'], 'distilled')]:
        assert _restore(photos / 'rgb.png', tmp_path / 'o', '--adapter', trained, *args) == 2, args
        err = capsys.readouterr().err.strip(); assert len(err.splitlines()) == 1 and says in err and 'Traceback' not in err, err
