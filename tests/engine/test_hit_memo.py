"""The per-file memo of pure functions' hits (vgptlint.functions.base.HitMemo, issue 16): findings are the
same with and without it, functions not declared pure are never memoized, and it stays bounded."""
from __future__ import annotations

import copy
import json
import pickle
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vgptlint.functions.base as functions_base
from vgptlint.api import CheckOptions, check
from vgptlint.builtins import load_builtins
from vgptlint.functions.base import REGISTRY, Context, Hit, HitMemo, function
from vgptlint.policy.model import Check
from vgptlint.run.evaluate import check_hits

load_builtins()
CATALOG = str(Path(__file__).resolve().parents[2] / "examples" / "catalog.yaml")

# Answers that come back: SQL the SQL rules find fault with (at different offsets), prose, a short
# answer, refusals, text with characters outside the BMP (JSON escapes them: positions differ).
OUTPUTS = (
    "SELECT Vendor, Name FROM APVM v JOIN APTH h ON h.VendorGroup = v.VendorGroup WHERE h.APCo = 1",
    "Use this:\n```sql\nSELECT * FROM APTL WITH (NOLOCK) LIMIT 5\n```\nIt lists lines.",
    "Run SELECT KeyID FROM bAPTH (NOLOCK) WHERE APCo = @co to see them, then check APTD.",
    "APCo",
    "There is no table named Vendors in Vista; use APVM for vendors.",
    "Vista does not have a Vendors table.",  # a refusal, unless the question asks about absence
    "The APTH view holds one row per AP transaction header, keyed by APCo, Mth and APTrans. \U0001F600 ok",
)
INSTRUCTIONS = ("List vendors.", "Which vendors have no invoices?", "What is APTH? " * 3, "Écris la requête.")


def _lint(paths: list[Path], jobs: int = 1) -> list:
    options = CheckOptions(policy="pretrain", catalog=(CATALOG,), no_cache=True, jobs=jobs)
    result = check([str(p) for p in paths], options)
    return list(result.findings)


def _write_jsonl(path: Path, records: list[dict], padding: list[int]) -> Path:
    # padding moves each record's fields along its line, so equal values sit at different columns
    lines = [" " * pad + json.dumps(record, ensure_ascii=pad % 2 == 0) for record, pad in zip(records, padding)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _records(pairs: list[tuple[int, int]]) -> list[dict]:
    return [{"instruction": INSTRUCTIONS[i % len(INSTRUCTIONS)], "input": "", "output": OUTPUTS[o % len(OUTPUTS)]}
            for i, o in pairs]


def test_repeated_answers_give_the_findings_they_give_without_the_memo(tmp_path, monkeypatch):
    records = _records([(i, o) for i in range(len(INSTRUCTIONS)) for o in range(len(OUTPUTS))] * 2)
    jsonl = _write_jsonl(tmp_path / "sft.jsonl", records, list(range(len(records))))
    pretty = tmp_path / "more.json"  # a JSON array, indented: the same values on other lines
    pretty.write_text(json.dumps(records[:9], indent=2), encoding="utf-8")
    memoized = _lint([jsonl, pretty])
    assert _lint([jsonl, pretty], jobs=2) == memoized  # each worker process has its own memo
    monkeypatch.setattr(functions_base, "HIT_MEMO_CHARS", 0)  # keeps nothing: every call computes
    plain = _lint([jsonl, pretty])
    assert memoized == plain
    located = {(f.location.path, f.location.line, f.location.column) for f in plain if f.rule == "sql-nolock-missing"}
    assert len(located) > len(OUTPUTS)  # the same answer's findings, each at its own record's place


def test_results_are_the_same_with_the_result_cache(tmp_path, monkeypatch):
    records = _records([(i, o) for i in range(3) for o in range(len(OUTPUTS))] * 2)
    jsonl = _write_jsonl(tmp_path / "sft.jsonl", records, [0] * len(records))
    monkeypatch.setenv("VGPTLINT_CACHE_DIR", str(tmp_path / "cache"))
    options = CheckOptions(policy="pretrain", catalog=(CATALOG,))
    stored, served = (list(check([str(jsonl)], options).findings) for _ in range(2))
    assert stored == served == _lint([jsonl])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=1, max_size=24),
       padding=st.lists(st.integers(0, 5), min_size=24, max_size=24),
       budget=st.sampled_from([0, 400, 2_000, None]))
def test_memoized_and_plain_evaluation_agree(tmp_path, monkeypatch, pairs, padding, budget):
    jsonl = _write_jsonl(tmp_path / "sft.jsonl", _records(pairs), padding)
    with monkeypatch.context() as patch:
        patch.setattr(functions_base, "HIT_MEMO_CHARS", 0)
        plain = _lint([jsonl])
    with monkeypatch.context() as patch:  # a small budget evicts between repeats
        if budget is not None:
            patch.setattr(functions_base, "HIT_MEMO_CHARS", budget)
        assert _lint([jsonl]) == plain


# ------------------------------------------------------------------------- what may be memoized

# Every built-in function reads only its value, its options and what the context fixes for a file,
# except these (the audit of issue 16; a new built-in lands here or says is_pure=True).
READS_THE_RECORD = {"refusal"}  # weighs ctx.record's instruction and input


def test_built_in_functions_declare_purity_as_audited():
    built_in = {name: f for name, f in REGISTRY.items() if f.check.__module__.startswith("vgptlint.functions.")}
    assert {name for name, f in built_in.items() if not f.is_pure} == READS_THE_RECORD


def test_a_function_is_not_pure_unless_it_says_so():
    @function("test_memo_echo_instruction", options=type(None))
    def echo(value, opts, ctx):
        yield Hit(f"answers {ctx.record['instruction']}")

    assert REGISTRY["test_memo_echo_instruction"].is_pure is False
    REGISTRY.pop("test_memo_echo_instruction")


def test_a_function_not_declared_pure_is_called_on_every_record():
    calls = []

    def echo(value, opts, ctx):
        calls.append(value)
        yield Hit(f"answers {ctx.record['instruction']}")

    ctx = Context(record=None, kind="sft")
    impure = _check(echo, is_pure=False)
    messages = []
    for instruction in ("first", "second"):
        ctx.record = {"instruction": instruction}
        messages += [hit.message for hit in check_hits(impure, "the same answer", ctx)]
    assert messages == ["answers first", "answers second"]
    assert len(calls) == 2 and len(ctx.hit_memo) == 0


def test_a_pure_function_is_called_once_per_value_and_check():
    calls = []

    def count(value, opts, ctx):
        calls.append((value, opts))
        yield Hit(f"{len(value)} long")

    ctx = Context(record=None, kind="sft")
    short, long = _check(count, options=1), _check(count, options=2)
    answers = ["abc", "abcd", "abc", "".join(["ab", "c"]), "abcd"]  # equal values, not only the same object
    hits = [check_hits(check, answer, ctx) for answer in answers for check in (short, long)]
    assert [h[0].message for h in hits] == [f"{len(answer)} long" for answer in answers for _ in "12"]
    assert calls == [("abc", 1), ("abc", 2), ("abcd", 1), ("abcd", 2)]


def test_only_strings_are_keyed():
    calls = []

    def count(value, opts, ctx):
        calls.append(value)
        return iter(())

    ctx = Context(record=None, kind="sft")
    pure = _check(count)
    for value in (1, True, 1.0, None, [1], {"a": 1}, 1, True):
        list(check_hits(pure, value, ctx))
    assert len(calls) == 8 and len(ctx.hit_memo) == 0


def test_the_memo_stays_within_its_budget():
    memo = HitMemo(max_chars=50_000)
    ctx = Context(record=None, kind="sft")
    noisy = _check(lambda value, opts, c: iter([Hit("a"), Hit("b")]))
    for number in range(5_000):
        memo.hits(noisy, f"{number:>8} " + "x" * (number % 300), ctx)
        assert memo.chars <= memo.max_chars
    assert 0 < len(memo) < 5_000
    assert memo.hits(noisy, f"{4_999:>8} " + "x" * (4_999 % 300), ctx)  # the newest is kept


def test_values_leave_the_memo_oldest_first():
    # The memo's order is insertion order (an OrderedDict popped from the front): after an eviction
    # exactly the newest values that fit are kept, as a plain dict's first key would give.
    memo = HitMemo(max_chars=10 * (10 + functions_base._VALUE_COST + functions_base._ANSWER_COST))
    ctx = Context(record=None, kind="sft")
    calls: list[str] = []
    echo = _check(lambda value, opts, c: calls.append(value) or iter(()))
    values = [f"value {number:>4}" for number in range(25)]
    for value in values:
        memo.hits(echo, value, ctx)
    assert len(memo) == 10
    calls.clear()
    for value in values[-10:]:
        memo.hits(echo, value, ctx)
    assert calls == []  # the ten newest are kept
    memo.hits(echo, values[0], ctx)
    assert calls == [values[0]]


def test_a_value_larger_than_the_budget_is_not_kept():
    memo = HitMemo(max_chars=1_000)
    memo.hits(_check(lambda value, opts, c: iter(())), "y" * 5_000, Context(record=None, kind="sft"))
    assert len(memo) == 0 and memo.chars == 0


def test_a_context_made_from_another_starts_an_empty_memo():
    ctx = Context(record=None, kind="sft")
    ctx.hit_memo.hits(_check(lambda value, opts, c: iter([Hit("h")])), "value", ctx)
    for other in (replace(ctx, kind="dpo"), copy.deepcopy(ctx), pickle.loads(pickle.dumps(ctx))):
        assert len(other.hit_memo) == 0 and other.hit_memo is not ctx.hit_memo
    assert len(ctx.hit_memo) == 1


def _check(compute, options: object = None, is_pure: bool = True) -> Check:
    return Check(SimpleNamespace(check=compute, is_pure=is_pure), options)


@pytest.fixture(autouse=True)
def _keep_registry_clean():
    yield
    REGISTRY.pop("test_memo_echo_instruction", None)
