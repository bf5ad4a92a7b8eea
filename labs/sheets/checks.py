"""Spreadsheet lab: the kiosk's workbook, filled in LibreOffice Calc (or Excel, Google Sheets) and saved as kiosk.xlsx
or kiosk.ods. Every check looks only at the saved file (``evidence="outside"``): the formulas as written (openpyxl)
and the values LibreOffice computes from them. When graded, the workbook is also recomputed on other data (the same
cells, other codes, quantities, prices and tax rate: ``hidden/``), so a number typed in where a formula belongs, or a
formula that only fits today's rows, fails with its own message."""
from __future__ import annotations

import hashlib
import re
from contextlib import nullcontext
from pathlib import Path

from graders import spreadsheet
from graders.checks import Check, Questions
from graders.i18n import Domain

from . import workbook as kiosk

M_ = Domain.beside(__file__)
questions = Questions("sheets")

NO_FILE = M_("sheets.file.missing", "I can't find kiosk.xlsx (or kiosk.ods) next to this notebook. In Calc, use File > Save (keep the name kiosk.xlsx), or File > Save As and choose this folder.")
EMPTY = M_("sheets.file.empty", "{name} is empty (0 bytes): the save did not finish. Open the workbook in Calc again, check your formulas are there and save it once more.")
NOT_SHEET = M_("sheets.file.not_spreadsheet", "{name} is not a spreadsheet: it does not open as an .xlsx or .ods workbook. Save it from Calc with File > Save As, type \"Excel 2007-365 (.xlsx)\" or \"ODF Spreadsheet (.ods)\", keeping the name kiosk.")
NO_SHEET = M_("sheets.file.no_sheet", "The workbook has no sheet called {sheet}. Keep the sheet names Sales, Prices and Summary as they were.")
CALC_FAILED = M_("sheets.file.calc_failed", "I could not recompute the workbook with LibreOffice ({error}). Ask your instructor: the desktop's LibreOffice may be missing.")

TYPED = M_("sheets.typed", "{cell} holds the number {value}, typed in, not calculated: it will be wrong as soon as a row is added or changed. Write a formula that starts with = instead.")
EMPTY_CELL = M_("sheets.empty_cell", "{cell} is empty. Write its formula (it starts with =), then save the workbook again.")
VALUE = M_("sheets.value", "{cell} shows {got}, but it should be {expected}. Its formula is {formula}.")
HIDDEN = M_("sheets.hidden_value", "With other data in the same cells (as when a colleague adds this month's sales), {cell} shows {got} instead of {expected}. Its formula is {formula}: it fits today's numbers only.")

Q1_OK = M_("sheets.q1.ok", "Every price in Sales!D2:D13 is looked up in the price list, with an exact match.")
Q1_NO_LOOKUP = M_("sheets.q1.no_lookup", "{cell} is {formula}: it does not look the price up. Use VLOOKUP with the code in column B, the price list on the Prices sheet and column 3 of it.")
Q1_APPROX = M_("sheets.q1.approximate", "{cell} is {formula}: without FALSE as the fourth argument, VLOOKUP looks for an approximate match in a list it thinks is sorted, and the price list is not sorted. Add FALSE (exact match) as the fourth argument.")
Q1_RELATIVE = M_("sheets.q1.range_moves", "{cell} is {formula}: the price list's range moved down when the formula was copied, so the lower rows miss part of the list. Fix the range with dollar signs: Prices!$A$2:$C$8.")

Q2_OK = M_("sheets.q2.ok", "Amounts and tax are calculated on every row, with the tax rate in $H$1.")
Q2_OTHER_ROW = M_("sheets.q2.other_row", "{cell} is {formula}: it uses row {used} instead of its own row {row}. A reference with $ before the row number does not move when the formula is copied down: remove the $ there.")
Q2_RATE_MOVES = M_("sheets.q2.rate_moves", "{cell} is {formula}: the tax-rate reference moved when the formula was copied down, so it points to an empty cell. Make it absolute: $H$1.")
Q2_RATE_TYPED = M_("sheets.q2.rate_typed", "{cell} is {formula}: the tax rate is typed into the formula. When the rate in H1 changes, the tax will not follow: refer to $H$1 instead.")

Q3_OK = M_("sheets.q3.ok", "The summary is calculated: total, orders of 5 or more, coffee sales and the target check.")
Q3_FUNCTION = M_("sheets.q3.function", "{cell} is {formula}. This cell needs the function {function} (see the task).")

HINTS = {
    "q1": [M_("sheets.q1.hint1", "A lookup takes a code, finds its row in a table and gives back a value from another column of that row."),
           M_("sheets.q1.hint2", "In Calc: =VLOOKUP(what, where, which column, FALSE). \"where\" is the price table on the Prices sheet; add $ signs so it stays put when you copy the formula down."),
           M_("sheets.q1.hint3", "An example on other data: a phone list in Staff!A2:C20 (name, room, phone); the phone of the name in A5 is =VLOOKUP(A5; Staff!$A$2:$C$20; 3; FALSE)."),
           M_("sheets.q1.hint4", "The answer for D2: =VLOOKUP(B2; Prices!$A$2:$C$8; 3; FALSE), then copy it down to D13.")],
    "q2": [M_("sheets.q2.hint1", "Amount = quantity × price of the same row. Tax = amount × the one tax rate in H1."),
           M_("sheets.q2.hint2", "When you copy a formula down, relative references (C2) move with it; absolute ones ($H$1) stay. Select E2:F2 and drag the small square at the corner down to row 13."),
           M_("sheets.q2.hint3", "An example on other data: hours in B, hourly wage in C, a bonus rate in K1: =B2*C2 and =D2*$K$1, copied down."),
           M_("sheets.q2.hint4", "The answer: E2 is =C2*D2 and F2 is =E2*$H$1, both copied down to row 13.")],
    "q3": [M_("sheets.q3.hint1", "Each summary cell is one function over the Sales sheet's columns: no number typed in."),
           M_("sheets.q3.hint2", "SUM adds a range; COUNTIF counts the cells that meet a condition such as \">=5\"; SUMIFS adds the cells of one range whose row meets a condition in another; IF chooses between two results."),
           M_("sheets.q3.hint3", "An example on other data: =COUNTIF(Staff!B2:B20; \"Tokyo\") counts the Tokyo staff, =SUMIFS(Staff!D2:D20; Staff!B2:B20; \"Tokyo\") adds their hours."),
           M_("sheets.q3.hint4", "The answer: B1 =SUM(Sales!E2:E13), B2 =COUNTIF(Sales!C2:C13; \">=5\"), B3 =SUMIFS(Sales!E2:E13; Sales!B2:B13; \"C01\"), B4 =IF(B1>=15000; \"yes\"; \"no\").")],
}

SALES_ROWS = range(kiosk.FIRST, kiosk.LAST + 1)
REF = re.compile(r"(?<![A-Za-z_])(?:(\w+)!)?(\$?)([A-Z]{1,3})(\$?)(\d+)")
_CACHE: dict[tuple, dict] = {}


def workdir(check: Check) -> Path:
    return Path(check.context.get("workdir") or Path.cwd())


def find_workbook(check: Check) -> Path:
    """kiosk.xlsx or kiosk.ods, the one saved last."""
    found = [p for p in (workdir(check) / "kiosk.xlsx", workdir(check) / "kiosk.ods") if p.is_file()]
    if not found:
        check.stop(NO_FILE)
    path = max(found, key=lambda p: p.stat().st_mtime)
    if path.stat().st_size == 0:
        check.stop(EMPTY, name=path.name)
    if not spreadsheet.looks_like_spreadsheet(path):
        check.stop(NOT_SHEET, name=path.name)
    return path


def computed(check: Check, path: Path, data: dict | None) -> dict[str, dict[str, object]]:
    """The workbook's values as LibreOffice computes them (with ``data`` written in first), cached per file."""
    key = (hashlib.sha256(path.read_bytes()).hexdigest(), repr(data))
    if key not in _CACHE:
        try:
            _CACHE[key] = spreadsheet.recompute(path, kiosk.as_cells(data) if data else None)
        except spreadsheet.NotAWorkbook:
            check.stop(NOT_SHEET, name=path.name)
        except (spreadsheet.SpreadsheetError, OSError) as exc:
            check.stop(CALC_FAILED, error=str(exc)[:200])
    return _CACHE[key]


class Book:
    def __init__(self, check: Check):
        self.check = check
        self.path = find_workbook(check)
        key = ("formulas", hashlib.sha256(self.path.read_bytes()).hexdigest(), self.path.suffix)
        try:
            if key not in _CACHE:   # an .ods is converted once, not once per question
                _CACHE[key] = spreadsheet.read_workbook(self.path)
            self.wb = _CACHE[key]
        except spreadsheet.NotAWorkbook:
            check.stop(NOT_SHEET, name=self.path.name)
        except (spreadsheet.SpreadsheetError, OSError) as exc:
            check.stop(CALC_FAILED, error=str(exc)[:200])
        for sheet in ("Sales", "Prices", "Summary"):
            if sheet not in self.wb.sheetnames:
                check.stop(NO_SHEET, sheet=sheet)

    def formula(self, ref: str) -> object:
        sheet, cell = ref.split("!")
        return self.wb[sheet][cell].value

    def value(self, ref: str, data: dict | None = None) -> object:
        sheet, cell = ref.split("!")
        return computed(self.check, self.path, data).get(sheet, {}).get(cell)


def is_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith("=")


def show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "(empty)" if value is None else str(value)


def same(got: object, want: object) -> bool:
    if isinstance(want, str):
        return isinstance(got, str) and got.strip().lower() == want
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        return False
    return abs(got - want) < 0.005


def require_formulas(check: Check, book: Book, refs: list[str]) -> None:
    """Every cell holds a formula: a typed-in number or an empty cell stops the check with its own message."""
    for ref in refs:
        content = book.formula(ref)
        if content is None or (isinstance(content, str) and not content.strip()):
            check.stop(EMPTY_CELL, cell=ref)
        if not is_formula(content):
            check.stop(TYPED, cell=ref, value=show(content))


def compare(check: Check, book: Book, refs: list[str]) -> None:
    """Today's values, then (when graded) the values on the hidden data."""
    want = kiosk.expected(kiosk.practice_data())
    for ref in refs:
        got = book.value(ref)
        if not same(got, want[ref]):
            check.stop(VALUE, cell=ref, got=show(got), expected=show(want[ref]), formula=book.formula(ref))
    if check.hidden:
        with check.hidden_part():
            other = kiosk.expected(check.hidden)
            for ref in refs:
                got = book.value(ref, check.hidden)
                if not same(got, other[ref]):
                    check.stop(HIDDEN, cell=ref, got=show(got), expected=show(other[ref]), formula=book.formula(ref))


def refs_in(formula: str) -> list[tuple[str | None, bool, str, bool, int]]:
    """(sheet, $col, column, $row, row) of each cell reference in a formula (text in quotes left out)."""
    text = re.sub(r'"[^"]*"', '""', formula.upper())
    return [(m.group(1), bool(m.group(2)), m.group(3), bool(m.group(4)), int(m.group(5))) for m in REF.finditer(text)]


def vlookup_args(formula: str) -> list[str] | None:
    m = re.search(r"VLOOKUP\((.*)\)", formula.upper().replace(" ", ""))
    if not m:
        return None
    depth, args, current = 0, [], ""
    for ch in m.group(1):
        if ch in "(":
            depth += 1
        elif ch == ")":
            if depth == 0:
                break
            depth -= 1
        if ch in ",;" and depth == 0:
            args.append(current)
            current = ""
        else:
            current += ch
    return args + [current]


@questions("q1", evidence="outside")
def q1(check: Check) -> None:
    book = Book(check)
    refs = [f"Sales!D{r}" for r in SALES_ROWS]
    require_formulas(check, book, refs)
    for ref in refs:
        formula = book.formula(ref)
        args = vlookup_args(formula)
        if args is None:
            if "XLOOKUP" in formula.upper() or ("INDEX" in formula.upper() and "MATCH" in formula.upper()):
                continue   # another lookup: judged by its values
            check.stop(Q1_NO_LOOKUP, cell=ref, formula=formula)
        if len(args) < 4 or args[3] in ("TRUE", "TRUE()", "1", ""):
            check.stop(Q1_APPROX, cell=ref, formula=formula)
        rows = [row for sheet, _, _, dollar, row in refs_in(args[1]) if not dollar]
        if int(ref.split("D")[1]) > kiosk.FIRST and rows and max(rows) > kiosk.PRICE_LAST:
            check.stop(Q1_RELATIVE, cell=ref, formula=formula)
    compare(check, book, refs)
    check.ok(Q1_OK)


@questions("q2", evidence="outside")
def q2(check: Check) -> None:
    book = Book(check)
    refs = [f"Sales!{col}{r}" for r in SALES_ROWS for col in "EF"]
    require_formulas(check, book, refs)
    for row in SALES_ROWS:
        for col in "EF":
            ref, formula = f"Sales!{col}{row}", book.formula(f"Sales!{col}{row}")
            for sheet, _, column, _, used in refs_in(formula):
                if sheet is None and column == "H" and used != 1:
                    check.stop(Q2_RATE_MOVES, cell=ref, formula=formula)
                if sheet is None and column in "CDE" and used != row:
                    check.stop(Q2_OTHER_ROW, cell=ref, formula=formula, used=used, row=row)
            if col == "F" and not any(c == "H" for _, _, c, _, _ in refs_in(formula)) and re.search(r"0?\.1\b|10%", formula):
                check.stop(Q2_RATE_TYPED, cell=ref, formula=formula)
    compare(check, book, refs)
    check.ok(Q2_OK)


SUMMARY_FUNCTIONS = {"Summary!B1": "SUM", "Summary!B2": "COUNTIF", "Summary!B3": "SUMIFS", "Summary!B4": "IF"}


@questions("q3", evidence="outside")
def q3(check: Check) -> None:
    book = Book(check)
    refs = list(SUMMARY_FUNCTIONS)
    require_formulas(check, book, refs)
    for ref, function in SUMMARY_FUNCTIONS.items():
        formula = book.formula(ref).upper()
        names = set(re.findall(r"([A-Z][A-Z0-9.]*)\(", formula))
        if function not in names and not (function == "SUMIFS" and "SUMIF" in names):
            check.stop(Q3_FUNCTION, cell=ref, formula=book.formula(ref), function=function)
    compare(check, book, refs)
    check.ok(Q3_OK)


Q4_OK = M_("sheets.q4.ok", "The pivot table adds up Amount by code, with a row for every code sold, and it follows the data when the sales change.")
Q4_NO_PIVOT = M_("sheets.q4.no_pivot", "I find no pivot table in the workbook. A table typed in, or made of SUMIF formulas, does not count here: select Sales!A1:F13, choose Insert > Pivot Table, and save.")
Q4_SOURCE = M_("sheets.q4.source", "The pivot table's data come from {source}, not from the Sales sheet. Select Sales!A1:F13 and make the pivot table again.")
Q4_RANGE_SHORT = M_("sheets.q4.range_short", "The pivot table's source range is {source}: it stops at row {row}, but the sales go down to row {last}, so the last sales are left out. Select Sales!A1:F{last} and make the pivot table again.")
Q4_ROWS = M_("sheets.q4.rows", "The pivot table's rows come from {fields}: it should have one row per code. Put Code, and only Code, in Row Fields.")
Q4_DATA = M_("sheets.q4.data", "The pivot table's data field is {fields}: it should add up Amount. Put Amount in Data Fields.")
Q4_NOT_SUM = M_("sheets.q4.not_sum", "The pivot table shows the {function} of Amount, not the sum. Double-click the data field in the layout and choose Sum.")
Q4_MISSING = M_("sheets.q4.missing_category", "The pivot table has no row for {category}, a code that was sold: the report leaves its sales out. A filter probably hides it: open the Code field's filter (the arrow beside Code in the pivot table) and tick every code.")
Q4_VALUE = M_("sheets.q4.value", "In the pivot table, {category} shows {got}, but its sales add up to {expected}. Check that Amount is the data field and that the source holds every row.")
Q4_HIDDEN_VALUE = M_("sheets.q4.hidden_value", "With other data in the Sales sheet (as when this month's sales come in), the pivot table's row {category} shows {got} instead of {expected}.")
HINTS["q4"] = [
    M_("sheets.q4.hint1", "A pivot table groups the rows of a table by one column (here the code) and adds up another column (the amount) for each group. It is calculated from the data, so it follows them when they change."),
    M_("sheets.q4.hint2", "In Calc: select the sales with their headers (Sales!A1:F13), then Insert > Pivot Table, Current selection. In the layout, drag Code into Row Fields and Amount into Data Fields (it shows Sum - Amount)."),
    M_("sheets.q4.hint3", "An example on other data: a staff list with Name, Shop and Hours. Select it, Insert > Pivot Table, drag Shop into Row Fields and Hours into Data Fields: you get the hours per shop, with a total."),
    M_("sheets.q4.hint4", "The answer: select Sales!A1:F13, Insert > Pivot Table > Current selection > OK; drag Code into Row Fields and Amount into Data Fields (Sum); keep the destination New sheet; OK; save as .xlsx."),
]


def pivot_tables(book: Book) -> list:
    return [(ws, pivot) for ws in book.wb.worksheets for pivot in getattr(ws, "_pivots", [])]


def pivot_field_names(pivot) -> list[str]:
    return [str(field.name) for field in pivot.cache.cacheFields]


def pivot_rows(book: Book, ws, pivot, data: dict | None) -> dict[str, object]:
    """The pivot table's rows as LibreOffice computes them: label -> value (the first data column)."""
    from openpyxl.utils import column_index_from_string, get_column_letter
    from openpyxl.utils.cell import coordinate_from_string

    top_left = pivot.location.ref.split(":")[0]
    col_letter, top = coordinate_from_string(top_left)
    label_col = column_index_from_string(col_letter)
    value_col = get_column_letter(label_col + (pivot.location.firstDataCol or 1))
    cells = computed(book.check, book.path, data).get(ws.title, {})
    rows = [int(re.sub(r"[A-Z]+", "", ref)) for ref in cells if ref.startswith(col_letter) and ref[len(col_letter):].isdigit()]
    out: dict[str, object] = {}
    for row in range(top, max(rows, default=top) + 1):
        label = cells.get(f"{col_letter}{row}")
        if isinstance(label, str) and label.strip():
            out.setdefault(label.strip(), cells.get(f"{value_col}{row}"))
    return out


@questions("q4", evidence="outside")
def q4(check: Check) -> None:
    book = Book(check)
    found = pivot_tables(book)
    if not found:
        check.stop(Q4_NO_PIVOT)
    def from_sales(item) -> bool:
        source = item[1].cache.cacheSource.worksheetSource if item[1].cache.cacheSource else None
        return bool(source is not None and source.sheet == "Sales")
    ws, pivot = next((item for item in found if from_sales(item)), found[0])
    source = pivot.cache.cacheSource.worksheetSource if pivot.cache.cacheSource else None
    if source is None or source.sheet != "Sales" or not source.ref:
        where = (f"{source.sheet}!{source.ref}" if source.ref else str(source.name)) if source is not None else "?"
        check.stop(Q4_SOURCE, source=where)
    refs = refs_in(source.ref.replace("$", ""))
    last_row = max((row for *_, row in refs), default=0)
    if last_row < kiosk.LAST:
        check.stop(Q4_RANGE_SHORT, source=f"Sales!{source.ref}", row=last_row, last=kiosk.LAST)
    names = pivot_field_names(pivot)
    rows = [names[f.x] for f in pivot.rowFields if f.x is not None and 0 <= f.x < len(names)]
    if rows != ["Code"]:
        check.stop(Q4_ROWS, fields=", ".join(rows) or "(none)")
    data_fields = [(names[d.fld] if 0 <= d.fld < len(names) else "?", d.subtotal or "sum") for d in pivot.dataFields]
    if [name for name, _ in data_fields] != ["Amount"]:
        check.stop(Q4_DATA, fields=", ".join(name for name, _ in data_fields) or "(none)")
    if data_fields[0][1] != "sum":
        check.stop(Q4_NOT_SUM, function=data_fields[0][1])
    code_field = pivot.pivotFields[names.index("Code")]
    shared = pivot.cache.cacheFields[names.index("Code")].sharedItems
    labels = [getattr(item, "v", None) for item in (shared._fields if shared is not None else [])]
    for item in code_field.items or []:
        if item.h and item.x is not None and item.x < len(labels):
            check.stop(Q4_MISSING, category=labels[item.x])
    for data, message in ((kiosk.practice_data(), Q4_VALUE), (check.hidden, Q4_HIDDEN_VALUE)):
        if not data:
            continue
        with (check.hidden_part() if data is check.hidden else nullcontext()):
            got = pivot_rows(book, ws, pivot, None if data is not check.hidden else data)
            for category, want in kiosk.expected_pivot(data).items():
                if category not in got:
                    check.stop(Q4_MISSING, category=category)
                if not same(got[category], want):
                    check.stop(message, category=category, got=show(got[category]), expected=show(want))
    check.ok(Q4_OK)


Q5_OK = M_("sheets.q5.ok", "The form's answers are cleaned (one way of writing each e-mail, each person's latest answer marked) and the report counts people from the latest answers only.")
Q5_NO_SHEET = M_("sheets.q5.no_sheet", "The workbook has no sheet called {sheet}. It came with the workbook: if your kiosk.xlsx is older than this exercise, rename it (e.g. kiosk-old.xlsx), run the notebook's second cell again for a fresh workbook and copy your formulas over.")
Q5_SPACES = M_("sheets.q5.spaces", "{cell} shows \"{got}\": there are still spaces before or after the e-mail, so the same person looks like two people. Remove them with TRIM.")
Q5_CASE = M_("sheets.q5.case", "{cell} shows \"{got}\": it still has capital letters, so the same e-mail written twice in different ways looks like two people. Turn it into small letters with LOWER.")
Q5_LATEST = M_("sheets.q5.latest", "{cell} shows {got}, but it should be {expected}: {email} sent the form {times} times, and only the latest of those answers counts (1); the earlier ones get 0. Count how many times the clean e-mail appears from this row down to the last answer.")
Q5_REPEATS = M_("sheets.q5.repeats", "{cell} shows {got}: it counts every answer, also the earlier ones that people corrected by sending the form again. Count only the answers whose Latest answer is 1: {expected}.")
HINTS["q5"] = [
    M_("sheets.q5.hint1", "Clean first, count second: one way of writing each e-mail (no spaces around it, small letters), then a mark on each person's latest answer, then the report adds up only the marked answers."),
    M_("sheets.q5.hint2", "TRIM removes the spaces around a text and LOWER turns it into small letters; they can be nested. COUNTIF over a range that starts at the row itself and ends at row 13 (a $ before 13 only) tells whether the same e-mail comes again later. SUMIFS can take two conditions."),
    M_("sheets.q5.hint3", "An example on other data: names in A2:A50 written as \"  SATO \". =PROPER(TRIM(A2)) gives \"Sato\"; =IF(COUNTIF(A2:A$50; A2)=1; 1; 0) is 1 on the last row of each name; =SUMIFS(C$2:C$50; B$2:B$50; \"Tokyo\"; D$2:D$50; 1) adds column C for Tokyo on the marked rows only."),
    M_("sheets.q5.hint4", "The answer: Form!F2 =LOWER(TRIM(B2)), G2 =IF(COUNTIF(F2:F$13; F2)=1; 1; 0), both copied down to row 13; Report!B2 =SUMIFS(Form!$E$2:$E$13; Form!$D$2:$D$13; A2; Form!$G$2:$G$13; 1), copied down to B4."),
]

FORM_ROWS = range(kiosk.FORM_FIRST, kiosk.FORM_LAST + 1)


def as_number(value: object) -> object:
    return int(value) if isinstance(value, bool) else value


@questions("q5", evidence="outside")
def q5(check: Check) -> None:
    book = Book(check)
    for sheet in ("Form", "Report"):
        if sheet not in book.wb.sheetnames:
            check.stop(Q5_NO_SHEET, sheet=sheet)
    clean = [f"Form!F{r}" for r in FORM_ROWS]
    latest = [f"Form!G{r}" for r in FORM_ROWS]
    report = [f"Report!B{r}" for r in range(2, 2 + len(kiosk.SESSIONS))]
    require_formulas(check, book, clean + latest + report)
    for data in (kiosk.practice_data(), check.hidden):
        if not data:
            continue
        graded = data is check.hidden
        with (check.hidden_part() if graded else nullcontext()):
            want = kiosk.expected_form(data)
            given = None if not graded else data
            for ref in clean:
                got = book.value(ref, given)
                if isinstance(got, str) and got != want[ref] and got.strip().lower() == want[ref]:
                    check.stop(Q5_SPACES if got.strip() != got else Q5_CASE, cell=ref, got=got)
            for ref in clean + latest + report:
                got, expected = as_number(book.value(ref, given)), want[ref]
                if same(got, expected):
                    continue
                if ref in latest:
                    email = want[ref.replace("!G", "!F")]
                    times = sum(1 for r in clean if want[r] == email)
                    check.stop(Q5_LATEST, cell=ref, got=show(got), expected=expected, email=email, times=times)
                if ref in report:
                    session = kiosk.SESSIONS[int(ref.split("B")[1]) - 2]
                    every = sum(people for _, s, people in data["form"] if s == session)
                    if same(got, every) and every != expected:
                        check.stop(Q5_REPEATS, cell=ref, got=show(got), expected=expected)
                message = HIDDEN if graded else VALUE
                check.stop(message, cell=ref, got=show(got), expected=show(expected), formula=book.formula(ref))
    check.ok(Q5_OK)


Q6_OK = M_("sheets.q6.ok", "Payment dates are the end of the following month, shown as Japanese era dates (令和), and the days left are counted from the report date in H1.")
Q6_NOT_EOMONTH = M_("sheets.q6.not_eomonth", "{cell} shows {got}: that is a number of days after the invoice date. The suppliers are paid at the end of the month after the invoice's month (月末締め翌月末払い), whatever the month's length: {expected}. EOMONTH gives the last day of a month.")
Q6_DATE_MOVES = M_("sheets.q6.date_moves", "{cell} is {formula}: the report date's reference moved when the formula was copied down, so it points to an empty cell. Make it absolute: $H$1.")
Q6_NOT_ERA = M_("sheets.q6.not_era", "{cell} shows its date as {shown}, not in the Japanese era (令和). Choose a format like 令和8年7月31日 for E2:E7 (Format > Cells, Numbers, Date, language Japanese).")
Q6_DATE_VALUE = M_("sheets.q6.value", "{cell} shows {got}, but it should be {expected}. Its formula is {formula}.")
HINTS["q6"] = [
    M_("sheets.q6.hint1", "A date in a spreadsheet is a number of days (its format only decides how it looks, e.g. 令和8年7月31日 or 2026-07-31), so dates can be added and subtracted: a later date minus an earlier one is the number of days between them."),
    M_("sheets.q6.hint2", "EOMONTH(date; months) gives the last day of the month that many months after the date's month. The days left are the due date minus the one report date in H1, fixed with $ when copied down. The era look is a cell format: Format > Cells, Numbers, Category Date, Language Japanese."),
    M_("sheets.q6.hint3", "An example on other data: contracts start on the dates in B2:B20 and end at the end of their third month: =EOMONTH(B2; 3); the days from a check date in K1 to that end: =C2-$K$1."),
    M_("sheets.q6.hint4", "The answer: E2 =EOMONTH(C2; 1) and F2 =E2-$H$1, both copied down to row 7; then select E2:E7, Format > Cells, Numbers, Category Date, Language Japanese, and pick the format that shows 令和8年7月31日."),
]

INVOICE_ROWS = range(kiosk.INVOICE_FIRST, kiosk.INVOICE_LAST + 1)


def day_number(value: object) -> object:
    """A computed date (openpyxl gives datetime for a date format) as the day number spreadsheets store."""
    import datetime as dt

    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return kiosk.serial(value)
    return value


def shows_era(number_format: str) -> bool:
    """The format writes a Japanese era year (Excel/Calc codes g, gg, ggg with e), quoted text and escapes left out."""
    code = re.sub(r'"[^"]*"|\\.', "", number_format or "").lower()
    code = re.sub(r"\[[^\]]*\]", "", code).replace("general", "")
    return bool(re.search(r"(?<![a-z])g+e", code))


def show_date(number: object) -> str:
    import datetime as dt

    if isinstance(number, (int, float)) and not isinstance(number, bool):
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(number))).isoformat()
    return show(number)


@questions("q6", evidence="outside")
def q6(check: Check) -> None:
    import datetime as dt

    book = Book(check)
    if "Invoices" not in book.wb.sheetnames:
        check.stop(Q5_NO_SHEET, sheet="Invoices")
    due = [f"Invoices!E{r}" for r in INVOICE_ROWS]
    left = [f"Invoices!F{r}" for r in INVOICE_ROWS]
    require_formulas(check, book, due + left)
    for ref in left:
        formula = book.formula(ref)
        for sheet, _, column, _, used in refs_in(formula):
            if sheet is None and column == "H" and used != 1:
                check.stop(Q6_DATE_MOVES, cell=ref, formula=formula)
    for data in (kiosk.practice_data(), check.hidden):
        if not data:
            continue
        graded = data is check.hidden
        with (check.hidden_part() if graded else nullcontext()):
            want = kiosk.expected_dates(data)
            given = data if graded else None
            for i, ref in enumerate(due):
                got = day_number(book.value(ref, given))
                if same(got, want[ref]):
                    continue
                invoice = kiosk.serial(dt.date.fromisoformat(data["invoice_dates"][i]))
                if isinstance(got, (int, float)) and not isinstance(got, bool) and 27 <= got - invoice <= 31:
                    check.stop(Q6_NOT_EOMONTH, cell=ref, got=show_date(got), expected=show_date(want[ref]))
                check.stop(HIDDEN if graded else Q6_DATE_VALUE, cell=ref, got=show_date(got),
                           expected=show_date(want[ref]), formula=book.formula(ref))
            for ref in left:
                got = day_number(book.value(ref, given))
                if not same(got, want[ref]):
                    check.stop(HIDDEN if graded else Q6_DATE_VALUE, cell=ref, got=show(got), expected=show(want[ref]),
                               formula=book.formula(ref))
    for ref in due:
        sheet, cell = ref.split("!")
        number_format = book.wb[sheet][cell].number_format
        if not shows_era(number_format):
            check.stop(Q6_NOT_ERA, cell=ref, shown=number_format)
    check.ok(Q6_OK)


Q7_OK = M_("sheets.q7.ok", "The Code column has a drop-down list of the price list's codes, and the header row stays in view when you scroll.")
Q7_NO_LIST = M_("sheets.q7.no_list", "I find no drop-down list on the Sales sheet. Select B2:B13, choose Data > Validity..., and in Allow pick Cell range (or List).")
Q7_RANGE = M_("sheets.q7.range", "The drop-down list is on {range}: it should be on the codes, Sales!B2:B13 (column B only). Select B2:B13 and set the list there; remove it from the other cells.")
Q7_MOVES = M_("sheets.q7.moves", "The list's source {source} has no $ signs: in a validity rule the range moves from row to row like a copied formula, so the lower cells offer a shifted list. Write it as Prices!$A$2:$A$8.")
Q7_MISSING = M_("sheets.q7.missing", "The drop-down list offers {values}: the code {missing} of the price list is missing, so it cannot be picked. Take the list from the whole price list, Prices!$A$2:$A$8.")
Q7_OTHER = M_("sheets.q7.other", "The drop-down list offers {values}: {other} is not a code of the price list. The list should offer exactly the codes in Prices!A2:A8.")
Q7_NOT_FROZEN = M_("sheets.q7.not_frozen", "The header row of the Sales sheet is not frozen: when you scroll down, the column names go out of sight. Use View > Freeze Cells > Freeze First Row.")
Q7_FROZEN_ROW = M_("sheets.q7.frozen_row", "The Sales sheet is frozen above row {row}: every row above it stays on screen, but only the header row (row 1) should. Unfreeze (View > Freeze Cells > Freeze Rows and Columns), then View > Freeze Cells > Freeze First Row.")
HINTS["q7"] = [
    M_("sheets.q7.hint1", "Two settings, no formula: a validity rule on the Code cells allows only the values of a list and shows them as a drop-down; freezing keeps the top row on screen while the rest scrolls."),
    M_("sheets.q7.hint2", "Data > Validity... on the selected cells; Allow: Cell range takes its values from cells of the workbook (fix the range with $ signs). The freezing is in the View menu, under Freeze Cells."),
    M_("sheets.q7.hint3", "An example on other data: a staff list whose column C must be one of the shops in Shops!A2:A5: select C2:C40, Data > Validity..., Allow: Cell range, Source: $Shops.$A$2:$A$5."),
    M_("sheets.q7.hint4", "The answer: select Sales!B2:B13, Data > Validity..., Allow: Cell range, Source: $Prices.$A$2:$A$8, OK; then View > Freeze Cells > Freeze First Row; save."),
]
Q8_OK = M_("sheets.q8.ok", "A conditional formatting rule highlights the amounts of more than 2000 yen in Sales!E2:E13, and it follows the amounts when they change.")
Q8_NO_RULE = M_("sheets.q8.no_rule", "I find no conditional formatting on the Sales sheet. Select E2:E13 and choose Format > Conditional > Condition...")
Q8_BY_HAND = M_("sheets.q8.by_hand", "{cells} are coloured by hand, not by a rule: when an amount changes, its colour will not follow. Remove the colour and let a rule choose it: Format > Conditional > Condition...")
Q8_RANGE = M_("sheets.q8.range", "The conditional formatting is on {range}: it should be on the amounts, Sales!E2:E13. Select E2:E13 and make the rule there (Format > Conditional > Manage... shows where each rule applies).")
Q8_THRESHOLD = M_("sheets.q8.threshold", "The rule on {range} highlights the cells whose value {rule}: it should highlight the amounts of more than 2000 yen (2000 itself not included).")
Q8_NO_STYLE = M_("sheets.q8.no_style", "The rule on {range} applies a style that changes neither the background nor the font: nothing is highlighted. Choose a style with a colour in Apply Style (e.g. Bad or Accent), or make a new one.")
HINTS["q8"] = [
    M_("sheets.q8.hint1", "Conditional formatting is a rule attached to a range: for each cell, the spreadsheet tests a condition and, when it is true, gives the cell a style. When the value changes, the colour follows."),
    M_("sheets.q8.hint2", "Select the amounts, then Format > Conditional > Condition...: keep Cell value, choose the comparison and type the threshold; in Apply Style pick a style with a colour."),
    M_("sheets.q8.hint3", "An example on other data: to mark stock below 10 in D2:D50, select D2:D50, Format > Conditional > Condition..., Cell value, is less than, 10, Apply Style: Bad."),
    M_("sheets.q8.hint4", "The answer: select Sales!E2:E13, Format > Conditional > Condition..., Cell value, is greater than, 2000, Apply Style: Bad (or another coloured style), OK; save."),
]


def cells_of(sqref: object) -> set[tuple[str, int]]:
    """(column, row) of every cell in a range list such as "B2:B13 D5" (whole columns up to row 1000)."""
    from openpyxl.utils import get_column_letter, range_boundaries

    out: set[tuple[str, int]] = set()
    for part in str(sqref).replace("$", "").split():
        part = part.split("!")[-1]
        min_col, min_row, max_col, max_row = range_boundaries(part if ":" in part else f"{part}:{part}")
        for col in range(min_col or 1, (max_col or 1) + 1):
            for row in range(min_row or 1, min(max_row or 1000, 1000) + 1):
                out.add((get_column_letter(col), row))
    return out


def covers(sqref: object, column: str, first: int, last: int) -> bool:
    """The range is in one column and holds every cell from row ``first`` to ``last`` (the header row may be in)."""
    cells = cells_of(sqref)
    return {c for c, _ in cells} == {column} and all((column, r) in cells for r in range(first, last + 1))


def list_values(book: Book, formula: str) -> tuple[list[str], bool]:
    """The values a list validation allows, and whether its cell range moves (no $ before the rows)."""
    text = (formula or "").strip()
    if text.startswith('"'):
        return [v.strip() for v in text.strip('"').split(",") if v.strip()], False
    refs = refs_in(text)
    if not refs:
        return [], False
    sheet = (refs[0][0] or "Sales")
    match = next((name for name in book.wb.sheetnames if name.upper() == sheet.strip("'").upper()), None)
    if match is None:
        return [], False
    moves = any(not dollar for *_, dollar, _ in refs)
    rows = [row for *_, row in refs]
    column = refs[0][2]
    values = [book.wb[match][f"{column}{r}"].value for r in range(min(rows), max(rows) + 1)]
    return [str(v).strip() for v in values if v is not None and str(v).strip()], moves


def frozen_rows(book: Book) -> int:
    """How many rows at the top of the Sales sheet are frozen (0: none). An .ods keeps this in settings.xml (a
    conversion to .xlsx drops it), an .xlsx in the sheet view's pane."""
    if book.path.suffix.lower() == ".ods":
        import zipfile
        from xml.etree import ElementTree

        config = "{urn:oasis:names:tc:opendocument:xmlns:config:1.0}"
        try:
            with zipfile.ZipFile(book.path) as zf:
                root = ElementTree.fromstring(zf.read("settings.xml"))
        except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
            return 0
        for tables in root.iter(f"{config}config-item-map-named"):
            if tables.get(f"{config}name") != "Tables":
                continue
            for entry in tables:
                if entry.get(f"{config}name") != "Sales":
                    continue
                items = {item.get(f"{config}name"): (item.text or "") for item in entry
                         if item.tag == f"{config}config-item"}
                if items.get("VerticalSplitMode") == "2" and items.get("VerticalSplitPosition", "0").isdigit():
                    return int(items["VerticalSplitPosition"])
        return 0
    pane = book.wb["Sales"].sheet_view.pane
    if pane is None or pane.state not in ("frozen", "frozenSplit"):
        return 0
    return int(pane.ySplit or 0)


@questions("q7", evidence="outside")
def q7(check: Check) -> None:
    book = Book(check)
    ws = book.wb["Sales"]
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    if not lists:
        check.stop(Q7_NO_LIST)
    on_codes = [dv for dv in lists if covers(dv.sqref, "B", kiosk.FIRST, kiosk.LAST)]
    if not on_codes:
        check.stop(Q7_RANGE, range=" ".join(f"Sales!{dv.sqref}" for dv in lists))
    codes = [code for code, _, _ in kiosk.PRICES]
    values, moves = list_values(book, on_codes[0].formula1)
    if moves:
        check.stop(Q7_MOVES, source=on_codes[0].formula1)
    shown = ", ".join(values) or "(nothing)"
    other = [v for v in values if v not in codes]
    if other:
        check.stop(Q7_OTHER, values=shown, other=", ".join(other))
    missing = [code for code in codes if code not in values]
    if missing:
        check.stop(Q7_MISSING, values=shown, missing=", ".join(missing))
    rows = frozen_rows(book)
    if rows == 0:
        check.stop(Q7_NOT_FROZEN)
    if rows != 1:
        check.stop(Q7_FROZEN_ROW, row=rows + 1)
    check.ok(Q7_OK)


THRESHOLD = 2000
RULE_WORDS = {"greaterThan": ">", "greaterThanOrEqual": ">=", "lessThan": "<", "lessThanOrEqual": "<=", "equal": "=",
              "notEqual": "<>", "between": "between", "notBetween": "not between"}


def highlights(rule) -> bool:
    """The rule's style sets a background or a font colour (what Calc's styles and Excel's formats write as a dxf)."""
    dxf = rule.dxf
    if dxf is None:
        return False
    fill = dxf.fill
    has_fill = fill is not None and any(
        color is not None and (color.rgb not in (None, "00000000") or color.theme is not None or color.indexed is not None)
        for color in (getattr(fill, "bgColor", None), getattr(fill, "fgColor", None)))
    font = dxf.font
    has_font = font is not None and (font.color is not None or font.b or font.i)
    return bool(has_fill or has_font)


def rule_text(rule) -> str:
    formulas = [str(f) for f in (rule.formula or [])]
    if rule.type == "cellIs":
        return f"{RULE_WORDS.get(rule.operator, rule.operator)} {' and '.join(formulas)}"
    return "; ".join(formulas) or str(rule.type)


def is_more_than_threshold(rule) -> bool:
    formulas = [str(f).replace(" ", "").replace("$", "").upper() for f in (rule.formula or [])]
    if rule.type == "cellIs":
        return rule.operator == "greaterThan" and formulas == [str(THRESHOLD)]
    if rule.type == "expression":
        return formulas in ([f"E{kiosk.FIRST}>{THRESHOLD}"], [f"{THRESHOLD}<E{kiosk.FIRST}"])
    return False


def coloured_by_hand(ws) -> list[str]:
    out = []
    for row in SALES_ROWS:
        cell = ws[f"E{row}"]
        fill = cell.fill
        if fill is not None and fill.fill_type not in (None, "none") and fill.fgColor is not None \
                and fill.fgColor.rgb not in ("00000000", "FFFFFFFF"):
            out.append(f"Sales!E{row}")
    return out


@questions("q8", evidence="outside")
def q8(check: Check) -> None:
    book = Book(check)
    ws = book.wb["Sales"]
    rules = [(str(cf.sqref), rule) for cf in ws.conditional_formatting for rule in cf.rules]
    if not rules:
        by_hand = coloured_by_hand(ws)
        if by_hand:
            check.stop(Q8_BY_HAND, cells=", ".join(by_hand))
        check.stop(Q8_NO_RULE)
    on_amounts = [(sqref, rule) for sqref, rule in rules if covers(sqref, "E", kiosk.FIRST, kiosk.LAST)]
    if not on_amounts:
        check.stop(Q8_RANGE, range=" ".join(f"Sales!{sqref}" for sqref, _ in rules))
    right = [(sqref, rule) for sqref, rule in on_amounts if is_more_than_threshold(rule)]
    if not right:
        sqref, rule = on_amounts[0]
        check.stop(Q8_THRESHOLD, range=f"Sales!{sqref}", rule=rule_text(rule))
    if not any(highlights(rule) for _, rule in right):
        check.stop(Q8_NO_STYLE, range=f"Sales!{right[0][0]}")
    check.ok(Q8_OK)


Q9_OK = M_("sheets.q9.ok", "The column chart shows the people per session from the Report sheet, with the sessions as labels: it follows the report when the answers change.")
Q9_NO_CHART = M_("sheets.q9.no_chart", "I find no chart in the workbook. Select Report!A1:B4 and choose Insert > Chart..., then save (a picture of a chart pasted in does not count).")
Q9_TYPE = M_("sheets.q9.type", "The chart is a {kind} chart: to compare a few separate groups side by side, use a Column chart (Bar also works). Right-click the chart in edit mode, Chart Type..., Column.")
Q9_VALUES = M_("sheets.q9.values", "The chart's values come from {values}: it should show the people of every session, Report!B2:B4. Right-click the chart in edit mode, Data Ranges..., and select Report!A1:B4.")
Q9_LABELS = M_("sheets.q9.labels", "The chart's categories come from {labels}: the bars should be named by the sessions in Report!A2:A4. In Data Ranges..., tick First column as label.")
Q9_LINE = M_("sheets.q9.line", "The chart is a line chart: a line joins the points as if they were one quantity changing over time, but the sessions are separate groups. Use a Column chart: right-click the chart in edit mode, Chart Type..., Column.")
Q9_PIE = M_("sheets.q9.pie", "The chart is a pie chart: a pie shows the shares of one whole, but here the sessions are compared side by side. Use a Column chart: right-click the chart in edit mode, Chart Type..., Column.")
HINTS["q9"] = [
    M_("sheets.q9.hint1", "A chart is drawn from a range of cells: labels (the sessions) and values (the people). Because it reads the cells, it changes when the report changes."),
    M_("sheets.q9.hint2", "Select the report with its header row, then Insert > Chart...: the chart wizard's first page is the chart type, the second the data range (first row and first column as label)."),
    M_("sheets.q9.hint3", "An example on other data: hours per shop in Hours!A1:B6 (shop, hours): select A1:B6, Insert > Chart..., Column, Finish: one bar per shop, named by the shop."),
    M_("sheets.q9.hint4", "The answer: select Report!A1:B4, Insert > Chart..., Chart Type Column (Normal), Finish; save."),
]
CHART_NS = {"c": "http://schemas.openxmlformats.org/drawingml/2006/chart"}
ODS_CHART = "urn:oasis:names:tc:opendocument:xmlns:chart:1.0"
ODS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
KINDS = {"bar": "column", "line": "line", "circle": "pie", "pie": "pie", "ring": "doughnut", "doughnut": "doughnut",
         "area": "area", "scatter": "scatter", "radar": "radar", "bubble": "bubble", "stock": "stock"}


def plain_range(ref: str | None) -> str:
    """"Report!$B$2:$B$4" or LibreOffice's "Report.B2:Report.B4" as "Report!B2:B4" (quotes and $ left out)."""
    text = (ref or "").replace("$", "").replace("'", "").strip()
    if "!" not in text and "." in text:
        parts = [p.rsplit(".", 1) for p in text.split(":")]
        text = f"{parts[0][0]}!" + ":".join(p[-1] for p in parts)
    return text


def charts(book: Book) -> list[dict]:
    """Every chart of the saved file: {"kind", "series": [(values, categories)]}. openpyxl drops charts when it
    loads a workbook, so they are read from the zip: xl/charts/chart*.xml (.xlsx), Object */content.xml (.ods)."""
    import zipfile
    from xml.etree import ElementTree

    out: list[dict] = []
    with zipfile.ZipFile(book.path) as zf:
        for name in zf.namelist():
            try:
                if re.fullmatch(r"xl/charts/chart\d+\.xml", name):
                    root = ElementTree.fromstring(zf.read(name))
                    for plot in root.iterfind(".//c:plotArea", CHART_NS):
                        for group in plot:
                            tag = group.tag.split("}")[-1]
                            if not tag.endswith("Chart"):
                                continue
                            kind = re.sub(r"3D$", "", tag[:-len("Chart")])
                            series = [(plain_range(ser.findtext("c:val//c:f", None, CHART_NS)),
                                       plain_range(ser.findtext("c:cat//c:f", None, CHART_NS)))
                                      for ser in group.iterfind("c:ser", CHART_NS)]
                            out.append({"kind": KINDS.get(kind, kind), "series": series})
                elif name.endswith("/content.xml") and name.startswith("Object"):
                    root = ElementTree.fromstring(zf.read(name))
                    chart = root.find(f".//{{{ODS_CHART}}}chart")
                    if chart is None:
                        continue
                    kind = (chart.get(f"{{{ODS_CHART}}}class") or "").split(":")[-1]
                    categories = root.find(f".//{{{ODS_CHART}}}categories")
                    labels = plain_range(categories.get(f"{{{ODS_TABLE}}}cell-range-address")) if categories is not None else ""
                    series = [(plain_range(ser.get(f"{{{ODS_CHART}}}values-cell-range-address")), labels)
                              for ser in root.iter(f"{{{ODS_CHART}}}series")]
                    out.append({"kind": KINDS.get(kind, kind), "series": series})
            except ElementTree.ParseError:
                continue
    return out


@questions("q9", evidence="outside")
def q9(check: Check) -> None:
    book = Book(check)
    found = charts(book)
    if not found:
        check.stop(Q9_NO_CHART)
    chart = next((c for c in found if any(v.startswith("Report!") for v, _ in c["series"])), found[0])
    if chart["kind"] in ("line", "pie"):
        check.stop(Q9_LINE if chart["kind"] == "line" else Q9_PIE)
    if chart["kind"] != "column":
        check.stop(Q9_TYPE, kind=chart["kind"])
    values = [v for v, _ in chart["series"]]
    if values != ["Report!B2:B4"]:
        check.stop(Q9_VALUES, values=", ".join(values) or "(none)")
    labels = chart["series"][0][1]
    if labels != "Report!A2:A4":
        check.stop(Q9_LABELS, labels=labels or "(none)")
    check.ok(Q9_OK)
