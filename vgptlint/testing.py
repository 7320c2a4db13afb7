"""Run rule-pack examples: every rule's ``examples`` are its tests.

``examples`` in a rule:
  valid:   records (or ``{record: ..., kind: ..., spec: ...}``, or ``{dataset: [...]}`` for aggregates)
           on which the rule must say nothing;
  invalid: ``{record: ...}`` / ``{dataset: [...]}`` (an entry ``{times: N, record: {...}}`` repeats a record) with optional ``expect`` (the exact list of the
           rule's findings, each ``{path, message}``), ``fixed`` (the record after its fixes),
           ``kind`` (sft/dpo/kto; default: inferred) and ``spec`` (LLaMA-Factory dataset_info entry).
A pack may name ``example_catalog:`` (relative to the pack) for rules that need a schema catalog.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vgptlint.builtins import load_builtins
from vgptlint.inputs.locate import parse_pointer
from vgptlint.inputs.read import read_bytes
from vgptlint.llamafactory.dataset_info import spec_from_entry
from vgptlint.model import Finding
from vgptlint.policy.load import load_policy
from vgptlint.policy.model import Policy
from vgptlint.policy.yamlio import load_yaml, plain
from vgptlint.resources import builtin_files
from vgptlint.run.engine import FileFindings, FindingList, infer_kind, lint_file
from vgptlint.run.setup import FileTask, local_setup
from vgptlint.select.jsonpath import to_json_path
from vgptlint.sql.catalog import load_catalog


@dataclass(frozen=True)
class ExampleCase:
    pack_path: Path
    rule_id: str
    index: int
    is_valid: bool
    records: tuple
    expect: tuple | None
    fixed: object
    kind: str | None
    spec: dict | None
    files: dict | None = None  # {name: JSON value}: files written beside the example (e.g. held-out questions)

    @property
    def test_id(self) -> str:
        return f"{self.pack_path.stem}:{self.rule_id}:{'valid' if self.is_valid else 'invalid'}{self.index}"


def example_cases(pack_paths: list[Path] | None = None) -> list[ExampleCase]:
    cases = []
    for path in pack_paths or builtin_files("rules"):
        document = plain(load_yaml(path, str(path))) or {}
        for rule_id, body in (document.get("rules") or {}).items():
            if not isinstance(body, dict) or "then" not in body:
                continue
            examples = body.get("examples") or {}
            for is_valid, key in ((True, "valid"), (False, "invalid")):
                for index, item in enumerate(examples.get(key) or []):
                    cases.append(_case(path, rule_id, index, is_valid, item))
    return cases


def _case(path: Path, rule_id: str, index: int, is_valid: bool, item: object) -> ExampleCase:
    wrapped = isinstance(item, dict) and ("record" in item or "dataset" in item)
    if not wrapped:
        return ExampleCase(path, rule_id, index, is_valid, (item,), None, None, None, None)
    records = tuple(_expand(item["dataset"])) if "dataset" in item else (item["record"],)
    expect = tuple(item["expect"]) if "expect" in item else None
    return ExampleCase(path, rule_id, index, is_valid, records, expect, item.get("fixed"), item.get("kind"), item.get("spec"),
                       item.get("files"))


def _expand(dataset: list) -> list:
    """``{times: 40, record: {...}}`` in a dataset stands for the record 40 times (a share needs
    enough records to be evidence)."""
    records = []
    for entry in dataset:
        if isinstance(entry, dict) and set(entry) == {"times", "record"}:
            records += [entry["record"]] * int(entry["times"])
        else:
            records.append(entry)
    return records


_POLICIES: dict[Path, Policy] = {}


def pack_policy(path: Path) -> Policy:
    if path not in _POLICIES:
        load_builtins()
        policy = _POLICIES[path] = load_policy(str(path))
        # Examples are a few records on purpose: their dataset-level findings are judged at any size.
        policy.settings["settings"] = {**(policy.settings.get("settings") or {}), "min_records": 0}
    return _POLICIES[path]


def example_services(path: Path) -> dict:
    document = plain(load_yaml(path, str(path))) or {}
    services: dict = {}
    if document.get("example_catalog"):
        services["catalog"] = load_catalog((path.parent / document["example_catalog"],))
    return services


def run_case(case: ExampleCase) -> list[Finding]:
    """The findings of the case's rule on the case's records (a JSON array written with indent 2).

    With ``files``, they are written to a temporary directory that is the working directory meanwhile.
    """
    if case.files:
        with tempfile.TemporaryDirectory() as scratch, _working_directory(scratch):
            for name, content in case.files.items():
                (Path(scratch) / name).write_text(json.dumps(content, indent=2, ensure_ascii=False), encoding="utf-8")
            return _run_case(case)
    return _run_case(case)


@contextmanager
def _working_directory(path: str) -> Iterator[None]:
    """contextlib.chdir, which Python 3.10 lacks."""
    before = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


def _run_case(case: ExampleCase) -> list[Finding]:
    policy = pack_policy(case.pack_path)
    rule = policy.rules[case.rule_id]
    kind = case.kind or infer_kind(case.records[0] if case.records else {})
    spec = example_spec(case.spec) if case.spec is not None else None
    data = json.dumps(list(case.records), indent=2, ensure_ascii=False).encode()
    task = FileTask(path="example.json", display="example.json", kind=kind, spec=spec)
    setup = local_setup(policy, {rule.id: rule}, example_services(case.pack_path))
    sink = FileFindings(FindingList(), task.display)
    lint_file(setup, task, sink, records=read_bytes(data, "example.json", ".json"))
    return [f for f in sink.target if f.rule == rule.id]


def example_spec(raw: dict):
    return spec_from_entry("example", raw)


def describe(findings: list[Finding]) -> list[dict]:
    """Findings as ``{path, message}`` for comparison with ``expect``."""
    out = []
    for finding in findings:
        parts = tuple(int(p) if p.isdigit() else p for p in parse_pointer(finding.location.pointer))
        out.append({"path": to_json_path(parts), "message": finding.message})
    return out
