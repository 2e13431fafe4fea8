"""Rule-based partner-type classification: rules in order, explainable, accurate on the simulated truth."""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import balanced_accuracy_score, confusion_matrix

from channelstudy.analysis.segments import RULES, classify_partners, dominant_family, parse_votes
from channelstudy.vocabulary import PARTNER_TYPES
from tests.conftest import true_firm_keys


def _firms(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values()))) if columns else 1
    base = {"firm_id": [f"F{i + 1}" for i in range(n)], "name": [f"AZIENDA {i} SRL" for i in range(n)],
            "ateco_2025": [None] * n, "partner_type_votes": [None] * n}
    base.update(columns)
    return pd.DataFrame(base).astype({"ateco_2025": "str", "partner_type_votes": "str"})


def test_programme_owner_is_the_only_way_to_be_a_platform_vendor() -> None:
    firms = _firms(firm_id=["F1", "F2"], name=["NIMBUS SYSTEMS ITALIA S.P.A.", "NIMBUS RIVENDITA SRL"],
                   ateco_2025=["58.29", "47.40"], partner_type_votes=["platform_vendor:2", "platform_vendor:3"])
    out = classify_partners(firms, vendors=["Nimbus Systems"]).table.set_index("firm_id")
    assert out.loc["F1", "partner_type"] == "platform_vendor" and out.loc["F1", "rule"] == "programme_owner"
    assert out.loc["F2", "partner_type"] == "reseller" and out.loc["F2", "rule"] == "ateco_only"


def test_declared_label_must_fit_the_ateco_class() -> None:
    firms = _firms(ateco_2025=["62.10"], partner_type_votes=["reseller:2;isv:1"])
    row = classify_partners(firms).table.iloc[0]
    assert (row["partner_type"], row["rule"]) == ("isv", "declared_fits_ateco")
    assert "62.10" in row["evidence"]


def test_rule_order_without_ateco_and_with_a_mix() -> None:
    firms = _firms(firm_id=["F1", "F2", "F3"], partner_type_votes=["msp:1", None, None])
    survey = pd.DataFrame({"firm_id": ["F2"], "mix_hw_resale": [0.05], "mix_sw_resale": [0.05], "mix_services": [0.1],
                           "mix_own_ip": [0.6], "mix_cloud_subs": [0.1], "mix_managed": [0.1]})
    out = classify_partners(firms, survey=survey).table.set_index("firm_id")
    assert out.loc["F1", ["partner_type", "rule"]].tolist() == ["msp", "declared_only"]
    assert out.loc["F2", ["partner_type", "rule"]].tolist() == ["isv", "revenue_mix"]
    assert pd.isna(out.loc["F3", "partner_type"]) and out.loc["F3", "rule"] == "unclassified"


def test_parse_votes_and_dominant_family() -> None:
    votes = parse_votes(pd.Series(["reseller:3;isv:1"], index=["F1"]))
    assert votes.to_dict("list") == {"firm_id": ["F1", "F1"], "partner_type": ["reseller", "isv"], "votes": [3, 1]}
    mix = pd.DataFrame({"mix_hw_resale": [0.3], "mix_sw_resale": [0.3], "mix_services": [0.35], "mix_own_ip": [0.0],
                        "mix_cloud_subs": [0.0], "mix_managed": [0.05]})
    assert dominant_family(mix).tolist() == ["resale"]  # 0.6 of resale beats 0.35 of services


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_classifier_recovers_true_types_on_the_default_world(built_world) -> None:
    root, result = built_world
    t = result.tables
    classified = classify_partners(t["firms"], vendors=sorted(t["vendor_roster"]["vendor"].unique()),
                                   survey=t["survey"]).table
    assert set(classified["rule"]) <= set(RULES)
    assert classified["firm_id"].tolist() == t["firms"]["firm_id"].tolist()
    key = true_firm_keys(t["links"], pd.read_parquet(root / "truth" / "records.parquet"))
    truth = pd.read_parquet(root / "truth" / "firms.parquet").set_index("firm_key")["partner_type"]
    both = classified.set_index("firm_id").join(key).dropna(subset=["firm_key"])
    true_type = truth.reindex(both["firm_key"]).to_numpy()
    predicted = both["partner_type"].fillna("unclassified").to_numpy()
    score = balanced_accuracy_score(true_type, predicted)
    assert score >= 0.90, score
    matrix = confusion_matrix(true_type, predicted, labels=[*PARTNER_TYPES, "unclassified"])
    assert matrix.diagonal()[: len(PARTNER_TYPES)].sum() / matrix[: len(PARTNER_TYPES)].sum() > 0.95
