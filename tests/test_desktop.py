"""The desktop in the browser (issue 18): JupyterLab's launcher entry /desktop/ (jupyter-remote-desktop-proxy) starts
TigerVNC with Xfce through graders.desktop's session; LibreOffice Calc opens a workbook with a Japanese and a
Cyrillic cell in the learner's language; when JupyterLab stops, nothing of the desktop keeps running.

The screenshots go to test-artifacts/desktop-calc-uk.png and -ja.png (look at it after a change)."""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from graders import desktop
from graders.services.base import free_port

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("desktop"),
    pytest.mark.skipif(not desktop.available() or not shutil.which("soffice"),
                       reason="the desktop's Debian packages (apt.txt) are not installed"),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]

JA, UK = "売上合計", "Загальна сума"


def procs_with(mark: str) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose environment carries ``mark``."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if mark.encode() not in f.read():
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
            with open(f"/proc/{entry}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
        except OSError:
            continue
        out.append((int(entry), cmd))
    return out


def environ_of(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/environ", "rb") as f:
        pairs = [item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode(errors="replace") for k, v in pairs}


def make_workbook(path: Path) -> None:
    """A small .ods with a Japanese and a Cyrillic cell (made with openpyxl, converted by LibreOffice)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from graders.spreadsheet import convert

    wb = Workbook()
    ws = wb.active
    ws.title = "Sales"
    ws["A1"], ws["B1"] = JA, 12800
    ws["A2"], ws["B2"] = UK, 9600
    for cell in ("A1", "A2", "B1", "B2"):
        ws[cell].font = Font(size=20)
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 14
    xlsx = path.with_suffix(".xlsx")
    wb.save(xlsx)
    convert(xlsx, "ods", path.parent)
    xlsx.unlink()
    assert path.exists()


@pytest.fixture(params=["uk", "ja"])
def jupyterlab(request, tmp_path):
    """JupyterLab as ``graders start`` runs it (its environment, its command), on 127.0.0.1, in the learner's
    language (Ukrainian, Japanese)."""
    from graders.start import jupyter_command, jupyterlab_environment

    workspace = tmp_path / "workspace"
    (workspace / ".graders").mkdir(parents=True)
    make_workbook(workspace / "prices.ods")
    port, token, mark = free_port(), secrets.token_hex(8), f"DESKTOP_TEST_{secrets.token_hex(6)}"
    env = jupyterlab_environment(workspace, request.param, True)
    env[mark] = "1"
    home = tmp_path / "home"   # a learner's home of its own: LibreOffice's profile starts fresh in each test
    for var, rel in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"),
                     ("XDG_DATA_HOME", ".local/share")):
        (home / rel).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / rel)
    log = open(tmp_path / "jupyterlab.log", "wb")
    proc = subprocess.Popen(jupyter_command(workspace, port, False, token), env=env, cwd=workspace,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "jupyterlab.log").read_text(errors="replace")[-3000:])
            time.sleep(0.3)
    info = {"url": url, "token": token, "workspace": workspace, "mark": mark, "proc": proc, "home": home,
            "lang": request.param}
    try:
        yield info
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()
        deadline = time.monotonic() + 15
        while procs_with(mark) and time.monotonic() < deadline:
            time.sleep(0.3)
        for pid, _ in procs_with(mark):   # never leave a desktop behind, even when the test failed
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def window_names(display: str, env: dict[str, str]) -> str:
    return subprocess.run(["xwininfo", "-root", "-tree", "-display", display], capture_output=True, text=True,
                          env=env, timeout=10).stdout


def test_desktop_opens_calc_in_the_learners_language_and_closes_cleanly(jupyterlab, artifacts):
    from playwright.sync_api import sync_playwright

    mark, ws, lang = jupyterlab["mark"], jupyterlab["workspace"], jupyterlab["lang"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1680, "height": 1050})
            # The launcher's Desktop card is the proxy's entry (served by jupyter-remote-desktop-proxy).
            info = json.load(urllib.request.urlopen(
                f"{jupyterlab['url']}/server-proxy/servers-info?token={jupyterlab['token']}", timeout=10))
            entries = {s["name"]: s for s in info["server_processes"]}
            assert entries["desktop-websockify"]["launcher_entry"]["path_info"] == "desktop", entries
            page.goto(f"{jupyterlab['url']}/desktop/?token={jupyterlab['token']}")
            # The desktop session: Xfce, our session supervisor, the workspace in the file manager.
            session = wait_for(lambda: [pid for pid, cmd in procs_with(mark) if cmd.endswith("xfce4-session")],
                               60, "xfce4-session on the VNC display")[0]
            env = environ_of(session)
            assert env["LANGUAGE"] == lang and env["GRADERS_DESKTOP"]
            display = env["DISPLAY"]
            # No ssh-agent or gpg-agent: they leave the session, and on the hub they outlived the desktop.
            time.sleep(2)
            agents = [cmd for pid, cmd in procs_with(mark) if re.search(r"\b(ssh|gpg)-agent\b", cmd)]
            assert agents == [], agents
            # (Thunar may hand the folder to Xfce's Thunar daemon and exit: look for its window, not its process)
            wait_for(lambda: re.search(r'"workspace - Thunar"', window_names(display, env)), 30,
                     "the file manager's window on the workspace folder")
            # The learner double-clicks the workbook: Calc opens it on the desktop, with the desktop's settings.
            calc = subprocess.Popen(["soffice", "--calc", str(ws / "prices.ods")], env=env, cwd=ws,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for(lambda: "prices.ods" in window_names(display, env), 90, "Calc's window with prices.ods")
            xcu = jupyterlab["home"] / ".config" / "libreoffice" / "4" / "user" / "registrymodifications.xcu"
            text = xcu.read_text(encoding="utf-8")
            assert re.search(r'"ShowTipOfTheDay".*?<value>false</value>', text)
            assert re.search(rf'"UILocale".*?<value>{lang}</value>', text)
            names = window_names(display, env)
            assert "LibreOffice Calc" in names, names
            # Calc's window has no Tip of the Day dialog; give it time to draw, then look.
            time.sleep(6)
            canvas = page.locator("canvas").first
            canvas.wait_for(timeout=20000)
            shot = artifacts / f"desktop-calc-{lang}.png"
            page.screenshot(path=str(shot))
            assert shot.stat().st_size > 20000
            names = window_names(display, env)
            assert not any(tip in names for tip in ("Tip of the Day", "Порада дня", "今日のヒント")), names
            assert calc.poll() is None or calc.returncode == 0
        finally:
            browser.close()
    # Closing: stopping JupyterLab stops the VNC server, Xfce and every helper the desktop started.
    proc = jupyterlab["proc"]
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    left = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        left = [(pid, cmd) for pid, cmd in procs_with(mark)]
        if not left:
            break
        time.sleep(0.3)
    assert not left, f"the desktop left processes behind: {left}"
    try:
        calc.wait(5)
    except subprocess.TimeoutExpired:
        calc.kill()


def test_the_profile_keeps_the_learners_own_settings_and_sets_ours(tmp_path):
    """LibreOffice settings are merged: what the learner changed stays; ours (language, no tips, recompute) win."""
    profile = tmp_path / "4"
    xcu = desktop.write_profile(profile, "ja")
    text = xcu.read_text(encoding="utf-8")
    assert re.search(r'"UILocale".*?<value>ja</value>', text) and '"OOXMLRecalcMode"' in text
    own = '<item oor:path="/org.openoffice.Office.Common/Save/Document"><prop oor:name="AutoSave" oor:op="fuse"><value>true</value></prop></item>'
    xcu.write_text(text.replace("</oor:items>", own + "\n</oor:items>"), encoding="utf-8")
    text = desktop.write_profile(profile, "uk").read_text(encoding="utf-8")
    assert own in text
    assert text.count('"UILocale"') == 1 and re.search(r'"UILocale".*?<value>uk</value>', text)
    assert text.count('"ShowTipOfTheDay"') == 1


def test_the_hubs_learner_server_gets_the_desktop_too(tmp_path, monkeypatch):
    """graders.hub.singleuser (what the hub spawns for a learner) points jupyter-remote-desktop-proxy at our session."""
    from graders.hub import singleuser

    started = {}

    class FakeServer:
        def __init__(self, cmd, *a, **k):
            started["cmd"], started["env"] = cmd, dict(os.environ)

        def wait(self):
            return 0

        def poll(self):
            return 0

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GRADERS_LANG", "uk")
    monkeypatch.delenv(desktop.XSTARTUP_VAR, raising=False)
    monkeypatch.setattr(singleuser.subprocess, "Popen", FakeServer)
    monkeypatch.setattr(signal, "signal", lambda *a: None)
    monkeypatch.setattr(os, "umask", lambda mask: 0o022)
    saved = dict(os.environ)   # main() sets the server's variables in this process: put them back afterwards
    try:
        assert singleuser.main([]) == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
    script = Path(started["env"][desktop.XSTARTUP_VAR])
    assert script.is_file() and os.access(script, os.X_OK) and str(script).startswith(str(tmp_path))
    assert "-m graders.desktop session" in script.read_text()
