"""--diff output: the same hunks as diff -u for simple changes; always a correct patch."""
from __future__ import annotations

import difflib

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.fixes.diff import line_opcodes, split_lines, unified_diff


def reference(path: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(split_lines(old), split_lines(new), f"a/{path}", f"b/{path}"))


def test_one_changed_line_in_a_pretty_array_matches_difflib():
    old = "[\n" + ",\n".join(f'  {{\n    "output": "r{n}",\n    "input": ""\n  }}' for n in range(40)) + "\n]\n"
    new = old.replace('"r17"', '"r17 fixed"').replace('"r30"', '"r30 fixed"')
    assert unified_diff("sft.json", old, new) == reference("sft.json", old, new)


def test_a_dropped_record_and_a_missing_final_newline():
    old = '{"a": 1}\n{"b": 2}\n{"c": 3}'
    new = '{"a": 1}\n{"c": 4}'
    assert unified_diff("d.jsonl", old, new) == (
        "--- a/d.jsonl\n+++ b/d.jsonl\n@@ -1,3 +1,2 @@\n"
        ' {"a": 1}\n-{"b": 2}\n-{"c": 3}\n\\ No newline at end of file\n+{"c": 4}\n\\ No newline at end of file\n'
    )


LINES = st.lists(st.sampled_from(["  {\n", "  },\n", '    "x": 1\n', '    "y": 2\n', "a\n", "b\n", "c"]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(LINES, LINES)
def test_opcodes_always_turn_old_into_new(old, new):
    ops = line_opcodes(old, new)
    rebuilt, i_cursor, j_cursor = [], 0, 0
    for tag, i1, i2, j1, j2 in ops:
        assert (i1, j1) == (i_cursor, j_cursor)
        if tag == "equal":
            assert old[i1:i2] == new[j1:j2]
        rebuilt.extend(new[j1:j2])
        i_cursor, j_cursor = i2, j2
    assert rebuilt == new and i_cursor == len(old) and j_cursor == len(new)
