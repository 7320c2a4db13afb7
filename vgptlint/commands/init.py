"""`vgptlint init`: write a commented starter policy for the datasets it finds.

It looks for datasets through LLaMA-Factory's ``dataset_info.json`` (``--dataset-info``, or one in
the data directory) or, without one, by reading the first record of every ``.json``/``.jsonl``
file under the given paths. The policy it writes extends the rule packs that fit the kinds found,
fills the thresholds of the review the project comes from, and says why on every line. It never
overwrites an existing file.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from vgptlint.api import find_dataset_info
from vgptlint.commands.docs import all_rules, options_of
from vgptlint.errors import UsageError
from vgptlint.inputs.discover import discover
from vgptlint.inputs.read import read_source
from vgptlint.inputs.records import Record
from vgptlint.llamafactory.dataset_info import load_dataset_info
from vgptlint.resources import builtin_dir
from vgptlint.run.engine import infer_kind

DEFAULT_OUTPUT = "vgptlint.yaml"


@dataclass(frozen=True, slots=True)
class FoundDataset:
    path: str  # relative to the working directory, POSIX
    kind: str  # sft | dpo | kto
    name: str = ""  # the dataset_info.json entry, when there is one
    formatting: str = ""


@dataclass(frozen=True, slots=True)
class Threshold:
    """A recommended option value for a rule; written only when the rule (and option) exist."""

    rule: str
    option: str
    value: object
    why: str
    kinds: tuple[str, ...] = ("sft",)


# The review's numbers (../seeds: "VGPT2 v3 Training Pipeline - Deep Dive Critical Review").
THRESHOLDS = (
    Threshold("output-too-short", "min", 50, "review §3: 14.6% of outputs were under 50 characters", ("sft", "kto")),
    Threshold("short-output-share", "max", 0.05, "review §3: at most 5% of outputs under 50 characters"),
    Threshold("nolock-coverage", "min", 0.10, "review quick win 3: warn when under 10% of outputs show WITH (NOLOCK)"),
    Threshold("sql-share", "min", 0.25, "review §2: SQL generation should be 25-30% of the data"),
    Threshold("input-usage", "min", 0.10, "review §8: most inputs were empty"),
    Threshold("dpo-feature-skew", "max_gap", 0.5, "review §4: NOLOCK in 99.6% of chosen vs 24.5% of rejected", ("dpo",)),
    Threshold("dpo-trivial-share", "max", 0.3, "review §4: pairs should differ in more than NOLOCK", ("dpo",)),
    Threshold("kto-balance", "min", 0.60, "review §5: 60/40 to 70/30 favouring desirable examples", ("kto",)),
    Threshold("kto-balance", "max", 0.70, "review §5: ... but not more than 70/30", ("kto",)),
)

PACK_REASONS = {
    "core": "required fields per kind, KTO label type",
    "sft": "empty/short outputs, empty inputs, negatives without a category",
    "sql": "T-SQL inside answers: NOLOCK, syntax, legacy hints, LIMIT",
    "sql_catalog": "tables/columns checked against the schema catalog",
    "llamafactory": "what LLaMA-Factory's loader would drop or misread",
    "dataset": "dataset-level shares: NOLOCK coverage, SQL share, short outputs, duplicates",
    "preference": "DPO/KTO pairs: feature skew, label balance",
}


def find_datasets(paths: tuple[str, ...], dataset_info: str | None) -> tuple[list[FoundDataset], str | None]:
    """The datasets under ``paths`` and the dataset_info.json used (None without one).

    Raises:
        UsageError: ``--dataset-info`` names no file.
    """
    info_path = find_dataset_info(dataset_info, None, paths)
    if info_path is not None:
        info = load_dataset_info(info_path)
        found = [FoundDataset(_relative(p), spec.kind, spec.name, spec.formatting)
                 for spec in info.specs for p in spec.paths if Path(p).is_file()]
        return found, _relative(info_path)
    return _inferred(paths), None


def _inferred(paths: tuple[str, ...]) -> list[FoundDataset]:
    found = []
    for path in discover(paths).paths:
        first = next((item for item in read_source(path) if isinstance(item, Record)), None)
        if first is not None and _looks_like_training_data(first.data):
            found.append(FoundDataset(_relative(Path(path)), infer_kind(first.data)))
    return found


def _looks_like_training_data(data: object) -> bool:
    keys = set(data) if isinstance(data, dict) else set()
    return bool(keys & {"instruction", "output", "chosen", "rejected", "messages", "conversations", "label", "kto_tag"})


def _relative(path: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:  # another drive
        return Path(path).as_posix()


def recommended_packs(kinds: set[str], has_dataset_info: bool, has_catalog: bool) -> list[tuple[str, str, bool]]:
    """``(pack, why, enabled)`` for every pack pretrain runs; a disabled one lacks its input here."""
    shipped = {p.stem for p in builtin_dir("rules").glob("*.yaml")}
    del kinds  # each rule applies to the kinds it names; only missing inputs skip a pack
    wanted = [("core", True), ("sft", True), ("sql", True), ("sql_catalog", has_catalog),
              ("llamafactory", has_dataset_info), ("dataset", True), ("preference", True)]
    return [(pack, PACK_REASONS[pack], enabled) for pack, enabled in wanted if pack in shipped]


def render_policy(datasets: list[FoundDataset], dataset_info: str | None, output: Path, catalog: str | None) -> str:
    """The starter policy's text: YAML with a comment on every setting."""
    kinds = {d.kind for d in datasets}
    base = output.resolve().parent
    lines = [
        "# vgptlint policy, written by `vgptlint init`. Edit freely: every threshold is a YAML value.",
        "# Check with:   vgptlint check --policy " + _relative(output) + " " + _data_argument(datasets),
        "# Rule reference: docs/rules.md (or `vgptlint explain RULE-ID`).",
        "#",
        "# Datasets found:" if datasets else "# No datasets found; add them under `datasets:` below.",
    ]
    lines += [f"#   {d.path:<40} {d.kind}" + (f"  ({d.name}, {d.formatting})" if d.name else "") for d in datasets]
    lines += ["", "description: Starter policy for " + (", ".join(sorted(kinds)) or "fine-tuning") + " data.", ""]
    lines += ["# pretrain, the shipped pre-training gate, runs these rule packs with the review's thresholds",
              "# (each rule on the dataset kinds it names) and turns input-empty off: one finding per empty",
              "# input floods a large file, and the input-usage share reports it once per file."]
    for pack, why, enabled in recommended_packs(kinds, dataset_info is not None, catalog is not None):
        lines.append(f"#   {pack:<14} {why}" + ("" if enabled else f" (skipped here: needs {_needs(pack)})"))
    lines += ["extends: [pretrain]", "", "# Lowest severity that fails the run (exit 1): error | warning | info | never.", "fail-on: error",
              "# SQL dialect for sqlglot: Viewpoint Vista runs on SQL Server.", "dialect: tsql"]
    if dataset_info is not None:
        lines += ["# The trainer reads the data: LLaMA-Factory's rules (booleans for KTO labels, column maps) apply.",
                  "trainer: llamafactory",
                  "# Maps dataset names to files, formatting and columns; relative to this file.",
                  f"dataset_info: {json.dumps(_relative_to(dataset_info, base))}"]
    elif datasets:
        lines += ["# File glob -> dataset kind (sft | dpo | kto | eval), matched against the paths you lint.", "datasets:"]
        lines += [f"  {json.dumps(d.path)}: {d.kind}" for d in datasets]
    else:
        lines += ["# File glob -> dataset kind (sft | dpo | kto | eval), matched against the paths you lint.",
                  "# None were found: add yours, for example",
                  "#   datasets: {\"data/sft/*.jsonl\": sft, \"data/dpo/*.json\": dpo}",
                  "datasets: {}"]
    if catalog is not None:
        lines += ["# Schema catalog for the sql_catalog rules (tables, columns, keys); relative to this file.",
                  f"catalog: {json.dumps(_relative_to(catalog, base))}"]
    lines += _threshold_lines(kinds)
    lines += ["", "# Accepted findings, by fingerprint or by file glob + rule (see README, \"Suppressions\"):",
              "# ignore:", "#   - files: [\"data/legacy/*.json\"]", "#     rules: [output-too-short]",
              "#     reason: regenerated next quarter", ""]
    return "\n".join(lines)


def _needs(pack: str) -> str:
    return {"sql_catalog": "a schema catalog: catalog.yaml, or vgptlint catalog pull",
            "llamafactory": "dataset_info.json"}.get(pack, "")


def _threshold_lines(kinds: set[str]) -> list[str]:
    known = _known_options()
    chosen = [t for t in THRESHOLDS if t.option in known.get(t.rule, ()) and kinds & set(t.kinds)]
    if not chosen:
        return []
    lines = ["", "# Thresholds from the review the project comes from; tune them here, no code changes needed.", "rules:"]
    current = None
    for threshold in chosen:
        if threshold.rule != current:
            lines += [f"  {threshold.rule}:", "    options:"]
            current = threshold.rule
        lines.append(f"      {threshold.option}: {json.dumps(threshold.value)}".ljust(30) + f"# {threshold.why}")
    return lines


def _known_options() -> dict[str, tuple[str, ...]]:
    """Every shipped rule id → the option names its functions take (so init never writes one that fails to load)."""
    return {rule.id: tuple(options_of(rule)) for rule in all_rules()}


def _relative_to(path: str, base: Path) -> str:
    return Path(os.path.relpath(Path(path).resolve(), base)).as_posix()


def _data_argument(datasets: list[FoundDataset]) -> str:
    roots = sorted({d.path.split("/")[0] if "/" in d.path else "." for d in datasets})
    return " ".join(roots) or "."


def find_catalog(paths: tuple[str, ...]) -> str | None:
    for root in paths:
        for name in ("catalog.yaml", "catalog.yml", "catalog.json", "catalog.csv"):
            if (Path(root) / name).is_file():
                return _relative(Path(root) / name)
    return None


def init_policy(paths: tuple[str, ...], output: str = DEFAULT_OUTPUT, dataset_info: str | None = None) -> tuple[Path, list[FoundDataset]]:
    """Write the starter policy to ``output``; returns its path and the datasets it describes.

    Raises:
        UsageError: ``output`` exists (it is never overwritten), or ``--dataset-info`` is missing.
    """
    target = Path(output)
    if target.exists():
        raise UsageError(f'"{output}" already exists; vgptlint init never overwrites a file (remove it or choose -o)')
    roots = paths or tuple(p for p in ("data",) if Path(p).is_dir()) or (".",)
    datasets, info = find_datasets(roots, dataset_info)
    text = render_policy(datasets, info, target, find_catalog(roots))
    try:
        with target.open("x", encoding="utf-8") as handle:  # "x": never clobber a file created meanwhile
            handle.write(text)
    except OSError as exc:
        raise UsageError(f'cannot write "{output}": {exc.strerror}') from None
    return target, datasets
