"""Figures for papers: one style, deterministic files.

``save_figure`` writes PNG and SVG with no dates or software versions in their metadata and a
fixed ``svg.hashsalt``, so the same data give byte-identical files.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

from channelstudy.catalog.paths import figures_dir

PALETTE = "colorblind"
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


def save_figure(fig: plt.Figure, name: str, *, folder: Path | None = None,
                formats: Iterable[str] = ("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``<folder>/<name>.<fmt>`` for each format, deterministically.

    Parameters
    ----------
    fig : matplotlib Figure
    name : str
        File stem, e.g. ``"00-firms-by-type"``.
    folder : Path, optional
        Default ``reports/figures`` of the project.
    formats : iterable of str
        Any of ``png``, ``svg``, ``pdf``.
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
    return paths


def format_p(p: float) -> str:
    """A p-value for print: two significant digits, ``< 1e-300`` where the float underflowed to 0."""
    return "< 1e-300" if p < 1e-300 else f"{p:.2g}"


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
        ax.annotate(f"p(Holm) {format_p(r['p_holm'])}", (r["ci_high"], yy), xytext=(6, 0), textcoords="offset points",
                    va="center", fontsize=8)
    ax.set(xlabel="effect (95% CI)", title=title or "")
    return ax
