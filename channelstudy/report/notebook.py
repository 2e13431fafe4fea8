"""Helpers the notebooks share: rounded catalogue rows, one-line estimates, effect strips.

>>> fmt_p(0.0), fmt_p(0.012345)
('< 1e-300', '0.0123')
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import pandas as pd

from channelstudy.report.figures import plot_effects, save_figure

__all__ = ["CatalogueReport", "estimate_line", "fmt_p"]


def fmt_p(p: float) -> str:
    """p-value in 3 significant digits; exact zeros are floating-point underflow."""
    return f"{p:.3g}" if p > 0 else "< 1e-300"


def estimate_line(label: str, est) -> str:
    """An ``Estimate`` (from ``wls_term``) as one rounded line."""
    return (
        f"{label}: {est.estimate:.4g} [{est.ci_low:.4g}, {est.ci_high:.4g}], p {fmt_p(est.p_value)}, "
        f"n {est.n:,}"
    )


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

    def show_row(self, hid: str) -> None:
        """The catalogue row of one hypothesis, rounded for print."""
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


    def planted_vs_estimated(self, hid: str) -> None:
        """One line: the simulator's planted value against the catalogue estimate and its CI."""
        r, e = self.catalogue.loc[hid], self.planted[hid]
        covered = r["ci_low"] <= e["planted"] <= r["ci_high"]
        print(
            f"{hid} planted {e['planted']:.4g} vs estimated {r['estimate']:.4g} "
            f"[{r['ci_low']:.4g}, {r['ci_high']:.4g}] {e['unit']}; CI covers planted: {covered}"
        )
        print(f"  estimand: {e['estimand']}")

    def effect_figure(self, hid: str, xlabel: str, name: str, *, tick_scale: float = 1.0) -> plt.Figure:
        """Forest strip of one catalogue row (95 % CI) with the planted value marked."""
        r, true_value = self.catalogue.loc[hid], self.planted[hid]["planted"]
        lo, hi = min(r["ci_low"], true_value), max(r["ci_high"], true_value)
        span = hi - lo
        null = r["null_value"]
        show_null = lo - 3 * span <= null <= hi + 3 * span
        fig, ax = plt.subplots(figsize=(7.5, 1.9))
        plot_effects(self.catalogue.reset_index(), [hid], ax=ax, null_line=null if show_null else None)
        for text in ax.texts:  # plot_effects prints p(Holm) with .2g: an underflowed 0 reads as "< 1e-300"
            if text.get_text() == "p(Holm) 0":
                text.set_text("p(Holm) < 1e-300")
            text.xy, text.xyann = (hi, 0), (10, 0)  # right of the CI and of the planted marker
        ax.scatter(
            [true_value],
            [0],
            marker="D",
            s=60,
            facecolors="none",
            edgecolors="C3",
            linewidths=1.8,
            zorder=3,
            label="planted (simulator)",
        )
        ax.plot([], [], "o", color="black", label="estimate, 95% CI")
        left, right = (min(lo, null) if show_null else lo), (max(hi, null) if show_null else hi)
        width = right - left
        ax.set_xlim(left - 0.15 * width, right + 0.45 * width)
        if tick_scale != 1.0:
            ax.xaxis.set_major_formatter(lambda v, _: f"{v * tick_scale:.3g}")
        ax.set_xlabel(xlabel if show_null else f"{xlabel}; null {null:g} off scale")
        ax.set_title(f"{hid}: estimated effect vs planted (simulated data)", fontsize=11)
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.15))
        save_figure(fig, name)
        return fig
