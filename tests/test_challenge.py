"""Challenge mode (issue 13): the same notebooks without the scaffolding, for learners who already program.

* the marker is parsed: ``challenge="skip"`` regions / cells and role-less code cells are left out, ``challenge="keep"``
  keeps one, goals and checks stay, grade ids are the same as in the normal build;
* each lab's reference passes in challenge mode (one language per lab, rotating, to keep time down);
* a challenge submission and a normal one grade in one nbgrader gradebook;
* switching a workspace's mode never loses the learner's work.
"""
import csv
import shutil
from pathlib import Path

import nbformat
import pytest

import graders.lab  # noqa: F401  (registers the core messages)
from graders.build import CHALLENGE_NOTE, BuildError, build_course, localize, run_nbgrader, source_notebook
from graders.i18n import LANGUAGES
from graders.labdef import all_lab_ids, load_course, load_lab
from graders.testing import (execute, fill_answers, lab_services, learner_notebook, prepare_dir,
                             reference_answers, results)

FIXTURE = '''\
```python role="setup"
from graders import Lab
lab = Lab("orientation")
```

<!-- #region lang="en" challenge="skip" -->
TEACHING-EN: what a variable is.
<!-- #endregion -->
<!-- #region lang="uk" challenge="skip" -->
TEACHING-UK
<!-- #endregion -->
<!-- #region lang="ja" challenge="skip" -->
TEACHING-JA
<!-- #endregion -->

```python
WORKED_EXAMPLE = 1
```

```python challenge="keep"
KEPT_SETUP = 1
```

<!-- #region lang="en" -->
GOAL-EN: make `city` hold the city.
<!-- #endregion -->
<!-- #region lang="uk" -->
GOAL-UK
<!-- #endregion -->
<!-- #region lang="ja" -->
GOAL-JA
<!-- #endregion -->

```python role="answer" question="q1"
### BEGIN SOLUTION
city = "Tokyo"
### END SOLUTION
```

```python role="check" question="q1"
lab.check("q1")
```
'''


def _fixture_lab(tmp_path: Path, text: str):
    """The orientation lab whose one notebook source is ``text`` (and whose only question is q1)."""
    lab = load_lab("orientation")
    path = tmp_path / "fixture.md"
    path.write_text(text, encoding="utf-8")

    class FixtureLab(type(lab)):
        def notebook_source(self, notebook):
            return path

        def questions_in(self, notebook):
            return [q for q in super().questions_in(notebook) if q.id == "q1"]

    return FixtureLab(**{f: getattr(lab, f) for f in lab.__dataclass_fields__})


def _sources(nb) -> str:
    return "\n".join(c.source for c in nb.cells)


def test_the_marker_is_parsed(tmp_path):
    lab = _fixture_lab(tmp_path, FIXTURE)
    full = source_notebook(lab, "orientation", list(LANGUAGES))
    challenge = source_notebook(lab, "orientation", list(LANGUAGES), challenge=True)
    for text in ("TEACHING-EN", "TEACHING-UK", "TEACHING-JA", "WORKED_EXAMPLE"):
        assert text in _sources(full)
        assert text not in _sources(challenge), f"{text} is still in the challenge build"
    for text in ("GOAL-EN", "GOAL-UK", "GOAL-JA", "KEPT_SETUP", 'lab.check("q1")', 'city = "Tokyo"'):
        assert text in _sources(challenge)
    for lang in LANGUAGES:
        assert CHALLENGE_NOTE.render(lang) in _sources(localize(source_notebook(
            lab, "orientation", list(LANGUAGES), challenge=True), lang))
        assert CHALLENGE_NOTE.render(lang) not in _sources(full)
    assert challenge.metadata["graders"]["challenge"] is True and full.metadata["graders"]["challenge"] is False
    ids = lambda nb: [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]  # noqa: E731
    assert ids(challenge) == ids(full)


def test_a_graded_cell_cannot_be_skipped(tmp_path):
    lab = _fixture_lab(tmp_path, FIXTURE.replace('```python role="check" question="q1"',
                                                 '```python role="check" question="q1" challenge="skip"'))
    with pytest.raises(BuildError, match="cannot be challenge"):
        source_notebook(lab, "orientation", ["en"], challenge=True)


def _lab_notebooks():
    index = 0
    for lab_id in all_lab_ids():
        for notebook in load_lab(lab_id).notebooks:
            yield lab_id, notebook, LANGUAGES[index % len(LANGUAGES)]
            index += 1


@pytest.mark.parametrize("lab_id, notebook, lang", list(_lab_notebooks()))
def test_challenge_notebooks_hold_no_scaffolding(lab_id, notebook, lang):
    lab = load_lab(lab_id)
    nb = source_notebook(lab, notebook, list(LANGUAGES), challenge=True)
    full = source_notebook(lab, notebook, list(LANGUAGES))
    import jupytext

    source = jupytext.read(lab.notebook_source(notebook))
    kept_examples = {c.source for c in source.cells if c.cell_type == "code" and not c.metadata.get("role")
                     and c.metadata.get("challenge") == "keep"}
    skipped = {c.source for c in source.cells if c.metadata.get("challenge") == "skip"}
    for cell in nb.cells:
        assert cell.source not in skipped or not cell.source.strip(), f"a challenge=\"skip\" cell is in: {cell.source[:80]}"
        if cell.cell_type == "code" and not cell.metadata.get("graders", {}).get("role"):
            assert cell.source in kept_examples, f"worked example in the challenge build: {cell.source[:80]}"
    grade_ids = lambda x: [c.metadata["nbgrader"]["grade_id"] for c in x.cells if "nbgrader" in c.metadata]  # noqa: E731
    assert grade_ids(nb) == grade_ids(full)


def _code_cells(nb) -> list:
    """What a run executes: each code cell's source and its metadata (but our own build notes), in order."""
    return [(c.source, {k: v for k, v in c.metadata.items() if k != "graders"}) for c in nb.cells
            if c.cell_type == "code"]


@pytest.mark.slow
@pytest.mark.parametrize("lab_id, notebook, lang", list(_lab_notebooks()))
def test_reference_passes_in_challenge_mode(lab_id, notebook, lang, tmp_path):
    lab = load_lab(lab_id)
    lab.checks
    nb = localize(source_notebook(lab, notebook, list(LANGUAGES), challenge=True), lang)
    nb = fill_answers(nb, reference_answers(nb))
    if _code_cells(nb) == _code_cells(learner_notebook(lab, notebook, lang)):
        # Challenge mode left only prose out: the run would execute exactly the code, in the same order, that
        # tests/test_labs.py runs for this notebook's reference in this language (test_lab_notebook[...-reference-
        # <lang>]), so that run proves it; the robot and cloud notebooks are the slow ones, and most are like this.
        return
    with lab_services(lab, tmp_path / "services") as env:
        executed = execute(nb, prepare_dir(lab, tmp_path / lab_id), env=env)
    got = results(executed)
    failing = {q.id: got[q.id].texts if q.id in got else "not run" for q in lab.questions_in(notebook)
               if q.id not in got or not got[q.id].passed}
    assert failing == {}


@pytest.mark.slow
@pytest.mark.xdist_group("nbgrader-cycle")
def test_challenge_and_normal_submissions_grade_in_one_gradebook(tmp_path):
    course, lab_id = load_course("digital-skills-day"), "orientation"
    normal, challenge = tmp_path / "course", tmp_path / "challenge"
    build_course(course, normal, "all", [lab_id])
    build_course(course, challenge, "all", [lab_id], challenge=True)
    reference = reference_answers(nbformat.read(normal / "source" / lab_id / f"{lab_id}.ipynb", as_version=4))
    for student, root, lang in (("olena", normal, "uk"), ("ken", challenge, "ja")):
        copy = localize(nbformat.read(root / "release" / lab_id / f"{lab_id}.ipynb", as_version=4), lang)
        assert copy.metadata["graders"]["challenge"] is (root == challenge)
        folder = normal / "submitted" / student / lab_id
        folder.mkdir(parents=True)
        nbformat.write(fill_answers(copy, reference), folder / f"{lab_id}.ipynb")
        shutil.copy(root / "release" / lab_id / "sessions.csv", folder / "sessions.csv")
        (folder / "timestamp.txt").write_text("2026-11-25 10:00:00.000000 UTC")
    assert len(_sources(localize(nbformat.read(challenge / "release" / lab_id / f"{lab_id}.ipynb", as_version=4),
                                 "en"))) < len(_sources(localize(nbformat.read(
                                     normal / "release" / lab_id / f"{lab_id}.ipynb", as_version=4), "en")))
    run_nbgrader(normal, "autograde", lab_id)
    run_nbgrader(normal, "export", "--to", str(tmp_path / "grades.csv"))
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f) if r["assignment"] == lab_id}
    total = sum(q.points for q in load_lab(lab_id).questions.values())
    assert {s: float(r["raw_score"]) for s, r in rows.items()} == {"olena": total, "ken": total}


def test_switching_mode_keeps_the_learners_work(tmp_path, monkeypatch):
    from graders import build
    from graders import workspace as ws

    def fake_build(course, root, lang, labs=None, challenge=False, gradebook=True):  # the real build is tested
        nb = source_notebook(load_lab("orientation"), "orientation", [lang], challenge)  # above; this is sync
        (root / "release" / "orientation").mkdir(parents=True)
        nbformat.write(nb, root / "release" / "orientation" / "orientation.ipynb")
        return ["orientation"]

    monkeypatch.setattr(build, "build_course", fake_build)
    cache = tmp_path / "cache"  # this test's own build cache: the fake builds never reach another test

    class OneLab:
        id, labs, path = "digital-skills-day", ["orientation"], load_course("digital-skills-day").path

    workspace = tmp_path / "w"
    ws.sync(OneLab, workspace, "en", cache=cache)
    mine = workspace / "orientation" / "orientation.ipynb"
    nb = nbformat.read(mine, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("MY_OWN_WORK = 1"))
    nbformat.write(nb, mine)
    report = ws.sync(OneLab, workspace, "en", challenge=True, cache=cache)
    assert "MY_OWN_WORK" in mine.read_text(encoding="utf-8")  # untouched
    (rel, beside), = report.beside
    assert nbformat.read(workspace / beside, as_version=4).metadata["graders"]["challenge"] is True
    # an untouched notebook simply switches mode (and back)
    other = tmp_path / "v"
    ws.sync(OneLab, other, "en", cache=cache)
    ws.sync(OneLab, other, "en", challenge=True, cache=cache)
    assert nbformat.read(other / "orientation" / "orientation.ipynb", as_version=4).metadata["graders"]["challenge"]
    ws.sync(OneLab, other, "en", challenge=False, cache=cache)
    assert not nbformat.read(other / "orientation" / "orientation.ipynb", as_version=4).metadata["graders"]["challenge"]


def test_the_hub_fetch_cuts_a_challenge_learners_copy(tmp_path):
    """The class list's challenge column reaches the spawner's environment; the fetch cuts the all-language copy
    to the learner's language and to its challenge version, with the same grade ids as the normal build."""
    from graders.exchange import localize_file
    from graders.hub.roster import read_class_list

    members, _, problems = read_class_list("username,name,lang,challenge\nken,Ken,ja,yes\nolena,Olena,uk,\n")
    assert problems == [] and {m.username: m.challenge for m in members} == {"ken": True, "olena": False}
    assert read_class_list("username,challenge\nken,maybe\n")[2], "a wrong challenge value must be reported"

    lab = load_lab("orientation")
    full = source_notebook(lab, "orientation", list(LANGUAGES))
    for name, challenge in (("ken", True), ("olena", False)):
        nbformat.write(full, tmp_path / f"{name}.ipynb")
        assert localize_file(tmp_path / f"{name}.ipynb", "ja", challenge)
    ken = nbformat.read(tmp_path / "ken.ipynb", as_version=4)
    olena = nbformat.read(tmp_path / "olena.ipynb", as_version=4)
    assert ken.metadata["graders"]["challenge"] is True and olena.metadata["graders"]["challenge"] is False
    assert CHALLENGE_NOTE.render("ja") in _sources(ken) and CHALLENGE_NOTE.render("ja") not in _sources(olena)
    built = localize(source_notebook(lab, "orientation", list(LANGUAGES), challenge=True), "ja")
    assert [c.source for c in ken.cells if "nbgrader" not in c.metadata and c.cell_type == "code"] == \
        [c.source for c in built.cells if "nbgrader" not in c.metadata and c.cell_type == "code"]
    ids = lambda nb: [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]  # noqa: E731
    assert ids(ken) == ids(olena) == ids(full)
    assert len(_sources(ken)) < len(_sources(olena))
    assert not localize_file(tmp_path / "ken.ipynb", "ja", True), "a copy already cut is left alone"
