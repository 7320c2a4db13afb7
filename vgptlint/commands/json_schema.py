"""The policy file's JSON Schema, generated from the code that loads policies.

Editors (VS Code's YAML extension, JetBrains, anything reading SchemaStore) complete and check a
policy as it is typed from this schema. It is built from what the loader itself reads, so the two
cannot drift apart: the document, rule and override keys of :mod:`vgptlint.policy.load` and
:mod:`vgptlint.policy.compile`, the severity words of :class:`~vgptlint.model.Severity`, and the
option dataclasses of every registered function, accumulator and fixer (their type hints, choices
and defaults, read as :func:`~vgptlint.functions.base.build_options` reads them). Overrides of a
shipped rule (``rules: {output-too-short: {options: {min: 40}}}``) are checked against the options
of that rule's own functions, as the loader checks them.

The schema ships in the package (``policy.schema.json`` beside this module); ``vgptlint schema``
prints it and a test fails when the shipped copy differs from what this module generates.
Regenerate it with ``vgptlint schema -o vgptlint/policy/policy.schema.json``.
"""
from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path

from vgptlint.aggregates.base import ACCUMULATORS
from vgptlint.builtins import load_builtins
from vgptlint.commands.docs import all_rules
from vgptlint.facets import CASE_KEYS, FACET_KEYS
from vgptlint.fixes.base import FIXERS
from vgptlint.functions.base import REGISTRY, option_default
from vgptlint.model import Applicability, Severity
from vgptlint.policy.compile import REQUIREMENTS, RULE_ID, RULE_KEYS
from vgptlint.policy.load import DOCUMENT_KEYS, OVERRIDE_KEYS
from vgptlint.policy.model import DATASET_FORMATS, DATASET_KINDS, RULE_KINDS, CompiledRule
from vgptlint.review.suppress import IGNORE_KEYS

SCHEMA_FILE = Path(__file__).parent.parent / "policy" / "policy.schema.json"  # shipped as vgptlint.policy package data
SCHEMA_ID = "https://raw.githubusercontent.com/vgptlint/vgptlint/main/vgptlint/policy/policy.schema.json"
# File names editors should associate with the schema (SchemaStore's ``fileMatch``).
FILE_MATCH = ("vgptlint.yaml", ".vgptlint.yaml", "*.vgptlint.yaml", "vgptlint.yml", ".vgptlint.yml", "*.vgptlint.yml")
FAIL_ON_WORDS = (*(s.value for s in Severity if s is not Severity.OFF), "never")

_STRING = {"type": "string"}
_STRINGS = {"anyOf": [_STRING, {"type": "array", "items": _STRING}]}
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_REF = "#/definitions/"

# How each document and rule key is written. The key lists themselves come from the loader; a test
# checks that these tables describe exactly those keys.
DOCUMENT_VALUES: dict[str, dict] = {
    "pack": _STRING,
    "description": _STRING,
    "extends": _STRINGS,
    "rules": {"$ref": _REF + "rules"},
    "fail-on": {"enum": list(FAIL_ON_WORDS)},
    "dialect": {"type": "string", "examples": ["tsql"]},
    "catalog": _STRINGS,
    "dataset_info": {"type": ["string", "null"]},
    "datasets": {"type": "object", "additionalProperties": {"enum": list(DATASET_KINDS)}},
    "overrides": {"if": {"type": "array"}, "then": {"items": {"$ref": _REF + "fileOverride"}},  # one entry or a list
                  "else": {"$ref": _REF + "fileOverride"}},
    "functions": _STRINGS,
    "trainer": {"type": ["string", "null"], "examples": ["llamafactory"]},
    "facets": {"type": "object", "additionalProperties": {"$ref": _REF + "facet"}},
    "settings": {"type": "object"},
    "example_catalog": _STRING,
    "baseline": _STRING,
    "train_config": {"type": ["string", "null"]},
    "ignore": {"anyOf": [{"$ref": _REF + "ignoreEntry"}, {"type": "array", "items": {"$ref": _REF + "ignoreEntry"}}]},
}
RULE_VALUES: dict[str, tuple[dict, str]] = {
    "description": (_STRING, "What the rule checks (first line: the summary `vgptlint rules` shows)."),
    "severity": ({"$ref": _REF + "severity"}, "error, warning, info, or off (disabled)."),
    "kind": ({"enum": list(RULE_KINDS)}, "record (default): one record at a time; aggregate: the whole dataset."),
    "where": ({"$ref": _REF + "where"}, "Which files and records the rule applies to."),
    "given": (_STRINGS, "JSONPath expression(s) selecting the values to check (default: $, the record)."),
    "then": ({}, "The function (or list of functions) that checks each selected value."),
    "message": (_STRING, "Message template; {message}, {field}, {path}, {value} and function data fill in."),
    "fix": ({"$ref": _REF + "fix"}, "How to fix a finding: a fixer, or fields to set."),
    "rationale": (_STRING, "Why the rule exists (shown by `vgptlint explain`)."),
    "help_uri": ({"type": "string", "format": "uri"}, "Documentation link (SARIF helpUri)."),
    "examples": ({"type": "object"}, "valid/invalid records: the rule's own tests."),
    "aliases": ({"type": "array", "items": {"type": "string", "pattern": RULE_ID.pattern}}, "Former ids of this rule."),
    "requires": ({"type": "array", "items": {"enum": list(REQUIREMENTS)}}, "Services the rule needs to run."),
}


def generate_schema(rules: Iterable[CompiledRule] | None = None) -> dict:
    """The policy schema for the registered functions, accumulators and fixers.

    Args:
        rules: rules whose overrides get their own option checks (default: every shipped rule).
    """
    load_builtins()
    shipped = sorted(all_rules() if rules is None else rules, key=lambda r: r.id)
    rule_properties = {}
    for rule in shipped:
        for name in (rule.id, *rule.aliases):
            rule_properties[name] = {"$ref": f"{_REF}shippedRule/{name}"}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "vgptlint policy",
        "description": "A vgptlint policy or rule pack (https://github.com/vgptlint/vgptlint).",
        "type": ["object", "null"],  # an empty file is an empty policy
        "properties": {key: {**DOCUMENT_VALUES[key], "description": text} for key, text in DOCUMENT_KEYS.items()},
        "additionalProperties": False,
        # Function names are checked against the registered ones unless the document imports its own.
        "if": {"required": ["functions"]},
        "else": {"properties": {"rules": {"$ref": _REF + "knownFunctions"}}},
        "definitions": {
            "severity": {"enum": [s.value for s in Severity]},
            "rules": {
                "type": "object",
                "description": "Rule id -> definition (with `then`), override, or severity word.",
                "propertyNames": {"pattern": RULE_ID.pattern},
                "properties": rule_properties,
                "additionalProperties": {"$ref": _REF + "rule"},
            },
            "rule": _rule_schema({}),
            "ruleDefinition": _rule_definition(),
            "ruleOverride": _rule_override(),
            "shippedRule": {name: _rule_schema(_rule_options(rule)) for rule in shipped for name in (rule.id, *rule.aliases)},
            **_then_schemas(REGISTRY, "function", "function"),
            **_then_schemas(ACCUMULATORS, "aggregate", "aggregate function"),
            "knownFunctions": _known_functions(),
            "fix": _fix_schema(),
            "where": _where_schema(),
            "fileOverride": {
                "type": "object",
                "required": ["files"],
                "properties": {"files": _STRINGS, "rules": {"$ref": _REF + "rules"}},
                "additionalProperties": False,
            },
            "facet": _facet_schema(),
            "ignoreEntry": {
                "type": "object",
                "properties": {"fingerprint": _STRING, "files": _STRINGS, "rules": _STRINGS, "reason": _STRING},
                "propertyNames": {"enum": list(IGNORE_KEYS)},
            },
            "options": {kind: {name: options_schema(target.options, target.doc) for name, target in sorted(registry.items())}
                        for kind, registry in (("function", REGISTRY), ("aggregate", ACCUMULATORS), ("fixer", FIXERS))},
        },
    }


def render_schema(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def shipped_schema_text() -> str:
    return SCHEMA_FILE.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------- rules


def _rule_schema(options: dict) -> dict:
    """A rule entry: a severity word, a definition (it has ``then``) or an override whose ``options``
    are checked against ``options``."""
    override = {"allOf": [{"$ref": _REF + "ruleOverride"}, {"properties": {"options": options}}]}
    return _by_type(string={"$ref": _REF + "severity"},
                    other={"type": "object", "if": {"required": ["then"]}, "then": {"$ref": _REF + "ruleDefinition"}, "else": override})


def _by_type(*, string: dict, other: dict, array: dict | None = None) -> dict:
    """One schema per JSON type, chosen with if/then: editors then report the error of the branch
    the user meant, not "valid under none of anyOf"."""
    rest = other if array is None else {"if": {"type": "array"}, "then": array, "else": other}
    return {"if": {"type": "string"}, "then": string, "else": rest}


def _rule_definition() -> dict:
    return {
        "properties": {key: {**value, "description": text} for key, (value, text) in RULE_VALUES.items()},
        "propertyNames": {"enum": list(RULE_KEYS)},
        "required": ["then"],
        "if": {"properties": {"kind": {"const": "aggregate"}}, "required": ["kind"]},
        "then": {"properties": {"then": {"$ref": _REF + "aggregateThen"}}},
        "else": {"properties": {"then": {"$ref": _REF + "functionThen"}}},
    }


def _rule_override() -> dict:
    values = {**RULE_VALUES, "options": ({"type": "object"}, "Option values for the rule's functions.")}
    return {"properties": {key: {**values[key][0], "description": values[key][1]} for key in OVERRIDE_KEYS},
            "propertyNames": {"enum": list(OVERRIDE_KEYS)}}


def _rule_options(rule: CompiledRule) -> dict:
    """An override's ``options`` for a known rule: an option of any of its functions, nothing else."""
    targets = [(check.function, "function") for check in rule.checks]
    if rule.accumulator is not None:
        targets.append((rule.accumulator, "aggregate"))
    properties: dict[str, list[dict]] = {}
    for target, kind in targets:
        for field in dataclasses.fields(target.options):
            if field.init:
                ref = {"$ref": f"{_REF}options/{kind}/{target.name}/properties/{field.name}"}
                properties.setdefault(field.name, []).append(ref)
    merged = {name: refs[0] if len(refs) == 1 else {"anyOf": refs} for name, refs in properties.items()}
    return {"properties": merged, "additionalProperties": False}


def _then_schemas(registry: Mapping[str, object], kind: str, noun: str) -> dict:
    """``then``: a name, an entry with options, or a list of either; as definitions ``<kind>Then``,
    ``<kind>Name`` (any name, the registered ones offered first) and ``<kind>Entry``."""
    names = sorted(registry)
    name, entry = {"$ref": f"{_REF}{kind}Name"}, {"$ref": f"{_REF}{kind}Entry"}
    return {
        f"{kind}Then": _by_type(string=name, array={"minItems": 1, "items": _by_type(string=name, other=entry)}, other=entry),
        f"{kind}Name": {"anyOf": [{"enum": names}, {"type": "string"}], "description": f"The {noun} to call."},
        f"{kind}Entry": {
            "type": "object",
            "required": ["function"],
            "properties": {"function": name, "options": {"type": "object"}, "field": {"type": ["string", "integer"]}},
            "additionalProperties": False,
            "allOf": [_when_named("function", function, kind) for function in names],
        },
    }


def _known_functions() -> dict:
    """Rules whose ``then`` names only registered functions (a document without ``functions:``)."""

    def naming(names: list[str]) -> dict:
        known = {"enum": names}
        entry = {"properties": {"function": known}}
        return {"properties": {"then": _by_type(string=known, array={"items": _by_type(string=known, other=entry)}, other=entry)}}

    definition = {"if": {"properties": {"kind": {"const": "aggregate"}}, "required": ["kind"]},
                  "then": naming(sorted(ACCUMULATORS)), "else": naming(sorted(REGISTRY))}
    return {"patternProperties": {"": {"if": {"type": "object", "required": ["then"]}, "then": definition}}}


def _when_named(key: str, name: str, kind: str) -> dict:
    """``if {key} is name then options are name's options`` (if/then gives editors readable errors)."""
    return {"if": {"properties": {key: {"const": name}}, "required": [key]},
            "then": {"properties": {"options": {"$ref": f"{_REF}options/{kind}/{name}"}}}}


def _fix_schema() -> dict:
    names = sorted(FIXERS)
    entry = {
        "type": "object",
        "properties": {
            "fixer": {"enum": names},
            "options": {"type": "object"},
            "applicability": {"enum": [a.value for a in Applicability]},
            "set": {"type": "object", "minProperties": 1, "description": "Fields to set on the record."},
            "title": _STRING,
        },
        "additionalProperties": False,
        "allOf": [_when_named("fixer", name, "fixer") for name in names],
    }
    return _by_type(string={"enum": names}, other=entry)


def _where_schema() -> dict:
    kinds, formats = {"enum": list(DATASET_KINDS)}, {"enum": list(DATASET_FORMATS)}
    scalars = {"anyOf": [_SCALAR, {"type": "array", "items": _SCALAR}]}
    conditions = {
        "type": "object",
        "properties": {
            "kind": _by_type(string=kinds, other={"type": "array", "items": kinds}),
            "format": _by_type(string=formats, other={"type": "array", "items": formats}),
            "absent": _STRINGS,
            "present": _STRINGS,
            "unless": {"type": "object", "additionalProperties": scalars},
        },
        "additionalProperties": scalars,  # any other key names a facet the policy declares
    }
    return _by_type(string=kinds, array={"items": kinds}, other=conditions)


def _facet_schema() -> dict:
    case = {"type": "object", "required": list(CASE_KEYS), "properties": {"value": _SCALAR, "when": {"type": "object"}},
            "additionalProperties": False}
    properties = {"description": _STRING, "cases": {"type": "array", "minItems": 1, "items": case},
                  "default": _SCALAR, "given": _STRING}
    return {"type": "object", "properties": {key: properties[key] for key in FACET_KEYS}, "additionalProperties": False}


# ------------------------------------------------------------------------------- option dataclasses


def options_schema(cls: type, doc: str = "") -> dict:
    """The schema of an options dataclass, read as ``build_options`` reads it."""
    hints = typing.get_type_hints(cls)
    properties, required = {}, []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        choices = field.metadata.get("choices")
        schema = {"enum": list(choices)} if choices else type_schema(hints[field.name])
        default = _default(field)
        if default is not dataclasses.MISSING:
            schema["default"] = default
        else:
            required.append(field.name)
        properties[field.name] = schema
    out: dict = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        out["required"] = required
    text = " ".join(part for part in ((doc or "").split("\n\n")[0].strip(), (cls.__doc__ or "").strip()) if part)
    if text:
        out["description"] = " ".join(text.split())
    return out


def type_schema(hint: object) -> dict:
    """JSON Schema for a type hint, accepting what ``functions.base._accepts`` accepts.

    >>> type_schema(int | None), type_schema(tuple[str, ...])
    ({'type': ['integer', 'null']}, {'type': 'array', 'items': {'type': 'string'}})
    """
    origin = typing.get_origin(hint)
    if hint is typing.Any or hint is object:
        return {}
    if origin in (typing.Union, types.UnionType):
        parts = [type_schema(arg) for arg in typing.get_args(hint)]
        if all(set(part) == {"type"} and isinstance(part["type"], str) for part in parts):
            return {"type": [part["type"] for part in parts]}
        return {"anyOf": parts}
    if origin is typing.Literal:
        return {"enum": list(typing.get_args(hint))}
    if hint is type(None):
        return {"type": "null"}
    if origin in (tuple, list) or hint in (tuple, list):
        args = typing.get_args(hint)
        return {"type": "array", "items": type_schema(args[0])} if args else {"type": "array"}
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        return {"type": "object"}
    names = {bool: "boolean", int: "integer", float: "number", str: "string"}
    return {"type": names[hint]} if hint in names else {}


def _default(field: dataclasses.Field) -> object:
    value = option_default(field)
    if value is dataclasses.MISSING:
        return value
    return json.loads(json.dumps(value))  # tuples -> lists, as YAML writes them
