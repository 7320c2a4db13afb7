"""The refusal classifier's fast paths agree with its plain reading and its plain verdict.

The RE2 prefilter (``_cue_prefilter``) says "no cue here" for most answers and tells ``_cue_matches``
where the next cue can start; the plain path (no prefilter) runs Python's engine over the whole
prose. The verdict weighs the answer's own signals once per answer (``_answer_signals``, remembered
with its reading) and the prompt's per prompt; ``_plain_verdict`` below weighs everything afresh in
one pass, as the classifier did before. All must read the same cues and give the same verdicts, on random text built from cue
fragments (code fences, curly apostrophes, letters that change length when lower-cased, the ASCII
characters the two engines class apart) and on the labelled set's real answers.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import vgptlint.refusal as classifier
from vgptlint.functions.base import build_options
from vgptlint.refusal import Refusal, RefusalCues, _read_cues, default_cues, refusal
from vgptlint.text_memo import text_memos_off

LABELLED = [json.loads(line) for line in (Path(__file__).parent / "labelled.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip()]

FRAGMENTS = ["there is no", "there's no such", "table", "column", "named", "Vendors", "not", "n't", "no", "don’t",
             "doesn't exist", "does not exist", "I cannot", "I can't find", "i do not have details on", "as an ai",
             "unable to", "unknown table", "not part of", "the", "vista", "schema is incomplete", "neither", "nor",
             "impossible", "not on file", "xy", "sorry", "instead", "if", "where", "that", "```sql\nSELECT 1 FROM t\n```", "```", "~~~",
             "\n", " ", "  ", ".", ",", ";", "(", "'", '"', "`", "_", "x", "İ", "é", "\x1c", "\x0b", "\t", "\u2019",
             "SELECT a FROM APTH WHERE NOT EXISTS (SELECT 1)"]
TEXTS = st.one_of(st.lists(st.sampled_from(FRAGMENTS), max_size=30).map("".join), st.text(max_size=80),
                  st.sampled_from([r["output"] for r in LABELLED]))


def _plain(cues: RefusalCues) -> RefusalCues:
    """The same classifier without the RE2 prefilter: every answer with an anchor is searched in full."""
    plain = dataclasses.replace(cues)
    plain.validate()
    object.__setattr__(plain, "compiled", plain.compiled[:5] + (None,))
    return plain


CUES = default_cues()
PLAIN = _plain(CUES)
# A team's extra cues: one needs no anchor, one has a lookbehind (the prefilter leaves it out).
TUNED = build_options(RefusalCues, {"extra_absence": [r"\bnot on file\b", r"(?<=x)y"]})


def _reading(text: str, cues: RefusalCues):
    read = _read_cues(text, cues)
    if read is None:
        return None
    answer, offsets, prose, found, said = read
    signals = (said.best.span(), said.cue_signal, said.has_apology, said.is_brief, said.has_sql, said.has_suggestion,
               said.opens_yes_no)
    return answer, offsets, prose, [(m.span(), m.group(0)) for m in found], signals


def test_the_prefilter_is_built():
    assert CUES.compiled[5] is not None and PLAIN.compiled[5] is None


@settings(max_examples=600, deadline=None)
@given(TEXTS)
def test_cue_readings_with_and_without_the_prefilter(text):
    assert _reading(text, CUES) == _reading(text, PLAIN)
    assert _reading(text + " not on file", TUNED) == _reading(text + " not on file", _plain(TUNED))


@settings(max_examples=300, deadline=None)
@given(TEXTS, st.sampled_from([r["instruction"] for r in LABELLED] + ["", "Does Vendors exist?"]))
def test_verdicts_with_and_without_the_prefilter(answer, instruction):
    with text_memos_off():
        assert refusal(answer, instruction, CUES) == refusal(answer, instruction, PLAIN)


def test_the_labelled_answers_read_the_same():
    for record in LABELLED:
        assert _reading(record["output"], CUES) == _reading(record["output"], PLAIN)
        with text_memos_off():
            assert (refusal(record["output"], record["instruction"], CUES)
                    == refusal(record["output"], record["instruction"], PLAIN))


def _plain_verdict(answer: str, instruction: str, cues: RefusalCues) -> Refusal | None:
    """The verdict in one pass over the answer and the prompt, nothing remembered (the reference)."""
    pattern, apology, suggestion, hedge, extra, _ = cues.compiled
    answer = answer[:cues.scan_chars]
    lowered = answer.lower()
    if len(lowered) != len(answer):
        lowered = answer
    lowered = lowered.replace("\u2019", "'")
    if not any(anchor in lowered for anchor in cues.anchors) and (extra is None or extra.search(lowered) is None):
        return None
    answer_text = answer.replace("\u2019", "'")
    offsets = classifier._prose(answer_text)
    prose = "".join(answer_text[a:b] for a, b in offsets)
    found = classifier._cue_matches(pattern, "".join(lowered[a:b] for a, b in offsets))
    opening_end = classifier._opening_end(prose)
    score, signals, best = 0.0, [], None
    for match in found:
        if classifier._hedged(prose, match.start(), hedge):
            continue
        if match.start() < opening_end:
            score, best = cues.opening, match
            signals.append("opening cue")
            break
        if best is None:
            score, best = cues.later, match
            signals.append("later cue")
    if best is None:
        return None
    if apology.search(prose, 0, max(opening_end, best.start())):
        score += cues.apology
        signals.append("apology")
    if any(classifier._disclaims_instruction_object(prose, m, instruction) for m in found):
        score += cues.names_instruction_object
        signals.append("names the instruction's object")
    if len(prose.strip()) <= cues.brief_chars and not classifier._SQL.search(answer):
        score += cues.brief
        signals.append("brief, no SQL")
    if suggestion.search(prose, best.end()):
        score += cues.suggestion
        signals.append("suggests another object")
    query_at = classifier._QUERY.search(instruction)
    question = classifier._question(instruction)
    if classifier._YES_NO_QUESTION.search(question) and classifier._YES_NO_ANSWER.match(prose):
        score += cues.answers_yes_no
        signals.append("answers a yes/no question")
    if classifier._NEGATION.search(question):
        score += cues.question_negates
        signals.append("the question asks about absence")
    if query_at and classifier._SQL.search(answer):
        score += cues.corrects_sql
        signals.append("corrects the prompt's SQL")
    if score < cues.min_score:
        return None
    start, end = classifier._answer_offsets(offsets, best.start(), best.end())
    return Refusal(answer[start:end], start, end, score, tuple(signals))


PROMPTS = st.one_of(st.sampled_from([r["instruction"] for r in LABELLED] + ["", "Is Vendors a table?",
                                                                           "Fix: SELECT a FROM Vendors"]),
                    st.lists(st.sampled_from(FRAGMENTS + ["?", "is", "Vendors", "Question:"]), max_size=12).map(" ".join))


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(TEXTS, PROMPTS), min_size=1, max_size=4))
def test_verdicts_are_the_plain_verdict(asks):
    # the same answers asked again with other prompts: remembered readings and signals are reused
    for answer, prompt in asks + [(answer, prompt + " Vendors?") for answer, prompt in asks]:
        assert refusal(answer, prompt, CUES) == _plain_verdict(answer, prompt, CUES)
        assert refusal(answer, prompt, TUNED) == _plain_verdict(answer, prompt, TUNED)


def test_the_labelled_set_gets_the_plain_verdicts():
    for record in LABELLED:
        prompt = "\n".join(v for v in (record["instruction"], record["input"]) if v)
        assert refusal(record["output"], prompt, CUES) == _plain_verdict(record["output"], prompt, CUES)
