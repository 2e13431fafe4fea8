"""Tests of the scaled linker: same decisions as a plain row-by-row reference, block cap, speed-ups.

The reference below is the guarded single linkage written the obvious way (every pair of
records of different VAT clusters sharing or matching a name in a block is an edge, applied
one by one over a union-find of Python sets), as channelstudy.build.link did before it was
vectorised.  The vectorised linker must take exactly the same decisions.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from channelstudy.build import link as L
from channelstudy.build import link_blocks
from channelstudy.build.link import LinkConfig, link_records, pairwise_quality

from .test_link import make_world

OUTPUTS = ["firm_id", "match_method", "match_score", "matched_to"]


def reference_link(records: pd.DataFrame, config: LinkConfig | None = None) -> pd.DataFrame:
    """Row-by-row guarded single linkage (the semantics of LinkConfig, without block cap)."""
    config = config or LinkConfig()
    work = L._prepare(records, config)
    vat_parent, vat_edges = L._vat_parents(work)
    n = len(work)
    parent = vat_parent.tolist()
    vats: dict[int, set] = {}
    forms: dict[int, set] = {}
    for node in range(n):
        if pd.notna(work["vat"][node]):
            vats.setdefault(parent[node], set()).add(work["vat"][node])
        if pd.notna(work["form"][node]):
            forms.setdefault(parent[node], set()).add(work["form"][node])

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    def try_merge(a: int, b: int, score: float) -> bool:
        ra, rb = find(a), find(b)
        if ra == rb:
            return False
        va, vb = vats.get(ra, set()), vats.get(rb, set())
        if va and vb and va != vb and not config.allow_vat_conflict_merge:
            return False
        fa, fb = forms.get(ra, set()), forms.get(rb, set())
        if fa and fb and not fa & fb and score < config.legal_form_conflict_threshold - 1e-8:
            return False
        keep, drop = min(ra, rb), max(ra, rb)
        parent[drop] = keep
        vats[keep] = vats.pop(keep, set()) | vats.pop(drop, set())
        forms[keep] = forms.pop(keep, set()) | forms.pop(drop, set())
        return True

    def members(key_of) -> dict:
        out: dict = {}
        for node in range(n):
            key = key_of(node)
            if key is not None:
                out.setdefault(key, {}).setdefault(vat_parent[node], node)
        return out

    def score_of(x: str, y: str) -> float:
        if x == y:
            return 1.0
        best = max(scorer(x, y) for scorer in L.SCORERS[config.scorer])
        return best / 100 if best >= config.name_threshold * 100 - 1e-6 else 0.0

    def candidate_edges(exact: bool) -> list[tuple[float, int, int]]:
        names, blocks = work["name"], work["block"]
        if exact:
            groups = members(lambda i: names[i] if pd.notna(names[i]) else None)
            keys = [(k, None) for k in groups]
        else:
            groups = members(
                lambda i: (blocks[i], names[i]) if pd.notna(names[i]) and pd.notna(blocks[i]) else None
            )
            keys = [(k, k[0]) for k in groups]
        edges = {}
        for (k1, b1), (k2, b2) in itertools.combinations_with_replacement(keys, 2):
            if b1 != b2:
                continue
            score = 1.0 if k1 == k2 else (0.0 if exact else score_of(k1[1], k2[1]))
            if score <= 0:
                continue
            for (u1, n1), (u2, n2) in itertools.product(groups[k1].items(), groups[k2].items()):
                if u1 != u2:
                    a, b = min(n1, n2), max(n1, n2)
                    edges[(a, b)] = max(edges.get((a, b), 0.0), score)
        carries = {node: pd.notna(work["vat"][vat_parent[node]]) for node in range(n)}
        if config.ambiguity_margin is not None and not config.allow_vat_conflict_merge:
            best: dict = {}
            for (a, b), s in edges.items():
                for x, y in ((a, b), (b, a)):
                    if not carries[x] and carries[y]:
                        key = (vat_parent[x], vat_parent[y])
                        best[key] = max(best.get(key, 0.0), s)
            by_unit: dict = {}
            for (unit, _), s in best.items():
                by_unit.setdefault(unit, []).append(s)
            ambiguous = {
                u
                for u, s in by_unit.items()
                if len(s) > 1 and sorted(s)[-1] - sorted(s)[-2] <= config.ambiguity_margin + 1e-8
            }
            edges = {
                (a, b): s
                for (a, b), s in edges.items()
                if not (
                    (vat_parent[a] in ambiguous and carries[b]) or (vat_parent[b] in ambiguous and carries[a])
                )
            }
        return sorted((-s, a, b) for (a, b), s in edges.items())

    accepted = [(a, b, s, L._METHOD_VAT) for a, b, s in vat_edges.itertuples(index=False)]
    for neg, a, b in candidate_edges(exact=False):
        if try_merge(a, b, -neg):
            accepted.append((a, b, -neg, L._METHOD_NAME))
    if config.exact_name_key_without_block:
        for neg, a, b in candidate_edges(exact=True):
            if try_merge(a, b, -neg):
                accepted.append((a, b, -neg, L._METHOD_NAME))
    else:
        for node in range(n):
            name = work["name"][node]
            if pd.isna(name) or pd.notna(work["block"][node]):
                continue
            first_by_root: dict = {}
            for other in range(n):
                if work["name"][other] == name and pd.notna(work["block"][other]):
                    first_by_root.setdefault(find(other), other)
            own = find(node)
            if own in first_by_root or len(first_by_root) != 1:
                continue
            ((_, other),) = first_by_root.items()
            if try_merge(node, other, 1.0):
                accepted.append((min(node, other), max(node, other), 1.0, L._METHOD_NAME))
    tree = pd.DataFrame(accepted, columns=["a", "b", "score", "method"]).astype(
        {"a": np.int64, "b": np.int64, "score": float, "method": np.int64}
    )
    roots = np.array([find(i) for i in range(n)], dtype=np.int64)
    return records.assign(**L._output_columns(work, roots, tree, records.index))


def _assert_same(records: pd.DataFrame, config: LinkConfig) -> None:
    expected = reference_link(records, config)
    got = link_records(records, config)
    pd.testing.assert_frame_equal(got[OUTPUTS], expected[OUTPUTS])


CONFIGS = [
    LinkConfig(),
    LinkConfig(exact_name_key_without_block=True),
    LinkConfig(allow_vat_conflict_merge=True),
    LinkConfig(ambiguity_margin=None),
    LinkConfig(ambiguity_margin=0.05, legal_form_conflict_threshold=0.95),
    LinkConfig(name_threshold=0.8, scorer="ratio"),
]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: repr(c)[11:60])
def test_same_decisions_as_the_row_by_row_reference_on_a_world(config: LinkConfig) -> None:
    world = make_world(300, seed=11)
    _assert_same(world.drop(columns=["true_firm"]), config)


NAMES = ["ROSSI INFORMATICA", "INFORMATICA ROSSI", "ROSSI INFORMATIKA", "ROSSI SISTEMI", "BIANCHI NET"]


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([None, "01234567890", "09876543210", "11111111111"]),
            st.sampled_from(NAMES + [None]),
            st.sampled_from(["MI", "RM", None]),
            st.sampled_from([None, "SRL", "SPA", "SRLS"]),
        ),
        min_size=1,
        max_size=14,
    ),
    config=st.sampled_from(CONFIGS),
)
def test_same_decisions_as_the_reference_on_crowded_tiny_inputs(
    rows: list[tuple], config: LinkConfig
) -> None:
    frame = pd.DataFrame(rows, columns=["vat", "name_key", "province", "legal_form"]).astype("string")
    frame.insert(0, "source", "s")
    frame.insert(1, "record_id", [str(i) for i in range(len(frame))])
    frame.insert(2, "row_number", range(1, len(frame) + 1))
    frame["comune"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    _assert_same(frame, config)


def test_token_sort_ratio_is_the_ratio_of_token_sorted_names() -> None:
    names = make_world(300, seed=3)["name_key"].dropna().unique()
    sorted_names = link_blocks.token_sorted(names)
    for x, y, sx, sy in zip(names[:-1], names[1:], sorted_names[:-1], sorted_names[1:], strict=True):
        assert fuzz.token_sort_ratio(x, y) == fuzz.ratio(sx, sy)


def test_block_cap_splits_big_blocks_and_keeps_nearly_all_matches() -> None:
    world = make_world(2_000, seed=7)
    records = world.drop(columns=["true_firm"])
    whole = link_records(records, LinkConfig(max_block_names=None))
    capped = link_records(records, LinkConfig(max_block_names=60))
    assert world.groupby("province")["name_key"].nunique().max() > 60 * 5
    q_whole = pairwise_quality(whole["firm_id"], world["true_firm"])
    q_capped = pairwise_quality(capped["firm_id"], world["true_firm"])
    assert q_capped["recall"] > q_whole["recall"] - 0.01
    assert q_capped["precision"] > q_whole["precision"] - 0.002


def test_sub_blocks_respect_the_cap_and_cover_prefixes() -> None:
    names = np.array(
        sorted(f"{a}{b} {c}" for a in "ABCDEFGH" for b in "ABCDEFGH" for c in ("NET", "DATA")), dtype=object
    )
    parts = link_blocks.sub_blocks(names, link_blocks.token_sorted(names), cap=20)
    assert max(len(p) for p in parts) <= 20
    assert all(np.all(np.diff(p) > 0) for p in parts)
    assert link_blocks.sub_blocks(names, names, cap=None)[0].tolist() == list(range(len(names)))


@pytest.mark.parametrize("cap", [True, 1, 2.5, "10"])
def test_block_cap_validation(cap: object) -> None:
    with pytest.raises(ValueError, match="max_block_names"):
        LinkConfig(max_block_names=cap)
