"""`ordering`'s absorb (a stretch of consecutive records one run at a time) leaves the state that
placing each record's labels one by one leaves, segment for segment: with gaps in the record
indices and with batches absorbed out of file order (states keep such segments sorted; merge and
finalize join them). test_merge_property.py compares finalized results of batches in file order.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.aggregates.base import RecordRef
from vgptlint.aggregates.ordering import OrderingOptions, _absorb, _empty, _place

OPTIONS = OrderingOptions(features=("length_band", "has_sql"))


def _placed_one_by_one(batches: list[list[tuple[int, tuple[str, ...]]]]) -> dict:
    state = _empty(OPTIONS)
    for batch in batches:
        for index, labels in batch:
            for name, label in zip(OPTIONS.labelled, labels):
                _place(state[name], index, label)
    return state


def _absorbed(batches: list[list[tuple[int, tuple[str, ...]]]]) -> dict:
    state = _empty(OPTIONS)
    for batch in batches:
        refs = [RecordRef(index, index + 1, 1) for index, _ in batch]
        state = _absorb(state, [labels for _, labels in batch], refs, OPTIONS)
    return state


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_absorbing_batches_equals_placing_records(data):
    indices = sorted(data.draw(st.sets(st.integers(0, 80), max_size=40), label="indices"))
    labels = [data.draw(st.tuples(st.sampled_from("ab"), st.sampled_from("abc"))) for _ in indices]
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(indices)), max_size=5), label="cuts")))
    edges = [0, *cuts, len(indices)]
    batches = [list(zip(indices[a:b], labels[a:b])) for a, b in zip(edges, edges[1:]) if a < b]
    batches = data.draw(st.permutations(batches), label="batch order")
    expected, absorbed = _placed_one_by_one(batches), _absorbed(batches)
    assert absorbed == expected
    # label counts in the same order too (they are pickled into the result cache)
    assert [[list(s.counts.items()) for s in absorbed[name]] for name in OPTIONS.labelled] == \
           [[list(s.counts.items()) for s in expected[name]] for name in OPTIONS.labelled]
