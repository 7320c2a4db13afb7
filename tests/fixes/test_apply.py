"""The fix loop on one record: edit application, overlaps, convergence, revert."""
from __future__ import annotations

import pytest

from vgptlint.fixes.apply import apply_fixes, choose_fixes, fix_record, set_at
from vgptlint.fixes.edits import apply_edits
from vgptlint.model import Applicability, Edit, Finding, Fix, Location, SetValue


def finding(rule: str, pointer: str, fix: Fix | None, message: str = "m") -> Finding:
    return Finding(rule, None, message, Location("d.jsonl", 1, 1, 0, pointer), "fp", fix)


def edit_fix(*edits: Edit, applicability: Applicability = Applicability.SAFE) -> Fix:
    return Fix("edit", applicability, edits)


def test_edits_apply_against_the_original_offsets():
    assert apply_edits("SELECT a FROM t AS x WHERE 1", [Edit(20, 20, " WITH (NOLOCK)"), Edit(0, 6, "select")]) == \
        "select a FROM t AS x WITH (NOLOCK) WHERE 1"


def test_edits_out_of_range_are_rejected():
    with pytest.raises(ValueError):
        apply_edits("abc", [Edit(2, 5, "x")])


def test_overlapping_fixes_are_held_for_the_next_round_deterministically():
    first = finding("a", "/output", edit_fix(Edit(0, 3, "X")), "one")
    overlapping = finding("b", "/output", edit_fix(Edit(2, 4, "Y")), "two")
    same_point = finding("c", "/output", edit_fix(Edit(0, 0, "Z")), "three")
    elsewhere = finding("d", "/input", edit_fix(Edit(0, 3, "W")), "four")
    for order in ([first, overlapping, same_point, elsewhere], [elsewhere, same_point, overlapping, first]):
        chosen, held_count = choose_fixes(order, allow_unsafe=False)
        # c (an insertion at 0) and a (a replacement from 0) have no defined order: a waits.
        assert [f.rule for f in chosen] == ["d", "c", "b"] and held_count == 1


def test_unsafe_and_display_only_fixes_wait_for_their_flag():
    unsafe = finding("u", "/a", edit_fix(Edit(0, 1, "x"), applicability=Applicability.UNSAFE))
    shown = finding("s", "/b", edit_fix(Edit(0, 1, "x"), applicability=Applicability.DISPLAY_ONLY))
    assert choose_fixes([unsafe, shown], allow_unsafe=False)[0] == []
    assert choose_fixes([unsafe, shown], allow_unsafe=True)[0] == [unsafe]


def test_a_set_conflicts_with_edits_inside_the_same_field():
    edit = finding("a", "/messages/0/content", edit_fix(Edit(0, 1, "x")))
    setter = finding("b", "/messages", Fix("set", Applicability.SAFE, changes=(SetValue("/messages", []),)))
    assert choose_fixes([edit, setter], False)[0] == [setter]


def test_set_value_creates_fields_and_refuses_missing_parents():
    assert set_at({"a": 1}, "/b", 2) == {"a": 1, "b": 2}
    assert set_at({"m": [{"c": 1}]}, "/m/0/c", 5) == {"m": [{"c": 5}]}
    with pytest.raises(ValueError):
        set_at({"a": 1}, "/x/y", 2)


def test_apply_fixes_does_not_touch_the_input():
    data = {"output": "abc", "tags": ["x"]}
    fixed = apply_fixes(data, [finding("a", "/output", edit_fix(Edit(0, 1, "A"))),
                               finding("b", "/tags/0", Fix("t", Applicability.SAFE, changes=(SetValue("/tags/0", "y"),)))])
    assert fixed == {"output": "Abc", "tags": ["y"]} and data == {"output": "abc", "tags": ["x"]}


# A miniature linter: every "colour" in /output is a finding whose fix spells it "color".
def lint_colour(data: dict, replacement: str = "color") -> list[Finding]:
    text = data["output"]
    found, start = [], text.find("colour")
    while start >= 0:
        found.append(finding("colour", "/output", edit_fix(Edit(start, start + 6, replacement)), "has colour"))
        start = text.find("colour", start + 6)
    return found


def test_the_loop_fixes_everything_and_a_second_run_is_a_no_op():
    data = {"output": "colour, colour and colour"}
    result = fix_record(data, lint_colour(data), lint_colour, allow_unsafe=False)
    assert result.data == {"output": "color, color and color"} and len(result.applied) == 3 and result.findings == ()
    again = fix_record(result.data, lint_colour(result.data), lint_colour, allow_unsafe=False)
    assert again.applied == () and again.data == result.data


def test_overlapping_edits_are_retried_in_the_next_round():
    data = {"output": "abc"}

    def lint(record):
        out = []
        if "a" in record["output"]:
            out.append(finding("upper-a", "/output", edit_fix(Edit(0, 2, "A" + record["output"][1])), "has a"))
        if "b" in record["output"]:
            i = record["output"].index("b")
            out.append(finding("upper-b", "/output", edit_fix(Edit(i, i + 1, "B")), "has b"))
        return out

    result = fix_record(data, lint(data), lint, allow_unsafe=False)
    assert result.data == {"output": "ABc"} and [f.rule for f in result.applied] == ["upper-a", "upper-b"]


def test_a_fix_that_recreates_its_finding_is_reverted():
    data = {"output": "colour"}
    relint = lambda record: lint_colour(record, "colourful")  # noqa: E731 -- the fix re-creates "colour"
    result = fix_record(data, relint(data), relint, allow_unsafe=False)
    assert result.data is data and result.applied == () and "still there" in result.reverted


def test_fixes_that_never_settle_are_reverted():
    def lint(record):  # "x" -> "y" -> "x" -> ...: each fix removes its own finding, never converges
        text = record["output"]
        target = "y" if text == "x" else "x"
        return [finding(f"to-{target}", "/output", edit_fix(Edit(0, 1, target)), f"is {text}")]

    data = {"output": "x"}
    result = fix_record(data, lint(data), lint, allow_unsafe=False, max_rounds=5)
    assert result.data is data and "did not settle after 5 rounds" in result.reverted


def test_a_fix_that_cannot_apply_reverts_the_record():
    data = {"output": 3}
    bad = [finding("x", "/output", edit_fix(Edit(0, 1, "y")))]
    result = fix_record(data, bad, lambda record: bad, allow_unsafe=False)
    assert result.reverted.startswith("a fix could not be applied") and result.data is data
