"""A small Viewpoint Vista catalog for the bench generator (facts from ../shared/DOMAIN.md §3-§5).

Only what the generator needs: views with their module, purpose, key, scope column and a handful of
real columns (with Vista types), plus the relationships with their full join keys.
"""

from __future__ import annotations

from dataclasses import dataclass

# column -> (Vista type, short description); shared by every table that has the column.
COLUMNS: dict[str, tuple[str, str]] = {
    "APCo": ("bCompany", "AP company number"),
    "ARCo": ("bCompany", "AR company number"),
    "HQCo": ("bCompany", "HQ company number"),
    "JCCo": ("bCompany", "JC company number"),
    "GLCo": ("bCompany", "GL company number"),
    "PRCo": ("bCompany", "PR company number"),
    "POCo": ("bCompany", "PO company number"),
    "SLCo": ("bCompany", "SL company number"),
    "EMCo": ("bCompany", "EM company number"),
    "PMCo": ("bCompany", "PM company number"),
    "CMCo": ("bCompany", "CM company number"),
    "Mth": ("bMonth", "batch month, always the first day of a month"),
    "UIMth": ("bMonth", "month of the unapproved invoice"),
    "APTrans": ("bTrans", "AP transaction number, unique within company and month"),
    "ARTrans": ("bTrans", "AR transaction number, unique within company and month"),
    "GLTrans": ("bTrans", "GL transaction number, unique within company and month"),
    "CostTrans": ("bTrans", "JC cost transaction number"),
    "EMTrans": ("bTrans", "EM cost transaction number"),
    "POTrans": ("bTrans", "PO receipt transaction number"),
    "APLine": ("smallint", "invoice line number"),
    "ARLine": ("smallint", "AR line number"),
    "APSeq": ("tinyint", "pay sequence within the line"),
    "UISeq": ("smallint", "unapproved invoice sequence"),
    "Line": ("smallint", "line number"),
    "VendorGroup": ("bGroup", "vendor group from HQCO"),
    "Vendor": ("bVendor", "vendor number, unique within the vendor group"),
    "CustGroup": ("bGroup", "customer group from HQCO"),
    "Customer": ("bCustomer", "customer number, unique within the customer group"),
    "PhaseGroup": ("bGroup", "phase group from HQCO"),
    "MatlGroup": ("bGroup", "material group from HQCO"),
    "EMGroup": ("bGroup", "equipment group from HQCO"),
    "TaxGroup": ("bGroup", "tax group from HQCO"),
    "Name": ("varchar(60)", "name"),
    "SortName": ("varchar(15)", "sort name used by lookups"),
    "ActiveYN": ("bYN", "active flag, upper-case Y or N"),
    "Active": ("bYN", "active flag, upper-case Y or N"),
    "OpenYN": ("bYN", "open flag, upper-case Y or N"),
    "APRef": ("bAPReference", "the vendor's invoice number"),
    "Description": ("bDesc", "description"),
    "InvDate": ("bDate", "invoice date"),
    "DueDate": ("bDate", "due date"),
    "InvTotal": ("bDollar", "invoice total"),
    "HoldCode": ("varchar(10)", "hold code"),
    "PayMethod": ("char(1)", "payment method"),
    "PayType": ("tinyint", "pay type"),
    "Amount": ("bDollar", "amount"),
    "Status": ("tinyint", "status code"),
    "PaidMth": ("bMonth", "month the line was paid"),
    "PaidDate": ("bDate", "date paid"),
    "CMAcct": ("smallint", "cash management account"),
    "CMRef": ("varchar(10)", "check or EFT reference"),
    "LineType": ("tinyint", "line type"),
    "Job": ("bJob", "job, formatted by the company job mask"),
    "Phase": ("bPhase", "phase code"),
    "JCCType": ("bJCCType", "JC cost type"),
    "CostType": ("bJCCType", "JC cost type"),
    "GLAcct": ("bGLAcct", "GL account"),
    "Units": ("bUnits", "units"),
    "UnitCost": ("bUnitCost", "unit cost"),
    "GrossAmt": ("bDollar", "gross line amount"),
    "TaxAmt": ("bDollar", "tax amount"),
    "Retainage": ("bDollar", "retainage amount"),
    "Address": ("varchar(60)", "street address"),
    "City": ("varchar(30)", "city"),
    "State": ("varchar(4)", "state"),
    "Phone": ("varchar(20)", "phone number"),
    "Invoice": ("varchar(10)", "invoice number"),
    "TransDate": ("bDate", "transaction date"),
    "ARTransType": ("char(1)", "AR transaction type"),
    "Contract": ("bContract", "contract, formatted by the company contract mask"),
    "Item": ("bContractItem", "contract item"),
    "AmountDue": ("bDollar", "amount still due"),
    "CreditLimit": ("bDollar", "credit limit"),
    "JobStatus": ("tinyint", "job status"),
    "ProjectMgr": ("int", "project manager"),
    "ContractStatus": ("tinyint", "contract status"),
    "ContractAmt": ("bDollar", "current contract amount"),
    "OrigContractAmt": ("bDollar", "original contract amount"),
    "BilledAmt": ("bDollar", "billed to date"),
    "ReceivedAmt": ("bDollar", "received to date"),
    "UM": ("bUM", "unit of measure"),
    "OrigCost": ("bDollar", "original estimated cost"),
    "JCTransType": ("varchar(2)", "JC transaction type such as AP, PR or OE"),
    "ActualDate": ("bDate", "actual date of the cost"),
    "ActualCost": ("bDollar", "actual cost"),
    "ActualHours": ("bHrs", "actual hours"),
    "EstCost": ("bDollar", "estimated cost"),
    "ProjCost": ("bDollar", "projected cost"),
    "TotalCmtdCost": ("bDollar", "total committed cost"),
    "Jrnl": ("varchar(2)", "GL journal"),
    "GLRef": ("varchar(15)", "GL reference"),
    "Source": ("varchar(10)", "source module"),
    "ActDate": ("bDate", "activity date"),
    "AcctType": ("char(1)", "account type"),
    "NetActivity": ("bDollar", "net activity for the month"),
    "Employee": ("bEmployee", "employee number"),
    "LastName": ("varchar(30)", "last name"),
    "FirstName": ("varchar(30)", "first name"),
    "PRGroup": ("bGroup", "payroll group"),
    "PREndDate": ("bDate", "pay period ending date"),
    "PaySeq": ("tinyint", "payment sequence"),
    "PostSeq": ("smallint", "posting sequence"),
    "EarnCode": ("bEDLCode", "earnings code"),
    "Hours": ("bHrs", "hours"),
    "Rate": ("bUnitCost", "pay rate"),
    "Amt": ("bDollar", "earnings amount"),
    "HireDate": ("bDate", "hire date"),
    "HrlyRate": ("bUnitCost", "hourly rate"),
    "EDLType": ("char(1)", "earning, deduction or liability type"),
    "EDLCode": ("bEDLCode", "earning, deduction or liability code"),
    "Earnings": ("bDollar", "gross earnings"),
    "Method": ("varchar(10)", "calculation method"),
    "PO": ("varchar(30)", "purchase order"),
    "POItem": ("bItem", "PO item"),
    "OrderDate": ("bDate", "order date"),
    "Material": ("bMatl", "material"),
    "CurCost": ("bDollar", "current cost"),
    "RecvdCost": ("bDollar", "received cost"),
    "RecvdDate": ("bDate", "received date"),
    "RecvdUnits": ("bUnits", "received units"),
    "SL": ("varchar(30)", "subcontract"),
    "SLItem": ("bItem", "subcontract item"),
    "InvCost": ("bDollar", "invoiced cost"),
    "Equipment": ("bEquip", "equipment code"),
    "Category": ("varchar(10)", "category"),
    "HourReading": ("bHrs", "hour meter reading"),
    "CostCode": ("varchar(10)", "EM cost code"),
    "Dollars": ("bDollar", "dollars"),
    "Project": ("bJob", "PM project, the JC job"),
    "ACO": ("varchar(10)", "approved change order"),
    "ACOItem": ("varchar(10)", "approved change order item"),
    "ApprovalDate": ("bDate", "approval date"),
    "ApprovedAmt": ("bDollar", "approved amount"),
    "FedTaxId": ("varchar(20)", "federal tax id"),
}


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    module: str
    holds: str
    key: tuple[str, ...]
    scope: str  # company column, or the group column for masters
    columns: tuple[str, ...]  # key columns first


def _table(name: str, module: str, holds: str, key: str, scope: str, extra: str) -> Table:
    key_cols = tuple(key.split())
    return Table(name, module, holds, key_cols, scope, key_cols + tuple(c for c in extra.split() if c not in key_cols))


TABLES: dict[str, Table] = {t.name: t for t in (
    _table("HQCO", "HQ", "the company master", "HQCo", "HQCo", "Name VendorGroup CustGroup PhaseGroup MatlGroup TaxGroup EMGroup FedTaxId"),
    _table("APVM", "AP", "vendors", "VendorGroup Vendor", "VendorGroup", "Name SortName ActiveYN Address City State Phone"),
    _table("APTH", "AP", "posted AP invoice headers", "APCo Mth APTrans", "APCo", "VendorGroup Vendor APRef Description InvDate DueDate InvTotal HoldCode PayMethod OpenYN"),
    _table("APTL", "AP", "AP invoice lines", "APCo Mth APTrans APLine", "APCo", "LineType PO POItem SL SLItem JCCo Job PhaseGroup Phase JCCType GLCo GLAcct Units UnitCost GrossAmt TaxAmt Retainage"),
    _table("APTD", "AP", "AP pay detail per invoice line", "APCo Mth APTrans APLine APSeq", "APCo", "PayType Amount DueDate Status PaidMth PaidDate CMAcct CMRef"),
    _table("APUI", "AP", "unapproved AP invoices", "APCo UIMth UISeq", "APCo", "VendorGroup Vendor APRef InvDate InvTotal"),
    _table("APUL", "AP", "unapproved AP invoice lines", "APCo UIMth UISeq Line", "APCo", "JCCo Job Phase GrossAmt"),
    _table("ARCM", "AR", "customers", "CustGroup Customer", "CustGroup", "Name SortName Status CreditLimit Address City State"),
    _table("ARTH", "AR", "AR transactions", "ARCo Mth ARTrans", "ARCo", "ARTransType CustGroup Customer Invoice TransDate DueDate JCCo Contract AmountDue Retainage"),
    _table("ARTL", "AR", "AR transaction lines", "ARCo Mth ARTrans ARLine", "ARCo", "LineType GLAcct Amount Retainage JCCo Contract Item"),
    _table("JCJM", "JC", "jobs", "JCCo Job", "JCCo", "Description Contract JobStatus ProjectMgr"),
    _table("JCJP", "JC", "job phases", "JCCo Job PhaseGroup Phase", "JCCo", "Description Contract Item ActiveYN"),
    _table("JCCH", "JC", "job phase cost types", "JCCo Job PhaseGroup Phase CostType", "JCCo", "UM ActiveYN OrigCost"),
    _table("JCCD", "JC", "JC cost detail", "JCCo Job Phase CostType Mth CostTrans", "JCCo", "PhaseGroup JCTransType Source ActualDate ActualHours ActualCost EstCost ProjCost TotalCmtdCost Vendor APTrans PO SL Employee"),
    _table("JCCP", "JC", "monthly JC cost summary", "JCCo Job PhaseGroup Phase CostType Mth", "JCCo", "ActualCost ActualHours OrigCost ProjCost TotalCmtdCost"),
    _table("JCCM", "JC", "contracts", "JCCo Contract", "JCCo", "Description ContractStatus CustGroup Customer OrigContractAmt ContractAmt BilledAmt ReceivedAmt"),
    _table("JCCI", "JC", "contract items", "JCCo Contract Item", "JCCo", "Description UM OrigContractAmt ContractAmt BilledAmt ReceivedAmt"),
    _table("JCIP", "JC", "monthly contract revenue summary", "JCCo Contract Item Mth", "JCCo", "OrigContractAmt ContractAmt BilledAmt ReceivedAmt"),
    _table("GLAC", "GL", "the chart of accounts", "GLCo GLAcct", "GLCo", "Description AcctType Active"),
    _table("GLDT", "GL", "posted GL detail", "GLCo Mth GLTrans", "GLCo", "GLAcct Jrnl GLRef Source ActDate Description Amount"),
    _table("GLBL", "GL", "monthly GL balances", "GLCo GLAcct Mth", "GLCo", "NetActivity"),
    _table("PREH", "PR", "employees", "PRCo Employee", "PRCo", "LastName FirstName SortName PRGroup HireDate ActiveYN HrlyRate JCCo Job"),
    _table("PRTH", "PR", "timecards", "PRCo PRGroup PREndDate Employee PaySeq PostSeq", "PRCo", "JCCo Job PhaseGroup Phase EarnCode Hours Rate Amt"),
    _table("PRSQ", "PR", "pay sequences and checks", "PRCo PRGroup PREndDate Employee PaySeq", "PRCo", "CMAcct PayMethod CMRef PaidDate PaidMth Hours Earnings"),
    _table("PRDT", "PR", "pay-sequence earnings, deductions and liabilities", "PRCo PRGroup PREndDate Employee PaySeq EDLType EDLCode", "PRCo", "Hours Amount"),
    _table("PREC", "PR", "earnings codes", "PRCo EarnCode", "PRCo", "Description Method"),
    _table("POHD", "PO", "purchase order headers", "POCo PO", "POCo", "VendorGroup Vendor Description OrderDate Status JCCo Job"),
    _table("POIT", "PO", "purchase order items", "POCo PO POItem", "POCo", "Material UM JCCo Job Phase GLAcct OrigCost CurCost RecvdCost InvCost"),
    _table("PORD", "PO", "purchase order receipts", "POCo PO POItem Mth POTrans", "POCo", "RecvdDate RecvdUnits RecvdCost"),
    _table("SLHD", "SL", "subcontract headers", "SLCo SL", "SLCo", "JCCo Job Description VendorGroup Vendor Status"),
    _table("SLIT", "SL", "subcontract items", "SLCo SL SLItem", "SLCo", "JCCo Job PhaseGroup Phase Description OrigCost CurCost InvCost"),
    _table("EMEM", "EM", "equipment", "EMCo Equipment", "EMCo", "Description Category Status HourReading JCCo Job"),
    _table("EMCD", "EM", "equipment cost detail", "EMCo Equipment Mth EMTrans", "EMCo", "EMGroup CostCode ActualDate Source Units Dollars"),
    _table("PMOH", "PM", "approved change orders", "PMCo Project ACO", "PMCo", "Description Contract ApprovalDate"),
    _table("PMOI", "PM", "approved change order items", "PMCo Project ACO ACOItem", "PMCo", "Description Status ApprovedAmt Units"),
)}


@dataclass(frozen=True, slots=True)
class Link:
    """parent -> child, joined on every (parent column, child column) pair."""
    parent: str
    child: str
    on: tuple[tuple[str, str], ...]


def _link(parent: str, child: str, cols: str) -> Link:
    pairs = tuple((p, c) for p, c in (x.split("=") if "=" in x else (x, x) for x in cols.split()))
    return Link(parent, child, pairs)


LINKS: tuple[Link, ...] = (
    _link("APTH", "APTL", "APCo Mth APTrans"),
    _link("APTL", "APTD", "APCo Mth APTrans APLine"),
    _link("APTH", "APVM", "VendorGroup Vendor"),
    _link("APUI", "APUL", "APCo UIMth UISeq"),
    _link("APTL", "JCJM", "JCCo Job"),
    _link("ARTH", "ARTL", "ARCo Mth ARTrans"),
    _link("ARTH", "ARCM", "CustGroup Customer"),
    _link("JCJM", "JCJP", "JCCo Job"),
    _link("JCJP", "JCCH", "JCCo Job PhaseGroup Phase"),
    _link("JCCH", "JCCD", "JCCo Job PhaseGroup Phase CostType"),
    _link("JCCH", "JCCP", "JCCo Job PhaseGroup Phase CostType"),
    _link("JCJM", "JCCM", "JCCo Contract"),
    _link("JCCM", "JCCI", "JCCo Contract"),
    _link("JCCI", "JCIP", "JCCo Contract Item"),
    _link("JCCM", "ARCM", "CustGroup Customer"),
    _link("GLAC", "GLDT", "GLCo GLAcct"),
    _link("GLAC", "GLBL", "GLCo GLAcct"),
    _link("PREH", "PRTH", "PRCo Employee"),
    _link("PRTH", "PREC", "PRCo EarnCode"),
    _link("PRSQ", "PRDT", "PRCo PRGroup PREndDate Employee PaySeq"),
    _link("PREH", "PRSQ", "PRCo Employee"),
    _link("POHD", "POIT", "POCo PO"),
    _link("POIT", "PORD", "POCo PO POItem"),
    _link("POHD", "APVM", "VendorGroup Vendor"),
    _link("SLHD", "SLIT", "SLCo SL"),
    _link("SLHD", "APVM", "VendorGroup Vendor"),
    _link("EMEM", "EMCD", "EMCo Equipment"),
    _link("PMOH", "PMOI", "PMCo Project ACO"),
    _link("HQCO", "APVM", "VendorGroup"),
    _link("HQCO", "ARCM", "CustGroup"),
)

# Join chains the SQL generator walks (each step is a LINKS entry from the previous table).
CHAINS: tuple[tuple[str, ...], ...] = (
    ("APTH", "APTL", "APTD"), ("APTH", "APVM"), ("APTH", "APTL", "JCJM"), ("APUI", "APUL"),
    ("ARTH", "ARTL"), ("ARTH", "ARCM"), ("JCJM", "JCJP", "JCCH", "JCCD"), ("JCJM", "JCJP", "JCCH", "JCCP"),
    ("JCJM", "JCCM", "JCCI", "JCIP"), ("JCCM", "ARCM"), ("GLAC", "GLDT"), ("GLAC", "GLBL"),
    ("PREH", "PRTH", "PREC"), ("PREH", "PRSQ", "PRDT"), ("POHD", "POIT", "PORD"), ("POHD", "APVM"),
    ("SLHD", "SLIT"), ("SLHD", "APVM"), ("EMEM", "EMCD"), ("PMOH", "PMOI"), ("HQCO", "APVM"), ("HQCO", "ARCM"),
)

LINK_BY_PAIR: dict[tuple[str, str], Link] = {(k.parent, k.child): k for k in LINKS}

# Names that sound like Vista but are not in it (for negatives and hallucination tests), each with the
# real object a good answer points to instead.
FAKE_TABLES: dict[str, str] = {
    "Vendors": "APVM", "Invoices": "APTH", "Customers": "ARCM", "Employees": "PREH", "Jobs": "JCJM",
    "APInvoice": "APTH", "APVendor": "APVM", "JCJobs": "JCJM", "GLAccounts": "GLAC", "PRPayroll": "PRTH",
    "APPY": "APTD", "JCPH": "JCJP", "ARIN": "ARTH", "GLTX": "GLDT", "POVN": "APVM", "EMEQ": "EMEM",
    "SLSC": "SLHD", "PRCK": "PRSQ", "HQVN": "APVM", "APHD": "APTH", "brvAPVendorAging": "APTD",
    "vrvJCJobSummary": "JCCP", "JobCost": "JCCD", "PayrollDetail": "PRDT", "ARInvoices": "ARTH",
    "JCBudget": "JCCP", "GLJournal": "GLDT", "POOrders": "POHD", "EquipmentList": "EMEM", "ChangeOrders": "PMOH",
}
FAKE_COLUMNS: dict[str, tuple[str, str]] = {
    "InvoiceStatus": ("APTD", "Status"), "VendorName": ("APVM", "Name"), "JobName": ("JCJM", "Description"),
    "CustomerID": ("ARCM", "Customer"), "IsPaid": ("APTD", "PaidDate"), "TotalDue": ("ARTH", "AmountDue"),
    "EmployeeName": ("PREH", "LastName"), "InvoiceNumber": ("APTH", "APRef"), "PaidFlag": ("APTD", "PaidMth"),
    "JobID": ("JCJM", "Job"), "CompanyID": ("HQCO", "HQCo"), "Balance": ("GLBL", "NetActivity"),
    "InvoiceAmount": ("APTH", "InvTotal"), "HourlyWage": ("PREH", "HrlyRate"), "CostAmount": ("JCCD", "ActualCost"),
    "ContractValue": ("JCCM", "ContractAmt"), "PODate": ("POHD", "OrderDate"), "EquipName": ("EMEM", "Description"),
}

# Row predicates that make sense per table (column, operator, literal), values as DOMAIN.md describes them.
PREDICATES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "APTH": (("OpenYN", "=", "'Y'"), ("Mth", "=", "'20240301'"), ("InvTotal", ">", "0")),
    "APTD": (("Status", "<", "3"), ("PaidMth", "=", "'20240401'")),
    "APVM": (("ActiveYN", "=", "'Y'"),),
    "ARTH": (("Mth", "=", "'20240201'"), ("ARTransType", "=", "'I'")),
    "JCJM": (("JobStatus", "=", "1"),),
    "JCCD": (("JCTransType", "=", "'AP'"), ("JCTransType", "=", "'PR'"), ("Mth", "=", "'20240501'")),
    "JCCM": (("ContractStatus", "=", "1"),),
    "GLDT": (("Mth", "=", "'20240101'"), ("Jrnl", "=", "'AP'")),
    "PREH": (("ActiveYN", "=", "'Y'"),),
    "PRTH": (("PREndDate", "=", "'20240315'"),),
    "POHD": (("Status", "=", "0"),),
    "EMCD": (("Mth", "=", "'20240601'"),),
    "GLAC": (("Active", "=", "'Y'"),),
}
