"""The build report: per source, rows read = rows used + rows rejected, match methods, cleaning counts.
"""

from __future__ import annotations

import pandas as pd

from channelstudy.build.rejects import rows_in_file
from channelstudy.fields import STATISTICS_KIND
from channelstudy.sources.specs import Manifest
from channelstudy.vocabulary import REJECT_REASONS


def _counts(values: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in values.fillna("ok").value_counts().sort_index().items()}


def cleaning_counts(ids: pd.DataFrame, directory: pd.DataFrame,
                    frames: dict[str, pd.DataFrame] | None = None) -> dict[str, dict[str, dict]]:
    """Per source, what cleaning found: identifier kinds, geography flags, ATECO flags (``ok`` = no flag).

    ``vat`` classifies the identifier used (the ``vat`` column, else ``tax_code``); it is
    ``missing`` when the row has neither.  ``geo`` and ``ateco`` are left out for a source that
    maps none of their fields.  ``decoded`` (sources with decoders): per field, the counts of
    :func:`decode_fields`.
    """
    def blank(values: pd.Series) -> pd.Series:
        return values.astype("str").fillna("").str.strip().eq("")

    out: dict[str, dict[str, dict]] = {}
    for source, g in ids.groupby("source", sort=False):
        out[str(source)] = {"vat": _counts(g["vat_kind"].mask(blank(g["vat_raw"]) & blank(g["tax_code_raw"]),
                                                              "missing"))}
        if g["comune_raw"].notna().any() or g["province_raw"].notna().any():  # NA: not mapped, "": empty cell
            out[str(source)]["geo"] = _counts(g["geo_flag"])
    for source, g in directory.groupby("source", sort=False):
        if frames is None or "ateco" in frames[str(source)].columns:
            out[str(source)]["ateco"] = _counts(g["ateco_flag"])
    for source, frame in (frames or {}).items():
        if frame.attrs.get("decoded") and source in out:
            out[source]["decoded"] = frame.attrs["decoded"]
    return out


def build_report(manifest: Manifest, frames: dict[str, pd.DataFrame], tables: dict[str, pd.DataFrame],
                 cleaning: dict | None = None) -> dict:
    """Per source: rows read, used, rejected (by reason), linked, how records matched, what cleaning found."""
    rejects = tables["rejects"]
    links = tables["links"]
    used_tables = {"directory": None, "survey": "survey", "vendor_roster": "vendor_roster", "pipeline": "pipeline"}
    sources = {}
    for spec in manifest.sources:
        frame = frames[spec.name]
        rej = rejects[rejects["source"] == spec.name]
        lk = links[links["source"] == spec.name]
        read = rows_in_file(frame)
        if spec.kind == STATISTICS_KIND:
            observations = tables[f"statistics_{spec.name}"]
            used = int(observations["row_number"].nunique())
        elif used_tables[spec.kind] is None:
            used = int(lk["firm_id"].notna().sum())
        else:
            used = int((tables[used_tables[spec.kind]]["source"] == spec.name).sum())
        sources[spec.name] = {
            "kind": spec.kind,
            "path": spec.path.name,
            "rows_read": read,
            "rows_used": used,
            "rows_rejected": int(len(rej)),
            "rejected_by_reason": {k: int(v) for k, v in rej["reason"].value_counts().sort_index().items()},
            "rows_linked": int(lk["firm_id"].notna().sum()),
            "match_methods": {k: int(v) for k, v in lk["match_method"].value_counts().sort_index().items()},
            "balanced": read == used + int(len(rej)),
            "cleaning": (cleaning or {}).get(spec.name, {}),
        }
        if frame.attrs.get("hints"):
            sources[spec.name]["warnings"] = list(frame.attrs["hints"])
        if spec.preset is not None:
            sources[spec.name]["preset"] = spec.preset
        if spec.kind == STATISTICS_KIND:
            sources[spec.name]["observations"] = int(len(observations))
    return {
        "sources": sources,
        "firms_resolved": int(len(tables["firms"])),
        "rows_read": sum(s["rows_read"] for s in sources.values()),
        "rows_used": sum(s["rows_used"] for s in sources.values()),
        "rows_rejected": sum(s["rows_rejected"] for s in sources.values()),
        "reject_reasons": REJECT_REASONS,
    }
