"""Token counts in the model's own tokenizer, and how LLaMA-Factory's ``cutoff_len`` shares them out.

The tokenizer is the model's ``tokenizer.json``, loaded with the ``tokenizers`` library (the ``train``
extra) from a path the user gives, else from the local Hugging Face cache of ``model_name_or_path``,
read the way ``huggingface_hub`` does offline (``HF_HUB_OFFLINE``): ``$HF_HUB_CACHE``, else
``$HF_HOME/hub``, else ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub``; the
folder ``models--ORG--NAME``; the snapshot ``refs/main`` names (else the newest). Nothing is
downloaded. Without a tokenizer, counts are an estimate (about four characters a token, template
markers one token each), labelled as such everywhere they appear.
"""
from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from vgptlint.errors import UsageError

ESTIMATE_CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class TokenCounter:
    """``count(text)``: tokens of ``text`` encoded with ``add_special_tokens=False``."""

    source: str  # the tokenizer.json read, or "estimate"
    bos_id: int | None
    _encode: object

    @property
    def is_estimate(self) -> bool:
        return self.source == "estimate"

    def count(self, text: str) -> int:
        return self._encode(text)


def infer_seqlen(source_len: int, target_len: int, cutoff_len: int) -> tuple[int, int]:
    """LLaMA-Factory's ``infer_seqlen`` (processor/processor_utils.py L76-88, JonOlsenCa/LLaMA-Factory
    @d899830f; the same in upstream @ff6d4d12): how many prompt and answer tokens survive ``cutoff_len``.

    >>> infer_seqlen(3000, 2500, 4096)
    (2235, 1861)
    """
    if target_len * 2 < cutoff_len:  # L78: a short answer keeps all of itself; the prompt is cut
        max_target_len = cutoff_len
    elif source_len * 2 < cutoff_len:  # L80: a short prompt is kept; the answer gets the rest
        max_target_len = cutoff_len - source_len
    else:  # L82-83: both long: shared in proportion, rounded down
        max_target_len = int(cutoff_len * (target_len / (source_len + target_len)))
    new_target_len = min(max_target_len, target_len)  # L85
    max_source_len = max(cutoff_len - new_target_len, 0)  # L86
    new_source_len = min(max_source_len, source_len)  # L87
    return new_source_len, new_target_len


def load_counter(tokenizer: str | None, model: str | None, special_tokens: tuple[str, ...]) -> tuple[TokenCounter, str]:
    """The model's tokenizer, else an estimate; and a note saying which and, for an estimate, how to do better.

    Raises:
        VgptlintError: ``tokenizer`` was given but cannot be read, or the ``tokenizers`` library is missing.
    """
    path = _given(tokenizer) if tokenizer else find_cached(model) if model else None
    if tokenizer and path is None:
        raise UsageError(f'--tokenizer "{tokenizer}": no tokenizer.json there')
    if path is None:
        where = f'the local Hugging Face cache has no tokenizer for "{model}"' if model else "the config names no model"
        return estimate_counter(special_tokens), (
            f"token counts are an ESTIMATE (~{ESTIMATE_CHARS_PER_TOKEN} characters a token): {where}; "
            "pass --tokenizer PATH (a tokenizer.json or the model's folder) for exact counts")
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise UsageError('counting tokens with a tokenizer.json needs the "tokenizers" library: '
                         'pip install "vgptlint[train]"') from None
    try:
        loaded = Tokenizer.from_file(str(path))
    except Exception as exc:  # the library raises a bare Exception for a bad file
        raise UsageError(f'tokenizer "{path}": cannot be read: {exc}') from None
    bos_id = _bos_id(path, loaded)

    def encode(text: str) -> int:
        return len(loaded.encode(text, add_special_tokens=False).ids)

    return TokenCounter(str(path), bos_id, encode), f"tokens counted with {path}"


def estimate_counter(special_tokens: tuple[str, ...]) -> TokenCounter:
    splitter = re.compile("|".join(re.escape(t) for t in special_tokens)) if special_tokens else None

    def encode(text: str) -> int:
        if splitter is None:
            return math.ceil(len(text) / ESTIMATE_CHARS_PER_TOKEN)
        specials = len(splitter.findall(text))
        plain = sum(math.ceil(len(part) / ESTIMATE_CHARS_PER_TOKEN) for part in splitter.split(text))
        return specials + plain

    return TokenCounter("estimate", None, encode)


def _given(tokenizer: str) -> Path | None:
    path = Path(tokenizer)
    if path.is_dir():
        path = path / "tokenizer.json"
    return path if path.is_file() else None


def hub_cache() -> Path:
    """huggingface_hub's cache folder, from the same variables in the same order."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(os.environ["HUGGINGFACE_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "huggingface" / "hub"


def find_cached(model: str) -> Path | None:
    """``model_name_or_path`` as LLaMA-Factory loads it offline: a local folder, else the hub cache."""
    local = Path(model)
    if local.is_dir():
        return _given(str(local))
    repo = hub_cache() / ("models--" + model.replace("/", "--"))
    snapshots = repo / "snapshots"
    ref = repo / "refs" / "main"
    if ref.is_file():
        candidate = snapshots / ref.read_text(encoding="utf-8").strip() / "tokenizer.json"
        if candidate.is_file():
            return candidate
    found = sorted(snapshots.glob("*/tokenizer.json"), key=lambda p: p.stat().st_mtime) if snapshots.is_dir() else []
    return found[-1] if found else None


def _bos_id(path: Path, loaded) -> int | None:
    """transformers reads ``bos_token`` from tokenizer_config.json beside tokenizer.json (Qwen2.5: none)."""
    config = path.parent / "tokenizer_config.json"
    try:
        bos = json.loads(config.read_text(encoding="utf-8")).get("bos_token")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(bos, dict):
        bos = bos.get("content")
    return loaded.token_to_id(bos) if isinstance(bos, str) else None
