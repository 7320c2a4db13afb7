"""DPO pairs, KTO records and the validation suite of the review-shaped bench dataset."""

from __future__ import annotations

import dataclasses
import random

from bench import prose
from bench.prose import fill
from bench.sft_sources import describe
from bench.sqlgen import SqlSpec, drop_join_key, has_join_key_to_drop, random_spec, render, template
from bench.vista import FAKE_COLUMNS, FAKE_TABLES, TABLES

# DPO pair kinds. "trivial": chosen == rejected once every " WITH (NOLOCK)" is removed, and they are not
# identical. "identical": chosen == rejected. "semantic_*": the rejected query drops a join key column or the
# company filter; the suffix says which sides carry the hint.
DPO_KINDS = ("trivial", "identical_nolock", "identical_plain", "semantic_both_nolock", "semantic_chosen_nolock",
             "semantic_no_nolock")
KTO_KINDS = ("true_fenced", "true_prose", "false_short", "false_long_inline", "false_long_fenced")

_LEADS = ("Here is the query:", "This returns what you asked for:", "Use this query:", "Query:")


def _frame(rng: random.Random) -> tuple[str, str]:
    if rng.random() < 0.6:
        return "", ""
    return rng.choice(_LEADS) + "\n\n```sql\n", "\n```"


def _semantic_pair(rng: random.Random) -> tuple[SqlSpec, SqlSpec, str]:
    spec = random_spec(rng, (2, 4), (2, 6), company_share=1.0)
    if rng.random() < 0.5 and has_join_key_to_drop(spec):
        bad = drop_join_key(rng, spec)
        assert bad is not None
        return spec, bad, "join_key"
    return spec, dataclasses.replace(spec, company=None), "company_filter"


def dpo_pair(rng: random.Random, kind: str) -> tuple[dict, str]:
    """One DPO record of `kind`, and what separates its sides ("hint", "none", "join_key", "company_filter")."""
    before, after = _frame(rng)
    multiline = bool(before) or rng.random() < 0.7
    if kind.startswith("semantic"):
        good, bad, difference = _semantic_pair(rng)
        chosen = render(template(good, multiline), kind != "semantic_no_nolock")
        rejected = render(template(bad, multiline), kind == "semantic_both_nolock")
    else:
        good = random_spec(rng, (1, 4), (1, 6))
        tpl = template(good, multiline)
        difference = "hint" if kind == "trivial" else "none"
        chosen = render(tpl, kind != "identical_plain")
        rejected = render(tpl, kind == "identical_nolock")
    record = {"instruction": describe(good), "input": "", "chosen": before + chosen + after,
              "rejected": before + rejected + after}
    return record, difference


def _short_wrong(rng: random.Random) -> str:
    fake = rng.choice(sorted(FAKE_TABLES))
    fake_col = rng.choice(sorted(FAKE_COLUMNS))
    table = rng.choice(sorted(TABLES))
    options = (f"SELECT * FROM {fake}", f"Use the {fake} table.", f"{table}.{fake_col}", f"Check {fake}.",
               f"SELECT {fake_col} FROM {table}", "Not sure, try the AP tables.", f"It is in {fake}.",
               f"Query {table} by CompanyID.", "Yes.", "No.")
    return rng.choice([o for o in options if len(o) < 50])


def kto_record(rng: random.Random, kind: str) -> dict:
    spec = random_spec(rng, (1, 3), (2, 6), company_share=1.0)
    instruction = describe(spec)
    if kind == "true_fenced":
        output = rng.choice(_LEADS) + "\n\n```sql\n" + render(template(spec, True), True) + "\n```"
    elif kind == "true_prose":
        table = TABLES[spec.tables[0]]
        instruction = f"What does {table.name} store?"
        heads = prose.table_heads(table)
        output = fill(rng, heads[0], [prose.table_notes(table)], 80, 400) or heads[0] + " " + heads[1]
    elif kind == "false_short":
        output = _short_wrong(rng)
    else:
        bad = drop_join_key(rng, spec) if has_join_key_to_drop(spec) else dataclasses.replace(spec, company=None)
        if kind == "false_long_fenced":
            output = rng.choice(_LEADS) + "\n\n```sql\n" + render(template(bad, True), False) + "\n```"
        else:
            output = "Use: " + render(template(bad, False), False)
            if len(output) < 50:
                output = "The data you want is in this table. " + output
    return {"instruction": instruction, "input": "", "output": output, "label": "true" if kind.startswith("true") else "false"}


# --- validation suite (review §6: 49 implemented of 500 claimed) -------------------------------------------

VALIDATION_CLAIMED = {"schema": 100, "sql_generation": 150, "hallucination": 100, "join": 50,
                      "error_correction": 50, "business_logic": 50}
VALIDATION_IMPLEMENTED = {"schema": 12, "sql_generation": 12, "hallucination": 10, "join": 5,
                          "error_correction": 5, "business_logic": 5}


def validation_questions() -> list[dict]:
    """The 49 implemented questions. Fixed: independent of the data seed, like a team's checked-in suite."""
    rng = random.Random("vgpt2-validation")
    out: list[dict] = []

    def add(category: str, question: str, expected: str) -> None:
        out.append({"id": f"{category}-{sum(q['category'] == category for q in out) + 1:03d}",
                    "category": category, "question": question, "expected": expected})

    for name in sorted(TABLES)[:12]:
        table = TABLES[name]
        add("schema", f"What are the key columns of {name}?", ", ".join(table.key))
    for _ in range(12):
        spec = random_spec(rng, (1, 2), (2, 4), company_share=1.0, extras=False)
        add("sql_generation", describe(spec), render(template(spec, True), True))
    for fake in sorted(FAKE_TABLES)[:10]:
        add("hallucination", f"What columns are in the {fake} table?",
            f"Say that {fake} is not a Vista table and point to {FAKE_TABLES[fake]}.")
    for _ in range(5):
        spec = random_spec(rng, (2, 3), (2, 3), company_share=1.0, extras=False)
        add("join", f"How do I link {spec.tables[-1]} to {spec.tables[0]}?", render(template(spec, True), True))
    for _ in range(5):
        spec = random_spec(rng, (2, 3), (2, 3), company_share=1.0, extras=False)
        bad = drop_join_key(rng, spec) or dataclasses.replace(spec, company=None)
        add("error_correction", "Fix this query: " + render(template(bad, False), True), render(template(spec, True), True))
    for module in ("AP", "AR", "JC", "PR", "GL"):
        add("business_logic", f"What does the {prose.MODULE_NAMES[module]} module track in Vista?",
            prose.MODULE_FACTS[module][0])
    return out
