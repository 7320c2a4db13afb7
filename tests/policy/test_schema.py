"""The policy JSON Schema: generated from the loader's own tables and option dataclasses, shipped, and
in agreement with what the loader accepts.

Regenerate the shipped copy with:  vgptlint schema -o vgptlint/policy/policy.schema.json
"""
from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import typing
from pathlib import Path

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match
import pytest
from ruamel.yaml import YAML
from tests.integration.helpers import run_cli

from vgptlint.aggregates.base import ACCUMULATORS
from vgptlint.builtins import load_builtins
from vgptlint.commands.json_schema import (DOCUMENT_VALUES, FILE_MATCH, RULE_VALUES, SCHEMA_FILE, SCHEMA_ID, generate_schema,
                                          render_schema)
from vgptlint.fixes.base import FIXERS
from vgptlint.functions.base import OptionError, REGISTRY, build_options
from vgptlint.policy.compile import RULE_KEYS
from vgptlint.policy.load import DOCUMENT_KEYS, OVERRIDE_KEYS
from vgptlint.policy.yamlio import load_yaml, plain
from vgptlint.resources import builtin_files

ROOT = Path(__file__).resolve().parents[2]
CASES = Path(__file__).parent / "cases"
REGENERATE = "vgptlint/policy/policy.schema.json is stale; regenerate it: vgptlint schema -o vgptlint/policy/policy.schema.json"


@pytest.fixture(scope="module")
def validator() -> Draft7Validator:
    return Draft7Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def problem(validator: Draft7Validator, yaml_text: str) -> tuple[list, str] | None:
    """The error an editor would show first: (JSON path, message), or None when the document is valid."""
    error = best_match(validator.iter_errors(plain(YAML(typ="rt").load(yaml_text))))
    return None if error is None else (list(error.absolute_path), error.message)


@pytest.fixture(scope="module")
def printed() -> str:
    """What `vgptlint schema` prints, in a fresh process: other tests register test-only functions
    in this one, which a schema generated here would list."""
    done = subprocess.run([sys.executable, "-m", "vgptlint", "schema"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_shipped_schema_is_the_generated_one(printed):
    assert SCHEMA_FILE.read_text(encoding="utf-8") == printed, REGENERATE


def test_schema_output_option_writes_the_same_text(tmp_path):
    assert run_cli("schema", "-o", str(tmp_path / "s.json")).exit_code == 0
    assert (tmp_path / "s.json").read_text(encoding="utf-8") == render_schema(generate_schema())


def test_schema_is_a_valid_draft7_schema_with_an_id_and_title():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft7Validator.check_schema(schema)
    assert schema["$id"] == SCHEMA_ID and schema["$id"].endswith("/vgptlint/policy/policy.schema.json")
    assert schema["title"] == "vgptlint policy"
    assert "vgptlint.yaml" in FILE_MATCH and "*.vgptlint.yaml" in FILE_MATCH


def test_schema_tables_describe_exactly_the_loaders_keys():
    where = "describe each key the loader accepts in vgptlint/commands/json_schema.py"
    assert set(DOCUMENT_VALUES) == set(DOCUMENT_KEYS), f"{where} (DOCUMENT_VALUES)"
    assert set(RULE_VALUES) == set(RULE_KEYS), f"{where} (RULE_VALUES)"
    assert set(OVERRIDE_KEYS) <= set(RULE_KEYS) | {"options"}


@pytest.mark.parametrize("path", builtin_files("rules") + builtin_files("policies"), ids=lambda p: p.name)
def test_every_shipped_policy_and_pack_is_valid(path, validator):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(plain(load_yaml(path, str(path))))]
    assert errors == []


def test_readme_policies_are_valid(validator):
    """The policies the README shows (each ``# file: NAME.yaml`` block) are what users copy."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in readme.split("```yaml\n")[1:]]
    policies = [b for b in blocks if b.startswith("# file: ") and ".yaml" in b.splitlines()[0]]
    assert len(policies) >= 3
    for block in policies:
        assert problem(validator, block) is None, block


@pytest.mark.parametrize("yaml_text, path, message", [
    ("extends: [sft]\nrules:\n  output-too-short:\n    options: {minimum: 30}\n",
     ["rules", "output-too-short", "options"], "Additional properties are not allowed ('minimum' was unexpected)"),
    ("extends: [sft]\nrules:\n  input-empty: warn\n",
     ["rules", "input-empty"], "'warn' is not one of ['error', 'warning', 'info', 'off']"),
    ("rules:\n  output-too-short:\n    severity: warnings\n",
     ["rules", "output-too-short", "severity"], "'warnings' is not one of ['error', 'warning', 'info', 'off']"),
    ("rules:\n  output-too-short:\n    options: {min: forty}\n",
     ["rules", "output-too-short", "options", "min"], "'forty' is not of type 'integer', 'null'"),
    ("rules:\n  sql-nolock-missing:\n    options: {require: NOLOCK}\n",
     ["rules", "sql-nolock-missing", "options", "require"], "'NOLOCK' is not of type 'array'"),
    ("fail-on: warnings\n", ["fail-on"], "'warnings' is not one of ['error', 'warning', 'info', 'never']"),
    ("rulez: {}\n", [], "Additional properties are not allowed ('rulez' was unexpected)"),
    ("rules:\n  my-rule:\n    then: {function: length, options: {min: 3, mxa: 4}}\n",
     ["rules", "my-rule", "then", "options"], "Additional properties are not allowed ('mxa' was unexpected)"),
    ("rules:\n  my-rule:\n    then: {function: sql_ast, options: {message: m}}\n",
     ["rules", "my-rule", "then", "options"], "'node' is a required property"),
    ("rules:\n  my-rule:\n    kind: aggregate\n    then: {function: ratio, options: {max: lots}}\n",
     ["rules", "my-rule", "then", "options", "max"], "'lots' is not of type 'number', 'null'"),
    ("rules:\n  my-rule:\n    then: truthy\n    fix: {fixer: inject_table_hint, options: {hint: 3}}\n",
     ["rules", "my-rule", "fix", "options", "hint"], "3 is not of type 'string'"),
    ("rules:\n  my-rule:\n    then: truthy\n    where: [sft, dppo]\n",
     ["rules", "my-rule", "where", 1], "'dppo' is not one of ['sft', 'dpo', 'kto', 'eval']"),
    ("rules:\n  My_Rule:\n    then: truthy\n", ["rules"], "'My_Rule' does not match '^[a-z][a-z0-9]*(-[a-z0-9]+)*$'"),
    ("datasets: {'*.jsonl': dop}\n", ["datasets", "*.jsonl"], "'dop' is not one of ['sft', 'dpo', 'kto', 'eval']"),
    ("dataset_info: 3.14\n", ["dataset_info"], "3.14 is not of type 'string', 'null'"),
    ("pack: [1, 2]\n", ["pack"], "[1, 2] is not of type 'string'"),
    ("rules:\n  my-rule:\n    given: 12\n    then: truthy\n", ["rules", "my-rule", "given"],
     "12 is not valid under any of the given schemas"),
])
def test_known_mistakes_fail_where_they_are_written(validator, yaml_text, path, message):
    assert problem(validator, yaml_text) == (path, message)


def test_an_aggregate_rule_names_an_aggregate_function(validator):
    found = problem(validator, "rules:\n  my-rule:\n    kind: aggregate\n    then: length\n")
    assert found is not None and found[0] == ["rules", "my-rule", "then"] and found[1].startswith("'length' is not one of")


@pytest.mark.parametrize("yaml_text", [
    "extends: [pretrain]\nrules:\n  output-too-short: {severity: info, options: {min: 30}}\n  input-empty: warning\n",
    "rules:\n  my-rule:\n    given: [$.output, $.chosen]\n    then: [truthy, {function: length, options: {max: 9}, field: output}]\n",
    "overrides:\n  - files: ['*/kto.jsonl']\n    rules: {output-too-short: off}\n",
    "overrides: {files: '*/kto.jsonl', rules: {output-too-short: off}}\n",
    "ignore:\n  - {files: ['legacy/*.json'], rules: [output-too-short], reason: old}\n  - {fingerprint: 0b03}\n",
    "",
])
def test_good_policies_pass(validator, yaml_text):
    assert problem(validator, yaml_text) is None


SCHEMA_DETECTABLE = ("bad_fail_on", "bad_option_type", "bad_severity", "override_option", "unknown_fixer",
                     "unknown_function", "unknown_top_key")


@pytest.mark.parametrize("name", SCHEMA_DETECTABLE)
def test_the_loaders_bad_policy_cases_fail_the_schema_too(validator, name):
    assert problem(validator, (CASES / f"{name}.yaml").read_text(encoding="utf-8")) is not None


# Values of every JSON type: for each option of each function, the schema and the loader must agree
# on which of them the option's type accepts.
CANDIDATES = (None, True, 3, 2.5, "text", ["text"], [3], {"k": "v"})


def _option_fields():
    """Every option of every function, aggregate function and fixer the shipped schema describes."""
    load_builtins()
    described = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["definitions"]["options"]
    for kind, registry in (("function", REGISTRY), ("aggregate", ACCUMULATORS), ("fixer", FIXERS)):
        for name in sorted(described[kind]):
            for field in dataclasses.fields(registry[name].options):
                if field.init:
                    yield pytest.param(kind, name, registry[name].options, field.name, id=f"{name}.{field.name}")


@pytest.mark.parametrize("kind, name, options_class, field_name", list(_option_fields()))
def test_schema_and_loader_agree_on_option_types(kind, name, options_class, field_name):
    field_schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))["definitions"]["options"][kind][name]["properties"][field_name]
    check = Draft7Validator(field_schema)
    for value in CANDIDATES:
        try:
            build_options(options_class, {field_name: value})
            loader_accepts = True
        except OptionError as exc:
            loader_accepts = exc.key != field_name  # an error about another option or a cross-option rule
        assert check.is_valid(value) == loader_accepts, (value, typing.get_type_hints(options_class)[field_name])
    if "default" in field_schema:
        assert check.is_valid(field_schema["default"])
