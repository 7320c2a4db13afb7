"""The bench generator hits the review's figures exactly: every figure is recounted here from the files,
with plain Python, regexes and sqlglot, never with the generator's own helpers."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from bench.generate import apportion, generate, scaled_plan
from bench.vista import TABLES

REFUSALS = ("there is no table named", "there is no column named", "does not exist in viewpoint",
            "i don't have information", "is not part of the vista schema")
# Broader than the documented list: any sane refusal detector must agree with the documented count.
REFUSAL_LIKE = ("does not exist", "doesn't exist", "there is no ", "no such ", "i don't have", "i do not have",
                "i cannot", "i can't", "not part of the vista schema")
SQL_LIKE = re.compile(r"\bSELECT\b[\s\S]*?\bFROM\b", re.I)
SQL_WORDS = ("select", "join", "insert", "update", "delete", "merge", "create", "nolock", "`")
UPPER_SQL_WORDS = re.compile(r"\b(?:SELECT|WITH|FROM|WHERE|JOIN)\b")
FENCED = re.compile(r"```sql\n(.*?)\n```", re.S)
INLINE = re.compile(r"(?:SELECT|WITH)\b.*\Z", re.S)
HINT = "WITH (NOLOCK)"
REVIEW = {
    "sft.records": 59021, "sft.sql": 3360, "sft.nolock": 882, "sft.refusal": 1473,
    "sft.length_buckets": {"<50": 8623, "50-199": 27606, "200-499": 12118, "500-999": 7868, ">=1000": 2806},
    "dpo.pairs": 1427, "dpo.chosen_nolock": 1421, "dpo.rejected_nolock": 349,
    "kto.records": 2018, "kto.true": 934, "kto.false": 1084, "validation.questions": 49, "validation.claimed": 500,
}


def _load(outdir: Path, stem: str) -> list[dict]:
    text = (outdir / f"{stem}.json").read_text(encoding="utf-8")
    records = json.loads(text)
    # Laid out exactly as json.dump(records, f, indent=2, ensure_ascii=False) would write it.
    assert text == json.dumps(records, indent=2, ensure_ascii=False)
    with (outdir / f"{stem}.jsonl").open(encoding="utf-8") as f:
        assert [json.loads(line) for line in f] == records
    return records


def _bucket(n: int) -> str:
    return "<50" if n < 50 else "50-199" if n < 200 else "200-499" if n < 500 else "500-999" if n < 1000 else ">=1000"


def _norm(*parts: str) -> str:
    return "\x1f".join(" ".join(p.split()).lower() for p in parts)


def _statements(text: str) -> list[str]:
    fenced = FENCED.findall(text)
    if "```" in text:
        return fenced
    match = INLINE.search(text)
    return [match.group()] if match else []


def _check_sql(statements: set[str], is_input: bool = False) -> None:
    """Every statement parses as T-SQL and reads only catalog views; outputs also use only their columns."""
    known = set(TABLES) | ({"b" + t for t in TABLES} if is_input else set())
    for sql in statements:
        tree = sqlglot.parse_one(sql, read="tsql")
        assert isinstance(tree, exp.Select), sql
        tables = list(tree.find_all(exp.Table))
        names = {t.name for t in tables}
        assert names and names <= known, (names - known, sql)
        if is_input:  # inputs hold deliberately wrong SQL (wrong-case columns, base tables)
            continue
        by_alias = {t.alias_or_name: t.name for t in tables}
        for column in tree.find_all(exp.Column):
            table = by_alias[column.table] if column.table else tables[0].name
            assert column.table or len(tables) == 1, sql
            assert column.name in TABLES[table].columns, (table, column.name, sql)


def _verify_sft(records: list[dict], fig: dict) -> None:
    assert len(records) == fig["sft.records"]
    assert all(set(r) == {"instruction", "input", "output"} for r in records)  # no "category" anywhere
    assert all(isinstance(v, str) for r in records for v in r.values())
    outputs = [r["output"] for r in records]
    assert dict(Counter(_bucket(len(o)) for o in outputs)) == {k: v for k, v in fig["sft.length_buckets"].items() if v}

    lowered = [o.lower() for o in outputs]
    is_sql = ["```sql" in low or ("select" in low and bool(SQL_LIKE.search(o))) for o, low in zip(outputs, lowered)]
    assert sum(is_sql) == fig["sft.sql"]
    assert sum("```sql" in o for o in outputs) == fig["sft.sql_fenced"]
    for output, low, sql in zip(outputs, lowered, is_sql):
        if not sql:
            assert not any(w in low for w in SQL_WORDS) and not UPPER_SQL_WORDS.search(output), output
    assert sum(HINT in o for o in outputs) == fig["sft.nolock"]
    assert sum(low.count("nolock") for low in lowered) == sum(o.count(HINT) for o in outputs)
    sql_positions = [k for k, s in enumerate(is_sql) if s]
    assert sql_positions == list(range(sql_positions[0], sql_positions[-1] + 1)) if sql_positions else True

    refusals = [k for k, low in enumerate(lowered) if any(p in low for p in REFUSALS)]
    assert len(refusals) == fig["sft.refusal"]
    assert sum(any(p in low for p in REFUSAL_LIKE) for low in lowered) == fig["sft.refusal"]
    lo, hi = fig["sft.source_ranges"]["negative"]
    assert all(lo <= k < hi for k in refusals)

    inputs = [k for k, r in enumerate(records) if r["input"]]
    assert len(inputs) == fig["sft.nonempty_input"]
    assert all(is_sql[k] for k in inputs)
    assert inputs == list(range(*fig["sft.source_ranges"]["error_correction"]))

    truncated = [o for o in outputs if o.count("```") % 2]
    assert len(truncated) == fig["sft.truncated"]
    assert all(len(o) == 3000 and "```sql" in o for o in truncated)
    assert sum(len(o) >= 2900 for o in outputs) == fig["sft.truncated"]

    keys = [_norm(r["instruction"], r["input"], r["output"]) for r in records]
    seen: set[str] = set()
    seen_masked: set[str] = set()
    exact = near = 0
    for key in keys:
        masked = re.sub(r"\d+", "0", key)
        if key in seen:
            exact += 1
        elif masked in seen_masked:
            near += 1
        seen.add(key)
        seen_masked.add(masked)
    assert (exact, near) == (fig["sft.exact_duplicates"], fig["sft.near_duplicates"])

    ranges = fig["sft.source_ranges"]
    assert list(ranges) == fig["sft.source_order"] == ["schema", "business", "sql_generation", "join_pattern",
                                                     "error_correction", "negative"]
    assert [ranges[s][1] - ranges[s][0] for s in ranges] == list(fig["sft.content_mix"].values())
    statements = {s for o in outputs if o.count("```") % 2 == 0 for s in _statements(o)}
    assert len([o for o in outputs if o.count("```") % 2 == 0 and _statements(o)]) == fig["sft.sql"] - fig["sft.truncated"]
    _check_sql(statements)
    _check_sql({r["input"] for r in records if r["input"]}, is_input=True)
    # Counting over every field instead of the output alone gives the same figures.
    assert sum(HINT in r["instruction"] + r["input"] + r["output"] for r in records) == fig["sft.nolock"]
    assert sum(bool(SQL_LIKE.search(r["instruction"] + "\n" + r["input"])) for r in records) == fig["sft.nonempty_input"]


def _verify_dpo(records: list[dict], fig: dict) -> None:
    assert len(records) == fig["dpo.pairs"]
    assert all(set(r) == {"instruction", "input", "chosen", "rejected"} for r in records)
    assert all(isinstance(v, str) for r in records for v in r.values())
    chosen = [r["chosen"] for r in records]
    rejected = [r["rejected"] for r in records]
    assert sum(HINT in c for c in chosen) == fig["dpo.chosen_nolock"]
    assert sum(HINT in r for r in rejected) == fig["dpo.rejected_nolock"]
    identical = sum(c == r for c, r in zip(chosen, rejected))
    trivial = sum(c != r and c.replace(" " + HINT, "") == r.replace(" " + HINT, "") for c, r in zip(chosen, rejected))
    assert (identical, trivial) == (fig["dpo.identical"], fig["dpo.trivial"])
    assert fig["dpo.trivial"] + fig["dpo.identical"] + fig["dpo.semantic"] == fig["dpo.pairs"]
    assert round(sum(map(len, chosen)) / len(chosen), 1) == fig["dpo.chosen_mean_length"]
    assert fig["dpo.chosen_mean_length"] > fig["dpo.rejected_mean_length"]
    _check_sql({s for text in chosen + rejected for s in (_statements(text) or [text])})


def _verify_kto(records: list[dict], fig: dict) -> None:
    assert len(records) == fig["kto.records"]
    assert all(set(r) == {"instruction", "input", "output", "label"} for r in records)
    labels = Counter(r["label"] for r in records)
    assert set(labels) <= {"true", "false"}  # strings, as the team wrote them
    assert (labels["true"], labels["false"]) == (fig["kto.true"], fig["kto.false"])
    for label in ("true", "false"):
        subset = [r["output"] for r in records if r["label"] == label]
        assert sum(len(o) < 50 for o in subset) == fig[f"kto.{label}_under_50"]
        assert sum("```sql" in o for o in subset) == fig[f"kto.{label}_fenced"]


def _verify_rest(outdir: Path, fig: dict) -> None:
    questions = json.loads((outdir / "validation.json").read_text(encoding="utf-8"))
    assert len(questions) == fig["validation.questions"] == 49
    assert all(set(q) == {"id", "category", "question", "expected"} for q in questions)
    assert dict(Counter(q["category"] for q in questions)) == {
        "schema": 12, "sql_generation": 12, "hallucination": 10, "join": 5, "error_correction": 5, "business_logic": 5}
    assert len({q["id"] for q in questions}) == 49
    suite = json.loads((outdir / "validation_suite.json").read_text(encoding="utf-8"))
    assert suite["claimed_total"] == 500 == sum(suite["claimed_per_category"].values())
    info = json.loads((outdir / "dataset_info.json").read_text(encoding="utf-8"))
    assert info["vgpt2_sft"] == {"file_name": "sft.json", "formatting": "alpaca"}
    assert info["vgpt2_dpo"]["ranking"] is True
    assert info["vgpt2_dpo"]["columns"] == {"prompt": "instruction", "query": "input", "chosen": "chosen", "rejected": "rejected"}
    assert info["vgpt2_kto"]["columns"] == {"prompt": "instruction", "query": "input", "response": "output", "kto_tag": "label"}
    assert info["vgpt2_kto_jsonl"]["file_name"] == "kto.jsonl"
    assert all((outdir / entry["file_name"]).is_file() for entry in info.values())
    assert json.loads((outdir / "figures.json").read_text(encoding="utf-8")) == fig


def _verify(outdir: Path, fig: dict) -> None:
    _verify_sft(_load(outdir, "sft"), fig)
    _verify_dpo(_load(outdir, "dpo"), fig)
    _verify_kto(_load(outdir, "kto"), fig)
    _verify_rest(outdir, fig)


def test_small_scale_figures_hold(tmp_path: Path) -> None:
    figures = generate(tmp_path, scale=0.02, seed=3)
    assert figures["sft.records"] == 1180 and figures["dpo.pairs"] == 29 and figures["kto.records"] == 40
    _verify(tmp_path, figures)


def test_review_scale_hits_the_review_figures(tmp_path: Path) -> None:
    figures = generate(tmp_path)
    for key, value in REVIEW.items():
        assert figures[key] == value, key
    assert figures["sft.nonempty_input"] == figures["sft.content_mix"]["error_correction"] == 560
    assert figures["kto.false_under_50"] > 0.8 * figures["kto.false"] and figures["kto.true_under_50"] == 0
    assert figures["dpo.trivial"] > figures["dpo.pairs"] / 2 and figures["dpo.identical"] > 0
    assert figures["sft.exact_duplicates"] > 0 and figures["sft.near_duplicates"] > 0 and figures["sft.truncated"] > 0
    _verify(tmp_path, figures)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert generate(a, scale=0.03, seed=7) == generate(b, scale=0.03, seed=7)
    generate(c, scale=0.03, seed=8)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert all((a / n).read_bytes() == (b / n).read_bytes() for n in names)
    assert (a / "sft.jsonl").read_bytes() != (c / "sft.jsonl").read_bytes()


def test_single_format(tmp_path: Path) -> None:
    generate(tmp_path, scale=0.01, formats=["jsonl"])
    assert not (tmp_path / "sft.json").exists() and (tmp_path / "sft.jsonl").exists()
    info = json.loads((tmp_path / "dataset_info.json").read_text(encoding="utf-8"))
    assert sorted(info) == ["vgpt2_dpo_jsonl", "vgpt2_kto_jsonl", "vgpt2_sft_jsonl"]


def test_bad_arguments_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="formats"):
        generate(tmp_path, formats=["csv"])
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=0)


def test_integer_scales_multiply_every_planned_count() -> None:
    cells1, dups1, dpo1, kto1 = scaled_plan(1)
    cells10, dups10, dpo10, kto10 = scaled_plan(10)
    assert [c.count * 10 for c in cells1] == [c.count for c in cells10]
    assert {k: (e * 10, n * 10) for k, (e, n) in dups1.items()} == dups10
    assert {k: v * 10 for k, v in dpo1.items()} == dpo10 and {k: v * 10 for k, v in kto1.items()} == kto10
    assert sum(c.count for c in cells1) == 59021


def test_apportion_keeps_the_total() -> None:
    assert apportion([3, 1], 8) == [6, 2]
    assert apportion([1, 1, 1], 2) == [1, 1, 0]
    assert sum(apportion([8623, 27606, 12118, 7868, 2806], 1180)) == 1180
    assert apportion([0, 0], 5) == [0, 0]


@pytest.mark.parametrize("records", [[], [{}], [{"a": "x\ny", "b": 1, "c": None, "d": True, "é": "ü"}],
                                     [{"messages": [{"role": "user", "content": "q"}], "label": False}, {"a": 1.5}]])
def test_array_writer_matches_json_dump(tmp_path: Path, records: list[dict]) -> None:
    from bench.writers import RecordWriter

    with RecordWriter(tmp_path, "x", ("json", "jsonl")) as writer:
        for record in records:
            writer.write(record)
    assert (tmp_path / "x.json").read_text(encoding="utf-8") == json.dumps(records, indent=2, ensure_ascii=False)
    lines = (tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == records


def test_doctests() -> None:
    import doctest

    import bench.generate

    assert doctest.testmod(bench.generate).failed == 0
