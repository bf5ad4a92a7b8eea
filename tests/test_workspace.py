"""The learner's copy of the course: built in their language, updated without ever losing their work."""
import dataclasses
import json

import nbformat
import pytest

from graders.labdef import load_course
from graders.workspace import sync

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("workspace")]
NB = "orientation/orientation.ipynb"


@pytest.fixture(scope="module")
def course():
    # The course with its first lab only: every rule here is about files, and building all six labs for each test
    # took minutes (test_start.py delivers the whole course).
    return dataclasses.replace(load_course("digital-skills-day"), labs=["orientation"])


def _answer(path, text):
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q1_answer")
    cell.source = text
    nbformat.write(nb, path)


def test_first_sync_delivers_the_course_in_the_learners_language(tmp_path, course):
    report = sync(course, tmp_path, "ja")
    assert NB in report.new and "orientation/sessions.csv" in report.new
    nb = nbformat.read(tmp_path / NB, as_version=4)
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "はじめてのノートブック" in prose and "Your first notebook" not in prose
    assert 'Lab("orientation", lang="ja")' in "\n".join(c.source for c in nb.cells)
    assert "BEGIN SOLUTION" not in (tmp_path / NB).read_text(encoding="utf-8")


def test_a_second_sync_changes_nothing(tmp_path, course):
    sync(course, tmp_path, "en")
    before = (tmp_path / NB).read_bytes()
    report = sync(course, tmp_path, "en")
    assert report.new == [] and report.updated == [] and report.beside == []
    assert (tmp_path / NB).read_bytes() == before


def test_an_untouched_notebook_follows_a_language_change(tmp_path, course):
    sync(course, tmp_path, "en")
    report = sync(course, tmp_path, "uk")
    assert NB in report.updated
    assert "Знайомство" in (tmp_path / NB).read_text(encoding="utf-8")


def test_the_learners_work_is_never_overwritten(tmp_path, course):
    sync(course, tmp_path, "en")
    _answer(tmp_path / NB, 'city = "Tokyo"  # my answer')
    (tmp_path / "orientation" / "sessions.csv").write_text("my,own\n1,2\n")
    mine = (tmp_path / NB).read_bytes()
    report = sync(course, tmp_path, "uk")                    # a new version (another language) arrives
    assert (tmp_path / NB).read_bytes() == mine               # their notebook is untouched
    assert (tmp_path / "orientation" / "sessions.csv").read_text() == "my,own\n1,2\n"
    beside = dict(report.beside)
    assert NB in beside
    assert "orientation/sessions.csv" not in beside  # the same in every language: nothing new to put beside it
    new_copy = tmp_path / beside[NB]
    assert new_copy.exists() and "Знайомство" in new_copy.read_text(encoding="utf-8")
    lines = "\n".join(report.lines("uk"))
    assert f"Нова версія {NB} лежить у {beside[NB]}. Вашу роботу в {NB} не змінено" in lines
    again = sync(course, tmp_path, "uk")                      # no pile of copies on every start
    assert again.beside == [] and (tmp_path / NB).read_bytes() == mine


def test_a_restart_after_answering_puts_no_copy_beside(tmp_path, course):
    # The course did not change: the learner's notebook is theirs, and no "new version" copy appears beside it.
    sync(course, tmp_path, "en")
    _answer(tmp_path / NB, 'city = "Tokyo"')
    mine = (tmp_path / NB).read_bytes()
    report = sync(course, tmp_path, "en")
    assert report.beside == [] and report.updated == [] and NB in report.unchanged
    assert (tmp_path / NB).read_bytes() == mine
    assert sorted(p.name for p in (tmp_path / "orientation").glob("*.updated-*")) == []


def test_a_deleted_file_comes_back(tmp_path, course):
    sync(course, tmp_path, "en")
    (tmp_path / "orientation" / "sessions.csv").unlink()
    report = sync(course, tmp_path, "en")
    assert "orientation/sessions.csv" in report.new


def test_a_broken_manifest_does_not_lose_work(tmp_path, course):
    sync(course, tmp_path, "en")
    _answer(tmp_path / NB, "city = 'mine'")
    mine = (tmp_path / NB).read_bytes()
    (tmp_path / ".graders" / "manifest.json").write_text("{ not json")
    sync(course, tmp_path, "uk")
    assert (tmp_path / NB).read_bytes() == mine
    json.loads((tmp_path / ".graders" / "manifest.json").read_text())
