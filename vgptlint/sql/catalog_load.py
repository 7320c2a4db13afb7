"""Reading catalog files: the YAML/JSON shape and ``INFORMATION_SCHEMA.COLUMNS`` CSV exports.

Every mistake is collected with its file position (ruamel's round-trip loader keeps line and
column of each key and value) and reported together as a :class:`PolicyError`, like a policy.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from ruamel.yaml.error import MarkedYAMLError, YAMLError

from vgptlint.errors import PolicyError, Problem
from vgptlint.functions.base import did_you_mean
from vgptlint.policy.yamlio import bounded, cached_document, key_position, node_position, read_round_trip, value_position
from vgptlint.sql.catalog_types import (CatalogPart, KeyPair, Relationship, TableInfo, guess_company,
                                        relationship_problems)

TOP_KEYS = ("tables", "relationships", "name", "description", "version")
TABLE_KEYS = ("columns", "module", "company", "group", "key", "view_of", "description", "row_filter")
RELATIONSHIP_KEYS = ("parent", "child", "on", "description")
PAIR_KEYS = ("column", "parent", "child", "optional")


@dataclass
class _Collector:
    """Problems found so far in one file, with positions taken from ruamel nodes."""

    source: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, where: tuple[int, int], code: str, message: str, hint: str | None = None) -> None:
        self.problems.append(Problem(self.source, where[0], where[1], code, message, hint))


# ---------------------------------------------------------------------------- YAML / JSON


def parse_catalog_document(text: str, source: str) -> CatalogPart:
    """Parse and validate a YAML or JSON catalog document."""
    tree = _load_tree(text, source)
    errors = _Collector(source)
    if not isinstance(tree, Mapping):
        errors.add((1, 1), "catalog-shape", "a catalog must be a mapping with a \"tables\" key", "see examples/catalog.yaml")
        raise PolicyError(errors.problems)
    for key in tree:
        if key not in TOP_KEYS:
            errors.add(key_position(tree, key), "catalog-unknown-key", f'unknown catalog key "{key}"; known: {", ".join(TOP_KEYS)}', did_you_mean(str(key), TOP_KEYS))
    raw_tables = tree.get("tables")
    tables: dict[str, TableInfo] = {}
    explicit: dict[str, frozenset[str]] = {}
    if not isinstance(raw_tables, Mapping):
        errors.add(value_position(tree, "tables") if "tables" in tree else (1, 1), "catalog-shape", '"tables" must be a mapping of table name to its description')
    else:
        for name, spec in raw_tables.items():
            table = _read_table(raw_tables, name, spec, errors)
            if table is not None:
                tables[table.name] = table
                explicit[table.name] = frozenset(k for k in spec if k in TABLE_KEYS)
    relationships = _read_relationships(tree, tables, errors)
    if errors.problems:
        # Report relationship mistakes now too (merging, which checks them, will not happen).
        for rel in relationships:
            if rel.parent in tables and rel.child in tables:
                errors.problems.extend(relationship_problems(rel, tables))
        raise PolicyError(errors.problems)
    return CatalogPart(source, tables, explicit, relationships)


def _load_tree(text: str, source: str) -> object:
    try:
        # Cached by content like the policy files (see vgptlint.cache), and read as they are: reading
        # is most of a run's catalog cost. A document that fails to parse is not stored.
        return cached_document(text.encode("utf-8"), lambda: read_round_trip(text), source)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or "invalid YAML"
    except YAMLError as exc:
        line, col, reason = 1, 1, str(exc)
    except RecursionError:  # the YAML reader recurses once per level
        line, col, reason = 1, 1, "it nests too deep to read"
    except TypeError:  # ruamel's constructor cannot hash a key that is a mapping ("? {a: 1}\n: b")
        line, col, reason = 1, 1, "a key is a mapping; keys of a catalog are plain values"
    # JSON with tab indentation is valid JSON but not valid YAML: accept it without positions.
    try:
        return bounded(json.loads(text), source)
    except RecursionError:
        pass
    except json.JSONDecodeError as exc:
        if source.lower().endswith(".json"):
            line, col, reason = exc.lineno, exc.colno, exc.msg
    raise PolicyError([Problem(source, line, col, "catalog-syntax", f"the catalog is not valid YAML or JSON: {reason}")])


def _read_table(parent: Mapping, name: object, spec: object, errors: _Collector) -> TableInfo | None:
    where = key_position(parent, name)
    if not isinstance(name, str) or not name.strip():
        errors.add(where, "catalog-shape", f"a table name must be a non-empty string; got {name!r}")
        return None
    if not isinstance(spec, Mapping):
        errors.add(value_position(parent, name), "catalog-shape", f'table "{name}": expected a mapping with "columns"; got {_kind(spec)}')
        return None
    count = len(errors.problems)
    for key in spec:
        if key not in TABLE_KEYS:
            errors.add(key_position(spec, key), "catalog-unknown-key", f'table "{name}": unknown key "{key}"; known: {", ".join(TABLE_KEYS)}', did_you_mean(str(key), TABLE_KEYS))
    columns, types = _read_columns(spec, name, errors)
    known = set(columns)

    def column_field(key: str) -> str | None:
        value = spec.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            errors.add(value_position(spec, key), "catalog-shape", f'table "{name}": "{key}" must be a column name; got {_kind(value)}')
            return None
        if value not in known:
            errors.add(value_position(spec, key), "catalog-unknown-column", f'table "{name}": {key} "{value}" is not one of its columns', _case_hint(value, columns))
        return value

    company, group = column_field("company"), column_field("group")
    key_columns = _string_list(spec, "key", name, errors)
    for index, column in enumerate(key_columns):
        if column not in known:
            errors.add(value_position(spec["key"], index), "catalog-unknown-column", f'table "{name}": key column "{column}" is not one of its columns', _case_hint(column, columns))
    module, view_of = spec.get("module"), spec.get("view_of")
    for key, value in (("module", module), ("view_of", view_of)):
        if value is not None and not isinstance(value, str):
            errors.add(value_position(spec, key), "catalog-shape", f'table "{name}": "{key}" must be a string; got {_kind(value)}')
    if len(errors.problems) > count:
        return None
    del group  # validated only: the company rule reads the scope from "company"
    return TableInfo(name, columns, module, company, tuple(key_columns), view_of, column_types=types)


def _read_columns(spec: Mapping, table: str, errors: _Collector) -> tuple[tuple[str, ...], dict[str, str]]:
    raw = spec.get("columns")
    if raw is None:
        errors.add(node_position(spec), "catalog-shape", f'table "{table}": "columns" is required')
        return (), {}
    pairs: list[tuple[object, object, tuple[int, int]]] = []
    if isinstance(raw, Mapping):  # {Name: type}
        pairs = [(k, v, key_position(raw, k)) for k, v in raw.items()]
    elif isinstance(raw, list):
        pairs = [(v, None, value_position(raw, i)) for i, v in enumerate(raw)]
    else:
        errors.add(value_position(spec, "columns"), "catalog-shape", f'table "{table}": "columns" must be a list of names; got {_kind(raw)}')
        return (), {}
    columns: list[str] = []
    types: dict[str, str] = {}
    for column, data_type, where in pairs:
        if not isinstance(column, str) or not column.strip():
            errors.add(where, "catalog-shape", f'table "{table}": a column name must be a non-empty string; got {_kind(column)}')
        elif column in types or column in columns:
            errors.add(where, "catalog-duplicate-column", f'table "{table}": column "{column}" is listed twice')
        else:
            columns.append(column)
            if isinstance(data_type, str):
                types[column] = data_type
    return tuple(columns), types


def _string_list(spec: Mapping, key: str, table: str, errors: _Collector) -> list[str]:
    raw = spec.get(key)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if not isinstance(raw, list) or not all(isinstance(v, str) for v in raw):
        errors.add(value_position(spec, key), "catalog-shape", f'table "{table}": "{key}" must be a list of column names; got {_kind(raw)}')
        return []
    return list(raw)


def _read_relationships(tree: Mapping, tables: Mapping[str, TableInfo], errors: _Collector) -> tuple[Relationship, ...]:
    raw = tree.get("relationships")
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors.add(value_position(tree, "relationships"), "catalog-shape", f'"relationships" must be a list; got {_kind(raw)}')
        return ()
    found: list[Relationship] = []
    for index, item in enumerate(raw):
        where = value_position(raw, index)
        if not isinstance(item, Mapping):
            errors.add(where, "catalog-shape", f"relationship {index + 1}: expected a mapping with parent, child and on; got {_kind(item)}")
            continue
        for key in item:
            if key not in RELATIONSHIP_KEYS:
                errors.add(key_position(item, key), "catalog-unknown-key", f'relationship {index + 1}: unknown key "{key}"; known: {", ".join(RELATIONSHIP_KEYS)}', did_you_mean(str(key), RELATIONSHIP_KEYS))
        ends = {}
        for end in ("parent", "child"):
            value = item.get(end)
            if not isinstance(value, str):
                errors.add(value_position(item, end) if end in item else where, "catalog-shape", f'relationship {index + 1}: "{end}" must be a table name')
            else:  # tables defined in another file of an overlay are checked when the files merge

                ends[end] = value
        pairs = _read_pairs(item, index, errors)
        if len(ends) == 2 and pairs:
            found.append(Relationship(ends["parent"], ends["child"], pairs, (errors.source, *where)))
    return tuple(found)


def _read_pairs(item: Mapping, index: int, errors: _Collector) -> tuple[KeyPair, ...]:
    raw = item.get("on")
    label = f"relationship {index + 1}"
    if not isinstance(raw, list) or not raw:
        errors.add(value_position(item, "on") if "on" in item else node_position(item), "catalog-shape", f'{label}: "on" must be a non-empty list of key columns')
        return ()
    pairs: list[KeyPair] = []
    for position, entry in enumerate(raw):
        where = value_position(raw, position)
        if isinstance(entry, str):
            pair = KeyPair(entry, entry)
        elif isinstance(entry, Mapping):
            unknown = [k for k in entry if k not in PAIR_KEYS]
            optional = entry.get("optional", False)
            column = entry.get("column")
            parent, child = entry.get("parent", column), entry.get("child", column)
            if unknown or not isinstance(parent, str) or not isinstance(child, str) or not isinstance(optional, bool):
                errors.add(where, "catalog-shape", f"{label}: a key column is a name, {{column, optional}} or {{parent, child, optional}}")
                continue
            pair = KeyPair(parent, child, optional)
        else:
            errors.add(where, "catalog-shape", f"{label}: a key column is a name, {{column, optional}} or {{parent, child, optional}}; got {_kind(entry)}")
            continue
        pairs.append(pair)
    return tuple(pairs)


def _case_hint(name: str, choices: tuple[str, ...]) -> str | None:
    for choice in choices:
        if choice.casefold() == name.casefold():
            return f'the column is spelled "{choice}" (names are case-sensitive)'
    return did_you_mean(name, choices)


def _kind(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return str(value)


# ---------------------------------------------------------------------------- CSV

_REQUIRED_HEADERS = ("TABLE_NAME", "COLUMN_NAME")


def parse_columns_csv(text: str, source: str) -> CatalogPart:
    """Read an ``INFORMATION_SCHEMA.COLUMNS`` export (header row required; sqlcmd's dashed
    underline and ``(N rows affected)`` footer are skipped). Company columns are guessed."""
    dialect = csv.excel_tab if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise PolicyError([Problem(source, 1, 1, "catalog-csv", "the CSV catalog is empty", "export INFORMATION_SCHEMA.COLUMNS with a header row")])
    header = [h.strip().upper() for h in rows[0]]
    missing = [h for h in _REQUIRED_HEADERS if h not in header]
    if missing:
        raise PolicyError([Problem(source, 1, 1, "catalog-csv", f'the CSV header lacks {", ".join(missing)}; got "{",".join(rows[0])[:80]}"', "export INFORMATION_SCHEMA.COLUMNS with column names (TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, ...)")])
    at = {name: header.index(name) for name in header}
    problems: list[Problem] = []
    ordered: dict[str, list[tuple[int, str, str | None]]] = {}
    for line_number, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row) or set("".join(row).strip()) <= {"-", " "}:
            continue
        if row[0].strip().startswith("(") and "affected" in row[0]:
            continue
        cells = [c.strip() for c in row]
        if len(cells) <= max(at[h] for h in _REQUIRED_HEADERS):
            problems.append(Problem(source, line_number, 1, "catalog-csv", f"row has {len(cells)} fields; the header has {len(header)}"))
            continue
        table, column = cells[at["TABLE_NAME"]], cells[at["COLUMN_NAME"]]
        if not table or not column:
            problems.append(Problem(source, line_number, 1, "catalog-csv", "TABLE_NAME and COLUMN_NAME must not be empty"))
            continue
        ordinal = _int(cells[at["ORDINAL_POSITION"]]) if "ORDINAL_POSITION" in at and at["ORDINAL_POSITION"] < len(cells) else None
        data_type = cells[at["DATA_TYPE"]] if "DATA_TYPE" in at and at["DATA_TYPE"] < len(cells) else None
        ordered.setdefault(table, []).append((ordinal if ordinal is not None else line_number, column, data_type or None))
    if problems:
        raise PolicyError(problems)
    tables: dict[str, TableInfo] = {}
    for table, entries in ordered.items():
        entries.sort(key=lambda e: e[0])
        columns = tuple(dict.fromkeys(column for _, column, _ in entries))
        types = {column: t for _, column, t in entries if t}
        tables[table] = TableInfo(table, columns, company=guess_company(table, columns), column_types=types, is_company_guessed=True)
    # A CSV states no module, company or key: it never overrides a YAML catalog's scope.
    return CatalogPart(source, tables, {name: frozenset() for name in tables}, ())


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None
