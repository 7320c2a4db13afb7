"""Writes are atomic: a failure anywhere leaves the original untouched; a changed file is refused."""
from __future__ import annotations

import json
import os

import pytest

from tests.fixes.helpers import fix_bytes
from vgptlint.fixes import write as write_module
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
    from vgptlint.api import CheckOptions, fix, prepare
    from vgptlint.fixes.session import FixOptions

    fix(prepare((str(link),), CheckOptions(policy=str(policy_path))), FixOptions())
    assert link.is_symlink() and real.read_bytes() == CONTENT.replace(b"colour", b"color")
    assert os.stat(real).st_mode & 0o777 == 0o640
