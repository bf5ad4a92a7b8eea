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
        """The hub, its proxy and its services (all started in the hub's own session)."""
        if self.proc is None:
            return []
        out = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.getsid(int(entry.name)) == self.proc.pid:
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
