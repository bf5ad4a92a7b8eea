"""``graders start``: the learner's one command after install.

It brings the learner's workspace up to date (never overwriting their work), starts the local services the course's
labs ask for, sets JupyterLab up for a learner (their language, no news fetched from the internet, no instructor
panels), and runs JupyterLab on 127.0.0.1 with the workspace as its root.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .i18n import JUPYTERLAB_LOCALES, M_, resolve_language
from .labdef import CourseDef, load_course, load_lab
from .settings import MARKER, load_settings, save_settings

MSG_PREPARING = M_("core.start.preparing", "Preparing your copy of the course “{course}” in {workspace} ...")
MSG_OPEN = M_("core.start.open", "JupyterLab is starting. Open this address in your browser: {url}")
MSG_STOP = M_("core.start.stop", "To stop, press Ctrl+C in this window. Your work is saved in {workspace}.")
MSG_SERVICE_FAILED = M_("core.start.service_failed", "The local service for “{lab}” did not start ({error}). You can still work on every exercise that does not need it.")
MSG_SERVICE_READY = M_("core.start.service_ready", "The local server “{service}” is ready at {url} (only this computer can reach it).")

# nbgrader's parts are not for a learner working alone: the instructor tools (create assignment, formgrader, course
# list), the assignment list (there is no class exchange on a laptop) and the toolbar's Validate, which re-runs the
# notebook in a fresh kernel without the check cells' verdicts (the class hub turns it off for the same reason,
# hub/configure_env.py). With all of them off, the "Nbgrader" menu goes too.
LEARNER_DISABLED_LAB_PLUGINS = ["@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list",
                                "@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:assignment-list",
                                "@jupyter/nbgrader:validate-assignment", "@jupyter/nbgrader:menu"]
LEARNER_DISABLED_SERVER_EXTENSIONS = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list",
                                      "nbgrader.server_extensions.assignment_list",
                                      "nbgrader.server_extensions.validate_assignment"]


def _write_json(path: Path, data: dict, overwrite: bool = True) -> None:
    if path.exists() and not overwrite:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


def jupyterlab_environment(workspace: Path, lang: str, language_chosen: bool) -> dict[str, str]:
    """Per-workspace JupyterLab settings and config, as environment variables for the server."""
    state = workspace / MARKER / "jupyterlab"
    settings = state / "user-settings"
    # The UI language: set when the learner chose it now, else keep what they may have picked in the menu since.
    _write_json(settings / "@jupyterlab" / "translation-extension" / "plugin.jupyterlab-settings",
                {"locale": JUPYTERLAB_LOCALES[lang]}, overwrite=language_chosen)
    _write_json(settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings",
                {"fetchNews": "false", "checkForUpdates": False})
    config = state / "config"
    _write_json(config / "labconfig" / "page_config.json",
                {"disabledExtensions": {name: True for name in LEARNER_DISABLED_LAB_PLUGINS}})
    _write_json(config / "jupyter_server_config.json",
                {"ServerApp": {"jpserver_extensions": {name: False for name in LEARNER_DISABLED_SERVER_EXTENSIONS}}})
    env = dict(os.environ)
    env.update({
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(state / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(config),
        "GRADERS_WORKSPACE": str(workspace),
        "GRADERS_LANG": lang,
    })
    from .desktop import environment as desktop_environment

    env.update(desktop_environment(state / "desktop"))  # the Desktop launcher: Xfce + LibreOffice, in this language
    return env


def course_services(course: CourseDef) -> list[str]:
    """The local servers the course's labs ask for (``services`` in each ``lab.toml``), each once, in order."""
    names: list[str] = []
    for lab_id in course.labs:
        names += [name for name in load_lab(lab_id).services if name not in names]
    return names


def start_services(course: CourseDef, workspace: Path, lang: str, after=None,
                   stopping: threading.Event | None = None) -> threading.Thread | None:
    """Start the course's services for this workspace in the background (a first Label Studio start takes half a
    minute; JupyterLab need not wait for it), printing a line as each comes up. Notebooks reuse them.
    ``after``: called first in the background (graders start waits for JupyterLab to answer, so the services do not
    take the processor from JupyterLab's own start). Once ``stopping`` is set, no further service is started."""
    from .services import connect

    names = course_services(course)
    if not names:
        return None

    def run() -> None:
        if after is not None and not after():
            return
        for name in names:
            if stopping is not None and stopping.is_set():
                return
            try:
                handle = connect(name, workspace)
                if stopping is not None and stopping.is_set():  # stopped while it was starting: it goes too
                    from .services import stop_all

                    stop_all(workspace)
                    return
                print("  " + MSG_SERVICE_READY.render(lang, service=name, url=handle.url), flush=True)
            except Exception as exc:  # one lab's service must not keep the learner out of the others
                print("  " + MSG_SERVICE_FAILED.render(lang, lab=name, error=exc), flush=True)

    # not a daemon: if graders start ends while a service is starting, Python waits for it to come up and go again
    thread = threading.Thread(target=run, name="start-services", daemon=False)
    thread.start()
    return thread


def jupyter_command(workspace: Path, port: int, open_browser: bool, token: str) -> list[str]:
    """``jupyter lab`` on 127.0.0.1, started as the class hub starts a learner's server (graders/hub/singleuser.py):
    without building jsonschema's IRI grammar, running Node.js for yarn's settings or looking for language servers
    (none is installed; JupyterLab's language-server support is off unless the learner turns it on)."""
    from .hub.singleuser import SERVER_PREAMBLE

    boot = SERVER_PREAMBLE + "sys.argv[0] = 'jupyter-lab'; from jupyterlab.labapp import main; sys.exit(main())"
    return [sys.executable, "-c", boot, "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={workspace}", f"--ServerApp.open_browser={open_browser}",
            f"--IdentityProvider.token={token}", "--LanguageServerManager.autodetect=False"] + (
                ["--allow-root"] if os.geteuid() == 0 else [])


def wait_until_ready(proc: subprocess.Popen, port: int, token: str) -> bool:
    """Wait until JupyterLab answers on ``port`` (True), or its process ends (False)."""
    import urllib.request

    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"})
    while proc.poll() is None:
        try:
            with urllib.request.urlopen(req, timeout=2):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def open_when_ready(proc: subprocess.Popen, port: int, token: str) -> threading.Thread:
    """Open the learner's browser on JupyterLab once the server answers (in the background)."""
    import webbrowser

    def run() -> None:
        if wait_until_ready(proc, port, token):
            webbrowser.open(f"http://127.0.0.1:{port}/lab?token={token}")

    thread = threading.Thread(target=run, name="open-browser", daemon=True)
    thread.start()
    return thread


def start(course_name: str, workspace: Path, lang: str | None, port: int, open_browser: bool = True,
          services: bool = True, challenge: bool | None = None) -> int:
    """Set the workspace up and run JupyterLab until Ctrl+C (or SIGTERM).

    JupyterLab starts first, in the background, and the course is brought up to date while it starts (it serves
    the folder as it is; the address is printed only when the course is ready): the learner waits for the longer of
    the two, not for both, one after the other."""
    course = load_course(course_name)
    workspace = Path(workspace).resolve()
    (workspace / MARKER).mkdir(parents=True, exist_ok=True)
    chosen = lang is not None
    # An explicit choice, then $GRADERS_LANG, then what this workspace's learner chose last time, then English.
    lang = resolve_language(lang or os.environ.get("GRADERS_LANG") or load_settings(workspace).get("lang"))
    # Challenge mode: an explicit choice, else what this workspace used last time (a mode switch never loses work).
    challenge = bool(load_settings(workspace).get("challenge", False) if challenge is None else challenge)
    save_settings({"lang": lang, "course": course.id, "challenge": challenge}, workspace)
    print(MSG_PREPARING.render(lang, course=course.title_in(lang), workspace=workspace), flush=True)
    from .services.proxy import jupyter_environment

    os.environ.update(jupyter_environment(f"http://127.0.0.1:{port}"))  # services are opened through JupyterLab
    env = jupyterlab_environment(workspace, lang, chosen)
    token = secrets.token_hex(16)  # only this learner, who sees this window, can open the server

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)  # stopped by a service manager or a test: clean up as for Ctrl+C
    # the browser opens once the course is ready (open_when_ready), not as soon as the server answers
    proc = subprocess.Popen(jupyter_command(workspace, port, False, token), env=env, cwd=workspace)
    stopping, starting = threading.Event(), None
    try:
        from .workspace import sync  # (a new course version is built here, while JupyterLab starts)

        for line in sync(course, workspace, lang, challenge).lines(lang):
            print("  " + line, flush=True)
        if services:
            starting = start_services(course, workspace, lang, after=lambda: wait_until_ready(proc, port, token),
                                      stopping=stopping)
        print(MSG_OPEN.render(lang, url=f"http://127.0.0.1:{port}/lab?token={token}"), flush=True)
        print(MSG_STOP.render(lang, workspace=workspace), flush=True)
        if open_browser:
            open_when_ready(proc, port, token)
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()
    finally:
        # Clean up to the end even if a second signal comes (make passes its SIGTERM on to us; a learner presses
        # Ctrl+C twice): interrupted here, a service still starting would be left running with nobody to stop it.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if proc.poll() is None:  # the course could not be prepared (an error above): JupyterLab stops too
            proc.terminate()
            proc.wait()
        from .services import stop_all

        stopping.set()
        stop_all(workspace)  # the local servers this workspace started (kernels may have started more)
        if starting is not None and starting.is_alive():
            # a service still starting is not known to stop_all until it is up: let it come up, then stop it too
            starting.join(timeout=90)
            stop_all(workspace)
