"""Policy patterns: RE2's linear time, Python's meaning (checked against ``re`` itself)."""
from __future__ import annotations

import json
import re
import subprocess

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vgptlint import user_regex
from vgptlint.user_regex import compile_user_regex, without_captures

CATASTROPHIC = "(a+)+$"


def test_a_catastrophic_pattern_runs_in_linear_time(tmp_path):
    """On Python's re, 40 a's before a "!" take 2^40 steps; the run must finish (generous timeout)."""
    (tmp_path / "policy.yaml").write_text(
        'rules:\n  no-a-run:\n    given: $.output\n    then: {function: pattern, options: {not_match: "' + CATASTROPHIC + '"}}\n')
    records = [{"output": "a" * length + "!"} for length in (40, 100_000)] + [{"output": "aaa"}]
    (tmp_path / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    completed = subprocess.run(["vgptlint", "check", "--policy", "policy.yaml", "data.jsonl"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120)
    assert completed.stdout.splitlines()[0] == (
        'data.jsonl:3:13: warning no-a-run output contains "aaa", which matches /(a+)+$/')
    assert completed.returncode == 0


def test_lookaround_runs_on_pythons_engine_when_it_cannot_backtrack_exponentially():
    facet = compile_user_regex(r"\bmodule\b(?! owns)", "i")  # a shipped facet's pattern
    assert facet.engine == "re"
    assert facet.search("Which Module is this?") and not facet.search("which module owns APTH")


def test_the_verbose_flag_is_pythons():
    assert compile_user_regex("a b  # spaces do not count", "x").search("xab").span() == (1, 3)


# A small grammar of patterns over a small alphabet: the features whose meaning differs between the
# engines (\b \w \d \s, $ before a final newline) are all in it.
ATOMS = st.sampled_from(["a", "b", "é", " ", r"\w", r"\W", r"\d", r"\s", r"\S", ".", "[a-c]", "[^a]", r"\b", "^", "$", "1"])


def _quantified(inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.tuples(inner, st.sampled_from(["", "*", "+", "?", "{1,2}", "*?", "+?"])).map(
        lambda p: f"(?:{p[0]}){p[1]}" if p[1] else p[0])


PATTERNS = st.recursive(
    _quantified(ATOMS),
    lambda inner: st.one_of(
        st.lists(_quantified(inner), min_size=1, max_size=3).map("".join),
        st.tuples(inner, inner).map(lambda p: f"(?:{p[0]}|{p[1]})"),
        _quantified(inner.map(lambda p: f"({p})")),
    ),
    max_leaves=6,
)
TEXTS = st.text(alphabet="ab é\n1_\u00a0Z", max_size=12)


@settings(max_examples=400, deadline=None)
@given(PATTERNS, TEXTS, st.sampled_from(["", "i", "m", "s"]))
def test_the_same_matches_as_pythons_re(pattern, text, flags):
    try:
        compiled = compile_user_regex(pattern, flags)
    except ValueError:
        return
    bits = sum({"i": re.I, "m": re.M, "s": re.S}[f] for f in flags)
    expected = re.search(pattern, text, bits)
    found = compiled.search(text)
    keeps_pythons_meaning = compiled.is_safe or (text.isascii() and not text.endswith("\n"))
    if keeps_pythons_meaning and compiled.ends_as_in_python:
        assert (found and found.span()) == (expected and expected.span()), (pattern, text, compiled.engine)
    elif keeps_pythons_meaning:  # a repeat of something that can match nothing: RE2 may end the match elsewhere
        assert (found and found.start()) == (expected and expected.start()), (pattern, text, compiled.engine)


CLASS_AND_GROUP_ATOMS = st.sampled_from(["a", "(", ")", "[(]", "[]a(]", "[^]b)]", r"\(", r"\)", r"[\]()]", "(?:a)",
                                         "(?P<n>b)", "(?i:A)", "|", "b*", "(a|b)"])


@settings(max_examples=300, deadline=None)
@given(st.lists(CLASS_AND_GROUP_ATOMS, min_size=1, max_size=8).map("".join), st.text(alphabet="ab()]", max_size=10))
def test_groups_made_non_capturing_keep_the_whole_match(pattern, text):
    """RE2 runs the pattern without capturing groups: same language, same whole match (checked on re)."""
    try:
        original = re.compile(pattern)
    except re.error:
        return
    stripped = re.compile(without_captures(pattern))
    assert stripped.groups == 0
    expected, found = original.search(text), stripped.search(text)
    assert (found and found.span()) == (expected and expected.span())
    policy_pattern = compile_user_regex(pattern)
    if policy_pattern.engine == "re2":
        found_by_policy = policy_pattern.search(text)
        assert (found_by_policy and (found_by_policy.span(), found_by_policy.group())) == (
            expected and (expected.span(), expected.group()))


LOOKAROUND_ATOMS = st.sampled_from(["a", "b", " ", r"\b", r"\s", r"\w+", "(?!a)", "(?=b)", "(?<=a)", "(?<!b)",
                                    "(?! (a|b))", "(a|b)", "[ab]", "$", "^"])


@settings(max_examples=300, deadline=None)
@given(st.lists(LOOKAROUND_ATOMS, min_size=1, max_size=6).map("".join),
       st.text(alphabet="ab \n\x0b\x1cé", max_size=10), st.sampled_from(["", "i", "m"]))
def test_patterns_with_lookaround_answer_as_pythons_re(pattern, text, flags):
    """They run on re, behind an RE2 prefilter without the lookarounds: never a different answer."""
    try:
        compiled = compile_user_regex(pattern, flags)
    except ValueError:
        return
    assume(compiled.engine == "re")  # patterns RE2 runs are checked above
    bits = sum({"i": re.I, "m": re.M}[f] for f in flags)
    expected = re.search(pattern, text, bits)
    found = compiled.search(text)
    assert (found and found.span()) == (expected and expected.span()), (pattern, text)


def test_a_pattern_loaded_again_is_not_parsed_again_and_a_bad_one_is_refused_each_time(tmp_path, monkeypatch):
    """The verdict and shape are kept in vgptlint's cache; Python's program is compiled when first used."""
    monkeypatch.setenv("VGPTLINT_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("VGPTLINT_NO_CACHE", raising=False)
    parsed, real_shape = [], user_regex.python_shape
    monkeypatch.setattr(user_regex, "python_shape", lambda *args: parsed.append(args) or real_shape(*args))
    first, again = (compile_user_regex(r"\bmodule\b(?! owns)", "i") for _ in range(2))
    assert len(parsed) == 1
    assert (again.engine, again.is_safe, again.unicode_sensitive) == (first.engine, first.is_safe, first.unicode_sensitive)
    assert again.search("The Module here").span() == first.search("The Module here").span() == (4, 10)
    for _ in range(2):
        with pytest.raises(ValueError, match="look-behind requires fixed-width pattern"):
            compile_user_regex("(?<=a+)b")
    assert len(parsed) == 3
