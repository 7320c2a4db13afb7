"""Writes are atomic: a failure anywhere leaves the original untouched; a changed file is refused."""
from __future__ import annotations

import json
import os

import pytest

from tests.fixes.helpers import fix_bytes
from vgptlint.api import CheckOptions, fix, prepare
from vgptlint.fixes import write as write_module
from vgptlint.run.fix_session import FixOptions
from vgptlint.fixes.write import WriteRefused, take_snapshot, write_atomically

CONTENT = (json.dumps({"output": "colour here", "n": 1}) + "\n").encode()


def leftovers(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder) if name.endswith(".vgptlint-tmp"))


@pytest.mark.parametrize("failing", ["fsync", "replace", "chmod"])
def test_a_failure_mid_write_leaves_the_original_untouched(tmp_path, policy_path, monkeypatch, failing):
    def boom(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(write_module.os, failing, boom)
    after, run = fix_bytes(tmp_path, policy_path, "sft.jsonl", CONTENT)
    assert after == CONTENT and leftovers(tmp_path) == [] and run.fixed_count == 0
    assert run.messages == [f"{tmp_path / 'sft.jsonl'}: not fixed: {tmp_path / 'sft.jsonl'}: could not be written "
                            "(Input/output error); the original is unchanged"]


def test_an_interrupt_mid_write_leaves_the_original_untouched(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(CONTENT)

    class Interrupted(BaseException):
        pass

    def interrupt(fd):
        raise Interrupted

    original_fsync = write_module.os.fsync
    write_module.os.fsync = interrupt
    try:
        with pytest.raises(Interrupted):
            write_atomically(str(path), b"new", take_snapshot(str(path)))
    finally:
        write_module.os.fsync = original_fsync
    assert path.read_bytes() == CONTENT and leftovers(tmp_path) == []


def test_a_file_changed_between_read_and_write_is_not_overwritten(tmp_path, policy_path, monkeypatch):
    real = write_module.has_changed

    def someone_edits_it(snapshot):
        with open(snapshot.path, "ab") as stream:
            stream.write(b'{"output": "added meanwhile"}\n')
        return real(snapshot)

    monkeypatch.setattr(write_module, "has_changed", someone_edits_it)
    path = tmp_path / "sft.jsonl"
    after, run = fix_bytes(tmp_path, policy_path, "sft.jsonl", CONTENT)
    assert after == CONTENT + b'{"output": "added meanwhile"}\n' and leftovers(tmp_path) == []
    assert run.messages == [f"{path}: not fixed: {path}: changed on disk since it was read; not overwritten (run again)"]


def test_same_size_same_mtime_edit_is_caught_by_the_hash(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"abc\n")
    snapshot = take_snapshot(str(path))
    path.write_bytes(b"xyz\n")
    os.utime(path, ns=(snapshot.mtime_ns, snapshot.mtime_ns))
    with pytest.raises(WriteRefused, match="changed on disk"):
        write_atomically(str(path), b"new\n", snapshot)
    assert path.read_bytes() == b"xyz\n"


def test_permissions_are_kept_and_symlinks_followed(tmp_path, policy_path):
    real = tmp_path / "real.jsonl"
    real.write_bytes(CONTENT)
    os.chmod(real, 0o640)
    link = tmp_path / "sft.jsonl"
    link.symlink_to(real)
    fix(prepare((str(link),), CheckOptions(policy=str(policy_path))), FixOptions())
    assert link.is_symlink() and real.read_bytes() == CONTENT.replace(b"colour", b"color")
    assert os.stat(real).st_mode & 0o777 == 0o640


def test_a_retry_after_a_failed_write_does_not_reject_the_same_records_again(tmp_path, policy_path, monkeypatch):
    content = b'{"output": "abcd", "n": 2}\n{"output": "ab", "n": 1}\n'
    real_replace = write_module.os.replace

    def dataset_write_fails(source, target):
        if target.endswith("sft.jsonl"):
            raise OSError(28, "No space left on device")
        return real_replace(source, target)

    monkeypatch.setattr(write_module.os, "replace", dataset_write_fails)
    after, run = fix_bytes(tmp_path, policy_path, "sft.jsonl", content, allow_unsafe=True)
    assert after == content and "No space left on device" in run.messages[-1]
    monkeypatch.setattr(write_module.os, "replace", real_replace)
    path = tmp_path / "sft.jsonl"
    run = fix(prepare((str(path),), CheckOptions(policy=str(policy_path))), FixOptions(allow_unsafe=True))
    assert path.read_bytes() == b'{"output": "abcd", "n": 2}\n' and run.fixed_count == 1
    rejects = (tmp_path / "sft.rejected.jsonl").read_text().splitlines()
    assert [json.loads(line)["record"] for line in rejects] == [{"output": "ab", "n": 1}]


def test_temporary_files_left_by_a_killed_run_are_removed(tmp_path, policy_path):
    dead = tmp_path / ".sft.jsonl.999999999-abcd1234.vgptlint-tmp"  # no such process
    old_style = tmp_path / ".sft.jsonl.k3j4h5g6.vgptlint-tmp"  # before the pid was in the name
    live = tmp_path / f".sft.jsonl.{os.getpid()}-abcd1234.vgptlint-tmp"  # a writer still at work
    other = tmp_path / ".other.jsonl.999999999-abcd1234.vgptlint-tmp"  # another file's: not ours to judge
    for temp in (dead, old_style, live, other):
        temp.write_bytes(b"half")
    os.utime(old_style, (0, 0))
    after, _ = fix_bytes(tmp_path, policy_path, "sft.jsonl", CONTENT)
    assert after == CONTENT.replace(b"colour", b"color")
    assert leftovers(tmp_path) == sorted([live.name, other.name])


def test_a_folder_that_refuses_the_temporary_file_is_one_message(tmp_path, policy_path, monkeypatch):
    """A read-only folder (as root, chmod does not refuse anything: the refusal is simulated)."""
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(write_module.tempfile, "mkstemp", refuse)
    after, run = fix_bytes(tmp_path, policy_path, "sft.jsonl", CONTENT)
    path = tmp_path / "sft.jsonl"
    assert after == CONTENT and run.fixed_count == 0
    assert run.messages == [f"{path}: not fixed: {path}: could not be written (Permission denied); the original is unchanged"]
