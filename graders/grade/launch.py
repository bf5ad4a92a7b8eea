"""Start one learner kernel inside its sandbox: ``python -m graders.grade.launch CONFIG_JSON -- KERNEL_CMD ...``.

Used as a prefix of the kernel command by :class:`graders.grade.kernel.SandboxedKernelManager`. Three processes:

* this one (the *launcher*) makes the mount/PID namespaces, hides the course folder, and waits;
* the *init* (PID 1 of the new PID namespace) reaps orphans, watches how many processes the learner's code runs,
  and writes a status file when the kernel ends; when it exits, the kernel and everything it started are killed;
* the *kernel*, with resource limits and no privileges.

Interrupts (SIGINT to the process group, as jupyter_client sends them) reach the kernel and are ignored here.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import sys
import time

from .sandbox import (CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, MS_BIND, MS_NODEV, MS_NOEXEC,
                      MS_NOSUID, MS_PRIVATE, MS_REC, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, LaunchConfig, Limits,
                      map_single_id, mount, prctl, unshare)

SANDBOX_UID_IN_USERNS = 1000
KERNEL_HOME = "/tmp/graders-home"
CONNECTION_FILE = "/tmp/graders-kernel.json"


def _ignore(signum, frame):  # interrupts are for the kernel
    pass


def _under(path: str, parent: str) -> bool:
    path, parent = os.path.abspath(path), os.path.abspath(parent)
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def setup_mounts(cfg: LaunchConfig, limits: Limits) -> None:
    """Private /tmp, hidden course folder and grading data, the submission's own folder shown again."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    reveal = {}
    for path in cfg.reveal:  # held open: the folders above them are about to be covered
        if os.path.exists(path) and (any(_under(path, h) for h in cfg.hide) or _under(path, "/tmp")):
            reveal[path] = os.open(path, os.O_PATH)
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={limits.tmp_size},mode=1777")
    for path, size in (("/dev/shm", 64 * 1024 * 1024), ("/var/tmp", 64 * 1024 * 1024)):
        if os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    for path in cfg.hide:
        if os.path.isdir(path) and not os.path.islink(path):
            mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
        elif os.path.isfile(path):
            mount("/dev/null", path, None, MS_BIND)
    for path, fd in reveal.items():
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            open(path, "a").close()
        mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        os.close(fd)


def count_tasks() -> int:
    n = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                n += len(os.listdir(f"/proc/{entry}/task"))
            except OSError:
                pass
    return n


def exec_kernel(cfg: LaunchConfig, limits: Limits, cmd: list[str], home: str) -> None:
    try:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_DATA, (limits.memory, limits.memory))
        nproc = cfg.nproc_base + limits.max_procs
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        env = dict(os.environ, JPY_PARENT_PID="1")  # no parent poller: init (PID 1) is the parent
        env.update(cfg.env)
        env.update({"HOME": home, "TMPDIR": "/tmp" if cfg.mount else env.get("TMPDIR", "/tmp"),
                    "GRADERS_SANDBOX": json.dumps(cfg.guard)})
        if cfg.userns:
            unshare(CLONE_NEWUSER)
            map_single_id(SANDBOX_UID_IN_USERNS, 0, SANDBOX_UID_IN_USERNS, 0)
        elif cfg.uid is not None:
            os.setgroups([])
            os.setgid(cfg.gid if cfg.gid is not None else cfg.uid)
            os.setuid(cfg.uid)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        os.chdir(cfg.workdir)
        os.execvpe(cmd[0], cmd, env)
    except BaseException as exc:  # noqa: BLE001 (tell the grader why, then give up)
        import traceback
        print(f"graders sandbox: could not start the kernel: {exc!r}", file=sys.stderr, flush=True)
        traceback.print_exc()
    os._exit(127)


def run_init(cfg: LaunchConfig, limits: Limits, cmd: list[str], connection: str, status_fd: int) -> None:
    """PID 1 of the submission: start the kernel, reap, watch, report."""
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        signal.signal(signal.SIGINT, _ignore)
        signal.signal(signal.SIGTERM, _ignore if cfg.pidns else signal.SIG_DFL)
        pidns = cfg.pidns and os.getpid() == 1
        if pidns and cfg.mount:
            mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        if cfg.mount:
            home, conn_path = KERNEL_HOME, CONNECTION_FILE
        else:
            import tempfile
            home = tempfile.mkdtemp(prefix="graders-home-")
            conn_path = os.path.join(home, "kernel.json")
        os.makedirs(home, exist_ok=True)
        fd = os.open(conn_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, connection.encode())
        os.close(fd)
        if cfg.uid is not None and not cfg.userns:
            for p in (home, conn_path):
                os.chown(p, cfg.uid, cfg.gid if cfg.gid is not None else cfg.uid)
        cmd = list(cmd)
        cmd[cmd.index("-f") + 1] = conn_path
        kernel = os.fork()
        if kernel == 0:
            exec_kernel(cfg, limits, cmd, home)
        peak, status, usage, hit_limit = 0, None, None, False
        limit = limits.max_procs
        while True:
            try:
                pid, st, ru = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == kernel:
                status, usage = st, ru
                break
            if pid == 0:
                if pidns:
                    tasks = count_tasks() - 1  # not counting this init
                    peak = max(peak, tasks)
                    hit_limit = hit_limit or tasks >= limit - 2
                time.sleep(0.2)
        report = {"peak_tasks": peak, "task_limit": limit, "hit_task_limit": hit_limit,
                  "exit_code": None, "signal": None, "maxrss_kib": usage.ru_maxrss if usage else None}
        if status is not None:
            if os.WIFSIGNALED(status):
                report["signal"] = os.WTERMSIG(status)
            elif os.WIFEXITED(status):
                report["exit_code"] = os.WEXITSTATUS(status)
        os.write(status_fd, json.dumps(report).encode())
        os.close(status_fd)
        code = report["exit_code"] if report["exit_code"] is not None else 128 + (report["signal"] or 0)
    except BaseException as exc:  # noqa: BLE001
        print(f"graders sandbox: {exc!r}", file=sys.stderr, flush=True)
        code = 126
    os._exit(code)


def main(argv: list[str]) -> int:
    sep = argv.index("--")
    cfg = LaunchConfig(**json.loads(argv[0]))
    cmd = argv[sep + 1:]
    limits = Limits(**cfg.limits)
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # the grading worker is gone: so is this submission
    status_fd = os.open(cfg.status_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    with open(cmd[cmd.index("-f") + 1], encoding="utf-8") as f:
        connection = f.read()
    signal.signal(signal.SIGINT, _ignore)
    flags = (CLONE_NEWNS if cfg.mount else 0) | ((CLONE_NEWPID | CLONE_NEWIPC) if cfg.pidns else 0)
    if flags:
        unshare(flags)
    if cfg.mount:
        setup_mounts(cfg, limits)
    init = os.fork()
    if init == 0:
        run_init(cfg, limits, cmd, connection, status_fd)
    os.close(status_fd)
    while True:
        try:
            _, status = os.waitpid(init, 0)
            break
        except InterruptedError:
            continue
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status)
    return 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
