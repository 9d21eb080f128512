"""The pinned environment of `make setup`: `constraints.txt` holds the exact version of every package that the tests passed with.

    python tools/lock.py write constraints.txt   # freeze the current environment into the lock (`make upgrade` does this)
    python tools/lock.py check constraints.txt   # fail if an installed package differs from its pinned version
"""
import re, subprocess, sys
from importlib import metadata
from pathlib import Path

HEADER = """# The lock of rrlib's test environment: `make setup` installs exactly these versions (pip -c constraints.txt).
# Written by `make upgrade` (fresh venv, newest versions that pyproject.toml allows, then `make test`); do not edit by hand.
# Python {py}, {platform}.
"""

def _norm(name): return re.sub(r'[-_.]+', '-', name).lower()

def pins(path):
    "{package: version} of a lock file."
    out = {}
    for line in Path(path).read_text().splitlines():
        line = line.split('#')[0].strip()
        if line: name, _, version = line.partition('=='); out[_norm(name)] = version.strip()
    return out

def installed():
    "{package: version} of the running environment, without rrlib itself."
    return {_norm(d.metadata['Name']): d.version for d in metadata.distributions() if _norm(d.metadata['Name']) != 'rrlib'}

def write(path):
    import platform
    freeze = subprocess.run([sys.executable, '-m', 'pip', 'freeze', '--all', '--exclude-editable'], capture_output=True, text=True, check=True).stdout
    lines = sorted((l for l in freeze.splitlines() if '==' in l and not l.lower().startswith('rrlib==')), key=str.lower)
    Path(path).write_text(HEADER.format(py=platform.python_version(), platform=platform.machine()) + '\n'.join(lines) + '\n')
    print(f"{path}: {len(lines)} pinned packages")

def check(path):
    want, have = pins(path), installed()
    wrong = {k: (v, have[k]) for k, v in want.items() if k in have and have[k] != v}
    missing = sorted(k for k in want if k not in have)  # e.g. CUDA wheels on a platform where torch needs none
    for k, (v, h) in sorted(wrong.items()): print(f"  {k}: lock {v}, installed {h}")
    if wrong: sys.exit(f"{len(wrong)} package(s) differ from {path}: run `make setup` again, or `make upgrade` to move the lock")
    print(f"environment matches {path}: {len(want) - len(missing)} pinned packages installed"
          + (f", {len(missing)} not needed here ({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''})" if missing else ''))

if __name__ == '__main__':
    cmd, path = sys.argv[1:3]
    {'write': write, 'check': check}[cmd](path)
