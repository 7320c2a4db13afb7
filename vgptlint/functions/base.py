"""The function registry: small pure checks that YAML rules name in ``then``.

A function receives the value a rule's ``given`` selected, its validated options and a read-only
:class:`Context`, and yields :class:`Hit` objects. It never reads files, knows its severity, or
prints: the engine turns hits into findings.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from vgptlint.model import Severity, Span

if TYPE_CHECKING:
    from vgptlint.policy.model import Check


@dataclass(frozen=True, slots=True)
class Hit:
    """One problem a function found in the value it was given.

    Args:
        message: the function's own sentence ("is 4 characters long; the minimum is 50").
        span: characters inside the (string) value the problem is about, when known.
        path: extra JSON path parts below the selected value (keys and indexes), e.g. ("label",).
        data: values a rule's ``message`` template may use as ``{placeholders}`` (never read by fixers).
        site: what a fixer needs to fix this hit, typed (:mod:`vgptlint.functions.sites`), when the
            function knows it (the rule's ``fix:`` names the fixer).
        severity: overrides the rule's severity for this hit (e.g. an optional join key).

    A pure function's hits are handed out again for an equal value (:class:`HitMemo`): whatever
    reads a hit, its ``data`` included, leaves it as it is.
    """

    message: str
    span: Span | None = None
    path: tuple[str | int, ...] = ()
    data: Mapping[str, object] = field(default_factory=dict)
    site: object | None = None
    severity: Severity | None = None


# What the memo may hold, counted in characters of the values it keeps plus a flat cost for the
# objects around them (measured with tracemalloc: the memo then takes 1 to 2 MB at most).
# The bench data's repeated answers come back a median of 536 records later (p90: 5,103), its SQL
# ones 39 (p90: 160): this budget finds 17,319 of the 21,491 repeats, and all 375 of SQL.
HIT_MEMO_CHARS = 2_000_000
_VALUE_COST = 200  # the value's string header, its dict slot and its list of answers
_ANSWER_COST = 16  # one check's answer in that list
_HIT_COST = 400  # a Hit with its message, span and data
_NOT_ASKED = None  # an entry's slot for a check not yet called on its value


class HitMemo:
    """One file's hits of pure functions by (check, value), for string values, oldest values out first.

    Datasets repeat field values (an owner's 892 SFT records hold 248 distinct outputs; the bench
    data's 59,021 hold 37,530), and a record rule calls its function on every record (issue 16). A
    function declared ``is_pure`` (see :func:`function`) gives equal values equal hits under one
    file's context: its hits are worked out once per distinct value and kept here, within
    ``HIT_MEMO_CHARS``, so memory does not grow with a file of distinct values.

    A check is known by identity: the memo lives with one file's context, and keeps every check it
    has seen alive, so no other check can take its ``id``. Hits are tuples of frozen ``Hit``s, handed
    out again as they are: the findings made from them never change them.
    """

    __slots__ = ("_entries", "_slots", "_checks", "_chars", "max_chars")

    def __init__(self, max_chars: int | None = None) -> None:
        # value -> hits by check slot, oldest first. An OrderedDict: a plain dict's oldest key, after many
        # were popped from the front, is found by scanning past their empty slots (11 µs an eviction
        # at 8,000 entries; the bench data's sft file evicts 31,243 times).
        self._entries: OrderedDict[str, list[tuple[Hit, ...] | None]] = OrderedDict()
        self._slots: dict[int, int] = {}  # id(check) -> its slot in every entry
        self._checks: list[object] = []
        self._chars = 0
        self.max_chars = HIT_MEMO_CHARS if max_chars is None else max_chars

    def __reduce__(self) -> tuple:
        # A copy or another process starts empty: slots are keyed by the ids of this process's checks.
        return HitMemo, (self.max_chars,)

    def hits(self, check: Check, value: str, ctx: Context) -> tuple[Hit, ...]:
        """The hits ``check`` gives ``value`` under ``ctx`` (this memo's context): kept ones, else
        its function's, then kept."""
        slot = self._slots.get(id(check))
        if slot is None:
            slot = self._slots[id(check)] = len(self._checks)
            self._checks.append(check)
        entry = self._entries.get(value)
        if entry is not None and slot < len(entry):
            found = entry[slot]
            if found is not None:
                return found
        found = tuple(check.function.check(value, check.options, ctx))
        self._keep(value, entry, slot, found)
        return found

    @property
    def chars(self) -> int:
        """What the memo holds, in the units of ``max_chars``."""
        return self._chars

    def __len__(self) -> int:
        return len(self._entries)

    def _keep(self, value: str, entry: list | None, slot: int, found: tuple) -> None:
        if entry is None:
            entry = self._entries[value] = []
            self._chars += len(value) + _VALUE_COST
        if slot >= len(entry):
            entry.extend([_NOT_ASKED] * (slot + 1 - len(entry)))
        entry[slot] = found
        self._chars += _ANSWER_COST + _HIT_COST * len(found)
        while self._chars > self.max_chars and self._entries:
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        value, entry = self._entries.popitem(last=False)
        self._chars -= _cost(value, entry)


def _cost(value: str, entry: list) -> int:
    answers = [found for found in entry if found is not _NOT_ASKED]
    return len(value) + _VALUE_COST + _ANSWER_COST * len(answers) + _HIT_COST * sum(map(len, answers))


@dataclass
class Context:
    """What a function may know besides its value; functions only read it.

    The run stage makes one Context per file (``vgptlint.run.setup.RunSetup.file_context``) and points
    ``record``/``record_index`` at each record in turn rather than copying it per record; every
    other field is fixed for the file. ``services`` holds run-wide shared objects (the SQL parse
    cache, the catalog) keyed by name, so functions stay pure while still sharing expensive work.
    """

    record: object
    kind: str
    path: str = ""
    record_index: int = 0
    dialect: str = "tsql"
    services: dict[str, object] = field(default_factory=dict)
    spec: object = None  # the file's LLaMA-Factory DatasetSpec (or a rule example's ``spec:`` mapping)
    format: str = "alpaca"  # LLaMA-Factory formatting: alpaca, sharegpt, openai
    trainer: str | None = None  # the policy's trainer, "llamafactory" when a dataset_info.json is loaded
    is_rewritable: bool = True  # False for inputs vgptlint fix never rewrites (Parquet): no fix is offered
    seed: int | None = None  # --seed, for shuffling fixes
    verify_fixes: bool = True  # False in a report-only run: a proposed fix is verified when it is applied
    working_directory: str = "."  # the caller's directory: relative paths in rule options mean it
    # The policy's own settings (``settings:`` tool settings such as ``refusal``, the compiled ``facets``).
    policy_settings: Mapping[str, object] = field(default_factory=dict)
    # The engine's memo of pure functions' hits on this file's values: a context made by
    # ``dataclasses.replace`` (another spec, another record) starts its own.
    hit_memo: HitMemo = field(default_factory=HitMemo, init=False, repr=False, compare=False)


CheckFn = Callable[[object, object, Context], Iterator[Hit]]


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    options: type
    accepts: tuple[type, ...] | None
    check: CheckFn
    doc: str
    needs: frozenset[str] = frozenset()
    only_if: Callable[[object], bool] | None = None
    applies: Callable[[Context], bool] | None = None
    is_pure: bool = False


REGISTRY: dict[str, Function] = {}


def function(
    name: str,
    *,
    options: type,
    accepts: tuple[type, ...] | None = None,
    needs: tuple[str, ...] = (),
    only_if: Callable[[object], bool] | None = None,
    applies: Callable[[Context], bool] | None = None,
    is_pure: bool = False,
) -> Callable[[CheckFn], CheckFn]:
    """Register a check under ``name``. ``accepts`` limits the value types it is called with;
    other types are skipped silently (a ``type`` rule is the place to complain about types).
    ``only_if`` is a cheap predicate of the value (e.g. "contains SQL") that must hold for the check
    to have anything to say; the engine evaluates it once per value and record for all the rules
    that share it, so a dozen SQL rules cost one lookup on a prose answer. ``applies`` is the same
    for a whole file: a predicate of the file's context (its dataset spec, kind, format), False only
    when the check has nothing to say on any record of that file (a sharegpt check on an alpaca
    file); the engine asks it once per file and leaves out the rules it rules out. ``is_pure``: the
    hits depend only on the value, the options and what the context fixes for a whole file (never
    ``ctx.record`` or ``ctx.record_index``, no state, no randomness); the engine then computes them
    once per distinct string value of a file (:class:`HitMemo`). Leave it
    False unless that was checked: a function that reads the record would be given another
    record's hits."""

    def register(check: CheckFn) -> CheckFn:
        if name in REGISTRY and REGISTRY[name].check is not check:
            raise ValueError(f"function {name!r} is registered twice")
        doc = (check.__doc__ or "").strip()
        REGISTRY[name] = Function(name, options, accepts, check, doc, frozenset(needs), only_if, applies, is_pure)
        return check

    return register


@dataclass(frozen=True, slots=True)
class NoOptions:
    """This function takes no options."""


# ---------------------------------------------------------------------------- option building


class OptionError(Exception):
    """An option value that does not fit; ``key`` says which option (None: the whole mapping)."""

    def __init__(self, message: str, key: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.key = key
        self.hint = hint


def did_you_mean(word: str, choices: typing.Iterable[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f'did you mean "{close[0]}"?' if close else None


def build_options(cls: type, raw: Mapping[str, object] | None) -> object:
    """Build and validate an options dataclass from a YAML mapping.

    Raises:
        OptionError: unknown key, wrong type, or the class's own ``validate()`` complaint.
    """
    raw = dict(raw or {})
    hints, known = _option_fields(cls)
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key not in known:
            names = ", ".join(sorted(known)) or "none"
            raise OptionError(f'unknown option "{key}"; known: {names}', key, did_you_mean(key, known))
        values[key] = _coerce(value, hints[key], key, known[key].metadata.get("choices"))
    try:
        opts = cls(**values)
    except TypeError as exc:  # a required option is missing
        raise OptionError(str(exc).replace("__init__() ", "")) from None
    check = getattr(opts, "validate", None)
    problem = check() if check else None
    if problem:
        raise OptionError(problem)
    return opts


@cache
def _option_fields(cls: type) -> tuple[dict[str, object], dict[str, dataclasses.Field]]:
    """An options class's type hints and its fields set by ``__init__``, worked out once per class (a
    policy builds the same options dozens of times, and get_type_hints evaluates every annotation)."""
    return typing.get_type_hints(cls), {f.name: f for f in dataclasses.fields(cls) if f.init}


def _coerce(value: object, hint: object, key: str, choices: object = None) -> object:
    if choices and value not in choices:
        allowed = ", ".join(str(c) for c in choices)
        raise OptionError(
            f'option "{key}" must be one of {allowed}; got "{value}"', key, did_you_mean(str(value), map(str, choices))
        )
    if _accepts(value, hint):
        if isinstance(value, list):
            return tuple(value)
        return value
    raise OptionError(f'option "{key}" must be {describe_type(hint)}; got {describe_value(value)}', key)


def _accepts(value: object, hint: object) -> bool:
    origin = typing.get_origin(hint)
    if hint is typing.Any or hint is object:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_accepts(value, arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is type(None):
        return value is None
    if origin in (tuple, list) or hint in (tuple, list):  # a bare ``tuple`` takes a YAML list too
        args = typing.get_args(hint)
        item = args[0] if args else object
        return isinstance(value, (list, tuple)) and all(_accepts(v, item) for v in value)
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return isinstance(value, Mapping)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


def option_default(option: dataclasses.Field) -> object:
    """An options field's default value (its factory called), or ``dataclasses.MISSING`` if it is required."""
    if option.default is not dataclasses.MISSING:
        return option.default
    if option.default_factory is not dataclasses.MISSING:
        return option.default_factory()
    return dataclasses.MISSING


def describe_type(hint: object) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe_type(a) for a in typing.get_args(hint) if a is not type(None))
    if origin is typing.Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(hint))
    if origin in (tuple, list):
        args = typing.get_args(hint)
        if not args:
            return "a list"
        article, _, noun = describe_type(args[0]).partition(" ")
        if article in ("a", "an") and noun and " " not in noun:
            return f"a list of {noun}s"
        return f"a list, each item {describe_type(args[0])}"
    names = {int: "an integer", float: "a number", str: "a string", bool: "a boolean", dict: "a mapping", list: "a list",
             tuple: "a list", Mapping: "a mapping"}
    return names.get(hint) or names.get(origin) or getattr(hint, "__name__", str(hint))


def describe_value(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return str(value)


class _Missing:
    """The value of a ``then.field`` that the record does not have."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING = _Missing()


def describe_json_type(value: object) -> str:
    """JSON's name for a Python value's type."""
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
