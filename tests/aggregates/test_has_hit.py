"""A function's ``has_hit`` (what predicates ask: is there a hit?) answers exactly as its check does."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vgptlint.builtins import load_builtins
from vgptlint.functions.base import MISSING, REGISTRY, Context, build_options
from vgptlint.functions.shape import TruthyOptions
from vgptlint.functions.text import ContainsOptions, LengthOptions, PatternOptions

load_builtins()

TEXTS = st.sampled_from([
    "", "   ", "SELECT Job FROM JCJM WITH (NOLOCK) WHERE JCCo = 1", "There is no table named APXX in Vista.",
    "I'm sorry, I can't find that column.", "Use the AP Entry form.", "-- list\nSELECT a FROM b", "Vendor 1",
]) | st.text(max_size=30)
VALUES = TEXTS | st.just(MISSING) | st.none() | st.booleans() | st.integers(-2, 2) | st.lists(st.integers(), max_size=3) \
    | st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)
RECORDS = st.fixed_dictionaries({"instruction": TEXTS, "input": TEXTS})
OPTIONS = {
    "length": st.builds(LengthOptions, st.none() | st.integers(0, 40), st.none() | st.integers(40, 80), st.booleans()),
    "truthy": st.builds(TruthyOptions, st.booleans()),
    "pattern": st.sampled_from([build_options(PatternOptions, {"match": "(?i)select"}),
                                build_options(PatternOptions, {"not_match": "NOLOCK"})]),
    "contains": st.sampled_from([build_options(ContainsOptions, {"values": ["FROM", "from"], "all": True}),
                                 build_options(ContainsOptions, {"values": ["sorry"], "case_sensitive": False})]),
    "sql_present": st.none(),
    "refusal": st.none(),
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(OPTIONS)), st.data(), VALUES, RECORDS)
def test_has_hit_answers_as_the_check_does(name, data, value, record):
    function = REGISTRY[name]
    assert function.check.has_hit is not None
    options = data.draw(OPTIONS[name]) if name not in ("sql_present", "refusal") else build_options(function.options, {})
    if function.accepts is not None and not isinstance(value, function.accepts):
        return  # (never called with such a value)
    ctx = Context(record=record, kind="sft")
    assert function.check.has_hit(value, options, ctx, function.check) == any(True for _ in function.check(value, options, ctx))
