"""--engine dask on a two-worker LocalCluster gives byte-identical JSON and SARIF reports to the
local engine: JSON Lines split into several blocks, JSON arrays cut into record chunks, Parquet
row groups, broken files, aggregate rules (the pretrain policy and a policy built on the dataset
packs), a catalog and dataset_info shipped to workers by path."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

from tests.distributed.data import dataset, sft_records, write_jsonl  # noqa: E402
from vgptlint.run import distributed as dask_engine  # noqa: E402
from vgptlint.commands.cli import main  # noqa: E402
from vgptlint.inputs.remote import jsonl_blocks  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def small_blocks(monkeypatch):
    # ~4 KB blocks: the 400-record JSONL becomes a dozen blocks, the arrays several chunks each
    monkeypatch.setattr(dask_engine, "MIN_BLOCK_BYTES", 4096)
    monkeypatch.setattr(dask_engine, "MAX_BLOCK_BYTES", 4096)


def check(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def local_and_dask(scheduler: str, *args: str) -> tuple[str, str]:
    return check("--jobs", "1", *args), check("--engine", "dask", "--scheduler", scheduler, *args)


@pytest.mark.parametrize("report_format", ["json", "sarif"])
def test_pretrain_reports_are_byte_identical(tmp_path, scheduler, small_blocks, report_format):
    root = dataset(tmp_path, with_parquet=True)
    with open(root / "sft.jsonl", "rb") as stream:
        assert len(jsonl_blocks(stream, 4096)[0]) >= 5  # really split
    # a directory walk lists .json and .jsonl files; Parquet files are named
    parquet = [str(root / "sft.parquet"), str(root / "damaged.parquet")]
    local, dask = local_and_dask(scheduler, "--policy", "pretrain", "-f", report_format, str(root), *parquet)
    assert dask == local
    if report_format == "json":
        report = json.loads(local)
        rules = {f["rule"] for f in report["findings"]}
        assert {"invalid-input", "duplicate-records", "output-too-short"} <= rules
        assert {"sft.parquet", "damaged.parquet", "broken.json", "late.jsonl"} <= {
            Path(f["path"]).name for f in report["files"]}


def test_policy_on_the_dataset_packs(tmp_path, scheduler, small_blocks):
    (tmp_path / "data").mkdir()
    root = dataset(tmp_path / "data", with_parquet=False)
    policy = tmp_path / "packs.yaml"
    policy.write_text("description: dataset-level checks only\n"
                      "extends: [core, dataset, preference]\n"
                      "rules:\n  near-duplicate-records: error\n  short-output-share: error\n", encoding="utf-8")
    local, dask = local_and_dask(scheduler, "--policy", str(policy), "-f", "json", str(root))
    assert dask == local
    assert json.loads(local)["metrics"]


def test_catalog_and_dataset_info_reach_the_workers(tmp_path, scheduler, small_blocks):
    write_jsonl(tmp_path / "sft.jsonl", sft_records(200, seed=5))
    info = {"sft": {"file_name": "sft.jsonl", "columns": {"prompt": "instruction", "query": "input", "response": "output"}}}
    (tmp_path / "dataset_info.json").write_text(json.dumps(info), encoding="utf-8")
    args = ("--policy", "pretrain", "-f", "json", "--catalog", str(EXAMPLES / "catalog.yaml"), str(tmp_path))
    local, dask = local_and_dask(scheduler, *args)
    assert dask == local
    notes = " ".join(json.loads(local)["notes"])
    assert "no catalog" not in notes and "no dataset info" not in notes
    assert any(f["rule"].startswith("sql-unknown") for f in json.loads(local)["findings"])


def test_fsspec_urls_and_globs(tmp_path, scheduler, small_blocks):
    root = dataset(tmp_path, with_parquet=True)
    local = json.loads(check("--jobs", "1", "-f", "json", f"{root}/*.jsonl", f"{root}/damaged.parquet",
                             f"{root}/sft.parquet"))
    dask = json.loads(check("--engine", "dask", "--scheduler", scheduler, "-f", "json",
                            f"file://{root}/*.jsonl", f"file://{root}/*.parquet"))

    def located(report):
        return sorted((Path(f["path"]).name, f["line"], f["column"], f["rule"], f["message"])
                      for f in report["findings"])

    assert located(dask) == located(local)
    # reports collapse "file:///tmp" to "file:/tmp" (reports.base.display_path treats URLs as paths)
    assert all(f["path"].startswith("file:") for f in dask["files"])


def test_stdin_is_read_by_the_client(scheduler):
    text = "\n".join(json.dumps(r) for r in sft_records(20, seed=1)) + "\n"
    runner = CliRunner()
    args = ["check", "--policy", "pretrain", "-f", "json", "-"]
    local = runner.invoke(main, args, input=text)
    dask = runner.invoke(main, [*args[:-1], "--engine", "dask", "--scheduler", scheduler, "-"], input=text)
    assert dask.stdout == local.stdout and dask.exit_code == local.exit_code


def test_own_local_cluster_without_scheduler(tmp_path):
    write_jsonl(tmp_path / "sft.jsonl", sft_records(60, seed=2))
    assert check("--engine", "dask", "-f", "json", str(tmp_path)) == check("-f", "json", str(tmp_path))


def test_missing_extra_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed → ImportError
    result = CliRunner().invoke(main, ["check", "--engine", "dask", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == 'vgptlint: error: --engine dask needs: pip install "vgptlint[dask]"\n'


def test_scheduler_needs_the_dask_engine(tmp_path):
    result = CliRunner().invoke(main, ["check", "--scheduler", "tcp://127.0.0.1:1", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == "vgptlint: error: --scheduler is for --engine dask\n"


def test_unreachable_scheduler(tmp_path, monkeypatch):
    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", "1s")
    write_jsonl(tmp_path / "sft.jsonl", sft_records(20, seed=2))
    result = CliRunner().invoke(main, ["check", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith('vgptlint: error: --scheduler "tcp://127.0.0.1:9": cannot connect')
    assert result.stderr.count("\n") == 1


def test_fix_stays_local(tmp_path, scheduler):
    write_jsonl(tmp_path / "sft.jsonl", sft_records(20, seed=2))
    result = CliRunner().invoke(main, ["check", "--fix", "--engine", "dask", "--scheduler", scheduler, str(tmp_path)])
    assert result.exit_code == 2
    assert "run them without --engine dask" in result.stderr


def test_relative_paths_from_another_working_directory(tmp_path, scheduler, small_blocks, monkeypatch):
    # The workers started in the repository; the client now runs elsewhere, with relative paths
    # to its policy and data, as with workers on other machines sharing a file system.
    dataset(tmp_path, with_parquet=True)
    (tmp_path / "team.yaml").write_text("extends: [pretrain]\nrules:\n  output-too-short: error\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    local, dask = local_and_dask(scheduler, "--policy", "team.yaml", "-f", "json", ".", "sft.parquet")
    assert dask == local
    assert json.loads(local)["summary"]["records"] > 800


@pytest.mark.parametrize("form", ["name", "relative", "absolute"])
def test_held_out_file_found_whatever_the_path_form(tmp_path, scheduler, small_blocks, monkeypatch, form):
    # The held-out file sits in the client's working directory (or a folder of it), not beside the
    # data: a worker looking it up from its own directory found nothing and dropped every finding.
    (tmp_path / "data").mkdir()
    write_jsonl(tmp_path / "data" / "sft.jsonl", sft_records(200, seed=4))
    (tmp_path / "held").mkdir()
    questions = [{"id": f"v{n}", "question": f"question {n}"} for n in (5, 17, 60)]
    (tmp_path / "held" / "validation.json").write_text(json.dumps(questions), encoding="utf-8")
    against = {"name": "validation.json", "relative": "held/validation.json",
               "absolute": str(tmp_path / "held" / "validation.json")}[form]
    if form == "name":
        (tmp_path / "validation.json").write_text(json.dumps(questions), encoding="utf-8")
    (tmp_path / "team.yaml").write_text(
        f"extends: [pretrain]\nrules:\n  contamination:\n    options: {{against: [{json.dumps(against)}]}}\n",
        encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    local, dask = local_and_dask(scheduler, "--policy", "team.yaml", "-f", "json", "--select", "contamination", "data")
    assert dask == local
    found = [f for f in json.loads(local)["findings"] if f["rule"] == "contamination"]
    assert len(found) > 3 and 'repeats held-out question v5 exactly: "question 5"' in [f["message"] for f in found]


def test_workers_share_the_result_cache(tmp_path, scheduler, small_blocks):
    """Workers on this machine store blocks in its cache (the cluster inherited VGPTLINT_CACHE_DIR) and
    a second run reads them all: same report, no block linted again; --no-cache writes nothing."""
    import os

    results = Path(os.environ["VGPTLINT_CACHE_DIR"]) / "results"

    def blocks() -> set:
        return {p.name for p in results.rglob("b*") if p.is_file()} if results.exists() else set()

    root = dataset(tmp_path, with_parquet=False)
    before = blocks()
    assert check("--engine", "dask", "--scheduler", scheduler, "--policy", "pretrain", "-f", "json", "--no-cache",
                 str(root)) and blocks() == before
    local, first = local_and_dask(scheduler, "--policy", "pretrain", "-f", "json", "--no-cache", str(root))[0], \
        check("--engine", "dask", "--scheduler", scheduler, "--policy", "pretrain", "-f", "json", str(root))
    written = blocks() - before
    assert first == local and written
    second = check("--engine", "dask", "--scheduler", scheduler, "--policy", "pretrain", "-f", "json", str(root))
    assert second == local and blocks() - before == written
