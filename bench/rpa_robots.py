"""RPA lab: how long the reference robots take, the order robot's throughput, and the data-entry challenge time.

Each robot is the reference answer of its notebook, saved to a file and run the way the grader runs it: its own
process, a fresh practice company, headless Chromium. Figures are wall-clock seconds on this machine; run it on an
idle machine for numbers you compare (other work on the machine slows every browser step).

    python bench/rpa_robots.py [--orders 20] [--repeat 1]
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graders.build import source_notebook  # noqa: E402
from graders.labdef import load_lab  # noqa: E402
from graders.testing import reference_answers  # noqa: E402
from labs.rpa import company, robotrun  # noqa: E402

ROBOTS = {"q4_answer": "robot_files.py", "q6_answer": "robot_excel.py", "q8_answer": "robot_orders.py",
          "q10_answer": "robot_robust.py", "q11_answer": "robot_challenge.py", "q12_answer": "robot_report.py"}


def reference_robots(folder: Path) -> None:
    lab = load_lab("rpa")
    answers = {}
    for notebook in lab.notebooks:
        answers.update(reference_answers(source_notebook(lab, notebook, ["en"])))
    for grade_id, name in ROBOTS.items():
        code = re.sub(r"^%%writefile \S+\n", "", answers[grade_id])
        (folder / name).write_text(code, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=20, help="orders for the throughput run (default 20)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each robot (the median is shown)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="rpa-bench-"))
    reference_robots(folder)
    spec = dict(robotrun.CHECK_SPEC)
    robotrun.inbox_files(spec["seed"])  # printing the invoice PDFs is set-up, not the robot's time

    def timed(label, run_scenario, **extra):
        seconds, evidences = [], []
        for i in range(args.repeat):
            robotrun._CACHE.clear()
            ev = run_scenario(dict(spec, layout_seed=spec["layout_seed"] + i, **extra))
            bad = [r for r in ev.runs if not r.ok]
            if bad:
                print(f"{label}: FAILED ({bad[0].error_line()})")
                return None
            seconds.append(sum(r.seconds for r in ev.runs))
            evidences.append(ev)
        print(f"{label:<44} {statistics.median(seconds):6.2f} s")
        return evidences[-1]

    print(f"reference robots (median of {args.repeat}), each in its own process with a fresh practice company:")
    timed("robot_files.py (8 invoices, 3 unreadable)", lambda s: robotrun.files_scenario(folder, s))
    timed("robot_excel.py (16 orders, a duplicate, blanks)", lambda s: robotrun.excel_scenario(folder, s))
    timed(f"robot_orders.py ({company.CHECK_ORDER_COUNT} orders)", lambda s: robotrun.orders_scenario(folder, s, "en"))
    timed(f"robot_robust.py ({company.CHECK_ORDER_COUNT} orders, run twice)",
          lambda s: robotrun.orders_scenario(folder, s, "en", "robot_robust.py", runs=2))
    challenge = timed("robot_challenge.py (10 rounds)", lambda s: robotrun.challenge_scenario(folder, s, "en"))
    timed("robot_report.py (7 orders, e-mail + ZIP)", lambda s: robotrun.report_scenario(folder, s, "en"))

    if challenge:
        run = challenge.data["runs"][-1]
        print(f"\nRPA challenge, Start to last Submit (the app's own clock): {run['finished'] - run['started']:.2f} s")

    robotrun._CACHE.clear()
    big = dict(spec, order_count=args.orders, layout_seed=777)
    start = time.monotonic()
    ev = robotrun.orders_scenario(folder, big, "en")
    wall = time.monotonic() - start
    if not ev.run.ok:
        print("throughput run FAILED:", ev.run.error_line())
        return 1
    attempts = len(ev.data["orders"])
    accepted = len([o for o in ev.data["orders"] if o["status"] == "accepted"])
    print(f"\norder robot throughput: {accepted} orders ({attempts} submissions incl. {attempts - accepted} busy retries)"
          f" in {ev.run.seconds:.2f} s = {accepted / ev.run.seconds:.2f} orders/s"
          f" (robot process incl. Python and browser start; {wall:.2f} s with app start)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
