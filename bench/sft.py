"""The SFT record stream: cells in source order, exact and near duplicates placed on purpose, none by accident.

A *cell* is (source, length bucket, variant); every record of a cell has the same planned properties
(bucket, SQL, hint, refusal, truncation), so a duplicate copied from an earlier record of its own cell keeps
every planned count exact.

Duplicate definitions (the figures `sft.exact_duplicates` and `sft.near_duplicates`):
- key(r) = the instruction, input and output, each with whitespace runs collapsed to one space, stripped and
  lower-cased, joined with U+001F.
- an exact duplicate is a record whose key equals an earlier record's key;
- a near duplicate is a record whose key is new but equals an earlier record's key once every run of digits
  is replaced by "0" (a templated copy: same question and answer, another company number).
Ordinary records are redrawn until both keys are new, so all duplicates are the planned ones.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from bench import sft_sources
from bench.sft_sources import Triple

SOURCES: tuple[str, ...] = ("schema", "business", "sql_generation", "join_pattern", "error_correction", "negative")
SQL_SOURCES = ("sql_generation", "join_pattern", "error_correction")

_NUMBER = re.compile(r"(?<![\w.])\d+(?!\w|\.\d)")  # a standalone number, not part of a name or decimal
_DIGITS = re.compile(r"\d+")
_MAX_DRAWS = 400


@dataclass(frozen=True, slots=True)
class Cell:
    source: str
    bucket: int
    variant: tuple  # sql: (has_nolock, is_truncated); negative: (is_refusal,); others: ()
    count: int

    @property
    def has_nolock(self) -> bool:
        return self.source in SQL_SOURCES and self.variant[0]

    @property
    def is_truncated(self) -> bool:
        return self.source in SQL_SOURCES and self.variant[1]

    @property
    def is_refusal(self) -> bool:
        return self.source == "negative" and self.variant[0]


def normalized_key(instruction: str, input_: str, output: str) -> str:
    return "\x1f".join(" ".join(s.split()).lower() for s in (instruction, input_, output))


def masked_key(key: str) -> str:
    return _DIGITS.sub("0", key)


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).digest()


def _draw(rng: random.Random, cell: Cell) -> Triple | None:
    if cell.source == "schema":
        return sft_sources.schema(rng, cell.bucket, cell.variant)
    if cell.source == "business":
        return sft_sources.business(rng, cell.bucket, cell.variant)
    if cell.source in ("sql_generation", "join_pattern"):
        return sft_sources.sql_answer(rng, cell.bucket, cell.variant, cell.source)
    if cell.source == "error_correction":
        return sft_sources.error_correction(rng, cell.bucket, cell.variant)
    return sft_sources.negative(rng, cell.bucket, cell.variant[0])


def _numbered(rng: random.Random, instruction: str) -> str:
    if _NUMBER.search(instruction):
        return instruction
    return f"For company {rng.randint(1, 9)}: {instruction}"


class _Seen:
    """Digests of every key and masked key written so far (10 bytes each; bounded by the record count)."""

    def __init__(self) -> None:
        self.keys: set[bytes] = set()
        self.masked: set[bytes] = set()

    def add(self, key: str) -> None:
        self.keys.add(_digest(key))
        self.masked.add(_digest(masked_key(key)))


def _ordinary(rng: random.Random, cell: Cell, seen: _Seen, numbered: bool) -> Triple:
    for attempt in range(_MAX_DRAWS):
        triple = _draw(rng, cell)
        if triple is None:
            continue
        instruction, input_, output = triple
        if numbered or rng.random() < 0.12:
            instruction = _numbered(rng, instruction)
        key = normalized_key(instruction, input_, output)
        if _digest(key) in seen.keys or _digest(masked_key(key)) in seen.masked:
            continue
        seen.add(key)
        return instruction, input_, output
    raise RuntimeError(f"bench generator: no unique record for cell {cell} after {_MAX_DRAWS} draws")


def _exact_copy(rng: random.Random, original: Triple) -> Triple:
    instruction, input_, output = original
    style = rng.randrange(3)
    if style == 1:  # differs only in case
        instruction = instruction.lower() if instruction != instruction.lower() else instruction.upper()
    elif style == 2:  # differs only in whitespace
        instruction = instruction.replace(" ", "  ", 1) + " "
    return instruction, input_, output


def _near_copy(rng: random.Random, candidates: list[Triple], seen: _Seen) -> Triple | None:
    for _ in range(64):
        instruction, input_, output = rng.choice(candidates)
        matches = list(_NUMBER.finditer(instruction))
        if not matches:
            continue
        m = rng.choice(matches)
        number = str(rng.randint(1, 99))
        if number == m.group():
            continue
        changed = instruction[:m.start()] + number + instruction[m.end():]
        key = normalized_key(changed, input_, output)
        if _digest(key) in seen.keys:
            continue
        seen.add(key)
        return changed, input_, output
    return None


@dataclass(frozen=True, slots=True)
class Slot:
    cell: Cell
    role: str  # "ordinary" | "exact" | "near"


def plan_source(rng: random.Random, cells: list[Cell], exact: int, near: int) -> tuple[list[Slot], int, int]:
    """Shuffle the records of one source and pick which are exact/near duplicates (never a cell's first)."""
    order = [k for k, cell in enumerate(cells) for _ in range(cell.count)]
    rng.shuffle(order)
    first_seen: set[int] = set()
    candidates = []
    for position, k in enumerate(order):
        if k in first_seen:
            candidates.append(position)
        first_seen.add(k)
    exact = min(exact, len(candidates))
    near = min(near, len(candidates) - exact)
    chosen = rng.sample(candidates, exact + near)
    roles = {p: "exact" for p in chosen[:exact]} | {p: "near" for p in chosen[exact:]}
    return [Slot(cells[k], roles.get(p, "ordinary")) for p, k in enumerate(order)], exact, near


def stream(rng: random.Random, slots_by_source: list[list[Slot]], on_record: Callable[[Slot, Triple], None]) -> None:
    """Generate every slot in order and hand each (slot, record) to `on_record`."""
    seen = _Seen()
    for slots in slots_by_source:
        recent: dict[Cell, list[Triple]] = {}
        numbered: dict[Cell, list[Triple]] = {}
        for slot in slots:
            cell = slot.cell
            record = None
            if slot.role == "exact":
                record = _exact_copy(rng, rng.choice(recent[cell]))
            elif slot.role == "near":
                record = _near_copy(rng, numbered[cell], seen)
                if record is None:
                    raise RuntimeError(f"bench generator: no near duplicate possible in cell {cell}")
            else:
                # The first record of a cell always carries a number, so a near copy of it is possible.
                record = _ordinary(rng, cell, seen, numbered=cell not in numbered)
                _remember(recent.setdefault(cell, []), record)
                if _NUMBER.search(record[0]):
                    _remember(numbered.setdefault(cell, []), record)
            on_record(slot, record)


def _remember(ring: list[Triple], record: Triple, size: int = 12) -> None:
    ring.append(record)
    if len(ring) > size:
        del ring[0]
