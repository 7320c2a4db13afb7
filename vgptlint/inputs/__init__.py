"""Dataset readers: records with exact file positions, and problems with the input itself.

    from vgptlint.inputs import discover, read_source, locate

    for item in read_source("data/sft.json"):
        if isinstance(item, InputProblem): ...   # an ``invalid-input`` finding
        else: ...                                # a Record: item.data, item.line, item.column
"""
from vgptlint.inputs.discover import Discovery, discover, is_dataset_file
from vgptlint.inputs.locate import locate, locate_span, parse_pointer, raw_span, value_range
from vgptlint.inputs.read import STDIN_NAME, read_bytes, read_source, read_stream
from vgptlint.inputs.records import FileInfo, InputProblem, Record
from vgptlint.inputs.style import describe_bytes, describe_file, render_record

__all__ = [
    "Discovery",
    "FileInfo",
    "InputProblem",
    "Record",
    "STDIN_NAME",
    "describe_bytes",
    "describe_file",
    "discover",
    "is_dataset_file",
    "locate",
    "locate_span",
    "parse_pointer",
    "raw_span",
    "read_bytes",
    "read_source",
    "read_stream",
    "render_record",
    "value_range",
]
