"""The one recipe for a finding's fingerprint: what a baseline remembers a finding by.

A fingerprint hashes the rule, the file's path as :func:`stable_path` spells it, and pieces that say
what the problem is about (never its position), so baselines survive moving and reordering records
but not editing them. Every kind of finding (record rules, dataset-level rules, input problems,
dataset_info.json problems, unused suppressions, the training-run rules) uses :func:`fingerprint`.
"""
from __future__ import annotations

import functools
import hashlib
from pathlib import Path


def fingerprint(rule: str, path: str, *pieces: str) -> str:
    """blake2b-128 of the rule, the stable path and the pieces, joined by NUL.

    Record findings and unused-suppression findings pass a last empty piece: their recipe ended
    every piece with a NUL, and existing baselines keep matching.

    >>> fingerprint("r", "./a.jsonl", "x") == fingerprint("r", "a.jsonl", "x")
    True
    """
    text = "\0".join((rule, stable_path(path), *pieces))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@functools.lru_cache(maxsize=1024)
def stable_path(source: str) -> str:
    """The path as fingerprints see it: relative to the working directory, POSIX, no "./", so
    `examples/kto.jsonl`, `./examples/kto.jsonl` and its absolute spelling share baselines."""
    if "://" in source:  # s3://bucket/key: not a local path, keep it as written
        return source
    path = Path(source)
    if path.is_absolute():
        try:
            path = path.resolve().relative_to(Path.cwd().resolve())
        except ValueError:
            return path.as_posix()
    return path.as_posix()
