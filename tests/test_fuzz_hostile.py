"""Fuzz: hostile data files, SQL-like text and policies never make vgptlint crash or hang.

Whatever hypothesis generates, a run ends with exit 0, 1 or 2 and its own messages: never a traceback,
never "internal error". Each run must also finish within a generous budget (seconds, not the
milliseconds it takes): a guard against hangs and blow-ups, not a timing assertion.
Examples are bounded so the file stays a few seconds of the suite.
"""
from __future__ import annotations

import json
import time

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgptlint.commands.cli import main

BUDGET_SECONDS = 60  # a hang or an exponential case blows far past this; a slow machine does not
FUZZ = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])

SQL_WORDS = ["SELECT", "FROM", "WHERE", "JOIN", "ON", "WITH", "(NOLOCK)", "APTH", "a.APCo", "=", "(", ")", ",", "'", "`",
             "```sql", "```", "--", "/*", "*/", "[", "]", ";", "\n", "UNION", "INSERT", "EXEC", "TOP 10", "*"]
SQL_LIKE = st.lists(st.sampled_from(SQL_WORDS), max_size=40).map(" ".join)
TEXT = st.one_of(st.text(max_size=60), SQL_LIKE, st.sampled_from(["", "\ud800", "\ufeff", "a" * 3000, "\r\n", "\x00"]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                             st.dictionaries(st.sampled_from(["output", "input", "x"]), inner, max_size=3)),
                           max_leaves=12)
RECORDS = st.fixed_dictionaries({"instruction": TEXT, "input": TEXT, "output": TEXT},
                                optional={"label": SCALARS, "chosen": JSON_VALUES, "rejected": JSON_VALUES,
                                          "messages": JSON_VALUES, "category": SCALARS})
# Raw pieces no encoder writes: broken UTF-8, BOMs, NaN, huge numbers, deep nesting, truncation.
RAW = st.sampled_from([b"\xff\xfe", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"NaN", b"-Infinity", b"1" * 5000, b"1e999999",
                       b"[" * 3000, b"{" * 50, b'{"a":', b"\r\n", b"\x00", b"}", b'"\\ud800"', b'{"output": ' + b"[" * 200])


def _line(record: dict) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")


HOSTILE_FILES = st.one_of(
    st.lists(st.one_of(RECORDS.map(_line), RAW), min_size=1, max_size=8).map(b"\n".join),  # JSON Lines
    st.lists(st.one_of(RECORDS.map(_line), RAW), min_size=1, max_size=8).map(lambda items: b"[" + b",\n".join(items) + b"]"),
    st.binary(max_size=200),
)


def run(*args: str):
    started = time.monotonic()
    result = CliRunner().invoke(main, list(args))
    elapsed = time.monotonic() - started
    output = result.output
    assert result.exit_code in (0, 1, 2), (result.exit_code, output, result.exception)
    assert "internal error" not in output and "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert elapsed < BUDGET_SECONDS, f"took {elapsed:.0f} s"
    return result


@FUZZ
@given(content=HOSTILE_FILES, suffix=st.sampled_from([".jsonl", ".json"]))
def test_hostile_data_files(tmp_path_factory, content, suffix):
    folder = tmp_path_factory.mktemp("data")
    path = folder / f"data{suffix}"
    path.write_bytes(content)
    run("check", "--policy", "pretrain", "-f", "json", str(path))


@FUZZ
@given(content=HOSTILE_FILES)
def test_hostile_data_files_with_fixes(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("fix")
    path = folder / "data.jsonl"
    path.write_bytes(content)
    run("check", "--policy", "pretrain", "--fix", "--unsafe-fixes", str(path))


YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12),
                         st.sampled_from(["error", "warning", "off", "$.output", "$..*", "(a+)+$", "[", "*x", "&x a"]))
YAML_VALUES = st.recursive(YAML_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                  st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=8)
POLICY_KEYS = st.sampled_from(["extends", "rules", "fail-on", "dialect", "catalog", "dataset_info", "datasets", "overrides",
                               "trainer", "facets", "settings", "baseline", "ignore", "description", "pack", "functions"])
RULE_BODIES = st.fixed_dictionaries({}, optional={
    "given": YAML_VALUES, "severity": YAML_VALUES, "kind": YAML_VALUES, "where": YAML_VALUES, "message": YAML_VALUES,
    "then": st.one_of(YAML_VALUES, st.fixed_dictionaries({"function": st.sampled_from(["pattern", "length", "sql_parses", "x"]),
                                                          "options": YAML_VALUES})),
    "options": YAML_VALUES, "fix": YAML_VALUES})
POLICIES = st.fixed_dictionaries(
    {"extends": st.sampled_from([["sft"], ["core"], "pretrain", []])},
    optional={"rules": st.dictionaries(st.sampled_from(["output-too-short", "my-rule", "Bad Id", "sql-select-star"]),
                                       st.one_of(RULE_BODIES, YAML_SCALARS), max_size=3)},
).flatmap(lambda base: st.dictionaries(POLICY_KEYS, YAML_VALUES, max_size=3).map(lambda extra: {**extra, **base}))


@FUZZ
@given(policy=POLICIES, raw_tail=st.sampled_from(["", "\nx: &a [1]\ny: [*a, *a]\n", "\n: :\n", "\n\t- bad", "\n" + "[" * 500]))
def test_hostile_policies(tmp_path_factory, policy, raw_tail):
    folder = tmp_path_factory.mktemp("policy")
    (folder / "policy.yaml").write_text(json.dumps(policy) + raw_tail)  # JSON is YAML
    (folder / "sft.jsonl").write_text(json.dumps({"instruction": "q", "input": "", "output": "SELECT a FROM APTH"}) + "\n")
    run("check", "--policy", str(folder / "policy.yaml"), str(folder / "sft.jsonl"))
