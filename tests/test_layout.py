"""The shape of the project: notebooks in stage folders named after their modules, no import cycles among rrlib's modules,
no module importing from a later stage of the data flow, and classes defined whole (no `Cls.attr = fn`)."""
import ast, json, re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG, NBS = ROOT / 'rrlib', ROOT / 'nbs'
# the data flow, in order; a module may import from its own stage or an earlier one
STAGE_OF = {'core': 0, 'io': 0, 'resize': 0, 'degradations': 1, 'data': 2, 'priors': 3, 'training': 4, 'sampling': 5,
            'methods': 6, 'evaluation': 7, 'recipes': 8, 'cli': 9, '__init__': 9, '__main__': 9, '_modidx': 9}

def module_name(path:Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix('').parts)
    if parts[-1] == '__init__': parts = parts[:-1]
    return '.'.join(parts)

def modules() -> dict:
    return {module_name(p): p for p in PKG.rglob('*.py')}

def imports_of(name:str, path:Path, known:set) -> set:
    "Every rrlib module that `name` imports, at the top or inside a function (relative imports resolved)."
    is_pkg = path.name == '__init__.py'
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import): targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split('.') if is_pkg else name.split('.')[:-1]
                base = base[:len(base) - (node.level - 1)]
                mod = '.'.join(base + ([node.module] if node.module else []))
            else: mod = node.module or ''
            targets = [mod] + [f'{mod}.{a.name}' for a in node.names]
        else: continue
        for t in targets:
            while t and t not in known: t = t.rpartition('.')[0]
            if t and t != name and t.startswith('rrlib'): out.add(t)
    return out

def graph() -> dict:
    mods = modules()
    return {n: imports_of(n, p, set(mods)) for n, p in mods.items()}

def stage(name:str) -> int:
    parts = name.split('.')
    return STAGE_OF['__init__'] if len(parts) == 1 else STAGE_OF[parts[1]]

def find_cycle(g:dict) -> list|None:
    "One import cycle in `g` (a list of modules), or None."
    WHITE, GREY, BLACK = 0, 1, 2
    colour, stack = {n: WHITE for n in g}, []
    def visit(n):
        colour[n] = GREY; stack.append(n)
        for m in sorted(g[n]):
            if m == n or m not in g: continue
            if colour[m] == GREY: return stack[stack.index(m):] + [m]
            if colour[m] == WHITE and (c := visit(m)): return c
        colour[n] = BLACK; stack.pop()
    for n in sorted(g):
        if colour[n] == WHITE and (c := visit(n)): return c

def package_parents(name:str) -> set:
    "A module's parent packages: importing `rrlib.a.b` runs `rrlib/a/__init__.py`, which is not a dependency edge we draw."
    parts = name.split('.')
    return {'.'.join(parts[:i]) for i in range(1, len(parts))}

def test_the_walk_sees_imports():
    g = graph()
    assert 'rrlib.core' in g['rrlib.methods.fluxir'] and 'rrlib.sampling.samplers' in g['rrlib.methods.fluxir']
    assert find_cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a'] and find_cycle({'a': {'b'}, 'b': set()}) is None

def test_no_import_cycles():
    g = {n: {m for m in deps if m not in package_parents(n)} for n, deps in graph().items()}
    assert find_cycle(g) is None, f"import cycle: {' -> '.join(find_cycle(g))}"

def test_no_import_from_a_later_stage():
    bad = [(n, m) for n, deps in graph().items() for m in deps if n != 'rrlib' and stage(m) > stage(n)]
    assert not bad, "modules importing from a later stage of the data flow: " + ', '.join(f'{n} -> {m}' for n, m in sorted(bad))

def test_no_attribute_assigned_functions():
    "Methods are defined in their class or with fastcore's @patch, never attached as `SomeClass.attr = function`."
    bad = []
    for p in PKG.rglob('*.py'):
        tree = ast.parse(p.read_text())
        funcs = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
        for node in tree.body:
            if not isinstance(node, ast.Assign): continue
            targets = [t for tt in node.targets for t in (tt.elts if isinstance(tt, ast.Tuple) else [tt])]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for t, v in zip(targets, values):
                if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and (
                        isinstance(v, ast.Lambda) or isinstance(v, ast.Name) and v.id in funcs):
                    bad.append(f"{p.relative_to(ROOT)}:{node.lineno} {t.value.id}.{t.attr}")
    assert not bad, "functions attached to classes after the fact: " + ', '.join(bad)

def _default_exp(nb:Path) -> str|None:
    for c in json.loads(nb.read_text())['cells']:
        m = re.search(r'^#\| default_exp (\S+)', ''.join(c['source']), re.M)
        if c['cell_type'] == 'code' and m: return m.group(1)

def test_notebook_layout():
    "Stage folders numbered in data-flow order; in each, numbers used once and every library notebook named after its module."
    folders = sorted(p for p in NBS.iterdir() if p.is_dir() and re.match(r'\d\d_', p.name))
    assert [f.name for f in folders][:3] == ['00_foundations', '10_degradations', '20_data']
    assert not list(NBS.glob('[0-9]*.ipynb')), "numbered notebooks belong in a stage folder"
    for f in folders:
        nbs = sorted(f.glob('*.ipynb'))
        nums = Counter(n.name.split('_')[0] for n in nbs)
        assert all(re.fullmatch(r'\d\d', k) for k in nums) and max(nums.values()) == 1, f"{f.name}: numbers {dict(nums)}"
        for n in nbs:
            mod = _default_exp(n)
            assert mod, f"{n.relative_to(ROOT)} exports nothing: runnable notebooks live outside the stage folders"
            parts = mod.split('.')
            name = (parts[-2] if len(parts) > 1 else 'rrlib') if parts[-1] == '__init__' else parts[-1]
            assert n.stem.split('_', 1)[1] == name, f"{n.relative_to(ROOT)} exports rrlib.{mod}: name it after its module"
