"""--jobs N gives byte-identical reports to --jobs 1, for JSON Lines split by byte ranges and for
JSON arrays sent in record chunks; the byte-range bookkeeping keeps lines and record indexes exact."""
from __future__ import annotations

import json
import random

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.run import parallel
from vgptlint.commands.cli import main


def records(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for index in range(count):
        output = rng.choice([
            "APCo",
            "There is no table named Vendors in Viewpoint; vendors are in APVM, keyed by VendorGroup and Vendor.",
            "```sql\nSELECT APRef FROM APTH WHERE APCo = 1\n```",
            "APTH holds AP transaction headers keyed by APCo, Mth and APTrans; APTL holds their lines." * rng.randint(1, 3),
        ])
        rows.append({"instruction": f"question {index}", "input": "", "output": output})
    return rows


@pytest.fixture
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_PARALLEL_BYTES", 0)
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1)
    monkeypatch.setattr(parallel, "RECORDS_PER_CHUNK", 7)


def run(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", "--policy", "pretrain", "-f", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_jobs_give_identical_reports(tmp_path, tiny_chunks):
    rows = records(120, seed=1)
    jsonl = tmp_path / "sft.jsonl"
    # blank lines and a broken line must not shift record indexes or line numbers between ranges
    lines = [json.dumps(r) for r in rows]
    lines[10:10] = ["", "   "]
    lines[40] = "{broken"
    jsonl.write_text("\n".join(lines) + "\n")
    (tmp_path / "kto.json").write_text(json.dumps([{**r, "label": "true"} for r in rows[:50]], indent=2))
    one = run("--jobs", "1", str(tmp_path))
    two = run("--jobs", "2", str(tmp_path))
    assert one == two
    assert json.loads(one)["summary"]["records"] == 169


def test_ranges_cover_the_file_with_exact_starts(tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "MIN_RANGE_BYTES", 1)
    path = tmp_path / "d.jsonl"
    lines = ['{"a": 1}', "", '{"a": 2}', "  ", '{"a": 3}', '{"a": 4}']
    path.write_text("\n".join(lines))  # no trailing newline
    ranges = parallel.jsonl_ranges(str(path), pieces=4)
    assert ranges[0].start == 0 and ranges[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in zip(ranges, ranges[1:]))
    data = path.read_bytes()
    for byte_range in ranges:
        assert byte_range.first_line == data[: byte_range.start].count(b"\n") + 1
        before = data[: byte_range.start].decode().split("\n")[:-1]
        assert byte_range.first_index == sum(1 for line in before if line.strip())


def reference_ranges(data: bytes, count: int) -> list[tuple[int, int, int, int]]:
    """The ranges computed from the whole file in memory, as the parent once did."""
    size = len(data)
    bounds = [0]
    for k in range(1, count):
        cut = data.find(b"\n", k * size // count)
        if cut == -1:
            break
        if cut + 1 > bounds[-1]:
            bounds.append(cut + 1)
    bounds.append(size)
    ranges, line, index = [], 1, 0
    for start, end in zip(bounds, bounds[1:]):
        if end <= start:
            continue
        ranges.append((start, end, line, index))
        newlines = data.count(b"\n", start, end)
        blank = len(parallel._BLANK_LINE.findall(data, start, end))
        tail_is_record = end == size and not data.endswith(b"\n") and data[data.rfind(b"\n") + 1:].strip() != b""
        line += newlines
        index += newlines - blank + (1 if tail_is_record else 0)
    return ranges


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(['{"a": 1}', '{"text": "a longer record"}', "", "  ", "\t\r"]), min_size=1, max_size=40),
       st.booleans(), st.integers(1, 9), st.integers(1, 8))
def test_ranges_are_counted_a_block_at_a_time(tmp_path_factory, lines, trailing_newline, block_bytes, pieces):
    lines[0] = '{"first": true}'
    path = tmp_path_factory.mktemp("ranges") / "d.jsonl"
    path.write_bytes(("\n".join(lines) + ("\n" if trailing_newline else "")).encode())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parallel, "MIN_RANGE_BYTES", 1)
        patch.setattr(parallel, "COUNT_BLOCK_BYTES", block_bytes)
        ranges = parallel.jsonl_ranges(str(path), pieces=pieces)
    data = path.read_bytes()
    expected = reference_ranges(data, max(1, min(pieces, len(data))))
    assert [(r.start, r.end, r.first_line, r.first_index) for r in ranges] == expected
