"""One grading worker: a process that grades submissions one after another with nbgrader's converter.

Started by :mod:`graders.grade.pool` as ``python -m graders.grade.worker ...`` in the course folder. First thing, it
moves into a network namespace of its own (only loopback), so the kernels it starts, and the per-submission services
it runs, are off the network and cannot see other workers' servers. Then it loads the course's nbgrader configuration
like any nbgrader app, and answers one task (a student id) per line with one JSON line.
"""
from __future__ import annotations

import argparse
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

THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "NUMEXPR_NUM_THREADS": "1", "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}


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


def grade_one(app, assignment: str, student: str, settings: dict, index: int) -> dict:
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.converters.base import NbGraderException

    from ..labdef import LABS_DIR, load_lab
    from .autograde import SandboxedAutograde
    from .reasons import GRADER_ERROR, MISSING, reason
    from .records import logs_dir, record_path, tree_digest, write_record
    from .services import submission_services

    started = time.time()
    root = Path(app.coursedir.root)
    submitted = Path(app.coursedir.format_path(app.coursedir.submitted_directory, student, assignment))
    source = Path(app.coursedir.format_path(app.coursedir.source_directory, ".", assignment))
    digest = tree_digest(submitted, source)
    lab = load_lab(assignment) if (LABS_DIR / assignment / "lab.toml").exists() else None
    if lab is not None:
        lab.checks  # the lab's messages, for verdicts and reasons
    log_path = logs_dir(root, assignment) / f"{student}.log"
    collect = _Collect(log_path)
    app.log.addHandler(collect)
    sandbox = _sandbox_for(settings, index)
    scratch = Path(tempfile.mkdtemp(prefix="graders-grade-"))
    error = None
    converter = None
    saved_env = dict(os.environ)
    try:
        with submission_services(lab, scratch / "services") as (env, handles):
            os.environ.update(env)
            app.coursedir.assignment_id = assignment
            app.coursedir.student_id = student
            converter = SandboxedAutograde(coursedir=app.coursedir, parent=app)
            converter.force = True
            converter.submission_context = {
                "lab": lab.id if lab else None, "sandbox": sandbox,
                "kernel_env": {**THREAD_ENV, **env, "GRADERS_GRADE_RUN": settings.get("run_id", "")},
                "context": {"data_dir": source, **handles},
            }
            try:
                converter.start()
            except NbGraderException:
                error = _first_error(collect.errors)
    except BaseException as exc:  # noqa: BLE001 (one submission's failure never stops the worker)
        app.log.error("grader error: %s", traceback.format_exc())
        error = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, KeyboardInterrupt):
            raise
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        app.log.removeHandler(collect)
        collect.close()
        shutil.rmtree(scratch, ignore_errors=True)

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
    settings = json.loads(args.settings)
    from .sandbox import PR_SET_PDEATHSIG, SandboxError, enter_private_network, prctl

    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the grading run is gone: so is this worker
    network = "shared"
    if (settings.get("sandbox") or {}).get("enabled") and settings["sandbox"].get("netns"):
        try:
            network = enter_private_network()
        except (SandboxError, OSError) as exc:
            network = f"shared ({exc})"
    settings["network_mode"] = network
    tasks = os.fdopen(args.in_fd, "r", encoding="utf-8")
    results = os.fdopen(args.out_fd, "w", encoding="utf-8")
    app = make_app(args.root, settings.get("config") or {})
    results.write(json.dumps({"ready": True, "network": network}) + "\n")
    results.flush()
    for line in tasks:
        task = json.loads(line)
        try:
            result = grade_one(app, args.assignment, task["student"], settings, args.index)
        except Exception as exc:  # noqa: BLE001
            result = {"student": task["student"], "status": "error", "error": {"id": "grade.reason.grader_error",
                      "params": {"error": f"{type(exc).__name__}: {exc}", "log": "-"}}}
        results.write(json.dumps(result) + "\n")
        results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
