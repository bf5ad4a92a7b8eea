"""Make the office lab's data, gold and hidden gold: ``python -m labs.office.solutions.make_data [--check]``.

* ``data/signup.csv``  what learners get: the sign-up sheet of a workshop, as Japanese Excel saves a CSV (cp932,
  CRLF), typed in by many hands: full-width digits, half-width katakana, Western and Japanese-era dates, counts with
  a 名 ("persons") after them, postal codes and phone numbers that start with 0.
* ``gold/``            what the checks compare with while learners practise: the clean table, the pivot, the visible
  date cases.
* ``hidden/q2.json``   more date cases, and ``hidden/q3.json`` another sheet (with its clean truth) for the
  learner's ``clean()``: used only when work is graded (inlined into the hidden test blocks).
* ``hidden/signup.csv`` the sheet a graded notebook reads instead of the practice one (the build puts it into the
  course's source folder, nbgrader copies it over the learner's), and ``hidden/q1.json``, ``q4.json`` ... ``q7.json``
  its truth (with its SHA-256, so a check knows which sheet lies in the folder).

Everything is fixed or drawn from one seed, so the files are the same on every run; ``--check`` only compares and
fails when a committed file differs (``tests/test_office.py`` does the same). This module knows every answer: it
lives in ``solutions/``, which never reaches a learner's environment.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import random
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent   # labs/office
DATA, GOLD, HIDDEN = HERE / "data", HERE / "gold", HERE / "hidden"
SEED = 20220616
COLUMNS = ["氏名", "フリガナ", "郵便番号", "電話番号", "申込日", "参加人数", "区分"]
CATEGORIES = ["一般", "学生", "シニア"]

# --- the reference date parser ----------------------------------------------------------------------------------
# The first day of each era and its Western year "zero": 令和 N年 = 2018 + N (令和元年 = 2019).
ERAS = {"令和": (2018, dt.date(2019, 5, 1)), "平成": (1988, dt.date(1989, 1, 8)),
        "昭和": (1925, dt.date(1926, 12, 25))}
DATE_RE = re.compile(r"(令和|平成|昭和)?\s*(\d+|元)\s*年\s*(\d+)\s*月\s*(\d+)\s*日")


def parse_date(text: str) -> dt.date:
    """``2022年6月16日``, ``令和4年6月16日``, ``令和元年5月1日``, full-width digits too -> a date."""
    text = unicodedata.normalize("NFKC", str(text)).strip()
    m = DATE_RE.fullmatch(text)
    if not m:
        raise ValueError(f"not a date: {text!r}")
    era, year, month, day = m.groups()
    year = 1 if year == "元" else int(year)
    if era:
        year += ERAS[era][0]
    return dt.date(year, int(month), int(day))


def to_western(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def to_era(day: dt.date) -> str:
    for era, (zero, start) in ERAS.items():
        if day >= start:
            n = day.year - zero
            return f"{era}{'元' if n == 1 else n}年{day.month}月{day.day}日"
    raise ValueError(day)


def full_width(text: str) -> str:
    """Digits and ASCII letters as Japanese full-width characters (what an IME in full-width mode types)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


def half_width_kana(text: str) -> str:
    """Katakana as half-width katakana (ｶﾀｶﾅ), as old systems and some phones type it."""
    table = {}
    for code in range(0xFF61, 0xFFA0):
        table.setdefault(unicodedata.normalize("NFKC", chr(code)), chr(code))
    out = []
    for ch in text:
        if ch in table:
            out.append(table[ch])
            continue
        base = unicodedata.normalize("NFD", ch)
        if len(base) == 2 and base[0] in table and base[1] in ("\u3099", "\u309a"):
            out.append(table[base[0]] + ("ﾞ" if base[1] == "\u3099" else "ﾟ"))
        elif ch == " ":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


# --- the people who signed up ----------------------------------------------------------------------------------------
# (name as typed, reading in katakana, postal code, category, persons)
PEOPLE = [
    ("Olena Kovalenko", "オレナ コヴァレンコ", "0600001", "一般", 2),
    ("髙橋　美咲", "タカハシ ミサキ", "1600023", "一般", 1),
    ("Mykola Shevchenko", "ミコラ シェフチェンコ", "0400011", "シニア", 1),
    ("Iryna Bondarenko", "イリーナ ボンダレンコ", "2310023", "一般", 3),
    ("Andrii Melnyk", "アンドリー メルニク", "0300801", "学生", 1),
    ("佐藤　健", "サトウ ケン", "1130033", "学生", 1),
    ("Nataliia Kravchenko", "ナタリア クラフチェンコ", "0200021", "一般", 2),
    ("Dariia Polishchuk", "ダリア ポリシュク", "1500002", "学生", 2),
    ("Viktor Lysenko", "ヴィクトル リセンコ", "0100001", "シニア", 2),
    ("鈴木　花子", "スズキ ハナコ", "2200012", "シニア", 1),
    ("Sofiia Moroz", "ソフィア モロズ", "0640941", "学生", 1),
    ("Oleksandr Tkachenko", "オレクサンドル トカチェンコ", "3300063", "一般", 4),
    ("Yuliia Savchenko", "ユリア サフチェンコ", "0608588", "一般", 1),
    ("田中　翔", "タナカ ショウ", "1020083", "学生", 1),
    ("Maksym Rudenko", "マクシム ルデンコ", "0700031", "一般", 2),
    ("Kateryna Boiko", "カテリーナ ボイコ", "2510052", "シニア", 2),
    ("Taras Pavlenko", "タラス パウレンコ", "0500083", "学生", 1),
    ("伊藤　由美", "イトウ ユミ", "1690075", "一般", 1),
    ("Anna Kovalchuk", "アンナ コヴァルチュク", "0800010", "一般", 3),
    ("渡辺　大輔", "ワタナベ ダイスケ", "1410021", "シニア", 1),
    ("Hanna Marchenko", "ハンナ マルチェンコ", "0530021", "学生", 2),
    ("Serhii Ivanenko", "セルヒー イワネンコ", "1000005", "一般", 1),
]
SIGNUP_DAYS = [dt.date(2022, 6, d) for d in (1, 3, 6, 8, 10)]

# Grading only: another sheet, for the same clean() function (a learner's cleaning must work on any such sheet).
HIDDEN_PEOPLE = [
    ("Bohdan Hrytsenko", "ボフダン フリツェンコ", "0010010", "学生", 1),
    ("小林　直子", "コバヤシ ナオコ", "1800004", "一般", 2),
    ("Oksana Tkachuk", "オクサナ トカチュク", "0028071", "シニア", 1),
    ("Petro Zinchenko", "ペトロ ジンチェンコ", "0600042", "一般", 3),
    ("山本　陽菜", "ヤマモト ヒナ", "2300051", "学生", 1),
    ("Liudmyla Kuzmenko", "リュドミラ クジメンコ", "0390111", "シニア", 2),
    ("Vasyl Honchar", "ヴァシル ホンチャル", "0100921", "一般", 1),
    ("中村　蓮", "ナカムラ レン", "1110032", "学生", 2),
]
HIDDEN_DAYS = [dt.date(2022, 5, 31), dt.date(2022, 6, 2), dt.date(2022, 6, 9), dt.date(2022, 6, 15)]

# Grading only: the sheet the graded notebook reads. The build puts it in the course's source folder (lab.toml
# [grading] files), so nbgrader copies it over the learner's signup.csv before the notebook runs: q1 and q4-q7 are
# judged on other sign-ups than the ones the learner practised with (hidden/q1.json ... q7.json hold its truth).
GRADED_PEOPLE = [
    ("Roman Kovalenko", "ロマン コヴァレンコ", "0640804", "一般", 2),
    ("髙木　彩", "タカギ アヤ", "1500041", "学生", 1),
    ("Halyna Shevchuk", "ハリナ シェフチュク", "0010016", "シニア", 3),
    ("Ihor Bondar", "イーホル ボンダル", "0600061", "一般", 1),
    ("井上　拓海", "イノウエ タクミ", "2200004", "シニア", 1),
    ("Olha Koval", "オリハ コヴァリ", "0030005", "学生", 2),
    ("Denys Oliinyk", "デニス オリーニク", "1300012", "一般", 4),
    ("木村　優子", "キムラ ユウコ", "0450003", "シニア", 2),
    ("Yaroslav Petrenko", "ヤロスラフ ペトレンコ", "0020857", "学生", 1),
    ("Tetiana Hnatiuk", "テチャナ フナチューク", "3300846", "一般", 1),
    ("清水　翼", "シミズ ツバサ", "1060032", "学生", 2),
]
GRADED_DAYS = [dt.date(2022, 6, 13), dt.date(2022, 6, 14), dt.date(2022, 6, 20)]
GRADED_SEED = SEED + 2


def records(people=PEOPLE, days=SIGNUP_DAYS, seed=SEED) -> list[dict]:
    """The clean truth, one dict per person, in sheet order."""
    rng = random.Random(seed)
    out = []
    for i, (name, kana, postal, category, persons) in enumerate(people):
        phone = rng.choice(["090", "080", "070"]) + f"{rng.randrange(10 ** 8):08d}"
        out.append({"氏名": unicodedata.normalize("NFKC", name).strip(), "フリガナ": kana,
                    "郵便番号": f"{postal[:3]}-{postal[3:]}", "電話番号": phone,
                    "申込日": days[(i * 3 + i // 5) % len(days)],
                    "参加人数": persons, "区分": category,
                    "_postal_raw": postal, "_name_raw": name})
    return out


def messy_row(i: int, r: dict) -> list[str]:
    """How person ``i`` typed their sign-up: styles rotate, so every kind of mess occurs several times."""
    day = r["申込日"]
    date_text = [to_western(day), to_era(day), full_width(to_western(day)), full_width(to_era(day))][i % 4]
    persons = str(r["参加人数"])
    persons = [persons, full_width(persons), persons + "名", full_width(persons) + "名", persons][i % 5]
    category = r["区分"]
    if category == "シニア" and i % 2 == 0:
        category = half_width_kana(category)
    elif i % 6 == 1:
        category = category + "\u3000"
    elif i % 7 == 3:
        category = " " + category
    kana = half_width_kana(r["フリガナ"]) if i % 3 == 2 else r["フリガナ"]
    name = full_width(r["_name_raw"]) if i in (6, 15) else r["_name_raw"]
    return [name, kana, r["_postal_raw"], r["電話番号"], date_text, persons, category]


def signup_csv() -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i, r in enumerate(records()):
        writer.writerow(messy_row(i, r))
    return buffer.getvalue().encode("cp932")


def gold_clean(rows: list[dict] | None = None) -> list[dict]:
    return [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items() if not k.startswith("_")}
            for r in (records() if rows is None else rows)]


def hidden_sheet() -> dict:
    """The grading-only sheet, as the check hands it to the learner's clean(): every value text, as read with
    dtype=str; and its clean truth. Its mess is shifted (offset 1), so each row is messy in another way."""
    rows = records(HIDDEN_PEOPLE, HIDDEN_DAYS, SEED + 1)
    return {"columns": COLUMNS, "rows": [messy_row(i + 1, r) for i, r in enumerate(rows)],
            "clean": gold_clean(rows)}


def graded_records() -> list[dict]:
    return records(GRADED_PEOPLE, GRADED_DAYS, GRADED_SEED)


def graded_csv() -> bytes:
    """The grading sheet, as messy as the practice one (its mess shifted by 2: each row messy in another way)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for i, r in enumerate(graded_records()):
        writer.writerow(messy_row(i + 2, r))
    return buffer.getvalue().encode("cp932")


def graded_hidden() -> dict[str, dict]:
    """hidden/q1.json ... q7.json: the truth of the grading sheet, for the hidden call of each check cell."""
    import hashlib

    sheet = hashlib.sha256(graded_csv()).hexdigest()
    pivot = gold_pivot(graded_records())
    return {"q1": {"sheet": sheet, "clean": gold_clean(graded_records())}, "q4": {"sheet": sheet, "pivot": pivot},
            "q5": {"sheet": sheet}, "q6": {"sheet": sheet, "pivot": pivot}, "q7": {"sheet": sheet, "pivot": pivot}}


def gold_pivot(rows: list[dict] | None = None) -> dict:
    rows = records() if rows is None else rows
    dates = sorted({r["申込日"] for r in rows})
    values = {d.isoformat(): {c: sum(r["参加人数"] for r in rows if r["申込日"] == d and r["区分"] == c)
                              for c in CATEGORIES} for d in dates}
    totals = {c: sum(v[c] for v in values.values()) for c in CATEGORIES}
    counted = {d.isoformat(): {c: sum(1 for r in rows if r["申込日"] == d and r["区分"] == c) for c in CATEGORIES}
               for d in dates}
    return {"dates": [d.isoformat() for d in dates], "categories": CATEGORIES, "values": values, "totals": totals,
            "rows_counted": counted, "people": sum(totals.values())}


VISIBLE_DATES = ["2022年6月16日", "令和4年6月16日", "令和４年６月３日", "２０２２年１２月２８日", "令和元年5月1日",
                 "平成30年4月1日"]
HIDDEN_DATES = ["平成31年4月30日", "令和７年１月６日", "平成元年1月8日", "令和元年１０月２２日", "2019年5月1日",
                "令和6年2月29日"]


def gold_dates(texts: list[str]) -> list[list[str]]:
    return [[t, parse_date(t).isoformat()] for t in texts]


def files() -> dict[Path, bytes]:
    def js(obj) -> bytes:
        return (json.dumps(obj, ensure_ascii=False, indent=1) + "\n").encode("utf-8")

    return {DATA / "signup.csv": signup_csv(),
            GOLD / "clean.json": js(gold_clean()),
            GOLD / "pivot.json": js(gold_pivot()),
            GOLD / "dates.json": js(gold_dates(VISIBLE_DATES)),
            HIDDEN / "q2.json": js({"cases": gold_dates(HIDDEN_DATES)}),
            HIDDEN / "q3.json": js(hidden_sheet()),
            HIDDEN / "signup.csv": graded_csv(),
            **{HIDDEN / f"{q}.json": js(data) for q, data in graded_hidden().items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the committed files")
    args = parser.parse_args(argv)
    stale = []
    for path, content in files().items():
        if path.exists() and path.read_bytes() == content:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
    for path in stale:
        print(("stale: " if args.check else "wrote: ") + str(path.relative_to(HERE)))
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
