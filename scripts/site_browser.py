"""Look at the published asv site as a person would: headless Chromium, no network.

Serves an html dir (``asv publish`` + ``scripts/offline_site.py``) with Python's
http.server on 127.0.0.1 (a free port, in a thread), opens pages in headless
Chromium whose every route out is closed (host names resolve to nothing except
127.0.0.1, and all other traffic goes to a proxy port on 127.0.0.1 that refuses
connections), and saves screenshots or the rendered DOM.  Used by
tests/test_offline_site.py and, as a command, to take the site screenshots::

    python scripts/site_browser.py [html_dir] [--out plots/vm] [--graph suite.MatVec.track_time]

writes OUT/site-index.png and OUT/site-graph.png and checks them: exit status 1 with
a message if Chromium is missing, a page shows asv's error page ("continental origin
of swallow"), or the graph page has no drawn graph.
"""

import argparse
import contextlib
import functools
import http.server
import os
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


@contextlib.contextmanager
def serve(html_dir):
    """Serve ``html_dir`` on 127.0.0.1 (free port) in a thread; yield its base URL.

    The server is shut down and its thread joined on exit.
    """
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
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
    (channel spread > 60), as flot's series lines are; text, borders and background
    are grey or white.  A drawn graph across several commits covers most columns; a
    blank page or asv's error page gives 0.
    """
    import numpy as np
    from PIL import Image

    with Image.open(png) as img:
        rgb = np.asarray(img.convert("RGB"), dtype=np.int16)
    height, width, _ = rgb.shape
    region = rgb[int(top * height) :, int(left * width) :]
    coloured = (region.max(axis=2) - region.min(axis=2)) > 60
    return float(coloured.any(axis=0).mean())


def check_page(dom, url):
    """Raise BrowserError if the DOM of ``url`` is asv's error page or has no asv UI."""
    if ERROR_TEXT in dom:
        raise BrowserError(f"{url} shows asv's error page ({ERROR_TEXT!r})")
    if "airspeed velocity" not in dom or "navbar" not in dom:
        raise BrowserError(f"{url} does not show the asv site")


def take_site_shots(html_dir, out, graph="suite.MatVec.track_time"):
    """Screenshot the index and ``graph`` pages of ``html_dir`` into ``out``; check them.

    Returns the two PNG paths.  Raises BrowserError (with the reason) if a page shows
    the error page or the graph page's plot area holds no drawn lines.
    """
    out = Path(out)
    shots = {}
    pages = (("index", "index.html", (1280, 1024)), ("graph", f"index.html#{graph}", (1280, 960)))
    with serve(html_dir) as base:
        for name, page, window in pages:
            url = base + page
            check_page(dump_dom(url, window=window), url)
            shots[name] = screenshot(url, out / f"site-{name}.png", window=window)
    fraction = drawn_fraction(shots["graph"])
    if fraction < 0.3:
        raise BrowserError(f"{shots['graph']}: no drawn graph ({fraction:.0%} of columns)")
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
        default=str(REPO / "plots" / "vm"),
        help="folder for the PNGs (default: %(default)s)",
    )
    parser.add_argument(
        "--graph",
        default="suite.MatVec.track_time",
        help="benchmark whose graph page to shoot (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        paths = take_site_shots(args.html_dir, args.out, args.graph)
    except BrowserError as exc:
        print(f"site_browser: error: {exc}", file=sys.stderr)
        return 1
    print("site_browser: wrote " + ", ".join(str(p) for p in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
