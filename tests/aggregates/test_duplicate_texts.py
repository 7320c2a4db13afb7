"""The duplicate rules' shared text steps (issue 16: one pass per field) against their plain definitions."""
from __future__ import annotations

import hashlib
import re
import sys
import zlib
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.aggregates.duplicates import (NORMALIZATIONS, DuplicateOptions, FieldTexts, NearDuplicateOptions, _dup_row,
                                            _is_single_spaced, _near_observe, normalize_field, record_key, record_words,
                                            spellings, strip_edge_punctuation)

# Spaces of several kinds, capitals (Kelvin sign and dotted I change when lower-cased), digits,
# punctuation and underscores at the ends, a lone surrogate.
TEXTS = st.text(alphabet="aZ9_ é\u0130\u212a-.?\n\t\x0b\x1c\u00a0\u2019ß«\ud800", max_size=14)
# ASCII only (capitals keep their edges when lower-cased), with the whitespace that is not printable
# and runs of spaces; and every kind of whitespace str.split knows.
ASCII_TEXTS = st.text(alphabet="aZq9_ .-?!)\n\t\x1f", max_size=16)
SPACED_TEXTS = st.text(alphabet="aZ. \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2028\u2029\u202f\u3000\u200b", max_size=12)
ANY_TEXTS = st.one_of(TEXTS, ASCII_TEXTS, SPACED_TEXTS)
_WORD = re.compile(rb"[0-9A-Za-z_\x80-\xff]+")
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")


@settings(max_examples=600, deadline=None)
@given(ANY_TEXTS, st.booleans())
def test_spellings_are_normalize_field_with_each_step_skipped(text, mask_digits):
    skips = ("", *(NORMALIZATIONS if mask_digits else NORMALIZATIONS[:-1]))
    assert spellings(text, mask_digits) == {skip: normalize_field(text, skip, mask_digits) for skip in skips}


@settings(max_examples=400, deadline=None)
@given(ANY_TEXTS, ANY_TEXTS, ANY_TEXTS, st.booleans())
def test_words_are_the_lower_cased_runs_of_word_bytes(instruction, input_, output, mask_digits):
    def words(text: str) -> list[bytes]:
        data = text.lower().encode("utf-8", "surrogatepass")
        return _WORD.findall(data.translate(_DIGITS_TO_ZERO) if mask_digits else data)

    record = {"instruction": instruction, "input": input_, "output": output}
    assert record_words(record, ("instruction", "input", "output"), mask_digits) == [
        *words(instruction), b"\x1f", *words(input_), b"\x1f", *words(output)]


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


def test_the_space_is_the_only_printable_whitespace():
    # what _is_single_spaced relies on, checked for every code point of this Python's Unicode tables
    assert [code for code in range(sys.maxunicode + 1) if chr(code).isspace() and chr(code).isprintable()] == [32]


@settings(max_examples=600, deadline=None)
@given(st.one_of(ANY_TEXTS, st.text(max_size=12)))
def test_a_single_spaced_text_is_its_own_collapse(text):
    if _is_single_spaced(text):
        assert " ".join(text.split()) == text


def _reference_row(record: dict, opts: DuplicateOptions) -> bytes:
    """A duplicate observation from the plain definitions: normalize_field per field and skip, digests of the joins."""
    def digest(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()

    raw = [record.get(name, "") for name in opts.fields]
    skips = NORMALIZATIONS if opts.mask_digits else NORMALIZATIONS[:-1]
    keys = ["\x1f".join(normalize_field(text, skip, opts.mask_digits) for text in raw) for skip in ("", *skips)]
    sums = array("I", [zlib.crc32(text.encode("utf-8", "surrogatepass")) for text in raw]).tobytes()
    return digest(keys[0]) + digest("\x1f".join(raw)) + b"".join(map(digest, keys[1:])) + sums


@settings(max_examples=500, deadline=None)
@given(ANY_TEXTS, ANY_TEXTS, ANY_TEXTS, st.booleans())
def test_a_duplicate_observation_is_made_of_the_plain_spellings(instruction, input_, output, mask_digits):
    record = {"instruction": instruction, "input": input_, "output": output}
    opts = DuplicateOptions(mask_digits=mask_digits)
    assert _dup_row(record, opts) == _reference_row(record, opts)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXTS, ANY_TEXTS, ANY_TEXTS, st.sampled_from(["instruction", "input", "output", "other", ""]), st.booleans())
def test_the_answer_hashes_are_its_own_words_wherever_it_is(instruction, input_, output, answer, mask_digits):
    record, fields = {"instruction": instruction, "input": input_, "output": output, "other": output}, ("instruction", "input", "output")
    opts = NearDuplicateOptions(fields=fields, mask_digits=mask_digits, answer=answer)
    _, joined, answer_hashes = _near_observe(record, opts)
    words = record_words(record, fields, mask_digits)
    assert list(joined) == [zlib.crc32(word) for word in words] + [0] * max(0, opts.shingle - len(words))
    if not answer:
        assert answer_hashes is None
        return
    answer_words = record_words({answer: record[answer]}, (answer,), mask_digits)
    assert list(answer_hashes) == [zlib.crc32(word) for word in answer_words] + [0] * max(0, opts.shingle - len(answer_words))
