"""The duplicate rules' shared text steps (issue 16: one pass per field) against their plain definitions."""
from __future__ import annotations

import re
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.aggregates.duplicates import (NORMALIZATIONS, FieldTexts, NearDuplicateOptions, _near_observe, normalize_field,
                                            record_key, record_words, spellings, strip_edge_punctuation)

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


_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
# Long runs of punctuation at the end too: past the characters stepped over before a reversed search.
EDGED = st.builds(lambda text, tail: text + tail, TEXTS, st.text(alphabet="._ «\n\u2019", max_size=20))


@settings(max_examples=600, deadline=None)
@given(EDGED)
def test_strip_edge_punctuation_is_the_plain_substitution(text):
    assert strip_edge_punctuation(text) == _EDGE_PUNCTUATION.sub("", text)


@settings(max_examples=300, deadline=None)
@given(TEXTS, TEXTS, TEXTS, st.booleans())
def test_keys_join_each_fields_spelling(instruction, input_, output, mask_digits):
    fields = ("instruction", "input", "output")
    texts = FieldTexts({"instruction": instruction, "input": input_, "output": output}, fields)
    per_field = [spellings(text, mask_digits) for text in (instruction, input_, output)]
    assert texts.keys(mask_digits) == {skip: "\x1f".join(spelling[skip] for spelling in per_field) for skip in per_field[0]}


@settings(max_examples=300, deadline=None)
@given(TEXTS, TEXTS, st.booleans())
def test_word_hashes_are_the_crc32_of_the_words(instruction, output, mask_digits):
    record, fields = {"instruction": instruction, "output": output}, ("instruction", "output")
    opts = NearDuplicateOptions(fields=fields, mask_digits=mask_digits)
    _, joined, answer = _near_observe(record, opts)
    padding = [0] * max(0, opts.shingle - len(record_words(record, fields, mask_digits)))
    assert list(joined) == [zlib.crc32(word) for word in record_words(record, fields, mask_digits)] + padding
    answer_words = record_words({"output": output}, ("output",), mask_digits)
    assert list(answer) == [zlib.crc32(word) for word in answer_words] + [0] * max(0, opts.shingle - len(answer_words))


def test_a_record_key_of_no_fields_is_empty():
    assert {skip: record_key({"output": "x"}, (), skip=skip) for skip in ("", *NORMALIZATIONS[:3])} == dict.fromkeys(
        ("", *NORMALIZATIONS[:3]), "")
