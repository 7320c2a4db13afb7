"""vgptlint positions (1-based lines, 1-based columns counting code points) as LSP ranges.

LSP counts 0-based lines and, by default, UTF-16 code units within a line: "🙂" is one code point
but two UTF-16 units, so every character before a position is counted in the negotiated encoding
(pygls's codec, from the client's ``general.positionEncodings``).
"""
from __future__ import annotations

import bisect
import json
import re

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from vgptlint.model import Location

_DECODER = json.JSONDecoder()
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # LSP's line breaks, nothing else (not U+2028)


class DocumentText:
    """A document's text with its line starts, for turning offsets and vgptlint positions into LSP ones."""

    def __init__(self, text: str, codec: PositionCodec):
        self.text = text
        self.codec = codec
        self.line_starts = [0, *(m.end() for m in _LINE_BREAK.finditer(text))]

    def line_text(self, line: int) -> str:
        """Line ``line`` (0-based) without its line break."""
        start = self.line_starts[line]
        end = self.line_starts[line + 1] if line + 1 < len(self.line_starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def offset(self, line: int, column: int) -> int:
        """The text offset of 1-based ``line``/``column`` (code points), clamped to the text."""
        line = min(max(line, 1), len(self.line_starts)) - 1
        return min(self.line_starts[line] + max(column, 1) - 1, len(self.text))

    def position(self, offset: int) -> types.Position:
        """The LSP position of a text offset, in the client's units."""
        line = bisect.bisect_right(self.line_starts, offset) - 1
        before = self.text[self.line_starts[line]:offset]
        return types.Position(line=line, character=self.codec.client_num_units(before))

    def range(self, start: int, end: int) -> types.Range:
        return types.Range(start=self.position(start), end=self.position(end))

    def location_range(self, location: Location) -> types.Range:
        """The exact range a finding is about: its span when vgptlint knows one, else the JSON value
        that starts at its position (a field, or the whole record); a file-level finding (a
        dataset-level rule) covers the file's first line."""
        start = self.offset(location.line, location.column)
        if location.end_line is not None and location.end_column is not None:
            return self.range(start, self.offset(location.end_line, location.end_column))
        if location.record_index is None:
            line = location.line - 1 if 0 < location.line <= len(self.line_starts) else 0
            return self.range(self.line_starts[line], self.line_starts[line] + len(self.line_text(line)))
        return self.range(start, self.value_end(start))

    def value_end(self, start: int) -> int:
        """The end of the JSON value starting at ``start``; ``start`` itself when none starts there."""
        try:
            return _DECODER.raw_decode(self.text, start)[1]
        except (ValueError, IndexError):
            return start

    def yaml_node_end(self, start: int) -> int:
        """Roughly where the YAML node written at ``start`` ends, for underlining a policy problem: a
        quoted scalar, a flow ``{...}``/``[...]`` (brackets balanced), else the plain scalar up to a
        ``:``, ``,``, closing bracket, comment or the end of the line."""
        text = self.text
        if start >= len(text):
            return start
        opening = text[start]
        if opening in "\"'":
            close = text.find(opening, start + 1)
            return close + 1 if close > 0 else start
        if opening in "{[":
            depth = 0
            for offset in range(start, len(text)):
                if text[offset] in "{[":
                    depth += 1
                elif text[offset] in "}]":
                    depth -= 1
                    if depth == 0:
                        return offset + 1
            return start
        plain = _YAML_PLAIN.match(text, start)
        return start + len(plain.group().rstrip())


_YAML_PLAIN = re.compile(r"(?:[^\s:,\]}#\r\n]|:(?!\s)|[ \t]+(?=[^\s#:,\]}]))*")
