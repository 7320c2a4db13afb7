"""The catalog rules on hand-written T-SQL, each statement with its exact findings.

Every case runs all six catalog functions; findings are (rule, message, text under the span,
severity override). A statement with [] must produce nothing from any of them: valid SQL is never
flagged.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from vgptlint.functions import sql_catalog as f
from vgptlint.functions.base import Context
from vgptlint.sql.catalog import load_catalog

CATALOG = load_catalog(Path(__file__).with_name("catalog_vista.yaml"))

FUNCTIONS = {
    "table": (f.sql_unknown_table, f.SqlUnknownTableOptions()),
    "column": (f.sql_unknown_column, f.SqlUnknownColumnOptions()),
    "case": (f.sql_identifier_case, f.SqlIdentifierCaseOptions()),
    "company": (f.sql_company_filter, f.SqlCompanyFilterOptions()),
    "join": (f.sql_join_keys, f.SqlJoinKeysOptions()),
    "base": (f.sql_base_table, f.SqlBaseTableOptions()),
}


def findings(text: str, catalog=CATALOG) -> list[tuple]:
    ctx = Context(record=None, kind="sft", services={"catalog": catalog})
    out = []
    for rule, (check, options) in FUNCTIONS.items():
        for hit in check(text, options, ctx):
            spanned = text[hit.span.start:hit.span.end] if hit.span else None
            out.append((rule, hit.message, spanned, hit.severity.value if hit.severity else None))
    return sorted(out)


def T(message, spanned, severity=None):
    return ("table", message, spanned, severity)


def C(message, spanned, severity=None):
    return ("column", message, spanned, severity)


def K(message, spanned):
    return ("case", message, spanned, None)


def F(table, company="APCo"):
    return ("company", f"{table} is read without a filter on its company column {company}", table, None)


def J(message, spanned, severity=None):
    return ("join", message, spanned, severity)


def B(table, view):
    return ("base", f"{table} is a base table; use the view {view}", table, None)


APTH_APTL = "l.APCo = h.APCo AND l.Mth = h.Mth AND l.APTrans = h.APTrans"

CASES = [
    # --- plain reads, aliases, brackets, schema names
    ("SELECT APRef, InvTotal FROM APTH WITH (NOLOCK) WHERE APCo = 1", []),
    ("SELECT h.APRef FROM APTH AS h WHERE h.APCo = @APCo", []),
    ("SELECT h.APRef FROM APTH h WHERE h.APCo = 1", []),
    ("SELECT [APRef] FROM [dbo].[APTH] WHERE [APCo] = 1", []),
    ("SELECT dbo.APTH.APRef FROM dbo.APTH WHERE dbo.APTH.APCo = 1", []),
    ("SELECT APLine, Receiver# FROM APTL WHERE APCo = 1", []),
    ("SELECT APLine, [Receiver#] FROM APTL l WITH (NOLOCK, INDEX(biAPTL)) WHERE l.APCo = 1", []),
    ("select APRef from APTH with (nolock) where APCo = 1", []),
    ("SELECT 'FROM Vendors' AS note, APRef FROM APTH WHERE APCo = 1", []),
    ("SELECT APRef -- FROM Vendors\nFROM APTH /* JOIN Bogus b */ WHERE APCo = 1", []),
    ("SELECT TOP (10) APRef FROM APTH WHERE APCo = 1 ORDER BY InvDate DESC", []),
    ("SELECT DISTINCT Vendor FROM APTH WHERE APCo = 1 AND InvDate >= DATEADD(month, -1, GETDATE())", []),
    ("SELECT APRef, CONVERT(varchar(10), InvDate, 101) AS d, DATEDIFF(day, InvDate, DueDate) AS days FROM APTH WHERE APCo = 1", []),
    # --- group-keyed masters and the company list
    ("SELECT Name FROM APVM WHERE VendorGroup = 1 AND ActiveYN = 'Y'", []),
    ("SELECT Name FROM APVM", []),
    ("SELECT Description FROM JCCT WHERE PhaseGroup = 1", []),
    ("SELECT HQCo, Name FROM HQCO", []),
    ("SELECT @co = APCo FROM APCO WHERE APCo = 1", []),
    ("SELECT Name FROM APVM WHERE APCo = 1", [C("APCo is not a column of APVM; it is a column of APCO, APTH, APTL, …", "APCo")]),
    ("SELECT APVM.Vendor, APVM.Name FROM HQCO WITH (NOLOCK) INNER JOIN APVM WITH (NOLOCK) ON APVM.VendorGroup = HQCO.VendorGroup "
     "WHERE HQCO.HQCo = @APCo AND APVM.ActiveYN = 'Y'", []),
    # --- company filters
    ("SELECT APRef FROM APTH", [F("APTH")]),
    ("SELECT APRef FROM APTH WHERE APCo = 1 OR APCo = 2", []),
    ("SELECT APRef FROM APTH WHERE APCo = 1 OR Vendor = 2", [F("APTH")]),
    ("SELECT APRef FROM APTH WHERE (APCo = 1 AND Vendor = 2) OR (APCo = 2 AND Vendor = 3)", []),
    ("SELECT APRef FROM APTH WHERE APCo IN (1, 2)", []),
    ("SELECT APRef FROM APTH WHERE APCo IN (SELECT HQCo FROM HQCO WHERE Name LIKE 'A%')", []),
    ("SELECT APRef FROM APTH WHERE APCo BETWEEN 1 AND 5", []),
    ("SELECT APRef FROM APTH WHERE APCo <> 1", [F("APTH")]),
    ("SELECT APRef FROM APTH WHERE NOT APCo = 1", [F("APTH")]),
    ("SELECT APRef FROM APTH WHERE APCo = ISNULL(@co, APCo)", [F("APTH")]),
    ("SELECT APRef FROM APTH WHERE VendorGroup = 1",
     [("company", "APTH is filtered by VendorGroup but not by its company column APCo", "APTH", None)]),
    ("SELECT Invoice FROM ARTH WHERE CustGroup = 1",
     [("company", "ARTH is filtered by CustGroup but not by its company column ARCo", "ARTH", None)]),
    ("SELECT Phase FROM JCJP WHERE PhaseGroup = 1",
     [("company", "JCJP is filtered by PhaseGroup but not by its company column JCCo", "JCJP", None)]),
    ("SELECT APCo, COUNT(*) AS n FROM APTH GROUP BY APCo", []),
    ("SELECT Vendor, COUNT(*) AS n FROM APTH GROUP BY Vendor", [F("APTH")]),
    ("SELECT APRef FROM APTH WHERE KeyID = 42", []),
    ("SELECT h.APRef FROM HQCO c JOIN APTH h ON h.APCo = c.HQCo WHERE c.HQCo = 1", []),
    ("SELECT x.APRef FROM (SELECT APCo, APRef FROM APTH) x WHERE x.APCo = 1", []),
    ("SELECT x.APRef FROM (SELECT APCo, APRef FROM APTH) x", [F("APTH")]),
    ("WITH x AS (SELECT * FROM APTH) SELECT APRef FROM x WHERE APCo = 1", []),
    ("SELECT l.APLine FROM (SELECT APCo, Mth, APTrans FROM APTH WHERE APCo = 1) h JOIN APTL l ON " + APTH_APTL, []),
    ("SELECT l.Job, j.Description FROM APTL l JOIN JCJM j ON j.JCCo = l.JCCo AND j.Job = l.Job WHERE l.APCo = 1", []),
    # --- DML
    ("UPDATE APTH SET HoldCode = 'X' WHERE APTrans = 5", [F("APTH")]),
    ("DELETE FROM APTD WHERE APCo = 1 AND Mth = '20240101'", []),
    ("UPDATE h SET h.HoldCode = NULL FROM APTH h JOIN APTL l ON " + APTH_APTL + " WHERE l.APCo = 1 AND l.Job = '100'", []),
    ("DELETE d FROM APTD d JOIN APTH h ON h.APCo = d.APCo AND h.Mth = d.Mth AND h.APTrans = d.APTrans WHERE h.APCo = 1", []),
    ("INSERT INTO APTH (APCo, Mth, APTrans) VALUES (1, '20240101', 5)", []),
    ("INSERT INTO APTH (APCo, Mth, APTrns) SELECT APCo, Mth, APTrans FROM APTL WHERE APCo = 1",
     [C("APTrns is not a column of APTH", "APTrns")]),
    ("SELECT APRef INTO #t FROM APTH WHERE APCo = 1", []),
    ("UPDATE APTH SET HoldCode = 'H' OUTPUT inserted.APRef, deleted.HoldCod WHERE APCo = 1 AND APTrans = 5",
     [C("HoldCod is not a column of APTH", "HoldCod")]),
    ("UPDATE APTH SET Hold = 'H' WHERE APCo = 1", [C("Hold is not a column of APTH", "Hold")]),
    ("MERGE APTH AS t USING APTL AS s ON t.APCo = s.APCo AND t.Mth = s.Mth AND t.APTrans = s.APTrans AND s.APCo = 1 "
     "WHEN MATCHED THEN UPDATE SET t.InvTotal = s.GrossAmt;", []),
    ("MERGE APTH AS t USING APTL AS s ON t.APCo = s.APCo AND t.Mth = s.Mth AND t.APTrans = s.APTrans AND s.APCo = 1 "
     "WHEN MATCHED THEN UPDATE SET t.Total = s.GrossAmt;", [C("Total is not a column of APTH", "Total")]),
    # --- correlated subqueries
    ("SELECT h.APRef FROM APTH h WHERE h.APCo = 1 AND EXISTS (SELECT 1 FROM APTD d WHERE d.APCo = h.APCo AND d.Mth = h.Mth "
     "AND d.APTrans = h.APTrans AND d.Status = 1)", []),
    ("SELECT h.APRef FROM APTH h WHERE h.APCo = 1 AND EXISTS (SELECT 1 FROM APTD d WHERE d.APCo = h.APCo "
     "AND d.APTrans = h.APTrans AND d.Status = 1)",
     [J("the join of APTH and APTD does not equate Mth (key: APCo, Mth, APTrans)", "APTD")]),
    ("SELECT h.APRef FROM APTH h WHERE h.APCo = 1 AND h.APTrans IN (SELECT APTrans FROM APTD WHERE Status = 1)",
     [F("APTD"), J("the join of APTH and APTD does not equate APCo, Mth (key: APCo, Mth, APTrans)", "APTD")]),
    ("SELECT h.APRef FROM APTH h WHERE h.APCo = 1 AND h.Vendor NOT IN "
     "(SELECT Vendor FROM APVM WHERE VendorGroup = h.VendorGroup AND ActiveYN = 'N')", []),
    ("SELECT v.Name FROM APVM v WHERE v.VendorGroup = 1 AND v.Vendor IN (SELECT Vendor FROM APTH WHERE APCo = 1)",
     [J("the join of APVM and APTH does not equate VendorGroup (key: VendorGroup, Vendor)", "APTH")]),
    ("SELECT Total = SUM(InvTotal), Mth = h.Mth FROM APTH h WHERE h.APCo = 1 GROUP BY h.Mth", []),
    ("SELECT STUFF((SELECT ',' + APRef FROM APTH WHERE APCo = 1 FOR XML PATH('')), 1, 1, '') AS refs", []),
    ("SELECT \"APRef\" FROM \"APTH\" WHERE \"APCo\" = 1", []),
    ("SELECT APRef FROM APTH WHERE APCo = 1 AND EXISTS (SELECT * FROM APTL WHERE APTL.APCo = APTH.APCo "
     "AND APTL.Mth = APTH.Mth AND APTL.APTrans = APTH.APTrans)", []),
    ("UPDATE APTH SET HoldCode = NULL FROM APTH JOIN APTL ON APTL.APCo = APTH.APCo AND APTL.Mth = APTH.Mth "
     "AND APTL.APTrans = APTH.APTrans WHERE APTH.APCo = 1", []),
    ("WITH x AS (SELECT APCo, Mth, APTrans FROM APTH WHERE APCo = 1) UPDATE d SET d.Status = 2 FROM APTD d "
     "JOIN x ON x.APCo = d.APCo AND x.Mth = d.Mth AND x.APTrans = d.APTrans", []),
    ("INSERT INTO @t (a) SELECT APRef FROM APTH WHERE APCo = 1", []),
    ("SELECT h.*, v.Name FROM APTH h JOIN APVM v ON v.VendorGroup = h.VendorGroup AND v.Vendor = h.Vendor WHERE h.APCo = 1 ORDER BY 1", []),
    ("SELECT h.APRef, v.Name FROM APTH h CROSS JOIN APVM v WHERE h.APCo = 1", []),
    ("SELECT APRef FROM APTH WHERE APCo = 1 UNION ALL SELECT APRef FROM APTH WHERE APCo = 2 ORDER BY Foo",
     [C("Foo is not a column of the UNION's result", "Foo")]),
    ("SELECT h.APRef FROM APTH h WHERE h.APCo = 1 UNION SELECT Description FROM APTL WHERE APCo = 1 ORDER BY h.APRef", []),
    ("SELECT h.APRef, f.Rate FROM APTH h CROSS APPLY dbo.vfRate(h.APCo, h.Vendor) f WHERE h.APCo = 1", []),
    ("SELECT APCo, Vendor, SUM(InvTotal) AS t FROM APTH WHERE APCo = 1 GROUP BY ROLLUP (APCo, Vendor) HAVING SUM(InvTotal) > 0", []),
    ("SELECT q.x FROM OPENQUERY(LinkedSrv, 'SELECT x FROM t') q", []),
    ("SELECT s.name, c.name FROM sys.columns c JOIN sys.tables s ON s.object_id = c.object_id", []),
    ("IF EXISTS (SELECT 1 FROM APTH WHERE APCo = 1 AND Bogus = 2) PRINT 'x'", [C("Bogus is not a column of APTH", "Bogus")]),
    ("SELECT h.APRef FROM APTH h WHERE h.APCo = 1 AND EXISTS (SELECT 1 FROM APVM v WHERE v.VendorGroup = h.VendorGroup "
     "AND v.Vendor = h.Vendor AND InvTotal > 0)", []),
    ("SELECT APRef FROM APTH WHERE APCo = 1 AND EXISTS (SELECT 1 FROM APVM WHERE Bogus = 1)",
     [C("Bogus is not a column of APVM", "Bogus")]),
    ("SELECT APRef, (SELECT MAX(PaidDate) FROM APTD d WHERE d.APCo = h.APCo AND d.Mth = h.Mth AND d.APTrans = h.APTrans) AS paid "
     "FROM APTH h WHERE h.APCo = 1", []),
    # --- unknown columns
    ("SELECT APRef, Status FROM APTH WHERE APCo = 1", [C("Status is not a column of APTH; it is a column of ARCM, HQBC, APTD", "Status")]),
    ("SELECT h.Status FROM APTH h WHERE h.APCo = 1", [C("Status is not a column of APTH; it is a column of ARCM, HQBC, APTD", "Status")]),
    ("SELECT h.Description FROM APTH h JOIN APTL l ON " + APTH_APTL + " WHERE h.APCo = 1", []),
    ("SELECT Description FROM APTH h JOIN APTL l ON " + APTH_APTL + " WHERE h.APCo = 1", []),
    ("SELECT Foo FROM APTH h JOIN APTL l ON " + APTH_APTL + " WHERE h.APCo = 1", [C("Foo is not a column of APTH or APTL", "Foo")]),
    ("SELECT x.APRef FROM APTH h WHERE h.APCo = 1", [C('x.APRef: "x" is not a table or alias in this query', "x")]),
    ("SELECT v.Foo FROM Vendors v", [T("Vendors is not a table in the catalog", "Vendors")]),
    ("SELECT Foo FROM APTH h JOIN Vendors v ON v.Id = h.Vendor WHERE h.APCo = 1", [T("Vendors is not a table in the catalog", "Vendors")]),
    ("SELECT t.Anything FROM #tmp t", []),
    ("SELECT Anything FROM @t", []),
    ("SELECT f.Rate FROM dbo.vfHQTaxRate(1, 'TX') f", []),
    ("SELECT udSource FROM APTH WHERE APCo = 1",
     [C("udSource is not in the catalog; a site-specific ud column of APTH cannot be verified", "udSource", "info")]),
    ("SELECT APRef AS Ref FROM APTH WHERE APCo = 1 ORDER BY Ref", []),
    ("SELECT APRef AS Ref FROM APTH WHERE APCo = 1 AND Ref = 'x'", [C("Ref is not a column of APTH", "Ref")]),
    ("SELECT APRef AS Ref FROM APTH WHERE APCo = 1 UNION SELECT Description FROM APTL WHERE APCo = 1 ORDER BY Ref", []),
    ("SELECT APRef, ROW_NUMBER() OVER (PARTITION BY Vendor ORDER BY InvDate DESC) AS rn FROM APTH WHERE APCo = 1", []),
    ("SELECT SUM(CASE WHEN d.Status < 3 THEN d.Amount ELSE 0 END) AS Unpaid FROM APTD d WHERE d.APCo = 1", []),
    ("SELECT p.* FROM (SELECT Vendor, Mth, InvTotal FROM APTH WHERE APCo = 1) s "
     "PIVOT (SUM(InvTotal) FOR Mth IN ([2024-01-01], [2024-02-01])) p", []),
    ("SELECT v.a, v.b FROM (VALUES (1, 2), (3, 4)) AS v(a, b)", []),
    ("SELECT v.c FROM (VALUES (1, 2)) AS v(a, b)", [C("c is not a column of derived table v", "c")]),
    # --- CTEs and derived tables
    ("WITH c AS (SELECT APCo, Vendor, InvTotal FROM APTH WHERE APCo = 1) "
     "SELECT c.Vendor, SUM(c.InvTotal) AS Total FROM c GROUP BY c.Vendor ORDER BY Total DESC", []),
    ("WITH c AS (SELECT APCo, Vendor FROM APTH WHERE APCo = 1) SELECT c.InvTotal FROM c",
     [C("InvTotal is not a column of CTE c", "InvTotal")]),
    ("WITH c (Co, V) AS (SELECT APCo, Vendor FROM APTH WHERE APCo = 1) SELECT Co, V FROM c", []),
    ("WITH c AS (SELECT * FROM APTH WHERE APCo = 1) SELECT c.APRef, c.Nope FROM c", [C("Nope is not a column of CTE c", "Nope")]),
    ("WITH a AS (SELECT APCo, Mth, APTrans FROM APTH WHERE APCo = 1), b AS (SELECT a.APTrans FROM a) SELECT APTrans FROM b", []),
    ("SELECT d.Total FROM (SELECT APCo, SUM(InvTotal) AS Total FROM APTH WHERE APCo = 1 GROUP BY APCo) AS d", []),
    ("SELECT d.Vendor FROM (SELECT APCo, SUM(InvTotal) AS Total FROM APTH WHERE APCo = 1 GROUP BY APCo) d",
     [C("Vendor is not a column of derived table d", "Vendor")]),
    ("SELECT d.total FROM (SELECT SUM(InvTotal) AS Total FROM APTH WHERE APCo = 1) d", []),
    ("WITH r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT n FROM r", []),
    ("SELECT j.Job, t.Cost FROM JCJM j CROSS APPLY (SELECT SUM(ActualCost) AS Cost FROM JCCD d WHERE d.JCCo = j.JCCo "
     "AND d.Job = j.Job) t WHERE j.JCCo = 1", []),
    ("SELECT j.Job, x.Mth FROM JCJM j OUTER APPLY (SELECT TOP 1 d.Mth FROM JCCD d WHERE d.JCCo = j.JCCo AND d.Job = j.Job "
     "ORDER BY d.Mth DESC) x WHERE j.JCCo = 1", []),
    ("SELECT j.Job, x.Cost FROM JCJM j CROSS APPLY (SELECT SUM(ActualCost) AS Total FROM JCCD d WHERE d.JCCo = j.JCCo "
     "AND d.Job = j.Job) x WHERE j.JCCo = 1", [C("Cost is not a column of derived table x", "Cost")]),
    # --- identifier case
    ("SELECT APRef FROM APTH WHERE APCO = 1", [K('APTH.APCO is written "APCO"; the catalog spells it "APCo"', "APCO")]),
    ("SELECT APRef FROM APTH WHERE apco = 1", [K('APTH.apco is written "apco"; the catalog spells it "APCo"', "apco")]),
    ("SELECT aprEF FROM apth WHERE APCo = 1",
     [K('APTH.aprEF is written "aprEF"; the catalog spells it "APRef"', "aprEF"),
      K('table "apth" is written in the wrong case; the catalog spells it "APTH"', "apth")]),
    ("SELECT HQCo, Name FROM HQCO WHERE HQCo = 1", []),
    ("SELECT Name FROM HQCo WHERE HQCo = 1", [K('table "HQCo" is written in the wrong case; the catalog spells it "HQCO"', "HQCo")]),
    ("SELECT h.APRef FROM APTH h WHERE H.APCo = 1", [K('alias "H" is written in the wrong case; the query defines it as "h"', "H")]),
    ("SELECT [aPRef] FROM [APTH] WHERE [APCo] = 1", [K('APTH.aPRef is written "aPRef"; the catalog spells it "APRef"', "aPRef")]),
    ("SELECT APRef FROM bapth WHERE APCo = 1",
     [B("bapth", "APTH"), K('table "bapth" is written in the wrong case; the catalog spells it "bAPTH"', "bapth")]),
    ("SELECT Description FROM JCJM WHERE JCCO = 1", [K('JCJM.JCCO is written "JCCO"; the catalog spells it "JCCo"', "JCCO")]),
    # --- join keys
    ("SELECT l.APLine FROM APTH h JOIN APTL l ON l.APTrans = h.APTrans WHERE h.APCo = 1",
     [F("APTL"), J("the join of APTH and APTL does not equate APCo, Mth (key: APCo, Mth, APTrans)", "APTL")]),
    ("SELECT l.APLine FROM APTH h JOIN APTL l ON l.Mth = h.Mth AND l.APTrans = h.APTrans WHERE h.APCo = @co AND l.APCo = @co", []),
    ("SELECT l.APLine FROM APTH h, APTL l WHERE " + APTH_APTL + " AND h.APCo = 1", []),
    ("SELECT l.APLine FROM APTH h, APTL l WHERE l.APCo = h.APCo AND l.APTrans = h.APTrans AND h.APCo = 1",
     [J("the join of APTH and APTL does not equate Mth (key: APCo, Mth, APTrans)", "APTL")]),
    ("SELECT v.Name FROM APTH h JOIN APVM v ON v.Vendor = h.Vendor WHERE h.APCo = 1",
     [J("the join of APVM and APTH does not equate VendorGroup (key: VendorGroup, Vendor)", "APVM")]),
    ("SELECT v.Name FROM APTH h JOIN APVM v ON v.VendorGroup = h.VendorGroup AND v.Vendor = h.Vendor WHERE h.APCo = 1", []),
    ("SELECT d.ActualCost FROM JCCH c JOIN JCCD d ON d.JCCo = c.JCCo AND d.Job = c.Job AND d.Phase = c.Phase "
     "AND d.CostType = c.CostType WHERE c.JCCo = 1",
     [J("the join of JCCH and JCCD does not equate PhaseGroup (optional key column)", "JCCD", "warning")]),
    ("SELECT d.ActualCost FROM JCCH c JOIN JCCD d ON d.JCCo = c.JCCo AND d.Job = c.Job AND d.PhaseGroup = c.PhaseGroup "
     "AND d.Phase = c.Phase AND d.CostType = c.CostType WHERE c.JCCo = 1", []),
    ("SELECT d.ActualCost FROM JCCH c JOIN JCCD d ON d.JCCo = c.JCCo AND d.Job = c.Job AND d.Phase = c.Phase WHERE c.JCCo = 1",
     [J("the join of JCCH and JCCD does not equate CostType (key: JCCo, Job, PhaseGroup, Phase, CostType)", "JCCD"),
      J("the join of JCCH and JCCD does not equate PhaseGroup (optional key column)", "JCCD", "warning")]),
    ("SELECT r.Position FROM PREH e JOIN HRRM r ON r.PRCo = e.PRCo WHERE e.PRCo = 1",
     [F("HRRM", "HRCo"), J("the join of PREH and HRRM does not equate Employee = PREmp (key: PRCo, Employee = PREmp)", "HRRM")]),
    ("SELECT r.Position FROM PREH e JOIN HRRM r ON r.PRCo = e.PRCo AND r.PREmp = e.Employee WHERE e.PRCo = 1", []),
    ("SELECT h.APRef, l.APLine, d.APSeq, d.Amount FROM APTH h JOIN APTL l ON " + APTH_APTL +
     " JOIN APTD d ON d.APCo = l.APCo AND d.Mth = l.Mth AND d.APTrans = l.APTrans AND d.APLine = l.APLine"
     " WHERE h.APCo = @APCo AND d.Status < 3", []),
    ("SELECT 1 AS one FROM APTH h JOIN GLDT g ON g.GLCo = h.APCo WHERE h.APCo = 1", []),
    ("SELECT j.Description FROM APTL l JOIN JCJM j ON j.JCCo = l.APCo AND j.Job = l.Job WHERE l.APCo = 1",
     [J("the join of JCJM and APTL does not equate JCCo (key: JCCo, Job)", "JCJM")]),
    ("SELECT h.APRef FROM APTH h LEFT JOIN APTD d ON d.APCo = h.APCo AND d.Mth = h.Mth AND d.APTrans = h.APTrans "
     "AND d.Status = 1 WHERE h.APCo = 1", []),
    ("SELECT a.APRef FROM APTH a JOIN APTH b ON b.APRef = a.APRef WHERE a.APCo = 1 AND b.APCo = 1", []),
    ("SELECT c.Name FROM ARTH t JOIN ARCM c ON c.Customer = t.Customer WHERE t.ARCo = 1",
     [J("the join of ARCM and ARTH does not equate CustGroup (key: CustGroup, Customer)", "ARCM")]),
    # --- base tables and DDL
    ("SELECT Job FROM bJCJM WHERE JCCo = 1", [B("bJCJM", "JCJM")]),
    ("CREATE VIEW dbo.JCJM2 AS SELECT * FROM dbo.bJCJM", []),
    ("UPDATE bAPTH SET HoldCode = NULL WHERE APCo = 1 AND Mth = '20240101' AND APTrans = 3", [B("bAPTH", "APTH")]),
    ("TRUNCATE TABLE bHQBC", []),
    ("DROP TABLE bAPTH", []),
    ("SELECT * FROM budJobExtra",
     [T("budJobExtra is not in the catalog; a site-specific ud table cannot be verified", "budJobExtra", "info")]),
    # --- unknown tables
    ("SELECT * FROM Invoice i WHERE i.APCo = 1", [T("Invoice is not a table in the catalog; it is a column of ARTH", "Invoice")]),
    ("SELECT * FROM APTHH WHERE APCo = 1", [T('APTHH is not a table in the catalog; did you mean "APTH"?', "APTHH")]),
    ("SELECT * FROM sys.tables", []),
    ("SELECT name FROM sysobjects WHERE xtype = 'U'", []),  # old catalog views are system views too
    # --- a parenthesized join: its tables and aliases belong to the query (issue 13)
    ("SELECT h.APRef, l.APTrans FROM (APTH h WITH (NOLOCK) JOIN APTL l WITH (NOLOCK) ON l.APCo = h.APCo AND l.Mth = h.Mth"
     " AND l.APTrans = h.APTrans) WHERE h.APCo = 1", []),
    ("SELECT h.APRef FROM (APTH h JOIN APTL l ON l.APCo = h.APCo AND l.Mth = h.Mth AND l.APTrans = h.APTrans)",
     [F("APTH"), F("APTL")]),
    # --- PIVOT/UNPIVOT outputs (issue 13): the pivot's alias names the rows, with its own columns
    ("SELECT pvt.[1], pvt.Vendor FROM (SELECT Vendor, Mth, InvTotal FROM APTH WHERE APCo = 1) AS src "
     "PIVOT (SUM(InvTotal) FOR Mth IN ([1], [2])) AS pvt", []),
    ("SELECT pvt.[3] FROM (SELECT Vendor, Mth, InvTotal FROM APTH WHERE APCo = 1) AS src "
     "PIVOT (SUM(InvTotal) FOR Mth IN ([1], [2])) AS pvt", [C("3 is not a column of derived table pvt", "3")]),
    ("SELECT pvt.Vendor, pvt.[1] FROM APTH h PIVOT (SUM(h.InvTotal) FOR h.Mth IN ([1], [2])) AS pvt WHERE pvt.APCo = 1", []),
    ("SELECT pvt.InvTotal FROM APTH h PIVOT (SUM(h.InvTotal) FOR h.Mth IN ([1], [2])) AS pvt WHERE pvt.APCo = 1",
     [C("InvTotal is not a column of derived table pvt", "InvTotal")]),
    ("SELECT u.Vendor, u.Amount, u.Kind FROM (SELECT Vendor, InvTotal, DiscDate FROM APTH WHERE APCo = 1) p "
     "UNPIVOT (Amount FOR Kind IN (InvTotal, DiscDate)) AS u", []),
    ("SELECT u.InvTotal FROM (SELECT Vendor, InvTotal, DiscDate FROM APTH WHERE APCo = 1) p "
     "UNPIVOT (Amount FOR Kind IN (InvTotal, DiscDate)) AS u", [C("InvTotal is not a column of derived table u", "InvTotal")]),
    ("SELECT s.Total FROM (SELECT Bogus AS Total FROM APTH WHERE APCo = 1) s",
     [C("Bogus is not a column of APTH", "Bogus")]),  # a derived table does not see its own alias's columns
    # --- company scoped through rows a script or the server chose, or through a table the catalog lacks
    ("SELECT h.APRef FROM APTH h JOIN @companies c ON c.Co = h.APCo", []),
    ("SELECT h.APRef FROM APTH h JOIN #companies c ON c.Co = h.APCo", []),
    ("SELECT h.APRef FROM APTH h JOIN dbo.vfUserCompanies(@user) c ON c.Co = h.APCo", []),
    ("SELECT h.APRef FROM APTH h JOIN inserted i ON i.APCo = h.APCo AND i.Mth = h.Mth AND i.APTrans = h.APTrans", []),
    ("UPDATE h SET h.HoldCode = NULL FROM APTH h JOIN deleted d ON d.APCo = h.APCo AND d.Mth = h.Mth AND d.APTrans = h.APTrans", []),
    ("SELECT h.APRef FROM APTH h WHERE h.APCo IN (SELECT Co FROM @companies)", []),
    ("SELECT h.APRef FROM APTH h JOIN @companies c ON c.Name = h.Vendor", [F("APTH")]),
    ("SELECT h.APRef FROM APTH h JOIN udCompanyMap m ON m.Co = h.APCo WHERE m.Co = 1",
     [T("udCompanyMap is not in the catalog; a site-specific ud table cannot be verified", "udCompanyMap", "info")]),
    ("SELECT h.APRef FROM APTH h JOIN udCompanyMap m ON m.Co = h.APCo",
     [F("APTH"), T("udCompanyMap is not in the catalog; a site-specific ud table cannot be verified", "udCompanyMap", "info")]),
    ("SELECT h.APRef FROM APTH h JOIN Companies x ON x.Co = h.APCo JOIN APTL l ON l.APCo = x.Co AND l.Mth = h.Mth "
     "AND l.APTrans = h.APTrans WHERE l.APCo = 1", [T("Companies is not a table in the catalog", "Companies")]),
    # --- reads inside DECLARE / SET are analyzed too
    ("DECLARE @n int = (SELECT COUNT(*) FROM APTH WHERE Bogus = 1)", [F("APTH"), C("Bogus is not a column of APTH", "Bogus")]),
    ("SET @n = (SELECT MAX(APTrans) FROM APTH WHERE APCo = 1)", []),
    ("SELECT * FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_NAME = 'APTH'", []),
    ("SELECT * FROM OtherDb.dbo.Whatever", []),
    ("SELECT * FROM brvJCCostRevenue WHERE JCCo = 1", [T("brvJCCostRevenue is not a table in the catalog", "brvJCCostRevenue")]),
    ("SELECT l.Job FROM APTL l JOIN JCCo c ON c.JCCo = l.JCCo WHERE l.APCo = 1",
     [T("JCCo is not a table in the catalog; it is a column of APTL, JCJM, JCJP, …", "JCCo")]),
    ("SELECT * FROM udJobExtras WHERE Co = 1",
     [T("udJobExtras is not in the catalog; a site-specific ud table cannot be verified", "udJobExtras", "info")]),
]


@pytest.mark.parametrize("sql, expected", CASES, ids=[f"{i:03d}" for i in range(len(CASES))])
def test_statement(sql, expected):
    assert findings(sql) == sorted(expected)


def test_corpus_is_large_enough():
    assert len(CASES) >= 80


# ---------------------------------------------------------------------------- fields with prose


def test_span_points_into_the_field_after_prose():
    text = "Use this:\n```sql\nSELECT APRef\nFROM APTH\nWHERE APCO = 1\n```\nIt lists invoices."
    found = findings(text)
    assert found == [K('APTH.APCO is written "APCO"; the catalog spells it "APCo"', "APCO")]


def test_declare_then_select_without_semicolons():
    text = "DECLARE @co tinyint = 1\nSELECT APRef, Status FROM APTH WHERE APCo = @co"
    assert findings(text) == [C("Status is not a column of APTH; it is a column of ARCM, HQBC, APTD", "Status")]


def test_several_statements_report_each():
    text = "SELECT Name FROM Vendors\nGO\nSELECT APRef FROM APTH"
    assert findings(text) == sorted([T("Vendors is not a table in the catalog", "Vendors"), F("APTH")])


def test_unparseable_sql_is_left_to_other_rules():
    assert findings("SELECT FROM WHERE APTH ((") == []


def test_prose_is_not_sql():
    assert findings("Select the vendor on the form, then update the record.") == []


def test_no_catalog_means_no_hits():
    ctx = Context(record=None, kind="sft", services={})
    assert list(f.sql_unknown_table("SELECT * FROM Vendors", f.SqlUnknownTableOptions(), ctx)) == []


def test_optional_severity_off_drops_optional_hits():
    ctx = Context(record=None, kind="sft", services={"catalog": CATALOG})
    sql = "SELECT 1 AS x FROM JCJP p JOIN JCCH c ON c.JCCo = p.JCCo AND c.Job = p.Job AND c.Phase = p.Phase WHERE p.JCCo = 1"
    assert [h.message for h in f.sql_join_keys(sql, f.SqlJoinKeysOptions(optional_severity="off"), ctx)] == []
    assert [h.severity.value for h in f.sql_join_keys(sql, f.SqlJoinKeysOptions(optional_severity="info"), ctx)] == ["info"]


def test_base_table_prefix_option_and_dml_allowance():
    ctx = Context(record=None, kind="sft", services={"catalog": CATALOG})
    sql = "UPDATE bAPTH SET HoldCode = NULL WHERE APCo = 1"
    assert list(f.sql_base_table(sql, f.SqlBaseTableOptions(allow_in_dml=True), ctx)) == []
    options = f.SqlBaseTableOptions(prefixes=("x",))
    assert list(f.sql_base_table("SELECT Job FROM bJCJM WHERE JCCo = 1", options, ctx)) != []  # view_of still names it


def test_group_by_option_off_requires_a_filter():
    ctx = Context(record=None, kind="sft", services={"catalog": CATALOG})
    sql = "SELECT APCo, COUNT(*) AS n FROM APTH GROUP BY APCo"
    hits = list(f.sql_company_filter(sql, f.SqlCompanyFilterOptions(accept_group_by=False), ctx))
    assert [h.message for h in hits] == ["APTH is read without a filter on its company column APCo"]


def test_option_validation_messages():
    from vgptlint.functions.base import OptionError, build_options

    with pytest.raises(OptionError, match='must be one of error, warning, info, off; got "loud"'):
        build_options(f.SqlJoinKeysOptions, {"optional_severity": "loud"})
    with pytest.raises(OptionError, match="at least one non-empty prefix"):
        build_options(f.SqlBaseTableOptions, {"prefixes": []})
