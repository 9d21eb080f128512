"""Sphinx configuration of the rrlib site; `python tools/docs.py build` (`make docs`) runs Sphinx on `_proc/src`."""
import tomllib
from pathlib import Path

_nbdev = tomllib.loads((Path(__file__).resolve().parents[1] / 'pyproject.toml').read_text())['tool']['nbdev']
project = 'rrlib'
author = 'rrlib maintainers'
copyright = 'rrlib maintainers, Apache-2.0'
extensions = ['myst_nb']
root_doc = 'index'
exclude_patterns = ['_figures/*.md', '**/.ipynb_checkpoints']

# the notebooks arrive processed and executed (tools/docs.py): myst-nb only renders them
nb_execution_mode = 'off'
nb_ipywidgets_js = {}            # no widget JS from a CDN: widget outputs are reduced to their text beforehand
nb_merge_streams = True
myst_enable_extensions = ['colon_fence', 'html_image', 'strikethrough']
myst_heading_anchors = 0
suppress_warnings = ['myst.header']   # a notebook's own heading levels (H1 -> H3) are its author's choice

# every other warning fails the build (sphinx-build -W --keep-going); unresolved references are warnings
nitpicky = True

html_theme = 'furo'
html_title = 'rrlib'
html_baseurl = f"{_nbdev.get('doc_host', 'https://rrlib.github.io').rstrip('/')}{_nbdev.get('doc_baseurl', '/rrlib').rstrip('/')}/"
html_static_path = ['_static']
html_css_files = ['rrlib.css']
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
# no furo edit button: it would name the page's processed file, not its notebook (pages drop the number prefix)
html_theme_options = {'navigation_with_keys': True, 'top_of_page_buttons': []}
