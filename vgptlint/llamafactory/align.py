"""How LLaMA-Factory lines up the messages of a sharegpt/openai record, step by step.

A faithful, pure re-statement of ``SharegptDatasetConverter.__call__`` (converter.py L135-229) and
``OpenAIDatasetConverter.__call__`` (L232-371) of hiyouga/LlamaFactory @f816ae46, up to the role
and count checks. Line numbers below refer to that file. The result says which messages survive,
with their converted roles, or the first reason the converter skips the record (``effect="skip"``:
"Skipping this abnormal example") or would raise (``effect="fatal"``: the whole run stops).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from vgptlint.llamafactory.spec import DatasetSpec

USER, ASSISTANT, OBSERVATION, FUNCTION, SYSTEM = "user", "assistant", "observation", "function", "system"
Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Issue:
    """Something LLaMA-Factory will do to a record that its author did not intend.

    ``effect``: ``skip`` (the record is dropped with a warning), ``fatal`` (LLaMA-Factory raises
    and the run stops), ``different-kind`` (it trains, or is dropped, as another kind of example),
    ``degraded`` (it trains, but part of it is silently ignored).
    """

    check: str
    message: str
    path: Path = ()
    effect: str = "skip"
    data: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Alignment:
    """``turns``: (converted role, index in the record's list) of each message kept, in order."""

    messages_field: str | None
    turns: tuple[tuple[str, int], ...] = ()
    issue: Issue | None = None
    is_present: bool = True

    @property
    def is_usable(self) -> bool:
        return self.is_present and self.issue is None


def align(record: Mapping, spec: DatasetSpec) -> Alignment:
    """Run the converter's role walk on one record (sharegpt or openai formatting)."""
    field_name = spec.field("messages")
    if not field_name or field_name not in record:
        return Alignment(field_name, is_present=False)  # lf-column-missing / dataset_info's business
    messages = record[field_name]
    base: Path = (field_name,)
    if not isinstance(messages, list):
        what = kind_of(messages)
        return Alignment(field_name, issue=Issue(
            "sharegpt-roles", f'"{field_name}" is {what}, not a list of messages; LLaMA-Factory stops with '
            "TypeError on this record", base, "fatal"))
    start, issue = _strip_system(messages, spec, base)
    if issue:
        return Alignment(field_name, issue=issue)
    walk = _walk_openai if spec.formatting == "openai" else _walk_sharegpt
    turns, issue = walk(messages, start, spec, base)
    return Alignment(field_name, tuple(turns), issue)


def _strip_system(messages: list, spec: DatasetSpec, base: Path) -> tuple[int, Issue | None]:
    """L148-156 / L244-252: a first message with the system tag becomes the system prompt."""
    system_tag, role_tag = spec.tag("system_tag"), spec.tag("role_tag")
    if not system_tag or not messages:
        return 0, None
    issue = _malformed(messages[0], 0, spec, base, need_content=False)
    if issue:
        return 0, issue
    return (1 if messages[0][role_tag] == system_tag else 0), None


def _walk_sharegpt(messages: list, start: int, spec: DatasetSpec, base: Path):
    """L158-171: position 0, 2, ... must be user/observation, 1, 3, ... assistant/function; stop at the first miss."""
    tags = spec.tags
    tag_mapping = {tags["user_tag"]: USER, tags["assistant_tag"]: ASSISTANT, tags["observation_tag"]: OBSERVATION,
                   tags["function_tag"]: FUNCTION, tags["system_tag"]: SYSTEM}
    accept = ((tags["user_tag"], tags["observation_tag"]), (tags["assistant_tag"], tags["function_tag"]))
    turns: list[tuple[str, int]] = []
    for index in range(start, len(messages)):
        issue = _malformed(messages[index], index, spec, base, need_content=False)
        if issue:
            return turns, issue
        role = messages[index][tags["role_tag"]]
        expected = accept[(index - start) % 2]
        if role not in expected:
            return turns, _role_issue(role, index, expected, start, spec, base, tag_mapping)
        if tags["content_tag"] not in messages[index]:  # L167-169 read the content after the role check
            return turns, _malformed(messages[index], index, spec, base, need_content=True)
        turns.append((tag_mapping[role], index))
    return turns, None


def _walk_openai(messages: list, start: int, spec: DatasetSpec, base: Path):
    """L254-285: tool calls become function turns, runs of observations merge into one turn (a run at
    the very end is dropped), unknown roles raise KeyError, then the same position rule on roles (L287-293)."""
    tags = spec.tags
    tag_mapping = {tags["user_tag"]: USER, tags["assistant_tag"]: ASSISTANT, tags["observation_tag"]: OBSERVATION,
                   tags["function_tag"]: FUNCTION, tags["system_tag"]: SYSTEM}
    turns: list[tuple[str, int]] = []
    pending_observation: int | None = None
    for index in range(start, len(messages)):
        issue = _malformed(messages[index], index, spec, base, need_content=True)
        if issue:
            return turns, issue
        message = messages[index]
        role = message[tags["role_tag"]]
        if role in (tags["assistant_tag"], tags["function_tag"]) and message.get("tool_calls"):
            role = tags["function_tag"]
        if role == tags["observation_tag"]:
            pending_observation = index if pending_observation is None else pending_observation
            continue
        if pending_observation is not None:
            turns.append((OBSERVATION, pending_observation))
            pending_observation = None
        if role not in tag_mapping:
            known = ", ".join(f'"{t}"' for t in tag_mapping if t)
            return turns, Issue("sharegpt-roles", f'message {index} has role {_quote(role)}, which is none of this '
                                f"dataset's tags ({known}); LLaMA-Factory stops with KeyError",
                                base + (index, tags["role_tag"]), "fatal", {"role": role})
        turns.append((tag_mapping[role], index))
    accept = ((USER, OBSERVATION), (ASSISTANT, FUNCTION))
    for position, (role, index) in enumerate(turns):  # L287-293
        if role not in accept[position % 2]:
            expected = tuple(_tag_for(r, tag_mapping) for r in accept[position % 2])
            return turns[:position], _role_issue(messages[index][tags["role_tag"]], index, expected, start, spec,
                                                 base, tag_mapping)
    return turns, None


def _tag_for(role: str, tag_mapping: dict) -> str:
    return next((tag for tag, value in tag_mapping.items() if value == role and tag), role)


def _malformed(message: object, index: int, spec: DatasetSpec, base: Path, need_content: bool) -> Issue | None:
    role_tag, content_tag = spec.tag("role_tag"), spec.tag("content_tag")
    if not isinstance(message, Mapping):
        return Issue("sharegpt-roles", f"message {index} is {kind_of(message)}, not an object; LLaMA-Factory stops "
                     "with TypeError on this record", base + (index,), "fatal")
    for needed in (role_tag, content_tag) if need_content else (role_tag,):
        if needed not in message:
            return Issue("sharegpt-roles", f'message {index} has no "{needed}" key; LLaMA-Factory stops with KeyError '
                         "on this record", base + (index,), "fatal", {"key": needed})
    return None


def _role_issue(role: object, index: int, expected: tuple, start: int, spec: DatasetSpec, base: Path,
                tag_mapping: dict) -> Issue:
    path = base + (index, spec.tag("role_tag"))
    wanted = " or ".join(f'"{tag}"' for tag in expected if tag)
    data = {"role": role, "expected": [tag for tag in expected if tag]}
    prefix = "LLaMA-Factory skips this record: "
    if role == spec.tag("system_tag"):
        where = "the first message" if start == 0 else "message 0"
        return Issue("sharegpt-roles", f"{prefix}message {index} is a system turn; only {where} may be one",
                     path, "skip", data)
    if role not in tag_mapping:
        known = ", ".join(f'"{tag}"' for tag in tag_mapping if tag)
        return Issue("sharegpt-roles", f"{prefix}message {index} has role {_quote(role)}, which is none of this "
                     f"dataset's tags ({known}); check \"tags\" in dataset_info", path, "skip", data)
    return Issue("sharegpt-roles", f"{prefix}message {index} has role {_quote(role)} where {wanted} belongs "
                 "(turns must alternate user, assistant after an optional first system message)", path, "skip", data)


def _quote(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else kind_of(value)


def kind_of(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (int, float)):
        return "a number"
    return "a list" if isinstance(value, list) else "an object"
