"""Spreadsheet lab: the kiosk's workbook, filled in LibreOffice Calc (or Excel, Google Sheets) and saved as kiosk.xlsx
or kiosk.ods. Every check looks only at the saved file (``evidence="outside"``): the formulas as written (openpyxl)
and the values LibreOffice computes from them. When graded, the workbook is also recomputed on other data (the same
cells, other codes, quantities, prices and tax rate: ``hidden/``), so a number typed in where a formula belongs, or a
formula that only fits today's rows, fails with its own message."""
from __future__ import annotations

import hashlib
import re
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
