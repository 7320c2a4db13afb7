"""Loading catalogs: YAML, JSON, CSV exports, overlays, and located errors for bad files."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vgptlint.errors import PolicyError
from vgptlint.sql.catalog import KeyPair, guess_company, load_catalog, load_catalogs

HERE = Path(__file__).parent


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_catalog(path)
    return [p.render() for p in caught.value.problems]


def test_yaml_fixture_loads_with_base_tables_and_relationships():
    catalog = load_catalog(HERE / "catalog_vista.yaml")
    apth = catalog.table("APTH")
    assert apth.company == "APCo" and apth.key == ("APCo", "Mth", "APTrans") and apth.view_of == "bAPTH"
    assert catalog.table("bAPTH").base_of == "APTH" and catalog.table("bAPTH").columns == apth.columns
    assert catalog.table("APVM").company is None
    assert catalog.table("apth") is None and catalog.table_case("apth") == "APTH"
    assert catalog.table_case("APTH") is None
    assert apth.column_case("APCO") == "APCo" and apth.column_case("APCo") is None and apth.column_case("Nope") is None
    assert catalog.view_for_base("bAPTH") == "APTH" and catalog.view_for_base("APTH") is None
    [(rel, left_is_parent)] = catalog.relationships_between("HRRM", "PREH")
    assert not left_is_parent and rel.on == (KeyPair("PRCo", "PRCo"), KeyPair("Employee", "PREmp"))
    [(rel, _)] = catalog.relationships_between("bJCCH", "JCCD")
    assert KeyPair("PhaseGroup", "PhaseGroup", True) in rel.on


def test_example_catalog_loads():
    catalog = load_catalog(HERE.parent.parent / "examples" / "catalog.yaml")
    assert {"APTH", "APTL", "APTD", "APVM", "HQCO", "JCJM", "JCJP", "JCCD", "JCCH", "PREH", "PRTH", "GLDT", "GLAC"} <= set(catalog.tables)


def test_json_catalog(tmp_path):
    document = {
        "tables": {"APTH": {"company": "APCo", "key": ["APCo", "Mth", "APTrans"], "columns": ["APCo", "Mth", "APTrans", "APRef"]},
                   "APTL": {"company": "APCo", "columns": {"APCo": "tinyint", "Mth": "smalldatetime", "APTrans": "int"}}},
        "relationships": [{"parent": "APTH", "child": "APTL", "on": ["APCo", "Mth", "APTrans"]}],
    }
    path = write(tmp_path, "c.json", json.dumps(document, indent="\t"))  # tabs: valid JSON, invalid YAML
    catalog = load_catalog(path)
    assert catalog.table("APTL").column_types["Mth"] == "smalldatetime"
    assert len(catalog.relationships) == 1


def test_csv_export_with_sqlcmd_noise(tmp_path):
    text = (
        "TABLE_CATALOG,TABLE_SCHEMA,TABLE_NAME,COLUMN_NAME,ORDINAL_POSITION,DATA_TYPE\n"
        "-------------,------------,----------,-----------,----------------,---------\n"
        "Viewpoint,dbo,bAPTH,Mth,2,smalldatetime\n"
        "Viewpoint,dbo,bAPTH,APCo,1,tinyint\n"
        "Viewpoint,dbo,APTH,APCo,1,tinyint\n"
        "Viewpoint,dbo,APTH,Mth,2,smalldatetime\n"
        "Viewpoint,dbo,APVM,VendorGroup,1,tinyint\n"
        "Viewpoint,dbo,APHB,Co,1,tinyint\n"
        "\n(6 rows affected)\n"
    )
    catalog = load_catalog(write(tmp_path, "columns.csv", text))
    assert catalog.table("bAPTH").columns == ("APCo", "Mth")  # ordinal order
    assert catalog.table("APTH").company == "APCo" and catalog.table("APTH").is_company_guessed
    assert catalog.table("APVM").company is None
    assert catalog.table("APHB").company == "Co"
    assert catalog.view_for_base("bAPTH") == "APTH"  # no view_of in a CSV: the prefix decides


def test_csv_fixture_file():
    catalog = load_catalog(HERE / "catalog_columns.csv")
    assert catalog.table("APTH").has_column("InvTotal")
    assert catalog.table("APTH").column_types["InvTotal"] == "numeric"


def test_csv_without_header(tmp_path):
    path = write(tmp_path, "c.csv", "dbo,APTH,APCo,1,tinyint\n")
    [line] = problems(path)
    assert line.startswith(f"{path}:1:1: error[catalog-csv]: the CSV header lacks TABLE_NAME, COLUMN_NAME")


def test_overlay_adds_ud_tables_and_columns_without_losing_scope(tmp_path):
    base = HERE / "catalog_vista.yaml"
    overlay = write(tmp_path, "site.yaml", """
tables:
  APTH:
    columns: [udSource]
  udJobExtra:
    company: Co
    columns: [Co, Job, Notes]
relationships:
  - {parent: JCJM, child: udJobExtra, on: [{parent: JCCo, child: Co}, Job]}
""")
    catalog = load_catalogs([base, overlay])
    apth = catalog.table("APTH")
    assert apth.has_column("udSource") and apth.has_column("APRef")
    assert apth.company == "APCo" and apth.view_of == "bAPTH"
    assert catalog.table("udJobExtra").company == "Co"
    assert catalog.relationships_between("JCJM", "udJobExtra")


def test_csv_overlay_never_overrides_yaml_company(tmp_path):
    csv_path = write(tmp_path, "cols.csv", "TABLE_NAME,COLUMN_NAME\nAPVM,APCo\nAPVM,udRating\n")
    catalog = load_catalogs([HERE / "catalog_vista.yaml", csv_path])
    assert catalog.table("APVM").company is None and catalog.table("APVM").has_column("udRating")


def test_overlay_relationship_to_missing_table_is_located(tmp_path):
    overlay = write(tmp_path, "site.yaml", "tables: {}\nrelationships:\n  - {parent: JCJM, child: udNope, on: [Job]}\n")
    with pytest.raises(PolicyError) as caught:
        load_catalogs([HERE / "catalog_vista.yaml", overlay])
    [line] = [p.render() for p in caught.value.problems]
    assert line == f'{overlay}:3:5: error[catalog-unknown-table]: relationship JCJM -> udNope: child "udNope" is not a table of the catalog'


def test_bad_catalog_reports_every_problem_with_its_position(tmp_path):
    path = write(tmp_path, "bad.yaml", """tables:
  APTH:
    company: APco
    key: [APCo, Mth, APTrns]
    columns: [APCo, Mth, APTrans, APCo]
    colums: [x]
  APTL:
    columns: APCo
  JCCD: [JCCo]
relationships:
  - {parent: APTH, child: APTH}
extra: 1
""")
    assert problems(path) == [
        f'{path}:12:1: error[catalog-unknown-key]: unknown catalog key "extra"; known: tables, relationships, name, description, version',
        f'{path}:6:5: error[catalog-unknown-key]: table "APTH": unknown key "colums"; known: columns, module, company, group, key, view_of, description, row_filter\n    hint: did you mean "columns"?',
        f'{path}:5:35: error[catalog-duplicate-column]: table "APTH": column "APCo" is listed twice',
        f'{path}:3:14: error[catalog-unknown-column]: table "APTH": company "APco" is not one of its columns\n    hint: the column is spelled "APCo" (names are case-sensitive)',
        f'{path}:4:22: error[catalog-unknown-column]: table "APTH": key column "APTrns" is not one of its columns\n    hint: did you mean "APTrans"?',
        f'{path}:8:14: error[catalog-shape]: table "APTL": "columns" must be a list of names; got "APCo"',
        f'{path}:9:9: error[catalog-shape]: table "JCCD": expected a mapping with "columns"; got a list',
        f'{path}:11:5: error[catalog-shape]: relationship 1: "on" must be a non-empty list of key columns',
    ]


def test_relationship_column_mistakes(tmp_path):
    path = write(tmp_path, "rel.yaml", """tables:
  A: {columns: [Co, Id]}
  B: {columns: [Co, AId]}
relationships:
  - parent: A
    child: B
    on: [Co, {parent: Id, child: Aid}, {column: X, optional: yes, extra: 1}]
""")
    assert problems(path) == [
        f"{path}:7:40: error[catalog-shape]: relationship 1: a key column is a name, {{column, optional}} or {{parent, child, optional}}",
        f'{path}:5:5: error[catalog-unknown-column]: relationship A -> B: "Aid" is not a column of child B\n    hint: the column is spelled "AId" (names are case-sensitive)',
    ]
    fixed = write(tmp_path, "rel2.yaml", path.read_text().replace(", {column: X, optional: yes, extra: 1}", ""))
    assert problems(fixed) == [
        f'{fixed}:5:5: error[catalog-unknown-column]: relationship A -> B: "Aid" is not a column of child B\n    hint: the column is spelled "AId" (names are case-sensitive)',
    ]


def test_syntax_error_is_located(tmp_path):
    path = write(tmp_path, "s.yaml", "tables:\n  APTH:\n    columns: [APCo\n")
    [line] = problems(path)
    assert line.startswith(f"{path}:4:1: error[catalog-syntax]: the catalog is not valid YAML or JSON")


def test_json_syntax_error_is_located(tmp_path):
    path = write(tmp_path, "s.json", '{"tables": {"APTH": {"columns": ["APCo"]}}\n\t}}')
    [line] = problems(path)
    assert line.startswith(f"{path}:2:") and "catalog-syntax" in line


def test_missing_file_is_a_located_error(tmp_path):
    [line] = problems(tmp_path / "nope.yaml")
    assert "catalog-unreadable" in line


def test_non_utf8_file_is_a_located_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("tables:\n  APTH\xe9: {columns: [APCo]}\n".encode("latin-1"))
    [line] = problems(path)
    assert line.startswith(f"{path}:1:1:") and "invalid-utf8" in line  # was an internal error


def test_not_a_mapping(tmp_path):
    [line] = problems(write(tmp_path, "l.yaml", "- a\n- b\n"))
    assert 'a catalog must be a mapping with a "tables" key' in line


def test_guess_company():
    assert guess_company("bJCCD", ["JCCo", "Mth"]) == "JCCo"
    assert guess_company("APHB", ["Co", "Mth", "BatchId"]) == "Co"
    assert guess_company("HQUM", ["UM", "Description"]) is None


def test_loading_is_cached_and_cheap(tmp_path):
    path = HERE / "catalog_vista.yaml"
    assert load_catalog(path) is load_catalog(path)
