"""Read a LLaMA-Factory training config (the YAML given to ``llamafactory-cli train``), with positions.

Only the keys that decide what data the run sees are read; their defaults are LLaMA-Factory's
(``hparams/data_args.py`` and ``hparams/finetuning_args.py`` of JonOlsenCa/LLaMA-Factory @d899830f):
``dataset``/``eval_dataset`` are comma-separated names (data_args.py L142-148), ``dataset_dir``
defaults to ``data`` (L38-41), ``cutoff_len`` to 2048 (L46-49), ``val_size`` to 0 (L98-101),
``stage`` to ``sft`` (finetuning_args.py L460-463). Setting ``packing`` (or ``neat_packing``, which
implies it) lowers ``cutoff_len`` by one (data_args.py L179-183); a ``pt`` run packs by default
without that (hparams/parser.py L462).

A config vgptlint cannot read (not YAML, not a mapping, a value of the wrong type, an unknown
stage) raises :class:`~vgptlint.errors.TrainConfigError` with every problem located.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vgptlint.errors import PolicyError, Problem, TrainConfigError
from vgptlint.functions.base import did_you_mean
from vgptlint.policy.yamlio import load_yaml, value_position

CODE = "lf-train-config-invalid"
STAGES = ("pt", "sft", "rm", "ppo", "dpo", "kto")
# The stage each workflow hands to get_dataset (train/dpo/workflow.py L45: "rm"; kto L45; sft L52; rm L45; pt L46).
LOADER_STAGES = {"pt": "pt", "sft": "sft", "rm": "rm", "ppo": "ppo", "dpo": "rm", "kto": "kto"}
MIX_STRATEGIES = ("concat", "interleave_under", "interleave_over")
_INT, _NUMBER, _BOOL, _STR, _NAMES = "an integer", "a number", "true or false", "a string", "a name or names"
FIELDS = {  # key: (expected, default)
    "stage": (_STR, "sft"),
    "dataset": (_NAMES, None),
    "eval_dataset": (_NAMES, None),
    "dataset_dir": (_STR, "data"),
    "template": (_STR, None),
    "model_name_or_path": (_STR, None),
    "cutoff_len": (_INT, 2048),
    "max_samples": (_INT, None),
    "val_size": (_NUMBER, 0.0),
    "packing": (_BOOL, None),
    "neat_packing": (_BOOL, False),
    "streaming": (_BOOL, False),
    "mix_strategy": (_STR, "concat"),
    "train_on_prompt": (_BOOL, False),
    "mask_history": (_BOOL, False),
    "tokenized_path": (_STR, None),
    "seed": (_INT, 42),
}


@dataclass(frozen=True, slots=True)
class NameRef:
    """A dataset name as the config spells it, and where."""

    name: str
    line: int
    column: int


@dataclass(frozen=True)
class TrainConfig:
    path: Path
    display: str
    values: dict  # every key of FIELDS, defaults filled in
    datasets: tuple[NameRef, ...] = ()
    eval_datasets: tuple[NameRef, ...] = ()
    positions: dict = field(default_factory=dict)  # key -> (line, column) of its value

    def __getitem__(self, key: str):
        return self.values[key]

    @property
    def loader_stage(self) -> str:
        return LOADER_STAGES[self.values["stage"]]

    @property
    def packing(self) -> bool:
        """hparams/parser.py L462: unset packing means ``stage == "pt"``."""
        packing = self.values["packing"]
        return bool(self.values["neat_packing"] or packing or (packing is None and self.values["stage"] == "pt"))

    @property
    def cutoff_len(self) -> int:
        """data_args.py L179-183: packing set in the config (or neat_packing) takes one token off."""
        lowered = self.values["neat_packing"] or self.values["packing"]
        return self.values["cutoff_len"] - (1 if lowered else 0)

    def at(self, key: str) -> tuple[int, int]:
        """Where the config sets ``key`` (its value), else the top of the file."""
        return self.positions.get(key, (1, 1))


def load_train_config(path: str | Path, display: str | None = None) -> TrainConfig:
    path = Path(path)
    display = display or str(path)
    try:
        document = load_yaml(path, display)
    except PolicyError as exc:
        raise TrainConfigError(exc.problems) from None
    if not isinstance(document, dict):
        raise TrainConfigError([Problem(display, 1, 1, CODE, "a LLaMA-Factory training config is a YAML mapping "
                                        "of argument: value")])
    text = path.read_text(encoding="utf-8-sig")
    problems: list[Problem] = []
    values, positions = {}, {}
    for key, (expected, default) in FIELDS.items():
        if key not in document or document[key] is None:
            values[key] = default
            continue
        positions[key] = value_position(document, key)
        value = document[key]
        if not _is_type(value, expected):
            problems.append(Problem(display, *positions[key], CODE, f'"{key}" must be {expected}; got {value!r}'))
            values[key] = default
            continue
        values[key] = float(value) if expected == _NUMBER else value
    _check_choice(values, positions, display, problems, "stage", STAGES)
    _check_choice(values, positions, display, problems, "mix_strategy", MIX_STRATEGIES)
    if problems:
        raise TrainConfigError(problems)
    lines = text.splitlines()
    names = {key: tuple(_name_refs(document[key], positions[key], lines)) if values[key] else ()
             for key in ("dataset", "eval_dataset")}
    return TrainConfig(path, display, values, names["dataset"], names["eval_dataset"], positions)


def _is_type(value: object, expected: str) -> bool:
    if expected == _BOOL:
        return isinstance(value, bool)
    if expected == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == _NUMBER:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if expected == _NAMES:
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    return isinstance(value, str)


def _check_choice(values: dict, positions: dict, display: str, problems: list[Problem], key: str,
                  choices: tuple[str, ...]) -> None:
    if values[key] not in choices:
        problems.append(Problem(display, *positions[key], CODE, f'"{key}" must be one of {", ".join(choices)}; '
                                f'got "{values[key]}"', did_you_mean(values[key], choices)))
        values[key] = FIELDS[key][1]


def _name_refs(value: object, at: tuple[int, int], lines: list[str]):
    """data_args.py L142-145: a string is split on commas and each name stripped; a list is used as is."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            line, column = _item_position(value, index, at)
            yield NameRef(item.strip(), line, column)
        return
    line, column = at
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    cursor = column - 1
    for item in value.split(","):
        name = item.strip()
        found = source.find(name, cursor) if name else -1
        if found >= 0:  # one-line scalar: point at the name itself
            cursor = found + len(name)
            yield NameRef(name, line, found + 1)
        else:
            yield NameRef(name, line, column)


def _item_position(sequence: object, index: int, fallback: tuple[int, int]) -> tuple[int, int]:
    position = value_position(sequence, index)
    return position if position != (1, 1) else fallback
