"""Test-only functions, fixers and accumulators, and a policy that uses them.

They are registered at import (before any policy loads), named ``fixtest_*`` so they never clash
with built-ins.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, accumulator
from vgptlint.builtins import load_builtins
from vgptlint.fixes.base import fixer
from vgptlint.functions.base import REGISTRY, Context, Hit, function
from vgptlint.model import Applicability, Edit, Fix, Span

load_builtins()


@dataclass(frozen=True, slots=True)
class WordOptions:
    word: str = "colour"


@dataclass(frozen=True, slots=True)
class ReplaceOptions:
    replacement: str = "color"


if "fixtest_word" not in REGISTRY:

    @function("fixtest_word", options=WordOptions, accepts=(str,))
    def fixtest_word(value: str, opts: WordOptions, ctx: Context) -> Iterator[Hit]:
        """Every occurrence of ``word``, with its span."""
        start = value.find(opts.word)
        while start >= 0:
            yield Hit(f'has "{opts.word}"', span=Span(start, start + len(opts.word)))
            start = value.find(opts.word, start + len(opts.word))

    @fixer("fixtest_replace", options=ReplaceOptions)
    def fixtest_replace(value: object, hit: Hit, opts: ReplaceOptions, ctx: Context) -> Fix | None:
        return Fix(f'replace with "{opts.replacement}"', Applicability.SAFE,
                   (Edit(hit.span.start, hit.span.end, opts.replacement),))

    @fixer("fixtest_append", options=ReplaceOptions)
    def fixtest_append(value: object, hit: Hit, opts: ReplaceOptions, ctx: Context) -> Fix | None:
        """Insert after the span: two such rules on one span collide (same insertion point)."""
        return Fix(f'append "{opts.replacement}"', Applicability.SAFE, (Edit(hit.span.end, hit.span.end, opts.replacement),))

    def _finalize_in_order(state, opts):
        values = state[1]
        hits = (AggregateHit("the records are sorted by n"),) if len(values) > 1 and values == sorted(values) else ()
        return AggregateOutcome(hits=hits, has_metric=False)

    @accumulator("fixtest_in_order", options=WordOptions, empty=lambda opts: [0, []], merge=lambda a, b, opts: [a[0] + b[0], a[1] + b[1]], finalize=_finalize_in_order)
    def fixtest_in_order(state, targets, ctx, ref, opts):
        state[1].extend(t.value for t in targets if isinstance(t.value, int))
        return state

    def _finalize_duplicates(state, opts):
        seen, hits = {}, []
        for value, index, line, column in sorted(state, key=lambda s: s[1]):
            if value in seen:
                hits.append(AggregateHit(f"output repeats record {seen[value]}", index, line, column, "/output"))
            else:
                seen[value] = index
        return AggregateOutcome(hits=tuple(hits), has_metric=False)

    @accumulator("fixtest_duplicates", options=WordOptions, empty=lambda opts: [],
                 merge=lambda a, b, opts: a + b, finalize=_finalize_duplicates)
    def fixtest_duplicates(state, targets, ctx, ref, opts):
        state.extend((t.value, ref.index, ref.line, ref.column) for t in targets if isinstance(t.value, str))
        return state


POLICY = """\
description: fix tests
settings: {min_records: 0}  # files of a few records, judged as a whole anyway
rules:
  t-colour:
    description: British spelling.
    severity: warning
    given: $.output
    then: {function: fixtest_word, options: {word: colour}}
    message: "output {message}"
    fix: {fixer: fixtest_replace, options: {replacement: color}}
  t-sorry:
    description: Apology without a category.
    severity: warning
    where: {absent: [category]}
    given: $.output
    then: {function: fixtest_word, options: {word: sorry}}
    message: "output {message}"
    fix: {set: {category: negative_example}, applicability: safe, title: "add category: negative_example"}
  t-short:
    description: Too short.
    severity: warning
    given: $.output
    then: {function: length, options: {min: 4}}
    message: "output {message}"
    fix: {fixer: drop_record}
  t-duplicate:
    description: Repeated output.
    severity: warning
    kind: aggregate
    given: $.output
    then: {function: fixtest_duplicates}
    fix: {fixer: drop_record}
  t-sorted:
    description: Records sorted by n.
    severity: warning
    kind: aggregate
    given: $.n
    then: {function: fixtest_in_order}
    fix: {fixer: shuffle_records, options: {seed: 7}}
"""


@pytest.fixture
def policy_path(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY, encoding="utf-8")
    return path


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def file_mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777
