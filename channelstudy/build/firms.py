"""Firm survivorship: one row per resolved firm, its attributes taken from its best records.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from channelstudy.catalog.schemas import SCHEMAS, typed
from channelstudy.clean import ateco
from channelstudy.clean.size import size_class

# --- firms ------------------------------------------------------------------------------------

def _mode_by_firm(values: pd.DataFrame, column: str, firm_code: np.ndarray | None = None) -> pd.Series:
    """Most frequent non-null value per firm; ties go to the most authoritative record, then the smallest value.

    Integer codes and one sort instead of a groupby of strings; indexed by firm in sorted order.
    ``firm_code``: the codes of ``values["firm_id"]`` in sorted order (``pd.factorize(..., sort=True)``),
    when the caller has them already.

    >>> frame = pd.DataFrame({"firm_id": ["f2", "f1", "f1", "f1", "f2"], "vat": ["b", "a", "c", "c", pd.NA],
    ...                       "priority": [1, 0, 2, 3, 0]})
    >>> _mode_by_firm(frame, "vat").to_dict()
    {'f1': 'c', 'f2': 'b'}
    """
    col, firm_id = values[column], values["firm_id"]
    keep = np.flatnonzero((col.notna() & firm_id.notna()).to_numpy())
    firm = (pd.factorize(firm_id, sort=True)[0] if firm_code is None else firm_code)[keep]
    value, uniques = pd.factorize(col, sort=True)
    width = max(len(uniques), 1)
    cell, row, inverse = np.unique(firm.astype(np.int64) * width + value[keep], return_index=True,
                                   return_inverse=True)
    n = np.bincount(inverse, minlength=len(cell))
    best = np.full(len(cell), np.inf)
    np.fmin.at(best, inverse, pd.to_numeric(values["priority"]).to_numpy(dtype=float, na_value=np.nan)[keep])
    order = np.lexsort((cell % width, best, -n, cell // width))  # by firm, n desc, best asc, value asc
    firm_of = cell[order] // width
    chosen = keep[row[order][np.r_[True, firm_of[1:] != firm_of[:-1]][: len(order)]]]
    return pd.Series(col.iloc[chosen].to_numpy(), index=pd.Index(firm_id.iloc[chosen].to_numpy(), name="firm_id"),
                     name=column, dtype=col.dtype)


def declared_votes(declared: pd.DataFrame) -> pd.Series:
    """Per firm, the declared partner-type labels of all its records: ``reseller:3;isv:1`` (most first)."""
    votes = (declared.dropna(subset=["partner_type_declared"])
             .groupby(["firm_id", "partner_type_declared"]).size().rename("n").reset_index()
             .sort_values(["firm_id", "n", "partner_type_declared"], ascending=[True, False, True]))
    text = votes["partner_type_declared"] + ":" + votes["n"].astype(str)
    return joined_by_firm(votes["firm_id"], text)


def joined_by_firm(firm_id: pd.Series, text: pd.Series, *, distinct_sorted: bool = False) -> pd.Series:
    """Per firm (in order of first appearance), its texts joined by ``;`` in row order (or distinct and sorted).

    Vectorised: rows are ordered by firm with numpy, and all texts are joined in one string
    (``;`` within a firm, ``\\x00`` between firms) then split, so there is no Python loop per
    record or per firm (a text holding ``\\x00`` falls back to a pandas groupby).  A missing text
    raises ``ValueError`` (drop those rows first).

    >>> joined_by_firm(pd.Series(["f2", "f1", "f2"]), pd.Series(["b", "a", "a"]), distinct_sorted=True).to_dict()
    {'f2': 'a;b', 'f1': 'a'}
    >>> joined_by_firm(pd.Series(["f2", "f1", "f2", "f2"]), pd.Series(["b", "a", "a", "b"])).to_dict()
    {'f2': 'b;a;b', 'f1': 'a'}
    """
    if pd.Series(text).isna().any():
        raise ValueError("joined_by_firm: a text is missing; drop the rows without one first")
    codes, firms = pd.factorize(pd.Series(firm_id), use_na_sentinel=False)
    if distinct_sorted:
        text_code, texts = pd.factorize(pd.Series(text), sort=True)
        width = max(len(texts), 1)
        cell = np.sort(codes.astype(np.int64) * width + text_code)  # np.unique without options is far slower
        cell = cell[np.r_[True, cell[1:] != cell[:-1]][: len(cell)]]
        group, values = cell // width, np.asarray(texts, dtype=object)[cell % width]
    else:
        order = np.argsort(codes, kind="stable")
        group, values = codes[order], np.asarray(text, dtype=object)[order]
    pieces = np.empty(2 * len(values), dtype=object)
    pieces[0::2] = values
    pieces[1::2] = ";"
    pieces[1::2][np.r_[group[1:] != group[:-1], True][: len(group)]] = "\x00"  # object: numpy's str drops NULs
    joined = "".join(pieces.tolist()).split("\x00")[:-1]
    if len(joined) != len(firms):  # a text holds the separator: the slow, safe way
        joined = [";".join(g) for _, g in pd.Series(values).groupby(group, sort=True)]
    return pd.Series(joined, index=pd.Index(list(firms)), dtype=object)


def _sorted_order(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Row positions sorting ``frame`` by ``columns`` (ascending, stable, missing last), as ``sort_values``.

    >>> _sorted_order(pd.DataFrame({"f": ["b", "a", "b", pd.NA], "p": [2, 1, 1, 0]}), ["f", "p"]).tolist()
    [1, 2, 0, 3]
    """
    keys = []
    for column in reversed(columns):
        code, uniques = pd.factorize(frame[column], sort=True)
        keys.append(np.where(code < 0, len(uniques), code))
    return np.lexsort(keys) if keys else np.arange(len(frame))


def _first_of(frame: pd.DataFrame, order: np.ndarray, column: str, *required: str) -> pd.DataFrame:
    """For each value of ``column``, the first row in ``order`` having it (and ``required`` columns), in that order.

    The same rows as ``frame.iloc[order].dropna(subset=[column, *required]).drop_duplicates(column)``
    without reordering the whole frame.

    >>> frame = pd.DataFrame({"k": ["a", "b", "a", pd.NA], "v": [1, 2, 3, 4]})
    >>> _first_of(frame, np.array([2, 3, 1, 0]), "k")["v"].tolist()
    [3, 2]
    """
    keep = frame[[column, *required]].notna().all(axis=1).to_numpy()
    code = pd.factorize(frame[column])[0]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    best = np.full(code.max(initial=-1) + 1, len(order), dtype=np.int64)
    np.minimum.at(best, code[keep], rank[keep])
    return frame.iloc[order[np.sort(best[best < len(order)])]]


def resolve_firms(linked: pd.DataFrame, directory: pd.DataFrame, survey: pd.DataFrame,
                  roster: pd.DataFrame) -> pd.DataFrame:
    """One row per firm from all its records (see the codebook for each attribute's rule)."""
    used = ["firm_id", "priority", "source", "row_number", "vat", "name", "name_raw", "legal_form", "istat_code",
            "comune", "province", "region", "macro_area", "nuts2", "region_declared", "macro_area_declared",
            "nuts2_declared"]
    rec = linked.loc[linked["firm_id"].notna(), linked.columns.intersection(used)]
    order = _sorted_order(rec, ["firm_id", "priority", "source", "row_number"])  # the records' authority order
    first = _first_of(rec, order, "firm_id").set_index("firm_id")
    firms = pd.DataFrame(index=pd.Index(sorted(rec["firm_id"].unique()), name="firm_id"))
    firm_code = pd.factorize(rec["firm_id"], sort=True)[0]
    firms["vat"] = _mode_by_firm(rec, "vat", firm_code)
    firms["name"] = first["name"].fillna(first["name_raw"].astype("str").str.strip())
    firms["legal_form"] = _mode_by_firm(rec, "legal_form", firm_code)
    place = _mode_by_firm(rec, "istat_code", firm_code)
    geo_cols = ["comune", "province", "region", "macro_area", "nuts2"]
    by_code = _first_of(rec, order, "istat_code").set_index("istat_code")[geo_cols]
    firms["istat_code"] = place
    firms[geo_cols] = by_code.reindex(place.reindex(firms.index)).to_numpy()
    province = _mode_by_firm(rec, "province", firm_code).reindex(firms.index)
    no_place = firms["istat_code"].isna()
    if no_place.any():
        prov_ref = _first_of(rec, order, "province", "region").set_index("province")[["region", "macro_area", "nuts2"]]
        firms.loc[no_place, "province"] = province[no_place]
        firms.loc[no_place, ["region", "macro_area", "nuts2"]] = prov_ref.reindex(province[no_place]).to_numpy()
    no_region = firms["region"].isna()
    if no_region.any():  # neither comune nor province: the region a source states, if any
        region = _mode_by_firm(rec, "region_declared", firm_code).reindex(firms.index)
        region_ref = (_first_of(rec, order, "region_declared")
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
