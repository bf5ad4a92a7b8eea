"""RPA lab checks.

Notebook 1 (what RPA is) looks at the learner's variables. Notebooks 2-6 grade *robots*: each check re-runs the
robot file the notebook saved (``%%writefile robot_....py``) in a fresh folder, against a fresh practice company with a
data set and a page layout the robot has not seen (``robotrun.py``), and judges what it did from the app's database,
the files it left and the mail it sent (``evidence="outside"``). A learner's own check uses a public check data set;
grading uses the hidden one from ``hidden/*.json``.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from pathlib import Path

from graders.checks import Check, Questions
from graders.i18n import Domain

from . import company, robotrun

M_ = Domain.beside(__file__)
questions = Questions("rpa")

# --- notebook 1: what RPA is ---------------------------------------------------------------------------------------
GOOD_TASKS = {"A", "C", "E", "G"}
TASK_REASONS = {"B": "judgement", "D": "unstructured", "F": "judgement", "H": "unstable"}

Q1_OK = M_("rpa.q1.ok", "Right: {tasks} are rules-based, repetitive and have stable inputs, so a robot can do them.")
Q1_NOT_COLLECTION = M_("rpa.q1.not_collection", "`good_for_rpa` should be a set of task letters, like {{\"A\", \"C\"}}; it is {actual}.")
Q1_UNKNOWN = M_("rpa.q1.unknown", "There is no task \"{task}\". Use the letters A to H from the list above.")
Q1_JUDGEMENT = M_("rpa.q1.judgement", "Task {task} needs human judgement (every case is different), so it is not a job for a robot. Take it out.")
Q1_UNSTRUCTURED = M_("rpa.q1.unstructured", "Task {task} starts from handwriting scanned at an angle: the input is not structured, so a rules-based robot cannot read it reliably. Take it out.")
Q1_UNSTABLE = M_("rpa.q1.unstable", "Task {task} changes every week and happens twice a year: the robot would break often and save almost nothing. Take it out.")
Q1_MISSED = M_("rpa.q1.missed", "Task {task} follows the same rules every time, with inputs that always look the same: a good job for a robot. Add it.")


@questions("q1")
def q1(check: Check) -> None:
    chosen = check.value("good_for_rpa")
    if isinstance(chosen, str) or not isinstance(chosen, (set, list, tuple, frozenset)):
        from graders.checks import kind_of_value
        check.stop(Q1_NOT_COLLECTION, actual=kind_of_value(chosen, check.lang))
    letters = {str(x).strip().upper() for x in chosen}
    for task in sorted(letters - set("ABCDEFGH")):
        check.stop(Q1_UNKNOWN, task=task)
    reasons = {"judgement": Q1_JUDGEMENT, "unstructured": Q1_UNSTRUCTURED, "unstable": Q1_UNSTABLE}
    for task in sorted(letters - GOOD_TASKS):
        check.fail(reasons[TASK_REASONS[task]], task=task)
    for task in sorted(GOOD_TASKS - letters):
        check.fail(Q1_MISSED, task=task)
    if letters == GOOD_TASKS:
        check.ok(Q1_OK, tasks=", ".join(sorted(GOOD_TASKS)))


STEPS = ["open_sheet", "log_in", "open_form", "fill_fields", "preview", "submit", "save_receipt", "email_report"]
Q2_OK = M_("rpa.q2.ok", "Your process map is in a workable order, and the loop starts at `{loop}`.")
Q2_NOT_LIST = M_("rpa.q2.not_list", "`steps` should be a list of the step names in order, like [\"open_sheet\", \"log_in\", ...].")
Q2_UNKNOWN = M_("rpa.q2.unknown", "\"{step}\" is not one of the steps. Use only the step names from the table: {known}.")
Q2_MISSING = M_("rpa.q2.missing", "The step \"{step}\" is missing. Every step in the table happens once in the map.")
Q2_TWICE = M_("rpa.q2.twice", "\"{step}\" appears twice. Write each step once; the loop repeats them for every order.")
Q2_ORDER = M_("rpa.q2.order", "\"{later}\" comes before \"{earlier}\", but it can only happen after it. Swap them.")
Q2_LOOP_WRONG = M_("rpa.q2.loop", "`loop_start` is \"{loop}\". The robot does that only once per run; the steps that repeat for every order start at the order form.")
Q2_LOOP_MISSING = M_("rpa.q2.loop_missing", "Also set `loop_start` to the first step that repeats for every order.")
# which step must come before which (a robot cannot preview an empty form ...)
STEP_RULES = [("log_in", "open_form"), ("open_sheet", "fill_fields"), ("open_form", "fill_fields"),
              ("fill_fields", "preview"), ("preview", "submit"), ("submit", "save_receipt"),
              ("save_receipt", "email_report")]


@questions("q2")
def q2(check: Check) -> None:
    steps = check.value("steps")
    if not isinstance(steps, (list, tuple)):
        check.stop(Q2_NOT_LIST)
    steps = [str(s).strip() for s in steps]
    for step in steps:
        check.require(step in STEPS, Q2_UNKNOWN, step=step, known=", ".join(STEPS))
    for step in STEPS:
        check.require(step in steps, Q2_MISSING, step=step)
    for step in STEPS:
        check.require(steps.count(step) == 1, Q2_TWICE, step=step)
    for earlier, later in STEP_RULES:
        check.require(steps.index(earlier) < steps.index(later), Q2_ORDER, earlier=earlier, later=later)
    if "loop_start" not in check.ns:
        check.stop(Q2_LOOP_MISSING)
    loop = str(check.ns["loop_start"]).strip()
    check.require(loop in STEPS, Q2_UNKNOWN, step=loop, known=", ".join(STEPS))
    check.require(loop == "open_form", Q2_LOOP_WRONG, loop=loop)
    check.ok(Q2_OK, loop=loop)


Q3_OK = M_("rpa.q3.ok", "Yes: (40 × 3 − 15) minutes a day × 20 days = 2,100 minutes, that is {value} hours a month.")
Q3_NO_CHECKING = M_("rpa.q3.no_checking", "You get {value} hours, which leaves out the 15 minutes a day a person still spends checking the robot's report. Subtract them.")
Q3_MINUTES = M_("rpa.q3.minutes", "{value} is the saving in minutes. The question asks for hours: divide by 60.")
Q3_ONE_DAY = M_("rpa.q3.one_day", "{value} hours is the saving of one day. Multiply by the 20 working days of a month.")
Q3_WRONG = M_("rpa.q3.wrong", "`hours_saved_per_month` is {value}, which is not what the numbers give. Work it out step by step: minutes a day without the robot, minus the checking time, times 20 days, divided by 60.")


@questions("q3")
def q3(check: Check) -> None:
    value = check.value("hours_saved_per_month", (int, float))
    if abs(value - 35) < 0.01:
        check.ok(Q3_OK, value=35)
    elif abs(value - 40) < 0.01:
        check.fail(Q3_NO_CHECKING, value=value)
    elif abs(value - 2100) < 0.5 or abs(value - 2400) < 0.5:
        check.fail(Q3_MINUTES, value=value)
    elif abs(value - 1.75) < 0.01 or abs(value - 2) < 0.01:
        check.fail(Q3_ONE_DAY, value=value)
    else:
        check.fail(Q3_WRONG, value=value)


# --- what every robot check says about the run itself --------------------------------------------------------------
ROBOT_MISSING = M_("rpa.robot.missing", "I can't find {file} next to this notebook. Run the cell that starts with %%writefile {file}: it saves your robot into that file.")
ROBOT_HUNG = M_("rpa.robot.hung", "Your robot was still running after {seconds} second, so I stopped it. Look for a loop that never ends, or a wait for something that never appears on the page.", "Your robot was still running after {seconds} seconds, so I stopped it. Look for a loop that never ends, or a wait for something that never appears on the page.", count="seconds")
ROBOT_MEMORY = M_("rpa.robot.memory", "Your robot used more than {mb} MB of memory, so I stopped it. Does it open a new browser for every row? Open one browser and reuse its page.")
ROBOT_CRASHED = M_("rpa.robot.crashed", "Your robot stopped with an error: {error}. Run it yourself (the cell with run_robot(\"{file}\")) and read the last lines of the error.")
ROBOT_LAYOUT = M_("rpa.robot.layout", "Your robot could not find its way on a page whose layout had changed (the fields were in another order, with new ids): {error}. Find each field by what it means, for example its name `[name=\"quantity\"]` or its label, never by its position or its id.")
ROBOT_WRONG_FIELDS = M_("rpa.robot.wrong_fields", "On a page whose layout had changed, your robot typed \"{value}\" into the field `{field}`, but that value belongs in `{other}`. It finds fields by their position; find each field by its name (for example `[name=\"{other}\"]`) or its label instead.")
ROBOT_HARD_CODED = M_("rpa.robot.hard_coded", "Your robot used {example}, which comes from your own practice data, not from the file it was given this time. A robot must read its data from the file every time it runs; don't copy the data into the robot.")
ROBOT_PASSWORD = M_("rpa.robot.password", "Your robot could not sign in to the order system. Take the user name and password from `config = robot_config()` (`config.user`, `config.password`); never type them into the robot: each order system has its own.")


def _run_failed(check: Check, ev: robotrun.Evidence, file: str) -> bool:
    """Record why the robot's run went wrong (if it did); True when nothing more can be judged."""
    for run in ev.runs:
        if run.missing:
            check.fail(ROBOT_MISSING, file=file)
            return True
        if run.timed_out:
            check.fail(ROBOT_HUNG, seconds=int(run.limit))
            return True
        if run.memory_exceeded:
            check.fail(ROBOT_MEMORY, mb=robotrun.MEMORY_MB)
            return True
    return False


def _crash(check: Check, ev: robotrun.Evidence, file: str) -> None:
    run = next((r for r in ev.runs if not r.ok), None)
    if run is None:
        return
    error = run.error_line()
    timed_out = "TimeoutError" in error or ("Timeout " in error and "exceeded" in error)
    if timed_out or (error.startswith("playwright") and POSITIONAL.search(run.stderr)):
        check.fail(ROBOT_LAYOUT, error=_short_timeout(run.stderr) if timed_out else error[:200])
    else:
        check.fail(ROBOT_CRASHED, error=error, file=file)


def _short_timeout(stderr: str) -> str:
    m = re.search(r"waiting for (locator\(.*?\)|get_by_\w+\(.*?\)|selector .*?)(?:\n|$)", stderr)
    return m.group(1)[:160] if m else "Timeout"


def _logged_in(ev: robotrun.Evidence) -> bool:
    return any(r["user"] for r in ev.data.get("requests", []))      # the app logs who was signed in


# --- notebook 2: files and folders ---------------------------------------------------------------------------------
FILES_SCRIPT = "robot_files.py"
Q4_OK = M_("rpa.q4.ok", "The {count} invoice is renamed and filed by month, and the files that cannot be read are listed in sorted/unreadable.txt.", "All {count} invoices are renamed and filed by month, and the files that cannot be read are listed in sorted/unreadable.txt.", count="count")
Q4_LOST = M_("rpa.q4.lost", "After your robot ran, {file} was gone: it is nowhere in the folder any more. A robot must never delete the files it works on; move them, or leave them where they are.")
Q4_NOT_MOVED = M_("rpa.q4.not_moved", "The invoice {file} is still in inbox/. It should be moved to sorted/{expected}.")
Q4_WRONG_PLACE = M_("rpa.q4.wrong_place", "The invoice that arrived as {file} is now at {got}, but it should be at sorted/{expected} (folder YYYY-MM, name date_customer_invoice.pdf).")
Q4_UNREADABLE = M_("rpa.q4.unreadable", "{file} cannot be read as an invoice, but it is not listed in sorted/unreadable.txt. Write the name of every file you skip into that file, one per line, so that a person can look at them.")
Q4_UNREADABLE_FILED = M_("rpa.q4.unreadable_filed", "{file} is not a readable invoice, but your robot filed it as {got}. Leave unreadable files where they are and list them in sorted/unreadable.txt.")

Q5_OK = M_("rpa.q5.ok", "sorted/invoices.csv has the right number, date, customer and total for the {count} invoice.", "sorted/invoices.csv has the right number, date, customer and total for all {count} invoices.", count="count")
Q5_NO_TABLE = M_("rpa.q5.no_table", "I can't find sorted/invoices.csv after your robot ran. Write one row per invoice you filed, with the columns invoice_no, date, customer, total.")
Q5_COLUMNS = M_("rpa.q5.columns", "sorted/invoices.csv lacks these columns: {columns}. Its first row must name the columns invoice_no, date, customer, total.")
Q5_ROWS = M_("rpa.q5.rows", "sorted/invoices.csv has {got} rows, but {expected} invoices could be read. Write exactly one row per invoice (the unreadable files have no row).")
Q5_VALUE = M_("rpa.q5.value", "Invoice {invoice}: the column {column} says \"{got}\", but the invoice says \"{expected}\".")
Q5_MISSING_ROW = M_("rpa.q5.missing_row", "Invoice {invoice} has no row in sorted/invoices.csv.")


def _files_evidence(check: Check) -> robotrun.Evidence:
    return robotrun.files_scenario(Path(check.context["workdir"]), robotrun.spec_for(check.hidden), FILES_SCRIPT)


def _digest(path: Path) -> str:
    import hashlib
    return hashlib.sha256(path.read_bytes()).hexdigest()


@questions("q4", evidence="outside")
def q4(check: Check) -> None:
    ev = _files_evidence(check)
    if _run_failed(check, ev, FILES_SCRIPT):
        return
    inbox = company.invoices(ev.spec["seed"])
    source = robotrun.inbox_files(ev.spec["seed"])
    where: dict[str, list[str]] = {}
    for rel in ev.data["files"]:
        try:
            where.setdefault(_digest(ev.run_dir / rel), []).append(rel)
        except OSError:
            continue
    ok = True
    for name in ev.data["before"]:
        if _digest(source / name) not in where:
            check.fail(Q4_LOST, file=name)
            ok = False
    if not ok:
        return
    if not ev.run.ok:
        _crash(check, ev, FILES_SCRIPT)
        return
    learner_names = {inv.sorted_name for inv in company.invoices(company.LEARNER_SEED).invoices}
    filed = [Path(rel).name for rel in ev.data["files"] if rel.startswith("sorted/")]
    copied = sorted(set(filed) & learner_names - {inv.sorted_name for inv in inbox.invoices})
    if copied:
        check.fail(ROBOT_HARD_CODED, example=copied[0])
        return
    for inv in inbox.invoices:
        expected = f"{inv.folder}/{inv.sorted_name}"
        places = where.get(_digest(source / inv.file_name), [])
        if f"sorted/{expected}" in places:
            continue
        ok = False
        if f"inbox/{inv.file_name}" in places or not places:
            check.fail(Q4_NOT_MOVED, file=inv.file_name, expected=expected)
        else:
            check.fail(Q4_WRONG_PLACE, file=inv.file_name, got=places[0], expected=expected)
    listed_path = ev.run_dir / "sorted" / "unreadable.txt"
    listed = set()
    if listed_path.exists():
        listed = {Path(line.strip()).name for line in listed_path.read_text(encoding="utf-8", errors="replace").splitlines()}
    for name in sorted(inbox.unreadable):
        places = where.get(_digest(source / name), [])
        filed_as = [p for p in places if re.match(r"sorted/\d{4}-\d{2}/", p)]
        if filed_as:
            check.fail(Q4_UNREADABLE_FILED, file=name, got=filed_as[0])
            ok = False
        elif name not in listed:
            check.fail(Q4_UNREADABLE, file=name)
            ok = False
    if ok:
        check.ok(Q4_OK, count=len(inbox.invoices), bad=len(inbox.unreadable))


def _read_csv(path: Path) -> list[dict]:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    return [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def _as_int(text) -> int | None:
    digits = re.sub(r"[¥,\s円]", "", unicodedata.normalize("NFKC", str(text)))
    try:
        return int(float(digits))
    except ValueError:
        return None


@questions("q5", evidence="outside")
def q5(check: Check) -> None:
    ev = _files_evidence(check)
    if _run_failed(check, ev, FILES_SCRIPT):
        return
    path = ev.run_dir / "sorted" / "invoices.csv"
    if not path.exists():
        if not ev.run.ok:
            _crash(check, ev, FILES_SCRIPT)
        else:
            check.fail(Q5_NO_TABLE)
        return
    rows = _read_csv(path)
    columns = ["invoice_no", "date", "customer", "total"]
    missing = [c for c in columns if not rows or c not in rows[0]]
    if missing:
        check.stop(Q5_COLUMNS, columns=", ".join(missing))
    inbox = company.invoices(ev.spec["seed"])
    learner = {inv.invoice_no for inv in company.invoices(company.LEARNER_SEED).invoices}
    copied = sorted({r["invoice_no"] for r in rows} & learner - {inv.invoice_no for inv in inbox.invoices})
    if copied:
        check.stop(ROBOT_HARD_CODED, example=copied[0])
    if len(rows) != len(inbox.invoices):
        check.fail(Q5_ROWS, got=len(rows), expected=len(inbox.invoices))
    by_no = {r["invoice_no"]: r for r in rows}
    ok = len(rows) == len(inbox.invoices)
    for inv in inbox.invoices:
        row = by_no.get(inv.invoice_no)
        if row is None:
            check.fail(Q5_MISSING_ROW, invoice=inv.invoice_no)
            ok = False
            continue
        for column, expected in (("date", inv.date), ("customer", inv.customer_code), ("total", inv.total)):
            got = row[column]
            same = _as_int(got) == expected if column == "total" else got == expected
            if column == "customer" and not same:
                same = got in (inv.customer, f"{inv.customer_code} {inv.customer}")
            if not same:
                check.fail(Q5_VALUE, invoice=inv.invoice_no, column=column, got=got, expected=expected)
                ok = False
                break
    if ok:
        check.ok(Q5_OK, count=len(inbox.invoices))


# --- notebook 3: Excel -----------------------------------------------------------------------------------------------
EXCEL_SCRIPT = "robot_excel.py"
CLEAN_FILE = "output/orders_clean.xlsx"
SUMMARY_FILE = "output/summary.xlsx"
CLEAN_COLUMNS = ["order_ref", "order_date", "customer", "product_code", "quantity", "amount"]
EXCEL_NO_FILE = M_("rpa.excel.no_file", "I can't find {file} after your robot ran. Check the file name and that the robot saves it into the output folder.")
EXCEL_NOT_EXCEL = M_("rpa.excel.not_excel", "{file} is not an Excel workbook that openpyxl can open ({error}). Save it with pandas' to_excel or openpyxl's save.")
Q6_OK = M_("rpa.q6.ok", "orders_clean.xlsx holds the {count} valid order, cleaned, with no duplicates.", "orders_clean.xlsx holds the {count} valid orders, cleaned, with no duplicates.", count="count")
Q6_COLUMNS = M_("rpa.q6.columns", "orders_clean.xlsx lacks these columns: {columns}. The first row must hold: order_ref, order_date, customer, product_code, quantity, amount.")
Q6_EMPTY_ROWS = M_("rpa.q6.empty_rows", "orders_clean.xlsx has {count} row without an order number. Drop the empty rows of the sheet.", "orders_clean.xlsx has {count} rows without an order number. Drop the empty rows of the sheet.", count="count")
Q6_DUPLICATE = M_("rpa.q6.duplicate", "Order {ref} is in orders_clean.xlsx {count} time: the sheet has it twice. Keep only the first copy (pandas: drop_duplicates(subset=\"order_ref\")).", "Order {ref} is in orders_clean.xlsx {count} times: the sheet has it twice. Keep only the first copy (pandas: drop_duplicates(subset=\"order_ref\")).", count="count")
Q6_BAD_QUANTITY = M_("rpa.q6.bad_quantity", "Order {ref} has no usable quantity (zero, or text such as 未定), so it must not be in the clean list. Leave out rows whose quantity is not a whole number above 0.")
Q6_BAD_PRODUCT = M_("rpa.q6.bad_product", "Order {ref} has a product code that is not in the products sheet, so it must not be in the clean list.")
Q6_DROPPED = M_("rpa.q6.dropped", "The valid order {ref} is missing from orders_clean.xlsx. Check your filters: did you drop rows with full-width digits (１２), a unit (6個) or a lower-case code?")
Q6_VALUE = M_("rpa.q6.value", "Order {ref}: {column} is \"{got}\", but after cleaning it should be \"{expected}\".")

Q7_OK = M_("rpa.q7.ok", "summary.xlsx has the right quantity and amount for the {count} product, a total of {total}, a bold header and yen formatting.", "summary.xlsx has the right quantity and amount for each of the {count} products, a total of {total}, a bold header and yen formatting.", count="count")
Q7_NO_HEADER = M_("rpa.q7.no_header", "The first sheet of summary.xlsx should start with a header row holding product_code, quantity and amount.")
Q7_MISSING_PRODUCT = M_("rpa.q7.missing_product", "summary.xlsx has no row for product {product}.")
Q7_VALUE = M_("rpa.q7.value", "summary.xlsx, product {product}: {column} is {got}, but the clean orders add up to {expected}.")
Q7_TOTAL = M_("rpa.q7.total", "summary.xlsx needs a last row labelled Total (or 合計) whose amount is the sum of all amounts ({expected}); I found {got}.")
Q7_BOLD = M_("rpa.q7.bold", "The header row of summary.xlsx is not bold. Make it stand out: cell.font = Font(bold=True).")
Q7_YEN = M_("rpa.q7.yen", "The amounts in summary.xlsx are plain numbers. Give them a yen format, for example cell.number_format = '¥#,##0'.")


def _excel_evidence(check: Check) -> robotrun.Evidence:
    return robotrun.excel_scenario(Path(check.context["workdir"]), robotrun.spec_for(check.hidden), EXCEL_SCRIPT)


def _open_workbook(check: Check, ev: robotrun.Evidence, rel: str):
    from openpyxl import load_workbook

    path = ev.run_dir / rel
    if not path.exists():
        if not ev.run.ok:
            _crash(check, ev, EXCEL_SCRIPT)
            raise_stop()
        check.stop(EXCEL_NO_FILE, file=rel)
    try:
        return load_workbook(path)
    except Exception as exc:
        check.stop(EXCEL_NOT_EXCEL, file=rel, error=type(exc).__name__)


def raise_stop():
    from graders.checks import StopCheck
    raise StopCheck


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet_rows(ws) -> tuple[list[str], list[dict]]:
    rows = list(ws.iter_rows(values_only=True))
    if not rows:
        return [], []
    header = [_cell_text(h) for h in rows[0]]
    out = []
    for values in rows[1:]:
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        out.append({header[i]: values[i] for i in range(min(len(header), len(values))) if header[i]})
    return header, out


@questions("q6", evidence="outside")
def q6(check: Check) -> None:
    ev = _excel_evidence(check)
    if _run_failed(check, ev, EXCEL_SCRIPT):
        return
    wb = _open_workbook(check, ev, CLEAN_FILE)
    header, rows = _sheet_rows(wb.worksheets[0])
    missing = [c for c in CLEAN_COLUMNS if c not in header]
    if missing:
        check.stop(Q6_COLUMNS, columns=", ".join(missing))
    raw = company.raw_orders(ev.spec["seed"])
    refs = [_cell_text(r.get("order_ref")) for r in rows]
    learner = {c["order_ref"] for c in company.raw_orders(company.LEARNER_SEED).clean}
    copied = sorted(set(refs) & learner - {c["order_ref"] for c in raw.clean})
    if copied:
        check.stop(ROBOT_HARD_CODED, example=copied[0])
    ok = True
    blank = refs.count("")
    if blank:
        check.fail(Q6_EMPTY_ROWS, count=blank)
        ok = False
    for ref in sorted(set(refs) - {""}):
        if refs.count(ref) > 1:
            check.fail(Q6_DUPLICATE, ref=ref, count=refs.count(ref))
            ok = False
    for ref, reason in sorted(raw.rejected.items()):
        if ref in refs:
            check.fail(Q6_BAD_QUANTITY if reason == "quantity" else Q6_BAD_PRODUCT, ref=ref)
            ok = False
    by_ref = {}
    for r in rows:
        by_ref.setdefault(_cell_text(r.get("order_ref")), r)
    for expected in raw.clean:
        row = by_ref.get(expected["order_ref"])
        if row is None:
            check.fail(Q6_DROPPED, ref=expected["order_ref"])
            ok = False
            continue
        for column in CLEAN_COLUMNS[1:]:
            got = _cell_text(row.get(column))
            want = str(expected[column])
            if column == "order_date":
                got = got[:10]
            if got != want:
                check.fail(Q6_VALUE, ref=expected["order_ref"], column=column, got=got, expected=want)
                ok = False
                break
    if ok:
        check.ok(Q6_OK, count=len(raw.clean))


TOTAL_LABELS = {"total", "合計", "разом", "итого", "sum"}


@questions("q7", evidence="outside")
def q7(check: Check) -> None:
    ev = _excel_evidence(check)
    if _run_failed(check, ev, EXCEL_SCRIPT):
        return
    wb = _open_workbook(check, ev, SUMMARY_FILE)
    ws = wb.worksheets[0]
    header, rows = _sheet_rows(ws)
    if not {"product_code", "quantity", "amount"} <= set(header):
        check.stop(Q7_NO_HEADER)
    raw = company.raw_orders(ev.spec["seed"])
    learner_total = company.raw_orders(company.LEARNER_SEED).total_amount
    by_code = {}
    total_row = None
    for r in rows:
        label = _cell_text(r.get("product_code")).lower()
        if label in TOTAL_LABELS or any(_cell_text(v).lower() in TOTAL_LABELS for v in r.values()):
            total_row = r
        else:
            by_code.setdefault(_cell_text(r.get("product_code")).upper(), r)
    ok = True
    for s in raw.summary:
        row = by_code.get(s["product_code"])
        if row is None:
            check.fail(Q7_MISSING_PRODUCT, product=s["product_code"])
            ok = False
            continue
        for column in ("quantity", "amount"):
            got = _as_int(row.get(column))
            if got != s[column]:
                check.fail(Q7_VALUE, product=s["product_code"], column=column, got=_cell_text(row.get(column)),
                           expected=s[column])
                ok = False
                break
    got_total = _as_int(total_row.get("amount")) if total_row else None
    if got_total == learner_total and learner_total != raw.total_amount:
        check.stop(ROBOT_HARD_CODED, example=f"{company.yen(learner_total)}")
    if got_total != raw.total_amount:
        check.fail(Q7_TOTAL, expected=company.yen(raw.total_amount), got=_cell_text(total_row.get("amount")) if total_row else "—")
        ok = False
    header_cells = [c for c in ws[1] if c.value not in (None, "")]
    if not header_cells or not all(c.font and c.font.bold for c in header_cells):
        check.fail(Q7_BOLD)
        ok = False
    amount_col = header.index("amount") + 1
    formats = [ws.cell(row=i, column=amount_col).number_format or "" for i in range(2, ws.max_row + 1)
               if ws.cell(row=i, column=amount_col).value is not None]
    if not formats or not all(("¥" in f or "#,##0" in f or "円" in f) for f in formats):
        check.fail(Q7_YEN)
        ok = False
    if ok:
        check.ok(Q7_OK, count=len(raw.summary), total=company.yen(raw.total_amount))


# --- notebooks 4 and 5: the order robot --------------------------------------------------------------------------
ORDERS_SCRIPT = "robot_orders.py"
ROBUST_SCRIPT = "robot_robust.py"
FORM_FIELDS = {"order_ref": "order_ref", "customer": "customer", "product": "product_code", "quantity": "quantity",
               "delivery": "delivery", "postal_code": "postal_code", "address": "address",
               "delivery_date": "delivery_date"}
ORDERS_NONE = M_("rpa.orders.none", "Your robot ran to the end, but no order reached the order system. Does it click the Send button on the preview page for every row of orders.xlsx?")
ORDERS_MISSING = M_("rpa.orders.missing", "{count} of {total} order never reached the order system: {refs}. The robot must go through every row of orders.xlsx.", "{count} of {total} orders never reached the order system: {refs}. The robot must go through every row of orders.xlsx.", count="total")
ORDERS_NOT_RETRIED = M_("rpa.orders.not_retried", "The order system answered \"busy\" for {refs}, and your robot did not send the order again, so it was never saved. After clicking Send, check whether a receipt appeared; if not, fill in the form and send again (up to 3 times).")
ORDERS_DUPLICATE = M_("rpa.orders.duplicate", "Order {ref} was saved {count} time. Send each order once: stop trying as soon as a receipt appears.", "Order {ref} was saved {count} times. Send each order once: stop trying as soon as a receipt appears.", count="count")
ORDERS_VALUE = M_("rpa.orders.value", "Order {ref}: the order system got {field} = \"{got}\", but orders.xlsx says \"{expected}\".")
ORDERS_OK = M_("rpa.orders.ok", "The {total} order is in the order system exactly once, with the right values ({retried} of them needed a second try).", "All {total} orders are in the order system exactly once, with the right values ({retried} of them needed a second try).", count="total")

Q9_OK = M_("rpa.q9.ok", "Every order has its receipt PDF (with the right receipt number) and its preview screenshot, all in output/receipts.zip.")
RECEIPT_MISSING = M_("rpa.receipts.missing", "No receipt PDF for {refs} in output/receipts/. Right after the receipt appears, save it: page.pdf(path=f\"output/receipts/{{order_ref}}.pdf\").")
RECEIPT_WRONG = M_("rpa.receipts.wrong", "output/receipts/{file} does not show receipt number {receipt}, the number the order system gave order {ref}. Save the PDF on the receipt page, after the order is accepted.")
PREVIEW_MISSING = M_("rpa.previews.missing", "No screenshot of the preview for {refs} in output/previews/. On the preview page, before you click Send: page.screenshot(path=f\"output/previews/{{order_ref}}.png\").")
ZIP_MISSING = M_("rpa.zip.missing", "output/receipts.zip is missing. At the end, put all receipts and screenshots into one ZIP file (the zipfile module).")
ZIP_INCOMPLETE = M_("rpa.zip.incomplete", "output/receipts.zip lacks {names}. Make the ZIP after the last order, from every file in output/receipts and output/previews.")


def _orders_evidence(check: Check, script: str, runs: int) -> robotrun.Evidence:
    spec = robotrun.spec_for(check.hidden)
    if script == ROBUST_SCRIPT:
        spec.setdefault("refused", True)     # notebook 5: one order the system refuses every time (a closed account)
    if runs > 1 and not check.hidden:
        spec["order_count"] = 2      # the re-run check: two orders (one of them busy once) show everything
    return robotrun.orders_scenario(Path(check.context["workdir"]), spec, check.lang, script, runs)


def _wrong_field(ev: robotrun.Evidence) -> tuple[str, str, str] | None:
    """A value of one field typed into another (what a position-based robot does on a new layout)."""
    values_of: dict[str, set[str]] = {}
    for order in ev.data["expected"]:
        for form_field, column in FORM_FIELDS.items():
            values_of.setdefault(form_field, set()).add(str(order[column]))
    for req in ev.data["requests"]:
        if req["method"] != "POST" or not req["path"].startswith("/orders/"):
            continue
        import json

        form = json.loads(req["form"] or "{}")
        for form_field, value in form.items():
            value = str(value).strip()
            if not value or form_field not in FORM_FIELDS or value in values_of.get(form_field, ()):
                continue
            for other, values in values_of.items():
                if other != form_field and value in values:
                    return form_field, value, other
    return None


def _wrong_field_in_log(ev: robotrun.Evidence) -> tuple[str, str, str] | None:
    """The same, read from Playwright's call log when the browser refused the value (text into a number box)."""
    values_of: dict[str, set[str]] = {}
    for order in ev.data["expected"]:
        for form_field, column in FORM_FIELDS.items():
            values_of.setdefault(form_field, set()).add(str(order[column]))
    for run in ev.runs:
        target = re.search(r'resolved to <(?:input|select|textarea)[^>]*\bname="(\w+)"', run.stderr)
        typed = re.search(r'(?:fill|select_option|type)\("(.*?)"\)', run.stderr)
        if not (target and typed):
            continue
        field, value = target[1], typed[1]
        for other, values in values_of.items():
            if other != field and value in values:
                return field, value, other
    return None


POSITIONAL = re.compile(r"nth\(|nth=|:nth-child|:nth-of-type|xpath=/html|>> nth")


def _judge_orders(check: Check, ev: robotrun.Evidence, script: str, rerun: bool = False) -> bool:
    """The parts every order robot must get right; True when all orders are in, once each, with the right values."""
    if _run_failed(check, ev, script):
        return False
    expected = {o["order_ref"]: o for o in ev.data["expected"]}
    rows = ev.data["orders"]
    learner = {o.order_ref for o in company.orders(company.LEARNER_SEED)}
    copied = sorted({r["order_ref"] for r in rows} & learner - set(expected))
    if copied:
        check.fail(ROBOT_HARD_CODED, example=copied[0])
        return False
    wrong = _wrong_field(ev) or (_wrong_field_in_log(ev) if not ev.run.ok else None)
    if wrong:
        check.fail(ROBOT_WRONG_FIELDS, field=wrong[0], value=wrong[1], other=wrong[2])
        return False
    refused = ev.data.get("refused") or {}
    if refused:
        in_order = [o["order_ref"] for o in ev.data["expected"]]
        attempted = {r["order_ref"] for r in rows}
        for bad in refused:
            later = [ref for ref in in_order[in_order.index(bad) + 1:] if ref not in attempted]
            if bad in attempted and later and not ev.run.ok:
                check.fail(ROBUST_STOPPED, ref=bad, refs=", ".join(later))
                return False
    failed_runs = [r for r in ev.runs if not r.ok and not (refused and _reports(r, refused))]
    if failed_runs:
        if not _logged_in(ev) and ev.data["requests"]:
            check.fail(ROBOT_PASSWORD)
        else:
            _crash(check, ev, script)
        return False
    if not rows:
        check.fail(ORDERS_NONE)
        return False
    ok = True
    accepted: dict[str, list[dict]] = {}
    for r in rows:
        if r["status"] == "accepted":
            accepted.setdefault(r["order_ref"], []).append(r)
    attempted = {r["order_ref"] for r in rows}
    not_retried = sorted(ref for ref in expected if ref in attempted and ref not in accepted and ref not in refused)
    if not_retried:
        check.fail(ORDERS_NOT_RETRIED, refs=", ".join(not_retried))
        ok = False
    never = sorted(ref for ref in expected if ref not in attempted)
    if never:
        check.fail(ORDERS_MISSING, count=len(never), total=len(expected), refs=", ".join(never))
        ok = False
    for ref, saved in sorted(accepted.items()):
        if len(saved) > 1:
            check.fail(ROBUST_DOUBLE if rerun else ORDERS_DUPLICATE, ref=ref, count=len(saved))
            ok = False
    for ref, saved in sorted(accepted.items()):
        order = expected.get(ref)
        if order is None:
            continue
        row = saved[0]
        for form_field, column in FORM_FIELDS.items():
            want = order[column]
            if form_field == "delivery":
                want = company.DELIVERY_BY_JA.get(want, want)
            got = row["product" if form_field == "product" else form_field]
            if str(got) != str(want):
                check.fail(ORDERS_VALUE, ref=ref, field=form_field, got=got, expected=order[column])
                ok = False
                break
    for bad in refused:
        if not _reports(ev.run, {bad: refused[bad]}):
            check.fail(ROBUST_NOT_REPORTED, ref=bad)
            ok = False
        elif ok:
            check.ok(ROBUST_REPORTED, ref=bad)
    return ok


def _reports(run: robotrun.RobotRun, refused: dict) -> bool:
    """Whether a run's closing words (its error message, or the last lines it printed) name every refused order:
    what a person watching the robot reads first."""
    if run.missing or run.timed_out or run.memory_exceeded:
        return False
    tail = "\n".join([ln for ln in run.stdout.splitlines() if ln.strip()][-5:])
    closing = (run.error_line() if run.returncode else "") + "\n" + tail
    return all(ref in closing for ref in refused)


@questions("q8", evidence="outside")
def q8(check: Check) -> None:
    ev = _orders_evidence(check, ORDERS_SCRIPT, runs=1)
    if _judge_orders(check, ev, ORDERS_SCRIPT):
        retried = sum(1 for ref, n in ev.data["plan"].items() if n)
        check.ok(ORDERS_OK, total=len(ev.data["expected"]), retried=retried)


def _receipt_parts(check: Check, ev: robotrun.Evidence, previews: bool = True, zip_needed: bool = True) -> bool:
    from labs.rpa.kit import pdf_text

    accepted = {}
    for r in ev.data["orders"]:
        if r["status"] == "accepted" and r["order_ref"] not in accepted:
            accepted[r["order_ref"]] = r["receipt_no"]
    if not accepted:
        check.fail(ORDERS_NONE)
        return False
    ok = True
    out = ev.run_dir / "output"
    missing = [ref for ref in accepted if not (out / "receipts" / f"{ref}.pdf").is_file()]
    if missing:
        check.fail(RECEIPT_MISSING, refs=", ".join(missing))
        ok = False
    for ref, receipt in accepted.items():
        pdf = out / "receipts" / f"{ref}.pdf"
        if ref in missing:
            continue
        try:
            text = pdf_text(pdf)
        except Exception:
            text = ""
        if receipt not in text:
            check.fail(RECEIPT_WRONG, file=pdf.name, receipt=receipt, ref=ref)
            ok = False
            break
    if previews:
        no_png = [ref for ref in accepted
                  if not ((out / "previews" / f"{ref}.png").is_file() and
                          (out / "previews" / f"{ref}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n")]
        if no_png:
            check.fail(PREVIEW_MISSING, refs=", ".join(no_png))
            ok = False
    if zip_needed:
        archive = out / "receipts.zip"
        if not archive.is_file():
            check.fail(ZIP_MISSING)
            return False
        try:
            with zipfile.ZipFile(archive) as z:
                inside = {Path(n).name for n in z.namelist()}
        except zipfile.BadZipFile:
            inside = set()
        wanted = [f"{ref}.pdf" for ref in accepted] + ([f"{ref}.png" for ref in accepted] if previews else [])
        lacking = [n for n in wanted if n not in inside]
        if lacking:
            check.fail(ZIP_INCOMPLETE, names=", ".join(lacking[:6]) + (" …" if len(lacking) > 6 else ""))
            ok = False
    return ok


@questions("q9", evidence="outside")
def q9(check: Check) -> None:
    ev = _orders_evidence(check, ORDERS_SCRIPT, runs=1)
    if _run_failed(check, ev, ORDERS_SCRIPT):
        return
    if not ev.run.ok and not ev.data["orders"]:
        _crash(check, ev, ORDERS_SCRIPT)
        return
    if _receipt_parts(check, ev):
        check.ok(Q9_OK)


# --- notebook 5: robust robots -------------------------------------------------------------------------------------
ROBUST_DOUBLE = M_("rpa.robust.double", "Order {ref} was saved {count} time after your robot ran twice: the second run sent it again. Before sending an order, look it up in the order history (/orders?ref=...) and skip it if it is already there.", "Order {ref} was saved {count} times after your robot ran twice: the second run sent it again. Before sending an order, look it up in the order history (/orders?ref=...) and skip it if it is already there.", count="count")
ROBUST_NO_LOG = M_("rpa.robust.no_log", "I can't find output/robot.log. Use the logging module (logging.basicConfig(filename=\"output/robot.log\", ...)) so that a person can see afterwards what the robot did.")
ROBUST_LOG_INCOMPLETE = M_("rpa.robust.log_incomplete", "output/robot.log does not mention {refs}. Log one line for every order: sent, skipped, or failed.")
ROBUST_STOPPED = M_("rpa.robust.stopped", "The order system refused order {ref} (the customer's account is closed), and your robot stopped there, so {refs} never reached the order system. One bad order must not stop the others: put the work on one order inside try/except, note the failure in the except part, go on with the next order, and list the failed orders at the end.")
ROBUST_NOT_REPORTED = M_("rpa.robust.not_reported", "The order system refused order {ref} (the customer's account is closed). Your robot went on with the other orders, but when it finished it did not say that {ref} failed. At the end of the run, list the orders that failed (for example, stop with an error that names them), so that a person notices and deals with them.")
ROBUST_REPORTED = M_("rpa.robust.reported", "Order {ref} was refused (the customer's account is closed); your robot reported it and still sent every other order.")
Q10_OK = M_("rpa.q10.ok", "Your robot worked on a new layout, retried the busy orders, logged every order, and running it a second time sent nothing twice.")


@questions("q10", evidence="outside")
def q10(check: Check) -> None:
    ev = _orders_evidence(check, ROBUST_SCRIPT, runs=2)
    ok = _judge_orders(check, ev, ROBUST_SCRIPT, rerun=True)
    if not ok:
        return
    ok = _receipt_parts(check, ev, previews=False, zip_needed=False)
    log = ev.run_dir / "output" / "robot.log"
    if not log.is_file():
        check.fail(ROBUST_NO_LOG)
        return
    text = log.read_text(encoding="utf-8", errors="replace")
    unmentioned = [o["order_ref"] for o in ev.data["expected"] if o["order_ref"] not in text]
    if unmentioned:
        check.fail(ROBUST_LOG_INCOMPLETE, refs=", ".join(unmentioned))
        return
    if ok:
        check.ok(Q10_OK)


CHALLENGE_SCRIPT = "robot_challenge.py"
Q11_OK = M_("rpa.q11.ok", "Challenge done: the {total} field is right, in {seconds} s, on forms that changed every round.", "Challenge done: all {total} fields right, in {seconds} s, on forms that changed every round.", count="total")
Q11_NOT_STARTED = M_("rpa.q11.not_started", "Your robot never started the challenge. Open /challenge and click the Start button first.")
Q11_INCOMPLETE = M_("rpa.q11.incomplete", "Your robot finished {rounds} of the 10 rounds. Fill in and submit the form once for every row of challenge.xlsx.")
Q11_ACCURACY = M_("rpa.q11.accuracy", "{correct} of {total} field were right. For example, in round {round} the field `{field}` got \"{got}\" instead of \"{expected}\". Find each field by its name, not its position: the fields move every round.", "{correct} of {total} fields were right. For example, in round {round} the field `{field}` got \"{got}\" instead of \"{expected}\". Find each field by its name, not its position: the fields move every round.", count="total")


def _challenge_evidence(check: Check) -> robotrun.Evidence:
    return robotrun.challenge_scenario(Path(check.context["workdir"]), robotrun.spec_for(check.hidden), check.lang,
                                       CHALLENGE_SCRIPT)


@questions("q11", evidence="outside")
def q11(check: Check) -> None:
    from .practice_app import challenge_score, normalize

    ev = _challenge_evidence(check)
    if _run_failed(check, ev, CHALLENGE_SCRIPT):
        return
    runs = ev.data["runs"]
    people = ev.data["people"]
    learner = company.challenge_people(company.LEARNER_SEED)
    if runs:
        entries = max(runs, key=lambda r: (len(r["entries"]), r["id"]))["entries"]
        typed = {normalize(v) for e in entries.values() for v in e.values()}
        mine = {normalize(v) for p in people for v in p.values()}
        copied = sorted((typed & {normalize(p["email"]) for p in learner}) - mine)
        if copied:
            check.stop(ROBOT_HARD_CODED, example=copied[0])
    if not runs:
        if not ev.run.ok:
            _crash(check, ev, CHALLENGE_SCRIPT)
        else:
            check.fail(Q11_NOT_STARTED)
        return
    best = max(runs, key=lambda r: (len(r["entries"]), r["id"]))
    correct, total = challenge_score(people, best["entries"])
    if len(best["entries"]) < company.CHALLENGE_ROUNDS:
        if not ev.run.ok:
            _crash(check, ev, CHALLENGE_SCRIPT)
        check.fail(Q11_INCOMPLETE, rounds=len(best["entries"]))
        return
    if correct < total:
        for i, person in enumerate(people, start=1):
            got = best["entries"].get(i, {})
            for field in company.CHALLENGE_FIELDS:
                if normalize(got.get(field, "")) != normalize(person[field]):
                    check.fail(Q11_ACCURACY, correct=correct, total=total, round=i, field=field,
                               got=got.get(field, ""), expected=person[field])
                    return
    seconds = f"{best['finished'] - best['started']:.1f}" if best["finished"] else "?"
    check.ok(Q11_OK, total=total, seconds=seconds)


# --- notebook 6: reporting ---------------------------------------------------------------------------------------
REPORT_SCRIPT = "robot_report.py"
Q12_OK = M_("rpa.q12.ok", "The report reached {to} with the right figures ({count} order, {total}) and a ZIP of all the receipts.", "The report reached {to} with the right figures ({count} orders, {total}) and a ZIP of all the receipts.", count="count")
REPORT_NO_MAIL = M_("rpa.report.no_mail", "No e-mail reached the mail server. Send the report with smtplib.SMTP(config.smtp_host, config.smtp_port) and send_message(...).")
REPORT_MANY = M_("rpa.report.many", "{count} e-mails arrived, but the manager wants one report. Send one message with everything in it.")
REPORT_RECIPIENT = M_("rpa.report.recipient", "The report went to {got}, but this time it should go to {expected}. Take the address from config.report_to instead of typing it into the robot.")
REPORT_NO_ZIP = M_("rpa.report.no_zip", "The e-mail has no ZIP attachment. Attach the receipts: msg.add_attachment(data, maintype=\"application\", subtype=\"zip\", filename=\"receipts.zip\").")
REPORT_ZIP_INCOMPLETE = M_("rpa.report.zip_incomplete", "The attached ZIP lacks {names}. Zip every PDF in output/receipts/ when the robot runs.")
REPORT_NUMBERS = M_("rpa.report.numbers", "The e-mail does not mention {missing}. This time the order history holds {count} order worth {total}: count them and add up the total column from the exported Excel file every time.", "The e-mail does not mention {missing}. This time the order history holds {count} orders worth {total}: count them and add up the total column from the exported Excel file every time.", count="count")


def _numbers_in(text: str) -> set[int]:
    text = unicodedata.normalize("NFKC", text)
    return {int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", text) if n.replace(",", "").isdigit()}


@questions("q12", evidence="outside")
def q12(check: Check) -> None:
    from graders.services.rpa_mail import attachments, body_text

    ev = robotrun.report_scenario(Path(check.context["workdir"]), robotrun.spec_for(check.hidden), check.lang,
                                  REPORT_SCRIPT)
    if _run_failed(check, ev, REPORT_SCRIPT):
        return
    messages = ev.data["messages"]
    if not messages:
        if not ev.run.ok:
            _crash(check, ev, REPORT_SCRIPT)
        else:
            check.fail(REPORT_NO_MAIL)
        return
    if len(messages) > 1:
        check.fail(REPORT_MANY, count=len(messages))
        return
    mail = messages[0]
    msg = mail["message"]
    to = [a.lower() for a in mail["rcpt_tos"]]
    ok = True
    if ev.data["report_to"].lower() not in to:
        check.fail(REPORT_RECIPIENT, got=", ".join(mail["rcpt_tos"]), expected=ev.data["report_to"])
        ok = False
    zips = [(name, data) for name, data in attachments(msg) if name.lower().endswith(".zip") or data[:4] == b"PK\x03\x04"]
    if not zips:
        check.fail(REPORT_NO_ZIP)
        ok = False
    else:
        try:
            with zipfile.ZipFile(io.BytesIO(zips[0][1])) as z:
                inside = {Path(n).name for n in z.namelist()}
        except zipfile.BadZipFile:
            inside = set()
        lacking = [n for n in ev.data["receipts"] if n not in inside]
        if lacking:
            check.fail(REPORT_ZIP_INCOMPLETE, names=", ".join(lacking[:5]) + (" …" if len(lacking) > 5 else ""))
            ok = False
    numbers = _numbers_in((msg["subject"] or "") + "\n" + body_text(msg))
    count, total = len(ev.data["orders"]), ev.data["total"]
    missing = [text for value, text in ((count, str(count)), (total, company.yen(total))) if value not in numbers]
    if missing:
        check.fail(REPORT_NUMBERS, missing=", ".join(missing), count=count, total=company.yen(total))
        ok = False
    if ok:
        check.ok(Q12_OK, to=ev.data["report_to"], count=count, total=company.yen(total), files=len(ev.data["receipts"]))


HINTS = {
    "q1": [M_("rpa.q1.hint1", "Ask of each task: are the rules always the same, does it repeat often, is the input always structured the same way?"),
           M_("rpa.q1.hint2", "Four tasks fit. Judgement, handwriting and a process that keeps changing do not.")],
    "q2": [M_("rpa.q2.hint1", "Think of doing one order by hand: what must be open before you can type, and what can only happen after you press Send?"),
           M_("rpa.q2.hint2", "Signing in happens once; the order form, typing, preview, sending and saving the receipt repeat for every row.")],
    "q3": [M_("rpa.q3.hint1", "Start with minutes a day: 40 orders × 3 minutes, minus the 15 minutes of checking."),
           M_("rpa.q3.hint2", "hours_saved_per_month = (40 * 3 - 15) * 20 / 60")],
    "q4": [M_("rpa.q4.hint1", "Run your robot yourself (run_robot(\"robot_files.py\")) and open the sorted folder: are the names like 2024-08-06_C-012_INV-11108.pdf?"),
           M_("rpa.q4.hint2", "Wrap the reading of each file in try/except; in the except branch add the file name to the unreadable list and continue with the next file.")],
    "q5": [M_("rpa.q5.hint1", "Print pdf_text(path) for one invoice to see the lines your regular expressions must find."),
           M_("rpa.q5.hint2", "Write the rows with csv.DictWriter(f, fieldnames=[\"invoice_no\", \"date\", \"customer\", \"total\", \"file\"]).")],
    "q6": [M_("rpa.q6.hint1", "Clean one column at a time and print the table after each step."),
           M_("rpa.q6.hint2", "unicodedata.normalize(\"NFKC\", text) turns １２ into 12; then remove 個 and check that what is left is a number above 0.")],
    "q7": [M_("rpa.q7.hint1", "groupby(\"product_code\") with sum gives one row per product; add the Total row yourself."),
           M_("rpa.q7.hint2", "Open the saved file with openpyxl, set Font(bold=True) on row 1 and number_format = '¥#,##0' on the amount cells, then save again.")],
    "q8": [M_("rpa.q8.hint1", "On your own computer, watch the robot work: run_robot(\"robot_orders.py\", visible=True). On a class server, add page.screenshot(path=\"step.png\") where you want to see the page."),
           M_("rpa.q8.hint2", "After clicking Send, wait for either the receipt or the busy message; if there is no receipt, go round the loop again.")],
    "q9": [M_("rpa.q9.hint1", "Take the screenshot on the preview page, and the PDF on the receipt page."),
           M_("rpa.q9.hint2", "Make the ZIP after the loop: zipfile.ZipFile(\"output/receipts.zip\", \"w\") and z.write(...) for each file.")],
    "q10": [M_("rpa.q10.hint1", "Run your robot twice in a row. The second run should only say \"already done\" for every order."),
            M_("rpa.q10.hint2", "Before filling the form, open /orders?ref=<order number>; if a row with that number is there, log it and skip the order.")],
    "q11": [M_("rpa.q11.hint1", "The column names of challenge.xlsx are the fields' name attributes: page.fill(f'[name=\"{{column}}\"]', value)."),
            M_("rpa.q11.hint2", "Read the sheet with dtype=str so that phone numbers keep their leading 0.")],
    "q12": [M_("rpa.q12.hint1", "Everything the report needs comes from the exported Excel file and from config: nothing is typed into the robot."),
            M_("rpa.q12.hint2", "Put the number of orders and the total (for example ¥12,345) in the body, and attach the ZIP with add_attachment.")],
}
