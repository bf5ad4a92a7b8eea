"""The kiosk's workbook: a small café-kiosk's sales, its price list and a summary sheet to fill in (made with openpyxl,
so no hand-made binary is kept).

The notebook makes it (:func:`make_if_missing`) instead of shipping it as a data file: nbgrader's autograde puts the
source's copy of every released file over the submitted one, which would throw away the learner's Calc work.

The practice data is here; the grading data (same sheets and cells, other codes, quantities, prices and tax rate) is
in ``hidden/``. :func:`expected` computes what every formula cell must show for either."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

FILE = "kiosk.xlsx"
FIRST, LAST = 2, 13                       # the sales rows
PRICE_FIRST, PRICE_LAST = 2, 8            # the price list's rows
TARGET = 15000                            # the month's sales target (Summary!B4)
CODES = ["C01", "T03", "S02", "C02", "B04", "C01", "T01", "S01", "C02", "T03", "B04", "S02"]
QUANTITIES = [3, 6, 4, 2, 5, 8, 1, 7, 4, 2, 3, 6]
PRICES = [("T03", "Green tea", 180), ("C01", "Coffee", 250), ("S02", "Onigiri", 160), ("B04", "Borsch", 650),
          ("C02", "Latte", 320), ("T01", "Black tea", 200), ("S01", "Sandwich", 380)]
TAX_RATE = 0.1
SUMMARY = [("B1", "Total sales (yen)"), ("B2", "Orders of 5 or more"), ("B3", "Coffee (C01) sales (yen)"),
           ("B4", f"Target of {TARGET} yen reached?")]


def practice_data() -> dict:
    return {"codes": CODES, "quantities": QUANTITIES, "prices": [p for _, _, p in PRICES], "tax_rate": TAX_RATE}


def as_cells(data: dict) -> dict[str, dict[str, object]]:
    """The data as sheet -> {cell: value} (what the grader writes over the learner's workbook)."""
    sales = {}
    for i, (code, qty) in enumerate(zip(data["codes"], data["quantities"])):
        sales[f"B{FIRST + i}"], sales[f"C{FIRST + i}"] = code, qty
    sales["H1"] = data["tax_rate"]
    prices = {f"C{PRICE_FIRST + i}": p for i, p in enumerate(data["prices"])}
    return {"Sales": sales, "Prices": prices}


def expected(data: dict) -> dict[str, object]:
    """"Sheet!A1" -> the value each formula cell must have for ``data``."""
    price_of = {code: price for (code, _, _), price in zip(PRICES, data["prices"])}
    out: dict[str, object] = {}
    total = orders5 = coffee = 0
    for i, (code, qty) in enumerate(zip(data["codes"], data["quantities"])):
        row = FIRST + i
        price = price_of[code]
        amount = qty * price
        out[f"Sales!D{row}"], out[f"Sales!E{row}"] = price, amount
        out[f"Sales!F{row}"] = round(amount * data["tax_rate"], 6)
        total += amount
        orders5 += qty >= 5
        coffee += amount if code == "C01" else 0
    out["Summary!B1"], out["Summary!B2"], out["Summary!B3"] = total, orders5, coffee
    out["Summary!B4"] = "yes" if total >= TARGET else "no"
    return out


def make(path: Path) -> Path:
    """The learner's starting workbook: the data, headers, the tax rate; the formula cells empty."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    sales = wb.active
    sales.title = "Sales"
    sales.append(["Date", "Code", "Qty", "Price", "Amount", "Tax", "Tax rate", TAX_RATE])
    day = dt.date(2026, 6, 1)
    for i, (code, qty) in enumerate(zip(CODES, QUANTITIES)):
        sales.append([day + dt.timedelta(days=i // 2), code, qty])
        sales.cell(FIRST + i, 1).number_format = "yyyy-mm-dd"
    for col, width in zip("ABCDEFGH", (12, 8, 6, 8, 10, 8, 10, 6)):
        sales.column_dimensions[col].width = width
    prices = wb.create_sheet("Prices")
    prices.append(["Code", "Item", "Price"])
    for row in PRICES:
        prices.append(list(row))
    prices.column_dimensions["B"].width = 14
    summary = wb.create_sheet("Summary")
    for cell, label in SUMMARY:
        summary[f"A{cell[1:]}"] = label
    summary.column_dimensions["A"].width = 30
    for ws in (sales, prices):
        for cell in ws[1]:
            cell.font = Font(bold=True)
    wb.save(path)
    return path


def make_if_missing(name: str = FILE) -> Path:
    """The notebook's first step: a fresh workbook unless the learner's is already there (never overwritten)."""
    path = Path(name)
    if not path.exists():
        make(path)
        print(f"{path} ✓")
    return path
