"""Orientation lab: five tiny exercises for people who have never programmed."""
from __future__ import annotations

import math
from pathlib import Path

from graders.checks import Check, Questions
from graders.i18n import Domain

M_ = Domain.beside(__file__)
questions = Questions("orientation")

# q1: text ---------------------------------------------------------------------------------------------------------
Q1_OK = M_("orientation.q1.ok", "`city` is the text \"Tokyo\".")
Q1_CASE = M_("orientation.q1.case", "Almost: `city` is \"{value}\". Python sees capital and small letters as different: write \"Tokyo\" with a capital T.")
Q1_SPACES = M_("orientation.q1.spaces", "Almost: `city` is \"{value}\", with extra spaces. Put nothing between the quotes but the word Tokyo.")
Q1_OTHER = M_("orientation.q1.other", "`city` is \"{value}\", but the exercise asks for \"Tokyo\".")


@questions("q1")
def q1(check: Check) -> None:
    city = check.value("city", str)
    if city == "Tokyo":
        check.ok(Q1_OK)
    elif city.strip().lower() == "tokyo" and city.strip() != city:
        check.fail(Q1_SPACES, value=city)
    elif city.lower() == "tokyo":
        check.fail(Q1_CASE, value=city)
    else:
        check.fail(Q1_OTHER, value=city)


# q2: numbers --------------------------------------------------------------------------------------------------------
Q2_OK = M_("orientation.q2.ok", "`total_hours` is {value}: 3 days of 6 hours.")
Q2_ADDED = M_("orientation.q2.added", "`total_hours` is 9: that is 3 + 6. Three days of six hours each is a multiplication: use `*`.")
Q2_WRONG = M_("orientation.q2.wrong", "`total_hours` is {value}, but 3 days of 6 hours make {expected}.")
Q2_TEXT = M_("orientation.q2.text", "`total_hours` is the text \"{value}\" (in quotes), not a number. Remove the quotes so that Python can calculate with it.")


@questions("q2")
def q2(check: Check) -> None:
    if isinstance(check.ns.get("total_hours"), str):
        check.stop(Q2_TEXT, value=check.ns["total_hours"])
    value = check.value("total_hours", (int, float))
    if value == 18:
        check.ok(Q2_OK, value=value)
    elif value == 9:
        check.fail(Q2_ADDED)
    else:
        check.fail(Q2_WRONG, value=value, expected=18)


# q3: a list ---------------------------------------------------------------------------------------------------------
LANGUAGE_NAMES = {"ukrainian", "english", "japanese"}
Q3_OK = M_("orientation.q3.ok", "`languages` is a list of the three workshop languages.")
Q3_ONE_TEXT = M_("orientation.q3.one_text", "`languages` is one piece of text with commas in it, not a list. A list has square brackets around separate texts: [\"Ukrainian\", \"English\", \"Japanese\"].")
Q3_COUNT = M_("orientation.q3.count", "The list has {count} item, but there are 3 languages.", "The list has {count} items, but there are 3 languages.", count="count")
Q3_ITEMS = M_("orientation.q3.items", "The list should hold \"Ukrainian\", \"English\" and \"Japanese\". Missing: {missing}.")
Q3_NOT_TEXT = M_("orientation.q3.not_text", "Every item of the list should be text in quotes; item {position} is not.")


@questions("q3")
def q3(check: Check) -> None:
    if isinstance(check.ns.get("languages"), str):
        check.stop(Q3_ONE_TEXT)
    items = check.value("languages", list)
    for position, item in enumerate(items, start=1):
        check.require(isinstance(item, str), Q3_NOT_TEXT, position=position)
    check.require(len(items) == 3, Q3_COUNT, count=len(items))
    given = {item.strip().lower() for item in items}
    missing = sorted(LANGUAGE_NAMES - given)
    if missing:
        check.fail(Q3_ITEMS, missing=", ".join(name.capitalize() for name in missing))
    else:
        check.ok(Q3_OK)


# q4: a function -----------------------------------------------------------------------------------------------------
Q4_OK = M_("orientation.q4.ok", "`greet(\"{name}\")` gives \"{expected}\".")
Q4_NONE = M_("orientation.q4.returns_none", "`greet(\"{name}\")` gives back nothing (None). Did you use `print` instead of `return`? A function hands its result back with `return`.")
Q4_WRONG = M_("orientation.q4.wrong", "`greet(\"{name}\")` gives \"{actual}\", but it should give \"{expected}\". Look closely at spaces, the comma and the \"!\".")
Q4_NOT_TEXT = M_("orientation.q4.not_text", "`greet(\"{name}\")` should give text, but it gives {actual}.")
Q4_NAMES = ["Olena", "Taro"]


def _greet_cases(check: Check, names: list[str]) -> None:
    greet = check.function("greet")
    for name in names:
        expected = f"Hello, {name}!"
        result = check.call(greet, name, timeout=2)
        if result == expected:
            check.ok(Q4_OK, name=name, expected=expected)
        elif result is None:
            check.fail(Q4_NONE, name=name)
            return
        elif not isinstance(result, str):
            check.fail(Q4_NOT_TEXT, name=name, actual=repr(result))
        else:
            check.fail(Q4_WRONG, name=name, actual=result, expected=expected)


@questions("q4")
def q4(check: Check) -> None:
    _greet_cases(check, Q4_NAMES)
    if check.hidden:  # grading only: names the learner never saw, in other scripts
        with check.hidden_part():
            _greet_cases(check, check.hidden["names"])


# q5: a CSV file -----------------------------------------------------------------------------------------------------
Q5_OK_TABLE = M_("orientation.q5.ok_table", "`sessions` holds the {rows} row of sessions.csv.", "`sessions` holds the {rows} rows of sessions.csv.", count="rows")
Q5_NOT_TABLE = M_("orientation.q5.not_table", "`sessions` should be the table that `pd.read_csv(\"sessions.csv\")` gives you; it is {actual}.")
Q5_ROWS = M_("orientation.q5.rows", "`sessions` has {rows} row, but sessions.csv has {expected}. Read the whole file, with no filter.", "`sessions` has {rows} rows, but sessions.csv has {expected}. Read the whole file, with no filter.", count="rows")
Q5_OK_TOTAL = M_("orientation.q5.ok_total", "`total_minutes` is {value}: the whole workshop day.")
Q5_TOTAL = M_("orientation.q5.total", "`total_minutes` is {value}, but the minutes column adds up to {expected}. Use `sessions[\"minutes\"].sum()`.")
Q5_COUNTED = M_("orientation.q5.counted", "`total_minutes` is {value}: that is how many sessions there are, not their minutes. `sum()` adds the values up; `count()` only counts them.")


@questions("q5")
def q5(check: Check) -> None:
    import pandas as pd

    table = check.value("sessions")
    if not isinstance(table, pd.DataFrame):
        from graders.checks import kind_of_value
        check.stop(Q5_NOT_TABLE, actual=kind_of_value(table, check.lang))
    expected_table = pd.read_csv(Path(check.context.get("data_dir", ".")) / "sessions.csv")
    check.require(len(table) == len(expected_table), Q5_ROWS, rows=len(table), expected=len(expected_table))
    check.ok(Q5_OK_TABLE, rows=len(table))
    total = check.value("total_minutes", (int, float))
    expected_total = int(expected_table["minutes"].sum())
    if math.isclose(float(total), expected_total):
        check.ok(Q5_OK_TOTAL, value=int(total))
    elif total == len(expected_table):
        check.fail(Q5_COUNTED, value=total)
    else:
        check.fail(Q5_TOTAL, value=total, expected=expected_total)


HINTS = {
    "q1": [M_("orientation.q1.hint1", "Text goes between quotes: city = \"...\""),
           M_("orientation.q1.hint2", "Type exactly: city = \"Tokyo\" and run the cell with Shift+Enter.")],
    "q2": [M_("orientation.q2.hint1", "Python calculates for you: `*` multiplies, `+` adds."),
           M_("orientation.q2.hint2", "Write: total_hours = 3 * 6")],
    "q3": [M_("orientation.q3.hint1", "A list looks like this: [\"first\", \"second\", \"third\"]."),
           M_("orientation.q3.hint2", "Write: languages = [\"Ukrainian\", \"English\", \"Japanese\"]")],
    "q4": [M_("orientation.q4.hint1", "Inside the function, build the text with +: \"Hello, \" + name + \"!\""),
           M_("orientation.q4.hint2", "The function body is one line: return \"Hello, \" + name + \"!\"")],
    "q5": [M_("orientation.q5.hint1", "Two steps, as in the example above: first read the file into sessions, then add up one of its columns."),
           M_("orientation.q5.hint2", "In the example, change \"some_file.csv\" to the name of your file and \"some_column\" to the column with the minutes."),
           M_("orientation.q5.hint3", "sessions = pd.read_csv(\"sessions.csv\") and then total_minutes = sessions[\"minutes\"].sum()")],
}
