"""``vgptlint stats``: the review's tables, measured on the data.

One pass per file feeds a fixed set of accumulators (the same ones the dataset rules use, so a figure
in ``stats`` and a metric in ``check`` never disagree) and renders, per dataset kind:

- SFT: records; output length buckets (<50, 50-199, 200-499, 500-999, >=1000) with counts and %;
  content mix by the ``content_type`` facet; NOLOCK coverage; SQL share; refusals and how many carry a
  ``category``; input usage; exact duplicates, near duplicates (numbers masked) and MinHash near
  duplicates; truncated outputs; ordering (runs vs a shuffled file, per record feature, as ``unshuffled``).
- DPO: pairs; the chosen-vs-rejected feature table (NOLOCK, company filter, complete joins, refusal),
  mean lengths; identical pairs; pairs differing only in table hints.
- KTO: label balance; how well one surface feature predicts the label.
- A validation suite (records with ``question`` and ``category``): questions per category.

``compute_stats(paths, policy=...)`` returns plain dicts (the JSON format); ``render_stats`` formats them.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, replace

from tabulate import tabulate

from vgptlint.aggregates.base import ABSORB_BATCH, ACCUMULATORS, Observations, RecordRef
from vgptlint.aggregates.bounds import percent
from vgptlint.aggregates.preference import NOLOCK_PATTERN
from vgptlint.api import CheckOptions, default_policy_reference, prepare
from vgptlint.functions.base import Context, build_options
from vgptlint.inputs.read import read_source
from vgptlint.inputs.records import Record
from vgptlint.llamafactory.run_report import TABLE_HEADERS, run_table, table_rows, table_title
from vgptlint.llamafactory.survival import survival
from vgptlint.policy.load import content_facets
from vgptlint.run.engine import infer_format, infer_kind
from vgptlint.run.setup import FileRun
from vgptlint.select.jsonpath import compile_selector

REFUSAL = {"function": "refusal", "negate": True}  # the policy's one refusal classifier
NOLOCK = {"function": "pattern", "options": {"match": NOLOCK_PATTERN, "flags": "i"}}


@dataclass(frozen=True)
class Measure:
    """One figure: an accumulator with options over what ``given`` selects."""

    name: str
    accumulator: str
    given: str
    options: dict


SFT = (
    Measure("length", "histogram", "$.output", {"edges": [50, 200, 500, 1000]}),
    Measure("content_mix", "distribution", "$", {"facet": "content_type"}),
    Measure("nolock", "ratio", "$.output", {"when": NOLOCK}),
    Measure("sql", "ratio", "$.output", {"when": {"function": "sql_present"}}),
    Measure("refusal", "ratio", "$.output", {"when": REFUSAL}),
    Measure("refusal_with_category", "ratio", "$", {"when": {"given": "$.category", "function": "truthy"},
                                                    "among": {"given": "$.output", **REFUSAL}}),
    Measure("input", "ratio", "$.input", {"when": {"function": "truthy"}}),
    Measure("exact_duplicates", "duplicates", "$", {"max": None}),
    Measure("masked_duplicates", "duplicates", "$", {"max": None, "mask_digits": True}),
    Measure("minhash_duplicates", "near_duplicates", "$", {"max": None}),
    Measure("truncation", "truncation", "$.output", {"max": None}),
    Measure("ordering", "ordering", "$", {"facet": "content_type"}),
)
DPO = (
    Measure("features", "feature_skew", "$", {}),
    Measure("identical", "ratio", "$", {"when": {"function": "pair_identical", "negate": True}}),
    Measure("trivial", "ratio", "$", {"when": {"function": "pair_trivial_difference", "negate": True}}),
)
KTO = (
    Measure("balance", "balance", "$.label", {"values": ["true", "false"]}),
    Measure("label_skew", "label_skew", "$.output", {}),
    Measure("length", "histogram", "$.output", {"edges": [50, 200, 500, 1000]}),
)
VALIDATION = (
    Measure("categories", "distribution", "$.category", {"among": {"given": "$.question", "function": "truthy"}}),
)
MEASURES = {"sft": SFT, "dpo": DPO, "kto": KTO}


def compute_stats(paths: tuple[str, ...], policy: str | None = None, dataset_info: str | None = None,
                  train_config: str | None = None, tokenizer: str | None = None, exclude: tuple[str, ...] = ()) -> dict:
    """Measure every file under ``paths``; the kinds come from dataset_info / the policy / the records.
    With ``train_config``, the files are the datasets that LLaMA-Factory config names, and ``run`` says
    what the run trains on (vgptlint.llamafactory.run_report.run_table)."""
    prepared = prepare(tuple(paths), CheckOptions(policy=policy or default_policy_reference(), dataset_info=dataset_info,
                                                  train_config=train_config, tokenizer=tokenizer,
                                                  exclude=tuple(exclude)))
    facets = content_facets(prepared.policy)
    files = []
    for task in prepared.tasks:
        records = [item for item in read_source(task.path, task.display) if isinstance(item, Record)]
        kind = task.kind or (infer_kind(records[0].data) if records else "sft")
        if kind == "eval" or (records and _is_validation_suite(records[0].data)):
            kind = "validation"  # a held-out suite: questions per category, not training measures
        trainer = _survival(records, task.spec)
        file_format = getattr(task.spec, "formatting", None) or (infer_format(records[0].data) if records else "alpaca")
        if file_format != "alpaca":  # the review's tables measure instruction/input/output fields
            files.append({"path": task.display, "kind": kind, "records": len(records), "format": file_format, **trainer})
            continue
        measures = VALIDATION if kind == "validation" else MEASURES[kind]
        run = FileRun(task, kind if kind != "validation" else "sft", file_format)
        ctx = replace(prepared.setup.file_context(run), spec=None,
                      policy_settings={**prepared.policy.settings, "facets": facets})
        outcomes = _measure(records, measures, ctx)
        files.append({"path": task.display, "kind": kind, "records": len(records), **trainer, **_SECTIONS[kind](outcomes)})
    if prepared.run_plan is None:
        return {"files": files}

    return {"run": run_table(prepared.run_plan), "files": files}


def _survival(records: list, spec: object) -> dict:
    """What LLaMA-Factory would do with the file's records, when dataset_info registers it."""
    if spec is None:
        return {}

    counted = survival((r.data for r in records), spec)
    # loader.py L267-271: a dataset none of whose records survives stops the run as surely as a fatal record
    stops = 'no record survives: "Cannot find valid samples"' if counted.has_no_valid_samples else None
    return {"llamafactory": {"dataset": counted.dataset, "stage": counted.stage, "records": counted.record_count,
                             "train": counted.train_count, "skip": counted.skip_count, "fatal": counted.fatal_count,
                             "stops": stops, "reasons": dict(counted.reasons)}}


def _trainer_table(file: dict) -> list:
    trainer = file.get("llamafactory")
    if not trainer:
        return []
    total = trainer["records"]
    rows = [(label, f"{trainer[key]:,}", _count_share(trainer[key], total)[1])
            for label, key in (("train as written", "train"), ("skipped (dropped)", "skip"),
                               ("records that stop the run", "fatal"))]
    rows += [(f"  why: {reason}", f"{count:,}", _count_share(count, total)[1]) for reason, count in trainer["reasons"].items()]
    if trainer["stops"]:
        rows.append((f"the run stops: {trainer['stops']}", "", ""))
    return [(f"LLaMA-Factory, dataset {trainer['dataset']} (stage {trainer['stage']})", ("records", "count", "%"), rows)]


def _is_validation_suite(data: object) -> bool:
    return isinstance(data, dict) and "question" in data and "category" in data and "output" not in data


def _measure(records: list, measures: tuple[Measure, ...], ctx: Context) -> dict:
    plans = []
    for measure in measures:
        accumulator = ACCUMULATORS[measure.accumulator]
        options = build_options(accumulator.options, measure.options)
        plans.append((measure, accumulator, options, compile_selector(measure.given), accumulator.empty(options)))
    states = [plan[4] for plan in plans]
    accumulators = [(accumulator, options) for _, accumulator, options, _, _ in plans]
    for start in range(0, len(records), ABSORB_BATCH):  # observed record by record, absorbed (settled) in batches
        observed = Observations(len(plans))
        for number, record in enumerate(records[start:start + ABSORB_BATCH]):
            ctx.record, ctx.record_index = record.data, record.index
            ref = RecordRef(record.index, record.line, record.column)
            for position, (measure, accumulator, options, selector, _) in enumerate(plans):
                if accumulator.observe is None:
                    states[position] = accumulator.add(states[position], selector.find(record.data), ctx, ref, options)
                else:
                    observed.add(position, accumulator.observe(selector.find(record.data), ctx, options), ref, number)
        observed.absorb(accumulators, states)
    return {plan[0].name: plan[1].finalize(state, plan[2]) for plan, state in zip(plans, states)}


def _ratio(outcome) -> dict:
    return {"count": outcome.numerator, "of": outcome.denominator, "share": outcome.value}


def _sft_sections(o: dict) -> dict:
    exact = o["exact_duplicates"].numerator
    return {
        "length_buckets": o["length"].details["buckets"],
        "content_mix": o["content_mix"].details["counts"],
        "nolock": _ratio(o["nolock"]),
        "sql": _ratio(o["sql"]),
        "refusal": _ratio(o["refusal"]),
        "refusal_with_category": o["refusal_with_category"].numerator,
        "input_used": _ratio(o["input"]),
        "exact_duplicates": exact,
        "near_duplicates": o["masked_duplicates"].numerator - exact,
        "minhash_near_duplicates": o["minhash_duplicates"].numerator,
        "truncated": o["truncation"].numerator,
        "truncation_pileups": o["truncation"].details["pileup_lengths"],
        "ordering": {"runs": o["ordering"].numerator, "expected_runs": o["ordering"].details["expected_runs"],
                     "mixing": o["ordering"].value, "longest_run": o["ordering"].details["longest_run"],
                     "longest_label": o["ordering"].details["longest_label"], "feature": o["ordering"].details["feature"],
                     "grouped_by": o["ordering"].details["grouped_by"], "features": o["ordering"].details["features"]},
    }


def _dpo_sections(o: dict) -> dict:
    features = o["features"].details
    return {
        "features": {name: {"chosen": row["chosen"], "rejected": row["rejected"]} for name, row in features["features"].items()},
        "chosen_mean_length": features["chosen_mean_length"],
        "rejected_mean_length": features["rejected_mean_length"],
        "identical": o["identical"].numerator,
        "trivial": o["trivial"].numerator,
    }


def _kto_sections(o: dict) -> dict:
    skew = o["label_skew"].details
    return {
        "labels": {"true": o["balance"].details["counts"]["true"], "false": o["balance"].details["counts"]["false"]},
        "true_share": o["balance"].value,
        "feature_accuracy": {name: {"correct": _correct(row), "accuracy": row["accuracy"], "predicts": row["predicts"]}
                             for name, row in skew["features"].items()},
        "length_buckets": o["length"].details["buckets"],
    }


def _correct(row: dict) -> int:
    """Records the feature's better rule (feature => true, or feature => false) labels correctly."""
    return max(row["true_with"] + row["false_without"], row["false_with"] + row["true_without"])


def _validation_sections(o: dict) -> dict:
    return {"categories": o["categories"].details.get("counts", {}) if o["categories"].has_metric else {}}


_SECTIONS = {"sft": _sft_sections, "dpo": _dpo_sections, "kto": _kto_sections, "validation": _validation_sections}


# ------------------------------------------------------------------------------------ render


def render_stats(report: dict, fmt: str = "table") -> str:
    """``table`` (plain text), ``markdown`` (GitHub tables) or ``json``."""
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    style = "github" if fmt == "markdown" else "simple"
    heading = (lambda text: f"## {text}\n") if fmt == "markdown" else (lambda text: f"{text}\n{'=' * len(text)}\n")
    out = _run_tables(report, heading, style)
    out += [heading("Records per file"),
           tabulate([(f["path"], f["kind"], f"{f['records']:,}") for f in report["files"]],
                    headers=("file", "kind", "records"), tablefmt=style, colalign=("left", "left", "right")), ""]
    for file in report["files"]:
        for title, headers, rows in _trainer_table(file):
            out += [heading(f"{file['path']}: {title}"), tabulate(rows, headers=headers, tablefmt=style, disable_numparse=True), ""]
        if file.get("format", "alpaca") != "alpaca":
            out += [f"{file['path']}: {file['format']} conversations, not measured: the review's tables read "
                    "alpaca fields (instruction, input, output)", ""]
            continue
        for title, headers, rows in _RENDERERS[file["kind"]](file):
            out += [heading(f"{file['path']}: {title}"), tabulate(rows, headers=headers, tablefmt=style, disable_numparse=True), ""]
    return "\n".join(out)


def _run_tables(report: dict, heading, style: str) -> list[str]:
    if "run" not in report:
        return []

    run = report["run"]
    return [heading(table_title(run)), tabulate(table_rows(run), headers=TABLE_HEADERS, tablefmt=style,
                                                disable_numparse=True), run["tokens"], ""]


def _count_share(count: int, total: int) -> tuple[str, str]:
    return f"{count:,}", percent(count / total if total else None)


def _sft_tables(f: dict) -> list:
    total = f["records"]
    ordering = f["ordering"]
    return [
        ("output length", ("length", "count", "%"), [(k, *_count_share(v, total)) for k, v in f["length_buckets"].items()]),
        ("content mix (content_type facet)", ("content type", "count", "%"),
         [(k, *_count_share(v, total)) for k, v in f["content_mix"].items()]),
        ("SQL content", ("metric", "count", "%"), [
            ("records with WITH (NOLOCK)", *_count_share(f["nolock"]["count"], total)),
            ("records with any SQL", *_count_share(f["sql"]["count"], total)),
            ("records with a non-empty input", *_count_share(f["input_used"]["count"], total)),
            ("refusals", *_count_share(f["refusal"]["count"], total)),
            ("refusals with a category field", *_count_share(f["refusal_with_category"], f["refusal"]["count"])),
        ]),
        ("duplicates, truncation, order", ("metric", "value", "%"), [
            ("exact duplicates", *_count_share(f["exact_duplicates"], total)),
            ("near duplicates (numbers masked)", *_count_share(f["near_duplicates"], total)),
            ("near duplicates (MinHash >= 85%)", *_count_share(f["minhash_near_duplicates"], total)),
            ("truncated outputs", *_count_share(f["truncated"], total)),
            (f"runs of one {ordering['feature']} (the most grouped feature)", f"{ordering['runs']:,}", ""),
            ("runs if shuffled (expected)", f"{ordering['expected_runs']:,.0f}", ""),
            (f"longest run ({ordering['longest_label']})", *_count_share(ordering["longest_run"], total)),
            ("grouped by (unshuffled)", ", ".join(ordering["grouped_by"]) or "nothing", ""),
        ]),
        ("order, per record feature (runs test)", ("feature", "runs", "if shuffled", "mixing (1 = shuffled)", "z"),
         [(name, f"{f['runs']:,}", f"{f['expected_runs']:,.0f}", "n/a" if f["mixing"] is None else f"{f['mixing']:.3f}",
           "n/a" if f["z"] is None else f"{f['z']:.1f}") for name, f in ordering["features"].items()]),
    ]


def _dpo_tables(f: dict) -> list:
    pairs = f["records"]
    rows = [(name, "{} ({})".format(*_count_share(v["chosen"], pairs)), "{} ({})".format(*_count_share(v["rejected"], pairs)))
            for name, v in f["features"].items()]
    rows.append(("average length (characters)", f"{f['chosen_mean_length']:,}", f"{f['rejected_mean_length']:,}"))
    return [
        ("chosen vs rejected", ("metric", "chosen", "rejected"), rows),
        ("pairs", ("metric", "count", "%"), [("identical pairs", *_count_share(f["identical"], pairs)),
                                             ("pairs differing only in table hints", *_count_share(f["trivial"], pairs))]),
    ]


def _kto_tables(f: dict) -> list:
    total = f["records"]
    labels = f["labels"]
    rows = [(name, f"{v['correct']:,}", percent(v["accuracy"]), v["predicts"]) for name, v in f["feature_accuracy"].items()]
    return [
        ("label balance", ("label", "count", "%"), [("true", *_count_share(labels["true"], total)),
                                                    ("false", *_count_share(labels["false"], total))]),
        ("label predicted by one feature", ("feature", "correct", "accuracy", "feature means"), rows),
        ("output length", ("length", "count", "%"), [(k, *_count_share(v, total)) for k, v in f["length_buckets"].items()]),
    ]


def _validation_tables(f: dict) -> list:
    rows = [(k, f"{v:,}") for k, v in f["categories"].items()]
    counted = sum(f["categories"].values())
    if counted < f["records"]:  # suites without a category field (Spider, BIRD) still show their size
        rows.append(("(no category)", f"{f['records'] - counted:,}"))
    return [("questions per category", ("category", "questions"), rows)]


_RENDERERS = {"sft": _sft_tables, "dpo": _dpo_tables, "kto": _kto_tables, "validation": _validation_tables}
