"""What the language server asks of vgptlint, through its public API: lint a dataset buffer, load a
policy buffer, explain a rule. Positions come back as vgptlint gives them (1-based lines, 1-based
columns counting code points); :mod:`vgptlint.server.positions` turns them into LSP positions.

An editor's buffer may differ from the file on disk, so the buffer is linted from a temporary copy
while the run is prepared for the real path: the dataset kind, ``dataset_info`` entry, override globs
and suppressions are those ``vgptlint check PATH`` would use.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from vgptlint.api import CATALOG_NAMES, CheckOptions, execute, prepare
from vgptlint.builtins import load_builtins
from vgptlint.commands.docs import anchor, explain_rule
from vgptlint.errors import PolicyError, Problem, VgptlintError
from vgptlint.fixes.apply import apply_fixes
from vgptlint.fixes.layout import base_indent
from vgptlint.fixes.regions import file_replacements
from vgptlint.fixes.splice import common_affixes, rewrite_record_text
from vgptlint.inputs.locate import record_position
from vgptlint.inputs.read import read_source
from vgptlint.inputs.records import Record
from vgptlint.inputs.style import describe_file
from vgptlint.model import Applicability, Finding, SetValue
from vgptlint.policy.compile import RULE_ID
from vgptlint.policy.load import display_path, load_policy, resolve_reference
from vgptlint.policy.model import Policy
from vgptlint.reports.base import FileReplacement, project_uri
from vgptlint.run.setup import compiled, with_compiled


@dataclass(frozen=True, slots=True)
class LintedFinding:
    """A finding of the linted buffer, with what the editor needs beside it."""

    finding: Finding
    help_uri: str
    is_dataset_level: bool  # from an aggregate rule: run on open and save, not on every change
    replacements: tuple[FileReplacement, ...] = ()  # the safe fix's edits in the buffer, when it has any


@dataclass(frozen=True, slots=True)
class DatasetLint:
    findings: tuple[LintedFinding, ...]
    notes: tuple[str, ...] = ()
    error: str | None = None  # the run could not start (a broken policy): said once, no findings


def lint_dataset(path: Path, text: str, policy: str, *, dataset_level: bool) -> DatasetLint:
    """Lint ``text`` as the content of dataset file ``path``.

    Args:
        dataset_level: also run the aggregate (dataset-level) rules; False runs the record rules only,
            which is what is worth redoing on every change.
    """
    display = display_path(path)
    try:
        loaded = loaded_policy(policy)
        prepared = prepare((display,), _options(path, policy, loaded), policy=loaded)
    except PolicyError as exc:
        return DatasetLint((), error=f"the policy has {len(exc.problems)} problem(s): {exc.problems[0].render()}")
    except VgptlintError as exc:
        return DatasetLint((), error=str(exc))
    rules = prepared.rules
    aggregate_ids = {rule_id for rule_id, rule in rules.items() if rule.kind == "aggregate"}
    if not dataset_level:
        state = compiled(prepared.setup)
        record_rules = {rule_id: rule for rule_id, rule in rules.items() if rule_id not in aggregate_ids}
        prepared.setup = with_compiled(prepared.setup, replace(state, rules=record_rules, plans={}))
    with _buffer_copy(path, text) as copy:
        prepared.tasks = [replace(task, path=str(copy)) for task in prepared.tasks]
        result = execute(prepared)
        findings = [f for f in result.findings if f.location.path == display]
        edits = _safe_replacements(findings, copy, display)
    return DatasetLint(tuple(LintedFinding(f, _help_uri(rules.get(f.rule)), f.rule in aggregate_ids, edits.get(i, ()))
                             for i, f in enumerate(findings)), tuple(prepared.notes))


_POLICIES: dict[tuple, Policy] = {}


def loaded_policy(reference: str) -> Policy:
    """The policy, loaded once per version of its file: loading it is most of a run on a small buffer.

    Raises:
        PolicyError: as :func:`~vgptlint.policy.load.load_policy`.
    """
    load_builtins()  # the policy names functions: they must be registered before it loads
    found = resolve_reference(reference, Path.cwd())
    key = (reference, str(Path.cwd()), None if found is None else _stamp(str(found)))
    if key not in _POLICIES:
        _POLICIES.clear()
        _POLICIES[key] = load_policy(reference)
    return _POLICIES[key]


def forget_policies() -> None:
    """A policy or a file it extends was edited: load it again next time."""
    _POLICIES.clear()


def _options(path: Path, reference: str, policy: Policy) -> CheckOptions:
    """``dataset_info.json`` and a catalog beside the file are used when the policy names none, as
    ``vgptlint check`` does for the files of a directory it is given."""
    folder = path.parent
    info = folder / "dataset_info.json"
    catalogs = [folder / name for name in CATALOG_NAMES if (folder / name).is_file()][:1]
    return CheckOptions(policy=reference, jobs=1,
                        dataset_info=str(info) if info.is_file() and policy.dataset_info is None else None,
                        catalog=tuple(str(c) for c in catalogs) if catalogs and not policy.catalog else ())


@contextlib.contextmanager
def _buffer_copy(path: Path, text: str) -> Iterator[Path]:
    """The buffer in a temporary file of the same name (the suffix decides how it is read)."""
    with tempfile.TemporaryDirectory(prefix="vgptlint-lsp-") as folder:
        copy = Path(folder) / path.name
        copy.write_bytes(text.encode("utf-8"))
        yield copy


def _safe_replacements(findings: list[Finding], copy: Path, display: str) -> dict[int, tuple[FileReplacement, ...]]:
    """For each finding with a safe fix that stays inside its record (text edits, fields set): its
    replacements in file coordinates, as ``vgptlint check --fix`` would write them (one read of the buffer)."""
    wanted: dict[int, list[int]] = {}
    for position, finding in enumerate(findings):
        fix = finding.fix
        if fix is not None and fix.applicability is Applicability.SAFE and finding.location.record_index is not None \
                and (fix.edits or fix.changes) and all(isinstance(change, SetValue) for change in fix.changes):
            wanted.setdefault(finding.location.record_index, []).append(position)
    if not wanted:
        return {}
    info = describe_file(str(copy))
    text = copy.read_text(encoding="utf-8-sig")  # offsets of records exclude a BOM
    out = {}
    for item in read_source(str(copy), display):
        if isinstance(item, Record) and item.index in wanted:
            for position in wanted[item.index]:
                finding = findings[position]
                found = _record_replacement(finding, item, info, base_indent(text, item.offset)) if finding.fix.changes \
                    else file_replacements(finding, item, info)
                if found:
                    out[position] = found
    return out


def _record_replacement(finding: Finding, record: Record, info: object, indent: str) -> tuple[FileReplacement, ...]:
    """A record-level fix (fields set) as one replacement of the part of the record's text it changes."""
    try:
        new_data = apply_fixes(record.data, [finding])
    except ValueError:
        return ()
    new_text = rewrite_record_text(record.text, record.data, new_data, info, indent)
    prefix, suffix = common_affixes(record.text, new_text)
    start = record_position(record, prefix)
    end = record_position(record, len(record.text) - suffix)
    return (FileReplacement(*start, *end, new_text[prefix:len(new_text) - suffix]),)


def _help_uri(rule: object) -> str:
    """The rule's documentation as an absolute URI (an editor opens it), as SARIF's helpUri is made."""
    if rule is None:
        return ""
    if rule.help_uri:
        return rule.help_uri
    base = project_uri("Rules", "Documentation")
    return f"{base}#{anchor(rule.id)}" if base else ""


def check_policy(path: Path, text: str) -> list[Problem]:
    """The problems ``vgptlint check --policy PATH`` would report if PATH held ``text``.

    An edited buffer is written beside the file (a hidden temporary file), so that ``extends``,
    ``catalog`` and other paths relative to the policy resolve as they will once it is saved.
    """
    on_disk = path.read_text(encoding="utf-8") if path.is_file() else None
    if on_disk == text:
        return _problems(str(path), display_path(path))
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".vgptlint-lsp.yaml", dir=path.parent)
    except OSError:  # a read-only folder: check what is saved
        return _problems(str(path), display_path(path)) if on_disk is not None else []
    copy = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
        shown = display_path(copy)
        return [replace(p, source=display_path(path)) if p.source == shown else p for p in _problems(str(copy), shown)]
    finally:
        copy.unlink(missing_ok=True)


def _problems(reference: str, display: str) -> list[Problem]:
    try:
        load_policy(reference)
    except PolicyError as exc:
        return list(exc.problems)
    except VgptlintError as exc:
        return [Problem(display, 1, 1, "invalid-policy", str(exc))]
    return []


def explain(rule_id: str, policies: tuple[str, ...]) -> str | None:
    """``vgptlint explain RULE_ID`` with the first of ``policies`` that loads and knows the rule (else
    the shipped rules), or None for no such rule.

    Remembered until a policy file changes: hovering loads no policy twice.
    """
    if not RULE_ID.match(rule_id):
        return None
    key = (rule_id, tuple((policy, _stamp(policy)) for policy in policies))
    if key not in _EXPLAINED:
        _EXPLAINED[key] = _explain(rule_id, policies)
    return _EXPLAINED[key]


_EXPLAINED: dict[tuple, str | None] = {}


def _stamp(policy: str) -> object:
    try:
        return os.stat(policy).st_mtime_ns
    except OSError:
        return None


def _explain(rule_id: str, policies: tuple[str, ...]) -> str | None:
    for reference in (*policies, None):
        try:
            return explain_rule(rule_id, reference)
        except VgptlintError:
            continue
    return None
