"""A fork server: a process that imported what its children need, once, forks them on request.

Two of them exist, with the same loop and protocol: the zygote (:mod:`graders.grade.zygote`, forks grading workers)
and a worker's kernel template (:mod:`graders.grade.kerneltemplate`, forks sandboxed kernels). They differ only in
how a request arrives (the zygote's carry file descriptors) and what the child does.

Protocol, one JSON message per ``SOCK_SEQPACKET`` packet. The server says ``{"ready": true}`` (or ``false`` with
``why``) once, then answers each request: ``{"kill": pid}`` kills that child (if not reaped yet, the pid is still
its); anything else is a fork request, answered ``{"forked": pid}``. When a child ends, ``{"exit": pid, "code": c}``
(``c`` as ``subprocess`` reports it: negative for a signal). When the other side closes the socket, the server kills
every child left, reaps them and returns. It waits for its children, so their CPU time counts as its own children's.

Forking is safe only while the process has a single thread: :func:`announce` checks that before saying ready.
"""
from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
import time
import traceback
from typing import Callable, NoReturn

MAX_MESSAGE = 1 << 20
# read by OpenBLAS and friends when numpy is imported: a thread pool started then would make forking unsafe
SINGLE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                 "NUMEXPR_NUM_THREADS": "1"}


def send(sock: socket.socket, message: dict) -> None:
    sock.send(json.dumps(message).encode())


def threads() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def announce(sock: socket.socket, otherwise: str) -> bool:
    """Say ready if this process may fork (one thread); else say why, and ``otherwise`` (what happens instead)."""
    if threads() == 1:
        send(sock, {"ready": True})
        return True
    why = f"{threads()} threads after the imports: forking is not safe, {otherwise}"
    print(why, file=sys.stderr, flush=True)
    send(sock, {"ready": False, "why": why})
    return False


def kill(pid: int) -> None:
    """SIGKILL a child and its process group (children call ``setsid`` first thing)."""
    for kill_ in (os.killpg, os.kill):
        try:
            kill_(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def exit_code(value) -> int:
    """The process exit code for a ``main()``'s return value or a ``SystemExit``'s code, as Python's interpreter
    decides it: None is 0, an int is itself, anything else is printed to stderr and is 1."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def exit_after(run: Callable[[], int | None]) -> NoReturn:
    """In a forked child: ``run()``, then end the process at once with its exit code (:func:`exit_code`; an
    exception other than ``SystemExit`` prints its traceback and is 1). ``os._exit``: nothing of the parent's (atexit
    handlers, finalizers, buffered files it had open) runs in the child; stdout and stderr are flushed first."""
    code = 1
    try:
        code = exit_code(run())
    except SystemExit as exc:
        code = exit_code(exc.code)
    except BaseException:  # noqa: BLE001
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def receive_plain(sock: socket.socket) -> tuple[bytes, list[int]]:
    return sock.recv(MAX_MESSAGE), []


def receive_with_fds(max_fds: int) -> Callable[[socket.socket], tuple[bytes, list[int]]]:
    def receive(sock: socket.socket) -> tuple[bytes, list[int]]:
        data, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, max_fds)
        return data, fds
    return receive


def serve(sock: socket.socket, child: Callable[[dict, list[int]], int | None],
          receive: Callable[[socket.socket], tuple[bytes, list[int]]] = receive_plain) -> int:
    """Fork ``child(request, fds)`` for each request until the socket closes and every child has ended.

    The child starts with the signal handling of a plain process (no SIGCHLD handler, no wake-up fd) and without
    this loop's file descriptors; it runs under :func:`exit_after`. The fds that came with a request are the
    child's: this process closes its copies once it has forked."""
    wakeup = os.pipe()  # a child's end wakes the loop at once (SIGCHLD), so the other side hears of it without delay
    for end in wakeup:
        os.set_blocking(end, False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    signal.set_wakeup_fd(wakeup[1])

    def in_child(request: dict, fds: list[int]) -> int | None:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for end in wakeup:
            os.close(end)
        sock.close()
        return child(request, fds)

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
        else:
            ready = []
            for pid in children:
                kill(pid)
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
                    send(sock, {"exit": pid, "code": os.waitstatus_to_exitcode(status)})
                except OSError:
                    open_ = False
        if sock not in ready:
            continue
        try:
            data, fds = receive(sock)
        except OSError:
            data, fds = b"", []
        request = json.loads(data) if data else None
        if request is None or "kill" in request:
            for fd in fds:
                os.close(fd)
            if request is None:
                open_ = False
            elif request["kill"] in children:  # not reaped yet: the pid is still this child's
                kill(request["kill"])
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            exit_after(lambda: in_child(request, fds))
        for fd in fds:
            os.close(fd)  # the child has them; the next child must not
        children.add(pid)
        send(sock, {"forked": pid})
    return 0
