"""Course build: lab sources -> an nbgrader course directory -> ``nbgrader generate_assignment``.

A lab's notebook source is a jupytext Markdown file (``labs/<lab>/notebooks/<nb>.md``), diff-friendly, where

* prose is written once per language, in regions ``<!-- #region lang="en" -->`` (then ``uk``, ``ja``);
* code cells carry a ``role``: ``setup`` (creates ``lab``), ``answer`` (the learner writes code; nbgrader solution
  cell, the reference answer between ``### BEGIN SOLUTION`` / ``### END SOLUTION``), ``check`` (a locked nbgrader
  test cell calling ``lab.check(...)``, hidden parts between ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``),
  ``readonly`` (locked code the learner runs but cannot change); no role means an ordinary example cell.

A *challenge* build (``challenge=True``; ``graders build --challenge``, ``graders start --challenge``) is for learners
who already program: the same notebooks, same grade ids, without the scaffolding. A markdown region or code cell with
``challenge="skip"`` in its header is left out; a role-less code cell (a worked example) is left out unless it says
``challenge="keep"``. Goals and checks (and setup / readonly / answer cells) always stay. The notebook's metadata
says ``graders.challenge = true`` and a short note on top tells the learner where the full lesson is.

Locked and graded cells hold language-neutral code only, and every language gets the same grade ids, so one
gradebook grades a mixed-language class (nbgrader restores locked cells from the master copy and keeps the rest).
A build for one language has only that language's prose; a build for ``all`` languages keeps every language, and
:func:`localize` cuts a fetched copy down to the learner's language.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat

from .i18n import LANGUAGES, M_, SOURCE_LANGUAGE, reflow_prose
from .labdef import CourseDef, LabDef, LabDefinitionError, load_lab

ROLES = {"setup", "answer", "check", "readonly", None}
CODE_STUB = M_("core.build.code_stub", "# Write your code here, then run the cell (Shift+Enter).")
TEXT_STUB = M_("core.build.text_stub", "Write your answer here.")
CHALLENGE_NOTE = M_("core.build.challenge_note", "Challenge mode: goals and checks only; the full lesson is in the normal notebook.")
HIDDEN_PLACEHOLDER = re.compile(r"\bhidden\s*=\s*HIDDEN\b")
SETUP_CALL = re.compile(r"""Lab\(\s*(["'])(?P<lab>[\w-]+)\1\s*(?:,\s*lang\s*=\s*["'][\w-]*["']\s*)?"""
                        r"""(?:,\s*notebook\s*=\s*["'](?P<notebook>[\w.-]+)["']\s*)?\)""")


class BuildError(Exception):
    """A lab source that cannot be built, with the file and what to fix."""


def _grade_id(cell_md: dict, question: str | None, role: str, where: str) -> str:
    if cell_md.get("id"):
        return str(cell_md["id"])
    if not question:
        raise BuildError(f"{where}: a {role!r} cell needs question=\"...\" (or id=\"...\")")
    return question if role == "check" else f"{question}_{role}"


def set_setup_language(source: str, lang: str | None, notebook: str | None = None) -> str:
    """``Lab("x")`` -> ``Lab("x", lang="uk")`` (``lang=None`` removes the choice); ``notebook`` names the notebook
    of a lab that has several (its exercises are what the setup cell and ``lab.progress()`` show)."""
    def repl(m: re.Match) -> str:
        args = [f'"{m["lab"]}"']
        if lang:
            args.append(f'lang="{lang}"')
        if notebook or m["notebook"]:
            args.append(f'notebook="{notebook or m["notebook"]}"')
        return f"Lab({', '.join(args)})"
    return SETUP_CALL.sub(repl, source)


def challenge_skips(md: dict, role: str | None, cell_type: str) -> bool:
    """Whether a source cell (its jupytext header ``md``) is left out of a challenge build."""
    mark = md.get("challenge")
    if mark not in (None, "skip", "keep"):
        raise BuildError(f"challenge={mark!r}: use challenge=\"skip\" or challenge=\"keep\"")
    if mark == "skip":
        if role in ("setup", "answer", "check", "readonly"):
            raise BuildError(f"a {role!r} cell cannot be challenge=\"skip\" (the checks need it)")
        return True
    return cell_type == "code" and role is None and mark != "keep"


def source_notebook(lab: LabDef, notebook: str, langs: list[str], challenge: bool = False) -> nbformat.NotebookNode:
    """The nbgrader *source* notebook (with solutions and hidden tests) for the given languages; ``challenge``
    leaves the scaffolding out (see the module's docstring), with the same grade ids."""
    path = lab.notebook_source(notebook)
    if not path.exists():
        raise BuildError(f"{path} is missing (listed in labs/{lab.id}/lab.toml)")
    nb = jupytext.read(path)
    single = langs[0] if len(langs) == 1 else None
    cells, seen_ids, checked = about_cells(lab, notebook, langs, challenge), set(), set()
    for index, cell in enumerate(nb.cells):
        md = dict(cell.metadata)
        where = f"{path.name}, cell {index + 1}"
        try:
            skip = challenge_skips(md, md.get("role"), cell.cell_type)
        except BuildError as exc:
            raise BuildError(f"{where}: {exc}") from None
        if skip and challenge:
            continue
        if cell.cell_type == "markdown":
            lang = md.get("lang")
            if lang is not None and lang not in LANGUAGES:
                raise BuildError(f"{where}: unknown language {lang!r}")
            if lang is not None and lang not in langs:
                continue
            new = nbformat.v4.new_markdown_cell(reflow_prose(cell.source, lang), metadata={"graders": {"lang": lang}} if lang else {})
            if skip:  # a normal build remembers what challenge mode leaves out (challenge_cut, the hub's fetch)
                new.metadata.setdefault("graders", {})["challenge"] = "skip"
            new.id = f"md{index:03d}-{lang or 'all'}"
            cells.append(new)
            continue
        role = md.get("role")
        if role not in ROLES:
            raise BuildError(f"{where}: unknown role {role!r} (use one of setup, answer, check, readonly)")
        question = md.get("question")
        source = cell.source
        meta: dict = {}
        if role == "setup":
            source = set_setup_language(source, single, notebook if len(lab.notebooks) > 1 else None)
            meta["graders"] = {"role": "setup"}
        elif role in ("answer", "check", "readonly"):
            grade_id = _grade_id(md, question, role, where)
            if grade_id in seen_ids:
                raise BuildError(f"{where}: grade id {grade_id!r} is used twice")
            seen_ids.add(grade_id)
            nbg = {"schema_version": 3, "grade_id": grade_id, "locked": role != "answer",
                   "solution": role == "answer", "grade": role == "check"}
            if role == "check":
                if question not in lab.questions:
                    raise BuildError(f"{where}: question {question!r} is not in labs/{lab.id}/lab.toml")
                nbg["points"] = lab.questions[question].points
                checked.add(question)
                source = _insert_hidden(lab, question, source, where)
            elif role == "answer" and "### BEGIN SOLUTION" not in source:
                raise BuildError(f"{where}: an answer cell needs its reference answer between "
                                 "### BEGIN SOLUTION and ### END SOLUTION")
            meta["nbgrader"] = nbg
            meta["graders"] = {"role": role, "question": question}
        if skip:
            meta["graders"] = {"challenge": "skip"}
        new = nbformat.v4.new_code_cell(source, metadata=meta)
        new.id = meta.get("nbgrader", {}).get("grade_id") or f"code{index:03d}"
        cells.append(new)
    expected = {q.id for q in lab.questions_in(notebook)}
    if checked != expected:
        raise BuildError(f"{path.name}: check cells cover {sorted(checked)} but lab.toml lists {sorted(expected)}")
    out = nbformat.v4.new_notebook(cells=cells)
    out.nbformat_minor = 5
    out.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"},
        "language_info": {"name": "python"},
        "graders": {"lab": lab.id, "notebook": notebook, "languages": list(langs), "challenge": challenge},
    }
    return out


def about_cells(lab: LabDef, notebook: str, langs: list[str], challenge: bool = False) -> list[nbformat.NotebookNode]:
    """The notebook's first cell, one per language: its time and the labs to do first, from lab.toml (and, in a
    challenge build, what challenge mode leaves out)."""
    from .timing import header

    cells = []
    for lang in langs:
        text = header(lab, notebook, lang)
        if challenge:
            note = f"**{CHALLENGE_NOTE.render(lang)}**"
            text = f"{note}\n>\n> {text}" if text else note
        if text:
            cell = nbformat.v4.new_markdown_cell(f"> {text}", metadata={"graders": {"lang": lang, "role": "about"}})
            cell.id = f"about-{lang}"
            cells.append(cell)
    return cells


def _insert_hidden(lab: LabDef, question: str, source: str, where: str) -> str:
    """Put the grading-only data of ``labs/<lab>/hidden/<question>.json`` into the hidden-tests block."""
    if not HIDDEN_PLACEHOLDER.search(source):
        return source
    begin, end = source.find("### BEGIN HIDDEN TESTS"), source.find("### END HIDDEN TESTS")
    match = HIDDEN_PLACEHOLDER.search(source)
    if not (0 <= begin < match.start() < end):
        raise BuildError(f"{where}: hidden=HIDDEN must stand inside ### BEGIN HIDDEN TESTS ... ### END HIDDEN TESTS")
    data_path = lab.hidden_dir / f"{question}.json"
    try:
        data = json.loads(data_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"{where}: uses hidden=HIDDEN but {data_path} is missing") from None
    except ValueError as exc:
        raise BuildError(f"{data_path} is not valid JSON: {exc}") from None
    from .grade.verdicts import HiddenDataError, hidden_literal   # the grader reads it back the same way

    try:
        text = hidden_literal(data, str(data_path))
    except HiddenDataError as exc:
        raise BuildError(str(exc)) from None
    return HIDDEN_PLACEHOLDER.sub(lambda m: f"hidden={text}", source)


def localize(nb: nbformat.NotebookNode, lang: str) -> nbformat.NotebookNode:
    """Cut a fresh all-language notebook down to one language (prose, the setup cell, answer stubs)."""
    english_stub = CODE_STUB.render(SOURCE_LANGUAGE)
    cells = []
    for cell in nb.cells:
        g = cell.get("metadata", {}).get("graders", {})
        if cell.cell_type == "markdown" and g.get("lang") not in (None, lang):
            continue
        if g.get("role") == "setup":
            cell.source = set_setup_language(cell.source, lang)
        elif g.get("role") == "answer" and english_stub in cell.source:
            # the stub may follow a line of the learner's scaffold, e.g. %%writefile robot.py
            cell.source = cell.source.replace(english_stub, CODE_STUB.render(lang))
        cells.append(cell)
    nb.cells = cells
    nb.metadata.setdefault("graders", {})["languages"] = [lang]
    return nb


def challenge_cut(nb: nbformat.NotebookNode, langs: list[str] | None = None) -> nbformat.NotebookNode:
    """Turn a normal build (or a learner's fresh copy of one) into its challenge version: the cells a normal build
    marked ``graders.challenge = "skip"`` go, the challenge note goes on top; grade ids stay. Idempotent."""
    g = nb.metadata.setdefault("graders", {})
    if g.get("challenge") is True:
        return nb
    langs = langs or g.get("languages") or [SOURCE_LANGUAGE]
    cells = [c for c in nb.cells if c.get("metadata", {}).get("graders", {}).get("challenge") != "skip"]
    notes = []
    for lang in langs:
        note = nbformat.v4.new_markdown_cell(f"> **{CHALLENGE_NOTE.render(lang)}**",
                                             metadata={"graders": {"lang": lang, "role": "challenge-note"}})
        note.id = f"challenge-{lang}"
        notes.append(note)
    nb.cells = notes + cells
    g["challenge"] = True
    return nb


# --- the nbgrader course directory ------------------------------------------------------------------------------

NBGRADER_CONFIG = """\
# Made by `graders build`; edit the course in {course_path}, not here.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {root!r}
c.ClearSolutions.code_stub = {{"python": {code_stub!r}}}
c.ClearSolutions.text_stub = {text_stub!r}
# A check that waits on a local service (moto, the practice web app) can take a while; a runaway cell cannot.
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
"""


def nbgrader_env() -> dict[str, str]:
    """nbgrader shells out to ``alembic``: it must find the environment's own ``bin/`` first on PATH."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


# ``python -m nbgrader`` without jsonschema's IRI grammar: jsonschema imports the optional ``rfc3987_syntax`` for its
# "iri" format checks, and it builds a lark grammar as it is imported (~1 s of CPU per nbgrader run). No notebook or
# nbgrader schema uses those formats (the learners' JupyterLab blocks it the same way: graders/hub/singleuser.py).
NBGRADER_WITHOUT_IRI_GRAMMAR = ("import sys; sys.modules['rfc3987_syntax'] = None; import runpy; "
                                "runpy.run_module('nbgrader', run_name='__main__', alter_sys=True)")


def run_nbgrader(root: Path, *args: str, check: bool = True, iri_grammar: bool = True) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` in ``root``, as it comes (the baseline of bench/grading.py and tests/test_grade_class.py);
    ``iri_grammar=False``: without jsonschema's IRI grammar (a learner's build, where the wait is someone's)."""
    cmd = [sys.executable, "-m", "nbgrader", *args] if iri_grammar else \
        [sys.executable, "-c", NBGRADER_WITHOUT_IRI_GRAMMAR, *args]
    proc = subprocess.run(cmd, cwd=root, env=nbgrader_env(), capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise BuildError(f"`nbgrader {' '.join(args)}` failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def write_course_dir(course: CourseDef, root: Path, lang: str, challenge: bool = False) -> list[str]:
    """Write ``nbgrader_config.py`` and ``source/<lab>/`` for every lab of the course; returns the lab ids."""
    langs = list(LANGUAGES) if lang == "all" else [lang]
    if lang != "all" and lang not in LANGUAGES:
        raise BuildError(f"Unknown language {lang!r}: choose one of {', '.join(LANGUAGES)} or all")
    root.mkdir(parents=True, exist_ok=True)
    stub_lang = SOURCE_LANGUAGE if lang == "all" else lang
    (root / "nbgrader_config.py").write_text(NBGRADER_CONFIG.format(
        course_path=course.path, course_id=course.id, root=str(root.resolve()),
        code_stub=CODE_STUB.render(stub_lang) + "\n", text_stub=TEXT_STUB.render(stub_lang)), encoding="utf-8")
    for lab_id in course.labs:
        lab = load_lab(lab_id)
        src = root / "source" / lab.id
        if src.exists():
            shutil.rmtree(src)
        src.mkdir(parents=True)
        if lab.data_dir.is_dir():
            shutil.copytree(lab.data_dir, src, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"))
        for notebook in lab.notebooks:
            nbformat.write(source_notebook(lab, notebook, langs, challenge), src / f"{notebook}.ipynb")
    return list(course.labs)


def build_course(course: CourseDef, root: Path, lang: str, labs: list[str] | None = None,
                 challenge: bool = False, gradebook: bool = True) -> list[str]:
    """Source tree + ``nbgrader generate_assignment`` for each lab: the release is ready in ``root/release``.

    When every lab of ``source/`` is wanted, one nbgrader run generates them all (``generate_assignment "*"``, the
    same release as one run per lab): nbgrader's start-up, about 2 s, is then paid once instead of once per lab.
    ``gradebook=False`` (a learner's copy, which nobody grades from) skips nbgrader's database (``--no-db``): the
    release is the same, without the gradebook's set-up (about 2 s); nbgrader runs without jsonschema's IRI grammar
    (about 1 s less)."""
    lab_ids = write_course_dir(course, root, lang, challenge)
    wanted = labs or lab_ids
    for lab_id in wanted:
        if lab_id not in lab_ids:
            raise LabDefinitionError(f"Lab {lab_id!r} is not part of course {course.id!r}")
    in_source = {p.name for p in (root / "source").iterdir() if p.is_dir()}
    flags = ["--force"] + ([] if gradebook else ["--no-db"])
    if len(wanted) > 1 and in_source == set(wanted):
        run_nbgrader(root, "generate_assignment", "*", *flags, iri_grammar=gradebook)
    else:
        for lab_id in wanted:
            run_nbgrader(root, "generate_assignment", lab_id, *flags, iri_grammar=gradebook)
    from .gradingonly import place_graded_files   # grading-only inputs (lab.toml [grading] files), after the release
    for lab_id in wanted:
        place_graded_files(root / "source" / lab_id, load_lab(lab_id).path)
    return wanted
