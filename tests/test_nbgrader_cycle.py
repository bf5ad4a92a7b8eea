"""The whole instructor cycle with the real nbgrader, for a mixed-language class in one gradebook:
build (all languages) -> generate_assignment -> learners' copies in uk / ja / en -> submissions (reference, partial,
empty, broken) -> autograde -> generate_feedback -> export."""
import csv
import io
import json
import shutil
from pathlib import Path

import nbformat
import pytest

from graders.build import build_course, localize, run_nbgrader
from graders.labdef import load_course, load_lab
from graders.testing import fill_answers, load_variants, reference_answers

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader-cycle")]
LAB = "orientation"
POINTS = {"q1": 1, "q2": 1, "q3": 1, "q4": 2, "q5": 2}


def _release_copy(root: Path, lang: str, lab: str = LAB, notebook: str | None = None) -> nbformat.NotebookNode:
    return localize(nbformat.read(root / "release" / lab / f"{notebook or lab}.ipynb", as_version=4), lang)


def _submit(root: Path, student: str, nb: nbformat.NotebookNode | str | None, with_data: bool = True,
            lab: str = LAB, notebook: str | None = None, data: tuple[str, ...] = ("sessions.csv",)) -> None:
    """One notebook of a learner's submission (call once per notebook for a lab with several)."""
    folder = root / "submitted" / student / lab
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{notebook or lab}.ipynb"
    if isinstance(nb, str):
        (folder / name).write_text(nb, encoding="utf-8")
    elif nb is not None:
        nbformat.write(nb, folder / name)
    if with_data:
        for data_file in data:
            shutil.copy(root / "release" / lab / data_file, folder / data_file)
    (folder / "timestamp.txt").write_text("2026-11-25 10:00:00.000000 UTC")


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    course = load_course("digital-skills-day")
    build_course(course, root, "all", [LAB])
    source = nbformat.read(root / "source" / LAB / f"{LAB}.ipynb", as_version=4)
    reference = reference_answers(source)
    lab = load_lab(LAB)
    variants = {v.name: v for v in load_variants(lab)}

    # olena (uk): the reference answers -> full marks
    _submit(root, "olena", fill_answers(_release_copy(root, "uk"), reference))
    # taro (ja): right except a list typed as one text, and a greet() that knows only the visible names
    taro = dict(reference)
    taro["q3_answer"] = variants["near_misses"].answers["q3_answer"]
    taro["q4_answer"] = variants["hard_coded"].answers["q4_answer"]
    _submit(root, "taro", fill_answers(_release_copy(root, "ja"), taro))
    # mary (en): opened and submitted without writing anything
    _submit(root, "mary", _release_copy(root, "en"))
    # bad input: a file that is not JSON, a notebook whose q1 test cell was deleted, a submission without its data
    _submit(root, "broken_json", '{"cells": [ {"cell_type": "code", ')
    deleted = fill_answers(_release_copy(root, "en"), reference)
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "q1"]
    _submit(root, "deleted_cell", deleted)
    _submit(root, "no_data", fill_answers(_release_copy(root, "en"), reference), with_data=False)

    autograde = run_nbgrader(root, "autograde", LAB, check=False)
    feedback = run_nbgrader(root, "generate_feedback", LAB, check=False)
    export = run_nbgrader(root, "export", "--to", str(root / "grades.csv"), check=False)
    return root, autograde, feedback, export


def _scores(root: Path) -> dict[str, float]:
    with open(root / "grades.csv", newline="", encoding="utf-8") as f:
        return {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f)
                if row["assignment"] == LAB}


def test_one_row_per_learner_with_the_expected_scores(graded_course):
    root, autograde, _, export = graded_course
    assert export.returncode == 0, export.stderr
    scores = _scores(root)
    assert scores["olena"] == sum(POINTS.values())                        # reference, in Ukrainian
    assert scores["taro"] == sum(POINTS.values()) - POINTS["q3"] - POINTS["q4"]  # partial, hidden test caught q4
    assert scores["mary"] == 0                                            # empty
    assert scores["no_data"] == sum(POINTS.values())                       # data restored from the master copy
    assert scores["deleted_cell"] == sum(POINTS.values()) - POINTS["q1"]  # a deleted test cell earns nothing
    assert scores.get("broken_json", 0) == 0


def test_a_broken_submission_does_not_stop_the_others(graded_course):
    root, autograde, _, _ = graded_course
    log = autograde.stdout + autograde.stderr
    assert "error processing assignment" in log and "broken_json" in log  # named, with the reason
    for student in ("olena", "taro", "mary", "deleted_cell", "no_data"):
        assert (root / "autograded" / student / LAB / f"{LAB}.ipynb").exists(), student


def test_feedback_is_in_each_learners_language(graded_course):
    root, _, feedback, _ = graded_course
    olena = (root / "feedback" / "olena" / LAB / f"{LAB}.html").read_text(encoding="utf-8")
    taro = (root / "feedback" / "taro" / LAB / f"{LAB}.html").read_text(encoding="utf-8")
    mary = (root / "feedback" / "mary" / LAB / f"{LAB}.html").read_text(encoding="utf-8")
    assert "молодець, усе правильно" in olena and "Знайомство" in olena
    assert "コンマの入った 1 つの文字列で、リストではありません" in taro      # q3, localized
    assert "Hello, Олена!" in taro and "採点のときだけチェックされます" in taro  # the hidden part, explained
    assert "I can&#x27;t find" in mary or "I can't find" in mary


def test_the_learners_unlocked_prose_and_language_survive_autograde(graded_course):
    root, *_ = graded_course
    nb = nbformat.read(root / "autograded" / "taro" / LAB / f"{LAB}.ipynb", as_version=4)
    langs = {c.metadata.get("graders", {}).get("lang") for c in nb.cells if c.cell_type == "markdown"}
    assert langs == {"ja"}
    assert any('lang="ja"' in c.source for c in nb.cells if c.cell_type == "code")


def test_release_has_no_solutions_and_no_hidden_data(graded_course):
    root, *_ = graded_course
    text = (root / "release" / LAB / f"{LAB}.ipynb").read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "Олена" not in text and "HIDDEN" not in text
    assert '"Hello, " + name' not in text
    source = (root / "source" / LAB / f"{LAB}.ipynb").read_text(encoding="utf-8")
    assert "Олена" in source  # the hidden names are in the instructor's master copy only
