"""The public API behind the CLI: load a policy, find the files, run the engine.

``check(paths, policy=...)`` is what ``vgptlint check`` does, minus printing. :func:`prepare` does
everything that can fail on user input and returns the run's :class:`~vgptlint.run.setup.RunSetup`
(what linting any file needs) with what only this machine does with it (:class:`Prepared`).
"""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vgptlint.builtins import load_builtins
from vgptlint.cache import turned_off
from vgptlint.errors import UsageError
from vgptlint.findings.fingerprint import fingerprint
from vgptlint.findings.result import RunResult
from vgptlint.fixes.apply import is_applied
from vgptlint.fixes.diff import diff_files
from vgptlint.globs import matches_any
from vgptlint.inputs.discover import discover
from vgptlint.model import Finding, Location, Severity
from vgptlint.policy.load import content_facets, load_policy
from vgptlint.policy.model import Policy
from vgptlint.reports.base import plural
from vgptlint.review.review import Review, apply_review, prepare_review
from vgptlint.run.engine import input_finding, kind_from_globs
from vgptlint.run.fix_regions import FixRegionReader
from vgptlint.run.local import run
from vgptlint.run.parallel import effective_jobs
from vgptlint.run.setup import FileTask, RunSetup, compile_rules, compiled, run_rule_matches, split_words, with_compiled

# Imported where used, not here: each serves only some runs, and a check pays for every module it imports
# at start-up (most of a cached rerun): vgptlint.run.distributed (--engine dask), vgptlint.run.fix_session
# (--fix, --diff), vgptlint.llamafactory.run and run_report (--train-config).
if TYPE_CHECKING:
    from vgptlint.llamafactory.run import RunPlan
    from vgptlint.run.fix_session import FixOptions, FixRun

DEFAULT_POLICY = "pretrain"
CATALOG_NAMES = ("catalog.yaml", "catalog.yml", "catalog.json", "catalog.csv")
ENGINES = ("local", "dask")


@dataclass
class CheckOptions:
    policy: str = DEFAULT_POLICY
    dataset_info: str | None = None
    catalog: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    seed: int | None = None  # --seed: shuffling fixes repeat it
    jobs: int | None = 1
    baseline: str | None = None  # report only findings not in this baseline file
    write_baseline: str | None = None  # record today's findings in this baseline file
    use_suppressions: bool = True  # False: --no-suppressions (record/policy suppressions and baseline off)
    train_config: str | None = None  # a LLaMA-Factory training YAML: lint the run it describes
    tokenizer: str | None = None  # the model's tokenizer.json (default: the local Hugging Face cache)
    engine: str = "local"  # "dask": run on a Dask cluster (vgptlint.run.distributed; paths may be fsspec URLs)
    scheduler: str | None = None  # with engine "dask": the scheduler address; None starts a local cluster
    exclude: tuple[str, ...] = ()  # --exclude: .gitignore-style globs of files not to read (vgptlint.globs)
    load_functions: bool = False  # --load-functions: import the policy's functions: modules (runs their code)
    fix_regions: bool = False  # the report shows fixes as file edits (SARIF, JSON): compute them as it reads
    verify_fixes: bool = True  # False: fixes are shown only as a count, so proposed fixes are not re-parsed
    no_cache: bool = False  # --no-cache: lint every record again (vgptlint.incremental), store nothing


def default_policy_reference() -> str:
    for name in ("vgptlint.yaml", ".vgptlint.yaml"):
        if Path(name).is_file():
            return name
    return DEFAULT_POLICY


@dataclass
class Prepared:
    """A prepared run: its setup (what linting any file needs, on any engine) and what only this
    machine does with it: the files, how to run them, the review after, the notes and input problems."""

    setup: RunSetup
    tasks: list[FileTask]
    notes: list[str]
    input_problems: list
    jobs: int = 1
    engine: str = "local"
    scheduler: str | None = None
    review: Review | None = None  # suppressions and baseline, applied after the run
    progress: object = None  # a vgptlint.run.progress.TerminalProgress when stderr is a terminal
    run_plan: RunPlan | None = None  # with --train-config
    select: tuple[str, ...] = ()  # --select/--ignore words, for the --train-config rules
    ignore: tuple[str, ...] = ()
    fix_regions: bool = False

    @property
    def policy(self) -> Policy:
        return compiled(self.setup).policy

    @property
    def rules(self) -> dict:
        return compiled(self.setup).rules


def prepare(paths: tuple[str, ...], options: CheckOptions, *, policy: Policy | None = None) -> Prepared:
    """Everything that can fail on user input, done before the first record is read.

    Args:
        policy: ``options.policy`` already loaded (the language server keeps it between runs), else
            it is loaded here.
    """
    load_builtins()
    if options.engine not in ENGINES:
        raise UsageError(f'unknown engine "{options.engine}"; known: local, dask')
    if options.scheduler and options.engine != "dask":
        raise UsageError("--scheduler is for --engine dask")
    if options.engine == "dask":
        from vgptlint.run import distributed
        distributed.require_dask()
    with turned_off(options.no_cache):  # --no-cache: the parsed policy and catalog too
        return _prepare(paths, options, policy)


def _prepare(paths: tuple[str, ...], options: CheckOptions, policy: Policy | None) -> Prepared:
    policy = policy if policy is not None else load_policy(options.policy, options.load_functions)
    run_plan = _plan_training_run(options, policy)
    if run_plan is not None and not paths:
        from vgptlint.llamafactory.run_report import plan_files
        paths = plan_files(run_plan)
    if run_plan is not None and not paths:
        found = discover(())  # nothing the config names could be found: no file to lint
    elif options.engine == "dask":
        from vgptlint.run import distributed
        found = distributed.discover(paths or (".",))
    else:
        found = discover(paths or (".",))
    dataset_info_path = find_dataset_info(options.dataset_info, policy, paths)
    if dataset_info_path is None and run_plan is not None and run_plan.info is not None:
        dataset_info_path = run_plan.info.path
    trainer = policy.trainer
    if dataset_info_path is not None and trainer is None:
        trainer = "llamafactory"
    setup = RunSetup(
        policy=_absolute_if_file(options.policy), select=split_words(options.select),
        ignore=split_words(options.ignore),
        dataset_info=None if dataset_info_path is None else str(dataset_info_path),
        catalog=tuple(str(p) for p in _catalog_paths(options, policy, paths)),
        load_functions=options.load_functions, trainer=trainer, seed=options.seed,
        use_suppressions=options.use_suppressions, verify_fixes=options.verify_fixes,
        # Relative paths in rule options (a held-out file) mean the caller's directory, on any engine:
        # a Dask worker's own working directory is elsewhere.
        working_directory=os.getcwd(), run_id=uuid.uuid4().hex, use_cache=not options.no_cache)
    state = compile_rules(setup, policy)
    setup = with_compiled(setup, state)
    specs = _specs_by_file(state.services.get("dataset_info"))
    excluded = split_words(options.exclude)
    tasks = []
    for path in (p for p in found.paths if not matches_any(p, excluded)):
        spec = specs.get(_key(path))
        kind = getattr(spec, "kind", None) or kind_from_globs(policy, path)
        tasks.append(FileTask(path=path, display="<stdin>" if path == "-" else path, kind=kind, spec=spec))
    jobs = effective_jobs(options.jobs, [t.path for t in tasks])
    review = prepare_review(policy, baseline=options.baseline, write_baseline_to=options.write_baseline,
                            use_suppressions=options.use_suppressions)
    return Prepared(setup, tasks, list(state.notes), list(found.problems), jobs, options.engine, options.scheduler,
                    review, run_plan=run_plan, select=setup.select, ignore=setup.ignore,
                    fix_regions=options.fix_regions)


def _absolute_if_file(reference: str) -> str:
    # A policy file is named by its absolute path, which a worker on this machine (or one sharing
    # this file system) can open whatever its working directory; a shipped name stays a name.
    path = Path(reference)
    return str(path.resolve()) if path.is_file() else reference


def _specs_by_file(info) -> dict:
    return {} if info is None else {_key(str(file)): spec for spec in info.specs for file in spec.paths}


def _plan_training_run(options: CheckOptions, policy: Policy):
    """``--train-config`` (else the policy's ``train_config:``): what that LLaMA-Factory run will see."""
    train_config = options.train_config or (str(policy.train_config) if policy.train_config else None)
    if train_config is None:
        return None
    if not Path(train_config).is_file():
        raise UsageError(f'--train-config "{train_config}": no such file')
    from vgptlint.llamafactory.run_report import plan_for
    return plan_for(train_config, options.tokenizer, content_facets(policy))


def _key(path: str) -> str:
    return str(Path(path).resolve())


def find_dataset_info(explicit: str | None, policy: Policy | None, arguments) -> Path | None:
    """``--dataset-info``, else the policy's ``dataset_info``, else a dataset_info.json in a linted directory."""
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise UsageError(f'--dataset-info "{explicit}": no such file')
        return path
    if policy is not None and policy.dataset_info is not None:
        if not policy.dataset_info.is_file():
            raise UsageError(f'dataset_info "{policy.dataset_info}" (from policy {policy.path}): no such file')
        return policy.dataset_info
    # LLaMA-Factory keeps dataset_info.json in the dataset directory: use it when linting that directory.
    for argument in arguments or (".",):
        candidate = Path(argument) / "dataset_info.json"
        if Path(argument).is_dir() and candidate.is_file():
            return candidate
    return None


def _catalog_paths(options: CheckOptions, policy: Policy, arguments) -> tuple[Path, ...]:
    if options.catalog:
        paths = tuple(Path(c) for c in options.catalog)
    elif policy.catalog:
        paths = policy.catalog
    else:
        # A catalog beside the data (catalog.yaml in a linted directory) is picked up like dataset_info.json.
        paths = tuple(Path(a) / n for a in (arguments or (".",)) if Path(a).is_dir() for n in CATALOG_NAMES
                      if (Path(a) / n).is_file())[:1]
    for path in paths:
        if not path.is_file():
            raise UsageError(f'catalog "{path}": no such file')
    return paths


def check(paths: tuple[str, ...] | list[str], options: CheckOptions | None = None) -> RunResult:
    """Lint ``paths`` with a policy; the library form of ``vgptlint check``."""
    prepared = prepare(tuple(paths), options or CheckOptions())
    return execute(prepared)


def execute(prepared: Prepared) -> RunResult:
    if prepared.engine == "dask":
        from vgptlint.run import distributed
        result = distributed.run_on_dask(prepared.setup, prepared.tasks, prepared.scheduler, prepared.notes)
    else:
        result = run(prepared.setup, prepared.tasks, jobs=prepared.jobs, progress=prepared.progress, notes=prepared.notes)
    if prepared.fix_regions:
        # Reports that show fixes as file edits (SARIF, JSON) get them as they reach each finding.
        result.fix_region_reader = FixRegionReader()
    add_run_findings(result, prepared)
    return apply_review(result, prepared.review)


def add_run_findings(result: RunResult, prepared: Prepared) -> None:
    """Findings about the run's arguments and dataset_info.json, into the run's sorted findings."""
    extra = [*(input_finding(p) for p in prepared.input_problems), *dataset_info_findings(prepared)]
    if prepared.run_plan is not None:
        extra += _training_run_findings(result, prepared)
    result.findings.extend(extra)


def _training_run_findings(result: RunResult, prepared: Prepared) -> list[Finding]:
    """--train-config: the run's own findings (its rules added to the result's) and its table."""
    from vgptlint.llamafactory.run_report import TABLE_HEADERS, rule_infos, run_findings, run_table, table_rows, table_title
    found = [f for f in run_findings(prepared.run_plan) if _selected(f, prepared)]
    result.rules = [*result.rules, *rule_infos(found)]
    table = run_table(prepared.run_plan)
    result.tables.append((table_title(table), TABLE_HEADERS, table_rows(table)))
    return found


def _selected(finding: Finding, prepared: Prepared) -> bool:
    select, ignore = prepared.select, prepared.ignore
    return ((not select or any(run_rule_matches(w, finding.rule) for w in select))
            and not any(run_rule_matches(w, finding.rule) for w in ignore))


DATASET_INFO_RULE = "lf-dataset-info-invalid"


def _named_by_run(problems, run_plan) -> list:
    """With --train-config, only the problems of the datasets the run reads (missing files: lf-run-dataset says it)."""
    if run_plan is None:
        return list(problems)
    names = {run.ref.name for run in run_plan.datasets}
    kept = []
    for problem in problems:
        named = re.match(r'dataset "([^"]*)"', problem.message)
        if named is None or (named.group(1) in names and "does not exist next to" not in problem.message):
            kept.append(problem)
    return kept


def dataset_info_findings(prepared: Prepared) -> list:
    """Problems of the dataset_info.json itself, at their own file:line:col."""
    rule = prepared.rules.get(DATASET_INFO_RULE)
    info = compiled(prepared.setup).services.get("dataset_info")
    if rule is None or not rule.is_enabled or info is None:
        return []
    findings = []
    for problem in _named_by_run(info.problems, prepared.run_plan):
        severity = rule.severity if problem.severity == "error" else Severity(problem.severity)
        findings.append(Finding(rule.id, severity, problem.message, Location(problem.source, problem.line, problem.column),
                                fingerprint(rule.id, problem.source, problem.code, problem.message)))
    return findings


def exit_code(result: RunResult, fail_on: Severity | None) -> int:
    if fail_on is None:
        return 0
    counts = result.count_by_severity()  # kept as findings arrived: no pass over them
    failing = (s for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if s.rank >= fail_on.rank)
    return 1 if any(counts[s.value] for s in failing) else 0


# ------------------------------------------------------------------------------- fixes (--fix, --diff)


def fix(prepared: Prepared, options: FixOptions) -> FixRun:
    """``vgptlint check --fix`` (``options.write``) or ``--diff`` (not written), minus printing.

    Returns:
        Each file's changes and the run's remaining findings (re-linted after fixing).
    """
    if prepared.engine == "dask":
        raise UsageError("--fix and --diff rewrite files on this machine; run them without --engine dask")
    from vgptlint.run.fix_session import fix_files
    run = fix_files(prepared.setup, prepared.tasks, prepared.notes, options)
    add_run_findings(run.result, prepared)
    apply_review(run.result, prepared.review)
    return run


def fix_messages(run: FixRun, options: FixOptions) -> list[str]:
    """What ``--fix``/``--diff`` says before the report: per-file notes, then the count line.

    ``Fixed 2,541 findings in 2 files (118 remaining) (12 more fixable with --unsafe-fixes)``
    """
    verb = "Fixed" if options.write else "Would fix"
    line = (f"{verb} {plural(run.fixed_count, 'finding')} in {plural(len(run.changed_files), 'file')} "
            f"({len(run.result.findings):,} remaining)")
    unsafe_count = run.unsafe_fixable_count()
    if unsafe_count and not options.allow_unsafe:
        line += f" ({unsafe_count:,} more fixable with --unsafe-fixes)"
    return [*run.messages, line]


def fix_listing(result: RunResult, allow_unsafe: bool) -> list[str]:
    """``check --show-fixes``: every fix ``vgptlint fix`` would apply, one line each, and how many
    more ``--unsafe-fixes`` would add (display-only fixes are never applied, so never listed)."""
    lines, held_back = [], 0
    for finding in result.findings:
        if is_applied(finding.fix, allow_unsafe):
            where = finding.location
            lines.append(f"{where.path}:{where.line}:{where.column}: {finding.rule}: {finding.fix.title} ({finding.fix.applicability})")
        elif is_applied(finding.fix, True):
            held_back += 1
    heading = f"{plural(len(lines), 'fix', 'fixes')} `vgptlint fix{' --unsafe-fixes' if allow_unsafe else ''}` would apply"
    more = f" ({held_back:,} more with --unsafe-fixes)" if held_back else ""
    return [heading + more + (":" if lines else ""), *("  " + line for line in lines)]


def fixed_listing(run: FixRun) -> list[str]:
    """``fix --show-fixes``: what was fixed, by file and rule (ruff's shape)."""
    lines = []
    for file in run.changed_files:
        lines.append(f"- {file.path}:")
        lines += [f"    {count:,} × {rule}" for rule, count in sorted(file.fixed_by_rule.items())]
    return lines


def fix_diff(run: FixRun) -> str:
    """The unified diff of every file ``--fix`` would change."""
    return diff_files((f.path, f.old_text, f.new_text) for f in run.changed_files)


def __getattr__(name: str):
    """``FixOptions`` and ``FixRun`` stay importable from here; the fix session loads when first asked for."""
    if name in ("FixOptions", "FixRun"):
        from vgptlint.run import fix_session
        return getattr(fix_session, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
