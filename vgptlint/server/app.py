"""``vgptlint server``: a language server (LSP over stdio) built on pygls.

- JSON/JSONL dataset files: findings as diagnostics. The record rules run again on every change
  (debounced); the dataset-level rules, which need the whole file, on open and on save (their last
  findings stay shown in between).
- Policy files (``vgptlint.yaml``, ``*.vgptlint.yaml``, or YAML with ``rules:``/``extends:``): the
  problems ``vgptlint check`` would stop on, as they are typed.
- Quick fixes: a finding's safe fix with text edits (``add WITH (NOLOCK) to APTL``), as a code action.
- Hover: ``vgptlint explain`` for the rule of a diagnostic under the cursor, or a rule id in a policy.

A thin adapter: every answer comes from :mod:`vgptlint.server.lint`, which calls vgptlint's public API.
"""
from __future__ import annotations

import asyncio
import fnmatch
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from vgptlint import __version__
from vgptlint.api import default_policy_reference
from vgptlint.commands.json_schema import FILE_MATCH
from vgptlint.errors import Problem
from vgptlint.inputs.discover import is_dataset_file
from vgptlint.model import Severity
from vgptlint.server.lint import LintedFinding, check_policy, explain, forget_policies, lint_dataset
from vgptlint.server.positions import DocumentText

CHANGE_DELAY_SECONDS = 0.3  # wait for a pause in typing before linting again
# Bigger buffers are linted on open and save only: a whole-file run per pause in typing would lag.
LIVE_LIMIT_CHARACTERS = 8_000_000
SOURCE = "vgptlint"
_SEVERITY = {Severity.ERROR: types.DiagnosticSeverity.Error, Severity.WARNING: types.DiagnosticSeverity.Warning,
             Severity.INFO: types.DiagnosticSeverity.Information}
_POLICY_KEYS = re.compile(r"^(rules|extends|pack):", re.M)
_WORD = re.compile(r"[A-Za-z0-9_-]+")


@dataclass
class Shown:
    """What is shown for one document: each diagnostic beside the finding it came from."""

    version: int | None = None
    record_level: list[tuple[types.Diagnostic, LintedFinding | None]] = field(default_factory=list)
    dataset_level: list[tuple[types.Diagnostic, LintedFinding | None]] = field(default_factory=list)
    pending: asyncio.Task | None = None


class VgptlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(SOURCE, __version__)
        self.policy: str | None = None  # from initializationOptions, else vgptlint.yaml in the root, else pretrain
        self.shown: dict[str, Shown] = {}
        self.last_error: str | None = None  # said once, not on every keystroke

    def policy_reference(self) -> str:
        return self.policy or default_policy_reference()


server = VgptlintServer()


@server.feature(types.INITIALIZE)
def initialize(ls: VgptlintServer, params: types.InitializeParams) -> None:
    root = params.root_uri or (params.workspace_folders[0].uri if params.workspace_folders else None)
    if root:
        # Relative paths (reports, policy references, override globs) read as from the project root,
        # as `vgptlint check` run there would read them.
        os.chdir(to_fs_path(root))
    options = params.initialization_options if isinstance(params.initialization_options, dict) else {}
    if options.get("policy"):
        ls.policy = str(options["policy"])


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: VgptlintServer, params: types.DidOpenTextDocumentParams) -> None:
    lint(ls, params.text_document.uri, dataset_level=True)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: VgptlintServer, params: types.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    lint(ls, uri, dataset_level=True)
    if kind_of(ls, uri) == "policy":  # the rules of every open dataset may have changed
        for other in list(ls.shown):
            if other != uri and kind_of(ls, other) == "dataset":
                lint(ls, other, dataset_level=True)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: VgptlintServer, params: types.DidChangeTextDocumentParams) -> None:
    shown = ls.shown.setdefault(params.text_document.uri, Shown())
    if shown.pending is not None:
        shown.pending.cancel()
    shown.pending = asyncio.get_running_loop().create_task(_lint_after_pause(ls, params.text_document.uri))


async def _lint_after_pause(ls: VgptlintServer, uri: str) -> None:
    await asyncio.sleep(CHANGE_DELAY_SECONDS)
    if len(ls.workspace.get_text_document(uri).source) <= LIVE_LIMIT_CHARACTERS:
        lint(ls, uri, dataset_level=False)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: VgptlintServer, params: types.DidCloseTextDocumentParams) -> None:
    shown = ls.shown.pop(params.text_document.uri, None)
    if shown is not None and shown.pending is not None:
        shown.pending.cancel()
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))


def kind_of(ls: VgptlintServer, uri: str) -> str | None:
    """"dataset", "policy" or None (not ours) for a document."""
    if not uri.startswith("file:"):
        return None
    path = Path(to_fs_path(uri))
    if path.suffix.lower() in (".yaml", ".yml"):
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in FILE_MATCH):
            return "policy"
        # a policy or rule pack by another name (policies/, rules/)
        return "policy" if _POLICY_KEYS.search(ls.workspace.get_text_document(uri).source) else None
    return "dataset" if is_dataset_file(path) else None


def lint(ls: VgptlintServer, uri: str, *, dataset_level: bool) -> None:
    kind = kind_of(ls, uri)
    if kind is None:
        return
    document = ls.workspace.get_text_document(uri)
    path, text, version = Path(to_fs_path(uri)), document.source, document.version
    shown = ls.shown.setdefault(uri, Shown())
    page = DocumentText(text, ls.workspace.position_codec)
    # Runs in the event loop's (main) thread, one at a time: the engine may rely on being there
    # (signal handlers, process-wide caches), and a run on an edited buffer takes well under a second.
    if kind == "policy":
        forget_policies()  # it may be the project's policy, or one it extends
        problems = check_policy(path, text)
        shown.record_level = [(_problem_diagnostic(p, page, path), None) for p in problems]
        shown.dataset_level = []
    else:
        outcome = lint_dataset(path, text, ls.policy_reference(), dataset_level=dataset_level)
        if outcome.error is not None and outcome.error != ls.last_error:
            ls.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"vgptlint: {outcome.error}"))
        ls.last_error = outcome.error
        for note in outcome.notes:
            ls.window_log_message(types.LogMessageParams(types.MessageType.Info, f"vgptlint: {note}"))
        entries = [(_finding_diagnostic(item, page), item) for item in outcome.findings]
        shown.record_level = [entry for entry in entries if not entry[1].is_dataset_level]
        if dataset_level:
            shown.dataset_level = [entry for entry in entries if entry[1].is_dataset_level]
    shown.version = version
    diagnostics = [d for d, _ in shown.record_level + shown.dataset_level]
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version))


def _finding_diagnostic(item: LintedFinding, page: DocumentText) -> types.Diagnostic:
    finding = item.finding
    fixable = " (fixable)" if item.replacements else ""
    return types.Diagnostic(
        range=page.location_range(finding.location),
        severity=_SEVERITY.get(finding.severity, types.DiagnosticSeverity.Warning),
        code=finding.rule,
        code_description=types.CodeDescription(href=item.help_uri) if item.help_uri.startswith("http") else None,
        source=SOURCE,
        message=finding.message + fixable,
    )


def _problem_diagnostic(problem: Problem, page: DocumentText, path: Path) -> types.Diagnostic:
    """A policy problem at its place in the document; one in another file (an extended policy) at the top."""
    here = Path(problem.source).resolve() == path.resolve()
    start = page.offset(problem.line, problem.column) if here else 0
    message = problem.message + (f"\nhint: {problem.hint}" if problem.hint else "")
    if not here:
        message = f"{problem.source}:{problem.line}:{problem.column}: {message}"
    end = page.yaml_node_end(start) if here else start
    return types.Diagnostic(range=page.range(start, end), severity=types.DiagnosticSeverity.Error, code=problem.code,
                            source=SOURCE, message=message)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_action(ls: VgptlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    shown = ls.shown.get(uri)
    document = ls.workspace.get_text_document(uri)
    if shown is None or shown.version != document.version:
        return []  # the findings are of an older text: the next run brings fresh ones
    page = DocumentText(document.source, ls.workspace.position_codec)
    actions = []
    for diagnostic, item in shown.record_level + shown.dataset_level:
        if item is None or not item.replacements or not _overlaps(diagnostic.range, params.range):
            continue
        edits = [types.TextEdit(range=page.range(page.offset(r.start_line, r.start_column), page.offset(r.end_line, r.end_column)),
                                new_text=r.inserted_content) for r in item.replacements]
        actions.append(types.CodeAction(
            title=f"{item.finding.fix.title} ({SOURCE} {item.finding.rule})",
            kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic],
            edit=types.WorkspaceEdit(changes={uri: edits}),
            is_preferred=True,
        ))
    return actions


def _overlaps(a: types.Range, b: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: VgptlintServer, params: types.HoverParams) -> types.Hover | None:
    uri, here = params.text_document.uri, params.position
    shown = ls.shown.get(uri)
    cursor = types.Range(start=here, end=here)
    rule_ids = list(dict.fromkeys(d.code for d, _ in (shown.record_level + shown.dataset_level if shown else [])
                                  if d.source == SOURCE and _overlaps(d.range, cursor) and isinstance(d.code, str)))
    policies: tuple[str, ...] = (ls.policy_reference(),)
    if kind_of(ls, uri) == "policy":
        policies = (to_fs_path(uri), *policies)  # the saved policy, else the project's
        lines = ls.workspace.get_text_document(uri).lines
        line = lines[here.line] if here.line < len(lines) else ""
        word = next((m for m in _WORD.finditer(line) if m.start() <= _column(ls, line, here) <= m.end()), None)
        rule_ids = [word.group()] if word else []
    texts = [text for rule_id in rule_ids if (text := explain(rule_id, policies)) is not None]
    if not texts:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                    value="\n\n".join(f"```text\n{t.rstrip()}\n```" for t in texts)))


def _column(ls: VgptlintServer, line: str, position: types.Position) -> int:
    """The cursor's column in code points (the client counts in its own units)."""
    return ls.workspace.position_codec.position_from_client_units([line], types.Position(0, position.character)).character


def serve() -> None:
    """Speak LSP on stdin/stdout until the client says exit. Anything else printed goes to stderr,
    so a stray print can never corrupt the protocol stream."""
    channel = sys.stdout.buffer
    sys.stdout = sys.stderr
    server.start_io(sys.stdin.buffer, channel)
