"""The kernel of a graded submission starts here: ``python -P -m graders.grade.kernelboot -f CONNECTION_FILE``.

Before any learner code runs it adds a Python audit hook (which, once added, cannot be removed from Python) that
refuses network connections to anything but loopback and opening the paths the grader hides. The namespaces of
``launch.py`` already enforce both from outside; this guard gives the learner a clear message, and it is the only
guard left on machines without namespaces (there it can be got around with native code: see README).
Then it runs ipykernel, exactly as ``python -m ipykernel_launcher`` does.
"""
from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys

MARKER = "graders-sandbox"
NETWORK_REFUSED = (f"[{MARKER}:network] Network access is switched off while your work is graded; only this "
                   "computer (127.0.0.1) can be reached. Refused: {host}")
PATH_REFUSED = f"[{MARKER}:path] This file is not available while your work is graded: {{path}}"
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def is_loopback(host) -> bool:
    if host is None or host == "" or host == b"":
        return True
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def install_guard(config: dict) -> None:
    blocked = tuple(os.path.realpath(p).rstrip("/") for p in config.get("blocked_paths", []))
    allowed = tuple(os.path.realpath(p).rstrip("/") for p in config.get("allowed_paths", []))
    inet = (socket.AF_INET, socket.AF_INET6)

    def under(path: str, roots: tuple) -> bool:
        return any(path == r or path.startswith(r + "/") for r in roots)

    def hook(event: str, args: tuple) -> None:
        if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
            sock, address = args[0], args[1] if len(args) > 1 else None
            if getattr(sock, "family", None) in inet and isinstance(address, tuple) and address:
                if not is_loopback(address[0]):
                    raise PermissionError(NETWORK_REFUSED.format(host=address[0]))
        elif event == "socket.getaddrinfo":
            if not is_loopback(args[0]):
                raise PermissionError(NETWORK_REFUSED.format(host=args[0]))
        elif event == "open" and blocked:
            path = args[0]
            if isinstance(path, bytes):
                path = os.fsdecode(path)
            if isinstance(path, str):
                full = os.path.abspath(path)
                if under(full, blocked) and not under(full, allowed):
                    raise PermissionError(PATH_REFUSED.format(path=path))

    sys.addaudithook(hook)


def preload(modules: list[str]) -> None:
    """Import what the notebook will import anyway (the lab's checks, pandas ...) while the grader is still busy
    with the submission's bookkeeping, so the first cells do not wait for it."""
    import importlib

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 (the notebook will say so itself, if it needs it)
            pass


def main() -> None:
    try:
        config = json.loads(os.environ.pop("GRADERS_SANDBOX", "") or "{}")
    except ValueError:
        config = {}
    install_guard(config)
    preload(config.get("preload", []))
    from ipykernel import kernelapp

    sys.argv[0] = "ipykernel_launcher"
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
