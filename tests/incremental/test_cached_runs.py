"""The result cache through the CLI: every cached run's report is byte-identical to a run without the
cache, over random edits to records, policies (bounds, severities, options, rules on and off) and
catalogs; a changed bound is re-decided without linting a record again; corrupt entries are rebuilt;
--jobs workers share the cache in blocks. What a rerun lints after records changed: test_record_table.py."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgptlint.findings import spool
from vgptlint.run import parallel
from vgptlint.commands.cli import main
from vgptlint.incremental import cached, tables

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SFT = json.loads((EXAMPLES / "sft.json").read_text())
DPO = json.loads((EXAMPLES / "dpo.json").read_text())
EXTRA = [
    {"instruction": "What is APTH?", "input": "", "output": "AP headers."},
    {"instruction": "List vendors", "input": "", "output": "```sql\nSELECT Vendor FROM APVM WITH (NOLOCK) WHERE VendorGroup = 1\n```"},
    {"instruction": "List vendors", "input": "", "output": "```sql\nSELECT Vendor FROM APVM WITH (NOLOCK) WHERE VendorGroup = 1\n```"},
    {"instruction": "Query the Invoices table", "input": "", "output": "There is no table named Invoices in Viewpoint; use APTH."},
    {"instruction": "Show all jobs", "input": "", "output": "```sql\nSELECT * FROM JCJM\n```"},
]
POOL = SFT + EXTRA


def policy_text(short_max=0.05, short_severity="warning", nolock_min=0.1, too_short_min=50, select_star="warning",
                schema_max=0.4, duplicates_max=0.01) -> str:
    return f"""extends: [pretrain]
catalog: catalog.yaml
rules:
  short-output-share:
    severity: {short_severity}
    options: {{max: {short_max}}}
  nolock-coverage:
    options: {{min: {nolock_min}}}
  output-too-short:
    options: {{min: {too_short_min}}}
  sql-select-star: {select_star}
  duplicate-records:
    options: {{max: {duplicates_max}}}
  content-mix:
    options:
      shares:
        schema_description: {{max: {schema_max}}}
        sql_generation: {{min: 0.25}}
settings: {{min_records: 5}}
"""


def write_project(folder: Path, sft: list, dpo: list, policy: str, catalog: str) -> None:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "sft.jsonl").write_text("".join(json.dumps(r) + "\n" for r in sft))
    (data / "dpo.json").write_text(json.dumps(dpo, indent=2))
    (folder / "team.yaml").write_text(policy)
    (folder / "catalog.yaml").write_text(catalog)


def lint(folder: Path, *extra: str, report: str = "json") -> str:
    result = CliRunner().invoke(main, ["check", "--policy", str(folder / "team.yaml"), "-f", report, "--fail-on", "never",
                                       *extra, str(folder / "data")])
    assert result.exit_code == 0, result.output
    return result.stdout


def entries(cache_dir: Path, prefix: str) -> set[str]:
    return {p.name for p in (cache_dir / "results").rglob(prefix + "*") if p.is_file()}


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("VGPTLINT_CACHE_DIR", str(folder))
    monkeypatch.delenv("VGPTLINT_NO_CACHE", raising=False)
    monkeypatch.setattr(cached, "BLOCK_RECORDS", 8)  # several blocks in a small file
    return folder


CATALOG = (EXAMPLES / "catalog.yaml").read_text()
CATALOG_WITHOUT_A_COLUMN = CATALOG.replace("columns: [VendorGroup, Vendor, Name, SortName,", "columns: [VendorGroup, Vendor, SortName,")
assert CATALOG_WITHOUT_A_COLUMN != CATALOG

edits = st.lists(st.tuples(st.sampled_from(["replace", "insert", "delete"]), st.integers(0, 200), st.integers(0, len(POOL) - 1)),
                 max_size=3)
policies = st.fixed_dictionaries({
    "short_max": st.sampled_from([0.05, 0.3]), "short_severity": st.sampled_from(["warning", "error", "off"]),
    "nolock_min": st.sampled_from([0.1, 0.9]), "too_short_min": st.sampled_from([50, 20]),
    "select_star": st.sampled_from(["warning", "off"]), "schema_max": st.sampled_from([0.4, 0.05]),
    "duplicates_max": st.sampled_from([0.01, 0.5]),
})


def edited(rows: list, operations) -> list:
    rows = list(rows)
    for operation, at, pick in operations:
        at = at % (len(rows) + 1)
        if operation == "replace" and at < len(rows):
            rows[at] = POOL[pick]
        elif operation == "insert":
            rows.insert(at, POOL[pick])
        elif operation == "delete" and at < len(rows) and len(rows) > 1:
            del rows[at]
    return rows


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One project folder and one cache for every example, so examples meet each other's entries."""
    folder = tmp_path_factory.mktemp("project")
    previous = {name: os.environ.get(name) for name in ("VGPTLINT_CACHE_DIR", "VGPTLINT_NO_CACHE")}
    os.environ["VGPTLINT_CACHE_DIR"] = str(folder / "cache")
    os.environ.pop("VGPTLINT_NO_CACHE", None)
    block_records, cached.BLOCK_RECORDS = cached.BLOCK_RECORDS, 8
    # record tables in chunks of 5: edits leave some chunks as they were and change others
    records_per_piece, tables.RECORDS_PER_PIECE = tables.RECORDS_PER_PIECE, 5
    yield folder
    cached.BLOCK_RECORDS = block_records
    tables.RECORDS_PER_PIECE = records_per_piece
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sft_edits=edits, dpo_edits=edits, policy=policies, drop_table=st.booleans())
def test_cached_reports_equal_cold_ones(shared, sft_edits, dpo_edits, policy, drop_table):
    sft = edited(SFT * 2, sft_edits)
    dpo = edited(DPO * 2, [(op, at, pick % len(DPO)) for op, at, pick in dpo_edits])
    write_project(shared / "p", sft, [r for r in dpo if "chosen" in r], policy_text(**policy),
                  CATALOG_WITHOUT_A_COLUMN if drop_table else CATALOG)
    cold = lint(shared / "p", "--no-cache")
    assert lint(shared / "p") == cold  # records from earlier examples' tables, the rest linted
    assert lint(shared / "p") == cold  # the whole-file entries


def test_a_changed_bound_or_severity_is_decided_again_without_linting_a_record(tmp_path, cache_dir):
    write_project(tmp_path, SFT * 2, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    lint(tmp_path, report="text")  # text reports defer fix verification: an evaluation of its own
    tables, heads = entries(cache_dir, "t"), entries(cache_dir, "f")
    for changed in ({"short_max": 0.3}, {"short_max": 0.3, "short_severity": "error"}, {"schema_max": 0.05},
                    {"duplicates_max": 0.5}, {"nolock_min": 0.9}, {"short_severity": "error"},
                    {"short_severity": "error", "duplicates_max": 0.5}):
        (tmp_path / "team.yaml").write_text(policy_text(**changed))
        for report in ("json", "text"):
            assert lint(tmp_path, report=report) == lint(tmp_path, "--no-cache", report=report), changed
        assert entries(cache_dir, "t") == tables, changed  # no record was linted again
        assert entries(cache_dir, "f") == heads, changed


def test_a_record_rule_option_or_the_catalog_is_a_new_evaluation(tmp_path, cache_dir):
    write_project(tmp_path, SFT, DPO, policy_text(), CATALOG)
    first = lint(tmp_path)
    (tmp_path / "team.yaml").write_text(policy_text(too_short_min=20))
    assert lint(tmp_path) == lint(tmp_path, "--no-cache") != first
    (tmp_path / "team.yaml").write_text(policy_text())
    (tmp_path / "catalog.yaml").write_text(CATALOG_WITHOUT_A_COLUMN)
    assert lint(tmp_path) == lint(tmp_path, "--no-cache") != first


def test_corrupt_entries_are_rebuilt(tmp_path, cache_dir):
    write_project(tmp_path, SFT * 2, DPO, policy_text(), CATALOG)
    cold = lint(tmp_path, "--no-cache")
    lint(tmp_path)
    for number, path in enumerate(sorted(p for p in (cache_dir / "results").rglob("*") if p.is_file())):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if number % 2 else data[:-1] + bytes([data[-1] ^ 1]))
    assert lint(tmp_path) == cold
    assert lint(tmp_path) == cold


def test_no_cache_neither_reads_nor_writes(tmp_path, cache_dir):
    write_project(tmp_path, SFT, DPO, policy_text(), CATALOG)
    lint(tmp_path, "--no-cache")
    assert not cache_dir.exists()


def test_jobs_workers_share_the_cache(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(parallel, "RECORDS_PER_CHUNK", 7)
    write_project(tmp_path, SFT * 3, DPO * 2, policy_text(), CATALOG)
    cold = lint(tmp_path, "--no-cache", "--jobs", "1")
    assert lint(tmp_path, "--jobs", "2") == cold  # workers write blocks
    shutil.rmtree(cache_dir / "results")
    assert lint(tmp_path, "--jobs", "2") == cold
    blocks = entries(cache_dir, "b")
    for path in (cache_dir / "results").rglob("f*"):
        if path.is_file():
            path.unlink()  # no whole-file entry: the workers' blocks serve the next run
    assert lint(tmp_path, "--jobs", "2") == cold
    assert entries(cache_dir, "b") == blocks
    assert lint(tmp_path, "--jobs", "1") == cold


@pytest.mark.parametrize("report", ["text", "json", "sarif"])
def test_stored_findings_join_a_spilling_spool_as_linted_ones_do(tmp_path, cache_dir, monkeypatch, report):
    """A replayed file's findings go to the spool encoded and sorted, beside runs spilled to disk."""
    monkeypatch.setattr(spool, "DEFAULT_MEMORY_LIMIT", 3)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "RECORDS_PER_CHUNK", 7)
    write_project(tmp_path, SFT * 2, DPO, policy_text(), CATALOG)
    cold = lint(tmp_path, "--no-cache", report=report)
    assert lint(tmp_path, report=report) == cold  # linted, stored
    assert entries(cache_dir, "f")
    assert lint(tmp_path, report=report) == cold  # replayed
    assert lint(tmp_path, "--jobs", "2", report=report) == cold
    (tmp_path / "team.yaml").write_text(policy_text(short_max=0.3, duplicates_max=0.5))
    assert lint(tmp_path, report=report) == lint(tmp_path, "--no-cache", report=report)


def test_a_file_edited_while_it_was_read_is_reported_and_not_stored(tmp_path, cache_dir, monkeypatch):
    write_project(tmp_path, SFT * 2, DPO, policy_text(), CATALOG)
    cold = lint(tmp_path, "--no-cache", report="text")
    stats = iter(range(1_000_000))
    monkeypatch.setattr(cached, "_stat", lambda path: (next(stats), 0))  # a new size at every look
    assert lint(tmp_path, report="text") == cold
    assert not entries(cache_dir, "f")
