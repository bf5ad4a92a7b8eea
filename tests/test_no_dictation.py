"""No dictation: a prompt states the goal and what the check looks at, never the code.

Fails when a line of a reference answer (normalised: whitespace, quote style) can be read before the learner solves
the question: in the learner-visible prose of its notebook (markdown regions in every language, role-less example
cells, read-only cells), or in any of its hints but the last one (HINTS in checks.py, English and translations).
A statement that a code block spells out but for `...` blanks counts too, when the blanks hide less than 40 % of it
(a call whose whole argument list is blanked, `ax.set_ylabel(...)` or `ws.append([...])`, only names the method).

Lines that give nothing away are left out (graders/concepts.py `is_trivial`): blank lines, comments and closing
brackets; a keyword alone (`pass`, `else:`, `return None`); a bare name or constant, or `return` of one; a `def`
line (the function the goal asks for, with its parameters); an import (which module to use
is no secret, the prompt should name it); a `print(...)` (what to show is never what the check looks at); an opening
line such as `s3.put_bucket_versioning(` (naming the API to look up is what a prompt should do); one key or keyword
with one constant or name such as `TableName="notes",` or `Bucket=private_bucket,` (the names and values the goal
states and the check looks for); and the text of a letter spread over several lines (phrases a notebook teaches are meant to be reused).
"""
from pathlib import Path

import pytest

from graders.concepts import Answer, dictated, hint_texts, reference_answers, visible_prose
from graders.labdef import load_course, load_lab

from test_concepts import load_fixture

COURSE = "digital-skills-day"

# Questions whose prompt or hints still dictate, to be rewritten (issue 13). Shrinks; never add to it. The test fails
# when one listed here no longer dictates, so the list stays true.
PENDING: set[str] = set()


def report_for(answer: Answer, prose: tuple[str, list[str]], hints: list[list[str]]) -> list[str]:
    where = f"{answer.lab}/{answer.notebook} {answer.question}"
    text, snippets = prose
    lines = [f"{where}: the notebook shows `{line}`" for line in dictated(answer.code, text, snippets)]
    for number, texts in enumerate(hints[:-1], start=1):
        lines += [f"{where}: hint {number} of {len(hints)} gives `{line}`"
                  for line in dictated(answer.code, "\n".join(texts))]
    return lines


def dictation_report(lab_id: str) -> dict[str, list[str]]:
    lab = load_lab(lab_id)
    prose = {nb: visible_prose(lab.notebook_source(nb)) for nb in lab.notebooks}
    report: dict[str, list[str]] = {}
    for answer in reference_answers(lab_id):
        found = report_for(answer, prose[answer.notebook], hint_texts(lab, answer.question))
        if found:
            report.setdefault(f"{lab_id}/{answer.question}", []).extend(found)
    return report


def fixture_report(lab_id: str, hints: dict[str, list[list[str]]]) -> list[str]:
    lab = load_fixture(lab_id)
    out = []
    for answer in reference_answers(lab_id, load_fixture):
        out += report_for(answer, visible_prose(lab.notebook_source(answer.notebook)), hints.get(answer.question, []))
    return out


def test_a_dictated_line_a_blanked_template_and_an_early_hint_are_reported():
    hints = {"q1": [["Make a dict: ages = {'Olena': 34}", "Слово", "ヒント"],
                    ["The answer: upper = [name.upper() for name in names]"]]}
    assert fixture_report("fx-workshop", hints) == [
        "fx-workshop/one q1: the notebook shows `upper = [name.upper() for name in names]`",
        "fx-workshop/one q1: hint 1 of 2 gives `ages = {\"Olena\": 34}`",
        "fx-workshop/two q2: the notebook shows `client.create_table(TableName=\"notes\", BillingMode=\"PAY_PER_REQUEST\", "
        "Tags=[{\"Key\": \"team\", \"Value\": \"ops\"}])`",
    ]


def test_the_last_hint_may_give_the_answer_and_worked_examples_on_other_data_pass():
    hints = {"q1": [["Use a method of str that gives capitals: look up str.upper"],
                    ["upper = [name.upper() for name in names]"]]}
    report = fixture_report("fx-basics", hints)
    assert report == []
    assert dictated('total = prices["tea"] * 2', 'For example `total = prices["coffee"] * 3`') == []
    assert dictated('total = prices["tea"] * 2', "total = prices['tea']  *  2") == ['total = prices["tea"] * 2']


@pytest.mark.parametrize("lab_id", load_course(COURSE).labs)
def test_no_prompt_or_early_hint_dictates_the_answer(lab_id):
    report = dictation_report(lab_id)
    new = {q: lines for q, lines in report.items() if q not in PENDING}
    assert not new, "prompts or hints that dictate the answer (state the goal, name the API, keep worked examples " \
        "on other data; the answer only in the last hint):\n" + "\n".join(sum(new.values(), []))
    fixed = sorted(q for q in PENDING if q.split("/")[0] == lab_id and q not in report)
    assert not fixed, f"no longer dictated, remove from PENDING: {fixed}"
