"""What a loaded policy is: compiled rules plus run settings. Built once, before any record is read."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vgptlint.fixes.base import FixSpec
from vgptlint.functions.base import Function, describe_value
from vgptlint.model import Applicability, Severity
from vgptlint.select.jsonpath import Selector

@dataclass(frozen=True, slots=True)
class ValueType:
    """How a policy key's value must be written: checked by the loader where the value is written
    (file:line:col), and described by the same words in its message."""

    description: str  # "a string or a list of strings"
    accepts: Callable[[object], bool]


def _is_text(value: object) -> bool:
    return isinstance(value, str)


def _is_texts(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _is_mapping(value: object) -> bool:
    return isinstance(value, dict)


STRING = ValueType("a string", _is_text)
OPTIONAL_STRING = ValueType("a string (or null)", lambda v: v is None or _is_text(v))
STRINGS = ValueType("a string or a list of strings", _is_texts)
MAPPING = ValueType("a mapping", _is_mapping)
MAPPINGS = ValueType("a mapping or a list of mappings",
                     lambda v: _is_mapping(v) or (isinstance(v, list) and all(_is_mapping(e) for e in v)))

def type_problem(key: str, expected: ValueType, value: object) -> str | None:
    """The message when ``value`` is not of the ``expected`` type, else None.

    >>> type_problem("ignore", MAPPINGS, "all")
    '"ignore" must be a mapping or a list of mappings; got "all"'
    """
    if expected.accepts(value):
        return None
    return f'"{key}" must be {expected.description}; got {describe_value(value)}'


# Every document key's type (policy and rule pack files); ``then``, ``where`` and the like have their
# own, finer checks in the loader. The policy JSON Schema describes the same keys.
DOCUMENT_TYPES: dict[str, ValueType] = {
    "pack": STRING, "description": STRING, "extends": STRINGS, "rules": MAPPING, "fail-on": STRING,
    "dialect": STRING, "catalog": STRINGS, "dataset_info": OPTIONAL_STRING, "datasets": MAPPING,
    "overrides": MAPPINGS, "functions": STRINGS, "trainer": OPTIONAL_STRING, "facets": MAPPING,
    "settings": MAPPING, "example_catalog": STRING, "baseline": STRING, "train_config": OPTIONAL_STRING,
    "ignore": MAPPINGS,
}
RULE_TYPES: dict[str, ValueType] = {
    "description": STRING, "severity": STRING, "kind": STRING, "given": STRINGS, "message": STRING,
    "rationale": STRING, "help_uri": STRING, "aliases": STRINGS, "requires": STRINGS, "options": MAPPING,
}
OVERRIDE_TYPES: dict[str, ValueType] = {"files": STRINGS, "rules": MAPPING}


RULE_KINDS = ("record", "pair", "aggregate")
DATASET_FORMATS = ("alpaca", "sharegpt", "openai")
DATASET_KINDS = ("sft", "dpo", "kto", "eval")  # eval: a held-out validation/test suite, not training data


@dataclass(frozen=True, slots=True)
class Check:
    """One ``then`` entry: a function with validated options, optionally on a sub-field."""

    function: Function
    options: object
    field: tuple[str | int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a rule was defined, for errors and `vgptlint rules`."""

    source: str
    line: int
    column: int
    pack: str


def condition_key(condition: object) -> object:
    """A ``where`` condition as a hashable key: equal conditions of different rules share a memo entry."""
    if isinstance(condition, tuple):  # unless: (selector, forbidden values)
        return condition[0].expression, condition[1]
    return getattr(condition, "expression", condition)


LOOKUP_CONDITIONS = frozenset({"unless", "present", "absent"})  # where keys that are not facet names
_GUARD_IDS: dict[tuple, int] = {}  # guard -> its number; rules with equal guards share one
# A where condition, or a rule's whole where, -> its number: the per-record memo is then keyed by a
# small int (hashing the conditions' tuples again on every rule of every record cost 3% of the SQL rules)
_WHERE_IDS: dict[tuple, int] = {}


def _where_id(key: tuple) -> int:
    return _WHERE_IDS.setdefault(key, len(_WHERE_IDS) + 1)


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    severity: Severity
    kind: str
    description: str
    selectors: tuple[Selector, ...]
    checks: tuple[Check, ...]
    message: str | None
    where_kinds: frozenset[str] | None
    where_facets: tuple[tuple[str, frozenset[str]], ...]
    fix: FixSpec | None
    rationale: str
    help_uri: str
    origin: Origin
    requires: frozenset[str] = frozenset()
    where_formats: frozenset[str] | None = None
    examples: dict = field(default_factory=dict, compare=False, hash=False)
    aliases: tuple[str, ...] = ()
    accumulator: object = None  # an aggregates.base.Accumulator for kind=aggregate
    accumulator_options: object = None
    raw: dict = field(default_factory=dict, compare=False, hash=False)
    # Derived once here, used per record: each where condition with its memo key, split into those
    # that look a value up (unless, present, absent) and facets, which may read the whole record
    # (regexes over the instruction) and so are decided only once the rule has something to report;
    # the whole where's memo key; and a small number naming what decides whether the rule does any
    # work on a record (see evaluate.evaluate_record).
    where_lookups: tuple = field(default=(), init=False, compare=False, hash=False, repr=False)
    where_facet_values: tuple = field(default=(), init=False, compare=False, hash=False, repr=False)
    where_id: int = field(default=0, init=False, compare=False, hash=False, repr=False)
    guard_id: int = field(default=0, init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        conditions = tuple((key, condition_key(condition)) for key, condition in self.where_facets)
        guard = (conditions, tuple(s.expression for s in self.selectors),
                 tuple((c.field, c.function.accepts, c.function.only_if) for c in self.checks))
        keyed = [(_where_id(("condition", keys)), key, condition)
                 for keys, (key, condition) in zip(conditions, self.where_facets)]
        object.__setattr__(self, "where_lookups", tuple(c for c in keyed if c[1] in LOOKUP_CONDITIONS))
        object.__setattr__(self, "where_facet_values", tuple(c for c in keyed if c[1] not in LOOKUP_CONDITIONS))
        object.__setattr__(self, "where_id", _where_id(("where", conditions)))
        object.__setattr__(self, "guard_id", _GUARD_IDS.setdefault(guard, len(_GUARD_IDS) + 1))

    @property
    def is_fixable(self) -> bool:
        return self.fix is not None

    @property
    def is_enabled(self) -> bool:
        return self.severity is not Severity.OFF

    def applies_to(self, kind: str, file_format: str = "alpaca") -> bool:
        return (self.where_kinds is None or kind in self.where_kinds) and \
            (self.where_formats is None or file_format in self.where_formats)


@dataclass(frozen=True, slots=True)
class FileOverride:
    """``overrides:`` entry: rule severities/options for files matching ``globs``."""

    globs: tuple[str, ...]
    rules: dict[str, CompiledRule]


@dataclass
class Policy:
    name: str
    path: str
    rules: dict[str, CompiledRule]
    fail_on: Severity | None = Severity.ERROR
    dialect: str = "tsql"
    catalog: tuple[Path, ...] = ()
    dataset_info: Path | None = None
    train_config: Path | None = None
    datasets: tuple[tuple[str, str], ...] = ()
    overrides: tuple[FileOverride, ...] = ()
    trainer: str | None = None
    facets: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)
    base_dir: Path = Path(".")
