"""Turn one rule's YAML (plus the overrides stacked on it) into a :class:`CompiledRule`.

Selectors are compiled and options validated here, once, so that evaluating a record does no
parsing or checking of the policy at all.
"""
from __future__ import annotations

import dataclasses
import re

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from vgptlint.aggregates.base import ACCUMULATORS
from vgptlint.errors import Problem
from vgptlint.fixes.base import FIXERS, FixSpec
from vgptlint.functions.base import REGISTRY, OptionError, build_options, did_you_mean
from vgptlint.model import Applicability, Severity
from vgptlint.policy.model import (DATASET_FORMATS, DATASET_KINDS, RULE_KINDS, RULE_TYPES, Check, CompiledRule, Origin,
                                   Policy, type_problem)
from vgptlint.policy.yamlio import key_position, node_position, plain, value_position
from vgptlint.select.jsonpath import SelectorError, compile_selector

RULE_KEYS = ("description", "severity", "kind", "where", "given", "then", "message", "fix", "rationale",
             "help_uri", "examples", "aliases", "requires")
RULE_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
REQUIREMENTS = ("catalog", "dataset_info")


class _Located:
    """Collects problems for one rule, each at the YAML node it is about."""

    def __init__(self, rule_id: str, source: str, problems: list[Problem]):
        self.rule_id, self.source, self.problems = rule_id, source, problems
        self.count = 0

    def at(self, node: object, key: object, code: str, message: str, hint: str | None = None, *, value: bool = True) -> None:
        line, col = value_position(node, key) if value else key_position(node, key)
        self.problems.append(Problem(self.source, line, col, code, f'rule "{self.rule_id}": {message}', hint))
        self.count += 1


def compile_rule(rule_id: str, definition: CommentedMap, source: str, pack: str,
                 overrides: list[tuple[CommentedMap, str]], policy: Policy, problems: list[Problem]) -> CompiledRule | None:
    report = _Located(rule_id, source, problems)
    if not RULE_ID.match(rule_id):
        report.at(definition, None, "invalid-rule-id", "ids are kebab-case, e.g. output-too-short", value=False)
    for key in definition:
        if key not in RULE_KEYS:
            report.at(definition, key, "unknown-key", f'unknown key "{key}"', did_you_mean(str(key), RULE_KEYS), value=False)

    # Later layers win; each value remembers the node (and file) it came from for error positions.
    layers = [(definition, source), *overrides]
    effective: dict[str, tuple[object, CommentedMap, str]] = {}
    option_layers: list[tuple[object, CommentedMap, str]] = []
    for node, layer_source in layers:
        for key in node:
            if key == "options":
                option_layers.append((node[key], node, layer_source))
            else:
                effective[str(key)] = (node[key], node, layer_source)

    def get(key: str, default: object = None) -> object:
        return effective[key][0] if key in effective else default

    def where_is(key: str) -> tuple[CommentedMap, str]:
        if key == "options" and option_layers:
            return option_layers[-1][1], option_layers[-1][2]
        return (effective[key][1], effective[key][2]) if key in effective else (definition, source)

    def problem(key: str, code: str, message: str, hint: str | None = None) -> None:
        node, layer_source = where_is(key)
        _Located(rule_id, layer_source, problems).at(node, key if key in node else None, code, message, hint)
        report.count += 1

    for key, expected in RULE_TYPES.items():
        if key in effective and (message := type_problem(key, expected, effective[key][0])) is not None:
            problem(key, "invalid-type", message)
            del effective[key]
    severity_word = str(get("severity", "warning"))
    if severity_word not in ("error", "warning", "info", "off"):
        problem("severity", "invalid-severity", f'severity must be one of error, warning, info, off; got "{severity_word}"',
                did_you_mean(severity_word, ("error", "warning", "info", "off")))
        severity_word = "warning"
    kind = str(get("kind", "record"))
    if kind not in RULE_KINDS:
        problem("kind", "invalid-kind", f'kind must be one of {", ".join(RULE_KINDS)}; got "{kind}"')
        kind = "record"

    selectors = []
    given = get("given", "$")
    for expression in given if isinstance(given, list) else [given]:
        try:
            selectors.append(compile_selector(str(expression)))
        except SelectorError as exc:
            problem("given", "invalid-jsonpath", f'"given" is not valid JSONPath ("{expression}"): {exc}')

    checks, accumulator, accumulator_options, needs = _compile_then(get("then"), kind, option_layers, problem, rule_id, source, problems)
    where_kinds, where_facets, where_formats = _compile_where(get("where"), problem, policy)
    fix = _compile_fix(get("fix"), problem)
    requires = set(needs)
    for requirement in get("requires") or []:
        if requirement not in REQUIREMENTS:
            problem("requires", "invalid-value", f'"requires" entries must be among {", ".join(REQUIREMENTS)}; got "{requirement}"')
        requires.add(str(requirement))
    if report.count:
        return None
    line, col = node_position(definition)
    return CompiledRule(
        id=rule_id,
        severity=Severity(severity_word),
        kind=kind,
        description=str(get("description", "") or "").strip(),
        selectors=tuple(selectors),
        checks=tuple(checks),
        message=str(get("message")) if get("message") is not None else None,
        where_kinds=where_kinds,
        where_facets=where_facets,
        where_formats=where_formats,
        fix=fix,
        rationale=str(get("rationale", "") or "").strip(),
        help_uri=str(get("help_uri", "") or ""),
        origin=Origin(source, line, col, pack),
        requires=frozenset(requires),
        examples=plain(definition.get("examples")) or {},
        aliases=tuple(str(a) for a in (get("aliases") or [])),
        accumulator=accumulator,
        accumulator_options=accumulator_options,
        raw={"definition": definition, "source": source, "overrides": overrides},
    )


def _compile_then(then: object, kind: str, option_layers, problem, rule_id: str, source: str, problems: list[Problem]):
    entries = then if isinstance(then, (list, CommentedSeq)) else [then]
    if then is None or not entries:
        problem("then", "missing-then", '"then" is required: a function name with options, or a list of them')
        return [], None, None, set()
    checks, accumulator, accumulator_options, needs = [], None, None, set()
    overrides = {}
    for value, _node, _src in option_layers:
        if isinstance(value, dict):
            overrides.update(plain(value))
        else:
            problem("options", "invalid-options", '"options" must be a mapping')
    used_overrides: set[str] = set()
    for entry in entries:
        if isinstance(entry, str):
            entry = CommentedMap(function=entry)
        if not isinstance(entry, dict) or "function" not in entry:
            problem("then", "invalid-then", 'each "then" entry needs "function"')
            continue
        name = str(entry["function"])
        registry = ACCUMULATORS if kind == "aggregate" else REGISTRY
        target = registry.get(name)
        if target is None:
            known = ", ".join(sorted(registry))
            problem("then", "unknown-function", f'"{name}" is not a{"n aggregate" if kind == "aggregate" else ""} function; known: {known}',
                    did_you_mean(name, registry))
            continue
        raw_options = plain(entry.get("options")) or {}
        if not isinstance(raw_options, dict):
            problem("then", "invalid-options", f'function "{name}": "options" must be a mapping')
            continue
        fields = {f.name for f in dataclasses.fields(target.options)}
        for key, value in overrides.items():
            if key in fields:
                raw_options[key] = value
                used_overrides.add(key)
        try:
            options = build_options(target.options, raw_options)
        except OptionError as exc:
            node = entry.get("options") if isinstance(entry.get("options"), dict) and exc.key in (entry.get("options") or {}) else None
            layer = next((layer for layer in reversed(option_layers) if isinstance(layer[0], dict) and exc.key in layer[0]), None)
            if layer is not None:  # the value came from an override: report it in the file that wrote it
                line, col = value_position(layer[0], exc.key)
                problems.append(Problem(layer[2], line, col, "invalid-option", f'rule "{rule_id}": function "{name}": {exc}', exc.hint))
            elif node is not None:
                line, col = value_position(node, exc.key)
                problems.append(Problem(source, line, col, "invalid-option", f'rule "{rule_id}": function "{name}": {exc}', exc.hint))
            else:
                problem("then" if not overrides else "options", "invalid-option", f'function "{name}": {exc}', exc.hint)
            continue
        if kind == "aggregate":
            accumulator, accumulator_options = target, options
            continue
        field = entry.get("field")
        field_parts = tuple(int(p) if p.isdigit() else p for p in str(field).split(".")) if field is not None else None
        checks.append(Check(target, options, field_parts))
        needs |= set(target.needs)
    for key in overrides:
        if key not in used_overrides:
            problem("options", "invalid-option", f'option "{key}" is not accepted by any function of this rule')
    return checks, accumulator, accumulator_options, needs


def _compile_where(where: object, problem, policy: Policy):
    if where is None:
        return None, (), None
    if isinstance(where, (list, CommentedSeq, str)):
        where = {"kind": where}
    if not isinstance(where, dict):
        problem("where", "invalid-where", '"where" must be a list of dataset kinds or a mapping')
        return None, (), None
    kinds = formats = None
    facets = []
    for key, value in where.items():
        values = [str(v) for v in (value if isinstance(value, (list, CommentedSeq)) else [value])]
        if key in ("absent", "present"):
            for expression in values:
                try:
                    facets.append((key, compile_selector(expression if expression.startswith("$") else f"$.{expression}")))
                except SelectorError as exc:
                    problem("where", "invalid-jsonpath", f'"where.{key}" is not valid JSONPath ("{expression}"): {exc}')
            continue
        if key == "unless":  # {JSONPath: [values]}: skip records where a selected value is one of them
            if not isinstance(value, dict):
                problem("where", "invalid-where", '"where.unless" maps JSONPath expressions to lists of values')
                continue
            for expression, forbidden in value.items():
                try:
                    selector = compile_selector(str(expression))
                except SelectorError as exc:
                    problem("where", "invalid-jsonpath", f'"where.unless" is not valid JSONPath ("{expression}"): {exc}')
                    continue
                choices = forbidden if isinstance(forbidden, (list, CommentedSeq)) else [forbidden]
                facets.append(("unless", (selector, frozenset(typed_value(plain(v)) for v in choices))))
            continue
        if key in ("format", "kind"):
            allowed = DATASET_FORMATS if key == "format" else DATASET_KINDS
            for word in values:
                if word not in allowed:
                    problem("where", f"invalid-{key}", f'dataset {key} must be one of {", ".join(allowed)}; got "{word}"',
                            did_you_mean(word, allowed))
            if key == "format":
                formats = frozenset(values)
            else:
                kinds = frozenset(values)
        else:
            declared = getattr(policy.facets, "facets", None) or {}
            if key not in declared:
                known = ", ".join(sorted(declared)) or "none (declare them under facets:)"
                problem("where", "unknown-facet", f'"where" names facet "{key}", which the policy does not declare; known: {known}',
                        did_you_mean(str(key), declared))
            facets.append((str(key), frozenset(values)))
    return kinds, tuple(facets), formats


def typed_value(value: object) -> tuple[str, object]:
    """A JSON value with its type, so that false, 0 and "false" stay different in ``where.unless``."""
    return type(value).__name__, value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _compile_fix(fix: object, problem) -> FixSpec | None:
    if fix is None:
        return None
    if isinstance(fix, str):
        fix = {"fixer": fix}
    if not isinstance(fix, dict):
        problem("fix", "invalid-fix", '"fix" must be a fixer name or a mapping with "fixer" or "set"')
        return None
    default = FIXERS[str(fix["fixer"])].default_applicability.value if str(fix.get("fixer", "")) in FIXERS else "safe"
    word = str(fix.get("applicability", default))
    if word not in ("safe", "unsafe", "display-only"):
        problem("fix", "invalid-fix", f'applicability must be safe, unsafe or display-only; got "{word}"')
        return None
    applicability = Applicability(word)
    if "set" in fix:
        fields = plain(fix["set"])
        if not isinstance(fields, dict) or not fields:
            problem("fix", "invalid-fix", '"set" must map field names to values')
            return None
        return FixSpec(None, None, applicability, tuple(fields.items()), str(fix.get("title", "")))
    name = str(fix.get("fixer", ""))
    fixer = FIXERS.get(name)
    if fixer is None:
        problem("fix", "unknown-fixer", f'"{name}" is not a fixer; known: {", ".join(sorted(FIXERS)) or "none"}',
                did_you_mean(name, FIXERS))
        return None
    try:
        options = build_options(fixer.options, plain(fix.get("options")) or {})
    except OptionError as exc:
        problem("fix", "invalid-option", f'fixer "{name}": {exc}', exc.hint)
        return None
    return FixSpec(name, options, applicability, (), str(fix.get("title", "")))
