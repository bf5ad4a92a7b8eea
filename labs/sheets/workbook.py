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
# A sign-up form's answers as Google Forms puts them into a sheet (question 5): one row per answer, in the order they
# came; people type their e-mail as they like (spaces, capitals) and send the form again to change their answer.
FORM_FIRST, FORM_LAST = 2, 13
FORM_HEADERS = ["Timestamp", "Email address", "Your name", "Session", "People", "Email (clean)", "Latest answer"]
FORM = [("2026-06-01 09:12:44", "aiko.sato@example.jp", "Aiko Sato", "Coffee tasting", 2),
        ("2026-06-01 10:03:10", " Olena.K@example.com", "Olena Kovalenko", "Tea tasting", 1),
        ("2026-06-01 12:45:00", "ken@example.jp ", "Ken Ito", "Onigiri workshop", 3),
        ("2026-06-02 08:30:21", "Taro.Yamada@Example.jp", "Taro Yamada", "Coffee tasting", 1),
        ("2026-06-02 11:15:05", "mia@example.com", "Mia Novak", "Tea tasting", 2),
        ("2026-06-02 18:40:33", "olena.k@example.com", "Olena Kovalenko", "Coffee tasting", 2),
        ("2026-06-03 07:55:12", "yuki@example.jp", "Yuki Mori", "Onigiri workshop", 4),
        ("2026-06-03 13:20:48", "AIKO.SATO@example.jp ", "Aiko Sato", "Coffee tasting", 3),
        ("2026-06-03 16:02:19", "dmytro@example.com", "Dmytro Bondar", "Tea tasting", 1),
        ("2026-06-04 09:09:09", "hana@example.jp", "Hana Ueda", "Onigiri workshop", 2),
        ("2026-06-04 12:00:00", " ken@example.jp", "Ken Ito", "Onigiri workshop", 2),
        ("2026-06-04 20:31:57", "sofia@example.com", "Sofia Melnyk", "Tea tasting", 3)]
SESSIONS = ["Coffee tasting", "Tea tasting", "Onigiri workshop"]
# Suppliers' invoices, dated the way a Japanese office writes dates (Reiwa era: 令和8年 = 2026), paid as many Japanese
# companies pay: the invoices of a month are due at the end of the following month (月末締め翌月末払い). Question 6.
INVOICE_FIRST, INVOICE_LAST = 2, 7
ERA_FORMAT = '[$-411]ggge"年"m"月"d"日"'     # Excel's and Calc's code for 令和8年6月3日 (Japanese era)
INVOICES = [("INV-051", "山田製茶 Yamada Tea", "2026-05-12", 32400), ("INV-052", "北海乳業 Hokkai Dairy", "2026-05-28", 18700),
            ("INV-061", "山田製茶 Yamada Tea", "2026-06-03", 27000), ("INV-062", "丸米 Marugome Rice", "2026-06-15", 41800),
            ("INV-063", "北海乳業 Hokkai Dairy", "2026-06-30", 16500), ("INV-071", "丸米 Marugome Rice", "2026-07-02", 39600)]
REPORT_DATE = "2026-07-10"
SUMMARY = [("B1", "Total sales (yen)"), ("B2", "Orders of 5 or more"), ("B3", "Coffee (C01) sales (yen)"),
           ("B4", f"Target of {TARGET} yen reached?")]


def practice_data() -> dict:
    return {"codes": CODES, "quantities": QUANTITIES, "prices": [p for _, _, p in PRICES], "tax_rate": TAX_RATE,
            "form": [[email, session, people] for _, email, _, session, people in FORM],
            "invoice_dates": [day for _, _, day, _ in INVOICES], "report_date": REPORT_DATE}


def as_cells(data: dict) -> dict[str, dict[str, object]]:
    """The data as sheet -> {cell: value} (what the grader writes over the learner's workbook)."""
    sales = {}
    for i, (code, qty) in enumerate(zip(data["codes"], data["quantities"])):
        sales[f"B{FIRST + i}"], sales[f"C{FIRST + i}"] = code, qty
    sales["H1"] = data["tax_rate"]
    prices = {f"C{PRICE_FIRST + i}": p for i, p in enumerate(data["prices"])}
    cells = {"Sales": sales, "Prices": prices}
    if "form" in data:
        form = cells["Form"] = {}
        for i, (email, session, people) in enumerate(data["form"]):
            form[f"B{FORM_FIRST + i}"], form[f"D{FORM_FIRST + i}"], form[f"E{FORM_FIRST + i}"] = email, session, people
    if "invoice_dates" in data:
        invoices = cells["Invoices"] = {"H1": dt.date.fromisoformat(data["report_date"])}
        for i, day in enumerate(data["invoice_dates"]):
            invoices[f"C{INVOICE_FIRST + i}"] = dt.date.fromisoformat(day)
    return cells


def serial(day: dt.date) -> int:
    """A date as the day number spreadsheets store (1899-12-30 is 0)."""
    return (day - dt.date(1899, 12, 30)).days


def end_of_next_month(day: dt.date) -> dt.date:
    first_after = dt.date(day.year + (day.month + 1) // 12, (day.month + 1) % 12 + 1, 1)
    return first_after - dt.timedelta(days=1)


def expected_dates(data: dict) -> dict[str, int]:
    """Question 6: "Invoices!E2" -> the payment due date (a day number), "Invoices!F2" -> the days left until it,
    counted from the report date in H1 (negative: overdue)."""
    out: dict[str, int] = {}
    report = dt.date.fromisoformat(data["report_date"])
    for i, day in enumerate(data["invoice_dates"]):
        due = end_of_next_month(dt.date.fromisoformat(day))
        out[f"Invoices!E{INVOICE_FIRST + i}"] = serial(due)
        out[f"Invoices!F{INVOICE_FIRST + i}"] = (due - report).days
    return out


def expected_form(data: dict) -> dict[str, object]:
    """Question 5: "Sheet!A1" -> the value of each cleaning and report cell (an answer counts when no later answer
    comes from the same e-mail; its Latest answer cell is 1, else 0)."""
    out: dict[str, object] = {}
    clean = [email.strip().lower() for email, _, _ in data["form"]]
    people: dict[str, int] = {session: 0 for session in SESSIONS}
    for i, (_, session, count) in enumerate(data["form"]):
        latest = clean[i] not in clean[i + 1:]
        out[f"Form!F{FORM_FIRST + i}"], out[f"Form!G{FORM_FIRST + i}"] = clean[i], int(latest)
        if latest:
            people[session] = people.get(session, 0) + count
    for row, session in enumerate(SESSIONS, start=2):
        out[f"Report!B{row}"] = people[session]
    return out


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


def expected_pivot(data: dict) -> dict[str, float]:
    """The pivot table's rows (question 4): code -> the sum of Amount of its sales, for every code sold in ``data``."""
    price_of = {code: price for (code, _, _), price in zip(PRICES, data["prices"])}
    out: dict[str, float] = {}
    for code, qty in zip(data["codes"], data["quantities"]):
        out[code] = out.get(code, 0) + qty * price_of[code]
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
    form = wb.create_sheet("Form")
    form.append(FORM_HEADERS)
    for stamp, email, name, session, people in FORM:
        form.append([dt.datetime.fromisoformat(stamp), email, name, session, people])
        form.cell(form.max_row, 1).number_format = "yyyy-mm-dd hh:mm:ss"
    for col, width in zip("ABCDEFG", (20, 24, 18, 18, 8, 24, 14)):
        form.column_dimensions[col].width = width
    report = wb.create_sheet("Report")
    report.append(["Session", "People"])
    for session in SESSIONS:
        report.append([session])
    report.column_dimensions["A"].width = 20
    invoices = wb.create_sheet("Invoices")
    invoices.append(["Invoice", "Supplier", "Invoice date", "Amount (yen)", "Payment due", "Days left", "Report date",
                     dt.date.fromisoformat(REPORT_DATE)])
    invoices["H1"].number_format = ERA_FORMAT
    for number, supplier, day, amount in INVOICES:
        invoices.append([number, supplier, dt.date.fromisoformat(day), amount])
        invoices.cell(invoices.max_row, 3).number_format = ERA_FORMAT
    for col, width in zip("ABCDEFGH", (10, 24, 18, 12, 18, 10, 12, 18)):
        invoices.column_dimensions[col].width = width
    for ws in (sales, prices, form, report, invoices):
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
