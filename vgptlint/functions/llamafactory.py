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
    spec = ctx.spec
    if isinstance(spec, DatasetSpec):
        return spec
    if isinstance(spec, Mapping):  # e.g. a rule example's `spec:`, not yet built
        return spec_from_entry("example", spec)
    if ctx.services and ctx.services.get("dataset_info") is not None:
        return None
    return default_spec(ctx.kind, record)


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


lf_columns_present = function("lf_columns_present", options=NoOptions, accepts=(dict,))(
    _record_check(checks.column_missing))
lf_output_string = function("lf_output_string", options=NoOptions, accepts=(dict,))(
    _record_check(checks.output_not_string))
lf_roles_alternate = function("lf_roles_alternate", options=NoOptions, accepts=(dict,))(
    _record_check(checks.sharegpt_roles))
lf_message_count = function("lf_message_count", options=NoOptions, accepts=(dict,))(
    _record_check(checks.message_count))
lf_preference_answer = function("lf_preference_answer", options=NoOptions, accepts=(dict,))(
    _record_check(checks.preference_role))
lf_history_pairs = function("lf_history_pairs", options=NoOptions, accepts=(dict,))(
    _record_check(checks.history_shape))


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


@function("lf_media_tokens_match", options=MediaTokensOptions, accepts=(dict,))
def lf_media_tokens_match(value: dict, opts: MediaTokensOptions, ctx: Context) -> Iterator[Hit]:
    """Media placeholders in the messages match the media lists one for one."""
    placeholders = {"images": opts.image_token, "videos": opts.video_token, "audios": opts.audio_token}
    spec = spec_of(value, ctx)
    return _hits(checks.media_token_mismatch(value, spec, placeholders)) if spec is not None else iter(())
