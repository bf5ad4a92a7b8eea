"""One grading worker: a process that grades submissions one after another with nbgrader's converter.

Started by :mod:`graders.grade.pool` as ``python -m graders.grade.worker ...`` in the course folder. First thing, it
moves into a network namespace of its own (only loopback), so the kernels it starts, and the per-submission services
it runs, are off the network and cannot see other workers' servers. Then it loads the course's nbgrader configuration
like any nbgrader app, and answers one task (a student id) per line with one JSON line.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .forkserver import SINGLE_THREAD

THREAD_ENV = {**SINGLE_THREAD, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}


class _Collect(logging.Handler):
    """Keeps the converter's warnings and errors for the record, and writes everything to the submission's log."""

    def __init__(self, path: Path):
        super().__init__(logging.INFO)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "w", encoding="utf-8")
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001
            text = str(record.msg)
        self.file.write(f"[{record.levelname}] {text}\n")
        self.file.flush()
        if record.levelno >= logging.ERROR:
            self.errors.append(text)

    def close(self) -> None:
        self.file.close()
        super().close()


def make_app(root: str, config: dict):
    from nbgrader.apps.baseapp import NbGrader
    from traitlets import default
    from traitlets.config import Config

    from .autograde import SandboxedAutograde
    from .preprocessors import RestoreCells, SandboxedExecute, SealVerdicts

    class GradeWorkerApp(NbGrader):
        name = "graders-grade-worker"

        @default("classes")
        def _classes_default(self):
            return [*super()._classes_default(), SandboxedAutograde, SandboxedExecute, RestoreCells, SealVerdicts]

    app = GradeWorkerApp()
    app.initialize([f"--CourseDirectory.root={root}"])
    if config:
        app.update_config(Config(config))
    db = app.coursedir.db_url
    if db.startswith("sqlite:///") and "?" not in db:
        app.coursedir.db_url = db + "?timeout=120"  # several workers write the one gradebook
    return app


class Prepared:
    """What a submission needs before nbgrader starts on it: its own services, and its kernel, already booting."""

    def __init__(self, app, assignment: str, student: str, settings: dict, index: int):
        from ..labdef import LABS_DIR, load_lab
        from .checker import ENV_FLAG, OutsideChecker
        from .records import logs_dir
        from .services import submission_services

        self.student = student
        self.lab = load_lab(assignment) if (LABS_DIR / assignment / "lab.toml").exists() else None
        if self.lab is not None:
            self.lab.checks  # the lab's messages, for verdicts and reasons
        self.source = Path(app.coursedir.format_path(app.coursedir.source_directory, ".", assignment))
        self.sandbox = _sandbox_for(settings, index)
        self.scratch = Path(tempfile.mkdtemp(prefix="graders-grade-"))
        self.stack = contextlib.ExitStack()
        self.warm = None
        self.checker = None
        try:
            self.env, self.handles = self.stack.enter_context(submission_services(
                self.lab, self.scratch / "services", users=[self.sandbox["uid"]] if self.sandbox and self.sandbox.get("uid") is not None else []))
            self.kernel_env = {**THREAD_ENV, **self.env, "GRADERS_GRADE_RUN": settings.get("run_id", ""),
                               ENV_FLAG: "1"}
            if self.sandbox is not None and settings.get("warm", True):
                self.warm = _warm_kernel(app, assignment, student, self.sandbox, settings, self.lab, self.source,
                                         self.kernel_env)
            if self.sandbox is not None and self.lab is not None and "outside" in self.lab.checks.questions.evidence.values():
                autograded = Path(app.coursedir.format_path(app.coursedir.autograded_directory, student, assignment))
                self.checker = OutsideChecker(self.lab.id, self.sandbox, _checker_limits(settings),
                                              autograded.parent, self.source, self.kernel_env,
                                              logs_dir(Path(app.coursedir.root), assignment) / f"{student}.checker.log")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.warm is not None:
            self.warm.discard()  # not used (a damaged notebook, an error): stop it
        if self.checker is not None:
            self.checker.close()
        try:
            self.stack.close()
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)


def grade_one(app, assignment: str, student: str, settings: dict, index: int,
              prepared: Prepared | None = None, on_executed=None, on_kernel_ready=None) -> dict:
    """Grade one submission (nbgrader's converter, our preprocessors) and write its record."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.converters.base import NbGraderException

    from .autograde import SandboxedAutograde
    from .reasons import GRADER_ERROR, MISSING, reason
    from .records import logs_dir, record_path, tree_digest, write_record

    started = time.time()
    root = Path(app.coursedir.root)
    submitted = Path(app.coursedir.format_path(app.coursedir.submitted_directory, student, assignment))
    log_path = logs_dir(root, assignment) / f"{student}.log"
    collect = _Collect(log_path)
    app.log.addHandler(collect)
    error = None
    converter = None
    saved_env = dict(os.environ)
    lab = None
    try:
        if prepared is None:
            prepared = Prepared(app, assignment, student, settings, index)
        lab, source = prepared.lab, prepared.source
        digest = tree_digest(submitted, source)
        os.environ.update(prepared.env)
        app.coursedir.assignment_id = assignment
        app.coursedir.student_id = student
        converter = SandboxedAutograde(coursedir=app.coursedir, parent=app)
        converter.force = True
        converter.submission_context = {
            "lab": lab.id if lab else None, "sandbox": prepared.sandbox, "kernel_env": prepared.kernel_env,
            "context": {"data_dir": source, **prepared.handles}, "warm": prepared.warm, "checker": prepared.checker,
            "on_executed": on_executed, "on_kernel_ready": on_kernel_ready,
        }
        try:
            converter.start()
        except NbGraderException:
            error = _first_error(collect.errors)
    except BaseException as exc:  # noqa: BLE001 (one submission's failure never stops the worker)
        app.log.error("grader error: %s", traceback.format_exc())
        error = f"{type(exc).__name__}: {exc}"
        digest = None
        if isinstance(exc, KeyboardInterrupt):
            raise
    finally:
        if prepared is not None:
            prepared.close()
        os.environ.clear()
        os.environ.update(saved_env)
        app.log.removeHandler(collect)
        collect.close()

    notebooks: dict[str, dict] = {}
    score = max_score = None
    gradebook_fixed = []
    try:
        with Gradebook(app.coursedir.db_url, app.coursedir.course_id) as gb:
            master = gb.find_assignment(assignment)
            expected = [nb.name for nb in master.notebooks]
            states = converter.states if converter is not None else {}
            for name in expected:
                notebooks[name] = _notebook_entry(name, states.get(name), submitted)
                if error is None:
                    gradebook_fixed += _reassert(gb, assignment, student, name, notebooks[name].get("scores", {}))
            try:
                sub = gb.find_submission(assignment, student)
                score, max_score = float(sub.score), float(sub.max_score)
            except MissingEntry:
                max_score = float(master.max_score)
    except Exception as exc:  # noqa: BLE001
        error = error or f"{type(exc).__name__}: {exc}"
    for name, entry in notebooks.items():
        if entry.get("missing"):
            entry["reasons"].append(reason(MISSING, notebook=f"{name}.ipynb"))
    record = {
        "student": student, "assignment": assignment, "lab": lab.id if lab else None,
        "status": "error" if error else "graded", "digest": digest, "graded_at": time.time(),
        "seconds": round(time.time() - started, 3), "score": score, "max_score": max_score,
        "notebooks": notebooks, "worker": index, "network": settings.get("network_mode"),
        "gradebook_fixed": gradebook_fixed,
    }
    if error:
        record["error"] = reason(GRADER_ERROR, error=error[:500], log=str(log_path))
    write_record(record_path(root, assignment, student), record)
    return {"student": student, "status": record["status"], "score": score, "max_score": max_score,
            "seconds": record["seconds"], "error": record.get("error"),
            "reasons": [r for nb in notebooks.values() for r in nb.get("reasons", [])]}


def _checker_limits(settings: dict):
    """The checker runs the lab's checks, and what they start (a learner's robot and its browser): more room."""
    from .sandbox import Limits, parse_size

    ex = (settings.get("config") or {}).get("SandboxedExecute", {})
    return Limits(cell_timeout=float(ex.get("timeout") or 120), memory=parse_size(ex.get("checker_memory", "4GiB")),
                  max_procs=int(ex.get("checker_max_procs", 512)), file_size=parse_size("256MiB"))


def _warm_kernel(app, assignment, student, sandbox, settings, lab, source: Path, kernel_env: dict):
    from .warm import start_warm_kernel

    autograded = Path(app.coursedir.format_path(app.coursedir.autograded_directory, student, assignment))
    first = sorted(source.glob("*.ipynb"))
    if not first:
        return None
    return start_warm_kernel(sandbox, settings.get("config") or {}, autograded.parent, autograded,
                             lab.id if lab else None, first[0], kernel_env)


def _first_error(errors: list[str]) -> str:
    """The line of nbgrader's log that says what went wrong (the last line of a traceback)."""
    for text in errors:
        lines = [line for line in text.strip().splitlines() if line.strip()]
        if lines and lines[0].startswith("Traceback"):
            return lines[-1].strip()
    useful = [e for e in errors if "error processing" not in e.lower() and "please see" not in e.lower()]
    return (useful or errors or ["nbgrader could not grade it"])[0].strip().splitlines()[0]


def _notebook_entry(name: str, state: dict | None, submitted: Path) -> dict:
    entry: dict = {"reasons": [], "questions": {}, "scores": {}}
    if not (submitted / f"{name}.ipynb").exists():
        entry["missing"] = True
        return entry
    if state is None:
        return entry
    if state.get("malformed"):
        entry["malformed"] = True
        entry["reasons"].append(state["malformed"])
    entry["lang"] = state.get("lang")
    entry["questions"] = state.get("questions", {})
    entry["scores"] = state.get("scores", {})
    entry["seconds"] = state.get("seconds")
    entry["kernel"] = state.get("kernel")
    entry["reasons"] += state.get("restored", [])
    for index, reasons in sorted(state.get("cells", {}).items(), key=lambda kv: int(kv[0])):
        for r in reasons:
            if r not in entry["reasons"]:
                entry["reasons"].append(r)
    return entry


def _reassert(gb, assignment: str, student: str, notebook: str, scores: dict) -> list[str]:
    """The gradebook holds what the grader decided, whatever anything else wrote there meanwhile."""
    fixed = []
    for grade_id, score in scores.items():
        try:
            grade = gb.find_grade(grade_id, notebook, assignment, student)
        except Exception:  # noqa: BLE001
            continue
        if score is not None and grade.auto_score != score:
            grade.auto_score = score
            fixed.append(grade_id)
    if fixed:
        gb.db.commit()
    return fixed


def _sandbox_for(settings: dict, index: int) -> dict | None:
    sb = settings.get("sandbox") or {}
    if not sb.get("enabled"):
        return None
    out = dict(sb)
    if sb.get("root") and sb.get("pidns"):
        uid = sb.get("uid_base", 61000) + index
        out["uid"] = out["gid"] = uid
        root_stat = os.stat(settings["root"])
        out["chown"] = {"uid": uid, "gid": uid, "back_uid": root_stat.st_uid, "back_gid": root_stat.st_gid}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--assignment", required=True)
    p.add_argument("--in-fd", type=int, required=True)
    p.add_argument("--out-fd", type=int, required=True)
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--settings", required=True)
    args = p.parse_args(argv)
    return serve(args.root, args.assignment, args.in_fd, args.out_fd, args.index, json.loads(args.settings))


def serve(root: str, assignment: str, in_fd: int, out_fd: int, index: int, settings: dict) -> int:
    """The worker's life: its own network, the nbgrader app, then one task after another until the pool closes
    ``in_fd``. Run by :func:`main`, or in a process forked from the pool's warm zygote (``zygote.py``)."""
    from .sandbox import PR_SET_PDEATHSIG, SandboxError, enter_private_network, prctl

    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the grading run is gone: so is this worker
    network = "shared"
    if (settings.get("sandbox") or {}).get("enabled") and settings["sandbox"].get("netns"):
        try:
            network = enter_private_network()
        except (SandboxError, OSError) as exc:
            network = f"shared ({exc})"
    settings["network_mode"] = network
    template = _kernel_template(root, assignment, settings)
    _skip_iri_grammar()
    _one_gradebook_engine()
    results = os.fdopen(out_fd, "w", encoding="utf-8")
    app = make_app(root, settings.get("config") or {})
    results.write(json.dumps({"ready": True, "network": network}) + "\n")
    results.flush()
    incoming = _Lines(in_fd)
    pending: list[str] = []
    prepared: dict[str, Prepared] = {}

    def prepare_next() -> None:
        """Boot the next submission's kernel (its own sandbox, used once) as soon as the current one is ready, so it
        boots while this notebook's cells run and nbgrader finishes it; again once the cells ran, in case the next
        task arrived only then."""
        pending.extend(incoming.ready())
        if pending and pending[0] not in prepared:
            try:
                prepared[pending[0]] = Prepared(app, assignment, pending[0], settings, index)
            except Exception:  # noqa: BLE001 (it is prepared again, with its error, when its turn comes)
                pass

    while True:
        if not pending:
            line = incoming.next()
            if line is None:
                break
            pending.append(line)
        student = pending.pop(0)
        try:
            result = grade_one(app, assignment, student, settings, index, prepared.pop(student, None),
                               on_executed=prepare_next, on_kernel_ready=prepare_next)
        except Exception as exc:  # noqa: BLE001
            result = {"student": student, "status": "error", "error": {"id": "grade.reason.grader_error",
                      "params": {"error": f"{type(exc).__name__}: {exc}", "log": "-"}}}
        results.write(json.dumps(result) + "\n")
        results.flush()
    for leftover in prepared.values():
        leftover.close()
    if template is not None:
        template.close()
    return 0


def _one_gradebook_engine() -> None:
    """nbgrader opens the gradebook about ten times for each notebook it grades (the converter, and the preprocessors
    that restore cells, save grades and comments, add late penalties), and each opening makes a new SQLAlchemy engine
    and connection, reflects the database's tables and checks that every table exists: about 0.2 s per notebook, a
    fifth of a worker's busy time (py-spy of bench/grading.py's class). The tables exist before any worker starts (the pool
    opens the gradebook first), so in a worker every opening after the first reuses that first engine (and its
    pooled connection) and skips the table checks. Sessions, queries and commits stay nbgrader's own; ``check_course``
    still runs at every opening."""
    from nbgrader import api

    if getattr(api.Gradebook, "_graders_one_engine", False):
        return
    engines: dict[str, object] = {}
    nbgrader_init, nbgrader_close = api.Gradebook.__init__, api.Gradebook.close

    def __init__(self, db_url, course_id="default_course", authenticator=None):
        engine = engines.get(db_url)
        if engine is None:
            nbgrader_init(self, db_url, course_id, authenticator)
            engines[db_url] = self.engine
            return
        self.engine = engine
        self.db = api.scoped_session(api.sessionmaker(autoflush=True, bind=engine, future=True))
        self.check_course(course_id=course_id)
        self.course_id = course_id
        self.authenticator = authenticator

    def close(self):
        if self.engine in engines.values():
            self.db.remove()   # the session's connection goes back to the shared engine's pool
        else:
            nbgrader_close(self)

    api.Gradebook.__init__, api.Gradebook.close, api.Gradebook._graders_one_engine = __init__, close, True


def _kernel_template(root: str, assignment: str, settings: dict) -> "Template | None":
    """Start this worker's kernel template (``kerneltemplate.py``: ipykernel and the notebooks' imports, once; each
    kernel forked from it, in its own sandbox) in this worker's network; it imports while the nbgrader app is made,
    and the first kernel waits for it (``Template.spawn``). None when kernels are not sandboxed or warm, or it cannot
    start."""
    from . import warm

    if not ((settings.get("sandbox") or {}).get("enabled") and settings.get("warm", True)
            and settings.get("kernel_template", True)):
        return None
    from .kerneltemplate import Template
    from .launch import KERNEL_HOME

    modules = []
    for notebook in sorted((Path(root) / "source" / assignment).glob("*.ipynb")):
        modules += [m for m in warm.notebook_imports(notebook) if m.split(".")[0] not in ("labs", "graders")]
    try:
        warm.TEMPLATE = Template(list(dict.fromkeys(modules)), {**os.environ, **THREAD_ENV, "HOME": KERNEL_HOME})
    except OSError:
        warm.TEMPLATE = None
    return warm.TEMPLATE


def _skip_iri_grammar() -> None:
    """nbformat imports jsonschema, whose format checks import ``rfc3987_syntax`` when it is installed; that module
    builds a lark grammar as it is imported: about 1 s of CPU in every worker (a third of its start-up), for the
    "iri" formats, which no notebook schema uses (nbformat validates with fastjsonschema anyway). jsonschema goes on
    without those two checks when the import fails, so this worker makes it fail."""
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


class _Lines:
    """Task lines from the pool: one at a time (blocking), or whatever has arrived (not blocking)."""

    def __init__(self, fd: int):
        self.fd, self.buffer, self.eof = fd, b"", False

    def _read(self, block: bool) -> None:
        import select

        while not self.eof:
            ready, _, _ = select.select([self.fd], [], [], None if block else 0)
            if not ready:
                return
            chunk = os.read(self.fd, 65536)
            if not chunk:
                self.eof = True
                return
            self.buffer += chunk
            if b"\n" in chunk:
                return

    def _pop(self) -> list[str]:
        *lines, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line)["student"] for line in lines if line.strip()]

    def ready(self) -> list[str]:
        self._read(block=False)
        return self._pop()

    def next(self) -> str | None:
        got = self._pop()
        while not got and not self.eof:
            self._read(block=True)
            got = self._pop()
        if got:
            self.buffer = b"".join(json.dumps({"student": s}).encode() + b"\n" for s in got[1:]) + self.buffer
            return got[0]
        return None


if __name__ == "__main__":
    sys.exit(main())
