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
When the pool closes the socket, the zygote kills whatever worker is left, waits for it and exits. The loop and its
protocol are the kernel template's too: :mod:`graders.grade.forkserver`.
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import socket
import sys
from pathlib import Path

from . import forkserver

WORKER_MODULES = [
    "nbgrader.apps.baseapp", "nbgrader.api", "nbgrader.converters.autograde", "sqlalchemy.dialects.sqlite",
    "traitlets.config.argcomplete_config", "jupyter_client.kernelspec", "ipykernel.kernelspec", "IPython.paths",
    "psutil", "babel.dates", "babel.messages.pofile",
    "graders.grade.autograde", "graders.grade.preprocessors", "graders.grade.kernel", "graders.grade.warm",
    "graders.grade.checker", "graders.grade.records", "graders.grade.reasons", "graders.grade.services",
    "graders.grade.evidence", "graders.grade.verdicts",
]


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


def _child(request: dict, fds: list[int], zygote: int) -> int:
    """In the forked worker: its own session and standard streams, then the worker's life."""
    from .sandbox import PR_SET_PDEATHSIG, prctl
    from .worker import serve

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
    os.environ.update(forkserver.SINGLE_THREAD)
    warm_up(Path(args.root), args.assignment)
    os.environ.clear()
    os.environ.update(environ)  # the workers' own processes get the environment the pool gave
    if not forkserver.announce(sock, "the workers start one by one"):
        return 1
    zygote = os.getpid()
    return forkserver.serve(sock, lambda request, fds: _child(request, fds, zygote), forkserver.receive_with_fds(3))


if __name__ == "__main__":
    sys.exit(main())
