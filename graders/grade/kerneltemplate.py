"""A worker's kernel template: one process that imports what every kernel imports, once, and forks the kernels.

Started by the grading worker (in its network namespace, before it grades anything) as
``python -P -m graders.grade.kerneltemplate --fd N MODULE ...``: the same interpreter and flags as a kernel
(``python -P -m graders.grade.kernelboot``), with the kernel's environment for the imports (one BLAS thread, the
kernel's home). It imports ipykernel, our launcher and the modules the lab's notebooks import (pandas): about 0.4 s of
CPU that every kernel spent on its own before. Then, for each kernel the worker asks for, it forks a process that does
exactly what ``launch.py`` does (namespaces, file view, init, limits, uid) and, where ``launch.py`` would exec
``python -P -m graders.grade.kernelboot``, runs it in the forked process itself (``launch.run_kernelboot``).

What a kernel gets from here is imported third-party code only: the template never sees a submission, a verdict, the
gradebook or the lab's checks and files (those are imported inside the sandbox, by kernelboot's preload, as before),
and it never runs a kernel itself, so nothing of one learner can reach another through it. It forks only while it has
a single thread. Messages back: ``ready``, ``forked`` (the launcher's pid, its own process group), ``exit`` (pid and
exit code, as ``subprocess`` reports them). It waits for what it forked, so the kernels' CPU time still counts as the
worker's children. When the worker closes the socket (or dies), the template kills what is left and exits. The loop
and its protocol are the zygote's too: :mod:`graders.grade.forkserver`.
"""
from __future__ import annotations

import importlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

from . import forkserver

WAIT_READY = 10.0  # seconds a kernel waits for the template's imports before it starts the usual way
KERNEL_MODULES = ["ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.iostream",
                  "graders.grade.launch", "graders.grade.kernelboot"]


def _child(request: dict, fds: list[int]) -> int:
    """In the forked launcher: its own process group (as ``Popen(start_new_session=True)`` gives it), the kernel's
    environment and folder, then ``launch.main`` with the kernel run in process."""
    from . import launch

    os.setsid()
    os.environ.clear()
    os.environ.update(request["env"])
    if request.get("cwd"):
        os.chdir(request["cwd"])
    launch.IN_PROCESS = True
    return launch.main(list(request["argv"]))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    fd = int(argv[argv.index("--fd") + 1])
    modules = [a for i, a in enumerate(argv) if a != "--fd" and (i == 0 or argv[i - 1] != "--fd")]
    from .sandbox import PR_SET_PDEATHSIG, prctl

    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the worker is gone: so is the template (and what it forked)
    sock = socket.socket(fileno=fd)
    for name in dict.fromkeys([*KERNEL_MODULES, *modules]):
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 (the kernel imports it again, and says what goes wrong)
            pass
    if not forkserver.announce(sock, "kernels start the usual way"):
        return 1
    return forkserver.serve(sock, _child)


class Template:
    """The worker's side: start the template, ask it for kernels (a ``Popen``-like handle per launcher)."""

    def __init__(self, modules: list[str], env: dict):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        cmd = [sys.executable, "-P", "-m", "graders.grade.kerneltemplate", "--fd", str(theirs.fileno()), *modules]
        env = {**env, **forkserver.SINGLE_THREAD}  # numpy would start a thread pool as it is imported: no fork then
        try:
            # in "/": nothing it imports may read the course folder (the worker's folder) as its working directory
            self.proc = subprocess.Popen(cmd, pass_fds=(theirs.fileno(),), env=env, cwd="/", stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        except BaseException:
            mine.close()
            raise
        finally:
            theirs.close()
        self.sock, self.exits, self.state = mine, {}, None  # state: None (importing), True (ready), False (refused)
        self.lock = threading.Lock()

    def _take(self, message: dict) -> dict:
        if "exit" in message:
            self.exits[message["exit"]] = message["code"]
        if "ready" in message:
            self.state = bool(message["ready"])
        return message

    def _drain(self, timeout: float = 0.0) -> None:
        """Read whatever messages arrived (waiting up to ``timeout`` for the first)."""
        while self.sock.fileno() >= 0:
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                return
            timeout = 0.0
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                self.state = False
                self.sock.close()
                return
            self._take(json.loads(data))

    def spawn(self, launcher_cmd: list[str], env: dict, cwd) -> "Forked | None":
        """Fork a launcher for ``launcher_cmd`` (``python -S -E launch.py CONFIG -- KERNEL_CMD``), or None when the
        template could not start, or is gone: the caller then starts the kernel the usual way. While the template
        still imports, wait for it (up to ``WAIT_READY`` s): a kernel started the usual way meanwhile imports the same
        modules itself, and on a machine with a worker per core the two only slow each other down."""
        with self.lock:
            deadline = time.monotonic() + WAIT_READY
            self._drain()
            while self.state is None and self.sock.fileno() >= 0 and time.monotonic() < deadline:
                self._drain(max(0.0, deadline - time.monotonic()))
            if not self.state:
                return None
            script = next((i for i, a in enumerate(launcher_cmd) if a.endswith("launch.py")), None)
            if script is None:
                return None
            request = {"argv": launcher_cmd[script + 1:], "env": dict(env), "cwd": str(cwd) if cwd else None}
            try:
                self.sock.send(json.dumps(request).encode())
                deadline = time.monotonic() + 30.0
                while time.monotonic() < deadline:
                    ready, _, _ = select.select([self.sock], [], [], max(0.0, deadline - time.monotonic()))
                    if not ready:
                        break
                    data = self.sock.recv(65536)
                    if not data:
                        break
                    message = self._take(json.loads(data))
                    if "forked" in message:
                        return Forked(self, message["forked"])
            except OSError:
                pass
            self.state = False  # no answer: kernels start the usual way from now on
            return None

    def returncode(self, pid: int) -> int | None:
        with self.lock:
            self._drain()
            return self.exits.get(pid)

    def kill(self, pid: int) -> None:
        with self.lock:
            if pid in self.exits or self.sock.fileno() < 0:
                return
            try:
                self.sock.send(json.dumps({"kill": pid}).encode())
            except OSError:
                pass

    def close(self) -> None:
        """The template kills what is left, waits for it and exits."""
        with self.lock:
            if self.sock.fileno() >= 0:
                self.sock.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Forked:
    """A launcher forked by the template, as jupyter_client's provisioner uses a ``Popen``."""

    stdin = stdout = stderr = None

    def __init__(self, template: Template, pid: int):
        self.template, self.pid, self.returncode = template, pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self.template.returncode(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("kernel launcher", timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            if signum == signal.SIGKILL:
                self.template.kill(self.pid)
            else:
                os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


if __name__ == "__main__":
    sys.exit(main())
