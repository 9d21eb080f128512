"Training from manifests and paired folders: `train.ipynb`'s `data` takes a nine-type `pairs.jsonl`, and the editing method trains with each pair's own instruction."
import json, subprocess, sys
import torch
from rrlib.data.manifests import Manifest, ManifestPairs
from test_train_notebook import _papermill

SHORT_EDIT = ['-p', 'method', 'editing', '-p', 'n_val', '2', '-p', 'val_inference_steps', '1', '-p', 'batch_size', '4']


def nine_types(root, out, types=('rain', 'haze', 'noise')):
    r = subprocess.run([sys.executable, str(root / 'data_recipes' / 'nine_types.py'), '--clean', 'embedded', '--out', str(out),
                        '--types', *types, '--downscale', '4'], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    return out / 'pairs.jsonl'


def test_editing_trains_with_each_pairs_instruction(root, venv_bin, tmp_path, monkeypatch):
    pairs = nine_types(root, tmp_path / 'nine')
    monkeypatch.setenv('RRLIB_TRAIN_DEBUG', str(tmp_path / 'debug'))
    nb = _papermill(root, venv_bin, tmp_path / 'run', '-p', 'data', str(pairs), *SHORT_EDIT)
    text = '\n'.join(''.join(o.get('text', '')) for c in nb['cells'] for o in c.get('outputs', []))
    assert '48 records of' in text and (tmp_path / 'run' / 'metrics.json').is_file()
    m = Manifest(pairs)
    steps = [json.loads(l) for l in (tmp_path / 'debug' / 'crops_rank0.jsonl').read_text().splitlines()]
    assert [s['step'] for s in steps] == [0, 1, 2, 3]
    seen = 0
    for s in steps:
        for i, ins in zip(s['index'], s['instruction']):
            if i < 0: assert ins is None; continue  # a real stand-in pair of stage 2: the method's own instruction
            assert ins == m[i]['instruction']; seen += 1
    assert seen >= 12 and len({ins for s in steps for ins in s['instruction'] if ins}) >= 2, "several instructions in training"


def test_the_model_sees_the_records_instructions(root, tmp_path):
    "In process: the text tokens the transformer gets in a training step are the encodings of the batch's records' instructions."
    from rrlib.priors.base import load_prior
    from rrlib.methods.registry import build_method, step_loss_for
    from rrlib.training.objectives import timestep_sampler
    m = Manifest(nine_types(root, tmp_path / 'nine', ('rain', 'moire')))
    prior = load_prior('tiny-flux-kontext'); method = build_method('editing', prior)
    batches = ManifestPairs(m, size=32, batch_size=6, seed=3)
    seen = []
    h = prior.transformer.register_forward_pre_hook(lambda mod, a, kw: seen.append(kw['encoder_hidden_states']), with_kwargs=True)
    try: step_loss_for(method, prior, batches, timestep_sampler('uniform'))(0, torch.Generator().manual_seed(0), method.adapter)
    finally: h.remove()
    ins = [m[i]['instruction'] for i in batches.batch(0)['index'].tolist()]
    assert len(set(ins)) == 2
    assert torch.equal(seen[0], torch.cat([prior.prompt(1, s)[0] for s in ins]))


def test_paired_folder_and_unreadable_pairs(root, tmp_path):
    "A paired folder (hq/ lq/) trains like a manifest; a corrupt LQ is reported and skipped, not a crash."
    import warnings
    from rrlib.io import save_image
    from rrlib.data.datasets import embedded_images
    from rrlib.recipes.train import RunConfig, run_data, training_batches, sources_text
    d = tmp_path / 'paired'
    for k, name in enumerate(['astronaut', 'coffee', 'chelsea', 'rocket']):
        x = embedded_images(4)[name][0]
        save_image(x, d / 'hq' / f'{name}.png'); save_image(torch.nn.functional.avg_pool2d(x, 4), d / 'lq' / f'{name}.jpg')
    (d / 'lq' / 'rocket.jpg').write_bytes(b'not a jpeg')
    cfg = RunConfig(data=str(d), crop_size=32, n_heldout=2)
    photos, held, heldout = run_data(cfg, None)
    assert heldout['hq'].shape == heldout['lq'].shape == (2, 3, 32, 32) and held == [str(d / 'hq' / 'astronaut.png')]
    assert '4 records' in sources_text(photos)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter('always')
        bs = [training_batches(cfg, photos, None, 8).batch(s) for s in range(3)]
    assert all(b['hq'].shape == (8, 3, 32, 32) for b in bs)
    assert any('rocket.jpg' in str(x.message) for x in w), "the unreadable LQ is reported"
    assert all(photos.records[i]['hq'].endswith(('coffee.png', 'chelsea.png')) for b in bs for i in b['index'].tolist())


def test_captions_reach_dra_and_dreamclear_prompts(tmp_path):
    "A manifest's captions are the text conditioning each sample trains with: DRA's (SD3) and DreamClear's (PixArt) prompts."
    from rrlib.io import save_image
    from rrlib.data.datasets import embedded_images
    from rrlib.data.manifests import write_manifest
    from rrlib.priors.base import load_prior
    from rrlib.methods.registry import build_method, step_loss_for
    from rrlib.training.objectives import timestep_sampler
    recs = []
    for k, (name, cap) in enumerate([('astronaut', 'an astronaut'), ('coffee', 'a cup of coffee'), ('chelsea', '')]):
        x = embedded_images(4)[name][0]; save_image(x, tmp_path / f'{name}.png')
        save_image(torch.nn.functional.avg_pool2d(x, 2), tmp_path / f'{name}_lq.png')
        recs.append({'hq': str(tmp_path / f'{name}.png'), 'lq': str(tmp_path / f'{name}_lq.png'), 'caption': cap})
    m = Manifest(write_manifest(tmp_path / 'pairs.jsonl', recs))
    for method, kw, module, grab in (('dra', {'p_lq_target': 0.0}, lambda p: p.transformer, lambda a, k: k['encoder_hidden_states']),
                                     ('dreamclear', {'reference': 'none'}, lambda p: p.transformer.caption_projection, lambda a, k: a[0])):
        from rrlib.methods.registry import default_prior
        prior = load_prior(default_prior(method)); meth = build_method(method, prior, **kw)
        batches = ManifestPairs(m, size=32, batch_size=6, seed=1)
        seen = []
        h = module(prior).register_forward_pre_hook(lambda mod, a, k: seen.append(grab(a, k).detach()), with_kwargs=True)
        try: step_loss_for(meth, prior, batches, timestep_sampler('uniform'))(0, torch.Generator().manual_seed(0), meth.adapter)
        finally: h.remove()
        caps = batches.batch(0)['caption']
        assert len(set(caps)) >= 2, caps
        assert torch.equal(seen[0], prior.captions(caps)[0].to(seen[0])), method
        if '' in caps: assert torch.equal(seen[0][caps.index('')], prior.prompt(1)[0][0].to(seen[0])), "no caption: the empty prompt"


def test_a_kontext_folder_encodes_the_manifests_instructions(root, tmp_path):
    "On the real path the text encoders run once, at load: every instruction of the manifest is encoded (the default first)."
    from rrlib.priors.kontext import make_tiny_kontext_folder, DEFAULT_INSTRUCTION
    from rrlib.recipes.train import RunConfig, load_run_prior
    from rrlib.methods.registry import build_method, step_loss_for
    from rrlib.training.objectives import timestep_sampler
    pairs = nine_types(root, tmp_path / 'nine', ('rain', 'haze'))
    folder = make_tiny_kontext_folder(tmp_path / 'FLUX.1-Kontext-dev')
    prior = load_run_prior(RunConfig(method='editing', base_model=str(folder), data=str(pairs)), 'cpu', torch.float32)
    assert list(prior.prompt.config.instructions) == [DEFAULT_INSTRUCTION, 'Remove the haze from this photo.', 'Remove the rain streaks from this photo.']
    assert not prior.prompt.config.hashed
    m = build_method('editing', prior)
    loss = step_loss_for(m, prior, ManifestPairs(Manifest(pairs), size=32, batch_size=4), timestep_sampler('uniform'))
    assert torch.isfinite(loss(0, torch.Generator().manual_seed(0), m.adapter)['loss'])
