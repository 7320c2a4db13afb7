"""Every lf_* function on direct calls, with a spec in the context and without one."""
from __future__ import annotations

import pytest

import vgptlint.functions.llamafactory  # noqa: F401  (registers the functions)
from vgptlint.functions.base import REGISTRY, Context, OptionError, build_options
from vgptlint.llamafactory.dataset_info import spec_from_entry
from vgptlint.model import Severity

OPENAI_TAGS = {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant",
               "system_tag": "system"}
SHAREGPT_DPO = {"formatting": "sharegpt", "ranking": True,
                "columns": {"messages": "conversations", "chosen": "chosen", "rejected": "rejected"}}


def run(name: str, record: dict, entry: dict | None = None, kind: str = "sft", **options) -> list:
    function = REGISTRY[name]
    ctx = Context(record=record, kind=kind, spec=spec_from_entry("t", entry) if entry is not None else None)
    return list(function.check(record, build_options(function.options, options), ctx))


def said(hits: list) -> list[tuple[tuple, str]]:
    return [(hit.path, hit.message) for hit in hits]


def turns(*roles: str, tag: str = "from", content: str = "value") -> list[dict]:
    return [{tag: role, content: f"turn {i}"} for i, role in enumerate(roles)]


# ---------------------------------------------------------------------------------- columns

def test_columns_present_reports_each_absent_mapped_field():
    entry = {"columns": {"prompt": "instruction", "query": "input", "response": "output", "system": "system"}}
    hits = run("lf_columns_present", {"instruction": "q"}, entry)
    # system is optional: a record without it reads null; only a file where no record has it fails
    # (lf-column-absent, a dataset-level rule)
    assert [h.data["column"] for h in hits] == ["query", "response"]
    assert [h.severity for h in hits] == [Severity.WARNING, None]
    assert hits[1].data == {"column": "response", "field": "output", "effect": "skip"}


def test_optional_columns_skip_system_when_the_first_message_is_one():
    from vgptlint.llamafactory.checks import optional_columns_present
    from vgptlint.llamafactory.dataset_info import spec_from_entry

    spec = spec_from_entry("t", {"formatting": "sharegpt", "columns": {"messages": "conversations", "system": "system"}})
    assert "system" not in optional_columns_present({"conversations": turns("system", "human", "gpt")}, spec)
    assert optional_columns_present({"conversations": turns("human", "gpt")}, spec)["system"] == ("system", False)


def test_columns_read_are_worked_out_once_per_spec_and_never_compared_or_copied():
    import dataclasses

    from vgptlint.llamafactory.checks import accessed_columns
    from vgptlint.llamafactory.dataset_info import spec_from_entry

    spec = spec_from_entry("t", {"columns": {"prompt": "instruction", "response": "output", "images": "images"}})
    read = accessed_columns({"instruction": "q"}, spec)
    assert read == ("prompt", "response", "images")
    assert accessed_columns({"output": "a"}, spec) is read  # an alpaca record cannot change them
    copy = dataclasses.replace(spec)
    assert copy == spec and copy.derived == {}


def test_columns_present_is_silent_without_dataset_info():
    assert run("lf_columns_present", {"instruction": "q"}) == []


def test_openai_formatting_reads_system_and_tools_optionally():
    entry = {"formatting": "openai", "columns": {"messages": "messages", "system": "system", "tools": "tools"},
             "tags": OPENAI_TAGS}
    assert run("lf_columns_present", {"messages": turns("user", "assistant", tag="role", content="content")},
               entry) == []


# ----------------------------------------------------------------------------------- output

@pytest.mark.parametrize("output, what", [(["a"], "a list"), ({"a": 1}, "an object"), (3, "a number"),
                                          (None, "null"), (True, "a boolean")])
def test_output_string(output, what):
    (hit,) = run("lf_output_string", {"instruction": "q", "input": "", "output": output}, {})
    assert said([hit]) == [(("output",), f'LLaMA-Factory drops this record: "output" is {what}, not a string, so '
                                         "the record has no response (it is read as unsupervised)")]


def test_output_string_in_alpaca_preference_and_kto_data():
    dpo = {"ranking": True, "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected",
                                        "response": "output"}}
    hits = run("lf_output_string", {"instruction": "q", "chosen": ["x"], "rejected": 1, "output": "a"}, dpo)
    assert [(h.path, h.data["effect"]) for h in hits] == [(("chosen",), "different-kind"),
                                                          (("rejected",), "different-kind")]
    kto = {"columns": {"prompt": "instruction", "response": "output", "kto_tag": "label"}}
    (hit,) = run("lf_output_string", {"instruction": "q", "output": ["a"], "label": False}, kto, kind="kto")
    assert hit.message.startswith('LLaMA-Factory cannot train this KTO record: "output" is a list')
    assert run("lf_output_string", {"conversations": []}, {"formatting": "sharegpt"}) == []


# ------------------------------------------------------------------------------------ roles

def test_roles_alternate_accepts_tool_turns_and_a_leading_system():
    record = {"conversations": turns("system", "human", "function_call", "observation", "gpt")}
    assert run("lf_roles_alternate", record, {"formatting": "sharegpt"}) == []


def test_roles_alternate_reports_the_first_break_only():
    hits = run("lf_roles_alternate", {"conversations": turns("human", "human", "gpt", "gpt")}, {"formatting": "sharegpt"})
    assert said(hits) == [(("conversations", 1, "from"), 'LLaMA-Factory skips this record: message 1 has role "human" '
                           'where "gpt" or "function_call" belongs (turns must alternate user, assistant after an '
                           "optional first system message)")]


def test_roles_alternate_names_unknown_tags():
    entry = {"formatting": "sharegpt", "columns": {"messages": "messages"}, "tags": OPENAI_TAGS}
    (hit,) = run("lf_roles_alternate", {"messages": turns("user", "bot", tag="role", content="content")}, entry)
    assert hit.message == ('LLaMA-Factory skips this record: message 1 has role "bot", which is none of this '
                           'dataset\'s tags ("user", "assistant", "system"); check "tags" in dataset_info')


@pytest.mark.parametrize("messages, message", [
    ("hello", '"conversations" is a string, not a list of messages; LLaMA-Factory stops with TypeError on this record'),
    (["hello"], "message 0 is a string, not an object; LLaMA-Factory stops with TypeError on this record"),
    ([{"from": "human"}], 'message 0 has no "value" key; LLaMA-Factory stops with KeyError on this record'),
])
def test_roles_alternate_fatal_shapes(messages, message):
    (hit,) = run("lf_roles_alternate", {"conversations": messages}, {"formatting": "sharegpt"})
    assert hit.message == message and hit.data["effect"] == "fatal"


def test_roles_alternate_openai_merges_observations_and_tool_calls():
    entry = {"formatting": "openai", "columns": {"messages": "messages"},
             "tags": {**OPENAI_TAGS, "observation_tag": "tool", "function_tag": "function"}}
    good = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "", "tool_calls": [{"function": {}}]},
            {"role": "tool", "content": "r1"}, {"role": "tool", "content": "r2"}, {"role": "assistant", "content": "a"}]
    assert run("lf_roles_alternate", {"messages": good}, entry) == []
    (hit,) = run("lf_roles_alternate", {"messages": good[:1] + [{"role": "robot", "content": "x"}]}, entry)
    assert hit.data["effect"] == "fatal" and 'role "robot"' in hit.message and "KeyError" in hit.message
    (hit,) = run("lf_roles_alternate", {"messages": [good[1], good[0]]}, entry)
    assert hit.path == ("messages", 0, "role") and 'where "user" or "tool" belongs' in hit.message


def test_roles_alternate_without_a_spec_infers_openai_style_tags():
    assert run("lf_roles_alternate", {"messages": turns("user", "assistant", tag="role", content="content")}) == []


# ------------------------------------------------------------------------------------ count

def test_message_count_even_for_plain_odd_for_preference():
    plain = {"formatting": "sharegpt"}
    assert run("lf_message_count", {"conversations": turns("system", "human", "gpt")}, plain) == []
    (hit,) = run("lf_message_count", {"conversations": turns("human")}, plain)
    assert hit.message.startswith("LLaMA-Factory skips this record: 1 message after the system prompt;")
    (hit,) = run("lf_message_count", {"conversations": turns("system")}, plain)
    assert hit.message == "LLaMA-Factory drops this record: it has no messages besides a system prompt"
    dpo = {"conversations": turns("human", "gpt"), "chosen": {"from": "gpt", "value": "a"},
           "rejected": {"from": "gpt", "value": "b"}}
    assert run("lf_message_count", dpo, SHAREGPT_DPO, kind="dpo")[0].data == {"count": 2, "effect": "skip"}
    assert run("lf_message_count", {"conversations": turns("gpt")}, plain) == []  # roles report that one


# ------------------------------------------------------------------------------- preference

def test_preference_answer():
    base = {"conversations": turns("human")}
    good = {**base, "chosen": {"from": "gpt", "value": "a"}, "rejected": {"from": "function_call", "value": "b"}}
    assert run("lf_preference_answer", good, SHAREGPT_DPO, kind="dpo") == []
    hits = run("lf_preference_answer", {**base, "chosen": ["a"], "rejected": {"from": "human", "value": "b"}},
               SHAREGPT_DPO, kind="dpo")
    assert [(h.path, h.data["effect"]) for h in hits] == [(("chosen",), "skip"), (("rejected", "from"), "skip")]
    (hit,) = run("lf_preference_answer", {**base, "chosen": {"value": "a"}, "rejected": {"from": "gpt", "value": "b"}},
                 SHAREGPT_DPO, kind="dpo")
    assert hit.message == '"chosen" has no "from" key; LLaMA-Factory stops with KeyError on this record'


def test_preference_answer_openai_compares_literal_roles():
    entry = {**SHAREGPT_DPO, "formatting": "openai", "tags": {**OPENAI_TAGS, "assistant_tag": "bot"}}
    record = {"conversations": turns("user", tag="role", content="content"),
              "chosen": {"role": "bot", "content": "a"}, "rejected": {"role": "assistant", "content": "b"}}
    (hit,) = run("lf_preference_answer", record, entry, kind="dpo")
    assert hit.message == ('LLaMA-Factory drops this record: "chosen" has role "bot"; a preference answer must be '
                           '"assistant" or "function"')


# ------------------------------------------------------------------------------------ media

MLLM = {"formatting": "sharegpt", "columns": {"messages": "messages", "images": "images", "videos": "videos"},
        "tags": OPENAI_TAGS}


def test_media_tokens_match():
    record = {"messages": [{"role": "user", "content": "<image>a<video>"}, {"role": "assistant", "content": "b"}],
              "images": ["x.png"], "videos": "clip.mp4"}
    assert run("lf_media_tokens_match", record, MLLM) == []
    hits = run("lf_media_tokens_match", {**record, "images": [], "videos": None}, MLLM)
    assert [h.message for h in hits] == [
        '1 <image> token in the messages but 0 images in "images"; LLaMA-Factory stops with ValueError ("The number '
        'of images does not match the number of <image> tokens")',
        '1 <video> token in the messages but 0 videos in "videos"; LLaMA-Factory stops with ValueError ("The number '
        'of videos does not match the number of <video> tokens")']
    skipped_by_converter = {"messages": record["messages"][1:], "images": ["x.png"]}
    assert run("lf_media_tokens_match", skipped_by_converter, MLLM) == []  # lf-sharegpt-roles reports it


def test_media_tokens_match_checks_chosen_and_rejected_separately_and_custom_tokens():
    entry = {**SHAREGPT_DPO, "columns": {**SHAREGPT_DPO["columns"], "images": "images"}}
    record = {"conversations": turns("human"), "images": ["x.png"],
              "chosen": {"from": "gpt", "value": "<image>"}, "rejected": {"from": "gpt", "value": "none"}}
    (hit,) = run("lf_media_tokens_match", record, entry, kind="dpo")
    assert hit.data == {"media": "images", "tokens": 0, "entries": 1, "effect": "fatal"}
    alpaca = {"columns": {"prompt": "instruction", "response": "output", "images": "images"}}
    assert run("lf_media_tokens_match", {"instruction": "[img] q", "output": "a", "images": "x.png"}, alpaca,
               image_token="[img]") == []
    with pytest.raises(OptionError):
        build_options(REGISTRY["lf_media_tokens_match"].options, {"image_token": ""})


def test_media_tokens_ignored_without_media_columns():
    assert run("lf_media_tokens_match", {"instruction": "<image>", "input": "", "output": "a"}, {}) == []


# ---------------------------------------------------------------------------------- history

def test_history_pairs():
    entry = {"columns": {"prompt": "instruction", "response": "output", "history": "history"}}
    ok = {"instruction": "q", "output": "a", "history": [["q0", "a0"]]}
    assert run("lf_history_pairs", ok, entry) == []
    assert run("lf_history_pairs", {**ok, "history": None}, entry) == []
    hits = run("lf_history_pairs", {**ok, "history": ["ab", ["q"], ["q", 1]]}, entry)
    assert said(hits) == [
        (("history", 0), "history[0] is a string, not a [prompt, response] pair; LLaMA-Factory unpacks its two "
                         "characters or keys as a turn"),
        (("history", 1), "history[1] is a list of 1 items, not a [prompt, response] pair; LLaMA-Factory stops with "
                         "an error while unpacking it"),
        (("history", 2, 1), "history[2][1] is a number, not a string; the chat template needs text")]
    (hit,) = run("lf_history_pairs", {**ok, "history": {"q": "a"}}, entry)
    assert hit.severity is Severity.WARNING and hit.data["effect"] == "degraded"
    assert run("lf_history_pairs", {**ok, "history": "x"}, {}) == []  # history unset by default


def test_files_that_dataset_info_does_not_register_are_left_alone():
    record = {"messages": [{"role": "tool", "content": "x"}]}
    ctx = Context(record=record, kind="sft", spec=None, services={"dataset_info": object()})
    function = REGISTRY["lf_roles_alternate"]
    assert list(function.check(record, build_options(function.options, {}), ctx)) == []
    assert run("lf_roles_alternate", record)  # without dataset_info the defaults are assumed


# ------------------------------------------------------------------------- which files a check reads

LF_FUNCTIONS = ("lf_columns_present", "lf_output_string", "lf_roles_alternate", "lf_message_count",
                "lf_preference_answer", "lf_history_pairs", "lf_media_tokens_match")
ENTRIES = [
    {}, {"ranking": True, "columns": {"prompt": "instruction", "chosen": "chosen", "rejected": "rejected"}},
    {"columns": {"prompt": "instruction", "response": "output", "kto_tag": "label"}},
    {"columns": {"prompt": "instruction", "response": "output", "history": "history", "images": "images"}},
    {"formatting": "sharegpt"}, SHAREGPT_DPO, {"formatting": "openai", "tags": OPENAI_TAGS},
    {"formatting": "sharegpt", "columns": {"messages": "conversations", "videos": "videos"}},
]
RECORDS = [
    {}, {"instruction": "q <image>", "input": "", "output": 3, "history": ["ab", [1, 2]], "images": ["a.png", "b.png"]},
    {"instruction": "q", "chosen": ["x"], "rejected": {"from": "human"}, "label": "true"},
    {"conversations": turns("system", "human", "gpt", "human"), "chosen": "a", "videos": "v.mp4"},
    {"conversations": [{"role": "user", "content": "<video>"}], "messages": None},
    {"conversations": turns("human", "human"), "chosen": {"from": "gpt", "value": "a"},
     "rejected": {"from": "gpt", "value": "b"}},
]


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize("name", LF_FUNCTIONS)
def test_a_check_that_does_not_apply_to_a_file_finds_nothing_on_its_records(name, entry):
    function = REGISTRY[name]
    ctx = Context(record=None, kind="sft", spec=spec_from_entry("t", entry))
    if function.applies(ctx):
        return
    for record in RECORDS:
        ctx.record = record
        assert list(function.check(record, build_options(function.options, {}), ctx)) == [], record


def test_which_files_a_check_applies_to():
    applies = REGISTRY["lf_roles_alternate"].applies
    alpaca, sharegpt = spec_from_entry("t", {}), spec_from_entry("t", {"formatting": "sharegpt"})
    assert not applies(Context(record=None, kind="sft", spec=alpaca))
    assert applies(Context(record=None, kind="sft", spec=sharegpt))
    assert applies(Context(record=None, kind="sft", spec={"formatting": "sharegpt"}))  # a rule example's spec
    assert applies(Context(record=None, kind="sft"))  # no dataset_info: each record's shape decides
    assert not applies(Context(record=None, kind="sft", services={"dataset_info": object()}))  # not registered
    assert not REGISTRY["lf_history_pairs"].applies(Context(record=None, kind="sft", spec=alpaca))
    assert not REGISTRY["lf_media_tokens_match"].applies(Context(record=None, kind="sft", spec=alpaca))
    assert REGISTRY["lf_output_string"].applies(Context(record=None, kind="sft", spec=alpaca))
