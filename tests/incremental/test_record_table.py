"""The record table: a rerun lints only the records it has not seen, wherever they are in the file, and
reports what a run without the cache reports; JSON Lines records it has seen are not even decoded."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.incremental.test_cached_runs import CATALOG, DPO, SFT, cache_dir, lint, policy_text, write_project  # noqa: F401
from vgptlint.incremental import records, tables
from vgptlint.inputs import jsonl
from vgptlint.inputs.jsonl import read_jsonl
from vgptlint.inputs.records import GROUP_LINES, KnownRecord, KnownRecords, KnownRun, Record, record_digest


@pytest.fixture
def linted(monkeypatch) -> list[int]:
    """The indexes of the records the record table had to lint, run after run."""
    seen: list[int] = []
    lint_source = records.lint_source

    def counting(setup, source, sink, rows=None, absorb=True):
        items = list(source.records)
        seen.extend(item.index for item in items if isinstance(item, Record))
        return lint_source(setup, type(source)(source.run, items), sink, rows, absorb)

    monkeypatch.setattr(records, "lint_source", counting)
    return seen


def test_a_changed_record_is_the_only_one_linted_again(tmp_path, cache_dir, linted):
    rows = SFT * 2
    write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    linted.clear()
    rows[20] = {**rows[20], "output": rows[20]["output"] + " Filter on APCo."}
    write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert linted == [20]


def test_records_moved_by_an_insert_are_reported_at_their_new_place(tmp_path, cache_dir, linted):
    """An insert moves every later record down a line (JSON Lines) or many (an indented array): their
    findings move with them, and only the new record is linted."""
    write_project(tmp_path, SFT * 2, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    linted.clear()
    new = {"instruction": "List every job", "input": "", "output": "```sql\nSELECT * FROM JCJM\n```"}
    dpo_new = {**DPO[0], "chosen": DPO[0]["chosen"] + " Filter on JCCo."}
    write_project(tmp_path, [new, *SFT * 2], [dpo_new, *DPO], policy_text(), CATALOG)
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert sorted(linted) == [0, 0]  # one record of each file
    for report in ("text", "sarif"):  # (text reports verify fixes later: an evaluation of their own)
        assert lint(tmp_path, report=report) == lint(tmp_path, "--no-cache", report=report)


def test_a_record_with_an_input_warning_is_read_on_every_run(tmp_path, cache_dir, linted):
    """A non-JSON number is a warning beside its record: a rerun must decode the line to say it again."""
    write_project(tmp_path, SFT, DPO, policy_text(), CATALOG)
    sft = tmp_path / "data" / "sft.jsonl"
    lines = sft.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace('"input": ""', '"input": "", "weight": NaN')
    sft.write_text("".join(lines))
    cold = lint(tmp_path, "--no-cache", report="text")
    assert "NaN" in cold
    assert lint(tmp_path, report="text") == cold
    linted.clear()
    lines[0] = lines[0].replace('"input": ""', '"input": "context"')
    sft.write_text("".join(lines))
    assert lint(tmp_path, report="text") == lint(tmp_path, "--no-cache", report="text")
    assert sorted(linted) == [0, 3]


def test_a_table_from_another_policy_is_never_read(tmp_path, cache_dir, linted):
    write_project(tmp_path, SFT, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    (tmp_path / "team.yaml").write_text(policy_text(too_short_min=20))  # a record rule of SFT files
    linted.clear()
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert linted == list(range(len(SFT)))  # the DPO file's rules are unchanged: replayed whole


# ------------------------------------------------------------------------ the JSON Lines reader

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3),
                           max_leaves=4)
lines_of_records = st.lists(st.tuples(st.dictionaries(st.text(max_size=6), json_values, max_size=3),
                                      st.sampled_from(["", " ", "\t "]), st.sampled_from(["\n", "\r\n", " \n"]),
                                      st.booleans()), max_size=3 * GROUP_LINES)


@settings(max_examples=60, deadline=None)
@given(lines=lines_of_records, blank_lines=st.lists(st.integers(0, 3 * GROUP_LINES), max_size=3), known_seed=st.randoms())
def test_known_lines_are_skipped_and_every_other_record_is_read_as_before(lines, blank_lines, known_seed):
    """Records (and whole groups of lines) whose digest is known come back as KnownRecord (KnownRun) at
    the index, line and column a full read gives them; every other record (and its offset in the text)
    is exactly what a full read gives."""
    raw = [indent.encode() + json.dumps(record, ensure_ascii=ascii_only).encode() + end.encode()
           for record, indent, end, ascii_only in lines]
    for at in sorted(blank_lines, reverse=True):
        raw.insert(min(at, len(raw)), b"  \n")
    first_read = KnownRecords()
    full = [item for item in read_jsonl("f.jsonl", raw, known=first_read) if isinstance(item, Record)]
    by_line = {record.line: number for number, record in enumerate(full)}
    digests = {record_digest(r.column, r.text.encode()): n for n, r in enumerate(full) if known_seed.random() < 0.5}
    # a group is known when its lines hold GROUP_LINES records (what the record table keeps)
    groups = {digest: by_line[first] for first, digest in first_read.seen_groups
              if all(first + k in by_line for k in range(GROUP_LINES)) and known_seed.random() < 0.7}
    read = []
    for item in read_jsonl("f.jsonl", raw, known=KnownRecords(digests, groups)):
        if isinstance(item, KnownRun):
            assert item.number in groups.values()
            read += [("run", item.index + k, item.line + k, item.number + k) for k in range(GROUP_LINES)]
        else:
            read.append(item)
    assert len(read) == len(full)
    for number, (item, record) in enumerate(zip(read, full)):
        if isinstance(item, KnownRecord):
            assert record_digest(record.column, record.text.encode()) in digests
            assert (item.index, item.line, item.column) == (record.index, record.line, record.column)
        elif isinstance(item, tuple) and item[0] == "run":
            assert item[1:] == (record.index, record.line, number)
        else:
            assert item == record


def test_a_group_of_lines_read_before_is_one_item():
    raw = [json.dumps({"instruction": f"q{n}", "output": "a" * n}).encode() + b"\n" for n in range(3 * GROUP_LINES + 5)]
    first_read = KnownRecords()
    full = [item for item in read_jsonl("f.jsonl", raw, known=first_read) if isinstance(item, Record)]
    groups = {digest: first - 1 for first, digest in first_read.seen_groups}
    assert len(groups) == 3
    raw[GROUP_LINES + 3] = b'{"instruction": "changed"}\n'
    read = list(read_jsonl("f.jsonl", raw, known=KnownRecords({}, groups)))
    assert [type(item).__name__ for item in read[:2]] == ["KnownRun", "Record"]
    assert read[0] == KnownRun(0, 1, 0)
    assert read[1 + GROUP_LINES] == KnownRun(2 * GROUP_LINES, 2 * GROUP_LINES + 1, 2 * GROUP_LINES)
    edited = {r.index: r for r in read_jsonl("f.jsonl", raw)}
    records = [r for r in read if isinstance(r, Record)]
    # the changed group and the last, shorter one are read line by line
    assert [r.index for r in records] == [*range(GROUP_LINES, 2 * GROUP_LINES), *range(3 * GROUP_LINES, 3 * GROUP_LINES + 5)]
    assert all(r == edited[r.index] for r in records)  # offsets too, after a known group


def test_a_bound_changed_on_an_older_version_of_a_file_never_reads_a_newer_table(tmp_path, cache_dir, linted):
    """The table holds the file's last version; a rule re-decided for a version seen before (its whole-file
    entry found) must not take its state from it."""
    rows = SFT  # each record once: a record of the older version is not found elsewhere in the table
    write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    changed = [*rows[:5], {**rows[5], "output": "Yes."}, *rows[6:]]
    write_project(tmp_path, changed, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    write_project(tmp_path, rows, DPO, policy_text(short_max=0.3, duplicates_max=0.5), CATALOG)
    linted.clear()
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert linted == [5]  # the table's version differs in one record: that one is linted, not all


@pytest.mark.parametrize("harm", ["removed", "corrupt"])
def test_a_table_whose_chunk_is_gone_is_not_used(tmp_path, cache_dir, linted, harm):
    """A chunk its head names can be gone (pruned, or removed by another run storing the same file's
    table) or unreadable: the rerun finds out midway, reads the file again and lints every record."""
    write_project(tmp_path, SFT, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    chunks = [p for p in (cache_dir / "results").rglob("t*-1-0-*") if p.is_file()]
    assert chunks  # the first chunk of the first rule's column of each file's table
    for chunk in chunks:
        if harm == "removed":
            chunk.unlink()
        else:
            chunk.write_bytes(chunk.read_bytes()[:-1] + b"?")  # its digest no longer matches
    rows = [*SFT[:3], {**SFT[3], "output": "Yes."}, *SFT[4:]]
    write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
    linted.clear()
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert linted == [3, *range(len(SFT))]  # the edited record, then (the table lost) every record
    linted.clear()
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert linted == []  # the table stored by that run is whole


def test_a_table_keeps_two_versions_and_removes_the_chunks_of_older_ones(tmp_path, cache_dir):
    """Chunks are stored under stamped keys (a reader never mixes versions); a table keeps the version
    its last rerun made and the one it started from, and removes the chunks only older versions name,
    so reruns after edits do not grow the cache."""
    write_project(tmp_path, SFT, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    stored = []
    for number in range(4):
        rows = [*SFT[:3], {**SFT[3], "output": f"Yes, {number}."}, *SFT[4:]]
        write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
        assert lint(tmp_path) == lint(tmp_path, "--no-cache")
        stored.append({p.name for p in (cache_dir / "results").rglob("t*-*-*-*") if p.is_file()})
    sizes = [len(chunks) for chunks in stored]
    assert sizes[1:] == [sizes[1]] * 3 and sizes[1] <= sizes[0]  # two versions' chunks, never more
    assert stored[0] != stored[1] != stored[2] != stored[3]  # each rerun replaced chunks


def test_an_edit_after_an_undo_is_linted_against_the_undone_records(tmp_path, cache_dir, linted):
    """A whole-file hit on the previous version's bytes (an edit undone, a branch checked out again)
    makes that version current: the next edit lints only its own record, not the undone ones too."""
    write_project(tmp_path, SFT, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    edited = [*SFT[:3], {**SFT[3], "output": "Yes, edited."}, *SFT[4:]]
    write_project(tmp_path, edited, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    write_project(tmp_path, SFT, DPO, policy_text(), CATALOG)  # undone
    linted.clear()
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert linted == []  # its whole-file entry
    write_project(tmp_path, [*SFT[:5], {**SFT[5], "output": "Yes, another."}, *SFT[6:]], DPO, policy_text(), CATALOG)
    linted.clear()
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert linted == [5]


def test_going_back_and_forth_between_two_versions_reads_whole_file_entries(tmp_path, cache_dir, linted):
    write_project(tmp_path, SFT, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    edited = [*SFT[:3], {**SFT[3], "output": "Yes, edited."}, *SFT[4:]]
    for rows in (edited, SFT, edited, SFT):
        write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
        linted.clear()
        report = lint(tmp_path)
        assert report == lint(tmp_path, "--no-cache")
    assert linted == []  # the last switch back: a whole-file hit, as every switch after the first two
    write_project(tmp_path, [*edited[:6], {**edited[6], "output": "Yes, a third."}, *edited[7:]], DPO, policy_text(),
                  CATALOG)
    linted.clear()
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert linted == [3, 6]  # against SFT, the current version: the edited record and the new one


def test_a_problem_of_every_record_is_one_finding_after_a_rerun(tmp_path, cache_dir, linted):
    """File-wide problems are found following a file's findings in record order: a rerun replays the
    cached records' findings and the relinted ones in that order, so they collapse as in a cold run."""
    policy = policy_text().replace("rules:\n", "rules:\n  input-empty: warning\n")
    rows = [{**record, "input": ""} for record in SFT]
    write_project(tmp_path, rows, DPO, policy, CATALOG)
    cold = lint(tmp_path, "--no-cache", report="text")
    assert f"(in all {len(SFT)} records of this file)" in cold
    assert lint(tmp_path, report="text") == cold
    rows[7] = {**rows[7], "output": rows[7]["output"] + " Filter on APCo."}
    write_project(tmp_path, rows, DPO, policy, CATALOG)
    linted.clear()
    assert lint(tmp_path, report="text") == lint(tmp_path, "--no-cache", report="text")
    assert linted == [7]


def test_long_lines_are_never_grouped(monkeypatch):
    """A group holds at most GROUP_BYTES: a file of long lines is read line by line, whatever is known."""
    monkeypatch.setattr(jsonl, "GROUP_BYTES", 200)
    raw = [json.dumps({"instruction": f"q{n}", "output": "a" * (5 if n % 7 else 300)}).encode() + b"\n"
           for n in range(3 * GROUP_LINES)]
    first_read = KnownRecords()
    full = [item for item in read_jsonl("f.jsonl", raw, known=first_read) if isinstance(item, Record)]
    assert first_read.seen_groups == []  # every 32 lines hold a long one
    digests = {record_digest(r.column, r.text.encode()): n for n, r in enumerate(full)}
    read = list(read_jsonl("f.jsonl", raw, known=KnownRecords(digests, {})))
    assert [(r.index, r.line, r.column) for r in read] == [(r.index, r.line, r.column) for r in full]
    assert all(isinstance(item, KnownRecord) for item in read)


def test_tables_in_many_chunks(tmp_path, cache_dir, linted, monkeypatch):
    """Chunks of a few records: a first run stores them as they fill, a rerun writes the changed ones,
    misses are linted a chunk at a time, and a changed bound reads one column's chunks."""
    monkeypatch.setattr(tables, "RECORDS_PER_PIECE", 5)
    rows = [{**record, "instruction": f"{record.get('instruction', '')} ({number})"} for number, record in enumerate(SFT * 2)]
    write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    rows = [rows[1], *rows[:1], *(dict(r, instruction=r["instruction"] + " Filter on APCo.") if n % 4 == 0 else r
                                  for n, r in enumerate(rows[2:]))]
    write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
    linted.clear()
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert linted == [n + 2 for n in range(len(rows) - 2) if n % 4 == 0]  # the first two only swapped places
    write_project(tmp_path, rows, DPO, policy_text(short_max=0.3, duplicates_max=0.5), CATALOG)
    linted.clear()
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert linted == []


def test_a_rerun_absorbs_only_the_chunks_an_edit_changed(tmp_path, cache_dir, monkeypatch):
    """Each dataset rule's state is kept per chunk of the table: after an edit in one chunk, the other
    chunks' states are read as they were stored, and only the edited chunk's observations are absorbed
    (the report still equals a run without the cache)."""
    monkeypatch.setattr(tables, "RECORDS_PER_PIECE", 5)
    rows = [{**record, "instruction": f"{record.get('instruction', '')} ({number})"} for number, record in enumerate(SFT * 2)]
    write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
    lint(tmp_path)
    absorbed_counts: list[tuple[str, int]] = []
    absorbed = records.absorbed

    def counting(rule, state, observations, refs):
        absorbed_counts.append((rule.id, len(observations)))
        return absorbed(rule, state, observations, refs)
    monkeypatch.setattr(records, "absorbed", counting)
    rows[7] = dict(rows[7], output=rows[7]["output"] + " (edited)")
    write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    rule_ids = [rule_id for rule_id, _ in absorbed_counts]
    assert len(rows) > 10 and rule_ids and len(set(rule_ids)) == len(rule_ids)  # per rule, one chunk
    assert {count for _, count in absorbed_counts} == {5}  # the edited one
    # a rule that keeps nothing the edit changed (whether an input is used) reads that chunk's stored state
    assert "duplicate-records" in rule_ids and "input-usage" not in rule_ids


def test_a_state_that_is_its_column_is_rebuilt_not_stored(tmp_path, cache_dir, monkeypatch):
    """The duplicate rules' states hold their observations whole: the table stores their columns only,
    and rebuilds a chunk's state from its column where a rerun or a changed bound needs it."""
    monkeypatch.setattr(tables, "RECORDS_PER_PIECE", 5)
    stamps: dict[str, set[bytes]] = {}
    store_state = tables.store_state

    def noting(store, key, rule, number, chunk, state):
        stamp = store_state(store, key, rule, number, chunk, state)
        stamps.setdefault(rule.id, set()).add(stamp)
        return stamp
    monkeypatch.setattr(records, "store_state", noting)
    rows = [{**record, "instruction": f"{record.get('instruction', '')} ({number})"} for number, record in enumerate(SFT * 2)]
    rows[12] = dict(rows[3])  # a copy, in another chunk
    write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    assert stamps["duplicate-records"] == stamps["near-duplicate-records"] == {tables.NOT_STORED}
    assert tables.NOT_STORED not in stamps["short-output-share"] and len(stamps["short-output-share"]) > 2
    rows[3] = dict(rows[3], output=rows[3]["output"] + " (edited)")  # the copy's first: the copy is gone
    write_project(tmp_path, rows, DPO, policy_text(), CATALOG)
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    write_project(tmp_path, rows, DPO, policy_text(duplicates_max=0.5), CATALOG)
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
    # a column gone when a bound changes: the state cannot be rebuilt, so the file is linted again
    for chunk in (cache_dir / "results").rglob("t*-*-*-*"):
        chunk.unlink()
    write_project(tmp_path, rows, DPO, policy_text(duplicates_max=0.3), CATALOG)
    assert lint(tmp_path) == lint(tmp_path, "--no-cache")
