"""The asv site works with no network: scripts/offline_site.py, seen in headless Chromium.

A site is published (``asv publish`` into a temporary folder) from fixed test data
(tests/data/site/, never results/: a test must not change with the runs that lie
there), made self-contained with ``scripts/offline_site.py``, served from 127.0.0.1
and opened in headless Chromium that has no route out (scripts/site_browser.py).  The
checks are what a person would see: the benchmark names on the index page, no asv
error page, and on a benchmark's graph page the data's known values among the points
flot drew (asked of flot, not counted in pixels).  The browser tests skip, with the
reason, where Chromium is not installed (``apt-get install chromium``).
"""

import html
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .report_data import check_png, load_script, needs_chromium, site_browser

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(300)


offline_site = load_script("offline_site")


DATA = REPO / "tests" / "data" / "site"
MACHINE = "sitebox"
#: the two commits of the throwaway repository, oldest first (the runs' days)
COMMIT_DATES = ("2024-01-01T12:00:00+00:00", "2024-01-02T12:00:00+00:00")


def _data_runs():
    """The run files of DATA, oldest first, as dicts."""
    runs = [json.loads(p.read_text()) for p in (DATA / MACHINE).glob("*.json")]
    runs = [r for r in runs if "commit_hash" in r]
    return sorted(runs, key=lambda r: r["date"])


def _git(repo, *args, date=None):
    """Run git in ``repo`` with no user or system configuration; return its stdout."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "parbench",
        "GIT_AUTHOR_EMAIL": "parbench@example.invalid",
        "GIT_COMMITTER_NAME": "parbench",
        "GIT_COMMITTER_EMAIL": "parbench@example.invalid",
    }
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    proc = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _make_repo(path):
    """A git repository of two commits (COMMIT_DATES) for ``asv publish``; their hashes.

    asv publish places each run at its commit in the "repo" history (branches
    ["HEAD"]) and drops runs whose commit is not there.  A throwaway repository rather
    than this checkout: this one's commits are missing from a shallow clone or a copy
    without .git, and its history is not ours to rely on; this one has the same two
    commits everywhere, and commits added to main cannot change it.
    """
    path.mkdir()
    _git(path, "init", "-q")
    for i, date in enumerate(COMMIT_DATES):
        (path / "README").write_text(f"run {i}\n")
        _git(path, "add", "README")
        _git(path, "commit", "-q", "-m", f"commit {i}", date=date)
    return _git(path, "rev-list", "--reverse", "HEAD").split()


def _write_results(dest, commits):
    """DATA as an asv results folder at ``dest``, the runs at ``commits`` (oldest first).

    Each run's commit_hash is set from the repository made here (the data's own hashes
    are what git gives today; a SHA-256 git would give others).
    """
    (dest / MACHINE).mkdir(parents=True)
    shutil.copy(DATA / "benchmarks.json", dest)
    shutil.copy(DATA / MACHINE / "machine.json", dest / MACHINE)
    for run, commit in zip(_data_runs(), commits):
        run["commit_hash"] = commit
        name = f"{commit[:8]}-{run['env_name']}.json"
        (dest / MACHINE / name).write_text(json.dumps(run))
    return dest


def _expected_lines(benchmark):
    """The lines the graph of ``benchmark`` must show: one tuple of values (oldest run
    first) per parameter combination, sorted (asv's line labels are not compared)."""
    runs = _data_runs()
    params = runs[0]["results"][benchmark][1]
    count = len(list(itertools.product(*params)))
    lines = [tuple(run["results"][benchmark][0][i] for run in runs) for i in range(count)]
    return sorted(lines)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A site as `asv publish` writes it (CDN links), from the fixed data in DATA."""
    root = tmp_path_factory.mktemp("site")
    commits = _make_repo(root / "repo")
    results = _write_results(root / "results", commits)
    conf = {
        "version": 1,
        "project": "parbench",
        "repo": str(root / "repo"),
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


def test_site_holds_only_the_fixed_data(published):
    """The site's benchmarks, machine and commits are DATA's (results/ is not read)."""
    meta = json.loads((DATA / "benchmarks.json").read_text())
    assert _benchmark_names(published) == sorted(k for k in meta if k != "version")
    index = json.loads((published / "index.json").read_text())
    assert index["params"]["machine"] == [MACHINE]
    assert len(index["revision_to_hash"]) == len(_data_runs()) == 2


def _probe_dom(plots):
    """A dumped DOM holding PROBE_JS's record of ``plots``, escaped as Chromium writes it."""
    text = html.escape(json.dumps({"plots": plots}), quote=False)
    return f'<html><body><pre id="{site_browser.PROBE_ID}" hidden="">{text}</pre></body></html>'


def _graph(*lines):
    """Probe record of a main graph with one series per ``lines`` entry (y values)."""
    series = [{"label": f"l{i}", "points": list(enumerate(ys))} for i, ys in enumerate(lines)]
    return {site_browser.MAIN_GRAPH: series, "overview": series}


def test_check_graph_passes_any_drawn_point():
    """A flat line, and a line with one point left, pass: points count, not pixels."""
    flat = _probe_dom(_graph([30.0, 30.0]))
    assert site_browser.check_graph(flat, "flat", {30.0}) == [("l0", 0, 30.0), ("l0", 1, 30.0)]
    one = _probe_dom(_graph([None, 2e-6], [None, None]))
    assert site_browser.check_graph(one, "one") == [("l0", 1, 2e-6)]


@pytest.mark.parametrize(
    "dom, reason",
    [
        ("<html><body>no probe</body></html>", "holds no flot record"),
        (_probe_dom({}), "no flot graph"),
        (_probe_dom({"overview": _graph([1.0])["overview"]}), "no flot graph"),
        (_probe_dom(_graph()), "the graph has no point"),
        (_probe_dom(_graph([None, None], [])), "the graph has no point"),
    ],
    ids=["no-record", "no-plot", "overview-only", "no-series", "null-points"],
)
def test_check_graph_fails_without_points(dom, reason):
    with pytest.raises(site_browser.BrowserError, match=reason):
        site_browser.check_graph(dom, "page")


def test_check_graph_fails_on_values_not_in_the_data():
    with pytest.raises(site_browser.BrowserError, match="not in the site's data"):
        site_browser.check_graph(_probe_dom(_graph([1.0, 2.0])), "page", {1.0})


def test_site_values_are_the_graph_files_values(offline):
    """What check_graph compares with in the main job: the published graph files."""
    runs = _data_runs()
    for name in _benchmark_names(offline):
        expected = {v for run in runs for v in run["results"][name][0]}
        assert site_browser.site_values(offline, name) == expected, name


def test_probe_server_changes_pages_only_on_the_way_out(offline, tmp_path):
    """serve(probe=True) adds PROBE_JS to HTML pages it sends; files and JSON unchanged."""
    import urllib.request

    site = _copy_site(offline, tmp_path / "html")
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no env proxy
    with site_browser.serve(site, probe=True) as base:
        page = opener.open(base + "index.html", timeout=10).read().decode()
        data = opener.open(base + "index.json", timeout=10).read()
    assert page == site_browser.with_probe((site / "index.html").read_text())
    assert page.count(site_browser.PROBE_ID) == 1 and page.rstrip().endswith("</html>")
    assert data == (site / "index.json").read_bytes()
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


@needs_chromium
def test_cdn_site_shows_error_page_offline(published):
    """Control: without the offline step this browser sees asv's error page, no graph."""
    with site_browser.serve(published, probe=True) as base:
        url = f"{base}index.html#suite.MatVec.track_time"
        dom = site_browser.dump_dom(url)
    assert site_browser.ERROR_TEXT in dom
    with pytest.raises(site_browser.BrowserError, match="no flot graph"):
        site_browser.check_graph(dom, url)


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
@pytest.mark.parametrize("benchmark", ["suite.MatVec.track_time", "roof.MemoryRoof.track_read"])
def test_graph_page_draws_the_data(offline, benchmark):
    """flot holds every line of the data with its known values, oldest commit first:
    a parametrised benchmark (a line per combination) and a flat unparametrised one."""
    with site_browser.serve(offline, probe=True) as base:
        url = f"{base}index.html#{benchmark}"
        dom = site_browser.dump_dom(url)
    site_browser.check_page(dom, url)
    points = site_browser.check_graph(dom, url, site_browser.site_values(offline, benchmark))
    lines = {}
    for label, x, y in points:
        lines.setdefault(label, []).append((x, y))
    for line in lines.values():
        xs = [x for x, _ in line]
        assert xs == sorted(set(xs)) and len(xs) == 2, line
    drawn = sorted(tuple(y for _, y in line) for line in lines.values())
    assert drawn == _expected_lines(benchmark)


@needs_chromium
def test_take_site_shots_checks_and_saves(offline, tmp_path):
    """The main job's step (scripts/run-all.sh): two PNGs, the graph checked by its data."""
    index, graph = site_browser.take_site_shots(offline, tmp_path / "plots")
    assert (index.name, graph.name) == ("site-index.png", "site-graph.png")
    check_png(index)
    check_png(graph)


def _blank_values(site, benchmark):
    """Replace every value of ``benchmark`` in the site's graph files with null (as asv
    writes a failed or skipped case): the page has a graph with nothing to draw."""
    for path in (site / "graphs").rglob(f"{benchmark}.json"):
        rows = json.loads(path.read_text())
        blank = [[rev, [None] * len(v) if isinstance(v, list) else None] for rev, v in rows]
        path.write_text(json.dumps(blank))


@needs_chromium
def test_graph_without_points_fails_the_check(offline, tmp_path):
    """The check can fail: the same site with the graph's values blanked fails it in the
    main job's step, which still saves the screenshots."""
    site = _copy_site(offline, tmp_path / "html")
    _blank_values(site, "suite.MatVec.track_time")
    assert site_browser.site_values(site, "suite.MatVec.track_time") == set()
    with pytest.raises(site_browser.BrowserError, match="the graph has no point"):
        site_browser.take_site_shots(site, tmp_path / "plots")
    check_png(tmp_path / "plots" / "site-graph.png")


@needs_chromium
def test_page_without_graph_fails_the_check(tmp_path):
    """A page with no flot plot (blank, or asv's error page) fails the check."""
    (tmp_path / "index.html").write_text("<html><body><h1>no graph here</h1></body></html>")
    with site_browser.serve(tmp_path, probe=True) as base:
        dom = site_browser.dump_dom(base + "index.html")
    with pytest.raises(site_browser.BrowserError, match="no flot graph"):
        site_browser.check_graph(dom, "blank page")


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
