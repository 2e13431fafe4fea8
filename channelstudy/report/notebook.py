"""Helpers the notebooks share: rounded catalogue rows, one-line estimates, effect strips.

>>> fmt_p(0.0), fmt_p(0.012345)
('< 1e-16', '0.0123')
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from channelstudy.catalog.paths import truth_dir
from channelstudy.hypotheses.estimators import format_p
from channelstudy.report.figures import plot_effects, save_figure
from channelstudy.report.readings import ran

__all__ = ["CatalogueReport", "clr_projection", "cluster_selection", "estimate_line", "estimate_or_note", "fmt_p",
           "load_truth", "persons", "robustness", "use_folders"]


def persons(value) -> str:
    """Persons employed for print; a firm whose size no source gives (a JV parent may lack it) is unknown.

    >>> persons(1769.0), persons(pd.NA), persons(float("nan"))
    ('1,769 persons', 'persons employed unknown', 'persons employed unknown')
    """
    return "persons employed unknown" if pd.isna(value) else f"{float(value):,.0f} persons"

def cluster_selection(clustering: dict) -> pd.DataFrame:
    """The analysis stage's choice of the number of components, from its report (no refit).

    Parameters
    ----------
    clustering : dict
        The ``clustering`` section of ``analysis_report.json``: ``bic``, ``icl`` and ``silhouette`` keyed by
        k (as text), and the chosen ``n_components``.

    Returns
    -------
    DataFrame indexed by k (ascending) with columns bic, icl, silhouette, selected.

    >>> cluster_selection({"bic": {"10": 5.0, "2": 7.0}, "icl": {"10": 6.0, "2": 7.5},
    ...                    "silhouette": {"10": 0.1, "2": float("nan")}, "n_components": 10}).to_dict("index")
    {2: {'bic': 7.0, 'icl': 7.5, 'silhouette': nan, 'selected': False}, 10: {'bic': 5.0, 'icl': 6.0, 'silhouette': 0.1, 'selected': True}}
    """
    table = pd.DataFrame({c: pd.Series(clustering[c], dtype=float) for c in ("bic", "icl", "silhouette")})
    table.index = table.index.astype(int).rename("k")
    table = table.sort_index()
    return table.assign(selected=table.index == int(clustering["n_components"]))


def clr_projection(mix: pd.DataFrame, *, random_state: int = 0) -> np.ndarray:
    """First two principal components of the clustering's design matrix (clr of the zero-replaced mixes).

    The same projection as ``BusinessModelClustering.project_2d`` after the analysis stage's fit: the
    design matrix does not depend on the number of components, so a one-component fit (milliseconds)
    gives it without refitting the whole range.

    Parameters
    ----------
    mix : DataFrame of shape (n_firms, 6)
        Revenue shares of the six streams (``mix_<stream>``).

    Returns
    -------
    ndarray of shape (n_firms, 2)
    """
    from channelstudy.analysis.clustering import BusinessModelClustering

    model = BusinessModelClustering(n_components_range=(1, 1), n_bootstrap=0, random_state=random_state)
    return model.fit(mix).project_2d(mix)


_FOLDER_VARIABLES = {"raw": "CHANNELSTUDY_RAW", "processed": "CHANNELSTUDY_PROCESSED", "tables": "CHANNELSTUDY_TABLES",
                     "figures": "CHANNELSTUDY_FIGURES", "truth": "CHANNELSTUDY_TRUTH",
                     "realdata": "CHANNELSTUDY_REALDATA"}


def use_folders(**folders: str | os.PathLike | None) -> None:
    """Point this kernel's project folders at a notebook's papermill parameters (None: keep the default).

    Keys: ``raw``, ``processed``, ``tables``, ``figures``, ``truth``, ``realdata``.

    >>> use_folders(processed=None)  # nothing changes
    """
    for key, value in folders.items():
        if key not in _FOLDER_VARIABLES:
            raise ValueError(f"unknown folder {key!r}; use one of {sorted(_FOLDER_VARIABLES)}")
        if value is not None:
            os.environ[_FOLDER_VARIABLES[key]] = str(Path(value).resolve())


def load_truth() -> dict:
    """The simulator's ``effects.json`` (seed, planted effects, config), or ``{}`` for real data."""
    path = truth_dir() / "effects.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


fmt_p = format_p
"""p-values are printed by the one formatter, :func:`channelstudy.hypotheses.estimators.format_p`."""


def estimate_line(label: str, est) -> str:
    """An ``Estimate`` (from ``wls_term``) as one rounded line."""
    return (
        f"{label}: {est.estimate:.4g} [{est.ci_low:.4g}, {est.ci_high:.4g}], p {fmt_p(est.p_value)}, "
        f"n {est.n:,}"
    )


def robustness(specs: dict, fit) -> dict:
    """Fit and print each specification; return label -> ``Estimate`` (None where it was not estimable).

    ``specs`` maps a label to ``(data, formula, term)`` or ``(data, formula, term, options)``; ``fit`` is
    the estimator (``wls_term``). Labels are padded to one width so the printed lines align.
    """
    width = max((len(label) for label in specs), default=0)
    out = {}
    for label, (data, formula, term, *options) in specs.items():
        try:
            est = fit(data, formula, term, **(options[0] if options else {}))
        except (KeyError, ValueError, ZeroDivisionError, IndexError, np.linalg.LinAlgError):
            est = None
        out[label] = est if est is not None and est.n and np.isfinite(est.estimate) else None
        print(estimate_line(label.ljust(width), est) if out[label] else f"{label.ljust(width)}: not estimable here")
    return out


def estimate_or_note(label: str, fit, *args, **kwargs) -> str:
    """``estimate_line`` of ``fit(*args, **kwargs)``, or one line saying why it could not be estimated.

    An empty group, a constant predictor or a missing column gives a note instead of an error.

    >>> estimate_or_note("empty", lambda: 1 / 0)
    'empty: not estimable here (ZeroDivisionError)'
    """
    try:
        est = fit(*args, **kwargs)
    except (KeyError, ValueError, ZeroDivisionError, IndexError, np.linalg.LinAlgError) as error:
        return f"{label}: not estimable here ({type(error).__name__})"
    if not np.isfinite(est.estimate) or not est.n:
        return f"{label}: not estimable here (no usable rows)"
    return estimate_line(label, est)


@dataclass
class CatalogueReport:
    """Print and plot rows of the hypothesis catalogue in a notebook, against the planted truth.

    Parameters
    ----------
    catalogue : DataFrame
        ``hypotheses.csv`` indexed by ``id``.
    planted : dict
        ``effects`` of the simulator's ``effects.json`` (id -> planted, estimand, unit), or ``{}``.
    """

    catalogue: pd.DataFrame
    planted: dict

    def ran(self, hid: str) -> bool:
        """Whether hypothesis ``hid`` is in the catalogue and has results."""
        return hid in self.catalogue.index and ran(self.catalogue.loc[hid])

    def show_row(self, hid: str) -> None:
        """The catalogue row of one hypothesis, rounded for print (one line when it did not run)."""
        if not self.ran(hid):
            status = self.catalogue.loc[hid].get("status", "") if hid in self.catalogue.index else "not in catalogue"
            print(f"{hid}: no estimate ({status if isinstance(status, str) and status else 'not run'})")
            return
        r = self.catalogue.loc[hid]
        print(f"{hid}: {r['claim']}")
        print(f"  outcome {r['outcome']} | predictor {r['predictors']} | controls {r['controls']}")
        print(f"  estimator: {r['estimator']}")
        if r.get("status", "ran") != "ran":
            print(f"  {r['status']}")
            return
        print(
            f"  estimate {r['estimate']:.4g}  95% CI [{r['ci_low']:.4g}, {r['ci_high']:.4g}]  "
            f"(null {r['null_value']:g}, expected direction {r['direction']})"
        )
        print(f"  p {fmt_p(r['p_value'])}  p(Holm) {fmt_p(r['p_holm'])}  p(BH) {fmt_p(r['p_bh'])}")
        print(f"  n {int(r['n']):,}  weighted {bool(r['weighted'])}  supported {bool(r['supported'])}")

    def covers_planted(self, hid: str) -> bool | None:
        """Whether the 95 % CI of ``hid`` covers the planted value (None: nothing planted, or no estimate)."""
        if not self.ran(hid) or hid not in self.planted:
            return None
        r = self.catalogue.loc[hid]
        return bool(r["ci_low"] <= self.planted[hid]["planted"] <= r["ci_high"])

    def planted_vs_estimated(self, hid: str) -> None:
        """One line: the simulator's planted value against the catalogue estimate and its CI."""
        if self.covers_planted(hid) is None:
            print(f"{hid}: no planted value to compare (real data, or no estimate)")
            return
        r, e = self.catalogue.loc[hid], self.planted[hid]
        covered = r["ci_low"] <= e["planted"] <= r["ci_high"]
        print(
            f"{hid} planted {e['planted']:.4g} vs estimated {r['estimate']:.4g} "
            f"[{r['ci_low']:.4g}, {r['ci_high']:.4g}] {e['unit']}; CI covers planted: {covered}"
        )
        print(f"  estimand: {e['estimand']}")

    def effect_figure(self, hid: str, xlabel: str, name: str, *, tick_scale: float = 1.0) -> plt.Figure | None:
        """Forest strip of one catalogue row (95 % CI) with the planted value marked (None: no estimate)."""
        if not self.ran(hid):
            return None
        r = self.catalogue.loc[hid]
        true_value = self.planted[hid]["planted"] if hid in self.planted else r["estimate"]
        lo, hi = min(r["ci_low"], true_value), max(r["ci_high"], true_value)
        span = hi - lo
        null = r["null_value"]
        show_null = lo - 3 * span <= null <= hi + 3 * span
        fig, ax = plt.subplots(figsize=(7.5, 1.9))
        plot_effects(self.catalogue.reset_index(), [hid], ax=ax, null_line=null if show_null else None)
        for text in ax.texts:
            text.xy, text.xyann = (hi, 0), (10, 0)  # right of the CI and of the planted marker
        if hid in self.planted:
            ax.scatter([true_value], [0], marker="D", s=60, facecolors="none", edgecolors="C3", linewidths=1.8,
                       zorder=3, label="planted (simulator)")
        ax.plot([], [], "o", color="black", label="estimate, 95% CI")
        left, right = (min(lo, null) if show_null else lo), (max(hi, null) if show_null else hi)
        width = right - left
        ax.set_xlim(left - 0.15 * width, right + 0.45 * width)
        if tick_scale != 1.0:
            ax.xaxis.set_major_formatter(lambda v, _: f"{v * tick_scale:.3g}")
        ax.set_xlabel(xlabel if show_null else f"{xlabel}; null {null:g} off scale")
        title = "estimated effect vs planted (simulated data)" if hid in self.planted else "estimated effect"
        ax.set_title(f"{hid}: {title}", fontsize=11)
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.15))
        save_figure(fig, name)
        return fig
