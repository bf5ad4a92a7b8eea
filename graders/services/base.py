"""The one shape of a local service: start on loopback, wait until healthy, expose the URL, stop cleanly."""
from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

LOOPBACK = "127.0.0.1"


class ServiceError(RuntimeError):
    """A service that would not start or answer: says which, and where its log is."""


_PICK = random.SystemRandom()   # not the random module's state: forked processes would pick the same ports


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def free_port(host: str = LOOPBACK) -> int:
    """A port free now, for a server that will bind it a few seconds later (Label Studio, JupyterLab, the hub).

    Chosen below the kernel's ephemeral range: the kernel hands ports of that range to every bind to port 0 (our
    in-process services, other programs' servers) and to outgoing connections, and one of those could take the
    port in the seconds before our server listens. Below it only other explicit choices like this one compete."""
    low, _ = _ephemeral_range()
    if low > 11000:
        for _ in range(50):
            port = _PICK.randrange(10000, low)
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                try:
                    s.bind((host, port))
                except OSError:
                    continue
                return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except ServiceError:
            raise
        except Exception:
            pass
        time.sleep(interval)
    return False


# Loopback requests never go through a proxy from the environment (HTTP_PROXY on a company laptop would send them
# to the proxy, off this machine, and they would fail).
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with _DIRECT.open(url, timeout=timeout) as r:  # noqa: S310 (loopback only)
            return 200 <= r.status < 400
    except (urllib.error.URLError, OSError):
        return False


class Service:
    """Base class. Subclasses implement ``_start``/``_stop`` and may override ``health_path``."""

    name = "service"
    health_path = "/"
    start_timeout = 30.0

    def __init__(self, port: int | None = None, host: str = LOOPBACK):
        if host != LOOPBACK:
            raise ValueError("services listen on 127.0.0.1 only")
        self.host = host
        self._port_given = port is not None
        self.port = port or free_port(host)
        self.running = False
        # Unix users besides this process's own that may use the service: the grading worker (root) adds the
        # uid its sandboxed kernel runs as (graders/grade/services.py). Learners' services keep it empty.
        self.users: set[int] = set()

    @classmethod
    def for_workspace(cls, data_dir: Path) -> "Service":
        """The service as one learner's workspace runs it; ``data_dir`` is its own folder there (for its state)."""
        return cls()

    def info(self) -> dict:
        """What a notebook needs besides the URL (an API token ...), handed over as JSON."""
        return {}

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def healthy(self) -> bool:
        return http_ok(self.url + self.health_path)

    def start(self):
        if self.running:
            return self
        self._start()
        if not wait_until(self.healthy, self.start_timeout):
            detail = self._failure_detail()
            self.stop()
            raise ServiceError(f"{self.name} did not answer on {self.url} within {self.start_timeout:.0f} s. {detail}")
        self.running = True
        return self

    def stop(self) -> None:
        self._stop()
        self.running = False

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url} {'running' if self.running else 'stopped'}>"

    def _failure_detail(self) -> str:
        return ""

    def _start(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError


class ThreadService(Service):
    """A WSGI app (Flask, moto's server ...) served by werkzeug in a daemon thread of this process. It answers only
    connections from the Unix user this process runs as (:mod:`graders.services.owner`)."""

    def make_app(self):
        raise NotImplementedError

    def request_handler(self):
        """werkzeug's request handler class to use (None: its default, which logs every request)."""
        return None

    def _start(self) -> None:
        from werkzeug.serving import make_server

        from .owner import OwnerOnly

        # Unless a port was asked for, bind to one the system picks now: one chosen earlier (in __init__) could have
        # been taken meanwhile by another process starting next door.
        port = self.port if self._port_given else 0
        self._server = make_server(self.host, port, OwnerOnly(self.make_app(), self.users), threaded=True,
                                   request_handler=self.request_handler())
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"{self.name}-{self.port}",
                                        daemon=True)
        self._thread.start()

    def _stop(self) -> None:
        server = getattr(self, "_server", None)
        if server is not None:
            server.shutdown()
            server.server_close()
            self._thread.join(timeout=5)
            self._server = None


class ProcessService(Service):
    """A server in its own process group (Label Studio, JupyterLab ...), its output in a log file."""

    def __init__(self, port: int | None = None, log_path: Path | None = None):
        super().__init__(port)
        self.log_path = Path(log_path) if log_path else None
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def _start(self) -> None:
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(self.command(), env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)

    def healthy(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise ServiceError(f"{self.name} exited with code {self.process.returncode}. {self._failure_detail()}")
        return super().healthy()

    def _failure_detail(self) -> str:
        if self.log_path and self.log_path.exists():
            tail = self.log_path.read_text(errors="replace")[-2000:]
            return f"Its log ({self.log_path}) ends with:\n{tail}"
        return ""

    def _stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        except ProcessLookupError:
            pass
