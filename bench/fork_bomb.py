"""How fast the grading sandbox stops a fork bomb: figures, no asserts.

N learners (default 8) hand in the orientation notebook with a fork bomb as their first answer
(``while True: os.fork()``) and the reference answers to the rest; they are graded in parallel with 8 s per cell.
Printed per learner: how long the bomb's cell ran and how it ended (``BlockingIOError``: its next fork failed, as
the watching init intends; ``CellTimeoutError``: the clock stopped it), and whether the other questions still got
their points. ``BENCH_HOGS`` busy loops (default 3, at normal priority) make the machine as busy as a CI run.

    .venv/bin/python bench/fork_bomb.py          # BENCH_N=8, BENCH_HOGS=3

Measured 2026-12-05 on the 2-core machine with 3 hogs: before the init read /proc/PID/stat instead of cmdline,
bomb cells ran 1.2-8.0 s and 1 learner in 8 lost every point (the cell hit its time and ignored the interrupt);
after, 0.2-0.5 s, all points kept.
"""
from __future__ import annotations

import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import nbformat  # noqa: E402

from graders.grade.app import grade  # noqa: E402
from graders.grade.classroom import course_directory, make_class, release_copy, submit  # noqa: E402
from graders.testing import fill_answers, reference_answers  # noqa: E402

LAB = "orientation"
N = int(os.environ.get("BENCH_N", "8"))
HOGS = int(os.environ.get("BENCH_HOGS", "3"))
BOMB = "import os\nwhile True:\n    os.fork()\ncity = 'Tokyo'"
FULL_REST = {"q2": 1.0, "q3": 1.0, "q4": 2.0, "q5": 2.0}


def seconds(meta: dict) -> float | None:
    try:
        start, end = (datetime.datetime.fromisoformat(meta[k].replace("Z", "+00:00"))
                      for k in ("iopub.execute_input", "shell.execute_reply"))
    except (KeyError, ValueError):
        return None
    return (end - start).total_seconds()


def main() -> None:
    from nbgrader.api import Gradebook

    root = Path(tempfile.mkdtemp(prefix="bench-fork-bomb-"))
    make_class(root, LAB, 0)
    source = nbformat.read(root / "source" / LAB / f"{LAB}.ipynb", as_version=4)
    answers = dict(reference_answers(source), q1_answer=BOMB)
    for i in range(N):
        submit(root, LAB, f"bomb{i:02d}", {LAB: fill_answers(release_copy(root, LAB, LAB, "en"), answers)})
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(HOGS)]
    try:
        started = time.perf_counter()
        result, _ = grade(course_directory(root), LAB, workers=2, cell_timeout=8, notebook_timeout=90)
        wall = time.perf_counter() - started
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    durations = []
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "digital-skills-day") as gb:
        for i in range(N):
            student = f"bomb{i:02d}"
            nb = nbformat.read(root / "autograded" / student / LAB / f"{LAB}.ipynb", as_version=4)
            cell = next(c for c in nb.cells if "os.fork()" in c.source)
            took = seconds(cell.metadata.get("execution", {}))
            ended = [o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            grades = {g.name: g.auto_score for g in gb.find_submission_notebook(LAB, LAB, student).grades}
            kept = all(grades.get(q) == p for q, p in FULL_REST.items())
            durations.append(took or 0.0)
            print(f"{student}: bomb cell {took if took is None else f'{took:.2f} s'}, ended by {ended[0] if ended else '?'}, "
                  f"other questions {'kept their points' if kept else f'LOST points {grades}'}")
    print(f"bomb cell: median {statistics.median(durations):.2f} s, max {max(durations):.2f} s; "
          f"{N} learners graded in {wall:.1f} s with 2 workers and {HOGS} busy loops; errors: {len(result.errors)}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"(course folder left for a look: {root})")


if __name__ == "__main__":
    main()
