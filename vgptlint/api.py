"""The public API behind the CLI: load a policy, find the files, run the engine.

``check(paths, policy=...)`` is what ``vgptlint check`` does, minus printing.
"""
from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass, field
from pathlib import Path

from vgptlint.builtins import load_builtins
from vgptlint.cache import turned_off
from vgptlint.run.engine import FileTask, input_finding, kind_from_globs, run
from vgptlint.errors import UsageError
from vgptlint.run.evaluate import VERIFY_FIXES
from vgptlint.functions.base import did_you_mean
from vgptlint.globs import matches_any
from vgptlint.inputs.discover import discover
from vgptlint.model import Finding, Severity
from vgptlint.policy.load import load_policy
from vgptlint.policy.model import CompiledRule, Policy
from vgptlint.findings.result import RunResult
from vgptlint.review.review import apply_review

DEFAULT_POLICY = "pretrain"
CATALOG_NAMES = ("catalog.yaml", "catalog.yml", "catalog.json", "catalog.csv")


@dataclass
class CheckOptions:
    policy: str = DEFAULT_POLICY
    dataset_info: str | None = None
    catalog: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extra_settings: dict = field(default_factory=dict)
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
    verify_fixes: bool = True  # False: fixes are shown only as a count, so proposed fixes are not re-parsed
    no_cache: bool = False  # --no-cache: lint every record again (vgptlint.incremental), store nothing


def default_policy_reference() -> str:
    for name in ("vgptlint.yaml", ".vgptlint.yaml"):
        if Path(name).is_file():
            return name
    return DEFAULT_POLICY


def select_rules(policy: Policy, select: tuple[str, ...], ignore: tuple[str, ...]) -> dict[str, CompiledRule]:
    """``--select``/``--ignore``: rule ids, globs (``sql-*``), pack names or ``ALL``.

    Raises:
        UsageError: a selector that matches no rule of the policy.
    """

    def matches(rule: CompiledRule, word: str) -> bool:
        return word == "ALL" or fnmatch.fnmatchcase(rule.id, word) or word == rule.origin.pack or word in rule.aliases

    for word in (*select, *ignore):
        if not any(matches(r, word) for r in policy.rules.values()) and not run_rule_matches(word):
            hint = did_you_mean(word, policy.rules)
            raise UsageError(f'"{word}" matches no rule of policy {policy.path}' + (f"; {hint}" if hint else ""))
    rules = {}
    for rule_id, rule in policy.rules.items():
        if select and not any(matches(rule, w) for w in select):
            continue
        if any(matches(rule, w) for w in ignore):
            continue
        if select and not rule.is_enabled and any(w == rule.id for w in select):
            rule = _enable(rule)
        rules[rule_id] = rule
    return rules


def run_rule_matches(word: str, rule_id: str | None = None) -> bool:
    """Does a --select/--ignore word name a --train-config rule (``lf-run-*``; pack ``llamafactory``)?"""
    from vgptlint.llamafactory.run_report import PACK, RULES

    ids = (rule_id,) if rule_id else tuple(RULES)
    return any(word in ("ALL", PACK) or fnmatch.fnmatchcase(i, word) for i in ids)


def _selected(finding: Finding, options: CheckOptions | None) -> bool:
    select = split_words(options.select) if options else ()
    ignore = split_words(options.ignore) if options else ()
    return ((not select or any(run_rule_matches(w, finding.rule) for w in select))
            and not any(run_rule_matches(w, finding.rule) for w in ignore))


def _enable(rule: CompiledRule) -> CompiledRule:
    from dataclasses import replace

    return replace(rule, severity=Severity.WARNING)


def split_words(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(w.strip() for v in values for w in v.split(",") if w.strip())


@dataclass
class Prepared:
    policy: Policy
    rules: dict[str, CompiledRule]
    tasks: list[FileTask]
    services: dict
    settings: dict
    notes: list[str]
    input_problems: list
    jobs: int = 1
    review: object = None  # vgptlint.review.review.Review: suppressions and baseline, applied after the run
    options: CheckOptions | None = None  # what it was prepared from (the Dask engine ships references)
    service_paths: tuple = (None, ())  # (dataset_info path, catalog paths): loaded again by Dask workers
    progress: object = None  # a vgptlint.run.progress.TerminalProgress when stderr is a terminal
    run_plan: object = None  # a vgptlint.llamafactory.run.RunPlan with --train-config


def prepare(paths: tuple[str, ...], options: CheckOptions, *, policy: Policy | None = None) -> Prepared:
    """Everything that can fail on user input, done before the first record is read.

    Args:
        policy: ``options.policy`` already loaded (the language server keeps it between runs), else
            it is loaded here.
    """
    load_builtins()
    if options.engine not in ("local", "dask"):
        raise UsageError(f'unknown engine "{options.engine}"; known: local, dask')
    if options.scheduler and options.engine != "dask":
        raise UsageError("--scheduler is for --engine dask")
    if options.engine == "dask":
        from vgptlint.run.distributed import require_dask

        require_dask()
    with turned_off(options.no_cache):  # --no-cache: the parsed policy and catalog too
        return _prepare(paths, options, policy)


def _prepare(paths: tuple[str, ...], options: CheckOptions, policy: Policy | None) -> Prepared:
    if policy is None:
        policy = load_policy(options.policy, options.load_functions)
    rules = select_rules(policy, split_words(options.select), split_words(options.ignore))
    notes: list[str] = []
    services: dict = {}
    settings: dict = {"trainer": policy.trainer, **policy.settings, **options.extra_settings}
    # Relative paths in rule options (a held-out file) mean the caller's directory, on any engine:
    # a Dask worker's own working directory is elsewhere.
    settings.setdefault("working_directory", os.getcwd())
    if not options.verify_fixes:
        settings[VERIFY_FIXES] = False

    run_plan = _plan_training_run(options, policy)
    if run_plan is not None and not paths:
        from vgptlint.llamafactory.run_report import plan_files

        paths = plan_files(run_plan)
    if run_plan is not None and not paths:
        found = discover(())  # nothing the config names could be found: no file to lint
    elif options.engine == "dask":
        from vgptlint.run.distributed import discover as discover_anywhere

        found = discover_anywhere(paths or (".",))
    else:
        found = discover(paths or (".",))
    dataset_info_path = find_dataset_info(options.dataset_info, policy, paths)
    if dataset_info_path is None and run_plan is not None and run_plan.info is not None:
        dataset_info_path = run_plan.info.path
    specs = {}
    if dataset_info_path is not None:
        specs, info_notes = _load_dataset_info(dataset_info_path, services)
        notes.extend(info_notes)
        settings.setdefault("trainer", "llamafactory")
        if settings.get("trainer") is None:
            settings["trainer"] = "llamafactory"
    catalog_paths = _catalog_paths(options, policy, paths)
    if catalog_paths:
        services["catalog"] = _load_catalog(catalog_paths)
    rules = _drop_unmet(rules, services, notes)
    excluded = split_words(options.exclude)
    tasks = []
    for path in (p for p in found.paths if not matches_any(p, excluded)):
        spec = specs.get(_key(path))
        kind = getattr(spec, "kind", None) or kind_from_globs(policy, path)
        tasks.append(FileTask(path=path, display="<stdin>" if path == "-" else path, kind=kind, spec=spec))
    from vgptlint.run.parallel import effective_jobs

    jobs = effective_jobs(options.jobs, [t.path for t in tasks])
    from vgptlint.review.review import prepare_review

    review = prepare_review(policy, settings, baseline=options.baseline, write_baseline_to=options.write_baseline,
                            use_suppressions=options.use_suppressions)
    return Prepared(policy, rules, tasks, services, settings, notes, list(found.problems), jobs, review, options,
                    (dataset_info_path, catalog_paths), run_plan=run_plan)


def _plan_training_run(options: CheckOptions, policy: Policy):
    """``--train-config`` (else the policy's ``train_config:``): what that LLaMA-Factory run will see."""
    train_config = options.train_config or (str(policy.train_config) if policy.train_config else None)
    if train_config is None:
        return None
    if not Path(train_config).is_file():
        raise UsageError(f'--train-config "{train_config}": no such file')
    from vgptlint.llamafactory.run_report import plan_for
    from vgptlint.commands.stats import content_facets

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


def _load_dataset_info(path: Path, services: dict):
    from vgptlint.llamafactory.dataset_info import load_dataset_info

    info = load_dataset_info(path)
    services["dataset_info"] = info
    specs = {}
    for spec in info.specs:
        for file in spec.paths:
            specs[_key(str(file))] = spec
    return specs, []


def _load_catalog(paths: tuple[Path, ...]):
    from vgptlint.sql.catalog import load_catalog

    return load_catalog(paths)


def _drop_unmet(rules: dict[str, CompiledRule], services: dict, notes: list[str]) -> dict[str, CompiledRule]:
    kept, skipped = {}, {}
    for rule_id, rule in rules.items():
        missing = [need for need in sorted(rule.requires) if need not in services]
        if missing and rule.is_enabled:
            skipped.setdefault(missing[0], []).append(rule_id)
        else:
            kept[rule_id] = rule
    for need, ids in sorted(skipped.items()):
        flag = "--catalog" if need == "catalog" else "--dataset-info"
        notes.append(f"{len(ids)} rule{'s' if len(ids) != 1 else ''} skipped: no {need.replace('_', ' ')} configured "
                     f"(use {flag} or set it in the policy): {', '.join(sorted(ids))}")
    return kept


def check(paths: tuple[str, ...] | list[str], options: CheckOptions | None = None) -> RunResult:
    """Lint ``paths`` with a policy; the library form of ``vgptlint check``."""
    prepared = prepare(tuple(paths), options or CheckOptions())
    return execute(prepared)


def execute(prepared: Prepared) -> RunResult:
    if prepared.options is not None and prepared.options.engine == "dask":
        from vgptlint.run.distributed import run_on_dask

        result = run_on_dask(prepared, prepared.options)
    else:
        result = run(prepared.policy, prepared.tasks, prepared.rules, prepared.services, prepared.settings,
                     prepared.notes, jobs=prepared.jobs, progress=prepared.progress,
                     use_cache=prepared.options is not None and not prepared.options.no_cache)
    add_run_findings(result, prepared)
    return apply_review(result, prepared.review)


def add_run_findings(result: RunResult, prepared: Prepared) -> None:
    """Findings about the run's arguments and dataset_info.json, merged into the sorted findings."""
    extra = [*(input_finding(p) for p in prepared.input_problems), *dataset_info_findings(prepared)]
    if prepared.run_plan is not None:
        from vgptlint.llamafactory.run_report import TABLE_HEADERS, rule_infos, run_findings, run_table, table_rows, table_title

        found = [f for f in run_findings(prepared.run_plan) if _selected(f, prepared.options)]
        extra += found
        result.rules = [*result.rules, *rule_infos(found)]
        table = run_table(prepared.run_plan)
        result.tables.append((table_title(table), TABLE_HEADERS, table_rows(table)))
    if extra:
        result.findings.extend(extra)
        if isinstance(result.findings, list):  # a spool sorts as it is read
            result.findings.sort(key=Finding.sort_key)


DATASET_INFO_RULE = "lf-dataset-info-invalid"


def _named_by_run(problems, run_plan) -> list:
    """With --train-config, only the problems of the datasets the run reads (missing files: lf-run-dataset says it)."""
    if run_plan is None:
        return list(problems)
    import re

    names = {run.ref.name for run in run_plan.datasets}
    kept = []
    for problem in problems:
        named = re.match(r'dataset "([^"]*)"', problem.message)
        if named is None or (named.group(1) in names and "does not exist next to" not in problem.message):
            kept.append(problem)
    return kept


def dataset_info_findings(prepared: Prepared) -> list:
    """Problems of the dataset_info.json itself, at their own file:line:col."""
    import hashlib

    from vgptlint.model import Finding, Location

    rule = prepared.rules.get(DATASET_INFO_RULE)
    info = prepared.services.get("dataset_info")
    if rule is None or not rule.is_enabled or info is None:
        return []
    findings = []
    for problem in _named_by_run(info.problems, prepared.run_plan):
        severity = rule.severity if problem.severity == "error" else Severity(problem.severity)
        digest = hashlib.blake2b(f"{rule.id}\0{problem.source}\0{problem.code}\0{problem.message}".encode(), digest_size=16)
        findings.append(Finding(rule.id, severity, problem.message, Location(problem.source, problem.line, problem.column),
                                digest.hexdigest()))
    return findings


def exit_code(result: RunResult, fail_on: Severity | None) -> int:
    if fail_on is None:
        return 0
    counts = result.count_by_severity()  # kept as findings arrived: no pass over them
    failing = (s for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if s.rank >= fail_on.rank)
    return 1 if any(counts[s.value] for s in failing) else 0


# ------------------------------------------------------------------------------- fixes (--fix, --diff)

from vgptlint.run.fix_session import FixOptions, FixRun  # noqa: E402  (kept beside the functions that use them)


def fix(prepared: Prepared, options: FixOptions) -> FixRun:
    """``vgptlint check --fix`` (``options.write``) or ``--diff`` (not written), minus printing.

    Returns:
        Each file's changes and the run's remaining findings (re-linted after fixing).
    """
    from vgptlint.run.fix_session import fix_files

    if prepared.options is not None and prepared.options.engine == "dask":
        raise UsageError("--fix and --diff rewrite files on this machine; run them without --engine dask")

    run = fix_files(prepared.policy, prepared.tasks, prepared.rules, prepared.services, prepared.settings,
                    prepared.notes, options)
    add_run_findings(run.result, prepared)
    apply_review(run.result, prepared.review)
    return run


def fix_messages(run: FixRun, options: FixOptions) -> list[str]:
    """What ``--fix``/``--diff`` says before the report: per-file notes, then the count line.

    ``Fixed 2,541 findings in 2 files (118 remaining) (12 more fixable with --unsafe-fixes)``
    """
    from vgptlint.reports.base import plural

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
    from vgptlint.fixes.apply import is_applied
    from vgptlint.reports.base import plural

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
    from vgptlint.fixes.diff import diff_files

    return diff_files((f.path, f.old_text, f.new_text) for f in run.changed_files)


def fill_fix_regions(result: RunResult) -> None:
    """Let reports show fixes with text edits in file coordinates (SARIF ``fixes``, JSON ``replacements``).

    Computed as the report reaches each finding: the files are read again alongside the sorted
    findings, one record at a time (:class:`FixRegionReader`), so nothing is held for it.
    """
    result.fix_region_reader = FixRegionReader()


class FixRegionReader:
    """A fix's replacements in file coordinates, for findings asked about in report order.

    Findings come sorted by path and position, so each file is read forward once, holding one
    record; a finding asked about out of order reads its file again from the start.
    """

    def __init__(self) -> None:
        self.path: str | None = None
        self.info = None
        self.records = iter(())
        self.record = None

    def __call__(self, finding: Finding) -> tuple:
        from vgptlint.fixes.regions import file_replacements

        path, index = finding.location.path, finding.location.record_index
        if (finding.fix is None or not finding.fix.edits or index is None or path in ("-", "<stdin>")
                or path.lower().endswith(".parquet")):  # no text to place edits in
            return ()
        record = self._record(path, index)
        return () if record is None else file_replacements(finding, record, self.info)

    def _record(self, path: str, index: int):
        from vgptlint.inputs.read import read_source
        from vgptlint.inputs.records import Record
        from vgptlint.inputs.style import describe_file

        if path != self.path or (self.record is not None and index < self.record.index):
            self.path, self.info, self.record = path, describe_file(path), None
            self.records = (item for item in read_source(path) if isinstance(item, Record)) if self.info else iter(())
        while self.record is None or self.record.index < index:
            following = next(self.records, None)
            if following is None:
                return None
            self.record = following
        return self.record if self.record.index == index else None
