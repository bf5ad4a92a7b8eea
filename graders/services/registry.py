"""How a notebook (and a check) reaches the local servers its lab needs.

A lab lists them in ``lab.toml`` (``services = ["moto"]``); each is a module ``graders.services.<name>`` with a
``SERVICE`` class of the one shape in :mod:`graders.services.base`. ``Lab(...)`` calls :func:`connect` for each, and
puts the handle in ``lab.context[name]``. :func:`connect` looks, in this order, for:

1. ``$GRADERS_SERVICE_<NAME>``: a URL (or a JSON object with ``url`` and more) given by whoever runs the notebook:
   the grader (one fresh server per submission), the test harness, the class hub. Nothing is started.
2. A server this workspace started earlier that still answers (``.graders/services/<name>.json``): reused, so the
   learner's state (their AWS resources, their orders) survives a kernel restart.
3. Otherwise it starts one for this workspace, detached from the kernel (``python -m graders.services.run``),
   records it, and waits until it answers. ``graders start`` stops them when JupyterLab stops.

With ``private=True`` (``Lab`` asks for it while nbgrader runs the notebook and no service is given) step 2 and 3
become: start a fresh one inside this process, shared with no one, gone when the process ends. So plain
``nbgrader autograde`` never mixes two learners' state.

Every server listens on 127.0.0.1 only.
"""
from __future__ import annotations

import atexit
import importlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..settings import state_dir
from .base import ServiceError, http_ok, wait_until


@dataclass
class ServiceHandle:
    """What a notebook and a check know about a running service."""

    name: str
    url: str
    info: dict[str, Any] = field(default_factory=dict)   # service-specific: an API token, a data folder ...
    owned: bool = False                                  # started by this workspace (and stopped with it)

    def __getitem__(self, key: str) -> Any:
        return self.info[key]

    def to_env(self) -> str:
        """The value for ``$GRADERS_SERVICE_<NAME>`` that hands this service to another process."""
        return json.dumps({"url": self.url, **self.info})


def env_name(name: str) -> str:
    return "GRADERS_SERVICE_" + name.upper().replace("-", "_")


def service_class(name: str, module: str | None = None):
    mod = importlib.import_module(module or f"graders.services.{name}")
    cls = getattr(mod, "SERVICE", None)
    if cls is None:
        raise ServiceError(f"{mod.__name__} has no SERVICE class")
    return cls


def services_dir(workspace: Path | None = None) -> Path:
    return (Path(workspace) / ".graders" if workspace else state_dir()) / "services"


def _from_env(name: str) -> ServiceHandle | None:
    raw = os.environ.get(env_name(name))
    if not raw:
        return None
    if raw.lstrip().startswith("{"):
        data = json.loads(raw)
        url = data.pop("url")
        return ServiceHandle(name, url, data)
    return ServiceHandle(name, raw)


def _alive(pid: int) -> bool:
    try:  # a service this process started and that has ended is a zombie until reaped
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _from_state(path: Path, name: str, health_path: str) -> ServiceHandle | None:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not _alive(int(state.get("pid", 0))) or not http_ok(state["url"] + health_path):
        return None
    return ServiceHandle(name, state["url"], state.get("info", {}), owned=True)


_PRIVATE: dict[str, Any] = {}  # name -> the service this process runs for itself (private=True)


def connect(name: str, workspace: Path | None = None, *, module: str | None = None,
            timeout: float | None = None, private: bool = False) -> ServiceHandle:
    """A running ``name`` service: given by the environment, reused from this workspace, or started now."""
    handle = _from_env(name)
    if handle is not None:
        return handle
    cls = service_class(name, module)
    if private:
        service = _PRIVATE.get(name)
        if service is None:
            service = cls.for_workspace(Path(tempfile.mkdtemp(prefix=f"graders-{name}-")))
            service.start()
            atexit.register(service.stop)
            _PRIVATE[name] = service
        handle = ServiceHandle(name, service.url, service.info())
        # Hand it to what this process starts (a robot run from a notebook cell, a helper that calls connect()
        # without private=True): otherwise each would start a detached server of its own in the user's data folder,
        # which nothing stops when grading ends.
        os.environ[env_name(name)] = handle.to_env()
        return handle
    folder = services_dir(workspace)
    state_file = folder / f"{name}.json"
    handle = _from_state(state_file, name, cls.health_path)
    if handle is not None:
        return handle
    folder.mkdir(parents=True, exist_ok=True)
    data_dir = folder / name
    data_dir.mkdir(exist_ok=True)
    state_file.unlink(missing_ok=True)
    log = open(folder / f"{name}.log", "ab")
    cmd = [sys.executable, "-m", "graders.services.run", name, str(state_file), str(data_dir)]
    if module:
        cmd += ["--module", module]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=folder)
    limit = timeout or cls.start_timeout + 10
    began = time.monotonic()

    def ready() -> bool:
        if proc.poll() is not None:
            raise ServiceError(f"the {name} service stopped after {time.monotonic() - began:.0f} s, before it was "
                               f"ready (exit {proc.returncode}); {_log_tail(folder / (name + '.log'))}")
        return state_file.exists()

    if not wait_until(ready, limit, interval=0.1):
        proc.kill()
        raise ServiceError(f"the {name} service did not start within {limit:.0f} s; see {folder / (name + '.log')}")
    handle = _from_state(state_file, name, cls.health_path)
    if handle is None:
        raise ServiceError(f"the {name} service started but does not answer; see {folder / (name + '.log')}")
    return handle


def _log_tail(path: Path, chars: int = 1500) -> str:
    """Where the log is and how it ends: the reason a service did not start is nearly always in its last lines."""
    try:
        tail = path.read_text(encoding="utf-8", errors="replace")[-chars:].strip()
    except OSError:
        tail = ""
    return f"its log {path} ends with:\n{tail}" if tail else f"see {path}"


def running(workspace: Path | None = None) -> list[tuple[str, int]]:
    """(name, pid) of the services this workspace started that are still running."""
    out = []
    for path in sorted(services_dir(workspace).glob("*.json")):
        try:
            pid = int(json.loads(path.read_text(encoding="utf-8"))["pid"])
        except (OSError, ValueError, KeyError):
            continue
        if _alive(pid):
            out.append((path.stem, pid))
    return out


def stop_all(workspace: Path | None = None, timeout: float = 15.0) -> list[str]:
    """Stop every service this workspace started; returns their names."""
    stopped = []
    for name, pid in running(workspace):
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        (services_dir(workspace) / f"{name}.json").unlink(missing_ok=True)
        stopped.append(name)
    return stopped
