"""Byte-exact rewrites: only fixed records change, each in the file's own style."""
from __future__ import annotations

import json

import pytest

from tests.fixes.helpers import fix_bytes

RECORDS = [
    {"output": "a colour \u00e9 \"q\"\n\ttab colour", "n": 2},
    {"output": "fine é", "n": 1, "x": [1, {"y": None}]},
    {"output": "sorry 😀", "n": 3},
]
FIXED = [
    {"output": "a color \u00e9 \"q\"\n\ttab color", "n": 2},
    {"output": "fine é", "n": 1, "x": [1, {"y": None}]},
    {"output": "sorry 😀", "n": 3, "category": "negative_example"},
]
STYLES = {
    "indent2": {"indent": 2},
    "indent4-unicode": {"indent": 4, "ensure_ascii": False},
    "compact": {"separators": (",", ":")},
    "one-line": {},
    "tabs": {"indent": "\t", "ensure_ascii": False},
}


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
@pytest.mark.parametrize("bom", [False, True], ids=["plain", "bom"])
@pytest.mark.parametrize("final_newline", [True, False], ids=["newline", "no-newline"])
@pytest.mark.parametrize("style", STYLES, ids=list(STYLES))
def test_json_array_rewrite_is_what_json_dumps_would_write(tmp_path, policy_path, style, crlf, bom, final_newline):
    def render(records):
        text = json.dumps(records, **STYLES[style]) + ("\n" if final_newline else "")
        text = text.replace("\n", "\r\n") if crlf else text
        return ("\ufeff" if bom else "").encode() + text.encode()

    after, run = fix_bytes(tmp_path, policy_path, "sft.json", render(RECORDS))
    assert after == render(FIXED)
    assert run.fixed_count == 3 and [f.summary.record_count for f in run.files] == [3]


@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("ending", ["\n", "\r\n", ""], ids=["lf", "crlf", "no-final-newline"])
def test_jsonl_lines_without_fixes_are_byte_identical(tmp_path, policy_path, ensure_ascii, ending):
    lines = [json.dumps(r, ensure_ascii=ensure_ascii) for r in RECORDS]
    odd = '  {"output" :"fine",   "n":9}\t'  # odd spacing stays exactly as written
    original = "\r\n".join([lines[0], odd, lines[1], "", lines[2]]) if ending == "\r\n" else "\n".join(
        [lines[0], odd, lines[1], "", lines[2]])
    after, _ = fix_bytes(tmp_path, policy_path, "sft.jsonl", (original + ending).encode())
    fixed = [json.dumps(r, ensure_ascii=ensure_ascii) for r in FIXED]
    sep = "\r\n" if ending == "\r\n" else "\n"
    assert after.decode() == sep.join([fixed[0], odd, fixed[1], "", fixed[2]]) + ending


def test_a_string_fix_keeps_the_other_escapes_of_its_own_value(tmp_path, policy_path):
    # The author escaped "é" and "/" in one place and not another: only "colour" → "color" changes.
    line = r'{"n": 1, "output": "caf\u00e9 \/ colour \"x\" é\ud83d\ude00", "z": 1.50}' + "\n"
    after, _ = fix_bytes(tmp_path, policy_path, "sft.jsonl", line.encode())
    assert after.decode() == line.replace("colour", "color")


def test_a_record_level_set_re_renders_only_that_record(tmp_path, policy_path):
    text = '[\n  {"output": "sorry",   "n": 1},\n  {"output": "ok then",   "n": 0}\n]'
    after, _ = fix_bytes(tmp_path, policy_path, "sft.json", text.encode())
    # The fixed record is written in the file's detected style: one line, its odd item separator.
    assert after.decode() == '[\n  {"output": "sorry",   "n": 1,   "category": "negative_example"},\n  {"output": "ok then",   "n": 0}\n]'


def test_second_run_changes_nothing(tmp_path, policy_path):
    content = json.dumps(RECORDS, indent=2).encode()
    once, first = fix_bytes(tmp_path, policy_path, "sft.json", content)
    twice, second = fix_bytes(tmp_path, policy_path, "sft.json", once)
    assert first.fixed_count == 3 and second.fixed_count == 0 and twice == once and not second.changed_files


def test_diff_mode_writes_nothing(tmp_path, policy_path):
    content = json.dumps(RECORDS, indent=2).encode()
    after, run = fix_bytes(tmp_path, policy_path, "sft.json", content, write=False)
    assert after == content and run.fixed_count == 3 and run.changed_files[0].new_text != run.changed_files[0].old_text


@pytest.mark.parametrize("content, why", [
    (b'{"output": "colour"}\n{"output": broken}\n', 'line 2: record 1 is not valid JSON'),
    (b'{"output": "ok one"}\n{"output": "colour \xff"}\n', "line 2: record 1 has invalid UTF-8"),
    (b'[{"output": "colour"}, 3]', "line 1: record 1 is a number, not an object"),
])
def test_files_that_cannot_be_rewritten_exactly_are_left_alone(tmp_path, policy_path, content, why):
    after, run = fix_bytes(tmp_path, policy_path, "sft.jsonl" if content.startswith(b"{") else "sft.json", content)
    assert after == content and run.fixed_count == 0
    assert len(run.messages) == 1 and why in run.messages[0] and ": not fixed: " in run.messages[0]
