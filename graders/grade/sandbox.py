"""Limits for learner code without Docker: Linux namespaces, resource limits and a tiny init process.

What a submission's kernel gets (see ``launch.py``, which applies it, and ``graders/grade/README.md``):

* **no network beyond loopback**: the grading worker runs in a network namespace of its own with only ``lo`` up, so
  the kernel, and the per-submission services the worker starts (moto, a practice app), share a private loopback
  and nothing else. A connect to any other address fails with "Network is unreachable" before a packet is made.
* **its own process tree**: a PID namespace whose init is ours; when the kernel ends (or is killed), every process
  it started ends with it, so nothing is left running, whatever the learner's code forked or daemonised.
* **a private view of the files**: in a mount namespace the kernel's root is a new, empty file system holding only
  the system folders, the Python installation and the graders/labs code (read-only, with the labs' grading-only
  folders masked) and the submission's own folder; ``/tmp`` and ``/dev/shm`` are private. The course folder (the
  gradebook, other learners' work, the source notebooks with solutions), home folders and anything else on the
  machine are not there at all.
* **limits**: memory (``RLIMIT_DATA``: what the program allocates), processes and threads (``RLIMIT_NPROC``),
  file size, no core dumps; per-cell and per-notebook wall clock are enforced by the grader.
* **no privileges**: as root, the kernel runs as an unprivileged user id of its own (one per worker); as a normal
  user, inside a nested user namespace without capabilities. ``PR_SET_NO_NEW_PRIVS`` blocks set-uid programs.

Running as a normal user needs unprivileged user namespaces (Debian, Ubuntu < 23.10 and Fedora allow them by default).
Without them, grading still works with weaker isolation, and :func:`probe` says what is missing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import json
import os
import socket
import struct
from dataclasses import asdict, dataclass, field
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

GiB = 1024 ** 3
MiB = 1024 ** 2

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]


class SandboxError(OSError):
    pass


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxError(err, f"{what}: {os.strerror(err)}")


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None) -> None:
    enc = lambda s: s.encode() if s is not None else None  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), "prctl")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def map_single_id(inside_uid: int, outside_uid: int, inside_gid: int, outside_gid: int) -> None:
    """In a fresh user namespace: this process is ``inside_uid`` here and ``outside_uid`` in the parent."""
    try:
        _write("/proc/self/setgroups", "deny")
    except OSError:
        pass
    _write("/proc/self/uid_map", f"{inside_uid} {outside_uid} 1\n")
    _write("/proc/self/gid_map", f"{inside_gid} {outside_gid} 1\n")


def loopback_up() -> None:
    """``ip link set lo up`` without needing the ip command."""
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        ifreq = struct.pack("16sh14x", b"lo", 0)
        flags = struct.unpack("16sh14x", fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, ifreq))[1]
        fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, struct.pack("16sh14x", b"lo", flags | IFF_UP))


def network_interfaces() -> list[str]:
    with open("/proc/net/dev") as f:
        return [line.split(":")[0].strip() for line in f.readlines()[2:]]


def enter_private_network() -> str:
    """Called first thing in a grading worker (single-threaded): a network namespace with only ``lo``, up.

    Returns how: "netns" (root), "userns+netns" (normal user), raising SandboxError when neither is possible."""
    if os.geteuid() == 0:
        unshare(CLONE_NEWNET)
        how = "netns"
    else:
        uid, gid = os.getuid(), os.getgid()
        unshare(CLONE_NEWUSER | CLONE_NEWNET)
        map_single_id(0, uid, 0, gid)
        how = "userns+netns"
    loopback_up()
    return how


@dataclass
class Limits:
    """What one submission's kernel may use. Times in seconds, sizes in bytes."""

    cell_timeout: float = 60.0          # per cell (nbgrader's Execute.timeout when not given)
    notebook_timeout: float = 600.0     # per notebook, all cells together
    memory: int = 1 * GiB               # RLIMIT_DATA: what the kernel allocates
    max_procs: int = 512                # processes and threads of the kernel's user
    file_size: int = 256 * MiB          # the largest file the kernel may write
    output_bytes: int = 1 * MiB         # per cell; more is cut off (and said so)
    tmp_size: int = 512 * MiB           # the private /tmp

    def describe_memory(self) -> str:
        return human_bytes(self.memory)


def human_bytes(n: float) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", 1024)):
        if n >= size:
            value = n / size
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{int(n)} B"


def parse_size(text: str | int) -> int:
    if isinstance(text, int):
        return text
    t = str(text).strip().lower().replace(" ", "")
    units = {"k": 1024, "m": MiB, "g": GiB, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3,
             "kib": 1024, "mib": MiB, "gib": GiB}
    for suffix in sorted(units, key=len, reverse=True):
        if t.endswith(suffix):
            return int(float(t[: -len(suffix)]) * units[suffix])
    return int(float(t))


@dataclass
class LaunchConfig:
    """Handed to ``python -m graders.grade.launch`` as JSON: how to start one kernel."""

    limits: dict
    workdir: str
    status_path: str
    mount: bool = True
    pidns: bool = True
    userns: bool = False                  # normal user: nested user namespace without capabilities
    uid: int | None = None                # root: drop to this uid/gid
    gid: int | None = None
    allow: list[str] = field(default_factory=list)    # what the kernel sees (read-only), besides its workdir
    hide: list[str] = field(default_factory=list)     # masked inside what it sees (grading-only data)
    nproc_base: int = 0                   # normal user: processes the user already runs (RLIMIT_NPROC is per user)
    env: dict = field(default_factory=dict)
    guard: dict = field(default_factory=dict)   # for the in-kernel guard (kernelboot)

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass
class Capabilities:
    """What this machine and user allow; ``notes`` says, in plain words, what is weaker and why."""

    root: bool
    netns: bool
    mountns: bool
    pidns: bool
    userns: bool
    notes: list[str] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return self.netns and self.mountns and self.pidns


def _try_in_child(flags: int, map_user: bool) -> bool:
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            uid, gid = os.getuid(), os.getgid()
            unshare(flags)
            if map_user:
                map_single_id(0, uid, 0, gid)
            if flags & CLONE_NEWNET:
                loopback_up()
            code = 0
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def probe() -> Capabilities:
    """Try, in throw-away child processes, which namespaces this user may create."""
    root = os.geteuid() == 0
    user = 0 if root else CLONE_NEWUSER
    netns = _try_in_child(user | CLONE_NEWNET, not root)
    full = _try_in_child(user | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID, not root)
    caps = Capabilities(root=root, netns=netns, mountns=full, pidns=full, userns=not root and netns)
    if not netns:
        caps.notes.append("no network namespace: learner code is kept off the network only by an in-kernel guard, "
                          "which a determined learner can get around (enable unprivileged user namespaces, or "
                          "grade as root)")
    if not full:
        caps.notes.append("no mount/PID namespaces: learner code can read the course folder and may leave "
                          "processes behind until the grader kills its process group")
    if not root:
        caps.notes.append("not root: the process limit counts all your own processes (it is set to what you run "
                          "now plus the limit), and kernels run as you inside a user namespace")
    return caps


def count_user_tasks(uid: int) -> int:
    """Processes and threads of ``uid`` on this machine (RLIMIT_NPROC counts these)."""
    n = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                n += int(fields.get("Threads", "1").strip())
        except (OSError, KeyError, ValueError):
            continue
    return n


SYSTEM_PATHS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/dev", "/sys"]


def needed_paths() -> list[str]:
    """What a kernel must see: the system, the Python installation and environment, the graders and labs code."""
    import sys

    import graders
    import labs

    paths = {*SYSTEM_PATHS, sys.base_prefix, sys.prefix, os.path.dirname(graders.__file__),
             os.path.dirname(labs.__file__)}
    # whatever else this Python imports from (PYTHONPATH, user site-packages), but not the current folder
    cwd = os.path.realpath(os.getcwd())
    paths |= {p for p in sys.path if p and os.path.isabs(p) and os.path.isdir(p) and os.path.realpath(p) != cwd}
    return sorted(p for p in paths if os.path.exists(p))  # a symlink (/bin -> usr/bin) is kept as a symlink


def is_errno(exc: BaseException, *codes: int) -> bool:
    return isinstance(exc, OSError) and exc.errno in codes


__all__ = ["Limits", "LaunchConfig", "Capabilities", "probe", "enter_private_network", "loopback_up", "unshare",
           "mount", "prctl", "human_bytes", "parse_size", "network_interfaces", "count_user_tasks", "SandboxError",
           "needed_paths", "errno"]
