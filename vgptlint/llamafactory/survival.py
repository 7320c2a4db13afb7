"""How many records of a dataset LLaMA-Factory would train, skip, or stop on, in the dataset's stage.

Pure and mergeable: ``survival(records, spec)`` for one pass, or ``classify`` per record plus
``Survival.merge`` for shards. The stage follows the spec's kind (sft -> ``sft``, dpo -> ``rm``,
the stage DPO uses, kto -> ``kto``; an alpaca entry without a response column -> ``pt``). After
conversion each processor keeps a record only when its prompt has an odd number of turns and it has
exactly one response (sft, processor/supervised.py @08e8fbf2 L126) or at least two (rm/kto,
pairwise.py @237311b2 L95, feedback.py @0a7affb3 L88); everything else is "Dropped invalid example".
A record of another kind than the stage trains (one response in a KTO or preference dataset: a string
KTO label, an alpaca pair whose sides are not strings; or a boolean-labelled KTO example in an SFT run)
is dropped too (``different-kind``, counted with the skipped records): it would train only in another
stage. When nothing survives, the loader stops with "Cannot find valid samples" (loader.py L267-271).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from vgptlint.llamafactory import checks
from vgptlint.llamafactory.align import align
from vgptlint.llamafactory.spec import DatasetSpec

TRAIN, SKIP, DIFFERENT_KIND, FATAL = "train", "skip", "different-kind", "fatal"
STAGES = {"sft": "sft", "dpo": "rm", "kto": "kto"}


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: str  # train | skip | different-kind (dropped: another kind of example than the stage trains) | fatal
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Survival:
    """Counts for one dataset; ``reasons`` counts why records did not train as written."""

    dataset: str
    stage: str
    record_count: int = 0
    train_count: int = 0
    skip_count: int = 0  # every record the processors drop, different-kind ones included
    fatal_count: int = 0
    reasons: tuple[tuple[str, int], ...] = field(default=())

    @property
    def has_no_valid_samples(self) -> bool:
        """LLaMA-Factory raises "Cannot find valid samples" (loader.py) when nothing survives."""
        return self.record_count > 0 and self.train_count == 0

    def merge(self, other: Survival) -> Survival:
        reasons = Counter(dict(self.reasons))
        reasons.update(dict(other.reasons))
        return Survival(self.dataset, self.stage, self.record_count + other.record_count,
                        self.train_count + other.train_count, self.skip_count + other.skip_count,
                        self.fatal_count + other.fatal_count, tuple(sorted(reasons.items())))


def stage_of(spec: DatasetSpec) -> str:
    return "pt" if spec.is_pretraining else STAGES[spec.kind]


def survival(records: Iterable[object], spec: DatasetSpec) -> Survival:
    """Classify every record of one dataset."""
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for record in records:
        verdict = classify(record, spec)
        counts[verdict.outcome] += 1
        if verdict.reason:
            reasons[verdict.reason] += 1
    dropped = counts[SKIP] + counts[DIFFERENT_KIND]
    return Survival(spec.name, stage_of(spec), sum(counts.values()), counts[TRAIN], dropped, counts[FATAL],
                    tuple(sorted(reasons.items())))


def classify(record: object, spec: DatasetSpec, stage: str | None = None) -> Verdict:
    """What LLaMA-Factory does with one record in the stage its dataset is meant for, or in ``stage``
    (the loader's: pt, sft, rm, kto) when a training config says which."""
    if not isinstance(record, Mapping):
        return Verdict(FATAL, "record is not a JSON object")
    issues = (checks.column_missing(record, spec) + checks.history_shape(record, spec)
              + checks.preference_role(record, spec) + checks.media_token_mismatch(record, spec))
    fatal = next((i for i in issues if i.effect == "fatal"), None)
    if fatal:
        return Verdict(FATAL, fatal.check)
    stage = stage or stage_of(spec)
    if stage == "pt":  # the pretrain processor takes the first prompt message as text
        return Verdict(TRAIN)
    prompt_count, response_count, reason = _converted_shape(record, spec)
    if reason.startswith("fatal:"):
        return Verdict(FATAL, reason[len("fatal:"):])
    if any(i.check == "preference-role" and i.effect == "skip" for i in issues) and response_count >= 2:
        return Verdict(SKIP, "preference-role")  # converter.py L196-202 returns an empty example
    wanted_ok = prompt_count % 2 == 1 and (response_count == 1 if stage == "sft" else response_count >= 2)
    if wanted_ok:
        return Verdict(TRAIN)
    if stage != "sft" and prompt_count % 2 == 1 and response_count == 1:
        why = ("label is not a JSON boolean: one response, the KTO processor drops it" if spec.kind == "kto"
               else "not read as a preference pair: one response, the pairwise processor drops it")
        return Verdict(DIFFERENT_KIND, why)
    if stage == "sft" and prompt_count % 2 == 1 and response_count >= 2:  # only a training config's stage gets here
        return Verdict(DIFFERENT_KIND, "a KTO example (JSON boolean label), not an SFT one")
    return Verdict(SKIP, reason or "dropped invalid example")


def _converted_shape(record: Mapping, spec: DatasetSpec) -> tuple[int, int, str]:
    """(prompt turns, responses, reason) after the converter, as the processors see them."""
    if spec.is_conversation:
        alignment = align(record, spec)
        if not alignment.is_present:
            return 0, 0, "no messages field"
        if alignment.issue:
            prefix = "fatal:" if alignment.issue.effect == "fatal" else ""
            return 0, 0, prefix + "sharegpt-roles"
        if checks.message_count(record, spec, alignment):
            return 0, 0, "message-count"
        count = len(alignment.turns)
        if checks.is_kto_example(record, spec):
            return count - 1, 2, ""
        if spec.ranking and all(isinstance(record.get(spec.field(s) or ""), Mapping) for s in ("chosen", "rejected")):
            return count, 2, ""  # role problems already counted by preference_role (skip -> response [])
        return max(count - 1, 0), min(count, 1), "" if count else "no messages"
    history = record.get(spec.field("history") or "")
    prompt_count = 1 + (2 * len(history) if isinstance(history, list) else 0)
    if checks.is_kto_example(record, spec):
        return prompt_count, 2, ""
    chosen, rejected = (record.get(spec.field(s) or "") for s in ("chosen", "rejected"))
    if spec.ranking and isinstance(chosen, str) and isinstance(rejected, str):
        return prompt_count, 2, ""
    response = spec.field("response")
    if response and isinstance(record.get(response), str):
        return prompt_count, 1, ""
    return prompt_count, 0, "output-not-string" if response and response in record else "column-missing"
