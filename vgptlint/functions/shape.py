"""Shape functions: presence, emptiness, types, allowed values, JSON Schema, required fields, KTO labels."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from vgptlint.functions.base import MISSING, Context, Hit, NoOptions, describe_json_type, function
from vgptlint.functions.sites import KtoLabelSite

JSON_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")


@dataclass(frozen=True, slots=True)
class TruthyOptions:
    """``strip``: a string of only whitespace counts as empty (default true)."""

    strip: bool = True


def _is_empty(value: object, strip: bool) -> bool:
    if isinstance(value, str):
        return not (value.strip() if strip else value)
    return not value


@function("truthy", options=TruthyOptions, is_pure=True)
def truthy(value: object, opts: TruthyOptions, ctx: Context) -> Iterator[Hit]:
    """The value is present and not empty (not "", whitespace, [], {}, null, false or 0)."""
    if value is MISSING:
        yield Hit("is missing", data={"state": "missing"})
    elif _is_empty(value, opts.strip):
        yield Hit("is empty" if isinstance(value, (str, list, dict)) else f"is {describe_json_type(value)}",
                  data={"state": "empty"})


truthy.has_hit = lambda value, opts, ctx, check=None: value is MISSING or _is_empty(value, opts.strip)


@function("falsy", options=TruthyOptions, is_pure=True)
def falsy(value: object, opts: TruthyOptions, ctx: Context) -> Iterator[Hit]:
    """The value is absent or empty."""
    if value is not MISSING and not _is_empty(value, opts.strip):
        yield Hit("is not empty")


@function("defined", options=NoOptions, is_pure=True)
def defined(value: object, opts: NoOptions, ctx: Context) -> Iterator[Hit]:
    """The field exists (any value, null included). Use with ``then.field``."""
    if value is MISSING:
        yield Hit("is missing")


@dataclass(frozen=True, slots=True)
class EnumerationOptions:
    """``values``: the allowed values (compared with JSON types: "1" is not 1, true is not "true")."""

    values: tuple = ()

    def validate(self) -> str | None:
        return None if self.values else 'needs "values": a non-empty list'


def _same_json_value(a: object, b: object) -> bool:
    return type(a) is type(b) and a == b or (describe_json_type(a) in ("integer", "number")
                                             and describe_json_type(b) in ("integer", "number") and a == b)


@function("enumeration", options=EnumerationOptions, is_pure=True)
def enumeration(value: object, opts: EnumerationOptions, ctx: Context) -> Iterator[Hit]:
    """The value is one of ``values``."""
    if value is MISSING:
        return
    if not any(_same_json_value(value, allowed) for allowed in opts.values):
        allowed = ", ".join(_render(v) for v in opts.values)
        yield Hit(f"is {_render(value)}; expected one of {allowed}", data={"value": value})


@dataclass(frozen=True, slots=True)
class TypeOptions:
    """``type``: one JSON type name or a list of them (string, number, integer, boolean, array, object, null)."""

    type: str | tuple[str, ...] = "string"

    def validate(self) -> str | None:
        names = (self.type,) if isinstance(self.type, str) else self.type
        unknown = [n for n in names if n not in JSON_TYPES]
        return f'unknown JSON type "{unknown[0]}"; known: {", ".join(JSON_TYPES)}' if unknown else None

    @property
    def names(self) -> tuple[str, ...]:
        return (self.type,) if isinstance(self.type, str) else self.type


@function("type", options=TypeOptions, is_pure=True)
def type_(value: object, opts: TypeOptions, ctx: Context) -> Iterator[Hit]:
    """The value has one of the JSON types in ``type`` (integer also counts as number)."""
    if value is MISSING:
        return
    actual = describe_json_type(value)
    if actual in opts.names or (actual == "integer" and "number" in opts.names):
        return
    yield Hit(f"is {_article(actual)}; expected {' or '.join(opts.names)}", data={"actual": actual})


@dataclass(frozen=True)
class JsonSchemaOptions:
    """``schema``: a JSON Schema (draft 2020-12) the value must satisfy."""

    schema: Mapping = field(default_factory=dict)
    validator: object = field(default=None, init=False, repr=False, compare=False)

    def validate(self) -> str | None:
        import jsonschema  # only policies with a json_schema rule pay for importing it

        try:
            cls = jsonschema.validators.validator_for(self.schema, default=jsonschema.Draft202012Validator)
            cls.check_schema(self.schema)
        except jsonschema.SchemaError as exc:
            return f"invalid JSON Schema: {exc.message}"
        object.__setattr__(self, "validator", cls(self.schema))
        return None


@function("json_schema", options=JsonSchemaOptions, is_pure=True)
def json_schema(value: object, opts: JsonSchemaOptions, ctx: Context) -> Iterator[Hit]:
    """The value (often the whole record, ``given: $``) satisfies a JSON Schema; one hit per violation."""
    if value is MISSING:
        return
    for error in sorted(opts.validator.iter_errors(value), key=lambda e: list(e.absolute_path)):
        yield Hit(error.message, path=tuple(error.absolute_path))


@dataclass(frozen=True, slots=True)
class RequiredFieldsOptions:
    """``fields``: per dataset kind, the fields every record must have, e.g.
    ``{sft: [instruction, output], dpo: [instruction, chosen, rejected], kto: [instruction, output, label]}``."""

    fields: Mapping = field(default_factory=lambda: {
        "sft": ["instruction", "output"],
        "dpo": ["instruction", "chosen", "rejected"],
        "kto": ["instruction", "output", "label"],
    })

    def validate(self) -> str | None:
        for kind, names in self.fields.items():
            if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) for n in names):
                return f'"fields.{kind}" must be a list of field names'
        return None


@function("required_fields", options=RequiredFieldsOptions, accepts=(dict,), is_pure=True)
def required_fields(value: dict, opts: RequiredFieldsOptions, ctx: Context) -> Iterator[Hit]:
    """Every field the record's dataset kind requires is present. Use with ``given: $``."""
    for name in opts.fields.get(ctx.kind, ()):
        if name not in value:
            yield Hit(f'{ctx.kind} record has no "{name}" field', data={"field": name})


# ------------------------------------------------------------------------------------------ KTO

KTO_STRING_LABELS = {"true": True, "false": False}
LOOSE_LABELS = {"1": True, "0": False, "yes": True, "no": False, "y": True, "n": False}


@dataclass(frozen=True, slots=True)
class KtoLabelOptions:
    """``expect``: ``boolean`` (JSON true/false, what LLaMA-Factory reads), ``string`` ("true"/"false"),
    or ``auto`` (boolean when the consumer is LLaMA-Factory, else either canonical form).
    ``field``: the label's field when no dataset_info maps ``kto_tag`` (default ``label``)."""

    expect: str = field(default="auto", metadata={"choices": ("auto", "boolean", "string")})
    field: str = "label"


def label_field(opts: KtoLabelOptions, ctx: Context) -> str:
    spec = ctx.spec
    columns = getattr(spec, "columns", None) or {}
    return columns.get("kto_tag") or opts.field


def expected_label_type(opts: KtoLabelOptions, ctx: Context) -> str:
    if opts.expect != "auto":
        return opts.expect
    spec = ctx.spec
    if ctx.trainer == "llamafactory" or (getattr(spec, "columns", None) or {}).get("kto_tag"):
        return "boolean"
    return "either"


def label_truth(value: object) -> bool | None:
    """What a label means, however it is written; None when it means nothing clear."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        return KTO_STRING_LABELS.get(word, LOOSE_LABELS.get(word))
    return None


@function("kto_label", options=KtoLabelOptions, accepts=(dict,), is_pure=True)
def kto_label(value: dict, opts: KtoLabelOptions, ctx: Context) -> Iterator[Hit]:
    """The KTO label has the type the trainer reads. Use with ``given: $`` (the field comes from
    dataset_info's ``kto_tag`` column when one is configured).

    LLaMA-Factory only treats ``kto_tag`` as a KTO label when it is a JSON boolean
    (``isinstance(example[kto_tag], bool)`` in src/llamafactory/data/converter.py).
    """
    name = label_field(opts, ctx)
    if name not in value:
        yield Hit(f'KTO record has no "{name}" label', path=(), data={"field": name})
        return
    label = value[name]
    expected = expected_label_type(opts, ctx)
    meaning = label_truth(label)
    data = {"field": name, "label": label, "expected": expected}
    site = KtoLabelSite(name, label, expected)
    if expected == "boolean" and not isinstance(label, bool):
        consequence = ("LLaMA-Factory reads KTO labels only as JSON booleans, so it drops this record in a KTO run "
                       "and trains it as plain SFT in an SFT run (this reverses the string-label \"fix\")")
        suggestion = f"; use {str(meaning).lower()}" if meaning is not None else ""
        yield Hit(f"label is {_render(label)}; {consequence}{suggestion}", path=(name,), data=data, site=site)
    elif expected == "string" and label not in ("true", "false"):
        suggestion = f'; use "{str(meaning).lower()}"' if meaning is not None else ""
        yield Hit(f'label is {_render(label)}; expected the string "true" or "false"{suggestion}', path=(name,), data=data, site=site)
    elif expected == "either" and not isinstance(label, bool) and label not in ("true", "false"):
        suggestion = f"; use {str(meaning).lower()}" if meaning is not None else ""
        yield Hit(f"label is {_render(label)}; expected true or false{suggestion}", path=(name,), data=data, site=site)


def _render(value: object) -> str:
    if isinstance(value, str):
        return f'the string "{value}"' if value in ("true", "false") else f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _article(type_name: str) -> str:
    return ("an " if type_name[0] in "aeiou" else "a ") + type_name
