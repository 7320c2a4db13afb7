"""Lint any folder of .sql files as training answers, and say how the SQL layer read them.

    python bench/sql_corpus.py FOLDER [--catalog catalog.yaml] [--show RULE] [--limit N]

Each file becomes one SFT record (``output`` = the file's text, decoded from UTF-8, or UTF-16 when
it starts with a byte-order mark), and the SQL rules of the ``pretrain`` policy (``sql``, plus
``sql_catalog`` with ``--catalog``) lint the records one file at a time, fixes verified as for
``--format json``. Printed: files, statements (as the splitter finds them), statements the parser
could not read grouped by class, findings by rule, statements per second, and the slowest records.
Times are CPU seconds of this process (``time.process_time``): on a shared machine wall time says
more about the neighbours than about vgptlint.
``--show RULE`` also prints each finding of that rule with its statement, for classifying by hand.

Nothing here is tuned to a corpus: run it on your own SQL to see what vgptlint makes of it.
"""
from __future__ import annotations

import argparse
import gc
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vgptlint.api import CheckOptions, prepare  # noqa: E402
from vgptlint.run.engine import tune_collector  # noqa: E402
from vgptlint.run.local import run  # noqa: E402
from vgptlint.sql.extract import extract_sql  # noqa: E402
from vgptlint.sql.parse import ParsedStatement, ParseFailure, parse_statement  # noqa: E402


def read_sql(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def failure_class(statement: str, parsed: object) -> str | None:
    """``KEYWORD: message`` with names, numbers and quoted text blanked, or None when it parsed."""
    if isinstance(parsed, ParsedStatement):
        if parsed.not_analyzed:
            return "not analyzed: " + re.sub(r"[\d,]+", "N", parsed.not_analyzed)
        return None
    words = statement.split(None, 2)
    head = " ".join(words[:2]).upper() if words and words[0].upper() in ("CREATE", "ALTER", "DROP") else (words[0].upper() if words else "")
    message = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", getattr(parsed, "message", ""))
    return f"{head[:24]}: {message[:90]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--catalog", help="a schema catalog: also run the sql_catalog rules")
    parser.add_argument("--show", action="append", default=[], help="print every finding of this rule")
    parser.add_argument("--limit", type=int, default=15, help="rows per table")
    args = parser.parse_args()
    files = sorted(p for p in args.folder.rglob("*") if p.suffix.lower() == ".sql" and p.is_file())
    if not files:
        print(f"no .sql files under {args.folder}")
        return 2
    texts = {path: read_sql(path) for path in files}
    with tempfile.TemporaryDirectory() as tmp:
        record_files = []
        for number, (path, text) in enumerate(texts.items()):
            record = Path(tmp) / f"r{number:05d}.jsonl"
            record.write_text(json.dumps({"instruction": str(path.relative_to(args.folder)), "input": "", "output": text}) + "\n")
            record_files.append(record)
        select = ("sql", "sql_catalog") if args.catalog else ("sql",)
        prepared = prepare(tuple(map(str, record_files)), CheckOptions(select=select, catalog=(args.catalog,) if args.catalog else ()))
        by_rule: Counter = Counter()
        shown: list[str] = []
        seconds: list[tuple[float, Path]] = []
        tune_collector()  # as the CLI does: one process lints every record
        started = time.process_time()
        for task, path in zip(prepared.tasks, files):
            gc.collect()  # the garbage of earlier records is collected here, not timed in this one
            began = time.process_time()
            result = run(prepared.setup, [task])
            seconds.append((time.process_time() - began, path))
            for finding in result.findings:
                if finding.location.record_index is None:
                    continue  # dataset-level (sql-share and friends): about the folder, not the SQL
                by_rule[finding.rule] += 1
                if finding.rule in args.show:
                    shown.append(_shown(finding, texts[path], path.relative_to(args.folder)))
        total = time.process_time() - started
    statements, failures = 0, Counter()
    for text in texts.values():
        for statement in extract_sql(text):
            statements += 1
            failure = failure_class(statement.text, parse_statement(statement.text))
            if failure:
                failures[failure] += 1
    print(f"{len(files):,} files, {sum(map(len, texts.values())):,} characters, {statements:,} statements")
    print(f"{statements / total:,.0f} statements per CPU second ({total:.1f} s of CPU linting, one record per file)")
    print(f"slowest records (CPU): " + ", ".join(f"{s:.2f} s {p.relative_to(args.folder)}" for s, p in sorted(seconds, reverse=True)[:3]))
    print(f"\nstatements not parsed: {sum(failures.values()):,}")
    for failure, count in failures.most_common(args.limit):
        print(f"{count:7,}  {failure}")
    print("\nfindings by rule:")
    for rule, count in by_rule.most_common():
        print(f"{count:7,}  {rule}")
    for line in shown:
        print(line)
    return 0


def _shown(finding, text: str, path: Path) -> str:
    span = finding.location.span
    line = text.count("\n", 0, span.start) + 1 if span else 0
    start = text.rfind("\n", 0, span.start) + 1 if span else 0
    end = text.find("\n", span.end if span else 0)
    excerpt = text[start : end if end >= 0 else len(text)].strip()[:160]
    return f"{path}:{line}: {finding.rule}: {finding.message}\n    {excerpt}"


if __name__ == "__main__":
    sys.exit(main())
