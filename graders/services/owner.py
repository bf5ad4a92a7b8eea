"""A learner's lab services answer that learner only: every connection is checked for the Unix user it comes from.

On a class hub many learners share one machine, and every lab service listens on a loopback port, which any local
user can connect to. For a TCP connection over loopback both ends are sockets of this machine, and Linux tells who
owns each one (the kernel's socket diagnostics, which ``ss -e`` uses; ``/proc/net/tcp``'s ``uid`` column as a
fallback). So a service can ask the kernel which user opened the connection and answer only its own user:

* the learner's kernel, their robots and Chromium, their terminal and their JupyterLab's proxy (which is how their
  browser reaches the services on a hub) all run as the learner: nothing to configure, no secret to pass around;
* another learner's connection is refused: HTTP services answer ``403`` (:class:`OwnerOnly`), the mail server
  refuses ``MAIL FROM`` and ``DATA`` with ``554`` (``rpa_mail.py``).

Where the kernel gives no such table (macOS, Windows: a laptop with one user), nothing is checked
(:func:`owner_check_available`). Label Studio is a separate program (Django); it keeps its own login and token
(``labelstudio.py``).
"""
from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
REFUSED = ("This lab service belongs to another user of this computer: only the person who started it can use it.\n"
           "Open your own services through your own JupyterLab.\n")


def owner_check_available() -> bool:
    return sys.platform.startswith("linux") and TABLES[0].exists()


def _word(chunk: bytes) -> str:
    # /proc/net/tcp prints each 32-bit word of an address as the kernel holds it in memory (host byte order)
    return "%08X" % int.from_bytes(chunk, sys.byteorder)


def _hex_address(ip: str, port: int, v6: bool) -> str:
    if v6:
        packed = socket.inet_pton(socket.AF_INET6, ip if ":" in ip else "::ffff:" + ip)
    else:
        packed = socket.inet_aton(ip)
    return "".join(_word(packed[i:i + 4]) for i in range(0, len(packed), 4)) + ":%04X" % port


NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, NO_COOKIE = 4, 20, 1, 0xFFFFFFFF


def _diag_uid(client: tuple[str, int], server: tuple[str, int]) -> int | None:
    """Ask the kernel for the one socket with this address pair (sock_diag, what ``ss`` uses): a fraction of a
    millisecond, where reading ``/proc/net/tcp`` takes milliseconds on a machine with many connections."""
    import struct

    family = socket.AF_INET6 if ":" in client[0] else socket.AF_INET

    def packed(ip: str) -> bytes:
        return socket.inet_pton(family, ip).ljust(16, b"\0")

    request = (struct.pack("=BBBxI", family, socket.IPPROTO_TCP, 0, 0xFFFFFFFF)            # inet_diag_req_v2
               + struct.pack("!HH", client[1], server[1]) + packed(client[0]) + packed(server[0])
               + struct.pack("=III", 0, NO_COOKIE, NO_COOKIE))
    message = struct.pack("=IHHII", 16 + len(request), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, 1, 0) + request
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as netlink:
        netlink.settimeout(2)
        netlink.sendto(message, (0, 0))
        answer = netlink.recv(65536)
    if len(answer) < 16 + 72 or struct.unpack_from("=H", answer, 4)[0] != SOCK_DIAG_BY_FAMILY:
        return None   # NLMSG_ERROR: no such socket
    uid, inode = struct.unpack_from("=II", answer, 16 + 4 + 48 + 12)   # inet_diag_msg: ..., id, expires/queues, uid, inode
    return uid if inode else None


def connection_uid(client: tuple[str, int], server: tuple[str, int]) -> int | None:
    """The uid owning the client end of the loopback TCP connection ``client`` -> ``server`` (None: not found)."""
    try:
        return _diag_uid(client, server)
    except (OSError, AttributeError, ValueError):   # no netlink here (a container without it ...): read the table
        pass
    for table in TABLES:
        v6 = table.name.endswith("6")   # a dual-stack client socket shows there, as ::ffff:127.0.0.1
        try:
            local, remote = _hex_address(*client, v6=v6), _hex_address(*server, v6=v6)
            text = table.read_text()
        except (OSError, ValueError):
            continue
        needle, start = f" {local} {remote} ", 0   # find the line, rather than split every one (a hub has many)
        while (i := text.find(needle, start)) >= 0:
            line = text[text.rfind("\n", 0, i) + 1:text.find("\n", i) % (len(text) + 1)]
            fields = line.split()
            if len(fields) > 9 and fields[1] == local and fields[2] == remote and fields[9] != "0":
                return int(fields[7])
            start = i + len(needle)
    return None


def same_user(client: tuple[str, int], server: tuple[str, int], users=()) -> bool:
    """Does the connection come from the user this process runs as, or one of ``users`` (the grader's sandboxed
    kernels)? (True where it cannot be told: see above.)"""
    if not owner_check_available():
        return True
    uid = connection_uid(client, server)
    return uid == os.geteuid() or (uid is not None and uid in users)


class OwnerOnly:
    """WSGI middleware: requests over connections from another Unix user get ``403`` and reach nothing."""

    def __init__(self, app, users=()):
        self.app = app
        self.users = users  # other Unix users allowed (a set the service may fill before it starts)

    def __call__(self, environ, start_response):
        try:
            client = (environ["REMOTE_ADDR"], int(environ["REMOTE_PORT"]))
            server = (environ.get("SERVER_NAME", "127.0.0.1"), int(environ["SERVER_PORT"]))
            if not server[0][0].isdigit():
                server = ("127.0.0.1", server[1])
            allowed = same_user(client, server, self.users)
        except (KeyError, ValueError):
            allowed = not owner_check_available()
        if allowed:
            return self.app(environ, start_response)
        body = REFUSED.encode("utf-8")
        start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"),
                                         ("Content-Length", str(len(body))), ("Connection", "close")])
        return [body]
