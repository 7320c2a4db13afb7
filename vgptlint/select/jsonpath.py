"""Selectors: a rule's ``given`` JSONPath, compiled once, evaluated on every record.

Plain paths (``$``, ``$.output``, ``$.a.b[0]``, ``$['odd key']``) are the common case and take a
direct dictionary walk; anything else (filters, wildcards, recursive descent) goes through
jsonpath-ng's extended parser. Both return the same :class:`Target` values, so callers cannot
tell which path was taken.
"""
from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from typing import TYPE_CHECKING

from vgptlint.deferred import DeferredModule

if TYPE_CHECKING:
    import jsonpath_ng
    from jsonpath_ng import ext as jsonpath_ext
else:  # imported with the first path that is more than keys and indexes (with its parser generator, ~5 ms)
    jsonpath_ng = DeferredModule("jsonpath_ng")
    jsonpath_ext = DeferredModule("jsonpath_ng.ext")

PathPart = str | int


@dataclass(frozen=True, slots=True)
class Target:
    """One selected value and its path inside the record (keys and indexes)."""

    parts: tuple[PathPart, ...]
    value: object

    @property
    def pointer(self) -> str:
        return to_pointer(self.parts)

    @property
    def json_path(self) -> str:
        return to_json_path(self.parts)


# A frozen dataclass's __init__ sets each field through object.__setattr__ (0.7 µs for a Target), and
# every selection on every record makes one: selectors build a mutable twin with the same slots and
# turn it into a Target (the recipe of vgptlint.inputs.records.new_record).
_TargetBuilder = dataclasses.make_dataclass("TargetBuilder", [(f.name, f.type) for f in dataclasses.fields(Target)],
                                            slots=True)


def new_target(parts: tuple[PathPart, ...], value: object) -> Target:
    """``Target(parts, value)``, in a third less time.

    >>> new_target(("output",), "x") == Target(("output",), "x")
    True
    """
    target = _TargetBuilder(parts, value)
    target.__class__ = Target
    return target


class SelectorError(ValueError):
    """An expression that is not valid JSONPath; the message is jsonpath-ng's, cleaned up."""


@dataclass(frozen=True, slots=True)
class Selector:
    """A compiled ``given``. ``key``: for a path of one plain key (``$.output``), that key, so that
    a caller that needs only the value can read ``data[key]`` without making a :class:`Target`;
    ``find`` selects exactly that value (and nothing when data is not a dict holding the key)."""

    expression: str
    find: Callable[[object], list[Target]]
    key: str | None = None


_SIMPLE_STEP = re.compile(r"""\.([A-Za-z_][\w\-]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]|\["((?:[^"\\]|\\.)*)"\]""")


def compile_selector(expression: str) -> Selector:
    """Compile a JSONPath once.

    >>> compile_selector("$.output").find({"output": "x"})[0].parts
    ('output',)
    """
    expression = expression.strip()
    parts = _simple_parts(expression)
    if parts is not None:
        key = parts[0] if len(parts) == 1 and isinstance(parts[0], str) else None
        return Selector(expression, _direct_finder(parts), key)
    try:
        compiled = jsonpath_ext.parse(expression)
    except Exception as exc:  # jsonpath-ng's lexer and parser errors, and plain Exception too
        raise SelectorError(_clean_message(exc)) from None
    return Selector(expression, lambda data: [new_target(_match_parts(m), m.value) for m in compiled.find(data)])


def _simple_parts(expression: str) -> tuple[PathPart, ...] | None:
    if not expression.startswith("$"):
        return None
    parts: list[PathPart] = []
    position = 1
    while position < len(expression):
        step = _SIMPLE_STEP.match(expression, position)
        if step is None:
            return None
        name, index, single, double = step.groups()
        if name is not None:
            parts.append(name)
        elif index is not None:
            parts.append(int(index))
        else:
            parts.append((single if single is not None else double).replace("\\", ""))
        position = step.end()
    return tuple(parts)


def _direct_finder(parts: tuple[PathPart, ...]) -> Callable[[object], list[Target]]:
    if len(parts) == 1 and isinstance(parts[0], str):
        key = parts[0]

        def find_one(data: object) -> list[Target]:
            if isinstance(data, dict) and key in data:
                return [new_target(parts, data[key])]
            return []

        return find_one

    def find(data: object) -> list[Target]:
        value = data
        for part in parts:
            if isinstance(part, str):
                if not isinstance(value, dict) or part not in value:
                    return []
            elif not isinstance(value, list) or part >= len(value):
                return []
            value = value[part]
        return [new_target(parts, value)]

    return find


def _match_parts(match) -> tuple[PathPart, ...]:
    parts: list[PathPart] = []
    node = match
    while node is not None:
        path = node.path
        if isinstance(path, jsonpath_ng.Fields):
            parts.append(path.fields[0])
        elif isinstance(path, jsonpath_ng.Index):
            parts.append(path.indices[0] if hasattr(path, "indices") else path.index)
        elif not isinstance(path, jsonpath_ng.Root):
            # jsonpath-ng's "This" and slices carry no step of their own
            index = getattr(path, "index", None)
            if isinstance(index, int):
                parts.append(index)
        node = node.context
    return tuple(reversed(parts))


def _clean_message(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


@functools.lru_cache(maxsize=4096)  # as to_json_path: once per finding, from a few distinct paths
def to_pointer(parts: tuple[PathPart, ...]) -> str:
    """RFC 6901 JSON Pointer.

    >>> to_pointer(("messages", 1, "a/b~c"))
    '/messages/1/a~1b~0c'
    """
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


_PLAIN_NAME = re.compile(r"[A-Za-z_]\w*")


@functools.lru_cache(maxsize=4096)  # every finding names its path three times; records share a few paths
def to_json_path(parts: tuple[PathPart, ...]) -> str:
    """Canonical JSONPath built from parts (never from jsonpath-ng's ``str()``).

    >>> to_json_path(("messages", 1, "content"))
    '$.messages[1].content'
    """
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_NAME.fullmatch(part):
            out.append(f".{part}")
        else:
            out.append("['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']")
    return "".join(out)
