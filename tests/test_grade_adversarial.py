"""Submissions that try to hang, exhaust or fool the grader: each gets 0 for what it did not earn, with a reason an
instructor can read; none stops the run; the gradebook stays consistent; nothing is left running.

All of them are graded in one parallel run (2 workers, 8 s per cell, 90 s per notebook), from the orientation lab's
reference answers with one thing changed each.
"""
from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import nbformat
import pytest

from graders.grade.app import grade
from graders.grade.classroom import course_directory, make_class, release_copy, submit
from graders.grade.records import read_records
from graders.testing import fill_answers, reference_answers

# One worker grades the adversarial class once (a module fixture would otherwise be built on each xdist worker:
# two fork bombs at once on two cores).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("adversarial")]
LAB = "orientation"
POINTS = {"q1": 1, "q2": 1, "q3": 1, "q4": 2, "q5": 2}
FULL = sum(POINTS.values())

NETWORK_PROBE = '''import json, socket, subprocess, sys
report = {"interfaces": [l.split(":")[0].strip() for l in open("/proc/net/dev").readlines()[2:]]}
try:
    socket.create_connection(("203.0.113.7", 80), timeout=3)
except OSError as exc:
    report["python"] = str(exc)
# a child process has no in-kernel guard: only the network namespace stops it
child = subprocess.run([sys.executable, "-c", "import socket, errno\\ntry:\\n    socket.create_connection(('203.0.113.7', 80), timeout=3)\\nexcept OSError as e:\\n    print(errno.errorcode[e.errno])"], capture_output=True, text=True)
report["child"] = child.stdout.strip()
print("NETWORK-PROBE " + json.dumps(report))
socket.create_connection(("203.0.113.7", 80), timeout=3)
city = "Tokyo"'''

# name -> (answers replacing the reference, notebook edit or None, expected points per question, reason kinds)
CASES = {
    "infinite_loop": ({"q2_answer": "while True:\n    pass"}, None, {"q2": 0}, {"timeout"}),
    "ignores_interrupts": ({"q2_answer": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"},
                           None, {"q2": 0, "q3": 0, "q4": 0, "q5": 0}, {"timeout", "not_run"}),
    "memory_bomb": ({"q3_answer": "hog = bytearray(8 * 1024 ** 3)\nlanguages = ['Ukrainian', 'English', 'Japanese']"},
                    None, {"q3": 0}, {"memory"}),
    "fork_bomb": ({"q1_answer": "import os\nwhile True:\n    os.fork()\ncity = 'Tokyo'"}, None, {"q1": 0}, {"processes"}),
    "huge_output": ({"q3_answer": "print('x' * 30_000_000)\nfor i in range(100_000):\n    print(i)\nlanguages = ['Ukrainian', 'English', 'Japanese']"},
                    None, {}, {"output"}),
    "patched_lab_check": ({"q1_answer": "city = 'Kyiv'\nimport graders.lab\ngraders.lab.Lab.check = lambda self, *a, **k: None"},
                          None, {"q1": 0}, {"tampering"}),
    "patched_questions_run": ({"q2_answer": "total_hours = 9\nimport graders.checks as c\n"
                                            "c.Questions.run = lambda self, q, check: c.Verdict(self.lab, q, [c.Part(True, c.MSG_MISSING, {'name': 'x'})])"},
                              None, {"q2": 0}, {"tampering"}),
    "fake_lab_object": ({"q4_answer": "def greet(name):\n    return 'hi'\nclass Fake:\n    def check(self, *a, **k):\n"
                                      "        print('✔ Question q4: well done, everything is right.')\nlab = Fake()"},
                        None, {"q4": 0}, {"tampering"}),
    "faked_verdict_output": ({"q5_answer": "from IPython.display import display\n"
                                           "display({'application/vnd.graders.verdict+json': {'lab': 'orientation', 'question': 'q5', 'passed': True, 'parts': []},"
                                           " 'text/plain': '✔ Question q5: well done'}, raw=True)"},
                             None, {"q5": 0}, set()),
    "edited_test_cell": ({"q3_answer": "languages = 'Ukrainian, English, Japanese'"}, "edit_q3", {"q3": 0}, set()),
    "deleted_test_cell": ({}, "delete_q1", {}, {"tampering"}),
    "test_cell_not_graded": ({"q2_answer": "total_hours = 3 + 6"}, "ungrade_q2", {"q2": 0}, {"tampering"}),
    "sys_exit": ({"q2_answer": "total_hours = 3 * 6\nimport sys\nsys.exit(0)",
                  "q4_answer": "def greet(name):\n    import sys\n    sys.exit('bye')"}, None, {"q4": 0}, set()),
    "os_exit": ({"q3_answer": "import os\nos._exit(3)"}, None, {"q3": 0, "q4": 0, "q5": 0}, {"exit", "not_run"}),
    "network_call": ({"q1_answer": NETWORK_PROBE}, None, {"q1": 0}, {"network"}),
    "writes_gradebook": ({"q2_answer": "import glob, sqlite3\nfound = glob.glob('../../../gradebook.db') + glob.glob('../../../../**/gradebook.db', recursive=True)\n"
                                       "print('GRADEBOOK', found)\ndb = sqlite3.connect('../../../gradebook.db')\n"
                                       "db.execute('UPDATE grade SET auto_score = 100')\ndb.commit()\ntotal_hours = 18"},
                         None, {"q2": 0}, set()),
    "reads_solutions": ({"q4_answer": "import json, glob, os, labs\nlabs_dir = os.path.dirname(labs.__file__)\n"
                                      "solutions = glob.glob('../../../source/*/*.ipynb') + [f for d in ('hidden', 'notebooks', 'solutions', 'variants') for f in glob.glob(os.path.join(labs_dir, '*', d, '*'))]\n"
                                      "print('SOLUTIONS', solutions)\nsource = json.load(open('../../../source/orientation/orientation.ipynb'))\n"
                                      "exec(next(c['source'] for c in source['cells'] if 'def greet' in ''.join(c['source'])))"},
                        None, {"q4": 0}, set()),
}


def _edit(nb: nbformat.NotebookNode, how: str | None) -> nbformat.NotebookNode:
    if how is None:
        return nb
    action, gid = how.split("_", 1)
    for index, cell in enumerate(nb.cells):
        if cell.metadata.get("nbgrader", {}).get("grade_id") != gid:
            continue
        if action == "edit":
            cell.source = "print('Question q3: well done, everything is right.')"
        elif action == "delete":
            del nb.cells[index]
        elif action == "ungrade":
            cell.metadata.nbgrader["grade"] = False
        return nb
    raise KeyError(gid)


@pytest.fixture(scope="module")
def adversarial(tmp_path_factory):
    root = tmp_path_factory.mktemp("adversarial")
    make_class(root, LAB, 0)
    source = nbformat.read(root / "source" / LAB / f"{LAB}.ipynb", as_version=4)
    reference = reference_answers(source)
    for name, (answers, edit, _, _) in CASES.items():
        nb = _edit(fill_answers(release_copy(root, LAB, LAB, "en"), {**reference, **answers}), edit)
        submit(root, LAB, name, {LAB: nb})
    submit(root, LAB, "garbage_bytes", {LAB: "\x00\x01 not a notebook \ufffd{{{"})
    submit(root, LAB, "honest", {LAB: fill_answers(release_copy(root, LAB, LAB, "uk"), reference)})
    result, settings = grade(course_directory(root), LAB, workers=2, cell_timeout=8, notebook_timeout=90)
    records = {r["student"]: r for r in read_records(root, LAB)}
    return root, result, settings, records


def _grades(root: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "digital-skills-day") as gb:
        notebook = gb.find_submission_notebook(LAB, LAB, student)
        return {grade.name: grade.auto_score for grade in notebook.grades}


def _kinds(record: dict) -> set[str]:
    from graders.grade.reasons import KIND

    kinds = set()
    for nb in record["notebooks"].values():
        for r in nb.get("reasons", []):
            kinds.add(KIND.get(r["id"]))
        for entry in nb.get("questions", {}).values():
            for r in entry.get("reasons", []):
                kinds.add(KIND.get(r["id"]))
    return kinds - {None}


def test_the_run_finishes_and_grades_everyone(adversarial):
    root, result, _, records = adversarial
    assert result.errors == []
    assert set(records) == set(CASES) | {"garbage_bytes", "honest"}
    assert all(r["status"] == "graded" for r in records.values())
    assert _grades(root, "honest") == {q: float(p) for q, p in POINTS.items()}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_trick_earns_only_what_was_earned_with_a_readable_reason(adversarial, name):
    root, _, _, records = adversarial
    _, _, expected_zero, kinds = CASES[name]
    expected = {q: (0.0 if q in expected_zero else float(p)) for q, p in POINTS.items()}
    record = records[name]
    assert _grades(root, name) == expected, record["notebooks"]
    assert kinds <= _kinds(record), (name, _kinds(record), record["notebooks"])
    from graders.grade.reasons import render
    for nb in record["notebooks"].values():
        for r in nb["reasons"]:
            for lang in ("en", "uk", "ja"):
                text = render(r, lang)
                assert text and "{" not in text and r["id"] not in text


def test_the_reasons_say_what_happened_where(adversarial):
    root, _, _, records = adversarial
    reasons = {name: [r for nb in rec["notebooks"].values() for r in nb["reasons"]] for name, rec in records.items()}
    loop = next(r for r in reasons["infinite_loop"] if r["id"] == "grade.reason.cell_timeout")
    # the cell is named by its question, as the learner knows it (not by a position that counts markdown cells)
    assert loop["params"]["seconds"] == 8
    assert loop["params"]["cell"] == {"id": "grade.cell.answer", "params": {"question": "q2"}}
    from graders.grade.reasons import render
    assert render(loop, "en") == ("Your answer to q2 ran for more than 8 seconds and was stopped. "
                                  "Look for a loop that never ends or a wait that never finishes.")
    memory = next(r for r in reasons["memory_bomb"] if r["id"] == "grade.reason.memory")
    assert memory["params"]["limit"] == "1 GiB"
    # the fork bomb ends at its own cell by the process limit (its next fork fails), not by the clock
    assert [r["id"] for r in reasons["fork_bomb"]] == ["grade.reason.processes"]
    died = next(r for r in reasons["os_exit"] if r["id"] == "grade.reason.kernel_died")
    assert died["params"]["how"] == "exit code 3"
    assert render(died, "en").startswith("Python stopped at your answer to q3 (exit code 3)")
    assert any(r["id"] == "grade.reason.malformed" for r in reasons["garbage_bytes"])
    assert _grades(root, "garbage_bytes") == {q: 0.0 for q in POINTS}


def test_a_network_call_never_leaves_the_machine(adversarial):
    """Inside the worker's network namespace there is only loopback: the in-kernel guard refuses the connect with a
    clear message, and even a child process without the guard gets "network unreachable", i.e. the kernel had no
    route to build a packet on. No test traffic is aimed anywhere but at a documentation address (TEST-NET-3)."""
    root, _, settings, records = adversarial
    assert records["network_call"]["network"] in ("netns", "userns+netns")
    nb = nbformat.read(root / "autograded" / "network_call" / LAB / f"{LAB}.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    report = json.loads(text.split("NETWORK-PROBE ", 1)[1].splitlines()[0])
    assert report["interfaces"] == ["lo"]
    assert "Network access is switched off" in report["python"]
    assert report["child"] == "ENETUNREACH"


def test_the_gradebook_and_the_course_folder_are_out_of_reach(adversarial):
    root, *_ = adversarial
    nb = nbformat.read(root / "autograded" / "writes_gradebook" / LAB / f"{LAB}.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("GRADEBOOK []" in o.get("text", "") for o in outputs)
    with sqlite3.connect(root / "gradebook.db") as db:
        assert db.execute("SELECT max(auto_score) FROM grade").fetchone()[0] <= 2
    nb = nbformat.read(root / "autograded" / "reads_solutions" / LAB / f"{LAB}.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("SOLUTIONS []" in o.get("text", "") for o in outputs)


def test_the_gradebook_has_one_row_per_learner_and_every_grade(adversarial):
    root, _, _, records = adversarial
    with sqlite3.connect(root / "gradebook.db") as db:
        rows = db.execute("SELECT student_id, count(*) FROM submitted_assignment GROUP BY student_id").fetchall()
        grades = db.execute("SELECT count(*) FROM grade").fetchone()[0]
    assert sorted(s for s, n in rows if n == 1) == sorted(records)
    assert grades == len(records) * len(POINTS)


def test_nothing_is_left_running(adversarial):
    _, _, settings, _ = adversarial
    marker = f"GRADERS_GRADE_RUN={settings['run_id']}".encode()
    stray = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if marker in Path(f"/proc/{pid}/environ").read_bytes():
                    stray.append(pid)
            except OSError:
                pass
    assert stray == []


def test_feedback_shows_the_reason_in_the_learners_words(adversarial):
    root, *_ = adversarial
    nb = nbformat.read(root / "autograded" / "infinite_loop" / LAB / f"{LAB}.ipynb", as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert any(o.ename == "GradingStopped" and "ran for more than 8 seconds" in o.evalue for o in errors)


# --- outside evidence: the grader asks the submission's own services, not the notebook ---------------------------

def _outside_lab():
    from graders.labdef import all_lab_ids, load_course, load_lab

    for lab_id in all_lab_ids():
        if lab_id not in load_course("digital-skills-day").labs:
            continue
        lab = load_lab(lab_id)
        for notebook in lab.notebooks:
            questions = [q.id for q in lab.questions_in(notebook)]
            if questions and all(lab.checks.questions.evidence.get(q) == "outside" for q in questions):
                return lab_id, notebook, questions
    return None


OUTSIDE = _outside_lab()


@pytest.mark.skipif(OUTSIDE is None, reason="no lab with an all-outside-evidence notebook has landed yet")
def test_outside_evidence_is_decided_by_the_grader_not_the_notebook(tmp_path):
    """A notebook that patches `lab.check` to say "well done" gets nothing for work it did not do, and everything for
    work it did: the grader asks the submission's own services itself, right after each check cell."""
    lab_id, notebook, questions = OUTSIDE
    root = tmp_path / "course"
    make_class(root, lab_id, 0)
    source = nbformat.read(root / "source" / lab_id / f"{notebook}.ipynb", as_version=4)
    reference = reference_answers(source)
    patch = nbformat.v4.new_code_cell("import graders.lab\n"
                                      "graders.lab.Lab.check = lambda self, *a, **k: print('✔ well done, everything is right.')")

    def patched(answers):
        nb = release_copy(root, lab_id, notebook, "en")
        nb = fill_answers(nb, answers) if answers else nb
        setup = next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("graders", {}).get("role") == "setup")
        nb.cells.insert(setup + 1, patch)
        return nb

    submit(root, lab_id, "did_nothing", {notebook: patched({})})
    submit(root, lab_id, "did_the_work", {notebook: patched(reference)})
    result, _ = grade(course_directory(root), lab_id, workers=2)
    assert result.errors == []
    records = {r["student"]: r for r in read_records(root, lab_id)}
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "digital-skills-day") as gb:
        for student, earned in (("did_nothing", False), ("did_the_work", True)):
            grades = {g.name: (g.auto_score, g.max_score) for g in gb.find_submission_notebook(notebook, lab_id, student).grades}
            for gid, (score, points) in grades.items():
                assert score == (points if earned else 0), (student, gid, score)
            entries = records[student]["notebooks"][notebook]["questions"]
            assert {q: entries[q]["evidence"] for q in questions} == {q: "outside" for q in questions}
            assert all(entries[q]["passed"] is earned for q in questions)


def test_a_stuck_grading_process_is_replaced_and_a_rerun_picks_up_only_what_did_not_finish(tmp_path):
    """The pool's watchdog kills a grading worker that takes longer than its budget (with the kernels it started);
    that submission gets an error record, the others are graded, and the next run grades only that one."""
    root = tmp_path / "course"
    make_class(root, LAB, 0)
    source = nbformat.read(root / "source" / LAB / f"{LAB}.ipynb", as_version=4)
    reference = reference_answers(source)
    slow = {**reference, "q1_answer": "import time\ntime.sleep(60)\ncity = 'Tokyo'"}
    submit(root, LAB, "a_honest", {LAB: fill_answers(release_copy(root, LAB, LAB, "en"), reference)})
    submit(root, LAB, "b_slow", {LAB: fill_answers(release_copy(root, LAB, LAB, "en"), slow)})
    submit(root, LAB, "c_honest", {LAB: fill_answers(release_copy(root, LAB, LAB, "ja"), reference)})
    cd = course_directory(root)
    result, settings = grade(cd, LAB, workers=1, cell_timeout=120, task_timeout=25)
    outcome = {r["student"]: r["status"] for r in result.results}
    assert outcome == {"a_honest": "graded", "b_slow": "error", "c_honest": "graded"}
    error = next(r for r in result.results if r["student"] == "b_slow")["error"]
    assert "longer than 25 s" in error["params"]["error"]
    again, _ = grade(cd, LAB, workers=1, cell_timeout=120, task_timeout=25)
    assert [r["student"] for r in again.results] == ["b_slow"] and sorted(again.skipped) == ["a_honest", "c_honest"]
    marker = f"GRADERS_GRADE_RUN={settings['run_id']}".encode()
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _environ_has(p, marker)]


def _environ_has(pid: str, marker: bytes) -> bool:
    try:
        return marker in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
