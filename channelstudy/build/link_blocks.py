"""Candidate name edges of :func:`channelstudy.build.link.link_records`: blocks, capped blocks, similar names.

The linker compares name keys only within a block (a province or a comune).  This module turns
the working table of :mod:`channelstudy.build.link` into the list of candidate name edges, already in
the order in which the guarded union-find must try them, and keeps that list short:

- **Distinct names once.**  Scores are computed between distinct ``(block, name_key)`` *entries*,
  never between records; ``token_sort_ratio`` is computed as the plain ``ratio`` of token-sorted
  strings (the same numbers, several times faster in :func:`rapidfuzz.process.cdist`).
- **Capped blocks.**  A block with more than ``LinkConfig.max_block_names`` distinct names is not
  compared all-against-all (the cost is quadratic) but within *sub-blocks*: names sharing their
  first ``k`` characters, or the first ``k`` characters of their token-sorted form, or their last
  ``k`` characters, each key on its own, with ``k`` the first of :data:`SUB_BLOCK_KEY_LENGTHS`
  that brings every sub-block under the cap (sub-blocks still above it at the last length are
  compared whole).  A pair of similar names is still found when it agrees on any of the three
  keys: a typo near the end of the name keeps the prefix, one near the start keeps the suffix,
  a swap of words keeps the token-sorted prefix.
- **Stars instead of cliques.**  Records of different VAT clusters sharing an entry would give
  an edge between every two of them (``k * (k - 1) / 2``).  All those edges score 1.0, where the
  only guard that can refuse a merge is the VAT conflict, and a refusal there is permanent: the
  edges from the entry's first node decide everything the others could, so only that star is
  kept.  Entries holding a record that the ambiguity rule concerns keep their full clique.

Edges are returned as arrays ``a < b`` (node numbers) and ``score``, sorted by score descending,
then ``a``, then ``b``: the order of the original row-by-row implementation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

SUB_BLOCK_KEY_LENGTHS: tuple[int, ...] = (2, 3, 4, 6, 8)
"""Key lengths tried, in order, to split a block above ``LinkConfig.max_block_names``."""

CDIST_CELLS = 4_000_000
"""Score-matrix cells per :func:`rapidfuzz.process.cdist` call (32 MB of float64)."""
SCORE_TOLERANCE = 1e-6
"""Tolerance on the 0-100 scale when comparing a score with a threshold."""

_RATIO_OF_SORTED = {fuzz.token_sort_ratio: fuzz.ratio}
"""Scorers computed faster as another scorer of the token-sorted strings (same values)."""


def token_sorted(names: np.ndarray) -> np.ndarray:
    """Each string with its whitespace-separated tokens sorted (as ``token_sort_ratio`` does)."""
    return np.array([" ".join(sorted(name.split())) for name in names], dtype=object)


def similar_pairs(
    names: np.ndarray, sorted_names: np.ndarray, scorers: tuple, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return all pairs ``i < j`` of ``names`` scoring at least ``threshold``.

    Parameters
    ----------
    names, sorted_names
        Distinct strings and their token-sorted forms, shape ``(m,)`` each.
    scorers
        Symmetric rapidfuzz scorers (0-100); the score is their maximum.
    threshold
        Minimum similarity in ``(0, 1]``.

    Returns
    -------
    i, j, score
        Arrays of one shape ``(p,)``: positions and similarity in ``(0, 1]``.  The upper
        triangle is computed in row chunks of at most :data:`CDIST_CELLS` cells, ``workers=1``.
    """
    m = len(names)
    cutoff = threshold * 100 - SCORE_TOLERANCE
    rows_per_chunk = max(1, CDIST_CELLS // max(m, 1))
    found_i, found_j, found_s = [], [], []
    for start in range(0, m - 1, rows_per_chunk):
        stop = min(m, start + rows_per_chunk)
        scores = np.zeros((stop - start, m - start))
        for scorer in scorers:
            strings = sorted_names if scorer in _RATIO_OF_SORTED else names
            scored = process.cdist(
                strings[start:stop],
                strings[start:],
                scorer=_RATIO_OF_SORTED.get(scorer, scorer),
                score_cutoff=cutoff,
                dtype=np.float64,
                workers=1,
            )
            np.maximum(scores, scored, out=scores)
        rows, cols = np.nonzero(np.triu(scores >= cutoff, k=1))
        found_i.append(rows + start)
        found_j.append(cols + start)
        found_s.append(scores[rows, cols] / 100.0)
    if not found_i:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)


def _groups(keys: np.ndarray) -> list[np.ndarray]:
    """Positions sharing each key value (ascending), for values held by at least two positions."""
    codes = pd.factorize(keys)[0]
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return [g for g in np.split(order, bounds) if len(g) > 1]


def sub_blocks(names: np.ndarray, sorted_names: np.ndarray, cap: int | None) -> list[np.ndarray]:
    """Split a block of distinct names into overlapping sub-blocks of at most ``cap`` names.

    Returns a list of ascending position arrays; the whole block when ``cap`` is ``None`` or not
    exceeded.  See the module docstring for the keys.
    """
    if cap is None or len(names) <= cap:
        return [np.arange(len(names))]
    plain, ordered = pd.Series(names, dtype=object), pd.Series(sorted_names, dtype=object)
    for length in SUB_BLOCK_KEY_LENGTHS:
        groups = [
            group
            for keys in (plain.str[:length], ordered.str[:length], plain.str[-length:])
            for group in _groups(keys.to_numpy(dtype=object))
        ]
        if max((len(g) for g in groups), default=0) <= cap:
            break
    return groups


def blocked_entry_pairs(
    block_codes: np.ndarray, names: np.ndarray, scorers: tuple, threshold: float, cap: int | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Similar pairs of distinct entries within each block.

    Parameters
    ----------
    block_codes, names
        One value per entry, sorted by block code then name (entry ids are positions).

    Returns
    -------
    entry_a < entry_b, score
        Arrays of one shape; each entry pair once.
    """
    sorted_names = token_sorted(names)
    starts = np.flatnonzero(np.r_[True, block_codes[1:] != block_codes[:-1]]) if len(names) else []
    stops = np.r_[starts[1:], len(names)] if len(names) else []
    found_a, found_b, found_s = [], [], []
    split = False
    for start, stop in zip(starts, stops, strict=True):
        if stop - start < 2:
            continue
        parts = sub_blocks(names[start:stop], sorted_names[start:stop], cap)
        split = split or len(parts) != 1
        for part in parts:
            ids = part + start
            i, j, score = similar_pairs(names[ids], sorted_names[ids], scorers, threshold)
            found_a.append(ids[i])
            found_b.append(ids[j])
            found_s.append(score)
    if not found_a:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    a, b, s = np.concatenate(found_a), np.concatenate(found_b), np.concatenate(found_s)
    if split:
        _, first = np.unique(a * len(names) + b, return_index=True)
        a, b, s = a[first], b[first], s[first]
    return a, b, s


# --------------------------------------------------------------------------------------------
# From entry pairs to node edges
# --------------------------------------------------------------------------------------------


def entry_members(entry: np.ndarray, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One member per (entry, VAT cluster): the cluster's first node in that entry.

    Parameters
    ----------
    entry
        Entry id of every node (-1 for none), shape ``(n,)``; nodes are in the stable order.
    unit
        Root of every node after the VAT edges, shape ``(n,)``.

    Returns
    -------
    entry, unit, node
        Arrays sorted by entry, then node.
    """
    nodes = np.flatnonzero(entry >= 0)
    order = nodes[np.argsort(entry[nodes], kind="stable")]
    e, u = entry[order], unit[order]
    n_units = len(unit) + 1
    _, first = np.unique(e * n_units + u, return_index=True)
    first = np.sort(first)
    return e[first], u[first], order[first]


def _ranges(member_entry: np.ndarray, n_entries: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and count of each entry's members (members sorted by entry)."""
    count = np.bincount(member_entry, minlength=n_entries)
    start = np.r_[0, np.cumsum(count)[:-1]]
    return start, count


def _products(start_a, count_a, start_b, count_b) -> tuple[np.ndarray, np.ndarray]:
    """Member positions of every (member of a, member of b) combination, pair by pair."""
    sizes = count_a * count_b
    pair = np.repeat(np.arange(len(sizes)), sizes)
    k = np.arange(len(pair)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return start_a[pair] + k // count_b[pair], start_b[pair] + k % count_b[pair]


def name_edges(
    entry: np.ndarray,
    n_entries: int,
    pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
    unit: np.ndarray,
    carries_vat: np.ndarray,
    margin: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate node edges in application order (score descending, then ``a``, then ``b``).

    Parameters
    ----------
    entry, n_entries
        Entry id of every node (-1 for none) and the number of entries.
    pairs
        Similar entry pairs ``(entry_a, entry_b, score)``.
    unit
        Root of every node after the VAT edges, shape ``(n,)``.
    carries_vat
        Whether each node's VAT cluster has a VAT, shape ``(n,)``.
    margin
        Ambiguity margin, or ``None`` for no ambiguity rule.

    Returns
    -------
    a < b, score
    """
    m_entry, m_unit, m_node = entry_members(entry, unit)
    m_vat = carries_vat[m_node]
    start, count = _ranges(m_entry, n_entries)
    ea, eb, es = pairs
    ia, ib = _products(start[ea], count[ea], start[eb], count[eb])
    across_s = np.repeat(es, count[ea] * count[eb])
    keep = m_unit[ia] != m_unit[ib]
    ia, ib, across_s = ia[keep], ib[keep], across_s[keep]

    ambiguous = np.zeros(len(m_entry), dtype=bool)
    if margin is not None:
        ambiguous = _ambiguous_members(m_entry, m_unit, m_vat, start, count, ia, ib, across_s, margin)
        drop = (ambiguous[ia] & m_vat[ib]) | (ambiguous[ib] & m_vat[ia])
        ia, ib, across_s = ia[~drop], ib[~drop], across_s[~drop]

    # within entries: a star from the first member, or the full clique minus dropped edges
    has_ambiguous = np.bincount(m_entry[ambiguous], minlength=n_entries) > 0
    star = (count >= 2) & ~has_ambiguous
    first = start[m_entry]
    star_members = np.flatnonzero(star[m_entry] & (np.arange(len(m_entry)) != first))
    wa, wb = first[star_members], star_members
    clique = np.flatnonzero((count >= 2) & has_ambiguous)
    ca, cb = _products(start[clique], count[clique], start[clique], count[clique])
    keep = (ca < cb) & ~((ambiguous[ca] & m_vat[cb]) | (ambiguous[cb] & m_vat[ca]))
    wa, wb = np.concatenate([wa, ca[keep]]), np.concatenate([wb, cb[keep]])

    node_a = np.concatenate([m_node[ia], m_node[wa]])
    node_b = np.concatenate([m_node[ib], m_node[wb]])
    score = np.concatenate([across_s, np.ones(len(wa))])
    a, b = np.minimum(node_a, node_b), np.maximum(node_a, node_b)
    order = np.lexsort((b, a, -score))
    return a[order], b[order], score[order]


def _ambiguous_members(m_entry, m_unit, m_vat, start, count, ia, ib, score, margin) -> np.ndarray:
    """Members whose VAT-less cluster matches two VAT clusters about equally (within ``margin``).

    Asks are the across-entry edges from a VAT-less member to a VAT member, plus, within each
    entry, every VAT-less member to (up to two of) the entry's VAT members at score 1.0 (two are
    enough to decide a tie at the top score).
    """
    a_asks, b_asks = ~m_vat[ia] & m_vat[ib], m_vat[ia] & ~m_vat[ib]
    vat_members = np.flatnonzero(m_vat)  # sorted by entry, as all members are
    ve = m_entry[vat_members]
    at = np.arange(len(ve))
    rank = at - np.maximum.accumulate(np.where(np.r_[True, ve[1:] != ve[:-1]][: len(ve)], at, 0))
    top_two = vat_members[rank < 2]
    n_top = np.bincount(m_entry[top_two], minlength=len(start))
    top_start = np.r_[0, np.cumsum(n_top)[:-1]]
    free = np.flatnonzero(~m_vat & (n_top[m_entry] > 0))
    fe = m_entry[free]
    askers = np.repeat(free, n_top[fe])
    offset = np.arange(len(askers)) - np.repeat(np.cumsum(n_top[fe]) - n_top[fe], n_top[fe])
    targets = top_two[top_start[m_entry[askers]] + offset]
    asks = pd.DataFrame(
        {
            "unit": np.concatenate([m_unit[ia[a_asks]], m_unit[ib[b_asks]], m_unit[askers]]),
            "target": np.concatenate([m_unit[ib[a_asks]], m_unit[ia[b_asks]], m_unit[targets]]),
            "score": np.concatenate([score[a_asks], score[b_asks], np.ones(len(askers))]),
        }
    )
    best = asks.groupby(["unit", "target"], sort=False)["score"].max().reset_index()
    best = best.sort_values(["unit", "score"], ascending=[True, False], kind="stable")
    rank = best.groupby("unit", sort=False).cumcount().to_numpy()
    top = best[rank == 0].set_index("unit")["score"]
    second = best[rank == 1].set_index("unit")["score"]
    gap = top.loc[second.index] - second
    ambiguous_units = gap.index[gap.to_numpy() <= margin + SCORE_TOLERANCE / 100].to_numpy()
    return np.isin(m_unit, ambiguous_units) & ~m_vat
