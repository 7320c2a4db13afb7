"""`vgptlint server` end to end: LSP spoken over stdio to the real process (tests/lsp/client.py).

One server serves the module (starting one costs seconds); each test opens its own files.
Expected ranges are computed here from the file text, counting UTF-16 code units as LSP does.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.lsp.client import LspClient

pytest.importorskip("pygls", reason="the language server needs the lsp extra")

POLICY = """\
extends: [sql]
settings: {min_records: 0}  # a share of three records, judged anyway
rules:
  team-short-output:
    description: Outputs have at least 20 characters.
    severity: error
    given: $.output
    then: {function: length, options: {min: 20}}
  team-sql-share:
    description: Most outputs teach SQL.
    severity: warning
    kind: aggregate
    given: $.output
    then: {function: ratio, options: {label: SQL share, when: {function: sql_present}, min: 0.99}}
  team-negative-category:
    description: Refusals carry a category.
    severity: warning
    where: {absent: [category]}
    given: $.output
    then: refusal
    fix: {set: {category: negative_example}, applicability: safe, title: "add category: negative_example"}
"""
# Non-ASCII before the problems: "é" and "🙂" (two UTF-16 units) raw, and \u00e9 escapes inside the value.
LINES = [
    '{"instruction": "Café 🙂 vendors", "input": "", "output": "-- r\\u00e9sum\\u00e9\\nSELECT Vendor FROM APVM WHERE VendorGroup = 1"}',
    '{"instruction": "Headers", "input": "", "output": "SELECT APRef FROM APTH WITH (NOLOCK) WHERE APCo = 1"}',
    '{"instruction": "Yes or no?", "input": "", "output": "ok"}',
]


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def span(lines: list[str], line: int, needle: str, occurrence: int = 0) -> dict:
    """The LSP range of ``needle`` (its ``occurrence``-th appearance) on ``line``."""
    start = -1
    for _ in range(occurrence + 1):
        start = lines[line].index(needle, start + 1)
    before = utf16(lines[line][:start])
    return {"start": {"line": line, "character": before}, "end": {"line": line, "character": before + utf16(needle)}}


def summary(diagnostics: list[dict]) -> list[tuple]:
    return sorted((d["code"], d["range"]["start"]["line"], d["range"]["start"]["character"], d["range"]["end"]["line"],
                   d["range"]["end"]["character"], d["severity"]) for d in diagnostics)


def as_tuple(code: str, r: dict, severity: int) -> tuple:
    return code, r["start"]["line"], r["start"]["character"], r["end"]["line"], r["end"]["character"], severity


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("workspace")
    (root / "vgptlint.yaml").write_text(POLICY, encoding="utf-8")
    (root / "data").mkdir()
    return root


@pytest.fixture(scope="module")
def client(workspace):
    client = LspClient(workspace)
    yield client
    client.close()


def test_record_diagnostics_have_exact_ranges_in_utf16(client, workspace):
    path = workspace / "data" / "sft.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    assert json.loads(LINES[0])["output"].startswith("-- résumé\nSELECT")
    diagnostics = client.diagnostics(client.open(path))
    record_level = [d for d in diagnostics if d["code"] != "team-sql-share"]
    assert summary(record_level) == sorted([
        as_tuple("sql-nolock-missing", span(LINES, 0, "APVM"), 2),
        as_tuple("team-short-output", span(LINES, 2, '"ok"'), 1),
    ])
    nolock = next(d for d in diagnostics if d["code"] == "sql-nolock-missing")
    assert nolock["message"] == "APVM is read without WITH (NOLOCK) (fixable)"
    assert nolock["source"] == "vgptlint"
    assert nolock["codeDescription"]["href"].endswith("docs/rules.md#sql-nolock-missing")
    short = next(d for d in diagnostics if d["code"] == "team-short-output")
    assert short["message"] == "output is 2 characters long; the minimum is 20"


def test_dataset_level_rules_run_on_open_and_save_not_on_change(client, workspace):
    path = workspace / "data" / "mix.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    uri = client.open(path)
    share = [d for d in client.diagnostics(uri) if d["code"] == "team-sql-share"]
    assert [d["message"] for d in share] == ["SQL share 66.7% (2/3) is below the minimum 99.0% (95% interval 20.8%-93.9%)"]
    assert share[0]["range"] == {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": utf16(LINES[0])}}

    # A fourth record, with SQL: the record rules see it at once, the share stays as of the last save.
    added = '{"instruction": "Jobs", "input": "", "output": "SELECT Job FROM JCJM WHERE JCCo = 1"}'
    text = "\n".join([*LINES, added]) + "\n"
    client.change(uri, 2, text)
    changed = client.diagnostics(uri, version=2)
    lines = text.splitlines()
    assert as_tuple("sql-nolock-missing", span(lines, 3, "JCJM"), 2) in summary(changed)
    assert [d["message"] for d in changed if d["code"] == "team-sql-share"] == ["SQL share 66.7% (2/3) is below the minimum 99.0% (95% interval 20.8%-93.9%)"]

    path.write_text(text, encoding="utf-8")
    client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
    saved = client.diagnostics(uri, version=2)
    assert [d["message"] for d in saved if d["code"] == "team-sql-share"] == ["SQL share 75.0% (3/4) is below the minimum 99.0% (95% interval 30.1%-95.4%)"]


def test_code_action_applies_the_nolock_fix(client, workspace):
    path = workspace / "data" / "fix.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    uri = client.open(path)
    nolock = next(d for d in client.diagnostics(uri) if d["code"] == "sql-nolock-missing")
    actions = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": nolock["range"],
                                                         "context": {"diagnostics": [nolock]}})
    assert [a["title"] for a in actions] == ["add WITH (NOLOCK) to APVM (vgptlint sql-nolock-missing)"]
    action = actions[0]
    assert action["kind"] == "quickfix" and action["isPreferred"] is True
    edits = action["edit"]["changes"][uri]
    after_table = span(LINES, 0, "APVM")["end"]
    assert edits == [{"range": {"start": after_table, "end": after_table}, "newText": " WITH (NOLOCK)"}]
    text = "\n".join(LINES) + "\n"
    assert apply_document_edits(text, edits) == text.replace("FROM APVM WHERE", "FROM APVM WITH (NOLOCK) WHERE")

    # No quick fix where the finding has no safe text fix.
    elsewhere = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": span(LINES, 2, '"ok"'),
                                                           "context": {"diagnostics": []}})
    assert elsewhere == []


def test_code_action_sets_a_field_in_a_pretty_json_array(client, workspace):
    path = workspace / "data" / "negatives.json"
    text = ('[\n  {\n    "instruction": "Query the Vendörs table 🙂",\n    "input": "",\n'
            '    "output": "There is no table named Vendors in Viewpoint; vendors live in APVM."\n  }\n]\n')
    path.write_text(text, encoding="utf-8")
    uri = client.open(path)
    negative = next(d for d in client.diagnostics(uri) if d["code"] == "team-negative-category")
    actions = client.request("textDocument/codeAction", {"textDocument": {"uri": uri}, "range": negative["range"],
                                                         "context": {"diagnostics": [negative]}})
    assert [a["title"] for a in actions] == ["add category: negative_example (vgptlint team-negative-category)"]
    fixed = apply_document_edits(text, actions[0]["edit"]["changes"][uri])
    assert fixed == text.replace('APVM."\n  }', 'APVM.",\n    "category": "negative_example"\n  }')


def apply_document_edits(text: str, edits: list[dict]) -> str:
    """Apply LSP edits (UTF-16 positions) to a whole document, last first."""
    lines = text.split("\n")

    def offset(position: dict) -> int:
        line = lines[position["line"]].encode("utf-16-le")[: 2 * position["character"]].decode("utf-16-le")
        return sum(len(earlier) + 1 for earlier in lines[: position["line"]]) + len(line)

    for edit in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]), reverse=True):
        text = text[: offset(edit["range"]["start"])] + edit["newText"] + text[offset(edit["range"]["end"]):]
    return text


def test_hover_on_a_diagnostic_explains_its_rule(client, workspace):
    path = workspace / "data" / "hover.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    uri = client.open(path)
    client.diagnostics(uri)
    inside = span(LINES, 0, "APVM")["start"]
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": inside})
    text = hover["contents"]["value"]
    assert hover["contents"]["kind"] == "markdown"
    assert text.startswith("```text\nsql-nolock-missing (warning, record, pack sql)\n\nEvery table a query reads carries WITH (NOLOCK)")
    assert "Reference: docs/rules.md#sql-nolock-missing" in text
    nothing = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 2}})
    assert nothing is None


def test_policy_problems_as_typed_and_hover_on_rule_ids(client, workspace):
    path = workspace / "team.vgptlint.yaml"
    text = "extends: [vgptlint.yaml]\nrules:\n  team-short-output:\n    options: {minimum: 30}\n"
    path.write_text(text, encoding="utf-8")
    uri = client.open(path, "yaml")
    lines = text.splitlines()
    diagnostics = client.diagnostics(uri)
    assert [(d["code"], d["range"], d["message"]) for d in diagnostics] == [
        ("invalid-option", span(lines, 3, "{minimum: 30}"),
         'rule "team-short-output": option "minimum" is not accepted by any function of this rule')]

    typed = text.replace("{minimum: 30}", "{min: 30}") + "  sql-select-star: warn\n"
    client.change(uri, 2, typed)
    typed_lines = typed.splitlines()
    assert [(d["code"], d["range"], d["message"]) for d in client.diagnostics(uri, version=2)] == [
        ("invalid-severity", span(typed_lines, 4, "sql-select-star"),
         'rule "sql-select-star": severity must be one of error, warning, info, off; got "warn"\nhint: did you mean "warning"?')]
    assert sorted(p.name for p in workspace.iterdir()) == ["data", "team.vgptlint.yaml", "vgptlint.yaml"]  # no temporary left

    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                  "position": {"line": 2, "character": 6}})
    assert hover["contents"]["value"].startswith("```text\nteam-short-output (error, record, pack vgptlint)\n\nOutputs have at least 20 characters.")
    hover = client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 4, "character": 4}})
    assert hover["contents"]["value"].startswith("```text\nsql-select-star (")
    assert client.request("textDocument/hover", {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 2}}) is None


def test_a_json_array_file_across_lines(client, workspace):
    path = workspace / "data" / "array.json"
    text = '[\n  {\n    "instruction": "Ünïcödé 🙂",\n    "input": "",\n    "output": "SELECT Nämé FROM APVM"\n  }\n]\n'
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    diagnostics = client.diagnostics(client.open(path))
    assert as_tuple("sql-nolock-missing", span(lines, 4, "APVM"), 2) in summary(diagnostics)


def test_a_catalog_beside_the_first_file_opened_is_used(tmp_path):
    """Its own server: the first run of a process is where a missing set-up step shows."""
    (tmp_path / "vgptlint.yaml").write_text("extends: [sql_catalog]\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "catalog.yaml").write_text(
        "tables:\n  APVM:\n    columns: [VendorGroup, Vendor, Name]\n    key: [VendorGroup, Vendor]\n", encoding="utf-8")
    line = '{"instruction": "Vendors", "input": "", "output": "SELECT Name FROM APVMX WHERE VendorGroup = 1"}'
    path = tmp_path / "data" / "sft.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    client = LspClient(tmp_path)
    try:
        diagnostics = client.diagnostics(client.open(path))
    finally:
        client.close()
    assert [(d["code"], d["range"]) for d in diagnostics] == [("sql-unknown-table", span([line], 0, "APVMX"))]


def test_saving_the_policy_lints_open_datasets_again(tmp_path):
    policy = tmp_path / "vgptlint.yaml"
    policy.write_text("extends: [sql]\n", encoding="utf-8")
    path = tmp_path / "sft.jsonl"
    path.write_text(LINES[0] + "\n", encoding="utf-8")
    client = LspClient(tmp_path)
    try:
        data_uri = client.open(path)
        assert [(d["code"], d["severity"]) for d in client.diagnostics(data_uri)] == [("sql-nolock-missing", 2)]
        policy_uri = client.open(policy, "yaml")
        assert client.diagnostics(policy_uri) == []
        policy.write_text("extends: [sql]\nrules:\n  sql-nolock-missing: error\n", encoding="utf-8")
        client.notify("textDocument/didSave", {"textDocument": {"uri": policy_uri}})
        assert [(d["code"], d["severity"]) for d in client.diagnostics(data_uri)] == [("sql-nolock-missing", 1)]
    finally:
        client.close()


def test_the_server_exits_on_exit_and_at_the_end_of_its_input(tmp_path):
    client = LspClient(tmp_path)
    client.request("shutdown", {})
    client.notify("exit", {})
    assert client.process.wait(timeout=30) == 0
    client = LspClient(tmp_path)
    client.process.stdin.close()  # the editor went away without a word
    assert client.process.wait(timeout=30) == 0
