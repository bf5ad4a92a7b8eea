"""What the hub starts for each person, running as that person (``python -m graders.hub.singleuser ARGS``).

1. JupyterLab in their language: the hub passes the language from the class list as ``$GRADERS_LANG``; it is written
   to their JupyterLab settings when it is new or the organiser changed it (a language the learner picked in
   JupyterLab's own menu since then is kept). Check messages and fetched notebooks follow ``$GRADERS_LANG``.
2. ``jupyterhub-singleuser`` (JupyterLab) with the hub's arguments, as a child process.
3. When it stops (logout, idle culling, the hub stopping), the lab services this person's notebooks started (their
   own moto, practice app ...) stop too, so nothing of theirs keeps running.

Limits, inherited by JupyterLab, every kernel and every lab service of this person: ``$GRADERS_MEM_LIMIT`` bytes of
private memory per process (a runaway ``[0] * 10**10`` ends in a ``MemoryError`` instead of taking the machine) and
``$GRADERS_MAX_PROCS`` processes and threads in all (no fork bomb). The hub sets both (``graders/hub/config.py``).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ..i18n import JUPYTERLAB_LOCALES, SOURCE_LANGUAGE, normalize_language
from ..settings import load_settings, save_settings

TRANSLATION_SETTINGS = Path("@jupyterlab") / "translation-extension" / "plugin.jupyterlab-settings"

# The learner's server is ``jupyterhub-singleuser`` run by this Python with work it does not need left out of its start
# (20 learners logging in at once on 2 cores wait for each other's starts; one start took ~2.4 s of CPU, now ~1.3 s):
# * the ``rfc3987_syntax`` import is blocked: jsonschema (imported by jupyter_server's event logger) imports it for its
#   optional "iri" format checks, and it builds a lark grammar as it is imported (~1 s). No Jupyter schema uses the
#   "iri" formats; jsonschema goes on without them when the import fails (as the grading workers do).
# * JupyterLab reads yarn's configuration by running Node.js as it is imported and again when the page checks for a
#   build (~0.3 s of CPU each), only to know the npm registry for building JupyterLab. A learner cannot build it (the
#   hub's environment is not theirs to change): JupyterLab gets the answer it gets on a machine without Node.js.
# (``make start`` starts the learner's own JupyterLab with the same preamble: graders/start.py.)
SERVER_PREAMBLE = ("import sys; sys.modules['rfc3987_syntax'] = None; import jupyterlab.commands as _jlc; "
                   "_jlc._yarn_config = lambda logger: {'yarn config': {}, 'npm config': {}}; ")
SERVER_BOOT = (SERVER_PREAMBLE + "sys.argv[0] = 'jupyterhub-singleuser'; from jupyterhub.singleuser import main; "
               "sys.exit(main())")
# Added after the hub's arguments:
# * nbgrader's assignment list and validate extensions are loaded on first use (graders/hub/lazy_nbgrader.py: the same
#   routes and nbgrader's own handlers; not imported at every login);
# * jupyter_lsp does not look for language servers at start (it runs ``npm prefix -g`` and probes 19 known ones): none
#   is installed in the hub's environment, and JupyterLab's language-server support is off unless a person turns it on.
SERVER_ARGS = ["--ServerApp.jpserver_extensions=graders.hub.lazy_nbgrader=True",
               "--ServerApp.jpserver_extensions=nbgrader.server_extensions.assignment_list=False",
               "--ServerApp.jpserver_extensions=nbgrader.server_extensions.validate_assignment=False",
               "--LanguageServerManager.autodetect=False"]
CSS_MARK = "/* digital-skills-hub: learners' JupyterLab */"
# nbgrader's Validate re-runs a notebook with fresh, private lab services, so its verdict can differ from the check
# cells' (hub/configure_env.py): the assignment list's per-notebook Validate button is hidden. JupyterLab loads this
# sheet only where LabApp.custom_css is on (learners; the instructor's config switches it off).
LEARNER_CSS = CSS_MARK + """
#fetched_assignments_list .nested_list_item .item_status button { display: none !important; }
""" + CSS_MARK.replace("*/", "end */") + "\n"


def jupyterlab_settings_dir() -> Path:
    env = os.environ.get("JUPYTERLAB_SETTINGS_DIR")
    return Path(env) if env else Path.home() / ".jupyter" / "lab" / "user-settings"


def apply_language(lang: str) -> bool:
    """Set the JupyterLab language when the hub's choice for this person is new; True when written."""
    settings = load_settings()
    path = jupyterlab_settings_dir() / TRANSLATION_SETTINGS
    if settings.get("hub_lang") == lang and path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    current = {}
    try:
        current = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = {}
    current["locale"] = JUPYTERLAB_LOCALES[lang]
    path.write_text(json.dumps(current, indent=2) + "\n", encoding="utf-8")
    save_settings({"lang": lang, "hub_lang": lang})
    return True


def write_learner_css() -> Path:
    """Put :data:`LEARNER_CSS` into JupyterLab's custom style sheet (``<config dir>/custom/custom.css``), keeping
    anything else the person wrote there; returns its path."""
    from jupyter_core.paths import jupyter_config_dir

    path = Path(jupyter_config_dir()) / "custom" / "custom.css"
    try:
        current = path.read_text(encoding="utf-8")
    except OSError:
        current = ""
    original = current
    end = CSS_MARK.replace("*/", "end */")
    if CSS_MARK in current and end in current:   # ours, from an earlier start: replace it (it may have changed)
        before, _, rest = current.partition(CSS_MARK)
        current = before + rest.partition(end)[2].lstrip("\n")
    text = current + ("" if not current or current.endswith("\n") else "\n") + LEARNER_CSS
    if text != original:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path


def apply_limits(environ=os.environ) -> dict[str, int]:
    """Per-process memory (RLIMIT_DATA: private writable memory, so big virtual reservations such as a browser's
    still work) and the number of processes; only ever lowered."""
    import resource

    applied = {}
    for name, key in (("GRADERS_MEM_LIMIT", resource.RLIMIT_DATA), ("GRADERS_MAX_PROCS", resource.RLIMIT_NPROC)):
        raw = environ.get(name, "").strip()
        if not raw.isdigit() or int(raw) <= 0:
            continue
        soft, hard = resource.getrlimit(key)
        value = int(raw) if hard == resource.RLIM_INFINITY else min(int(raw), hard)
        resource.setrlimit(key, (value, value))
        applied[name] = value
    return applied


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    os.umask(0o077)  # a learner's new files are theirs alone
    apply_limits()
    lang = normalize_language(os.environ.get("GRADERS_LANG")) or SOURCE_LANGUAGE
    os.environ["GRADERS_LANG"] = lang
    try:
        apply_language(lang)
    except OSError as exc:  # a full disk must not keep the learner out of their lab
        print(f"[graders.hub] could not save the language setting: {exc}", file=sys.stderr)
    try:
        write_learner_css()
    except OSError as exc:
        print(f"[graders.hub] could not write the learners' style sheet: {exc}", file=sys.stderr)
    from ..services.proxy import jupyter_environment

    os.environ.update(jupyter_environment())  # lab services through this JupyterLab's proxy (no doubled prefix)
    from ..desktop import environment as desktop_environment

    os.environ.update(desktop_environment(Path.home() / ".cache" / "digital-skills-labs" / "desktop"))
    cmd = [sys.executable, "-c", SERVER_BOOT, *argv, *SERVER_ARGS]   # jupyterhub-singleuser, quicker to start
    child = subprocess.Popen(cmd)

    def forward(signum, frame):
        if child.poll() is None:
            child.send_signal(signum)

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    try:
        code = child.wait()
    finally:
        from ..services import stop_all

        try:
            stop_all()
        except Exception as exc:  # noqa: BLE001 (never hide the server's own exit code)
            print(f"[graders.hub] stopping lab services: {exc}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
