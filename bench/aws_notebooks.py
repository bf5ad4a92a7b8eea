"""AWS lab figures: the practice cloud's start, each reference notebook end to end, and the latency of one check.

    .venv/bin/python bench/aws_notebooks.py [--lang en] [--repeat 20]

Prints plain numbers (no asserts). A shared machine makes them noisy: compare runs made on the same machine.

* cloud start: a MotoService in a fresh process (import, preparation, first account) and a second one in the same
  process;
* notebook: each reference notebook (hidden tests included) executed with nbclient against a practice cloud in this
  process, as the test harness does: total wall time (kernel start included) and the time spent in its cells;
* check: each question's verdict recomputed here (the question's function, as a grader runs it) against the state the
  notebook left, p50/p95 wall time, and CPU time per call: this process (the check and the practice cloud, which runs
  in a thread here) plus its child processes (5c's handler runs, a spare runner's start included).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import percentiles  # noqa: E402

from graders.labdef import load_lab  # noqa: E402
from graders.checks import Check  # noqa: E402
from graders.services.registry import ServiceHandle  # noqa: E402
from graders.testing import (execute, lab_services, learner_notebook, prepare_dir, reference_answers,  # noqa: E402
                             results)

START_SCRIPT = """
import time
t = time.perf_counter()
from graders.services.moto import MotoService
first = MotoService().start()
t1 = time.perf_counter()
second = MotoService().start()
t2 = time.perf_counter()
first.stop(); second.stop()
print(t1 - t, t2 - t1)
"""


def cell_seconds(nb) -> float:
    total = 0.0
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in meta and "shell.execute_reply" in meta:
            start = datetime.fromisoformat(meta["iopub.execute_input"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(meta["shell.execute_reply"].replace("Z", "+00:00"))
            total += (end - start).total_seconds()
    return total


def kernel_namespace(context: dict) -> dict:
    """The right answers to the questions whose evidence is the learner's variables (1a-1c)."""
    from labs.aws.helper import PracticeAccount
    aws = PracticeAccount.from_context(context)
    zones = aws.client("ec2", "ap-northeast-3").describe_availability_zones()["AvailabilityZones"]
    return {"my_account": aws.account_id, "my_arn": aws.admin_arn, "osaka_zones": [z["ZoneName"] for z in zones],
            "found_region": aws.lost_instance_region()}


def api_namespace(context: dict) -> dict:
    """The right answers of 9c and 9d (the story the notebook planted for this account)."""
    from labs.aws import api
    from labs.aws.helper import PracticeAccount
    account = PracticeAccount.from_context(context).account_id
    return {"failing_order": api.shop_orders(account)["failing"], "who_opened_port": api.trail_people(account)[0]}


def answers_namespace(nb, workdir: Path) -> dict:
    """The learner's variables of a notebook whose answers are plain Python (7-concepts): its reference answers and
    read-only cells run here, in the notebook's folder."""
    import contextlib
    import io
    import os

    namespace: dict = {}
    here = os.getcwd()
    os.chdir(workdir)
    try:
        with contextlib.redirect_stdout(io.StringIO()):     # what the cells print is not a figure
            for cell in nb.cells:
                role = cell.get("metadata", {}).get("graders", {}).get("role")
                if role == "readonly":
                    exec(cell.source, namespace)
            for code in reference_answers(nb).values():
                exec(code, namespace)
    finally:
        os.chdir(here)
    return namespace


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lang", default="en")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", nargs="*", help="these notebooks only (e.g. 8-webserver)")
    parser.add_argument("--gap", type=float, default=1.0,
                        help="seconds between calls of a check that runs the learner's code, in its second series")
    args = parser.parse_args()
    print("load average at start: " + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} cores)")

    done = subprocess.run([sys.executable, "-c", START_SCRIPT], capture_output=True, text=True, cwd=REPO,
                          env={**__import__("os").environ, "PYTHONPATH": str(REPO)})
    first, second = (float(x) for x in done.stdout.split())
    print(f"cloud start: first in a fresh process {first:.2f} s, next in the same process {second:.2f} s")

    lab = load_lab("aws")
    lab.checks
    print(f"\n{'notebook':14} {'total s':>8} {'cells s':>8}  questions")
    latencies: dict[str, list[float]] = {}
    cpu: dict[str, float] = {}
    for notebook in lab.notebooks:
        if args.only and notebook not in args.only:
            continue
        nb = learner_notebook(lab, notebook, args.lang)
        with tempfile.TemporaryDirectory() as tmp:
            workdir = prepare_dir(lab, Path(tmp) / "aws")
            with lab_services(lab) as env:
                t = time.perf_counter()
                executed = execute(nb, workdir, env=env, timeout=300)
                total = time.perf_counter() - t
                got = results(executed)
                passed = " ".join(f"{q}{'✔' if r.passed else '✘'}" for q, r in got.items())
                print(f"{notebook:14} {total:8.2f} {cell_seconds(executed):8.2f}  {passed}")
                cloud = json.loads(env["GRADERS_SERVICE_MOTO"])
                context = {"workdir": workdir, "moto": ServiceHandle("moto", cloud.pop("url"), cloud)}
                namespace = kernel_namespace(context) if notebook == lab.notebooks[0] else {}
                if notebook == "7-concepts":
                    namespace = answers_namespace(nb, workdir)
                if notebook == "9-api":   # what the learner found in the logs and in CloudTrail (9c, 9d)
                    namespace = api_namespace(context)
                for question in lab.questions_in(notebook):
                    # a check that runs the learner's code twice: back to back, and with a pause before each call
                    # as when a learner runs it again (a spare handler runner gets ready meanwhile)
                    for gap in ([0.0, args.gap] if question.id in LEARNER_CODE else [0.0]):
                        times = []
                        stop_spare_runners()
                        cpu_before = cpu_seconds()
                        for _ in range(args.repeat):
                            time.sleep(gap)
                            t = time.perf_counter()
                            # as a grader does (a Lab() here would start a practice cloud of its own)
                            verdict = lab.checks.questions.run(question.id, Check(namespace, context=context,
                                                                                  lang=args.lang))
                            times.append(time.perf_counter() - t)
                        stop_spare_runners()      # its start is counted in this check's CPU time
                        name = question.id + (f" ({gap:g} s apart)" if gap else "") + \
                            ("" if verdict.passed else " (failed!)")
                        latencies[name] = times
                        cpu[name] = (cpu_seconds() - cpu_before) / args.repeat
    print(f"\n{'check':6} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms':>8}   (verdict computed in this process, "
          f"{args.repeat} calls, visible parts only; CPU per call, child processes included)")
    for question, times in latencies.items():
        p50, p95 = percentiles(times)
        print(f"{question:6} {1000 * p50:8.1f} {1000 * p95:8.1f} {1000 * cpu[question]:8.1f}")
    print("(5c runs the learner's handler in a process of its own; its CPU includes that process and a spare "
          "runner's start)")
    p50, p95 = percentiles([t for times in latencies.values() for t in times])
    print(f"{'all':6} {1000 * p50:8.1f} {1000 * p95:8.1f}")
    print("load average at end: " + " ".join(f"{x:.2f}" for x in os.getloadavg()))
    return 0


LEARNER_CODE = {"5c"}     # checks that run the learner's own code (5c: the Lambda handler)


def cpu_seconds() -> float:
    """CPU time of this process and of its ended child processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def stop_spare_runners() -> None:
    """End the spare handler runner a check may have started (labs/aws/runner.py), so its CPU time is counted."""
    try:
        from labs.aws import runner
    except ImportError:       # a version without spare runners
        return
    runner.stop_spares()


if __name__ == "__main__":
    raise SystemExit(main())
