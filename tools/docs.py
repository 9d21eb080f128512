"""The documentation site, built offline from the notebooks (`make docs` runs `python tools/docs.py build`).

    python tools/docs.py build [--jobs N]   # nbs/ -> _proc/src (processed notebooks) -> Sphinx + myst-nb + furo -> _docs/, then check
    python tools/docs.py check              # only the link check of a built _docs/
    python tools/docs.py stale              # exit 0 if _docs/ is up to date with its inputs, 1 if it needs a build

Steps:
1. **Process** every notebook `nbs/**/*.ipynb` the way nbdev's docs processors do (`nbdev.processors`): a `show_doc`
   entry after every `#| export` cell for each public name it defines, `#| hide` / `#| exporti` / `#| default_exp`
   cells dropped, `#| export` sources hidden (each entry links to its source line instead), directives stripped,
   backticked names linked (`NbdevLookup.linkify`).
2. **Execute** each notebook (except `nbs/train.ipynb`, the papermill main job, shown unexecuted) in nbdev's
   test shell (`execnb.CaptureShell`) with the flags of `nbdev-test`: cells flagged `tst_flags` (`slow`, `notest`)
   are shown but not run. A skipped cell that writes a committed file of `figures/` shows that file instead.
   Results are cached in `_proc/cache`, keyed on the notebook, the library sources, the figures and this script.
3. **Render** with Sphinx (`-W --keep-going`, every warning fails) + myst-nb + furo: one page per notebook at
   nbdev's URL (`<folder>/<name without its number>.html`, `nbdev.config.nbpath2html`), a sidebar with one section
   per folder of `nbs/`, Sphinx's offline search. Each page also gets its markdown twin `<page>.html.md`, the URL the
   module docstrings' `Docs:` lines give.
4. **Check** (fails the build): every link and image inside the site resolves to a file and anchor of `_docs/`,
   nothing is fetched from another host at view time, and the `Docs:` URLs of the module docstrings, every entry of
   `rrlib/_modidx.py`, the README's and pyproject's site links point at pages and anchors the site has; every source
   link names a file tracked by git and a line that defines the object.
"""
from __future__ import annotations
import ast, functools, hashlib, html.parser, json, os, re, shutil, subprocess, sys, time
from pathlib import Path
from urllib.parse import urlsplit, unquote

ROOT = Path(__file__).resolve().parents[1]
NBS, PROC, OUT = ROOT / 'nbs', ROOT / '_proc', ROOT / '_docs'
SRC, CACHE = PROC / 'src', PROC / 'cache'
CONF = ROOT / 'docs'                       # conf.py and the site's CSS
NO_EXEC = {'train.ipynb'}                  # top-level notebooks shown without running them (the papermill main job)
STAMP = OUT / '.rrlib-docs-inputs'         # the hash of the inputs the built site comes from

def cfg():
    from nbdev.config import get_config
    return get_config(ROOT)

def site_url() -> str:
    c = cfg(); return f"{c.doc_host.rstrip('/')}{c.doc_baseurl.rstrip('/')}/"

def _natkey(p: Path): return [int(t) if t.isdigit() else t for t in re.split(r'(\d+)', p.name)]

def notebooks() -> list[Path]:
    "Top-level notebooks (index first), then each folder of nbs/ in order, its notebooks in order by number."
    ok = lambda p: not p.name.startswith(('_', '.'))
    top = sorted((p for p in NBS.glob('*.ipynb') if ok(p)), key=lambda p: (p.name != 'index.ipynb', _natkey(p)))
    dirs = sorted((d for d in NBS.iterdir() if d.is_dir() and ok(d) and any(d.glob('*.ipynb'))), key=_natkey)
    return top + [p for d in dirs for p in sorted(d.glob('*.ipynb'), key=_natkey) if ok(p)]

def page_of(nb: Path) -> str:
    "nbdev's doc path of a notebook, without '.html': '10_degradations/degradations'."
    from nbdev.config import nbpath2html
    return nbpath2html(nb.relative_to(NBS)).with_suffix('').as_posix()

def _hash(files, *extra) -> str:
    h = hashlib.sha256()
    for x in extra: h.update(x.encode())
    for f in map(Path.resolve, files):
        if f.is_file(): h.update(f.relative_to(ROOT).as_posix().encode()); h.update(f.read_bytes())
    return h.hexdigest()[:20]

@functools.lru_cache
def _common_hash() -> str:
    "What every page depends on: the processing code (sections 1-2 of this file), the library, the figures, pyproject."
    me = Path(__file__).read_text().split('# ' + '-' * 64 + ' 3.')[0]   # (built, so this line does not match itself)
    return _hash([ROOT / 'pyproject.toml', *sorted((ROOT / 'rrlib').rglob('*.py')), *sorted((ROOT / 'figures').glob('*'))], me)

def inputs_hash(nb: Path | None = None, mode: str = 'all') -> str:
    "Hash of what a page (or, without `nb`, the whole site: all pages, this file, docs/) depends on."
    if nb: return _hash([nb], _common_hash(), mode)
    return _hash([Path(__file__), *sorted(CONF.rglob('*')), *notebooks()], _common_hash())

# ---------------------------------------------------------------- 1-2. process and execute one notebook

_re_dir = re.compile(r'^\s*#\s*\|.*(?:\n|$)')
_re_ansi = re.compile(r'\x1B(?:[@-Z\\-_]|\[[0-?]*[ -/]*[@-~])')
_WIDGET = 'application/vnd.jupyter.widget-view+json'

def _strip_directives(src: str) -> str:
    lines = src.splitlines(True)
    while lines and _re_dir.match(lines[0]): lines.pop(0)
    return ''.join(l for l in lines if not re.search(r'#\|\s*hide_line\s*$', l)).strip()

def _defined(code: str) -> list[str]:
    "The names nbdev's `_modidx.py` records for an exported cell (doclinks._get_modidx)."
    from nbdev.doclinks import patch_name
    try: body = ast.parse(code).body
    except SyntaxError: return []
    out = []
    for t in body:
        if isinstance(t, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            nm = patch_name(t); out += nm if isinstance(nm, list) else [nm]
            if isinstance(t, ast.ClassDef):
                out += [f'{t.name}.{t2.name}' for t2 in t.body if isinstance(t2, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return out

def _source_link(module: str, name: str) -> str:
    "nbdev's source link: git_url/blob/branch/<file>#L<line of the definition> of `module.name`."
    import importlib, inspect
    c = cfg()
    obj = importlib.import_module(module)
    for part in name.split('.'): obj = getattr(obj, part)
    obj = inspect.unwrap(getattr(obj, 'fget', obj))
    fn = Path(inspect.getsourcefile(obj)).resolve()
    line = inspect.getsourcelines(obj)[1]
    return f"{c.git_url.rstrip('/')}/blob/{c.branch}/{fn.relative_to(ROOT).as_posix()}#L{line}"

def _anchor(ids) -> str: return ''.join(f'<span id="{i}" class="nbdev-anchor"></span>' for i in ids)

def _api_entry(md: str, level: int, anchors: list[str], src: str) -> str:
    "A show_doc entry (nbdev's markdown) with its nbdev anchors, a heading at `level` and its source link."
    md = re.sub(r'^\[source\]\(.*$', '', md, flags=re.M)
    md = re.sub(r'^---\s*$', '', md, flags=re.M).strip()
    m = re.match(r'#+\s+(.+)\n', md)
    title, rest = (m.group(1).strip(), md[m.end():]) if m else ('', md)
    head = f"{'#' * level} {title}\n\n" if title else ''
    link = f'<a class="api-source reference external" href="{src}">source</a>' if src else ''
    return f'{_anchor(anchors)}\n\n{head}{link}\n\n{rest.strip()}\n' if (anchors or link) else f'{head}{rest.strip()}\n'

def _committed_figures(code: str) -> list[Path]:
    "Files of figures/ that a (skipped) cell writes, named literally in its source."
    d = ROOT / 'figures'
    return [f for f in sorted(d.glob('*')) if f.is_file() and f.name in code] if d.is_dir() else []

_SAFE_SHOW_DOC = """
from nbdev.showdoc import show_doc
def _rrlib_show_doc(o):
    "nbdev's show_doc; where it fails (an annotation it cannot evaluate), the unevaluated signature and the docstring."
    try: return show_doc(o)
    except Exception:
        import inspect
        from IPython.display import Markdown
        try: sig = str(inspect.signature(o))
        except Exception: sig = '(...)'
        kind = 'class' if inspect.isclass(o) else 'def'
        doc = (inspect.getdoc(o) or '').split(chr(10)*2)[0]
        return Markdown(f"### {o.__qualname__}" + chr(10)*2 + "```python" + chr(10) + f"{kind} {o.__name__}{sig}:" + chr(10) + "```" + chr(10)*2 + (f"*{doc}*" if doc else ''))
"""

def process_nb(nb_path: str, mode: str = 'all', timeout: int = 900) -> dict:
    """The processed notebook as an nbformat dict, ready for myst-nb. `mode`: 'all' runs every cell the tests run and
    shows the outputs; 'defs' runs only what the API entries need (imports, exported cells, show_doc: nbdev's own
    `exec_show_docs`) and shows no outputs; 'none' runs nothing."""
    os.environ['IN_TEST'] = '1'
    import warnings; warnings.filterwarnings('ignore', message='Found cells containing imports')
    import nbformat
    from fastcore.xtras import working_directory
    from nbdev.process import NBProcessor
    from nbdev.processors import add_show_docs, _default_exp
    from nbdev.test import _skip_cell
    from nbdev.doclinks import NbdevLookup
    from execnb.shell import CaptureShell
    src = Path(nb_path)
    c = cfg()
    proc = NBProcessor(src, procs=[add_show_docs], rm_directives=False, process=True)
    nb = proc.nb
    i, cells = 0, nb.cells          # nbdev inserts a cell's show_doc entries last name first: put them in source order
    while i < len(cells):
        j = i
        while j < len(cells) and getattr(cells[j], 'has_sd', False): j += 1
        if j > i + 1: cells[i:j] = cells[i:j][::-1]
        i = max(j, i + 1)
    for n, cell in enumerate(cells): cell.idx_ = n
    skip = _skip_cell(nb, c.tst_flags.split())
    from nbdev.processors import _do_eval
    run = skip if mode == 'all' else (lambda cell: skip(cell) or not (getattr(cell, 'has_sd', False) or _do_eval(cell)))
    if mode != 'none':
        k = CaptureShell(src, profile=bool(c.exec_profile))
        k.run_cell(_SAFE_SHOW_DOC)
        for cell in cells:
            if getattr(cell, 'has_sd', False): cell.source = cell.source.replace('show_doc(', '_rrlib_show_doc(', 1)
        with working_directory(src.parent):
            try: k.run_all(nb, exc_stop=mode == 'all', preproc=run, cell_timeout=timeout)
            except Exception: raise RuntimeError(f'{src.relative_to(ROOT)} failed at docs build time:\n{k.prettytb(fname=src)}')
    dflt = _default_exp(nb)
    lookup = NbdevLookup()
    cells, level, pending, used = [], 1, [], set()   # pending: nbdev anchors of the last exported cell
    def flush():
        ids = [i for i in pending if i not in used]; used.update(ids); pending.clear()
        if ids: cells.append(nbformat.v4.new_markdown_cell(_anchor(ids)))
    for cell in nb.cells:
        d = cell.directives_ or {}
        if cell.cell_type == 'markdown':
            flush()
            s = cell.source
            if s.strip().startswith('#') and s.strip().endswith(' -'): continue   # nbdev's rm_header_dash
            for h in re.findall(r'^(#+)\s', re.sub(r'```.*?```', '', s, flags=re.S), flags=re.M): level = len(h)
            s = re.sub(r'\]\(figures/', '](/_figures/', s)  # the README's images of figures/ (relative on GitHub) from the site's copy
            cells.append(nbformat.v4.new_markdown_cell(lookup.linkify(s)))
            continue
        if cell.cell_type != 'code': continue
        if getattr(cell, 'has_sd', False):      # a show_doc entry
            name = re.match(r'\w*show_doc\((.+)\)', cell.source).group(1)
            md = next((''.join(o['data']['text/markdown']) for o in cell.get('outputs', []) if 'text/markdown' in o.get('data', {})), None)
            if md is None: md = f"### {name}\n\n*(no API entry: {'the notebook is shown unexecuted' if mode == 'none' else 'show_doc failed at docs build time'})*"
            mod = f"{c.lib_name}.{(cell_mod.get(id(cell)) or dflt or '')}".removesuffix('.__init__').rstrip('.')
            try: link = _source_link(mod, name)
            except Exception: link = ''
            want = [name.lower()] if name.lower() in pending else []
            ids = [i for i in want + [n for n in pending if n.startswith(name.lower() + '.')] if i not in used]
            used.update(ids)
            cells.append(nbformat.v4.new_markdown_cell(lookup.linkify(_api_entry(md, min(level + 1, 6), ids, link))))
            continue
        if {'hide', 'default_exp', 'exporti'} & d.keys() or d.get('include') == 'false':
            if 'exporti' in d: flush(); pending.extend(n.lower() for n in _defined(cell.source))
            continue
        if {'export', 'exports'} & d.keys():
            flush(); pending.extend(n.lower() for n in _defined(cell.source))
            mod = (d.get('export') or d.get('exports') or [None])
            for nxt in nb.cells[cell.idx_ + 1:]:
                if not getattr(nxt, 'has_sd', False): break
                if mod and mod[0]: cell_mod[id(nxt)] = mod[0]
            if 'export' in d and not cell.get('outputs'): continue
        else: flush()
        code = _strip_directives(cell.source)
        code = re.sub(r'^\s*%(load_ext|autoreload|reload_ext|matplotlib|config)\b.*$', '', code, flags=re.M).strip()
        new = nbformat.v4.new_code_cell(code)
        tags = []
        if 'export' in d or 'hide_input' in d or d.get('echo') == ['false']: tags.append('remove-input')
        if 'hide_output' in d or d.get('output') == ['false']: tags.append('remove-output')
        if tags: new.metadata['tags'] = tags
        ran = mode == 'all' and not skip(cell)
        if ran:
            outs = []
            for o in cell.get('outputs', []):
                o = nbformat.from_dict(dict(o))
                if o.output_type == 'stream': o.text = _re_ansi.sub('', ''.join(o.text))
                if o.output_type == 'error': o.traceback = [_re_ansi.sub('', l) for l in o.traceback]
                if 'data' in o:
                    o.data = {k: v for k, v in o.data.items() if k != _WIDGET}   # widgets need JS from a CDN: keep their text
                    if not o.data: continue
                outs.append(o)
            new.outputs = outs
        if code or new.outputs: cells.append(new)
        if not ran and (figs := _committed_figures(cell.source)):
            parts = []
            for f in figs:
                if f.suffix.lower() in ('.png', '.jpg', '.jpeg', '.svg', '.gif', '.webp'): parts.append(f'![{f.name}](/_figures/{f.name})')
                elif f.suffix == '.md':
                    md = re.sub(r'^(#+)', r'\1##', f.read_text(), flags=re.M)
                    # its images sit beside it in figures/: a relative link points to the site's copy of that folder
                    parts.append(re.sub(r'\]\((?![a-z]+:|/|#)([^)\s]+\.(?:png|jpe?g|svg|gif|webp))\)', r'](/_figures/\1)', md))
            flags = sorted(d.keys() & set(c.tst_flags.split()))
            why = (f"not run at docs build time (`#| {' '.join(flags)}`)" if mode == 'all' and flags else
                   'not run: this notebook is shown unexecuted' if mode == 'none' else f'not run in this build (`DOCS_EXEC={mode}`)')
            cells.append(nbformat.v4.new_markdown_cell(f"*This cell is {why}; "
                                                       f"the committed result, {', '.join(f'`figures/{f.name}`' for f in figs)}:*\n\n" + '\n\n'.join(parts)))
    flush()
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'},
                    'language_info': {'name': 'python'}}
    return out

cell_mod = {}

def _work(job):
    nb, dst, key, mode = job
    t = time.time()
    res = process_nb(nb, 'none' if Path(nb).name in NO_EXEC and Path(nb).parent == NBS else mode)
    import nbformat
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(res, dst)
    shutil.copy(dst, CACHE / f'{key}.ipynb')
    return nb, time.time() - t

# ---------------------------------------------------------------- 3. the Sphinx source tree

def _title(nb: Path) -> str:
    for c in json.loads(nb.read_text())['cells']:
        if c['cell_type'] == 'markdown' and (m := re.match(r'#\s+(.+)', ''.join(c['source']))): return m.group(1).strip()
    return nb.stem

def _caption(folder: str) -> str: return re.sub(r'^\d+[a-zA-Z0-9]*_', '', folder).replace('_', ' ').capitalize() + f'  ({folder}/)'

def write_sources(nbs: list[Path]):
    "The toctrees (sidebar) in the index page, the md twins, figures; processed notebooks are already in SRC."
    pages = {nb: page_of(nb) for nb in nbs}
    dup = {p for p in pages.values() if list(pages.values()).count(p) > 1}
    if dup: sys.exit(f'two notebooks map to the same page {sorted(dup)}: rename one (nbdev strips the number prefix)')
    import nbformat
    groups: dict[str, list[str]] = {}
    for nb, p in pages.items():
        if p == 'index': continue
        groups.setdefault(nb.parent.name if nb.parent != NBS else '', []).append(p)
    toc = []
    for folder, ps in groups.items():
        cap = 'Notebooks  (nbs/)' if not folder else _caption(folder)
        toc.append(f"```{{toctree}}\n:caption: {cap}\n:hidden:\n\n" + '\n'.join(ps) + '\n```')
    idx = nbformat.read(SRC / 'index.ipynb', as_version=4)
    idx.cells.append(nbformat.v4.new_markdown_cell('\n\n'.join(toc)))
    nbformat.write(idx, SRC / 'index.ipynb')
    if (ROOT / 'figures').is_dir():
        shutil.rmtree(SRC / '_figures', ignore_errors=True); shutil.copytree(ROOT / 'figures', SRC / '_figures')
    # stale pages of removed notebooks
    keep = {SRC / f'{p}.ipynb' for p in pages.values()}
    for f in SRC.rglob('*.ipynb'):
        if f not in keep: f.unlink()

def md_twin(nb_file: Path) -> str:
    "The markdown version of a processed notebook (what `<page>.html.md` serves: nbdev's `Docs:` URLs)."
    nb = json.loads(nb_file.read_text())
    out = []
    for c in nb['cells']:
        s = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            if '{toctree}' in s: continue
            out.append(re.sub(r'<span id="[^"]*" class="nbdev-anchor"></span>', '', s).strip())
        elif 'remove-input' not in c.get('metadata', {}).get('tags', []) and s: out.append(f'```python\n{s}\n```')
        for o in c.get('outputs', []):
            t = o.get('text') or o.get('data', {}).get('text/markdown') or o.get('data', {}).get('text/plain')
            if t and not o.get('data', {}).get('image/png'): out.append('```\n' + ''.join(t).rstrip() + '\n```')
    return '\n\n'.join(x for x in out if x) + '\n'

# ---------------------------------------------------------------- 4. the checks

class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.ids, self.links = set(), []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        if tag == 'a' and a.get('name'): self.ids.add(a['name'])
        for k in ('href', 'src'):
            if a.get(k) is not None: self.links.append((tag, k, a[k], a.get('rel', '')))

_pages: dict[Path, _Links] = {}
def _parsed(f: Path) -> _Links:
    if f not in _pages:
        p = _Links(); p.feed(f.read_text(errors='replace')); _pages[f] = p
    return _pages[f]

def _rel(p: Path) -> str:
    for base in (OUT, ROOT):
        if p.is_relative_to(base): return p.relative_to(base).as_posix()
    return str(p)

def _resolve(target: Path, frag: str, where: str, errors: list):
    if target.is_dir(): target = target / 'index.html'
    if not target.exists(): errors.append(f'{where}: {_rel(target)} does not exist'); return
    if frag and target.suffix == '.html' and frag not in _parsed(target).ids:
        errors.append(f'{where}: no anchor #{frag} in {_rel(target)}')

def _site_target(url: str) -> tuple[Path, str] | None:
    "A URL of the published site -> (file under _docs, fragment); None for other hosts."
    base = site_url()
    if not url.startswith(base) and url.rstrip('/') != base.rstrip('/'): return None
    u = urlsplit(url)
    rel = unquote(u.path)[len(urlsplit(base).path):]
    return OUT / rel, unquote(u.fragment)

_tracked = None
def _check_source(url: str, where: str, errors: list):
    "A source link: the file is tracked by git (so it exists on the branch) and the line defines the object."
    global _tracked
    c = cfg()
    m = re.match(re.escape(f"{c.git_url.rstrip('/')}/blob/{c.branch}/") + r'([^#]+)#L(\d+)$', url)
    if not m: return
    if _tracked is None: _tracked = set(subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True).stdout.split())
    path, line = m.group(1), int(m.group(2))
    lines = (ROOT / path).read_text().splitlines() if (ROOT / path).is_file() else []
    if path not in _tracked and not (ROOT / path).is_file(): errors.append(f'{where}: source {path} is not in the repository')
    elif not 1 <= line <= len(lines): errors.append(f'{where}: source {path} has no line {line}')
    elif not re.match(r'\s*(@|def |async def |class )', lines[line - 1]): errors.append(f'{where}: {path}:{line} defines nothing: {lines[line - 1]!r}')

def check(out: Path = OUT) -> list[str]:
    "Every problem with the links of the built site and of what points into it."
    errors, n = [], 0
    _pages.clear()
    for f in sorted(out.rglob('*.html')):
        where = f.relative_to(out).as_posix()
        for tag, attr, url, rel in _parsed(f).links:
            n += 1
            u = urlsplit(url)
            if u.scheme in ('mailto', 'javascript', 'data') or url.startswith('#') and not url[1:]: continue
            if u.scheme in ('http', 'https') or url.startswith('//'):
                t = _site_target(url)
                if t: _resolve(*t, where, errors); continue
                if tag in ('img', 'script', 'iframe', 'source', 'video', 'audio') or (tag == 'link' and 'stylesheet' in rel):
                    errors.append(f'{where}: fetches {url} from another host at view time')
                _check_source(url, where, errors)
                continue
            if u.scheme: continue
            target = f if not u.path else (f.parent / unquote(u.path)).resolve()
            _resolve(target, unquote(u.fragment), where, errors)
    # what points into the site from outside it
    outside = []
    for py in sorted((ROOT / 'rrlib').rglob('*.py')):
        outside += [(py.relative_to(ROOT).as_posix(), u) for u in re.findall(r'^Docs: (\S+?)(?:\"\"\"|$)', py.read_text(), flags=re.M)]
    from importlib import import_module
    sys.path.insert(0, str(ROOT))
    d = import_module(f'{cfg().lib_name}._modidx').d
    for mod, syms in d['syms'].items():
        outside += [(f'_modidx {sym}', site_url() + loc) for sym, (loc, _) in syms.items()]
    for name in ('README.md', 'pyproject.toml'):
        outside += [(name, u) for u in re.findall(re.escape(site_url().rstrip('/')) + r'[^\s)"\'>\]]*', (ROOT / name).read_text())]
    for where, url in outside:
        t = _site_target(url)
        if t is None: errors.append(f'{where}: {url} is not on the site {site_url()}'); continue
        _resolve(*t, where, errors)
    print(f'link check: {n} links in {len(_pages)} pages, {len(outside)} links into the site from the library, '
          f'_modidx, README and pyproject: {len(errors)} broken')
    return errors

# ---------------------------------------------------------------- build

def _relativize(out: Path):
    "Links to the published site (nbdev's linkify writes absolute ones) become relative, so the site works anywhere."
    base = site_url()
    pat = re.compile(r'(href|src)="' + re.escape(base) + r'([^"]*)"')
    for f in out.rglob('*.html'):
        t = f.read_text()
        depth = len(f.relative_to(out).parts) - 1
        new = pat.sub(lambda m: f'{m.group(1)}="{"../" * depth}{m.group(2) or "index.html"}"', t)
        if new != t: f.write_text(new)

def build(jobs: int = 2, mode: str = 'all') -> float:
    t0 = time.time()
    from concurrent.futures import ProcessPoolExecutor
    nbs = notebooks()
    SRC.mkdir(parents=True, exist_ok=True); CACHE.mkdir(parents=True, exist_ok=True)
    todo = []
    for nb in nbs:
        key, dst = inputs_hash(nb, mode), SRC / f'{page_of(nb)}.ipynb'
        if (CACHE / f'{key}.ipynb').exists():
            dst.parent.mkdir(parents=True, exist_ok=True); shutil.copy(CACHE / f'{key}.ipynb', dst)
        else: todo.append((str(nb), str(dst), key, mode))
    print(f'docs: {len(nbs)} notebooks, {len(nbs) - len(todo)} from the cache, {len(todo)} to process and execute', flush=True)
    if todo:
        todo.sort(key=lambda j: -Path(j[0]).stat().st_size)   # biggest first: better packing on few workers
        import multiprocessing as mp
        with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=mp.get_context('spawn')) as ex:
            # by module name, not __main__: the notebook shells in the workers replace sys.modules['__main__']
            sys.path.insert(0, str(Path(__file__).parent)); import docs as this
            for nb, dt in ex.map(this._work, todo):
                print(f'  {Path(nb).relative_to(ROOT)}: {dt:.1f}s', flush=True)
    keep = {inputs_hash(nb, m) for nb in nbs for m in ('all', 'defs')}
    for f in CACHE.glob('*.ipynb'):   # keep the cache to what the current notebooks use
        if f.stem not in keep: f.unlink()
    t1 = time.time()
    write_sources(nbs)
    shutil.rmtree(OUT, ignore_errors=True); shutil.rmtree(PROC / 'html', ignore_errors=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, '-m', 'sphinx', '-b', 'html', '-W', '--keep-going', '-q', '-j', str(max(1, jobs)),
                        '-c', str(CONF), '-d', str(PROC / 'doctrees'), str(SRC), str(PROC / 'html')], cwd=ROOT, env=env)
    if r.returncode: sys.exit('docs: Sphinx reported the warnings above (each one fails the build)')
    shutil.move(PROC / 'html', OUT)   # built inside _proc/: myst-nb writes its jupyter_execute/ beside the output folder
    for f in SRC.rglob('*.ipynb'):
        rel = f.relative_to(SRC).with_suffix('.html.md')
        (OUT / rel).write_text(md_twin(f))
    _relativize(OUT)
    (OUT / '.nojekyll').write_text('')
    t2 = time.time()
    errors = check()
    for e in errors: print('  BROKEN', e)
    if errors: sys.exit(f'docs: {len(errors)} broken links (listed above)')
    STAMP.write_text(f'{mode} {inputs_hash()}')
    print(f'docs: built {OUT.relative_to(ROOT)}/ in {time.time() - t0:.0f}s (notebooks {t1 - t0:.0f}s, Sphinx {t2 - t1:.0f}s, check {time.time() - t2:.0f}s)')
    return time.time() - t0

def stale() -> bool: return not (STAMP.exists() and STAMP.read_text().split()[-1] == inputs_hash())

if __name__ == '__main__':
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('cmd', choices=['build', 'check', 'stale'])
    p.add_argument('--jobs', type=int, default=int(os.environ.get('DOCS_JOBS', 2)))
    p.add_argument('--exec', dest='mode', choices=['all', 'defs'], default=os.environ.get('DOCS_EXEC', 'all'),
                   help="all: run the notebooks (not train.ipynb, not slow/notest cells) and show their outputs; "
                        "defs: run only what the API entries need, no outputs (what nbdev itself runs; faster)")
    a = p.parse_args()
    if a.cmd == 'build': build(a.jobs, a.mode)
    elif a.cmd == 'check':
        errs = check(); [print('  BROKEN', e) for e in errs]; sys.exit(1 if errs else 0)
    else: sys.exit(1 if stale() else 0)
