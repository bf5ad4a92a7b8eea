"""The grading workers' warm parent (graders/grade/zygote.py): each forked worker is a process of its own (own session,
single thread, nothing of another worker's pipes), ends as the pool asks, and the zygote leaves nothing behind.
The grading itself through forked workers is covered by test_grade_class / test_grade_adversarial (pool.run uses the
zygote by default; ``RunResult.forked`` says so)."""
from __future__ import annotations

import os
import signal
from pathlib import Path

from graders.grade.pool import _Zygote
from procfs import fd_links


def _stat(pid: int) -> dict:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    threads = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                   if line.startswith("Threads:"))
    return {"ppid": int(fields[1]), "sid": int(fields[3]), "threads": threads}


def test_forked_workers_share_nothing_but_imported_code_and_end_as_asked(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    logs = tmp_path / "logs"
    zygote = _Zygote(root, "orientation", logs)
    workers = []
    try:
        for index in range(2):
            task_r, task_w = os.pipe()
            result_r, result_w = os.pipe()
            log = open(logs / f"worker-{index}.log", "ab")
            proc = zygote.fork(index, root, "orientation", {}, (task_r, result_w, log.fileno()))
            os.close(task_r)
            os.close(result_w)
            log.close()
            results = os.fdopen(result_r, "r")
            assert '"ready": true' in results.readline()  # the worker made its nbgrader app and waits for tasks
            workers.append((proc, task_w, results))
        own = [fd_links(proc.pid, "pipe:") for proc, _, _ in workers]
        assert own[0] and own[1] and not own[0] & own[1], own  # no worker holds another worker's pipes
        held = fd_links(zygote.proc.pid, "pipe:")
        assert not held & (own[0] | own[1])  # nor does the zygote, once they are forked
        assert len(held) == 1, held  # only its own wake-up pipe (SIGCHLD), which no worker holds
        for proc, _, _ in workers:
            st = _stat(proc.pid)
            assert st["ppid"] == zygote.proc.pid and st["sid"] == proc.pid, st
        assert _stat(zygote.proc.pid)["threads"] == 1
        # the pool closes a worker's task pipe: it ends by itself; a stuck one is killed
        first, second = workers
        os.close(first[1])
        assert first[0].wait(timeout=60) == 0
        second[0].kill_group()
        assert second[0].wait(timeout=60) == -signal.SIGKILL
        os.close(second[1])
    finally:
        for _, _, results in workers:
            results.close()
        zygote.close()
    assert zygote.proc.returncode == 0
    assert (logs / "zygote.log").read_text() == ""
