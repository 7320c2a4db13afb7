"""Property tests: fixes never touch bytes outside their records/values, and a second run is a no-op."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixes.conftest import POLICY
from tests.fixes.helpers import fix_bytes
from vgptlint.fixes.splice import rewrite_record_text
from vgptlint.inputs.locate import value_range
from vgptlint.inputs.records import FileInfo

# Text with the characters that JSON escapes or that change width: quotes, backslashes, control
# characters, non-ASCII, astral-plane characters, U+2028.
PIECE = st.sampled_from([*'ab "\\\n\t\r\x01é€😀\u2028/{}[],:', "colour", "color", "sorry"])
TEXT = st.lists(PIECE, max_size=12).map("".join)
RECORD = st.fixed_dictionaries({"instruction": TEXT, "output": TEXT, "n": st.integers(-5, 5)})
STYLE = st.sampled_from([{"indent": 2}, {"indent": 4}, {}, {"separators": (",", ":")}, {"indent": "\t"}])


@settings(max_examples=300, deadline=None)
@given(RECORD, TEXT, st.booleans(), STYLE)
def test_a_value_splice_keeps_every_other_byte(record, new_output, ensure_ascii, style):
    old_text = json.dumps(record, ensure_ascii=ensure_ascii, **{k: v for k, v in style.items() if k != "indent"})
    info = FileInfo("jsonl", ensure_ascii=ensure_ascii, separators=style.get("separators", (", ", ": ")))
    new = {**record, "output": new_output}
    text = rewrite_record_text(old_text, record, new, info)
    assert json.loads(text) == new
    start, end = value_range(old_text, ("output",))
    assert text.startswith(old_text[:start]) and text.endswith(old_text[end:])
    assert rewrite_record_text(text, new, new, info) == text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(RECORD, min_size=1, max_size=6), STYLE, st.booleans(), st.sampled_from(["\n", "\r\n"]),
       st.sampled_from([".json", ".jsonl"]))
def test_fixing_a_file_changes_only_fixed_records_and_is_idempotent(records, style, ensure_ascii, newline, suffix):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "policy.yaml").write_text(POLICY, encoding="utf-8")
        if suffix == ".json":
            text = json.dumps(records, ensure_ascii=ensure_ascii, **style)
            pieces = [json.dumps(r, ensure_ascii=ensure_ascii, **style) for r in records]
        else:
            style = {k: v for k, v in style.items() if k != "indent"}
            pieces = [json.dumps(r, ensure_ascii=ensure_ascii, **style) for r in records]
            text = "\n".join(pieces) + "\n"
        content = text.replace("\n", newline).encode()
        after, run = fix_bytes(folder, folder / "policy.yaml", "d" + suffix, content)
        assert run.messages == []
        expected = [_fixed(r) for r in records]
        decoded = after.decode()
        got = json.loads(decoded) if suffix == ".json" else [json.loads(line) for line in decoded.split("\n") if line.strip()]
        assert got == expected
        # Records no fix touched keep their exact text (at indent 0 their text is the same in any position).
        if newline == "\n" and "indent" not in style:
            for record, piece in zip(records, pieces):
                if _fixed(record) == record:
                    assert piece in decoded
        again, second = fix_bytes(folder, folder / "policy.yaml", "d" + suffix, after)
        assert again == after and second.fixed_count == 0


def _fixed(record: dict) -> dict:
    fixed = {**record, "output": record["output"].replace("colour", "color")}
    if "sorry" in fixed["output"]:
        fixed["category"] = "negative_example"
    return fixed
