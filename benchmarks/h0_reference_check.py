"""H0's false-positive rate under small-sample corrections, on worlds outside ``make validate``.

Run: .venv/bin/python benchmarks/h0_reference_check.py [--first-seed 400000] [--worlds 3000] [--firms 3000]
     [--synthetic-draws 0]

For each seed: simulate a world, take its true respondents (:func:`truth_study`, as the H0 loop of
``make validate`` does) and fit the negative control H0 with the catalogue's own estimator
(weighted least squares, SE clustered by firm, CR1).  The two-sided test is then referred to

* the normal distribution (what the catalogue does),
* a t distribution with G - 1 degrees of freedom (G firm clusters), and
* a t distribution with Bell-McCaffrey degrees of freedom (Imbens & Kolesar 2016, working model of
  independent homoskedastic errors in the weighted fit), the small-sample reference that accounts
  for the noise of the clustered variance estimate itself;

and, with the bias-reduced CR2 standard error (Bell & McCaffrey 2002) in place of CR1, to the normal
and the Bell-McCaffrey t distribution; the same model unweighted (OLS, CR1, normal); last, as a
deliberately wrong method, the catalogue's fit with a heteroskedasticity-robust SE that treats the
rows as independent (HC1, not clustered: a firm answering in several waves counts several times).

Prints the number of worlds with p < 0.05 under each, the exact 95 % interval of each rate, whether
the rate passes ``make validate``'s rule (:func:`fpr_not_above_target`), the SD of the estimate over
the mean SE and the mean CR2 / CR1 ratio.

With ``--synthetic-draws R`` each world's design (its rows, ISV indicator, size, weights and firm
clusters) is also refitted, in all the ways above, on R synthetic outcomes that are null by
construction: a firm effect plus row noise, both standard normal, nothing else.  Their rejection
rates are the size of each test *on these designs*, free of the luck of one outcome draw per world:
what the actual H0 rates should be near if nothing but the design is at work.

The committed H0 loop uses seeds 100000-100999; the README quotes seeds 400000-402999 (3,000 firms),
1-1000 and 1001-5000 (1,000 firms).
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy import stats

from channelstudy.hypotheses.catalogue import CATALOGUE
from channelstudy.hypotheses.estimators import _model_frame, _rows, wls_term
from channelstudy.hypotheses.validation import false_positive_columns, truth_study
from channelstudy.pipeline import _parallel
from channelstudy.simulate import WorldConfig
from channelstudy.simulate.world import build_world

H0 = next(h for h in CATALOGUE if h.id == "H0").test
OUTCOME, RHS = (side.strip() for side in H0.formula.split("~"))


def cr2(x: np.ndarray, y: np.ndarray, w: np.ndarray, groups: np.ndarray, j: int) -> tuple[float, float]:
    """CR2 standard error and Bell-McCaffrey degrees of freedom of coefficient ``j`` of a weighted fit
    with errors clustered by ``groups``.

    On the weighted design ``Xs = X sqrt(w)``, ``M = (Xs'Xs)^-1`` and ``A_g = (I - Xs_g M Xs_g')^-1/2``
    (the CR2 adjustment of cluster g, Bell & McCaffrey 2002), the variance is
    ``M (sum_g Xs_g' A_g e_g e_g' A_g Xs_g) M`` with ``e`` the weighted residuals.  With ``G`` the
    n x clusters matrix of Imbens & Kolesar (2016, eq. 10), the df are ``tr(G'G)^2 / ||G'G||_F^2``;
    ``G'G = diag(q_g'q_g) - U M U'`` with ``q_g = A_g Xs_g M e_j`` and ``U`` the rows ``Xs_g'q_g``.
    """
    root = np.sqrt(w)
    xs, ys = x * root[:, None], y * root
    m = np.linalg.inv(xs.T @ xs)
    e = ys - xs @ (m @ (xs.T @ ys))
    mc = m[:, j]
    u, qq, meat = [], [], np.zeros((x.shape[1], x.shape[1]))
    order = np.argsort(groups, kind="stable")
    for rows in np.split(order, np.flatnonzero(np.diff(groups[order])) + 1):
        xg = xs[rows]
        values, vectors = np.linalg.eigh(np.eye(len(rows)) - xg @ m @ xg.T)
        inv_root = vectors @ np.diag(1 / np.sqrt(np.clip(values, 1e-12, None))) @ vectors.T
        score = xg.T @ (inv_root @ e[rows])
        meat += np.outer(score, score)
        q = inv_root @ (xg @ mc)
        u.append(xg.T @ q)
        qq.append(q @ q)
    u = np.array(u)
    gram = np.diag(qq) - u @ m @ u.T
    se = float(np.sqrt((m @ meat @ m)[j, j]))
    return se, float(np.trace(gram) ** 2 / (gram**2).sum())


def fits(d: pd.DataFrame, y: np.ndarray) -> dict:
    """H0's term on outcome ``y`` with the design of ``d``: the catalogue's fit, CR2, unweighted and
    unclustered (HC1)."""
    d = d.assign(_y=y)
    formula = f"_y ~ {RHS}"
    fit = wls_term(d, formula, H0.term)
    design = smf.ols(formula, d)
    groups = pd.factorize(d["firm_id"])[0]
    se_cr2, df = cr2(design.exog, y, d["weight"].to_numpy(float), groups, design.exog_names.index(H0.term))
    unweighted = wls_term(d, formula, H0.term, weighted=False)
    rows_independent = smf.wls(formula, d, weights=d["weight"]).fit(cov_type="HC1")
    return {"estimate": fit.estimate, "se": fit.se, "p_normal": fit.p_value, "clusters": int(groups.max() + 1),
            "se_cr2": se_cr2, "df_bell_mccaffrey": df, "estimate_unweighted": unweighted.estimate,
            "se_unweighted": unweighted.se, "p_unweighted": unweighted.p_value,
            "p_rows_independent": float(rows_independent.pvalues[H0.term])}


def one_world(seed: int, n_firms: int, synthetic_draws: int = 0) -> list[dict]:
    """The actual H0 fit of a world, then its synthetic null outcomes (firm effect + row noise)."""
    data = truth_study(build_world(WorldConfig(n_firms=n_firms), seed))
    d = _model_frame(_rows(data.survey, H0.where), H0.formula, True)
    out = [{"seed": seed, "outcome": "actual"} | fits(d, d[OUTCOME].to_numpy(float))]
    rng = np.random.default_rng([seed, 1])
    groups = pd.factorize(d["firm_id"])[0]
    for _ in range(synthetic_draws):
        y = rng.normal(0, 1, groups.max() + 1)[groups] + rng.normal(0, 1, len(d))
        out.append({"seed": seed, "outcome": "synthetic"} | fits(d, y))
    return out


def summarise(runs: pd.DataFrame) -> None:
    """Rejection rates under each reference, with exact intervals; SD of the estimate over the mean SE."""
    z = (runs["estimate"] / runs["se"]).abs()
    z_cr2 = (runs["estimate"] / runs["se_cr2"]).abs()
    p = {"normal": runs["p_normal"],
         "t(G-1)": 2 * stats.t.sf(z, runs["clusters"] - 1),
         "t(Bell-McCaffrey)": 2 * stats.t.sf(z, runs["df_bell_mccaffrey"]),
         "CR2, normal": 2 * stats.norm.sf(z_cr2),
         "CR2, t(Bell-McCaffrey)": 2 * stats.t.sf(z_cr2, runs["df_bell_mccaffrey"]),
         "unweighted OLS, CR1": runs["p_unweighted"],
         "HC1, rows independent": runs["p_rows_independent"]}
    n = len(runs)
    print(f"clusters {runs['clusters'].min()}-{runs['clusters'].max()}; Bell-McCaffrey df "
          f"{runs['df_bell_mccaffrey'].min():.0f}-{runs['df_bell_mccaffrey'].max():.0f}; SD of the estimate / "
          f"mean SE {runs['estimate'].std() / runs['se'].mean():.3f} (unweighted "
          f"{runs['estimate_unweighted'].std() / runs['se_unweighted'].mean():.3f}); "
          f"mean CR2 / CR1 SE {(runs['se_cr2'] / runs['se']).mean():.4f}")
    for name, values in p.items():
        r = false_positive_columns(pd.Series(np.asarray(values)))
        k = round(r["false_positive_rate"] * n)
        verdict = "passes" if r["fpr_ok"] else "FAILS"
        print(f"{name:>22}: {k}/{n} = {k / n:.4f} (exact 95% CI {r['fpr_ci_low']:.4f}-{r['fpr_ci_high']:.4f}); "
              f"{verdict} the rule")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-seed", type=int, default=400_000)
    parser.add_argument("--worlds", type=int, default=3_000)
    parser.add_argument("--firms", type=int, default=3_000)
    parser.add_argument("--synthetic-draws", type=int, default=0,
                        help="synthetic null outcomes refitted on each world's design (default: 0)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    seeds = range(args.first_seed, args.first_seed + args.worlds)
    runs = pd.DataFrame([row for rows in _parallel(one_world, [(s, args.firms, args.synthetic_draws) for s in seeds],
                                                   workers=args.workers, progress=True, desc="H0 worlds")
                         for row in rows])
    for outcome, group in runs.groupby("outcome", sort=False):
        extra = f", {args.synthetic_draws} a world" if outcome == "synthetic" else ""
        print(f"{outcome} outcome{extra}: seeds {seeds.start}-{seeds.stop - 1}, {args.firms} firms")
        summarise(group)


if __name__ == "__main__":
    main()
