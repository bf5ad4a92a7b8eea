"""The office lab: its data is what the generator makes, the data file is really cp932, the era arithmetic, the
checks' diagnoses (without a kernel), the nbgrader release (no solutions, no hidden dates), and a small class graded
by `graders grade` (kernel evidence crossing from the kernel, report files judged by the grader's checker)."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import graders.lab  # noqa: F401  (registers the core messages)
from graders.build import build_course
from graders.lab import Lab
from graders.labdef import load_course, load_lab
from labs.office.solutions import make_data

LAB = "office"
DATA = make_data.DATA / "signup.csv"


def _ids(verdict, ok=False):
    return verdict.message_ids(ok=ok)


@pytest.fixture(scope="module")
def lab():
    return Lab(LAB, "en")


# --- the data ---------------------------------------------------------------------------------------------------------

def test_committed_data_gold_and_hidden_are_what_the_generator_makes():
    assert make_data.main(["--check"]) == 0


def test_the_sheet_is_cp932_as_japanese_excel_saves_it():
    raw = DATA.read_bytes()
    assert b"\r\n" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    with pytest.raises(UnicodeDecodeError):  # 髙 exists in cp932 (Windows) only
        raw.decode("shift_jis")
    text = raw.decode("cp932")
    assert text.startswith("氏名,フリガナ,郵便番号,電話番号,申込日,参加人数,区分")
    for mess in ("ｼﾆｱ", "令和４年", "令和4年", "２０２２年", "名", "\u3000", "髙橋"):
        assert mess in text, mess


def test_read_naively_the_leading_zeros_are_lost_and_with_dtype_str_they_stay():
    naive = pd.read_csv(DATA, encoding="cp932")
    assert pd.api.types.is_integer_dtype(naive["郵便番号"]) and pd.api.types.is_integer_dtype(naive["電話番号"])
    kept = pd.read_csv(DATA, encoding="cp932", dtype=str)
    assert kept["郵便番号"].str.startswith("0").sum() >= 8
    assert kept["電話番号"].str.startswith("0").all()


@pytest.mark.parametrize("text, expected", [
    ("2022年6月16日", dt.date(2022, 6, 16)), ("令和4年6月16日", dt.date(2022, 6, 16)),
    ("令和４年６月１６日", dt.date(2022, 6, 16)), ("令和元年5月1日", dt.date(2019, 5, 1)),
    ("平成31年4月30日", dt.date(2019, 4, 30)), ("平成元年1月8日", dt.date(1989, 1, 8)),
    ("昭和64年1月7日", dt.date(1989, 1, 7)), (" 令和 7 年 1 月 6 日 ", dt.date(2025, 1, 6)),
])
def test_reference_era_conversion(text, expected):
    assert make_data.parse_date(text) == expected


@pytest.mark.parametrize("day, text", [
    (dt.date(2019, 4, 30), "平成31年4月30日"), (dt.date(2019, 5, 1), "令和元年5月1日"),
    (dt.date(2022, 6, 8), "令和4年6月8日"), (dt.date(1989, 1, 8), "平成元年1月8日"),
])
def test_era_writing_round_trips(day, text):
    assert make_data.to_era(day) == text
    assert make_data.parse_date(text) == day


def test_full_width_and_half_width_kana_helpers():
    assert make_data.full_width("2022 Olena") == "２０２２\u3000Ｏｌｅｎａ"
    assert make_data.half_width_kana("ヴィクトル シニア") == "ｳﾞｨｸﾄﾙ ｼﾆｱ"


def test_gold_pivot_adds_up_the_people_not_the_rows():
    pivot = make_data.gold_pivot()
    assert pivot["people"] == sum(r["参加人数"] for r in make_data.gold_clean()) == 36
    assert sum(sum(v.values()) for v in pivot["rows_counted"].values()) == len(make_data.PEOPLE)


# --- the checks' diagnoses, in this process ----------------------------------------------------------------------------

def _parse(offsets: dict, gannen: bool = True):
    import re
    import unicodedata

    def parse_date(text):
        text = unicodedata.normalize("NFKC", text).strip()
        if gannen:
            text = text.replace("元年", "1年")
        era, year, month, day = re.fullmatch(r"(令和|平成)?(\d+)年(\d+)月(\d+)日", text).groups()
        year = int(year) + offsets.get(era, 0)
        return dt.date(year, int(month), int(day))
    return parse_date


@pytest.mark.parametrize("offsets, gannen, wanted", [
    ({"令和": 2018, "平成": 1988}, True, None),
    ({"令和": 2019, "平成": 1989}, True, "office.q2.era_off_by_one"),
    ({}, True, "office.q2.era_ignored"),
    ({"令和": 2018, "平成": 1988}, False, "office.q2.gannen"),
    ({"令和": 2018, "平成": 2018}, True, "office.q2.other_era"),
])
def test_q2_names_the_era_mistake(lab, offsets, gannen, wanted):
    verdict = lab.evaluate("q2", {"parse_date": _parse(offsets, gannen)}, hidden=json.loads(
        (make_data.HIDDEN / "q2.json").read_text(encoding="utf-8")))
    if wanted is None:
        assert verdict.passed, verdict.to_json()
    else:
        assert wanted in _ids(verdict), verdict.to_json()


def test_q2_a_hang_is_stopped_and_reported(lab):
    def parse_date(text):
        while True:
            pass
    verdict = lab.evaluate("q2", {"parse_date": parse_date})
    assert _ids(verdict) == ["core.too_slow"]


def _report(path: Path, *, formula=True, styled=True, chart=True, header_row=1):
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font, PatternFill

    pivot = make_data.gold_pivot()
    wb = Workbook()
    ws = wb.active
    ws.append(["申込日"] + pivot["categories"])
    for date in pivot["dates"]:
        ws.append([dt.date.fromisoformat(date)] + [pivot["values"][date][c] for c in pivot["categories"]])
    last = ws.max_row
    if formula:
        ws.append(["合計"] + [f"=SUM({c}2:{c}{last})" for c in "BCD"])
    else:
        ws.append(["合計"] + [pivot["totals"][c] for c in pivot["categories"]])
    if styled:
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        ws.column_dimensions["A"].width = 14
    if chart:
        bar = BarChart()
        bar.add_data(Reference(ws, min_col=2, max_col=4, min_row=1, max_row=last), titles_from_data=True)
        ws.add_chart(bar, "F2")
    wb.save(path)


@pytest.mark.parametrize("kwargs, q6, q7", [
    ({}, None, None),
    ({"formula": False}, "office.q6.typed_total", None),
    ({"styled": False}, None, "office.q7.header_bold"),
    ({"chart": False}, None, "office.q7.no_chart"),
])
def test_report_checks_read_the_file(lab, tmp_path, kwargs, q6, q7):
    _report(tmp_path / "report.xlsx", **kwargs)
    for question, wanted in (("q6", q6), ("q7", q7)):
        verdict = lab.evaluate(question, {}, context={"workdir": tmp_path})
        if wanted is None:
            assert verdict.passed, verdict.to_json()
        else:
            assert wanted in _ids(verdict), verdict.to_json()


def test_report_checks_ignore_the_kernel(lab, tmp_path):
    """q5-q7 are outside evidence: a kernel variable claiming a report changes nothing."""
    assert load_lab(LAB).checks.questions.evidence == {
        "q1": "kernel", "q2": "kernel", "q3": "kernel", "q4": "kernel",
        "q5": "outside", "q6": "outside", "q7": "outside"}
    verdict = lab.evaluate("q6", {"report": "report.xlsx"}, context={"workdir": tmp_path})
    assert _ids(verdict) == ["office.report.no_file"]
    (tmp_path / "report.xlsx").write_text("not a workbook", encoding="utf-8")
    assert _ids(lab.evaluate("q6", {}, context={"workdir": tmp_path})) == ["office.report.not_excel"]
    (tmp_path / "chart.png").write_bytes(b"\x89PNG not really")
    assert _ids(lab.evaluate("q5", {}, context={"workdir": tmp_path})) == ["office.q5.not_png"]


# --- the nbgrader release and a graded class ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A course of this lab alone (the lab is not in digital-skills-day yet)."""
    folder = tmp_path_factory.mktemp("office-course")
    (folder / "course.toml").write_text('id = "office-test"\nlabs = ["office"]\n'
                                        '[title]\nen = "Office"\nuk = "Офіс"\nja = "オフィス"\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def built(course, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("office-build")
    build_course(load_course(course), root, "all", [LAB])
    return root


@pytest.mark.slow
def test_release_has_no_solutions_and_no_hidden_data(built):
    release = built / "release" / LAB
    assert sorted(p.name for p in release.iterdir()) == ["office.ipynb", "signup.csv"]
    text = (release / "office.ipynb").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text
    nb = nbformat.read(release / "office.ipynb", as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for answer in ("def parse_date", "ERA_START", "pivot_table(", "savefig(", "=SUM(", "add_chart(", 'encoding="cp932"',
                   "Font(bold=True)"):
        assert answer not in code, answer
    stubs = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(stubs) == 7 and all("# Write your code here" in c.source for c in stubs)
    for text_date, _ in json.loads((make_data.HIDDEN / "q2.json").read_text(encoding="utf-8"))["cases"]:
        assert text_date not in text
    for row in json.loads((make_data.HIDDEN / "q3.json").read_text(encoding="utf-8"))["clean"]:
        assert row["氏名"] not in text and row["電話番号"] not in text
    source = (built / "source" / LAB / "office.ipynb").read_text(encoding="utf-8")
    assert "平成元年1月8日" in source and "Bohdan Hrytsenko" in source  # hidden data: the master copy only
    assert (release / "signup.csv").read_bytes() == DATA.read_bytes()
    langs = {c.metadata.get("graders", {}).get("lang") for c in nb.cells if c.cell_type == "markdown"}
    assert langs == {"en", "uk", "ja"}


def _cleaner(dates: str = "datetime64", counts: bool = True, postal_as_int: bool = False):
    """A learner's clean(table), right or with one of the typical mistakes."""
    import unicodedata

    def clean(table: pd.DataFrame) -> pd.DataFrame:
        table = table.copy()
        for column in table.columns:
            table[column] = table[column].map(lambda text: unicodedata.normalize("NFKC", text).strip())
        parsed = table["申込日"].map(make_data.parse_date)
        table["申込日"] = {"datetime64": pd.to_datetime(parsed), "objects": parsed,
                         "text": parsed.map(lambda d: d.isoformat()), "raw": table["申込日"]}[dates]
        if counts:
            table["参加人数"] = table["参加人数"].str.replace("名", "").astype(int)
        table["郵便番号"] = (table["郵便番号"].astype(int) if postal_as_int
                          else table["郵便番号"].str[:3] + "-" + table["郵便番号"].str[3:])
        return table
    return clean


def _signups(**kwargs) -> pd.DataFrame:
    return _cleaner(**kwargs)(pd.read_csv(DATA, encoding="cp932", dtype=str))


HIDDEN_Q3 = json.loads((make_data.HIDDEN / "q3.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("kwargs, wanted", [
    ({}, "office.q3.ok"), ({"dates": "objects"}, "office.q3.ok"), ({"dates": "text"}, "office.q3.dates_text"),
    ({"dates": "raw"}, "office.q3.dates_text"), ({"counts": False}, "office.q3.counts_text"),
    ({"postal_as_int": True}, "office.q3.zeros_lost"),
])
def test_q3_gives_the_same_verdict_in_the_learners_kernel_and_in_the_grader(lab, kwargs, wanted):
    """While grading, clean() runs in the kernel: the sheet crosses to it and the table it gives back crosses to the
    grader as JSON (graders.grade.evidence). Dates, ints and leading zeros must mean the same there (a column of
    datetime.date objects arrives as ISO text)."""
    from graders.grade.evidence import _encode, decode

    clean = _cleaner(**kwargs)

    def crossed(table):
        return decode(_encode(clean(decode(_encode(table)))))

    here = lab.evaluate("q3", {"clean": clean}, hidden=HIDDEN_Q3)
    there = lab.evaluate("q3", {"clean": crossed}, hidden=HIDDEN_Q3)
    assert here.message_ids() == there.message_ids()
    assert wanted in here.message_ids(), here.to_json()
    if wanted == "office.q3.ok":
        assert here.passed and "office.q3.ok_hidden" in here.message_ids()
        table = _signups(**kwargs)
        by_day = table.pivot_table(index="申込日", columns="区分", values="参加人数", aggfunc="sum", fill_value=0)
        assert lab.evaluate("q4", {"by_day": by_day}).passed
        assert lab.evaluate("q4", {"by_day": decode(_encode(by_day))}).passed


def test_q3_hidden_sheet_catches_a_clean_that_ignores_its_argument(lab):
    practice = _signups()
    raw = pd.read_csv(DATA, encoding="cp932", dtype=str)   # what the notebook read; clean() cleans it, not table
    verdict = lab.evaluate("q3", {"clean": lambda table: practice.copy(), "raw": raw}, hidden=HIDDEN_Q3)
    assert "office.q3.ignores_table" in verdict.message_ids(ok=False)
    assert "office.q3.ok" in verdict.message_ids(ok=True)   # the practice sheet itself is right


def test_other_right_answers_pass(lab, tmp_path):
    """Right answers written another way: margins in the pivot, dates typed as text in the report, a groupby."""
    table = _signups()
    with_margins = table.pivot_table(index="申込日", columns="区分", values="参加人数", aggfunc="sum", fill_value=0,
                                     margins=True)
    assert lab.evaluate("q4", {"by_day": with_margins}).passed
    grouped = table.groupby(["申込日", "区分"])["参加人数"].sum().unstack(fill_value=0)
    assert lab.evaluate("q4", {"by_day": grouped}).passed
    from openpyxl import Workbook

    pivot = make_data.gold_pivot()
    for style in ("{y}年{m}月{d}日", "{y}/{m:02d}/{d:02d}"):
        wb = Workbook()
        ws = wb.active
        ws.append(["申込日"] + pivot["categories"])
        for date in pivot["dates"]:
            day = dt.date.fromisoformat(date)
            ws.append([style.format(y=day.year, m=day.month, d=day.day)]
                      + [pivot["values"][date][c] for c in pivot["categories"]])
        ws.append(["Total", "=sum(b2:b6)", "=SUM(C$2:C$6)", "=SUM(D2:D6)"])
        wb.save(tmp_path / "report.xlsx")
        verdict = lab.evaluate("q6", {}, context={"workdir": tmp_path})
        assert verdict.passed, verdict.to_json()


def test_the_grading_sheet_is_another_sheet_and_the_checks_know_it():
    """hidden/signup.csv (the sheet a graded notebook reads) has other people and days than the practice sheet; the
    checks recognise it by its SHA-256 only (its truth is in hidden/, which learners never get)."""
    import hashlib

    from labs.office import checks

    graded = (make_data.HIDDEN / "signup.csv").read_bytes()
    assert checks.GRADED_SHEET_SHA256 == hashlib.sha256(graded).hexdigest()
    practice = pd.read_csv(DATA, encoding="cp932", dtype=str)
    other = pd.read_csv(make_data.HIDDEN / "signup.csv", encoding="cp932", dtype=str)
    assert list(other.columns) == list(practice.columns)
    assert not set(other["氏名"]) & set(practice["氏名"]) and len(other) != len(practice)
    assert any("髙" in name for name in other["氏名"])   # shift_jis fails on it too
    hidden = {q: json.loads((make_data.HIDDEN / f"{q}.json").read_text(encoding="utf-8")) for q in
              ("q1", "q4", "q5", "q6", "q7")}
    assert all(h["sheet"] == checks.GRADED_SHEET_SHA256 for h in hidden.values())
    assert hidden["q4"]["pivot"]["dates"] != make_data.gold_pivot()["dates"]


@pytest.mark.parametrize("sheet, hidden, wanted", [
    ("practice", False, "office.q1.ok"),
    ("graded", False, "office.sheet.graded_later"),
    ("graded", True, "office.q1.ok"),
    ("practice", True, "office.sheet.changed"),   # the grading call on the practice sheet: nothing to earn
    ("edited", False, "office.sheet.changed"),
])
def test_q1_is_judged_on_the_sheet_in_the_folder(lab, tmp_path, sheet, hidden, wanted):
    import shutil

    source = {"practice": DATA, "graded": make_data.HIDDEN / "signup.csv", "edited": DATA}[sheet]
    shutil.copyfile(source, tmp_path / "signup.csv")
    if sheet == "edited":
        with open(tmp_path / "signup.csv", "ab") as f:
            f.write(b"\r\n")
    raw = pd.read_csv(tmp_path / "signup.csv", encoding="cp932", dtype=str)
    data = json.loads((make_data.HIDDEN / "q1.json").read_text(encoding="utf-8")) if hidden else None
    verdict = lab.evaluate("q1", {"raw": raw}, hidden=data, context={"workdir": tmp_path})
    assert wanted in verdict.message_ids(), verdict.to_json()
    assert verdict.passed == (wanted != "office.sheet.changed")


@pytest.mark.slow
def test_self_study_on_the_practice_sheet_passes_every_check(tmp_path):
    """A learner's own copy: the practice sheet, no hidden blocks (test_labs runs the graded form: the grading sheet
    in the folder, with the hidden blocks)."""
    from graders.testing import execute, learner_notebook, prepare_dir, results

    lab = load_lab("office")
    nb = learner_notebook(lab, "office", "en", with_hidden=False)
    executed = execute(nb, prepare_dir(lab, tmp_path / "office", graded=False))
    got = results(executed)
    assert sorted(got) == [q.id for q in lab.questions_in("office")]
    for question, result in got.items():
        ids = [p["id"] for v in result.verdicts for p in v["parts"]]
        assert ids and all(p["ok"] for v in result.verdicts for p in v["parts"]), (question, result)
        assert "office.sheet.graded_later" not in ids
