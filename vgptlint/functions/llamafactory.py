"""LLaMA-Factory compatibility: would LLaMA-Factory train on this record the way its author thinks?

Every function here takes the whole record (``given: "$"``) and reads the dataset's spec from
``ctx.spec`` (built from dataset_info.json: formatting, ranking, the effective
``columns`` and ``tags``). Without one it assumes LLaMA-Factory's defaults for the record's shape and
inferred kind. The logic mirrors LLaMA-Factory's converter; see ``vgptlint/llamafactory/checks.py``
and ``docs/llamafactory.md`` for the source lines each check restates.

Functions (all without options unless noted):

- ``lf_columns_present``: every column the converter reads exists in the record.
- ``lf_output_string``: alpaca ``output`` (or ``chosen``/``rejected``) is a string.
- ``lf_roles_alternate``: sharegpt/openai roles are known tags in user/assistant order.
- ``lf_message_count``: an even message count (odd for preference data) after the system prompt.
- ``lf_preference_answer``: sharegpt ``chosen``/``rejected`` are assistant/function message objects.
- ``lf_media_tokens_match``: ``<image>``/``<video>``/``<audio>`` counts equal the media lists.
  Options: ``image_token`` (default ``<image>``), ``video_token`` (``<video>``), ``audio_token`` (``<audio>``).
- ``lf_history_pairs``: alpaca ``history`` is a list of [prompt, response] string pairs.

Pass: ``{"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}``.
Fail (``lf_message_count``): the same without the ``gpt`` turn: "LLaMA-Factory skips this record: 1 message ...".
Each hit's data carries ``effect``: skip | fatal | different-kind | degraded; ``degraded`` hits are warnings.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from vgptlint.functions.base import Context, Hit, NoOptions, function
from vgptlint.llamafactory import checks
from vgptlint.llamafactory.align import Issue
from vgptlint.llamafactory.dataset_info import spec_from_entry
from vgptlint.llamafactory.spec import DatasetSpec, default_spec
from vgptlint.model import Severity


def spec_of(record: Mapping, ctx: Context) -> DatasetSpec | None:
    """The dataset's spec from the context, or LLaMA-Factory's defaults for this record's shape.

    None when a dataset_info.json is loaded but does not register this file: LLaMA-Factory never
    reads it (e.g. the v1 data engine's files), so guessing its format would only invent findings.
    """
    spec = file_spec(ctx)
    return default_spec(ctx.kind, record) if spec is INFERRED else spec


INFERRED = object()  # file_spec: no spec for the whole file, each record's shape decides


def file_spec(ctx: Context) -> DatasetSpec | None | object:
    """The spec the context fixes for the whole file (see :func:`spec_of`), or ``INFERRED``."""
    spec = ctx.spec
    if isinstance(spec, DatasetSpec):
        return spec
    if isinstance(spec, Mapping):  # e.g. a rule example's `spec:`, not yet built
        return spec_from_entry("example", spec)
    if ctx.services and ctx.services.get("dataset_info") is not None:
        return None
    return INFERRED


def _hits(issues: list[Issue]) -> Iterator[Hit]:
    if not issues:  # nearly every record: no generator to make and run
        return iter(())
    return _issue_hits(issues)


def _issue_hits(issues: list[Issue]) -> Iterator[Hit]:
    for issue in issues:
        severity = Severity.WARNING if issue.effect == "degraded" else None
        yield Hit(issue.message, path=issue.path, data={**issue.data, "effect": issue.effect}, severity=severity)


def _record_check(check: Callable[[Mapping, DatasetSpec], list[Issue]]):
    def run(value: dict, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
        spec = spec_of(value, ctx)
        return _hits(check(value, spec)) if spec is not None else iter(())

    run.__doc__ = check.__doc__
    return run


def _applies(reads: Callable[[DatasetSpec], bool]) -> Callable[[Context], bool]:
    """A function's ``applies``: whether its check can report on a file, from the file's spec when the
    context fixes one (a file dataset_info does not register: never; no dataset_info: the spec is
    inferred record by record, so it may)."""

    def applies(ctx: Context) -> bool:
        spec = file_spec(ctx)
        return spec is INFERRED or (spec is not None and reads(spec))

    return applies


def _register(name: str, check: Callable[[Mapping, DatasetSpec], list[Issue]], reads: Callable[[DatasetSpec], bool]):
    return function(name, options=NoOptions, accepts=(dict,), applies=_applies(reads), is_pure=True)(_record_check(check))


lf_columns_present = _register("lf_columns_present", checks.column_missing, checks.maps_columns)
lf_output_string = _register("lf_output_string", checks.output_not_string, checks.is_alpaca)
lf_roles_alternate = _register("lf_roles_alternate", checks.sharegpt_roles, checks.is_conversation)
lf_message_count = _register("lf_message_count", checks.message_count, checks.is_conversation)
lf_preference_answer = _register("lf_preference_answer", checks.preference_role, checks.is_preference_conversation)
lf_history_pairs = _register("lf_history_pairs", checks.history_shape, checks.maps_history)


@dataclass(frozen=True, slots=True)
class MediaTokensOptions:
    """The placeholders LLaMA-Factory counts (its IMAGE_PLACEHOLDER/VIDEO_PLACEHOLDER/AUDIO_PLACEHOLDER
    environment variables change them; default ``<image>``, ``<video>``, ``<audio>``)."""

    image_token: str = "<image>"
    video_token: str = "<video>"
    audio_token: str = "<audio>"

    def validate(self) -> str | None:
        if not all((self.image_token, self.video_token, self.audio_token)):
            return "placeholder tokens must not be empty"
        return None


@function("lf_media_tokens_match", options=MediaTokensOptions, accepts=(dict,), applies=_applies(checks.maps_media), is_pure=True)
def lf_media_tokens_match(value: dict, opts: MediaTokensOptions, ctx: Context) -> Iterator[Hit]:
    """Media placeholders in the messages match the media lists one for one."""
    placeholders = {"images": opts.image_token, "videos": opts.video_token, "audios": opts.audio_token}
    spec = spec_of(value, ctx)
    return _hits(checks.media_token_mismatch(value, spec, placeholders)) if spec is not None else iter(())
