"""Is an answer a refusal? Several cheap signals, weighed, instead of one list of phrases.

A refusal (a *negative example*) declines what was asked, wholly or in its main part: the object
does not exist ("There is no 'Vendors' table in Viewpoint Vista"), the information or ability is not
there ("I do not have details on a table named X", "As an AI I cannot ..."), or the answer cannot be
given as asked ("I can partially answer this query, but the schema is incomplete"). It may go on to
suggest the right object, even with SQL.

Signals, each a list of regular expressions a team can tune in YAML (``refusal:`` in a policy; see
:class:`RefusalCues`):

- ``absence`` / ``inability`` cues in the answer's prose (code blocks removed): said in the opening
  sentence they weigh ``opening``, later ``later``. A cue in a conditional or relative clause ("if
  the vendor does not exist", "rows where the job does not exist") is a description, not a refusal.
- an ``apology`` in the opening sentence ("Sorry", "Unfortunately");
- the object the answer disclaims ('Vendors', "a table named X") is named in the instruction;
- no SQL and short prose: a refusal says little; a long answer with SQL that mentions a missing
  column on the way is still an answer;
- a ``suggestion`` ("instead", "the correct table is", "did you mean").

The answer is a refusal when the weights add up to ``min_score``. Answers with no cue at all (nearly
all of them) cost one regex search.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, fields

from vgptlint.errors import UsageError
from vgptlint.functions.base import OptionError, build_options
from vgptlint.identity_memo import IdentityMemo
from vgptlint.text_memo import text_memo
from vgptlint.user_regex import UNANCHORED, UNLIKE_IN_RE2, compile_re2, without_captures

ABSENCE = (
    r"\b(?:there\s+is|there's|there\s+are)\s+(?:no|not\s+an?|not\s+any)\s+(?:such\s+)?(?:[\w'\"`\[\].-]+\s+){0,3}?"
    r"(?:tables?|views?|columns?|fields?|objects?|procedures?|functions?|modules?|entit(?:y|ies)|information|data|details|"
    r"records?|databases?|documentation|attachments?|files?|text|input)\b",
    r"\bthere\s+(?:isn't|aren't|is\s+not|are\s+not)\s+(?:an?\s+|any\s+)?(?:such\s+)?(?:[\w'\"`\[\].-]+\s+){0,3}?"
    r"(?:tables?|views?|columns?|fields?|objects?|modules?|information|data|records?)\b",
    r"\bno\s+(?:such\s+)?(?:tables?|views?|columns?|fields?|objects?)\s+(?:named|called|by\s+that\s+name|with\s+that\s+name|exists?)\b",
    r"^\W*no\s+['\"`\[]?[\w.]+['\"`\]]?\s+(?:table|view|column|field)\b",
    r"\b(?:does\s+not|doesn't|do\s+not|don't|did\s+not|didn't)\s+exist\b", r"\bnon-?existent\b",
    r"\b(?:does\s+not|doesn't)\s+appear\s+in\b",
    r"\b(?:is\s+not|isn't|are\s+not|aren't|was\s+not|wasn't)\s+(?:a\s+|an\s+|any\s+)?(?:valid\s+|real\s+|known\s+|standard\s+|"
    r"recogni[sz]ed\s+)?(?:[\w.]+\s+)?(?:tables?|views?|columns?|fields?|objects?)\b",
    r"\bnot\s+(?:a|an)\s+(?:valid|real|known|standard|recogni[sz]ed)\s+(?:viewpoint\s+|vista\s+)?\w+",
    r"\b(?:is\s+not|isn't|are\s+not|aren't)\s+(?:valid|recogni[sz]ed|known|defined|available)\s+in\b",
    r"\b(?:is\s+not|isn't|are\s+not|aren't)\s+something\s+(?:that\s+)?(?:vista|viewpoint|i|we|the\s+schema)\b",
    r"\bnot\s+(?:part\s+of|found\s+in|present\s+in|available\s+in|defined\s+in|included\s+in|provided\s+in|in)\s+(?:the\s+)?"
    r"(?:provided\s+|given\s+|standard\s+)?(?:viewpoint|vista|schema|database|catalog|data\s+dictionary)\b",
    r"\bnot\s+part\s+of\s+(?!the\b|an?\b|any\b|this\b|that\b|its?\b|their\b|your\b|our\b|speech\b)\w{2}",
    r"\b(?:has|have|contains?)\s+no\s+(?:[\w.]+\s+)?(?:tables?|views?|columns?|fields?)\b",
    r"\b(?:does\s+not|doesn't)\s+(?:have|contain|include)\s+(?:a|an|any)\s+(?:[\w'\"`.]+\s+){0,3}?(?:tables?|views?|columns?|fields?)\b",
    r"\bunknown\s+(?:table|view|column|object)\b", r"\bis\s+unknown\s+to\s+me\b",
    r"\bschema\s+is\s+incomplete\b",
    r"\bno\s+(?:information|data|details|records?)\s+(?:is\s+|are\s+)?(?:available|on\s+record)\b",
    r"\b(?:wasn't|was\s+not|weren't|were\s+not)\s+(?:included|provided|given|attached)\b",
    r"\bneither\b.{0,80}\bnor\b.{0,80}\bexists?\b", r"\b(?:does\s+not|doesn't)\s+use\s+['\"`]",
)
_VERBS = (r"(?:generate|write|answer|provide|help|create|give|produce|retrieve|determine|estimate|describe|access|browse|"
          r"tell|say|find|locate|see|identify|complete|fulfil|fulfill|confirm|verify|know|recogni[sz]e|build|book|show|"
          r"query|join|list|run|calculate|draw|play|perform|process|read|open|view|summari[sz]e|translate|predict|rate|"
          r"assist|guess)")
INABILITY = (
    r"\bi\s*(?:cannot|can't|can\s+not|won't\s+be\s+able\s+to|could\s+not|couldn't|was\s+unable\s+to|do\s+not|don't)\s+"
    r"(?:\w+\s+)?" + _VERBS + r"\b",
    r"\bi(?:'m|\s+am)\s+(?:not\s+able|unable)\s+to\b",
    r"\bi\s*(?:do\s+not|don't|did\s+not|didn't)\s+have\s+(?:any\s+|enough\s+|the\s+)?(?:details|information|data|access|"
    r"knowledge|records?|documentation|personal|a\s+physical|the\s+ability|context|schema|real-time|live)\b",
    r"\bi\s+have\s+no\s+(?:record|information|details|knowledge|data|access|way)\b",
    r"\bi(?:'m|\s+am)\s+not\s+(?:aware|sure|certain|familiar)\b",
    r"\bi\s+can\s+(?:only\s+)?partially\s+answer\b",
    r"\bcan(?:not|'t)\s+be\s+(?:generated|answered|written|determined|found)\b",
    r"\bunable\s+to\s+(?:find|locate|generate|answer|determine|create|draw|perceive|provide|access)\b",
    r"\bi(?:'m|\s+am)\s+not\s+capable\s+of\b", r"\bi\s+(?:do\s+not|don't)\s+possess\b",
    r"\b(?:as\s+an|i\s+am\s+an|i'm\s+an)\s+ai\b[^.]{0,80}?(?:\bnot\b|\bcannot\b|\bcan't\b|\bdon't\b|\bunable\b|\bno\b)",
    r"\bit(?:'s|\s+is)\s+(?:not\s+possible|impossible)\s+to\b",
    r"\b(?:i|we)\s+(?:would|will)\s+need\s+(?:the|your|more|additional)\b",
    r"\byou\s+(?:didn't|did\s+not|haven't|have\s+not)\s+(?:provide|provided|specify|specified|give|given|include|included)\b",
    r"\byou\s+need\s+to\s+(?:provide|specify)\b", r"\b(?:isn't|is\s+not|not)\s+enough\s+(?:information|data|details|context)\b",
)
# Every absence and inability cue contains one of these: an answer with none of them is not read
# further (kept as the rule it always was; the RE2 prefilter, :func:`_cue_prefilter`, answers first).
# Extra cues are always tried.
ANCHORS = ("not", "n't", "no ", "no\n", "no\t", "unable", "unknown", "incomplete", "neither", "impossible", "partially",
           "enough", "existent", "need")
APOLOGY = (r"\b(?:sorry|unfortunately|I'm\s+afraid|I\s+am\s+afraid|I\s+apologi[sz]e|regrettably)\b",)
SUGGESTION = (
    r"\binstead\b", r"\bthe\s+(?:correct|right|actual|closest)\s+(?:table|view|column|object|name)\b",
    r"\bdid\s+you\s+mean\b", r"\byou\s+(?:may|might)\s+(?:be\s+looking\s+for|want|mean)\b", r"\b(?:use|try|see)\s+(?-i:[A-Z])",
)
# Words that make the cue's clause a condition or a description of data, not the answer's own verdict.
HEDGE = r"\b(?:if|when|whenever|whether|unless|until|once|where|which|that|who|ensure|make\s+sure|verify|check|even\s+though|so\s+that)\b"
_QUOTED = re.compile(r"['\"`\[]([A-Za-z_][\w.#$ -]{0,60}?)['\"`\]]|\b(?:named|called)\s+([A-Za-z_][\w.#$]*)")
_FENCE = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.S)
_SQL = re.compile(r"\b(?:SELECT\b[\s\S]*?\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|VIEW|PROC))\b|```sql", re.I)
_QUERY = re.compile(r"\b(?:SELECT\b[\s\S]*?\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b", re.I)
_DDL = re.compile(r"\bCREATE\s+(?:TABLE|VIEW)\b|```", re.I)
_YES_NO_QUESTION = re.compile(r"\b(?:is|are|does|do|did|can|could|should|has|have|was|were|will|would)\b[^?.!]*\?|"
                              r"^\s*(?:is|are|does|do|did|can|could|should|has|have|was|were|will|would)\b", re.I)
_YES_NO_ANSWER = re.compile(r"\W*(?:yes|no|not|nope|correct)\b", re.I)
_NEGATION = re.compile(r"\b(?:not|no|never|without|missing|doesn't|don't|isn't|aren't|can't|cannot|won't)\b|n't\b", re.I)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)|\n")


@dataclass(frozen=True)
class RefusalCues:
    """The refusal classifier's tuning. In a policy, ``refusal:`` sets any of these; ``extra_absence``,
    ``extra_inability``, ``extra_apology`` and ``extra_suggestion`` add cues to the defaults.

    ``opening``/``later``: weight of an absence or inability cue in the opening sentence / elsewhere;
    ``apology``: an apology in the opening sentence; ``names_instruction_object``: the disclaimed
    object is named in the instruction; ``brief``: no SQL and at most ``brief_chars`` of prose;
    ``suggestion``: the answer suggests what to use instead; ``anchors``: substrings every built-in cue
    contains (an answer without one is not read further; extra cues are always tried); ``scan_chars``: how much of an answer
    is read (a refusal says so early). Signals that the negation *answers* the
    question (negative weights): ``answers_yes_no``, a yes/no question ("Can I filter ARCM by ARCo?")
    answered "No"/"Not ..."; ``question_negates``, the instruction itself asks about absence ("Which
    table doesn't need a company filter?"); ``corrects_sql``, the prompt holds SQL and so does the
    answer (a correction saying a column does not exist). ``min_score``: the total that decides."""

    absence: tuple[str, ...] = ABSENCE
    inability: tuple[str, ...] = INABILITY
    apology_cues: tuple[str, ...] = APOLOGY
    suggestion_cues: tuple[str, ...] = SUGGESTION
    hedge: str = HEDGE
    anchors: tuple[str, ...] = ANCHORS
    extra_absence: tuple[str, ...] = ()
    extra_inability: tuple[str, ...] = ()
    extra_apology: tuple[str, ...] = ()
    extra_suggestion: tuple[str, ...] = ()
    opening: float = 2.0
    later: float = 1.0
    apology: float = 0.5
    names_instruction_object: float = 1.0
    brief: float = 0.5
    brief_chars: int = 400
    scan_chars: int = 1500
    suggestion: float = 0.5
    answers_yes_no: float = -2.0
    question_negates: float = -1.5
    corrects_sql: float = -1.0
    min_score: float = 2.0
    compiled: tuple = field(default=(), init=False, repr=False, compare=False)
    # What the verdict reads of an answer alone (:func:`_read_cues`), remembered per distinct answer.
    read_cues: object = field(default=None, init=False, repr=False, compare=False)

    def validate(self) -> str | None:
        every = (*self.absence, *self.extra_absence, *self.inability, *self.extra_inability)
        upper = next((c for c in every if re.search(r"[A-Z]", re.sub(r"\\.", "", c))), None)
        if upper is not None:
            return f'cues are matched against the lower-cased answer; write them in lower case: "{upper}"'
        try:
            cues = re.compile("|".join(f"(?:{_unanchored(c)})" for c in every), re.M)
            apology = re.compile("|".join(f"(?:{c})" for c in (*self.apology_cues, *self.extra_apology)) or "(?!)", re.I)
            suggestion = re.compile("|".join(f"(?:{c})" for c in (*self.suggestion_cues, *self.extra_suggestion)) or "(?!)",
                                    re.I)
            hedge = re.compile(self.hedge or "(?!)", re.I)
        except re.error as exc:
            return f"a cue is not a valid regular expression: {exc}"
        if not (self.absence or self.extra_absence or self.inability or self.extra_inability):
            return "needs at least one absence or inability cue"
        extras = (*self.extra_absence, *self.extra_inability)
        extra = re.compile("|".join(f"(?:{c})" for c in extras), re.M) if extras else None
        object.__setattr__(self, "compiled", (cues, apology, suggestion, hedge, extra, _cue_prefilter(cues.pattern)))
        object.__setattr__(self, "read_cues", text_memo(functools.partial(_read_cues, cues=self)))
        return None

    def __getstate__(self) -> dict:  # compiled patterns and the memo are rebuilt, not pickled
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("compiled", "read_cues")}

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        object.__setattr__(self, "compiled", ())
        self.validate()


def _cue_prefilter(pattern: str):
    """The cues as one RE2 program without their lookarounds (None when RE2 cannot run it): it matches
    wherever the cues do, and answers no in a few microseconds where Python's engine takes 75 µs to
    (an answer with an anchor such as "not" but no cue: most answers that have an anchor)."""
    # The characters the engines class apart (see _may_hold_cue) match too: a text holding one is
    # left to Python's engine.
    program = compile_re2(f"(?:{without_captures(pattern, drop_lookaround=True)})|{UNLIKE_IN_RE2.pattern}", "m")
    return None if program is None else program._regexp


def _may_hold_cue(prefilter, text: str) -> bool:
    """False only when no cue matches ``text``: the RE2 prefilter found nothing in an ASCII text, where
    both engines read \\b \\w \\s alike except on UNLIKE_IN_RE2's characters, which the prefilter
    itself matches (as vgptlint/user_regex.py does)."""
    if prefilter is None or not text.isascii():
        return True
    return prefilter.Match(UNANCHORED, text.encode(), 0, len(text))[0][0] >= 0


def _unanchored(cue: str) -> str:
    """A cue without its leading word boundary: the combined pattern then starts every branch with a
    character the regex engine can scan for (about 6x faster); :func:`_cue_matches` puts the boundary back."""
    return cue[2:] if cue.startswith(r"\b") else cue


def _cue_matches(pattern: re.Pattern, text: str, prefilter=None) -> list[re.Match]:
    """Every cue match that starts a word (the boundary :func:`_unanchored` dropped). With the RE2
    ``prefilter`` (:func:`_cue_prefilter`), each search starts where the prefilter's next match does:
    no cue match starts before it, and Python's engine skips the scan up to there (and the last one)."""
    found, at = [], 0
    skips = prefilter is not None and text.isascii() and UNLIKE_IN_RE2.search(text) is None
    encoded = text.encode() if skips else b""
    while True:
        if skips:
            at = prefilter.Match(UNANCHORED, encoded, at, len(encoded))[0][0]
            if at < 0:
                return found
        match = pattern.search(text, at)
        if match is None:
            return found
        start = match.start()
        if start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_") or not text[start].isalnum():
            found.append(match)
            at = max(match.end(), start + 1)
        else:
            at = start + 1


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an answer reads as a refusal: the cue that said so (offsets into the answer), the score."""

    cue: str
    start: int
    end: int
    score: float
    signals: tuple[str, ...]


def refusal(answer: str, instruction: str, cues: RefusalCues) -> Refusal | None:
    """The answer's refusal verdict, or None when it is not a refusal.

    >>> c = default_cues()
    >>> refusal("There's no such table in Vista; use APVM for vendors.", "Query the Vendors table", c).signals
    ('opening cue', 'brief, no SQL', 'suggests another object')
    >>> refusal("SELECT Vendor FROM APVM WHERE NOT EXISTS (SELECT 1 FROM APTH)", "Vendors without invoices", c) is None
    True
    """
    if _cues_in(answer, cues) is None:  # most answers: no cue, whatever the prompt (a lookup once read)
        return None
    key = (answer, instruction, id(cues))
    if key in _RECENT:  # the facet, the rule and the order test ask about the same answer in turn
        return _RECENT[key]
    if len(_RECENT) > 64:
        _RECENT.clear()
    _RECENT[key] = found = _judge(answer, instruction, cues)
    return found


_RECENT: dict[tuple, Refusal | None] = {}


def has_cue(answer: str, cues: RefusalCues) -> bool:
    """Whether the answer's head holds a cue that counts (one outside a conditional clause): an answer
    without one is no refusal whatever the prompt, so a caller can say so before it builds the prompt."""
    return _cues_in(answer, cues) is not None


def _cues_in(answer: str, cues: RefusalCues) -> Reading | None:
    """What the verdict reads of the answer alone: its scanned head, prose offsets, prose, the cues
    found there and the answer's own signals (None when no cue counts: most answers). A refusal says
    so early, so only the answer's head is read, once per distinct head while the classifier's memo
    holds it: the refusal function and the order test ask about an answer with two prompts
    (instruction + input, instruction), and data repeats answers (the owner's DPO file: 595 distinct
    chosen answers in 2,584 pairs)."""
    return cues.read_cues(answer[:cues.scan_chars])


def _read_cues(answer: str, cues: RefusalCues) -> Reading | None:
    pattern, extra = cues.compiled[0], cues.compiled[4]
    answer = answer[:cues.scan_chars]  # a refusal says so early; a long answer's tail is not read
    lowered = answer.lower()
    if len(lowered) != len(answer):  # a few letters ("İ") change length when lower-cased; keep offsets
        lowered = answer
    if "\u2019" in lowered:  # curly apostrophes ("don’t"): same length, so offsets keep
        lowered = lowered.replace("\u2019", "'")
    answer_text = answer.replace("\u2019", "'")
    prose_offsets = _prose(answer_text)
    is_all_prose = prose_offsets == [(0, len(lowered))]  # no fence (most answers): the prose is the answer
    lowered_prose = lowered if is_all_prose else "".join(lowered[a:b] for a, b in prose_offsets)
    # No cue matches where the prefilter finds none (nearly every answer: one C call); the anchors
    # then decide as they always did (a cue without one does not count).
    if not _may_hold_cue(cues.compiled[5], lowered_prose):
        return None
    if not any(anchor in lowered for anchor in cues.anchors) and (extra is None or extra.search(lowered) is None):
        return None
    prose = "".join(answer_text[a:b] for a, b in prose_offsets)
    found = _cue_matches(pattern, lowered_prose, cues.compiled[5])
    said = _answer_signals(answer, prose, found, cues) if found else None
    return (answer, prose_offsets, prose, found, said) if said is not None else None


@dataclass(frozen=True, slots=True)
class _AnswerSignals:
    """What the verdict weighs of the answer alone, the same whatever prompt it answers: read once per
    distinct answer with its cues (the rule and the order test ask about one answer with two prompts)."""

    best: re.Match  # the cue that counts: the first unhedged one in the opening sentence, else the first unhedged
    cue_signal: str  # "opening cue" or "later cue"
    has_apology: bool
    is_brief: bool  # at most brief_chars of prose
    has_sql: bool
    has_suggestion: bool
    opens_yes_no: bool  # the prose opens with yes/no/not/nope/correct


# What :func:`_read_cues` remembers of an answer: its scanned head, prose offsets, prose, cues, signals.
Reading = tuple[str, list[tuple[int, int]], str, list[re.Match], _AnswerSignals]


def _answer_signals(answer: str, prose: str, found: list[re.Match], cues: RefusalCues) -> _AnswerSignals | None:
    """The answer's own signals, or None when every cue is hedged (no refusal, whatever the prompt)."""
    _, apology, suggestion, hedge, _, _ = cues.compiled
    opening_end = _opening_end(prose)
    best, cue_signal = None, ""
    for match in found:
        if _hedged(prose, match.start(), hedge):
            continue
        if match.start() < opening_end:
            best, cue_signal = match, "opening cue"
            break
        if best is None:
            best, cue_signal = match, "later cue"
    if best is None:
        return None
    return _AnswerSignals(best, cue_signal, apology.search(prose, 0, max(opening_end, best.start())) is not None,
                          len(prose.strip()) <= cues.brief_chars, _SQL.search(answer) is not None,
                          suggestion.search(prose, best.end()) is not None, _YES_NO_ANSWER.match(prose) is not None)


def _judge(answer: str, instruction: str, cues: RefusalCues) -> Refusal | None:
    read = _cues_in(answer, cues)
    if read is None:
        return None
    answer, prose_offsets, prose, found, said = read
    # The weights add up in the order of the signals (the score is reported: same sum, same float).
    score, signals = cues.opening if said.cue_signal == "opening cue" else cues.later, [said.cue_signal]
    if said.has_apology:
        score += cues.apology
        signals.append("apology")
    if any(_disclaims_instruction_object(prose, m, instruction) for m in found):
        score += cues.names_instruction_object
        signals.append("names the instruction's object")
    if said.is_brief and not said.has_sql:
        score += cues.brief
        signals.append("brief, no SQL")
    if said.has_suggestion:
        score += cues.suggestion
        signals.append("suggests another object")
    query_at = _QUERY.search(instruction)
    question = _question(instruction)
    if said.opens_yes_no and _YES_NO_QUESTION.search(question):
        score += cues.answers_yes_no
        signals.append("answers a yes/no question")
    if _NEGATION.search(question):
        score += cues.question_negates
        signals.append("the question asks about absence")
    if query_at and said.has_sql:
        score += cues.corrects_sql
        signals.append("corrects the prompt's SQL")
    if score < cues.min_score:
        return None
    best = said.best
    start, end = _answer_offsets(prose_offsets, best.start(), best.end())
    return Refusal(answer[start:end], start, end, score, tuple(signals))


def _question(instruction: str) -> str:
    """The instruction's own words: what comes before any schema (DDL) or code it carries."""
    cut = [m.start() for m in (_QUERY.search(instruction), _DDL.search(instruction)) if m]
    text = instruction[:min(cut)] if cut else instruction
    marker = text.rfind("Question:")  # prompts that wrap the question in a template
    return text[marker + len("Question:"):].strip() if marker >= 0 else text.strip()


def _prose(answer: str) -> list[tuple[int, int]]:
    """Offsets of the answer's text outside code fences (cues inside code are SQL, not refusals)."""
    if "```" not in answer and "~~~" not in answer:  # most answers
        return [(0, len(answer))] if answer else []
    spans, at = [], 0
    for block in _FENCE.finditer(answer):
        spans.append((at, block.start()))
        at = block.end()
    spans.append((at, len(answer)))
    return [(a, b) for a, b in spans if b > a]


def _answer_offsets(spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """Map offsets in the joined prose back to the answer."""
    seen = 0
    for a, b in spans:
        if start < seen + (b - a):
            return a + start - seen, a + min(end - seen, b - a)
        seen += b - a
    return start, end


def _opening_end(prose: str) -> int:
    """End of the opening sentence (the first sentence with words in it)."""
    begin = len(prose) - len(prose.lstrip())
    for end in _SENTENCE_END.finditer(prose, begin):
        if prose[begin:end.start()].strip(" \t*#>-:"):
            return end.end()
        begin = end.end()
    return len(prose)


def _hedged(prose: str, at: int, hedge: re.Pattern) -> bool:
    clause_start = max(prose.rfind(mark, 0, at) for mark in (".", ";", ":", "\n", ",", "(")) + 1
    for word in hedge.finditer(prose, clause_start, at):
        # "that"/"which"/"who" open a relative clause ("a column that does not exist") unless they
        # start the clause, where they point back ("That column doesn't exist in PREH").
        if word.group(0).lower() not in ("that", "which", "who") or prose[clause_start:word.start()].strip():
            return True
    return False


def _disclaims_instruction_object(prose: str, cue: re.Match, instruction: str) -> bool:
    """The sentence with the cue names (quoted, or after "named"/"called", or as a word) something the
    instruction names too: the answer disclaims what was asked about."""
    if not instruction:
        return False
    begin = max(prose.rfind(mark, 0, cue.start()) for mark in (".", "\n")) + 1
    ends = [i for i in (prose.find(".", cue.end()), prose.find("\n", cue.end())) if i >= 0]
    sentence = prose[begin:min(ends) if ends else len(prose)]
    wanted = instruction.lower()
    for match in _QUOTED.finditer(sentence):
        name = (match.group(1) or match.group(2) or "").strip().lower()
        if len(name) >= 2 and name in wanted:
            return True
    return False


def default_cues() -> RefusalCues:
    return refusal_cues(None)


def refusal_cues(settings: dict | None) -> RefusalCues:
    """The policy's classifier: ``settings: {refusal: {...}}`` over the defaults (built once per policy).

    Raises:
        UsageError: the settings name an unknown option or a cue that is not a regular expression
            (the policy loader reports these with their position first).
    """
    tool = settings.get("settings") if isinstance(settings, dict) else None
    return _cues_of(tool.get("refusal") if isinstance(tool, dict) else None)


def _build_cues(raw: object) -> RefusalCues:
    try:
        return build_options(RefusalCues, raw if isinstance(raw, dict) else {})
    except OptionError as exc:
        raise UsageError(f'settings "refusal": {exc}') from None


_cues_of = IdentityMemo(_build_cues, max_entries=64)  # a policy's refusal settings: its classifier, built once
