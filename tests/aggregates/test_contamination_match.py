"""``contamination``'s lookup of a training value agrees with the plain recipe of its docstring.

``match`` keeps the words it finds for the bigrams and looks up only the bigrams that anchor a
question (a set intersection in C); the plain recipe below normalizes the text, splits it again,
and asks the anchor index about every bigram. Both must name the same question, similarity and kind.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.aggregates.contamination import HeldOut, _anchors, _bigrams, match, question_text

QUESTIONS = ["What are the key columns of APTD?", "Which table holds AP vendors?", "List open AP invoices by vendor.",
             "How do I join APTH to APTL?", "APTD?", "What is the vendor group of a company", "vendor"]
WORDS = ["what", "are", "the", "key", "columns", "of", "APTD", "Which", "table", "holds", "AP", "vendors", "vendor",
         "list", "open", "invoices", "by", "how", "do", "I", "join", "APTH", "to", "APTL", "In", "Vista,", "Be",
         "precise.", "?", " ", "  ", "\n", "#", "@x", "_", "é"]


def _index(questions: list[str], threshold: float) -> HeldOut:
    labelled = tuple((f"q{n}", text) for n, text in enumerate(questions))
    exact, grams = {}, []
    for number, (_label, text) in enumerate(labelled):
        words = question_text(text)
        exact.setdefault(words, number)
        grams.append(_bigrams(words))
    return HeldOut((), labelled, exact, tuple(grams), _anchors(grams, threshold))


def _plain_match(text: str, index: HeldOut, threshold: float):
    words = question_text(text)
    number = index.exact.get(words)
    if number is not None:
        return number, 1.0, True
    mine = _bigrams(words)
    best = None
    for candidate in sorted({n for gram in mine for n in index.anchors.get(gram, ())}):
        theirs = index.bigrams[candidate]
        if len(theirs) < 3:
            continue
        contained = len(mine & theirs) / len(theirs)
        if contained >= threshold and (best is None or contained > best[1]):
            best = (candidate, contained, False)
    return best


TEXTS = st.one_of(st.lists(st.sampled_from(WORDS), max_size=25).map(" ".join), st.text(max_size=60),
                  st.sampled_from(QUESTIONS).map(lambda q: f"In Vista, {q} Be precise."))


@settings(max_examples=400, deadline=None)
@given(TEXTS, st.sampled_from([0.5, 0.8, 1.0]))
def test_match_is_the_plain_recipe(text, threshold):
    index = _index(QUESTIONS, threshold)
    assert match(text, index, threshold) == _plain_match(text, index, threshold)


def test_a_wrapped_question_is_found():
    index = _index(QUESTIONS, 0.8)
    assert match("In Vista, what are the key columns of APTD? Be precise.", index, 0.8) == (0, 1.0, False)
    assert match("what are the KEY columns of aptd", index, 0.8) == (0, 1.0, True)
