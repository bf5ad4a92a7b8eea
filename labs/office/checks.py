"""Office-tools lab: a Japanese event sign-up sheet (cp932 CSV) read, cleaned, counted, charted and reported in Excel.

q1-q4 look at the learner's variables and functions (``raw``, ``parse_date``, ``clean``, ``by_day``); q5-q7 look
only at the files the notebook left in its folder (``chart.png``, ``report.xlsx``: ``evidence="outside"``), so the
grader recomputes them from the submission folder. The expected values are in ``gold/`` (made by
``solutions/make_data.py`` with the data file); the grading-only date cases of q2 and the second sheet that q3's
``clean`` must also clean are in ``hidden/``.

When graded, the notebook reads another sheet (``hidden/signup.csv``, which the build puts in the course's source
folder, so that nbgrader copies it over the learner's ``signup.csv``), and the hidden calls of q1 and q4-q7 judge the
answers against its truth (``hidden/q1.json`` ...): an answer copied from the practice sheet (or built from ``gold/``,
which the grading sandbox masks anyway: lab.toml ``[grading_only] when_graded``) earns nothing. The visible calls
then only say that the grading call decides (``_truth``).
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import unicodedata
from pathlib import Path

from graders.checks import MSG_RAISED, Check, Questions, StopCheck, kind_of_value
from graders.i18n import Domain

M_ = Domain.beside(__file__)
questions = Questions("office")
HERE = Path(__file__).resolve().parent

COLUMNS = ["氏名", "フリガナ", "郵便番号", "電話番号", "申込日", "参加人数", "区分"]
REPORT_FILE = "report.xlsx"
CHART_FILE = "chart.png"
# The first Western year of each era minus one: 令和 N年 = 2018 + N (令和元年 = 2019), 平成 N年 = 1988 + N.
ERA_ZERO = {"令和": 2018, "平成": 1988, "昭和": 1925}
TOTAL_LABELS = {"合計", "total", "разом", "всього", "計", "総計", "sum"}


@functools.cache
def gold(name: str):
    return json.loads((HERE / "gold" / f"{name}.json").read_text(encoding="utf-8"))


# The sheet a graded notebook reads (hidden/signup.csv, put over the learner's signup.csv by nbgrader): other people,
# other days. Its SHA-256 only tells the checks which sheet lies in the folder; its truth is in hidden/ (q1, q4-q7).
GRADED_SHEET_SHA256 = "c4b02252cb11adf5bfaf6ea0936b9692a85b4c64556207d843c9f58a5e4f5334"
SHEET_FILE = "signup.csv"

SHEET_GRADED_LATER = M_("office.sheet.graded_later", "signup.csv in this folder is the grading sheet, with other sign-ups than the practice sheet: the grading check right after this one judges your answer on it.")
SHEET_CHANGED = M_("office.sheet.changed", "signup.csv in this folder is not the lab's sign-up sheet any more (it was changed, replaced or deleted), so I can't compare your answer with it. Put the original signup.csv back (your instructor or the lab's release has it), then run the notebook again from the top. Your code should only read signup.csv, never write it.")


def _sheet_kind(check: Check) -> str | None:
    """Which sheet lies in the notebook's folder: "practice", "graded", "missing" or None (changed)."""
    import hashlib

    try:
        digest = hashlib.sha256((workdir(check) / SHEET_FILE).read_bytes()).hexdigest()
    except OSError:
        return "missing"   # (a check of files alone, e.g. report.xlsx in a test folder: judged on the practice gold)
    if digest == GRADED_SHEET_SHA256:
        return "graded"
    if digest == _practice_sheet_sha256():
        return "practice"
    return None


@functools.cache
def _practice_sheet_sha256() -> str:
    import hashlib

    return hashlib.sha256((HERE / "data" / SHEET_FILE).read_bytes()).hexdigest()


def _truth(check: Check, name: str, visible: str):
    """What a sheet-based answer (q1, q4-q7) is compared with: the practice gold (``gold/<visible>.json``) when the
    practice sheet lies in the folder; the hidden data's ``name`` in a grading call on the grading sheet. Returns None
    after an ok part when a check without hidden data runs on the grading sheet (its grading call judges it)."""
    kind = _sheet_kind(check)
    if check.hidden is not None:
        if kind != "graded":
            check.stop(SHEET_CHANGED)
        return check.hidden.get(name)
    if kind == "graded":
        check.ok(SHEET_GRADED_LATER)
        return None
    if kind is None:
        check.stop(SHEET_CHANGED)
    return gold(visible)


def workdir(check: Check) -> Path:
    return Path(check.context.get("workdir") or Path.cwd())


def _digits(value) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", str(value)))


def _show(value) -> str:
    """A learner's value as they would recognise it (dates as 2022-06-01, whole floats without .0)."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_table(value) -> bool:
    import pandas as pd
    return isinstance(value, pd.DataFrame)


# --- q1: reading a cp932 CSV -----------------------------------------------------------------------------------------
Q1_NOT_READ = M_("office.q1.not_read", "I can't find `raw`. Run your cell first (Shift+Enter). If it stopped with UnicodeDecodeError (\"'utf-8' codec can't decode byte ...\"), the file is not UTF-8: Excel in Japanese saves CSV files in Shift_JIS, in its Windows version, which Python calls cp932 (plain \"shift_jis\" fails on names such as 髙橋). Add encoding=\"cp932\" to pd.read_csv.")
Q1_NOT_TABLE = M_("office.q1.not_table", "`raw` should be the table that pd.read_csv gives you; it is {actual}.")
Q1_MOJIBAKE = M_("office.q1.mojibake", "The column names of `raw` are garbled ({sample}): this is mojibake (文字化け), the bytes of the file decoded with the wrong encoding. signup.csv is in cp932, the Japanese Windows encoding: read it with encoding=\"cp932\".")
Q1_COLUMNS = M_("office.q1.columns", "`raw` lacks these columns: {columns}. Read signup.csv with its first row as the header (what pd.read_csv does by itself).")
Q1_ROWS = M_("office.q1.rows", "`raw` has {rows} row, but signup.csv has {expected} sign-ups. Read the whole file, with no filter.", "`raw` has {rows} rows, but signup.csv has {expected} sign-ups. Read the whole file, with no filter.", count="rows")
Q1_ZEROS = M_("office.q1.zeros_lost", "In `raw`, {column} was read as a number, so the 0 at the start is lost: {got} should be {expected}. Postal codes and phone numbers are text, not amounts: add dtype=str to pd.read_csv so every column stays text.")
Q1_OK = M_("office.q1.ok", "`raw` holds the {rows} sign-up with its Japanese headers, and the postal codes and phone numbers keep their leading 0 ({example}).", "`raw` holds the {rows} sign-ups with their Japanese headers, and the postal codes and phone numbers keep their leading 0 ({example}).", count="rows")


def _looks_garbled(columns: list[str]) -> bool:
    text = "".join(columns)
    has_japanese = any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in text)
    return "\ufffd" in text or not has_japanese


@questions("q1")
def q1(check: Check) -> None:
    if "raw" not in check.ns:
        check.stop(Q1_NOT_READ)
    raw = check.value("raw")
    if not _is_table(raw):
        check.stop(Q1_NOT_TABLE, actual=kind_of_value(raw, check.lang))
    columns = [str(c) for c in raw.columns]
    missing = [c for c in COLUMNS if c not in columns]
    if missing and _looks_garbled(columns):
        sample = ", ".join("".join(ch if ch.isprintable() else "·" for ch in name) for name in columns[:3])
        check.stop(Q1_MOJIBAKE, sample=sample)
    if missing:
        check.stop(Q1_COLUMNS, columns=", ".join(missing))
    clean = _truth(check, "clean", "clean")
    if clean is None:
        return
    check.require(len(raw) == len(clean), Q1_ROWS, rows=len(raw), expected=len(clean))
    for column in ("郵便番号", "電話番号"):
        for value, row in zip(raw[column], clean):
            wanted = _digits(row[column])
            got = _show(value)
            if _digits(got) != wanted and _digits(got) == wanted.lstrip("0"):
                check.stop(Q1_ZEROS, column=column, got=got, expected=wanted)
    check.ok(Q1_OK, rows=len(raw), example=_show(raw["郵便番号"].iloc[0]))


# --- q2: dates, Western and Japanese-era ---------------------------------------------------------------------------
Q2_OK = M_("office.q2.ok", "`parse_date` turns the {count} date into the right real date, Japanese-era dates too.", "`parse_date` turns all {count} dates into the right real dates, Japanese-era dates too.", count="count")
Q2_OK_HIDDEN = M_("office.q2.ok_hidden", "`parse_date` also reads {count} more date correctly.", "`parse_date` also reads {count} more dates correctly.", count="count")
Q2_NONE = M_("office.q2.returns_none", "`parse_date(\"{text}\")` gives back nothing (None). End the function with `return datetime.date(year, month, day)`.")
Q2_TEXT = M_("office.q2.text", "`parse_date(\"{text}\")` gives the text \"{got}\", not a date. Give back a real date: `return datetime.date(year, month, day)`, with the year, month and day as whole numbers (int).")
Q2_NOT_DATE = M_("office.q2.not_date", "`parse_date(\"{text}\")` should give a date (datetime.date), but it gives {actual}.")
Q2_OFF_BY_ONE = M_("office.q2.era_off_by_one", "`parse_date(\"{text}\")` gives {got}: one year too late. {era}元年 (year 1 of {era}) is {first}, so year N of {era} is {zero} + N, not {first} + N. The right date is {expected}.")
Q2_NOT_ADDED = M_("office.q2.era_not_added", "`parse_date(\"{text}\")` gives {got}: the year {era} began, without the year of the era. Add it: year N of {era} is {zero} + N, so the right date is {expected}.")
Q2_ERA_IGNORED = M_("office.q2.era_ignored", "`parse_date(\"{text}\")` gives {got}: the year of the era was taken as a Western year. {era} {n} means {zero} + {n} = {year}, so the right date is {expected}.")
Q2_OTHER_ERA = M_("office.q2.other_era", "`parse_date(\"{text}\")` gives {got}: the year was counted from the start of {other}, not of {era}. Each era has its own start: year N of {era} is {zero} + N, so the right date is {expected}.")
Q2_GANNEN = M_("office.q2.gannen", "`parse_date(\"{text}\")` stopped with an error ({error}). 元年 (gannen) means \"year 1\": the first year of an era is written 元年, not 1年. Replace \"元\" with \"1\" before you read the numbers.")
Q2_WIDE = M_("office.q2.full_width", "`parse_date(\"{text}\")` stopped with an error ({error}). The digits here are full-width (１２３): first make them ordinary digits with unicodedata.normalize(\"NFKC\", text).")
Q2_WRONG = M_("office.q2.wrong", "`parse_date(\"{text}\")` gives {got}, but the date is {expected}.")

ERA_RE = re.compile(r"(令和|平成|昭和)\s*(\d+|元)\s*年")


def _call_parse(check: Check, fn, text: str):
    """The learner's parse_date(text); a crash on 元年 or on full-width digits gets its own message."""
    try:
        return check.call(fn, text, timeout=2)
    except StopCheck:
        part = check.parts[-1]
        if part.message is MSG_RAISED or part.message.id == MSG_RAISED.id:
            error = part.params.get("error", "")
            if "元" in text:
                check.parts.pop()
                check.fail(Q2_GANNEN, text=text, error=error)
            elif text != unicodedata.normalize("NFKC", text):
                check.parts.pop()
                check.fail(Q2_WIDE, text=text, error=error)
        raise


def _date_case(check: Check, fn, text: str, iso: str) -> bool:
    expected = dt.date.fromisoformat(iso)
    got = _call_parse(check, fn, text)
    if got is None:
        check.stop(Q2_NONE, text=text)
    if isinstance(got, str):
        check.stop(Q2_TEXT, text=text, got=got)
    if not isinstance(got, dt.date) or (isinstance(got, float) and math.isnan(got)):
        check.stop(Q2_NOT_DATE, text=text, actual=kind_of_value(got, check.lang))
    try:
        day = got.date() if isinstance(got, dt.datetime) else got
        day = dt.date(day.year, day.month, day.day)
    except (TypeError, ValueError, AttributeError):  # NaT and friends
        check.stop(Q2_WRONG, text=text, got=_show(got), expected=iso)
    if day == expected:
        return True
    m = ERA_RE.search(unicodedata.normalize("NFKC", text))
    params = dict(text=text, got=day.isoformat(), expected=iso)
    if m and (day.month, day.day) == (expected.month, expected.day):
        era, n = m.group(1), 1 if m.group(2) == "元" else int(m.group(2))
        zero = ERA_ZERO[era]
        if day.year == expected.year + 1:
            check.stop(Q2_OFF_BY_ONE, era=era, zero=zero, first=zero + 1, **params)
        if day.year in (zero, zero + 1):
            check.stop(Q2_NOT_ADDED, era=era, zero=zero, **params)
        if day.year == n:
            check.stop(Q2_ERA_IGNORED, era=era, zero=zero, n=n, year=zero + n, **params)
        other = next((e for e, z in ERA_ZERO.items() if e != era and day.year == z + n), None)
        if other:
            check.stop(Q2_OTHER_ERA, era=era, other=other, zero=zero, **params)
    check.stop(Q2_WRONG, **params)


@questions("q2")
def q2(check: Check) -> None:
    fn = check.function("parse_date")
    cases = gold("dates")
    for text, iso in cases:
        _date_case(check, fn, text, iso)
    check.ok(Q2_OK, count=len(cases))
    if check.hidden:  # grading only: dates the learner never saw (平成, 元年 in full-width, a leap day)
        with check.hidden_part():
            for text, iso in check.hidden["cases"]:
                _date_case(check, fn, text, iso)
            check.ok(Q2_OK_HIDDEN, count=len(check.hidden["cases"]))


# --- q3: the clean table --------------------------------------------------------------------------------------------
Q3_OK = M_("office.q3.ok", "`clean` gives back a clean table: {rows} row, real dates, whole numbers of participants, postal codes like {postal} and phone numbers that keep their 0, tidy categories.", "`clean` gives back a clean table: {rows} rows, real dates, whole numbers of participants, postal codes like {postal} and phone numbers that keep their 0, tidy categories.", count="rows")
Q3_OK_HIDDEN = M_("office.q3.ok_hidden", "`clean` also cleans another sign-up sheet of {rows} row correctly.", "`clean` also cleans another sign-up sheet of {rows} rows correctly.", count="rows")
Q3_IGNORES_TABLE = M_("office.q3.ignores_table", "Given a sheet of {expected} sign-ups, `clean` gives back {rows} row: as many as `raw`, the sheet your notebook read. The function must clean the table it is given: inside it, use its argument `table`, never `raw`.", "Given a sheet of {expected} sign-ups, `clean` gives back {rows} rows: as many as `raw`, the sheet your notebook read. The function must clean the table it is given: inside it, use its argument `table`, never `raw`.", count="rows")
Q3_NONE = M_("office.q3.returns_none", "`clean(table)` gives back nothing (None). End the function with `return signups`.")
Q3_NOT_TABLE = M_("office.q3.not_table", "`clean(table)` should give back a table (a pandas DataFrame, e.g. `signups = table.copy()`, cleaned); it gives {actual}.")
Q3_COLUMNS = M_("office.q3.columns", "The table that `clean` gives back lacks these columns: {columns}. Keep the Japanese column names of the sheet.")
Q3_ROWS = M_("office.q3.rows", "The table that `clean` gives back has {rows} row, but the sheet has {expected} sign-ups. Clean every row; drop none.", "The table that `clean` gives back has {rows} rows, but the sheet has {expected} sign-ups. Clean every row; drop none.", count="rows")
Q3_COUNTS_TEXT = M_("office.q3.counts_text", "参加人数 (number of participants) is still text in the table that `clean` gives back, e.g. \"{example}\", so Python cannot add it up. After NFKC and removing 名, turn it into numbers with .astype(int).")
Q3_COUNTS_WRONG = M_("office.q3.counts_wrong", "Row {row} ({name}): 参加人数 is {got}, but the sheet says {expected} person.", "Row {row} ({name}): 参加人数 is {got}, but the sheet says {expected} people.", count="expected")
Q3_DATES_TEXT = M_("office.q3.dates_text", "申込日 (sign-up date) is still text in the table that `clean` gives back, e.g. \"{example}\". Turn every value into a real date with your parse_date, then pd.to_datetime(...).")
Q3_DATES_WRONG = M_("office.q3.dates_wrong", "Row {row} ({name}): 申込日 is {got}, but this person signed up on {expected}. Check how parse_date converts Japanese-era years.")
Q3_ZEROS = M_("office.q3.zeros_lost", "Row {row} ({name}): {column} is {got}, but it should be {expected}: the 0 at the start is lost because the value became a number. Keep postal codes and phone numbers as text (dtype=str); never turn them into int.")
Q3_POSTAL_FORMAT = M_("office.q3.postal_format", "Row {row} ({name}): 郵便番号 is \"{got}\". Write postal codes the Japanese way, three digits, a hyphen and four digits: \"{expected}\".")
Q3_VALUE = M_("office.q3.value", "Row {row} ({name}): {column} is \"{got}\", but after cleaning it should be \"{expected}\".")
Q3_CATEGORY = M_("office.q3.category", "区分 (category) has the value \"{got}\", which is not one of 一般, 学生, シニア. Normalize it with unicodedata.normalize(\"NFKC\", ...) (half-width ｼﾆｱ becomes シニア) and remove spaces with .strip().")
Q3_KANA = M_("office.q3.kana", "Row {row} ({name}): フリガナ is still in half-width katakana (\"{got}\"). unicodedata.normalize(\"NFKC\", ...) turns it into ordinary full-width katakana.")


# A column of datetime.date objects (not datetime64) reaches the grader as this text (pandas' to_json, ISO format):
# it is the learner's real dates, so it counts as dates, as it does in the learner's own check.
CROSSED_DATE = re.compile(r"(\d{4}-\d\d-\d\d)T00:00:00\.000")


def _as_date(value):
    import pandas as pd

    if isinstance(value, dt.datetime):
        return None if pd.isna(value) else value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and CROSSED_DATE.fullmatch(value):
        return dt.date.fromisoformat(value[:10])
    return None


def _sheet(columns: list[str] | None = None, rows: list[list[str]] | None = None):
    """A fresh copy of the sign-up sheet as q1 reads it (every value text): the lab's own file, or the hidden one."""
    import pandas as pd

    if rows is None:
        return pd.read_csv(HERE / "data" / "signup.csv", encoding="cp932", dtype=str)
    return pd.DataFrame(rows, columns=columns).astype(str)


@questions("q3")
def q3(check: Check) -> None:
    clean = check.function("clean")
    result = check.call(clean, _sheet(), timeout=10)
    _ignores_table(check, result, len(gold("clean")))
    _judge_clean(check, result, gold("clean"))
    check.ok(Q3_OK, rows=len(gold("clean")), postal=gold("clean")[0]["郵便番号"])
    if check.hidden:  # grading only: the same function on another sheet (no copying the practice sheet's answers)
        with check.hidden_part():
            sheet = _sheet(check.hidden["columns"], check.hidden["rows"])
            result = check.call(clean, sheet, timeout=10)
            _ignores_table(check, result, len(check.hidden["clean"]))
            _judge_clean(check, result, check.hidden["clean"])
            check.ok(Q3_OK_HIDDEN, rows=len(check.hidden["clean"]))


def _ignores_table(check: Check, result, given: int) -> None:
    """``clean`` cleaned the notebook's ``raw`` instead of its argument: as many rows as ``raw``, not as given."""
    if not _is_table(result) or len(result) == given or "raw" not in check.ns:
        return
    raw = check.ns.get("raw")
    if _is_table(raw) and len(raw) == len(result):
        check.stop(Q3_IGNORES_TABLE, rows=len(result), expected=given)


def _judge_clean(check: Check, table, clean: list[dict]) -> None:
    """Stops at the end when anything was wrong (every kind of problem is named once)."""
    import pandas as pd

    if table is None:
        check.stop(Q3_NONE)
    if not _is_table(table):
        check.stop(Q3_NOT_TABLE, actual=kind_of_value(table, check.lang))
    missing = [c for c in COLUMNS if c not in [str(c) for c in table.columns]]
    if missing:
        check.stop(Q3_COLUMNS, columns=", ".join(missing))
    check.require(len(table) == len(clean), Q3_ROWS, rows=len(table), expected=len(clean))
    rows = table.to_dict("records")
    ok = True

    def where(i: int) -> dict:
        return {"row": i + 1, "name": clean[i]["氏名"]}

    # 参加人数: whole numbers
    counts = table["参加人数"]
    if not (pd.api.types.is_numeric_dtype(counts) and not pd.api.types.is_bool_dtype(counts)):
        check.fail(Q3_COUNTS_TEXT, example=_show(counts.iloc[0]))
        ok = False
    else:
        for i, (row, want) in enumerate(zip(rows, clean)):
            if row["参加人数"] != want["参加人数"]:
                check.fail(Q3_COUNTS_WRONG, got=_show(row["参加人数"]), expected=want["参加人数"], **where(i))
                ok = False
                break
    # 申込日: real dates, right era conversion
    dates = [_as_date(row["申込日"]) for row in rows]
    if any(d is None for d in dates):
        first = next(row["申込日"] for row, d in zip(rows, dates) if d is None)
        check.fail(Q3_DATES_TEXT, example=_show(first))
        ok = False
    else:
        for i, (d, want) in enumerate(zip(dates, clean)):
            if d.isoformat() != want["申込日"]:
                check.fail(Q3_DATES_WRONG, got=d.isoformat(), expected=want["申込日"], **where(i))
                ok = False
                break
    # 郵便番号 and 電話番号: text that keeps its leading 0
    for column in ("郵便番号", "電話番号"):
        for i, (row, want) in enumerate(zip(rows, clean)):
            got = _show(row[column])
            wanted = want[column]
            if got == wanted or (column == "電話番号" and _digits(got) == wanted and not isinstance(row[column], (int, float))):
                continue
            if _digits(got) == _digits(wanted).lstrip("0") or isinstance(row[column], (int, float)):
                check.fail(Q3_ZEROS, column=column, got=got, expected=wanted, **where(i))
            elif column == "郵便番号" and _digits(got) == _digits(wanted):
                check.fail(Q3_POSTAL_FORMAT, got=got, expected=wanted, **where(i))
            else:
                check.fail(Q3_VALUE, column=column, got=got, expected=wanted, **where(i))
            ok = False
            break
    # 区分: one of the three categories
    odd = [str(v) for v in table["区分"] if str(v) not in ("一般", "学生", "シニア")]
    if odd:
        check.fail(Q3_CATEGORY, got=odd[0])
        ok = False
    # フリガナ: full-width katakana
    for i, (row, want) in enumerate(zip(rows, clean)):
        got = str(row["フリガナ"])
        if any("\uff61" <= ch <= "\uff9f" for ch in got):
            check.fail(Q3_KANA, got=got, **where(i))
            ok = False
            break
        if got.strip() != want["フリガナ"]:
            check.fail(Q3_VALUE, column="フリガナ", got=got, expected=want["フリガナ"], **where(i))
            ok = False
            break
    if not ok:
        raise StopCheck


# --- q4: the pivot table --------------------------------------------------------------------------------------------
Q4_OK = M_("office.q4.ok", "`by_day` has one row per sign-up date and one column per category: {people} participant in all.", "`by_day` has one row per sign-up date and one column per category: {people} participants in all.", count="people")
Q4_NOT_TABLE = M_("office.q4.not_table", "`by_day` should be the table that signups.pivot_table(...) gives you; it is {actual}.")
Q4_SHAPE = M_("office.q4.shape", "`by_day` should have one column per category ({categories}) and one row per sign-up date; its columns are {columns}. Use index=\"申込日\", columns=\"区分\", values=\"参加人数\".")
Q4_DATES = M_("office.q4.dates", "The rows of `by_day` should be the sign-up dates {expected}, but they are {got}. Make 申込日 real dates first (exercise 3), then pivot on it.")
Q4_NOT_NUMBERS = M_("office.q4.not_numbers", "`by_day` holds text such as \"{example}\" instead of numbers: 参加人数 was still text when you pivoted, so the \"sum\" glued the texts together. Turn 参加人数 into int in exercise 3, then pivot again.")
Q4_COUNTS_TEXT = M_("office.q4.counts_text", "I can't find `by_day`. Did pivot_table stop with a TypeError? 参加人数 in `signups` is still text (\"{example}\"), and pandas cannot add up texts. Turn it into int in exercise 3, run that cell, then this one again.")
Q4_EMPTY = M_("office.q4.empty_cells", "`by_day` has empty cells (NaN) where nobody of a category signed up on a day, e.g. {date} / {category}. Add fill_value=0 to pivot_table.")
Q4_COUNTED = M_("office.q4.counted", "`by_day` counts sign-up rows, not people: one row can bring several participants (参加人数). Use aggfunc=\"sum\" with values=\"参加人数\", not \"count\".")
Q4_VALUE = M_("office.q4.value", "`by_day` for {date} / {category} is {got}, but {expected} people of that category signed up that day.")


def _index_dates(index) -> list[str] | None:
    out = []
    for value in index:
        day = _as_date(value)
        if day is None and isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d(T00:00:00(\.0+)?)?", value):
            day = dt.date.fromisoformat(value[:10])
        if day is None:
            return None
        out.append(day.isoformat())
    return out


@questions("q4")
def q4(check: Check) -> None:
    import pandas as pd

    signups = check.ns.get("signups") if "by_day" not in check.ns else None
    if _is_table(signups) and "参加人数" in signups.columns and not pd.api.types.is_numeric_dtype(signups["参加人数"]):
        check.stop(Q4_COUNTS_TEXT, example=_show(signups["参加人数"].iloc[0]) if len(signups) else "")
    table = check.value("by_day")
    if not _is_table(table):
        check.stop(Q4_NOT_TABLE, actual=kind_of_value(table, check.lang))
    pivot = _truth(check, "pivot", "pivot")
    if pivot is None:
        return
    columns = [str(c) for c in table.columns]
    if any(c not in columns for c in pivot["categories"]):
        check.stop(Q4_SHAPE, categories=", ".join(pivot["categories"]), columns=", ".join(columns) or "—")
    margins = [v for v in table.index if _is_total_label(v) or str(v) == "All"]   # pivot_table(margins=True)
    if margins:
        table = table.drop(index=margins)
    dates = _index_dates(table.index)
    if dates is None or sorted(dates) != pivot["dates"]:
        got = ", ".join(_show(v) for v in table.index[:6])
        check.stop(Q4_DATES, expected=", ".join(pivot["dates"]), got=got or "—")
    table = table.copy()
    table.columns = columns
    table.index = dates
    for category in pivot["categories"]:
        for date in pivot["dates"]:
            value = table.loc[date, category]
            if isinstance(value, str):
                check.stop(Q4_NOT_NUMBERS, example=value)
            if value is None or pd.isna(value):
                check.stop(Q4_EMPTY, date=date, category=category)
    got = {d: {c: table.loc[d, c] for c in pivot["categories"]} for d in pivot["dates"]}
    if got != pivot["values"] and got == pivot["rows_counted"]:
        check.stop(Q4_COUNTED)
    for date in pivot["dates"]:
        for category in pivot["categories"]:
            if got[date][category] != pivot["values"][date][category]:
                check.stop(Q4_VALUE, date=date, category=category, got=_show(got[date][category]),
                           expected=pivot["values"][date][category])
    check.ok(Q4_OK, people=pivot["people"])


# --- q5: the chart picture ------------------------------------------------------------------------------------------
Q5_OK = M_("office.q5.ok", "chart.png is a picture of {width}×{height} pixels.")
Q5_NO_FILE = M_("office.q5.no_file", "I can't find chart.png next to this notebook. Save the chart with ax.figure.savefig(\"chart.png\") before you show it.")
Q5_NOT_PNG = M_("office.q5.not_png", "chart.png is not a PNG picture ({error}). Save it with savefig(\"chart.png\"): the .png ending chooses the format.")
Q5_BLANK = M_("office.q5.blank", "chart.png is an empty picture of one colour. Draw the chart first (by_day.plot.bar()), then save that figure.")


@questions("q5", evidence="outside")
def q5(check: Check) -> None:
    from PIL import Image

    if check.hidden is not None and _sheet_kind(check) != "graded":   # grading: drawn from the grading sheet
        check.stop(SHEET_CHANGED)
    path = workdir(check) / CHART_FILE
    if not path.is_file():
        check.stop(Q5_NO_FILE)
    try:
        with Image.open(path) as image:
            image.load()
            kind, size = image.format, image.size
            extrema = image.convert("L").getextrema()
    except Exception as exc:  # not a picture at all
        check.stop(Q5_NOT_PNG, error=type(exc).__name__)
    if kind != "PNG":
        check.stop(Q5_NOT_PNG, error=str(kind))
    if extrema[0] == extrema[1]:
        check.stop(Q5_BLANK)
    check.ok(Q5_OK, width=size[0], height=size[1])


# --- q6 and q7: the Excel report ------------------------------------------------------------------------------------
REPORT_NO_FILE = M_("office.report.no_file", "I can't find report.xlsx next to this notebook. Run the cell that ends with wb.save(\"report.xlsx\").")
REPORT_NOT_EXCEL = M_("office.report.not_excel", "report.xlsx is not an Excel workbook that openpyxl can open ({error}). Make it with openpyxl's Workbook() and wb.save(\"report.xlsx\").")
REPORT_HEADER = M_("office.report.header", "Row 1 of report.xlsx should be the header: 申込日 and then the categories {categories}. I found: {found}.")

Q6_OK = M_("office.q6.ok", "report.xlsx has the right numbers for the {dates} date, and a total row with formulas such as {formula}.", "report.xlsx has the right numbers for all {dates} dates, and a total row with formulas such as {formula}.", count="dates")
Q6_DATE_MISSING = M_("office.q6.date_missing", "report.xlsx has no row for {date}. Write one row per date of by_day, the date in column A.")
Q6_VALUE = M_("office.q6.value", "report.xlsx, {date} / {category}: the cell holds {got}, but by_day says {expected}.")
Q6_NO_TOTAL = M_("office.q6.no_total", "report.xlsx has no total row. Below the dates, add a row with 合計 in column A and a =SUM(...) formula under each category.")
Q6_TYPED = M_("office.q6.typed_total", "The total of {category} in report.xlsx is the number {got}, typed in. Excel will not update it when a row changes: write a formula instead, e.g. \"{formula}\".")
Q6_FORMULA = M_("office.q6.formula_other", "The total of {category} is \"{got}\". Use a sum over the cells above it: \"{formula}\".")
Q6_RANGE = M_("office.q6.formula_range", "The total of {category} is \"{got}\", which does not add up exactly the date rows of its column. It should be \"{formula}\".")

Q7_OK = M_("office.q7.ok", "report.xlsx looks finished: a bold, coloured header, a wide date column and a bar chart with {series} series.", "report.xlsx looks finished: a bold, coloured header, a wide date column and a bar chart with {series} series.", count="series")
Q7_BOLD = M_("office.q7.header_bold", "The header row of report.xlsx is not bold (cell {cell}). Set cell.font = Font(bold=True) on every cell of row 1.")
Q7_FILL = M_("office.q7.header_fill", "The header row of report.xlsx has no background colour (cell {cell}). Set cell.fill = PatternFill(\"solid\", fgColor=\"DDEBF7\") on every cell of row 1.")
Q7_WIDTH = M_("office.q7.width", "Column A of report.xlsx is {width} character wide, too narrow for a date: Excel shows ####. Make it wider: ws.column_dimensions[\"A\"].width = 14.", "Column A of report.xlsx is {width} characters wide, too narrow for a date: Excel shows ####. Make it wider: ws.column_dimensions[\"A\"].width = 14.", count="width")
Q7_NO_CHART = M_("office.q7.no_chart", "report.xlsx has no chart. Make a BarChart (openpyxl.chart), add the data with chart.add_data(..., titles_from_data=True), and place it with ws.add_chart(chart, \"F2\").")
Q7_NOT_BAR = M_("office.q7.not_bar", "The chart in report.xlsx is a {kind}, not a bar chart. Use openpyxl.chart.BarChart.")
Q7_SERIES = M_("office.q7.series", "The bar chart in report.xlsx has {got} series, but there are {expected} categories. Give add_data a Reference over all category columns (min_col=2, max_col={last_col}), from the header row down to the last date (not the total).", "The bar chart in report.xlsx has {got} series, but there are {expected} categories. Give add_data a Reference over all category columns (min_col=2, max_col={last_col}), from the header row down to the last date (not the total).", count="got")

Q7_BARS = M_("office.q7.bars", "The bar chart in report.xlsx shows {got} date, but by_day has {expected} dates. Its Reference must go from the header row down to the last date: max_row={last_row} here (the row just above 合計).", "The bar chart in report.xlsx shows {got} dates, but by_day has {expected} dates. Its Reference must go from the header row down to the last date: max_row={last_row} here (the row just above 合計).", count="got")


REF_RE = re.compile(r"\$?[A-Z]{1,3}\$?(\d+)(?::\$?[A-Z]{1,3}\$?(\d+))?")


def _bars(series) -> int | None:
    """How many values (bars) one chart series shows, from its cell range ('申込集計'!$B$2:$B$6 -> 5)."""
    try:
        formula = series.val.numRef.f
    except AttributeError:
        return None
    m = REF_RE.fullmatch(str(formula).rsplit("!", 1)[-1].strip())
    if not m:
        return None
    first, last = int(m.group(1)), int(m.group(2) or m.group(1))
    return last - first + 1


def _open_report(check: Check, categories: list[str]):
    from openpyxl import load_workbook

    path = workdir(check) / REPORT_FILE
    if not path.is_file():
        check.stop(REPORT_NO_FILE)
    try:
        wb = load_workbook(path)
    except Exception as exc:  # a text file named .xlsx, a damaged file ...
        check.stop(REPORT_NOT_EXCEL, error=type(exc).__name__)
    ws = wb.worksheets[0]
    header = [str(c.value).strip() if c.value is not None else "" for c in ws[1]]
    if any(c not in header for c in categories):
        check.stop(REPORT_HEADER, categories=", ".join(categories), found=", ".join(h for h in header if h) or "—")
    return ws, header


def _cell_date(value) -> str | None:
    day = _as_date(value)
    if day is not None:
        return day.isoformat()
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        m = (re.fullmatch(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?", text)
             or re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text))
        if m:
            try:
                return dt.date(*map(int, m.groups())).isoformat()
            except ValueError:
                return None
    return None


def _is_total_label(value) -> bool:
    return isinstance(value, str) and unicodedata.normalize("NFKC", value).strip().lower() in TOTAL_LABELS


SUM_RE = re.compile(r"=\s*SUM\(\s*\$?([A-Z]{1,3})\$?(\d+)\s*:\s*\$?([A-Z]{1,3})\$?(\d+)\s*\)", re.IGNORECASE)


@questions("q6", evidence="outside")
def q6(check: Check) -> None:
    from openpyxl.utils import get_column_letter

    pivot = _truth(check, "pivot", "pivot")
    if pivot is None:
        return
    ws, header = _open_report(check, pivot["categories"])
    rows_by_date: dict[str, int] = {}
    total_row = None
    for r in range(2, ws.max_row + 1):
        first = ws.cell(row=r, column=1).value
        if _is_total_label(first):
            total_row = r
            continue
        date = _cell_date(first)
        if date is not None:
            rows_by_date.setdefault(date, r)
    ok = True
    for date in pivot["dates"]:
        if date not in rows_by_date:
            check.fail(Q6_DATE_MISSING, date=date)
            ok = False
            break
        for category in pivot["categories"]:
            got = ws.cell(row=rows_by_date[date], column=header.index(category) + 1).value
            want = pivot["values"][date][category]
            if not (isinstance(got, (int, float)) and not isinstance(got, bool) and got == want):
                check.fail(Q6_VALUE, date=date, category=category, got=_show(got) if got is not None else "—",
                           expected=want)
                ok = False
                break
        if not ok:
            break
    if total_row is None:
        check.stop(Q6_NO_TOTAL)
    data_rows = sorted(rows_by_date.values())
    first_row, last_row = (data_rows[0], data_rows[-1]) if data_rows else (2, total_row - 1)
    example = None
    for category in pivot["categories"]:
        column = header.index(category) + 1
        letter = get_column_letter(column)
        formula = f"=SUM({letter}{first_row}:{letter}{last_row})"
        example = example or formula
        got = ws.cell(row=total_row, column=column).value
        if isinstance(got, (int, float)) and not isinstance(got, bool):
            check.stop(Q6_TYPED, category=category, got=_show(got), formula=formula)
        text = str(got or "").strip()
        m = SUM_RE.fullmatch(text.replace(" ", ""))
        if not m:
            check.stop(Q6_FORMULA, category=category, got=text or "—", formula=formula)
        col1, row1, col2, row2 = m.group(1).upper(), int(m.group(2)), m.group(3).upper(), int(m.group(4))
        if (col1, col2) != (letter, letter) or (row1, row2) != (first_row, last_row):
            check.stop(Q6_RANGE, category=category, got=text, formula=formula)
    if ok:
        check.ok(Q6_OK, dates=len(pivot["dates"]), formula=example)


@questions("q7", evidence="outside")
def q7(check: Check) -> None:
    from openpyxl.chart import BarChart

    pivot = _truth(check, "pivot", "pivot")
    if pivot is None:
        return
    ws, header = _open_report(check, pivot["categories"])
    ok = True
    cells = [c for c in ws[1] if c.value not in (None, "")]
    plain = next((c for c in cells if not (c.font and c.font.bold)), None)
    if plain is not None:
        check.fail(Q7_BOLD, cell=plain.coordinate)
        ok = False
    unfilled = next((c for c in cells if not (c.fill and c.fill.fill_type and c.fill.fill_type != "none")), None)
    if unfilled is not None:
        check.fail(Q7_FILL, cell=unfilled.coordinate)
        ok = False
    width = ws.column_dimensions["A"].width if "A" in ws.column_dimensions else None
    if not width or width < 11:
        check.fail(Q7_WIDTH, width=_show(width) if width else "8.43")
        ok = False
    charts = list(getattr(ws, "_charts", []))
    categories = pivot["categories"]
    if not charts:
        check.fail(Q7_NO_CHART)
        ok = False
    else:
        chart = charts[0]
        if not isinstance(chart, BarChart):
            check.fail(Q7_NOT_BAR, kind=type(chart).__name__)
            ok = False
        elif len(chart.series) != len(categories):
            check.fail(Q7_SERIES, got=len(chart.series), expected=len(categories), last_col=len(categories) + 1)
            ok = False
        else:
            bars = {_bars(series) for series in chart.series}
            if bars != {len(pivot["dates"])}:
                check.fail(Q7_BARS, got=min(b for b in bars if b is not None) if bars - {None} else 0,
                           expected=len(pivot["dates"]), last_row=len(pivot["dates"]) + 1)
                ok = False
    if ok:
        check.ok(Q7_OK, series=len(charts[0].series))


HINTS = {
    "q1": [M_("office.q1.hint1", "pd.read_csv has two options for this file: encoding= (which code page the bytes are in) and dtype= (what kind of values to make)."),
           M_("office.q1.hint2", "Write: raw = pd.read_csv(\"signup.csv\", encoding=\"cp932\", dtype=str)")],
    "q2": [M_("office.q2.hint1", "Normalize first (NFKC), replace 元 with 1, then take the numbers with re.fullmatch. An era year N of 令和 is 2018 + N, of 平成 1988 + N."),
           M_("office.q2.hint2", "Copy the recipe from the text above the cell: it needs only the ERA_START dictionary, one re.fullmatch and one return datetime.date(year, month, day).")],
    "q3": [M_("office.q3.hint1", "Inside clean, work column by column: normalize every column with NFKC and strip, then convert 申込日 with parse_date and 参加人数 with .astype(int), and return the table."),
           M_("office.q3.hint2", "For the postal code, keep it text and put in the hyphen: signups[\"郵便番号\"].str[:3] + \"-\" + signups[\"郵便番号\"].str[3:]")],
    "q4": [M_("office.q4.hint1", "A pivot table needs four choices: the rows (index), the columns, the values and how to combine them (aggfunc)."),
           M_("office.q4.hint2", "Write: by_day = signups.pivot_table(index=\"申込日\", columns=\"区分\", values=\"参加人数\", aggfunc=\"sum\", fill_value=0)")],
    "q5": [M_("office.q5.hint1", "by_day.plot.bar() draws the chart and gives you its axes (ax); ax.figure is the whole picture."),
           M_("office.q5.hint2", "Write: ax = by_day.plot.bar() and then ax.figure.savefig(\"chart.png\")")],
    "q6": [M_("office.q6.hint1", "Write the header, then one row per date with ws.append([...]), then a row 合計 whose cells are texts that start with =, such as \"=SUM(B2:B6)\"."),
           M_("office.q6.hint2", "For the total row: for col in range(2, ws.max_column + 1): letter = get_column_letter(col); ws.cell(row=total_row, column=col, value=\"=SUM(\" + letter + \"2:\" + letter + str(last_row) + \")\")")],
    "q7": [M_("office.q7.hint1", "Three finishing touches: style row 1 (Font, PatternFill), widen column A, add a BarChart."),
           M_("office.q7.hint2", "The chart: data = Reference(ws, min_col=2, max_col=ws.max_column, min_row=1, max_row=last_row); chart.add_data(data, titles_from_data=True); ws.add_chart(chart, \"F2\")")],
}
