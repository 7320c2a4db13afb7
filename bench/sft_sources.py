"""One generator per SFT source: schema, business, sql_generation, join_pattern, error_correction, negative.

Each returns `(instruction, input, output)` with len(output) inside the requested bucket, or None when the
random draw did not fit (the caller draws again). Only error_correction fills `input`.
"""

from __future__ import annotations

import dataclasses
import random
import re

from bench import prose
from bench.prose import (BUCKETS, BUSINESS_QUESTIONS, COLUMN_QUESTIONS, GENERIC_NOTES, MODULE_FACTS, MODULE_NAMES,
                         SCHEMA_QUESTIONS, decorate, fill)
from bench.sqlgen import NOLOCK, SqlSpec, drop_join_key, has_join_key_to_drop, random_spec, render, template
from bench.vista import COLUMNS, FAKE_COLUMNS, FAKE_TABLES, LINK_BY_PAIR, TABLES, Table

Triple = tuple[str, str, str]

# Refusal language: every refusal output contains at least one of these (case-insensitive), and no other
# output contains any of them. Documented in bench/generate.py.
REFUSAL_PHRASES: tuple[str, ...] = (
    "There is no table named", "There is no column named", "does not exist in Viewpoint",
    "I don't have information", "is not part of the Vista schema",
)
TRUNCATE_AT = 3000

_TABLE_NAMES = sorted(TABLES)
_FAKE_TABLE_NAMES = sorted(FAKE_TABLES)
_FAKE_COLUMN_NAMES = sorted(FAKE_COLUMNS)
_MODULES = sorted(MODULE_FACTS)
_TABLES_BY_MODULE = {m: [t for t in _TABLE_NAMES if TABLES[t].module == m] for m in _MODULES}


def _bulleted(pool: list[str]) -> list[str]:
    return ["- " + s for s in pool]


def _fit_prose(rng: random.Random, head: str, pools: list[list[str]] | list, lo: int, hi: int) -> str | None:
    if rng.random() < 0.3 and lo >= 200:  # a share of long answers are bullet lists
        return fill(rng, head, [_bulleted(list(p)) for p in pools], lo, hi, sep="\n")
    return fill(rng, head, pools, lo, hi)


# --- schema descriptions -----------------------------------------------------------------------------

def schema(rng: random.Random, bucket: int, variant: object) -> Triple | None:
    table = TABLES[rng.choice(_TABLE_NAMES)]
    column = rng.choice(table.columns)
    if bucket == 0:
        question, answer = rng.choice(prose.short_schema_answers(table, column))
        return decorate(rng, question), "", answer
    lo, hi = BUCKETS[bucket]
    if bucket == 1 and rng.random() < 0.4:
        question = rng.choice(COLUMN_QUESTIONS).format(t=table.name, c=column)
        head = prose.column_sentence(rng, table, column)
        pools = [prose.table_notes(table)]
    else:
        question = rng.choice(SCHEMA_QUESTIONS).format(t=table.name)
        head = rng.choice(prose.table_heads(table))
        pools = [prose.table_pool(rng, table)]
    if bucket >= 3:
        for other in _neighbours(table):
            pools.append(prose.table_pool(rng, TABLES[other]))
        pools.append(GENERIC_NOTES)
    out = _fit_prose(rng, head, pools, lo, hi)
    return None if out is None else (decorate(rng, question), "", out)


def _neighbours(table: Table) -> list[str]:
    return sorted({b if a == table.name else a for a, b in LINK_BY_PAIR if table.name in (a, b)})


# --- business context --------------------------------------------------------------------------------

def _short_business(rng: random.Random, module: str, table: Table) -> tuple[str, str]:
    name = MODULE_NAMES[module]
    options = [
        (f"Which module handles {table.holds}?", f"The {name} module."),
        (f"What does {module} stand for in Vista?", f"{name}."),
        (f"Who works with {table.name} day to day?", f"{name} staff."),
        (f"What is {table.name} used for?", f"Tracking {table.holds}."),
        (f"Which Vista module is {table.name} part of?", f"{name} ({module})."),
        (f"In one line, what is the {module} module?", f"{name}: {table.holds}."),
        (f"Is {table.name} posted data or setup?", "Posted data." if "Mth" in table.key else "Setup and master data."),
    ]
    return rng.choice([(q, a) for q, a in options if len(a) < 50])


def business(rng: random.Random, bucket: int, variant: object) -> Triple | None:
    module = rng.choice(_MODULES)
    if not _TABLES_BY_MODULE[module]:
        return None
    table = TABLES[rng.choice(_TABLES_BY_MODULE[module])]
    if bucket == 0:
        question, answer = _short_business(rng, module, table)
        return decorate(rng, question), "", answer
    lo, hi = BUCKETS[bucket]
    question = rng.choice(BUSINESS_QUESTIONS).format(m=MODULE_NAMES[module], t=table.name, h=table.holds)
    facts = list(MODULE_FACTS[module])
    head = facts.pop(rng.randrange(len(facts)))
    pools: list = [facts]
    if bucket >= 2:
        pools.append(prose.table_notes(table))
    if bucket >= 3:
        pools.append(GENERIC_NOTES)
    out = _fit_prose(rng, head, pools, lo, hi)
    return None if out is None else (decorate(rng, question), "", out)


# --- SQL generation and join patterns ------------------------------------------------------------------

_SIZES = {  # bucket -> (tables, columns) for sql_generation / join_pattern
    "sql_generation": {1: ((1, 1), (1, 3)), 2: ((1, 2), (2, 5)), 3: ((1, 3), (3, 8)), 4: ((2, 4), (6, 14))},
    "join_pattern": {1: ((2, 2), (1, 2)), 2: ((2, 3), (2, 4)), 3: ((2, 4), (3, 8)), 4: ((3, 4), (6, 14))},
}
_INLINE_LEADS = ("Use:", "Try this:", "Query:", "Here you go:", "This works:", "Run this:")


def describe(spec: SqlSpec) -> str:
    """A natural-language request for the query `spec` describes."""
    root = TABLES[spec.tables[0]]
    cols = [c for _, c in spec.columns][:3]
    what = ", ".join(cols)
    text = f"Write a query that returns {what} from {root.holds}"
    if len(spec.tables) > 1:
        text += " with their " + " and ".join(TABLES[t].holds for t in spec.tables[1:3])
    if spec.company is not None:
        text += f" for {scope_words(root)} {spec.company}"
    return text + "."


def scope_words(table: Table) -> str:
    """How a question names the table's scope: "company", or "vendor group" for a group-keyed master."""
    return {"VendorGroup": "vendor group", "CustGroup": "customer group"}.get(table.scope, "company")


def _join_question(rng: random.Random, spec: SqlSpec) -> str:
    first, last = spec.tables[0], spec.tables[-1]
    forms = (f"How do I link {last} to {first}?", f"Show the correct link from {first} to {last}.",
             f"What is the full key between {first} and {last}?", f"How should {first} and {last} be related in a query?")
    question = rng.choice(forms)
    if spec.company is None:
        return question
    return question[:-1] + f" for {scope_words(TABLES[first])} {spec.company}" + question[-1]


def _explanations(rng: random.Random, spec: SqlSpec) -> list[str]:
    pool: list[str] = []
    for name in spec.tables:
        pool += prose.table_notes(TABLES[name])
    pool += [prose.column_sentence(rng, TABLES[spec.tables[i]], c) for i, c in spec.columns]
    return pool


def _fenced(rng: random.Random, lead: str, sql: str, spec: SqlSpec, lo: int, hi: int) -> str | None:
    block = "\n\n```sql\n" + sql + "\n```"
    pools = [_explanations(rng, spec)] + ([GENERIC_NOTES] if lo >= 1000 else [])
    text = fill(rng, lead, pools, max(1, lo - len(block)), hi - len(block))
    return None if text is None else text + block


def _inline(rng: random.Random, lead: str, sql: str, spec: SqlSpec, lo: int, hi: int) -> str | None:
    tail = " " + rng.choice(_INLINE_LEADS) + " " + sql
    if lo <= len(lead) + len(tail) < hi and rng.random() < 0.5:
        return lead + tail
    text = fill(rng, lead, [_explanations(rng, spec)], max(1, lo - len(tail)), hi - len(tail))
    return None if text is None else text + tail


def sql_answer(rng: random.Random, bucket: int, variant: tuple[bool, bool], source: str) -> Triple | None:
    nolock, truncated = variant
    tables, columns = _SIZES[source][bucket]
    spec = random_spec(rng, tables, columns)
    if truncated:
        return _truncated(rng, spec, nolock)
    question = describe(spec) if source == "sql_generation" else _join_question(rng, spec)
    lo, hi = BUCKETS[bucket]
    multiline = bucket >= 3 or rng.random() < 0.5
    sql = render(template(spec, multiline=multiline), nolock)
    lead = _lead(rng, spec, source)
    if bucket == 1 or (bucket == 2 and rng.random() < 0.45):
        out = _inline(rng, lead, render(template(spec, multiline=False), nolock), spec, lo, hi)
    else:
        out = _fenced(rng, lead, sql, spec, lo, hi)
    return None if out is None else (decorate(rng, question), "", out)


def _lead(rng: random.Random, spec: SqlSpec, source: str) -> str:
    root = TABLES[spec.tables[0]]
    if source == "join_pattern":
        return rng.choice(("Link on every column of the key.", "Use the full key for each link.",
                           f"Start from {root.name} and carry the whole key down."))
    return rng.choice((f"This reads {root.holds} from {root.name}.", f"The data is in {root.name}.",
                       f"Query the {root.name} view.", f"{root.name} holds {root.holds}."))


def _truncated(rng: random.Random, spec: SqlSpec, nolock: bool) -> Triple | None:
    """An answer cut at exactly TRUNCATE_AT characters inside its SQL fence (a generator's hard cap)."""
    long_spec = dataclasses.replace(spec, columns=tuple((i, c) for i, t in enumerate(spec.tables)
                                                        for c in TABLES[t].columns), total=None)
    sql = render(template(long_spec, multiline=True), nolock)
    opening = "\n\n```sql\n"
    cut_into_sql = rng.randint(200, max(201, min(len(sql) - 40, 900)))
    prose_len = TRUNCATE_AT - len(opening) - cut_into_sql
    pools = [_explanations(rng, spec), GENERIC_NOTES, GENERIC_NOTES]
    text = fill(rng, _lead(rng, spec, "sql_generation"), pools, prose_len - 60, prose_len + 1)
    if text is None:
        return None
    full = text + opening + sql + "\n```"
    out = full[:TRUNCATE_AT]
    sql_start = len(text) + len(opening)
    if not sql_start < TRUNCATE_AT < len(full) - 4:
        return None
    # Never cut through the hint (a half hint would be a second spelling of it), and keep one when asked.
    if NOLOCK.strip() not in out and nolock:
        return None
    tail = out[-len(NOLOCK):]
    if any(NOLOCK[:k] == tail[-k:] for k in range(1, len(NOLOCK))):
        return None
    return decorate(rng, describe(spec)), "", out


# --- error correction ----------------------------------------------------------------------------------

_FIX_QUESTIONS = ("Fix this query.", "What is wrong with this SQL?", "Correct the following Vista query.",
                  "This query returns wrong rows; correct it.", "Review and repair this query.")


def error_correction(rng: random.Random, bucket: int, variant: tuple[bool, bool]) -> Triple | None:
    nolock, _ = variant
    tables, columns = _SIZES["sql_generation"][max(bucket, 2)] if bucket > 1 else ((1, 2), (1, 2))
    spec = random_spec(rng, tables, columns, company_share=1.0)
    kinds = ["column_case", "base_table", "missing_company"]
    if has_join_key_to_drop(spec):
        kinds += ["missing_key", "missing_key"]
    if "Mth" in TABLES[spec.tables[0]].key:
        kinds.append("mid_month")
    if nolock:
        kinds.append("missing_hint")
    kind = rng.choice(kinds)
    good = spec
    if kind == "mid_month":
        good = dataclasses.replace(spec, predicates=((0, "Mth", "=", "'20240301'"),))
    multiline = bucket >= 2
    good_sql = render(template(good, multiline), nolock)
    bad_sql, why = _break(rng, kind, good, multiline, nolock)
    lo, hi = BUCKETS[bucket]
    if bucket == 1:
        out = _inline(rng, why, render(template(good, False), nolock), good, lo, hi)
    else:
        out = _fenced(rng, why, good_sql, good, lo, hi)
    return None if out is None else (decorate(rng, rng.choice(_FIX_QUESTIONS)), bad_sql, out)


def _break(rng: random.Random, kind: str, spec: SqlSpec, multiline: bool, nolock: bool) -> tuple[str, str]:
    root = TABLES[spec.tables[0]]
    if kind == "missing_key":
        bad = drop_join_key(rng, spec)
        assert bad is not None
        j, column = bad.dropped[0]
        reason = "transaction numbers repeat across months" if column == "Mth" else "the other key columns are not unique on their own"
        why = f"The link to {spec.tables[j]} leaves out {column}, and {reason}. Link on every key column."
        return render(template(bad, multiline), nolock), why
    if kind == "column_case":
        wrong = root.scope.upper() if root.scope.upper() != root.scope else root.scope.lower()
        bad_sql = re.sub(rf"\b{root.scope}\b", wrong, render(template(spec, multiline), nolock))
        return bad_sql, f"Names are case-sensitive under the binary collation: the column is {root.scope}, never {wrong}."
    if kind == "base_table":
        bad_sql = re.sub(rf"\b{root.name}\b", "b" + root.name, render(template(spec, multiline), nolock))
        return bad_sql, f"Read the {root.name} view rather than the base table b{root.name}; Vista forms, reports and security use the view."
    if kind == "missing_company":
        bad = dataclasses.replace(spec, company=None)
        return render(template(bad, multiline), nolock), f"The query reads every company; filter {root.scope} to the one you want."
    if kind == "mid_month":
        bad = dataclasses.replace(spec, predicates=((0, "Mth", "=", "'20240315'"),))
        return render(template(bad, multiline), nolock), "Mth always holds the first day of a month, so a mid-month value matches nothing."
    # missing_hint
    return render(template(spec, multiline), False), "Our house style reads every table without shared locks; put the hint after each table reference."


# --- negatives -----------------------------------------------------------------------------------------

def negative(rng: random.Random, bucket: int, is_refusal: bool) -> Triple | None:
    lo, hi = BUCKETS[bucket]
    if rng.random() < 0.6:
        fake = rng.choice(_FAKE_TABLE_NAMES)
        real = TABLES[FAKE_TABLES[fake]]
        question = rng.choice((f"What columns are in the {fake} table?", f"Describe the {fake} table.",
                               f"How do I query {fake} in Vista?", f"What is {fake} used for?",
                               f"Which key does {fake} use?"))
        refusals = (f"There is no table named {fake}.", f"{fake} does not exist in Viewpoint.",
                    f"I don't have information on {fake}.", f"{fake} is not part of the Vista schema.",
                    f"There is no table named {fake} in Viewpoint Vista.")
        redirect = (f"Use {real.name} for {real.holds}.", f"{real.holds.capitalize()} are kept in {real.name}.",
                    f"Vista keeps {real.holds} in {real.name}, keyed by {', '.join(real.key)}.")
    else:
        fake = rng.choice(_FAKE_COLUMN_NAMES)
        table_name, column = FAKE_COLUMNS[fake]
        real = TABLES[table_name]
        question = rng.choice((f"What does {real.name}.{fake} hold?", f"What type is {fake} in {real.name}?",
                               f"Filter {real.name} by {fake}.", f"Explain the {fake} column of {real.name}."))
        refusals = (f"There is no column named {fake} in {real.name}.", f"{fake} does not exist in Viewpoint.",
                    f"I don't have information on a {fake} column.", f"{real.name}.{fake} is not part of the Vista schema.")
        kind, desc = COLUMNS[column]
        redirect = (f"Use {real.name}.{column}.", f"The {desc} is {real.name}.{column} ({kind}).",
                    f"Vista keeps the {desc} in {real.name}.{column}, typed {kind}.")
    heads = [r for r in refusals if len(r) < hi] if is_refusal else [r for r in redirect if len(r) < hi]
    if not heads:
        return None
    head = rng.choice(heads)
    if bucket == 0:
        return (decorate(rng, question), "", head) if len(head) < 50 else None
    pools = [list(redirect) if is_refusal else [], prose.table_notes(real)]
    out = fill(rng, head, pools, lo, hi)
    return None if out is None else (decorate(rng, question), "", out)
