"""Regular expressions written in policies, run without catastrophic backtracking.

Python's ``re`` backtracks: ``(a+)+$`` takes twice as long for each ``a`` before a ``!``, so one
record can stop a run. A policy's pattern therefore runs on RE2 (the ``google-re2`` package), whose
time is linear in the text, with Python's own meaning kept:

- The pattern is always compiled by ``re`` first, so syntax errors read as before (Python's words).
- RE2 runs it unless that could change the answer: RE2's ``\\b \\w \\d \\s`` know only ASCII, and its
  ``$`` does not match before a final newline. On a text where that matters (not ASCII, or ending
  in a newline) ``re`` runs instead, when the pattern is *safe for backtracking* (no quantifier
  around another quantifier or an alternation, the shape of every exponential pattern). An unsafe
  pattern stays on RE2 even there: bounded time beats Python's exact ``\\w``.
- Features RE2 lacks (lookaround, backreferences, the ``x`` flag, ``\\Z``) run on ``re`` when the pattern
  is safe for backtracking; an unsafe one is refused when the policy loads, with its location and a
  way out. Nothing is decided by timing, so a report never depends on the machine's load.
- One difference stays: in a repeat of something that can match nothing (``(?:\\w|a*| )*``), ``re``
  ends the repeat at an empty turn and RE2 goes on, so a match on RE2 may end elsewhere. Whether a text
  matches, and where the match starts, are the same (``UserRegex.ends_as_in_python`` says which).

Speed (issue 16): RE2 runs a copy of the pattern with its groups made non-capturing (policies only
read the whole match; capturing groups keep RE2 off its fast DFA), and on ASCII text it is called
directly: offsets in the UTF-8 bytes are offsets in the text, so the wrapper's per-call work of
mapping them back is skipped (a search took 2-5x longer through it).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

try:
    from re import _compiler as sre_compile  # Python 3.11+
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover (3.10)
    import sre_compile  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

try:
    import re2
except ImportError:  # pragma: no cover (a platform without its wheels: every pattern is checked for safety)
    re2 = None

from vgptlint.cache import cached

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# ASCII characters whose class differs between the engines: Python's \s (and \S) holds \v and \x1c-\x1f, RE2's does not.
UNLIKE_IN_RE2 = re.compile("[\x0b\x1c-\x1f]")
UNANCHORED = re2._re2.RE2.Anchor.UNANCHORED if re2 is not None else None
FLAG_BITS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}
_RE2_INLINE = {"i": "i", "m": "m", "s": "s"}  # RE2 has no verbose mode
_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, getattr(sre_parse, "POSSESSIVE_REPEAT", sre_parse.MAX_REPEAT)}
_ASCII_ONLY_IN_RE2 = {sre_parse.CATEGORY_WORD, sre_parse.CATEGORY_NOT_WORD, sre_parse.CATEGORY_DIGIT,
                      sre_parse.CATEGORY_NOT_DIGIT, sre_parse.CATEGORY_SPACE, sre_parse.CATEGORY_NOT_SPACE,
                      sre_parse.AT_BOUNDARY, sre_parse.AT_NON_BOUNDARY}


@lru_cache(maxsize=1)
def _shape_code() -> str:
    """The digest of this module's source: a kept shape (vgptlint.cache) was made by this code, or
    it is not read (an edited checkout keeps vgptlint's version number)."""
    return hashlib.blake2b(Path(__file__).read_bytes(), digest_size=10).hexdigest()


@dataclass(frozen=True, slots=True)
class Shape:
    """What the parsed pattern holds, as far as choosing an engine goes."""

    has_nested_repeat: bool = False  # a quantifier around a quantifier or an alternation
    has_ascii_only_classes: bool = False  # \b \w \d \s and their negations
    has_end_anchor: bool = False  # $ (not multiline): RE2's does not match before a final newline
    # a repeat of something that can match nothing ((?:a|b*)*): Python's engine ends the repeat at an
    # empty turn, RE2 goes on to a later alternative, so the match may end elsewhere on RE2 (whether
    # there is a match, and where it starts, never differ)
    has_nullable_repeat: bool = False


class WholeMatch:
    """What RE2's direct call gives: the whole match (``group()``, ``start()``, ``end()``, ``span()``
    as on ``re.Match`` for group 0), all a policy's pattern reports."""

    __slots__ = ("string", "_start", "_end")

    def __init__(self, string: str, start: int, end: int) -> None:
        self.string, self._start, self._end = string, start, end

    def group(self, index: int = 0) -> str:
        if index != 0:
            raise IndexError("no such group (policy patterns report the whole match)")
        return self.string[self._start:self._end]

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end

    def span(self) -> tuple[int, int]:
        return self._start, self._end


class UserRegex:
    """A compiled policy pattern: ``search(text)`` as ``re.Pattern.search`` (for the whole match), on
    the engine that is bounded for this pattern and keeps Python's meaning for this text."""

    __slots__ = ("source", "bits", "python", "bounded", "program", "prefilter", "is_safe", "unicode_sensitive",
                 "newline_sensitive", "ends_as_in_python")

    def __init__(self, source: str, bits: int, bounded: object, shape: Shape, prefilter: object = None) -> None:
        self.source, self.bits = source, bits  # self.python, Python's program, is compiled when first used
        self.bounded = bounded  # the RE2 program, or None when RE2 cannot run the pattern
        self.program = getattr(bounded, "_regexp", None)  # RE2 itself, called without the wrapper
        # For a pattern on Python's engine: RE2 without its lookarounds, which matches wherever the
        # pattern does; where it finds nothing, Python's engine need not run (most texts, 5-10x faster).
        self.prefilter = getattr(prefilter, "_regexp", None)
        self.is_safe = not shape.has_nested_repeat
        self.unicode_sensitive = shape.has_ascii_only_classes
        self.newline_sensitive = shape.has_end_anchor
        # whether a match on RE2 ends where Python's would (see Shape.has_nullable_repeat)
        self.ends_as_in_python = bounded is None or not shape.has_nullable_repeat

    def __getattr__(self, name: str) -> re.Pattern[str]:
        """``python`` on first use: known to compile (:func:`python_shape`), and most runs never use it."""
        if name != "python":
            raise AttributeError(name)
        self.python = re.compile(self.source, self.bits)
        return self.python

    @property
    def engine(self) -> str:
        return "re" if self.bounded is None else "re2"

    def search(self, text: str):
        if self.bounded is None:
            if (self.prefilter is not None and text.isascii() and not text.endswith("\n")
                    and UNLIKE_IN_RE2.search(text) is None
                    and self.prefilter.Match(UNANCHORED, text.encode(), 0, len(text))[0][0] < 0):
                return None
            return self.python.search(text)
        if self.is_safe and self.newline_sensitive and text.endswith("\n"):
            return self.python.search(text)
        if text.isascii() and self.program is not None:
            start, end = self.program.Match(UNANCHORED, text.encode(), 0, len(text))[0]
            return None if start < 0 else WholeMatch(text, start, end)
        if self.is_safe and self.unicode_sensitive and not text.isascii():
            return self.python.search(text)
        try:
            return self.bounded.search(text)
        except UnicodeEncodeError:  # a lone surrogate (JSON's "\ud800"), which RE2's UTF-8 cannot hold
            return self.bounded.search(_LONE_SURROGATE.sub("\ufffd", text))  # one for one: offsets stay


def compile_user_regex(source: str, flags: str = "") -> UserRegex:
    """Compile a policy's pattern.

    Raises:
        ValueError: an unknown flag, invalid syntax (Python's message), or a pattern that needs
            Python's engine and could backtrack exponentially there.

    >>> compile_user_regex(r"(a+)+$").search("a" * 40 + "!") is None
    True
    >>> compile_user_regex(r"\\bmodule\\b(?! owns)", "i").engine
    're'
    """
    bits = 0
    for letter in flags:
        if letter not in FLAG_BITS:
            raise ValueError(f'unknown regex flag "{letter}"; known: i, m, s, x')
        bits |= FLAG_BITS[letter]
    bits = int(bits)  # as re.compile passes them on: the parser and compiler test flags often, and a flag enum's & is slow
    # A pattern Python's engine compiled once compiles again with this Python (the key holds its
    # version): what is kept is the verdict and the shape, so a policy loaded again is checked
    # without parsing its patterns (~0.3 ms each). Errors are never kept.
    shape = cached("regex-shape", f"{bits}:{source}".encode("utf-8", "surrogatepass"), lambda: python_shape(source, bits),
                   _shape_code())
    bounded = compile_re2(without_captures(source), flags) or compile_re2(source, flags)
    if bounded is None and shape.has_nested_repeat:
        raise ValueError(
            f'regex "{source}" needs Python\'s engine (lookaround, a backreference, \\Z or the x flag) and nests '
            "a quantifier inside another, which can take exponential time on one record; rewrite it without "
            "one of the two (e.g. (a+)+ is a+)")
    prefilter = compile_re2(without_captures(source, drop_lookaround=True), flags) if bounded is None else None
    return UserRegex(source, bits, bounded, shape, prefilter)


def python_shape(source: str, bits: int) -> Shape:
    """The :class:`Shape` of a pattern Python's engine compiles.

    Raises:
        ValueError: invalid syntax, or a pattern the compiler refuses (Python's message), or one
            nested too deep.
    """
    try:
        parsed = sre_parse.parse(source, bits)
        shape = shape_of(parsed, bool(bits & re.MULTILINE))
        sre_compile.compile(parsed, bits)  # what only the compiler finds (a look-behind of varying width)
    except re.error as exc:
        raise ValueError(f'invalid regex "{source}": {exc}') from None
    except RecursionError:
        raise ValueError(f'regex "{source}" nests too deep') from None
    return shape


def compile_re2(source: str, flags: str = ""):
    """``source`` compiled by RE2 with ``flags`` inline, or None (no RE2 here, the x flag, or a
    pattern RE2 cannot run)."""
    if re2 is None or "x" in flags:
        return None
    inline = "".join(_RE2_INLINE[letter] for letter in sorted(set(flags)))
    options = re2.Options()
    options.log_errors = False  # its own logging would print to stderr; the fallback is ours to explain
    try:
        return re2.compile(f"(?{inline}){source}" if inline else source, options)
    except re2.error:
        return None


def without_captures(source: str, drop_lookaround: bool = False) -> str:
    """``source`` with every capturing group made non-capturing (``(a|b)`` and ``(?P<n>a)`` become
    ``(?:a|b)`` and ``(?:a)``): the same language and the same whole match, which is all a policy's
    pattern reports. Escapes and character classes are copied as they are. ``drop_lookaround``
    also leaves out every lookahead and lookbehind: a pattern that matches wherever the original does.

    >>> without_captures(r"\\b(fix|my\\s+(?P<w>sql))[(]\\(x\\)(?i:y)")
    '\\\\b(?:fix|my\\\\s+(?:sql))[(]\\\\(x\\\\)(?i:y)'
    >>> without_captures(r"\\bmodule\\b(?! owns (a|[)]))|(?<=x)y", drop_lookaround=True)
    '\\\\bmodule\\\\b|y'
    """
    out: list[str] = []
    position, size = 0, len(source)
    while position < size:
        token, after = _token(source, position)
        if token == "(" and drop_lookaround and source.startswith(_LOOKAROUNDS, after):
            token, after = "", _group_end(source, after)
        elif token == "(" and source.startswith("?P<", after):
            name_end = source.find(">", after)
            token, after = "(?:", (name_end + 1 if name_end >= 0 else size)
        elif token == "(" and not source.startswith("?", after):
            token = "(?:"
        out.append(token)
        position = after
    return "".join(out)


_LOOKAROUNDS = ("?=", "?!", "?<=", "?<!")


def _token(source: str, position: int) -> tuple[str, int]:
    """The token at ``position`` (an escape, a whole character class, or one character) and where the next starts."""
    char = source[position]
    if char == "\\":
        return source[position:position + 2], position + 2
    if char != "[":
        return char, position + 1
    end = position + 1
    end += source.startswith("^", end)
    end += source.startswith("]", end)  # a "]" first in a class is a literal
    while end < len(source) and source[end] != "]":
        end += 2 if source[end] == "\\" else 1
    return source[position:end + 1], end + 1


def _group_end(source: str, position: int) -> int:
    """Just past the ")" that closes the group whose body starts at ``position``."""
    depth = 1
    while position < len(source) and depth:
        token, position = _token(source, position)
        depth += (token == "(") - (token == ")")
    return position


def shape_of(parsed, multiline: bool) -> Shape:
    """Walk a parsed pattern (iteratively) for what decides its engine."""
    nested = ascii_only = end_anchor = nullable_repeat = False
    pending = [(list(parsed), False)]  # (items, inside a quantifier that repeats)
    while pending:
        items, repeated = pending.pop()
        for op, argument in items:
            if op in _REPEATS:
                low, high, body = argument
                repeats = high is sre_parse.MAXREPEAT or high > 1
                if repeats and repeated:
                    nested = True
                if repeats and not nullable_repeat:
                    nullable_repeat = _can_match_nothing(list(body))
                pending.append((list(body), repeated or repeats))
                continue
            if op is sre_parse.BRANCH:
                nested = nested or repeated
                pending.extend((list(branch), repeated) for branch in argument[1])
            elif op is sre_parse.SUBPATTERN:
                pending.append((list(argument[-1]), repeated))
            elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT):
                pending.append((list(argument[1]), repeated))
            elif op is sre_parse.GROUPREF_EXISTS:
                pending.extend((list(branch), repeated) for branch in argument[1:] if branch is not None)
            elif op is getattr(sre_parse, "ATOMIC_GROUP", None):
                pending.append((list(argument), repeated))
            elif op is sre_parse.IN:
                ascii_only = ascii_only or any(kind is sre_parse.CATEGORY and value in _ASCII_ONLY_IN_RE2
                                               for kind, value in argument)
            elif op is sre_parse.AT:
                ascii_only = ascii_only or argument in _ASCII_ONLY_IN_RE2
                end_anchor = end_anchor or (argument is sre_parse.AT_END and not multiline)
    return Shape(nested, ascii_only, end_anchor, nullable_repeat)


# What always consumes a character; anything else (anchors, lookarounds, backreferences, ...) is taken
# as able to match nothing, which only ever marks a pattern's match ends as inexact.
_CONSUMES = {sre_parse.LITERAL, sre_parse.NOT_LITERAL, sre_parse.ANY, sre_parse.IN, sre_parse.CATEGORY}


def _can_match_nothing(items: list) -> bool:
    """Whether a parsed sequence can match the empty string: when each of its items can (a branch
    can when one of its branches can).

    >>> [_can_match_nothing(list(sre_parse.parse(p))) for p in ("a", "a*", "(?:a|)", "(?:a|b*)c", "(a?)")]
    [False, True, True, False, True]
    """
    return _sequence_empty(items, depth=0)


def _sequence_empty(items: list, depth: int) -> bool:
    if depth > _MAX_NULLABLE_DEPTH:  # nested deeper than any real pattern: say it can (ends marked inexact)
        return True
    for op, argument in items:
        if op in _CONSUMES:
            return False
        if op in _REPEATS:
            low, _, body = argument
            if low > 0 and not _sequence_empty(list(body), depth + 1):
                return False
        elif op is sre_parse.SUBPATTERN:
            if not _sequence_empty(list(argument[-1]), depth + 1):
                return False
        elif op is sre_parse.BRANCH:
            if not any(_sequence_empty(list(branch), depth + 1) for branch in argument[1]):
                return False
        elif op is getattr(sre_parse, "ATOMIC_GROUP", None):
            if not _sequence_empty(list(argument), depth + 1):
                return False
    return True


_MAX_NULLABLE_DEPTH = 100
