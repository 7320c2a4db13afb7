"""Pure checks: what LLaMA-Factory does to one record, given its dataset's spec.

Each check returns a list of :class:`~vgptlint.llamafactory.align.Issue`; the registered functions in
``vgptlint/functions/llamafactory.py`` turn them into hits, and ``survival.py`` counts them. Line
numbers cite hiyouga/LlamaFactory @f816ae46 ``src/llamafactory/data/converter.py`` unless noted.
"""
from __future__ import annotations

from collections.abc import Mapping

from vgptlint.llamafactory.align import Alignment, Issue, kind_of, align
from vgptlint.llamafactory.spec import MEDIA_COLUMNS, DatasetSpec

DEFAULT_PLACEHOLDERS = {"images": "<image>", "videos": "<video>", "audios": "<audio>"}
_MEDIA_NOUN = {"images": "image", "videos": "video", "audios": "audio"}


# ------------------------------------------------------------------- which datasets a check reads
# A check has nothing to say on some datasets whatever their records (a role check on alpaca data):
# these predicates of the spec say where each one can report. The checks return early on them, and
# the registered functions ask them once per file (``applies``), so the engine leaves such rules out.


def maps_columns(spec: DatasetSpec) -> bool:
    """:func:`column_missing` reports only on columns a dataset_info entry maps (not on an inferred spec)."""
    return not spec.is_inferred


def is_alpaca(spec: DatasetSpec) -> bool:
    """:func:`output_not_string` reads alpaca responses."""
    return spec.formatting == "alpaca"


def is_conversation(spec: DatasetSpec) -> bool:
    """:func:`sharegpt_roles` and :func:`message_count` read sharegpt/openai messages."""
    return spec.is_conversation


def is_preference_conversation(spec: DatasetSpec) -> bool:
    """:func:`preference_role` reads the chosen/rejected messages of sharegpt/openai preference data."""
    return spec.is_conversation and spec.ranking


def maps_history(spec: DatasetSpec) -> bool:
    """:func:`history_shape` reads an alpaca dataset's mapped ``history`` column."""
    return spec.formatting == "alpaca" and bool(spec.field("history"))


def maps_media(spec: DatasetSpec) -> bool:
    """:func:`media_token_mismatch` counts the media of the media columns the spec maps."""
    return bool(_mapped_media(spec))


# ------------------------------------------------------------------------------------ columns

_EFFECT_OF_ABSENCE = {
    "response": ("skip", "reads it as null and drops this record: there is no response to train on"),
    "messages": ("fatal", "stops with TypeError on this record (len(None))"),
    "chosen": ("skip", "does not read this record as a preference pair, so a preference run drops it"),
    "rejected": ("skip", "does not read this record as a preference pair, so a preference run drops it"),
    "prompt": ("degraded", "reads it as null, so the user turn has no instruction"),
    "query": ("degraded", "reads it as null, so the user turn has no input"),
}


def accessed_columns(record: Mapping, spec: DatasetSpec) -> tuple[str, ...]:
    """The logical columns the converter reads with ``example[...]`` for this record (so a file where no
    record has the field stops with KeyError). ``kto_tag`` is left to the core ``kto-label-format`` rule;
    the OpenAI converter reads ``system``/``tools`` with ``.get`` (L251, L342), so they are optional.

    Only whether a sharegpt record starts with a system prompt depends on the record: the two answers
    are worked out once per spec."""
    starts_with_system = spec.formatting == "sharegpt" and _starts_with_system(record, spec)
    key = ("accessed_columns", starts_with_system)
    names = spec.derived.get(key)
    if names is None:
        names = spec.derived[key] = _accessed_columns(spec, starts_with_system)
    return names


def _accessed_columns(spec: DatasetSpec, starts_with_system: bool) -> tuple[str, ...]:
    columns = spec.columns
    names: list[str] = []
    if spec.formatting == "alpaca":
        names += [n for n in ("history", "prompt", "query") if columns[n]]  # L88-98
        if spec.ranking and columns["chosen"] and columns["rejected"]:
            names += ["chosen", "rejected"]  # L108-112
        elif columns["response"]:
            names.append("response")  # L103, L117
        names += ["system", "tools"]  # L125-126
    else:
        names.append("messages")
        if spec.ranking:
            names += ["chosen", "rejected"]  # L189-193 / L312-316
        if spec.formatting == "sharegpt" and not starts_with_system:
            names += ["system", "tools"]  # L156, L223
    names += list(MEDIA_COLUMNS)  # L127-129
    return tuple(n for n in dict.fromkeys(names) if columns[n])


def column_missing(record: Mapping, spec: DatasetSpec) -> list[Issue]:
    """Mapped columns this record lacks. Silent for an inferred spec: nothing was mapped.

    Optional columns (history, system, tools, media) are not reported per record: HF datasets gives
    a record null for a field other records have, and the converter treats null as absent. A file
    where *no* record has one is reported once by :func:`optional_columns_present`'s rule.
    """
    if not maps_columns(spec):
        return []
    issues = []
    for logical in accessed_columns(record, spec):
        name = spec.columns[logical]
        if name in record or logical not in _EFFECT_OF_ABSENCE:
            continue
        effect, consequence = _EFFECT_OF_ABSENCE[logical]
        mapping = f'dataset_info column "{logical}"' if logical in spec.explicit_columns else \
            f'the default for column "{logical}"'
        issues.append(Issue("column-missing", f'record has no "{name}" field ({mapping}); LLaMA-Factory '
                            f"{consequence}, and stops with KeyError if no record in the file has it",
                            (), effect, {"column": logical, "field": name}))
    return issues


def optional_columns_present(record: Mapping, spec: DatasetSpec) -> dict[str, tuple[str, bool]]:
    """For each optional column the converter indexes (``example[...]``): (field, does this record have it)."""
    if spec.is_inferred:
        return {}
    return {logical: (spec.columns[logical], spec.columns[logical] in record)
            for logical in accessed_columns(record, spec) if logical not in _EFFECT_OF_ABSENCE}


def _starts_with_system(record: Mapping, spec: DatasetSpec) -> bool:
    messages = record.get(spec.field("messages") or "")
    first = messages[0] if isinstance(messages, list) and messages else None
    return isinstance(first, Mapping) and bool(spec.tag("system_tag")) and \
        first.get(spec.tag("role_tag")) == spec.tag("system_tag")


# ------------------------------------------------------------------------------ alpaca output


def is_kto_example(record: Mapping, spec: DatasetSpec) -> bool:
    """L102 / L182 / L305: the KTO branch runs only for a JSON boolean label."""
    tag = spec.field("kto_tag")
    return bool(tag) and isinstance(record.get(tag), bool)


def output_not_string(record: Mapping, spec: DatasetSpec) -> list[Issue]:
    """Alpaca responses must be strings (L102-120); anything else is not trained as written."""
    if not is_alpaca(spec):
        return []
    response = spec.field("response")
    if is_kto_example(record, spec):
        return _non_string(record, response, "LLaMA-Factory cannot train this KTO record: ", "skip",
                           "the KTO branch hands it to the chat template, which needs text")
    if spec.ranking and spec.field("chosen") and spec.field("rejected"):
        falls_to_sft = isinstance(record.get(response or ""), str)
        issues = []
        for side in ("chosen", "rejected"):
            issues += _non_string(record, spec.field(side), "LLaMA-Factory drops this record: ",
                                  "different-kind" if falls_to_sft else "skip",
                                  "so it is not read as a preference pair (alpaca preference data needs two "
                                  "strings) and a preference run drops it")
        return issues
    return _non_string(record, response, "LLaMA-Factory drops this record: ", "skip",
                       "so the record has no response (it is read as unsupervised)")


def _non_string(record: Mapping, name: str | None, prefix: str, effect: str, why: str) -> list[Issue]:
    if not name or name not in record or isinstance(record[name], str):
        return []
    what = kind_of(record[name])
    return [Issue("output-not-string", f'{prefix}"{name}" is {what}, not a string, {why}', (name,), effect,
                  {"field": name, "type": what})]


# ----------------------------------------------------------------------- conversation shape


def sharegpt_roles(record: Mapping, spec: DatasetSpec) -> list[Issue]:
    """The first role problem the converter stops at (it breaks out of the loop, L161-164)."""
    if not is_conversation(spec):
        return []
    issue = align(record, spec).issue
    return [issue] if issue else []


def message_count(record: Mapping, spec: DatasetSpec, alignment: Alignment | None = None) -> list[Issue]:
    """L173-177 / L296-300: non-preference data needs an even count, preference data an odd one
    (counted after the system prompt; judged only when the roles are valid)."""
    if not is_conversation(spec):
        return []
    alignment = alignment or align(record, spec)
    if not alignment.is_usable:
        return []
    count = len(alignment.turns)
    path = (alignment.messages_field,)
    data = {"count": count}
    if count == 0 and not spec.ranking:
        return [Issue("message-count", "LLaMA-Factory drops this record: it has no messages besides a system "
                      "prompt", path, "skip", data)]
    if spec.ranking and count % 2 == 0:
        return [Issue("message-count", f"LLaMA-Factory skips this record: {_turns(count)} after the system prompt; "
                      "preference data needs an odd count, ending on the user turn that chosen/rejected answer",
                      path, "skip", data)]
    if not spec.ranking and count % 2 == 1:
        return [Issue("message-count", f"LLaMA-Factory skips this record: {_turns(count)} after the system prompt; "
                      "it needs an even count, ending on the assistant turn it trains on", path, "skip", data)]
    return []


def _turns(count: int) -> str:
    return f"{count} message" + ("" if count == 1 else "s")


def preference_role(record: Mapping, spec: DatasetSpec) -> list[Issue]:
    """L189-215 / L312-338: sharegpt/openai ``chosen``/``rejected`` are single message objects whose role is
    an assistant or function turn; anything else is not read as a preference pair."""
    if not is_preference_conversation(spec):
        return []
    role_tag, content_tag = spec.tag("role_tag"), spec.tag("content_tag")
    if spec.formatting == "openai":  # the OpenAI converter compares with Role values, not tags (L320)
        answer_roles = ("assistant", "function")
    else:
        answer_roles = tuple(t for t in (spec.tag("assistant_tag"), spec.tag("function_tag")) if t)
    issues = []
    for side in ("chosen", "rejected"):
        name = spec.field(side)
        if not name or name not in record:
            continue
        value = record[name]
        if not isinstance(value, Mapping):
            example = f'{{"{role_tag}": "{answer_roles[0] if answer_roles else "gpt"}", "{content_tag}": "..."}}'
            issues.append(Issue("preference-role", f'LLaMA-Factory drops this record: "{name}" is {kind_of(value)}, '
                                f"not one message object like {example}; the converter then reads a plain conversation, "
                                "which the preference stage drops", (name,), "skip", {"field": name}))
            continue
        for needed in (role_tag, content_tag):
            if needed not in value:
                issues.append(Issue("preference-role", f'"{name}" has no "{needed}" key; LLaMA-Factory stops with '
                                    "KeyError on this record", (name,), "fatal", {"field": name}))
                break
        else:
            if value[role_tag] not in answer_roles:
                wanted = " or ".join(f'"{r}"' for r in answer_roles)
                role = value[role_tag]
                shown = f'"{role}"' if isinstance(role, str) else kind_of(role)
                issues.append(Issue("preference-role", f'LLaMA-Factory drops this record: "{name}" has role {shown}; '
                                    f"a preference answer must be {wanted}", (name, role_tag), "skip",
                                    {"field": name, "role": role}))
    return issues


# -------------------------------------------------------------------------------- history


def history_shape(record: Mapping, spec: DatasetSpec) -> list[Issue]:
    """L88-91: ``history`` must be a list of [prompt, response] string pairs; a non-list is ignored
    silently and each item is unpacked into exactly two values."""
    name = spec.field("history")
    if not maps_history(spec) or record.get(name) is None:
        return []
    history = record[name]
    if not isinstance(history, list):
        return [Issue("history-shape", f'LLaMA-Factory ignores "{name}": it is {kind_of(history)}, not a list of '
                      "[prompt, response] pairs, so the earlier turns are silently left out", (name,), "degraded")]
    issues = []
    for index, pair in enumerate(history):
        path = (name, index)
        if isinstance(pair, (str, Mapping)) and len(pair) == 2:
            issues.append(Issue("history-shape", f"{name}[{index}] is {kind_of(pair)}, not a [prompt, response] "
                                "pair; LLaMA-Factory unpacks its two characters or keys as a turn", path, "degraded"))
        elif not isinstance(pair, list) or len(pair) != 2:
            size = f"a list of {len(pair)} items" if isinstance(pair, list) else kind_of(pair)
            issues.append(Issue("history-shape", f"{name}[{index}] is {size}, not a [prompt, response] pair; "
                                "LLaMA-Factory stops with an error while unpacking it", path, "fatal"))
        else:
            for side, text in enumerate(pair):
                if not isinstance(text, str):
                    issues.append(Issue("history-shape", f"{name}[{index}][{side}] is {kind_of(text)}, not a "
                                        "string; the chat template needs text", path + (side,), "skip"))
    return issues


# ---------------------------------------------------------------------------------- media


def media_count(value: object) -> int:
    """``_find_medias`` (L43-52): null and [] are none, a single value is one, a list is its length."""
    if value is None:
        return 0
    return len(value) if isinstance(value, list) else 1


def media_token_mismatch(record: Mapping, spec: DatasetSpec,
                         placeholders: Mapping[str, str] = DEFAULT_PLACEHOLDERS) -> list[Issue]:
    """mm_plugin.py @76a35a8b L190-217 (``_validate_messages``): each media list must have exactly as many
    entries as its placeholder appears in the messages of one example (prompt plus one answer; chosen
    and rejected are checked separately). Multimodal plugins raise ValueError, which stops the run."""
    if not maps_media(spec):  # most datasets have no media: nothing to count, so the texts are not gathered
        return []
    sequences = _texts_seen_by_plugin(record, spec)
    if sequences is None:
        return []
    issues = []
    for media, name in _mapped_media(spec):
        have = media_count(record.get(name))
        token = placeholders.get(media, DEFAULT_PLACEHOLDERS[media])
        for texts in sequences:
            used = sum(text.count(token) for text in texts if isinstance(text, str))
            if used != have:
                noun = _MEDIA_NOUN[media] + ("" if have == 1 else "s")
                issues.append(Issue("media-token-mismatch", f'{used} {token} token{"" if used == 1 else "s"} in the '
                                    f'messages but {have} {noun} in "{name}"; LLaMA-Factory stops with ValueError '
                                    f'("The number of {media} does not match the number of {token} tokens")',
                                    (name,) if name in record else (), "fatal",
                                    {"media": media, "tokens": used, "entries": have}))
                break
    return issues


def _mapped_media(spec: DatasetSpec) -> tuple[tuple[str, str], ...]:
    """(media column, field) for each media column the spec maps, in MEDIA_COLUMNS order; once per spec."""
    mapped = spec.derived.get("mapped_media")
    if mapped is None:
        mapped = spec.derived["mapped_media"] = tuple((media, spec.field(media)) for media in MEDIA_COLUMNS
                                                      if spec.field(media))
    return mapped


def _texts_seen_by_plugin(record: Mapping, spec: DatasetSpec) -> list[list[object]] | None:
    """The message contents of each (prompt + one answer) the processor hands to the plugin; None when the
    converter already drops the record (it never reaches the plugin)."""
    if spec.is_conversation:
        alignment = align(record, spec)
        if not alignment.is_usable or message_count(record, spec, alignment):
            return None
        messages = record[alignment.messages_field]
        texts = [messages[index].get(spec.tag("content_tag")) for _, index in alignment.turns]
        if spec.ranking and not is_kto_example(record, spec):
            answers = [record.get(spec.field(side) or "") for side in ("chosen", "rejected")]
            if not all(isinstance(a, Mapping) for a in answers):
                return None
            return [texts + [a.get(spec.tag("content_tag"))] for a in answers]
        return [texts]
    prompt: list[object] = []
    history = record.get(spec.field("history") or "")
    if isinstance(history, list):
        prompt += [text for pair in history if isinstance(pair, list) for text in pair]
    prompt += [record.get(spec.field(n) or "") for n in ("prompt", "query")]
    if spec.ranking and not is_kto_example(record, spec):
        return [prompt + [record.get(spec.field(side) or "")] for side in ("chosen", "rejected")]
    return [prompt + [record.get(spec.field("response") or "")]]
