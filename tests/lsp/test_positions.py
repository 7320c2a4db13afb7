"""Offsets <-> LSP positions, property-tested against pygls's own decoding of client positions."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

pytest.importorskip("pygls", reason="the language server needs the lsp extra")

from lsprotocol import types  # noqa: E402
from pygls.workspace.position_codec import PositionCodec  # noqa: E402

from vgptlint.server.positions import DocumentText  # noqa: E402

TEXT = st.lists(st.sampled_from(["a", "{", "\"", "é", "🙂", "\n", "\r\n", "\r", " ", "\u2028"]), max_size=40).map("".join)
ENCODINGS = st.sampled_from([types.PositionEncodingKind.Utf16, types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf32])


@given(TEXT, ENCODINGS)
def test_every_offset_round_trips_through_the_clients_units(text, encoding):
    codec = PositionCodec(encoding)
    page = DocumentText(text, codec)
    lines = [page.line_text(n) for n in range(len(page.line_starts))]
    for offset in range(len(text) + 1):
        if 0 < offset < len(text) and text[offset - 1:offset + 1] == "\r\n":
            continue  # between \r and \n is no position of a line
        position = page.position(offset)
        decoded = codec.position_from_client_units(lines, position)
        assert page.line_starts[decoded.line] + decoded.character == offset


def test_vgptlint_columns_count_code_points():
    page = DocumentText('{"a": "🙂", "b": 1}\n{"c": 2}', PositionCodec(types.PositionEncodingKind.Utf16))
    assert page.offset(1, 17) == 16 and page.position(16) == types.Position(line=0, character=17)
    assert page.position(page.offset(2, 2)) == types.Position(line=1, character=1)
    assert page.value_end(page.offset(1, 7)) == page.offset(1, 10)  # the string "🙂" with its quotes
