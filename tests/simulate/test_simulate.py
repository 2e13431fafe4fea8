"""Invariants of the simulated world: identities, shares, planted effects, files and manifest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
import yaml
from stdnum.it import iva

from channelstudy.fields import FIELDS
from channelstudy.reference.comuni import load_comuni
from channelstudy.simulate import simulate
from channelstudy.simulate.config import MessRates, PlantedEffects, WorldConfig
from channelstudy.vocabulary import PARTNER_TYPES, REVENUE_STREAMS


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _read_raw(raw: Path, spec: dict) -> pd.DataFrame:
    path = raw / spec["path"]
    if spec["format"] == "csv":
        return pd.read_csv(path, sep=spec.get("delimiter", ","), encoding=spec.get("encoding", "utf-8"), dtype=str,
                           keep_default_na=False)
    if spec["format"] == "xlsx":
        return pd.read_excel(path, sheet_name=spec.get("sheet", 0), dtype=str, keep_default_na=False, engine="openpyxl")
    document = json.loads(path.read_text(encoding="utf-8"))
    return pd.json_normalize(document[spec["record_path"]])


def test_same_seed_gives_identical_bytes(tmp_path: Path) -> None:
    for run in ("a", "b"):
        simulate(tmp_path / run / "raw", seed=11, n_firms=600, waves=(2023, 2024), truth_out=tmp_path / run / "truth")
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert a == b
    assert {"raw/analyst_b.xlsx", "raw/survey_2024.xlsx", "truth/records.parquet"} <= set(a)


def test_other_seed_gives_other_data(tmp_path: Path) -> None:
    simulate(tmp_path / "a", seed=1, n_firms=600, waves=(2021,), truth_out=tmp_path / "ta")
    simulate(tmp_path / "b", seed=2, n_firms=600, waves=(2021,), truth_out=tmp_path / "tb")
    assert _digests(tmp_path / "a")["analyst_a.csv"] != _digests(tmp_path / "b")["analyst_a.csv"]


@pytest.mark.filterwarnings("error")
def test_a_one_wave_world_plants_no_trend(tmp_path: Path) -> None:
    """H4 and H8 are trends per wave: with one wave they have no estimand (null, valid JSON, no fit warning)."""
    simulate(tmp_path / "raw", seed=1, n_firms=600, waves=(2021,), truth_out=tmp_path / "truth")

    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    effects = json.loads((tmp_path / "truth" / "effects.json").read_text(encoding="utf-8"),
                         parse_constant=refuse)["effects"]
    undefined = {hid for hid, e in effects.items() if e["planted"] is None}
    assert undefined == {"H4", "H8"}
    assert effects["H4"]["estimand_value"] is None and effects["H8"]["estimand_value"] is None
    assert all(isinstance(e["planted"], float) for hid, e in effects.items() if hid not in undefined)


def test_truth_must_stay_outside_raw(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="must not be inside the raw folder"):
        simulate(tmp_path / "raw", n_firms=600, truth_out=tmp_path / "raw" / "truth")


def test_true_vats_are_valid_and_distinct(small_world) -> None:
    firms = pd.read_parquet(small_world.truth_dir / "firms.parquet")
    assert firms["vat"].str.fullmatch(r"\d{11}").all()
    assert firms["vat"].map(iva.is_valid).all()
    assert firms["vat"].is_unique
    assert firms["firm_key"].is_unique


def test_true_revenue_mix_sums_to_one(small_world) -> None:
    firms = pd.read_parquet(small_world.truth_dir / "firms.parquet")
    mix = firms[[f"mix_{s}" for s in REVENUE_STREAMS]].to_numpy()
    np.testing.assert_allclose(mix.sum(axis=1), 1.0, atol=1e-12)
    assert (mix >= 0).all()
    assert (mix == 0).any(axis=0).sum() >= 4, "structural zeros are part of the model"


def test_population_covers_types_and_istat_geography(small_world) -> None:
    firms = pd.read_parquet(small_world.truth_dir / "firms.parquet")
    assert set(firms["partner_type"]) == set(PARTNER_TYPES)
    comuni = load_comuni()
    known = set(zip(comuni["istat_code"], comuni["comune"], comuni["province"], comuni["region"], strict=True))
    rows = set(zip(firms["istat_code"], firms["comune"], firms["province"], firms["region"], strict=True))
    assert rows <= known
    assert firms["macro_area"].isin(["Nord-ovest", "Nord-est", "Centro", "Sud", "Isole"]).all()
    assert (firms["employees"] >= 1).all() and (firms["revenue_eur"] > 0).all()


def test_archetypes_do_not_map_one_to_one_to_types(small_world) -> None:
    firms = pd.read_parquet(small_world.truth_dir / "firms.parquet")
    per_type = firms.groupby("partner_type")["archetype"].nunique()
    per_archetype = firms.groupby("archetype")["partner_type"].nunique()
    assert firms["archetype"].nunique() >= 4
    assert (per_type > 1).sum() >= 5 and (per_archetype > 1).all()


def test_size_is_heavy_tailed_and_calibrated(default_world) -> None:
    firms = pd.read_parquet(default_world.truth_dir / "firms.parquet")
    j62 = firms[firms["partner_type"].isin(["system_integrator", "isv", "msp"])]
    # ISTAT SBS 2023, J62: 6.44 persons employed per enterprise; the Pareto tail makes the mean noisy
    assert 4.5 < j62["employees"].mean() < 9.5
    assert j62["employees"].median() <= 3
    assert j62["employees"].max() > 50 * j62["employees"].median()


def test_records_truth_covers_every_raw_row(small_world) -> None:
    raw = small_world.raw_dir
    records = pd.read_parquet(small_world.truth_dir / "records.parquet")
    manifest = yaml.safe_load((raw / "sources.yml").read_text(encoding="utf-8"))
    firms = set(pd.read_parquet(small_world.truth_dir / "firms.parquet")["firm_key"])
    for spec in manifest["sources"]:
        table = _read_raw(raw, spec)
        mine = records[records["source"] == spec["name"]]
        assert len(mine) == len(table), spec["name"]
        assert mine["row_number"].tolist() == list(range(1, len(table) + 1))
        id_header = spec["columns"].get("record_id")
        if id_header:
            assert mine["record_id"].tolist() == table[id_header].tolist()
    assert set(records["firm_key"]) <= firms
    assert not any(p.name.endswith(".parquet") for p in raw.iterdir()), "truth must not leak into raw"


def test_manifest_headers_exist_and_fields_are_canonical(small_world) -> None:
    raw = small_world.raw_dir
    manifest = yaml.safe_load((raw / "sources.yml").read_text(encoding="utf-8"))
    names = [s["name"] for s in manifest["sources"]]
    assert len(names) == len(set(names))
    assert {"directory", "survey", "vendor_roster", "pipeline"} == {s["kind"] for s in manifest["sources"]}
    for spec in manifest["sources"]:
        assert (raw / spec["path"]).is_file()
        allowed = {f.name for f in FIELDS[spec["kind"]]}
        headers = set(_read_raw(raw, spec).columns)
        for fld, col in spec["columns"].items():
            assert fld in allowed, (spec["name"], fld)
            header = col["column"] if isinstance(col, dict) else col
            assert header in headers, (spec["name"], header)


def test_italian_csv_is_cp1252_with_decimal_commas(small_world) -> None:
    data = (small_world.raw_dir / "analyst_a.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("cp1252")
    header = text.splitlines()[0].split(";")
    assert header[:3] == ["Codice", "Ragione sociale", "Partita IVA"]
    revenue = pd.read_csv(small_world.raw_dir / "analyst_a.csv", sep=";", encoding="cp1252", dtype=str,
                          keep_default_na=False)["Fatturato (EUR)"]
    filled = revenue[revenue != ""]
    assert filled.str.fullmatch(r"\d{1,3}(\.\d{3})*,\d{2}").all()


def test_messiness_is_present_at_documented_rates(small_world) -> None:
    raw = small_world.raw_dir
    a = pd.read_csv(raw / "analyst_a.csv", sep=";", encoding="cp1252", dtype=str, keep_default_na=False)
    vat = a["Partita IVA"]
    rates = MessRates()
    missing = (vat == "").mean()
    assert abs(missing - rates.vat_missing_directory) < 0.03
    compact = vat.str.replace(r"[\s.]", "", regex=True).str.removeprefix("IT")
    assert (compact.str.len() == 12).any(), "12-digit VATs with an extra zero"
    eleven = compact[compact.str.fullmatch(r"\d{11}")]
    assert 0 < (~eleven.map(iva.is_valid)).mean() < 0.05, "some check digits are broken"
    assert vat.str.startswith("IT").any()
    assert a["Codice ATECO"].str.fullmatch(r"\d{4}").any() and a["Codice ATECO"].str.fullmatch(r"\d\d\.\d\d").any()
    assert a["Provincia"].isin(["FO", "PS"]).any() or not a["Provincia"].isin(["FC", "PU"]).any()
    forms = a["Ragione sociale"]
    for variant in ("S.r.l.", "SRL", "S.R.L.", "RESPONSABILITA' LIMITATA"):
        assert forms.str.contains(variant, regex=False).any(), variant
    firms = pd.read_parquet(small_world.truth_dir / "firms.parquet")
    records = pd.read_parquet(small_world.truth_dir / "records.parquet")
    keys = records.loc[records["source"] == "analyst_a", "firm_key"]
    assert keys.duplicated().mean() > 0.01, "duplicates within a source"
    assert set(keys) & set(records.loc[records["source"] == "analyst_b", "firm_key"]), "sources overlap"
    assert len(set(keys)) < len(firms)


def test_survey_exports_look_like_real_exports(small_world) -> None:
    raw = small_world.raw_dir
    it = pd.read_csv(raw / "survey_2021.csv", sep=";", dtype=str, keep_default_na=False)
    en = pd.read_excel(raw / "survey_2025.xlsx", sheet_name="Responses", dtype=str, keep_default_na=False, engine="openpyxl")
    assert it["Email referente"].str.contains("@").all() and en["Contact phone"].str.startswith("+39").all()
    likert_it = set(it["Il portale partner del vendor è facile da usare"].str.lower())
    assert {"d'accordo", "molto d'accordo", "strongly agree"} & likert_it
    mix = it[[c for c in it.columns if c.startswith("% ricavi") and "ISV" not in c]]
    sums = mix[mix.ne("").all(axis=1)].astype(int).sum(axis=1)
    assert (sums.between(97, 103)).mean() > 0.9 and (~sums.between(90, 110)).any()
    assert it["Data invio"].str.fullmatch(r"\d\d/\d\d/2021 \d\d:\d\d").all()


def test_respondents_over_represent_large_firms_and_form_a_panel(default_world) -> None:
    firms = pd.read_parquet(default_world.truth_dir / "firms.parquet")
    resp = pd.read_parquet(default_world.truth_dir / "responses.parquet")
    per_wave = resp.groupby("wave").size()
    assert per_wave.between(1_700, 2_300).all() and len(per_wave) == 5
    partners = firms[firms["partner_type"] != "platform_vendor"]
    assert np.log(resp["employees"]).mean() > np.log(partners["employees"]).mean() + 0.3
    waves_per_firm = resp.groupby("firm_key")["wave"].nunique()
    assert (waves_per_firm >= 2).mean() > 0.2, "a panel component"


def test_effects_file_declares_every_hypothesis(small_world) -> None:
    meta = json.loads((small_world.truth_dir / "effects.json").read_text(encoding="utf-8"))
    effects = meta["effects"]
    assert meta["simulated"] is True
    assert set(effects) == {f"H{i}" for i in range(10)}
    for hid, e in effects.items():
        assert {"estimand", "planted", "null_value", "direction"} <= set(e), hid
        if e["direction"] == "greater":
            assert e["planted"] > e["null_value"], hid
        elif e["direction"] == "less":
            assert e["planted"] < e["null_value"], hid
    assert effects["H0"]["planted"] == 0.0 and effects["H0"]["direction"] == "none"


def test_planted_effects_are_in_the_true_answers(default_world) -> None:
    """Regressions on the true (uncorrupted) answers recover the planted estimands."""
    effects = json.loads((default_world.truth_dir / "effects.json").read_text(encoding="utf-8"))["effects"]
    firms = pd.read_parquet(default_world.truth_dir / "firms.parquet")[["firm_key", "macro_area"]]
    r = pd.read_parquet(default_world.truth_dir / "responses.parquet").merge(firms, on="firm_key")
    r = r.assign(credit=r["partner_type"].isin(["reseller", "distributor"]).astype(int),
                 south=r["macro_area"].isin(["Sud", "Isole"]).astype(int), log_emp=np.log(r["employees"]),
                 isv=(r["partner_type"] == "isv").astype(int), t=r["wave"] - 2021, w=1 / r["response_prob"])

    def within(fit, term: str, hid: str) -> None:
        low, high = fit.conf_int(alpha=0.001).loc[term]
        assert low <= effects[hid]["planted"] <= high, (hid, fit.params[term], low, high)

    def wls(formula: str, d: pd.DataFrame):
        return smf.wls(formula, d, weights=d["w"]).fit(cov_type="cluster", cov_kwds={"groups": d["firm_key"]})

    within(wls("dso_days ~ credit + south + log_emp", r), "credit", "H2")
    credit = r[r["credit"] == 1]
    within(wls("rd_share ~ dso_days + log_emp + mix_services + mix_own_ip", credit), "dso_days", "H3")
    isv = r[r["isv"] == 1]
    within(wls("intl_share ~ cloud_share + log_emp", isv), "cloud_share", "H6")
    within(wls("win_rate ~ formal_solutions + log_emp + mix_services + mix_own_ip", r), "formal_solutions[T.True]",
           "H7")
    si = r[r["partner_type"] == "system_integrator"]
    within(wls("isv_solution_share ~ t", si), "t", "H8")
    portal = wls("att_portal_easy ~ isv + log_emp", r[r["partner_type"].isin(["isv", "reseller"])])
    assert portal.pvalues["isv"] > 0.001, "H0 is a true null at equal size"


def test_planted_effects_are_modest(default_world) -> None:
    """Planted effects are small in outcome SDs (|d| < 0.3): detectable, not guaranteed."""
    effects = json.loads((default_world.truth_dir / "effects.json").read_text(encoding="utf-8"))["effects"]
    r = pd.read_parquet(default_world.truth_dir / "responses.parquet")
    assert abs(effects["H2"]["planted"]) / r["dso_days"].std() < 0.3
    assert abs(effects["H7"]["planted"]) / r["win_rate"].std() < 0.3
    assert abs(effects["H5"]["planted"]) / r["main_platform_share"].std() < 0.3


def test_confounding_is_planted_and_removed_by_the_controls(default_world) -> None:
    """Size and business model drive both sides of H3 and H7: the unadjusted value differs."""
    effects = json.loads((default_world.truth_dir / "effects.json").read_text(encoding="utf-8"))["effects"]
    h7 = effects["H7"]
    assert h7["naive"] > 1.5 * h7["planted"]
    assert effects["H0"]["naive"] > 0.03, "H0's raw difference is confounded by size"
    assert abs(effects["H0"]["estimand_value"]) < 0.03


def test_planted_value_is_the_population_estimand_not_the_parameter(default_world) -> None:
    """H6's share is clipped at 0 and H2's effect varies by size: their estimands differ from the parameters."""
    effects = json.loads((default_world.truth_dir / "effects.json").read_text(encoding="utf-8"))["effects"]
    assert effects["H6"]["planted"] < effects["H6"]["structural"]
    assert effects["H2"]["planted"] != effects["H2"]["structural"]
    assert effects["H2"]["planted"] == pytest.approx(effects["H2"]["estimand_value"], abs=1e-6)


def test_effects_scale_and_nonignorable_scenario() -> None:
    from channelstudy.simulate.world import build_world

    base = build_world(WorldConfig(n_firms=2_000), 3)
    skewed = build_world(WorldConfig(n_firms=2_000, nonignorable_response=1.0), 3)
    assert skewed.responses["win_rate"].mean() > base.responses["win_rate"].mean() + 0.01
    assert base.population["win_rate"].mean() == pytest.approx(skewed.population["win_rate"].mean())
    double = PlantedEffects().scaled(2.0)
    assert double.h2_dso_reseller_distributor_days == 2 * PlantedEffects().h2_dso_reseller_distributor_days
    assert PlantedEffects().scaled(0.0).h9_lead_share_channel == PlantedEffects().scaled(0.0).h9_lead_share_alliance


def test_pipeline_truth_plants_h9(default_world) -> None:
    effects = json.loads((default_world.truth_dir / "effects.json").read_text(encoding="utf-8"))["effects"]
    deals = pd.read_parquet(default_world.truth_dir / "deals.parquet")
    assert effects["H9"]["census_value"] == pytest.approx(effects["H9"]["planted"], abs=0.05)
    one = deals.drop_duplicates("deal_id")
    lead = one.assign(lead=one["record_type"] == "lead").groupby("relationship")["lead"].mean()
    assert lead["channel"] > lead["alliance"]
    customers = pd.read_parquet(default_world.truth_dir / "customers.parquet")
    assert len(customers) == 12_000 and one["customer_id"].nunique() > 9_000
    firms = pd.read_parquet(default_world.truth_dir / "firms.parquet")
    assert firms["is_joint_venture"].sum() == 1


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="n_vendors"):
        WorldConfig(n_vendors=30)
    with pytest.raises(ValueError, match="rate"):
        MessRates(name_typo=1.5)
    with pytest.raises(ValueError, match="planted null"):
        PlantedEffects(h0_portal_diff=0.1)
    with pytest.raises(ValueError, match="n_firms"):
        WorldConfig(n_firms=10)
    with pytest.raises(ValueError, match="size_heterogeneity"):
        PlantedEffects(size_heterogeneity=1.5)
