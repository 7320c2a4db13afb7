"""The duplicate rules' shared text steps (issue 16: one pass per field) against their plain definitions."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.aggregates.duplicates import NORMALIZATIONS, normalize_field, record_words, spellings

# Spaces of several kinds, capitals (Kelvin sign and dotted I change when lower-cased), digits,
# punctuation and underscores at the ends, a lone surrogate.
TEXTS = st.text(alphabet="aZ9_ é\u0130\u212a-.?\n\t\x0b\x1c\u00a0\u2019ß«\ud800", max_size=14)
_WORD = re.compile(rb"[0-9A-Za-z_\x80-\xff]+")
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")


@settings(max_examples=400, deadline=None)
@given(TEXTS, st.booleans())
def test_spellings_are_normalize_field_with_each_step_skipped(text, mask_digits):
    skips = ("", *(NORMALIZATIONS if mask_digits else NORMALIZATIONS[:-1]))
    assert spellings(text, mask_digits) == {skip: normalize_field(text, skip, mask_digits) for skip in skips}


@settings(max_examples=400, deadline=None)
@given(TEXTS, TEXTS, st.booleans())
def test_words_are_the_lower_cased_runs_of_word_bytes(instruction, output, mask_digits):
    def words(text: str) -> list[bytes]:
        data = text.lower().encode("utf-8", "surrogatepass")
        return _WORD.findall(data.translate(_DIGITS_TO_ZERO) if mask_digits else data)

    record = {"instruction": instruction, "output": output}
    assert record_words(record, ("instruction", "output"), mask_digits) == [*words(instruction), b"\x1f", *words(output)]
