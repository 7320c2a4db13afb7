"""Inputs anywhere fsspec reaches (``s3://``, ``gs://``, ``file://``, local paths), for ``--engine dask``.

Three jobs: expand command-line arguments that are URLs into files (:func:`discover_inputs`;
plain paths go through :func:`vgptlint.inputs.discover.discover`, so they are listed exactly as
the local engine lists them), open a file for reading wherever it is (:func:`open_binary`), and cut
a JSON Lines file into newline-aligned blocks that remember the line and record index they start
at (:func:`jsonl_blocks`), so that workers can read the blocks independently and still report
exact positions.
"""
from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from vgptlint.inputs.discover import Discovery, discover, is_dataset_file
from vgptlint.inputs.jsonl import read_jsonl
from vgptlint.inputs.parquet import PARQUET_SUFFIX
from vgptlint.inputs.records import InputProblem, Record
from vgptlint.inputs.style import line_is_json, sniff_format
from vgptlint.inputs.text import FOREIGN_BOMS, JSON_WHITESPACE, UTF8_BOM

_GLOB_CHARS = frozenset("*?[")
_BLANK = JSON_WHITESPACE.encode()
# A blank line, as read_jsonl sees one: only spaces, tabs and carriage returns before its newline.
_BLANK_LINE = re.compile(rb"(?m)^[ \t\r]*\n")
_READ_SIZE = 1 << 20


@dataclass(frozen=True, slots=True)
class Block:
    """Bytes ``[start, end)`` of a JSON Lines file; its first line number and first record index."""

    start: int
    end: int
    first_line: int
    first_index: int


def is_url(argument: str) -> bool:
    """
    >>> is_url("s3://bucket/a.jsonl"), is_url("simplecache::s3://b/a"), is_url("data/a.jsonl")
    (True, True, False)
    """
    return "://" in argument or "::" in argument


def open_binary(path: str) -> BinaryIO:
    """A binary file object for a local path or an fsspec URL."""
    if is_url(path):
        import fsspec

        return fsspec.open(path, "rb").open()
    return open(path, "rb")


def file_size(path: str) -> int:
    if is_url(path):
        from fsspec.core import url_to_fs

        fs, inner = url_to_fs(path)
        return int(fs.size(inner))

    return os.path.getsize(path)


def is_remote_dataset(name: str) -> bool:
    """What a walk or glob of object storage lints: what the local walk lints, and Parquet files.

    >>> is_remote_dataset("b/train-0001.parquet"), is_remote_dataset("b/.part.jsonl"), is_remote_dataset("b/x.csv")
    (True, False, False)
    """
    path = Path(PurePosixPath(name).name)
    if path.suffix.lower() == PARQUET_SUFFIX:
        return not path.name.startswith(".")
    return is_dataset_file(path)


# ------------------------------------------------------------------------------- listing

def discover_inputs(arguments: Sequence[str]) -> Discovery:
    """Like :func:`discover`, but arguments may be fsspec URLs (with globs, or naming a prefix).

    URL matches are shown as full URLs (``s3://bucket/data/part-0.jsonl``), sorted per argument.
    """
    paths: dict[str, None] = {}
    problems: list[InputProblem] = []
    for argument in arguments:
        if is_url(argument):
            found, problem = _expand_url(argument)
            paths.update(dict.fromkeys(found))
            problems.extend([problem] if problem is not None else [])
        else:
            local = discover([argument])
            paths.update(dict.fromkeys(local.paths))
            problems.extend(local.problems)
    return Discovery(tuple(paths), tuple(problems))


def _expand_url(argument: str) -> tuple[list[str], InputProblem | None]:
    from fsspec.core import url_to_fs

    try:
        fs, inner = url_to_fs(argument)
        if _GLOB_CHARS & set(inner):
            listing = fs.glob(inner, detail=True)
        elif fs.isdir(inner):
            listing = fs.find(inner, detail=True)
        elif fs.exists(inner):
            return [argument], None
        else:
            return [], InputProblem(argument, 1, 1, "no such file or directory", None, "error", "missing")
    except Exception as err:  # credentials, network, an unknown protocol: say so, located at the argument
        return [], InputProblem(argument, 1, 1, f"cannot be listed: {type(err).__name__}: {err}", None, "error",
                                "unreadable")
    found = sorted(fs.unstrip_protocol(name) for name, info in listing.items()
                   if info.get("type") == "file" and is_remote_dataset(name) and not _in_hidden_directory(name))
    if not found:
        return [], InputProblem(argument, 1, 1, "matches no dataset file (.json, .jsonl, .parquet)", None, "error",
                                "no-match")
    return found, None


def _in_hidden_directory(name: str) -> bool:
    return any(part.startswith(".") for part in PurePosixPath(name).parts[:-1])


# ------------------------------------------------------------------------------- JSON Lines blocks

def is_plain_jsonl(stream: BinaryIO, suffix: str) -> bool:
    """Whether the stream is JSON Lines the way ``read_stream`` decides it, with no BOM.

    Anything else (a JSON array, a byte order mark, a first line that is not JSON, an empty
    file) is read whole by one worker, through the same reader as the local engine.
    """
    for number, raw in enumerate(stream):
        if number == 0 and (raw.startswith(UTF8_BOM) or any(raw.startswith(bom) for bom, _ in FOREIGN_BOMS)):
            return False
        if raw.strip(_BLANK):
            return sniff_format(raw, suffix) == "jsonl" and line_is_json(raw)
    return False


def jsonl_blocks(stream: BinaryIO, block_bytes: int) -> tuple[list[Block], object | None]:
    """Newline-aligned blocks of at least ``block_bytes`` each (but the last), and the first record's data.

    Reads the stream once, a block at a time, so memory stays about one block. Counting follows
    :func:`read_jsonl`: every line counts for line numbers; non-blank lines (broken ones too)
    count as records.
    """
    blocks: list[Block] = []
    first_data: object | None = None
    position, line, index = 0, 1, 0
    pending = b""
    while True:
        data = stream.read(block_bytes)
        at_end = not data
        pending += data
        if not at_end and len(pending) < block_bytes:
            continue
        cut = len(pending) if at_end else pending.rfind(b"\n") + 1
        if cut == 0 and not at_end:
            continue  # a line longer than a block: keep reading until it ends
        body, pending = pending[:cut], pending[cut:]
        if body:
            blocks.append(Block(position, position + len(body), line, index))
            if first_data is None:
                first_data = _first_record_data(body)
            newlines = body.count(b"\n")
            blank = len(_BLANK_LINE.findall(body))
            position, line, index = position + len(body), line + newlines, index + newlines - blank
        if at_end:
            return blocks, first_data


def _first_record_data(body: bytes) -> object | None:
    for item in read_jsonl("", io.BytesIO(body)):
        if isinstance(item, Record):
            return item.data
    return None


def read_block(path: str, display: str, block: Block) -> Iterator[Record | InputProblem]:
    """The records of one block, numbered as in the whole file."""
    with open_binary(path) as stream:
        stream.seek(block.start)
        data = stream.read(block.end - block.start)
    # Split on "\n" only, as read_jsonl does (bytes.splitlines would also split on a lone "\r").
    # Offsets count bytes from the block start, not characters: only fixes use them, and fixes
    # always run on this machine.
    return read_jsonl(display, io.BytesIO(data), block.first_line, block.first_index, block.start)
