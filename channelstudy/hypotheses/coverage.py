"""What a raw folder can support, read from its manifest before any analysis (``channelstudy check``).

A manifest says which canonical fields each source maps.  From that alone this module tells which
hypotheses of the catalogue and which notebook sections the data can support, and which fields
would unlock the rest.  The hypotheses' needs are derived from their estimators' declared
:class:`~channelstudy.hypotheses.estimators.Requirements` (the same declaration ``analyze`` checks
on the built tables); what only the data can tell (groups present, enough observations) is checked
by ``analyze`` and reported in the ``status`` column of ``hypotheses.csv``.

A *need* is met when one of its alternatives is: an alternative is a set of tokens ``kind`` (a
source of that kind exists) or ``kind.field`` (a source of that kind maps the field), all present.

>>> available(["survey.dso_days", "survey"], NEEDS["partner types"])
False
>>> available(["survey.declared_type"], NEEDS["partner types"])
True
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from channelstudy.fields import KINDS
from channelstudy.hypotheses.catalogue import CATALOGUE, Hypothesis
from channelstudy.hypotheses.estimators import SOURCE_OF_TABLE
from channelstudy.sources.manifest import load_manifest
from channelstudy.sources.specs import Manifest
from channelstudy.vocabulary import REVENUE_STREAMS

__all__ = ["NEEDS", "SECTIONS", "Coverage", "available", "check", "hypothesis_needs", "tokens"]

Alternatives = tuple[tuple[str, ...], ...]

MIX = tuple(f"survey.mix_{s}" for s in REVENUE_STREAMS)

NEEDS: dict[str, Alternatives] = {
    "a directory source": (("directory",),),
    "a survey source": (("survey",),),
    "a pipeline source": (("pipeline",),),
    "more than one survey wave": (("survey.waves>1",),),
    "partner types": (("directory.partner_type",), ("directory.ateco",), ("survey.declared_type",),
                      ("vendor_roster.role",), MIX),
    "revenue mixes": (MIX,),
    "comune or province": tuple((f"{k}.{f}",) for k in KINDS for f in ("comune", "province")),
    "employees": (("survey.employees",), ("directory.employees",), ("directory.employees_class",)),
    "survey weights": (("directory", "survey", "directory.comune"), ("directory", "survey", "directory.province")),
}
"""Named needs and their alternatives (each a set of tokens that must all be present)."""

VARIABLE_NEEDS: dict[str, tuple[str, ...]] = {
    "isv": ("partner types",), "credit": ("partner types",), "partner_type": ("partner types",),
    "classified_type": ("partner types",), "in_directory": ("a directory source",),
    "south": ("comune or province",), "log_emp": ("employees",), "employees": ("employees",),
    "t": ("more than one survey wave",),
    "log_support_ratio": ("survey.vendor_support_eur", "survey.revenue_eur"),
    "formal": ("survey.formal_solutions",), "firm_id": (),
}
"""Study variables computed from canonical fields, and the needs they stand for (``firm_id``: made by the build)."""


SECTIONS: dict[str, tuple[str, ...]] = {
    "00 study data: firms by type, size and region": ("a directory source", "partner types", "comune or province"),
    "01 data quality: rows used and rejected, linkage": (),
    "02 partner segments and survey weights": ("partner types", "survey weights"),
    "03 business models (revenue-mix clusters)": ("revenue mixes",),
    "04 fragmentation (H1)": ("H1",),
    "05 credit and innovation (H2, H3)": ("H2", "H3"),
    "06 ISVs and platforms (H4, H5, H6, H8)": ("H4", "H5", "H6", "H8"),
    "07 solutions and alliances (H7, H9)": ("H7", "H9"),
}
"""Notebook sections and the needs (or hypotheses) they rest on."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def tokens(manifest: Manifest) -> frozenset[str]:
    """What a manifest provides: ``kind``, ``kind.field`` for each mapped or constant field, ``survey.waves>1``."""
    found: set[str] = set()
    waves: set[str] = set()
    for spec in manifest.sources:
        found.add(spec.kind)
        for name in (*spec.headers, *spec.constant_values):
            found.add(f"{spec.kind}.{name}")
        if spec.kind == "survey":
            waves.add(str(spec.wave) if spec.wave is not None else f"column of {spec.name}")
    if len(waves) > 1 or any(w.startswith("column") for w in waves):
        found.add("survey.waves>1")
    return frozenset(found)


def available(present: Iterable[str], alternatives: Alternatives) -> bool:
    """Whether one of the alternatives has all its tokens in ``present``."""
    have = set(present)
    return any(set(alt) <= have for alt in alternatives)


def _alternatives(need: str) -> Alternatives:
    return NEEDS.get(need, ((need,),))


def hypothesis_needs(hypothesis: Hypothesis) -> tuple[str, ...]:
    """The named needs of a hypothesis, from its estimator's requirements (table, columns, where, groups)."""
    req = hypothesis.requirements
    kind = SOURCE_OF_TABLE[req.table]
    text = " ".join([*req.columns, req.where or "", *(q for q, _ in req.groups)])
    needs: list[str] = [f"a {kind} source"]
    for name in dict.fromkeys(_IDENTIFIER.findall(text)):
        if name in VARIABLE_NEEDS:
            needs.extend(VARIABLE_NEEDS[name])
        elif name in req.columns:
            needs.append(f"{kind}.{name}")
    return tuple(dict.fromkeys(needs))


@dataclass(frozen=True)
class Coverage:
    """The result of :func:`check`: three tables."""

    sources: pd.DataFrame
    """One row per source: ``source``, ``kind``, ``fields`` (mapped canonical fields, comma-separated)."""
    hypotheses: pd.DataFrame
    """One row per hypothesis: ``id``, ``supported_by_fields`` (bool), ``missing`` (what would unlock it)."""
    sections: pd.DataFrame
    """One row per notebook section: ``section``, ``status`` (``yes``, ``partly``, ``no``), ``missing``."""
    unlock: pd.DataFrame
    """One row per missing need: ``need`` (what to map or add) and ``hypotheses`` it would help unlock."""


def _missing(present: frozenset[str], needs: Iterable[str], runnable: frozenset[str] = frozenset()) -> list[str]:
    """The needs not met; a need named like a hypothesis (``H1``) is met when that hypothesis is."""
    ids = {h.id for h in CATALOGUE}
    return [n for n in needs if (n not in runnable if n in ids else not available(present, _alternatives(n)))]


def _describe(need: str) -> str:
    """A need in a researcher's words: its name, and what to map or add when that is not one token.

    >>> _describe("a pipeline source"), _describe("survey.dso_days")
    ('a pipeline source', 'survey.dso_days')
    >>> _describe("employees")
    'employees (survey.employees or directory.employees or directory.employees_class)'
    """
    alternatives = _alternatives(need)
    if len(alternatives) == 1 and len(alternatives[0]) == 1:
        return need
    options = [" + ".join(alt) if alt != MIX else "survey mix_* (all six)" for alt in alternatives]
    return f"{need} ({' or '.join(options)})"


def check(raw: str | Path) -> Coverage:
    """Read the manifest of ``raw`` and say what it can support (no build, no analysis).

    Raises :class:`~channelstudy.errors.ManifestError` for a manifest the build would refuse.
    """
    manifest = load_manifest(raw)
    present = tokens(manifest)
    sources = pd.DataFrame([{"source": s.name, "kind": s.kind,
                             "fields": ", ".join(dict.fromkeys([*s.headers, *s.constant_values]))}
                            for s in manifest.sources], columns=["source", "kind", "fields"])
    rows = []
    runnable: set[str] = set()
    unlocks: dict[str, list[str]] = {}
    for h in CATALOGUE:
        missing = _missing(present, hypothesis_needs(h))
        if not missing:
            runnable.add(h.id)
        for m in missing:
            unlocks.setdefault(_describe(m), []).append(h.id)
        rows.append({"id": h.id, "supported_by_fields": not missing,
                     "missing": "; ".join(_describe(m) for m in missing)})
    hypotheses = pd.DataFrame(rows, columns=["id", "supported_by_fields", "missing"])
    section_rows = []
    for section, needs in SECTIONS.items():
        missing = _missing(present, needs, frozenset(runnable))
        status = "no" if needs and len(missing) == len(needs) else "partly" if missing else "yes"
        section_rows.append({"section": section, "status": status,
                             "missing": "; ".join(_describe(m) for m in missing)})
    unlock = pd.DataFrame([{"need": need, "hypotheses": ", ".join(ids)} for need, ids in unlocks.items()],
                          columns=["need", "hypotheses"])
    return Coverage(sources, hypotheses, pd.DataFrame(section_rows, columns=["section", "status", "missing"]),
                    unlock)
