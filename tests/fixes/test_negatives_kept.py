"""Undesirable examples are training signal: `check --fix --unsafe-fixes` keeps every KTO record
labelled false (boolean or string) and every DPO rejected answer as written, with the shipped
policy and with a team rule that would drop or rewrite them."""
from __future__ import annotations

import json

from click.testing import CliRunner

from vgptlint.commands.cli import main

DATASET_INFO = {
    "team_kto": {"file_name": "kto.json",
                 "columns": {"prompt": "instruction", "query": "input", "response": "output", "kto_tag": "label"}},
    "team_dpo": {"file_name": "dpo.json", "ranking": True,
                 "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}},
}
NEGATIVES = [
    '{"instruction": "How do I join APTH and APTL?", "input": "", "output": "Use a JOIN statement.", "label": "false"}',
    '{"instruction": "List AP vendors", "input": "", "output": "SELECT Vendor FROM APVM", "label": false}',
]
POSITIVES = [
    '{"instruction": "How do I join APTH and APTL?", "input": "", "output": "Join APTL to APTH on APCo, Mth and '
    'APTrans: SELECT h.APRef, l.APLine FROM APTH h WITH (NOLOCK) JOIN APTL l WITH (NOLOCK) ON l.APCo = h.APCo AND '
    'l.Mth = h.Mth AND l.APTrans = h.APTrans", "label": "true"}',
    '{"instruction": "Which view holds AP vendors?", "input": "", "output": "APVM.", "label": true}',
]
PAIR = ('{"instruction": "List AP vendors", "input": "", "chosen": "SELECT Vendor, Name FROM APVM WHERE '
        'VendorGroup = 1", "rejected": "SELECT Vendor FROM APVM"}')
# A team's own rules with no regard for negatives: drop every short KTO answer, add NOLOCK everywhere.
TEAM_POLICY = """\
extends: [pretrain]
rules:
  team-drop-short:
    description: drop short answers
    severity: warning
    where: {kind: [kto]}
    given: $.output
    then: {function: length, options: {min: 100}}
    fix: {fixer: drop_record, applicability: unsafe}
  team-nolock-everywhere:
    description: NOLOCK on every read, rejected answers included
    severity: warning
    given: ["$.chosen", "$.rejected", "$.output"]
    then: {function: sql_table_hint}
    fix: {fixer: inject_table_hint, options: {hint: NOLOCK}, applicability: safe}
"""


def _write(folder) -> None:
    (folder / "dataset_info.json").write_text(json.dumps(DATASET_INFO), encoding="utf-8")
    (folder / "kto.json").write_text("[\n  " + ",\n  ".join(NEGATIVES + POSITIVES) + "\n]\n", encoding="utf-8")
    (folder / "dpo.json").write_text("[\n  " + PAIR + "\n]\n", encoding="utf-8")


def _fix(folder, *policy: str):
    result = CliRunner().invoke(main, ["check", "--fix", "--unsafe-fixes", *policy, str(folder)])
    assert result.exit_code in (0, 1), result.output
    return result


def test_shipped_policy_keeps_negatives_and_drops_a_short_positive(tmp_path):
    _write(tmp_path)
    result = _fix(tmp_path)
    kto = (tmp_path / "kto.json").read_text(encoding="utf-8")
    # the string label is respelled as the boolean LLaMA-Factory reads; nothing else in a negative changes
    assert NEGATIVES[0].replace('"false"}', "false}") in kto and NEGATIVES[1] in kto
    assert "APVM." not in kto  # the too-short desirable answer is a target: dropped to the rejects file
    assert "kto.json: moved 1 record to " in result.stderr
    assert '"rejected": "SELECT Vendor FROM APVM"' in (tmp_path / "dpo.json").read_text(encoding="utf-8")


def test_a_team_rule_cannot_drop_or_rewrite_negatives(tmp_path):
    _write(tmp_path)
    (tmp_path / "team.yaml").write_text(TEAM_POLICY, encoding="utf-8")
    before = CliRunner().invoke(main, ["check", "-p", str(tmp_path / "team.yaml"), "-f", "json", str(tmp_path)])
    fixable = sorted((f["path"].replace("\\", "/").rsplit("/", 1)[-1], f["record"], f["pointer"], f["fix"] is not None)
                     for f in json.loads(before.stdout)["findings"] if f["rule"].startswith("team-"))
    # negatives are reported, never fixable; the short positive (record 3) and the chosen answer are
    assert fixable == [("dpo.json", 0, "/chosen", True), ("dpo.json", 0, "/rejected", False),
                       ("kto.json", 0, "/output", False), ("kto.json", 1, "/output", False),
                       ("kto.json", 1, "/output", False), ("kto.json", 3, "/output", True)]
    _fix(tmp_path, "-p", str(tmp_path / "team.yaml"))
    kto = (tmp_path / "kto.json").read_text(encoding="utf-8")
    assert NEGATIVES[0].replace('"false"}', "false}") in kto and NEGATIVES[1] in kto
    assert [r["output"][:4] for r in json.loads(kto)] == ["Use ", "SELE", "Join"]  # the short positive went
    dpo = json.loads((tmp_path / "dpo.json").read_text(encoding="utf-8"))
    assert dpo == [{**json.loads(PAIR), "chosen": "SELECT Vendor, Name FROM APVM WITH (NOLOCK) WHERE VendorGroup = 1"}]

