"""AWS 5c runs the learner's Lambda handler in a process of its own; a spare runner started ahead takes the job
(labs/aws/runner.py). These tests need no practice cloud: the handlers here report where and how they ran.

The spare keeps every guarantee of a fresh runner: its own process with the 1 GiB limit and the guard in "all" mode,
exactly the job's environment, one job per spare, gone when idle or when the process that started it ends, and the
same results (and so the same messages) for a wrong handler.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from labs.aws import runner

REPO = Path(__file__).resolve().parents[1]

REPORTER = '''
import json, os, socket, sys
from labs.aws import guard

def lambda_handler(event, context):
    import resource
    try:
        socket.create_connection(("192.0.2.1", 80), timeout=2)
        outside = "connected"
    except OSError as error:
        outside = type(error).__name__
    return {"statusCode": 200, "pid": os.getpid(), "memory": resource.getrlimit(resource.RLIMIT_AS)[0],
            "guard": guard.mode(), "outside": outside, "env": dict(os.environ), "cwd": os.getcwd(),
            "stdin": sys.stdin.read(), "argv": sys.argv}
'''


@pytest.fixture
def folder(tmp_path, monkeypatch):
    # a spare that the test uses must not time out first on a busy machine (the idle test sets its own)
    monkeypatch.setattr(runner, "IDLE_SECONDS", 30.0)
    (tmp_path / "reporter.py").write_text(REPORTER, encoding="utf-8")
    (tmp_path / "wrong_name.py").write_text("def handler(event, context):\n    return 1\n", encoding="utf-8")
    (tmp_path / "raises.py").write_text("def lambda_handler(event, context):\n    raise ValueError('no table')\n",
                                        encoding="utf-8")
    (tmp_path / "exits.py").write_text("import sys\nsys.exit(3)\n", encoding="utf-8")
    yield tmp_path
    runner.stop_spares()


def base_env(folder: Path) -> dict:
    return {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8",
            "PYTHONPATH": str(REPO), "HOME": str(folder)}


def job_env(folder: Path, handler: str = "reporter.lambda_handler", **extra) -> dict:
    return {**base_env(folder), "HANDLER_DIR": str(folder), "HANDLER": handler, "EVENTS": json.dumps([{"n": 1}]),
            "AWS_LAMBDA_FUNCTION_NAME": "save-note", "TABLE_NAME": "notes", "AWS_ACCESS_KEY_ID": "ASIAJOB",
            **extra}


def results(output) -> list[dict]:
    stdout, stderr = output
    for line in reversed(stdout.splitlines()):
        if line.startswith(runner.RESULT):
            return json.loads(line[len(runner.RESULT):])
    return [{"ok": False, "error": (stderr.strip().splitlines() or ["no output"])[-1]}]


def ready_spare(folder: Path) -> subprocess.Popen:
    runner.stop_spares()        # one an earlier test of this process (another module, with xdist) may have left
    runner.prestart(base_env(folder), str(folder))
    return started_spare()


def started_spare() -> subprocess.Popen:
    deadline = time.monotonic() + 10
    while runner._spare is None:
        assert time.monotonic() < deadline, "no spare runner started"
        time.sleep(0.02)
    return runner._spare.process


def test_the_spare_runs_the_handler_in_its_own_limited_guarded_process_with_the_jobs_environment(folder):
    spare = ready_spare(folder)
    with open(f"/proc/{spare.pid}/environ", "rb") as f:       # the test session's leak check can see it
        assert f"GRADERS_TEST_SESSION={os.environ['GRADERS_TEST_SESSION']}".encode() in f.read().split(b"\0")
    env = job_env(folder)
    [got] = results(runner.run(env, str(folder), 20))
    answer = got["answer"]
    assert answer["pid"] == spare.pid != os.getpid()          # the spare took the job
    assert answer["memory"] == runner.MEMORY_LIMIT == 1 << 30
    assert answer["guard"] == "all" and answer["outside"] == "OutsideConnectionBlocked"
    assert answer["env"] == env                                 # exactly the job's variables, nothing of the parent's
    assert answer["cwd"] == str(folder) and answer["stdin"] == "" and answer["argv"] == ["-c"]
    # a fresh runner (no spare ready) gives the same
    [fresh] = results(runner.run(env, str(folder), 20))
    assert fresh["answer"]["pid"] != spare.pid
    assert {k: v for k, v in fresh["answer"].items() if k != "pid"} == {k: v for k, v in answer.items() if k != "pid"}


def test_a_spare_serves_one_job_and_only_for_the_same_start_up_environment(folder):
    spare = ready_spare(folder)
    first = results(runner.run(job_env(folder), str(folder), 20))[0]["answer"]["pid"]
    assert first == spare.pid and spare.poll() is not None and runner._spare is None
    second = results(runner.run(job_env(folder), str(folder), 20))[0]["answer"]["pid"]
    assert second not in (spare.pid, first)
    # a variable read when Python starts that the spare did not start with: a fresh process, the spare is stopped
    spare = ready_spare(folder)
    env = job_env(folder, PYTHONDONTWRITEBYTECODE="1")
    [got] = results(runner.run(env, str(folder), 20))
    assert got["answer"]["pid"] != spare.pid and got["answer"]["env"] == env
    assert spare.poll() is not None


def test_an_idle_spare_exits_and_the_next_run_starts_its_own(folder, monkeypatch):
    monkeypatch.setattr(runner, "IDLE_SECONDS", 0.5)
    spare = ready_spare(folder)
    assert spare.wait(timeout=15) == 0
    [got] = results(runner.run(job_env(folder), str(folder), 20))
    assert got["ok"] and got["answer"]["pid"] != spare.pid


PARENT = '''
import os, sys, time
from labs.aws import runner
runner.IDLE_SECONDS = 120
runner.prestart({"PATH": "", "LANG": "C.UTF-8", "PYTHONIOENCODING": "utf-8", "PYTHONPATH": sys.argv[1],
                 "HOME": sys.argv[2]}, sys.argv[2])
while runner._spare is None:
    time.sleep(0.02)
holder = os.fork()     # keeps the spare's stdin open after this process ends, so only PDEATHSIG can stop the spare
if holder == 0:
    time.sleep(120)
    os._exit(0)
print(runner._spare.process.pid, holder, flush=True)
time.sleep(120)
'''


def running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return False


def test_killing_the_process_that_started_a_spare_kills_the_spare(folder):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(REPO), str(folder)], stdout=subprocess.PIPE,
                              text=True)
    holder = None
    try:
        pid, holder = (int(x) for x in parent.stdout.readline().split())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            assert b"labs.aws.runner" in f.read()          # what the test session's leak check looks for
        time.sleep(0.3)                                     # it has started (its idle timeout is 120 s)
        assert running(pid)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if holder:
        os.kill(holder, signal.SIGKILL)
    if running(pid):
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the spare runner outlived the process that started it")


@pytest.mark.parametrize("handler, error", [
    ("wrong_name.lambda_handler", "AttributeError: module 'wrong_name' has no attribute 'lambda_handler'"),
    ("raises.lambda_handler", "ValueError: no table"),
    ("exits.lambda_handler", "no output"),
])
def test_a_wrong_handler_gives_the_same_result_from_a_spare_and_a_fresh_runner(folder, handler, error):
    from labs.aws.checks import run_handler

    aws = SimpleNamespace(workdir=folder, endpoint_url="http://127.0.0.1:9")
    config = {"FunctionName": "save-note", "Handler": handler, "Environment": {"Variables": {"TABLE_NAME": "notes"}}}
    credentials = {"aws_access_key_id": "ASIA", "aws_secret_access_key": "s", "aws_session_token": "t"}
    runner.stop_spares()
    fresh = run_handler(aws, config, credentials, [{"note_id": "a", "text": "b"}])
    spare = started_spare()          # run_handler asked for one for the next run
    assert runner._spare.key == (runner.startup_env(base_env(folder)), str(folder))
    warm = run_handler(aws, config, credentials, [{"note_id": "a", "text": "b"}])
    assert spare.poll() is not None          # it took this job and is gone
    assert fresh == warm == [{"ok": False, "error": error}]


SPY = '''
import sys
guard = sys.modules.get("labs.aws.guard")
with open({marker!r}, "a") as f:
    f.write({name!r} + " ran, guard: " + str(guard and guard.mode()) + "\\n")
'''


def test_no_learner_code_runs_before_the_guard_even_with_startup_variables_or_shadowing_modules(folder, tmp_path_factory):
    """A learner's Lambda variables that Python or the loader read at start-up (PYTHONPATH would run a
    sitecustomize.py, LD_PRELOAD a library) and a module in the handler's folder named like one the runner imports
    (json.py) must not run anything before the guard; the handler still sees its variables in os.environ."""
    from labs.aws.checks import run_handler

    marker = tmp_path_factory.mktemp("spy") / "ran.txt"
    site = folder / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SPY.format(marker=str(marker), name="sitecustomize"), encoding="utf-8")
    (folder / "json.py").write_text(SPY.format(marker=str(marker), name="json.py") + "from _json import *\n",
                                    encoding="utf-8")
    variables = {"TABLE_NAME": "notes", "PYTHONPATH": str(site), "LD_PRELOAD": "no-such-library.so"}
    aws = SimpleNamespace(workdir=folder, endpoint_url="http://127.0.0.1:9")
    config = {"FunctionName": "save-note", "Handler": "reporter.lambda_handler",
              "Environment": {"Variables": variables}}
    credentials = {"aws_access_key_id": "ASIA", "aws_secret_access_key": "s", "aws_session_token": "t"}

    def nothing_before_the_guard():
        assert not marker.exists() or "guard: None" not in marker.read_text(), marker.read_text()

    runner.stop_spares()
    fresh = run_handler(aws, config, credentials, [{"n": 1}])
    nothing_before_the_guard()
    spare = started_spare()          # such a job can use a spare now: its start-up variables are ours
    warm = run_handler(aws, config, credentials, [{"n": 1}])
    nothing_before_the_guard()
    assert warm[0]["answer"]["pid"] == spare.pid
    for [got] in (fresh, warm):
        assert got["ok"], got
        env = got["answer"]["env"]
        assert env["PYTHONPATH"] == str(site) and env["LD_PRELOAD"] == "no-such-library.so"   # after the guard
        assert runner.AFTER_GUARD not in env and env["TABLE_NAME"] == "notes"
    assert runner.held_back(variables) == ({"TABLE_NAME": "notes"},
                                           {"PYTHONPATH": str(site), "LD_PRELOAD": "no-such-library.so"})
