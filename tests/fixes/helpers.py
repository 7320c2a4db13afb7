"""Run the fixer on one file written from bytes; return the new bytes and the run."""
from __future__ import annotations

from pathlib import Path

from vgptlint.api import CheckOptions, fix, prepare
from vgptlint.run.fix_session import FixOptions, FixRun


def fix_bytes(folder: Path, policy: Path, name: str, content: bytes, **options) -> tuple[bytes, FixRun]:
    path = folder / name
    path.write_bytes(content)
    run = fix(prepare((str(path),), CheckOptions(policy=str(policy))), FixOptions(**options))
    return path.read_bytes(), run
