"""A jupyter_client kernel manager whose kernels start inside the grading sandbox (see ``launch.py``)."""
from __future__ import annotations

import sys
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Any


class SandboxedKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` (what nbgrader's ``Execute`` uses) with the kernel command wrapped by the launcher."""

    launch_config = Any(None, allow_none=True, help="a graders.grade.sandbox.LaunchConfig, or None: no sandbox")

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
