"""A synthetic class for any lab: an nbgrader course with N submissions of every kind beginners hand in.

Used by the grading tests and ``bench/grading.py``; works for every lab from what the lab already has (its reference
answers and its known-wrong ``variants/``), so a new lab gets a class of its own for free:

* ``reference``: the reference answers, in the learner's language;
* ``partial``: a learner who did part of the lab: only the notebook one of the lab's variants is about, the reference
  with one question answered as that variant has it (one question wrong); the lab's other notebooks are not handed in
  (nbgrader gives a missing notebook 0 points, and so does ``graders grade``, with a reason in its record);
* ``wrong``: one of the lab's variants as it stands (several questions wrong);
* ``empty``: the released notebook, opened and submitted without an answer;
* ``malformed``: a notebook file cut off in the middle (not JSON any more).

Learners rotate through English, Ukrainian and Japanese; the notebooks of honest kinds carry JupyterLab's cell
timing (``metadata.execution``), as with "Record cell timing" switched on.
"""
from __future__ import annotations

import random
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat

from ..build import CODE_STUB, build_course, localize
from ..i18n import LANGUAGES
from ..labdef import load_course, load_lab
from ..testing import fill_answers, load_variants, reference_answers

KINDS = ("reference", "partial", "malformed", "empty", "wrong", "reference", "partial", "wrong", "reference", "partial")


@dataclass
class Submission:
    student: str
    lang: str
    kind: str
    variant: str | None = None


def course_directory(root: Path):
    """nbgrader's ``CourseDirectory`` for the course folder ``root``, configured from its ``nbgrader_config.py``."""
    from nbgrader.apps.baseapp import NbGrader

    app = NbGrader()
    app.initialize([f"--course-dir={Path(root).resolve()}"])
    return app.coursedir


def copy_course(source: Path, target: Path) -> Path:
    """A copy of a course folder that is a course of its own (``graders build`` writes its root into the config)."""
    import re

    source, target = Path(source).resolve(), Path(target).resolve()
    shutil.copytree(source, target, dirs_exist_ok=True)
    config = target / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r"^c\.CourseDirectory\.root = .*$", f"c.CourseDirectory.root = {str(target)!r}", text,
                             flags=re.M), encoding="utf-8")
    return target


def release_copy(root: Path, lab: str, notebook: str, lang: str) -> nbformat.NotebookNode:
    return localize(nbformat.read(Path(root) / "release" / lab / f"{notebook}.ipynb", as_version=4), lang)


def submit(root: Path, lab: str, student: str, notebooks: dict[str, nbformat.NotebookNode | str],
           when: datetime | None = None) -> Path:
    """Put a learner's notebooks (and the lab's released data files) where ``nbgrader collect`` would."""
    folder = Path(root) / "submitted" / student / lab
    folder.mkdir(parents=True, exist_ok=True)
    release = Path(root) / "release" / lab
    for path in release.rglob("*"):
        if path.is_file() and path.suffix != ".ipynb":
            target = folder / path.relative_to(release)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
    for name, nb in notebooks.items():
        if isinstance(nb, str):
            (folder / f"{name}.ipynb").write_text(nb, encoding="utf-8")
        else:
            nbformat.write(nb, folder / f"{name}.ipynb")
    stamp = (when or datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    (folder / "timestamp.txt").write_text(stamp, encoding="utf-8")
    # what nbgrader's exchange leaves with a submission (release_feedback names the feedback after it)
    import hashlib
    secret = hashlib.sha256(f"{lab}/{student}".encode()).hexdigest()[:32]
    (folder / "submission_secret.txt").write_text(secret, encoding="utf-8")
    return folder


def add_timing(nb: nbformat.NotebookNode, start: datetime, rng: random.Random) -> nbformat.NotebookNode:
    """Cell timing as JupyterLab records it: each code cell's last run."""
    t = start
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        t += timedelta(seconds=rng.randint(20, 240))
        end = t + timedelta(milliseconds=rng.randint(5, 900))
        cell.metadata["execution"] = {"iopub.execute_input": t.isoformat().replace("+00:00", "Z"),
                                      "iopub.status.busy": t.isoformat().replace("+00:00", "Z"),
                                      "shell.execute_reply": end.isoformat().replace("+00:00", "Z"),
                                      "iopub.status.idle": end.isoformat().replace("+00:00", "Z")}
    return nb


def make_class(root: Path, lab_id: str, n: int = 20, course: str = "digital-skills-day", seed: int = 7,
               build: bool = True) -> list[Submission]:
    """Build ``lab_id`` for all languages in ``root`` and submit ``n`` synthetic learners; returns who is what."""
    root = Path(root)
    if build:
        build_course(load_course(course), root, "all", [lab_id])
    lab = load_lab(lab_id)
    variants = [v for v in load_variants(lab) if any(e != "pass" for e in v.expect.values())]
    rng = random.Random(seed)
    sources = {nb: nbformat.read(root / "source" / lab_id / f"{nb}.ipynb", as_version=4) for nb in lab.notebooks}
    references = {nb: reference_answers(src) for nb, src in sources.items()}
    out = []
    for i in range(n):
        lang = LANGUAGES[i % len(LANGUAGES)]
        kind = KINDS[i % len(KINDS)]
        variant = variants[i % len(variants)] if variants else None
        if kind in ("partial", "wrong") and variant is None:
            kind = "reference"
        student = f"s{i + 1:02d}_{kind}"
        start = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc) + timedelta(minutes=rng.randint(0, 40))
        notebooks: dict[str, nbformat.NotebookNode | str] = {}
        for name in lab.notebooks:
            if kind == "partial" and variant.notebook != name:
                continue   # not handed in (in a lab of one notebook, nothing is left out)
            nb = release_copy(root, lab_id, name, lang)
            answers = dict(references[name])
            if kind == "empty":
                answers = {}
            elif kind in ("partial", "wrong") and variant.notebook == name:
                if variant.base == "empty":
                    answers = {gid: CODE_STUB.render(lang) + "\n" for gid in answers}
                chosen = dict(variant.answers)
                if kind == "partial":
                    failing = [q for q, e in variant.expect.items() if e != "pass"]
                    question = failing[i % len(failing)]
                    chosen = {gid: code for gid, code in chosen.items() if gid.startswith(question + "_")} or \
                        dict(list(chosen.items())[:1])
                answers.update(chosen)
            nb = fill_answers(nb, answers) if answers else nb
            if kind != "empty":
                add_timing(nb, start, rng)
            if kind == "malformed":
                text = nbformat.writes(nb)
                notebooks[name] = text[: len(text) // 2]
            else:
                notebooks[name] = nb
        submit(root, lab_id, student, notebooks, when=start + timedelta(minutes=90))
        out.append(Submission(student, lang, kind, variant.name if variant and kind in ("partial", "wrong") else None))
    return out
