"""Bounded per-text memos: work that is a function of one text alone, done once per distinct text.

Real data repeats field values (the owner's SFT file: 892 records, 248 distinct outputs; DPO: 2,584
pairs, 595 distinct chosen answers), and dataset rules read every record: where the work on a text
costs more than a lookup (a refusal classifier's reading, an SQL split), it is remembered by the
text. A memo holds the latest ``max_entries`` distinct texts of at most ``max_text_chars``
characters (longer texts are worked on each time), so it holds at most ``max_entries *
max_text_chars`` characters whatever the file: memory does not grow with a file of all-distinct
values. Remembered values must never be changed by their readers.
"""
from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Callable, Iterator
from typing import TypeVar

Value = TypeVar("Value")

MAX_ENTRIES = 2048
MAX_TEXT_CHARS = 2048  # repeated values are short (the bench data's repeated outputs: 136 characters on average)

_MEMOS: weakref.WeakSet = weakref.WeakSet()  # every memo made, so all can be cleared
_SWITCH = {"on": True}


def text_memo(function: Callable[[str], Value], max_entries: int = MAX_ENTRIES,
              max_text_chars: int = MAX_TEXT_CHARS) -> Callable[[str], Value]:
    """``function`` (of one text, pure) remembered for the latest ``max_entries`` distinct texts of
    at most ``max_text_chars`` characters: least-recently used, in C (``functools.lru_cache``: a
    lookup costs less than the work worth remembering)."""
    remembered = functools.lru_cache(maxsize=max_entries)(function)

    def memoized(text: str) -> Value:
        if len(text) <= max_text_chars and _SWITCH["on"]:
            return remembered(text)
        return function(text)

    memoized.cache_info = remembered.cache_info  # type: ignore[attr-defined]
    memoized.cache_clear = remembered.cache_clear  # type: ignore[attr-defined]
    _MEMOS.add(memoized)
    return memoized


def clear_text_memos() -> None:
    """Forget every remembered text (memory back; results are the same either way)."""
    for memo in list(_MEMOS):
        memo.cache_clear()


def memo_sizes() -> list[int]:
    """How many texts each memo holds now."""
    return [memo.cache_info().currsize for memo in list(_MEMOS)]


@contextlib.contextmanager
def text_memos_off() -> Iterator[None]:
    """Every text worked on afresh inside the block (to compare with remembered results)."""
    clear_text_memos()
    _SWITCH["on"] = False
    try:
        yield
    finally:
        _SWITCH["on"] = True
