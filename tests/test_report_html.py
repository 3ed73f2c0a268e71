"""report.html (benchmarks.report.page): one self-contained page per run.

What the page must hold is read back with html.parser (the tables' cells, every
``src``/``href``, the embedded figures decoded) and, where Chromium is installed,
seen as a person would: the file:// page opened in headless Chromium with no
network (scripts/site_browser.py), the figures decoded and drawn, the tables shown.
"""

import base64
import json
import os
import shutil
import sys
from html.parser import HTMLParser

import pytest

from benchmarks.report import cli, page, tables
from benchmarks.report.series import analyse

from .report_data import (
    INFO,
    MACHINE,
    NEW_COMMIT,
    needs_chromium,
    newest_run,
    site_browser,
    write_results,
)

URL_ATTRS = ("src", "href", "srcset", "data", "poster", "action", "formaction", "xlink:href")
OPENCL_WHY = "no OpenCL platform <found> & pocl not installed"


class PageParser(HTMLParser):
    """Every tag with its attributes, the text of <style>, and each table as
    (title, header, rows): the title the nearest <h3> before it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.styles, self.tables, self.text = [], [], [], []
        self._cell = self._row = self._table = None
        self._h3 = self._in_h3 = self._in_style = None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "table":
            self._table = {"title": self._h3 or "", "header": [], "rows": []}
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        self._in_h3 = tag == "h3" or None
        self._in_style = tag == "style" or None
        if tag == "h3":
            self._h3 = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(("th" if tag == "th" else "td", "".join(self._cell).strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            kinds = {kind for kind, _ in self._row}
            cells = tuple(text for _, text in self._row)
            key = "header" if kinds == {"th"} else "rows"
            self._table[key] = cells if key == "header" else self._table[key] + [cells]
            self._row = None
        elif tag == "table" and self._table is not None:
            self.tables.append((self._table["title"], self._table["header"], self._table["rows"]))
            self._table = None
        self._in_h3 = self._in_style = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)
        if self._in_h3:
            self._h3 += data
        if self._in_style:
            self.styles.append(data)

    def table(self, header):
        """(title, rows) of the table whose header is ``header``; AssertionError if none."""
        found = [(t, rows) for t, h, rows in self.tables if h == tuple(header)]
        assert found, f"no table with header {header}"
        return found[0]


def parse(path):
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def write_page(results, out, *formats):
    """``python -m benchmarks.plot`` (cli.main) for ``results`` into ``out``; the page."""
    argv = ["--results", str(results), "--output", str(out)]
    assert cli.main(argv + (["--format", *formats] if formats else [])) == 0
    return out / MACHINE / page.PAGE_NAME


def test_page_written_beside_summary_and_printed(asv_results, tmp_path, capsys):
    path = write_page(asv_results, tmp_path / "plots", "png")
    printed = capsys.readouterr().out.splitlines()
    assert str(path) in printed
    assert printed.index(str(path)) == printed.index(str(path.with_name("summary.md"))) + 1
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert f"{MACHINE} @ {NEW_COMMIT[:8]}" in text


def _local_reference(value, folder):
    """True for a reference that needs neither server nor network: an in-page anchor, a
    data: URI, or the name of a file in ``folder`` (a figure next to the page)."""
    if value.startswith(("#", "data:")):
        return True
    return "/" not in value and ":" not in value and (folder / value).is_file()


def test_page_has_no_external_reference(asv_results, tmp_path):
    path = write_page(asv_results, tmp_path / "plots")
    parsed = parse(path)
    refs = [(tag, a, v) for tag, attrs in parsed.tags for a, v in attrs.items() if a in URL_ATTRS]
    assert refs, "the page links nothing: the parser found no src/href"
    for tag, attr, value in refs:
        assert not value.lower().startswith(("http://", "https://", "//")), (tag, attr, value)
        assert _local_reference(value, path.parent), (tag, attr, value)
    tags = {tag for tag, _ in parsed.tags}
    assert not tags & {"script", "link", "iframe", "object", "embed", "base"}
    style = "".join(parsed.styles)
    assert "@import" not in style and "url(" not in style
    assert "http://" not in "".join(parsed.text) and "https://" not in "".join(parsed.text)


def _embedded(parsed):
    """{alt's figure name: decoded bytes, mime} of every <img> with a data: URI."""
    out = {}
    for tag, attrs in parsed.tags:
        if tag == "img":
            head, _, data = attrs["src"].partition(",")
            assert head.startswith("data:") and head.endswith(";base64"), head
            out[attrs["alt"].split(":")[0]] = (base64.b64decode(data), head[5:-7])
    return out


@pytest.mark.parametrize("formats", [(), ("png",)], ids=["png+svg", "png"])
def test_every_figure_written_is_embedded(asv_results, tmp_path, formats):
    path = write_page(asv_results, tmp_path / "plots", *formats)
    written = sorted(p for p in path.parent.iterdir() if p.suffix in (".png", ".svg"))
    stems = {p.stem for p in written}
    assert len(stems) == 6
    embedded = _embedded(parse(path))
    assert set(embedded) == stems
    for stem in stems:
        preferred = path.parent / f"{stem}.{'svg' if not formats else 'png'}"
        data, mime = embedded[stem]
        assert data == preferred.read_bytes(), stem
        assert mime == page.EMBEDDABLE[preferred.suffix]


def test_pdf_only_figures_are_linked_and_said_so(asv_results, tmp_path):
    path = write_page(asv_results, tmp_path / "plots", "pdf")
    parsed = parse(path)
    assert not [t for t, _ in parsed.tags if t == "img"]
    hrefs = {a["href"] for t, a in parsed.tags if t == "a" and "href" in a}
    assert {p.name for p in path.parent.glob("*.pdf")} <= hrefs
    assert "which a page cannot show" in " ".join("".join(parsed.text).split())


def test_tables_hold_the_summary_and_seed_values(asv_results, tmp_path):
    path = write_page(asv_results, tmp_path / "plots", "svg")
    parsed = parse(path)
    report = analyse(newest_run(asv_results))
    _, rows = parsed.table(tables.TABLE_HEADER)
    assert rows == tables.table_cells(report.rows)
    cython = [r for r in rows if r[:3] == ("matvec", "cython-openmp", "resident")]
    assert [r[9:] for r in cython] == [("2.00x", "16")]
    _, seeds = parsed.table(tables.SEED_HEADER)
    assert seeds == tables.seed_cells(report.seeds) and seeds
    title, ratios = parsed.table(tables.SEED_RATIO_HEADER)
    assert ratios == [("matvec", "seed-mpi", "0.90x")] and title == tables.RATIOS_MD_TITLE
    _, settings = parsed.table(("setting", "value"))
    assert dict(settings) == INFO
    text = " ".join("".join(parsed.text).split())
    for note in tables.notes(report.run):
        assert note in text


def test_unavailable_and_skipped_reasons(tmp_path):
    info = dict(INFO, opencl=f"unavailable: {OPENCL_WHY}", mpi="unavailable")
    res = write_results(tmp_path, info=info)
    parsed = parse(write_page(res, tmp_path / "plots", "png"))
    title, rows = parsed.table(("backend", "reason"))
    assert title == "Unavailable backends"
    assert rows == [("mpi", "unavailable"), ("opencl", OPENCL_WHY)]  # autoescaped, read back
    title, missing = parsed.table(("backend", "kernel", "N", "mode", "what"))
    assert title == "Skipped or failed"
    assert ("opencl", "matvec", "16", "resident", "skipped") in missing
    assert ("mpi", "matvec", "256", "resident", "failed") in missing
    assert ("multiprocessing", "sum", "1000000", "end-to-end", "failed") in missing
    assert len(missing) == len(analyse(newest_run(res)).missing)


def test_no_missing_entries_says_none(asv_results):
    report = analyse(newest_run(asv_results))
    report.missing = []
    (section,) = page.missing_section(report, [])
    assert not section.tables and section.paragraphs[0].startswith("None")


def test_new_tables_and_figures_join_by_the_same_path(asv_results, tmp_path, monkeypatch):
    path = write_page(asv_results, tmp_path / "plots", "png")
    figures = sorted(str(p) for p in path.parent.glob("*.png"))
    extra = [path.parent / "matvec-ci.png", path.parent / "fastest-backend.png"]
    for p in extra:
        shutil.copy(figures[0], p)

    def fastest(report, figure_paths):
        rows = [("matvec", "cython-openmp")]
        return [page.Section("Fastest", "fastest", tables=[page.Table(("kernel", "best"), rows)])]

    monkeypatch.setattr(page, "BUILDERS", page.BUILDERS + [fastest])
    report = analyse(newest_run(asv_results))
    found = page.sections(report, figures + [str(p) for p in extra])
    by_title = {s.title: s for s in found}
    assert [s.title for s in found][-1] == "Fastest"
    assert "matvec-ci" in [f.name for f in by_title["Figures: matvec (y = A @ x)"].figures]
    assert [f.name for f in by_title["Other figures"].figures] == ["fastest-backend"]
    path.write_text(page.render(report, figures + [str(p) for p in extra]), encoding="utf-8")
    parsed = parse(path)
    assert parsed.table(("kernel", "best"))[1] == [("matvec", "cython-openmp")]
    assert {"matvec-ci", "fastest-backend"} <= set(_embedded(parsed))


def test_render_says_what_is_missing_without_jinja2(asv_results, monkeypatch):
    report = analyse(newest_run(asv_results))
    assert page.sections(report, [])  # the sections need no jinja2
    monkeypatch.setitem(sys.modules, "jinja2", None)
    with pytest.raises(ImportError, match="requirements.txt"):
        page.render(report, [])


def test_template_ships_in_the_package():
    assert os.path.isfile(os.path.join(page.TEMPLATE_DIR, page.TEMPLATE))
    assert os.path.dirname(page.TEMPLATE_DIR) == os.path.dirname(page.__file__)


# measures, after load, what the page shows: appended to a copy of the page for the test only
MEASURE = """<script>
addEventListener("load", () => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {top: r.top + scrollY, left: r.left + scrollX, width: r.width, height: r.height}; };
  const out = {
    images: [...document.images].map((i) => Object.assign(box(i), {alt: i.alt,
      complete: i.complete, natural: i.naturalWidth * i.naturalHeight})),
    tables: [...document.querySelectorAll("table")].map((t) => Object.assign(box(t),
      {text: t.innerText})),
  };
  const pre = document.createElement("pre");
  pre.id = "measured";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _measured(dom):
    start = dom.index('<pre id="measured">') + len('<pre id="measured">')
    text = dom[start : dom.index("</pre>", start)]
    return json.loads(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))


@needs_chromium
@pytest.mark.timeout(300)
def test_chromium_shows_figures_and_tables_offline(asv_results, tmp_path):
    pytest.importorskip("PIL", reason="Pillow (matplotlib's dependency) crops the screenshot")
    from PIL import Image

    path = write_page(asv_results, tmp_path / "plots")
    probe = tmp_path / "probe.html"  # outside the figures' folder: the page stands alone
    probe.write_text(
        path.read_text(encoding="utf-8").replace("</body>", MEASURE + "</body>"), encoding="utf-8"
    )
    window = (1280, 900)
    seen = _measured(site_browser.dump_dom(probe.as_uri(), window=window))
    assert len(seen["images"]) == 6
    for img in seen["images"]:
        assert img["complete"] and img["natural"] > 0, img["alt"]  # decoded
        assert img["width"] > 400 and img["height"] > 200, img
    shown = "\n".join(t["text"] for t in seen["tables"])
    report = analyse(newest_run(asv_results))
    for row in tables.table_cells(report.rows)[:3] + tables.seed_cells(report.seeds)[:1]:
        assert "\t".join(row) in shown
    assert INFO["blas"] in shown and all(t["height"] > 0 for t in seen["tables"])

    first = seen["images"][0]
    height = int(first["top"] + first["height"]) + 10
    shot = site_browser.screenshot(path.as_uri(), tmp_path / "page.png", window=(window[0], height))
    box = [int(first[k]) for k in ("left", "top")]
    box += [box[0] + int(first["width"]), box[1] + int(first["height"])]
    with Image.open(shot) as img:
        img.crop(box).save(tmp_path / "figure.png")
    fraction = site_browser.drawn_fraction(tmp_path / "figure.png", left=0.0, top=0.0)
    assert fraction > 0.3, f"the first figure looks blank ({fraction:.0%} coloured columns)"


def test_paired_page_sections_tables_and_fastest_figures(tmp_path):
    res = write_results(tmp_path, paired=True)
    path = write_page(res, tmp_path / "plots", "png")
    parsed = parse(path)
    report = analyse(newest_run(res))
    _, rows = parsed.table(tables.PAIRED_HEADER)
    assert rows == tables.table_cells(report.rows, paired=True)
    assert not [h for _, h, _ in parsed.tables if h == tables.TABLE_HEADER]
    title, costs = parsed.table(tables.COST_HEADER)
    assert title == tables.COST_TITLE and costs == tables.cost_cells(report.costs)
    title, fastest = parsed.table(tables.FASTEST_HEADER)
    assert fastest == tables.fastest_cells(report.fastest)
    assert ("matvec", "256", "opencl (tied: cython-openmp, numba)", "2.50x [2.00, 3.00]") in fastest
    assert not [h for _, h, _ in parsed.tables if h == tables.SEED_HEADER]  # unpaired ratios
    found = page.sections(report, sorted(str(p) for p in path.parent.glob("*.png")))
    # the answer first, then the fastest backend; the run's settings last
    assert [s.title for s in found[:2]] == ["Which backend to use", "Fastest backend at each N"]
    assert found[-1].title == "Run" and page.BUILDERS[-1] is page.run_section
    assert any("matvec, N = " in item for item in found[0].items)
    figures = {f.name: f for s in found for f in s.figures}
    assert figures["matvec-fastest"].title == "fastest backend at each N (95% intervals)"
    assert {"matvec-fastest", "sum-fastest"} <= set(_embedded(parsed))
    text = " ".join("".join(parsed.text).split())
    for note in tables.notes(report.run, paired=True):
        assert note in text
    assert "3 processes x 4 rounds" in text
