"""Reading YAML with positions: every error we report points at the node the user wrote."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml import __version__ as ruamel_version
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode
from ruamel.yaml.resolver import VersionedResolver

try:  # ruamel.yaml.clib: libyaml's reader, ~6x faster than ruamel's own (see _read_with_libyaml)
    from ruamel.yaml.cyaml import CParser
except ImportError:  # not built for this Python: ruamel's reader does it all
    CParser = None

from vgptlint.cache import cached
from vgptlint.errors import PolicyError, Problem


def load_yaml(path: Path, display: str) -> object:
    """Round-trip load (keeps line/column on every mapping and sequence); cached by content."""
    try:
        content = path.read_bytes()
        text = content.decode("utf-8-sig")
    except FileNotFoundError:
        raise PolicyError([Problem(display, 1, 1, "file-not-found", f'"{display}" does not exist')]) from None
    except UnicodeDecodeError as exc:
        raise PolicyError([Problem(display, 1, 1, "invalid-utf8", f"not valid UTF-8: {exc.reason}")]) from None
    except OSError as exc:
        raise PolicyError([Problem(display, 1, 1, "unreadable", exc.strerror or str(exc))]) from None
    return cached_document(content, lambda: _parse(text, display), display)


def cached_document(content: bytes, parse: Callable[[], object], display: str) -> object:
    """``parse()``'s document, checked by :func:`bounded`, from the cache when these bytes were read before.

    The check is made before the document is stored, not after every load: its verdict depends on the
    bytes alone, and walking the shipped packs again was ~15 ms of every run's start-up.
    """
    return cached("yaml-bounded", content, lambda: bounded(parse(), display), ruamel_version)


# Aliases share one node however often they are used; walking the document (every check here does)
# visits it once per use. These bounds keep a small file from standing for an endless one (the
# "billion laughs": nine aliases of nine aliases of ...) and its walk from recursing past Python's limit.
MAX_ALIAS_EXPANSION = 100_000  # values that aliases add beyond what the file itself writes
MAX_YAML_NESTING = 100
_CHARS_PER_VALUE = 100  # a long string counts as several values: aliasing it copies it


def bounded(document: object, display: str) -> object:
    """``document`` when its aliases expand to a bounded size, without cycles or deep nesting.

    Linear in the document's distinct nodes (each shared node is sized once).

    Raises:
        PolicyError: located at the mapping or sequence where the bound is passed.
    """
    expanded: dict[int, int] = {}  # id(node) -> values it stands for, aliases expanded
    written = 0  # values the file writes: each distinct node once
    ancestors: set[int] = set()
    first_too_big = None
    pending: list[tuple[object, int, bool]] = [(document, 1, False)]
    while pending:
        node, depth, is_sized = pending.pop()
        children = _children(node)
        if is_sized:
            ancestors.discard(id(node))
            total = 1 + sum(expanded[id(c)] if _is_container(c) else _scalar_size(c) for c in children)
            expanded[id(node)] = total
            if first_too_big is None and total > MAX_ALIAS_EXPANSION:
                first_too_big = node
            continue
        if id(node) in expanded:
            continue
        if depth > MAX_YAML_NESTING:
            raise _problem(display, node, "too-deep", f"nests more than {MAX_YAML_NESTING} levels deep")
        ancestors.add(id(node))
        written += 1 + sum(_scalar_size(c) for c in children if not _is_container(c))
        pending.append((node, depth, True))
        for position, child in enumerate(children):
            if not _is_container(child):
                continue
            if id(child) in ancestors:
                raise _problem(display, _child_position(node, position), "alias-cycle",
                               "this alias refers to a node that contains it (an endless value)")
            pending.append((child, depth + 1, False))
    if _is_container(document) and expanded[id(document)] - written > MAX_ALIAS_EXPANSION:
        raise _problem(display, first_too_big, "alias-expansion",
                       f"aliases here expand to over {MAX_ALIAS_EXPANSION:,} values (an alias bomb?); "
                       "write the values out, or alias less")
    return document


def _is_container(node: object) -> bool:
    return isinstance(node, (dict, list))


def _children(node: object) -> list:
    if isinstance(node, dict):
        return list(node.values())
    return list(node) if isinstance(node, list) else []


def _scalar_size(value: object) -> int:
    return 1 + len(value) // _CHARS_PER_VALUE if isinstance(value, str) else 1


def _child_position(node: object, position: int) -> tuple[int, int]:
    key = list(node)[position] if isinstance(node, dict) else position
    return value_position(node, key)


def _problem(display: str, where: object, code: str, message: str) -> PolicyError:
    line, col = where if isinstance(where, tuple) else node_position(where)
    return PolicyError([Problem(display, line, col, code, message)])


def read_round_trip(text: str) -> object:
    """The document ruamel's round-trip reader makes of ``text`` (a line and column on every mapping
    and sequence), read by libyaml where the two read alike (about 6x faster); raises ruamel's errors
    (YAMLError, RecursionError past Python's depth, TypeError for a key that is a mapping)."""
    if CParser is not None and _libyaml_reads_alike(text):
        try:
            return _read_with_libyaml(text)
        except Exception:  # read apart or rejected: ruamel's reader reads it (and words and places any error)
            pass
    try:
        return YAML(typ="rt").load(text)
    except AssertionError:  # ruamel checks its comment bookkeeping with asserts, which odd text can fail
        raise YAMLError("ruamel.yaml could not read it (an internal check of its reader failed)") from None


def _parse(text: str, display: str) -> object:
    try:
        return read_round_trip(text)
    except RecursionError:  # ruamel's composer recurses once per level
        raise PolicyError([Problem(display, 1, 1, "too-deep", f"nests too deep to read; at most {MAX_YAML_NESTING} levels")]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        raise PolicyError([Problem(display, line, col, "invalid-yaml", message or "invalid YAML")]) from None
    except YAMLError as exc:
        raise PolicyError([Problem(display, 1, 1, "invalid-yaml", str(exc).splitlines()[0])]) from None
    except TypeError:  # ruamel's constructor cannot hash a key that is a mapping ("? {a: 1}\n: b")
        raise PolicyError([Problem(display, 1, 1, "invalid-yaml",
                                   "a key is a mapping; keys of a policy are plain values")]) from None


def key_position(node: object, key: object) -> tuple[int, int]:
    """1-based position of ``key`` in a mapping (or item ``key`` of a sequence)."""
    return _position(node, key, "key")


def value_position(node: object, key: object) -> tuple[int, int]:
    """1-based position of the value under ``key`` in a mapping (or item ``key`` of a sequence)."""
    return _position(node, key, "value")


def _position(node: object, key: object, part: str) -> tuple[int, int]:
    try:
        if isinstance(node, CommentedMap):
            line, col = node.lc.key(key) if part == "key" else node.lc.value(key)
            return line + 1, col + 1
        if isinstance(node, CommentedSeq):
            line, col = node.lc.item(key)
            return line + 1, col + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        pass
    return node_position(node)


def node_position(node: object) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    if lc is not None and lc.line is not None:
        return lc.line + 1, lc.col + 1
    return 1, 1


def plain(node: object) -> object:
    """ruamel's commented containers → plain dicts/lists (keeps scalars as they are)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if hasattr(node, "__float__") and type(node).__name__ == "ScalarFloat":
        return float(node)
    if type(node).__name__ in ("ScalarBoolean",):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return node
    if isinstance(node, int):
        return int(node)
    return node


# Reading the shipped packs with ruamel's pure-Python reader was most of a first run's start-up
# (0.5 s for 108 KB). libyaml reads the text into nodes with their positions; ruamel's round-trip
# constructor and YAML 1.2 resolver then build exactly the documents ruamel's reader builds (the
# same types, values and positions: tests/policy/test_yamlio_libyaml.py). Where the two readers are
# known to differ, ruamel's alone reads the text (found by fuzzing both): a %YAML directive (libyaml
# reads 1.1 booleans), tags and anchors (ruamel keeps them on values), tabs, YAML 1.1 line breaks
# (NEL, LS, PS), a lone CR or a BOM past the start, an empty value (placed elsewhere), a lone scalar
# (block scalars at column 0), a block scalar's header with "#" right after it ("|#": libyaml reads a
# comment, ruamel rejects it), and anything either rejects (ruamel's messages are the ones reported).
# libyaml's reader recurses once per nesting level in C, so text that could nest deeper than
# LIBYAML_MAX_NESTING levels is left to ruamel's, which stops at Python's recursion limit.
LIBYAML_MAX_NESTING = 2_000
_READ_APART = re.compile(r"(?:^|[\s\[{,])[!&]|^%|[\t\x85\u2028\u2029\ufeff]|\r(?!\n)|[|>][-+0-9]*#", re.MULTILINE)


class _ReadApart(Exception):
    """The text holds what the two readers read apart: ruamel's reads it."""


if CParser is not None:
    class _LibyamlLoader(CParser, RoundTripConstructor, VersionedResolver):
        comment_handling = None  # (what ruamel's constructor asks its loader)

        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            RoundTripConstructor.__init__(self, loader=self)
            VersionedResolver.__init__(self, version=None, loader=self)
            self._composer = self  # the constructor asks its loader's composer for nodes: libyaml's


def _libyaml_reads_alike(text: str) -> bool:
    """Whether the text holds nothing the two readers are known to read apart, and cannot nest
    deeper than LIBYAML_MAX_NESTING (block levels need two columns each, flow levels a bracket)."""
    if _READ_APART.search(text):
        return False
    widest = max(map(len, text.splitlines()), default=0)
    return 2 * widest + text.count("[") + text.count("{") <= LIBYAML_MAX_NESTING


def _read_with_libyaml(text: str) -> object:
    loader = _LibyamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if isinstance(node, ScalarNode):  # a lone scalar (never a policy): its block forms are read apart
            raise _ReadApart
        _as_ruamel_composes(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _as_ruamel_composes(root: object) -> None:
    """Plain scalars' style as ruamel's reader gives it (None, not libyaml's ""), each shared node
    seen once; raises _ReadApart at an empty plain scalar (``key:`` with nothing after it)."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ScalarNode):
            if not node.style:
                if node.value == "":
                    raise _ReadApart
                node.style = None
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                pending += (key, value)
        else:
            pending += node.value
