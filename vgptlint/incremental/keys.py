"""Fingerprints: everything that can change a verdict on a file, as one digest.

A cached result may be used only when every input that shaped it is the same. For one file these are:

- the file's display path, dataset kind and format, its ``dataset_info`` entry (findings carry the
  path; overrides and ``where`` read the others);
- each rule of the file's plan, compiled: selectors, functions and their options, ``where``
  conditions, messages, fixes, and a record rule's severity;
- the run's settings (facets, the refusal tuning, ``min_records``, the suppression field, the
  trainer, the working directory that relative paths and fingerprints are resolved against), the
  dialect, and the services rules read (the catalog, dataset_info), described by value;
- files a rule reads besides the dataset (the held-out files of ``contamination``: an accumulator's
  ``key_inputs``);
- the code: vgptlint's version, every source file of the package and of the modules that define the
  plan's functions (size and modification time), Python's version and the versions of the libraries
  whose answers rules depend on (sqlglot, jsonpath-ng, RE2, numpy).

What is **not** part of it: a dataset rule's severity and the options only its ``finalize`` reads
(its bounds, confidence, messages: the accumulator's ``judged_by``). Those are the *judgment*, keyed
separately (:func:`judgment_key`), so a changed threshold re-decides from the cached accumulator
state instead of reading the records again.

Objects are described by value (:func:`describe`), never by ``repr`` (which shows memory
addresses) or ``hash`` (salted per process): dataclasses by their compared fields, functions by
module, name and closure, sets sorted. An object it cannot describe makes the file uncacheable
(:class:`Unkeyable`): a miss, never a wrong hit.
"""
from __future__ import annotations

import dataclasses
import enum
import hashlib
import os
import re
import sys
import types
from collections.abc import Iterable
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from vgptlint import __version__
from vgptlint.aggregates.base import ACCUMULATORS
from vgptlint.fixes.base import FIXERS
from vgptlint.functions.base import REGISTRY
from vgptlint.identity_memo import IdentityMemo

# Bump when what an entry holds, or how keys are made, changes: old entries are then simply missed.
KEY_FORMAT = "results-2"
LIBRARIES = ("sqlglot", "jsonpath-ng", "google-re2", "numpy", "regex")


class Unkeyable(Exception):
    """An input that cannot be described by value: the file is linted without the cache."""


def digest_of(*pieces: object) -> str:
    """The hex digest of the pieces' descriptions."""
    hasher = hashlib.blake2b(digest_size=20)
    for piece in pieces:
        hasher.update(describe(piece).encode("utf-8", "surrogatepass"))
        hasher.update(b"\0")
    return hasher.hexdigest()


def describe(value: object) -> str:
    """A deterministic text that is equal for equal inputs in any process.

    >>> describe({"b": {2, 1}, "a": (1.5, None)}) == describe({"a": (1.5, None), "b": {1, 2}})
    True

    Raises:
        Unkeyable: the value holds an object that has no description by value.
    """
    out: list[str] = []
    _describe(value, out, set())
    return "".join(out)


_PLAIN = (str, int, float, bool, bytes, type(None))


def _describe(value: object, out: list[str], active: set[int]) -> None:
    if isinstance(value, _PLAIN):
        out.append(f"{type(value).__name__}:{value!r};")
        return
    if isinstance(value, enum.Enum):
        out.append(f"enum:{type(value).__qualname__}.{value.name};")
        return
    if isinstance(value, (type, types.BuiltinFunctionType)):
        out.append(f"ref:{getattr(value, '__module__', '')}.{value.__qualname__};")
        return
    if isinstance(value, re.Pattern):
        out.append(f"re:{value.pattern!r}:{value.flags};")
        return
    if isinstance(value, Path):
        out.append(f"path:{value.as_posix()};")
        return
    marker = id(value)
    if marker in active:  # a cycle: the enclosing description already covers it
        out.append("cycle;")
        return
    active.add(marker)
    try:
        _describe_container(value, out, active)
    finally:
        active.discard(marker)


def _describe_container(value: object, out: list[str], active: set[int]) -> None:
    if isinstance(value, dict):
        items = sorted(((describe_key(k, active), v) for k, v in value.items()), key=lambda item: item[0])
        out.append("{")
        for key, item in items:
            out.append(key)
            _describe(item, out, active)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[" if isinstance(value, list) else "(")
        for item in value:
            _describe(item, out, active)
        out.append("]")
    elif isinstance(value, (set, frozenset)):
        out.append("set{" + "".join(sorted(describe_key(item, active) for item in value)) + "}")
    elif isinstance(value, (types.FunctionType, types.MethodType)):
        _describe_function(value, out, active)
    elif dataclasses.is_dataclass(value):
        out.append(f"dc:{type(value).__module__}.{type(value).__qualname__}(")
        for field in dataclasses.fields(value):
            if field.compare and not field.name.startswith("_"):  # compare=False: derived (compiled) or memo
                out.append(field.name + "=")
                _describe(getattr(value, field.name), out, active)
        out.append(")")
    elif type(value).__module__.startswith("re2") or type(value).__name__ == "_Regexp":
        out.append(f"re2:{getattr(value, 'pattern', None)!r};")
    elif hasattr(value, "__dict__") and type(value).__module__.startswith("vgptlint"):
        out.append(f"obj:{type(value).__module__}.{type(value).__qualname__}(")
        _describe({k: v for k, v in vars(value).items() if not k.startswith("_")}, out, active)
        out.append(")")
    else:
        raise Unkeyable(f"{type(value).__module__}.{type(value).__qualname__}")


def describe_key(value: object, active: set[int]) -> str:
    out: list[str] = []
    _describe(value, out, active)
    return "".join(out)


def _describe_function(function: object, out: list[str], active: set[int]) -> None:
    if isinstance(function, types.MethodType):
        out.append("method:")
        _describe(function.__self__, out, active)
        function = function.__func__
    out.append(f"fn:{function.__module__}.{function.__qualname__}(")
    # A closure's behaviour is its code (covered by the code fingerprint) plus what it captured.
    for cell in function.__closure__ or ():
        try:
            _describe(cell.cell_contents, out, active)
        except ValueError:  # an empty cell
            out.append("empty;")
    _describe(function.__defaults__, out, active)
    out.append(")")


def code_key() -> str:
    """vgptlint's version, the Python and library versions, and the source files of the package and of
    every module that registered a function, fixer or accumulator (a team's own): an edited checkout
    is new code even at the same version number. The package's files are looked at once per process
    (the code it runs is what it loaded); a team's module on every call, as it is on disk now."""
    package_files, package_digest = _package_code()
    others = tuple(_stat(path) for path in sorted(_registered_files() - package_files))
    return _code_digest(package_digest, others)


@lru_cache(maxsize=1)
def _package_code() -> tuple[frozenset[str], str]:
    """The package's source files and the digest of the package's code (their sizes and modification
    times, vgptlint's, Python's and the libraries' versions)."""
    package = Path(__file__).resolve().parent.parent
    files = sorted(map(str, package.rglob("*.py")))
    return frozenset(files), digest_of(KEY_FORMAT, __version__, sys.version, _library_versions(), list(map(_stat, files)))


@lru_cache(maxsize=64)
def _code_digest(package_digest: str, others: tuple) -> str:
    return digest_of(package_digest, others) if others else package_digest


def _registered_files() -> set[str]:
    callables = [*(f.check for f in REGISTRY.values()), *(a.add for a in ACCUMULATORS.values()),
                 *(getattr(f, "compute", f) for f in FIXERS.values())]
    modules = {getattr(c, "__module__", None) for c in callables}
    return {path for path in (getattr(sys.modules.get(m), "__file__", None) for m in modules) if path}


def _stat(path: str) -> tuple:
    try:
        found = os.stat(path)
    except OSError:
        return path, None
    return path, found.st_size, found.st_mtime_ns


@lru_cache(maxsize=1)
def _library_versions() -> tuple:
    found = []
    for name in LIBRARIES:
        try:
            found.append((name, version(name)))
        except PackageNotFoundError:
            found.append((name, None))
    return tuple(found)


# ------------------------------------------------------------------------------- rules


def rule_evaluation(rule: object) -> tuple:
    """What a compiled rule contributes to the evaluation key: its definition without the judgment.

    For a dataset rule that is its selection, ``where`` and the options ``add``/``merge`` read; for
    a record rule everything that reaches a finding, severity included.
    """
    accumulator = getattr(rule, "accumulator", None)
    shared = (rule.id, rule.kind, rule.selectors, rule.checks, rule.message, rule.where_kinds, rule.where_facets,
              rule.where_formats, rule.fix, rule.requires)
    if accumulator is None:
        return (*shared, rule.severity)
    judged = set(accumulator.judged_by)
    options = rule.accumulator_options
    evaluated = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)
                 if f.compare and f.name not in judged} if dataclasses.is_dataclass(options) else options
    return (*shared, accumulator.name, evaluated)


def judgment_key(rule: object) -> str:
    """The digest of what only a dataset rule's ``finalize`` reads: its ``judged_by`` options."""
    options = rule.accumulator_options
    judged = {name: getattr(options, name) for name in rule.accumulator.judged_by if hasattr(options, name)}
    return digest_of(rule.accumulator.name, judged)


def evaluation_key(rules: Iterable[object], file_facts: object, run_facts: str, inputs: object = ()) -> str:
    """The digest of one file's evaluation: its plan's rules, the file's own facts (path, kind,
    format, dataset_info entry), the run's facts (:func:`run_facts_key`) and extra inputs rules read.

    Raises:
        Unkeyable: something in them cannot be described by value.
    """
    return digest_of(run_facts, file_facts, [_rule_description(rule) for rule in rules], inputs, code_key())


def _describe_rule(rule: object) -> str:
    return describe(rule_evaluation(rule))


# ``describe(rule_evaluation(rule))``, made once per compiled rule (a run keys every file with its
# plan's rules: the same rules, file after file). Compiled rules are never changed once made.
_rule_description = IdentityMemo(_describe_rule, max_entries=4096)


def run_facts_key(settings: dict, services: dict, dialect: str) -> str:
    """The digest of what every file of a run shares: the setup's settings (trainer, seed,
    suppressions, verify_fixes, working directory, the policy's settings), services (by value) and dialect.

    Services that rules memoize into (``services[("contamination", ...)]``) are left out: they are
    derived from the others, and the files they read are keyed through ``key_inputs``.
    """
    named = {key: value for key, value in services.items() if isinstance(key, str)}
    return digest_of(dialect, settings, named, os.getcwd())
