"""The study in one page: ``<out>/index.html``, opened from disk (no server, no scripts).

It links every rendered notebook (``<out>/html``), shows every saved figure with its caption, notebook
and provenance (simulated, the researcher's own data, or a cited real source), the hypothesis table
(effect sizes, 95 % CIs, raw and adjusted p-values), the build's accounting (rows read = used + rejected
per source), and the software versions and seed that produced it. The figure catalogue is also written
as ``FIGURES.md`` beside the figures.
"""

from __future__ import annotations

import html
import json
import os
import platform
from importlib import metadata
from pathlib import Path

import pandas as pd

from channelstudy.catalog import TABLES
from channelstudy.catalog.paths import figures_dir, processed_dir, tables_dir, truth_dir
from channelstudy.hypotheses.estimators import format_p

__all__ = ["figure_catalogue", "software_versions", "write_index"]

PACKAGES = ("channelstudy", "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "matplotlib", "seaborn",
            "pandera", "papermill", "nbconvert")
_STYLE = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:.85em;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .5em;
text-align:right}td.l,th.l{text-align:left}figure{margin:2em 0;border-top:1px solid #eee;padding-top:1em}
figure img{max-width:100%}figcaption{font-size:.9em;color:#444}.prov{font-weight:bold}"""


def software_versions() -> dict[str, str]:
    """Python and the versions of the packages that made the report (``not installed`` when absent)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _provenance(record: dict, truth: dict, raw: Path | None) -> str:
    if record.get("source"):
        return record["source"]
    if truth:
        return f"simulated (seed {truth.get('seed')}, {truth.get('config', {}).get('n_firms', '?')} firms)"
    return f"your data: {raw}" if raw is not None else "the study data (no planted truth: real)"


def figure_catalogue(figures: Path, *, truth: dict | None = None, raw: Path | None = None) -> pd.DataFrame:
    """One row per saved figure (from the records ``save_figure`` writes): file, caption, notebook, source."""
    rows = []
    for path in sorted(Path(figures).glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if "files" not in record:
            continue
        rows.append({"name": record["name"], "caption": record["caption"], "notebook": record["name"][:2],
                     "source": _provenance(record, truth or {}, raw), "layout": record.get("layout", ""),
                     "files": record["files"]})
    return pd.DataFrame(rows, columns=["name", "caption", "notebook", "source", "layout", "files"])


def _table(frame: pd.DataFrame, left: tuple[str, ...] = ()) -> str:
    head = "".join(f"<th class='{'l' if c in left else ''}'>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td class='{'l' if c in left else ''}'>{html.escape(str(v))}</td>"
                         for c, v in row.items()) + "</tr>"
        for _, row in frame.iterrows()
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _hypotheses(tables: Path) -> str:
    path = TABLES["hypotheses"].path(tables)
    if not path.is_file():
        return "<p>No hypothesis table: the analysis has not run on these data.</p>"
    h = pd.read_csv(path)
    cols = [c for c in ("id", "claim", "status", "estimate", "ci_low", "ci_high", "p_value", "p_holm", "p_bh", "n",
                        "weighted", "supported") if c in h.columns]
    shown = h[cols].copy()
    for c in ("estimate", "ci_low", "ci_high"):
        shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else f"{v:.4g}")
    for c in ("p_value", "p_holm", "p_bh"):
        shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else format_p(v))
    shown["n"] = shown["n"].map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
    return _table(shown.fillna(""), left=("id", "claim", "status"))


def _accounting(processed: Path) -> str:
    path = TABLES["build_report"].path(processed)
    if not path.is_file():
        return "<p>No build report.</p>"
    report = json.loads(path.read_text(encoding="utf-8"))
    rows = pd.DataFrame(report["sources"]).T
    cols = [c for c in ("kind", "rows_read", "rows_used", "rows_rejected", "balanced") if c in rows.columns]
    frame = rows[cols].reset_index(names="source")
    total = (f"<p>{report.get('rows_read', 0):,} rows read = {report.get('rows_used', 0):,} used + "
             f"{report.get('rows_rejected', 0):,} rejected; {report.get('firms_resolved', 0):,} firms resolved.</p>")
    return total + _table(frame, left=("source", "kind"))


def _title(notebook_html: Path, executed: Path) -> str:
    if executed.is_file():
        for cell in json.loads(executed.read_text(encoding="utf-8")).get("cells", []):
            text = "".join(cell.get("source", ""))
            if cell.get("cell_type") == "markdown" and text.startswith("# "):
                return text.splitlines()[0][2:].strip()
    return notebook_html.stem


def write_index(out: Path, *, raw: Path | None = None, processed: Path | None = None, tables: Path | None = None,
                figures: Path | None = None, truth: Path | None = None) -> Path:
    """Write ``<out>/index.html`` and ``<figures>/FIGURES.md``; folders default to the project's."""
    out = Path(out)
    processed, tables = Path(processed or processed_dir()), Path(tables or tables_dir())
    figures, truth_folder = Path(figures or figures_dir()), Path(truth or truth_dir())
    effects = truth_folder / "effects.json"
    meta = json.loads(effects.read_text(encoding="utf-8")) if effects.is_file() else {}
    catalogue = figure_catalogue(figures, truth=meta, raw=raw)
    rel = Path(os.path.relpath(figures, out))
    notebooks = sorted((out / "html").glob("*.html"))
    data = (f"<b>simulated</b> world, seed {meta.get('seed')} ({meta.get('config', {}).get('n_firms', '?')} firms): "
            "no number describes a real firm" if meta else f"<b>your data</b>: raw folder {html.escape(str(raw))}")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>channelstudy report</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>channelstudy: the Italian enterprise ICT channel</h1>",
        f"<p>Data: {data}. Real public sources are named with each figure that uses them.</p>",
        "<h2>Notebooks</h2><ul>",
        *(f"<li><a href='{html.escape(os.path.relpath(p, out))}'>{html.escape(_title(p, out / 'notebooks' / (p.stem + '.ipynb')))}</a></li>"
          for p in notebooks),
        "</ul><h2>Hypotheses H0-H9</h2>",
        "<p>Effect sizes with 95 % CIs; p-values adjusted across the family (Holm, Benjamini-Hochberg). "
        "<i>Supported</i>: Holm p &lt; 0.05 in the claim's direction.</p>",
        _hypotheses(tables),
        "<h2>The build: every row accounted for</h2>",
        _accounting(processed),
        "<h2>Figures</h2>",
    ]
    for _, f in catalogue.iterrows():
        png = next((name for name in f["files"] if name.endswith(".png")), f["files"][0])
        links = ", ".join(f"<a href='{html.escape((rel / name).as_posix())}'>{name.rsplit('.', 1)[1].upper()}</a>"
                          for name in f["files"])
        parts.append(
            f"<figure id='{html.escape(f['name'])}'><img src='{html.escape((rel / png).as_posix())}' "
            f"alt='{html.escape(f['caption'])}'><figcaption><b>{html.escape(f['name'])}</b>: "
            f"{html.escape(f['caption'])}. Notebook {html.escape(f['notebook'])}; "
            f"<span class='prov'>source: {html.escape(f['source'])}</span>; {html.escape(f['layout'])}; {links}"
            "</figcaption></figure>"
        )
    versions = software_versions()
    parts += ["<h2>Software and seed</h2>",
              _table(pd.DataFrame({"software": list(versions), "version": list(versions.values())}),
                     left=("software", "version")),
              f"<p>Seed: {meta.get('seed', 'n/a (real data)')}.</p></body></html>"]
    out.mkdir(parents=True, exist_ok=True)
    index = out / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    lines = ["# Figures", "", "| file | caption | notebook | data source | layout |", "|---|---|---|---|---|"]
    lines += [f"| {', '.join(f['files'])} | {f['caption']} | {f['notebook']} | {f['source']} | {f['layout']} |"
              for _, f in catalogue.iterrows()]
    if figures.is_dir():
        (figures / "FIGURES.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index
