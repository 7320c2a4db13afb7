"""Per-text memos (issue 16): remembered work gives the same reports as work done afresh, and stays bounded."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgptlint.aggregates.predicate import compile_predicate
from vgptlint.api import CheckOptions, check
from vgptlint.builtins import load_builtins
from vgptlint.functions.base import REGISTRY, Context, NoOptions
from vgptlint.refusal import default_cues, refusal
from vgptlint.select.jsonpath import Target
from vgptlint.text_memo import MAX_ENTRIES, MAX_TEXT_CHARS, memo_sizes, text_memo, text_memos_off

# Answers the memos are about: fenced and cut SQL (truncation), refusals (the classifier's cues),
# joins with and without company columns, company filters (DPO features read the answer's SQL).
ANSWERS = [
    "```sql\nSELECT APCo FROM APTH WITH (NOLOCK) WHERE APCo = 1 AND",
    "```sql\nSELECT APCo FROM APTH WITH (NOLOCK) WHERE APCo = 1\n```",
    "Use: SELECT h.APCo FROM APTH h WITH (NOLOCK) JOIN APTL l ON l.APCo = h.APCo AND l.Mth = h.Mth",
    "SELECT h.Vendor FROM APTH h JOIN APVM v ON v.Vendor = h.Vendor WHERE h.APCo = 1",
    "There is no table named Vendors in Viewpoint; use APVM instead.",
    "I do not have details on a table named bXYZ. Sorry.",
    "APTH is the AP transaction header view; it does not exist as a table in older releases.",
    "SELECT Vendor, Name FROM APVM WITH (NOLOCK) WHERE VendorGroup = 1 AND",
    "APCo, Mth, APTrans, Vendor and InvTotal, among others.",
    "",
]
INSTRUCTIONS = ["Query the Vendors table", "What is APTH?", "Fix my query", "Join APTH to APTL", "Does bXYZ exist?"]


def _sft(picks: list[tuple[int, int]]) -> str:
    return "".join(json.dumps({"instruction": INSTRUCTIONS[i], "input": "", "output": ANSWERS[a]}) + "\n"
                   for i, a in picks)


def _dpo(picks: list[tuple[int, int, int]]) -> str:
    return "".join(json.dumps({"instruction": INSTRUCTIONS[i], "input": "", "chosen": ANSWERS[c],
                               "rejected": ANSWERS[r]}) + "\n" for i, c, r in picks)


def _report(paths: list[str]) -> tuple[str, str]:
    result = check(paths, CheckOptions(no_cache=True))
    return repr(list(result.findings)), repr(result.metrics)


PICKS = st.lists(st.tuples(st.integers(0, len(INSTRUCTIONS) - 1), st.integers(0, len(ANSWERS) - 1)), min_size=1, max_size=40)
PAIRS = st.lists(st.tuples(st.integers(0, len(INSTRUCTIONS) - 1), st.integers(0, len(ANSWERS) - 1),
                           st.integers(0, len(ANSWERS) - 1)), min_size=1, max_size=40)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(PICKS, PAIRS)
def test_remembered_and_fresh_work_give_the_same_report(tmp_path_factory, sft, dpo):
    folder = tmp_path_factory.mktemp("data")
    (folder / "sft.jsonl").write_text(_sft(sft), encoding="utf-8")
    (folder / "dpo.jsonl").write_text(_dpo(dpo), encoding="utf-8")
    paths = [str(folder / "sft.jsonl"), str(folder / "dpo.jsonl")]
    with text_memos_off():
        fresh = _report(paths)
        assert not any(memo_sizes())
    remembered = _report(paths)  # values repeat within the files: most are found in the memos
    assert remembered == fresh
    assert _report(paths) == fresh  # and again, every value remembered from the run before


def test_a_memo_holds_its_latest_texts_and_no_long_ones():
    made: list[str] = []
    memo = text_memo(lambda text: made.append(text) or len(text), max_entries=3, max_text_chars=5)
    assert [memo(t) for t in ("a", "bb", "a", "cccccc", "cccccc")] == [1, 2, 1, 6, 6]
    assert made == ["a", "bb", "cccccc", "cccccc"]  # a long text is worked on each time
    for text in ("d", "e", "f"):
        memo(text)
    assert memo.cache_info().currsize == 3
    memo("a")
    assert made[-1] == "a"  # pushed out by three newer texts


def test_memos_stay_bounded_on_a_file_of_distinct_values(tmp_path):
    count = MAX_ENTRIES + 500
    path = tmp_path / "sft.jsonl"
    path.write_text("".join(json.dumps({"instruction": f"Fix query {n}", "input": "",
                                        "output": f"```sql\nSELECT a FROM t{n} WHERE b = {n} AND"}) + "\n"
                            for n in range(count)), encoding="utf-8")
    check([str(path)], CheckOptions(no_cache=True))
    assert max(memo_sizes()) == MAX_ENTRIES  # full (every answer is cut: the truncation memo), and no fuller
    assert MAX_ENTRIES * MAX_TEXT_CHARS <= 4 * 2**20  # at most a few MB of text per memo


load_builtins()
SQL_FEATURES = [compile_predicate({"function": "sql_has_company_filter"}),
                compile_predicate({"all": [{"function": "sql_present"}, {"function": "sql_joins_complete"}]}),
                compile_predicate({"function": "sql_joins_complete", "negate": True})]


def _fresh(predicate_index: int, value: str, ctx: Context) -> bool:
    """What the feature predicates above say, from the functions themselves (no memo)."""
    def has_hit(name: str) -> bool:
        return next(iter(REGISTRY[name].check(value, NoOptions(), ctx)), None) is not None
    if predicate_index == 0:
        return not has_hit("sql_has_company_filter")
    if predicate_index == 1:
        return not has_hit("sql_present") and not has_hit("sql_joins_complete")
    return has_hit("sql_joins_complete")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(ANSWERS) - 1), st.integers(0, len(SQL_FEATURES) - 1),
                          st.sampled_from(["tsql", "postgres"])), min_size=1, max_size=30))
def test_remembered_sql_features_are_what_the_functions_say(asks):
    for answer, number, dialect in asks:  # answers repeat, with other predicates and dialects in between
        ctx = Context(record={"chosen": ANSWERS[answer]}, kind="dpo", dialect=dialect)
        target = [Target(("chosen",), ANSWERS[answer])]
        assert SQL_FEATURES[number].test(target, ctx) == _fresh(number, ANSWERS[answer], ctx)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(ANSWERS) - 1), st.integers(0, len(INSTRUCTIONS) - 1)), min_size=1, max_size=30))
def test_refusal_verdicts_with_and_without_remembered_readings(asks):
    cues = default_cues()
    questions = [(ANSWERS[a], INSTRUCTIONS[i]) for a, i in asks]
    with text_memos_off():
        fresh = [refusal(answer, instruction, cues) for answer, instruction in questions]
    assert [refusal(answer, instruction, cues) for answer, instruction in questions] == fresh
