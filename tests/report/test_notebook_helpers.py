"""Notebook helpers degrade: a row that did not run, a world with no planted truth, an empty group."""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from channelstudy.catalog import paths  # noqa: E402
from channelstudy.hypotheses import wls_term  # noqa: E402
from channelstudy.report.notebook import CatalogueReport, load_truth, persons, robustness, use_folders  # noqa: E402

ROW = {"claim": "c", "outcome": "o", "predictors": "p", "controls": "none", "estimator": "WLS", "null_value": 0.0,
       "direction": "greater", "p_value": 1e-5, "p_holm": 1e-4, "p_bh": 1e-4, "n": 100, "weighted": True,
       "supported": True}


def _catalogue() -> pd.DataFrame:
    return pd.DataFrame([
        {"id": "H4", **ROW, "status": "ran", "estimate": 0.12, "ci_low": 0.1, "ci_high": 0.14},
        {"id": "H5", **ROW, "status": "not run: no ISVs in the data", "estimate": np.nan, "ci_low": np.nan,
         "ci_high": np.nan, "n": np.nan, "supported": np.nan},
    ]).set_index("id")


def test_a_row_that_did_not_run_is_one_line(capsys, tmp_path) -> None:
    report = CatalogueReport(_catalogue(), {})
    report.show_row("H5")
    assert capsys.readouterr().out == "H5: no estimate (not run: no ISVs in the data)\n"
    assert report.effect_figure("H5", "x", "h5", ) is None
    report.planted_vs_estimated("H4")
    assert "no planted value" in capsys.readouterr().out
    assert report.covers_planted("H4") is None and report.covers_planted("H9") is None


def test_covers_planted_reads_the_truth() -> None:
    report = CatalogueReport(_catalogue(), {"H4": {"planted": 0.2, "unit": "u", "estimand": "e"}})
    assert report.covers_planted("H4") is False


def test_empty_groups_give_a_note_not_an_error(capsys) -> None:
    empty = pd.DataFrame({"y": pd.Series([], dtype=float), "x": pd.Series([], dtype=float),
                          "firm_id": pd.Series([], dtype=str), "weight": pd.Series([], dtype=float)})
    out = robustness({"an empty group": (empty, "y ~ x", "x")}, wls_term)
    assert out == {"an empty group": None}
    assert capsys.readouterr().out == "an empty group: not estimable here\n"


def test_unknown_employees_print_as_unknown() -> None:
    assert persons(pd.NA) == "persons employed unknown" and persons(12.0) == "12 persons"


def test_parameters_point_the_folders(tmp_path, monkeypatch) -> None:
    for variable in ("CHANNELSTUDY_PROCESSED", "CHANNELSTUDY_TRUTH", "CHANNELSTUDY_FIGURES"):
        monkeypatch.delenv(variable, raising=False)
    use_folders(processed=tmp_path / "p", truth=tmp_path / "t", figures=None)
    try:
        assert paths.processed_dir() == (tmp_path / "p").resolve()
        assert load_truth() == {}  # no effects.json: real data
        with pytest.raises(ValueError, match="unknown folder"):
            use_folders(tables_folder=tmp_path)
    finally:
        os.environ.pop("CHANNELSTUDY_PROCESSED", None)
        os.environ.pop("CHANNELSTUDY_TRUTH", None)


def _mixes(n: int = 300, seed: int = 3) -> pd.DataFrame:
    from channelstudy.vocabulary import REVENUE_STREAMS

    rng = np.random.default_rng(seed)
    alphas = np.array([[8, 1, 1, 1, 1, 1], [1, 1, 8, 2, 1, 1]], dtype=float)
    shares = np.vstack([rng.dirichlet(alphas[i % 2]) for i in range(n)])
    shares[rng.random(shares.shape) < 0.15] = 0.0  # structural zeros, as survey mixes have
    shares[shares.sum(axis=1) == 0, 0] = 1.0
    return pd.DataFrame(shares / shares.sum(axis=1, keepdims=True), columns=[f"mix_{s}" for s in REVENUE_STREAMS])


def test_projection_and_selection_are_those_of_the_full_fit() -> None:
    from channelstudy.analysis.clustering import BusinessModelClustering
    from channelstudy.report.notebook import clr_projection, cluster_selection

    mix = _mixes()
    model = BusinessModelClustering(n_components_range=(1, 3), n_bootstrap=0, random_state=5).fit(mix)
    np.testing.assert_array_equal(clr_projection(mix, random_state=5), model.project_2d(mix))
    report = {c: {str(k): round(float(v), 3) for k, v in getattr(model, f"{c}_").items()}
              for c in ("bic", "icl", "silhouette")} | {"n_components": int(model.n_components_)}
    selection = cluster_selection(report)
    pd.testing.assert_frame_equal(selection, model.selection_, check_exact=False, atol=1e-3)
    assert selection["selected"].sum() == 1
