"""The whole nbgrader cycle for the AWS assignment (seven notebooks), with the real nbgrader and no extra servers:
build (all languages) -> generate_assignment -> two learners' submissions -> autograde -> generate_feedback -> export.

Plain ``nbgrader autograde`` gives each notebook's kernel a practice cloud of its own (graders/services/registry.py,
private=True), so the two learners, graded one after the other in one run, never see each other's resources:
anna created the user dana in her 2-iam notebook a moment before boris's empty 2-iam notebook is graded, and his
check still finds no dana."""
import csv
import json
import re
from pathlib import Path

import nbformat
import pytest

from graders.build import build_course, run_nbgrader
from graders.labdef import load_course, load_lab
from graders.testing import fill_answers, load_variants, reference_answers
from test_nbgrader_cycle import _release_copy, _submit

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("aws-nbgrader")]
LAB = "aws"
DATA = ("index.html", "aws-prices-2026-11.json")
SKIPPED_BY_BORIS = ("1-basics", "3-s3", "5-serverless")


def _answers(root: Path, notebook: str, variant=None) -> dict:
    source = nbformat.read(root / "source" / LAB / f"{notebook}.ipynb", as_version=4)
    answers = reference_answers(source)
    if variant is not None:
        if variant.base == "empty":
            answers = {}
        answers.update(variant.answers)
    return answers


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("aws-course")
    course = load_course("digital-skills-day")
    build_course(course, root, "all", [LAB])
    lab = load_lab(LAB)
    variants = {v.name: v for v in load_variants(lab)}
    boris = {"2-iam": variants["2-empty"], "4-ec2": variants["4-ssh-world"], "6-cleanup": variants["6-named-regions-only"],
             "7-concepts": variants["7-hidden-region"], "8-webserver": variants["8-hidden-root-only"],
             "9-api": variants["9-hand-made-json"]}
    # anna hands in every notebook with the reference answers; boris only the six he got wrong (he skipped 1-basics,
    # 3-s3 and 5-serverless: nbgrader gives a notebook not handed in 0 points, anna's run proves their reference)
    for student, lang, chosen in (("anna", "uk", {}), ("boris", "ja", boris)):
        for notebook in [nb for nb in lab.notebooks if not chosen or nb in chosen]:
            answers = _answers(root, notebook, chosen.get(notebook))
            nb = _release_copy(root, lang, lab=LAB, notebook=notebook)
            _submit(root, student, fill_answers(nb, answers) if answers else nb, lab=LAB, notebook=notebook, data=DATA)
    autograde = run_nbgrader(root, "autograde", LAB, check=False)
    feedback = run_nbgrader(root, "generate_feedback", LAB, check=False)
    export = run_nbgrader(root, "export", "--to", str(root / "grades.csv"), check=False)
    return root, lab, autograde, feedback, export


def _score(root: Path, student: str) -> float:
    with open(root / "grades.csv", newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] == LAB and r["student_id"] == student]
    return float(rows[0]["raw_score"])


def test_reference_gets_full_marks_and_mistakes_partial_marks(graded):
    root, lab, autograde, _, export = graded
    assert autograde.returncode == 0, autograde.stdout[-3000:] + autograde.stderr[-3000:]
    assert export.returncode == 0, export.stderr
    total = sum(q.points for q in lab.questions.values())
    assert _score(root, "anna") == total   # tests/test_grade_class.py asks our grader for this total too
    lost = sum(lab.questions[q].points for q in ("2a", "2b", "2c", "2d", "4a", "4b", "4c", "6c", "7h", "8a", "9a", "9b"))
    skipped = sum(q.points for nb in SKIPPED_BY_BORIS for q in lab.questions_in(nb))
    assert skipped > 0 and _score(root, "boris") == total - lost - skipped


def test_each_notebook_of_each_learner_had_its_own_practice_account(graded):
    root, lab, *_ = graded
    accounts = {}
    for student in ("anna", "boris"):
        for notebook in lab.notebooks:
            if student == "boris" and notebook in SKIPPED_BY_BORIS:
                assert not (root / "autograded" / student / LAB / f"{notebook}.ipynb").exists()
                continue
            nb = nbformat.read(root / "autograded" / student / LAB / f"{notebook}.ipynb", as_version=4)
            setup = [c for c in nb.cells if c.get("metadata", {}).get("graders", {}).get("role") == "setup"]
            if not any("connect_aws" in c.source for c in setup):
                assert notebook == "7-concepts", notebook   # the concepts need no practice cloud
                continue
            shown = "".join(str(o.get("data", {}).get("text/plain", "")) for c in nb.cells
                            if c.get("metadata", {}).get("graders", {}).get("role") == "setup" for o in c.outputs)
            found = re.findall(r"\b\d{12}\b", shown)
            assert found, f"{student}/{notebook}: no account shown"
            accounts[(student, notebook)] = found[0]
    assert len(set(accounts.values())) == len(accounts)


def test_feedback_explains_in_each_learners_language_including_hidden_probes(graded):
    root, _, _, feedback, _ = graded
    assert feedback.returncode == 0, feedback.stderr[-3000:]
    boris_iam = (root / "feedback" / "boris" / LAB / "2-iam.html").read_text(encoding="utf-8")
    assert "IAM ユーザー <code>dana</code> がいません" in boris_iam       # isolation: anna's dana is not here
    boris_cleanup = (root / "feedback" / "boris" / LAB / "6-cleanup.html").read_text(encoding="utf-8")
    assert "gpu-experiment" in boris_cleanup and "採点のときだけチェックされます" in boris_cleanup
    boris_ec2 = (root / "feedback" / "boris" / LAB / "4-ec2.html").read_text(encoding="utf-8")
    assert "インターネット全体" in boris_ec2
    # the monthly bill: every visible case passed, the grader's Frankfurt architecture found Tokyo prices
    boris_concepts = (root / "feedback" / "boris" / LAB / "7-concepts.html").read_text(encoding="utf-8")
    assert "eu-central-1 で動いています" in boris_concepts and "採点のときだけチェックされます" in boris_concepts
    # the web server answered the address and path boris opened, not the grader's (the DNS name, /index.html)
    boris_web = (root / "feedback" / "boris" / LAB / "8-webserver.html").read_text(encoding="utf-8")
    assert "compute.amazonaws.com/ で応答しません" in boris_web and "採点のときだけチェックされます" in boris_web
    # the API: every note the notebook tried worked; the grader's note_id with quotes broke the hand-made JSON body
    boris_api = (root / "feedback" / "boris" / LAB / "9-api.html").read_text(encoding="utf-8")
    assert "json.dumps(...) で作ってください" in boris_api and "採点のときだけチェックされます" in boris_api
    anna_concepts = (root / "feedback" / "anna" / LAB / "7-concepts.html").read_text(encoding="utf-8")
    assert "Правильно: Spot Instances" in anna_concepts
    anna = (root / "feedback" / "anna" / LAB / "5-serverless.html").read_text(encoding="utf-8")
    assert "молодець, усе правильно" in anna and "grader-unicode" in anna


def test_release_has_no_solutions_and_no_hidden_probes(graded):
    root, lab, *_ = graded
    for notebook in lab.notebooks:
        text = (root / "release" / LAB / f"{notebook}.ipynb").read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text, notebook
        assert "must_be_denied" not in text and "grader-unicode" not in text and "all_regions" not in text
        assert "m5.large" not in text and "2500000" not in text   # the hidden architectures of 7h
        assert "grader-long" not in text   # the hidden request bodies of 9a/9b
    assert (root / "release" / LAB / "index.html").exists()
    assert json.loads((root / "release" / LAB / "aws-prices-2026-11.json").read_text(encoding="utf-8"))["as_of"]
    source = (root / "source" / LAB / "2-iam.ipynb").read_text(encoding="utf-8")
    assert "must_be_denied" in source
