import os
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"

# --- A test session leaves nothing behind ---------------------------------------------------------------------------
# The session's controller (the only process when not under xdist) points HOME, the XDG folders and Jupyter's
# folders at a temporary home *before anything imports the platform*, marks every process the session starts with
# an environment variable, and at the end fails the run when a process of ours (a service, a kernel, Label Studio,
# moto, JupyterLab, a browser ...) carrying that mark still runs, or when something appeared in the real home under
# the folders our code writes. xdist workers inherit the environment, so they and all they start share the mark.
SESSION_MARK = "GRADERS_TEST_SESSION"
REAL_HOME_VAR = "GRADERS_TEST_REAL_HOME"
TEST_HOME_VAR = "GRADERS_TEST_HOME"
HOME_VARS = {"HOME": "", "XDG_DATA_HOME": ".local/share", "XDG_CONFIG_HOME": ".config", "XDG_CACHE_HOME": ".cache",
             "JUPYTER_CONFIG_DIR": ".jupyter", "JUPYTER_DATA_DIR": ".local/share/jupyter",
             "JUPYTER_RUNTIME_DIR": ".local/share/jupyter/runtime", "IPYTHONDIR": ".ipython"}
# Where our code (and the tools it runs) writes in a home folder: these must not change in the real one.
# (Only new files count: a file that changes may be another program's, run outside the tests by the same user.)
WATCHED = [".local/share/digital-skills-labs", ".cache/digital-skills-labs", ".config/digital-skills-labs",
           ".local/share/jupyter", ".jupyter", ".ipython", ".local/share/label-studio", ".config/label-studio",
           ".cache/ms-playwright"]
# Command lines of the processes we start (matched against /proc/PID/cmdline, arguments joined by spaces).
OUR_PROCESSES = re.compile(r"graders\.services\.run|ipykernel_launcher|ipykernel|label[-_]studio|moto_server|moto\.server|"
                           r"jupyter[-_ ](lab|server|notebook|nbconvert|execute)|jupyterhub|configurable-http-proxy|"
                           r"-m graders\b|bin/graders\b|chromium|headless_shell|playwright/driver|robot_\w+\.py|soffice|"
                           r"unoserver|Xvnc|Xtigervnc|labs\.aws\.runner")
IS_XDIST_WORKER = bool(os.environ.get("PYTEST_XDIST_WORKER"))


def home_snapshot(home: Path) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime) of every file under the watched folders of ``home``."""
    out = {}
    for rel in WATCHED:
        root = home / rel
        if not root.exists():
            continue
        for dirpath, _, files in os.walk(root, onerror=lambda e: None):
            for name in files:
                path = os.path.join(dirpath, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                out[path] = (st.st_size, st.st_mtime_ns)
    return out


def marked_processes(mark: str, exclude: set[int] = frozenset()) -> list[tuple[int, str]]:
    """(pid, command line) of our processes that carry this session's mark; processes of other users (whose
    environment we may not read) and processes without the mark are not ours."""
    needle = f"{SESSION_MARK}={mark}".encode() + b"\0"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in exclude:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if needle not in f.read() + b"\0":
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{entry}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":      # a zombie is already gone
                    continue
        except (OSError, IndexError):
            continue
        if cmdline and OUR_PROCESSES.search(cmdline):
            found.append((int(entry), cmdline))
    return found


def _ancestors() -> set[int]:
    pids, pid = set(), os.getpid()
    while pid > 1:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                pid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            break
    return pids


if not IS_XDIST_WORKER:
    _real_home = Path(os.environ.get("HOME") or Path.home())
    _test_home = Path(tempfile.mkdtemp(prefix="graders-test-home-"))
    os.environ[SESSION_MARK] = uuid.uuid4().hex
    os.environ[REAL_HOME_VAR] = str(_real_home)
    os.environ[TEST_HOME_VAR] = str(_test_home)
    for _var, _rel in HOME_VARS.items():
        os.environ[_var] = str(_test_home / _rel) if _rel else str(_test_home)
        (_test_home / _rel).mkdir(parents=True, exist_ok=True)
    _HOME_BEFORE = home_snapshot(_real_home)


def leftovers(grace: float = 10.0) -> tuple[list[tuple[int, str]], list[str]]:
    """What this session left behind: our marked processes still running after ``grace`` seconds (a server that
    is shutting down gets that long), and new or changed files in the real home."""
    mark, exclude = os.environ[SESSION_MARK], _ancestors()
    deadline = time.monotonic() + grace
    procs = marked_processes(mark, exclude)
    while procs and time.monotonic() < deadline:
        time.sleep(0.25)
        procs = marked_processes(mark, exclude)
    after = home_snapshot(Path(os.environ[REAL_HOME_VAR]))
    files = sorted(p for p in after if p not in _HOME_BEFORE)
    return procs, files


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_sessionfinish(session):
    yield                     # under xdist, the workers have ended by now
    if IS_XDIST_WORKER:
        return
    procs, files = leftovers(float(os.environ.get("GRADERS_LEAK_GRACE", "10")))
    lines = []
    if procs:
        lines.append(f"{len(procs)} process(es) started by the tests are still running (a fixture or test did not "
                     f"stop what it started):")
        lines += [f"  pid {pid}: {cmd[:300]}" for pid, cmd in procs]
    if files:
        lines.append(f"Tests wrote into the real home folder {os.environ[REAL_HOME_VAR]} (they must write only "
                     f"under their temporary folders; HOME is {os.environ[TEST_HOME_VAR]} for tests):")
        lines += [f"  {path}" for path in files[:30]] + (["  ..."] if len(files) > 30 else [])
    if lines:
        text = "LEAK CHECK FAILED\n" + "\n".join(lines)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("=", "leak check", red=True)
            reporter.write_line(text)
        else:
            sys.stderr.write(text + "\n")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        for pid, _ in procs:           # stop them anyway, so one leak does not pile up run after run
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
    else:
        shutil.rmtree(os.environ[TEST_HOME_VAR], ignore_errors=True)


@pytest.fixture(autouse=True)
def _isolated_learner_state(tmp_path, monkeypatch):
    """No test writes progress or settings into the developer's own workspace or home."""
    ws = tmp_path / "learner-state"
    (ws / ".graders").mkdir(parents=True)
    monkeypatch.setenv("GRADERS_WORKSPACE", str(ws))
    monkeypatch.delenv("GRADERS_LANG", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    yield
    # A Lab() made in the test process starts the lab's services for this workspace, detached (as for a learner):
    # stop them, so no test leaves a server running.
    from graders.services import stop_all
    stop_all(ws)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def venv_bin() -> Path:
    return Path(sys.executable).parent


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep `xdist_group` groups together under `--dist loadgroup`.

    pytest-xdist (3.8) marks a grouped test by renaming it (``nodeid@group``, through ``item._nodeid``); since
    pytest 9.2 the node id comes from a structured ``item._id`` instead, so the rename is lost and a group's tests
    are spread over the workers (each worker then sets up its own copy of a module's shared server). Re-apply it.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import coerce_node_id
    except ImportError:  # an older pytest: xdist's rename works as it is
        return
    for item in items:
        renamed = getattr(item, "_nodeid", None)
        if renamed and renamed != item.nodeid and hasattr(item, "_id"):
            item._id = coerce_node_id(renamed)
