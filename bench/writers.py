"""Streaming writers: a JSON array laid out exactly like `json.dump(records, f, indent=2, ensure_ascii=False)`
(LLaMA-Factory's demo files), and JSON Lines. Neither holds more than one record in memory.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import IO


_encode = json.JSONEncoder(ensure_ascii=False).encode  # compact, C-accelerated for scalars


def _indented_record(record: dict) -> str:
    """One array element as json.dump(..., indent=2) lays it out (element indent 2, keys indent 4).

    `indent` switches json to its pure-Python encoder; flat records (every value a scalar) are laid out by
    hand with the C encoder instead, which is byte-identical and several times faster.
    """
    if all(isinstance(v, (str, int, float, bool)) or v is None for v in record.values()):
        body = ",\n".join(f"    {_encode(k)}: {_encode(v)}" for k, v in record.items())
        return "  {\n" + body + "\n  }" if record else "  {}"
    # String values never contain a raw newline (JSON escapes it), so this only re-indents the layout.
    return "  " + json.dumps(record, indent=2, ensure_ascii=False).replace("\n", "\n  ")


class RecordWriter:
    """Writes the same records to `<stem>.json` and/or `<stem>.jsonl` under `outdir`."""

    def __init__(self, outdir: Path, stem: str, formats: tuple[str, ...]) -> None:
        self._array: IO[str] | None = None
        self._lines: IO[str] | None = None
        self.paths: list[Path] = []
        if "json" in formats:
            path = outdir / f"{stem}.json"
            self._array = path.open("w", encoding="utf-8", newline="\n")
            self.paths.append(path)
        if "jsonl" in formats:
            path = outdir / f"{stem}.jsonl"
            self._lines = path.open("w", encoding="utf-8", newline="\n")
            self.paths.append(path)
        self.count = 0

    def write(self, record: dict) -> None:
        if self._array is not None:
            self._array.write(("[\n" if self.count == 0 else ",\n") + _indented_record(record))
        if self._lines is not None:
            self._lines.write(_encode(record) + "\n")
        self.count += 1

    def close(self) -> None:
        if self._array is not None:
            self._array.write("\n]" if self.count else "[]")
            self._array.close()
        if self._lines is not None:
            self._lines.close()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def write_json(path: Path, value: object) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as f:
        json.dump(value, f, indent=2, ensure_ascii=False)
        f.write("\n")
