"""Submissions that try to reach answer keys from inside the graded kernel, graded with the real sandboxed grader.

Each trick is paired with a control that does the same work without the trick: the trick must earn exactly what its
control earns (nothing more), and what it tried to read must not have been there.

* ``spy``: replaces ``lab`` by an object that passes every call on, but keeps the grading-only data a check cell's
  hidden block hands to ``lab.check("q2", hidden={...})`` (date texts *and their answers*) and adds them to its
  ``parse_date`` lookup table before the grader calls it. The grader runs check cells in the kernel without their
  hidden-tests block (``sandboxedexecute.without_hidden_tests``), so the spy never gets them.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from graders.grade.app import grade
from graders.grade.classroom import course_directory, make_class, release_copy, submit
from graders.grade.records import read_records
from graders.testing import fill_answers, reference_answers

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("adversarial-keys")]

OFFICE_VISIBLE_DATES = json.loads((Path(__file__).resolve().parent.parent / "labs" / "office" / "gold" / "dates.json")
                                  .read_text(encoding="utf-8"))

# parse_date as a table of the answers the learner saw (no real parsing): it fails every date it has not seen
LOOKUP = f'''import datetime
KNOWN = dict({OFFICE_VISIBLE_DATES!r})


def parse_date(text):
    return datetime.date.fromisoformat(KNOWN[text])
'''

SPY = LOOKUP + '''
_real_lab = lab


class _Spy:
    """Passes everything on to the real lab, but keeps what a hidden check hands over."""

    def __getattr__(self, name):
        return getattr(_real_lab, name)

    def check(self, question, hidden=None, **kwargs):
        if hidden:
            print("SPY GOT HIDDEN DATA FOR", question)
            for text, iso in hidden.get("cases", []):
                KNOWN[text] = iso
        return _real_lab.check(question, hidden=hidden, **kwargs)


lab = _Spy()
'''

OFFICE_CASES = {"lookup_only": {"q2_answer": LOOKUP}, "spy": {"q2_answer": SPY}}


def one_lab_course(tmp_path_factory, lab: str) -> Path:
    """The course with this lab only (the same course id): other labs' work in progress cannot stop its build."""
    from graders.labdef import COURSES_DIR

    folder = tmp_path_factory.mktemp(f"course-{lab}")
    text = (COURSES_DIR / "digital-skills-day" / "course.toml").read_text(encoding="utf-8")
    lines = [f'labs = ["{lab}"]' if line.startswith("labs = ") else line for line in text.splitlines()]
    (folder / "course.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def office_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("keys-office")
    make_class(root, "office", 0, course=str(one_lab_course(tmp_path_factory, "office")))
    source = nbformat.read(root / "source" / "office" / "office.ipynb", as_version=4)
    reference = reference_answers(source)
    submit(root, "office", "honest", {"office": fill_answers(release_copy(root, "office", "office", "en"), reference)})
    for name, answers in OFFICE_CASES.items():
        nb = fill_answers(release_copy(root, "office", "office", "en"), {**reference, **answers})
        submit(root, "office", name, {"office": nb})
    result, settings = grade(course_directory(root), "office", workers=2, cell_timeout=30, notebook_timeout=240)
    records = {r["student"]: r for r in read_records(root, "office")}
    return root, result, records


def _grades(root: Path, lab: str, notebook: str, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "digital-skills-day") as gb:
        nb = gb.find_submission_notebook(notebook, lab, student)
        return {g.name: g.auto_score for g in nb.grades}


def _outputs(root: Path, student: str, lab: str, notebook: str) -> str:
    nb = nbformat.read(root / "autograded" / student / lab / f"{notebook}.ipynb", as_version=4)
    texts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            texts.append(out.get("text", "") if isinstance(out.get("text"), str) else json.dumps(out.get("data", {})))
            texts.append(" ".join(out.get("traceback", []) or []))
    return "\n".join(texts)


def test_office_class_is_graded(office_class):
    root, result, records = office_class
    assert result.errors == []
    full = _grades(root, "office", "office", "honest")
    assert all(v > 0 for v in full.values()), full


def test_a_spy_on_lab_check_never_gets_the_hidden_cases(office_class):
    root, _, _ = office_class
    spy, control = (_grades(root, "office", "office", s) for s in ("spy", "lookup_only"))
    assert spy == control, (spy, control)
    assert spy["q2"] == 0
    assert "SPY GOT HIDDEN DATA" not in _outputs(root, "spy", "office", "office")
