"""``last_token`` decides the truncation check's fast path: it must equal the regex it replaced."""
from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.aggregates.truncation import last_token

_REFERENCE = re.compile(r"(\w+|[^\w\s])\s*$")  # the original definition: last word or mark of the tail


def reference(value: str) -> str:
    found = _REFERENCE.search(value[-40:])
    return found.group(1) if found else ""


@settings(max_examples=2000)
@given(st.text(alphabet=st.sampled_from(list("aZ_09 \t\n\r.,();=é²İ\u00a0\u2028ß")), max_size=80) | st.text(max_size=80))
def test_last_token_equals_the_reference_regex(value):
    assert last_token(value) == reference(value)
