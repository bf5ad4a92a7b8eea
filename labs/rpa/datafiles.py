"""The files a robot works on (Excel sheets, the invoice inbox), written from :mod:`labs.rpa.company` data.

``python -m labs.rpa.datafiles`` rewrites the learner's copies in ``labs/rpa/data/`` (seed ``LEARNER_SEED``); the checks
write the same files from another seed into a fresh folder before they re-run a learner's robot.
"""
from __future__ import annotations

import datetime as dt
import io
import shutil
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from . import company

DATA_DIR = Path(__file__).resolve().parent / "data"


def _save(wb: Workbook, path: Path | None) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _header(ws, columns):
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, name in enumerate(columns):
        ws.column_dimensions[chr(ord("A") + i)].width = max(12, len(name) + 4)


def orders_workbook(orders: list[company.Order], path: Path | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "orders"
    _header(ws, company.ORDER_COLUMNS)
    for o in orders:
        ws.append([o.order_ref, dt.date.fromisoformat(o.order_date), o.customer, o.product_code, o.quantity,
                   o.delivery, o.postal_code, o.address, dt.date.fromisoformat(o.delivery_date)])
    for row in ws.iter_rows(min_row=2):
        row[1].number_format = row[8].number_format = "yyyy-mm-dd"
    ws.column_dimensions["C"].width = ws.column_dimensions["H"].width = 32
    return _save(wb, path)


def raw_orders_workbook(raw: company.RawOrders, path: Path | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "orders"
    _header(ws, company.RAW_COLUMNS)
    for row in raw.rows:
        ws.append([row[c] for c in company.RAW_COLUMNS])
    for cells in ws.iter_rows(min_row=2):
        if isinstance(cells[1].value, dt.datetime):
            cells[1].number_format = "yyyy-mm-dd"
    ws.column_dimensions["C"].width = 32
    products = wb.create_sheet("products")
    _header(products, ["product_code", "product_name", "unit_price"])
    for p in company.PRODUCTS:
        products.append([p.code, p.ja, p.price])
    products.column_dimensions["B"].width = 30
    return _save(wb, path)


def challenge_workbook(people: list[dict], path: Path | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "people"
    _header(ws, company.CHALLENGE_FIELDS)
    for person in people:
        ws.append([person[f] for f in company.CHALLENGE_FIELDS])
    for col in "CEF":
        ws.column_dimensions[col].width = 32
    return _save(wb, path)


def write_order_files(seed: int, folder: Path, count: int = company.LEARNER_ORDER_COUNT) -> list[company.Order]:
    orders = company.orders(seed, count)
    orders_workbook(orders, Path(folder) / "orders.xlsx")
    return orders


def build_learner_data(dest: Path = DATA_DIR, force: bool = False) -> None:
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    seed = company.LEARNER_SEED
    write_order_files(seed, dest)
    raw_orders_workbook(company.raw_orders(seed), dest / "orders_raw.xlsx")
    challenge_workbook(company.challenge_people(seed), dest / "challenge.xlsx")
    inbox = dest / "inbox"
    expected = company.invoices(seed)
    names = {inv.file_name for inv in expected.invoices} | set(expected.unreadable)
    # PDFs differ byte by byte on every print (dates inside): rewrite them only when the set of files changes
    if force or not inbox.is_dir() or {p.name for p in inbox.iterdir()} != names:
        if inbox.exists():
            shutil.rmtree(inbox)
        company.write_inbox(expected, inbox)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--force"]
    build_learner_data(Path(args[0]) if args else DATA_DIR, force="--force" in sys.argv)
    print("written to", args[0] if args else DATA_DIR)
