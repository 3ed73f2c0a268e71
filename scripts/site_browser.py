"""Look at the published asv site as a person would: headless Chromium, no network.

Serves an html dir (``asv publish`` + ``scripts/offline_site.py``) with Python's
http.server on 127.0.0.1 (a free port, in a thread), opens pages in headless
Chromium whose every route out is closed (host names resolve to nothing except
127.0.0.1, and all other traffic goes to a proxy port on 127.0.0.1 that refuses
connections), and saves screenshots or the rendered DOM.  Used by
tests/test_offline_site.py and, as a command, to take the site screenshots::

    python scripts/site_browser.py [html_dir] [--out DIR] [--graph suite.MatVec.track_time]

writes OUT/site-index.png and OUT/site-graph.png and checks them: exit status 1 with
a message if Chromium is missing, a page shows asv's error page ("continental origin
of swallow"), or flot drew no point of the site's data on the graph page.

The graph check asks flot, not the pixels: flot draws on a canvas, and a share of
coloured pixel columns depends on the data (two equal values under a stretched axis
are a thin flat line, a real graph that counted as blank).  So the server adds a small
script to each HTML page it serves (``serve(..., probe=True)``; the files on disk are
not changed) that writes every flot plot's series, as flot holds them after its own
processing (``plot.getData()``, ``datapoints.points``), into a hidden element of the
page; ``--dump-dom`` brings them back (``flot_series``) and ``check_graph`` checks them.
"""

import argparse
import contextlib
import functools
import html
import http.server
import io
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ERROR_TEXT = "continental origin of swallow"
WINDOW = (1280, 900)
PROFILE_PREFIX = "parbench-chromium-"  # each run's temporary folder; marks its processes


class BrowserError(Exception):
    """Chromium is missing, failed, timed out, or a page is not what a person should see."""


def find_chromium():
    """Return the path of a Chromium executable on PATH, or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, no request log on stderr."""

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass


#: id of the hidden element in which the probe writes the flot series
PROBE_ID = "parbench-flot-series"

#: Writes every flot plot of the page (a placeholder holding ``data("plot")``, as flot
#: leaves it) into the hidden element, as JSON {"plots": {placeholder id: [{label,
#: points}]}} (or {"error": message}),
#: ``points`` being flot's processed ``[x, y]`` pairs (null where flot draws nothing).
#: asv draws after its JSON arrives, so the probe writes again every 100 ms; the DOM
#: dumped at the end of the virtual time budget holds the last state.
PROBE_JS = """
(function () {
  var out = document.createElement("pre");
  out.id = "__PROBE_ID__";
  out.hidden = true;
  document.body.appendChild(out);
  function series(plot) {
    var data = plot.getData(), result = [];
    for (var i = 0; i < data.length; i++) {
      var p = data[i].datapoints.points, size = data[i].datapoints.pointsize, pts = [];
      for (var j = 0; j < p.length; j += size) pts.push([p[j], p[j + 1]]);
      result.push({label: data[i].label || "", points: pts});
    }
    return result;
  }
  function plots() {
    var found = {};
    if (!window.jQuery) return found;
    window.jQuery(".flot-base").each(function (i) {
      var holder = window.jQuery(this).parent(), plot = holder.data("plot");
      if (plot) found[holder.attr("id") || "plot-" + i] = series(plot);
    });
    return found;
  }
  function write() {
    try { out.textContent = JSON.stringify({plots: plots()}); }
    catch (e) { out.textContent = JSON.stringify({error: String(e)}); }
  }
  write();
  setInterval(write, 100);
})();
""".replace("__PROBE_ID__", PROBE_ID)


def with_probe(page):
    """``page`` (HTML text) with PROBE_JS run at the end of its body."""
    script = f"<script>{PROBE_JS}</script>"
    at = page.lower().rfind("</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


class _ProbeHandler(_QuietHandler):
    """Static files; HTML pages get PROBE_JS added on the way out (files untouched)."""

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?", 1)[0].endswith("/"):
            path = path / "index.html"  # else the base class redirects to the "/" URL
        if path.suffix != ".html" or not path.is_file():
            return super().send_head()
        body = with_probe(path.read_text(encoding="utf-8")).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


@contextlib.contextmanager
def serve(html_dir, probe=False):
    """Serve ``html_dir`` on 127.0.0.1 (free port) in a thread; yield its base URL.

    With ``probe`` every HTML page carries PROBE_JS (see ``flot_series``).  The server
    is shut down and its thread joined on exit.
    """
    handler_class = _ProbeHandler if probe else _QuietHandler
    handler = functools.partial(handler_class, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextlib.contextmanager
def closed_port():
    """Yield a 127.0.0.1 port that refuses connections (bound, never listening)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
    finally:
        sock.close()


def _offline_flags(proxy_port):
    """Chromium flags that leave it no route out but 127.0.0.1."""
    return [
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{proxy_port}",
        "--proxy-bypass-list=127.0.0.1",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-domain-reliability",
        "--no-pings",
        "--no-first-run",
        "--no-default-browser-check",
    ]


def _alive_pids(marker):
    """Pids of live (not zombie) processes whose command line contains ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if marker in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


def _kill_all(proc, marker, grace=5.0):
    """Kill Chromium's process group, then any process of this run that left it.

    Chromium's crash handler starts its own session; it, like every process of the
    run, has ``marker`` (the run's temporary folder) in its command line.  Returns
    the pids still alive after ``grace`` seconds (none, normally).
    """
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    deadline = time.monotonic() + grace
    while True:
        pids = _alive_pids(marker)
        if not pids or time.monotonic() > deadline:
            return pids
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)


def _command(chrome, root, url, args, budget_ms, window, proxy_port):
    """The Chromium command line for one offline headless run."""
    return [
        chrome,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--user-data-dir={root}/profile",
        f"--window-size={window[0]},{window[1]}",
        f"--virtual-time-budget={budget_ms}",
        *_offline_flags(proxy_port),
        *args,
        url,
    ]


def run_chromium(url, args, timeout=90, budget_ms=10000, window=WINDOW):
    """Open ``url`` in offline headless Chromium with extra ``args``; return its stdout.

    Chromium runs in its own session with a throwaway profile and HOME; it and every
    process it started are killed afterwards, also on timeout.  Raises BrowserError if
    Chromium is missing, exits non-zero, runs past ``timeout`` seconds, or leaves a
    process that would not die.
    """
    chrome = find_chromium()
    if chrome is None:
        raise BrowserError("chromium is not installed (apt-get install -y chromium)")
    with tempfile.TemporaryDirectory(prefix=PROFILE_PREFIX) as root, closed_port() as port:
        env = dict(
            os.environ,
            HOME=f"{root}/home",
            XDG_CONFIG_HOME=f"{root}/home/.config",
            XDG_CACHE_HOME=f"{root}/home/.cache",
        )
        proc = subprocess.Popen(
            _command(chrome, root, url, args, budget_ms, window, port),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"chromium ran past {timeout} s on {url}") from None
        finally:
            left = _kill_all(proc, root)
    if left:
        raise BrowserError(f"chromium processes {left} would not die after {url}")
    if proc.returncode != 0:
        tail = err.decode(errors="replace")[-2000:]
        raise BrowserError(f"chromium exited {proc.returncode} on {url}: {tail}")
    return out.decode(errors="replace")


def dump_dom(url, **kwargs):
    """Return the DOM of ``url`` after its scripts ran (see run_chromium for errors)."""
    return run_chromium(url, ["--dump-dom"], **kwargs)


def screenshot(url, png, **kwargs):
    """Save a PNG of ``url`` as shown to ``png`` (see run_chromium for errors)."""
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    run_chromium(url, [f"--screenshot={png.resolve()}"], **kwargs)
    if not png.is_file() or png.stat().st_size == 0:
        raise BrowserError(f"chromium wrote no screenshot of {url} to {png}")
    return png


def drawn_fraction(png, left=0.25, top=0.1):
    """Fraction of the pixel columns right of ``left`` (of the width) that hold colour.

    A column counts if a pixel below ``top`` (of the height) in it is clearly coloured
    (channel spread > 60); text, borders and background are grey or white.  For an
    image whose content is known, such as a report figure drawn from fixed test data
    (tests/test_report_html.py).  Not the check of asv's flot graph: how many columns
    a graph colours depends on the data (a flat line under an axis stretched by one
    outlier colours almost none), so that check asks flot (``check_graph``).
    """
    import numpy as np
    from PIL import Image

    with Image.open(png) as img:
        rgb = np.asarray(img.convert("RGB"), dtype=np.int16)
    height, width, _ = rgb.shape
    region = rgb[int(top * height) :, int(left * width) :]
    coloured = (region.max(axis=2) - region.min(axis=2)) > 60
    return float(coloured.any(axis=0).mean())


#: the placeholder of asv's graph of one benchmark (graphdisplay.js; "overview" is the
#: small time-range plot under it)
MAIN_GRAPH = "main-graph"


def flot_series(dom):
    """The flot plots PROBE_JS recorded in ``dom``: {placeholder id: [{label, points}]}.

    Raises BrowserError if ``dom`` holds no record (the page was not served with
    ``probe=True``, or did not run its scripts) or the probe hit an error.
    """
    match = re.search(rf'<pre\b[^>]*\bid="{PROBE_ID}"[^>]*>(.*?)</pre>', dom, re.S)
    if match is None:
        raise BrowserError("the page holds no flot record (not served with probe=True?)")
    record = json.loads(html.unescape(match.group(1)))
    if "error" in record:
        raise BrowserError(f"the flot probe failed: {record['error']}")
    return record["plots"]


def _is_number(value):
    """A finite number: JSON's null (what flot makes of a missing value) is not."""
    return isinstance(value, (int, float)) and math.isfinite(value)


def drawn_points(series):
    """[(label, x, y)] of the points of ``series`` that flot places (x and y numbers).

    flot turns a missing or non-numeric value into a null point and draws nothing there.
    """
    return [
        (s["label"], x, y)
        for s in series
        for x, y in s["points"]
        if _is_number(x) and _is_number(y)
    ]


def site_values(html_dir, benchmark):
    """Every number in the graph files asv publish wrote for ``benchmark`` in ``html_dir``.

    A graph file (``graphs/<machine, env, branch params>/<benchmark>.json``) holds
    ``[revision, value]`` pairs, the value a list (one per parameter combination) for
    a parametrised benchmark; ``graphs/summary/`` holds means, which the page does
    not draw.
    """
    values = set()
    for path in Path(html_dir, "graphs").rglob(f"{benchmark}.json"):
        if path.parent.name == "summary":
            continue
        for _, value in json.loads(path.read_text()):
            for v in value if isinstance(value, list) else [value]:
                if _is_number(v):
                    values.add(float(v))
    return values


def check_graph(dom, url, values=None):
    """Return the points flot drew on asv's main graph in ``dom`` (see ``drawn_points``).

    Raises BrowserError if there is no main graph, it has no point, or (given
    ``values``, the numbers of the site's data: ``site_values``) a point's value is
    not one of them.  This holds for any data with a point, however flat the line.
    """
    plots = flot_series(dom)
    if MAIN_GRAPH not in plots:
        raise BrowserError(f"{url}: no flot graph (plots on the page: {sorted(plots)})")
    points = drawn_points(plots[MAIN_GRAPH])
    if not points:
        raise BrowserError(f"{url}: the graph has no point ({len(plots[MAIN_GRAPH])} series)")
    if values is not None:
        strays = [p for p in points if p[2] not in values]
        if strays:
            raise BrowserError(f"{url}: drawn values not in the site's data: {strays[:5]}")
    return points


def check_page(dom, url):
    """Raise BrowserError if the DOM of ``url`` is asv's error page or has no asv UI."""
    if ERROR_TEXT in dom:
        raise BrowserError(f"{url} shows asv's error page ({ERROR_TEXT!r})")
    if "airspeed velocity" not in dom or "navbar" not in dom:
        raise BrowserError(f"{url} does not show the asv site")


def take_site_shots(html_dir, out, graph="suite.MatVec.track_time"):
    """Screenshot the index and ``graph`` pages of ``html_dir`` into ``out``; check them.

    Returns the two PNG paths.  Raises BrowserError (with the reason) if a page shows
    the error page, or flot drew no point of ``graph``'s data on its page (``check_graph``
    with the values of the site's graph files); the screenshots are written first.
    """
    out = Path(out)
    shots, doms = {}, {}
    pages = (("index", "index.html", (1280, 1024)), ("graph", f"index.html#{graph}", (1280, 960)))
    with serve(html_dir, probe=True) as base:
        for name, page, window in pages:
            url = base + page
            doms[name] = dump_dom(url, window=window)
            check_page(doms[name], url)
            shots[name] = screenshot(url, out / f"site-{name}.png", window=window)
    check_graph(doms["graph"], f"{html_dir}: {graph}", site_values(html_dir, graph))
    return shots["index"], shots["graph"]


def main(argv=None):
    """Command line: take and check the site screenshots; exit status 1 on error."""
    parser = argparse.ArgumentParser(
        description="Serve HTML_DIR on 127.0.0.1, open it in headless Chromium with no "
        "network, and save OUT/site-index.png and OUT/site-graph.png."
    )
    parser.add_argument(
        "html_dir",
        nargs="?",
        default=str(REPO / "html"),
        help="published, offline-ready site (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="folder for the PNGs (default: plots/<this machine's name>, as"
        " `python -m measuring.machine` prints it)",
    )
    parser.add_argument(
        "--graph",
        default="suite.MatVec.track_time",
        help="benchmark whose graph page to shoot (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.out is None:
        from measuring.machine import machine_name

        args.out = str(REPO / "plots" / machine_name())
    try:
        paths = take_site_shots(args.html_dir, args.out, args.graph)
    except BrowserError as exc:
        print(f"site_browser: error: {exc}", file=sys.stderr)
        return 1
    print("site_browser: wrote " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
