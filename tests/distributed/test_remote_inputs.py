"""The pieces the Dask engine is built from, without a cluster: JSON Lines blocks that number
records exactly as one pass does, the Parquet reader's positions, and workers refusing a setup
they cannot honour."""
from __future__ import annotations

import io
import json
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.errors import UsageError
from vgptlint.inputs.jsonl import read_jsonl
from vgptlint.inputs.records import InputProblem, Record
from vgptlint.inputs.remote import is_plain_jsonl, jsonl_blocks, read_block

LINES = st.one_of(
    st.just(""), st.just("  \r"), st.just("{broken"), st.just("[1]"), st.just('{"a": "\\u00e9\u00e9"}'),
    st.builds(lambda n: json.dumps({"a": "x" * n}), st.integers(0, 40)),
)


def positions(items) -> list[tuple]:
    return [(type(i).__name__, i.line, i.column, i.index if isinstance(i, Record) else i.record_index,
             getattr(i, "message", None), getattr(i, "data", None)) for i in items]


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(LINES, max_size=40), ends_with_newline=st.booleans(), block_bytes=st.integers(1, 120))
def test_blocks_number_records_as_one_pass_does(tmp_path_factory, lines, ends_with_newline, block_bytes):
    data = ("\n".join(lines) + ("\n" if ends_with_newline and lines else "")).encode()
    path = tmp_path_factory.mktemp("blocks") / "d.jsonl"
    path.write_bytes(data)
    blocks, first = jsonl_blocks(io.BytesIO(data), block_bytes)
    assert [b.start for b in blocks[1:]] == [b.end for b in blocks[:-1]]
    assert (blocks[-1].end if blocks else 0) == len(data)
    whole = list(read_jsonl("d", io.BytesIO(data)))
    assert positions(item for b in blocks for item in read_block(str(path), "d", b)) == positions(whole)
    records = [i for i in whole if isinstance(i, Record)]
    assert first == (records[0].data if records else None)


def test_plain_jsonl_is_told_from_arrays_boms_and_broken_heads():
    assert is_plain_jsonl(io.BytesIO(b'\n{"a": 1}\n'), ".jsonl")
    assert not is_plain_jsonl(io.BytesIO(b'[\n{"a": 1}\n]'), ".json")
    assert not is_plain_jsonl(io.BytesIO(b'\xef\xbb\xbf{"a": 1}\n'), ".jsonl")
    assert not is_plain_jsonl(io.BytesIO(b'{oops\n{"a": 1}\n'), ".jsonl")
    assert not is_plain_jsonl(io.BytesIO(b"  \n"), ".jsonl")


def test_parquet_rows_are_records_at_row_number_plus_one(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import datetime

    import pyarrow.parquet as pq

    from vgptlint.inputs.read import read_source

    table = pa.Table.from_pylist([{"instruction": f"q{i}", "output": "SELECT 1", "at": datetime.date(2024, 1, i + 1)}
                                  for i in range(5)])
    pq.write_table(table, tmp_path / "d.parquet", row_group_size=2)
    records = list(read_source(str(tmp_path / "d.parquet")))
    assert [(r.index, r.line, r.column) for r in records] == [(i, i + 1, 1) for i in range(5)]
    assert records[3].data == {"instruction": "q3", "output": "SELECT 1", "at": "2024-01-04"}
    assert json.loads(records[3].text) == records[3].data
    (tmp_path / "bad.parquet").write_bytes(b"PAR1")
    (problem,) = read_source(str(tmp_path / "bad.parquet"))
    assert isinstance(problem, InputProblem) and problem.message.startswith("is not a readable Parquet file")


def worker_side(**changes):
    """A setup as a Dask worker receives it: references only, nothing compiled."""
    from vgptlint.run.setup import RunSetup

    return pickle.loads(pickle.dumps(RunSetup(**{"policy": "pretrain", "run_id": "test", **changes})))


def test_workers_refuse_another_version_or_policy():
    from vgptlint.run.setup import compiled

    with pytest.raises(UsageError, match="install the same version on every worker"):
        compiled(worker_side(version="0.0.0"))
    with pytest.raises(UsageError, match="other rules than this machine"):
        compiled(worker_side(rule_ids=("no-such-rule",)))
    with pytest.raises(UsageError, match='cannot load policy "/nonexistent.yaml"'):
        compiled(worker_side(policy="/nonexistent.yaml"))
