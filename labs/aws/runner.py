"""Run a learner's Lambda handler in a process of its own, as Lambda would, and keep one such process started ahead.

The check 5c runs the learner's handler in a separate, limited Python process (1 GiB of address space, the guard in
"all" mode, so nothing but 127.0.0.1 is reachable, the function's environment and the role's temporary keys). Most of
that run used to be Python starting and importing boto3 (~0.26 s CPU). So a *spare* runner is started ahead:

* ``python -c WAIT`` sets its address-space limit as its first act, asks the kernel to kill it when the process that
  started it ends (``PR_SET_PDEATHSIG``), imports boto3/botocore (modules only: no session, no client, nothing read
  from the environment or from disk that a job could change), then waits on its stdin for exactly one job;
* the job replaces ``os.environ`` (the function's variables and the role's keys), changes to the handler's folder,
  installs the guard ("all") and runs the handler with the same code as a fresh runner (:data:`RUNNER`);
* it is used once, then it exits. A spare that gets no job within :data:`IDLE_SECONDS` exits by itself.

Nothing is shared between two runs: each job gets a process that ran no learner code before. A spare is used only
when the variables that Python, the C library or botocore read at start-up (``PYTHON*``, ``LC_*``, ``LD_*``,
``HOME`` ...) are the same as it started with; otherwise (and when no spare is ready) the handler runs in a fresh
process exactly as before.

No learner code runs before the guard, in either kind of process:

* the function's own variables named ``PYTHON*`` or ``LD_*`` (:func:`held_back`) are not in the environment the
  interpreter starts with (``PYTHONPATH`` would run a ``sitecustomize.py`` from the learner's folder at start-up,
  ``LD_PRELOAD`` a library, ``PYTHONWARNINGS`` could import a module ...): :data:`RUNNER` puts them into
  ``os.environ`` right after installing the guard, so the handler still finds them there;
* Python starts with ``-P``: the folder it starts in (the learner's) is not on ``sys.path`` while the runner imports
  its own modules (a ``json.py`` there would run otherwise); the handler's folder is added after the guard.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

RESULT = "@@RESULT@@"
ACCEPTED = "@@JOB@@"
AFTER_GUARD = "GRADERS_AFTER_GUARD"   # the variables held back from start-up (JSON), set once the guard is on
HELD_BACK_PREFIXES = ("PYTHON", "LD_")
# A spare exits after this long without a job (well under the test session's 10 s leak check grace). A spare also
# dies with the process that started it, so a learner's spare never outlives the kernel.
IDLE_SECONDS = 4.0
MEMORY_LIMIT = 1 << 30      # RLIMIT_AS of every process that runs learner code, as before
TEST_SESSION_MARK = "GRADERS_TEST_SESSION"

# The handler's run: the same lines for a fresh process and for a spare (which has set everything up before).
RUNNER = r'''
import json, os, sys, types
from labs.aws import guard
guard.install("all")
os.environ.update(json.loads(os.environ.pop(%(after_guard)r, "{}")))
sys.path.insert(0, os.environ["HANDLER_DIR"])
module_name, function_name = os.environ["HANDLER"].rsplit(".", 1)
results = []
try:
    module = __import__(module_name)
    handler = getattr(module, function_name)
    for event in json.loads(os.environ["EVENTS"]):
        context = types.SimpleNamespace(function_name=os.environ["AWS_LAMBDA_FUNCTION_NAME"], aws_request_id="check",
                                        memory_limit_in_mb=128, get_remaining_time_in_millis=lambda: 10000)
        try:
            results.append({"ok": True, "answer": handler(event, context)})
        except Exception as error:
            results.append({"ok": False, "error": type(error).__name__ + ": " + str(error)})
except Exception as error:
    results.append({"ok": False, "error": type(error).__name__ + ": " + str(error)})
print(%(result)r + json.dumps(results, default=str))
''' % {"after_guard": AFTER_GUARD, "result": RESULT}

# The spare's command: the limit first, before anything else is imported.
WAIT = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (%d, %d)); "
        "from labs.aws.runner import wait; wait()") % (MEMORY_LIMIT, MEMORY_LIMIT)

# Environment variables read when a process starts (interpreter, C library, dynamic loader, OpenSSL, botocore's
# module-level settings, the local time zone): a job may use a spare only if they are the same as the spare's.
STARTUP_PREFIXES = ("PYTHON", "LC_", "LD_", "MALLOC_", "OPENSSL_", "BOTO_")
STARTUP_NAMES = {"LANG", "LANGUAGE", "HOME", "GLIBC_TUNABLES", "TZ", "SSL_CERT_FILE", "SSL_CERT_DIR", "PATH"}


def startup_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k.startswith(STARTUP_PREFIXES) or k in STARTUP_NAMES}


def held_back(variables: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The function's environment variables split in (given at start-up, set only after the guard is on)."""
    late = {k: v for k, v in variables.items() if k.startswith(HELD_BACK_PREFIXES)}
    return {k: v for k, v in variables.items() if k not in late}, late


def command(code: str, *args: str) -> list[str]:
    """``python -P -c CODE ARGS``: -P keeps the folder it starts in (the learner's) off ``sys.path``."""
    return [sys.executable, "-P", "-c", code, *args]


def _limits() -> None:
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_fresh(env: dict[str, str], cwd: str, timeout: float) -> tuple[str, str] | None:
    """(stdout, stderr) of RUNNER in a new process; None when it did not finish within ``timeout``."""
    try:
        done = subprocess.run(command(RUNNER), env=env, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout, preexec_fn=_limits)
    except subprocess.TimeoutExpired:
        return None
    return done.stdout, done.stderr


# --- the spare, seen from the process that starts it ----------------------------------------------------------------

class _Spare:
    def __init__(self, env: dict[str, str], cwd: str):
        start_env = startup_env(env)
        self.key = (dict(start_env), cwd)
        self.owner = os.getpid()
        if os.environ.get(TEST_SESSION_MARK):  # so the test session's leak check sees a spare (tests/conftest.py)
            start_env[TEST_SESSION_MARK] = os.environ[TEST_SESSION_MARK]
        self.process = subprocess.Popen(command(WAIT, str(os.getpid()), str(IDLE_SECONDS)),
                                        env=start_env, cwd=cwd, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def fresh(self) -> bool:
        """Still waiting (if it times out just as a job reaches it, it never says it took the job: see run)."""
        return self.owner == os.getpid() and self.process.poll() is None

    def stop(self) -> None:
        if self.owner != os.getpid():      # a copy inherited by a forked process: not ours to stop
            return
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.communicate(timeout=5)
        except (subprocess.TimeoutExpired, ValueError, OSError):
            pass


_lock = threading.Lock()
_spare: _Spare | None = None
# PR_SET_PDEATHSIG fires when the *thread* that started the child ends: spares are started from one thread that
# lives as long as this process, not from the check's thread (a grader's worker thread may end any time).
_requests: "list[tuple[dict, str]]" = []
_wake = threading.Condition(_lock)
_starter: threading.Thread | None = None
_generation = 0


def _start_loop() -> None:
    global _spare
    while True:
        with _wake:
            while not _requests:
                _wake.wait()
            env, cwd = _requests.pop()
            _requests.clear()
            generation = _generation
            old = _spare
            if old is not None and old.key == (startup_env(env), cwd) and old.fresh():
                continue
            _spare = None
        if old is not None:
            old.stop()
        try:
            spare = _Spare(env, cwd)
        except OSError:      # no process could start (a process limit): the next run starts its own
            continue
        with _lock:
            if generation == _generation:
                spare, _spare = None, spare
        if spare is not None:    # stop_spares() was called meanwhile
            spare.stop()


def _forget_after_fork() -> None:
    """A forked copy of this process starts with no spare, no starter thread and fresh locks."""
    global _lock, _spare, _requests, _wake, _starter
    _lock = threading.Lock()
    _wake = threading.Condition(_lock)
    _spare, _requests, _starter = None, [], None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def prestart(env: dict[str, str], cwd: str) -> None:
    """Have a spare ready for a job with this start-up environment and folder (returns at once)."""
    global _starter
    if sys.platform != "linux":
        return
    with _wake:
        _requests.append((dict(env), cwd))
        if _starter is None or not _starter.is_alive():
            _starter = threading.Thread(target=_start_loop, name="aws-handler-spare", daemon=True)
            _starter.start()
        _wake.notify()


def _take(env: dict[str, str], cwd: str) -> _Spare | None:
    """The spare for this job, if one is ready; nobody else can take it afterwards (single use)."""
    global _spare
    with _lock:
        spare, _spare = _spare, None
    if spare is None:
        return None
    if spare.key == (startup_env(env), cwd) and spare.fresh():
        return spare
    spare.stop()
    return None


def stop_spares() -> None:
    """End the spare, if any (tests, benches)."""
    global _spare, _generation
    with _lock:
        spare, _spare = _spare, None
        _requests.clear()
        _generation += 1
    if spare is not None:
        spare.stop()


def run(env: dict[str, str], cwd: str, timeout: float) -> tuple[str, str] | None:
    """(stdout, stderr) of RUNNER for this environment and folder, in a spare if one is ready, else in a new
    process; None when the handler did not finish within ``timeout``."""
    spare = _take(env, cwd)
    if spare is not None:
        job = json.dumps({"env": env, "cwd": cwd}) + "\n"
        try:
            stdout, stderr = spare.process.communicate(job, timeout=timeout)
        except subprocess.TimeoutExpired:
            spare.stop()
            return None
        except OSError:          # it ended just now (idle timeout, signal): run as before
            spare.stop()
        else:
            if stdout.startswith(ACCEPTED + "\n"):
                return stdout[len(ACCEPTED) + 1:], stderr
            # it never took the job (it had just timed out, or died starting): run as before
    return run_fresh(env, cwd, timeout)


# --- the spare, seen from inside ------------------------------------------------------------------------------------

def _die_with_parent(parent: int) -> None:
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_PDEATHSIG = 1
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        sys.exit(1)
    if os.getppid() != parent:       # the parent ended before the line above
        sys.exit(0)


def _read_job(deadline: float) -> dict | None:
    import select

    data = b""
    while not data.endswith(b"\n"):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([0], [], [], left)[0]:
            return None
        chunk = os.read(0, 1 << 16)
        if not chunk:
            return None          # the parent closed the pipe without a job
        data += chunk
    return json.loads(data)


# What botocore reads from its data files to make a DynamoDB client (the handler of 5c makes one): about half the
# CPU of the learner's boto3.client("dynamodb") (JSON parsing, ~900 listdir and ~2,900 stat calls)
PRELOAD_DATA = ("endpoints", "partitions", "sdk-default-configuration", "_retry")
PRELOAD_MODELS = (("dynamodb", "service-2"), ("dynamodb", "endpoint-rule-set-1"))


def _preload_botocore_data() -> None:
    """Read botocore's data files into a data loader now, and hand that loader to the first botocore session of
    the job (made by the learner's code), as the ``create_loader()`` botocore calls for it would return a new one.

    Only files are read, none of the job's settings: the loader is the one a session without ``AWS_DATA_PATH`` makes
    (``create_loader(None)``; its search path is botocore's data and ``~/.aws/models``, and HOME is the same for the
    spare and its job, see :func:`startup_env`), and a session with ``AWS_DATA_PATH`` set gets a new loader. A
    session shares its loader between all its clients: the job's first session gets one that has already read these
    files, nothing else (a spare serves one job)."""
    try:
        import botocore.loaders
        import botocore.session

        loader = botocore.loaders.create_loader(None)
        for name in PRELOAD_DATA:
            loader.load_data(name)
        for service, kind in PRELOAD_MODELS:
            loader.load_service_model(service, kind)
    except Exception:        # another botocore: the job reads the files itself, as a fresh runner does
        return
    unused = [loader]
    create_loader = botocore.loaders.create_loader

    def first_loader_preloaded(search_path_string=None):
        if search_path_string is None and unused:
            return unused.pop()
        return create_loader(search_path_string)

    botocore.session.create_loader = first_loader_preloaded


def wait() -> None:
    """The spare's main (``python -c WAIT PARENT_PID IDLE_SECONDS``): RLIMIT_AS is already set."""
    parent, idle, started = int(sys.argv[1]), float(sys.argv[2]), time.monotonic()
    _die_with_parent(parent)
    # modules only: a session or client would read the environment and files, which belong to the job
    import boto3  # noqa: F401
    import boto3.session  # noqa: F401
    import botocore.client  # noqa: F401
    import botocore.endpoint  # noqa: F401
    import botocore.httpsession  # noqa: F401
    import botocore.parsers  # noqa: F401
    import botocore.serialize  # noqa: F401
    _preload_botocore_data()
    # idle time counts from the start (so a spare lives about IDLE_SECONDS), but a spare whose imports took that long
    # (a busy machine) still waits a moment for the job that may already be on its way
    job = _read_job(max(started + idle, time.monotonic() + min(idle, 1.0)))
    if job is None:
        sys.exit(0)
    devnull = os.open(os.devnull, os.O_RDONLY)       # the learner's code reads nothing from the parent
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdout.write(ACCEPTED + "\n")
    sys.stdout.flush()
    os.environ.clear()
    os.environ.update(job["env"])
    time.tzset()
    os.chdir(job["cwd"])
    sys.argv = ["-c"]
    exec(compile(RUNNER, "<string>", "exec"), vars(sys.modules["__main__"]))
