"""A throw-away class hub on 127.0.0.1, for tests and benchmarks (and for trying the hub out): its own state folder,
its own homes, its own people, free ports; :meth:`LocalHub.stop` stops it and :meth:`LocalHub.remove` removes every
Unix user it made. Needs root and the hub's environment (``hub/install.sh``)."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from ..services.base import free_port
from .roster import HubState, Member, add_class, remove_members, unix_user, user_pids

GRADERS = [sys.executable, "-m", "graders"]


@dataclass
class Person:
    username: str
    password: str
    lang: str
    role: str = "learner"
    name: str = ""


@dataclass
class LocalHub:
    people: list[Person]
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="dsh-", dir="/tmp")))
    hub_env: Path = Path("/opt/digital-skills-hub/venv")
    idle_timeout: int = 3600
    proc: subprocess.Popen | None = None
    _sessions: set = field(default_factory=set, repr=False)

    def __post_init__(self):
        os.chmod(self.root, 0o755)  # learners must reach the exchange inside it
        self.state = HubState(self.root / "state")
        self.home_base = self.root / "home"
        self.port = free_port()
        self.hub_port = free_port()
        self.proxy_api_port = free_port()

    @staticmethod
    def suffix() -> str:
        return secrets.token_hex(2)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def person(self, username: str) -> Person:
        return next(p for p in self.people if p.username == username)

    def home(self, username: str) -> Path:
        return self.home_base / username

    # --- set up ------------------------------------------------------------------------------------------------------
    def add_people(self, build=None) -> None:
        self.state.ensure_layout()
        self.state.save_settings({"home_base": str(self.home_base)})
        members = [Member(p.username, p.name or p.username, p.lang, p.role) for p in self.people]
        add_class(self.state, members, {p.username: p.password for p in self.people}, build=build)

    def start(self, timeout: float = 60.0) -> "LocalHub":
        log = open(self.root / "start.log", "ab")
        cmd = [*GRADERS, "hub", "start", "--state", str(self.state.root), "--port", str(self.port),
               "--hub-port", str(self.hub_port), "--proxy-api-port", str(self.proxy_api_port),
               "--home-base", str(self.home_base), "--hub-env", str(self.hub_env),
               "--idle-timeout", str(self.idle_timeout), "--log-to-file"]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub stopped at once; see {self.root / 'start.log'} and {self.log_path}")
            try:
                self.api("GET", "/")
                return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        raise RuntimeError(f"the hub did not answer within {timeout:.0f} s; see {self.log_path}")

    @property
    def log_path(self) -> Path:
        return self.state.hub_dir / "hub.log"

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None, timeout: float = 30.0):
        req = urllib.request.Request(
            f"{self.url}/hub/api{path}", method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"token {token or self.state.api_token('admin')}"})
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (loopback only)
            data = r.read()
        return json.loads(data) if data else None

    # --- tear down ---------------------------------------------------------------------------------------------------
    def hub_pids(self) -> list[int]:
        """The hub, its proxy and its services, and the learners' servers while the hub runs them. ``graders hub
        start`` runs JupyterHub in a session of its own, and JupyterHub starts the proxy and the servers in theirs:
        the sessions of everything below ``graders hub start`` are noted while it runs, so that what is left of them
        is still found after it has ended."""
        if self.proc is None:
            return []
        if self.proc.poll() is None:
            for pid in [self.proc.pid, *_descendants(self.proc.pid)]:
                try:
                    self._sessions.add(os.getsid(pid))
                except (ProcessLookupError, PermissionError):
                    continue
        out = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getsid(int(entry.name)) in self._sessions and not _zombie(entry):
                        out.append(int(entry.name))
                except (ProcessLookupError, PermissionError):
                    continue
        return out

    def people_pids(self) -> dict[str, list[int]]:
        out = {}
        for p in self.people:
            entry = unix_user(p.username)
            if entry is not None:
                pids = user_pids(entry.pw_uid)
                if pids:
                    out[p.username] = pids
        return out

    def stop(self, timeout: float = 90.0) -> int | None:
        """SIGTERM to ``graders hub start`` (as Ctrl+C would): JupyterHub stops every server, the proxy, the culler."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.hub_pids()   # notes the sessions of the hub's processes (see hub_pids) before they are asked to stop
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            for pid in self.hub_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            return self.proc.wait(10)

    def remove(self) -> None:
        """Remove every Unix user this hub made, their homes, and the hub's folder."""
        remove_members(self.state, [p.username for p in self.people if unix_user(p.username) is not None])
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "LocalHub":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self.remove()


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children ...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _zombie(proc_entry: Path) -> bool:
    """An ended process not yet reaped (in a container whose first process does not reap orphans, it stays so): it
    runs nothing and holds nothing but its process number."""
    try:
        stat = (proc_entry / "stat").read_text()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2:].split()[0] == "Z"

