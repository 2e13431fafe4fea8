"""Firm survivorship: one row per resolved firm, its attributes taken from its best records.
"""

from __future__ import annotations

import pandas as pd

from channelstudy.catalog.schemas import SCHEMAS, typed
from channelstudy.clean import ateco
from channelstudy.clean.size import size_class

# --- firms ------------------------------------------------------------------------------------

def _mode_by_firm(values: pd.DataFrame, column: str) -> pd.Series:
    """Most frequent non-null value per firm; ties go to the most authoritative record."""
    v = values[["firm_id", column, "priority"]].dropna(subset=[column])  # narrow first: fewer columns to take
    counts = v.groupby(["firm_id", column], sort=False).agg(n=("priority", "size"), best=("priority", "min"))
    counts = counts.reset_index().sort_values(["firm_id", "n", "best", column], ascending=[True, False, True, True])
    return counts.drop_duplicates("firm_id").set_index("firm_id")[column]


def declared_votes(declared: pd.DataFrame) -> pd.Series:
    """Per firm, the declared partner-type labels of all its records: ``reseller:3;isv:1`` (most first)."""
    votes = (declared.dropna(subset=["partner_type_declared"])
             .groupby(["firm_id", "partner_type_declared"]).size().rename("n").reset_index()
             .sort_values(["firm_id", "n", "partner_type_declared"], ascending=[True, False, True]))
    text = votes["partner_type_declared"] + ":" + votes["n"].astype(str)
    return joined_by_firm(votes["firm_id"], text)


def joined_by_firm(firm_id: pd.Series, text: pd.Series, *, distinct_sorted: bool = False) -> pd.Series:
    """Per firm, its texts joined by ``;`` in row order (or distinct and sorted); one pass, no per-group pandas.

    >>> joined_by_firm(pd.Series(["f2", "f1", "f2"]), pd.Series(["b", "a", "a"]), distinct_sorted=True).to_dict()
    {'f2': 'a;b', 'f1': 'a'}
    """
    groups: dict[str, list[str]] = {}
    for firm, value in zip(firm_id.tolist(), text.tolist(), strict=True):
        groups.setdefault(firm, []).append(value)
    if distinct_sorted:
        return pd.Series({firm: ";".join(sorted(set(v))) for firm, v in groups.items()}, dtype=object)
    return pd.Series({firm: ";".join(v) for firm, v in groups.items()}, dtype=object)


def resolve_firms(linked: pd.DataFrame, directory: pd.DataFrame, survey: pd.DataFrame,
                  roster: pd.DataFrame) -> pd.DataFrame:
    """One row per firm from all its records (see the codebook for each attribute's rule)."""
    used = ["firm_id", "priority", "source", "row_number", "vat", "name", "name_raw", "legal_form", "istat_code",
            "comune", "province", "region", "macro_area", "nuts2", "region_declared", "macro_area_declared",
            "nuts2_declared"]
    rec = linked.loc[linked["firm_id"].notna(), linked.columns.intersection(used)].sort_values(["firm_id", "priority", "source", "row_number"])
    first = rec.drop_duplicates("firm_id").set_index("firm_id")
    firms = pd.DataFrame(index=pd.Index(sorted(rec["firm_id"].unique()), name="firm_id"))
    firms["vat"] = _mode_by_firm(rec, "vat")
    firms["name"] = first["name"].fillna(first["name_raw"].astype("str").str.strip())
    firms["legal_form"] = _mode_by_firm(rec, "legal_form")
    place = _mode_by_firm(rec, "istat_code")
    geo_cols = ["comune", "province", "region", "macro_area", "nuts2"]
    by_code = rec.dropna(subset=["istat_code"]).drop_duplicates("istat_code").set_index("istat_code")[geo_cols]
    firms["istat_code"] = place
    firms[geo_cols] = by_code.reindex(place.reindex(firms.index)).to_numpy()
    province = _mode_by_firm(rec, "province").reindex(firms.index)
    no_place = firms["istat_code"].isna()
    if no_place.any():
        prov_ref = (rec.dropna(subset=["province", "region"]).drop_duplicates("province")
                    .set_index("province")[["region", "macro_area", "nuts2"]])
        firms.loc[no_place, "province"] = province[no_place]
        firms.loc[no_place, ["region", "macro_area", "nuts2"]] = prov_ref.reindex(province[no_place]).to_numpy()
    no_region = firms["region"].isna()
    if no_region.any():  # neither comune nor province: the region a source states, if any
        region = _mode_by_firm(rec, "region_declared").reindex(firms.index)
        region_ref = (rec.dropna(subset=["region_declared"]).drop_duplicates("region_declared")
                      .set_index("region_declared")[["macro_area_declared", "nuts2_declared"]])
        firms.loc[no_region, "region"] = region[no_region]
        firms.loc[no_region, ["macro_area", "nuts2"]] = region_ref.reindex(region[no_region]).to_numpy()

    measured = ["firm_id", "employees", "revenue_eur"]
    measures = pd.concat([directory[directory.columns.intersection(measured)].assign(_p=0),
                          survey[survey.columns.intersection(measured)].assign(_p=1)], ignore_index=True)
    for name in ("employees", "revenue_eur"):
        values = measures.dropna(subset=[name])
        best = values.groupby("firm_id")["_p"].transform("min")
        firms[name] = values[values["_p"] == best].groupby("firm_id")[name].median().astype("Float64")
    classes = directory[["firm_id", "ateco_2025"]].dropna(subset=["ateco_2025"]).assign(priority=0)
    classes["ateco_2025"] = classes["ateco_2025"].str[:5]  # class level: subcategories vary across sources
    firms["ateco_2025"] = _mode_by_firm(classes, "ateco_2025")
    firms["ateco_2025_title"] = firms["ateco_2025"].map(ateco.title_2025).astype("str")
    for name in ("employees_class", "production_class", "capital_class"):
        firms[name] = _mode_by_firm(directory[["firm_id", name]].assign(priority=0), name)
    firms["size_class"] = size_class(firms["employees"], firms["revenue_eur"]).astype("str")
    declared = pd.concat([t[["firm_id", "partner_type_declared"]] for t in (directory, survey, roster)])
    firms["partner_type"] = _mode_by_firm(declared.assign(priority=0), "partner_type_declared")
    firms["partner_type_votes"] = declared_votes(declared)
    firms["n_records"] = rec.groupby("firm_id").size().astype("int64")
    firms["sources"] = joined_by_firm(rec["firm_id"], rec["source"], distinct_sorted=True)
    columns = list(SCHEMAS["firms"].columns)
    return typed(firms.reset_index()[columns], "firms")
