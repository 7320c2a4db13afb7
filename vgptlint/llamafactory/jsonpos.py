"""Where each key and value of a small JSON document is: ``path -> (line, column)``.

dataset_info.json is a few kilobytes, so a short scanner over text that ``json.loads`` already
accepted is simpler and exacter than parsing JSON as YAML (which rejects tabs and duplicate keys
that JSON allows). Values come from the C decoder; this module only adds positions.
"""
from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field

_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()

JsonPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Positions:
    """1-based ``(line, column)`` of every object key and every value, by path.

    The root value's path is ``()``. Duplicate keys keep the last occurrence, as ``json`` does.
    """

    keys: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)
    values: dict[JsonPath, tuple[int, int]] = field(default_factory=dict)

    def key(self, path: JsonPath) -> tuple[int, int]:
        return self.keys.get(path) or self.value(path[:-1])

    def value(self, path: JsonPath) -> tuple[int, int]:
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))


def locate(text: str) -> Positions:
    """Positions of a JSON text that ``json.loads`` accepts (call it first for syntax errors).

    >>> locate('{"a": {"b": 1}}').keys[("a", "b")]
    (1, 8)
    """
    line_starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]
    positions = Positions()

    def where(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(line_starts, offset)
        return line, offset - line_starts[line - 1] + 1

    def skip(offset: int) -> int:
        while offset < len(text) and text[offset] in _WHITESPACE:
            offset += 1
        return offset

    def value(offset: int, path: JsonPath) -> int:
        offset = skip(offset)
        positions.values[path] = where(offset)
        char = text[offset]
        if char == "{":
            offset = skip(offset + 1)
            if text[offset] == "}":
                return offset + 1
            while True:
                key_at = offset
                key, offset = json.decoder.scanstring(text, offset + 1)
                positions.keys[path + (key,)] = where(key_at)
                offset = skip(offset) + 1  # the ':'
                offset = skip(value(offset, path + (key,)))
                if text[offset] == "}":
                    return offset + 1
                offset = skip(offset + 1)  # the ','
        if char == "[":
            offset = skip(offset + 1)
            if text[offset] == "]":
                return offset + 1
            index = 0
            while True:
                offset = skip(value(offset, path + (index,)))
                if text[offset] == "]":
                    return offset + 1
                offset, index = offset + 1, index + 1
        if char == '"':
            return json.decoder.scanstring(text, offset + 1)[1]
        return _DECODER.raw_decode(text, offset)[1]

    value(0, ())
    return positions
