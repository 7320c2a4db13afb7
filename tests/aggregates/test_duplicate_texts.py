"""The duplicate rules' shared text steps (issue 16: one pass per field) against their plain definitions."""
from __future__ import annotations

import hashlib
import re
import sys
import zlib
from array import array

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.aggregates import duplicates
from vgptlint.aggregates.duplicates import (NORMALIZATIONS, DuplicateOptions, FieldTexts, NearDuplicateOptions, _dup_row,
                                            _is_single_spaced, _near_observe, _near_settle, normalize_field, record_key,
                                            record_words, signatures, spellings, strip_edge_punctuation, word_crcs)

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


def _reference_signature(words: list[bytes], opts: NearDuplicateOptions) -> bytes:
    """One text's signature from zlib's crc32 of each word, padded with zeros to a shingle."""
    hashes = [zlib.crc32(word) for word in words]
    hashes += [0] * max(0, opts.shingle - len(hashes))
    return signatures(array("I", hashes).tobytes(), [len(hashes)], opts.shingle, opts.bins).tobytes()


RECORDS = st.fixed_dictionaries({"instruction": ANY_TEXTS, "input": ANY_TEXTS, "output": ANY_TEXTS, "other": ANY_TEXTS})


@settings(max_examples=300, deadline=None)
@given(st.lists(RECORDS, min_size=1, max_size=4), st.sampled_from(["instruction", "input", "output", "other", ""]),
       st.booleans(), st.integers(1, 3))
def test_settled_signatures_are_those_of_the_words_crc32(records, answer, mask_digits, shingle):
    fields = ("instruction", "input", "output")
    opts = NearDuplicateOptions(fields=fields, mask_digits=mask_digits, answer=answer, shingle=shingle, bins=8, rows=2)
    observations = [_near_observe(record, opts) for record in records]
    expected = []
    for record, (head, _, _) in zip(records, observations):
        row = head + _reference_signature(record_words(record, fields, mask_digits), opts)
        if answer:
            row += _reference_signature(record_words(record, (answer,), mask_digits), opts)
        expected.append(row)
    assert _near_settle(observations, opts) == expected


# Words of 1 to 100 bytes (past the 64 the tables cover), any byte but the space, between runs of spaces.
WORDS = st.lists(st.binary(min_size=1, max_size=100).map(lambda word: word.replace(b" ", b"_")), max_size=12)


@settings(max_examples=400, deadline=None)
@given(WORDS, st.lists(st.integers(1, 3), min_size=13, max_size=13), st.sampled_from([1 << 18, 1, 7, 64]))
def test_word_crcs_are_zlibs(words, gaps, piece_bytes):
    data = b"".join(b" " * gap + word for gap, word in zip(gaps, words)) + b" "
    default, duplicates._CRC_PIECE_BYTES = duplicates._CRC_PIECE_BYTES, piece_bytes  # small: words longer than a piece
    try:
        crcs, starts, stops = word_crcs(data)
    finally:
        duplicates._CRC_PIECE_BYTES = default
    assert crcs.tolist() == [zlib.crc32(word) for word in words]
    assert [data[start:stop] for start, stop in zip(starts.tolist(), stops.tolist())] == words
