"""A jupyter_client kernel manager whose kernels start inside the grading sandbox (see ``launch.py``)."""
from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Any


class SandboxedKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` (what nbgrader's ``Execute`` uses) with the kernel command wrapped by the launcher."""

    launch_config = Any(None, allow_none=True, help="a graders.grade.sandbox.LaunchConfig, or None: no sandbox")

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        await self._wait_for_user_to_be_free()
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _wait_for_user_to_be_free(self, timeout: float = 15.0) -> None:
        """Kernels of one worker run as one user, and the process limit counts all of that user's tasks: a kernel
        started while the last one's processes are still ending (after a fork bomb: hundreds) could not even start
        its own threads. So wait, a little, for them to be gone."""
        uid = getattr(self.launch_config, "uid", None)
        if uid is None:  # no user of its own (a normal user's grading run): nothing to wait for
            return
        from .sandbox import count_user_tasks

        deadline = time.monotonic() + timeout
        while count_user_tasks(uid) > 0 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        if self.launch_config is None:
            return cmd
        if "-m" in cmd and cmd[cmd.index("-m") + 1] == "ipykernel_launcher":
            i = cmd.index("-m")
            cmd = [*cmd[:i], "-P", "-m", "graders.grade.kernelboot", *cmd[i + 2:]]
        return launcher_command(self.launch_config) + cmd


def launcher_command(config) -> list[str]:
    """``python -S -E .../launch.py CONFIG --``: the launcher needs only the standard library and sandbox.py, so it
    starts without site-packages (and without PYTHON* variables: the kernel still gets them)."""
    launch = str(Path(__file__).resolve().parent / "launch.py")
    return [sys.executable, "-S", "-E", launch, config.to_json(), "--"]
