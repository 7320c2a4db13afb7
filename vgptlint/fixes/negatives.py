"""Undesirable examples are training signal, not targets: no fix may drop or rewrite them.

A KTO record labelled false and a DPO pair's rejected answer show the model what not to write.
"Fixing" them (dropping a one-line negative as too short, adding NOLOCK to a rejected query)
erases the contrast the trainer learns from: on one real KTO file a length rule's drop fix once
moved 438 of 518 negatives to the rejects file. Rules that judge answer quality already skip
them (``where: {unless: ...}`` in the packs); this guard is the backstop for any rule, shipped
or a team's own, so ``--fix --unsafe-fixes`` leaves the negatives byte-identical.

What stays as written:

- a KTO record whose label means false (``false`` or the string ``"false"``, however cased):
  everything but the label itself, which may only be respelled to another form of false
  (``"false"`` -> ``false``, what LLaMA-Factory reads);
- a DPO record: its ``rejected`` answer, and the pair as a whole (dropping the pair drops it).
"""
from __future__ import annotations

from dataclasses import replace

from vgptlint.functions.shape import label_truth
from vgptlint.model import DropRecord, Finding, Fix, SetValue
from vgptlint.select.jsonpath import to_pointer

REJECTED = "/rejected"


def label_name(spec: object) -> str:
    """The KTO label's field: dataset_info's ``kto_tag`` column when it maps one, else ``label``."""
    return (getattr(spec, "columns", None) or {}).get("kto_tag") or "label"


def is_undesirable(data: object, label: str) -> bool:
    """A KTO record whose label means false, as a boolean or a string.

    >>> is_undesirable({"output": "x", "label": "false"}, "label"), is_undesirable({"label": False}, "label")
    (True, True)
    >>> is_undesirable({"label": True}, "label"), is_undesirable({"output": "x"}, "label")
    (False, False)
    """
    return isinstance(data, dict) and label in data and label_truth(data[label]) is False


def _inside(pointer: str, root: str) -> bool:
    return pointer == root or pointer.startswith(root + "/")


def touches_negative(fix: Fix, pointer: str, data: object, kind: str, label: str) -> bool:
    """Whether applying ``fix`` (of a finding at ``pointer``) would drop or rewrite an undesirable example.

    >>> from vgptlint.model import Applicability, Edit
    >>> drop = Fix("drop", Applicability.UNSAFE, changes=(DropRecord("too short"),))
    >>> touches_negative(drop, "/output", {"output": "Use a JOIN.", "label": "false"}, "kto", "label")
    True
    >>> relabel = Fix("set label", Applicability.SAFE, changes=(SetValue("/label", False),))
    >>> touches_negative(relabel, "/label", {"output": "Use a JOIN.", "label": "false"}, "kto", "label")
    False
    >>> hint = Fix("add NOLOCK", Applicability.SAFE, edits=(Edit(15, 15, " WITH (NOLOCK)"),))
    >>> touches_negative(hint, "/rejected", {"chosen": "a", "rejected": "b"}, "dpo", "label")
    True
    >>> touches_negative(hint, "/chosen", {"chosen": "a", "rejected": "b"}, "dpo", "label")
    False
    """
    drops = any(isinstance(change, DropRecord) for change in fix.changes)
    sets = [change for change in fix.changes if isinstance(change, SetValue)]
    if kind == "dpo" or (isinstance(data, dict) and "rejected" in data and "chosen" in data):
        return drops or (bool(fix.edits) and _inside(pointer, REJECTED)) or any(_inside(s.pointer, REJECTED) for s in sets)
    if is_undesirable(data, label):
        own_label = to_pointer((label,))
        relabels_as_false = all(s.pointer == own_label and label_truth(s.value) is False for s in sets)
        return drops or (bool(fix.edits) and pointer != own_label) or not relabels_as_false
    return False


def without_negative_fixes(findings: list[Finding], data: object, kind: str, label: str) -> list[Finding]:
    """``findings`` of one record, with every fix that would drop or rewrite an undesirable example
    removed (the finding stays, unfixable)."""
    return [replace(f, fix=None) if f.fix is not None and touches_negative(f.fix, f.location.pointer, data, kind, label)
            else f for f in findings]
