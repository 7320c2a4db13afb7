"""A :class:`~vgptlint.llamafactory.run.RunPlan` as findings (``lf-run-*``) and as the "what this run trains on" table.

Findings about the config sit at the config's own line:col (the key that decides it); findings about
one record sit at that record in its data file.
"""
from __future__ import annotations

from collections import Counter

from vgptlint.findings.fingerprint import fingerprint
from vgptlint.findings.result import RuleInfo
from vgptlint.functions.base import Context
from vgptlint.llamafactory.run import (DROPPED, DatasetRun, FATAL, KEPT, PAST_MAX_SAMPLES, RunPlan, lost_labels,
                                       plan_run, stop_reason)
from vgptlint.llamafactory.run_rules import PACK, RULES
from vgptlint.llamafactory.templates import TEMPLATES
from vgptlint.llamafactory.tokens import load_counter
from vgptlint.llamafactory.train_config import load_train_config
from vgptlint.model import Finding, Location, Severity


def rule_infos(findings: list[Finding]) -> list[RuleInfo]:
    used = {f.rule for f in findings}
    return [RuleInfo(rule, severity, text, kind="dataset", pack=PACK) for rule, (severity, text) in RULES.items()
            if rule in used]


def run_findings(plan: RunPlan) -> list[Finding]:
    config = plan.config
    out = [_finding(stop.rule, stop.message, stop.source, stop.line, stop.column) for stop in plan.stops]
    if plan.counter_note:
        note_at = "model_name_or_path" if "model_name_or_path" in config.positions else "template"
        out.append(_finding("lf-run-tokens", plan.counter_note, config.display, *config.at(note_at)))
    for run in plan.datasets:
        out += _dropped(plan, run)
        out += _max_samples(plan, run)
        out += _truncated(plan, run)
    reason = stop_reason(plan)
    if reason.startswith("no valid record") and not plan.stops:
        first = next((d for d in plan.datasets if d.fates), plan.datasets[0])  # all empty: the first named
        out.append(_finding("lf-run-no-valid-samples", f"stage {config['stage']}: {reason}", config.display,
                            first.ref.line, first.ref.column))
    if plan.validation_count and not plan.stops:
        total = plan.split_total("train")
        out.append(_finding("lf-run-validation-split", f"val_size {config['val_size']:g} takes {plan.validation_count:,} "
                            f"of the {total:,} records read, at random (seed {config['seed']}), for evaluation: they "
                            "are never trained", config.display, *config.at("val_size")))
    return out


def _dropped(plan: RunPlan, run: DatasetRun) -> list[Finding]:
    reasons = Counter((f.wrong_kind, f.reason) for f in run.fates if f.outcome in (DROPPED, FATAL))
    out = []
    for (wrong_kind, reason), count in sorted(reasons.items()):
        rule = "lf-run-stage" if wrong_kind else "lf-run-dropped"
        severity = Severity.ERROR if count == run.read else Severity.WARNING  # all of it: nothing to train
        why = f"{reason}, which stage {plan.config['stage']} does not train" if wrong_kind else reason
        out.append(_finding(rule, f'stage {plan.config["stage"]}: {count:,} of the {run.read:,} records of '
                            f'"{run.ref.name}" read are dropped ({why})', plan.config.display, run.ref.line,
                            run.ref.column, severity))
    return out


def _max_samples(plan: RunPlan, run: DatasetRun) -> list[Finding]:
    past = run.count(PAST_MAX_SAMPLES)
    if not past:
        return []
    lost = lost_labels(run)
    message = (f'max_samples {plan.config["max_samples"]:,} keeps the first {run.read:,} of the {run.records:,} records '
               f'of "{run.ref.name}" ({past:,} never trained: LLaMA-Factory takes them in file order, before any shuffle)')
    if lost:
        message += "; never trained at all: " + ", ".join(f"{label} ({count:,})" for label, count in lost.items())
    message += '; shuffle the file, or set "num_samples" in dataset_info.json to sample at random'
    severity = Severity.WARNING if lost else Severity.INFO
    return [_finding("lf-run-max-samples", message, plan.config.display, *plan.config.at("max_samples"), severity)]


def _truncated(plan: RunPlan, run: DatasetRun) -> list[Finding]:
    cut_fates = [f for f in run.fates if f.is_truncated]
    if not cut_fates:
        return []
    config = plan.config
    tokens = "an ESTIMATE of the tokens" if plan.counter_note.startswith("token counts are an ESTIMATE") else "tokens"
    how = f'{tokens}, {config["template"]} template'
    answer_cut = run.answer_cut
    out = [_finding("lf-run-truncated", f'cutoff_len {config.cutoff_len:,} cuts {len(cut_fates):,} of the '
                    f'{run.count(KEPT):,} records of "{run.ref.name}" kept ({answer_cut:,} lose part of their answer, '
                    f"{len(cut_fates) - answer_cut:,} only part of their prompt; {how})", config.display,
                    *config.at("cutoff_len"), Severity.WARNING if answer_cut else Severity.INFO)]
    answer = "answer (longer of chosen and rejected)" if config.loader_stage == "rm" else "answer"
    for fate in cut_fates:
        c = fate.cut
        what = "answer" if c.cuts_answer else "prompt"
        out.append(Finding("lf-run-truncated", Severity.WARNING if c.cuts_answer else Severity.INFO,
                           f"cutoff_len {config.cutoff_len:,} cuts this record's {what}: prompt {c.prompt:,} + {answer} "
                           f"{c.answer:,} tokens; training keeps {c.kept_prompt:,} + {c.kept_answer:,} ({how})",
                           Location(run.display, fate.line, fate.column, fate.index),
                           fingerprint("lf-run-truncated", run.display, str(fate.index))))
    return out


def _finding(rule: str, message: str, path: str, line: int, column: int, severity: Severity | None = None) -> Finding:
    return Finding(rule, severity or RULES[rule][0], message, Location(path, line, column), fingerprint(rule, path, message))


# ------------------------------------------------------------------------------- the table


def run_table(plan: RunPlan) -> dict:
    """Per dataset: records in the file, read after max_samples, dropped, kept, truncated, for validation."""
    config = plan.config
    rows = []
    total_read = plan.split_total("train")
    for run in plan.datasets:
        share = (run.read / total_read) if run.split == "train" and total_read else 0
        rows.append({"dataset": run.ref.name, "split": run.split, "file": run.display or None,
                     "records": run.records if run.spec and run.spec.paths else None,
                     "after_max_samples": run.read, "dropped": run.count(DROPPED) + run.count(FATAL),
                     "kept": run.count(KEPT), "truncated": run.truncated, "answer_truncated": run.answer_cut,
                     "validation": round(plan.validation_count * share) if run.split == "train" else 0})
    return {"config": config.display, "stage": config["stage"], "template": config["template"],
            "cutoff_len": config.cutoff_len, "max_samples": config["max_samples"], "val_size": config["val_size"],
            "packing": config.packing, "tokens": plan.counter_note, "stops": stop_reason(plan) or None, "datasets": rows}


TABLE_HEADERS = ("dataset", "split", "records in file", "after max_samples", "dropped", "kept", "truncated",
                 "answer cut", "for validation")


def table_rows(table: dict) -> list[tuple]:
    def number(value) -> str:
        return "not found" if value is None else f"{value:,}"

    return [(row["dataset"], row["split"], number(row["records"]), f"{row['after_max_samples']:,}", f"{row['dropped']:,}",
             f"{row['kept']:,}", f"{row['truncated']:,}", f"{row['answer_truncated']:,}", f"{row['validation']:,}")
            for row in table["datasets"]]


def table_title(table: dict) -> str:
    title = (f"What this run trains on ({table['config']}: stage {table['stage']}, cutoff_len {table['cutoff_len']:,}, "
             f"max_samples {'all' if table['max_samples'] is None else format(table['max_samples'], ',')}, "
             f"val_size {table['val_size']:g})")
    return title + (f"; the run stops: {table['stops']}" if table["stops"] else "")


def make_labeller(facets):
    """Labels a record for what max_samples loses: its content_type facet and its ``category`` field."""
    ctx = Context(record=None, kind="sft", policy_settings={"facets": facets})
    has_content_type = facets is not None and "content_type" in getattr(facets, "facets", {})

    def labels(data: object) -> list[str]:
        out = []
        if has_content_type:
            ctx.record = data
            out.append(f"content_type {facets.value('content_type', data, ctx)}")
        category = data.get("category") if isinstance(data, dict) else None
        if isinstance(category, str) and category:
            out.append(f"category {category}")
        return out

    return labels


def known_template(name: str | None) -> bool:
    return (name or "") in TEMPLATES


def plan_for(train_config: str, tokenizer: str | None, facets) -> RunPlan:
    """Load the config, find the tokenizer, follow the run (see run.plan_run)."""
    config = load_train_config(train_config)
    template = TEMPLATES.get(config["template"] or "")
    if template is None:
        named = f'template "{config["template"]}"' if config["template"] else "the default template (none is named)"
        counter, note = None, f'{named} is not one vgptlint models ({", ".join(TEMPLATES)}): cutoff_len is not checked'
    else:
        counter, note = load_counter(tokenizer, config["model_name_or_path"], template.special_tokens)
    plan = plan_run(config, counter, make_labeller(facets))
    plan.counter_note = note
    return plan


def plan_files(plan: RunPlan) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(path) for run in plan.datasets if run.spec and run.fates for path in run.spec.paths))
