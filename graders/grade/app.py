"""``graders grade <assignment>``: an nbgrader app that autogrades all submissions in parallel, each in a sandbox.

Like ``nbgrader autograde`` it reads the course's ``nbgrader_config.py`` (run it in the course folder, or give
``--course-dir``), writes the same gradebook and the same ``autograded/`` folders, and gives the same scores for
honest work; in addition every kernel is sandboxed, check verdicts are computed by the grader, and a record of each
submission (``grading/<assignment>/records/``) feeds the class report.
"""
from __future__ import annotations

import os
import sys

from nbgrader.apps.baseapp import NbGrader, nbgrader_aliases, nbgrader_flags
from traitlets import Bool, Float, Integer, List, Unicode, default

from ..i18n import Domain, resolve_language
from .pool import RunResult, run
from .reasons import KIND, render
from .sandbox import count_user_tasks, needed_paths, parse_size, probe

M_ = Domain.beside(__file__)  # this package's own catalog (locale/ here)

H_LEARNER = M_("grade.summary.learner", "Learner")
H_SCORE = M_("grade.summary.score", "Score")
H_NOTES = M_("grade.summary.notes", "Notes")
S_TOTAL = M_("grade.summary.total", "{graded} graded, {skipped} already graded (unchanged), {errors} could not be graded; {seconds} s with {workers} worker.", "{graded} graded, {skipped} already graded (unchanged), {errors} could not be graded; {seconds} s with {workers} workers.", count="workers")
S_SANDBOX = M_("grade.summary.sandbox", "Sandbox: {mode}.")
S_WEAK = M_("grade.summary.weak", "Weaker isolation on this machine: {note}")
S_NOTHING = M_("grade.summary.nothing", "No submissions to grade for {assignment} in {folder}.")
S_NO_ASSIGNMENT = M_("grade.summary.no_assignment", "There is no assignment {assignment} in the gradebook. Build the course first (graders build) or run nbgrader generate_assignment {assignment}.")
S_OK = M_("grade.summary.ok", "all checks passed")
S_ALLOW_HOLDS_COURSE = M_("grade.summary.allow_holds_course", "--allow {folder} holds the course folder ({course}), with the gradebook and the solutions, so learners' code would see them. Allow a folder that holds only what the notebooks need, e.g. a data folder.")

KIND_LABEL = {
    "timeout": M_("grade.kind.timeout", "ran too long"), "memory": M_("grade.kind.memory", "too much memory"),
    "processes": M_("grade.kind.processes", "too many processes"), "network": M_("grade.kind.network", "network blocked"),
    "output": M_("grade.kind.output", "output cut"), "exit": M_("grade.kind.exit", "Python stopped"),
    "tampering": M_("grade.kind.tampering", "checks or test cells changed"),
    "malformed": M_("grade.kind.malformed", "damaged notebook file"), "missing": M_("grade.kind.missing", "notebook missing"),
    "error": M_("grade.kind.error", "grader error"), "not_run": M_("grade.kind.not_run", "checks not run"),
}


def git_dirs(repo: Path) -> list[str]:
    """The repository's git data (it holds the reference solutions): the ``.git`` folder or file, and its gitdir."""
    dot = repo / ".git"
    if dot.is_dir():
        return [str(dot)]
    out = []
    if dot.is_file():
        out.append(str(dot))
        text = dot.read_text(errors="replace").strip()
        if text.startswith("gitdir:"):
            gitdir = (repo / text.split(":", 1)[1].strip()).resolve()
            out.append(str(gitdir))
            common = gitdir / "commondir"
            if common.is_file():
                out.append(str((gitdir / common.read_text().strip()).resolve()))
    return out


class CourseInView(ValueError):
    """An allowed folder holds the course folder: the kernels would see the gradebook and the solutions."""

    def __init__(self, folder: str, course: str):
        super().__init__(f"--allow {folder} holds the course folder {course}")
        self.folder, self.course = folder, course


def sandbox_settings(coursedir, enabled: bool = True, uid_base: int = 61000, hide: list[str] | None = None,
                     allow: list[str] | None = None) -> dict:
    """What this machine allows; what kernels see (``allow``) and what is masked in it or guarded (``hide``).

    Nothing a kernel sees may hold the course folder (bound read-only, it would show the gradebook and the solutions,
    and the submission's own folder could not be made writable inside it): a folder the instructor allows that does
    is refused (``CourseInView``); one this Python merely imports from (a script's folder such as /tmp) is left out."""
    if not enabled:
        return {"enabled": False, "notes": []}
    from ..labdef import LABS_DIR, REPO_DIR

    caps = probe()
    masked = [os.path.realpath(coursedir.root)]
    db = coursedir.db_url
    if db.startswith("sqlite:///"):
        db_path = os.path.realpath(os.path.join(coursedir.root, db[len("sqlite:///"):].split("?")[0]))
        if not db_path.startswith(masked[0] + "/"):
            masked.append(db_path)
    from ..gradingonly import graded_paths

    masked += [str(p) for p in graded_paths(LABS_DIR)]   # the one list (graders/gradingonly.py), and when_graded
    masked += git_dirs(REPO_DIR)
    masked += [os.path.realpath(p) for p in (hide or [])]
    course = masked[0]

    def holds_course(path: str) -> bool:
        real = os.path.realpath(path)
        return course == real or course.startswith(real.rstrip("/") + "/")

    for folder in allow or []:
        if holds_course(folder):
            raise CourseInView(folder, course)
    visible = [p for p in needed_paths() if not os.path.realpath(p).startswith(course + "/")
               and not holds_course(p)] + [os.path.realpath(p) for p in (allow or [])]
    return {"enabled": True, "root": caps.root, "netns": caps.netns, "mount": caps.mountns, "pidns": caps.pidns,
            "userns": (not caps.root) and caps.mountns, "allow": list(dict.fromkeys(visible)),
            "hide": list(dict.fromkeys(masked)), "uid_base": uid_base,
            "nproc_base": 0 if caps.root else count_user_tasks(os.getuid()) + 32, "notes": caps.notes}


LAB_LIMIT_KEYS = {"cell_timeout": ("timeout", int), "notebook_timeout": ("notebook_timeout", float),
                  "memory": ("memory_limit", str), "max_procs": ("max_procs", int),
                  "checker_memory": ("checker_memory", str), "checker_max_procs": ("checker_max_procs", int)}


def lab_grading_limits(assignment: str) -> dict:
    """``[grading]`` in the lab's lab.toml, e.g. ``max_procs = 1024`` for a lab whose notebooks start a browser."""
    from ..labdef import LABS_DIR, load_lab

    if not (LABS_DIR / assignment / "lab.toml").exists():
        return {}
    table = load_lab(assignment).raw.get("grading", {})
    out = {}
    for key, (trait, kind) in LAB_LIMIT_KEYS.items():
        if key in table:
            out[trait] = kind(table[key])
    return out


def describe_sandbox(settings: dict, network: str) -> str:
    sb = settings.get("sandbox") or {}
    if not sb.get("enabled"):
        return "off"
    parts = [f"network {network or '?'}"]
    if sb.get("mount"):
        parts.append("private files")
    if sb.get("pidns"):
        parts.append("own processes")
    parts.append(f"kernel user {'uid ' + str(sb.get('uid_base')) + '+' if sb.get('root') else 'user namespace' if sb.get('userns') else 'you'}")
    return ", ".join(parts)


def grade(coursedir, assignment: str, *, workers: int = 0, force: bool = False, students: list[str] | None = None,
          sandbox: bool = True, cell_timeout: float | None = None, notebook_timeout: float | None = None,
          memory: str | None = None, max_procs: int | None = None, hide: list[str] | None = None,
          allow: list[str] | None = None, uid_base: int = 61000, progress=None,
          task_timeout: float | None = None) -> tuple[RunResult, dict]:
    """Grade ``assignment`` in ``coursedir`` (a configured nbgrader ``CourseDirectory``); returns (result, settings)."""
    config: dict = {"SandboxedExecute": {"sandbox": bool(sandbox)}}
    ex = config["SandboxedExecute"]
    ex.update(lab_grading_limits(assignment))  # the lab's own needs (lab.toml [grading]); the options below win
    if cell_timeout:
        ex["timeout"] = int(cell_timeout)
    if notebook_timeout:
        ex["notebook_timeout"] = float(notebook_timeout)
    if memory:
        parse_size(memory)  # a clear error now rather than in every worker
        ex["memory_limit"] = str(memory)
    if max_procs:
        ex["max_procs"] = int(max_procs)
    import uuid
    settings = {"sandbox": sandbox_settings(coursedir, sandbox, uid_base, hide, allow), "config": config,
                "run_id": uuid.uuid4().hex}
    budget = task_timeout or (float(ex.get("notebook_timeout", 600)) + 60) * 4 + 120
    result = run(coursedir, assignment, workers=workers, force=force, students=students, settings=settings,
                 task_timeout=budget, progress=progress)
    result.notes = settings["sandbox"].get("notes", [])
    return result, settings


def summary(result: RunResult, settings: dict, lang: str) -> str:
    rows = []
    for r in sorted(result.results, key=lambda r: r["student"]):
        score = "—" if r.get("score") is None else f"{r['score']:g} / {r.get('max_score') or 0:g}"
        notes = []
        if r.get("error"):
            notes.append(render(r["error"], lang))
        kinds = []
        for entry in r.get("reasons", []):
            kind = KIND.get(entry["id"])
            if kind and kind not in kinds:
                kinds.append(kind)
        notes += [KIND_LABEL[k].render(lang) for k in kinds if k in KIND_LABEL]
        rows.append((r["student"], score, "; ".join(notes) or (S_OK.render(lang) if r.get("score") == r.get("max_score") else "")))
    head = (H_LEARNER.render(lang), H_SCORE.render(lang), H_NOTES.render(lang))
    widths = [max(len(head[i]), *(len(row[i]) for row in rows)) if rows else len(head[i]) for i in range(2)]
    lines = [f"{head[0]:<{widths[0]}}  {head[1]:>{widths[1]}}  {head[2]}",
             f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(head[2])}"]
    for row in rows:
        lines.append(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]}")
    lines.append("")
    lines.append(S_TOTAL.render(lang, graded=len(result.results) - len(result.errors), skipped=len(result.skipped),
                                errors=len(result.errors), seconds=f"{result.seconds:.1f}", workers=result.workers))
    lines.append(S_SANDBOX.render(lang, mode=describe_sandbox(settings, result.network)))
    for note in result.notes:
        lines.append(S_WEAK.render(lang, note=note))
    return "\n".join(lines)


aliases = dict(nbgrader_aliases)
aliases.update({
    "workers": "GradeApp.workers", "cell-timeout": "GradeApp.cell_timeout",
    "notebook-timeout": "GradeApp.notebook_timeout", "memory": "GradeApp.memory", "max-procs": "GradeApp.max_procs",
    "lang": "GradeApp.lang", "hide": "GradeApp.hide", "allow": "GradeApp.allow", "uid-base": "GradeApp.uid_base",
})
flags = dict(nbgrader_flags)
flags.update({
    "force": ({"GradeApp": {"force": True}}, "Grade again even what is already graded and unchanged."),
    "no-sandbox": ({"GradeApp": {"sandbox": False}}, "Run kernels without namespaces and limits (not recommended)."),
    "no-progress": ({"GradeApp": {"progress": False}}, "No progress bar."),
})


class GradeApp(NbGrader):
    name = "graders-grade"
    description = "Autograde all submissions of an assignment in parallel, each in a sandbox, with nbgrader's converter."
    aliases = aliases
    flags = flags

    workers = Integer(0, help="Worker processes (0: one per CPU core).").tag(config=True)
    force = Bool(False, help="Grade again even unchanged, already graded submissions.").tag(config=True)
    sandbox = Bool(True, help="Run each kernel in the sandbox.").tag(config=True)
    cell_timeout = Float(0.0, help="Seconds per cell (0: the course's Execute.timeout).").tag(config=True)
    notebook_timeout = Float(0.0, help="Seconds per notebook, all cells together (0: the lab's, or 600).").tag(config=True)
    memory = Unicode("", help="Memory per kernel, e.g. 1GiB (default: the lab's, or 1GiB).").tag(config=True)
    max_procs = Integer(0, help="Processes and threads per kernel (0: the lab's or 512).").tag(config=True)
    hide = List(Unicode(), help="More folders the learners' code must not see.").tag(config=True)
    allow = List(Unicode(), help="More folders the learners' code may read (e.g. shared data).").tag(config=True)
    uid_base = Integer(61000, help="As root: kernels run as uid uid_base + worker number.").tag(config=True)
    lang = Unicode("", help="Language of the summary: en, uk or ja.").tag(config=True)
    progress = Bool(True, help="Show a progress bar.").tag(config=True)

    @default("classes")
    def _classes_default(self):
        return [*super()._classes_default(), type(self)]

    def start(self) -> None:
        super().start()
        if len(self.extra_args) > 1:
            self.fail("Only one argument (the assignment id) may be given")
        assignment = self.extra_args[0] if self.extra_args else self.coursedir.assignment_id
        if not assignment:
            self.fail("Which assignment? Give its name, e.g. graders grade orientation")
        code = grade_command(self, assignment)
        if code:
            sys.exit(code)


def grade_command(app: GradeApp, assignment: str) -> int:
    from nbgrader.api import Gradebook, MissingEntry

    lang = resolve_language(app.lang or None)
    with Gradebook(app.coursedir.db_url, app.coursedir.course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            print(S_NO_ASSIGNMENT.render(lang, assignment=assignment), file=sys.stderr)
            return 2
    bar = None
    if app.progress:
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            from .pool import needs_grading, submissions
            total = len([s for s in submissions(app.coursedir, assignment)
                         if app.force or needs_grading(app.coursedir, assignment, s)])
            bar = tqdm(total=total, desc=assignment, unit=" learner", file=sys.stderr, dynamic_ncols=True)

    def progress(outcome: dict) -> None:
        if bar is not None:
            bar.set_postfix_str(outcome["student"], refresh=False)
            bar.update(1)

    try:
        result, settings = grade(app.coursedir, assignment, workers=app.workers, force=app.force,
                                 students=app.coursedir.student_id.split(",") if app.coursedir.student_id != "*" else None,
                                 sandbox=app.sandbox, cell_timeout=app.cell_timeout or None,
                                 notebook_timeout=app.notebook_timeout or None, memory=app.memory or None,
                                 max_procs=app.max_procs or None,
                                 hide=list(app.hide), allow=list(app.allow), uid_base=app.uid_base,
                                 progress=progress)
    except CourseInView as exc:
        print(S_ALLOW_HOLDS_COURSE.render(lang, folder=exc.folder, course=exc.course), file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    if not result.results and not result.skipped:
        print(S_NOTHING.render(lang, assignment=assignment, folder=app.coursedir.submitted_directory))
        return 0
    print(summary(result, settings, lang))
    return 1 if result.errors else 0


def main(argv: list[str] | None = None) -> int:
    app = GradeApp()
    app.initialize(argv if argv is not None else sys.argv[1:])
    try:
        app.start()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


