"""What the class hub spawns for a learner starts quickly (issue 19: 20 learners logging in at once on 2 cores)."""
from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from graders.hub.lazy_nbgrader import ROUTES
from graders.services.base import free_port

REPO = Path(__file__).resolve().parents[1]
TOKEN = "learner-token-" + "0" * 20


class FakeHubAPI(BaseHTTPRequestHandler):
    """The two answers a learner's server needs from the hub: its version, and who a token belongs to."""

    def do_GET(self):
        import jupyterhub

        if self.path.startswith("/hub/api/user"):
            if self.headers.get("Authorization") != f"token {TOKEN}":
                self.send_error(403)
                return
            body = {"kind": "user", "name": "u", "admin": False, "groups": [], "session_id": None,
                    "scopes": ["access:servers!server=u/"]}
        else:
            body = {"version": jupyterhub.__version__}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def _imported(stderr: str) -> set[str]:
    return {line.rsplit("|", 1)[-1].strip() for line in stderr.splitlines() if line.startswith("import time:")}


def test_a_learners_server_starts_without_the_iri_grammar_nodejs_or_nbgrader_and_loads_nbgrader_when_asked(tmp_path):
    """The learner's server as the hub starts it (``python -m graders.hub.singleuser``, the hub environment's Jupyter
    config from hub/configure_env.py) answers without having built jsonschema's IRI grammar (~1 s), run Node.js
    (JupyterLab's yarn settings, jupyter_lsp's ``npm prefix``) or imported nbgrader; the Assignments panel's first
    request loads nbgrader's own extensions (assignment list and validate), whose handlers answer it."""
    import nbgrader

    subprocess.run([sys.executable, str(REPO / "hub" / "configure_env.py"), str(tmp_path / "venv")], check=True)
    fake_bin, calls = tmp_path / "bin", tmp_path / "node-calls"
    fake_bin.mkdir()
    for name in ("node", "nodejs", "npm"):   # found first on PATH: any run is written down
        (fake_bin / name).write_text(f'#!/bin/sh\necho "{name} $*" >> {calls}\nexit 1\n')
        (fake_bin / name).chmod(0o755)
    hub = ThreadingHTTPServer(("127.0.0.1", 0), FakeHubAPI)
    threading.Thread(target=hub.serve_forever, daemon=True).start()
    home, port = tmp_path / "home", free_port()
    home.mkdir()
    prefix = "/user/u/"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "GRADERS_"))}
    env.update(HOME=str(home), PATH=f"{fake_bin}{os.pathsep}{env.get('PATH', os.defpath)}", PYTHONPROFILEIMPORTTIME="1",
               JUPYTER_CONFIG_PATH=str(tmp_path / "venv" / "etc" / "jupyter"), GRADERS_LANG="uk",
               JUPYTERHUB_API_TOKEN=TOKEN, JUPYTERHUB_API_URL=f"http://127.0.0.1:{hub.server_address[1]}/hub/api",
               JUPYTERHUB_BASE_URL="/", JUPYTERHUB_SERVICE_PREFIX=prefix, JUPYTERHUB_USER="u",
               JUPYTERHUB_CLIENT_ID="jupyterhub-user-u", JUPYTERHUB_OAUTH_CALLBACK_URL=prefix + "oauth_callback",
               JUPYTERHUB_SERVICE_URL=f"http://127.0.0.1:{port}{prefix}",
               JUPYTERHUB_OAUTH_ACCESS_SCOPES='["access:servers!server=u/"]')
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "graders.hub.singleuser", "--ip=127.0.0.1", f"--port={port}",
                             f"--ServerApp.root_dir={home}"] + (["--allow-root"] if os.geteuid() == 0 else []),
                            env=env, cwd=home, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}{prefix}"

    def ask(path: str, method: str = "GET", body: dict | None = None) -> dict:
        req = urllib.request.Request(url + path, method=method, headers={"Authorization": f"token {TOKEN}"},
                                     data=None if body is None else json.dumps(body).encode())
        with urllib.request.urlopen(req, timeout=60) as answer:
            return json.loads(answer.read())

    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(url + "api", timeout=2)
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp_path / "server.log").read_text()[-3000:]
                time.sleep(0.1)
        text = (tmp_path / "server.log").read_text()
        started = _imported(text)
        assert {"jupyter_server.serverapp", "jupyterlab.labapp", "jsonschema"} <= started
        assert "graders.hub.lazy_nbgrader | extension was successfully loaded" in text
        assert "lark" not in started and "rfc3987_syntax.syntax_helpers" not in started   # no IRI grammar built
        assert not any(name.split(".")[0] == "nbgrader" for name in started)              # nbgrader not yet
        # the Assignments panel opens: its version check is answered by nbgrader's own handler, loaded now
        assert ask(f"nbgrader_version?version={nbgrader.__version__}") == {"success": True}
        assert "nbgrader.server_extensions.assignment_list.handlers" in _imported((tmp_path / "server.log").read_text())
        # validate's route too: nbgrader's handler answers (the notebook is not there)
        answer = ask("assignments/validate", "POST", {"path": "nowhere.ipynb"})
        assert answer["success"] is False and "nowhere.ipynb" in json.dumps(answer)
    finally:
        proc.send_signal(signal.SIGTERM)   # the wrapper passes it on to JupyterLab and waits for it
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        hub.shutdown()
        log.close()
    assert not calls.exists(), calls.read_text()   # Node.js never ran (nor at start, nor later)
    for module, routes in ROUTES.items():   # the routes stood in for at start are nbgrader's, all of them
        assert routes == [pattern for pattern, _ in importlib.import_module(module + ".handlers").default_handlers]
