"""The robot's toolbox: one line to open a browser, the robot's settings, and small helpers.

A learner's robot starts like this::

    from labs.rpa.kit import open_browser, robot_config

    config = robot_config()              # where the order system is, and the robot's user name and password
    with open_browser() as page:         # Debian's Chromium through Playwright, headless unless you ask to see it
        page.goto(config.app_url + "/login")

Settings never live in the robot's code: ``robot_config()`` reads them from environment variables (``RPA_APP_URL``,
``RPA_APP_USER``, ``RPA_APP_PASSWORD``, ``RPA_SMTP_HOST``, ``RPA_SMTP_PORT``, ``RPA_REPORT_TO``), which is how the
grader hands a robot its own practice company, or else from the practice company this workspace runs. Commercial RPA
tools do the same with their "assets", "credentials" or "vault".
"""
from __future__ import annotations

import contextlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = os.environ.get("RPA_CHROMIUM", "/usr/bin/chromium")
# Nothing the browser does may leave this computer: no background updates, no sync, no metrics ...
QUIET_FLAGS = [
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--disable-breakpad",
    "--metrics-recording-only", "--no-first-run", "--no-default-browser-check", "--no-pings",
]
# Every address that is not on this computer goes to this proxy, which does not exist (port 9, "discard"): such a
# request fails at once, on this computer. Tests point it at a listener of their own to prove it.
BLOCKING_PROXY = "http://127.0.0.1:9"
DEFAULT_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class RobotConfig:
    app_url: str
    user: str
    password: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 0
    report_to: str = "keiri@midori-bungu.example"
    sender: str = "robot@midori-bungu.example"

    def __repr__(self) -> str:  # never print the password
        return (f"RobotConfig(app_url={self.app_url!r}, user={self.user!r}, password='***', "
                f"smtp={self.smtp_host}:{self.smtp_port}, report_to={self.report_to!r})")


def robot_config() -> RobotConfig:
    """The robot's settings: from ``RPA_*`` environment variables, else from this workspace's practice company."""
    env = os.environ
    if env.get("RPA_APP_URL"):
        return RobotConfig(env["RPA_APP_URL"].rstrip("/"), env.get("RPA_APP_USER", ""), env.get("RPA_APP_PASSWORD", ""),
                           env.get("RPA_SMTP_HOST", "127.0.0.1"), int(env.get("RPA_SMTP_PORT", "0") or 0),
                           env.get("RPA_REPORT_TO", RobotConfig.report_to), env.get("RPA_SENDER", RobotConfig.sender))
    from graders.services import connect

    app = connect("rpa_app")
    try:
        mail = connect("rpa_mail")
        smtp_host, smtp_port = mail.info.get("smtp_host", "127.0.0.1"), int(mail.info.get("smtp_port", 0))
    except Exception:  # the report notebook needs the mail server; the others do not
        smtp_host, smtp_port = "127.0.0.1", 0
    return RobotConfig(app.url.rstrip("/"), app.info.get("user", ""), app.info.get("password", ""), smtp_host,
                       smtp_port, app.info.get("report_to", RobotConfig.report_to))


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@contextlib.contextmanager
def open_browser(visible: bool | None = None, slow_mo: int = 0, timeout_ms: int | None = None):
    """A Chromium page for the robot; closes everything when the ``with`` block ends.

    ``visible=True`` shows the window (on a computer with a screen) and ``slow_mo=500`` slows every step down by half a
    second so you can follow it. The environment can force either: ``RPA_VISIBLE=1`` or ``RPA_HEADLESS=1`` (the
    grader always runs headless)."""
    from playwright.sync_api import sync_playwright

    if os.environ.get("RPA_HEADLESS") == "1":
        visible = False
    elif visible is None:
        visible = os.environ.get("RPA_VISIBLE") == "1"
    if visible and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        visible = False   # no screen here (a server, a hub): run headless instead of failing
    proxy = os.environ.get("RPA_BLOCKING_PROXY", BLOCKING_PROXY)
    args = QUIET_FLAGS + [f"--proxy-server={proxy}", "--proxy-bypass-list=127.0.0.1;localhost;[::1]"]
    if _as_root():
        args.append("--no-sandbox")   # Chromium refuses to run its sandbox as root
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=not visible, args=args, slow_mo=slow_mo)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True,
                                          timezone_id="Asia/Tokyo")
            page = context.new_page()
            page.set_default_timeout(timeout_ms or int(os.environ.get("RPA_TIMEOUT_MS", DEFAULT_TIMEOUT_MS)))
            yield page
        finally:
            browser.close()


def in_browser(steps, visible: bool | None = None, slow_mo: int = 0):
    """Run ``steps(page)`` in a fresh browser and give back what it returns: for trying things out in a notebook.

    A notebook's kernel runs an event loop of its own, and Playwright's simple (sync) API cannot run inside it, so the
    browser runs in a helper thread here. Robots saved as files use ``open_browser`` directly."""
    import threading

    outcome: dict = {}

    def worker():
        try:
            with open_browser(visible=visible, slow_mo=slow_mo) as page:
                outcome["value"] = steps(page)
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=worker, name="rpa-browser", daemon=True)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def run_robot(script: str, visible: bool = False, timeout: float = 600) -> None:
    """Run a robot file the way the checks do: as its own program, in this folder, with this Python. Prints what
    the robot prints while it runs, then whether it ended well."""
    import subprocess
    import sys
    import time

    from graders.i18n import resolve_language

    from .checks import M_

    lang = resolve_language()
    if not Path(script).exists():
        print(M_("rpa.kit.no_robot", "There is no {file} in this folder yet. Run the cell with %%writefile {file} first.").render(lang, file=script))
        return
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    if visible:
        env["RPA_VISIBLE"] = "1"
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, encoding="utf-8", errors="replace", env=env,
                            start_new_session=True)
    try:
        for line in proc.stdout:
            print(line, end="")
            if time.monotonic() - start > timeout:
                proc.kill()
        code = proc.wait(timeout=max(1, timeout - (time.monotonic() - start)))
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
    except KeyboardInterrupt:   # the notebook's stop button
        proc.kill()
        proc.wait()
        raise
    seconds = time.monotonic() - start
    if code == 0:
        print(M_("rpa.kit.finished", "✔ {file} finished in {seconds} s.").render(lang, file=script, seconds=f"{seconds:.1f}"))
    else:
        print(M_("rpa.kit.failed", "✘ {file} stopped with an error (exit code {code}) after {seconds} s. Read the last lines above: they say what went wrong and on which line.").render(
            lang, file=script, code=code, seconds=f"{seconds:.1f}"))


def pdf_text(path) -> str:
    """All the text of a PDF, tidied: Japanese PDFs often hold look-alike characters (⽇ for 日), which NFKC turns
    back into the ordinary ones. Raises an error for a file that is not a readable PDF."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return unicodedata.normalize("NFKC", text)


def show(page, width: int = 700):
    """Show what the robot's browser sees, as a picture in the notebook."""
    from IPython.display import Image

    return Image(data=page.screenshot(), width=width)


def out_dir(*parts: str) -> Path:
    """``output/<parts>`` next to the robot, created if missing."""
    folder = Path("output", *parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def reset_inbox(folder: str | Path = ".") -> str:
    """Put the practice invoices back into ``inbox/`` so the file robot can run again. Nothing is deleted: an existing
    ``sorted/`` folder is renamed ``sorted_old_1`` (``_2`` ...), and only missing invoices are copied back."""
    from .datafiles import DATA_DIR

    folder = Path(folder)
    sorted_dir = folder / "sorted"
    note = ""
    if sorted_dir.exists():
        n = 1
        while (folder / f"sorted_old_{n}").exists():
            n += 1
        sorted_dir.rename(folder / f"sorted_old_{n}")
        note = f"sorted/ -> sorted_old_{n}/; "
    inbox = folder / "inbox"
    inbox.mkdir(exist_ok=True)
    copied = 0
    for original in sorted((DATA_DIR / "inbox").iterdir()):
        if not (inbox / original.name).exists():
            (inbox / original.name).write_bytes(original.read_bytes())
            copied += 1
    return f"{note}{copied} file(s) copied back into inbox/"
