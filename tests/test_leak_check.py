"""The session-level leak check of ``conftest.py`` (a test session must leave no process of ours running and write
nothing into the real home folder) fails a session that leaks, and passes one that does not.

Each case runs a small pytest session of its own, in a subprocess, with a copy of this suite's ``conftest.py`` and a
planted test file. The inner session's "real home" is a temporary folder of its own, so nothing here touches the
real one.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

LEAKY = '''
import os
from pathlib import Path

from graders.services import connect


def test_starts_the_mail_service_and_forgets_it(tmp_path):
    # like a module fixture that calls connect() for a workspace of its own and never stops it
    handle = connect("rpa_mail", Path(os.environ["PLANTED_WORKSPACE"]))
    assert handle.url.startswith("http://127.0.0.1:")


def test_saves_settings_in_the_real_home(tmp_path, monkeypatch):
    # like a test that puts HOME back (or a helper that finds the home folder on its own)
    monkeypatch.setenv("HOME", os.environ["GRADERS_TEST_REAL_HOME"])
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.delenv("GRADERS_WORKSPACE")
    from graders.settings import save_settings
    save_settings({"lang": "uk"}, start=tmp_path)
'''

CLEAN = '''
import os
from pathlib import Path

from graders.services import connect, stop_all
from graders.settings import save_settings, state_dir


def test_starts_the_mail_service_and_stops_it():
    workspace = Path(os.environ["PLANTED_WORKSPACE"])
    assert connect("rpa_mail", workspace).url.startswith("http://127.0.0.1:")
    assert stop_all(workspace) == ["rpa_mail"]


def test_settings_go_to_the_test_home(tmp_path, monkeypatch):
    monkeypatch.delenv("GRADERS_WORKSPACE")
    save_settings({"lang": "ja"}, start=tmp_path)
    assert str(state_dir(tmp_path)).startswith(os.environ["GRADERS_TEST_HOME"])
    assert not str(state_dir(tmp_path)).startswith(os.environ["GRADERS_TEST_REAL_HOME"] + "/.local")
'''


def run_planted(tmp_path: Path, source: str, workers: int = 0) -> tuple[subprocess.CompletedProcess, Path]:
    folder = tmp_path / "planted"
    folder.mkdir()
    shutil.copy(HERE / "conftest.py", folder / "conftest.py")
    (folder / "test_planted.py").write_text(source, encoding="utf-8")
    workspace = tmp_path / "planted-workspace"
    (workspace / ".graders").mkdir(parents=True)
    # the inner session is a controller of its own, not one of this session's xdist workers
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GRADERS_TEST_SESSION"))}
    # its "real home" is a folder of its own: this session's temporary home is shared by every test here, and a file
    # another test saved there first (settings.json) would not count as new for the inner check
    home = tmp_path / "home"
    home.mkdir()
    env.update({"PLANTED_WORKSPACE": str(workspace), "GRADERS_LEAK_GRACE": "1", "PYTHONPATH": str(REPO),
                "HOME": str(home)})
    xdist = ["-n", str(workers), "--dist", "loadgroup"] if workers else []
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *xdist,
                           "--rootdir", str(folder), str(folder)], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=120)
    return proc, workspace


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    return True
        except OSError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("workers", [0, 2], ids=["one-process", "xdist"])
def test_a_session_that_leaves_a_service_running_and_writes_into_the_home_folder_fails(tmp_path, workers):
    from graders.services import stop_all

    proc, workspace = run_planted(tmp_path, LEAKY, workers)
    out = proc.stdout + proc.stderr
    try:
        assert "2 passed" in out, out[-3000:]                  # the tests themselves pass ...
        assert proc.returncode == 1, out[-3000:]              # ... and the session fails because of the leak
        assert "LEAK CHECK FAILED" in out
        leaked = re.findall(r"pid (\d+): .*graders\.services\.run rpa_mail", out)
        assert len(leaked) == 1, out[-3000:]
        home = tmp_path / "home"                               # the inner session's real home (run_planted)
        settings = home / ".local" / "share" / "digital-skills-labs" / "settings.json"
        assert f"Tests wrote into the real home folder {home}" in out, out[-3000:]
        assert str(settings) in out
        assert _gone(int(leaked[0]))                          # and the check stopped what it found
    finally:
        stop_all(workspace)


def test_a_session_that_cleans_up_passes_the_leak_check(tmp_path):
    proc, _ = run_planted(tmp_path, CLEAN)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "2 passed" in out and "LEAK CHECK" not in out, out[-3000:]


GRADED_ROBOT_CONFIG = """
from graders import Lab
from graders.services.registry import services_dir
from labs.rpa.kit import robot_config

lab = Lab("rpa")                       # while nbgrader runs: private services, inside this process
config = robot_config()                # what a robot (and a notebook cell) asks for
assert config.app_url == lab.context["rpa_app"].url.rstrip("/"), (config, lab.context)
assert config.smtp_port == lab.context["rpa_mail"]["smtp_port"], (config, lab.context)
assert not list(services_dir().glob("*.json")), list(services_dir().glob("*"))
print("one practice company")
"""


def test_a_notebook_graded_by_nbgrader_hands_its_private_services_to_its_robots(tmp_path):
    """What the leak check found: under plain `nbgrader autograde`, the RPA robots' robot_config() started detached
    rpa_app and rpa_mail servers of their own in the home folder, and nothing ever stopped them."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADERS_SERVICE_", "GRADERS_WORKSPACE", "RPA_"))}
    env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / ".local" / "share"), "NBGRADER_EXECUTION": "autograde",
                "PYTHONPATH": str(REPO)})
    try:
        proc = subprocess.run([sys.executable, "-c", GRADED_ROBOT_CONFIG], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0 and "one practice company" in proc.stdout, proc.stdout + proc.stderr[-3000:]
    finally:   # without the fix, the detached servers it started: stop them
        for state in (home / ".local" / "share" / "digital-skills-labs" / "services").glob("*.json"):
            try:
                os.killpg(json.loads(state.read_text())["pid"], signal.SIGTERM)
            except (OSError, ValueError, KeyError):
                pass
