"""Sentence pools and length fitting for the bench generator's prose.

Prose never contains SQL-looking words (the s-word, join, insert, upd-, del-, merge, create), backticks,
the hint keyword, or refusal language: tests check this, so a linter's SQL and refusal detectors agree
with the generator's own counts.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence

from bench.vista import COLUMNS, LINKS, Table

# Exact length buckets of the review's §3 table: [lo, hi) in characters.
BUCKETS: tuple[tuple[int, int], ...] = ((1, 50), (50, 200), (200, 500), (500, 1000), (1000, 2900))
BUCKET_NAMES: tuple[str, ...] = ("<50", "50-199", "200-499", "500-999", ">=1000")

MODULE_NAMES = {
    "AP": "Accounts Payable", "AR": "Accounts Receivable", "JC": "Job Cost", "GL": "General Ledger",
    "PR": "Payroll", "PO": "Purchase Orders", "SL": "Subcontracts", "EM": "Equipment Management",
    "PM": "Project Management", "HQ": "Headquarters", "CM": "Cash Management",
}

GENERIC_NOTES: tuple[str, ...] = (
    "Vista names each base table with a b prefix and exposes it through a view without the prefix.",
    "Forms, reports and security grants in Vista all go through the view rather than the base table.",
    "Object and column names are case-sensitive because the database uses a binary collation.",
    "Flag columns of type bYN store an upper-case Y or N, so a lower-case literal matches nothing.",
    "Companies are tinyint values, and each module has its own company column.",
    "Mth is the batch month and always holds the first day of a month.",
    "The document date lives in columns such as InvDate, TransDate or ActualDate, never in Mth.",
    "Transaction numbers are unique only within a company and month.",
    "Shared masters such as vendors and customers are keyed by a group from HQCO, not by a company.",
    "HQCO maps every company to its vendor, customer, phase, material and tax groups.",
    "Unposted entries live in batch tables keyed by Co, Mth, BatchId and BatchSeq.",
    "HQBC tracks each batch with a status from 0 (open) to 5 (posted) or 6 (canceled).",
    "Posting moves batch rows into the posted tables inside long multi-table transactions.",
    "Most tables also carry a KeyID identity column, but links use the business key.",
    "Job and Contract are formatted strings that follow the company's mask.",
    "A secured view such as PREH or HQCO shows only the companies a login may see.",
    "Views are thin wrappers, so they are no faster than the base tables beneath them.",
    "Columns prefixed with ud are site-specific user fields added by a customer.",
    "Reporting views named brv or vrv feed particular Crystal reports.",
    "Bracketed names are rarely needed, since Vista names use letters, digits and the hash sign.",
    "Amounts use the bDollar type, numeric(12,2), throughout the financial modules.",
    "Units use bUnits, numeric(12,3), and unit costs use bUnitCost, numeric(16,5).",
    "Dates use bDate, a smalldatetime without a meaningful time part.",
    "The collation sorts strings in binary order, so upper-case letters sort first.",
)

MODULE_FACTS: dict[str, tuple[str, ...]] = {
    "AP": (
        "Accounts Payable records vendor invoices, holds, payments and 1099 reporting.",
        "Invoices are keyed in through AP Entry batches and become APTH, APTL and APTD rows when posted.",
        "Each invoice line can be charged to a job, equipment, inventory or a GL account.",
        "Pay detail in APTD tracks each line's status from open through paid.",
        "Unapproved invoices wait in APUI and APUL until reviewers approve them.",
        "Check and EFT history sits in APPH, one row per payment.",
        "Vendors are shared across companies through the vendor group.",
        "APTD.Status reads 1 for open, 2 for on hold and 3 or 4 for paid.",
    ),
    "AR": (
        "Accounts Receivable tracks customer invoices, receipts, adjustments and finance charges.",
        "ARTH holds one row per AR transaction and ARTL holds its lines.",
        "Payments point back at the invoice line they apply to through ApplyMth, ApplyTrans and ApplyLine.",
        "Customers are shared across companies through the customer group.",
        "Contract billing from JB posts invoices into AR.",
        "Retainage is tracked per line and released by later transactions.",
    ),
    "JC": (
        "Job Cost tracks estimates, actual costs, commitments and projections per job, phase and cost type.",
        "Costs arrive from AP, PR, EM, IN, MS, PO and SL postings as JCCD rows.",
        "Original estimates are JCCD rows with JCTransType OE.",
        "JCCP summarizes cost detail by month for fast job reports.",
        "Revenue lives on the contract side in JCID and JCIP, not in JCCD.",
        "Phases belong to a phase group that HQCO assigns to each JC company.",
        "A job is usually tied to one contract, and contract items carry the billing values.",
        "Projected cost and forecast columns feed the cost-to-complete reports.",
    ),
    "GL": (
        "General Ledger holds the chart of accounts, journals, posted detail and monthly balances.",
        "Every posting module writes GL detail rows into GLDT with its source and journal.",
        "GLBL keeps net activity per account and month.",
        "GLFP maps each month to a fiscal period and fiscal year.",
        "Account parts are defined per GL company and drive account masks.",
        "Closing a month in GL stops further posting into it.",
    ),
    "PR": (
        "Payroll holds employees, timecards, pay sequences and earnings, deduction and liability codes.",
        "Timecards post from PR batches into PRTH for each pay period.",
        "A pay period is identified by PRGroup and PREndDate.",
        "PRSQ holds one row per employee pay sequence, including the check or direct deposit.",
        "PRDT breaks each pay sequence into earnings, deductions and liabilities.",
        "The PR views apply data-type security, so a login sees only the employees it may see.",
        "Labor costs flow from timecards into Job Cost through the JC company on each timecard.",
    ),
    "PO": (
        "Purchase Orders track commitments to vendors for materials and services.",
        "POHD holds the header and POIT holds the items with their original and current cost.",
        "Receipts are recorded in PORD and drive received-not-invoiced cost.",
        "PO items can post to a job, inventory, equipment or a GL account.",
        "Committed cost from PO items flows into Job Cost.",
    ),
    "SL": (
        "Subcontracts track agreements with subcontractors, their items and change orders.",
        "SLHD holds the header, SLIT holds the items and SLCD holds the change detail.",
        "Subcontract commitments flow into Job Cost as committed cost.",
        "Retainage percentages are kept per subcontract item.",
        "Subcontract invoices are keyed in AP against the subcontract item.",
    ),
    "EM": (
        "Equipment Management tracks equipment, usage, costs, meter readings and work orders.",
        "EMEM is the equipment master with its category, status and meter readings.",
        "EMCD holds equipment cost detail and EMRD holds revenue and usage.",
        "Usage posted to a job produces revenue in EM and cost in JC.",
        "Cost codes and cost types are shared through the EM group.",
    ),
    "PM": (
        "Project Management tracks projects, change orders, submittals and subcontract changes.",
        "A PM project is the JC job with the same company and number.",
        "Approved change orders live in PMOH with their items in PMOI.",
        "Change order items adjust contract values when they are interfaced to JC.",
    ),
    "HQ": (
        "Headquarters holds shared setup: companies, groups, materials, tax codes and batches.",
        "HQCO is the company master and maps each company to its groups.",
        "HQBC controls every batch and records its source, status and who is using it.",
        "HQMT holds materials keyed by material group.",
    ),
}

_INSTRUCTION_PREFIXES = ("", "", "", "In Viewpoint Vista, ", "In Vista, ", "Quick question: ", "For a report, ",
                         "Help me understand this: ", "I am new to Vista. ", "From the schema, ")
_INSTRUCTION_SUFFIXES = ("", "", "", " Please be brief.", " Keep it short.", " Explain in detail.",
                         " Include data types.", " Thanks!", " This is for a Crystal report.", " Be precise.")


def decorate(rng: random.Random, core: str) -> str:
    """Wrap a question in a random prefix/suffix (the first letter follows the prefix)."""
    prefix = rng.choice(_INSTRUCTION_PREFIXES)
    if prefix and not prefix.endswith(". "):
        core = core[0].lower() + core[1:] if core[:2] != core[:2].upper() else core
    return prefix + core + rng.choice(_INSTRUCTION_SUFFIXES)


def fill(rng: random.Random, head: str, pools: Sequence[Sequence[str]], lo: int, hi: int, sep: str = " ") -> str | None:
    """`head` followed by sentences from `pools` (in order, each shuffled) until its length is in [lo, hi).

    Returns None when the pools cannot reach `lo` or `head` alone is too long.
    """
    text = head
    if len(text) >= hi:
        return None
    target = rng.randint(max(lo, len(text)), hi - 1)
    for pool in pools:
        if len(text) >= target:
            break
        # A lazy Fisher-Yates shuffle: only the sentences actually looked at cost a random draw.
        order = list(pool)
        for k in range(len(order)):
            if len(text) >= target:
                break
            j = k + int(rng.random() * (len(order) - k))
            order[k], order[j] = order[j], order[k]
            sentence = order[k]
            if len(text) + len(sep) + len(sentence) < hi:
                text = text + sep + sentence if text else sentence
    return text if lo <= len(text) < hi else None


def column_sentence(rng: random.Random, table: Table, column: str) -> str:
    kind, desc = COLUMNS[column]
    form = rng.randrange(4)
    if form == 0:
        return f"{column} ({kind}) is the {desc}."
    if form == 1:
        return f"{table.name}.{column} holds the {desc} and is typed {kind}."
    if form == 2:
        return f"{column}: {desc}, type {kind}."
    return f"The {column} column stores the {desc} as {kind}."


@functools.cache
def _links_of(table: Table) -> list[str]:
    out = []
    for link in LINKS:
        if table.name in (link.parent, link.child):
            keys = ", ".join(c if p == c else f"{c} = {p}" for p, c in link.on)
            out.append(f"{link.child} links to {link.parent} on {keys}.")
    return out


def table_notes(table: Table) -> list[str]:
    return list(_table_notes(table))


@functools.cache
def _table_notes(table: Table) -> tuple[str, ...]:
    key = ", ".join(table.key)
    notes = [
        f"The unique key of {table.name} is {key}.",
        f"The base table b{table.name} sits under the {table.name} view; Vista forms and reports read the view.",
        f"{table.name} belongs to the {MODULE_NAMES[table.module]} ({table.module}) module.",
    ]
    if table.scope.endswith("Group"):
        notes.append(f"{table.name} is keyed by {table.scope}, a group from HQCO, so it has no company column.")
        notes.append(f"Scope {table.name} to a company through HQCO.{table.scope}.")
    else:
        notes.append(f"{table.name} is scoped by its own company column, {table.scope}.")
        notes.append(f"Filter {table.name} on {table.scope} to stay inside one company.")
    if "Mth" in table.key:
        notes.append(f"Because transaction numbers repeat across months, Mth is part of every link to {table.name}.")
    return tuple(notes + _links_of(table))


def table_heads(table: Table) -> tuple[str, ...]:
    return (
        f"{table.name} is the {table.module} view that holds {table.holds}.",
        f"{table.name} holds {table.holds}; its key is {', '.join(table.key)}.",
        f"In Vista, {table.name} (base table b{table.name}) stores {table.holds}.",
        f"{table.name} stores {table.holds} for the {MODULE_NAMES[table.module]} module.",
    )


def table_pool(rng: random.Random, table: Table) -> list[str]:
    return [column_sentence(rng, table, c) for c in table.columns] + table_notes(table)


def short_schema_answers(table: Table, column: str) -> list[tuple[str, str]]:
    """(question, answer under 50 characters) pairs about one table column."""
    kind, desc = COLUMNS[column]
    t = table.name
    pairs = [
        (f"What is the data type of {t}.{column}?", f"{kind}."),
        (f"What type is {column} in {t}?", f"{column} is {kind}."),
        (f"What does {t}.{column} hold?", f"The {desc}."),
        (f"Which module owns {t}?", f"{t} is in the {table.module} module."),
        (f"What is the base table of {t}?", f"b{t}"),
        (f"What is the base table behind the {t} view?", f"The base table is b{t}."),
        (f"Which column scopes {t}?", table.scope),
        (f"What does {t} store?", f"{t} holds {table.holds}."),
        (f"Is {column} a column of {t}?", f"Yes, {t} has {column}."),
        (f"What is the company column of {t}?", f"{table.scope}."),
    ]
    if column in table.key:
        pairs.append((f"Is {column} part of the key of {t}?", f"Yes, {column} is a key column."))
    else:
        pairs.append((f"Is {column} part of the key of {t}?", f"No, {column} is not a key column."))
    return [(q, a) for q, a in pairs if len(a) < 50]


SCHEMA_QUESTIONS = (
    "What columns are in {t}?", "Describe the {t} table.", "What does {t} store?", "List the columns of {t}.",
    "Explain the {t} view in Viewpoint Vista.", "What is the structure of {t}?", "Tell me about the {t} table.",
    "What are the key columns of {t}?", "Document the {t} table for our data dictionary.",
    "How is {t} keyed and scoped?", "Give me an overview of {t}.", "What fields does {t} have?",
)
COLUMN_QUESTIONS = (
    "What is {t}.{c}?", "What does the {c} column in {t} hold?", "Explain {c} in {t}.",
    "What is stored in {t}.{c}?", "Describe the {c} column of {t}.",
)
BUSINESS_QUESTIONS = (
    "What does the {m} module do in Vista?", "How does {m} work in Viewpoint Vista?",
    "What is the business purpose of {t}?", "Why would an accountant look at {t}?",
    "How are {h} used in the {m} module?", "Explain the {m} workflow in Vista.",
    "Which business process fills {t}?", "What role does {t} play in {m}?",
    "Summarize the {m} module for a new controller.", "How do {h} flow through Vista?",
)
