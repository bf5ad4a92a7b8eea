"""A jupyter_client kernel manager whose kernels start inside the grading sandbox (see ``launch.py``)."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Any


class SandboxedKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` (what nbgrader's ``Execute`` uses) with the kernel command wrapped by the launcher."""

    launch_config = Any(None, allow_none=True, help="a graders.grade.sandbox.LaunchConfig, or None: no sandbox")
    kernel_template = Any(None, allow_none=True, help="a graders.grade.kerneltemplate.Template that forks the "
                          "launcher (and the kernel) with ipykernel already imported; None: exec as usual")

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await self._wait_for_a_bombs_remains()
        if self.kernel_template is not None and self.launch_config is not None:
            from jupyter_client.provisioning import LocalProvisioner

            provisioner = self.provisioner
            if isinstance(provisioner, LocalProvisioner):
                process = self.kernel_template.spawn(kernel_cmd, kw.get("env") or dict(os.environ), kw.get("cwd"))
                if process is not None:  # what LocalProvisioner.launch_kernel records of its Popen
                    provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, process.pid
                    provisioner.cwd = kw.get("cwd") or os.getcwd()
                    self._reconcile_connection_info(provisioner.connection_info)
                    return
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _wait_for_a_bombs_remains(self, timeout: float = 30.0) -> None:
        """The kernels of one worker run as one user, and the process limit counts all that user's tasks. After a
        fork bomb its hundreds of processes take a moment to go; a kernel started meanwhile could not even start its
        own threads, and would never answer. So wait for them, but only while the user's tasks leave too little room
        under the limit for a kernel to start (a running kernel, its browser and the grader's checker leave plenty:
        no wait for them)."""
        cfg = self.launch_config
        uid = getattr(cfg, "uid", None)
        if uid is None or getattr(cfg, "userns", False):  # a normal user's run: nothing of its own to wait for
            return
        from .sandbox import count_user_tasks

        deadline = time.monotonic() + timeout
        while too_crowded_to_start(count_user_tasks(uid), cfg) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        """Killed (a limit, or the end of the notebook: see ``SandboxedExecute.shutdown_kernel``): the kernel first,
        so the sandbox's init reaps it, writes its final status (exit, memory, tasks) and ends, and the launcher with
        it; their CPU time is then counted as a graceful end would count it. Then jupyter_client's own kill of the
        whole process group, which finds nothing left (or what did not end within 2 s)."""
        launcher = getattr(self.provisioner, "pid", None) if self.launch_config is not None else None
        if launcher and self.has_kernel:
            inits = _children(launcher)
            for init in inits:
                for pid in _children(init):  # the kernel, and orphans the init adopted
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            deadline = time.monotonic() + 2.0
            while inits and time.monotonic() < deadline and await self.provisioner.poll() is None:
                await asyncio.sleep(0.02)
        await super()._async_kill_kernel(restart=restart)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.launch_config is None:
            return cmd
        if "-m" in cmd and cmd[cmd.index("-m") + 1] == "ipykernel_launcher":
            i = cmd.index("-m")
            cmd = [*cmd[:i], "-P", "-m", "graders.grade.kernelboot", *cmd[i + 2:]]
        return launcher_command(self.launch_config) + cmd


KERNEL_TASKS = 64  # processes and threads a kernel needs to start (ipykernel's threads, a few helpers)


def too_crowded_to_start(tasks: int, cfg) -> bool:
    """Do the kernel user's ``tasks`` leave too little room under its process limit for a kernel to start? With a
    small limit (an instructor's ``--max-procs 40``) the room asked for is half the limit: more could never be free,
    and every kernel would wait the full timeout."""
    limit = int((cfg.limits or {}).get("max_procs", 512))
    return tasks > cfg.nproc_base + limit - min(KERNEL_TASKS, limit // 2)


def launcher_command(config) -> list[str]:
    """``python -S -E .../launch.py CONFIG --``: the launcher needs only the standard library and sandbox.py, so it
    starts without site-packages (and without PYTHON* variables: the kernel still gets them)."""
    launch = str(Path(__file__).resolve().parent / "launch.py")
    return [sys.executable, "-S", "-E", launch, config.to_json(), "--"]


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except (OSError, ValueError):
        return []
