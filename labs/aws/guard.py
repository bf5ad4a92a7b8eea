"""Nothing in the AWS lab talks to anything but this computer: a process-wide guard on outgoing connections.

An audit hook (PEP 578) sees every ``socket.connect`` and every name lookup before it happens and refuses the ones
that would leave the machine, before any packet is sent:

* ``"aws"`` mode (every process that makes a practice-cloud session, e.g. a grader): refused only when the call comes
  from boto3 / botocore / s3transfer, so an AWS request can never reach real AWS (or the instance metadata address),
  whatever endpoint, proxy or credentials the environment holds, while the rest of that process is left alone.
* ``"all"`` mode (the learner's kernel of the AWS lab, and the process that runs a learner's Lambda handler):
  every connection or name lookup outside 127.0.0.1/::1/localhost is refused.

Audit hooks cannot be removed, so the guard only ever gets stricter ("aws" -> "all").
"""
from __future__ import annotations

import ipaddress
import socket
import sys

_MODES = {None: 0, "aws": 1, "all": 2}
_mode: str | None = None
AWS_MODULES = ("botocore", "boto3", "s3transfer")


class OutsideConnectionBlocked(ConnectionRefusedError):
    """A connection to a non-loopback address that the AWS lab refused before it was made."""


def is_loopback(host) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): the local wildcard, nothing leaves
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _from_aws_library() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name.split(".", 1)[0] in AWS_MODULES:
            return True
        frame = frame.f_back
    return False


def _hook(event: str, args: tuple) -> None:
    if _mode is None:
        return
    if event == "socket.connect":
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) not in (socket.AF_INET, socket.AF_INET6):
            return  # Unix sockets and the like stay on this machine
        host = address[0] if isinstance(address, tuple) and address else address
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"):
        host = args[0] if args else None
    else:
        return
    if is_loopback(host):
        return
    if _mode == "all" or _from_aws_library():
        raise OutsideConnectionBlocked(
            f"blocked a connection to {host!r}: the AWS lab works only with the practice cloud on this computer "
            "(127.0.0.1); nothing may go to the internet or to real AWS")


def install(mode: str = "aws") -> str:
    """Turn the guard on in this process (idempotent; a stricter mode wins). Returns the mode now in force."""
    global _mode
    if mode not in ("aws", "all"):
        raise ValueError("mode is 'aws' or 'all'")
    if _mode is None:
        sys.addaudithook(_hook)
    if _MODES[mode] > _MODES[_mode]:
        _mode = mode
    return _mode


def mode() -> str | None:
    return _mode
