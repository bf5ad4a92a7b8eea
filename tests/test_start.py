"""The README's start command brings JupyterLab up on the course, in the learner's language, and stops cleanly."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from graders.services.base import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("start")]
REPO = Path(__file__).resolve().parents[1]


def _status(port: int, token: str) -> dict | None:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=2) as r:
            return json.loads(r.read())
    except OSError:
        return None


def test_make_start_serves_the_course_and_stops_cleanly(tmp_path):
    port = free_port()
    workspace = tmp_path / "my-course"
    log = tmp_path / "start.log"
    env = {k: v for k, v in os.environ.items() if k not in ("GRADERS_WORKSPACE", "GRADERS_LANG")}
    with open(log, "wb") as out:
        proc = subprocess.Popen(["make", "-s", "start", f"port={port}", f"workspace={workspace}", "lang=ja",
                                 "browser=no"], cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        token, status = None, None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and status is None:
            assert proc.poll() is None, log.read_text()
            match = re.search(r"token=([0-9a-f]+)", log.read_text(errors="replace"))
            if match:
                token = match[1]
                status = _status(port, token)
            time.sleep(0.5)
        assert status is not None, log.read_text()
        text = log.read_text()
        assert "JupyterLab を起動しています。ブラウザーでこのアドレスを開いてください" in text, text  # in Japanese
        assert f"http://127.0.0.1:{port}/lab?token=" in text
        # the course is there, in Japanese, and JupyterLab's own menus are set to Japanese
        notebook = (workspace / "orientation" / "orientation.ipynb").read_text(encoding="utf-8")
        assert "はじめてのノートブック" in notebook
        ui = workspace / ".graders/jupyterlab/user-settings/@jupyterlab/translation-extension/plugin.jupyterlab-settings"
        assert json.loads(ui.read_text())["locale"] == "ja_JP"
        # only loopback: the server refuses to be reached through any other address it might have
        listening = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
        assert f"127.0.0.1:{port}" in listening and f"0.0.0.0:{port}" not in listening and f"*:{port}" not in listening
    finally:
        os.killpg(proc.pid, signal.SIGTERM)          # what Ctrl+C in the learner's window does
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert left == [], f"processes left behind: {left}"
    assert _status(port, token) is None
