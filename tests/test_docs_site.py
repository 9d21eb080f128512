"""The documentation site in headless Chromium: `_docs/` (built by `make docs`; built here if missing or stale) served on
127.0.0.1, then the README on the index page, an API entry with its signature, images, search, and every link."""
import functools, http.server, os, re, shutil, subprocess, sys, threading, time, urllib.error, urllib.request
from pathlib import Path
from urllib.parse import urljoin, urlsplit
import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / '_docs'
INSTALL = 'Chromium is needed for the docs browser test: `apt-get install -y chromium chromium-driver` (Debian/Ubuntu), then `make test`'
CHROME, DRIVER = shutil.which('chromium') or shutil.which('chromium-browser'), shutil.which('chromedriver')

def _docs_tool(*args, check=True):
    return subprocess.run([sys.executable, str(ROOT / 'tools' / 'docs.py'), *args], cwd=ROOT, check=check,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))

@pytest.fixture(scope='module')
def site():
    "The URL of the built site, served from _docs/ on a free local port."
    # a missing or stale site is built here without cell outputs (DOCS_EXEC=defs, ~1.5 min from nothing, seconds from
    # _proc's cache); `make docs` builds it with them
    if _docs_tool('stale', check=False).returncode: _docs_tool('build', '--exec', os.environ.get('DOCS_EXEC', 'defs'))
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a): pass
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(Quiet, directory=str(DOCS)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{srv.server_port}/'
    srv.shutdown()

@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    if not (CHROME and DRIVER): pytest.skip(INSTALL)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    o.binary_location = CHROME
    for a in ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
              '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--window-size=1400,1000',
              f'--user-data-dir={tmp_path_factory.mktemp("chromium-profile")}'):
        o.add_argument(a)
    d = webdriver.Chrome(service=Service(DRIVER), options=o)
    d.set_page_load_timeout(60)
    yield d
    d.quit()

def _text(d): return d.find_element('tag name', 'body').text

def _wait(cond, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        if r := cond(): return r
        time.sleep(0.2)
    return cond()

def _broken_images(d) -> list[str]:
    _wait(lambda: d.execute_script("return [...document.images].every(i => i.complete)"))
    return d.execute_script("return [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")

def _status(url) -> int:
    try: return urllib.request.urlopen(url, timeout=30).status
    except urllib.error.HTTPError as e: return e.code

def test_index_renders_readme(site, browser, tmp_path):
    browser.get(site)
    text = _text(browser)
    readme = (ROOT / 'README.md').read_text()
    heads = re.findall(r'^## (.+)$', readme, flags=re.M)
    assert heads and all(h.strip() in text for h in heads), [h for h in heads if h.strip() not in text]
    first = re.search(r'^rrlib synthesises .*$', readme, flags=re.M) or re.search(r'^[A-Za-z].{40,}$', readme, flags=re.M)
    assert ' '.join(first.group(0).split()[:6]) in ' '.join(text.split())
    assert not _broken_images(browser)
    browser.save_screenshot(str(tmp_path / 'index.png'))
    print('screenshot', tmp_path / 'index.png')

def test_api_entry_with_signature(site, browser, tmp_path):
    browser.get(urljoin(site, '10_degradations/degradations.html#degrade'))
    assert browser.find_elements('id', 'degrade'), 'no anchor #degrade (the _modidx link of rrlib.degradations.degrade)'
    text = _text(browser)
    assert 'def degrade(' in text and "preset:str='realesrgan-x4plus'" in text and 'record' in text
    src = [a.get_attribute('href') for a in browser.find_elements('css selector', 'a.api-source')]
    assert any(re.search(r'/blob/main/rrlib/degradations/__init__\.py#L\d+$', s) for s in src), src
    assert not _broken_images(browser)
    browser.save_screenshot(str(tmp_path / 'degradations.png'))
    print('screenshot', tmp_path / 'degradations.png')

def test_search_finds_degrade(site, browser):
    browser.get(site)
    box = browser.find_element('css selector', 'input[name="q"]')
    box.send_keys('degrade'); box.submit()
    hits = _wait(lambda: [a.get_attribute('href') for a in browser.find_elements('css selector', '#search-results a')])
    assert any('10_degradations/degradations.html' in h for h in hits), hits

def test_every_link_from_index_and_images(site, browser):
    "Every link of the index page (sidebar: every page) answers, and every image of those pages loads."
    browser.get(site)
    links = {a.get_attribute('href') for a in browser.find_elements('css selector', 'a[href]')}
    internal = sorted({l.split('#')[0] for l in links if l.startswith(site)})
    assert len(internal) > 20, internal
    bad = [u for u in internal if _status(u) != 200]
    assert not bad, f'not found: {bad}'
    broken = {}
    for u in internal:
        if not u.endswith('.html'): continue
        browser.get(u)
        if b := _broken_images(browser): broken[u] = b
        assert 'Page not found' not in browser.title
    assert not broken, broken

def test_link_check():
    "The build's own check: links inside the site, the module docstrings' Docs: URLs, _modidx, README, source lines."
    _docs_tool('check')

def test_link_check_catches_breakage(site, tmp_path):
    "The check fails on a link to a missing page, a missing anchor and an image fetched from another host."
    sys.path.insert(0, str(ROOT / 'tools'))
    import docs
    out = tmp_path / 'site'
    shutil.copytree(DOCS, out)
    page = out / '10_degradations' / 'degradations.html'
    page.write_text(page.read_text().replace('</body>', '<a href="nowhere.html">x</a><a href="noise.html#no-such-anchor">y</a>'
                                                        '<img src="https://cdn.example.com/x.png"></body>'))
    errors = docs.check(out)
    assert any('nowhere.html does not exist' in e for e in errors), errors
    assert any('no anchor #no-such-anchor' in e for e in errors), errors
    assert any('from another host' in e for e in errors), errors
