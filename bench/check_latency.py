"""Latency of one learner check call, ``lab.check(q)``, as a learner runs it: evidence, verdict, rendering (HTML and
text), the progress store (SQLite) and the hint lookup. Prints p50/p95 per question over many calls."""
from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _util import ms, percentiles  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "300"))


def main() -> None:
    workspace = Path(tempfile.mkdtemp(prefix="bench-check-"))
    (workspace / ".graders").mkdir()
    os.environ["GRADERS_WORKSPACE"] = str(workspace)
    os.chdir(Path(__file__).resolve().parents[1] / "labs" / "orientation" / "data")
    import pandas as pd

    from graders import Lab

    lab = Lab("orientation", lang="uk")
    sessions = pd.read_csv("sessions.csv")
    answers = {
        "q1 (right)": ("q1", {"city": "Tokyo"}),
        "q1 (wrong, with hint)": ("q1", {"city": "tokyo"}),
        "q4 (calls a function)": ("q4", {"greet": lambda name: "Hello, " + name + "!"}),
        "q5 (reads a CSV)": ("q5", {"sessions": sessions, "total_minutes": int(sessions["minutes"].sum())}),
    }
    print(f"lab.check latency, {CALLS} calls each (render + progress store included)")
    for label, (question, namespace) in answers.items():
        samples = []
        for _ in range(CALLS):
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                lab.check(question, namespace=namespace)
            samples.append(time.perf_counter() - start)
        p50, p95 = percentiles(samples)
        print(f"  {label:24s} p50 {ms(p50):>10s}   p95 {ms(p95):>10s}")


if __name__ == "__main__":
    main()
