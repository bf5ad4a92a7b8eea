"""Proving a lab: its reference answers pass every check, its known-wrong variants fail with their own messages.

A variant is ``labs/<lab>/variants/<name>.toml``::

    notebook = "orientation"
    description = "city typed in small letters"
    base = "reference"            # or "empty": every answer cell keeps the learner's blank stub
    [answers]                     # grade id of an answer cell -> the code a learner wrote there
    q1_answer = 'city = "tokyo"'
    [expect]                      # question -> a message id that must be among its failed parts, or "pass"
    q1 = "orientation.q1.case"

Used by ``tests/test_labs.py`` for every lab, and by the nbgrader-cycle tests to make submissions.
"""
from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .build import CODE_STUB, localize, source_notebook
from .i18n import LANGUAGES
from .labdef import LabDef
from .render import VERDICT_MIME

SOLUTION_BLOCK = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


@dataclass
class Variant:
    name: str
    notebook: str
    description: str
    base: str
    answers: dict[str, str]
    expect: dict[str, str]
    path: Path | None = None
    extra: dict = field(default_factory=dict)


def load_variants(lab: LabDef) -> list[Variant]:
    out = []
    for path in sorted(lab.variants_dir.glob("*.toml")):
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        out.append(Variant(path.stem, raw.get("notebook", lab.notebooks[0]), raw.get("description", ""),
                           raw.get("base", "reference"), dict(raw.get("answers", {})), dict(raw.get("expect", {})),
                           path, {k: v for k, v in raw.items()
                                  if k not in {"notebook", "description", "base", "answers", "expect"}}))
    return out


def reference_answers(nb: nbformat.NotebookNode) -> dict[str, str]:
    """grade id -> the reference code of every answer cell (the solution markers removed)."""
    out = {}
    for cell in nb.cells:
        nbg = cell.get("metadata", {}).get("nbgrader", {})
        if nbg.get("solution"):
            out[nbg["grade_id"]] = SOLUTION_BLOCK.sub("", cell.source)
    return out


def fill_answers(nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``nb`` with the given answer cells replaced, as a learner would have typed them."""
    nb = copy.deepcopy(nb)
    known = set()
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
            known.add(grade_id)
    unknown = set(answers) - known
    if unknown:
        raise KeyError(f"no answer cell with grade id {sorted(unknown)}")
    return nb


def learner_notebook(lab: LabDef, notebook: str, lang: str, variant: Variant | None = None,
                     with_hidden: bool = True) -> nbformat.NotebookNode:
    """The source notebook in ``lang`` with the variant's answers (or the reference answers) filled in.

    With ``with_hidden`` the hidden test blocks stay in, so the learner-mode run also proves the hidden parts.
    """
    nb = localize(source_notebook(lab, notebook, list(LANGUAGES)), lang)
    if not with_hidden:
        for cell in nb.cells:
            cell.source = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", "", cell.source, flags=re.S)
    answers = reference_answers(nb)
    if variant is not None:
        if variant.base == "empty":
            answers = {gid: CODE_STUB.render(lang) + "\n" for gid in answers}
        answers.update(variant.answers)
    return fill_answers(nb, answers)


def prepare_dir(lab: LabDef, where: Path, graded: bool = True) -> Path:
    """A folder like a learner's copy of the lab: its data files; with ``graded`` (it goes with the hidden test
    blocks that :func:`learner_notebook` keeps) the lab's ``[grading] files`` over them, as nbgrader's autograde puts
    them there (``graders.gradingonly.place_graded_files``); ``graded=False``: the learner's own copy."""
    where.mkdir(parents=True, exist_ok=True)
    if lab.data_dir.is_dir():
        shutil.copytree(lab.data_dir, where, dirs_exist_ok=True)
    if graded:
        from .gradingonly import place_graded_files

        place_graded_files(where, lab.path)
    return where


@contextlib.contextmanager
def lab_services(lab: LabDef, data_dir: Path | None = None, notebook: str | None = None):
    """Fresh instances of the lab's services, in this process, for one run; yields the environment that hands
    them to a kernel (``$GRADERS_SERVICE_<NAME>``), as the grader does for each submission. ``notebook``: also the
    services only that notebook uses (lab.toml ``[notebook."<nb>"] services = [...]``)."""
    from .services.registry import env_name, service_class

    own = lab.raw.get("notebook", {}).get(notebook, {}).get("services", []) if notebook else []
    with contextlib.ExitStack() as stack:
        env = {}
        for name in [*lab.services, *(n for n in own if n not in lab.services)]:
            cls = service_class(name)
            service = cls.for_workspace(Path(data_dir) / name) if data_dir else cls()
            stack.enter_context(service)
            env[env_name(name)] = json.dumps({"url": service.url, **service.info()})
        yield env


def execute(nb: nbformat.NotebookNode, cwd: Path, *, timeout: int = 120, grading: str | None = None,
            env: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """Run every cell (errors do not stop the run), in ``cwd``, optionally as nbgrader would (``grading``)."""
    from nbclient import NotebookClient
    from traitlets.config import Config

    kernel_env = dict(os.environ)
    kernel_env.setdefault("GRADERS_WORKSPACE", str(cwd))  # keep test progress out of the user's data folder
    (Path(kernel_env["GRADERS_WORKSPACE"]) / ".graders").mkdir(parents=True, exist_ok=True)
    if grading:
        kernel_env["NBGRADER_EXECUTION"] = grading
    kernel_env.update(env or {})
    nb = copy.deepcopy(nb)
    # The kernel talks over Unix sockets in a folder of its own, not TCP ports: jupyter_client picks free ports and
    # the kernel binds them a moment later, and with many kernels starting at once (pytest-xdist, a grading bench)
    # another kernel can take one in between ("Address already in use", the kernel dies before it answers).
    sockets = tempfile.mkdtemp(prefix="graders-kernel-")
    config = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(sockets, "kernel")}})
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True, config=config,
                                resources={"metadata": {"path": str(cwd)}})
        client.execute(env=kernel_env)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    return nb


@dataclass
class QuestionResult:
    question: str
    passed: bool
    failed_ids: list[str]
    passed_ids: list[str]
    texts: list[str]          # the text/plain the learner saw
    errors: list[str]         # error outputs of the check cell (grading mode)
    verdicts: list[dict]


def results(nb: nbformat.NotebookNode) -> dict[str, QuestionResult]:
    """What every check cell of an executed notebook showed, by question."""
    out: dict[str, QuestionResult] = {}
    for cell in nb.cells:
        g = cell.get("metadata", {}).get("graders", {})
        if g.get("role") != "check":
            continue
        q = g["question"]
        res = out.setdefault(q, QuestionResult(q, True, [], [], [], [], []))
        seen_verdict = False
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if VERDICT_MIME in data:
                v = data[VERDICT_MIME]
                seen_verdict = True
                res.verdicts.append(v)
                res.passed = res.passed and v["passed"]
                res.failed_ids += [p["id"] for p in v["parts"] if not p["ok"]]
                res.passed_ids += [p["id"] for p in v["parts"] if p["ok"]]
                res.texts.append(data.get("text/plain", ""))
            if output.get("output_type") == "error":
                res.errors.append(f"{output.get('ename')}: {output.get('evalue')}")
                res.passed = False
        if not seen_verdict:
            res.passed = False
    return out


def problems_with(result: dict[str, QuestionResult], expect: dict[str, str]) -> list[str]:
    """Why the executed notebook does not match ``expect`` (empty list: it matches)."""
    problems = []
    for question, wanted in expect.items():
        res = result.get(question)
        if res is None:
            problems.append(f"{question}: no check output at all")
        elif wanted == "pass":
            if not res.passed:
                problems.append(f"{question}: should pass but failed with {res.failed_ids} {res.errors}")
        elif wanted not in res.failed_ids:
            problems.append(f"{question}: expected failure {wanted!r}, got failed={res.failed_ids} "
                            f"passed={res.passed_ids} errors={res.errors}")
    return problems
