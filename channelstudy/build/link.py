"""Entity resolution: link cleaned records of several sources into firms.

:func:`link_records` takes one row per input record of every source (analyst directories,
survey waves, vendor rosters, pipeline records), already cleaned, and assigns each row a
``firm_id``.  Records are clustered with a *guarded single linkage* over a union-find:

1. **VAT edges.** All records sharing a valid partita IVA are one firm (exact, unguarded).
2. **Name edges within a block.**  Distinct ``name_key`` values of one block (a province, or a
   comune with ``block_on="comune"``) are compared all-against-all with
   :func:`rapidfuzz.process.cdist` (a block above ``max_block_names`` distinct names only within
   sub-blocks, see :mod:`channelstudy.link_blocks`); pairs scoring at least ``name_threshold`` become candidate
   edges, identical name keys in a block score 1.0.  Candidate edges are applied from the best
   score down (ties broken by the records' stable order), and an edge is *refused* when it
   would put two different valid VATs in one firm (unless ``allow_vat_conflict_merge``), or
   when the two sides carry disjoint legal forms and the score is below
   ``legal_form_conflict_threshold`` (a soft signal: firms do convert, e.g. SRL to SPA).
   A record without VAT whose best matches to two firms with different VATs tie (within
   ``ambiguity_margin``) is not joined to either by those edges: the choice would be a coin toss.
3. **Records without a block value** (no province) join the one firm whose blocked records
   carry exactly the same ``name_key``, when there is exactly one such firm; otherwise they
   stay on their own.  With ``exact_name_key_without_block=True`` this step is replaced by a
   second pass linking identical name keys across blocks (all records, any block or none),
   after all in-block edges and under the same guards.

The merges are sequential by nature (each guard looks at the clusters built so far), so they
run over flat arrays in one pass over the candidate edges, and everything else is precomputed
with numpy and pandas; the candidate list is kept short without changing any decision (see
:mod:`channelstudy.link_blocks`).  Everything is ordered by a stable record key, ``(priority, source, row_number, record_id)``,
so the same records give the same partition and the same ``firm_id`` whatever their input
row order.  :func:`pairwise_quality` scores a clustering against known truth.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from scipy import sparse
from scipy.sparse import csgraph

from channelstudy.build import link_blocks as blocks
from channelstudy.vocabulary import MATCH_METHODS

__all__ = [
    "MATCH_METHODS",
    "OUTPUT_COLUMNS",
    "REQUIRED_COLUMNS",
    "SCORERS",
    "LinkConfig",
    "link_records",
    "pairwise_quality",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("source", "record_id", "row_number", "vat", "name_key")
"""Columns :func:`link_records` always needs, besides the block column (``province`` by default,
or ``comune``); ``legal_form`` and ``priority`` are optional."""

OUTPUT_COLUMNS: tuple[str, ...] = ("firm_id", "match_method", "match_score", "matched_to")
"""Columns :func:`link_records` adds (overwriting columns of the same name)."""


SCORERS: dict[str, tuple[Callable[..., float], ...]] = {
    "ratio+token_sort_ratio": (fuzz.ratio, fuzz.token_sort_ratio),
    "ratio": (fuzz.ratio,),
    "QRatio": (fuzz.QRatio,),
    "WRatio": (fuzz.WRatio,),
    "token_sort_ratio": (fuzz.token_sort_ratio,),
    "token_set_ratio": (fuzz.token_set_ratio,),
    "partial_ratio": (fuzz.partial_ratio,),
}
"""Scorers a :class:`LinkConfig` may name.

Each is the maximum of one or more symmetric rapidfuzz scorers (0-100); ``a+b`` means
``max(a, b)``.
"""

_BLOCK_COLUMNS: tuple[str, ...] = ("province", "comune")
_LEGAL_FORM_FAMILY: dict[str, str] = {"SRLS": "SRL"}
"""Legal forms compared as the same family (an SRLS becomes an SRL by growing its capital)."""
_UNINFORMATIVE_LEGAL_FORMS: frozenset[str] = frozenset({"", "OTHER"})
_SCORE_TOLERANCE = blocks.SCORE_TOLERANCE
"""Tolerance on the 0-100 scale when comparing a score with a threshold."""
_VAT_PATTERN = r"^\d{11}$"

_METHOD_VAT = 0
_METHOD_NAME = 1


@dataclass(frozen=True)
class LinkConfig:
    """Thresholds and switches of :func:`link_records`.

    Parameters
    ----------
    name_threshold
        Minimum similarity, in ``(0, 1]`` (the rapidfuzz score divided by 100), for two name
        keys of the same block to be a candidate match.
    scorer
        Name of a scorer in :data:`SCORERS`.  The default ``ratio+token_sort_ratio`` takes the
        better of the plain edit-distance ratio and ``token_sort_ratio``: the latter forgives
        word order ("INFORMATICA ROSSI" = "ROSSI INFORMATICA") but is hurt by a typo in the
        first letter of a word, which changes the sorted order ("FONTANA ECH" vs "FONTANA
        TECH"); the former is the opposite.  Neither scores a name and a longer name containing
        it ("ROSSI INFORMATICA" and "ROSSI INFORMATICA SISTEMI") as equal, unlike
        ``token_set_ratio``, ``partial_ratio`` or ``WRatio``, which merge such siblings.
    block_on
        ``"province"`` or ``"comune"``: only records with the same value are compared by name.
        Values are compared as given, so a comune must be spelled one way (all ISTAT codes, or
        all names) across sources.  Records missing the value follow the rule of
        ``exact_name_key_without_block``.
    exact_name_key_without_block
        ``False`` (default): a record missing its block value joins the one firm whose blocked
        records have exactly its ``name_key``, if exactly one firm does, else it stays alone.
        ``True``: after the in-block edges, a second pass links identical name keys across
        blocks, including records missing the block value, with no uniqueness requirement
        (guards still apply).  This recovers firms that moved province between sources, at the
        price of merging homonymous firms of different provinces that no VAT tells apart (on
        the synthetic benchmark: precision 0.983 instead of 0.999, recall 0.973 instead of
        0.968).
    allow_vat_conflict_merge
        ``False`` (default): a name edge never merges two firms that carry different valid VATs.
        ``True``: name edges ignore VATs (use only to study how often the guard bites).
    legal_form_conflict_threshold
        Minimum similarity for a name edge between two firms whose known legal forms are
        disjoint (e.g. only SRL on one side, only SPA on the other).  SRLS counts as SRL and
        ``OTHER`` as unknown.  The default 1.0 lets such firms merge only on an identical name
        key; set it to ``name_threshold`` to ignore legal forms.
    ambiguity_margin
        A record without VAT (and not sharing a VAT with another record) whose best name scores
        against two firms with *different* VATs differ by at most this much is not linked to
        any VAT firm by name (it may still join VAT-less records).  The default 0.0 refuses
        exact ties only, e.g. "ROSSI INFORMATICA" without VAT when the province has two firms
        of that name with distinct VATs.  ``None`` disables the rule (the tie then goes to the
        firm whose record comes first in the stable order), as does
        ``allow_vat_conflict_merge=True``.
    max_block_names
        Block cap: a block with more distinct name keys than this is compared only within
        sub-blocks, the names sharing their first ``k`` characters, or the first ``k``
        characters of their token-sorted form, or their last ``k`` characters (each key on its
        own; ``k`` from :data:`channelstudy.link_blocks.SUB_BLOCK_KEY_LENGTHS`, the first that
        brings every sub-block under the cap).  Cost grows with the square of a block's size;
        the fallback may miss a similar pair that differs in all three keys (forcing Milan of
        the default world, 2,955 names, into sub-blocks of 2-character keys kept 99.9% of its
        similar pairs for 9% of the comparisons).  ``None``: never split.  The
        default 5,000 leaves every block of the default 15,000-firm world whole (the largest,
        Milan, has about 3,000 names).

    Raises
    ------
    ValueError
        If a threshold is outside ``(0, 1]``, the legal-form threshold is below
        ``name_threshold``, ``ambiguity_margin`` is not ``None`` or in ``[0, 1)``,
        ``max_block_names`` is not ``None`` or an integer >= 2, the scorer
        or block column is unknown, or a switch is not a bool.

    Examples
    --------
    >>> LinkConfig(name_threshold=0.95).scorer
    'ratio+token_sort_ratio'
    >>> LinkConfig(name_threshold=92)
    Traceback (most recent call last):
    ...
    ValueError: name_threshold must be in (0, 1], got 92
    """

    name_threshold: float = 0.92
    scorer: str = "ratio+token_sort_ratio"
    block_on: str = "province"
    exact_name_key_without_block: bool = False
    allow_vat_conflict_merge: bool = False
    legal_form_conflict_threshold: float = 1.0
    ambiguity_margin: float | None = 0.0
    max_block_names: int | None = 5_000

    def __post_init__(self) -> None:
        _check_unit_interval("name_threshold", self.name_threshold)
        _check_unit_interval("legal_form_conflict_threshold", self.legal_form_conflict_threshold)
        if self.legal_form_conflict_threshold < self.name_threshold:
            raise ValueError(
                "legal_form_conflict_threshold must be >= name_threshold, got "
                f"{self.legal_form_conflict_threshold!r} < {self.name_threshold!r}"
            )
        if self.scorer not in SCORERS:
            raise ValueError(f"scorer must be one of {sorted(SCORERS)}, got {self.scorer!r}")
        if self.block_on not in _BLOCK_COLUMNS:
            raise ValueError(f"block_on must be one of {list(_BLOCK_COLUMNS)}, got {self.block_on!r}")
        margin = self.ambiguity_margin
        if margin is not None and (
            isinstance(margin, bool)
            or not isinstance(margin, int | float | np.floating | np.integer)
            or not 0.0 <= float(margin) < 1.0
        ):
            raise ValueError(f"ambiguity_margin must be None or a number in [0, 1), got {margin!r}")
        cap = self.max_block_names
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int | np.integer) or cap < 2):
            raise ValueError(f"max_block_names must be None or an integer >= 2, got {cap!r}")
        for name in ("exact_name_key_without_block", "allow_vat_conflict_merge"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be a bool, got {getattr(self, name)!r}")


def _check_unit_interval(name: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is a real number in ``(0, 1]``."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
    if not 0.0 < float(value) <= 1.0:
        raise ValueError(f"{name} must be in (0, 1], got {value!r}")


# --------------------------------------------------------------------------------------------
# Input preparation
# --------------------------------------------------------------------------------------------


def _blank_to_na(values: pd.Series) -> pd.Series:
    """Return ``values`` as nullable strings, stripped, with empty strings as ``<NA>``."""
    text = values.astype("string").str.strip()
    return text.mask(text == "")


def _text(values: pd.Series) -> pd.api.extensions.ExtensionArray:
    """``values`` as a positional ``str`` array (missing as NaN), without a round trip through Python objects."""
    return values.astype("str").array


def _check_input(records: pd.DataFrame, config: LinkConfig) -> None:
    """Raise ``ValueError`` if ``records`` misses a column or has bad keys or VATs."""
    missing = [c for c in (*REQUIRED_COLUMNS, config.block_on) if c not in records.columns]
    if missing:
        raise ValueError(f"records lacks required columns {missing}")
    for column in ("source", "record_id", "row_number"):
        if records[column].isna().any():
            raise ValueError(f"records has missing values in {column!r}")
    source_code = pd.factorize(records["source"].astype("string"))[0].astype(np.int64)
    record_code, record_ids = pd.factorize(records["record_id"].astype("string"))
    duplicated = pd.Series(source_code * len(record_ids) + record_code).duplicated(keep=False).to_numpy()
    if duplicated.any():
        example = records[["source", "record_id"]].astype("string")[duplicated].iloc[0].tolist()
        raise ValueError(
            f"(source, record_id) must be unique; {int(duplicated.sum())} rows share a key, e.g. {example}"
        )
    vat = _blank_to_na(records["vat"])
    bad_vat = vat.notna() & ~vat.str.fullmatch(_VAT_PATTERN).fillna(False).astype(bool)
    if bad_vat.any():
        raise ValueError(
            f"vat must be 11 digits or missing; {int(bad_vat.sum())} bad values, e.g. {vat[bad_vat].iloc[0]!r}"
        )


def _legal_form_family(legal_form: pd.Series) -> pd.Series:
    """Return legal forms as comparable families (SRLS -> SRL), ``<NA>`` when uninformative."""
    form = _blank_to_na(legal_form).str.upper()
    form = form.replace(_LEGAL_FORM_FAMILY)
    return form.mask(form.isin(_UNINFORMATIVE_LEGAL_FORMS))


def _prepare(records: pd.DataFrame, config: LinkConfig) -> pd.DataFrame:
    """Return the working table: one row per record, sorted by the stable record key.

    Returns
    -------
    DataFrame of ``len(records)`` rows with a RangeIndex (the *node* number used throughout),
    columns ``pos`` (row position in ``records``), ``key`` (``source:record_id``), ``vat``,
    ``name``, ``block``, ``form`` (legal-form family) and ``linkable`` (has a name or a VAT).
    """
    n = len(records)
    priority = records["priority"] if "priority" in records.columns else pd.Series(0, index=records.index)
    legal_form = (
        records["legal_form"] if "legal_form" in records.columns else pd.Series(pd.NA, index=records.index)
    )
    work = pd.DataFrame(
        {
            "priority": pd.to_numeric(priority).fillna(0).to_numpy(),
            "source": _text(records["source"].astype("string")),
            "row_number": pd.to_numeric(records["row_number"]).to_numpy(),
            "record_id": _text(records["record_id"].astype("string")),
            "pos": np.arange(n),
            "vat": _text(_blank_to_na(records["vat"])),
            "name": _text(_blank_to_na(records["name_key"])),
            "block": _text(_blank_to_na(records[config.block_on])),
            "form": _text(_legal_form_family(legal_form)),
        }
    )
    order = np.lexsort([pd.factorize(work[c], sort=True)[0] for c in ("record_id", "row_number", "source", "priority")])
    work = work.take(order).reset_index(drop=True)  # sorted by priority, source, row_number, record_id
    work["key"] = work["source"] + ":" + work["record_id"]
    work["linkable"] = work["name"].notna() | work["vat"].notna()
    return work[["pos", "key", "vat", "name", "block", "form", "linkable"]]


# --------------------------------------------------------------------------------------------
# Union-find with the merge guards
# --------------------------------------------------------------------------------------------


class _GuardedClusters:
    """Union-find over nodes ``0..n-1`` (flat parent array) whose root is always the smallest member.

    Each root carries its cluster's VAT (a code, -1 for none: without conflict merges a cluster
    has at most one) and the bitmask of its legal-form families, so that a name edge joining two
    VATs or disjoint legal forms can be refused in constant time.  The loops stay in Python over
    lists (faster than numpy scalars); everything they need is precomputed as arrays.
    """

    def __init__(self, parent: np.ndarray, work: pd.DataFrame, config: LinkConfig) -> None:
        self.parent: list[int] = parent.tolist()
        self.config = config
        n = len(parent)
        vat_code = pd.factorize(work["vat"])[0]
        vat = np.full(n, -1, dtype=np.int64)
        np.maximum.at(vat, parent, vat_code)  # VAT edges made ``parent`` a star per VAT
        form_code, families = pd.factorize(work["form"])
        if len(families) <= 62:
            bits = np.where(form_code >= 0, np.left_shift(np.int64(1), np.maximum(form_code, 0)), 0)
            forms = np.zeros(n, dtype=np.int64)
        else:  # more legal-form families than bits: Python integers (tests/build/test_link_mutants.py)
            bits = np.array([1 << int(c) if c >= 0 else 0 for c in form_code], dtype=object)
            forms = np.zeros(n, dtype=object)
        np.bitwise_or.at(forms, parent, bits)
        self.vat: list[int] = vat.tolist()
        self.forms: list[int] = forms.tolist()
        self.form_dtype = forms.dtype
        self.form_floor = config.legal_form_conflict_threshold - _SCORE_TOLERANCE / 100
        """Name edges scoring below this are refused between disjoint legal forms."""

    def find(self, node: int) -> int:
        """Return the root of ``node`` (with path halving)."""
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def apply(self, a: np.ndarray, b: np.ndarray, score: np.ndarray) -> np.ndarray:
        """Try edges in the given order under the guards; return the mask of the accepted ones."""
        parent, vat, forms = self.parent, self.vat, self.forms
        check_vat = not self.config.allow_vat_conflict_merge
        form_floor = self.form_floor
        accepted = np.zeros(len(a), dtype=bool)
        for k, (x, y, s) in enumerate(zip(a.tolist(), b.tolist(), score.tolist(), strict=True)):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            while parent[y] != y:
                parent[y] = parent[parent[y]]
                y = parent[y]
            if x == y or (check_vat and vat[x] >= 0 and vat[y] >= 0):
                continue
            fx, fy = forms[x], forms[y]
            if fx and fy and not fx & fy and s < form_floor:
                continue
            keep, drop = (x, y) if x < y else (y, x)
            parent[drop] = keep
            if vat[keep] < 0:
                vat[keep] = vat[drop]
            forms[keep] = fx | fy
            accepted[k] = True
        return accepted

    def form_array(self) -> np.ndarray:
        """The legal-form bitmask held at every node, shape ``(n,)`` (meaningful at roots)."""
        return np.asarray(self.forms, dtype=self.form_dtype)

    def roots(self) -> np.ndarray:
        """Return the root of every node, shape ``(n,)`` (pointer jumping over the array)."""
        parent = np.asarray(self.parent, dtype=np.int64)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                return parent
            parent = grand


def _vat_parents(work: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Return the union-find parent array after VAT edges, and those edges.

    Every record with a VAT points to the first node with the same VAT (a star), so the
    parent array is already compressed.  Edges: columns ``a``, ``b`` (nodes), ``score`` (1.0).
    """
    parent = np.arange(len(work), dtype=np.int64)
    code = pd.factorize(work["vat"])[0]  # numbered in order of first appearance, -1 for none
    with_vat = np.flatnonzero(code >= 0)
    _, first = np.unique(code[with_vat], return_index=True)
    parent[with_vat] = with_vat[first][code[with_vat]]
    spokes = with_vat[parent[with_vat] != with_vat]
    edges = pd.DataFrame({"a": parent[spokes], "b": spokes, "score": 1.0})
    return parent, edges


# --------------------------------------------------------------------------------------------
# Name candidates (see channelstudy.link_blocks)
# --------------------------------------------------------------------------------------------


def _name_edges(
    work: pd.DataFrame, roots: np.ndarray, config: LinkConfig, exact: bool = False
) -> blocks.NameEdges:
    """Candidate name edges, to apply in two levels (:class:`channelstudy.build.link_blocks.NameEdges`).

    ``exact=False``: similar names within blocks (identical keys in a block score 1.0).
    ``exact=True``: identical name keys whatever the block (all scores 1.0).

    Parameters
    ----------
    roots
        Root of every node after the VAT edges, shape ``(n,)``.
    """
    n = len(work)
    keyed = work["name"].notna() if exact else work["name"].notna() & work["block"].notna()
    entry = np.full(n, -1, dtype=np.int64)
    name_code, names = pd.factorize(work.loc[keyed, "name"], sort=True)
    pairs = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    codes, n_entries = name_code, len(names)
    if not exact:  # entries (block, name), numbered in that sort order
        block_code = pd.factorize(work.loc[keyed, "block"], sort=True)[0].astype(np.int64)
        pair_codes, codes = np.unique(block_code * len(names) + name_code, return_inverse=True)
        n_entries = len(pair_codes)
        pairs = blocks.blocked_entry_pairs(
            pair_codes // max(len(names), 1),
            names.to_numpy(dtype=object)[pair_codes % max(len(names), 1)],
            SCORERS[config.scorer],
            config.name_threshold,
            config.max_block_names,
        )
    entry[keyed.to_numpy()] = codes
    margin = None if config.allow_vat_conflict_merge else config.ambiguity_margin
    carries_vat = work["vat"].notna().to_numpy()[roots]
    return blocks.NameEdges(entry, n_entries, pairs, roots, carries_vat, margin)


# --------------------------------------------------------------------------------------------
# Linking
# --------------------------------------------------------------------------------------------


def _apply_name_edges(clusters: _GuardedClusters, edges: blocks.NameEdges) -> pd.DataFrame:
    """Apply the candidate edges in order under the guards (score 1.0 first); return the accepted ones."""
    accepted = []
    for level in ("top", "below_top"):
        if level == "top":
            a, b, score = edges.top()
        else:  # the clusters after the top level let most of the edges below it go (see NameEdges)
            roots = clusters.roots()
            a, b, score = edges.below_top(roots, clusters.form_array(), clusters.form_floor)
        kept = clusters.apply(a, b, score)
        accepted.append(pd.DataFrame({"a": a[kept], "b": b[kept], "score": score[kept]}))
    return pd.concat(accepted, ignore_index=True).astype({"a": np.int64, "b": np.int64, "score": float})


def _link_unblocked(clusters: _GuardedClusters, work: pd.DataFrame) -> pd.DataFrame:
    """Join each record lacking a block value to the unique firm with its exact name key.

    The candidates of a record are the clusters of the *blocked* records with the same name
    key.  The record joins when there is exactly one such cluster, it is not already in it,
    and the guards allow it.  Records are processed in node order.  Returns the accepted
    edges (columns ``a``, ``b``, ``score``), linking the record to the first blocked node of
    that name in the cluster.
    """
    named, has_block = work["name"].notna(), work["block"].notna()
    unblocked = work.loc[named & ~has_block, "name"]
    blocked = work.loc[named & has_block & work["name"].isin(unblocked), "name"]
    nodes_by_name = {
        name: nodes.tolist() for name, nodes in blocked.groupby(blocked, sort=False).groups.items()
    }
    find, accepted = clusters.find, []
    for node, name in zip(unblocked.index.tolist(), unblocked.tolist(), strict=True):
        candidates = nodes_by_name.get(name)
        if candidates is None:
            continue
        first_by_root: dict[int, int] = {}
        for other in candidates:
            first_by_root.setdefault(find(other), other)
        own = find(node)
        if own in first_by_root or len(first_by_root) != 1:
            continue
        ((target, other),) = first_by_root.items()
        a, b = min(node, other), max(node, other)
        if clusters.apply(np.array([own]), np.array([target]), np.array([1.0]))[0]:
            accepted.append((a, b, 1.0))
    return pd.DataFrame(accepted, columns=["a", "b", "score"]).astype(
        {"a": np.int64, "b": np.int64, "score": float}
    )


def _provenance(
    roots: np.ndarray, linkable: np.ndarray, tree: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Orient each firm's spanning tree from its first node; return how each node joined.

    Parameters
    ----------
    roots
        Root (smallest node) of every node's firm, shape ``(n,)``.
    linkable
        Whether each node belongs to a firm, shape ``(n,)``.
    tree
        The accepted edges (a spanning forest of the firms): columns ``a``, ``b``, ``score``,
        ``method`` (``_METHOD_VAT`` or ``_METHOD_NAME``).

    Returns
    -------
    parent, method, score
        Shape ``(n,)`` each: the node it matched (-1 for a firm's first node and unlinkable
        nodes), the method code of that edge (-1 if none) and its score (NaN if none).
    """
    n = len(roots)
    firm_roots = np.flatnonzero(linkable & (roots == np.arange(n)))
    rows = np.concatenate([tree["a"].to_numpy(np.int64), np.full(len(firm_roots), n)])
    cols = np.concatenate([tree["b"].to_numpy(np.int64), firm_roots])
    graph = sparse.csr_array((np.ones(len(rows)), (rows, cols)), shape=(n + 1, n + 1))
    _, predecessors = csgraph.breadth_first_order(graph, n, directed=False, return_predecessors=True)
    parent = predecessors[:n].astype(np.int64)
    parent[(parent < 0) | (parent == n)] = -1
    edge_ids = pd.Index(tree["a"].to_numpy(np.int64) * n + tree["b"].to_numpy(np.int64))
    children = np.flatnonzero(parent >= 0)
    low, high = np.minimum(children, parent[children]), np.maximum(children, parent[children])
    position = edge_ids.get_indexer(low * n + high)
    if (position < 0).any():  # pragma: no cover - the tree is built from these very edges
        raise AssertionError("firm tree has an edge without provenance")
    method = np.full(n, -1, dtype=np.int64)
    score = np.full(n, np.nan)
    method[children] = tree["method"].to_numpy()[position]
    score[children] = tree["score"].to_numpy()[position]
    return parent, method, score


def _firm_ids(roots: np.ndarray, linkable: np.ndarray) -> np.ndarray:
    """Number the firms by their first node: ``F000001``, ... (object array, None if unlinkable)."""
    ids = np.full(len(roots), None, dtype=object)
    unique_roots, number = np.unique(roots[linkable], return_inverse=True)
    width = max(6, len(str(len(unique_roots))))
    labels = np.array([f"F{k:0{width}d}" for k in range(1, len(unique_roots) + 1)], dtype=object)
    ids[linkable] = labels[number]
    return ids


def link_records(records: pd.DataFrame, config: LinkConfig | None = None) -> pd.DataFrame:
    """Cluster cleaned records of several sources into firms.

    Parameters
    ----------
    records
        Shape ``(n, k)``, one row per input record, with columns :data:`REQUIRED_COLUMNS`:
        ``source`` (str), ``record_id`` (str; ``(source, record_id)`` unique), ``row_number``
        (int), ``vat`` (11-digit partita IVA or missing), ``name_key`` (cleaned core name
        without legal form, or missing), and the block column ``config.block_on``:
        ``province`` (sigla or missing) or ``comune`` (or missing).  Optionally ``legal_form``
        (code such as SRL, SPA) and ``priority`` (int, lower = more authoritative source;
        missing = 0).  Other columns are carried through untouched.
    config
        Thresholds and switches; ``LinkConfig()`` when omitted.

    Returns
    -------
    DataFrame
        ``records`` (same rows, order and index; shape ``(n, k + 4)``) with added columns

        - ``firm_id`` (string): ``F000001``, ... numbered by each firm's first record in the
          order ``(priority, source, row_number, record_id)``; ``<NA>`` for unlinkable records.
        - ``match_method`` (string): ``new`` for a firm's first record, ``vat`` for a record
          that joined through its VAT, ``name_geo`` for one that joined through a name match
          (in its block, or by the exact-name rule for records without a block value), and
          ``unlinkable`` for a record with neither a name key nor a VAT (the caller should
          reject those).
        - ``match_score`` (float): 1.0 for ``vat``, the similarity in ``(0, 1]`` for
          ``name_geo``, NaN otherwise.
        - ``matched_to`` (string): ``source:record_id`` of the record it joined through (its
          parent in the firm's spanning tree, rooted at the first record), else ``<NA>``.

    Raises
    ------
    ValueError
        If a required column is missing, ``source``, ``record_id`` or ``row_number`` has
        missing values, ``(source, record_id)`` is not unique, or a VAT is not 11 digits.

    Examples
    --------
    >>> records = pd.DataFrame({
    ...     "source": ["dir", "dir", "survey", "survey"],
    ...     "record_id": ["1", "2", "1", "2"],
    ...     "row_number": [1, 2, 1, 2],
    ...     "vat": ["01234567890", pd.NA, "01234567890", pd.NA],
    ...     "name_key": ["ROSSI INFORMATICA", "BIANCHI SISTEMI", "ROSSI INFORMATICA", "BIANCHI SISTEM"],
    ...     "province": ["MI", "RM", pd.NA, "RM"],
    ...     "comune": pd.NA,
    ... })
    >>> linked = link_records(records)
    >>> linked[["firm_id", "match_method", "matched_to"]].to_numpy().tolist()
    [['F000001', 'new', <NA>], ['F000002', 'new', <NA>], ['F000001', 'vat', 'dir:1'], ['F000002', 'name_geo', 'dir:2']]
    >>> round(float(linked["match_score"].iloc[3]), 3)
    0.966
    """
    config = LinkConfig() if config is None else config
    _check_input(records, config)
    work = _prepare(records, config)
    parent, vat_edges = _vat_parents(work)
    clusters = _GuardedClusters(parent, work, config)
    name_edges = [_apply_name_edges(clusters, _name_edges(work, parent, config))]
    if config.exact_name_key_without_block:
        name_edges.append(_apply_name_edges(clusters, _name_edges(work, parent, config, exact=True)))
    else:
        name_edges.append(_link_unblocked(clusters, work))
    tree = pd.concat(
        [vat_edges.assign(method=_METHOD_VAT), *(e.assign(method=_METHOD_NAME) for e in name_edges)],
        ignore_index=True,
    )
    return records.assign(**_output_columns(work, clusters.roots(), tree, records.index))


def _output_columns(
    work: pd.DataFrame, roots: np.ndarray, tree: pd.DataFrame, index: pd.Index
) -> dict[str, pd.Series]:
    """Build the four output columns in input row order (see :func:`link_records`)."""
    linkable = work["linkable"].to_numpy(bool)
    matched, method, score = _provenance(roots, linkable, tree)
    method_names = np.where(method == _METHOD_VAT, "vat", np.where(method == _METHOD_NAME, "name_geo", "new"))
    keys = work["key"].to_numpy(dtype=object)
    columns = {
        "firm_id": (_firm_ids(roots, linkable), "string"),
        "match_method": (np.where(linkable, method_names, "unlinkable").astype(object), "string"),
        "match_score": (score, "float64"),
        "matched_to": (np.where(matched >= 0, keys[np.maximum(matched, 0)], None), "string"),
    }
    position = work["pos"].to_numpy()
    out = {}
    for name, (values, dtype) in columns.items():
        in_input_order = np.empty(len(values), dtype=values.dtype)
        in_input_order[position] = values
        out[name] = pd.Series(in_input_order, index=index, dtype=dtype)
    return out


# --------------------------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------------------------


def _n_pairs(group_sizes: np.ndarray) -> int:
    """Number of unordered pairs within groups of the given sizes."""
    sizes = np.asarray(group_sizes, dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def pairwise_quality(firm_ids: pd.Series, true_keys: pd.Series) -> dict[str, float]:
    """Pairwise precision and recall of a clustering against the true one.

    A *pair* is two records in the same cluster.  Precision is the share of predicted pairs
    that are true pairs, recall the share of true pairs that are predicted.  Pairs are
    counted from group sizes (``sum of size * (size - 1) / 2``) of ``firm_ids``, of
    ``true_keys`` and of their joint groups, so the cost is linear in the number of records.

    Parameters
    ----------
    firm_ids, true_keys
        Predicted and true cluster labels, shape ``(n,)`` each, aligned by position (the
        index is ignored).  A missing label means a cluster of its own (no pairs).

    Returns
    -------
    dict
        ``precision``, ``recall``, ``f1`` (floats; precision is 1.0 when no pair is predicted
        and recall 1.0 when there is no true pair, f1 is 0.0 when both are 0), and the counts
        ``n_pairs_predicted``, ``n_pairs_true`` and ``n_pairs_correct``.

    Raises
    ------
    ValueError
        If the two label series differ in length.

    Examples
    --------
    >>> q = pairwise_quality(pd.Series(["a", "a", "a", "b"]), pd.Series([1, 1, 2, 2]))
    >>> q["n_pairs_predicted"], q["n_pairs_true"], q["n_pairs_correct"]
    (3, 2, 1)
    >>> round(q["precision"], 3), q["recall"]
    (0.333, 0.5)
    """
    if len(firm_ids) != len(true_keys):
        raise ValueError(f"firm_ids and true_keys differ in length: {len(firm_ids)} != {len(true_keys)}")
    labels = pd.DataFrame(
        {"predicted": np.asarray(firm_ids, dtype=object), "true": np.asarray(true_keys, dtype=object)}
    )
    n_predicted = _n_pairs(labels.groupby("predicted", sort=False).size().to_numpy())
    n_true = _n_pairs(labels.groupby("true", sort=False).size().to_numpy())
    n_correct = _n_pairs(labels.groupby(["predicted", "true"], sort=False).size().to_numpy())
    precision = n_correct / n_predicted if n_predicted else 1.0
    recall = n_correct / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "n_pairs_predicted": n_predicted,
        "n_pairs_true": n_true,
        "n_pairs_correct": n_correct,
    }
