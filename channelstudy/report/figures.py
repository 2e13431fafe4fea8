"""Figures for papers: one style, deterministic files.

``save_figure`` writes PNG, SVG and PDF (vector) with no dates or software versions in their metadata
and a fixed ``svg.hashsalt``, so the same data give byte-identical files, and a small JSON record beside
them (caption, provenance, layout) from which the report's figure catalogue is built.

Paper layouts: a one-column figure is ``ONE_COLUMN`` inches wide, a two-column one ``TWO_COLUMN``
(``paper_size``); every figure is classified by its width in the catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

from channelstudy.catalog.paths import figures_dir
from channelstudy.hypotheses.estimators import format_p

PALETTE = "colorblind"
#: widths in inches of a one-column and a two-column figure (A4 / letter journals)
ONE_COLUMN, TWO_COLUMN = 3.5, 7.2
FORMATS = ("png", "svg", "pdf")
_METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None},
}


def set_style() -> None:
    """Paper style: seaborn ticks, colour-blind palette, readable font sizes, fixed SVG ids."""
    import seaborn as sns

    sns.set_theme(context="paper", style="ticks", palette=PALETTE, font_scale=1.2)
    mpl.rcParams.update(
        {
            "svg.hashsalt": "channelstudy",
            "svg.fonttype": "none",
            "figure.dpi": 100,
            "savefig.dpi": 200,
            "savefig.bbox": "tight",
            "axes.titleweight": "bold",
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )


def paper_size(layout: str = "one", aspect: float = 0.62) -> tuple[float, float]:
    """(width, height) in inches of a figure for a ``"one"``- or ``"two"``-column layout.

    >>> paper_size("one"), paper_size("two", 0.5)
    ((3.5, 2.17), (7.2, 3.6))
    """
    if layout not in ("one", "two"):
        raise ValueError(f"layout must be 'one' or 'two', got {layout!r}")
    width = ONE_COLUMN if layout == "one" else TWO_COLUMN
    return width, round(width * aspect, 2)


def layout_of(width: float) -> str:
    """The paper layout a figure of ``width`` inches fits: one column, two columns, or wider.

    >>> layout_of(3.4), layout_of(7.0), layout_of(12)
    ('one-column', 'two-column', 'wider than two columns (scaled down)')
    """
    if width <= ONE_COLUMN + 1e-9:
        return "one-column"
    return "two-column" if width <= TWO_COLUMN + 1e-9 else "wider than two columns (scaled down)"


def _caption(fig: plt.Figure) -> str:
    """The figure's own title: its suptitle, else the titles of its axes."""
    if getattr(fig, "_suptitle", None) is not None and fig._suptitle.get_text():
        return fig._suptitle.get_text()
    return "; ".join(t for t in (ax.get_title() for ax in fig.axes) if t)


def save_figure(fig: plt.Figure, name: str, *, folder: Path | None = None,
                formats: Iterable[str] = FORMATS, caption: str | None = None,
                source: str | None = None) -> list[Path]:
    """Save ``fig`` as ``<folder>/<name>.<fmt>`` for each format, deterministically, with a record.

    ``<folder>/<name>.json`` records the caption (default: the figure's titles), the data source
    (``source``, e.g. ``"real: Eurostat isoc_cicce_use"``; None: the study data the notebook ran on),
    the size and paper layout, and the files.

    Parameters
    ----------
    fig : matplotlib Figure
    name : str
        File stem, e.g. ``"00-firms-by-type"``.
    folder : Path, optional
        Default ``reports/figures`` of the project.
    formats : iterable of str
        Any of ``png``, ``svg``, ``pdf`` (default all three).
    caption : str, optional
    source : str, optional
    """
    folder = Path(folder) if folder is not None else figures_dir()
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with mpl.rc_context({"svg.hashsalt": "channelstudy"}):
        for fmt in formats:
            if fmt not in _METADATA:
                raise ValueError(f"unsupported figure format {fmt!r}; use one of {sorted(_METADATA)}")
            path = folder / f"{name}.{fmt}"
            fig.savefig(path, format=fmt, metadata=_METADATA[fmt])
            paths.append(path)
    width, height = (float(v) for v in fig.get_size_inches())
    record = {"name": name, "caption": caption or _caption(fig) or name, "source": source,
              "width_in": round(width, 2), "height_in": round(height, 2), "layout": layout_of(width),
              "files": [p.name for p in paths]}
    (folder / f"{name}.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return paths


def plot_effects(table, ids, *, ax=None, null_line: float | None = 0.0, title: str | None = None):
    """Forest plot: each hypothesis's effect estimate with its 95 % CI, from ``hypotheses.csv`` rows.

    Parameters
    ----------
    table : DataFrame
        The catalogue (columns ``id``, ``estimate``, ``ci_low``, ``ci_high``, ``p_holm``, ``outcome``).
    ids : list of str
        Hypotheses to show, top to bottom.
    ax : matplotlib Axes, optional
    null_line : float or None
        Where to draw the no-effect line (None: none).
    """
    rows = table.set_index("id").loc[list(ids)]
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 0.6 + 0.55 * len(rows)))
    y = range(len(rows))[::-1]
    ax.errorbar(rows["estimate"], list(y), xerr=[rows["estimate"] - rows["ci_low"], rows["ci_high"] - rows["estimate"]],
                fmt="o", capsize=4, color="black")
    ax.set_yticks(list(y), [f"{i}: {o}" for i, o in zip(rows.index, rows["outcome"], strict=True)])
    if null_line is not None:
        ax.axvline(null_line, color="grey", lw=1, ls="--")
    for yy, (_, r) in zip(y, rows.iterrows(), strict=True):
        ax.annotate(f"p(Holm) {format_p(r['p_holm'], 2)}", (r["ci_high"], yy), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set(xlabel="effect (95% CI)", title=title or "")
    return ax
