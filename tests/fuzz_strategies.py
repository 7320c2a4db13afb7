"""What the hostile fuzz (tests/test_fuzz_hostile.py) generates: data files in every shape vgptlint
reads, policies grown from the shipped rule packs, registries, training configs and catalogs.

Values come in the right shape often enough to reach deep code, and in any other type, size or
encoding often enough to reach every check on the way.
"""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import strategies as st
from ruamel.yaml import YAML

SQL_WORDS = ["SELECT", "FROM", "WHERE", "JOIN", "ON", "WITH", "(NOLOCK)", "APTH", "a.APCo", "=", "(", ")", ",", "'", "`",
             "```sql", "```", "--", "/*", "*/", "[", "]", ";", "\n", "UNION", "INSERT", "EXEC", "TOP 10", "*", "N'", "GO",
             "CREATE PROCEDURE", "AS", "BEGIN", "END", "@p", "CASE", "WHEN", "#temp", "\"x\"", "1.5e3", "0x1F"]
SQL_LIKE = st.lists(st.sampled_from(SQL_WORDS), max_size=40).map(" ".join)
TEXT = st.one_of(st.text(max_size=60), SQL_LIKE,
                 st.sampled_from(["", "\ud800", "\ufeff", "a" * 3000, "\r\n", "\x00", "<image>", "I cannot help with that.",
                                  "```sql\nSELECT * FROM APTH\n```", "`" * 500, "{message}", "$.output"]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT)
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(["output", "input", "x", "from", "value", "role", "content"]),
                                                 inner, max_size=3)), max_leaves=12)


def _maybe_any(strategy):
    """Usually the value as intended, sometimes any JSON value in its place."""
    return st.one_of(strategy, strategy, strategy, JSON_VALUES)


ALPACA = st.fixed_dictionaries({"instruction": _maybe_any(TEXT), "input": _maybe_any(TEXT), "output": _maybe_any(TEXT)},
                               optional={"label": SCALARS, "system": TEXT, "history": JSON_VALUES, "category": SCALARS,
                                         "kto_tag": SCALARS})
ALPACA_PREFERENCE = st.fixed_dictionaries({"instruction": _maybe_any(TEXT), "input": TEXT, "chosen": _maybe_any(TEXT),
                                           "rejected": _maybe_any(TEXT)})
ROLES = st.sampled_from(["human", "gpt", "system", "function_call", "observation", "user", "assistant", "tool", "", "x"])
SHAREGPT_TURN = st.fixed_dictionaries({"from": _maybe_any(ROLES), "value": _maybe_any(TEXT)})
CONTENT_PARTS = st.lists(st.fixed_dictionaries({"type": st.sampled_from(["text", "image_url", 3]), "text": TEXT}), max_size=3)
OPENAI_TURN = st.fixed_dictionaries({"role": _maybe_any(ROLES), "content": st.one_of(TEXT, CONTENT_PARTS, JSON_VALUES)})
SHAREGPT = st.fixed_dictionaries({"conversations": _maybe_any(st.lists(SHAREGPT_TURN, max_size=5))},
                                 optional={"system": TEXT, "tools": st.one_of(TEXT, JSON_VALUES), "images": JSON_VALUES,
                                           "chosen": _maybe_any(SHAREGPT_TURN), "rejected": _maybe_any(SHAREGPT_TURN),
                                           "kto_tag": SCALARS})
OPENAI = st.fixed_dictionaries({"messages": _maybe_any(st.lists(OPENAI_TURN, max_size=5))},
                               optional={"chosen": _maybe_any(OPENAI_TURN), "rejected": _maybe_any(OPENAI_TURN),
                                         "label": SCALARS})
RECORDS = st.one_of(ALPACA, ALPACA, ALPACA_PREFERENCE, SHAREGPT, OPENAI, JSON_VALUES)
# Raw pieces no encoder writes: broken UTF-8, BOMs, NaN, huge numbers, deep nesting, truncation.
RAW = st.sampled_from([b"\xff\xfe", b"\xef\xbb\xbf", b"\xed\xa0\x80", b"NaN", b"-Infinity", b"1" * 5000, b"1e999999",
                       b"[" * 3000, b"{" * 50, b'{"a":', b"\r\n", b"\x00", b"}", b'"\\ud800"', b'{"output": ' + b"[" * 200,
                       b'{"output": NaN}', b'{"output": "a", "output": 1}', b'{"output": Infinity, "input": -Infinity}',
                       b"\xef\xbb\xbf" + b'{"output": "x"}', b"//", b"\x1a"])


def _line(record: object) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogatepass")


_PIECES = st.lists(st.one_of(RECORDS.map(_line), RAW), min_size=1, max_size=8)
HOSTILE_FILES = st.one_of(
    _PIECES.map(b"\n".join),  # JSON Lines
    _PIECES.map(lambda items: b"[" + b",\n".join(items) + b"]"),  # a JSON array
    st.binary(max_size=200),
)

# -- LLaMA-Factory registries and training configs ---------------------------------------------------

COLUMN_NAMES = st.sampled_from(["prompt", "query", "response", "history", "messages", "system", "tools", "images",
                                "chosen", "rejected", "kto_tag", "videos", "x"])
FIELD_NAMES = st.sampled_from(["instruction", "input", "output", "conversations", "messages", "label", "chosen", "rejected",
                               "system", "missing"])
TAG_NAMES = st.sampled_from(["role_tag", "content_tag", "user_tag", "assistant_tag", "observation_tag",
                             "function_tag", "system_tag", "x"])
REGISTRY_ENTRY = st.fixed_dictionaries({}, optional={
    "file_name": _maybe_any(st.sampled_from(["data.jsonl", "data.json", "../outside.json", "/etc/hostname", "missing.json",
                                             "sub", "data.parquet", ""])),
    "formatting": _maybe_any(st.sampled_from(["alpaca", "sharegpt", "openai", "sharegtp"])),
    "ranking": _maybe_any(st.booleans()),
    "columns": _maybe_any(st.dictionaries(COLUMN_NAMES, _maybe_any(FIELD_NAMES), max_size=5)),
    "tags": _maybe_any(st.dictionaries(TAG_NAMES, _maybe_any(ROLES), max_size=4)),
    "num_samples": _maybe_any(st.integers(-3, 10)),
    "hf_hub_url": JSON_VALUES, "split": JSON_VALUES, "subset": JSON_VALUES, "folder": JSON_VALUES,
})
REGISTRIES = _maybe_any(st.dictionaries(st.sampled_from(["a", "b", "", "c d"]), _maybe_any(REGISTRY_ENTRY), max_size=3))
TRAIN_CONFIGS = st.fixed_dictionaries({}, optional={
    "stage": _maybe_any(st.sampled_from(["pt", "sft", "rm", "ppo", "dpo", "kto", "x"])),
    "dataset": _maybe_any(st.sampled_from(["a", "a,b", "b, c d", "", "missing", "a,,a"])),
    "eval_dataset": _maybe_any(st.sampled_from(["a", "b"])),
    "dataset_dir": _maybe_any(st.sampled_from(["data", ".", "missing", "../.."])),
    "template": _maybe_any(st.sampled_from(["qwen", "llama3", "default", "x"])),
    "cutoff_len": _maybe_any(st.integers(-5, 5000)), "max_samples": _maybe_any(st.integers(-1, 10)),
    "val_size": _maybe_any(st.floats(allow_nan=False)), "packing": JSON_VALUES, "neat_packing": JSON_VALUES,
    "streaming": JSON_VALUES, "mix_strategy": _maybe_any(st.sampled_from(["concat", "interleave_under", "x"])),
    "train_on_prompt": JSON_VALUES, "mask_history": JSON_VALUES, "tokenized_path": JSON_VALUES,
    "seed": JSON_VALUES, "model_name_or_path": JSON_VALUES, "unknown_key": JSON_VALUES,
})

# -- Catalogs ----------------------------------------------------------------------------------------

IDENTIFIERS = st.sampled_from(["APTH", "APCo", "Mth", "bAPTH", "KeyID", "", "a b", "[x]", "dbo.APTH"])
CATALOG_TABLE = st.fixed_dictionaries({}, optional={
    "module": _maybe_any(st.sampled_from(["AP", "HQ"])), "company": _maybe_any(IDENTIFIERS),
    "group": _maybe_any(IDENTIFIERS), "key": _maybe_any(st.lists(IDENTIFIERS, max_size=3)),
    "view_of": _maybe_any(IDENTIFIERS), "columns": _maybe_any(st.lists(_maybe_any(IDENTIFIERS), max_size=5)),
})
CATALOGS = _maybe_any(st.fixed_dictionaries({"tables": _maybe_any(st.dictionaries(IDENTIFIERS, _maybe_any(CATALOG_TABLE),
                                                                                   max_size=4))},
                                            optional={"name": JSON_VALUES, "x": JSON_VALUES}))

CSV_CELLS = st.one_of(IDENTIFIERS, st.sampled_from(["TABLE_NAME", "COLUMN_NAME", "TABLE_SCHEMA", "DATA_TYPE", "\"", "a\tb"]),
                      st.text(max_size=6))
CSV_CATALOGS = st.tuples(st.sampled_from(["TABLE_SCHEMA,TABLE_NAME,COLUMN_NAME,DATA_TYPE", "TABLE_NAME\tCOLUMN_NAME", "x", ""]),
                         st.lists(st.lists(CSV_CELLS, max_size=5).map(",".join), max_size=5)).map(
    lambda parts: "\n".join([parts[0], *parts[1]]))

# -- Policies ----------------------------------------------------------------------------------------

YAML_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12),
                         st.sampled_from(["error", "warning", "off", "info", "$.output", "$..*", "$[", "(a+)+$", "[", "*x",
                                          "&x a", "sft", "dpo", "alpaca", "safe", "unsafe", "{message}", "{x}"]))
YAML_VALUES = st.recursive(YAML_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                  st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                           max_leaves=8)


def _shipped(section: str) -> dict[str, dict]:
    """Every rule body (or facet) of the shipped packs, as plain data: the fuzz starts from what works."""
    root = Path(__file__).resolve().parents[1] / "rules"
    found: dict[str, dict] = {}
    for pack in sorted(root.glob("*.yaml")):
        document = YAML(typ="safe", pure=True).load(pack.read_text(encoding="utf-8")) or {}
        found.update({name: body for name, body in (document.get(section) or {}).items() if isinstance(body, dict)})
    return json.loads(json.dumps(found))


SHIPPED_RULES = _shipped("rules")
SHIPPED_FACETS = _shipped("facets")
SHIPPED_IDS = sorted(SHIPPED_RULES)


def _option_values() -> list:
    """Every option value written in the shipped packs: a value of one option is a plausible wrong value of another."""
    values = []
    for body in SHIPPED_RULES.values():
        for step in body.get("then") if isinstance(body.get("then"), list) else [body.get("then")]:
            if isinstance(step, dict) and isinstance(step.get("options"), dict):
                values.extend(json.loads(json.dumps(v)) for v in step["options"].values())
    return values


OPTION_VALUES = st.sampled_from(_option_values())
HOSTILE_VALUES = st.one_of(YAML_VALUES, OPTION_VALUES)


def _same_type(value):
    """Another value of ``value``'s type: what gets past the loader's type checks to the code behind them."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(st.integers(-2, 3), st.integers(), st.sampled_from([0, -1, 10**12]))
    if isinstance(value, float):
        return st.floats(allow_nan=False)
    if isinstance(value, str):
        return st.one_of(st.text(max_size=20), st.sampled_from(["", "$", "$..*", "(", "(?P<x>a)|\\1", "^$", "{0}", "{message}",
                                                                "SELECT", "\ud800", "a" * 500, value + value]))
    if isinstance(value, list):
        items = [_same_type(item) for item in value] or [YAML_SCALARS]
        return st.lists(st.one_of(*items), max_size=4)
    return HOSTILE_VALUES


@st.composite
def _mutated(draw, value, depth: int = 0):
    """``value`` with one part replaced (by a value of its type, or any), dropped or joined by a
    stranger, somewhere inside it."""
    if depth > 4 or not isinstance(value, (dict, list)) or not value or draw(st.integers(0, 3)) == 0:
        return draw(st.one_of(_same_type(value), _same_type(value), HOSTILE_VALUES))
    if isinstance(value, list):
        index = draw(st.integers(0, len(value) - 1))
        return [draw(_mutated(item, depth + 1)) if i == index else item for i, item in enumerate(value)]
    key = draw(st.sampled_from(sorted(value, key=str)))
    action = draw(st.sampled_from(["replace", "replace", "drop", "add"]))
    if action == "drop":
        return {k: v for k, v in value.items() if k != key}
    if action == "add":
        return {**value, draw(st.sampled_from(["options", "field", "negate", "x", "fixer", "set", "unless", "format",
                                               "kind", "absent", key])): draw(HOSTILE_VALUES)}
    return {**value, key: draw(_mutated(value[key], depth + 1))}


def _mutations(value, count: int):
    strategy = st.just(value)
    for _ in range(count):
        strategy = strategy.flatmap(_mutated)
    return strategy


SHIPPED_BODY = st.sampled_from(SHIPPED_IDS).map(SHIPPED_RULES.__getitem__)
# A shipped rule re-declared under its own id (an override) or a new one, with a few parts made hostile.
RULE_ENTRIES = st.tuples(st.one_of(st.sampled_from(SHIPPED_IDS), st.sampled_from(["my-rule", "Bad Id", ""])),
                         st.one_of(SHIPPED_BODY.flatmap(lambda body: st.integers(0, 3).flatmap(lambda n: _mutations(body, n))),
                                   st.fixed_dictionaries({}, optional={"severity": YAML_VALUES, "options": YAML_VALUES}),
                                   YAML_SCALARS))
RULES = st.lists(RULE_ENTRIES, max_size=3).map(dict)
WHEN = st.recursive(
    st.fixed_dictionaries({"given": _maybe_any(st.sampled_from(["$.output", "$.instruction", "$["])),
                           "function": _maybe_any(st.sampled_from(["pattern", "sql_present", "refusal", "contains", "x"]))},
                          optional={"options": HOSTILE_VALUES, "negate": YAML_SCALARS}),
    lambda inner: st.dictionaries(st.sampled_from(["any", "all", "not", "x"]), st.one_of(inner, st.lists(inner, max_size=2)),
                                  min_size=1, max_size=1),
    max_leaves=4)
SHIPPED_FACET = st.sampled_from(sorted(SHIPPED_FACETS)).flatmap(
    lambda name: st.integers(1, 3).flatmap(lambda n: _mutations(SHIPPED_FACETS[name], n)).map(lambda facet: {name: facet}))
FACETS = SHIPPED_FACET | st.dictionaries(st.sampled_from(["content_type", "my_facet", ""]), _maybe_any(st.fixed_dictionaries(
    {"cases": _maybe_any(st.lists(st.fixed_dictionaries({"value": YAML_SCALARS, "when": _maybe_any(WHEN)}), max_size=3))},
    optional={"description": YAML_SCALARS, "default": YAML_SCALARS})), max_size=2)
SETTINGS = st.fixed_dictionaries({}, optional={
    "refusal": _maybe_any(st.dictionaries(st.sampled_from(["cues", "brief_chars", "x", "disclaimers"]), HOSTILE_VALUES,
                                          max_size=3)),
    "x": YAML_VALUES})
OVERRIDES = st.lists(_maybe_any(st.fixed_dictionaries({"files": _maybe_any(st.sampled_from(["*.jsonl", "**", "[", ""])),
                                                       "rules": _maybe_any(RULES)})), max_size=2)
IGNORES = st.lists(_maybe_any(st.fixed_dictionaries({}, optional={
    "rules": YAML_VALUES, "files": YAML_VALUES, "reason": YAML_VALUES, "path": YAML_VALUES})), max_size=2)
POLICY_KEYS = st.sampled_from(["fail-on", "dialect", "catalog", "dataset_info", "datasets", "trainer", "baseline", "pack",
                               "description", "functions", "train_config", "example_catalog", "x"])
EXTENDS = st.sampled_from(["pretrain", "pretrain", ["sft"], ["core"], [], ["sft", "preference", "llamafactory"], ["sql_catalog"],
                           ["sql", "dataset"]])
# Half the policies only re-declare or add rules, so that most of them load and their rules run.
POLICIES = st.one_of(
    st.fixed_dictionaries({"extends": EXTENDS, "rules": RULES}),
    st.fixed_dictionaries({"extends": EXTENDS},
                          optional={"rules": RULES, "facets": _maybe_any(FACETS), "settings": _maybe_any(SETTINGS),
                                    "overrides": _maybe_any(OVERRIDES), "ignore": _maybe_any(IGNORES)},
                          ).flatmap(lambda base: st.dictionaries(POLICY_KEYS, YAML_VALUES, max_size=2).map(
                              lambda extra: {**extra, **base})))
