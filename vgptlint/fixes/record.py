"""Record-level fixers: set a field, normalize a KTO label."""
from __future__ import annotations

from vgptlint.fixes.base import fixer
from vgptlint.functions.base import Context, NoOptions
from vgptlint.functions.sites import KtoLabelSite
from vgptlint.functions.shape import label_truth
from vgptlint.model import Applicability, Fix, SetValue
from vgptlint.select.jsonpath import to_pointer


@fixer("kto_label", options=NoOptions, site=KtoLabelSite)
def fix_kto_label(value: object, site: KtoLabelSite, opts: NoOptions, ctx: Context) -> Fix | None:
    """Rewrite the label in the expected type. ``"true"``/``"False"`` ↔ booleans are safe: the
    meaning is certain. ``1``/``0``/``"yes"``/``"no"`` are unsafe: someone should confirm them."""
    label = site.label
    meaning = label_truth(label)
    if meaning is None:
        return None
    new_value: object = str(meaning).lower() if site.expected == "string" else meaning
    is_certain = isinstance(label, bool) or (isinstance(label, str) and label.strip().lower() in ("true", "false"))
    applicability = Applicability.SAFE if is_certain else Applicability.UNSAFE
    pointer = to_pointer((site.field,))
    return Fix(f"set {pointer[1:]} to {str(new_value).lower() if isinstance(new_value, bool) else repr(new_value)}",
               applicability, changes=(SetValue(pointer, new_value),))
