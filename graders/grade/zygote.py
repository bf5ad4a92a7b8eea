"""The grading workers' common parent: one process imports what every worker needs, once, then forks the workers.

Started by :mod:`graders.grade.pool` as ``python -m graders.grade.zygote --root R --assignment A --fd N`` (in its own
session, dying with the pool). It imports nbgrader, our preprocessors and kernel manager, the gradebook's database
driver, jupyter_client's kernelspec lookup, and the lab's checks with the modules the lab's notebooks import (a check
may look at a learner's ``DataFrame``, so the worker needs pandas): about 1.5 s of CPU that every worker spent on its
own before. Then, for each worker the pool asks for (one message on a ``SOCK_SEQPACKET`` socket, carrying the
worker's task pipe, result pipe and log file), it forks; the child is an ordinary worker
(:func:`graders.grade.worker.serve`: its own session, its own network namespace, the nbgrader app made fresh).

What a worker gets from here is imported code only: the zygote never sees a submission, a kernel or the gradebook,
so nothing of one learner can reach another through it. It forks only while it has a single thread (checked before
it says it is ready; a process with threads must not fork), and it holds no other worker's pipes: the pool sends each
worker's pipes with the request and the zygote closes them once the worker has them. Messages back: ``ready``,
``forked`` (the worker's pid), ``exit`` (a worker ended: pid and exit code, as ``subprocess`` reports them). The
zygote waits for its workers, so their CPU time (and their kernels') is counted in the pool's children, as before.
When the pool closes the socket, the zygote kills whatever worker is left, waits for it and exits.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import select
import signal
import socket
import sys
import traceback
from pathlib import Path

# read by OpenBLAS and friends when numpy is imported: a thread pool started here would make forking unsafe
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                 "NUMEXPR_NUM_THREADS": "1"}

WORKER_MODULES = [
    "nbgrader.apps.baseapp", "nbgrader.api", "nbgrader.converters.autograde", "sqlalchemy.dialects.sqlite",
    "traitlets.config.argcomplete_config", "jupyter_client.kernelspec", "ipykernel.kernelspec", "IPython.paths",
    "psutil", "babel.dates", "babel.messages.pofile",
    "graders.grade.autograde", "graders.grade.preprocessors", "graders.grade.kernel", "graders.grade.warm",
    "graders.grade.checker", "graders.grade.records", "graders.grade.reasons", "graders.grade.services",
    "graders.grade.evidence", "graders.grade.verdicts",
]
MAX_MESSAGE = 1 << 20


def threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def warm_up(root: Path, assignment: str) -> None:
    """Import what a worker imports while it grades (each import on its own: one that fails is left to the worker)."""
    from .worker import _skip_iri_grammar

    _skip_iri_grammar()
    names = list(WORKER_MODULES)
    try:
        from ..labdef import LABS_DIR, load_lab

        if (LABS_DIR / assignment / "lab.toml").exists():
            load_lab(assignment).checks  # cached: the worker's Prepared finds it loaded
            names.append(f"labs.{assignment}.checks")
    except Exception:  # noqa: BLE001
        pass
    try:
        from .warm import notebook_imports

        for notebook in sorted((root / "source" / assignment).glob("*.ipynb")):
            names += notebook_imports(notebook)
    except Exception:  # noqa: BLE001
        pass
    for name in dict.fromkeys(names):
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 (the worker imports it again, and reports what goes wrong)
            pass


def _send(sock: socket.socket, message: dict) -> None:
    sock.send(json.dumps(message).encode())


def _child(sock: socket.socket, request: dict, fds: list[int], zygote: int, wakeup: tuple[int, int]) -> int:
    """In the forked worker: its own session and standard streams, then the worker's life."""
    from .sandbox import PR_SET_PDEATHSIG, prctl
    from .worker import serve

    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    for fd in wakeup:
        os.close(fd)
    sock.close()
    os.setsid()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != zygote:  # the zygote died before the line above
        return 1
    task_r, result_w, log = fds
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)
    return serve(request["root"], request["assignment"], task_r, result_w, int(request["index"]),
                 request["settings"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--assignment", required=True)
    p.add_argument("--fd", type=int, required=True)
    args = p.parse_args(argv)
    from .sandbox import PR_SET_PDEATHSIG, prctl

    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the grading run is gone: so is the zygote (and then its workers)
    sock = socket.socket(fileno=args.fd)
    environ = dict(os.environ)
    os.environ.update(SINGLE_THREAD)
    warm_up(Path(args.root), args.assignment)
    os.environ.clear()
    os.environ.update(environ)  # the workers' own processes get the environment the pool gave
    if threads() != 1:
        why = f"{threads()} threads after the imports: forking is not safe, the workers start one by one"
        print(why, file=sys.stderr)
        _send(sock, {"ready": False, "why": why})
        return 1
    _send(sock, {"ready": True})
    me = os.getpid()
    wakeup = os.pipe()  # a worker's end wakes the loop at once (SIGCHLD), so the pool hears of it without delay
    for fd in wakeup:
        os.set_blocking(fd, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wakeup[1])
    children: set[int] = set()
    open_ = True
    while open_ or children:
        if open_:
            ready, _, _ = select.select([sock, wakeup[0]], [], [], 1.0)
            if wakeup[0] in ready:
                try:
                    os.read(wakeup[0], 4096)
                except BlockingIOError:
                    pass
            ready = [r for r in ready if r is sock]
        else:
            ready = []
            for pid in children:
                _kill(pid)
            import time

            time.sleep(0.05)
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                children.clear()
                break
            if pid == 0:
                break
            children.discard(pid)
            if open_:
                try:
                    _send(sock, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})
                except OSError:
                    open_ = False
        if not ready:
            continue
        try:
            data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
        except OSError:
            data, fds = b"", []
        if not data:
            open_ = False
            for fd in fds:
                os.close(fd)
            continue
        request = json.loads(data)
        if "kill" in request:
            if request["kill"] in children:  # not reaped yet: the pid is still this worker's
                _kill(request["kill"])
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                code = _child(sock, request, fds, me, wakeup)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # noqa: BLE001
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    os._exit(code)
        for fd in fds:
            os.close(fd)  # the worker has them; the next worker must not
        children.add(pid)
        _send(sock, {"forked": pid})
    return 0


def _kill(pid: int) -> None:
    for kill in (os.killpg, os.kill):  # its process group (once it called setsid), or itself
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


if __name__ == "__main__":
    sys.exit(main())
