"rrlib metrics: the availability table (status, convention, implementation), offline NIQE and brisque-libsvm, pyiqa's brisque naming its weight file, no download attempts, IQA selection from the CLI."
import socket, time
import skimage.data, torch
from PIL import Image
from rrlib.cli import main
from rrlib.evaluation.metrics import create_metric, metric_status


def test_available_table(capsys, tmp_path):
    assert main(['metrics', '--available', '--metrics', 'psnr,ssim,niqe,brisque,brisque-libsvm,lpips,musiq', '--weights-dir', str(tmp_path)]) == 0
    rows = {l.split()[0]: l for l in capsys.readouterr().out.splitlines()[1:]}
    assert all(rows[n].split()[3] == 'ok' for n in ('psnr', 'ssim', 'niqe', 'brisque-libsvm'))
    assert 'Y (YIQ) *' in rows['ssim'] and 'Y (YIQ) *' in rows['niqe'] and 'RGB *' in rows['psnr']  # the pyiqa convention, and who follows --color
    assert "pyiqa" in rows['niqe'] and 'niqe_pris_params.npz' in rows['niqe'] and "brisque package" in rows['brisque-libsvm']
    assert rows['brisque'].split()[3] == 'missing' and 'brisque_svm_weights.pth' in rows['brisque'] and "pyiqa" in rows['brisque']
    assert 'missing' in rows['lpips'] and f'put it in {tmp_path}' in rows['lpips']
    assert 'musiq_koniq_ckpt-e95806b9.pth' in rows['musiq']


def test_missing_weights_never_touch_the_network(monkeypatch, tmp_path):
    def no_network(*a, **k): raise AssertionError('network used')
    monkeypatch.setattr(socket.socket, 'connect', no_network)
    t = time.time()
    for name in ('lpips', 'dists', 'musiq', 'topiq_nr'):
        assert metric_status(name, tmp_path)[0] == 'missing'
    assert time.time() - t < 60


def test_niqe_brisque_offline_on_generated_images():
    x = torch.from_numpy(skimage.data.chelsea()[:128, :128].copy()).permute(2, 0, 1)[None].float() / 255
    noisy = (x + 0.1 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    for name in ('niqe', 'brisque-libsvm'):
        m = create_metric(name)
        assert m(x).item() < m(noisy).item()


def test_select_cli(tmp_path, capsys):
    for i in range(4):
        Image.fromarray(skimage.data.coffee()[i * 50:i * 50 + 128, :128]).save(tmp_path / f'c{i}.png')
    assert main(['metrics', 'select', '--folder', str(tmp_path), '--metrics', 'brisque-libsvm', '--keep', '0.75', '--out', str(tmp_path / 'sel')]) == 0
    assert len((tmp_path / 'sel' / 'kept.txt').read_text().split()) == 3
    assert 'outside the top 75%' in (tmp_path / 'sel' / 'dropped.csv').read_text()


def test_pyiqa_brisque_without_its_weights_is_one_sentence(tmp_path, capsys):
    Image.fromarray(skimage.data.coffee()[:64, :64]).save(tmp_path / 'a.png')
    rc = main(['eval', '--pred', str(tmp_path), '--metrics', 'brisque', '--out', str(tmp_path / 'r.csv'), '--no-progress', '--weights-dir', str(tmp_path / 'w')])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and 'brisque_svm_weights.pth' in err and str(tmp_path / 'w') in err
