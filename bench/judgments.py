"""Refusal and content-type judgments measured on data nobody here generated.

    python bench/judgments.py [--corpora ../shared/corpora] [--show-errors N]

Reads the dataset owner's public files (`vgpt2-owner/`), LLaMA-Factory's demo data (`llamafactory/`)
and the Spider Alpaca fork (`spider-alpaca-llamafactory-fork/`) when they are present (they are
never copied into the repository), plus the project's hand-written set
(`tests/judgments/labelled.jsonl`), and prints precision and recall per class of the classifiers
vgptlint's rules use: the refusal classifier (`vgptlint/refusal.py`, shared by the `negative`
facet value, `negative-missing-category`, `stats` and the DPO/KTO feature tables) and the
`content_type` facet of the shipped `dataset` pack.

The labels of the third-party files were decided by reading them (this file records the decisions,
not a classifier): the owner's files are written from a few dozen templates, each read and labelled
once below; the 999 LLaMA-Factory Alpaca records were searched for every refusal-like word (sorry,
cannot, unable, as an AI, impossible, need more information, ...) and the 83 hits read one by one;
the refusals among them are listed by index in `ALPACA_REFUSALS`.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vgptlint.refusal import default_cues, refusal  # noqa: E402

# Read by hand: each opens by declining (often then offering an alternative or a partial answer).
ALPACA_REFUSALS = frozenset({21, 43, 67, 80, 82, 95, 117, 185, 223, 239, 264, 275, 380, 385, 407, 432, 502, 526, 561, 608,
                             665, 691, 711, 717, 736, 737, 739, 765, 794, 817, 836, 930, 942, 943, 955, 973})
# The owner's refusal templates (SFT outputs, DPO chosen answers, one KTO answer), read by hand. Every
# other template of those files answers the question (SQL, column lists, "Use PREH for employees").
OWNER_REFUSAL = re.compile(
    r"^(?:I cannot generate this query|I can partially answer|There is no '|The column '[^']+' does not exist|"
    r"No '[^']+' table|'[^']+'(?: and '[^']+')? (?:doesn't|don't) exist|Neither '|Vista uses module prefixes, not|"
    r"Vista doesn't use '|I'm not certain which specific table)")


def owner_records(folder: Path) -> list[dict]:
    out = []
    sft = folder / "vgpt2_v4_sft.json"
    if sft.is_file():
        for r in json.loads(sft.read_text(encoding="utf-8")):
            is_refusal = bool(OWNER_REFUSAL.match(r["output"]))
            out.append(_item("owner SFT", r["instruction"], r["output"], is_refusal,
                             "negative" if is_refusal else "sql_generation"))
    dpo = folder / "vgpt2_v3_dpo_v2.json"
    if dpo.is_file():
        for r in json.loads(dpo.read_text(encoding="utf-8")):
            out.append(_item("owner DPO chosen", r["instruction"], r["chosen"], bool(OWNER_REFUSAL.match(r["chosen"])), None))
            out.append(_item("owner DPO rejected", r["instruction"], r["rejected"], False, None))
    kto = folder / "vgpt2_v3_kto.json"
    if kto.is_file():
        for r in json.loads(kto.read_text(encoding="utf-8")):
            out.append(_item("owner KTO", r["instruction"], r["output"], bool(OWNER_REFUSAL.match(r["output"])),
                             owner_kto_content(r["instruction"], r["output"])))
    return out


def owner_kto_content(instruction: str, output: str) -> str | None:
    """The owner's KTO instructions come from a handful of templates; labelled by what they ask."""
    if OWNER_REFUSAL.match(output):
        return "negative"
    if re.search(r"\bjoin|relationship|related\b", instruction, re.I):
        return "join_pattern"
    if re.match(r"What columns|What's in|What is in|What's the primary key|Explain the .* tables|Where can I find information"
                r"|What's the difference between APTH and bAPTH", instruction):
        return "schema_description"
    if re.match(r"(Query|Read from|Select|Get|List|Show|How do I (query|get|find|filter|calculate|compare)|Complex .* query)",
                instruction):
        return "sql_generation"
    if re.match(r"How do .* work|What's the difference between actual|What's the GL account structure|Explain cost types"
                r"|What modules|What date format|What's the Month format|What's the best way", instruction):
        return "business_context"
    return None  # not labelled


def llamafactory_records(folder: Path) -> list[dict]:
    out = []
    alpaca = folder / "alpaca_en_demo.json"
    if alpaca.is_file():
        for index, r in enumerate(json.loads(alpaca.read_text(encoding="utf-8"))):
            out.append(_item("LLaMA-Factory alpaca_en_demo", r["instruction"] + "\n" + r["input"], r["output"],
                             index in ALPACA_REFUSALS, None))
    identity = folder / "identity.json"
    if identity.is_file():
        for r in json.loads(identity.read_text(encoding="utf-8")):
            out.append(_item("LLaMA-Factory identity", r["instruction"], r["output"], False, None))
    return out


def spider_records(folder: Path) -> list[dict]:
    path = folder / "text2sql_en.json"
    if not path.is_file():
        return []
    return [_item("Spider (Alpaca fork)", r["input"], r["output"], False, "sql_generation")
            for r in json.loads(path.read_text(encoding="utf-8"))]


def project_records() -> list[dict]:
    path = ROOT / "tests" / "judgments" / "labelled.jsonl"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            out.append(_item("project hand-written", r["instruction"], r["output"], r["refusal"], r.get("content_type"),
                             r.get("input", "")))
    return out


def _item(source: str, instruction: str, answer: str, is_refusal: bool, content: str | None, input_: str = "") -> dict:
    return {"source": source, "instruction": instruction, "input": input_, "answer": answer, "refusal": is_refusal,
            "content_type": content}


def precision_recall(pairs: list[tuple[object, object]], cls: object) -> tuple[float | None, float | None, int, int]:
    """(precision, recall, predicted, actual) of class ``cls`` over (truth, predicted) pairs."""
    true_positive = sum(1 for truth, guess in pairs if truth == cls and guess == cls)
    predicted = sum(1 for _, guess in pairs if guess == cls)
    actual = sum(1 for truth, _ in pairs if truth == cls)
    return (true_positive / predicted if predicted else None, true_positive / actual if actual else None, predicted, actual)


def content_type_of(items: list[dict]) -> list[str]:
    """The shipped content_type facet's label for each item, through the public API."""
    from vgptlint.builtins import load_builtins
    from vgptlint.functions.base import Context
    from vgptlint.policy.load import load_policy
    from vgptlint.resources import builtin_dir

    load_builtins()
    facets = load_policy(str(builtin_dir("rules") / "dataset.yaml")).facets
    labels = []
    for item in items:
        record = {"instruction": item["instruction"], "input": item["input"], "output": item["answer"]}
        ctx = Context(record=record, kind="sft", path="", settings={"facets": facets})
        labels.append(facets.value("content_type", record, ctx))
    return labels


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    found = [p for p in (ROOT.parent / "shared" / "corpora", ROOT.parent.parent / "shared" / "corpora") if p.is_dir()]
    parser.add_argument("--corpora", type=Path, default=found[0] if found else ROOT.parent / "shared" / "corpora")
    parser.add_argument("--show-errors", type=int, default=0)
    args = parser.parse_args()
    items = (owner_records(args.corpora / "vgpt2-owner") + llamafactory_records(args.corpora / "llamafactory")
             + spider_records(args.corpora / "spider-alpaca-llamafactory-fork") + project_records())
    cues = default_cues()
    guesses = [refusal(i["answer"], i["instruction"] + "\n" + i["input"], cues) is not None for i in items]
    print("refusal classifier (yes = refusal)\n")
    print(f"{'source':<32} {'records':>8} {'refusals':>9}  {'P(yes)':>7} {'R(yes)':>7}  {'P(no)':>7} {'R(no)':>7}")
    sources = list(dict.fromkeys(i["source"] for i in items))
    for source in [*sources, "all", "not project-written"]:
        chosen = [(i["refusal"], g) for i, g in zip(items, guesses)
                  if source == "all" or i["source"] == source or (source == "not project-written" and i["source"] != "project hand-written")]
        py, ry, _, actual = precision_recall(chosen, True)
        pn, rn, _, _ = precision_recall(chosen, False)
        print(f"{source:<32} {len(chosen):>8,} {actual:>9,}  {_fmt(py):>7} {_fmt(ry):>7}  {_fmt(pn):>7} {_fmt(rn):>7}")
    if args.show_errors:
        wrong = [(i, g) for i, g in zip(items, guesses) if i["refusal"] != g]
        for item, guess in wrong[:args.show_errors]:
            print(f"\n[{item['source']}] labelled {'refusal' if item['refusal'] else 'answer'}, judged "
                  f"{'refusal' if guess else 'answer'}\n  Q: {item['instruction'][:120]!r}\n  A: {item['answer'][:300]!r}")
    labelled = [i for i in items if i["content_type"]]
    predicted = content_type_of(labelled)
    print("\ncontent_type facet\n")
    print(f"{'class':<20} {'labelled':>9} {'predicted':>10} {'precision':>10} {'recall':>7}")
    pairs = [(i["content_type"], p) for i, p in zip(labelled, predicted)]
    for cls in sorted({t for t, _ in pairs} | {p for _, p in pairs}):
        p, r, n_pred, n_true = precision_recall(pairs, cls)
        print(f"{cls:<20} {n_true:>9,} {n_pred:>10,} {_fmt(p):>10} {_fmt(r):>7}")
    by_source = Counter(i["source"] for i in labelled)
    print("\nlabelled for content type: " + ", ".join(f"{s} {n:,}" for s, n in by_source.items()))
    if args.show_errors:
        confusion = Counter((i["source"], t, p) for i, (t, p) in zip(labelled, pairs) if t != p)
        for (source, truth, guess), n in confusion.most_common(20):
            print(f"  {n:>5}  [{source}] {truth} -> {guess}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
