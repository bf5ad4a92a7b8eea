"""Write the learner-side configuration into the hub's environment (run by hub/install.sh; idempotent).

Usage: python hub/configure_env.py VENV

* ``VENV/etc/jupyter/nbgrader_config.py``: the exchange (root from $NBGRADER_EXCHANGE_ROOT), the course id, our
  localizing fetch and private submit, course membership from JupyterHub groups (``nbgrader-<course>``).
* ``VENV/etc/jupyter/labconfig/page_config.json`` and ``jupyter_server_config.d``: the instructor-only nbgrader parts
  (formgrader, create assignment, course list, the toolbar's Validate) are off for everyone; ``jupyter_lab_config.json``
  loads a style sheet that hides the assignment list's per-notebook Validate button;
  ``VENV/etc/jupyter/instructor/`` switches them on again, and the hub puts that folder on ``$JUPYTER_CONFIG_PATH`` for the instructor only (it comes before the
  environment's own folder, so it wins).
* ``VENV/share/jupyter/lab/settings/overrides.json``: no "get Jupyter news from the internet" pop-up; every cell of a
  notebook rendered (no virtual scrolling).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

NBGRADER_CONFIG = '''\
# Written by hub/configure_env.py: the class hub's nbgrader settings for every user (learners and instructors).
# An instructor's course folder has its own nbgrader_config.py, which wins over this file there.
import os

c = get_config()  # noqa: F821
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE_ROOT", "/srv/nbgrader/exchange")
c.CourseDirectory.course_id = os.environ.get("NBGRADER_COURSE_ID", "digital-skills-day")
c.Exchange.path_includes_course = False
# Learners fetch the all-language release and get it in their own language; their submissions are private.
c.ExchangeFactory.fetch_assignment = "graders.exchange.LocalizedFetchAssignment"
c.ExchangeFactory.submit = "graders.exchange.PrivateSubmit"
if os.environ.get("JUPYTERHUB_API_URL"):
    # Course membership comes from the hub's groups nbgrader-<course> (learners) and formgrade-<course> (instructors).
    c.Authenticator.plugin_class = "nbgrader.auth.JupyterHubAuthPlugin"
'''

INSTRUCTOR_ONLY_LAB = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                       "@jupyter/nbgrader:course-list", "@jupyter/nbgrader:validate-assignment"]
# nbgrader's Validate re-runs a notebook in a fresh kernel with fresh, private lab services (graders/lab.py,
# NBGRADER_EXECUTION=validate): a check that reads what the learner built in earlier notebooks (their moto account,
# practice orders, mail) gets another verdict there than in the learner's notebook, and a slow cell (a robot, Label
# Studio) meets nbgrader's time limit. So learners get the check cells' verdicts only: the notebook toolbar's
# Validate (the plugin above) is off. The validate server extension stays: the assignment list asks it for nbgrader's
# version. The assignment list's own per-notebook Validate button has no switch: learners' JupyterLab loads a custom
# style sheet that hides it (LabApp.custom_css below; graders/hub/singleuser.py writes the sheet, LEARNER_CSS).
INSTRUCTOR_ONLY_SERVER = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # Course notebooks are short: render every cell (no virtual scrolling), so a learner's browser search, a
    # screen reader and printing see the whole notebook.
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o644)


def main(venv: Path) -> None:
    etc = venv / "etc" / "jupyter"
    write(etc / "nbgrader_config.py", NBGRADER_CONFIG)
    write(etc / "labconfig" / "page_config.json",
          json.dumps({"disabledExtensions": {name: True for name in INSTRUCTOR_ONLY_LAB}}, indent=2) + "\n")
    write(etc / "jupyter_server_config.d" / "zz-digital-skills-hub.json",
          json.dumps({"ServerApp": {"jpserver_extensions": {name: False for name in INSTRUCTOR_ONLY_SERVER}}},
                     indent=2) + "\n")
    # LabApp reads jupyter_lab_config.*; a .d folder of jupyter_server_config is read too late for custom_css
    write(etc / "jupyter_lab_config.json", json.dumps({"LabApp": {"custom_css": True}}, indent=2) + "\n")
    instructor = etc / "instructor"
    write(instructor / "jupyter_lab_config.json", json.dumps({"LabApp": {"custom_css": False}}, indent=2) + "\n")
    write(instructor / "labconfig" / "page_config.json",
          json.dumps({"disabledExtensions": {name: False for name in INSTRUCTOR_ONLY_LAB}}, indent=2) + "\n")
    write(instructor / "jupyter_server_config.d" / "zz-digital-skills-instructor.json",
          json.dumps({"ServerApp": {"jpserver_extensions": {name: True for name in INSTRUCTOR_ONLY_SERVER}}},
                     indent=2) + "\n")
    overrides = venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    current = {}
    if overrides.exists():
        try:
            current = json.loads(overrides.read_text(encoding="utf-8"))
        except ValueError:
            current = {}
    for plugin, values in OVERRIDES.items():
        current.setdefault(plugin, {}).update(values)
    write(overrides, json.dumps(current, indent=2) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python hub/configure_env.py VENV")
    main(Path(sys.argv[1]))
