"""Dataset-level fixers: remove a record (to the rejects file), shuffle the dataset.

Both are always ``unsafe``: they change what the model trains on, so ``--fix`` alone never runs
them; ``--fix --unsafe-fixes`` does. Nothing is lost: a removed record is written, with the rules
that removed it, to ``<name>.rejected.jsonl`` beside its dataset, and a shuffle's seed is printed
(``--seed`` chooses it).
"""
from __future__ import annotations

from dataclasses import dataclass

from vgptlint.fixes.base import fixer
from vgptlint.functions.base import Context, Hit, NoOptions
from vgptlint.model import Applicability, DropRecord, Fix, ReorderDataset


@fixer("drop_record", options=NoOptions, applicability=Applicability.UNSAFE)
def drop_record(value: object, hit: Hit, opts: NoOptions, ctx: Context) -> Fix | None:
    """Remove the record from the dataset; it goes to the rejects file beside it (unsafe)."""
    return Fix("remove the record (kept in the rejects file)", Applicability.UNSAFE,
               changes=(DropRecord(hit.message),))


@dataclass(frozen=True, slots=True)
class ShuffleRecordsOptions:
    """``seed``: the shuffle's seed when ``--seed`` is not given (default 0)."""

    seed: int = 0


@fixer("shuffle_records", options=ShuffleRecordsOptions, applicability=Applicability.UNSAFE)
def shuffle_records(value: object, hit: Hit, opts: ShuffleRecordsOptions, ctx: Context) -> Fix | None:
    """Shuffle the whole dataset with a seed (``--seed`` overrides the option) (unsafe)."""
    seed = ctx.seed
    seed = opts.seed if not isinstance(seed, int) else seed
    return Fix(f"shuffle the records (seed {seed})", Applicability.UNSAFE, changes=(ReorderDataset(seed),))
