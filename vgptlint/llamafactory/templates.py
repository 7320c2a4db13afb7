"""LLaMA-Factory's chat templates, as token counts: what each message costs once the template wraps it.

Read in ``src/llamafactory/data/template.py`` of the owner's fork (JonOlsenCa/LLaMA-Factory @d899830f;
upstream hiyouga/LLaMA-Factory @ff6d4d12 defines the same two templates at L2041-2054 and L1482-1506):

- ``Template._encode`` (L130-168): message 0 carries ``format_prefix`` and, when the record has a
  system prompt *or the template a default one* (``system = system or self.default_system``),
  ``format_system``; then each message its role's formatter. ``_convert_elements_to_ids`` (L111-128)
  encodes every string element **separately** with ``tokenizer.encode(elem, add_special_tokens=False)``,
  and a ``{"bos_token"}`` element as the tokenizer's BOS id when it has one.
- ``encode_oneturn`` (L59-73): prompt = every message but the last, response = the last.
  ``encode_multiturn`` (L75-84): (message 2i, message 2i+1) pairs.
- ``qwen`` (L1887-1900): user ``<|im_start|>user\\n{content}<|im_end|>\\n<|im_start|>assistant\\n``,
  assistant ``{content}<|im_end|>\\n``, system ``<|im_start|>system\\n{content}<|im_end|>\\n``, default
  system "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", no prefix.
- ``llama3`` (L1351-1376): prefix ``{"bos_token"}``, user ``<|start_header_id|>user<|end_header_id|>\\n\\n
  {content}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\\n\\n``, assistant ``{content}<|eot_id|>``,
  system ``<|start_header_id|>system<|end_header_id|>\\n\\n{content}<|eot_id|>``, no default system.

Neither template has ``efficient_eos`` (register_template's default, L478), so no EOS is appended
after truncation. Tool descriptions (``format_tools``) are not modelled: a record's ``tools`` column
is counted as plain system text.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

USER, ASSISTANT = "user", "assistant"


@dataclass(frozen=True, slots=True)
class ChatTemplate:
    name: str
    user: str
    assistant: str
    system: str
    default_system: str
    prefix_bos: bool
    special_tokens: tuple[str, ...]
    cited: str

    def render(self, index: int, role: str, content: str, system: str) -> list[str | None]:
        """The elements of message ``index`` in ``_encode``'s order; None stands for the BOS token."""
        elements: list[str | None] = []
        if index == 0:
            if self.prefix_bos:
                elements.append(None)
            system = system or self.default_system
            if system:
                elements.append(self.system.replace("{content}", system, 1))
        slot = self.user if role == USER else self.assistant
        elements.append(slot.replace("{content}", content, 1))
        return elements


TEMPLATES = {
    "qwen": ChatTemplate(
        name="qwen",
        user="<|im_start|>user\n{content}<|im_end|>\n<|im_start|>assistant\n",
        assistant="{content}<|im_end|>\n",
        system="<|im_start|>system\n{content}<|im_end|>\n",
        default_system="You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
        prefix_bos=False,
        special_tokens=("<|im_start|>", "<|im_end|>"),
        cited="src/llamafactory/data/template.py L1887-1900 (JonOlsenCa/LLaMA-Factory @d899830f)",
    ),
    "llama3": ChatTemplate(
        name="llama3",
        user=("<|start_header_id|>user<|end_header_id|>\n\n{content}<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\n"),
        assistant="{content}<|eot_id|>",
        system="<|start_header_id|>system<|end_header_id|>\n\n{content}<|eot_id|>",
        default_system="",
        prefix_bos=True,
        special_tokens=("<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"),
        cited="src/llamafactory/data/template.py L1351-1376 (JonOlsenCa/LLaMA-Factory @d899830f)",
    ),
}


def message_lengths(template: ChatTemplate, encode: Callable[[str], int], bos_id: int | None,
                    messages: Sequence[tuple[str, str]], system: str) -> list[int]:
    """Tokens of each message after the template, as ``Template._encode`` makes them.

    ``encode(text)`` is the tokenizer's count with ``add_special_tokens=False``; empty elements cost
    nothing (L115-117), and the BOS element costs one token only when the tokenizer has one (L120-122).
    """
    lengths = []
    for index, (role, content) in enumerate(messages):
        total = 0
        for element in template.render(index, role, content, system):
            if element is None:
                total += 1 if bos_id is not None else 0
            elif element:
                total += encode(element)
        lengths.append(total)
    return lengths
