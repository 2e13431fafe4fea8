"""Candidate name edges of :func:`channelstudy.build.link.link_records`: blocks, capped blocks, similar names.

The linker compares name keys only within a block (a province or a comune).  This module turns
the working table of :mod:`channelstudy.build.link` into the list of candidate name edges, already in
the order in which the guarded union-find must try them, and keeps that list short:

- **Distinct names once.**  Scores are computed between distinct ``(block, name_key)`` *entries*,
  never between records; ``token_sort_ratio`` is computed as the plain ``ratio`` of token-sorted
  strings (the same numbers, several times faster in :func:`rapidfuzz.process.cdist`).
- **Length window.**  ``ratio`` cannot reach the threshold between strings of too different
  lengths, so names are sorted by length and each chunk of rows is scored only against the
  lengths that could (:func:`_ratio_pairs`): about a fifth of the comparisons at 0.92.
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
- **One edge per pair of clusters below 1.0.**  Two similar entries would give every
  combination of their members (thousands times thousands for a vendor named on thousands of
  VAT-less pipeline lines: 9.3 million candidate edges on the 150,000-firm world, 192,000
  accepted).  The edges scoring 1.0 are applied first (185,000 there); below 1.0, per entry
  pair, only the first edge between two of the clusters they then form is kept when nothing can
  accept a later one (:class:`NameEdges`): 66,000 candidates instead of 9.1 million.

Edges come as arrays ``a < b`` (node numbers) and ``score``, sorted by score descending, then
``a``, then ``b``: the order of the original row-by-row implementation, level by level (all of
:meth:`NameEdges.top` before :meth:`NameEdges.below_top`), and the accepted edges are exactly
those of the full list.
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
        Arrays of one shape ``(p,)``: positions and similarity in ``(0, 1]``, sorted by ``i``
        then ``j``.  Each scorer is run with :func:`rapidfuzz.process.cdist` (``workers=1``) on
        row chunks of at most :data:`CDIST_CELLS` cells; :func:`fuzz.ratio` (also behind
        ``token_sort_ratio``) only on pairs whose lengths allow the threshold
        (:func:`_ratio_pairs`), the others on the upper triangle.

    Examples
    --------
    >>> names = np.array(["ROSSI NET", "ROSSI NETS", "BIANCHI"], dtype=object)
    >>> i, j, score = similar_pairs(names, token_sorted(names), (fuzz.ratio,), 0.9)
    >>> i.tolist(), j.tolist(), score.round(3).tolist()
    ([0], [1], [0.947])
    """
    m = len(names)
    cutoff = threshold * 100 - SCORE_TOLERANCE
    found = []
    for scorer in scorers:
        strings = sorted_names if scorer in _RATIO_OF_SORTED else names
        scorer = _RATIO_OF_SORTED.get(scorer, scorer)
        pairs = _ratio_pairs if scorer is fuzz.ratio else _triangle_pairs
        found.append(pairs(strings, scorer, cutoff))
    key = np.concatenate([m * i + j for i, j, _ in found]) if found else np.empty(0, np.int64)
    score = np.concatenate([s for _, _, s in found]) if found else np.empty(0)
    unique, inverse = np.unique(key, return_inverse=True)
    best = np.zeros(len(unique))
    np.maximum.at(best, inverse, score)
    return unique // max(m, 1), unique % max(m, 1), best / 100.0


def _triangle_pairs(strings: np.ndarray, scorer, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``i < j`` scoring at least ``cutoff`` (0-100), over the upper triangle in row chunks."""
    m = len(strings)
    rows_per_chunk = max(1, CDIST_CELLS // max(m, 1))
    found_i, found_j, found_s = [np.empty(0, np.int64)], [np.empty(0, np.int64)], [np.empty(0)]
    for start in range(0, m - 1, rows_per_chunk):
        stop = min(m, start + rows_per_chunk)
        scores = process.cdist(strings[start:stop], strings[start:], scorer=scorer, score_cutoff=cutoff,
                               dtype=np.float64, workers=1)
        rows, cols = np.nonzero(np.triu(scores >= cutoff, k=1))
        found_i.append(rows + start)
        found_j.append(cols + start)
        found_s.append(scores[rows, cols])
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_s)


RATIO_ROWS = 64
"""Rows per :func:`rapidfuzz.process.cdist` call of :func:`_ratio_pairs` (a narrower length window)."""


def _ratio_pairs(strings: np.ndarray, scorer, cutoff: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``i < j`` whose :func:`fuzz.ratio` is at least ``cutoff``, comparing only compatible lengths.

    ``ratio`` is ``100 * (1 - d / (l1 + l2))`` with an edit distance ``d >= |l1 - l2|``, so for
    ``l1 <= l2`` it is at most ``200 * l1 / (l1 + l2)``: a pair can reach ``cutoff`` only if
    ``l2 <= l1 * (200 - cutoff) / cutoff``.  Strings are sorted by length and each chunk of
    :data:`RATIO_ROWS` rows is scored against the later strings up to that length (about a
    fifth of the upper triangle at a 0.92 threshold); same pairs and scores as the whole matrix.

    >>> strings = np.array(["ABCDEFGHIJ", "ABCDEFGHIJK", "ABCDEFGHIJKLMNOP", "ABCDEFGHIK"], dtype=object)
    >>> i, j, score = _ratio_pairs(strings, fuzz.ratio, 89.0)
    >>> sorted(zip(i.tolist(), j.tolist()))
    [(0, 1), (0, 3), (1, 3)]
    """
    lengths = np.fromiter((len(x) for x in strings), dtype=np.int64, count=len(strings))
    order = np.argsort(lengths, kind="stable")
    by_length, ordered = lengths[order], strings[order]
    reach = (200.0 - cutoff) / cutoff if cutoff > 0 else np.inf
    found_i, found_j, found_s = [np.empty(0, np.int64)], [np.empty(0, np.int64)], [np.empty(0)]
    m = len(strings)
    for start in range(0, m - 1, RATIO_ROWS):
        stop = min(m, start + RATIO_ROWS)
        end = int(np.searchsorted(by_length, by_length[stop - 1] * reach * (1 + 1e-9), side="right"))
        scores = process.cdist(ordered[start:stop], ordered[start:end], scorer=scorer, score_cutoff=cutoff,
                               dtype=np.float64, workers=1)
        rows, cols = np.nonzero(scores >= cutoff)  # cdist may return a score a hair below its cutoff
        upper = cols > rows
        rows, cols = rows[upper], cols[upper]
        found_i.append(order[rows + start])
        found_j.append(order[cols + start])
        found_s.append(scores[rows, cols])
    i, j = np.concatenate(found_i), np.concatenate(found_j)
    return np.minimum(i, j), np.maximum(i, j), np.concatenate(found_s)


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


class NameEdges:
    """Candidate node edges of one pass, in two levels: score 1.0 first, then the rest.

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

    Notes
    -----
    The guarded union-find tries edges by score descending, then ``a``, then ``b``, so all the
    edges scoring 1.0 (within entries, and between entries whose names score 1.0) come first:
    :meth:`top`.  The edges below 1.0 join entries with *different* names, and would be every
    (member of one entry, member of the other) combination: ``k * l`` edges for entries of
    ``k`` and ``l`` members (thousands each for a vendor named on thousands of VAT-less pipeline
    lines).  :meth:`below_top` takes the clusters *after* the top level (``classes``) and keeps,
    per entry pair and pair of classes ``(P, Q)``, only the first edge in the order, when every
    later one is certainly refused: whatever the first edge meets (joined, already together, two
    VATs) holds for the later ones, whose ends lie in the same, only growing, clusters; only the
    legal-form guard can refuse an edge and accept a later one (forms grow), so the first edge
    alone is kept only when the form guard cannot bite: the score is at least the form floor, or
    ``P`` and ``Q`` already share a legal-form family.  Otherwise, and for entry pairs touching a
    record of the ambiguity rule, all combinations are kept.  The accepted edges are exactly those
    of the full list.
    """

    def __init__(
        self,
        entry: np.ndarray,
        n_entries: int,
        pairs: tuple[np.ndarray, np.ndarray, np.ndarray],
        unit: np.ndarray,
        carries_vat: np.ndarray,
        margin: float | None,
    ) -> None:
        self.n_entries = n_entries
        self.m_entry, self.m_unit, self.m_node = entry_members(entry, unit)
        self.m_vat = carries_vat[self.m_node]
        self.start, self.count = _ranges(self.m_entry, n_entries)
        self.pairs = pairs
        self.ambiguous = np.zeros(len(self.m_entry), dtype=bool)
        if margin is not None:
            # a VAT-less record is a cluster of its own, member of one entry: all the VAT-less members
            # of an entry ask the same VAT clusters at the same scores, so the first one decides for all
            free = np.flatnonzero(~self.m_vat)
            askers = np.zeros(len(self.m_entry), dtype=bool)
            askers[free[np.r_[True, self.m_entry[free][1:] != self.m_entry[free][:-1]][: len(free)]]] = True
            ia, ib, score = self._asks(askers)
            decided = _ambiguous_members(
                self.m_entry, self.m_unit, self.m_vat, self.start, self.count, ia, ib, score, margin, askers
            )
            ambiguous_entry = np.bincount(self.m_entry[decided], minlength=n_entries) > 0
            self.ambiguous = ~self.m_vat & ambiguous_entry[self.m_entry]
        self.has_ambiguous = np.bincount(self.m_entry[self.ambiguous], minlength=n_entries) > 0

    def _asks(self, askers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Across-entry member pairs ``(asking VAT-less member, VAT member, score)``: the ambiguity rule's asks."""
        ea, eb, es = self.pairs
        vat_members, free_members = np.flatnonzero(self.m_vat), np.flatnonzero(askers)
        v_start, v_count = _ranges(self.m_entry[vat_members], self.n_entries)
        f_start, f_count = _ranges(self.m_entry[free_members], self.n_entries)
        free, vat, score = [], [], []
        for fe, ve in ((ea, eb), (eb, ea)):
            pf, pv = _products(f_start[fe], f_count[fe], v_start[ve], v_count[ve])
            free.append(free_members[pf])
            vat.append(vat_members[pv])
            score.append(np.repeat(es, f_count[fe] * v_count[ve]))
        return np.concatenate(free), np.concatenate(vat), np.concatenate(score)

    def _dropped(self, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
        """Member pairs the ambiguity rule removes (an ambiguous member and a VAT member)."""
        ambiguous, m_vat = self.ambiguous, self.m_vat
        return (ambiguous[ia] & m_vat[ib]) | (ambiguous[ib] & m_vat[ia])

    def _across(self, ea: np.ndarray, eb: np.ndarray, es: np.ndarray) -> tuple[np.ndarray, ...]:
        """Every member combination of the entry pairs (other VAT cluster, not dropped): nodes and scores."""
        start, count = self.start, self.count
        ia, ib = _products(start[ea], count[ea], start[eb], count[eb])
        score = np.repeat(es, count[ea] * count[eb])
        keep = (self.m_unit[ia] != self.m_unit[ib]) & ~self._dropped(ia, ib)
        return self.m_node[ia[keep]], self.m_node[ib[keep]], score[keep]

    def top(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Edges scoring 1.0, in application order (``a < b``, sorted by ``a`` then ``b``).

        Within an entry: a star from the first member, or, for an entry holding an ambiguous
        member, the full clique minus dropped edges; plus the member combinations of entry
        pairs scoring 1.0.
        """
        start, count, m_entry = self.start, self.count, self.m_entry
        star = (count >= 2) & ~self.has_ambiguous
        first = start[m_entry]
        star_members = np.flatnonzero(star[m_entry] & (np.arange(len(m_entry)) != first))
        wa, wb = first[star_members], star_members
        clique = np.flatnonzero((count >= 2) & self.has_ambiguous)
        ca, cb = _products(start[clique], count[clique], start[clique], count[clique])
        keep = (ca < cb) & ~self._dropped(ca, cb)
        wa, wb = np.concatenate([wa, ca[keep]]), np.concatenate([wb, cb[keep]])
        ea, eb, es = self.pairs
        level = es >= 1.0
        xa, xb, xs = self._across(ea[level], eb[level], es[level])
        node_a = np.concatenate([self.m_node[wa], xa])
        node_b = np.concatenate([self.m_node[wb], xb])
        return _ordered(node_a, node_b, np.concatenate([np.ones(len(wa)), xs]))

    def below_top(
        self, classes: np.ndarray, forms: np.ndarray, form_floor: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Edges scoring below 1.0 that can still be accepted, in application order (see Notes).

        Parameters
        ----------
        classes
            Root of every node once the :meth:`top` edges are applied, shape ``(n,)``.
        forms
            Legal-form bitmask of every root at that point, indexed by node, shape ``(n,)``.
        form_floor
            Scores below this are refused between disjoint legal forms.
        """
        ea, eb, es = self.pairs
        below = es < 1.0
        ea, eb, es = ea[below], eb[below], es[below]
        whole = self.has_ambiguous[ea] | self.has_ambiguous[eb]
        xa, xb, xs = self._across(ea[whole], eb[whole], es[whole])
        ea, eb, es = ea[~whole], eb[~whole], es[~whole]
        # rows: (entry, class) with its members sorted by node; the first is the row's node
        m_class = classes[self.m_node]
        order = np.lexsort((self.m_node, m_class, self.m_entry))
        r_entry, r_class, r_node = self.m_entry[order], m_class[order], self.m_node[order]
        new_row = np.r_[True, (r_entry[1:] != r_entry[:-1]) | (r_class[1:] != r_class[:-1])][: len(order)]
        row_start = np.flatnonzero(new_row)
        row_count = np.diff(np.r_[row_start, len(order)])
        row_class, row_node = r_class[row_start], r_node[row_start]
        start, count = _ranges(r_entry[row_start], self.n_entries)
        ra, rb = _products(start[ea], count[ea], start[eb], count[eb])
        score = np.repeat(es, count[ea] * count[eb])
        other = row_class[ra] != row_class[rb]
        ra, rb, score = ra[other], rb[other], score[other]
        first_only = (score >= form_floor) | (forms[row_class[ra]] & forms[row_class[rb]] != 0)
        ka, kb, ks = ra[~first_only], rb[~first_only], score[~first_only]
        pa, pb = _products(row_start[ka], row_count[ka], row_start[kb], row_count[kb])
        node_a = np.concatenate([xa, row_node[ra[first_only]], r_node[pa]])
        node_b = np.concatenate([xb, row_node[rb[first_only]], r_node[pb]])
        scores = np.concatenate([xs, score[first_only], np.repeat(ks, row_count[ka] * row_count[kb])])
        return _ordered(node_a, node_b, scores)


def _ordered(node_a: np.ndarray, node_b: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, ...]:
    """Edges as ``a < b`` sorted by score descending, then ``a``, then ``b``."""
    a, b = np.minimum(node_a, node_b), np.maximum(node_a, node_b)
    order = np.lexsort((b, a, -score))
    return a[order], b[order], score[order]


def _ambiguous_members(m_entry, m_unit, m_vat, start, count, ia, ib, score, margin, askers) -> np.ndarray:
    """Asking members whose VAT-less cluster matches two VAT clusters about equally (within ``margin``).

    Asks are the across-entry edges from a VAT-less member to a VAT member, plus, within each
    entry, every asking member (``askers``, VAT-less) to (up to two of) the entry's VAT members at
    score 1.0 (two are enough to decide a tie at the top score).
    """
    a_asks, b_asks = ~m_vat[ia] & m_vat[ib], m_vat[ia] & ~m_vat[ib]
    vat_members = np.flatnonzero(m_vat)  # sorted by entry, as all members are
    ve = m_entry[vat_members]
    at = np.arange(len(ve))
    rank = at - np.maximum.accumulate(np.where(np.r_[True, ve[1:] != ve[:-1]][: len(ve)], at, 0))
    top_two = vat_members[rank < 2]
    n_top = np.bincount(m_entry[top_two], minlength=len(start))
    top_start = np.r_[0, np.cumsum(n_top)[:-1]]
    free = np.flatnonzero(askers & (n_top[m_entry] > 0))
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
