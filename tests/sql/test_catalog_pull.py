"""``vgptlint catalog pull`` against a real SQLite database, then the catalog in use by the rules."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from vgptlint.commands.cli import main
from vgptlint.sql.catalog import merge_catalogs
from vgptlint.sql.catalog_derive import (CatalogDraft, DraftTable, ReflectedTable, UniqueKey, choose_key, derive_catalog,
                                         render_catalog)
from vgptlint.sql.catalog_load import parse_catalog_document

pytest.importorskip("sqlalchemy")

# Vista's shape: b-tables under views, business keys as unique indexes beside a KeyID one, few
# declared foreign keys (one here), a batch table keyed by Co, a group-keyed master, a global lookup.
VISTA_DDL = """
CREATE TABLE bHQCO (HQCo INTEGER NOT NULL, Name TEXT, VendorGroup INTEGER, PhaseGroup INTEGER, KeyID INTEGER);
CREATE UNIQUE INDEX biHQCO ON bHQCO (HQCo);
CREATE UNIQUE INDEX biKeyIDHQCO ON bHQCO (KeyID);
CREATE VIEW HQCO AS SELECT * FROM bHQCO;
CREATE TABLE bAPVM (VendorGroup INTEGER NOT NULL, Vendor INTEGER NOT NULL, Name TEXT, GLCo INTEGER, KeyID INTEGER,
  PRIMARY KEY (VendorGroup, Vendor));
CREATE VIEW APVM AS SELECT * FROM bAPVM;
CREATE TABLE bAPTH (APCo INTEGER NOT NULL, Mth TEXT NOT NULL, APTrans INTEGER NOT NULL, VendorGroup INTEGER,
  Vendor INTEGER, APRef TEXT, InvTotal NUMERIC, KeyID INTEGER);
CREATE UNIQUE INDEX biAPTH ON bAPTH (APCo, Mth, APTrans);
CREATE VIEW APTH AS SELECT * FROM bAPTH;
CREATE TABLE bAPTL (APCo INTEGER NOT NULL, Mth TEXT NOT NULL, APTrans INTEGER NOT NULL, APLine INTEGER NOT NULL,
  JCCo INTEGER, Job TEXT, GrossAmt NUMERIC, "Receiver#" TEXT,
  PRIMARY KEY (APCo, Mth, APTrans, APLine), FOREIGN KEY (APCo, Mth, APTrans) REFERENCES bAPTH (APCo, Mth, APTrans));
CREATE VIEW APTL AS SELECT * FROM bAPTL;
CREATE TABLE bJCJP (JCCo INTEGER, Job TEXT, PhaseGroup INTEGER, Phase TEXT, Description TEXT,
  PRIMARY KEY (JCCo, Job, PhaseGroup, Phase));
CREATE VIEW JCJP AS SELECT * FROM bJCJP;
CREATE TABLE bJCCH (JCCo INTEGER, Job TEXT, PhaseGroup INTEGER, Phase TEXT, CostType INTEGER, UM TEXT,
  PRIMARY KEY (JCCo, Job, PhaseGroup, Phase, CostType));
CREATE VIEW JCCH AS SELECT * FROM bJCCH;
CREATE TABLE bHQBC (Co INTEGER, Mth TEXT, BatchId INTEGER, Status INTEGER, PRIMARY KEY (Co, Mth, BatchId));
CREATE VIEW HQBC AS SELECT * FROM bHQBC;
CREATE TABLE HQUM (UM TEXT PRIMARY KEY, Description TEXT);
"""

EXPECTED_CATALOG = """\
# Pulled by vgptlint catalog pull from sqlite:///vista.db
# 8 tables and views, 3 relationships (declared foreign keys and keys read off the columns)
# Regenerate rather than edit; put site additions in an overlay file (docs/catalog.md).
tables:
  APTH:
    module: AP
    company: APCo
    key: [APCo, Mth, APTrans]
    view_of: bAPTH
    columns: [APCo, Mth, APTrans, VendorGroup, Vendor, APRef, InvTotal, KeyID]
  APTL:
    module: AP
    company: APCo
    key: [APCo, Mth, APTrans, APLine]
    view_of: bAPTL
    columns: [APCo, Mth, APTrans, APLine, JCCo, Job, GrossAmt, "Receiver#"]
  APVM:
    module: AP
    group: VendorGroup
    key: [VendorGroup, Vendor]
    view_of: bAPVM
    columns: [VendorGroup, Vendor, Name, GLCo, KeyID]
  HQBC:
    module: HQ
    company: Co
    key: [Co, Mth, BatchId]
    view_of: bHQBC
    columns: [Co, Mth, BatchId, Status]
  HQCO:
    module: HQ
    company: HQCo
    key: [HQCo]
    view_of: bHQCO
    columns: [HQCo, Name, VendorGroup, PhaseGroup, KeyID]
  HQUM:
    key: [UM]
    columns: [UM, Description]
  JCCH:
    module: JC
    company: JCCo
    key: [JCCo, Job, PhaseGroup, Phase, CostType]
    view_of: bJCCH
    columns: [JCCo, Job, PhaseGroup, Phase, CostType, UM]
  JCJP:
    module: JC
    company: JCCo
    key: [JCCo, Job, PhaseGroup, Phase]
    view_of: bJCJP
    columns: [JCCo, Job, PhaseGroup, Phase, Description]
relationships:
  - {parent: APTH, child: APTL, on: [APCo, Mth, APTrans]}
  - {parent: APVM, child: APTH, on: [VendorGroup, Vendor]}
  - {parent: JCJP, child: JCCH, on: [JCCo, Job, {column: PhaseGroup, optional: true}, Phase]}
"""

RECORDS = """\
{"instruction": "Unpaid invoices", "input": "", "output": "SELECT APRef FROM APTH WITH (NOLOCK) WHERE APCo = 1 AND Status < 3"}
{"instruction": "Invoice lines", "input": "", "output": "SELECT h.APRef, l.GrossAmt FROM APTH h WITH (NOLOCK) JOIN APTL l WITH (NOLOCK) ON l.APCo = h.APCo AND l.APTrans = h.APTrans WHERE h.APCo = 1"}
{"instruction": "Phase cost types", "input": "", "output": "SELECT c.CostType FROM JCJP p WITH (NOLOCK) JOIN JCCH c WITH (NOLOCK) ON c.JCCo = p.JCCo AND c.Job = p.Job AND c.Phase = p.Phase WHERE p.JCCo = 1"}
{"instruction": "Good lines", "input": "", "output": "SELECT h.APRef, l.[Receiver#] FROM APTH h WITH (NOLOCK) JOIN APTL l WITH (NOLOCK) ON l.APCo = h.APCo AND l.Mth = h.Mth AND l.APTrans = h.APTrans WHERE h.APCo = 1"}
"""


@pytest.fixture
def vista(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    with sqlite3.connect(tmp_path / "vista.db") as connection:
        connection.executescript(VISTA_DDL)
    connection.close()
    return tmp_path


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_pulled_catalog_drives_the_catalog_rules(vista):
    pulled = invoke("catalog", "pull", "sqlite:///vista.db", "-o", "catalog.yaml")
    assert pulled.exit_code == 0, pulled.output
    assert pulled.stderr == "wrote catalog.yaml: 8 tables, 3 relationships from sqlite:///vista.db\n"
    assert (vista / "catalog.yaml").read_text(encoding="utf-8") == EXPECTED_CATALOG
    (vista / "sft.jsonl").write_text(RECORDS, encoding="utf-8")
    checked = invoke("check", "--catalog", "catalog.yaml", "--select", "sql-unknown-column,sql-join-keys-incomplete", "sft.jsonl")
    assert checked.exit_code == 1
    assert checked.stdout == (
        "sft.jsonl:1:116: error sql-unknown-column Status is not a column of APTH; it is a column of HQBC\n"
        "sft.jsonl:2:116: error sql-join-keys-incomplete the join of APTH and APTL does not equate Mth (key: APCo, Mth, APTrans)\n"
        "sft.jsonl:3:110: warning sql-join-keys-incomplete the join of JCJP and JCCH does not equate PhaseGroup (optional key column)\n"
        "2 errors, 1 warning, 0 info in 1 file (4 records)\n")


def test_declared_relationships_only_keeps_the_foreign_keys(vista):
    pulled = invoke("catalog", "pull", "sqlite:///vista.db", "-o", "-", "--declared-relationships-only")
    assert pulled.exit_code == 0
    assert pulled.stdout.split("relationships:\n")[1] == "  - {parent: APTH, child: APTL, on: [APCo, Mth, APTrans]}\n"


def test_an_existing_file_is_kept_unless_forced(vista):
    (vista / "catalog.yaml").write_text("mine\n", encoding="utf-8")
    kept = invoke("catalog", "pull", "sqlite:///vista.db")
    assert kept.exit_code == 2
    assert kept.stderr == "vgptlint: error: catalog.yaml exists; not overwritten (pass --force to replace it, or choose another --output)\n"
    assert (vista / "catalog.yaml").read_text(encoding="utf-8") == "mine\n"
    assert invoke("catalog", "pull", "sqlite:///vista.db", "--force").exit_code == 0
    assert (vista / "catalog.yaml").read_text(encoding="utf-8") == EXPECTED_CATALOG
    assert [p.name for p in vista.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize(("url", "message"), [
    ("sqlite:///missing.db", 'sqlite:///missing.db: the SQLite file "missing.db" does not exist'),
    ("nonsense", '"nonsense" is not a database URL (Could not parse SQLAlchemy URL from given URL string); '
                 "expected dialect+driver://user:password@host/database"),
    ("nosuchdb://host/x", 'nosuchdb://host/x: SQLAlchemy has no dialect "nosuchdb"; see docs/catalog.md for URLs'),
    ("sqlite:///empty.db", "sqlite:///empty.db: the default schema has no tables or views; nothing to write (choose one with --schema)"),
])
def test_unusable_urls_are_located_errors(vista, url, message):
    sqlite3.connect(vista / "empty.db").close()
    result = invoke("catalog", "pull", url, "-o", "out.yaml")
    assert (result.exit_code, result.stderr) == (2, f"vgptlint: error: {message}\n")
    assert not (vista / "out.yaml").exists() and not (vista / "missing.db").exists()


def test_a_password_never_reaches_the_output(vista):
    result = invoke("catalog", "pull", "postgresql+nosuchdriver://scott:tiger@localhost/vista", "-o", "-")
    assert result.exit_code == 2 and "tiger" not in result.output and "scott:***@localhost" in result.stderr


def test_key_choice_prefers_primary_then_clustered_then_widest():
    assert choose_key(ReflectedTable("t", ("a", "b"), primary_key=("b",), unique_keys=(UniqueKey(("a",), "u", True),))) == ("b",)
    keyed = ReflectedTable("t", ("KeyID", "a", "b"), unique_keys=(UniqueKey(("KeyID",), "a1"), UniqueKey(("a", "b"), "z")))
    assert choose_key(keyed) == ("a", "b")
    assert choose_key(ReflectedTable("t", ("a",))) == ()


def test_one_column_and_shared_keys_relate_nothing():
    # Every table has its own "id" primary key and a KeyID: neither may relate tables to each other.
    tables = [ReflectedTable(n, ("id", "KeyID", "x"), primary_key=("id",)) for n in ("a", "b")]
    tables.append(ReflectedTable("c", ("KeyID", "p", "q"), unique_keys=(UniqueKey(("KeyID",), "k"),)))
    assert derive_catalog(tables).relationships == ()


def test_a_view_hiding_part_of_the_key_has_none():
    draft = derive_catalog([ReflectedTable("bT", ("TCo", "K", "V"), primary_key=("TCo", "K")),
                            ReflectedTable("T", ("TCo", "V"), is_view=True)])
    assert draft.tables == (DraftTable("T", ("TCo", "V"), "T", "TCo", None, (), "bT"),)


names = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp", "Co", "Cn")), min_size=1, max_size=12).filter(str.strip)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(names, st.lists(names, min_size=1, max_size=5, unique=True), min_size=1, max_size=4))
def test_any_names_round_trip_through_the_rendered_yaml(tables):
    draft = CatalogDraft(tuple(DraftTable(name, tuple(columns), key=tuple(columns[:1])) for name, columns in tables.items()))
    catalog = merge_catalogs([parse_catalog_document(render_catalog(draft, ["a # comment"]), "pulled.yaml")])
    assert {n: (t.columns, t.key) for n, t in catalog.tables.items()} == {n: (tuple(c), tuple(c[:1])) for n, c in tables.items()}
