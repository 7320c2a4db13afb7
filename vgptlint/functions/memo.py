"""One file's memo of pure functions' hits, by the string value they were given (issue 16).

Datasets repeat field values (an owner's 892 SFT records hold 248 distinct outputs; the bench data's
59,021 hold 37,530), and a record rule calls its function on every record, so a repeated answer was
analysed again by each SQL rule. A function declared ``is_pure`` gives equal values equal hits under
one file's context (see :func:`vgptlint.functions.base.function`): its hits are worked out once per
distinct value and kept here, within a budget, so memory does not grow with a file of distinct values.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vgptlint.functions.base import Context, Hit
    from vgptlint.policy.model import Check

# What the memo may hold, counted in characters of the values it keeps plus a flat cost for the
# objects around them (measured with tracemalloc: the memo then takes 1 to 2 MB at most).
# The bench data's repeated answers come back a median of 536 records later (p90: 5,103), its SQL
# ones 39 (p90: 160): this budget finds 17,319 of the 21,491 repeats, and all 375 of SQL.
MAX_CHARS = 2_000_000
VALUE_COST = 200  # the value's string header, its dict slot and its list of answers
ANSWER_COST = 16  # one check's answer in that list
HIT_COST = 400  # a Hit with its message, span and data
_NOT_ASKED = None  # an entry's slot for a check not yet called on its value


class HitMemo:
    """Hits by (check, value) for the string values of one file, oldest values out first.

    A check is known by identity: the memo lives with one file's context, and keeps every check it
    has seen alive, so no other check can take its ``id``. Hits are tuples of frozen ``Hit``s, handed
    out again as they are: the findings made from them never change them.
    """

    __slots__ = ("_entries", "_slots", "_checks", "_chars", "max_chars")

    def __init__(self, max_chars: int | None = None) -> None:
        self._entries: dict[str, list[tuple[Hit, ...] | None]] = {}  # value -> hits by check slot
        self._slots: dict[int, int] = {}  # id(check) -> its slot in every entry
        self._checks: list[object] = []
        self._chars = 0
        self.max_chars = MAX_CHARS if max_chars is None else max_chars

    def __reduce__(self) -> tuple:
        # A copy or another process starts empty: slots are keyed by the ids of this process's checks.
        return HitMemo, (self.max_chars,)

    def hits(self, check: Check, value: str, ctx: Context) -> tuple[Hit, ...]:
        """The hits ``check`` gives ``value`` under ``ctx`` (this memo's context): kept ones, else
        its function's, then kept."""
        slot = self._slots.get(id(check))
        if slot is None:
            slot = self._slots[id(check)] = len(self._checks)
            self._checks.append(check)
        entry = self._entries.get(value)
        if entry is not None and slot < len(entry):
            found = entry[slot]
            if found is not None:
                return found
        found = tuple(check.function.check(value, check.options, ctx))
        self._keep(value, entry, slot, found)
        return found

    @property
    def chars(self) -> int:
        """What the memo holds, in the units of ``max_chars``."""
        return self._chars

    def __len__(self) -> int:
        return len(self._entries)

    def _keep(self, value: str, entry: list | None, slot: int, found: tuple) -> None:
        if entry is None:
            entry = self._entries[value] = []
            self._chars += len(value) + VALUE_COST
        if slot >= len(entry):
            entry.extend([_NOT_ASKED] * (slot + 1 - len(entry)))
        entry[slot] = found
        self._chars += ANSWER_COST + HIT_COST * len(found)
        while self._chars > self.max_chars and self._entries:
            self._evict_oldest()

    def _evict_oldest(self) -> None:
        value = next(iter(self._entries))
        entry = self._entries.pop(value)
        self._chars -= _cost(value, entry)


def _cost(value: str, entry: list) -> int:
    answers = [found for found in entry if found is not _NOT_ASKED]
    return len(value) + VALUE_COST + ANSWER_COST * len(answers) + HIT_COST * sum(map(len, answers))
