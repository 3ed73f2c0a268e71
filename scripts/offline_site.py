"""Make an ``asv publish`` site (html/) work with no network.

asv 0.6 writes an index.html that loads jQuery, flot (and plugins), stupidtable,
blueimp-md5 and Bootstrap 3 from public CDNs; offline, a browser shows only asv's
error page ("Can not determine continental origin of swallow").  This module copies
the libraries committed in ``scripts/asv_vendor/`` (taken unmodified from the asv
0.5.1 source release, which still vendored them; see its README.md) into
``<html_dir>/vendor/`` and points every CDN ``<script>``/``<link>`` of the published
html files at those copies, dropping their ``integrity`` and ``crossorigin``
attributes (the local files are not byte-identical to the CDN builds, so the SRI
hashes would reject them).

Usage, after ``asv publish``::

    python scripts/offline_site.py [html_dir]      # default: html/ beside scripts/

It checks everything before it writes anything: a CDN URL with no local file, a
missing or altered vendored file, or a missing html dir is an error that names what
is wrong (exit status 1), and the site is left as it was.  Running it twice is fine:
the second run finds no CDN URL left and only re-copies the vendored files.
"""

import argparse
import hashlib
import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
VENDOR_SRC = Path(__file__).resolve().parent / "asv_vendor"
VENDOR_SUBDIR = "vendor"

# Each CDN URL that asv 0.6.6's index.html loads -> the committed file that stands in for it.
CDN_TO_LOCAL = {
    "https://code.jquery.com/jquery-3.3.1.min.js": "jquery-3.3.1.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.min.js": "jquery.flot-0.8.3.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.time.min.js": "jquery.flot-0.8.3.time.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.selection.min.js": "jquery.flot-0.8.3.selection.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.categories.min.js": "jquery.flot-0.8.3.categories.min.js",
    "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js": "jquery.flot.orderBars.js",
    "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js": "stupidtable.js",
    "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js": "md5.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js": "bootstrap-3.1.0.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css": "bootstrap-3.1.0.min.css",
}

# sha256 of each committed file, equal to asv-0.5.1.tar.gz's asv/www/vendor/<name>.
SHA256 = {
    "bootstrap-3.1.0.min.css": "11c74aed50911d54c04455fe1d9c04f42c5f6cf438a94976f890f25f2a59f699",
    "bootstrap-3.1.0.min.js": "03bf371e3ca4739cfe6bea61f0126b7cbb94e4713e970651f9acd5acb3d9e399",
    "jquery-3.3.1.min.js": "160a426ff2894252cd7cebbdd6d6b7da8fcd319c65b70468f10b6690c45d02ef",
    "jquery.flot-0.8.3.categories.min.js": "0d9973d01232005545cb16a7831519a51ac0aaa55c4e2441be62c7523167a1d8",
    "jquery.flot-0.8.3.min.js": "d71fe85cd0ed9bdcf9f160ed3176b04ed915e6186cf87f787de24d1cdd39275f",
    "jquery.flot-0.8.3.selection.min.js": "302036b1cb0572b0a6e0fc33f0de7088d67fee706194e3d6df50f03011a5867d",
    "jquery.flot-0.8.3.time.min.js": "c1b187d96c279fd733f6e71ac61c7bfb3def32a3a0a54c89aba8ca920c24fc1e",
    "jquery.flot.orderBars.js": "6f70c9d428f714ce32dd2f8fb0a4d179f66e31026912c3d723d9a650a921039c",
    "md5.js": "b4243f06574c94ddaf59ee6002236835be6cbe83a0554865520bfb52338d28a4",
    "stupidtable.js": "712ff397a55600f8399d5bd7228d078a94d92e08202d4e4f1b085b2badebb189",
}

# A <script ...> or <link ...> start tag, and in it a src/href that leaves the site.
_TAG = re.compile(r"<(?:script|link)\b[^>]*>", re.IGNORECASE)
_REMOTE = re.compile(r"""\b(src|href)\s*=\s*(["'])((?:https?:)?//[^"']+)\2""", re.IGNORECASE)
_DROP = re.compile(r"""\s+(?:integrity|crossorigin)\b(?:\s*=\s*(["'])[^"']*\1)?""", re.IGNORECASE)


class OfflineSiteError(Exception):
    """The site cannot be made self-contained; the message says what is missing."""


def remote_urls(html):
    """Return the remote URLs that <script>/<link> tags of ``html`` load, in order."""
    urls = []
    for tag in _TAG.finditer(html):
        urls.extend(m.group(3) for m in _REMOTE.finditer(tag.group(0)))
    return urls


def rewrite_html(html, prefix):
    """Return ``html`` with each known CDN <script>/<link> pointed at ``prefix`` + local file.

    The rewritten tags lose their integrity and crossorigin attributes; all else in
    them (onerror, rel, ...) stays.  Raises OfflineSiteError naming every remote URL
    that has no local file (nothing is rewritten then).
    """
    unknown = [url for url in remote_urls(html) if url not in CDN_TO_LOCAL]
    if unknown:
        raise OfflineSiteError("no local file for: " + ", ".join(unknown))

    def local_tag(tag):
        """One start tag, its CDN src/href made local and its SRI attributes dropped."""
        text = tag.group(0)
        if not _REMOTE.search(text):
            return text
        text = _REMOTE.sub(
            lambda m: f"{m.group(1)}={m.group(2)}{prefix}{CDN_TO_LOCAL[m.group(3)]}{m.group(2)}",
            text,
        )
        return _DROP.sub("", text)

    return _TAG.sub(local_tag, html)


def check_vendor(src=VENDOR_SRC):
    """Check every committed library file is present and unaltered; return their paths.

    Raises OfflineSiteError naming each missing file or one whose sha256 differs.
    """
    problems, paths = [], []
    for name in sorted(set(CDN_TO_LOCAL.values())):
        path = src / name
        if not path.is_file():
            problems.append(f"{path} is missing")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != SHA256[name]:
            problems.append(f"{path} has sha256 {digest}, expected {SHA256[name]}")
        paths.append(path)
    if problems:
        raise OfflineSiteError("vendored libraries: " + "; ".join(problems))
    return paths


def make_offline(html_dir, src=VENDOR_SRC):
    """Make the published site in ``html_dir`` self-contained; return the rewritten files.

    Copies the vendored libraries to ``html_dir/vendor/`` and rewrites every *.html
    below ``html_dir`` (links relative to each file).  All checks run before any
    write.  Raises OfflineSiteError if ``html_dir`` has no index.html, if a vendored
    file is missing or altered, or if an html file loads a remote URL with no local file.
    """
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").is_file():
        raise OfflineSiteError(f"{html_dir}/index.html not found: run `asv publish` first")
    sources = check_vendor(src)
    new_text, errors = {}, []
    for page in sorted(html_dir.rglob("*.html")):
        depth = len(page.relative_to(html_dir).parts) - 1
        prefix = "../" * depth + VENDOR_SUBDIR + "/"
        text = page.read_text(encoding="utf-8")
        try:
            rewritten = rewrite_html(text, prefix)
        except OfflineSiteError as exc:
            errors.append(f"{page}: {exc}")
            continue
        if rewritten != text:
            new_text[page] = rewritten
    if errors:
        raise OfflineSiteError("; ".join(errors))
    dest = html_dir / VENDOR_SUBDIR
    dest.mkdir(exist_ok=True)
    for path in sources:
        shutil.copyfile(path, dest / path.name)
    for page, text in new_text.items():
        page.write_text(text, encoding="utf-8")
    return sorted(new_text)


def main(argv=None):
    """Command line: make ``html_dir`` self-contained; exit status 1 with a message on error."""
    parser = argparse.ArgumentParser(
        description="After `asv publish`: copy the vendored JavaScript/CSS libraries into "
        "HTML_DIR/vendor/ and point the published pages' CDN <script>/<link> "
        "tags at them, so the site works with no network."
    )
    parser.add_argument(
        "html_dir",
        nargs="?",
        default=str(REPO / "html"),
        help="the site that `asv publish` wrote (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        pages = make_offline(args.html_dir)
    except OfflineSiteError as exc:
        print(f"offline_site: error: {exc}", file=sys.stderr)
        return 1
    names = ", ".join(str(p.relative_to(args.html_dir)) for p in pages) or "none (already local)"
    print(f"offline_site: {args.html_dir} is self-contained; pages rewritten: {names}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
