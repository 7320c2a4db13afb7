"""How many of a record's tokens survive ``cutoff_len``, stage by stage, as LLaMA-Factory's processors cut them.

The record is first converted the way converter.py does it (alpaca L85-131, sharegpt L134-229 of
JonOlsenCa/LLaMA-Factory @d899830f): a prompt (history pairs, then ``prompt`` and ``query`` joined by a
newline), the responses (one for SFT; chosen and rejected; a KTO answer beside an empty one), and the
system prompt. Each message is then wrapped by the chat template and counted (templates.py), and:

- sft (processor/supervised.py L47-80): pairs of (prompt turn, answer turn) are cut in order with
  ``infer_seqlen(source, target, cutoff_len - total_length)``; a pair reached with no budget left is
  dropped from the sequence (L53-54). ``mask_history`` walks the pairs last first (L49-50).
- rm/DPO (pairwise.py L47-63): the prompt against the longer of chosen and rejected; both answers are
  cut to the same length.
- kto (feedback.py L42-72): the prompt against the labelled answer (the non-empty of the two).
- packing (supervised.py L151-153): after that cut, an example longer than ``cutoff_len`` is dropped
  ("Dropped lengthy example"); the cut already bounds it, so with these templates none is.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from vgptlint.llamafactory.align import align
from vgptlint.llamafactory.spec import DatasetSpec
from vgptlint.llamafactory.templates import ASSISTANT, USER, ChatTemplate, message_lengths
from vgptlint.llamafactory.tokens import TokenCounter, infer_seqlen


@dataclass(frozen=True, slots=True)
class Cut:
    """Tokens before and after ``cutoff_len``; for DPO ``answer`` is the longer of chosen and rejected."""

    prompt: int
    answer: int
    kept_prompt: int
    kept_answer: int

    @property
    def is_truncated(self) -> bool:
        return self.kept_prompt < self.prompt or self.kept_answer < self.answer

    @property
    def cuts_answer(self) -> bool:
        return self.kept_answer < self.answer

    @property
    def length(self) -> int:
        return self.kept_prompt + self.kept_answer


@dataclass(frozen=True, slots=True)
class Converted:
    prompt: tuple[tuple[str, str], ...]
    responses: tuple[str, ...]
    system: str


def convert(record: Mapping, spec: DatasetSpec) -> Converted:
    """The messages LLaMA-Factory's converter makes of a record that the processor keeps."""
    if spec.is_conversation:
        return _convert_conversation(record, spec)
    prompt: list[tuple[str, str]] = []
    history = record.get(spec.field("history") or "")
    if spec.field("history") and isinstance(history, list):  # L88-91
        for old_prompt, old_response in history:
            prompt += [(USER, _text(old_prompt)), (ASSISTANT, _text(old_response))]
    query = [record[spec.field(c)] for c in ("prompt", "query") if spec.field(c) and record.get(spec.field(c))]
    prompt.append((USER, "\n".join(_text(q) for q in query)))  # L93-100
    system = _text(record.get(spec.field("system"))) if spec.field("system") else ""
    return Converted(tuple(prompt), _responses(record, spec, spec.field("response")), system)


def _convert_conversation(record: Mapping, spec: DatasetSpec) -> Converted:
    messages = record.get(spec.field("messages") or "") or []
    content, role_tag = spec.tag("content_tag"), spec.tag("role_tag")
    system = ""
    first = messages[0] if messages and isinstance(messages[0], Mapping) else {}
    if spec.tag("system_tag") and first.get(role_tag) == spec.tag("system_tag"):
        system = _text(first.get(content))
    elif spec.field("system"):
        system = _text(record.get(spec.field("system")))
    turns = [(USER if role in (USER, "observation") else ASSISTANT, _text(messages[index].get(content)))
             for role, index in align(record, spec).turns]
    if spec.ranking and not _is_kto(record, spec):
        return Converted(tuple(turns), _responses(record, spec, None), system)
    answer = turns.pop()[1] if turns else ""
    return Converted(tuple(turns), _responses(record, spec, None, answer), system)


def _responses(record: Mapping, spec: DatasetSpec, response_field: str | None, answer: str | None = None) -> tuple[str, ...]:
    answer = _text(record.get(response_field)) if answer is None and response_field else (answer or "")
    if _is_kto(record, spec):  # L102-107: the label decides which side is empty
        return (answer, "") if record[spec.field("kto_tag")] else ("", answer)
    chosen, rejected = (record.get(spec.field(side) or "") for side in ("chosen", "rejected"))
    if spec.ranking:
        if isinstance(chosen, Mapping) and isinstance(rejected, Mapping):
            return _text(chosen.get(spec.tag("content_tag"))), _text(rejected.get(spec.tag("content_tag")))
        if isinstance(chosen, str) and isinstance(rejected, str):
            return chosen, rejected
    return (answer,)


def _is_kto(record: Mapping, spec: DatasetSpec) -> bool:
    tag = spec.field("kto_tag")
    return bool(tag) and isinstance(record.get(tag), bool)


def _text(value: object) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def cut(converted: Converted, stage: str, template: ChatTemplate, counter: TokenCounter, cutoff_len: int,
        mask_history: bool = False) -> Cut | None:
    """The record's tokens before and after the processor's cut; None for ``pt`` (text is packed, not cut)."""
    lengths: Callable[[list], list[int]] = lambda messages: message_lengths(  # noqa: E731
        template, counter.count, counter.bos_id, messages, converted.system)
    prompt = list(converted.prompt)
    if stage == "sft":
        return _cut_turns(lengths(prompt + [(ASSISTANT, converted.responses[0])]), cutoff_len, mask_history)
    if stage == "rm":
        chosen = lengths(prompt + [(ASSISTANT, converted.responses[0])])
        rejected = lengths(prompt + [(ASSISTANT, converted.responses[1])])[-1]
        source, target = sum(chosen[:-1]), max(chosen[-1], rejected)
    elif stage == "kto":  # feedback.py L42-47: the non-empty response is the one trained
        answer = converted.responses[0] or converted.responses[1]
        sizes = lengths(prompt + [(ASSISTANT, answer)])
        source, target = sum(sizes[:-1]), sizes[-1]
    else:
        return None
    kept_source, kept_target = infer_seqlen(source, target, cutoff_len)
    return Cut(source, target, kept_source, kept_target)


def _cut_turns(sizes: list[int], cutoff_len: int, mask_history: bool) -> Cut:
    """supervised.py L47-80 on lengths: each (prompt, answer) pair takes what the budget still allows."""
    pairs = [(sizes[i], sizes[i + 1]) for i in range(0, len(sizes) - 1, 2)]
    if mask_history:
        pairs = pairs[::-1]
    total, kept_source, kept_target = 0, 0, 0
    for source, target in pairs:
        if total >= cutoff_len:  # L53-54: later pairs are left out entirely
            break
        source_len, target_len = infer_seqlen(source, target, cutoff_len - total)
        total += source_len + target_len
        kept_source, kept_target = kept_source + source_len, kept_target + target_len
    return Cut(sum(p[0] for p in pairs), sum(p[1] for p in pairs), kept_source, kept_target)
