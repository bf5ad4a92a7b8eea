"""Grade every submission of an assignment across the machine's cores: a few worker processes, one task each.

Each worker stays alive for many submissions, so Python, nbgrader and the lab's checks are imported once per worker,
not once per learner; and once per run: the workers are forked from one process that imported them (``zygote.py``),
or, should that process not start, started one by one (``python -m graders.grade.worker``). A task is one student; a worker answers with one JSON
line. A worker that dies, or takes longer than the notebook budget allows, is killed with everything it started
(kernels die with it: their launcher has a parent-death signal) and replaced; its submission gets an error record
and the others go on. A record is written for each graded submission, so a second run grades only what changed
or did not finish.
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .records import logs_dir, read_record, record_path, tree_digest, write_record


@dataclass
class RunResult:
    assignment: str
    results: list[dict] = field(default_factory=list)     # one per submission graded in this run
    skipped: list[str] = field(default_factory=list)      # already graded, unchanged
    seconds: float = 0.0
    workers: int = 0
    network: str = ""
    notes: list[str] = field(default_factory=list)
    forked: bool = False                                  # workers forked from the warm zygote (zygote.py)

    @property
    def errors(self) -> list[dict]:
        return [r for r in self.results if r.get("status") != "graded"]


def submissions(coursedir, assignment: str) -> list[str]:
    folder = Path(coursedir.format_path(coursedir.submitted_directory, "*", assignment))
    import glob
    return sorted(Path(p).parent.name for p in glob.glob(str(folder)) if Path(p).is_dir())


def needs_grading(coursedir, assignment: str, student: str) -> bool:
    record = read_record(record_path(Path(coursedir.root), assignment, student))
    if record is None or record.get("status") != "graded":
        return True
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    if record.get("digest") != tree_digest(submitted, source):
        return True
    autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    return not autograded.is_dir()


class _Zygote:
    """The workers' warm parent (``zygote.py``): imports once, forks each worker; reports when one ends."""

    def __init__(self, root: Path, assignment: str, log_dir: Path, timeout: float = 300.0):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(log_dir / "zygote.log", "ab")
        cmd = [sys.executable, "-m", "graders.grade.zygote", "--root", str(root), "--assignment", assignment,
               "--fd", str(theirs.fileno())]
        try:
            self.proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), cwd=root, stdin=subprocess.DEVNULL,
                                         stdout=self.log, stderr=self.log, start_new_session=True)
        except BaseException:
            mine.close()
            self.log.close()
            raise
        finally:
            theirs.close()
        self.sock, self.exits = mine, {}
        try:
            message = self._answer("ready", timeout)
            if not message.get("ready"):
                raise OSError(message.get("why", "not ready"))
        except BaseException:
            self.close()
            raise

    def _next(self, timeout: float | None) -> dict:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise subprocess.TimeoutExpired("graders.grade.zygote", timeout or 0) from None
        if not data:
            raise OSError("the grading workers' parent process stopped")
        message = json.loads(data)
        if "exit" in message:
            self.exits[message["exit"]] = message["code"]
        return message

    def _answer(self, key: str, timeout: float) -> dict:
        """The next message carrying ``key`` (a worker's end, meanwhile, is noted)."""
        deadline = time.monotonic() + timeout
        while True:
            message = self._next(max(0.001, deadline - time.monotonic()))
            if key in message:
                return message

    def fork(self, index: int, root: Path, assignment: str, settings: dict, fds: tuple[int, ...]) -> "_Forked":
        request = {"index": index, "root": str(root), "assignment": assignment, "settings": settings}
        socket.send_fds(self.sock, [json.dumps(request).encode()], list(fds))
        try:
            return _Forked(self, self._answer("forked", 300.0)["forked"])
        except BaseException:  # no answer: stop the zygote (its workers die with it), workers start the usual way
            self.sock.close()
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            raise

    def wait(self, pid: int, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while pid not in self.exits:
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                raise subprocess.TimeoutExpired("graders.grade.worker", timeout or 0)
            try:
                self._next(left)
            except OSError:  # the zygote is gone, and its workers with it
                self.exits.setdefault(pid, -signal.SIGKILL)
        return self.exits[pid]

    def kill(self, pid: int) -> None:
        if pid not in self.exits:
            try:
                self.sock.send(json.dumps({"kill": pid}).encode())
            except OSError:
                pass

    def close(self) -> None:
        self.sock.close()  # the zygote stops what is left of its workers, waits for them and exits
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


class _Forked:
    """A worker forked by the zygote, with the part of ``subprocess.Popen`` the pool uses."""

    def __init__(self, zygote: _Zygote, pid: int):
        self.zygote, self.pid = zygote, pid

    def wait(self, timeout: float | None = None) -> int:
        return self.zygote.wait(self.pid, timeout)

    def kill_group(self) -> None:
        self.zygote.kill(self.pid)


class _Worker:
    def __init__(self, index: int, root: Path, assignment: str, settings: dict, log_dir: Path,
                 zygote: _Zygote | None = None):
        self.index = index
        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = open(log_dir / f"worker-{index}.log", "ab")
        self.proc: subprocess.Popen | _Forked | None = None
        if zygote is not None:
            try:
                self.proc = zygote.fork(index, root, assignment, settings, (task_r, result_w, self.log.fileno()))
            except (OSError, subprocess.TimeoutExpired, KeyError, ValueError):
                self.proc = None  # started the usual way below
        if self.proc is None:
            cmd = [sys.executable, "-m", "graders.grade.worker", "--root", str(root), "--assignment", assignment,
                   "--in-fd", str(task_r), "--out-fd", str(result_w), "--index", str(index),
                   "--settings", json.dumps(settings)]
            self.proc = subprocess.Popen(cmd, pass_fds=(task_r, result_w), cwd=root, stdin=subprocess.DEVNULL,
                                         stdout=self.log, stderr=self.log, start_new_session=True)
        os.close(task_r)
        os.close(result_w)
        self.tasks = os.fdopen(task_w, "w", encoding="utf-8")
        self.results = os.fdopen(result_r, "r", encoding="utf-8")
        self.ready = False
        self.network = ""
        self.outstanding: list[str] = []   # sent, not answered; the first is being graded
        self.started = 0.0

    @property
    def student(self) -> str | None:
        return self.outstanding[0] if self.outstanding else None

    def send(self, student: str) -> None:
        if not self.outstanding:
            self.started = time.monotonic()
        self.outstanding.append(student)
        self.tasks.write(json.dumps({"student": student}) + "\n")
        self.tasks.flush()

    def answered(self, student: str) -> None:
        if student in self.outstanding:
            self.outstanding.remove(student)
        self.started = time.monotonic()

    def kill(self) -> None:
        if isinstance(self.proc, _Forked):
            self.proc.kill_group()
        else:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc.wait()

    def close(self) -> None:
        try:
            self.tasks.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
        self.results.close()
        self.log.close()


def run(coursedir, assignment: str, *, workers: int = 0, force: bool = False, students: list[str] | None = None,
        settings: dict | None = None, task_timeout: float = 3600.0,
        progress: Callable[[dict], None] | None = None) -> RunResult:
    """Grade the submissions of ``assignment`` (all, or ``students``) in parallel; returns what happened."""
    started = time.monotonic()
    root = Path(coursedir.root).resolve()
    settings = dict(settings or {})
    settings.setdefault("run_id", uuid.uuid4().hex)
    settings["root"] = str(root)
    found = submissions(coursedir, assignment)
    wanted = [s for s in found if not students or s in students]
    todo = [s for s in wanted if force or needs_grading(coursedir, assignment, s)]
    result = RunResult(assignment, skipped=[s for s in wanted if s not in todo])
    n = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    result.workers = n if todo else 0
    if not todo:
        result.seconds = time.monotonic() - started
        return result
    log_dir = logs_dir(root, assignment)
    zygote = None
    if settings.get("zygote", True):
        try:
            zygote = _Zygote(root, assignment, log_dir)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass  # its log (zygote.log) says why; the workers start one by one
    result.forked = zygote is not None
    try:
        return _run(result, root, assignment, settings, log_dir, todo, n, zygote, task_timeout, progress, started)
    finally:
        if zygote is not None:
            zygote.close()


def _run(result: RunResult, root: Path, assignment: str, settings: dict, log_dir: Path, todo: list[str], n: int,
         zygote: _Zygote | None, task_timeout: float, progress, started: float) -> RunResult:
    queue = list(todo)
    pool = [_Worker(i, root, assignment, settings, log_dir, zygote) for i in range(n)]
    sel = selectors.DefaultSelector()
    for w in pool:
        sel.register(w.results, selectors.EVENT_READ, w)
    done = 0

    def finish(w: _Worker, outcome: dict) -> None:
        nonlocal done
        done += 1
        result.results.append(outcome)
        w.answered(outcome["student"])
        if progress:
            progress(outcome)

    def dispatch(w: _Worker) -> None:
        """Keep each worker busy; a second task lets it boot the next kernel while it finishes the current one,
        but only while more tasks wait than there are workers: near the end of the queue a task sent ahead would
        wait behind a long one while another worker sits idle (3 learners on 2 workers: 2 graded one after the
        other on one worker, the third alone on the other)."""
        if queue and not w.outstanding:
            w.send(queue.pop(0))
        if queue and len(w.outstanding) == 1 and len(queue) > len(pool):
            w.send(queue.pop(0))

    def fail(w: _Worker, why: str) -> None:
        student = w.student
        if student is not None:
            for other in reversed(w.outstanding[1:]):  # sent ahead, not started: back to the queue
                queue.insert(0, other)
            del w.outstanding[1:]
            error = {"id": "grade.reason.grader_error",
                     "params": {"error": why, "log": str(log_dir / f"worker-{w.index}.log")}}
            write_record(record_path(root, assignment, student),
                         {"student": student, "assignment": assignment, "status": "error", "error": error,
                          "notebooks": {}, "graded_at": time.time(), "digest": None})
            finish(w, {"student": student, "status": "error", "error": error, "reasons": []})

    try:
        while done < len(todo):
            for key, _ in sel.select(timeout=1.0):
                w: _Worker = key.data
                line = w.results.readline()
                if not line:  # the worker died
                    sel.unregister(w.results)
                    code = w.proc.wait()
                    if not w.ready:  # it never started: every other worker would fail the same way
                        tail = (log_dir / f"worker-{w.index}.log").read_text(errors="replace")[-3000:]
                        raise RuntimeError(f"a grading worker could not start (exit code {code}):\n{tail}")
                    fail(w, f"the grading process stopped unexpectedly (exit code {code})")
                    w.close()
                    if queue:
                        nw = _Worker(w.index, root, assignment, settings, log_dir, zygote)
                        pool[pool.index(w)] = nw
                        sel.register(nw.results, selectors.EVENT_READ, nw)
                    else:
                        pool.remove(w)
                    continue
                message = json.loads(line)
                if message.get("ready"):
                    w.ready, w.network = True, message.get("network", "")
                    result.network = result.network or w.network
                    dispatch(w)
                    continue
                finish(w, message)
                dispatch(w)
            now = time.monotonic()
            for w in list(pool):
                if w.student is not None and now - w.started > task_timeout:
                    w.kill()  # the next select sees its end of file and replaces it
                    fail(w, f"grading took longer than {task_timeout:.0f} s and was stopped")
            if not pool:
                break
    finally:
        for w in pool:
            try:
                sel.unregister(w.results)
            except (KeyError, ValueError):
                pass
            w.close()
    result.seconds = time.monotonic() - started
    return result
