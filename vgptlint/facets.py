"""Facets: derived values per record, declared in the policy, used by rules and ``stats``.

A facet labels every record, e.g. ``content_type``: the first case whose predicate holds gives the
label, ``default`` when none does. A facet may instead read a field (``given: $.category``) and use
its value as the label. Facets are usable

- in ``where:`` of any rule: ``where: {content_type: [sql_generation]}``;
- in aggregate options: ``distribution``/``balance``/``ordering`` with ``facet: content_type``,
  and predicates ``{facet: content_type, values: [...]}``;
- in ``vgptlint stats`` (the content mix table).

```yaml
facets:
  content_type:
    description: What a record teaches.
    cases:
      - {value: error_correction, when: {given: $.input, function: sql_present}}
      - {value: sql_generation, when: {given: $.output, function: sql_present}}
    default: other
  category:
    given: $.category
    default: none
```

Values are computed lazily, once per record (the last record's values are memoized), so a facet
used by five rules costs one evaluation.
"""
from __future__ import annotations

from collections.abc import Mapping

from vgptlint.aggregates.facet_set import Facet, FacetSet
from vgptlint.aggregates.predicate import PredicateError, compile_predicate
from vgptlint.errors import Problem
from vgptlint.functions.base import did_you_mean
from vgptlint.policy.yamlio import key_position, plain, value_position
from vgptlint.select.jsonpath import SelectorError, compile_selector

FACET_KEYS = ("description", "cases", "default", "given")
CASE_KEYS = ("value", "when")


# ------------------------------------------------------------------------------ compiling


def compile_facets(raw: object, source: str, node: object, problems: list[Problem]) -> FacetSet:
    """Compile the policy's ``facets:`` mapping; every problem is appended with its position."""
    facets = FacetSet()
    if not isinstance(raw, Mapping):
        line, col = value_position(node, "facets")
        problems.append(Problem(source, line, col, "invalid-facets", '"facets" must map facet names to declarations'))
        return facets
    for name, body in raw.items():
        line, col = key_position(raw, name)

        def report(message: str, code: str = "invalid-facet", at: tuple[int, int] | None = None, hint: str | None = None) -> None:
            where = at or (line, col)
            problems.append(Problem(source, where[0], where[1], code, f'facet "{name}": {message}', hint))

        if not isinstance(body, Mapping):
            report('a facet is a mapping with "cases" (and "default"), or "given"')
            continue
        for key in body:
            if key not in FACET_KEYS:
                report(f'unknown key "{key}"; known: {", ".join(FACET_KEYS)}', "unknown-key", key_position(body, key),
                       did_you_mean(str(key), FACET_KEYS))
        facet = _compile_one(str(name), body, report, value_position)
        if facet is not None:
            facets.facets[str(name)] = facet
    return facets


def _compile_one(name: str, body: Mapping, report, value_position) -> Facet | None:
    default = str(body.get("default", "other"))
    description = str(body.get("description", "") or "").strip()
    if body.get("given") is not None:
        if body.get("cases"):
            report('"given" and "cases" exclude each other', at=value_position(body, "given"))
            return None
        try:
            return Facet(name, description, (), default, compile_selector(str(body["given"])))
        except SelectorError as exc:
            report(f'"given" is not valid JSONPath: {exc}', "invalid-jsonpath", value_position(body, "given"))
            return None
    cases = body.get("cases")
    if not isinstance(cases, (list, tuple)) or not cases:
        report('needs "cases": a list of {value: label, when: predicate}, or "given"')
        return None
    compiled = []
    for index, case in enumerate(cases):
        at = _item_position(cases, index)
        if not isinstance(case, Mapping) or "value" not in case or "when" not in case:
            report(f"case {index + 1} needs \"value\" and \"when\"", at=at)
            continue
        extra = [k for k in case if k not in CASE_KEYS]
        if extra:
            report(f'case {index + 1}: unknown key "{extra[0]}"; known: value, when', "unknown-key", at)
            continue
        try:
            compiled.append((str(case["value"]), compile_predicate(_plain(case["when"]), f"case {index + 1} \"when\"")))
        except PredicateError as exc:
            report(str(exc), at=value_position(case, "when"))
    if len(compiled) != len(cases):
        return None
    return Facet(name, description, tuple(compiled), default)


def _item_position(sequence: object, index: int) -> tuple[int, int] | None:
    try:
        line, col = sequence.lc.item(index)
        return line + 1, col + 1
    except (AttributeError, KeyError, IndexError, TypeError):
        return None


def _plain(value: object) -> object:
    return plain(value)
