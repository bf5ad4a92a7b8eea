"""The README's start command brings JupyterLab up on the course, in the learner's language, and stops cleanly."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.error
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


def _run_in_new_kernel(port: int, token: str, code: str) -> tuple[str, str]:
    """Start a kernel through JupyterLab's API and run ``code`` in it over the kernel's websocket, as the browser
    does; (the kernel's id, what the code printed)."""
    import asyncio
    import uuid

    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    auth = {"Authorization": f"token {token}"}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/kernels", data=b'{"name": "python3"}',
                                 headers={**auth, "Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as r:
        kernel_id = json.loads(r.read())["id"]

    async def run() -> str:
        ws = await websocket_connect(HTTPRequest(f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels",
                                                 headers=auth))
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                  "version": "5.3", "date": ""}
        await ws.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "channel": "shell",
                                           "content": {"code": code, "silent": False, "store_history": False,
                                                       "user_expressions": {}, "allow_stdin": False}}))
        printed = []
        while True:
            msg = json.loads(await asyncio.wait_for(ws.read_message(), 120))
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                ws.close()
                return "".join(printed)

    return kernel_id, asyncio.run(run())


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
        # a learner alone sees no nbgrader parts: no Nbgrader menu, no Validate button, no assignment list service
        req = urllib.request.Request(f"http://127.0.0.1:{port}/lab", headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=10) as r:
            page = r.read().decode()
        page_config = json.loads(re.search(r"id=\"jupyter-config-data\"[^>]*>(.*?)</script>", page, re.S)[1])
        for plugin in ("menu", "validate-assignment", "assignment-list", "formgrader", "create-assignment"):
            assert f"@jupyter/nbgrader:{plugin}" in page_config["disabledExtensions"], plugin
        req = urllib.request.Request(f"http://127.0.0.1:{port}/assignments", headers={"Authorization": f"token {token}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(req, timeout=10)
        assert refused.value.code == 404
        # only loopback: the server refuses to be reached through any other address it might have
        listening = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
        assert f"127.0.0.1:{port}" in listening and f"0.0.0.0:{port}" not in listening and f"*:{port}" not in listening
        # a kernel runs code for the learner, talking to JupyterLab over Unix sockets in a folder only this user can
        # enter, not over TCP ports (any user of the machine could connect to one and read the kernel's output; a
        # port picked free can be taken before the kernel binds it). (ipykernel's own pipe for output from forked
        # processes stays on TCP: it only receives, and only messages signed with the kernel's secret.)
        kernel_id, printed = _run_in_new_kernel(port, token, "print(6 * 7)")
        assert printed == "42\n"
        runtime = subprocess.run([str(REPO / ".venv/bin/jupyter"), "--runtime-dir"], capture_output=True, text=True,
                                 env=env, check=True).stdout.strip()
        info = json.loads((Path(runtime) / f"kernel-{kernel_id}.json").read_text())
        assert info["transport"] == "ipc" and info["ip"].startswith("/tmp/jupyter-kernels-"), info
        folder = Path(info["ip"]).parent
        assert folder.stat().st_mode & 0o777 == 0o700
        unix = subprocess.run(["ss", "-lxp"], capture_output=True, text=True).stdout
        channels = re.findall(rf"{re.escape(info['ip'])}-(\d+)\s.*?pid=(\d+),", unix)
        assert sorted(int(n) for n, _ in channels) == sorted(info[f"{c}_port"] for c in
                                                            ("shell", "iopub", "stdin", "control", "hb")), unix
        assert len({pid for _, pid in channels}) == 1, unix
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
    assert not folder.exists()   # the kernels' socket folder went with the server


def test_a_second_stop_signal_does_not_leave_a_service_running(tmp_path):
    """make passes its SIGTERM on to graders start, so it gets two: the second must not cut the clean-up short, or
    a service still starting is left running with nobody to stop it (the leak check caught one)."""
    from graders.services.registry import running, stop_all

    port, workspace, log = free_port(), tmp_path / "ws", tmp_path / "start.log"
    env = {k: v for k, v in os.environ.items() if k not in ("GRADERS_WORKSPACE", "GRADERS_LANG")}
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(REPO / ".venv/bin/graders"), "start", "--course", "digital-skills-day",
                                 "--workspace", str(workspace), "--port", str(port), "--lang", "en", "--no-browser"],
                                cwd=REPO, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        deadline, status = time.monotonic() + 240, None
        while time.monotonic() < deadline and status is None:
            assert proc.poll() is None, log.read_text()
            match = re.search(r"token=([0-9a-f]+)", log.read_text(errors="replace"))
            status = _status(port, match[1]) if match else None
            time.sleep(0.2)
        assert status is not None, log.read_text()
        time.sleep(1.0)                       # the services are starting now, one after the other
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)      # what make does with its own SIGTERM
        proc.wait(timeout=150)
        left = [name for name, _ in running(workspace)]
        assert left == [], f"services left running after two SIGTERMs: {left}\n{log.read_text()[-2000:]}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        stop_all(workspace)


# --- the build cache: a new learner copies the course built once per version, language and mode --------------------

def _one_lab_course(tmp_path, labs=("orientation",)):
    import dataclasses
    import shutil

    from graders.labdef import load_course

    course_dir = tmp_path / "course"
    shutil.copytree(load_course("digital-skills-day").path, course_dir)
    return dataclasses.replace(load_course(course_dir), labs=list(labs))


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".graders" not in p.parts}


def test_a_new_learner_gets_the_cached_build_and_a_changed_course_is_built_again(tmp_path, monkeypatch):
    from graders import build
    from graders.workspace import build_key, sync

    course, cache = _one_lab_course(tmp_path), tmp_path / "cache"
    first = sync(course, tmp_path / "anna", "uk", cache=cache)
    assert "orientation/orientation.ipynb" in first.new
    (built,) = [p for p in cache.iterdir() if not p.name.startswith(".")]   # one build, no half-built leftovers
    assert built.name == build_key(course, "uk")
    assert [p.name for p in built.iterdir() if not p.name.startswith(".")] == ["release"]
    assert not any(b"BEGIN SOLUTION" in p.read_bytes() or b"HIDDEN TESTS" in p.read_bytes()
                   for p in built.rglob("*") if p.is_file()), "the cache holds no solution and no hidden test"

    def no_build(*args, **kwargs):
        raise AssertionError("the course was built again although nothing changed")

    monkeypatch.setattr(build, "build_course", no_build)
    sync(course, tmp_path / "bohdan", "uk", cache=cache)                    # the next learner: a copy
    assert _files(tmp_path / "bohdan") == _files(tmp_path / "anna")
    assert "Знайомство" in (tmp_path / "bohdan" / "orientation" / "orientation.ipynb").read_text(encoding="utf-8")
    # the cache holds the course only: a learner's work never reaches the next learner
    notebook = tmp_path / "anna" / "orientation" / "orientation.ipynb"
    notebook.write_text(notebook.read_text(encoding="utf-8").replace("Знайомство", "MY-OWN-WORK"), encoding="utf-8")
    sync(course, tmp_path / "anna", "uk", cache=cache)
    sync(course, tmp_path / "chen", "uk", cache=cache)
    assert "MY-OWN-WORK" not in (tmp_path / "chen" / "orientation" / "orientation.ipynb").read_text(encoding="utf-8")
    assert not any(b"MY-OWN-WORK" in p.read_bytes() for p in cache.rglob("*") if p.is_file())

    # another language, the challenge mode or a changed course source is another build
    assert len({build_key(course, "uk"), build_key(course, "ja"), build_key(course, "uk", challenge=True)}) == 3
    toml = course.path / "course.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "\n# a new version of the course\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="built again"):
        sync(course, tmp_path / "dana", "uk", cache=cache)
    assert not any(p.name.startswith(".") for p in cache.iterdir()), "a failed build leaves no half-built folder"
    monkeypatch.undo()
    sync(course, tmp_path / "dana", "uk", cache=cache)
    assert [p.name for p in cache.iterdir()] == [build_key(course, "uk")]  # the old version's build is gone


def test_one_nbgrader_run_builds_the_same_release_as_one_run_per_lab(tmp_path):
    """build_course runs ``nbgrader generate_assignment "*"`` once for the whole course; nbgrader, run lab by lab,
    makes the same release (and --no-db, for a learner's copy, changes nothing in it)."""
    from graders.build import build_course, run_nbgrader, write_course_dir

    course = _one_lab_course(tmp_path, ("orientation", "bridge"))
    build_course(course, tmp_path / "all", "ja", gradebook=False)
    for lab_id in write_course_dir(course, tmp_path / "each", "ja"):
        run_nbgrader(tmp_path / "each", "generate_assignment", lab_id, "--force")
    assert (tmp_path / "each" / "gradebook.db").exists() and not (tmp_path / "all" / "gradebook.db").exists()
    mine, nbgraders = _files(tmp_path / "all" / "release"), _files(tmp_path / "each" / "release")
    assert {p.split("/")[0] for p in mine} == {"orientation", "bridge"}
    assert mine == nbgraders
