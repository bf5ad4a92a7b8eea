"""Learners' kernels talk to their JupyterLab over Unix sockets in a private folder, not over TCP ports.

With jupyter_client's default (TCP on 127.0.0.1), any other user of a shared machine (a class hub) can connect to a
learner's kernel ports and read its output channel, and the free ports jupyter_client picks can be taken by another
program before the kernel binds them (the kernel then dies with "Address already in use"; seen with 20 learners
starting at once). jupyter_client's own ``ipc`` transport fixes both, but by default puts the sockets beside the
connection file, a path that is longer than a Unix socket may be (107 bytes) in a deep home folder. So each kernel
gets a short path of its own in one 0700 folder per server: ``/tmp/jupyter-kernels-XXXXXXXX/<8 hex>-<n>``.

Used by graders/services/jupyter_config/jupyter_server_config.py (``graders start`` and the class hub).
"""
from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile

from jupyter_server.services.kernels.kernelmanager import ServerKernelManager
from traitlets import default

_folder: str | None = None


def socket_folder() -> str:
    """This server's folder for its kernels' sockets (made 0700 on first use, removed when the server ends)."""
    global _folder
    if _folder is None:
        _folder = tempfile.mkdtemp(prefix="jupyter-kernels-", dir="/tmp" if os.path.isdir("/tmp") else None)
        atexit.register(shutil.rmtree, _folder, True)
    return _folder


class PrivateSocketKernelManager(ServerKernelManager):
    """jupyter_server's kernel manager with its kernel on Unix sockets at a short, private, per-kernel path."""

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @default("ip")
    def _ip_default(self) -> str:
        return os.path.join(socket_folder(), secrets.token_hex(4))
