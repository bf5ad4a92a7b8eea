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

if __package__:  # python -m graders.grade.launch
    from .sandbox import (CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, MS_BIND, MS_NODEV, MS_NOEXEC,
                          MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, LaunchConfig, Limits,
                          map_single_id, mount, prctl, unshare)
else:  # python -S /path/to/launch.py: starts faster (no site, no graders package); sandbox.py is beside it
    from sandbox import (CLONE_NEWIPC, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, MS_BIND, MS_NODEV, MS_NOEXEC,
                          MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, LaunchConfig, Limits,
                          map_single_id, mount, prctl, unshare)  # type: ignore[no-redef]

SANDBOX_UID_IN_USERNS = 1000
KERNEL_HOME = "/tmp/graders-home"
CONNECTION_FILE = "/tmp/graders-kernel.json"
BOMB_COPIES = 32  # copies of the kernel running at once that make a fork bomb (multiprocessing uses a few)
IN_PROCESS = False  # set by the kernel template (kerneltemplate.py): kernelboot runs here instead of being exec'd
KERNELBOOT = ["-P", "-m", "graders.grade.kernelboot"]
PR_SET_DUMPABLE = 4


def _ignore(signum, frame):  # interrupts are for the kernel
    pass


def setup_view(cfg: LaunchConfig, limits: Limits) -> str:
    """The kernel's own file system: only what it needs, read-only, plus its submission folder and a private /tmp.

    A tmpfs becomes the new root; the system folders, the Python installation and the graders/labs code are bound
    into it read-only, the submission's folder read-write; the labs' grading-only folders are masked. The kernel
    chroots into it (after making its own user namespace: the kernel refuses that to a process already chrooted).
    Everything else on the machine (the course folder with the gradebook and the solutions, other learners' work,
    home folders, other copies of the repository) simply is not there."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    sources = {}  # held open: /tmp (where they may live) is covered next
    links = {}
    for path in [*cfg.allow, cfg.workdir]:
        if os.path.islink(path) and os.path.dirname(path) == "/":
            links[path] = os.readlink(path)  # /bin -> usr/bin on merged-/usr systems
        real = os.path.realpath(path)
        if os.path.exists(real) and real not in sources:
            sources[real] = os.open(real, os.O_PATH)
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=32m,mode=755")
    root = "/tmp/root"
    os.mkdir(root)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=755")
    workdir = os.path.realpath(cfg.workdir)
    for path, size in (("/tmp", limits.tmp_size), ("/var/tmp", 64 * 1024 * 1024)):
        os.makedirs(root + path, exist_ok=True)
        mount("tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    for real, fd in sorted(sources.items()):
        target = root + real
        if os.path.isdir(f"/proc/self/fd/{fd}"):
            os.makedirs(target, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            open(target, "a").close()
        mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
        if real != workdir and real != "/dev":
            mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
        os.close(fd)
    for path in cfg.hide:
        real = os.path.realpath(path)
        if workdir == real or workdir.startswith(real.rstrip("/") + "/"):
            continue  # the course folder: not in the view anyway, apart from the submission's own folder
        target = root + real
        if os.path.isdir(target) and not os.path.islink(target):
            mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=755")
        elif os.path.isfile(target):
            mount("/dev/null", target, None, MS_BIND)
    for link, target in links.items():
        if not os.path.lexists(root + link):
            os.symlink(target, root + link)
    os.makedirs(root + "/dev/shm", exist_ok=True)
    mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={64 * 1024 * 1024},mode=1777")
    os.makedirs(root + "/proc", exist_ok=True)
    return root


def count_tasks(proc: str = "/proc") -> int:
    n = 0
    for entry in os.listdir(proc):
        if entry.isdigit():
            try:
                n += len(os.listdir(f"{proc}/{entry}/task"))
            except OSError:
                pass
    return n


PF_FORKNOEXEC = 0x40  # a task flag (the 9th field of /proc/PID/stat): forked, never exec'd


def _stat(pid: int, proc: str) -> tuple[str, str, int] | None:
    """(command name, state, task flags) of a process, from /proc/PID/stat. Not its cmdline: reading that takes
    the process's memory lock, which a process in the middle of a fork holds; at low priority on a busy machine
    it holds it for seconds, and the init reading it would wait as long."""
    try:
        with open(f"{proc}/{pid}/stat") as f:
            text = f.read()
        comm, rest = text[text.index("(") + 1:].rsplit(")", 1)
        fields = rest.split()
        return comm, fields[0], int(fields[6])
    except (OSError, ValueError, IndexError):
        return None


def _copies(kernel: int, proc: str, pids: list[int]) -> list[int]:
    """Those of ``pids`` that are copies of the kernel: forked from it (or from a copy) and never exec'd, so the
    same program. A browser's own forked helpers keep the browser's name, and programs the kernel runs were exec'd."""
    mine = _stat(kernel, proc)
    if mine is None:
        return []
    copies = []
    for pid in pids:
        st = _stat(pid, proc)
        if st is not None and st[0] == mine[0] and st[2] & PF_FORKNOEXEC:
            copies.append(pid)
    return copies


def _others(kernel: int, proc: str) -> list[int]:
    return [int(e) for e in os.listdir(proc) if e.isdigit() and int(e) not in (1, kernel)]


def count_copies(kernel: int, proc: str = "/proc") -> int:
    """How many copies of the kernel run (see ``_copies``); not read while there are too few processes to matter,
    so a quiet poll stays cheap."""
    pids = _others(kernel, proc)
    return len(_copies(kernel, proc, pids)) if len(pids) >= BOMB_COPIES else 0


def defuse(kernel: int, proc: str = "/proc", only_forks: bool = False) -> None:
    """Stop, then kill, every process of this PID namespace except init (1) and the kernel; with ``only_forks``, only
    the kernel's own copies. Such a copy is a second kernel on the same sockets: left alive after a fork bomb, it
    takes the grader's next requests and the real kernel looks hung."""
    pids = _others(kernel, proc)
    if only_forks:
        pids = _copies(kernel, proc, pids)
    for sig in (signal.SIGSTOP, signal.SIGKILL):  # stopped first, so none of them can start another meanwhile
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass


def set_nproc(kernel: int, cfg: LaunchConfig, soft: int, hard: int) -> bool:
    """Set the kernel's process limit from outside. Raising it back needs no privilege as long as the hard limit
    stays; changing another user's limit needs CAP_SYS_RESOURCE, which containers often lack: then a short-lived
    helper does it as the kernel's own user."""
    try:
        resource.prlimit(kernel, resource.RLIMIT_NPROC, (soft, hard))
        return True
    except (OSError, ValueError):
        if cfg.uid is None or cfg.userns:
            return False
    helper = os.fork()
    if helper == 0:
        try:
            os.setgroups([])
            os.setgid(cfg.gid if cfg.gid is not None else cfg.uid)
            os.setuid(cfg.uid)
            resource.prlimit(kernel, resource.RLIMIT_NPROC, (soft, hard))
            os._exit(0)
        except BaseException:  # noqa: BLE001
            os._exit(1)
    _, status = os.waitpid(helper, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def process_state(pid: int, proc: str = "/proc") -> str:
    """R running, S sleeping, D in the kernel, T stopped, Z ended ... ('' when gone)."""
    st = _stat(pid, proc)
    return st[1] if st else ""


def exec_kernel(cfg: LaunchConfig, limits: Limits, cmd: list[str], home: str, root: str | None) -> None:
    try:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(sig, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_DATA, (limits.memory, limits.memory))
        nproc = cfg.nproc_base + limits.max_procs
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size, limits.file_size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.nice(10)  # learner code yields to the grader, and to this init, which must be able to stop a fork bomb
        env = dict(os.environ, JPY_PARENT_PID="1")  # no parent poller: init (PID 1) is the parent
        env.update(cfg.env)
        env.update({"HOME": home, "TMPDIR": "/tmp" if cfg.mount else env.get("TMPDIR", "/tmp"),
                    "GRADERS_SANDBOX": json.dumps(cfg.guard)})
        if cfg.userns:
            unshare(CLONE_NEWUSER)
            map_single_id(SANDBOX_UID_IN_USERNS, 0, SANDBOX_UID_IN_USERNS, 0)
        if root is not None:
            os.chroot(root)
            os.chdir("/")
        if not cfg.userns and cfg.uid is not None:
            os.setgroups([])
            os.setgid(cfg.gid if cfg.gid is not None else cfg.uid)
            os.setuid(cfg.uid)
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        os.chdir(cfg.workdir)
        if IN_PROCESS and cmd[1:4] == KERNELBOOT and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable):
            run_kernelboot(cmd, env)
        os.execvpe(cmd[0], cmd, env)
    except BaseException as exc:  # noqa: BLE001 (tell the grader why, then give up)
        import traceback
        print(f"graders sandbox: could not start the kernel: {exc!r}", file=sys.stderr, flush=True)
        traceback.print_exc()
    os._exit(127)


def run_kernelboot(cmd: list[str], env: dict) -> None:
    """What ``exec`` of ``python -P -m graders.grade.kernelboot ARGS`` would give, in this process forked from the
    kernel template (which imported ipykernel and the notebooks' modules, and nothing of any submission): Python's
    own signal handling, the kernel's environment and arguments, a process that may read its own /proc files again
    (the uid change above cleared that; exec would set it back). Never returns."""
    from graders.grade.forkserver import exit_after

    def boot() -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_IGN)
        prctl(PR_SET_DUMPABLE, 1)
        os.environ.clear()
        os.environ.update(env)
        sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
        sys.argv = [cmd[0], *cmd[4:]]
        if "numpy.random" in sys.modules:  # its global generator was seeded in the template: every kernel its own
            sys.modules["numpy.random"].seed()
        from graders.grade import kernelboot

        kernelboot.main()

    exit_after(boot)


def run_init(cfg: LaunchConfig, limits: Limits, cmd: list[str], connection: str | None, status_fd: int,
             root: str | None) -> None:
    """PID 1 of the submission: start the kernel, reap, watch, report."""
    try:
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        signal.signal(signal.SIGINT, _ignore)
        signal.signal(signal.SIGTERM, _ignore if cfg.pidns else signal.SIG_DFL)
        pidns = cfg.pidns and os.getpid() == 1
        proc = "/proc"
        if pidns and root is not None:
            proc = root + "/proc"  # this PID namespace's own /proc, in the kernel's view
            mount("proc", proc, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        if root is not None:
            home, conn_path = KERNEL_HOME, CONNECTION_FILE   # paths as the kernel sees them
            outside = lambda p: root + p  # noqa: E731
        else:
            import tempfile
            home = tempfile.mkdtemp(prefix="graders-home-")
            conn_path = os.path.join(home, "kernel.json")
            outside = lambda p: p  # noqa: E731
        os.makedirs(outside(home), exist_ok=True)
        owned = [home]
        cmd = list(cmd)
        if connection is not None:  # a kernel: its connection file, where it can read it
            fd = os.open(outside(conn_path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, connection.encode())
            os.close(fd)
            owned.append(conn_path)
            cmd[cmd.index("-f") + 1] = conn_path
        if cfg.uid is not None and not cfg.userns:
            for p in owned:
                os.chown(outside(p), cfg.uid, cfg.gid if cfg.gid is not None else cfg.uid)
        kernel = os.fork()
        if kernel == 0:
            os.close(status_fd)  # the init's report, not the kernel's (exec would close it too: O_CLOEXEC)
            exec_kernel(cfg, limits, cmd, home, root)
        peak, status, usage, hit_limit = 0, None, None, False
        squeezed, idle_polls = False, 0
        nproc = cfg.nproc_base + limits.max_procs
        limit = limits.max_procs

        def report(final: bool = False) -> dict:
            data = {"peak_tasks": peak, "task_limit": limit, "hit_task_limit": hit_limit, "exit_code": None,
                    "signal": None, "maxrss_kib": usage.ru_maxrss if usage else None, "final": final}
            if status is not None:
                if os.WIFSIGNALED(status):
                    data["signal"] = os.WTERMSIG(status)
                elif os.WIFEXITED(status):
                    data["exit_code"] = os.WEXITSTATUS(status)
            text = json.dumps(data).encode()
            os.pwrite(status_fd, text, 0)  # never empty in between: write, then cut what is left over
            os.ftruncate(status_fd, len(text))
            return data

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
                    tasks = count_tasks(proc) - 1  # not counting this init
                    peak = max(peak, tasks)
                    # A fork bomb: half the limit (a lab that needs many, such as a browser, sets a higher
                    # max_procs; not "at" the limit: it counts every task of the kernel's user, some outside this
                    # namespace), or many copies of the kernel itself, whatever the limit: a bomb of Python processes
                    # at low priority on a busy machine can take seconds to reach half the limit, its cell's time.
                    if tasks >= limit // 2 or count_copies(kernel, proc) >= BOMB_COPIES:
                        first = not hit_limit
                        hit_limit = True
                        if first:
                            # the kernel may start nothing more (a soft limit of 0: every fork fails at once), so its
                            # loop ends with an error at the next fork and its cell with it. A limit just above the
                            # count is not enough: the clean-up below kills the copies, the count drops, and the
                            # kernel's forks succeed again until the cell's time runs out (an interrupt then may not
                            # end it: Python can swallow it inside fork's own handlers). Its copies keep their limit,
                            # but only they start more now, and each poll stops and kills them.
                            squeezed = set_nproc(kernel, cfg, 0, nproc)
                            idle_polls = 0
                            report()
                        defuse(kernel, proc)
                    elif hit_limit:
                        defuse(kernel, proc, only_forks=True)  # what the bomb still starts, for the rest of the run
                        if squeezed:
                            # the kernel waits for its next cell: give it back its full limit
                            idle_polls = idle_polls + 1 if process_state(kernel, proc) == "S" else 0
                            if idle_polls >= 3 and set_nproc(kernel, cfg, nproc, nproc):
                                squeezed = False
                time.sleep(0.1)
        final = report(final=True)
        os.close(status_fd)
        code = final["exit_code"] if final["exit_code"] is not None else 128 + (final["signal"] or 0)
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
    connection = None
    if "-f" in cmd:
        with open(cmd[cmd.index("-f") + 1], encoding="utf-8") as f:
            connection = f.read()
    signal.signal(signal.SIGINT, _ignore)
    flags = (CLONE_NEWNS if cfg.mount else 0) | ((CLONE_NEWPID | CLONE_NEWIPC) if cfg.pidns else 0)
    if flags:
        unshare(flags)
    root = setup_view(cfg, limits) if cfg.mount else None
    init = os.fork()
    if init == 0:
        run_init(cfg, limits, cmd, connection, status_fd, root)
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
