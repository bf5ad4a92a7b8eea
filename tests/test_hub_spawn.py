"""What the class hub spawns for a learner starts quickly (issue 19: 20 learners logging in at once on 2 cores)."""
from __future__ import annotations

import subprocess
import sys

from graders.hub.singleuser import SERVER_BOOT


def _imported(boot: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", boot, "--version"], capture_output=True,
                          text=True, timeout=180, cwd="/")
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, names


def test_a_learners_server_starts_without_building_the_iri_grammar():
    """The server is jupyterhub-singleuser with rfc3987_syntax's import blocked: that optional jsonschema extra
    builds a lark grammar as it is imported (~1 s of a JupyterLab start's ~2.4 s CPU); the entry point still works."""
    done, names = _imported(SERVER_BOOT)
    assert done.returncode == 0 and done.stdout.strip(), done.stderr[-2000:]   # jupyterhub-singleuser --version
    assert "jupyter_server" in names and "jsonschema" in names   # the server's imports ran, jsonschema among them
    assert "lark" not in names and "rfc3987_syntax.syntax_helpers" not in names
