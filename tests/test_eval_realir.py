"RealIR-Bench through rrlib eval: the VLM judge wired to a tiny local Qwen2-VL, the offline proxy, raw answers kept."
import csv, json
from pathlib import Path
import pytest, skimage.data
from PIL import Image
from rrlib.cli import main
from rrlib.evaluation.realir import tiny_qwen2vl


@pytest.fixture
def pairs(tmp_path):
    inp, pred = tmp_path / 'input', tmp_path / 'pred'
    inp.mkdir(); pred.mkdir()
    for i, n in enumerate(('astronaut', 'coffee')):
        a = getattr(skimage.data, n)()[:96, :128]
        Image.fromarray(a).save(inp / f'{n}.jpg', quality=5)
        Image.fromarray(a).resize((256, 192)).save(pred / f'{n}.png')  # a restoration at another size: LPS resizes it
    return inp, pred


def test_vlm_judge_wiring(tmp_path, pairs, capsys):
    inp, pred = pairs
    model = tiny_qwen2vl(tmp_path / 'tiny-qwen2vl', mute=True)  # answers nothing, at once: the pairs are dropped after 3 tries
    (tmp_path / 'p.txt').write_text('How much {degradation} is there? Score:')
    out = tmp_path / 'vlm.csv'
    assert main(['eval', '--pred', str(pred), '--input', str(inp), '--judge', 'vlm', '--vlm', str(model), '--task', 'compression',
                 '--prompt-file', str(tmp_path / 'p.txt'), '--lps', '1-ssim', '--out', str(out), '--no-progress']) == 0
    rows = list(csv.DictReader(open(out)))
    assert [r['image'] for r in rows] == ['astronaut', 'coffee', 'mean'] and 'judge_input' in rows[0] and 'lps_proxy_1-ssim_y' in rows[0]
    answers = [json.loads(l) for l in out.with_suffix('.answers.jsonl').read_text().splitlines()]
    assert [a['input'] for a in answers] == [['', '', '']] * 2  # bounded retry, every raw answer kept
    assert rows[0]['rs'] == '' and rows[0]['proxy_fs'] == ''  # no score: the pair is dropped, not counted as 0
    md = out.with_suffix('.md').read_text()
    assert 'prompt `p.txt@' in md and 'tiny-qwen2vl' in md


def test_offline_judge_is_labelled_proxy(tmp_path, pairs):
    inp, pred = pairs
    out = tmp_path / 'off.csv'
    assert main(['eval', '--pred', str(pred), '--input', str(inp), '--judge', 'offline', '--task', 'compression',
                 '--lps', '1-ssim', '--out', str(out), '--no-progress']) == 0
    rows = list(csv.DictReader(open(out)))
    assert {'proxy_judge_input', 'proxy_judge_output', 'proxy_rs', 'proxy_fs'} <= set(rows[0]) and 'rs' not in rows[0] and 'fs' not in rows[0]
    assert float(rows[-1]['proxy_rs']) > 0  # q=5 JPEG blocks vs a clean resize
    assert 'proxies, not RealIR-Bench' in out.with_suffix('.md').read_text()


def test_vlm_missing_folder_one_line(tmp_path, pairs, capsys):
    inp, pred = pairs
    rc = main(['eval', '--pred', str(pred), '--input', str(inp), '--judge', 'vlm', '--vlm', str(tmp_path / 'Qwen3-VL-8B-Instruct'),
               '--task', 'noise', '--out', str(tmp_path / 'x.csv'), '--no-progress'])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and 'needs a local Qwen-VL model folder' in err and len(err.splitlines()) == 1
