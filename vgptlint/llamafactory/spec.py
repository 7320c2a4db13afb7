"""What LLaMA-Factory knows about one dataset: its formatting, columns and tags, with its defaults.

Mirrors ``DatasetAttr`` in LLaMA-Factory's ``src/llamafactory/data/parser.py`` (hiyouga/LLaMA-Factory
@85b0f312, lines 26-90). The rule that surprises people: once an entry has ``columns``, *every*
logical column is read from it (``set_attr(column_name, attr["columns"])`` with default None, L80-84),
so a map that names ``prompt`` and ``response`` but not ``query`` silently drops every ``input``.
``tags`` works the same way (L86-90).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

FORMATTINGS = ("alpaca", "sharegpt", "openai")

# parser.py L41-56: logical column -> default field name (None: unset unless `columns` names it)
DEFAULT_COLUMNS: dict[str, str | None] = {
    "prompt": "instruction",
    "query": "input",
    "response": "output",
    "history": None,
    "messages": "conversations",
    "system": None,
    "tools": None,
    "images": None,
    "videos": None,
    "audios": None,
    "chosen": None,
    "rejected": None,
    "kto_tag": None,
}

# parser.py L58-64: logical tag -> default value
DEFAULT_TAGS: dict[str, str | None] = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
    "observation_tag": "observation",
    "function_tag": "function_call",
    "system_tag": "system",
}

MEDIA_COLUMNS = ("images", "videos", "audios")


@dataclass(frozen=True, slots=True)
class FieldMap(Mapping):
    """A read-only, picklable mapping of logical name -> record field (None when unset).

    >>> FieldMap.of({"prompt": "q", "query": None})["prompt"]
    'q'
    """

    pairs: tuple[tuple[str, str | None], ...]
    # Rules look columns up several times per record: a dict beats scanning pairs (and Mapping.get).
    index: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.index.update(self.pairs)

    @classmethod
    def of(cls, mapping: Mapping[str, str | None]) -> FieldMap:
        return cls(tuple(mapping.items()))

    def __getitem__(self, key: str) -> str | None:
        return self.index[key]

    def get(self, key: str, default: object = None) -> object:
        return self.index.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.index

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self.pairs)

    def __len__(self) -> int:
        return len(self.pairs)

    def mapped(self) -> dict[str, str]:
        """Only the names that are set."""
        return {name: value for name, value in self.pairs if value}


@dataclass(frozen=True, slots=True)
class DatasetSpec:
    """One local dataset of a dataset_info.json, as LLaMA-Factory's parser would read it.

    ``columns``/``tags`` are the *effective* maps (defaults applied exactly as parser.py does);
    ``explicit_columns`` are the names the entry's own ``columns`` object spells out.
    ``line``/``column`` locate the entry's name in dataset_info.json.
    """

    name: str
    file_name: str | None
    paths: tuple[Path, ...]
    formatting: str
    ranking: bool
    columns: FieldMap
    tags: FieldMap
    explicit_columns: frozenset[str] = frozenset()
    source: str = ""
    line: int = 1
    column: int = 1
    is_inferred: bool = False
    entry_problems: tuple[str, ...] = ()  # only for inline entries (no dataset_info file to point at)
    num_samples: int | None = None  # loader.py L145-155: sample this many at random instead of reading in order
    # What the checks derive from the spec alone (e.g. the columns the converter reads), worked out
    # once instead of for every record; not compared, not copied by dataclasses.replace.
    derived: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def kind(self) -> str:
        """sft | dpo | kto, in the converter's order: a mapped ``kto_tag`` wins over ``ranking``."""
        if self.columns.get("kto_tag"):
            return "kto"
        if self.ranking:
            return "dpo"
        return "sft"

    @property
    def is_pretraining(self) -> bool:
        """An alpaca entry with no response column (``columns: {prompt: text}``): text for the ``pt`` stage."""
        return self.formatting == "alpaca" and not self.columns.get("response") and self.kind == "sft"

    @property
    def is_conversation(self) -> bool:
        return self.formatting in ("sharegpt", "openai")

    def field(self, logical: str) -> str | None:
        return self.columns.get(logical)

    def tag(self, logical: str) -> str | None:
        return self.tags.get(logical)


def effective_columns(columns: Mapping[str, object] | None) -> dict[str, str | None]:
    """parser.py L80-84: with no ``columns`` the defaults hold; with one, unnamed columns are unset.

    >>> effective_columns({"prompt": "q", "response": "a"})["query"] is None
    True
    >>> effective_columns(None)["query"]
    'input'
    """
    if columns is None:
        return dict(DEFAULT_COLUMNS)
    return {name: _as_name(columns.get(name)) for name in DEFAULT_COLUMNS}


def effective_tags(tags: Mapping[str, object] | None) -> dict[str, str | None]:
    """parser.py L86-90: the same rule as columns, for role/content tags."""
    if tags is None:
        return dict(DEFAULT_TAGS)
    return {name: _as_name(tags.get(name)) for name in DEFAULT_TAGS}


def _as_name(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def build_spec(name: str, entry: Mapping[str, object], paths: tuple[Path, ...] = (), source: str = "",
               line: int = 1, column: int = 1, entry_problems: tuple[str, ...] = ()) -> DatasetSpec:
    """Build a spec from one dataset_info entry (already-parsed JSON/YAML); no validation here.

    >>> build_spec("x", {"formatting": "sharegpt", "ranking": True}).kind
    'dpo'
    """
    columns = entry.get("columns")
    tags = entry.get("tags")
    formatting = entry.get("formatting", "alpaca")
    file_name = entry.get("file_name")
    return DatasetSpec(
        name=name,
        file_name=file_name if isinstance(file_name, str) else None,
        paths=paths,
        formatting=formatting if formatting in FORMATTINGS else "alpaca",
        ranking=entry.get("ranking") is True,
        columns=FieldMap.of(effective_columns(columns if isinstance(columns, Mapping) else None)),
        tags=FieldMap.of(effective_tags(tags if isinstance(tags, Mapping) else None)),
        explicit_columns=frozenset(columns) if isinstance(columns, Mapping) else frozenset(),
        source=source,
        line=line,
        column=column,
        entry_problems=entry_problems,
        num_samples=num_samples if isinstance(num_samples := entry.get("num_samples"), int)
        and not isinstance(num_samples, bool) else None,
    )


_FALLBACKS: dict[tuple, DatasetSpec] = {}


def default_spec(kind: str, record: object) -> DatasetSpec:
    """The spec to assume when no dataset_info describes a file: LLaMA-Factory's defaults, shaped by
    what the record looks like (a ``conversations``/``messages`` list means sharegpt; messages with a
    ``role`` key mean OpenAI-style tags) and by the inferred kind (dpo: ``chosen``/``rejected``;
    kto: ``label`` or ``kto_tag``).

    >>> default_spec("sft", {"messages": [{"role": "user", "content": "hi"}]}).tags["user_tag"]
    'user'
    """
    data = record if isinstance(record, Mapping) else {}
    messages_field = next((key for key in ("conversations", "messages") if isinstance(data.get(key), list)), None)
    role_style = False
    if messages_field:
        first = next((m for m in data[messages_field] if isinstance(m, Mapping)), None)
        role_style = first is not None and "role" in first and "from" not in first
    label_field = "kto_tag" if "kto_tag" in data and "label" not in data else "label"
    signature = (kind, messages_field, role_style, label_field)
    cached = _FALLBACKS.get(signature)
    if cached is not None:
        return cached
    entry: dict[str, object] = {"formatting": "sharegpt" if messages_field else "alpaca"}
    columns: dict[str, str] = {}
    if messages_field:
        columns["messages"] = messages_field
        for optional in ("system", "tools", *MEDIA_COLUMNS):
            columns[optional] = optional
    else:
        columns.update(prompt="instruction", query="input", response="output", system="system", history="history")
        columns.update({media: media for media in MEDIA_COLUMNS})
    if kind == "dpo":
        entry["ranking"] = True
        columns.update(chosen="chosen", rejected="rejected")
    elif kind == "kto":
        columns["kto_tag"] = label_field
    entry["columns"] = columns
    if role_style:
        entry["tags"] = {"role_tag": "role", "content_tag": "content", "user_tag": "user",
                         "assistant_tag": "assistant", "observation_tag": "observation",
                         "function_tag": "function_call", "system_tag": "system"}
    # the fallback names optional columns so they are read when present; is_inferred keeps
    # lf-column-missing from requiring them
    spec = dataclasses.replace(build_spec("(inferred)", entry), is_inferred=True)
    _FALLBACKS[signature] = spec
    return spec
