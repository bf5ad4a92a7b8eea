"""A class graded in parallel: the same scores as serial nbgrader, one gradebook row per learner, idempotent re-runs,
a class report whose numbers are the gradebook's (rendered in headless chromium), feedback in each learner's language.

The orientation lab gets a 20-learner class by default; every other lab on main gets a smaller one (set
GRADERS_FULL_CLASS=1 for 20 each). Labs are found from labs/*/lab.toml, so a new lab is covered once it lands.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pytest

from graders.build import run_nbgrader
from graders.grade.app import grade
from graders.grade.classroom import copy_course, course_directory, make_class
from graders.grade.records import read_records
from graders.labdef import all_lab_ids, load_course, load_lab

pytestmark = [pytest.mark.slow]
COURSE_LABS = load_course("digital-skills-day").labs
FULL = os.environ.get("GRADERS_FULL_CLASS") == "1"


def class_size(lab: str) -> int:
    return 20 if lab == "orientation" or FULL else 3   # reference, partial, malformed


# Serial nbgrader grades the aws reference in tests/test_aws_nbgrader.py already (learner anna: every notebook, the
# hidden checks too) and gives it the lab's total there; the class's reference must get that total from our grader
# (test_every_learner_... below), so the aws class does not grade the reference serially a second time.
SERIAL_ELSEWHERE = {("aws", "reference")}


def serial_sample(lab: str, learners) -> list:
    """Who serial nbgrader grades too: everyone for orientation (or with GRADERS_FULL_CLASS=1), else the reference,
    the malformed learner and, in a lab of several notebooks, the partial learner, who handed in one notebook of them
    (a missing notebook gets 0 points from both); the partial learner of a one-notebook lab is a variant that
    tests/test_labs.py proves already (serial grading of the longer labs would double their share of the test time)."""
    if lab == "orientation" or FULL:
        return list(learners)
    kinds = ("reference", "malformed") + (("partial",) if len(load_lab(lab).notebooks) > 1 else ())
    seen, out = set(), []
    for x in learners:
        if x.kind not in seen and x.kind in kinds and (lab, x.kind) not in SERIAL_ELSEWHERE:
            seen.add(x.kind)
            out.append(x)
    return out


def gradebook_scores(root: Path, assignment: str) -> dict[str, float]:
    out = root / "export.csv"
    run_nbgrader(root, "export", "--to", str(out))
    with open(out, newline="", encoding="utf-8") as f:
        return {row["student_id"]: float(row["raw_score"]) for row in csv.DictReader(f) if row["assignment"] == assignment}


def notebook_scores(root: Path, assignment: str) -> dict[str, dict[str, tuple[float, float]]]:
    """Each learner's score and maximum per notebook, from the gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "digital-skills-day") as gb:
        return {sub.student.id: {nb.name: (float(nb.score), float(nb.max_score)) for nb in sub.notebooks}
                for sub in gb.assignment_submissions(assignment)}


def gradebook_rows(root: Path, assignment: str) -> list[tuple[str, str]]:
    import sqlite3

    with sqlite3.connect(root / "gradebook.db") as db:
        return db.execute("SELECT student.id, assignment.name FROM submitted_assignment "
                          "JOIN student ON student.id = submitted_assignment.student_id "
                          "JOIN assignment ON assignment.id = submitted_assignment.assignment_id "
                          "WHERE assignment.name = ?", (assignment,)).fetchall()


# Each lab's class is graded once, on one xdist worker (without a group each worker would grade its own copy);
# different labs still go to different workers.
@pytest.fixture(scope="module", params=[pytest.param(lab, marks=pytest.mark.xdist_group(f"class-{lab}"))
                                        for lab in all_lab_ids() if lab in COURSE_LABS])
def graded_class(request, tmp_path_factory):
    lab = request.param
    ours = tmp_path_factory.mktemp(f"class-{lab}")
    learners = make_class(ours, lab, class_size(lab))
    serial = tmp_path_factory.mktemp(f"serial-{lab}")
    copy_course(ours, serial)
    cd = course_directory(ours)
    result, settings = grade(cd, lab, workers=2, cell_timeout=60, notebook_timeout=300)
    sample = serial_sample(lab, learners)
    if len(sample) == len(learners):
        nbgrader = run_nbgrader(serial, "autograde", lab, check=False)
    else:
        for x in sample:
            nbgrader = run_nbgrader(serial, "autograde", lab, "--student", x.student, check=False)
    return lab, ours, serial, learners, result, settings, (nbgrader, sample)


def test_every_learner_is_graded_in_parallel_with_the_same_scores_as_serial_nbgrader(graded_class):
    lab, ours, serial, learners, result, settings, (nbgrader, sample) = graded_class
    assert result.workers == 2
    assert [r["student"] for r in result.errors] == []
    assert sorted(r["student"] for r in result.results) == sorted(x.student for x in learners)
    # serial nbgrader really graded its own copy (it exits 1 because of the damaged notebooks, as it should)
    graded = sorted({p.parent.parent.name for p in (serial / "autograded").glob(f"*/{lab}/*.ipynb")})
    assert graded == sorted(x.student for x in sample if x.kind != "malformed")
    mine, theirs = gradebook_scores(ours, lab), gradebook_scores(serial, lab)
    assert {x.student: mine[x.student] for x in sample} == {x.student: theirs[x.student] for x in sample}, \
        (mine, theirs, nbgrader.stderr[-3000:])
    full = max(mine.values())
    notebooks = notebook_scores(ours, lab)
    for x in learners:
        if x.kind == "reference":
            assert mine[x.student] == full, x
            if (lab, x.kind) in SERIAL_ELSEWHERE:   # the lab's total, as serial nbgrader gives it in the other test
                total = sum(q.points for q in load_lab(lab).questions.values())
                assert mine[x.student] == sum(m for _, m in notebooks[x.student].values()) == total, x
        elif x.kind in ("empty", "malformed"):
            assert mine[x.student] == 0, x
        else:
            assert mine[x.student] < full, x
            # the one wrong question costs points in the notebook handed in; a notebook not handed in gets none
            handed_in = {p.stem for p in (ours / "submitted" / x.student / lab).glob("*.ipynb")}
            for name, (score, max_score) in notebooks[x.student].items():
                if name not in handed_in:
                    assert x.kind == "partial" and score == 0, (x, name)
                elif x.kind == "partial":
                    assert score < max_score, (x, name, score)


def test_one_gradebook_row_per_learner_and_a_record_for_each(graded_class):
    lab, ours, _, learners, *_ = graded_class
    rows = gradebook_rows(ours, lab)
    assert sorted(s for s, _ in rows) == sorted(x.student for x in learners)
    records = {r["student"]: r for r in read_records(ours, lab)}
    assert set(records) == {x.student for x in learners}
    for x in learners:
        record = records[x.student]
        assert record["status"] == "graded"
        handed_in = {p.stem for p in (ours / "submitted" / x.student / lab).glob("*.ipynb")}
        assert handed_in, x
        for name, nb in record["notebooks"].items():
            if name not in handed_in:   # the partial learner's other notebooks: missing, and the record says so
                assert x.kind == "partial" and nb.get("missing"), (x, name)
                assert [r["id"] for r in nb["reasons"]] == ["grade.reason.missing"], (x, name, nb["reasons"])
                continue
            if x.kind == "malformed":
                assert nb.get("malformed") and nb["reasons"][0]["id"] == "grade.reason.malformed"
            elif x.kind != "empty":
                assert nb["lang"] == x.lang  # the learner's language, read from their notebook
            for question in nb.get("questions", {}).values():  # every verdict is the lab's own, none a checker crash
                assert "core.checker_broken" not in [p["id"] for p in question.get("parts", [])], (x, question)
                if x.kind == "reference":   # honest work is never flagged "needs a look" (e.g. for a masked key)
                    flagged = {"grade.reason.check_differs", "grade.reason.check_silent"}
                    assert not flagged & {r["id"] for r in question.get("reasons", [])}, (x, question)


def test_a_rerun_skips_what_is_graded_and_force_gives_the_same_scores(graded_class):
    lab, ours, _, learners, *_ = graded_class
    cd = course_directory(ours)
    before = gradebook_scores(ours, lab)
    again, _ = grade(cd, lab, workers=2)
    assert again.results == [] and len(again.skipped) == len(before)
    assert gradebook_scores(ours, lab) == before
    # forced again: in the 20-learner class, the honest learner whose notebooks ran quickest; in a 3-learner class of a
    # longer lab, whose honest learners take minutes each (a robot lab's: 4 minutes), the malformed one. Forcing and
    # replacing the gradebook rows are the grader's own, whatever the lab; that a lab's honest work gets the same score
    # when it runs again is what the serial comparison above and tests/test_labs.py prove for every lab.
    seconds = {r["student"]: r["seconds"] for r in read_records(ours, lab)}
    honest = class_size(lab) == 20
    one = min((x.student for x in learners if (x.kind != "malformed") == honest), key=lambda s: (seconds[s], s))
    forced, _ = grade(cd, lab, workers=1, force=True, students=[one])
    assert [r["student"] for r in forced.results] == [one]
    assert gradebook_scores(ours, lab) == before
    assert len(gradebook_rows(ours, lab)) == len(before)


def test_a_changed_submission_is_graded_again(graded_class):
    lab, ours, *_ = graded_class
    cd = course_directory(ours)
    student = sorted(gradebook_scores(ours, lab))[-1]
    stamp = ours / "submitted" / student / lab / "timestamp.txt"
    original = stamp.read_text()
    stamp.write_text("2026-11-25 11:59:00.000000 UTC")
    try:
        result, _ = grade(cd, lab, workers=1)
        assert [r["student"] for r in result.results] == [student]
    finally:
        stamp.write_text(original)
        grade(cd, lab, workers=1)


def test_no_stray_processes_are_left(graded_class):
    _, _, _, _, result, settings, _ = graded_class
    marker = f"GRADERS_GRADE_RUN={settings.get('run_id', '')}".encode()
    stray = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if marker in Path(f"/proc/{pid}/environ").read_bytes():
                    stray.append(pid)
            except OSError:
                pass
    assert stray == []


# --- the class report ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "uk", "ja"])
def test_the_class_report_numbers_are_the_gradebooks(graded_class, lang, tmp_path):
    from graders.report import write_report

    lab, ours, *_ = graded_class
    paths = write_report(course_directory(ours), lab, lang, tmp_path)
    page = paths["html"].read_text(encoding="utf-8")
    data = json.loads(page.split('<script type="application/json" id="report-data">', 1)[1].split("</script>", 1)[0])
    scores = gradebook_scores(ours, lab)
    assert {s: v["score"] for s, v in data["learners"].items()} == scores
    with open(paths["learners_csv"], newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["student_id"]: float(r["score"]) for r in rows} == scores
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{ours / 'gradebook.db'}", "digital-skills-day") as gb:
        for question, q in data["questions"].items():
            full = 0
            for student in scores:
                notebook = next(nb for nb in gb.find_submission(lab, student).notebooks
                                if any(g.name == q["grade_id"] for g in nb.grades))
                grade = next(g for g in notebook.grades if g.name == q["grade_id"])
                full += grade.score >= grade.max_score
            assert q["passed"] == full, question
    # the failure messages are counted per learner from the records
    records = {r["student"]: r for r in read_records(ours, lab)}
    for question, q in data["questions"].items():
        for failure in q["failures"]:
            saw = sum(1 for r in records.values() for nb in r["notebooks"].values()
                      if question in nb.get("questions", {}) and not nb["questions"][question]["passed"]
                      and any(p["id"] == failure["id"] and not p["ok"] for p in nb["questions"][question]["parts"])
                      or any(x["id"] == failure["id"] for x in nb.get("questions", {}).get(question, {}).get("reasons", [])))
            assert failure["learners"] == saw, (question, failure)
    assert f'<html lang="{lang}">' in page and "<script src" not in page and "http://" not in page.replace("http://www.w3.org", "")
    words = {"en": "Score distribution", "uk": "Розподіл балів", "ja": "得点の分布"}
    assert words[lang] in page
    assert "report.no_timing" not in page and "data:image/png;base64," in page


def test_the_report_renders_in_headless_chromium(graded_class, artifacts, tmp_path):
    from playwright.sync_api import sync_playwright

    from graders.report import write_report

    lab, ours, *_ = graded_class
    shots = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                    args=["--no-sandbox"] if os.geteuid() == 0 else [])
        try:
            for lang in ("en", "ja"):
                paths = write_report(course_directory(ours), lab, lang, tmp_path / lang)
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                page.goto(paths["html"].as_uri())
                sizes = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
                assert len(sizes) >= 2 and all(w > 100 for w in sizes)
                assert page.locator("tr[data-student]").count() == len(gradebook_scores(ours, lab))
                shots[lang] = artifacts / f"grading-report-{lab}-{lang}.png"
                page.screenshot(path=str(shots[lang]), full_page=True)
                page.close()
        finally:
            browser.close()
    assert all(path.stat().st_size > 20_000 for path in shots.values())


# --- feedback in each learner's language ---------------------------------------------------------------------------

def test_feedback_is_generated_and_released_in_each_learners_language(graded_class, tmp_path):
    from graders.report.feedback import generate_feedback, release_feedback

    lab, ours, _, learners, *_ = graded_class
    assert generate_feedback(ours, lab) == 0
    words = {"en": "Your answer", "uk": "Ваша відповідь", "ja": "あなたの答え"}
    checked = 0
    for x in learners:
        # one page per notebook (a lab's own files, such as the aws lab's index.html, are copied as they are)
        pages = [p for p in (ours / "feedback" / x.student / lab).glob("*.html")
                 if (ours / "autograded" / x.student / lab / f"{p.stem}.ipynb").exists()]
        if x.kind == "malformed":
            assert pages == []
            continue
        assert pages, x
        for page in pages:  # every notebook of the lab
            text = page.read_text(encoding="utf-8")
            assert f'lang="{x.lang}"' in text and words[x.lang] in text, (x, page.name)
            for other in set(words) - {x.lang}:
                assert words[other] not in text
            checked += 1
    assert checked >= len([x for x in learners if x.kind != "malformed"])
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    assert release_feedback(ours, lab, [f"--Exchange.root={exchange}"]) == 0
    released = list((exchange / "digital-skills-day" / "feedback").glob("*.html"))
    # nbgrader releases every .html of a feedback folder, a lab's own page too (fetch_feedback only picks up the
    # notebooks' pages, by their hash): one page per notebook, plus those
    extra = sum(1 for x in learners for p in (ours / "feedback" / x.student / lab).glob("*.html")
                if not (ours / "autograded" / x.student / lab / f"{p.stem}.ipynb").exists())
    assert len(released) == checked + extra
