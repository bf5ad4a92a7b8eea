"""The spreadsheet lab's check engine (issue 18): the learner's saved workbook is read with openpyxl (formulas) and
recomputed by LibreOffice headless, on today's data and, when graded, on the lab's hidden data (same cells, other
rows). .xlsx and .ods are accepted; it works with no network and a private HOME, as in the grading sandbox.
(tests/test_labs.py runs the notebook's reference and variants; tests/test_grade_class.py grades a class.)"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from graders import spreadsheet
from graders.checks import Check
from graders.labdef import load_lab

pytestmark = [pytest.mark.skipif(not spreadsheet.available(), reason="LibreOffice (apt.txt) is not installed")]
HERE = Path(__file__).resolve().parents[1] / "labs" / "sheets"
HIDDEN = json.loads((HERE / "hidden" / "q3.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def lab():
    from labs.sheets import checks, workbook

    load_lab("sheets").checks
    return checks, workbook


def reference(path: Path, summary_b1: object = "=SUM(Sales!E2:E13)") -> Path:
    """The kiosk workbook with the reference formulas (as the notebook's reference answers write them)."""
    from openpyxl import load_workbook

    from labs.sheets.workbook import make

    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    wb = load_workbook(path)
    sales, summary = wb["Sales"], wb["Summary"]
    for r in range(2, 14):
        sales[f"D{r}"] = f"=VLOOKUP(B{r},Prices!$A$2:$C$8,3,FALSE)"
        sales[f"E{r}"] = f"=C{r}*D{r}"
        sales[f"F{r}"] = f"=E{r}*$H$1"
    summary["B1"] = summary_b1
    summary["B2"] = '=COUNTIF(Sales!C2:C13,">=5")'
    summary["B3"] = '=SUMIFS(Sales!E2:E13,Sales!B2:B13,"C01")'
    summary["B4"] = '=IF(B1>=15000,"yes","no")'
    wb.save(path)
    return path


def verdict(checks, question: str, folder: Path, hidden=None) -> list[tuple[bool, str, dict]]:
    check = Check({}, hidden=hidden, context={"workdir": str(folder)})
    try:
        getattr(checks, question)(check)
    except Exception as exc:   # StopCheck ends a check early; its parts are recorded
        if type(exc).__name__ != "StopCheck":
            raise
    return [(p.ok, p.message.id, p.params) for p in check.parts]


def test_libreoffice_computes_what_the_lab_expects(lab, tmp_path):
    """The lab's expected values (Python) are what LibreOffice computes from the reference formulas, on today's data
    and on the hidden data: the two sources of truth agree."""
    checks, workbook = lab
    path = reference(tmp_path / "kiosk.xlsx")
    for data in (workbook.practice_data(), HIDDEN):
        got = spreadsheet.recompute(path, workbook.as_cells(data))
        for ref, want in workbook.expected(data).items():
            sheet, cell = ref.split("!")
            value = got[sheet][cell]
            assert (value == want if isinstance(want, str) else abs(value - want) < 0.005), (ref, value, want)
    # the hidden data differs where it matters: another total, and the target check flips
    today, other = workbook.expected(workbook.practice_data()), workbook.expected(HIDDEN)
    assert today["Summary!B1"] != other["Summary!B1"] and today["Summary!B4"] != other["Summary!B4"]


def test_a_total_that_fits_only_todays_rows_fails_on_the_hidden_data(lab, tmp_path):
    """=SUM(15770) uses SUM and shows the right total today: only the recomputation on other rows catches it."""
    checks, _ = lab
    reference(tmp_path / "kiosk.xlsx", summary_b1="=SUM(15770)")
    assert verdict(checks, "q3", tmp_path) == [(True, "sheets.q3.ok", {})]
    parts = verdict(checks, "q3", tmp_path, hidden=HIDDEN)
    assert parts[-1][:2] == (False, "sheets.hidden_value"), parts
    assert parts[-1][2]["cell"] == "Summary!B1" and parts[-1][2]["expected"] == "14800"


def test_a_typed_in_total_has_its_own_message(lab, tmp_path):
    checks, _ = lab
    reference(tmp_path / "kiosk.xlsx", summary_b1=15770)
    parts = verdict(checks, "q3", tmp_path, hidden=HIDDEN)
    assert parts == [(False, "sheets.typed", {"cell": "Summary!B1", "value": "15770"})]


def add_pivot(path: Path, last: int = 13, subtotal: str = "sum", row_field: str = "Code", hide: tuple = ()) -> Path:
    """A pivot table on a sheet of its own, as the notebook's reference answer for q4 writes it (with one change)."""
    from openpyxl import load_workbook
    from openpyxl.pivot.cache import CacheDefinition, CacheField, CacheSource, SharedItems, WorksheetSource
    from openpyxl.pivot.fields import Text
    from openpyxl.pivot.table import DataField, FieldItem, Location, PivotField, RowColField, TableDefinition

    wb = load_workbook(path)
    sales = wb["Sales"]
    names = [cell.value for cell in sales[1][:6]]
    codes = sorted({sales[f"B{row}"].value for row in range(2, 14)})
    code_items = SharedItems(_fields=[Text(v=code) for code in codes], count=len(codes))
    cache = CacheDefinition(
        refreshOnLoad=True,
        cacheSource=CacheSource(type="worksheet", worksheetSource=WorksheetSource(ref=f"A1:F{last}", sheet="Sales")),
        cacheFields=[CacheField(name=n, sharedItems=code_items if n == "Code" else SharedItems()) for n in names])
    rows = PivotField(axis="axisRow", showAll=False, items=[FieldItem(x=i, h=(codes[i] in hide) or None)
                                                            for i in range(len(codes))] + [FieldItem(t="default")])
    pivot = TableDefinition(
        name="Sales by code", cacheId=1, dataCaption="Values",
        location=Location(ref="A1:B9", firstHeaderRow=1, firstDataRow=1, firstDataCol=1),
        pivotFields=[rows if n == row_field else PivotField(dataField=(n == "Amount") or None, showAll=False)
                     for n in names],
        rowFields=[RowColField(x=names.index(row_field))],
        dataFields=[DataField(name="Sum - Amount", fld=names.index("Amount"), subtotal=subtotal)])
    pivot.cache = cache
    wb.create_sheet("Pivot").add_pivot(pivot)
    wb.save(path)
    return path


def test_the_pivot_table_is_judged_by_its_definition_and_by_what_libreoffice_computes(lab, tmp_path):
    """q4: the reference pivot passes on today's and the hidden data (LibreOffice rebuilds the pivot's rows from the
    source on load, so the hidden sales show up in it); a short source, a Count, a pivot by date, a hidden code and a
    hand-made SUMIF table each get their own message."""
    checks, _ = lab
    cases = {"ok": {}, "short": {"last": 10}, "count": {"subtotal": "count"}, "by_date": {"row_field": "Date"},
             "hidden_code": {"hide": ("S01",)}}
    for name, change in cases.items():
        add_pivot(reference(tmp_path / name / "kiosk.xlsx"), **change)
    assert verdict(checks, "q4", tmp_path / "ok", hidden=HIDDEN) == [(True, "sheets.q4.ok", {})]
    assert verdict(checks, "q4", tmp_path / "short") == [
        (False, "sheets.q4.range_short", {"source": "Sales!A1:F10", "row": 10, "last": 13})]
    assert verdict(checks, "q4", tmp_path / "count") == [(False, "sheets.q4.not_sum", {"function": "count"})]
    assert verdict(checks, "q4", tmp_path / "by_date") == [(False, "sheets.q4.rows", {"fields": "Date"})]
    assert verdict(checks, "q4", tmp_path / "hidden_code") == [
        (False, "sheets.q4.missing_category", {"category": "S01"})]
    reference(tmp_path / "none" / "kiosk.xlsx")
    assert verdict(checks, "q4", tmp_path / "none") == [(False, "sheets.q4.no_pivot", {})]


def test_a_pivot_row_missing_from_what_libreoffice_computes_is_named(lab, tmp_path, monkeypatch):
    """The rows LibreOffice computes are compared with every code sold, today and on the hidden data: a code the
    pivot table does not show is named even when its definition looks complete (here: a code only the hidden data
    sells, as if a filter dropped it)."""
    checks, workbook = lab
    add_pivot(reference(tmp_path / "kiosk.xlsx"))
    real = workbook.expected_pivot

    def with_extra(data):   # one more code that the pivot table cannot show
        return {**real(data), "X99": 100} if data is HIDDEN else real(data)

    monkeypatch.setattr(workbook, "expected_pivot", with_extra)
    parts = verdict(checks, "q4", tmp_path, hidden=HIDDEN)
    assert parts[-1] == (False, "sheets.q4.missing_category", {"category": "X99"}), parts


def clean_form(path: Path, clean: str = "=LOWER(TRIM(B{r}))", latest: str = "=IF(COUNTIF(F{r}:F$13,F{r})=1,1,0)",
               report: str = "=SUMIFS(Form!$E$2:$E$13,Form!$D$2:$D$13,A{r},Form!$G$2:$G$13,1)") -> Path:
    """The form's answers cleaned and the report (q5), as the notebook's reference answer writes them."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for r in range(2, 14):
        wb["Form"][f"F{r}"], wb["Form"][f"G{r}"] = clean.format(r=r), latest.format(r=r)
    for r in range(2, 5):
        wb["Report"][f"B{r}"] = report.format(r=r)
    wb.save(path)
    return path


def test_the_form_answers_are_cleaned_and_counted_once_per_person(lab, tmp_path):
    """q5: LibreOffice computes what workbook.expected_form says on today's and the hidden answers; spaces, capitals,
    a "latest answer" counted over the whole column, a report that counts corrected answers too, and a mark that fits
    today's rows only each get their own message."""
    checks, workbook = lab
    hidden = json.loads((HERE / "hidden" / "q5.json").read_text(encoding="utf-8"))
    today, other = workbook.expected_form(workbook.practice_data()), workbook.expected_form(hidden)
    assert today["Report!B2"] != other["Report!B2"]
    cases = {"ok": {}, "spaces": {"clean": "=LOWER(B{r})"}, "capitals": {"clean": "=TRIM(B{r})"},
             "whole": {"latest": "=IF(COUNTIF(F$2:F$13,F{r})=1,1,0)"},
             "repeats": {"report": "=SUMIF(Form!$D$2:$D$13,A{r},Form!$E$2:$E$13)"},
             "as_true_false": {"latest": "=COUNTIF(F{r}:F$13,F{r})=1"},
             "today_only": {"latest": "=IF(ROW()>4,1,0)"}}
    for name, change in cases.items():
        clean_form(reference(tmp_path / name / "kiosk.xlsx"), **change)
    assert verdict(checks, "q5", tmp_path / "ok", hidden=hidden) == [(True, "sheets.q5.ok", {})]
    assert verdict(checks, "q5", tmp_path / "as_true_false", hidden=hidden) == [(True, "sheets.q5.ok", {})]
    assert verdict(checks, "q5", tmp_path / "spaces")[0][:2] == (False, "sheets.q5.spaces")
    assert verdict(checks, "q5", tmp_path / "capitals")[0] == (
        False, "sheets.q5.case", {"cell": "Form!F3", "got": "Olena.K@example.com"})
    assert verdict(checks, "q5", tmp_path / "whole")[0] == (
        False, "sheets.q5.latest", {"cell": "Form!G7", "got": "0", "expected": 1, "email": "olena.k@example.com",
                                    "times": 2})
    assert verdict(checks, "q5", tmp_path / "repeats")[0] == (
        False, "sheets.q5.repeats", {"cell": "Report!B2", "got": "8", "expected": 6})
    parts = verdict(checks, "q5", tmp_path / "today_only", hidden=hidden)
    assert verdict(checks, "q5", tmp_path / "today_only") == [(True, "sheets.q5.ok", {})]   # right for today's rows
    assert parts[-1][:2] == (False, "sheets.q5.latest") and parts[-1][2]["cell"] == "Form!G4", parts
    reference(tmp_path / "empty" / "kiosk.xlsx")
    assert verdict(checks, "q5", tmp_path / "empty") == [(False, "sheets.empty_cell", {"cell": "Form!F2"})]


def due_dates(path: Path, due: str = "=EOMONTH(C{r},1)", left: str = "=E{r}-$H$1",
              number_format: str = '[$-411]ggge"年"m"月"d"日"') -> Path:
    """Payment dates and days left (q6), as the notebook's reference answer writes them."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for r in range(2, 8):
        wb["Invoices"][f"E{r}"], wb["Invoices"][f"F{r}"] = due.format(r=r), left.format(r=r)
        wb["Invoices"][f"E{r}"].number_format = number_format
    wb.save(path)
    return path


def test_japanese_era_dates_and_days_to_payment(lab, tmp_path):
    """q6: EOMONTH and date subtraction as LibreOffice computes them equal workbook.expected_dates (today, and on the
    hidden dates with a leap-year February); +30 days, a moving report-date reference and a format without the era
    (the era survives Calc's .xlsx round trip as [$-1030411]ggge...) each get their own message."""
    checks, workbook = lab
    hidden = json.loads((HERE / "hidden" / "q6.json").read_text(encoding="utf-8"))
    assert "Invoices!E5" in workbook.expected_dates(hidden)
    assert workbook.expected_dates(hidden)["Invoices!E5"] == workbook.serial(__import__("datetime").date(2028, 2, 29))
    cases = {"ok": {}, "plus30": {"due": "=C{r}+30"}, "moves": {"left": "=E{r}-H{r}"},
             "iso": {"number_format": "yyyy-mm-dd"}}
    for name, change in cases.items():
        due_dates(reference(tmp_path / name / "kiosk.xlsx"), **change)
    assert verdict(checks, "q6", tmp_path / "ok", hidden=hidden) == [(True, "sheets.q6.ok", {})]
    assert verdict(checks, "q6", tmp_path / "plus30") == [
        (False, "sheets.q6.not_eomonth", {"cell": "Invoices!E2", "got": "2026-06-11", "expected": "2026-06-30"})]
    assert verdict(checks, "q6", tmp_path / "moves")[0][:2] == (False, "sheets.q6.date_moves")
    assert verdict(checks, "q6", tmp_path / "iso") == [
        (False, "sheets.q6.not_era", {"cell": "Invoices!E2", "shown": "yyyy-mm-dd"})]
    assert not checks.shows_era('yyyy"年"m"月"d"日"') and not checks.shows_era("General")
    assert checks.shows_era("[$-1030411]ggge\\年m\\月d\\日") and checks.shows_era('[$-411]gge.m.d')


def test_an_ods_saved_by_calc_is_accepted_and_graded_the_same(lab, tmp_path):
    checks, _ = lab
    xlsx = due_dates(clean_form(add_pivot(reference(tmp_path / "made" / "kiosk.xlsx"))))
    ods = spreadsheet.convert(xlsx, "ods", tmp_path / "learner")
    assert ods.name == "kiosk.ods" and spreadsheet.looks_like_spreadsheet(ods)
    hidden = json.loads((HERE / "hidden" / "q6.json").read_text(encoding="utf-8"))
    for q in ("q1", "q2", "q3", "q4", "q5", "q6"):
        parts = verdict(checks, q, ods.parent, hidden=hidden)
        assert [p[:2] for p in parts] == [(True, f"sheets.{q}.ok")], parts


@pytest.mark.parametrize("content, message", [
    (b"", "sheets.file.empty"),
    (b"Date,Code,Qty\n2026-06-01,C01,3\n", "sheets.file.not_spreadsheet"),
    (b"PK\x03\x04 not really a zip", "sheets.file.not_spreadsheet"),
])
def test_a_broken_file_is_named(lab, tmp_path, content, message):
    checks, _ = lab
    (tmp_path / "kiosk.xlsx").write_bytes(content)
    assert verdict(checks, "q1", tmp_path)[0][:2] == (False, message)


def test_no_file_at_all(lab, tmp_path):
    checks, _ = lab
    assert verdict(checks, "q2", tmp_path) == [(False, "sheets.file.missing", {})]


@pytest.mark.skipif(not shutil.which("unshare"), reason="no unshare")
def test_recompute_works_without_network_and_with_a_private_home(tmp_path):
    """As in the grading sandbox: no network namespace but loopback, HOME and the cache in a fresh folder."""
    path = reference(tmp_path / "kiosk.xlsx", summary_b1="=SUM(15770)")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unshare -n is not permitted here")
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)
    code = textwrap.dedent(f"""
        import json, socket
        from graders import spreadsheet
        from labs.sheets import workbook
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=1)
            print("NETWORK")
        except OSError:
            pass
        data = json.loads({json.dumps(json.dumps(HIDDEN))})
        print(json.dumps(spreadsheet.recompute({str(path)!r}, workbook.as_cells(data))["Summary"]))
    """)
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "NETWORK" not in done.stdout
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    from labs.sheets.workbook import expected, practice_data

    assert summary["B1"] == 15770                                # the total that fits today's rows stays
    assert summary["B3"] == expected(HIDDEN)["Summary!B3"] != expected(practice_data())["Summary!B3"]
    assert (home / ".cache" / "digital-skills-labs" / "libreoffice" / "profile").is_dir()


def test_the_starting_workbook_has_data_and_empty_formula_cells(tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from labs.sheets.workbook import CODES, make_if_missing

    monkeypatch.chdir(tmp_path)
    path = make_if_missing("kiosk.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Sales", "Prices", "Summary", "Form", "Report", "Invoices"]
    assert [wb["Sales"][f"B{r}"].value for r in range(2, 14)] == CODES
    assert all(wb["Sales"][f"{c}{r}"].value is None for r in range(2, 14) for c in "DEF")
    assert wb["Summary"]["B1"].value is None
    assert wb["Form"]["B3"].value == " Olena.K@example.com" and wb["Form"]["F2"].value is None
    (tmp_path / "kiosk.xlsx").write_bytes(b"the learner's work")
    make_if_missing("kiosk.xlsx")                     # never replaces the learner's file
    assert (tmp_path / "kiosk.xlsx").read_bytes() == b"the learner's work"


def list_and_rule(path: Path, where: str = "B2:B13", source: str = "Prices!$A$2:$A$8", freeze: str | None = "A2",
                  rule_on: str | None = "E2:E13", operator: str = "greaterThan", threshold: str = "2000",
                  coloured: bool = True, by_hand: tuple = ()) -> Path:
    """The starting workbook with q7's drop-down list and frozen header and q8's conditional formatting, as the
    notebook's reference answers write them (each argument changes one thing)."""
    from openpyxl import load_workbook
    from openpyxl.formatting.rule import CellIsRule
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from labs.sheets.workbook import make

    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    wb = load_workbook(path)
    sales = wb["Sales"]
    if where:
        validation = DataValidation(type="list", formula1=source, allow_blank=True)
        validation.add(where)
        sales.add_data_validation(validation)
    sales.freeze_panes = freeze
    style = {"fill": PatternFill(bgColor="FFC7CE", fill_type="solid"), "font": Font(color="9C0006")} if coloured else {}
    if rule_on:
        sales.conditional_formatting.add(rule_on, CellIsRule(operator=operator, formula=[threshold], **style))
    for ref in by_hand:
        sales[ref].fill = PatternFill(fgColor="FFC7CE", fill_type="solid")
    wb.save(path)
    return path


FROZEN_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-settings xmlns:config="urn:oasis:names:tc:opendocument:xmlns:config:1.0"
 xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.3"><office:settings>
<config:config-item-set config:name="ooo:view-settings"><config:config-item-map-indexed config:name="Views">
<config:config-item-map-entry><config:config-item config:name="ViewId" config:type="string">view1</config:config-item>
<config:config-item-map-named config:name="Tables"><config:config-item-map-entry config:name="Sales">
<config:config-item config:name="HorizontalSplitMode" config:type="short">0</config:config-item>
<config:config-item config:name="VerticalSplitMode" config:type="short">2</config:config-item>
<config:config-item config:name="HorizontalSplitPosition" config:type="int">0</config:config-item>
<config:config-item config:name="VerticalSplitPosition" config:type="int">{rows}</config:config-item>
</config:config-item-map-entry></config:config-item-map-named></config:config-item-map-entry>
</config:config-item-map-indexed></config:config-item-set></office:settings></office:document-settings>"""


def with_settings(ods: Path, rows: int) -> Path:
    """The .ods with Calc's view settings for a frozen top (what Calc writes when saving; a headless conversion
    writes none): the other parts copied unchanged, mimetype first and stored."""
    import zipfile

    out = ods.with_name("frozen.ods")
    with zipfile.ZipFile(ods) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "settings.xml":
                data = FROZEN_SETTINGS.format(rows=rows).encode()
            dst.writestr(info, data)
    ods.unlink()
    return out.rename(ods)


def test_drop_down_list_and_frozen_header(lab, tmp_path):
    """q7 is structural (no recompute): the list validation's range and values (a cell range is read from the
    workbook, a typed list is split) and the Sales sheet's frozen rows each have their own message."""
    checks, _ = lab
    cases = {"ok": {}, "typed": {"source": '"C01,T03,S02,B04,C02,T01,S01"'},
             "range": {"where": "C2:C13"}, "short": {"source": "Prices!$A$2:$A$7"},
             "typed_short": {"source": '"C01,T03,S02,B04,C02,T01"'}, "other": {"source": '"C01,T03,S02,B04,C02,T01,S01,X99"'},
             "moves": {"source": "Prices!A2:A8"}, "no_freeze": {"freeze": None}, "row3": {"freeze": "A3"},
             "empty": {"where": None, "freeze": None}}
    got = {}
    for name, change in cases.items():
        list_and_rule(tmp_path / name / "kiosk.xlsx", **change)
        got[name] = verdict(checks, "q7", tmp_path / name)
    assert got["ok"] == got["typed"] == [(True, "sheets.q7.ok", {})]
    assert got["range"] == [(False, "sheets.q7.range", {"range": "Sales!C2:C13"})]
    assert got["short"][0][:2] == got["typed_short"][0][:2] == (False, "sheets.q7.missing")
    assert got["short"][0][2]["missing"] == "S01"
    assert got["other"] == [(False, "sheets.q7.other", {"values": "C01, T03, S02, B04, C02, T01, S01, X99", "other": "X99"})]
    assert got["moves"][0][:2] == (False, "sheets.q7.moves")
    assert got["no_freeze"] == [(False, "sheets.q7.not_frozen", {})]
    assert got["row3"] == [(False, "sheets.q7.frozen_row", {"row": 3})]
    assert got["empty"] == [(False, "sheets.q7.no_list", {})]


def test_conditional_formatting_rule(lab, tmp_path):
    checks, _ = lab
    cases = {"ok": {}, "range": {"rule_on": "D2:D13"}, "ge": {"operator": "greaterThanOrEqual"},
             "other": {"threshold": "1500"}, "plain": {"coloured": False},
             "by_hand": {"rule_on": None, "by_hand": ("E6", "E9")}, "empty": {"rule_on": None}}
    got = {}
    for name, change in cases.items():
        list_and_rule(tmp_path / name / "kiosk.xlsx", **change)
        got[name] = verdict(checks, "q8", tmp_path / name)
    assert got["ok"] == [(True, "sheets.q8.ok", {})]
    assert got["range"] == [(False, "sheets.q8.range", {"range": "Sales!D2:D13"})]
    assert got["ge"] == [(False, "sheets.q8.threshold", {"range": "Sales!E2:E13", "rule": ">= 2000"})]
    assert got["other"] == [(False, "sheets.q8.threshold", {"range": "Sales!E2:E13", "rule": "> 1500"})]
    assert got["plain"] == [(False, "sheets.q8.no_style", {"range": "Sales!E2:E13"})]
    assert got["by_hand"] == [(False, "sheets.q8.by_hand", {"cells": "Sales!E6, Sales!E9"})]
    assert got["empty"] == [(False, "sheets.q8.no_rule", {})]


def test_list_rule_and_freeze_survive_calc_formats(lab, tmp_path):
    """An .ods (converted by LibreOffice, which keeps the validation and the rule) is judged like the .xlsx; its
    frozen rows come from settings.xml, since a conversion to .xlsx drops them."""
    checks, _ = lab
    xlsx = list_and_rule(tmp_path / "made" / "kiosk.xlsx")
    ods = spreadsheet.convert(xlsx, "ods", tmp_path / "learner")
    assert verdict(checks, "q7", ods.parent) == [(False, "sheets.q7.not_frozen", {})]   # headless: no view settings
    with_settings(ods, 1)
    assert verdict(checks, "q7", ods.parent) == [(True, "sheets.q7.ok", {})]
    assert verdict(checks, "q8", ods.parent) == [(True, "sheets.q8.ok", {})]
    with_settings(ods, 3)
    assert verdict(checks, "q7", ods.parent) == [(False, "sheets.q7.frozen_row", {"row": 4})]


def with_chart(path: Path, kind: str = "BarChart", values: tuple = (1, 4), labels: tuple | None = (2, 4)) -> Path:
    """The workbook with a chart of the Report sheet (q9), as the notebook's reference answer draws it: values
    Report!B{values}, categories Report!A{labels} (None: no categories)."""
    import openpyxl.chart
    from openpyxl import load_workbook
    from openpyxl.chart import Reference

    wb = load_workbook(path)
    report = wb["Report"]
    chart = getattr(openpyxl.chart, kind)()
    chart.add_data(Reference(report, min_col=2, min_row=values[0], max_row=values[1]), titles_from_data=True)
    if labels:
        chart.set_categories(Reference(report, min_col=1, min_row=labels[0], max_row=labels[1]))
    report.add_chart(chart, "D2")
    wb.save(path)
    return path


def test_a_chart_is_read_from_the_file_type_values_and_categories(lab, tmp_path):
    """openpyxl drops charts on load: q9 reads xl/charts/chart*.xml (.xlsx) or the chart object's content.xml (.ods,
    here converted by LibreOffice, which keeps the chart)."""
    checks, workbook = lab
    cases = {"ok": {}, "line": {"kind": "LineChart"}, "pie": {"kind": "PieChart"}, "area": {"kind": "AreaChart"}, "short": {"values": (1, 3)},
             "no_labels": {"labels": None}, "labels_elsewhere": {"labels": (1, 3)}}
    got = {}
    for name, change in cases.items():
        path = tmp_path / name / "kiosk.xlsx"
        path.parent.mkdir()
        got[name] = verdict(checks, "q9", with_chart(workbook.make(path), **change).parent)
    assert got["ok"] == [(True, "sheets.q9.ok", {})]
    assert got["line"] == [(False, "sheets.q9.line", {})]
    assert got["pie"] == [(False, "sheets.q9.pie", {})]
    assert got["area"] == [(False, "sheets.q9.type", {"kind": "area"})]
    assert got["short"] == [(False, "sheets.q9.values", {"values": "Report!B2:B3"})]
    assert got["no_labels"] == [(False, "sheets.q9.labels", {"labels": "(none)"})]
    assert got["labels_elsewhere"] == [(False, "sheets.q9.labels", {"labels": "Report!A1:A3"})]
    (tmp_path / "none").mkdir()
    workbook.make(tmp_path / "none" / "kiosk.xlsx")
    assert verdict(checks, "q9", tmp_path / "none") == [(False, "sheets.q9.no_chart", {})]
    ods = spreadsheet.convert(tmp_path / "ok" / "kiosk.xlsx", "ods", tmp_path / "ods")
    assert verdict(checks, "q9", ods.parent) == [(True, "sheets.q9.ok", {})]
    ods = spreadsheet.convert(tmp_path / "short" / "kiosk.xlsx", "ods", tmp_path / "ods_short")
    assert verdict(checks, "q9", ods.parent) == [(False, "sheets.q9.values", {"values": "Report!B2:B3"})]
