"""The asv site works with no network: scripts/offline_site.py, seen in headless Chromium.

A site is published (``asv publish`` into a temporary folder) from a few committed
results, made self-contained with ``scripts/offline_site.py``, served from 127.0.0.1
and opened in headless Chromium that has no route out (scripts/site_browser.py).  The
checks are what a person would see: the benchmark names on the index page, no asv
error page, and a drawn flot graph on a benchmark's graph page.  The browser tests
skip, with the reason, where Chromium is not installed (``apt-get install chromium``).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asv import util as asv_util

from .report_data import load_script, needs_chromium, site_browser

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(300)


offline_site = load_script("offline_site")


def _results_subset(dest, count=3):
    """Copy benchmarks.json, one machine's machine.json and its newest ``count`` results."""
    conf = asv_util.load_json(REPO / "asv.conf.json", js_comments=True)
    results = REPO / conf.get("results_dir", "results")
    machine = next(d for d in sorted(results.iterdir()) if (d / "machine.json").is_file())
    runs = [p for p in machine.glob("*.json") if p.name != "machine.json"]
    runs.sort(key=lambda p: json.loads(p.read_text())["date"])
    # one environment's runs only: asv draws one line per environment, and a line
    # needs two commits of the same one; the newest environment with two or more
    # (a new dependency makes a new environment, with one run at first)
    envs = [json.loads(p.read_text())["env_name"] for p in runs]
    env = next((e for e in reversed(envs) if envs.count(e) >= 2), envs[-1])
    runs = [p for p, e in zip(runs, envs) if e == env]
    assert len(runs) >= 2, f"need two committed results of one env in {machine} for a graph"
    (dest / machine.name).mkdir(parents=True)
    shutil.copy(results / "benchmarks.json", dest)
    for path in [machine / "machine.json", *runs[-count:]]:
        shutil.copy(path, dest / machine.name)
    return dest


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A site as `asv publish` writes it (CDN links), from a few committed results."""
    root = tmp_path_factory.mktemp("site")
    results = _results_subset(root / "results")
    conf = {
        "version": 1,
        "project": "parbench",
        "repo": str(REPO),
        "branches": ["HEAD"],
        "results_dir": str(results),
        "html_dir": str(root / "html"),
    }
    (root / "asv.conf.json").write_text(json.dumps(conf))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "asv",
            "publish",
            "--no-pull",
            "--config",
            str(root / "asv.conf.json"),
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root / "html"


def _copy_site(published, dest):
    """Copy a site folder to ``dest`` (each test changes its own copy)."""
    shutil.copytree(published, dest)
    return dest


def _offline(html_dir):
    """Run the command line on ``html_dir``; return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "offline_site.py"), str(html_dir)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def offline(published, tmp_path_factory):
    """The published site after scripts/offline_site.py."""
    html = _copy_site(published, tmp_path_factory.mktemp("offline") / "html")
    proc = _offline(html)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return html


def _benchmark_names(html_dir):
    """The benchmark names the published site knows (its index.json)."""
    return sorted(json.loads((html_dir / "index.json").read_text())["benchmarks"])


def test_asv_pages_load_only_known_cdn_urls(published):
    """Every remote URL asv's pages load has a local file (else asv changed: see README)."""
    urls = {u for p in published.rglob("*.html") for u in offline_site.remote_urls(p.read_text())}
    assert urls, "asv publish wrote no CDN link: offline_site.py may no longer be needed"
    assert urls <= set(offline_site.CDN_TO_LOCAL)


def test_offline_pages_load_only_local_files(offline):
    for page in offline.rglob("*.html"):
        text = page.read_text()
        assert offline_site.remote_urls(text) == [], page
        assert "integrity=" not in text and "crossorigin" not in text, page
    index = (offline / "index.html").read_text()
    for name in set(offline_site.CDN_TO_LOCAL.values()):
        assert f'"vendor/{name}"' in index
        assert (offline / "vendor" / name).read_bytes() == (
            offline_site.VENDOR_SRC / name
        ).read_bytes()


def test_second_run_changes_nothing(offline, tmp_path):
    html = _copy_site(offline, tmp_path / "html")
    before = {p: p.read_bytes() for p in html.rglob("*") if p.is_file()}
    proc = _offline(html)
    assert proc.returncode == 0, proc.stderr
    assert "already local" in proc.stdout
    assert {p: p.read_bytes() for p in html.rglob("*") if p.is_file()} == before


def test_unknown_cdn_url_fails_and_writes_nothing(published, tmp_path):
    html = _copy_site(published, tmp_path / "html")
    url = "https://cdn.example.invalid/lib-9.9.js"
    page = html / "index.html"
    page.write_text(page.read_text().replace("</head>", f'<script src="{url}"></script></head>'))
    before = page.read_text()
    proc = _offline(html)
    assert proc.returncode == 1
    assert url in proc.stderr and "no local file" in proc.stderr
    assert page.read_text() == before and not (html / "vendor").exists()


def test_missing_or_altered_vendor_file_fails(published, tmp_path):
    html = _copy_site(published, tmp_path / "html")
    src = shutil.copytree(offline_site.VENDOR_SRC, tmp_path / "vendor")
    (src / "md5.js").unlink()
    (src / "stupidtable.js").write_text("/* not the real file */")
    with pytest.raises(offline_site.OfflineSiteError, match="md5.js is missing") as err:
        offline_site.make_offline(html, src=src)
    assert "stupidtable.js has sha256" in str(err.value)
    assert "vendor/" not in (html / "index.html").read_text()


def test_no_site_fails_with_reason(tmp_path):
    proc = _offline(tmp_path / "nothing")
    assert proc.returncode == 1 and "asv publish" in proc.stderr


def test_help():
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "offline_site.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0 and "html_dir" in proc.stdout


@needs_chromium
def test_cdn_site_shows_error_page_offline(published):
    """Control: without the offline step this browser sees asv's error page."""
    with site_browser.serve(published) as base:
        dom = site_browser.dump_dom(base + "index.html")
    assert site_browser.ERROR_TEXT in dom


@needs_chromium
def test_index_page_lists_benchmarks(offline):
    with site_browser.serve(offline) as base:
        dom = site_browser.dump_dom(base + "index.html")
    site_browser.check_page(dom, "index.html")
    names = _benchmark_names(offline)
    assert names
    missing = [n for n in names if n.split(".", 1)[1] not in dom]
    assert not missing, f"benchmark names not on the index page: {missing}"


@needs_chromium
def test_graph_page_draws_graph(offline, tmp_path):
    names = _benchmark_names(offline)
    graph = "suite.MatVec.track_time" if "suite.MatVec.track_time" in names else names[0]
    with site_browser.serve(offline) as base:
        url = f"{base}index.html#{graph}"
        dom = site_browser.dump_dom(url)
        png = site_browser.screenshot(url, tmp_path / "graph.png")
    site_browser.check_page(dom, url)
    assert 'class="flot-base"' in dom, "no flot canvas on the graph page"
    fraction = site_browser.drawn_fraction(png)
    assert fraction > 0.3, f"graph region mostly blank: {fraction:.0%} of columns drawn"


@needs_chromium
def test_blank_page_counts_as_not_drawn(tmp_path):
    """The pixel check itself: a page with no graph scores near 0."""
    (tmp_path / "index.html").write_text("<html><body><h1>no graph here</h1></body></html>")
    with site_browser.serve(tmp_path) as base:
        png = site_browser.screenshot(base + "index.html", tmp_path / "blank.png")
    assert site_browser.drawn_fraction(png) < 0.05


@needs_chromium
def test_hung_page_times_out_and_leaves_no_process(monkeypatch):
    """A page that never answers: BrowserError after the timeout, every process gone."""
    marker = f"parbench-chromium-test{os.getpid()}-"
    monkeypatch.setattr(site_browser, "PROFILE_PREFIX", marker)
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        start = time.monotonic()
        with pytest.raises(site_browser.BrowserError, match="ran past 3 s"):
            site_browser.dump_dom(url, timeout=3, budget_ms=60000)
    assert time.monotonic() - start < 30
    assert site_browser._alive_pids(marker) == []


def test_server_binds_loopback_and_stops(tmp_path):
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no env proxy
    (tmp_path / "index.html").write_text("ok")
    with site_browser.serve(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:")
        assert opener.open(base + "index.html", timeout=10).read() == b"ok"
    with pytest.raises(OSError):
        opener.open(base + "index.html", timeout=5)
