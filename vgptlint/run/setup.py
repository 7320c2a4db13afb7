"""One run's setup: everything linting a file needs, settled before the first record is read.

A :class:`RunSetup` is what every way of running calls the core with (:func:`vgptlint.run.engine.lint_file`):
the local engine, ``--jobs`` worker processes, Dask tasks and the fix session. It holds typed values
only (the policy reference, ``--select``/``--ignore``, the dataset_info and catalog paths, the
command line's flags) and pickles as those: the compiled policy, rules and loaded services
(:class:`Compiled`) do not travel (compiled selectors hold closures, and a policy is much bigger than
its name). A process that receives a setup without them compiles them once from the references
(:func:`compiled`), so a Dask worker lints with exactly the client's rules or refuses to.
"""
from __future__ import annotations

import fnmatch
import threading
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from vgptlint import __version__
from vgptlint.builtins import load_builtins
from vgptlint.errors import PolicyError, UsageError
from vgptlint.functions.base import Context, did_you_mean
from vgptlint.inputs.parquet import PARQUET_SUFFIX
from vgptlint.llamafactory.dataset_info import load_dataset_info
from vgptlint.llamafactory.run_rules import PACK as RUN_PACK
from vgptlint.llamafactory.run_rules import RULES as RUN_RULES
from vgptlint.model import Severity
from vgptlint.policy.load import load_policy
from vgptlint.policy.model import CompiledRule, Policy
from vgptlint.sql.catalog import load_catalog


@dataclass(frozen=True, slots=True)
class FileTask:
    """One dataset file to lint and what is known about it before reading."""

    path: str  # as the user gave it (or found under a directory)
    display: str
    kind: str | None = None
    spec: object = None  # a LLaMA-Factory DatasetSpec when dataset_info maps this file


@dataclass(frozen=True, slots=True)
class FileRun:
    """A file whose kind and format are known: enough for any process to rebuild its plan and context."""

    task: FileTask
    kind: str
    format: str = "alpaca"

    @property
    def plan_key(self) -> tuple[str, str, str]:
        return self.task.display, self.kind, self.format


@dataclass
class Compiled:
    """What a setup's references compile to in one process: never pickled."""

    policy: Policy
    rules: dict[str, CompiledRule]
    services: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()  # rules skipped for a missing catalog or dataset_info
    plans: dict = field(default_factory=dict)  # FileRun.plan_key -> the file's plan (vgptlint.run.engine)


@dataclass(frozen=True, eq=False)
class RunSetup:
    """Everything linting any file of a run needs; see the module docstring.

    ``compiled`` is filled where the setup is made (and on first use elsewhere); equality, hashing
    and pickling ignore it.
    """

    policy: str  # a shipped policy's name or a policy file's absolute path
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    dataset_info: str | None = None  # the dataset_info.json in use, as the user named it
    catalog: tuple[str, ...] = ()  # the schema catalog files in use, as the user named them
    load_functions: bool = False  # --load-functions: import the policy's functions: modules
    trainer: str | None = None  # the policy's trainer; "llamafactory" when a dataset_info.json is used
    seed: int | None = None  # --seed
    use_suppressions: bool = True  # False: --no-suppressions (record suppressions are reported, not applied)
    verify_fixes: bool = True  # False when fixes are neither applied nor shown beyond a count
    use_cache: bool = False  # the result cache (vgptlint.incremental): local, --jobs and Dask workers; False: --no-cache
    working_directory: str = "."  # the caller's: relative paths in rule options mean it on any engine
    rule_ids: tuple[str, ...] = ()  # the client's rules: a worker that compiles others refuses to lint
    version: str = __version__
    run_id: str = ""  # one per run: a policy edited between two runs on a long-lived cluster is compiled again
    compiled: Compiled | None = field(default=None, compare=False, repr=False)

    def __getstate__(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "compiled"}

    def __setstate__(self, state: dict) -> None:
        for name, value in {**state, "compiled": None}.items():
            object.__setattr__(self, name, value)

    @property
    def key(self) -> tuple:
        """Equal for setups that compile to the same rules (the per-process cache's key)."""
        return tuple(getattr(self, f.name) for f in fields(self) if f.name != "compiled")

    def file_context(self, run: FileRun) -> Context:
        """The context functions see for one file; :func:`vgptlint.run.engine.lint_file` points its
        ``record`` at each record in turn."""
        state = compiled(self)
        return Context(record=None, kind=run.kind, path=run.task.display, dialect=state.policy.dialect,
                       services=state.services, spec=run.task.spec, format=run.format, trainer=self.trainer,
                       is_rewritable=is_rewritable(run.task.path), seed=self.seed, verify_fixes=self.verify_fixes,
                       working_directory=self.working_directory, policy_settings=state.policy.settings)


def is_rewritable(path: str) -> bool:
    """Whether ``vgptlint fix`` can rewrite the file: Parquet is columnar and binary, linted only."""
    return not path.lower().endswith(PARQUET_SUFFIX)


# ------------------------------------------------------------------------------- compiling, once per process

_COMPILED: dict[tuple, Compiled] = {}
_KEPT_SETUPS = 2  # a long-lived worker keeps the latest runs' policies, not every run's
_LOCK = threading.Lock()  # a Dask worker may run several tasks at once in threads


def compiled(setup: RunSetup) -> Compiled:
    """The setup's compiled policy, rules and services: its own, else this process's, else compiled now.

    Raises:
        UsageError: another vgptlint version, or a policy that compiles to other rules than the client's.
    """
    if setup.compiled is not None:
        return setup.compiled
    key = setup.key
    found = _COMPILED.get(key)
    if found is None:
        with _LOCK:
            found = _COMPILED.get(key)
            if found is None:
                found = _compile_elsewhere(setup)
                while len(_COMPILED) >= _KEPT_SETUPS:
                    del _COMPILED[next(iter(_COMPILED))]
                _COMPILED[key] = found
    return found


def _compile_elsewhere(setup: RunSetup) -> Compiled:
    if setup.version != __version__:
        raise UsageError(f"a Dask worker runs vgptlint {__version__} but this machine runs {setup.version}; "
                         "install the same version on every worker")
    load_builtins()
    try:
        policy = load_policy(setup.policy, setup.load_functions)
    except PolicyError as err:  # PolicyError does not survive pickling back to the client: flatten it
        raise UsageError(f'a Dask worker cannot load policy "{setup.policy}": {err.problems[0].render()}') from None
    # Paths as the user named them mean the client's working directory; a worker's is its own.
    state = compile_rules(setup, policy, Path(setup.working_directory))
    if tuple(sorted(state.rules)) != setup.rule_ids:
        raise UsageError(f'policy "{setup.policy}" gives a Dask worker other rules than this machine; workers '
                         "must see the same policy, rule packs and vgptlint version")
    return state


def compile_rules(setup: RunSetup, policy: Policy, base: Path = Path()) -> Compiled:
    """The setup's rules of ``policy`` with their services (dataset_info, catalog) loaded, relative
    paths read from ``base``.

    Raises:
        UsageError: a ``--select``/``--ignore`` word that matches no rule.
    """
    services: dict = {}
    if setup.dataset_info is not None:
        services["dataset_info"] = load_dataset_info(base / setup.dataset_info)
    if setup.catalog:
        services["catalog"] = load_catalog(tuple(base / p for p in setup.catalog))
    rules, notes = drop_unmet(select_rules(policy, setup.select, setup.ignore), services)
    return Compiled(policy, rules, services, notes)


def with_compiled(setup: RunSetup, state: Compiled) -> RunSetup:
    """``setup`` carrying ``state`` and naming its rules."""
    return replace(setup, compiled=state, rule_ids=tuple(sorted(state.rules)))


# ------------------------------------------------------------------------------- choosing rules


def select_rules(policy: Policy, select: tuple[str, ...], ignore: tuple[str, ...]) -> dict[str, CompiledRule]:
    """``--select``/``--ignore``: rule ids, globs (``sql-*``), pack names or ``ALL``.

    Raises:
        UsageError: a selector that matches no rule of the policy.
    """

    def matches(rule: CompiledRule, word: str) -> bool:
        return word == "ALL" or fnmatch.fnmatchcase(rule.id, word) or word == rule.origin.pack or word in rule.aliases

    for word in (*select, *ignore):
        if not any(matches(r, word) for r in policy.rules.values()) and not run_rule_matches(word):
            hint = did_you_mean(word, policy.rules)
            raise UsageError(f'"{word}" matches no rule of policy {policy.path}' + (f"; {hint}" if hint else ""))
    rules = {}
    for rule_id, rule in policy.rules.items():
        if select and not any(matches(rule, w) for w in select):
            continue
        if any(matches(rule, w) for w in ignore):
            continue
        if select and not rule.is_enabled and any(w == rule.id for w in select):
            rule = replace(rule, severity=Severity.WARNING)  # an "off" rule named on its own runs
        rules[rule_id] = rule
    return rules


def run_rule_matches(word: str, rule_id: str | None = None) -> bool:
    """Does a --select/--ignore word name a --train-config rule (``lf-run-*``; pack ``llamafactory``)?"""
    ids = (rule_id,) if rule_id else tuple(RUN_RULES)
    return any(word in ("ALL", RUN_PACK) or fnmatch.fnmatchcase(i, word) for i in ids)


def split_words(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w.strip() for v in values for w in v.split(",") if w.strip())


def drop_unmet(rules: dict[str, CompiledRule], services: dict) -> tuple[dict[str, CompiledRule], tuple[str, ...]]:
    """The rules whose services (catalog, dataset_info) are loaded, and a note for each kind skipped."""
    kept, skipped = {}, {}
    for rule_id, rule in rules.items():
        missing = [need for need in sorted(rule.requires) if need not in services]
        if missing and rule.is_enabled:
            skipped.setdefault(missing[0], []).append(rule_id)
        else:
            kept[rule_id] = rule
    notes = []
    for need, ids in sorted(skipped.items()):
        flag = "--catalog" if need == "catalog" else "--dataset-info"
        notes.append(f"{len(ids)} rule{'s' if len(ids) != 1 else ''} skipped: no {need.replace('_', ' ')} configured "
                     f"(use {flag} or set it in the policy): {', '.join(sorted(ids))}")
    return kept, tuple(notes)


def local_setup(policy: Policy, rules: dict[str, CompiledRule], services: dict | None = None, **values) -> RunSetup:
    """A setup for a policy already compiled in this process (rule examples, the language server):
    ``rules`` are linted as they are, with ``services``; ``values`` are RunSetup fields."""
    values.setdefault("trainer", policy.trainer)
    return with_compiled(RunSetup(policy=str(policy.path), **values), Compiled(policy, rules, services or {}))
