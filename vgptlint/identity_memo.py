"""Values made from an object, remembered by the object's identity for the last objects asked about.

For objects that are unhashable or costly to hash (a compiled rule, a file's tuple of rules, a policy's
settings), asked about again and again while a run is on them. Each object is held beside its value, so
no other object can take its id while it is remembered; the oldest is let go first.

>>> made = []
>>> lengths = IdentityMemo(lambda items: made.append(items) or len(items), max_entries=2)
>>> rules = ["a", "b"]
>>> lengths(rules), lengths(rules), len(made)
(2, 2, 1)
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

Key = TypeVar("Key")
Value = TypeVar("Value")


class IdentityMemo(Generic[Key, Value]):
    """``make(key)``, made once per object while it is among the last ``max_entries`` asked about
    (``make``'s exceptions pass through and nothing is kept for them)."""

    def __init__(self, make: Callable[[Key], Value], max_entries: int) -> None:
        self.make, self.max_entries = make, max_entries
        self._entries: dict[int, tuple[Key, Value]] = {}

    def __call__(self, key: Key) -> Value:
        found = self._entries.get(id(key))
        if found is not None and found[0] is key:
            return found[1]
        value = self.make(key)
        if len(self._entries) >= self.max_entries:  # (pop: a Dask worker's threads may evict at once)
            self._entries.pop(next(iter(self._entries), None), None)
        self._entries[id(key)] = (key, value)
        return value
