"""What a LLaMA-Factory training run will see: its config's datasets, followed through the loader.

``plan_run(config)`` walks ``get_dataset`` (data/loader.py of JonOlsenCa/LLaMA-Factory @d899830f) in
its order and returns a :class:`RunPlan`: for every dataset the config names, its records and each
one's fate, plus the problems that stop the run before training. Line numbers below are loader.py's.

1. ``get_dataset_list`` (parser.py L93-149) opens ``dataset_dir/dataset_info.json``; ``dataset_dir``
   is relative to the working directory LLaMA-Factory runs in (``os.path.join``, parser.py L106), not
   to the config. A name it does not hold stops the run: "Undefined dataset ... in dataset_info.json"
   (L125-126).
2. A dataset whose ``ranking`` does not fit the stage stops it: "The dataset is not applicable in the
   current training stage" (L177-179; DPO loads as stage ``rm``).
3. A missing file stops it: "File ... not found" (L73-82).
4. ``num_samples`` samples at random (L145-155), then ``max_samples`` keeps the **first** N records
   (L157-159), before any shuffling.
5. ``val_size`` splits the merged records at random (data_utils.py L103-111), before preprocessing.
6. The processor drops invalid records and cuts the rest to ``cutoff_len`` (budget.py); a split with
   no valid record left stops the run: "Cannot find valid samples" (L263-271).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from vgptlint.inputs.read import read_source
from vgptlint.inputs.records import Record
from vgptlint.llamafactory.budget import Cut, convert, cut
from vgptlint.llamafactory.dataset_info import DatasetInfo, load_dataset_info
from vgptlint.llamafactory.spec import DatasetSpec
from vgptlint.llamafactory.survival import DIFFERENT_KIND, FATAL, TRAIN, classify
from vgptlint.llamafactory.templates import TEMPLATES
from vgptlint.llamafactory.tokens import TokenCounter
from vgptlint.llamafactory.train_config import NameRef, TrainConfig

PAST_MAX_SAMPLES, KEPT, DROPPED = "past-max-samples", "kept", "dropped"


@dataclass(frozen=True, slots=True)
class Fate:
    """One record: ``outcome`` kept | dropped | past-max-samples | fatal; ``cut`` when a template is known."""

    index: int
    line: int
    column: int
    outcome: str
    reason: str = ""
    cut: Cut | None = None
    labels: tuple[str, ...] = ()  # content type / category labels, for what max_samples loses
    wrong_kind: bool = False  # dropped because it is another kind of example than the stage trains

    @property
    def is_truncated(self) -> bool:
        return self.outcome == KEPT and self.cut is not None and self.cut.is_truncated


@dataclass(frozen=True, slots=True)
class Stop:
    """Something that ends the run before training, where the config or dataset_info says it."""

    message: str
    source: str
    line: int
    column: int
    rule: str = "lf-run-dataset"


@dataclass
class DatasetRun:
    ref: NameRef
    split: str  # train | eval
    spec: DatasetSpec | None = None
    display: str = ""
    fates: list[Fate] = field(default_factory=list)
    sampled: int | None = None  # num_samples, when dataset_info sets it

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.fates if f.outcome == outcome)

    @property
    def records(self) -> int:
        return len(self.fates)

    @property
    def read(self) -> int:
        """Records the run reads: the file up to max_samples."""
        return self.records - self.count(PAST_MAX_SAMPLES)

    @property
    def truncated(self) -> int:
        return sum(1 for f in self.fates if f.is_truncated)

    @property
    def answer_cut(self) -> int:
        return sum(1 for f in self.fates if f.is_truncated and f.cut.cuts_answer)


@dataclass
class RunPlan:
    config: TrainConfig
    datasets: list[DatasetRun]
    stops: list[Stop]
    counter_note: str = ""
    info: DatasetInfo | None = None

    def split_total(self, split: str) -> int:
        return sum(d.read for d in self.datasets if d.split == split)

    @property
    def validation_count(self) -> int:
        """HF ``train_test_split``: ceil(val_size * n) for a fraction, int(val_size) above 1 (data_utils.py L108)."""
        val_size, total = self.config["val_size"], self.split_total("train")
        if val_size <= 1e-6 or not total:
            return 0
        return min(int(val_size), total) if val_size > 1 else math.ceil(val_size * total)


def plan_run(config: TrainConfig, counter: TokenCounter | None, labeller=None) -> RunPlan:
    """Follow the config's datasets through the loader. ``labeller(record) -> labels`` names what each
    record teaches (content type, category), for what ``max_samples`` leaves out."""
    dataset_dir = Path(config["dataset_dir"])
    plan = RunPlan(config, [], [])
    plan.stops += _argument_stops(config)
    info_path = dataset_dir / "dataset_info.json"
    if not info_path.is_file():
        at = config.at("dataset_dir") if "dataset_dir" in config.positions else config.at("dataset")
        plan.stops.append(Stop(f'LLaMA-Factory stops: "Cannot open {info_path}": dataset_dir "{dataset_dir}" is read '
                               "relative to the folder llamafactory-cli runs in (run vgptlint from there)",
                               config.display, *at))
        return plan
    plan.info = load_dataset_info(info_path)
    registered = {spec.name: spec for spec in plan.info.specs}
    names = set(registered) | set(plan.info.skipped)
    template = TEMPLATES.get(config["template"] or "")
    for split, refs in (("train", config.datasets), ("eval", config.eval_datasets)):
        for ref in refs:
            run = DatasetRun(ref, split)
            plan.datasets.append(run)
            if ref.name not in names:
                plan.stops.append(Stop(f'dataset "{ref.name}" is not registered in {info_path}; LLaMA-Factory stops: '
                                       f'"Undefined dataset {ref.name} in dataset_info.json"', config.display,
                                       ref.line, ref.column))
                continue
            spec = run.spec = registered.get(ref.name)
            if spec is None:
                continue  # a hub entry: nothing local to read (or one dataset_info already reports)
            stop = _stage_stop(spec, config)
            if stop:
                plan.stops.append(Stop(stop, config.display, ref.line, ref.column, "lf-run-stage"))
                continue
            if not spec.paths:
                plan.stops.append(Stop(f'dataset "{ref.name}": file "{spec.file_name}" is not in {dataset_dir}; '
                                       f'LLaMA-Factory stops: "File {dataset_dir / (spec.file_name or "")} not found"',
                                       config.display, ref.line, ref.column))
                continue
            _follow(run, spec, config, counter if template else None, template, labeller)
    return plan


def _argument_stops(config: TrainConfig) -> list[Stop]:
    """DataArguments.__post_init__ (data_args.py L153-177) and hparams/parser.py L265-273 refuse these."""
    stops = []

    def refuse(key: str, message: str) -> None:
        stops.append(Stop(f"LLaMA-Factory refuses the config: {message}", config.display, *config.at(key),
                          "lf-run-config"))

    if config["val_size"] > 1e-6 and config.eval_datasets:
        refuse("val_size", "Cannot specify `val_size` if `eval_dataset` is not None.")
    if config["val_size"] > 1e-6 and not config.datasets:
        refuse("val_size", "Cannot specify `val_size` if `dataset` is None.")
    if config["streaming"] and config["max_samples"] is not None:
        refuse("max_samples", "`max_samples` is incompatible with `streaming`.")
    if config["mask_history"] and config["train_on_prompt"]:
        refuse("mask_history", "`mask_history` is incompatible with `train_on_prompt`.")
    if config["stage"] != "sft" and config["neat_packing"]:
        refuse("neat_packing", "`neat_packing` cannot be set as True except SFT.")
    if config["stage"] != "sft" and (config["train_on_prompt"] or config["mask_history"]):
        refuse("mask_history" if config["mask_history"] else "train_on_prompt",
               "`train_on_prompt` or `mask_history` cannot be set as True except SFT.")
    return stops


def _stage_stop(spec: DatasetSpec, config: TrainConfig) -> str:
    """loader.py L177-179: ``rm`` (DPO, reward modelling) takes only ranking datasets, every other stage none."""
    stage = config.loader_stage
    if (stage == "rm") == spec.ranking:
        return ""
    wants = "ranking (chosen/rejected) datasets" if stage == "rm" else "datasets without \"ranking\": true"
    return (f'dataset "{spec.name}" {"is not" if stage == "rm" else "is"} a ranking dataset, and stage '
            f'{config["stage"]} reads only {wants}; LLaMA-Factory stops: "The dataset is not applicable in the '
            'current training stage"')


def _follow(run: DatasetRun, spec: DatasetSpec, config: TrainConfig, counter: TokenCounter | None, template,
            labeller) -> None:
    run.display = ", ".join(str(p) for p in spec.paths)
    records = [item for path in spec.paths for item in read_source(str(path)) if isinstance(item, Record)]
    run.sampled = spec.num_samples
    limit = config["max_samples"] if run.sampled is None else None  # after random sampling, order no longer matters
    stage = config.loader_stage
    for position, record in enumerate(records):
        labels = tuple(labeller(record.data)) if labeller else ()
        if limit is not None and position >= limit:
            run.fates.append(Fate(record.index, record.line, record.column, PAST_MAX_SAMPLES, labels=labels))
            continue
        verdict = classify(record.data, spec, stage)
        if verdict.outcome == FATAL:
            run.fates.append(Fate(record.index, record.line, record.column, FATAL, verdict.reason, labels=labels))
        elif verdict.outcome != TRAIN:
            run.fates.append(Fate(record.index, record.line, record.column, DROPPED, verdict.reason, labels=labels,
                                  wrong_kind=verdict.outcome == DIFFERENT_KIND))
        else:
            budget = (cut(convert(record.data, spec), stage, template, counter, config.cutoff_len, config["mask_history"])
                      if counter is not None else None)
            outcome = DROPPED if _dropped_by_packing(budget, config) else KEPT
            reason = "longer than cutoff_len after packing's cut" if outcome == DROPPED else ""
            run.fates.append(Fate(record.index, record.line, record.column, outcome, reason, budget, labels))


def _dropped_by_packing(budget: Cut | None, config: TrainConfig) -> bool:
    """supervised.py L151-153: only the packed SFT processor drops, and only what its cut left too long."""
    return budget is not None and config.packing and config.loader_stage == "sft" and budget.length > config.cutoff_len


def lost_labels(run: DatasetRun) -> dict[str, int]:
    """Labels that occur in the file but never in the records max_samples keeps: label -> records."""
    kept = {label for f in run.fates if f.outcome != PAST_MAX_SAMPLES for label in f.labels}
    lost = Counter(label for f in run.fates if f.outcome == PAST_MAX_SAMPLES for label in f.labels if label not in kept)
    return dict(sorted(lost.items(), key=lambda item: (-item[1], item[0])))


def stop_reason(plan: RunPlan) -> str:
    """The first thing that ends the run, in LLaMA-Factory's order, or "" when it trains."""
    if plan.stops:
        return plan.stops[0].message
    for run in plan.datasets:
        fatal = next((f for f in run.fates if f.outcome == FATAL), None)
        if fatal:
            return f"record {fatal.index + 1} of {run.ref.name} stops the run ({fatal.reason})"
    for split in ("train", "eval"):
        runs = [d for d in plan.datasets if d.split == split]
        if runs and not sum(d.count(KEPT) for d in runs):
            return 'no valid record left: LLaMA-Factory stops with "Cannot find valid samples, check `data/README.md` for the data format."'
    return ""
