"""Policies read by libyaml (ruamel.yaml.clib) are the documents ruamel's own reader builds: the same
types, values and positions; what the two read apart, and whatever either rejects, is read by ruamel's."""
from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from vgptlint.errors import PolicyError
from vgptlint.policy import yamlio

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(yamlio.CParser is None, reason="ruamel.yaml.clib is not installed")


def ruamel_reads(text: str) -> object:
    return YAML(typ="rt").load(text)


def assert_same(mine: object, theirs: object) -> None:
    """Equal types, values and line/column of every key and item (shared nodes compared once)."""
    seen: set[int] = set()
    pending = [(mine, theirs, "$")]
    while pending:
        a, b, path = pending.pop()
        assert type(a) is type(b), path
        if isinstance(a, (CommentedMap, CommentedSeq)):
            if id(a) in seen:
                continue
            seen.add(id(a))
            assert (a.lc.line, a.lc.col) == (b.lc.line, b.lc.col), path
            assert _positions(a) == _positions(b), path
            pairs = (zip(a.items(), b.items()) if isinstance(a, CommentedMap)
                     else zip(enumerate(a), enumerate(b)))
            assert len(a) == len(b), path
            for (key, value), (other_key, other_value) in pairs:  # (a tagged key has no ==: its repr)
                assert repr(key) == repr(other_key), path
                pending.append((value, other_value, f"{path}/{key!r}"))
        else:
            assert a == b or repr(a) == repr(b), path  # (a TaggedScalar has no ==)


def _positions(node: CommentedMap | CommentedSeq) -> list | None:
    """Each key's or item's line and column (a tagged key has no ==: its repr)."""
    data = node.lc.data
    return None if data is None else [(repr(key), place) for key, place in data.items()]


SHIPPED = sorted([*ROOT.glob("rules/*.yaml"), *ROOT.glob("policies/*.yaml"), *ROOT.glob("examples/*.yaml")])


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_the_shipped_packs_are_read_by_libyaml_as_ruamel_reads_them(path):
    text = path.read_text(encoding="utf-8")
    assert yamlio._libyaml_reads_alike(text)  # (so a first run reads them fast)
    assert_same(yamlio._read_with_libyaml(text), ruamel_reads(text))


CATALOGS = [ROOT / "examples" / "catalog.yaml", ROOT / "tests" / "sql" / "catalog_vista.yaml"]


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.name)
def test_catalogs_are_read_by_libyaml_as_ruamel_reads_them(path):
    """Catalogs are read by the same reader as policies (ruamel's own took 55 ms of a first run)."""
    text = path.read_text(encoding="utf-8")
    assert yamlio._libyaml_reads_alike(text)
    assert_same(yamlio.read_round_trip(text), ruamel_reads(text))


SCALARS = (st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12) | st.integers() | st.booleans()
           | st.none() | st.floats(allow_nan=False) | st.sampled_from(["yes", "no", "on", "off", "0o17", "1_000",
                                                                      "~", "null", "1e3", ".inf", "a: b", "- x", "#c"]))
DOCUMENTS = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                         | st.dictionaries(st.text("abcxyz_ -", min_size=1, max_size=6), inner, max_size=4), max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS, st.sampled_from([None, True, False]), st.integers(2, 6))
def test_any_document_reads_the_same_either_way(document, flow, indent):
    writer = YAML(typ="rt")
    writer.default_flow_style, writer.indent = flow, indent
    out = StringIO()
    writer.dump(document, out)
    assert_read_alike(out.getvalue())


# Pieces of YAML syntax, shuffled into texts both readers accept or reject (fuzzing with these found
# every case _libyaml_reads_alike leaves to ruamel).
PIECES = st.sampled_from([*"ab1 :-?[]{},#&*|>'\"\n.~%@`=", "  ", "\n  ", "\n- ", ": ", "- ", "yes", "null", "0x1",
                          "\r\n", "\r", "\t", "é", "\u00a0", "\ufeff", "\x85", "\u2028", "!a ", "%YAML 1.1\n", "...",
                          "---", "&a ", "*a", "k: v\n", "  k: v\n", '"q"', "'q'", "|", "|-", ">+", "\\", "\n#", " #"])


@pytest.mark.filterwarnings("ignore::ruamel.yaml.error.ReusedAnchorWarning")  # ruamel's, on random anchors
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(PIECES, max_size=25).map("".join))
def test_any_text_is_read_as_ruamel_reads_it(text):
    assert_read_alike(text)


def assert_read_alike(text: str) -> None:
    try:
        expected = ruamel_reads(text)
    except Exception:  # rejected: so it is by _parse (with ruamel's message), or it is deeper than Python recurses
        with pytest.raises((PolicyError, RecursionError)):
            yamlio._parse(text, "x.yaml")
        return
    assert_same(yamlio._parse(text, "x.yaml"), expected)


@pytest.mark.parametrize("text", [
    "%YAML 1.1\n---\na: yes\n",  # a directive: libyaml would read 1.1 booleans
    "- !!str abc\n- !!int '2'\n",  # tags: ruamel keeps them on the values
    "a:\tb\n",  # a tab libyaml accepts and ruamel does not
    "c:\nd: 1\n",  # an empty value, which the two place differently
    "a: [1, 2\n",  # rejected: ruamel's message and position are the ones reported
    "a: 1\na: 2\n",
    "a: |#\n", "- >-2#c\n  x\n",  # "#" right after a block scalar's header: a comment to libyaml, an error to ruamel
])
def test_what_the_two_read_apart_is_read_by_ruamel(text):
    assert_read_alike(text)


def test_an_empty_value_or_a_tab_is_left_to_ruamel():
    assert not yamlio._libyaml_reads_alike("a:\tb\n")
    with pytest.raises(yamlio._ReadApart):
        yamlio._read_with_libyaml("c:\nd: 1\n")
    with pytest.raises(yamlio._ReadApart):
        yamlio._read_with_libyaml("|\n  a block scalar alone\n")


@pytest.mark.parametrize("text", ["a: " + "[" * 100_000 + "]" * 100_000 + "\n", "- " * 100_000 + "x\n",
                                  "a: " + "{b: " * 50_000 + "1" + "}" * 50_000 + "\n"])
def test_text_that_could_nest_deeper_than_libyaml_recurses_safely_is_read_by_ruamel(text):
    """libyaml's reader recurses in C once per level: 100,000 levels would overflow the stack."""
    assert not yamlio._libyaml_reads_alike(text)
    with pytest.raises(PolicyError) as caught:
        yamlio._parse(text, "x.yaml")
    assert caught.value.problems[0].code in ("too-deep", "invalid-yaml")
