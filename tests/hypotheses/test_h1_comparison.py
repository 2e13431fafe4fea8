"""H1 as a descriptive comparison of real SBS aggregates: pre-specified peers, a materiality threshold, no p-value."""

from __future__ import annotations

import pandas as pd
import pytest

from channelstudy.analysis.external import H1_COLUMNS, H1_PRIMARY_PEER, h1_comparison, load_sbs_table


def test_h1_compares_italy_with_the_prespecified_peers() -> None:
    out = h1_comparison(load_sbs_table())
    assert tuple(out.columns) == H1_COLUMNS and "p_value" not in out.columns
    assert out.loc[out["role"] == "primary", "peer"].unique().tolist() == [H1_PRIMARY_PEER]
    assert set(out["peer"]) == {"EU27_2020", "DE", "FR", "ES"}
    size = out[out["metric"] == "persons_per_enterprise"].set_index("peer")
    # real J62 figures: Italian enterprises are larger than the EU27's and France's
    assert size.loc["EU27_2020", "verdict"] == "Italy less fragmented"
    assert size.loc["DE", "verdict"] == "Italy more fragmented"
    assert not out["same_source_and_year"].any(), "Italy's row is ISTAT 2023, the peers' Eurostat 2024"


def test_gaps_below_the_threshold_are_no_material_difference() -> None:
    table = pd.DataFrame({
        "nace": "J62", "geo": ["IT", "EU27_2020", "DE", "FR", "ES"],
        "persons_per_enterprise": [5.0, 5.2, 10.0, 5.0, 2.0],
        "micro_turnover_share": [0.20, 0.21, 0.10, 0.20, 0.30],
        "source": "Eurostat", "reference_year": 2024,
    })
    out = h1_comparison(table).set_index(["peer", "metric"])["verdict"]
    assert out[("EU27_2020", "persons_per_enterprise")] == "no material difference"
    assert out[("EU27_2020", "micro_turnover_share")] == "no material difference"
    assert out[("DE", "persons_per_enterprise")] == "Italy more fragmented"
    assert out[("ES", "persons_per_enterprise")] == "Italy less fragmented"
    assert out[("DE", "micro_turnover_share")] == "Italy more fragmented"
    assert h1_comparison(table)["same_source_and_year"].all()


def test_a_missing_peer_is_an_error() -> None:
    table = load_sbs_table()
    with pytest.raises(ValueError, match="no FR row"):
        h1_comparison(table[table["geo"] != "FR"])
