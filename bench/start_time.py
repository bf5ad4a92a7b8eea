"""How long the learner waits: ``make start`` on an installed machine until JupyterLab's /api/status answers, for a
new learner (the first on this machine, who waits for the course build; and one after them, whose copy comes from the
build cache), for a returning learner, and for a bare ``jupyter lab`` start in the same run. Prints seconds (median of
ROUNDS), the CPU seconds each start used until then (all its processes: make, graders, JupyterLab and what they ran;
on a shared machine the figure to compare) and the machine's load. Each round has its own empty build cache
(XDG_CACHE_HOME), so the first figure always includes the build.

BENCH_REPO=/path/to/another/checkout times that checkout's ``make start`` with this environment (before/after: e.g.
``git archive <commit> | tar -x -C /tmp/before``; its ``graders`` and ``labs`` come first on PYTHONPATH)."""
from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import wait_for_status  # noqa: E402

HERE = Path(__file__).resolve().parents[1]
REPO = Path(os.environ.get("BENCH_REPO") or HERE).resolve()
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
sys.path.insert(0, str(HERE))
from graders.services.base import free_port  # noqa: E402


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of ``pid`` and every process under it, with their children already waited for."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue   # ended meanwhile
            stats[int(entry)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))   # ppid; utime..cstime
    total, todo = 0, [pid]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0))[1]
        todo += [child for child, (ppid, _) in stats.items() if ppid == pid]
    return total / os.sysconf("SC_CLK_TCK")


def time_make_start(workspace: Path, cache: Path) -> tuple[float, float]:
    port = free_port()
    log = tempfile.NamedTemporaryFile(delete=False, suffix=".log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADERS_")}
    env["XDG_CACHE_HOME"] = str(cache)
    make = ["make", "-s", "start", f"port={port}", f"workspace={workspace}", "lang=uk", "browser=no"]
    if REPO != HERE:
        env["PYTHONPATH"] = str(REPO)
        stamp = Path(tempfile.mkdtemp()) / "installed"   # newer than that checkout's files: make installs nothing
        stamp.touch()
        make += [f"VENV={HERE / '.venv'}", f"STAMP={stamp}"]
    start = time.perf_counter()
    proc = subprocess.Popen(make, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        token = None
        while token is None:
            if proc.poll() is not None:
                raise RuntimeError(Path(log.name).read_text())
            match = re.search(r"token=([0-9a-f]+)", Path(log.name).read_text(errors="replace"))
            token = match[1] if match else None
            time.sleep(0.02)
        wait_for_status(port, token)
        return time.perf_counter() - start, tree_cpu(proc.pid)
    finally:
        _stop(proc)


def time_bare_jupyter(root: Path) -> tuple[float, float]:
    port, token = free_port(), secrets.token_hex(8)
    cmd = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
           f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_status(port, token)
        return time.perf_counter() - start, tree_cpu(proc.pid)
    finally:
        _stop(proc)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    first, copied, again, bare = [], [], [], []
    load_before = load()
    for _ in range(ROUNDS):
        tmp = Path(tempfile.mkdtemp(prefix="bench-start-"))
        cache = tmp / "cache"                       # an empty build cache: this round's first learner builds
        first.append(time_make_start(tmp / "ws", cache))
        copied.append(time_make_start(tmp / "ws2", cache))   # the next new learner: the course is built already
        again.append(time_make_start(tmp / "ws", cache))
        bare.append(time_bare_jupyter(tmp))
        shutil.rmtree(tmp, ignore_errors=True)
    med = statistics.median
    print(f"Start-up until /api/status answers (median and best of {ROUNDS}, installed machine; {REPO}):")
    print(f"  machine load (1, 5, 15 min): before {load_before}, after {load()}")
    rows = (("new learner, first on this machine (builds)", first, "  (anchor: 27 s, target <= 10 s)"),
            ("new learner, course already built (copy)", copied, ""),
            ("returning learner", again, ""), ("bare jupyter lab", bare, ""))
    for label, runs, note in rows:
        prefix = "" if label.startswith("bare") else "make start, "
        xs, cpu = [r[0] for r in runs], [r[1] for r in runs]
        print(f"  {prefix + label:<56} {med(xs):6.2f} s  best {min(xs):6.2f} s  CPU {med(cpu):5.2f} s{note}")
    again, bare = [r[0] for r in again], [r[0] for r in bare]
    print(f"  returning learner vs bare jupyter lab  {med(again) - med(bare):+6.2f} s  ({med(again) / med(bare):.2f}x; "
          f"best {min(again) / min(bare):.2f}x; anchor 4.7 s vs 3.0 s = 1.58x, target <= 1.25x)")


if __name__ == "__main__":
    main()
