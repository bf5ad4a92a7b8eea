"""Submissions that try to reach answer keys from inside the graded kernel, graded with the real sandboxed grader.

Each trick is paired with a control that does the same work without the trick: the trick must earn exactly what its
control earns (nothing more), and what it tried to read must not have been there.

* ``package_data`` (office): reads the practice sheet the installed package ships and tries every path a kernel
  could read answers from (``PROBE``); graded on the grading sheet, the sheet questions earn nothing, and no gold,
  hidden, solutions, source or gradebook file is readable.
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

# Every path a graded kernel might read answers from: the labs' gold/hidden/solutions/notebooks/variants (through the
# imported package, site-packages and sys.path), the course folder (gradebook, source notebooks), a learner
# workspace's build folder, and the lab's solutions module. Prints what it could read.
PROBE = """import glob, importlib, json, os, pathlib, site, sys
import labs
_dirs = ("gold", "keys", "hidden", "solutions", "notebooks", "variants")
_roots = {str(pathlib.Path(labs.__file__).parent)}
for _p in [*site.getsitepackages(), site.getusersitepackages(), *sys.path]:
    if _p and os.path.isdir(os.path.join(_p, "labs")):
        _roots.add(os.path.join(_p, "labs"))
_patterns = [os.path.join(r, "*", d, "**", "*") for r in _roots for d in _dirs]
_patterns += ["../../../source/**/*", "../../../gradebook.db", "../../../release/**/*.ipynb",
              os.path.expanduser("~/**/.graders/build/**/*"), "/tmp/**/hidden/*.json", "/tmp/**/gold/*.json"]
READABLE = []
for _pattern in _patterns:
    for _f in glob.glob(_pattern, recursive=True):
        try:
            with open(_f, "rb") as _fh:
                _fh.read(1)
            READABLE.append(_f)
        except OSError:
            pass
for _module in ("labs.{lab}.solutions", "labs.{lab}.solutions.make_data"):
    try:
        _m = importlib.import_module(_module)
    except Exception:
        continue
    if getattr(_m, "__file__", None) or any(os.listdir(_d) for _d in getattr(_m, "__path__", [])):
        READABLE.append(_module)   # (a masked folder imports as an empty namespace package: nothing in it)
print("READABLE " + json.dumps(sorted(set(READABLE))))
"""


def probe(lab: str) -> str:
    return PROBE.replace("{lab}", lab)


# q1 with the practice sheet the installed package ships (labs/office/data/signup.csv) instead of the notebook's own
# signup.csv; by_day from the practice gold when it can be read. Everything after follows the reference.
PACKAGE_DATA = probe("office") + """
import pandas as pd
raw = pd.read_csv(pathlib.Path(labs.__file__).parent / "office" / "data" / "signup.csv", encoding="cp932", dtype=str)
"""
GOLD_PIVOT = """
_gold = pathlib.Path(labs.__file__).parent / "office" / "gold" / "pivot.json"
if _gold.is_file():
    _pivot = json.loads(_gold.read_text(encoding="utf-8"))
    by_day = pd.DataFrame(_pivot["values"]).T
    by_day.index = pd.to_datetime(by_day.index)
"""

# Part 6 of issue 20: the grader asks the kernel through graders.grade.evidence.kernel_request, looked up in the
# kernel's own sys.modules, so a submission can replace it. This one records every request it gets (into
# requests.log, next to the notebook) and passes it on: what it could learn is exactly what crosses.
ENCODER = LOOKUP + """
import json as _json
import sys as _sys

import graders.grade.evidence as _evidence

_real_request = _sys.modules["graders.grade.evidence"].kernel_request


def _recording_request(request, namespace):
    with open("requests.log", "a", encoding="utf-8") as _log:
        _log.write(request + "\\n")
    return _real_request(request, namespace)


_evidence.kernel_request = _recording_request
"""

OFFICE_CASES = {"lookup_only": {"q2_answer": LOOKUP}, "spy": {"q2_answer": SPY}, "encoder": {"q2_answer": ENCODER},
                "package_data": {"q1_answer": PACKAGE_DATA}}


def one_lab_course(tmp_path_factory, lab: str) -> Path:
    """The course with this lab only (the same course id): other labs' work in progress cannot stop its build."""
    from graders.labdef import COURSES_DIR

    folder = tmp_path_factory.mktemp(f"course-{lab}")
    text = (COURSES_DIR / "digital-skills-day" / "course.toml").read_text(encoding="utf-8")
    lines = [f'labs = ["{lab}"]' if line.startswith("labs = ") else line for line in text.splitlines()]
    (folder / "course.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def english_build(tmp_path_factory, root: Path, lab: str) -> None:
    """The one-lab course built in English only (the submissions here are English): a third of the build time."""
    from graders.build import build_course
    from graders.labdef import load_course

    build_course(load_course(str(one_lab_course(tmp_path_factory, lab))), root, "en", [lab])


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


def _readable(root: Path, student: str, lab: str, notebook: str) -> list[str]:
    import re

    text = _outputs(root, student, lab, notebook)
    found = re.findall(r"READABLE (\[.*?\])", text)
    assert found, text[:2000]
    return json.loads(found[0])


def test_the_practice_sheet_from_the_package_earns_nothing_for_the_sheet_questions(office_class):
    root, _, _ = office_class
    honest, copied = (_grades(root, "office", "office", s) for s in ("honest", "package_data"))
    # q1, q4, q6, q7 are judged on the grading sheet that nbgrader put in the folder; q2, q3 (functions) and q5 (a
    # picture) do not depend on the sheet
    assert {q for q in honest if copied[q] < honest[q]} == {"q1", "q4", "q6", "q7"}, (copied, honest)
    assert all(copied[q] == 0 for q in ("q1", "q4", "q6", "q7"))


def test_nothing_with_answers_is_readable_from_a_graded_office_kernel(office_class):
    root, _, _ = office_class
    readable = _readable(root, "package_data", "office", "office")
    assert not [f for f in readable if not answer_free(f, "office")], readable


def answer_free(path: str, lab: str) -> bool:
    """A readable path that holds no answers: another lab's practice gold (self-study checks read it; for the
    annotation lab see /work/notes/keys.md), never a grading-only folder, this lab's gold, the course folder, the
    gradebook, a workspace build or a solutions module."""
    from graders.gradingonly import all_dir_names

    parts = Path(path).parts
    if "solutions" in path.split(".") or any(name in parts for name in all_dir_names()):
        return False
    if "source" in parts or "release" in parts or ".graders" in parts or path.endswith("gradebook.db"):
        return False
    practice = next((name for name in ("gold", "keys") if name in parts), None)
    return practice is not None and parts[parts.index(practice) - 1] != lab


# --- career: the multiple-choice keys --------------------------------------------------------------------------------
def key_reader(question: str, single: bool) -> str:
    """An answer that is whatever key the kernel can find (the checks module, keys/choices.json), else a wrong one."""
    fallback = '["z"]'
    pick = f'(_keys.get("{question}") or getattr(_c, "{question.upper()}_CORRECT", None) or {fallback})'
    value = f"sorted({pick})[0]" if single else f"set({pick})"
    return (probe("career") + f"""
import labs.career.checks as _c
try:
    _keys = json.loads((pathlib.Path(_c.__file__).parent / "keys" / "choices.json").read_text(encoding="utf-8"))
except OSError:
    _keys = {{}}
try:   # a question scored only when graded keeps its key in hidden/
    _keys.update({{"{question}": json.loads((pathlib.Path(_c.__file__).parent / "hidden" / "{question}.json")
                                           .read_text(encoding="utf-8"))["key"]}})
except OSError:
    pass
{question} = {value}
""")


CAREER_SINGLE = {"q1": True, "q2": False, "q3": False, "q4": False, "q5": True, "q7": True}


@pytest.fixture(scope="module")
def career_class(tmp_path_factory):
    from graders.labdef import load_lab

    root = tmp_path_factory.mktemp("keys-career")
    make_class(root, "career", 0, course=str(one_lab_course(tmp_path_factory, "career")))
    notebooks = load_lab("career").notebooks
    for student in ("honest", "key_reader"):
        submission = {}
        for notebook in notebooks:
            source = nbformat.read(root / "source" / "career" / f"{notebook}.ipynb", as_version=4)
            answers = reference_answers(source)
            if student == "key_reader":
                answers.update({f"{q}_answer": key_reader(q, single) for q, single in CAREER_SINGLE.items()
                                if f"{q}_answer" in answers})
            submission[notebook] = fill_answers(release_copy(root, "career", notebook, "en"), answers)
        submit(root, "career", student, submission)
    result, _ = grade(course_directory(root), "career", workers=2, cell_timeout=30, notebook_timeout=240)
    assert result.errors == []
    return root, notebooks


def test_the_career_keys_cannot_be_read_from_a_graded_kernel(career_class):
    root, notebooks = career_class
    honest, reader = {}, {}
    for notebook in notebooks:
        honest.update(_grades(root, "career", notebook, "honest"))
        reader.update(_grades(root, "career", notebook, "key_reader"))
    assert all(honest[q] > 0 for q in CAREER_SINGLE), honest
    assert {q: reader[q] for q in CAREER_SINGLE} == {q: 0.0 for q in CAREER_SINGLE}, reader
    readable = _readable(root, "key_reader", "career", "workplace")
    assert not [f for f in readable if not answer_free(f, "career")], readable


def test_a_replaced_evidence_encoder_sees_only_names_and_arguments_and_earns_nothing(office_class):
    """It decides what the grader sees for a name or a call, which a learner decides anyway by writing the answer;
    it never sees an expected result (the hidden cases' answers stay in the grader), and decoding its answers runs
    no code (test_grade_sandbox)."""
    root, _, _ = office_class
    replaced, control = (_grades(root, "office", "office", s) for s in ("encoder", "lookup_only"))
    assert replaced == control, (replaced, control)
    log = root / "autograded" / "encoder" / "office" / "requests.log"
    requests = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert {r["op"] for r in requests} == {"get", "call"}   # it really answered the grader
    hidden = json.loads((Path(__file__).resolve().parent.parent / "labs" / "office" / "hidden" / "q2.json")
                        .read_text(encoding="utf-8"))["cases"]
    answers = {iso for _, iso in hidden} - {iso for _, iso in OFFICE_VISIBLE_DATES}
    text = log.read_text(encoding="utf-8")
    assert answers and not [iso for iso in answers if iso in text], text[:2000]
    assert any(text_ in text or json.dumps(text_)[1:-1] in text for text_, _ in hidden)   # the arguments do cross


# --- the other labs without services: what a graded kernel of theirs can read -----------------------------------------
@pytest.mark.parametrize("lab", ["bridge", "orientation"])
def test_a_graded_kernel_of_this_lab_can_read_no_answers(tmp_path_factory, lab):
    from graders.labdef import load_lab

    root = tmp_path_factory.mktemp(f"keys-{lab}")
    make_class(root, lab, 0, course=str(one_lab_course(tmp_path_factory, lab)))
    notebook = load_lab(lab).notebooks[0]
    source = nbformat.read(root / "source" / lab / f"{notebook}.ipynb", as_version=4)
    answers = reference_answers(source)
    first = next(iter(answers))
    answers[first] = probe(lab) + "\n" + answers[first]
    submit(root, lab, "prober", {notebook: fill_answers(release_copy(root, lab, notebook, "en"), answers)})
    result, _ = grade(course_directory(root), lab, workers=1, cell_timeout=30, notebook_timeout=240)
    assert result.errors == []
    readable = _readable(root, "prober", lab, notebook)
    assert not [f for f in readable if not answer_free(f, lab)], readable


# --- annotation: gold/ masked when graded, the quality tables replaced ------------------------------------------------
# Every path of the PROBE, then the practice answers from where a kernel could find them: gold/classes.json for the
# photo classes (q2), the tables the installed package ships and the checks module's own computation (q8, q9), and
# gold/agreement.json when it can be read. Graded, gold/ is masked and the tables are other tables: nothing earned.
ANNOTATION_CASES = {
    "q2_answer": probe("annotation") + """
_lab = pathlib.Path(labs.__file__).parent / "annotation"
if (_lab / "gold" / "classes.json").is_file():
    for _item, _class in json.loads((_lab / "gold" / "classes.json").read_text(encoding="utf-8")).items():
        photos.label(_item, _class)
""",
    "q8_answer": """import json, pathlib
import pandas as pd
import labs
from sklearn.metrics import cohen_kappa_score
_lab = pathlib.Path(labs.__file__).parent / "annotation"
_table = pd.read_csv(_lab / "data" / "qc" / "two_annotators.csv")
agreement = (_table["annotator_a"] == _table["annotator_b"]).mean()
kappa = cohen_kappa_score(_table["annotator_a"], _table["annotator_b"])
if (_lab / "gold" / "agreement.json").is_file():
    _gold = json.loads((_lab / "gold" / "agreement.json").read_text(encoding="utf-8"))
    agreement, kappa = _gold["agreement"], _gold["kappa"]
""",
    "q9_answer": """from labs.annotation.checks import box_pair_ious
_ious, _missed = box_pair_ious()
mean_iou = sum(_ious) / len(_ious)
""",
}
ANNOTATION_NOTEBOOKS = ("classification", "quality")


@pytest.fixture(scope="module")
def annotation_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("keys-annotation")
    english_build(tmp_path_factory, root, "annotation")
    for student in ("honest", "package_data"):
        submission = {}
        for notebook in ANNOTATION_NOTEBOOKS:
            answers = reference_answers(nbformat.read(root / "source" / "annotation" / f"{notebook}.ipynb",
                                                      as_version=4))
            if student == "package_data":
                answers.update({k: v for k, v in ANNOTATION_CASES.items() if k in answers})
            submission[notebook] = fill_answers(release_copy(root, "annotation", notebook, "en"), answers)
        submit(root, "annotation", student, submission)
    result, _ = grade(course_directory(root), "annotation", workers=2, cell_timeout=60, notebook_timeout=300)
    assert result.errors == []
    return root


def test_the_annotation_practice_answers_earn_nothing_when_graded(annotation_class):
    """The honest learner earns every point of q2, q8, q9 with gold/ masked (the grading call judges the practice
    photos from its hidden copy); the same work built from gold/, the package's practice tables or the checks
    module earns none, and nothing the graded kernel can read holds an annotation answer."""
    root = annotation_class
    honest, copied = {}, {}
    for notebook in ANNOTATION_NOTEBOOKS:
        honest.update(_grades(root, "annotation", notebook, "honest"))
        copied.update(_grades(root, "annotation", notebook, "package_data"))
    assert all(honest[q] > 0 for q in ("q2", "q7", "q8", "q9")), honest
    assert {q: copied[q] for q in ("q2", "q8", "q9")} == {"q2": 0.0, "q8": 0.0, "q9": 0.0}, copied
    readable = _readable(root, "package_data", "annotation", "classification")
    assert not [f for f in readable if not answer_free(f, "annotation")], readable


# --- labs with services or of their own: a submission that runs any reference solution it can find ------------------
# The first answer cell runs the PROBE; every answer cell then looks through what it could read for this question's
# reference solution (a source notebook .ipynb by grade id, a notebook source .md by question) and runs it. Graded,
# none is readable: the submission earns nothing, and nothing readable holds an answer of this lab.
FINDER = '''import json as _json, re as _re
_gid, _q, _code = "{gid}", "{question}", None
for _f in READABLE:
    if not _f.endswith((".ipynb", ".md")):
        continue
    try:
        _text = open(_f, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError):
        continue
    if _f.endswith(".ipynb"):
        try:
            for _cell in _json.loads(_text).get("cells", []):
                _src = "".join(_cell.get("source", ""))
                if _cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == _gid and "BEGIN SOLUTION" in _src:
                    _code = _src
        except ValueError:
            pass
    else:
        _m = _re.search(r'role="answer" question="' + _q + r'"[^\\n]*\\n(.*?)```', _text, _re.S)
        if _m and "BEGIN SOLUTION" in _m.group(1):
            _code = _m.group(1)
    if _code:
        break
print("SOLUTION FOUND" if _code else "NO SOLUTION FOUND", _gid)
if _code:
    exec(_code.replace("### BEGIN SOLUTION", "").replace("### END SOLUTION", ""), globals())
'''
FINDER_LABS = {"rpa": "rpa2_files", "sheets": "sheets"}   # aws (1-basics): in tests/test_aws_concepts.py's class


def solution_finder(source: nbformat.NotebookNode, lab: str) -> dict[str, str]:
    answers = {}
    for cell in source.cells:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if nbg.get("solution"):
            question = cell.get("metadata", {}).get("graders", {}).get("question") or nbg["grade_id"].split("_")[0]
            answers[nbg["grade_id"]] = FINDER.replace("{gid}", nbg["grade_id"]).replace("{question}", question)
    first = next(iter(answers))
    answers[first] = probe(lab) + "\n" + answers[first]
    return answers


@pytest.mark.parametrize("lab", sorted(FINDER_LABS))
def test_a_graded_kernel_finds_no_reference_solution_and_earns_nothing(tmp_path_factory, lab):
    root = tmp_path_factory.mktemp(f"keys-finder-{lab}")
    english_build(tmp_path_factory, root, lab)
    notebook = FINDER_LABS[lab]
    source = nbformat.read(root / "source" / lab / f"{notebook}.ipynb", as_version=4)
    nb = fill_answers(release_copy(root, lab, notebook, "en"), solution_finder(source, lab))
    submit(root, lab, "finder", {notebook: nb})
    result, _ = grade(course_directory(root), lab, workers=1, cell_timeout=60, notebook_timeout=300)
    assert result.errors == []
    assert_the_finder_found_and_earned_nothing(root, lab, notebook)


def assert_the_finder_found_and_earned_nothing(root: Path, lab: str, notebook: str, student: str = "finder") -> None:
    output = _outputs(root, student, lab, notebook)
    assert "SOLUTION FOUND" not in output.replace("NO SOLUTION FOUND", ""), output[:3000]
    scores = _grades(root, lab, notebook, student)
    assert scores and not [q for q, v in scores.items() if v], scores
    readable = _readable(root, student, lab, notebook)
    assert not [f for f in readable if not answer_free(f, lab)], readable
