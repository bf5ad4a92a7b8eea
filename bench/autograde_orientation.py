"""Time of one ``nbgrader autograde`` of the orientation lab (one learner's submission of the reference answers),
next to executing the same notebook with bare nbclient. Prints seconds (median of ROUNDS)."""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))

import nbformat  # noqa: E402

from graders.build import build_course, run_nbgrader  # noqa: E402
from graders.labdef import load_course  # noqa: E402
from graders.testing import execute, fill_answers, reference_answers  # noqa: E402

LAB = "orientation"


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="bench-autograde-"))
    start = time.perf_counter()
    build_course(load_course("digital-skills-day"), root, "en", [LAB])
    build = time.perf_counter() - start
    source = nbformat.read(root / "source" / LAB / f"{LAB}.ipynb", as_version=4)
    release = nbformat.read(root / "release" / LAB / f"{LAB}.ipynb", as_version=4)
    submission = fill_answers(release, reference_answers(source))
    autograde, bare = [], []
    for round_ in range(ROUNDS):
        student = f"learner{round_}"
        folder = root / "submitted" / student / LAB
        folder.mkdir(parents=True)
        nbformat.write(submission, folder / f"{LAB}.ipynb")
        shutil.copy(root / "release" / LAB / "sessions.csv", folder)
        start = time.perf_counter()
        run_nbgrader(root, "autograde", LAB, "--student", student)
        autograde.append(time.perf_counter() - start)
        start = time.perf_counter()
        execute(submission, folder, grading="autograde")
        bare.append(time.perf_counter() - start)
    med = statistics.median
    print(f"Orientation lab (median of {ROUNDS}):")
    print(f"  graders build + generate_assignment   {build:6.2f} s (once)")
    print(f"  nbgrader autograde, one submission    {med(autograde):6.2f} s")
    print(f"  bare nbclient run of the same notebook {med(bare):5.2f} s")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
