"""Load a policy: YAML documents joined through ``extends``, validated and compiled in one go.

Policies and rule packs are the same kind of document (a pack only defines rules), so there is one
loader. Every problem is collected with its ``file:line:col`` and reported together as a
:class:`PolicyError` before any record is read.
"""
from __future__ import annotations

import dataclasses
import importlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from vgptlint.aggregates.facet_set import FacetSet
from vgptlint.deferred import DeferredModule
from vgptlint.errors import PolicyError, Problem, UsageError
from vgptlint.facets import compile_facets
from vgptlint.functions.base import did_you_mean
from vgptlint.model import Severity
from vgptlint.policy.compile import compile_rule
from vgptlint.policy.model import DATASET_KINDS, DOCUMENT_TYPES, FileOverride, OVERRIDE_TYPES, Policy, type_problem
from vgptlint.policy.yamlio import key_position, load_yaml, plain, value_position
from vgptlint.resources import builtin_dir
from vgptlint.sql.deferred import check_dialect

if TYPE_CHECKING:
    from vgptlint import refusal as classifier
else:  # imported when a policy tunes the refusal classifier (settings: {refusal: ...}); most do not
    classifier = DeferredModule("vgptlint.refusal")

DOCUMENT_KEYS = {
    "pack": "name of a rule pack",
    "description": "what this policy or pack is for",
    "extends": "policies or rule packs this one builds on",
    "rules": "rule definitions and per-rule overrides",
    "fail-on": "lowest severity that makes the run fail",
    "dialect": "SQL dialect for sqlglot",
    "catalog": "schema catalog file(s)",
    "dataset_info": "LLaMA-Factory dataset_info.json",
    "datasets": "file glob -> dataset kind",
    "overrides": "per-file-glob rule overrides",
    "functions": "Python modules that register extra functions",
    "trainer": "the consumer of the data (llamafactory)",
    "facets": "derived per-record values",
    "settings": "tool settings",
    "example_catalog": "catalog the pack's examples run against",
    "baseline": "baseline file of accepted findings",
    "ignore": "suppressed findings",
    "train_config": "LLaMA-Factory training config (YAML) whose run to check",
}
OVERRIDE_KEYS = ("severity", "options", "message", "where", "given", "fix", "description")
SEVERITY_WORDS = ("error", "warning", "info", "off")


@dataclass
class RuleLayer:
    """A rule definition plus the overrides later documents put on top of it."""

    definition: CommentedMap
    source: str
    pack: str
    overrides: list[tuple[CommentedMap, str]] = field(default_factory=list)


@dataclass
class Merged:
    rules: dict[str, RuleLayer] = field(default_factory=dict)
    settings: dict[str, tuple[object, CommentedMap, str, Path]] = field(default_factory=dict)
    overrides: list[tuple[CommentedMap, str]] = field(default_factory=list)
    facet_layers: list[tuple[object, CommentedMap, str]] = field(default_factory=list)
    description: str = ""


def resolve_reference(name: str, base_dir: Path) -> Path | None:
    """A path (relative to the referring file or the working directory), or a shipped policy/pack name."""
    candidates = [base_dir / name, Path(name)]
    stem = name[:-5] if name.endswith(".yaml") else name[:-4] if name.endswith(".yml") else name
    if "/" not in name and os.sep not in name:
        candidates += [builtin_dir("policies") / f"{stem}.yaml", builtin_dir("rules") / f"{stem}.yaml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def display_path(path: Path) -> str:
    """Paths inside the working directory are shown relative; shipped files by their package path."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        for kind in ("rules", "policies"):
            root = builtin_dir(kind).resolve()
            if path.resolve().is_relative_to(root):
                return f"{kind}/{path.name}"
        return str(path)


def load_policy(reference: str, load_functions: bool = False) -> Policy:
    """Load ``reference`` (path or shipped name) and everything it extends.

    Args:
        load_functions: import the modules the policy's ``functions:`` names (``--load-functions``).
            Without it a policy never makes vgptlint run code: a ``vgptlint.yaml`` in a checkout is
            only data, so linting a pull request cannot run the pull request's Python.

    Raises:
        PolicyError: every problem found, each located.
    """
    problems: list[Problem] = []
    path = resolve_reference(reference, Path.cwd())
    if path is None:
        shipped = ", ".join(p.stem for p in sorted(builtin_dir("policies").glob("*.yaml")))
        raise PolicyError([Problem(reference, 1, 1, "policy-not-found",
                                   f'policy "{reference}" is neither a file nor a shipped policy; shipped: {shipped}')])
    merged = Merged()
    _merge_document(path, merged, problems, stack=())
    policy = _build_policy(reference, path, merged, problems, load_functions)
    if problems:
        raise PolicyError(sorted(problems, key=lambda p: (p.source, p.line, p.column)))
    return policy


def _merge_document(path: Path, merged: Merged, problems: list[Problem], stack: tuple[Path, ...]) -> None:
    display = display_path(path)
    if path.resolve() in stack:
        cycle = " -> ".join(display_path(p) for p in (*stack, path.resolve()))
        problems.append(Problem(display, 1, 1, "cyclic-extends", f"extends forms a cycle: {cycle}"))
        return
    try:
        document = load_yaml(path, display)
    except PolicyError as exc:
        problems.extend(exc.problems)
        return
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        problems.append(Problem(display, 1, 1, "invalid-policy", "a policy must be a YAML mapping"))
        return
    for key in document:
        if key not in DOCUMENT_KEYS:
            line, col = key_position(document, key)
            problems.append(Problem(display, line, col, "unknown-key", f'unknown key "{key}"; known: {", ".join(DOCUMENT_KEYS)}',
                                    did_you_mean(str(key), DOCUMENT_KEYS)))
    wrong = _wrongly_typed(document, display, problems)  # such keys are reported once, then left out

    def value(key: str) -> object:
        return None if key in wrong else document.get(key)

    for parent_name in _as_list(value("extends")):
        parent = resolve_reference(str(parent_name), path.parent)
        if parent is None:
            line, col = value_position(document, "extends")
            problems.append(Problem(display, line, col, "unknown-extends",
                                    f'extends "{parent_name}": no such file, shipped policy or rule pack'))
            continue
        _merge_document(parent, merged, problems, (*stack, path.resolve()))
    pack = str(value("pack") or path.stem)
    rules = value("rules")
    for rule_id, body in (rules or {}).items():
        _merge_rule(str(rule_id), body, rules, display, pack, merged, problems)
    for key in DOCUMENT_KEYS:
        if key in document and key not in wrong and key not in ("rules", "extends", "pack", "description", "overrides", "facets"):
            merged.settings[key] = (document[key], document, display, path.parent)
    if value("facets") is not None:  # facets merge by name across extends, later documents win
        merged.facet_layers.append((document["facets"], document, display))
    for entry in _as_list(value("overrides")):
        merged.overrides.append((entry, display))
    if value("description"):
        merged.description = str(document["description"])


def _wrongly_typed(document: CommentedMap, display: str, problems: list[Problem],
                   types: dict = DOCUMENT_TYPES) -> set[str]:
    """Keys whose value has the wrong type (DOCUMENT_TYPES by default), each reported where it is written."""
    wrong = set()
    for key, expected in types.items():
        if key in document and (message := type_problem(key, expected, document[key])) is not None:
            line, col = value_position(document, key)
            problems.append(Problem(display, line, col, "invalid-type", message))
            wrong.add(key)
    return wrong


def _merge_rule(rule_id: str, body: object, rules: CommentedMap, display: str, pack: str,
                merged: Merged, problems: list[Problem]) -> None:
    line, col = key_position(rules, rule_id)
    if isinstance(body, str):  # "rule-id: warning" shorthand
        body_map = CommentedMap(severity=body)
        body_map.lc.line, body_map.lc.col = line - 1, col - 1
        body = body_map
    if not isinstance(body, CommentedMap):
        problems.append(Problem(display, line, col, "invalid-rule", f'rule "{rule_id}" must be a mapping or a severity'))
        return
    if "then" in body:  # a definition (new, or replacing an inherited one)
        merged.rules[rule_id] = RuleLayer(body, display, pack)
        return
    existing = merged.rules.get(rule_id) or _find_alias(rule_id, merged)
    if existing is None:
        problems.append(Problem(display, line, col, "unknown-rule", f'rule "{rule_id}" is not defined by this policy or what it extends',
                                did_you_mean(rule_id, merged.rules)))
        return
    for key in body:
        if key not in OVERRIDE_KEYS:
            kline, kcol = key_position(body, key)
            problems.append(Problem(display, kline, kcol, "unknown-key",
                                    f'rule "{rule_id}": "{key}" cannot be overridden; allowed: {", ".join(OVERRIDE_KEYS)}',
                                    did_you_mean(str(key), OVERRIDE_KEYS)))
    existing.overrides.append((body, display))


def _find_alias(rule_id: str, merged: Merged) -> RuleLayer | None:
    for layer in merged.rules.values():
        if rule_id in _as_list(layer.definition.get("aliases")):
            return layer
    return None


def _build_policy(reference: str, path: Path, merged: Merged, problems: list[Problem], load_functions: bool) -> Policy:
    policy = Policy(name=reference, path=display_path(path), rules={}, base_dir=path.parent)
    _apply_settings(policy, merged, problems, load_functions)
    for rule_id, layer in merged.rules.items():
        compiled = compile_rule(rule_id, layer.definition, layer.source, layer.pack, layer.overrides, policy, problems)
        if compiled is not None:
            policy.rules[rule_id] = compiled
    policy.overrides = tuple(_compile_overrides(merged, policy, problems))
    return policy


def _apply_settings(policy: Policy, merged: Merged, problems: list[Problem], load_functions: bool) -> None:
    for key, (value, node, source, base) in merged.settings.items():
        line, col = value_position(node, key)
        if key == "functions":
            for position, module in enumerate(_as_list(value)):
                at = value_position(value, position) if isinstance(value, CommentedSeq) else (line, col)
                _load_functions_module(str(module), base, load_functions, Problem(source, *at, "", ""), problems)
        elif key == "fail-on":
            word = str(value)
            if word not in ("error", "warning", "info", "never"):
                problems.append(Problem(source, line, col, "invalid-value", f'"fail-on" must be one of error, warning, info, never; got "{word}"',
                                        did_you_mean(word, ("error", "warning", "info", "never"))))
            else:
                policy.fail_on = None if word == "never" else Severity(word)
        elif key == "dialect":
            policy.dialect = _check_dialect(str(value), source, line, col, problems)
        elif key == "catalog":
            policy.catalog = tuple(_resolve_path(str(v), base) for v in _as_list(value))
        elif key == "dataset_info":
            policy.dataset_info = _resolve_path(str(value), base) if value else None
        elif key == "train_config":
            policy.train_config = _resolve_path(str(value), base) if value else None
        elif key == "datasets":
            policy.datasets = tuple(_dataset_globs(value, node, source, problems))
        elif key == "trainer":
            policy.trainer = str(value) if value else None
        else:
            policy.settings[key] = plain(value)
            if key == "settings":
                _check_refusal_settings(policy.settings[key], value, source, problems)
    if merged.facet_layers:
        # Compiled here, before any rule, so facet predicates are checked with the rest of the policy.
        combined = FacetSet()
        for value, node, source in merged.facet_layers:
            combined.facets.update(compile_facets(value, source, node, problems).facets)
        policy.facets = combined
        policy.settings["facets"] = combined  # reaches Context.settings through the run settings


def _check_refusal_settings(settings: object, node: object, source: str, problems: list[Problem]) -> None:
    """``settings: {refusal: {...}}`` tunes the one refusal classifier; a bad option is located here."""
    if not isinstance(settings, dict) or "refusal" not in settings:
        return
    line, col = value_position(node, "refusal") if isinstance(node, CommentedMap) else (1, 1)
    if not isinstance(settings["refusal"], dict):
        problems.append(Problem(source, line, col, "invalid-option", 'settings "refusal" maps classifier options to values'))
        return
    try:
        classifier.refusal_cues({"settings": settings})
    except UsageError as exc:
        problems.append(Problem(source, line, col, "invalid-option", str(exc)))


def _load_functions_module(name: str, base: Path, load_functions: bool, at: Problem, problems: list[Problem]) -> None:
    """Import a ``functions:`` module when the user allowed it; one already imported (an installed
    ``vgptlint.functions`` entry point) needs no permission."""
    if name in sys.modules:
        return
    if not load_functions:
        problems.append(dataclasses.replace(
            at, code="functions-not-allowed",
            message=f'the policy asks to import Python module "{name}"; vgptlint runs code only when asked',
            hint="pass --load-functions if you trust this policy's folder, or install the module as a "
                 "vgptlint.functions entry point"))
        return
    try:
        import_functions_module(name, base)
    except Exception as exc:  # any import failure is the user's module, not ours
        problems.append(dataclasses.replace(at, code="unknown-module", message=f'cannot import functions module "{name}": {exc}'))


def import_functions_module(name: str, policy_dir: Path) -> None:
    """Import a team's functions module (only with --load-functions); modules beside the policy file
    are found without PYTHONPATH."""
    folder = str(policy_dir.resolve())
    if folder not in sys.path:
        sys.path.append(folder)
    importlib.import_module(name)


def _check_dialect(name: str, source: str, line: int, col: int, problems: list[Problem]) -> str:
    try:
        check_dialect(name)
    except ValueError:
        problems.append(Problem(source, line, col, "unknown-dialect", f'"{name}" is not a sqlglot dialect'))
    return name


def _dataset_globs(value: object, node: object, source: str, problems: list[Problem]):
    if not isinstance(value, CommentedMap):
        line, col = value_position(node, "datasets")
        problems.append(Problem(source, line, col, "invalid-datasets", '"datasets" must map file globs to a kind (sft, dpo, kto, eval)'))
        return
    for glob, kind in value.items():
        if str(kind) not in DATASET_KINDS:
            line, col = value_position(value, glob)
            problems.append(Problem(source, line, col, "invalid-kind", f'dataset kind must be one of sft, dpo, kto, eval; got "{kind}"',
                                    did_you_mean(str(kind), DATASET_KINDS)))
        yield str(glob), str(kind)


def _compile_overrides(merged: Merged, policy: Policy, problems: list[Problem]):
    for entry, source in merged.overrides:
        if not isinstance(entry, CommentedMap) or "files" not in entry:
            line, col = (entry.lc.line + 1, entry.lc.col + 1) if hasattr(entry, "lc") else (1, 1)
            problems.append(Problem(source, line, col, "invalid-override", 'an override needs "files" (globs) and "rules"'))
            continue
        wrong = _wrongly_typed(entry, source, problems, OVERRIDE_TYPES)
        if wrong:
            continue
        rules = entry.get("rules") or CommentedMap()
        compiled: dict = {}
        for rule_id, body in rules.items():
            base = policy.rules.get(str(rule_id))
            line, col = key_position(rules, rule_id)
            if base is None:
                problems.append(Problem(source, line, col, "unknown-rule", f'rule "{rule_id}" is not defined',
                                        did_you_mean(str(rule_id), policy.rules)))
                continue
            if isinstance(body, str):
                body_map = CommentedMap(severity=body)
                body_map.lc.line, body_map.lc.col = line - 1, col - 1
                body = body_map
            layer = [(body, source)]
            rebuilt = compile_rule(str(rule_id), base.raw["definition"], base.raw["source"], base.origin.pack,
                                   [*base.raw["overrides"], *layer], policy, problems)
            if rebuilt is not None:
                compiled[str(rule_id)] = rebuilt
        yield FileOverride(tuple(str(g) for g in _as_list(entry["files"])), compiled)


def _resolve_path(value: str, base: Path) -> Path:
    candidate = Path(value)
    return candidate if candidate.is_absolute() else base / candidate


def _as_list(value: object) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple, CommentedSeq)):
        return list(value)
    return [value]


def content_facets(policy: Policy) -> FacetSet:
    """The policy's facets when they define content_type, else the shipped dataset pack's."""
    if isinstance(policy.facets, FacetSet) and "content_type" in policy.facets.facets:
        return policy.facets
    return load_policy(str(builtin_dir("rules") / "dataset.yaml")).facets
