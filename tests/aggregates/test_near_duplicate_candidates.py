"""``earliest_similar`` (LSH banding, vectorized per band) against a brute-force reading of its contract."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.aggregates.duplicates import earliest_similar


def brute_force(table, keep, rows_per_band, threshold):
    count, bins = table.shape
    best, agreement = [-1] * count, [0] * count
    for row in range(count):
        if not keep[row]:
            continue
        for earlier in range(row):
            if not keep[earlier]:
                continue
            shares_band = any((table[row, b:b + rows_per_band] == table[earlier, b:b + rows_per_band]).all()
                              for b in range(0, bins, rows_per_band))
            # the candidate of a band is the earliest kept record with that band's values
            agree = int((table[row] == table[earlier]).sum())
            if shares_band and agree >= threshold * bins and _is_band_candidate(table, keep, row, earlier, rows_per_band):
                best[row], agreement[row] = earlier, agree
                break
    return best, agreement


def _is_band_candidate(table, keep, row, earlier, rows_per_band):
    """``earlier`` is the first kept record of some band ``row`` shares with it."""
    for b in range(0, table.shape[1], rows_per_band):
        band = table[row, b:b + rows_per_band]
        if (table[earlier, b:b + rows_per_band] == band).all():
            firsts = [r for r in range(table.shape[0]) if keep[r] and (table[r, b:b + rows_per_band] == band).all()]
            if firsts and firsts[0] == earlier:
                return True
    return False


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 14), st.integers(1, 3), st.data())
def test_banded_search_equals_brute_force(count, symbols, data):
    rows_per_band, bins = 2, 8
    values = data.draw(st.lists(st.integers(0, symbols), min_size=count * bins, max_size=count * bins))
    table = np.asarray(values, dtype=np.uint32).reshape(count, bins)
    keep = np.asarray(data.draw(st.lists(st.booleans(), min_size=count, max_size=count)))
    threshold = data.draw(st.sampled_from([0.5, 0.75, 1.0]))
    best, agreement = earliest_similar(table, keep, rows_per_band, threshold)
    expected_best, expected_agreement = brute_force(table, keep, rows_per_band, threshold)
    assert best.tolist() == expected_best
    assert agreement.tolist() == expected_agreement
