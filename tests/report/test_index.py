"""reports/index.html: one page, opened from disk, that shows every figure and links every notebook."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from channelstudy.report.figures import save_figure  # noqa: E402
from channelstudy.report.index import figure_catalogue, write_index  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


class _Page(HTMLParser):
    """Images, links and figure captions of a page (the standard library's parser: no browser needed)."""

    def __init__(self) -> None:
        super().__init__()
        self.images, self.links, self.captions, self._in_caption = [], [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        elif tag == "a":
            self.links.append(attrs["href"])
        elif tag == "figcaption":
            self._in_caption = True
            self.captions.append("")

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._in_caption = False

    def handle_data(self, data):
        if self._in_caption:
            self.captions[-1] += data


def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def check_page(index: Path) -> _Page:
    """Every image and link of ``index`` resolves to a file beside it; every figure record is shown."""
    page = parse(index)
    for target in page.images + page.links:
        assert (index.parent / target).is_file(), target
    return page


@pytest.fixture
def report(tmp_path: Path) -> Path:
    out, figures, tables, processed = (tmp_path / d for d in ("out", "out/figures", "out/tables", "out/processed"))
    for folder in (figures, tables, processed, out / "html"):
        folder.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(3.4, 2))
    ax.plot([1, 2], [2, 1])
    ax.set_title("A simulated line")
    save_figure(fig, "05-line", folder=figures)
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.bar(["IT", "DE"], [6.44, 9.84])
    save_figure(fig, "04-real", folder=figures, caption="Persons per enterprise", source="real: ISTAT SBS 2023")
    plt.close("all")
    pd.DataFrame({"id": ["H1", "H7"], "claim": ["fragmented", "solutions"], "status": ["ran", "not run: no survey"],
                  "estimate": [5.98, None], "ci_low": [5.1, None], "ci_high": [6.9, None], "p_value": [0.0, None],
                  "p_holm": [1e-9, None], "p_bh": [1e-9, None], "n": [6482, None], "weighted": [False, None],
                  "supported": [True, None]}).to_csv(tables / "hypotheses.csv", index=False)
    (processed / "build_report.json").write_text(json.dumps({
        "rows_read": 10, "rows_used": 8, "rows_rejected": 2, "firms_resolved": 5,
        "sources": {"a": {"kind": "directory", "rows_read": 10, "rows_used": 8, "rows_rejected": 2, "balanced": True}}}))
    (out / "html" / "05-x.html").write_text("<html></html>")
    return write_index(out, raw=tmp_path / "raw", processed=processed, tables=tables, figures=figures,
                       truth=tmp_path / "no-truth")


def test_index_shows_every_figure_with_caption_and_provenance(report: Path) -> None:
    page = check_page(report)
    assert sorted(page.images) == ["figures/04-real.png", "figures/05-line.png"]
    assert {link.rsplit(".", 1)[1] for link in page.links if link.startswith("figures/")} == {"png", "svg", "pdf"}
    assert "html/05-x.html" in page.links
    real = next(c for c in page.captions if c.startswith("04-real"))
    assert "Persons per enterprise" in real and "source: real: ISTAT SBS 2023" in real
    own = next(c for c in page.captions if c.startswith("05-line"))
    assert "A simulated line" in own and "your data" in own and "one-column" in own
    text = report.read_text(encoding="utf-8")
    assert "not run: no survey" in text and "6,482" in text and "10 rows read = 8 used + 2 rejected" in text
    assert "pandas" in text and "Seed: n/a (real data)" in text
    catalogue = (report.parent / "figures" / "FIGURES.md").read_text(encoding="utf-8")
    assert "| 04-real.png, 04-real.svg, 04-real.pdf | Persons per enterprise | 04 | real: ISTAT SBS 2023 |" in catalogue


def test_figure_records_name_the_simulated_seed(tmp_path: Path) -> None:
    fig, _ = plt.subplots()
    save_figure(fig, "00-x", folder=tmp_path)
    plt.close(fig)
    table = figure_catalogue(tmp_path, truth={"seed": 7, "config": {"n_firms": 3000}})
    assert table.loc[0, "source"] == "simulated (seed 7, 3000 firms)"


def test_the_projects_report_page_shows_every_figure() -> None:
    index = ROOT / "reports" / "index.html"
    if not index.is_file():
        pytest.skip("reports/index.html not built (make report)")
    page = check_page(index)
    records = sorted((ROOT / "reports" / "figures").glob("*.json"))
    assert len(page.images) == len(records) > 0
