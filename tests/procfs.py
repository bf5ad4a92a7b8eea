"""Reading a process's open files from /proc, for tests that check what a process holds (pipes, sockets)."""
from __future__ import annotations

import os


def fd_links(pid: int, prefix: str) -> set[str]:
    """The targets of ``pid``'s open file descriptors that start with ``prefix`` (``"pipe:"``, ``"socket:["``); a
    descriptor closed while it is read is skipped."""
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(prefix):
            found.add(target)
    return found
