"""The one edit applier (vgptlint.fixes.edits): every fix on a field, every fix being verified and
every record spliced into its file goes through it, so its guarantees are proved here."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.fixes.edits import apply_edits, edits_overlap
from vgptlint.model import Edit

# Characters that change width or meaning elsewhere: quotes, backslashes, controls, astral planes.
PIECE = st.sampled_from([*'ab "\\\n\t\r\x01é€😀\u2028/{}[],:', "colour", "WITH (NOLOCK)"])
TEXT = st.lists(PIECE, max_size=12).map("".join)


@st.composite
def text_and_edits(draw):
    """A text and edits on it that do not overlap (nor start at one offset), in a random order."""
    text = draw(TEXT)
    edits: list[Edit] = []
    for _ in range(draw(st.integers(0, 5))):
        start = draw(st.integers(0, len(text)))
        edit = Edit(start, draw(st.integers(start, len(text))), draw(TEXT))
        if not any(edits_overlap(edit, taken) for taken in edits):
            edits.append(edit)
    return text, draw(st.permutations(edits))


def rebuilt(text: str, edits: list[Edit]) -> str:
    """The expected result, built independently: the text between edits comes from ``text``, in order."""
    cursor, out = 0, ""
    for edit in sorted(edits, key=lambda e: e.start):
        out += text[cursor:edit.start] + edit.replacement
        cursor = edit.end
    return out + text[cursor:]


@settings(max_examples=300, deadline=None)
@given(text_and_edits())
def test_text_outside_the_edits_is_unchanged(case):
    text, edits = case
    assert apply_edits(text, edits) == rebuilt(text, edits)


@settings(max_examples=300, deadline=None)
@given(text_and_edits(), st.randoms(use_true_random=False))
def test_the_order_of_the_edits_does_not_matter(case, random):
    text, edits = case
    shuffled = list(edits)
    random.shuffle(shuffled)
    assert apply_edits(text, shuffled) == apply_edits(text, edits) == apply_edits(text, reversed(edits))


@settings(max_examples=200, deadline=None)
@given(text_and_edits(), st.integers(0, 10_000), TEXT)
def test_a_piece_of_a_longer_text_takes_offsets_of_the_whole(case, base, before):
    """Verifying a fix applies the field's edits to one statement of it (``base``: where it starts)."""
    text, edits = case
    before = (before * (base // max(len(before), 1) + 1))[:base] if before else "x" * base
    shifted = [Edit(e.start + base, e.end + base, e.replacement) for e in edits]
    assert apply_edits(text, shifted, base) == apply_edits(text, edits)
    assert apply_edits(before + text, shifted) == before + apply_edits(text, edits)


@pytest.mark.parametrize("edits", [
    [Edit(2, 5, "x"), Edit(4, 6, "y")],  # ranges intersect
    [Edit(0, 9, "x")],  # past the end
    [Edit(3, 2, "x")],  # backwards
])
def test_overlapping_or_outside_edits_are_refused(edits):
    with pytest.raises(ValueError, match="outside the value or overlaps another"):
        apply_edits("abcdef", edits)
