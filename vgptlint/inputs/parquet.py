"""Read Parquet datasets (``.parquet``): one record per row, the row as a dict of its columns.

Parquet has no lines or columns of text, so positions follow one fixed scheme: a row's
``record_index`` is its 0-based row number in the file, its ``line`` is the row number + 1 (the
row as an editor-like 1-based "line"), and its ``column`` is always 1. Reports therefore point at
``data.parquet:42:1`` for row 41 (record index 41). ``Record.text`` is the row rendered as compact
JSON, so anything that quotes or locates a record's text still works; fixes are not written back
to Parquet files.

Values are what pyarrow's ``to_pylist`` gives for JSON-like columns (strings, numbers, booleans,
nulls, lists, structs). Columns of other types (timestamps, dates, decimals, binary) are
converted to the JSON value a JSON export would hold: ISO-8601 text, a float, UTF-8 text.

Needs ``pyarrow`` (the ``dask`` extra: ``pip install "vgptlint[dask]"``); without it, a Parquet
file is one ``invalid-input`` problem that says so.
"""
from __future__ import annotations

import base64
import datetime
import decimal
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from vgptlint.inputs.records import InputProblem, Record, new_record

PARQUET_SUFFIX = ".parquet"
ROWS_PER_BATCH = 8_192
NEEDS_PYARROW = 'is a Parquet file; reading Parquet needs pyarrow: pip install "vgptlint[dask]"'


@dataclass(frozen=True, slots=True)
class RowGroup:
    """One row group of a Parquet file and the file-wide number of its first row."""

    number: int
    first_row: int
    row_count: int


def is_parquet(path: str) -> bool:
    """
    >>> is_parquet("s3://b/train-000.parquet"), is_parquet("d/sft.jsonl")
    (True, False)
    """
    return path.lower().endswith(PARQUET_SUFFIX)


def open_parquet(source: str, file: str | BinaryIO) -> tuple[object | None, InputProblem | None]:
    """A ``pyarrow.parquet.ParquetFile``, or the problem that prevents reading it."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None, InputProblem(source, 1, 1, NEEDS_PYARROW, None, "error", "unreadable")
    try:
        return pq.ParquetFile(file), None
    except FileNotFoundError:
        return None, InputProblem(source, 1, 1, "no such file", None, "error", "missing")
    except Exception as err:  # pyarrow raises ArrowInvalid, OSError, ... for a damaged file
        message = f"is not a readable Parquet file: {_first_line(str(err))}"
        return None, InputProblem(source, 1, 1, message, None, "error", "unreadable")


def row_groups(parquet_file) -> list[RowGroup]:
    """The file's row groups, each with the number of its first row (from the footer only)."""
    groups, first_row = [], 0
    metadata = parquet_file.metadata
    for number in range(metadata.num_row_groups):
        count = metadata.row_group(number).num_rows
        groups.append(RowGroup(number, first_row, count))
        first_row += count
    return groups


def column_names(parquet_file) -> list[str]:
    return list(parquet_file.schema_arrow.names)


def read_parquet(source: str, file: str | BinaryIO) -> Iterator[Record | InputProblem]:
    """Every row of a Parquet file as a record, or the problem that prevents reading it.

    Args:
        source: display path for records and problems.
        file: a local path or an open binary file (an fsspec file for object storage).
    """
    parquet_file, problem = open_parquet(source, file)
    if problem is not None:
        yield problem
        return
    groups = row_groups(parquet_file)
    if not any(group.row_count for group in groups):
        yield InputProblem(source, 1, 1, "is a Parquet file with no rows: it has no records", None, "warning", "empty")
        return
    yield from read_row_groups(source, parquet_file, groups)


def read_row_groups(source: str, parquet_file, groups: Iterable[RowGroup]) -> Iterator[Record | InputProblem]:
    """The rows of some row groups, numbered as in the whole file (a worker reads one group)."""
    convert = _converter(parquet_file.schema_arrow)
    for group in groups:
        index = group.first_row
        try:
            batches = parquet_file.iter_batches(batch_size=ROWS_PER_BATCH, row_groups=[group.number])
            for batch in batches:
                for row in batch.to_pylist():
                    if convert is not None:
                        row = convert(row)
                    yield new_record(source, index, index + 1, 1, row, _row_text(row), 0)
                    index += 1
        except Exception as err:  # a damaged page: report it, keep the other row groups
            message = f"row group {group.number} cannot be read: {_first_line(str(err))}"
            yield InputProblem(source, index + 1, 1, message, index, "error", "unreadable")


def _row_text(row: dict) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"


# ------------------------------------------------------------------------------- JSON-like values

def _converter(schema):
    """None when every column already gives JSON values (the common case: no per-row work)."""
    import pyarrow.types as types

    def is_json_like(data_type) -> bool:
        if types.is_string(data_type) or types.is_large_string(data_type) or types.is_integer(data_type):
            return True
        if types.is_floating(data_type) or types.is_boolean(data_type) or types.is_null(data_type):
            return True
        if types.is_list(data_type) or types.is_large_list(data_type):
            return is_json_like(data_type.value_type)
        if types.is_struct(data_type):
            return all(is_json_like(data_type.field(i).type) for i in range(data_type.num_fields))
        return False

    if all(is_json_like(field.type) for field in schema):
        return None
    return _to_json_value


def _to_json_value(value: object) -> object:
    """
    >>> _to_json_value({"at": datetime.date(2024, 1, 2), "n": decimal.Decimal("1.5"), "b": [b"hi"]})
    {'at': '2024-01-02', 'n': 1.5, 'b': ['hi']}
    """
    if isinstance(value, dict):
        return {str(k): _to_json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(item, tuple) and len(item) == 2 for item in value):  # a map column
            return {str(k): _to_json_value(v) for k, v in value}
        return [_to_json_value(item) for item in value]
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    return value
