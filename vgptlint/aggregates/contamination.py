"""``contamination``: validation or test questions that also appear among the training instructions.

``against`` names the held-out files (JSON array or JSONL; relative to the working directory or to
the linted file's directory); ``field`` selects the question in each of their records (default
``$.question``). A training value (the rule's ``given``, usually ``$.instruction``) is contaminated
when, lower-cased with punctuation and whitespace normalized, it equals a question (exact), or it
contains at least ``threshold`` of a question's word bigrams (near-exact: the question reworded or
wrapped in "In Vista, ... Be precise."; found through each question's rarest bigrams, verified exactly). Each contaminated record is a finding naming the question; ``max`` bounds
the share of held-out questions that leaked. A file that is itself one of ``against`` is skipped.

State: the number of values and one entry per contaminated record (O(contaminated records)); the
held-out index is built once per run and shared through ``Context.services``. A record's observation
carries what the state needs of the index (the number of questions, the id and text of a question it
repeats, or why the file is not checked): the index is the same for every record of a file, and is
part of the result cache's key (``key_inputs``).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from pathlib import Path

from vgptlint.aggregates.base import AggregateHit, AggregateOutcome, accumulator
from vgptlint.aggregates.bounds import ShareBounds, counts, percent, share
from vgptlint.inputs.read import read_source
from vgptlint.inputs.records import Record
from vgptlint.select.jsonpath import SelectorError, compile_selector, to_pointer

_WORDS = re.compile(r"[a-z0-9_#@]+")


def question_text(text: str) -> str:
    """Lower-cased words only (punctuation and spacing do not make a question new).

    >>> question_text("  What are the KEY columns of APTD? ")
    'what are the key columns of aptd'
    """
    return " ".join(_WORDS.findall(text.lower()))


def _bigrams(words: str) -> frozenset[str]:
    return _token_bigrams(words.split())


def _token_bigrams(tokens: list[str]) -> frozenset[str]:
    """Word pairs joined by a space (the lone word of a one-word text), built in C.

    >>> sorted(_token_bigrams(["key", "columns", "of"])), _token_bigrams(["aptd"])
    (['columns of', 'key columns'], frozenset({'aptd'}))
    """
    if len(tokens) < 2:
        return frozenset(tokens)
    return frozenset(map(" ".join, zip(tokens, islice(tokens, 1, None))))


@dataclass(frozen=True, slots=True)
class ContaminationOptions:
    """``against``: held-out files (required); ``field``: JSONPath of the question in their records
    (default ``$.question``); ``id_field``: JSONPath of a question id shown in messages (default ``$.id``);
    ``threshold``: near-exact similarity (default 0.8); ``max``: largest allowed share of leaked
    questions (default 0: any leak is a finding)."""

    against: tuple[str, ...] = ()
    field: str = "$.question"
    id_field: str = "$.id"
    threshold: float = 0.8
    max: float | None = 0.0

    def validate(self) -> str | None:
        if not self.against:
            return 'needs "against": the validation or test files whose questions must not be trained on'
        for key in ("field", "id_field"):
            try:
                compile_selector(getattr(self, key))
            except SelectorError as exc:
                return f'option "{key}" is not valid JSONPath: {exc}'
        if not 0 < self.threshold <= 1:
            return f'option "threshold" is a similarity between 0 and 1; got {self.threshold}'
        return ShareBounds(None, self.max).problem()


@dataclass(frozen=True, slots=True)
class HeldOut:
    """The held-out questions, indexed for exact and near-exact lookups."""

    files: tuple[str, ...]
    questions: tuple[tuple[str, str], ...]  # (id, original text)
    exact: dict
    bigrams: tuple[frozenset, ...]
    anchors: dict  # bigram -> question numbers it anchors
    problem: str | None = None


def _resolve(name: str, linted: str, working_directory: str) -> Path | None:
    for candidate in (Path(working_directory) / name, Path(linted).parent / name):
        if candidate.is_file():
            return candidate.resolve()
    return None


@functools.lru_cache(maxsize=256)
def _folder(linted: str) -> str:
    return str(Path(linted).parent)  # asked once per record: Path() costs more than the lookup it keys


def held_out(opts: ContaminationOptions, linted: str, services: dict, working_directory: str = ".") -> HeldOut:
    """The held-out questions of ``opts.against``, each file looked up in ``working_directory`` (the
    caller's, also on a Dask worker) and beside ``linted``; loaded once per run and folder."""
    key = ("contamination", opts.against, opts.field, opts.id_field, opts.threshold, _folder(linted))
    found = services.get(key)
    if found is None:
        found = services[key] = _load(opts, linted, working_directory)
    return found


def _load(opts: ContaminationOptions, linted: str, working_directory: str) -> HeldOut:
    questions, files = [], []
    question_selector, id_selector = compile_selector(opts.field), compile_selector(opts.id_field)
    for name in opts.against:
        path = _resolve(name, linted, working_directory)
        if path is None:
            beside = Path(linted).parent.as_posix() or "."
            return HeldOut((), (), {}, (), {}, f'not checked: held-out file "{name}" was not found '
                                               f"(looked in the working directory and in {beside}/)")
        files.append(str(path))
        for item in read_source(str(path)):
            if not isinstance(item, Record):
                continue
            for target in question_selector.find(item.data):
                if isinstance(target.value, str) and target.value.strip():
                    ids = id_selector.find(item.data)
                    label = str(ids[0].value) if ids else f"{Path(name).name}#{item.index}"
                    questions.append((label, target.value))
    exact, bigram_sets = {}, []
    for number, (_label, text) in enumerate(questions):
        words = question_text(text)
        exact.setdefault(words, number)
        bigram_sets.append(_bigrams(words))
    return HeldOut(tuple(files), tuple(questions), exact, tuple(bigram_sets), _anchors(bigram_sets, opts.threshold))


def _anchors(bigram_sets: list[frozenset], threshold: float) -> dict:
    """Each question's rarest bigrams, enough that any text holding ``threshold`` of the question's
    bigrams holds at least one of them (pigeonhole): a training value then costs one dict lookup per
    bigram, and only questions it shares an anchor with are compared."""
    frequency: dict[str, int] = {}
    for grams in bigram_sets:
        for gram in grams:
            frequency[gram] = frequency.get(gram, 0) + 1
    anchors: dict[str, list[int]] = {}
    for number, grams in enumerate(bigram_sets):
        needed = int((1 - threshold) * len(grams)) + 1
        for gram in sorted(grams, key=lambda g: (frequency[g], g))[:needed]:
            anchors.setdefault(gram, []).append(number)
    return anchors


def match(text: str, index: HeldOut, threshold: float) -> tuple[int, float, bool] | None:
    """(question number, containment, is exact) of the held-out question ``text`` repeats, or None.

    Near-exact is *containment*: the share of the question's word bigrams found in ``text``, so a
    question wrapped in "In Vista, ... Be precise." still counts.
    """
    tokens = _WORDS.findall(text.lower())  # question_text's words, kept for the bigrams
    number = index.exact.get(" ".join(tokens))
    if number is not None:
        return number, 1.0, True
    mine = _token_bigrams(tokens)
    anchored = index.anchors.keys() & mine  # in C: most values share no anchor with any question
    if not anchored:
        return None
    candidates = {n for gram in anchored for n in index.anchors[gram]}
    best = None
    for candidate in sorted(candidates):
        theirs = index.bigrams[candidate]
        if len(theirs) < 3:
            continue  # a two-word question is contained in too much prose to mean anything
        contained = len(mine & theirs) / len(theirs)
        if contained >= threshold and (best is None or contained > best[1]):
            best = (candidate, contained, False)
    return best


@dataclass
class ContaminationState:
    """The number of values, one entry per contaminated record, and what the file's held-out index
    says: why the file cannot be checked (``problem``), that it is itself held out (``skipped``), or
    how many questions there are and the (id, text) of those found."""

    values: int = 0
    found: list = field(default_factory=list)  # (index, line, column, pointer, question number, similarity, is exact)
    problem: str | None = None
    question_count: int = 0
    questions: dict = field(default_factory=dict)  # question number -> (id, text), for the questions found
    skipped: bool = False


def _merge(a: ContaminationState, b: ContaminationState, opts: object) -> ContaminationState:
    return ContaminationState(a.values + b.values, [*a.found, *b.found], a.problem or b.problem,
                              a.question_count or b.question_count, {**a.questions, **b.questions},
                              a.skipped or b.skipped)


def _held_out_of(opts: ContaminationOptions, ctx) -> HeldOut:
    return held_out(opts, ctx.path, ctx.services, ctx.working_directory)


_SKIPPED = False  # the observation of a record of a file that is itself held out


def _absorb(state: ContaminationState, observations, refs, opts: object) -> ContaminationState:
    """Observations (:func:`contamination`): the held-out index's problem (a str) or _SKIPPED when the
    file cannot or must not be checked; else (number of questions, number of string values, one
    (pointer, question number, similarity, is exact, question id, question text) per value that
    repeats a question). They are one file's, so all of one kind: the held-out facts are the file's."""
    if state.skipped or state.problem:
        return state
    first = observations[0]
    if first is _SKIPPED:
        state.skipped = True
    elif isinstance(first, str):
        state.problem = first
    else:
        state.question_count = first[0]
        state.values += sum(map(_VALUE_COUNT, observations))
        for (_, _, matches), ref in zip(observations, refs):
            for pointer, number, similarity, is_exact, label, text in matches:
                state.found.append((ref.index, ref.line, ref.column, pointer, number, similarity, is_exact))
                state.questions[number] = (label, text)
    return state


_VALUE_COUNT = itemgetter(1)


@accumulator("contamination", options=ContaminationOptions, empty=lambda opts: ContaminationState(), merge=_merge,
             finalize=lambda state, opts: _finalize(state, opts), judged_by=("max",), key_inputs=_held_out_of,
             absorb=_absorb)
def contamination(targets, ctx, opts: ContaminationOptions) -> tuple[int, int, tuple] | str | bool:
    """Training values that repeat a held-out question; see the module docstring."""
    index = held_out(opts, ctx.path, ctx.services, ctx.working_directory)
    if index.problem:
        return index.problem
    if is_held_out(ctx.path, index.files):
        return _SKIPPED
    values, matches = 0, []
    for target in targets:
        if not isinstance(target.value, str):
            continue
        values += 1
        found = match(target.value, index, opts.threshold)
        if found is not None:
            matches.append((to_pointer(target.parts), *found, *index.questions[found[0]]))
    return len(index.questions), values, tuple(matches)


@functools.lru_cache(maxsize=256)
def is_held_out(linted: str, files: tuple[str, ...]) -> bool:
    """Whether the linted file is one of the held-out ``files`` (asked once per record, resolved once)."""
    return str(Path(linted).resolve()) in files


def _finalize(state: ContaminationState, opts: ContaminationOptions) -> AggregateOutcome:
    if state.problem:
        # A run note, not a finding per file: most datasets have no held-out file beside them.
        return AggregateOutcome(has_metric=False, note=state.problem)
    if state.skipped or not state.question_count:
        return AggregateOutcome(has_metric=False)
    hits = []
    for index, line, column, pointer, number, similarity, is_exact in sorted(state.found):
        label, text = state.questions[number]
        how = "exactly" if is_exact else f"nearly ({similarity:.0%} of its word pairs)"
        shown = text if len(text) <= 80 else text[:79] + "…"
        hits.append(AggregateHit(f'repeats held-out question {label} {how}: "{shown}"', record_index=index, line=line,
                                 column=column, pointer=pointer, fingerprint_basis=f"{label} {index}"))
    leaked = len({f[4] for f in state.found})
    value = share(leaked, state.question_count)
    bounds = ShareBounds(None, opts.max)
    broken = bounds.broken(value, leaked, state.question_count)
    if broken:
        hits.append(AggregateHit(f"held-out questions found in training {percent(value)} "
                                 f"({counts(leaked, state.question_count)}) {broken}", fingerprint_basis=f"share {broken}"))
    details = {"contaminated_records": len(state.found), "questions": state.question_count}
    return AggregateOutcome(value, leaked, state.question_count, bounds.as_dict(), not broken, details, tuple(hits))
