"""The learner's desktop in the browser: Xfce and LibreOffice on a TigerVNC display, opened from JupyterLab's
launcher (``/desktop/``, jupyter-remote-desktop-proxy).

jupyter-remote-desktop-proxy starts ``vncserver -xstartup SCRIPT``; :func:`environment` writes that script and gives
the variable that points the proxy at it (``graders start`` and the hub's single-user wrapper put it into
JupyterLab's environment). The script runs :func:`session` (``python -m graders.desktop session``), which

* sets the desktop's language from ``$GRADERS_LANG`` (Xfce through ``LANGUAGE``, which works without generated
  locales; LibreOffice through its profile's UI language, from the ``libreoffice-l10n-*`` packages);
* prepares the learner's LibreOffice profile: no Tip of the Day, no release-notes bar, and workbooks from Excel or
  Google Sheets recomputed on load (their saved values may be stale);
* opens the workspace folder (``$GRADERS_WORKSPACE``, else JupyterLab's folder) in the file manager;
* runs its own session bus and, when the display goes away, stops every process the desktop started (Xfce's helpers
  such as xfconfd or an ssh-agent would otherwise outlive JupyterLab).
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

XSTARTUP_VAR = "JUPYTER_REMOTE_DESKTOP_PROXY_XSTARTUP"
# The Debian packages the desktop needs (apt.txt lists them): the VNC server and Xfce.
REQUIRED_COMMANDS = ("vncserver", "xfce4-session", "dbus-daemon")
# LibreOffice's name for each learner language (its UI needs the libreoffice-l10n-uk / -ja packages).
LIBREOFFICE_LOCALES = {"en": "en-US", "uk": "uk", "ja": "ja"}
REGISTRY_NS = "http://openoffice.org/2001/registry"


def available() -> bool:
    """Whether this machine has what the desktop needs (the README's install puts it there)."""
    return all(shutil.which(cmd) for cmd in REQUIRED_COMMANDS)


def libreoffice_version() -> str:
    """LibreOffice's major.minor (e.g. "7.4"), from Debian's package database; "" when unknown."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "libreoffice-core"], capture_output=True,
                             text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    match = re.match(r"(?:\d+:)?(\d+)\.(\d+)", out)
    return f"{match.group(1)}.{match.group(2)}" if match else ""


def profile_settings(lang: str | None = None, recalc: bool = True) -> dict[tuple[str, str], tuple[str, str]]:
    """LibreOffice settings as (node path, property) -> (type, value), for a profile's registrymodifications.xcu."""
    settings: dict[tuple[str, str], tuple[str, str]] = {
        ("/org.openoffice.Office.Common/Misc", "ShowTipOfTheDay"): ("xs:boolean", "false"),
        ("/org.openoffice.Office.Common/Misc", "FirstRun"): ("xs:boolean", "false"),
        # Never ask to send crash reports or to update (no network here).
        ("/org.openoffice.Office.Common/Misc", "CrashReport"): ("xs:boolean", "false"),
        ("/org.openoffice.Office.Jobs/Jobs/org.openoffice.Office.Jobs:Job['UpdateCheck']/Arguments", "AutoCheckEnabled"):
            ("xs:boolean", "false"),
    }
    version = libreoffice_version()
    if version:  # no "what's new" bar on the first start
        settings[("/org.openoffice.Setup/Product", "ooSetupLastVersion")] = ("xs:string", version)
    if recalc:   # 0 = always recompute on load: a workbook saved by Excel or Google Sheets may carry stale values
        settings[("/org.openoffice.Office.Calc/Formula/Load", "OOXMLRecalcMode")] = ("xs:int", "0")
        settings[("/org.openoffice.Office.Calc/Formula/Load", "ODFRecalcMode")] = ("xs:int", "0")
    if lang:
        settings[("/org.openoffice.Office.Linguistic/General", "UILocale")] = ("xs:string", LIBREOFFICE_LOCALES.get(lang, "en-US"))
    return settings


def _item(path: str, name: str, kind: str, value: str) -> str:
    return (f'<item oor:path="{escape(path, {chr(34): "&quot;"})}"><prop oor:name="{name}" oor:op="fuse" '
            f'oor:type="{kind}"><value>{escape(value)}</value></prop></item>')


def write_profile(profile: Path, lang: str | None = None, recalc: bool = True) -> Path:
    """Create or update ``profile/user/registrymodifications.xcu`` with :func:`profile_settings`. Settings the
    learner changed themselves (anything else in the file) are kept; ours replace only their own entries."""
    xcu = profile / "user" / "registrymodifications.xcu"
    xcu.parent.mkdir(parents=True, exist_ok=True)
    settings = profile_settings(lang, recalc)
    kept: list[str] = []
    if xcu.exists():
        text = xcu.read_text(encoding="utf-8", errors="replace")
        for item in re.findall(r"<item\b.*?</item>", text, flags=re.S):
            m = re.search(r'oor:path="([^"]*)".*?<prop oor:name="([^"]*)"', item, flags=re.S)
            path = (m.group(1).replace("&quot;", '"').replace("&apos;", "'") if m else "")
            if m and (path, m.group(2)) in settings:
                continue
            kept.append(item)
    items = kept + [_item(path, name, kind, value) for (path, name), (kind, value) in settings.items()]
    xcu.write_text('<?xml version="1.0" encoding="UTF-8"?>\n'
                   f'<oor:items xmlns:oor="{REGISTRY_NS}" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                   'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n' + "\n".join(items) + "\n</oor:items>\n",
                   encoding="utf-8")
    return xcu


def learner_profile() -> Path:
    """The learner's own LibreOffice profile (what Calc on the desktop uses)."""
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "libreoffice" / "4"


def environment(state_dir: Path) -> dict[str, str]:
    """Environment for JupyterLab so that its Desktop runs :func:`session`: writes the xstartup script into
    ``state_dir`` (it names this Python, so it works from any environment) and returns the variable pointing to it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    script = state_dir / "xstartup"
    text = ("#!/bin/sh\n# The learner's desktop (graders.desktop): written by graders, rewritten at each start.\n"
            f"exec {shlex.quote(sys.executable)} -m graders.desktop session\n")
    if not script.exists() or script.read_text() != text:
        script.write_text(text)
    script.chmod(0o755)
    return {XSTARTUP_VAR: str(script)}


# Xfce's session starts an ssh-agent and a gpg-agent by default. A learner's desktop needs neither, and both leave
# the session: on the class hub, whose spawner stops the learner's server by signals to JupyterLab alone, they
# outlived the desktop. These defaults sit in a system-level config folder of ours, placed first in
# XDG_CONFIG_DIRS (xfconf reads every such folder, then the learner's own ~/.config, which still wins).
XFCE_SESSION_DEFAULTS = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by graders.desktop at each desktop start: the learner's desktop starts no ssh-agent or gpg-agent. -->
<channel name="xfce4-session" version="1.0">
  <property name="startup" type="empty">
    <property name="ssh-agent" type="empty">
      <property name="enabled" type="bool" value="false"/>
    </property>
    <property name="gpg-agent" type="empty">
      <property name="enabled" type="bool" value="false"/>
    </property>
  </property>
</channel>
"""


def write_xfce_defaults(folder: Path) -> Path:
    """Write the desktop's Xfce defaults under ``folder`` (an XDG config dir) and return ``folder``."""
    channel = folder / "xfce4" / "xfconf" / "xfce-perchannel-xml" / "xfce4-session.xml"
    channel.parent.mkdir(parents=True, exist_ok=True)
    if not channel.exists() or channel.read_text(encoding="utf-8") != XFCE_SESSION_DEFAULTS:
        channel.write_text(XFCE_SESSION_DEFAULTS, encoding="utf-8")
    return folder


def session_environment(lang: str) -> dict[str, str]:
    env = dict(os.environ)
    # Xfce's own translations follow LANGUAGE; C.UTF-8 is always there (no locale needs generating).
    env["LANGUAGE"] = {"en": "en", "uk": "uk", "ja": "ja"}.get(lang, "en")
    if env.get("LANG", "C") in ("", "C", "POSIX"):
        env["LANG"] = "C.UTF-8"
    env.pop("LC_ALL", None)
    env.pop("SESSION_MANAGER", None)
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    try:
        ours = write_xfce_defaults(config / "digital-skills-labs" / "desktop-xdg")
        env["XDG_CONFIG_DIRS"] = f"{ours}:{os.environ.get('XDG_CONFIG_DIRS') or '/etc/xdg'}"
    except OSError as exc:   # a full disk must not keep the learner off the desktop
        print(f"[graders.desktop] Xfce defaults not written: {exc}", file=sys.stderr)
    return env


def _session_members(sid: int, tag: bytes) -> list[int]:
    """Processes of session ``sid`` and those whose environment carries ``tag`` (daemons such as ssh-agent and
    gpg-agent leave the session but keep the environment they were started with), this one excepted."""
    me, pids = os.getpid(), []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if fields[0] == b"Z":   # fields after "(comm)": state, ppid, pgrp, session
                continue
            if int(fields[3]) != sid:
                if not tag:
                    continue
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if tag not in f.read().split(b"\0"):
                        continue
        except (OSError, ValueError):
            continue
        pids.append(int(entry))
    return pids


def stop_session_members(sid: int, tag: str, grace: float = 3.0) -> None:
    """SIGTERM, then SIGKILL, every process the desktop started (:func:`_session_members`)."""
    raw = tag.encode()
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 1.0)):
        pids = _session_members(sid, raw)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.monotonic() + wait
        while _session_members(sid, raw) and time.monotonic() < deadline:
            time.sleep(0.1)


def _start_time(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] == b"Z" else fields[19].decode()   # field 22 of stat: start time


def ancestors() -> dict[int, str]:
    """pid -> start time of each process above this one (vncserver, the proxy's shell, JupyterLab ...)."""
    out, pid = {}, os.getppid()
    while pid > 1:
        start = _start_time(pid)
        if start is None:
            break
        out[pid] = start
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                pid = int(f.read().rsplit(b")", 1)[1].split()[1])
        except OSError:
            break
    return out


def x_server_pid(display: str) -> int | None:
    """The X server's pid from its lock file (/tmp/.X1-lock for DISPLAY=:1)."""
    match = re.match(r"^[^:]*:(\d+)", display or "")
    try:
        return int(Path(f"/tmp/.X{match.group(1)}-lock").read_text().strip()) if match else None
    except (OSError, ValueError):
        return None


def session() -> int:
    """The desktop session (run by vncserver as its xstartup, with $DISPLAY set)."""
    try:
        os.setsid()   # everything the desktop starts stays in this session, so it can all be stopped at the end
    except OSError:
        pass
    sid = os.getsid(0)
    above = ancestors()
    lang = os.environ.get("GRADERS_LANG", "en")
    workspace = Path(os.environ.get("GRADERS_WORKSPACE") or os.getcwd())
    env = session_environment(lang)
    try:
        write_profile(learner_profile(), lang)
    except OSError as exc:   # a full disk must not keep the learner off the desktop
        print(f"[graders.desktop] LibreOffice settings not written: {exc}", file=sys.stderr)
    # A session bus of our own (not dbus-launch, whose daemon leaves this session and outlives the desktop).
    tag = ""
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1",
                            "--address=unix:tmpdir=/tmp"], stdout=subprocess.PIPE, env=env, text=True)
    address = bus.stdout.readline().strip()
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    env["GRADERS_DESKTOP"] = f"{os.getpid()}-{time.time_ns()}"   # marks what this desktop started
    tag = f"GRADERS_DESKTOP={env['GRADERS_DESKTOP']}"

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    code = 0
    try:
        xfce = subprocess.Popen(["xfce4-session"], env=env, cwd=str(Path.home()))
        time.sleep(1.5)   # the file manager after the session's daemon (Thunar then joins it)
        if workspace.is_dir() and shutil.which("thunar"):
            subprocess.Popen(["thunar", str(workspace)], env=env, cwd=str(workspace),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # jupyter-server-proxy does not stop the VNC server when JupyterLab ends: watch the processes above us
        # (vncserver, the proxy's shell, JupyterLab) and end the desktop, X server included, when one of them goes.
        while xfce.poll() is None:
            if any(_start_time(pid) != start for pid, start in above.items()):
                break
            time.sleep(1.0)
        code = xfce.returncode or 0
    except KeyboardInterrupt:
        pass
    finally:
        stop_session_members(sid, tag)
        if bus.poll() is None:
            bus.kill()
        server = x_server_pid(os.environ.get("DISPLAY", ""))
        if server and any(_start_time(pid) != start for pid, start in above.items()):
            try:   # the display goes too; vncserver (run with -fg) then ends by itself
                os.kill(server, signal.SIGTERM)
            except OSError:
                pass
    return code


if __name__ == "__main__":
    if sys.argv[1:2] == ["session"]:
        sys.exit(session())
    print("usage: python -m graders.desktop session   (run by the desktop's vncserver)", file=sys.stderr)
    sys.exit(2)
