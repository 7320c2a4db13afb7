"""Fuzz: hostile data files, SQL-like text, policies, registries, training configs and catalogs never
make vgptlint crash or hang.

Whatever hypothesis generates (tests/fuzz_strategies.py), a run ends with exit 0, 1 or 2 and its own
messages: never a traceback, never "internal error". Each run must also finish within a generous
budget (seconds, not the milliseconds it takes): a guard against hangs and blow-ups, not a timing
assertion.

In the suite the examples are few and derandomized: every run tries the same ones, so the suite
cannot fail on an example nobody has seen (a new example appears only when a strategy, hypothesis
or Python changes, in the commit that changes it). The deep fuzz is a separate command that draws
new examples every time and keeps failures in hypothesis's example database to replay them:

    VGPTLINT_FUZZ_EXAMPLES=2000 python -m pytest tests/test_fuzz_hostile.py -p no:cacheprovider

Each failure it finds becomes a regression test (a policy case or a CLI test) and is fixed.
"""
from __future__ import annotations

import json
import os
import time

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz_strategies import CATALOGS, CSV_CATALOGS, HOSTILE_FILES, POLICIES, RECORDS, REGISTRIES, TRAIN_CONFIGS
from vgptlint.commands.cli import main

BUDGET_SECONDS = 60  # a hang or an exponential case blows far past this; a slow machine does not
DEEP_EXAMPLES = int(os.environ.get("VGPTLINT_FUZZ_EXAMPLES") or 0)
FUZZ = settings(max_examples=DEEP_EXAMPLES or 12, derandomize=not DEEP_EXAMPLES, deadline=None,
                print_blob=bool(DEEP_EXAMPLES),
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])


def run(*args: str):
    started = time.monotonic()
    result = CliRunner().invoke(main, list(args))
    elapsed = time.monotonic() - started
    output = result.output
    assert result.exit_code in (0, 1, 2), (result.exit_code, output, result.exception)
    assert "internal error" not in output and "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert elapsed < BUDGET_SECONDS, f"took {elapsed:.0f} s"
    return result


@FUZZ
@given(content=HOSTILE_FILES, suffix=st.sampled_from([".jsonl", ".json"]))
def test_hostile_data_files(tmp_path_factory, content, suffix):
    folder = tmp_path_factory.mktemp("data")
    path = folder / f"data{suffix}"
    path.write_bytes(content)
    run("check", "--policy", "pretrain", "-f", "json", str(path))


@FUZZ
@given(content=HOSTILE_FILES)
def test_hostile_data_files_with_fixes(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("fix")
    path = folder / "data.jsonl"
    path.write_bytes(content)
    run("check", "--policy", "pretrain", "--fix", "--unsafe-fixes", str(path))


@FUZZ
@given(policy=POLICIES, raw_tail=st.sampled_from(["", "", "", "\nx: &a [1]\ny: [*a, *a]\n", "\n: :\n", "\n\t- bad", "\n" + "[" * 500]),
       records=st.lists(RECORDS, max_size=3))
def test_hostile_policies(tmp_path_factory, policy, raw_tail, records):
    folder = tmp_path_factory.mktemp("policy")
    (folder / "policy.yaml").write_text(json.dumps(policy) + raw_tail)  # JSON is YAML
    good = [{"instruction": "q", "input": "", "output": "SELECT a FROM APTH"}, {"instruction": "Which table?", "input": "",
            "output": "I cannot answer that."}, {"instruction": "q", "input": "", "chosen": "SELECT 1", "rejected": "x"}]
    (folder / "sft.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in good + records) + "\n",
                                      encoding="utf-8", errors="surrogatepass")
    run("check", "--policy", str(folder / "policy.yaml"), "--fix", "--unsafe-fixes", str(folder / "sft.jsonl"))


def _write_yaml(path, value) -> None:
    path.write_text(json.dumps(value, ensure_ascii=False) if value is not None else "", encoding="utf-8",
                    errors="surrogatepass")  # JSON is YAML


@FUZZ
@given(registry=REGISTRIES, config=TRAIN_CONFIGS, records=st.lists(RECORDS, max_size=4), suffix=st.sampled_from([".jsonl", ".json"]))
def test_hostile_registries_and_training_configs(tmp_path_factory, registry, config, records, suffix):
    folder = tmp_path_factory.mktemp("lf")
    data = folder / "data"
    data.mkdir()
    lines = [json.dumps(record, ensure_ascii=False) for record in records]
    (data / f"data{suffix}").write_text("\n".join(lines) if suffix == ".jsonl" else "[" + ",".join(lines) + "]",
                                        encoding="utf-8", errors="surrogatepass")
    _write_yaml(data / "dataset_info.json", registry)
    _write_yaml(folder / "run.yaml", config)
    run("check", "--policy", "pretrain", "--dataset-info", str(data / "dataset_info.json"), str(data))
    previous = os.getcwd()
    os.chdir(folder)  # dataset_dir is relative to where the training run starts
    try:
        run("check", "--policy", "pretrain", "--train-config", "run.yaml", "--tokenizer", str(folder / "no-tokenizer"))
    finally:
        os.chdir(previous)


@FUZZ
@given(catalog=st.one_of(CATALOGS, CSV_CATALOGS), records=st.lists(RECORDS, min_size=1, max_size=3))
def test_hostile_catalogs(tmp_path_factory, catalog, records):
    folder = tmp_path_factory.mktemp("catalog")
    if isinstance(catalog, str):  # INFORMATION_SCHEMA.COLUMNS as CSV
        (folder / "catalog.csv").write_text(catalog, encoding="utf-8", errors="surrogatepass")
        catalog_path = folder / "catalog.csv"
    else:
        catalog_path = folder / "catalog.yaml"
        _write_yaml(catalog_path, catalog)
    (folder / "sft.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8",
                                      errors="surrogatepass")
    run("check", "--policy", "pretrain", "--catalog", str(catalog_path), str(folder / "sft.jsonl"))
