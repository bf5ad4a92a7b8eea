"""How long the learner waits: ``make start`` on an installed machine until JupyterLab's /api/status answers, for a
fresh workspace (the course is built with nbgrader) and for a returning learner, against a bare ``jupyter lab``
start in the same run. Prints seconds (median of ROUNDS)."""
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

REPO = Path(__file__).resolve().parents[1]
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
sys.path.insert(0, str(REPO))
from graders.services.base import free_port  # noqa: E402


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def time_make_start(workspace: Path) -> float:
    port = free_port()
    log = tempfile.NamedTemporaryFile(delete=False, suffix=".log")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADERS_")}
    start = time.perf_counter()
    proc = subprocess.Popen(["make", "-s", "start", f"port={port}", f"workspace={workspace}", "lang=uk", "browser=no"],
                            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        token = None
        while token is None:
            if proc.poll() is not None:
                raise RuntimeError(Path(log.name).read_text())
            match = re.search(r"token=([0-9a-f]+)", Path(log.name).read_text(errors="replace"))
            token = match[1] if match else None
            time.sleep(0.02)
        wait_for_status(port, token)
        return time.perf_counter() - start
    finally:
        _stop(proc)


def time_bare_jupyter(root: Path) -> float:
    port, token = free_port(), secrets.token_hex(8)
    cmd = [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
           f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_status(port, token)
        return time.perf_counter() - start
    finally:
        _stop(proc)


def main() -> None:
    fresh, again, bare = [], [], []
    for _ in range(ROUNDS):
        workspace = Path(tempfile.mkdtemp(prefix="bench-start-")) / "ws"
        fresh.append(time_make_start(workspace))
        again.append(time_make_start(workspace))
        bare.append(time_bare_jupyter(workspace.parent))
        shutil.rmtree(workspace.parent, ignore_errors=True)
    med = statistics.median
    print(f"Start-up until /api/status answers (median of {ROUNDS}, installed machine):")
    print(f"  make start, new learner (course built) {med(fresh):6.2f} s")
    print(f"  make start, returning learner          {med(again):6.2f} s")
    print(f"  bare jupyter lab                       {med(bare):6.2f} s")
    print(f"  overhead of make start (returning)     {med(again) - med(bare):+6.2f} s  ({med(again) / med(bare):.2f}x)")


if __name__ == "__main__":
    main()
