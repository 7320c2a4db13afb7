"""Load LLaMA-Factory's ``dataset_info.json`` with positions, and check it the way LLaMA-Factory reads it.

``load_dataset_info(path)`` returns every *local* dataset (an entry whose source is ``file_name``)
as a :class:`~vgptlint.llamafactory.spec.DatasetSpec`, plus located ``lf-dataset-info-invalid``
problems: unknown keys, a ``file_name`` that does not exist, a ``formatting`` LLaMA-Factory has no
converter for, unknown ``columns``/``tags`` keys, values of the wrong type. Hub-only entries
(``hf_hub_url`` and friends) are skipped, not errors: there is nothing local to lint.

Sources, in LLaMA-Factory's order (parser.py @85b0f312 L126-142): hf/ms/om hub URL, ``script_url``,
``cloud_file_name``, then ``file_name``, read relative to the dataset_info folder; a folder means all
of its files, which must share one extension (loader.py @237311b2 L73-89).
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from vgptlint.errors import Problem
from vgptlint.functions.base import did_you_mean
from vgptlint.llamafactory.jsonpos import Positions, locate
from vgptlint.llamafactory.spec import (
    DEFAULT_COLUMNS,
    DEFAULT_TAGS,
    FORMATTINGS,
    DatasetSpec,
    build_spec,
)

CODE = "lf-dataset-info-invalid"
HUB_KEYS = ("hf_hub_url", "ms_hub_url", "om_hub_url", "script_url", "cloud_file_name")
ENTRY_KEYS = {
    **{key: str for key in HUB_KEYS},
    "file_name": str,
    "formatting": str,
    "ranking": bool,
    "subset": str,
    "split": str,
    "folder": str,
    "num_samples": int,
    "columns": dict,
    "tags": dict,
    # read by older LLaMA-Factory releases and still common in copied files; harmless today
    "file_sha1": str,
    "revision": str,
}
# loader.py reads a local file only through FILEEXT2TYPE (extras/constants.py)
FILE_EXTENSIONS = {"arrow": "arrow", "csv": "csv", "json": "json", "jsonl": "json", "parquet": "parquet", "txt": "text"}
_TYPE_WORDS = {str: "a string", bool: "a JSON boolean", int: "an integer", dict: "an object"}


@dataclass(frozen=True, slots=True)
class DatasetInfo:
    """A loaded dataset_info.json: its local datasets, in file order, and what is wrong with it."""

    path: Path
    specs: tuple[DatasetSpec, ...] = ()
    problems: tuple[Problem, ...] = ()
    skipped: tuple[str, ...] = field(default=())  # hub-only entry names

    def spec(self, name: str) -> DatasetSpec | None:
        return next((spec for spec in self.specs if spec.name == name), None)


def load_dataset_info(path: str | Path, display: str | None = None) -> DatasetInfo:
    """Read a dataset_info.json. Never raises for a bad file: its problems come back located.

    Args:
        path: the dataset_info.json file.
        display: how to name the file in problems (default: relative to the working directory).

    Returns:
        A :class:`DatasetInfo`; ``problems`` is empty when LLaMA-Factory would read it cleanly.
    """
    path = Path(path)
    source = display or _display(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return DatasetInfo(path, problems=(Problem(source, 1, 1, CODE, f"cannot read dataset_info: {exc.strerror}"),))
    problems: list[Problem] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        problems.append(Problem(source, 1, 1, CODE, "file starts with a UTF-8 byte order mark; LLaMA-Factory's "
                                "json.load rejects it", hint="save the file as UTF-8 without BOM"))
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
        document = json.loads(text)
    except UnicodeDecodeError as exc:
        return DatasetInfo(path, problems=(*problems, Problem(source, 1, 1, CODE, f"not valid UTF-8: {exc.reason}")))
    except json.JSONDecodeError as exc:
        return DatasetInfo(path, problems=(*problems, Problem(source, exc.lineno, exc.colno, CODE,
                                                              f"not valid JSON: {exc.msg}")))
    if not isinstance(document, dict):
        problems.append(Problem(source, 1, 1, CODE, "dataset_info must be a JSON object of dataset name -> entry"))
        return DatasetInfo(path, problems=tuple(problems))
    reader = _EntryReader(source, path.parent, locate(text), problems)
    specs, skipped = [], []
    for name, entry in document.items():
        spec = reader.read(name, entry)
        if spec is None:
            skipped.append(name)
        else:
            specs.append(spec)
    problems.sort(key=lambda p: (p.line, p.column))
    return DatasetInfo(path, tuple(specs), tuple(problems), tuple(skipped))


def spec_from_entry(name: str, entry: Mapping[str, object]) -> DatasetSpec:
    """A spec for an inline entry (a rule example's ``spec:``), with the entry's own problems kept on it
    (``entry_problems``) since there is no dataset_info.json to point at. Files are not resolved.

    >>> spec_from_entry("x", {"formatting": "sharegtp"}).entry_problems[0][:40]
    'dataset "x": formatting "sharegtp" has n'
    """
    problems: list[Problem] = []
    reader = _EntryReader("", Path("."), Positions(), problems)
    reader.read(name, dict(entry), resolve_files=False)
    messages = tuple(p.message + (f" ({p.hint})" if p.hint else "") for p in problems)
    return build_spec(name, entry, entry_problems=messages)


def spec_for_file(info: DatasetInfo, path: str | Path) -> DatasetSpec | None:
    """The first dataset whose ``file_name`` is (or contains) ``path``; None when none does."""
    specs = specs_for_file(info, path)
    return specs[0] if specs else None


def specs_for_file(info: DatasetInfo, path: str | Path) -> list[DatasetSpec]:
    """Every dataset registered for ``path`` (a file can be registered twice with different columns)."""
    target = _resolved(Path(path))
    return [spec for spec in info.specs if any(_resolved(p) == target for p in spec.paths)]


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass
class _EntryReader:
    source: str
    base_dir: Path
    positions: Positions
    problems: list[Problem]

    def problem(self, at: tuple[int, int], message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.source, at[0], at[1], CODE, message, hint))

    def read(self, name: str, entry: object, resolve_files: bool = True) -> DatasetSpec | None:
        name_at = self.positions.key((name,))
        if not isinstance(entry, dict):
            self.problem(self.positions.value((name,)), f'dataset "{name}": the entry must be an object; '
                         f"got {_json_type(entry)}")
            return None
        self._check_keys(name, entry)
        is_hub = any(key in entry for key in HUB_KEYS)
        if not is_hub and "file_name" not in entry and resolve_files:
            self.problem(name_at, f'dataset "{name}" has no source; LLaMA-Factory stops with KeyError "file_name"',
                         hint='add "file_name" (a file or folder next to dataset_info.json) or "hf_hub_url"')
            return None
        self._check_formatting(name, entry)
        for section, known in (("columns", DEFAULT_COLUMNS), ("tags", DEFAULT_TAGS)):
            if isinstance(entry.get(section), dict):
                self._check_section(name, entry[section], section, known)
        if is_hub:  # a hub source wins over file_name (parser.py L130-142): nothing local is read
            return None
        paths = self._resolve_files(name, entry.get("file_name")) if resolve_files else ()
        spec = build_spec(name, entry, paths, self.source, *name_at)
        self._check_unset_columns(spec, entry)
        return spec

    def _check_unset_columns(self, spec: DatasetSpec, entry: dict) -> None:
        """Columns the converter indexes unconditionally; unset, it reads ``example[None]`` (KeyError)."""
        needed = ["messages"] if spec.is_conversation else []
        if spec.ranking and spec.kind != "kto":
            needed += ["chosen", "rejected"]  # converter.py L108-112, L189-193
        at = self.positions.key((spec.name, "columns")) if "columns" in entry else self.positions.key((spec.name,))
        for logical in needed:
            if not spec.columns.get(logical):
                self.problem(at, f'dataset "{spec.name}": columns has no "{logical}"; LLaMA-Factory looks up '
                             f"example[None] for it and stops with KeyError",
                             hint=f'add "{logical}": "<field name>" to "columns"')

    def _check_keys(self, name: str, entry: dict) -> None:
        for key, value in entry.items():
            expected = ENTRY_KEYS.get(key)
            if expected is None:
                self.problem(self.positions.key((name, key)), f'dataset "{name}": unknown key "{key}"; '
                             "LLaMA-Factory ignores it", did_you_mean(key, ENTRY_KEYS))
            elif not _is_type(value, expected):
                self.problem(self.positions.value((name, key)), f'dataset "{name}": "{key}" must be '
                             f"{_TYPE_WORDS[expected]}; got {_json_type(value)}")

    def _check_formatting(self, name: str, entry: dict) -> None:
        formatting = entry.get("formatting", "alpaca")
        if isinstance(formatting, str) and formatting not in FORMATTINGS:
            self.problem(self.positions.value((name, "formatting")), f'dataset "{name}": formatting "{formatting}" '
                         "has no converter; LLaMA-Factory stops with \"Dataset converter "
                         f'{formatting} not found"; expected one of {", ".join(FORMATTINGS)}',
                         did_you_mean(formatting, FORMATTINGS))

    def _check_section(self, name: str, section: dict, kind: str, known: Mapping[str, object]) -> None:
        for key, value in section.items():
            if key not in known:
                self.problem(self.positions.key((name, kind, key)), f'dataset "{name}": unknown {kind} key "{key}"; '
                             f"LLaMA-Factory ignores it; known: {', '.join(known)}", did_you_mean(key, known))
            elif not isinstance(value, str):
                self.problem(self.positions.value((name, kind, key)), f'dataset "{name}": {kind}.{key} must be '
                             f"a string; got {_json_type(value)}")

    def _resolve_files(self, name: str, file_name: object) -> tuple[Path, ...]:
        if not isinstance(file_name, str):
            return ()
        at = self.positions.value((name, "file_name"))
        local = self.base_dir / file_name
        if not _resolved(local).is_relative_to(_resolved(self.base_dir)):
            # A registry from someone else could name any file on this machine: never read it for them.
            self.problem(at, f'dataset "{name}": file_name "{file_name}" points outside the folder of '
                         "dataset_info.json; it was not read",
                         hint="keep datasets inside dataset_info.json's folder (LLaMA-Factory's dataset_dir)")
            return ()
        if local.is_dir():
            paths = tuple(sorted(local / child for child in os.listdir(local)))
        elif local.is_file():
            paths = (local,)
        else:
            self.problem(at, f'dataset "{name}": file_name "{file_name}" does not exist next to dataset_info.json; '
                         f'a run that uses this dataset stops with "File {file_name} not found"')
            return ()
        kinds = {FILE_EXTENSIONS.get(p.suffix[1:]) for p in paths}
        if None in kinds:
            odd = next(p.name for p in paths if FILE_EXTENSIONS.get(p.suffix[1:]) is None)
            self.problem(at, f'dataset "{name}": "{odd}" has a file type LLaMA-Factory cannot load; '
                         f"expected one of {', '.join(FILE_EXTENSIONS)}")
        elif len(kinds) > 1:
            self.problem(at, f'dataset "{name}": the files in "{file_name}" mix file types; LLaMA-Factory stops '
                         'with "File types should be identical"')
        elif not paths:
            self.problem(at, f'dataset "{name}": folder "{file_name}" is empty')
        return paths


def _is_type(value: object, expected: type) -> bool:
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (int, float)):
        return str(value)
    return "a list" if isinstance(value, list) else "an object"
