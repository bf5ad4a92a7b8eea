"""Practice EC2 instances that really run their user data, in a sandbox on this computer.

moto stores instances but runs nothing. With :func:`patch_moto` installed (``moto.py`` does it), an instance launched
with ``UserData`` runs that script here, as cloud-init runs it at an instance's first boot:

* **in a sandbox**: a network namespace of its own with only loopback (``lo``), so the script reaches nothing but
  itself, whatever address it dials; a PID namespace, so stopping the instance ends every process the script
  started, even ones it put in the background; resource limits (memory, file size, CPU time, processes); its own
  folder as working and home folder (the instance's "disk"). As root the script runs as ``nobody``; as a normal user
  it runs as that user (mapped to root inside a user namespace, so it may listen on port 80 there, as root does on
  an instance). It runs ``/bin/sh`` scripts and scripts with their own ``#!`` line.
* **port 80 of the instance** is reachable from outside the namespace only through a Unix socket in the instance's
  folder (``web.sock``): a small forwarder inside the namespace passes each connection to ``127.0.0.1:80`` there.
  Nothing in the sandbox listens on this computer's network at all.
* **the public address**: :func:`gate` (the moto server's route ``/graders-lab/instances/<address>/<path>``) answers
  for an instance's public IP or public DNS name, and passes an HTTP request on to port 80 only while the instance is
  ``running`` *and* one of its security groups allows TCP port 80 from the learner's address (on the practice cloud
  the learner's computer is ``127.0.0.1``: a rule for ``0.0.0.0/0`` or ``127.0.0.1/32`` lets it in, a rule for some
  other address does not). Otherwise it answers as the practice cloud's stand-in for a browser that waits in vain.
* **stop / terminate** kill the sandbox (its whole PID namespace). Starting a stopped instance boots a new sandbox on
  the same disk but does not run the user data again (on AWS it runs at the first boot only). Resetting or stopping
  the practice cloud kills every sandbox.
* **SSH, a stand-in**: an instance launched with a key pair also gets a sandbox (with or without user data), and
  :func:`run_command` runs one shell command in it through a Unix socket (``shell.sock``). ``labs/aws/web.py``
  puts in front of it what SSH checks: the instance runs, a security group allows TCP port 22 from the learner, the
  private key file is not readable by others, and it is the private half of the instance's key pair. A real ``sshd``
  per instance was tried: unprivileged, it accepts a key login for a normal user (the learner's own account), but as
  root the sandbox runs as ``nobody``, whose account is locked (sshd refuses it), so it is not used.

Without namespaces (a computer that allows neither root nor unprivileged user namespaces) user data is not run at
all, and the instance's console output (``instance_log``) says why.
"""
from __future__ import annotations

import base64
import http.client
import ipaddress
import os
import resource
import shutil
import signal
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LEARNER_ADDRESS = "127.0.0.1"     # the learner's computer, as the practice cloud's security groups see it
ROUTE = "instances/"              # below moto.py's LAB_ROUTE
NOBODY = 65534
MEMORY = 512 * 1024 * 1024
FILE_SIZE = 64 * 1024 * 1024
CPU_SECONDS = 600
MAX_PROCS = 64

_lock = threading.Lock()
_root: Path | None = None


@dataclass
class Running:
    key: tuple[str, str, str]      # account, region, instance id
    folder: Path
    pid: int


_running: dict[tuple[str, str, str], Running] = {}


def _base() -> Path:
    global _root
    if _root is None or not _root.exists():
        _root = Path(tempfile.mkdtemp(prefix="practice-instances-"))
        os.chmod(_root, 0o711)
    return _root


# --- the sandbox ------------------------------------------------------------------------------------------------------

FORWARDER = r'''
import ctypes, os, signal, socket, subprocess, sys, threading, time
folder, command = sys.argv[1], sys.argv[2:]
PORTS = {"web.sock": 80}
parent = os.getppid()
init = os.fork()              # the first child is PID 1 of the instance's PID namespace (no threads before it)
if init != 0:                 # stays while PID 1 runs, and ends it when the practice cloud's process is gone
    while os.waitpid(init, os.WNOHANG) == (0, 0):
        if os.getppid() != parent:
            os.kill(init, signal.SIGKILL)
            os.waitpid(init, 0)
            break
        time.sleep(1)
    sys.exit(0)
ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL, 0, 0, 0)   # PR_SET_PDEATHSIG: killed with the process above


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(listener, port):
    while True:
        outside, _ = listener.accept()
        try:
            inside = socket.create_connection(("127.0.0.1", port), timeout=5)
            inside.settimeout(None)
        except OSError:
            outside.close()           # nothing listens on the port: the gate sees the connection closed at once
            continue
        threading.Thread(target=pump, args=(outside, inside), daemon=True).start()
        threading.Thread(target=pump, args=(inside, outside), daemon=True).start()


def shell(listener):         # the practice stand-in for an SSH session: one command, its output
    while True:
        conn, _ = listener.accept()
        try:
            line = conn.makefile("rb").readline(4096).decode("utf-8", "replace").strip()
            done = subprocess.run(["/bin/sh", "-c", line], cwd=os.path.join(folder, "disk"), stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=10)
            conn.sendall(done.stdout[-65536:])
        except (OSError, subprocess.SubprocessError) as exc:
            try:
                conn.sendall(("%s\n" % exc).encode())
            except OSError:
                pass
        conn.close()


for name, port in PORTS.items():
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.path.join(folder, name))
    listener.listen(16)
    threading.Thread(target=serve, args=(listener, port), daemon=True).start()
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(os.path.join(folder, "shell.sock"))
listener.listen(4)
threading.Thread(target=shell, args=(listener,), daemon=True).start()
log = open(os.path.join(folder, "console.log"), "ab", buffering=0)
if command:
    try:
        subprocess.Popen(command, cwd=os.path.join(folder, "disk"), stdin=subprocess.DEVNULL, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as exc:
        log.write(("user data could not start: %s\n" % exc).encode())
open(os.path.join(folder, "ready"), "w").close()
while True:                   # PID 1 reaps every process the user data leaves behind
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(1)
'''


def _enter_sandbox(root: bool, uid: int, gid: int, nproc: int) -> None:
    """In the child between fork and exec: namespaces, loopback, then no privileges and limits."""
    from graders.grade.sandbox import (CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWUSER, PR_SET_NO_NEW_PRIVS,
                                       loopback_up, map_single_id, prctl, unshare)
    if root:
        unshare(CLONE_NEWNET | CLONE_NEWPID)
        loopback_up()
        with open("/proc/sys/net/ipv4/ip_unprivileged_port_start", "w") as f:
            f.write("0")      # in this namespace only: nobody may listen on port 80 (and 22) here
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    else:
        unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWPID)
        map_single_id(0, uid, 0, gid)
        loopback_up()
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE, FILE_SIZE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(10)


def _nproc(root: bool, uid: int) -> int:
    if root:
        return MAX_PROCS
    from graders.grade.sandbox import count_user_tasks
    return count_user_tasks(uid) + MAX_PROCS


def folder_of(account: str, region: str, instance_id: str) -> Path:
    return _base() / f"{account}-{region}-{instance_id}"


def launch(account: str, region: str, instance_id: str, user_data: bytes | None, restart: bool = False) -> Path:
    """Boot this instance in a new sandbox (see the module docstring) and run ``user_data`` there, if any; with
    ``restart`` (a stopped instance started again) its disk is kept. Returns its folder."""
    import subprocess

    key = (account, region, instance_id)
    stop(*key)
    folder = folder_of(*key)
    if not restart:
        shutil.rmtree(folder, ignore_errors=True)
    (folder / "disk").mkdir(parents=True, exist_ok=True)
    script = folder / "user-data"
    script.write_bytes(user_data or b"")
    (folder / "forwarder.py").write_text(FORWARDER, encoding="utf-8")
    log = folder / "console.log"
    log.touch()
    root = os.geteuid() == 0
    uid, gid = os.getuid(), os.getgid()
    for path in (folder, folder / "disk", script, log):
        path.chmod(0o700 if path.is_dir() else 0o600)
        if root:
            os.chown(path, NOBODY, NOBODY)
    os.chmod(folder / "forwarder.py", 0o644)
    command = [] if not user_data else [str(script)] if user_data.startswith(b"#!") else ["/bin/sh", str(script)]
    script.chmod(0o700)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(folder / "disk"), "LANG": "C.UTF-8",
           "INSTANCE_ID": instance_id}
    if os.environ.get("GRADERS_GRADE_RUN"):   # a grading run finds its leftovers by this mark
        env["GRADERS_GRADE_RUN"] = os.environ["GRADERS_GRADE_RUN"]
    nproc = _nproc(root, uid)
    try:
        proc = subprocess.Popen(["/usr/bin/python3", "-I", "-S", str(folder / "forwarder.py"), str(folder), *command],
                                cwd=str(folder), env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(log, "ab"), close_fds=True,
                                preexec_fn=lambda: _enter_sandbox(root, uid, gid, nproc))
    except (OSError, subprocess.SubprocessError) as exc:
        with open(log, "a", encoding="utf-8") as f:
            f.write(f"practice cloud: this computer cannot make a sandbox for user data ({exc}), so it did not "
                    "run. (It needs Linux namespaces: run as root, or allow unprivileged user namespaces.)\n")
        return folder
    with _lock:
        _running[key] = Running(key, folder, proc.pid)
    threading.Thread(target=proc.wait, daemon=True).start()   # reap it when it ends
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and proc.poll() is None and not (folder / "ready").exists():
        time.sleep(0.01)
    return folder


def stop(account: str, region: str, instance_id: str) -> None:
    """Kill the instance's sandbox (the forwarder; its PID 1 and every process below it follow)."""
    with _lock:
        running = _running.pop((account, region, instance_id), None)
    if running is None:
        return
    try:
        os.kill(running.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for name in ("web.sock", "shell.sock", "ready"):
        with _ignore_os():
            (running.folder / name).unlink()


def stop_account(account: str | None = None) -> None:
    """Kill the sandboxes of one account (None: all of them)."""
    for key in [k for k in list(_running) if account is None or k[0] == account]:
        stop(*key)
    if _root is not None and _root.exists():   # the account is emptied, or its practice cloud stops
        for folder in _root.iterdir():
            if account is None or folder.name.startswith(f"{account}-"):
                shutil.rmtree(folder, ignore_errors=True)
        if not _running and not any(_root.iterdir()):
            shutil.rmtree(_root, ignore_errors=True)
    for key in [k for k in list(_addresses) if account is None or k[0] == account]:
        _addresses.pop(key, None)


def is_running(account: str, region: str, instance_id: str) -> bool:
    return (account, region, instance_id) in _running


def instance_log(account: str, region: str, instance_id: str) -> str:
    try:
        return (folder_of(account, region, instance_id) / "console.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


class _ignore_os:
    def __enter__(self):
        return self

    def __exit__(self, kind, *exc):
        return kind is not None and issubclass(kind, OSError)


# --- moto: launch, stop, terminate -----------------------------------------------------------------------------------

def _decode(user_data: Any) -> bytes | None:
    if user_data is None:
        return None
    raw = user_data.as_bytes() if hasattr(user_data, "as_bytes") else user_data
    if isinstance(raw, list):
        raw = raw[0] if raw else b""
    if isinstance(raw, str):
        raw = raw.encode()
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError:
        return bytes(raw)


def _key(instance) -> tuple[str, str, str]:
    backend = instance.ec2_backend
    return (backend.account_id, backend.region_name, instance.id)


def patch_moto() -> None:
    """Make moto's instances run their user data (launch), and kill it at stop and terminate."""
    from moto.ec2.models.instances import Instance, InstanceBackend

    if getattr(InstanceBackend, "_graders_runs_user_data", False):
        return
    original_run = InstanceBackend.run_instances
    original_stop, original_terminate, original_start = Instance.stop, Instance.terminate, Instance.start

    def run_instances(self, *args, **kwargs):
        reservation = original_run(self, *args, **kwargs)
        for instance in reservation.instances:
            remember_addresses(instance)
            script = _decode(instance.user_data)
            if (script and script.strip()) or getattr(instance, "key_name", None):
                launch(*_key(instance), script if script and script.strip() else None)
        return reservation

    def start_instance(self):
        previous = original_start(self)
        remember_addresses(self)
        if folder_of(*_key(self)).exists() and not is_running(*_key(self)):
            launch(*_key(self), None, restart=True)   # it boots again; user data runs at the first boot only
        return previous

    def stop_instance(self):
        stop(*_key(self))
        return original_stop(self)

    def terminate_instance(self):
        stop(*_key(self))
        return original_terminate(self)

    InstanceBackend.run_instances = run_instances
    Instance.stop = stop_instance
    Instance.start = start_instance
    Instance.terminate = terminate_instance
    InstanceBackend._graders_runs_user_data = True


# --- the public address ---------------------------------------------------------------------------------------------

_addresses: dict[tuple[str, str], tuple[str, str]] = {}   # (account, address) -> (region, instance id)


def remember_addresses(instance) -> None:
    """Keep the public IP and DNS name an instance had at launch: once stopped, moto (like AWS) drops them, and the
    gate should still say "stopped" rather than "no such address"."""
    account, region, instance_id = _key(instance)
    for name in (instance.public_ip, instance.public_dns_name):
        if name:
            _addresses[(account, str(name).lower())] = (region, instance_id)


def find_instance(account: str, address: str):
    """The instance of this account whose public IP or public DNS name is (or was, at launch) ``address``."""
    from moto.ec2.models import ec2_backends

    address = address.lower()
    for backend in ec2_backends[account].values():
        for instance in backend.all_instances():
            if address in {str(n).lower() for n in (instance.public_ip, instance.public_dns_name) if n}:
                return instance
    region, instance_id = _addresses.get((account, address), (None, None))
    if region is None:
        return None
    try:
        return ec2_backends[account][region].get_instance_by_id(instance_id)
    except Exception:
        return None


def allows(instance, port: int, source: str = LEARNER_ADDRESS) -> bool:
    """Does one of the instance's security groups let ``source`` reach TCP ``port``?"""
    ip = ipaddress.ip_address(source)
    for group in instance.security_groups:
        for rule in group.ingress_rules:
            protocol = str(rule.ip_protocol)
            if protocol not in ("-1", "tcp"):
                continue
            if protocol == "tcp" and not (int(rule.from_port) <= port <= int(rule.to_port)):
                continue
            for cidr in [r.get("CidrIp") for r in [rule.ip_range] if r] + [r.get("CidrIp") for r in
                                                                            getattr(rule, "ip_ranges", [])]:
                try:
                    if cidr and ip in ipaddress.ip_network(cidr, strict=False):
                        return True
                except ValueError:
                    continue
    return False


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


def why_closed(account: str, instance) -> str | None:
    """None when the instance's port 80 is reachable from the learner; else a short reason (for the gate's page)."""
    if instance is None:
        return "no-instance"
    if instance._state.name != "running":
        return "not-running"
    if not allows(instance, 80):
        return "port-closed"
    return None


def fetch(account: str, instance, path: str, method: str = "GET", timeout: float = 5.0,
          host: str | None = None) -> tuple[int, list, bytes]:
    """The HTTP answer of the instance's port 80 (through its sandbox's ``web.sock``); raises OSError when nothing
    answers there."""
    folder = folder_of(*_key(instance))
    if not is_running(*_key(instance)):
        raise ConnectionRefusedError("no user data runs on this instance")
    conn = _UnixHTTPConnection(str(folder / "web.sock"), timeout)
    try:
        conn.request(method, path or "/", headers={"Host": host or instance.public_ip or "localhost"})
        response = conn.getresponse()
        body = response.read(8 * 1024 * 1024)
        headers = [(k, v) for k, v in response.getheaders()
                   if k.lower() in ("content-type", "last-modified", "location")]
        return response.status, headers, body
    except http.client.HTTPException as exc:
        raise ConnectionResetError(str(exc)) from None
    finally:
        conn.close()


def run_command(instance, command: str, timeout: float = 15.0) -> str:
    """The practice stand-in for ``ssh ... command``: run one shell command in the instance's sandbox, as the
    instance's user, in its home folder; its output. Raises OSError when the instance's sandbox is not running."""
    if not is_running(*_key(instance)):
        raise ConnectionRefusedError("the instance is not running")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(folder_of(*_key(instance)) / "shell.sock"))
        sock.sendall(command.replace("\n", " ").encode("utf-8") + b"\n")
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).decode("utf-8", "replace")


GATE_PAGES = {
    "no-instance": ("404 Not Found", "No instance of your practice account has the public address {address}."),
    "not-running": ("504 Gateway Timeout", "Instance {instance} is {state}: nothing answers at {address}. "
                                           "(A browser would wait and then give up.)"),
    "port-closed": ("504 Gateway Timeout", "The security groups of instance {instance} do not allow TCP port 80 "
                                           "from your computer, so the connection to {address} is dropped. "
                                           "(A browser would wait and then give up.)"),
    "no-server": ("502 Bad Gateway", "Instance {instance} is running and port 80 is open, but nothing on the "
                                     "instance answers on port 80: its user data did not start a web server "
                                     "(or it stopped). Console output of the instance:\n\n{log}"),
}


def _same_key(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.split()[:2] == b.split()[:2]


def ssh_gate(account: str, environ: dict, start_response, address: str):
    """WSGI, ``POST <address>:22`` with ``{"public_key": "ssh-rsa ...", "command": "..."}``: the SSH stand-in.
    Answers ``{"result": ...}``: "ok" (with "output"), "unknown", "not-running" (with "state"), "port-closed" or
    "denied" (with "key_name")."""
    import json

    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(min(length, 65536)) or b"{}")
        public_key, command = str(body.get("public_key") or ""), str(body.get("command") or "true")
    except (ValueError, TypeError):
        public_key, command = "", "true"
    instance = find_instance(account, address)
    if instance is None:
        answer = {"result": "unknown"}
    elif instance._state.name != "running":
        answer = {"result": "not-running", "state": instance._state.name}
    elif not allows(instance, 22):
        answer = {"result": "port-closed"}
    else:
        key_name = getattr(instance, "key_name", None) or ""
        pair = getattr(instance.ec2_backend, "key_pairs", {}).get(key_name)
        if pair is None or not _same_key(public_key, pair.public_key):
            answer = {"result": "denied", "key_name": key_name}
        else:
            try:
                answer = {"result": "ok", "output": run_command(instance, command)}
            except OSError as exc:
                answer = {"result": "not-running", "state": str(exc)}
    data = json.dumps(answer).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def gate(account: str, environ: dict, start_response, path: str):
    """WSGI: ``<address>/<path>`` -> the instance's port 80, if it is running and its security groups allow it;
    ``POST <address>:22`` -> the SSH stand-in (:func:`ssh_gate`)."""
    address, _, rest = path.partition("/")
    if address.endswith(":22") and environ.get("REQUEST_METHOD") == "POST":
        return ssh_gate(account, environ, start_response, address[:-3])
    instance = find_instance(account, address)
    reason = why_closed(account, instance)
    status = headers = body = None
    if reason is None:
        query = environ.get("QUERY_STRING")
        try:
            code, headers, body = fetch(account, instance, "/" + rest + (f"?{query}" if query else ""),
                                        environ.get("REQUEST_METHOD", "GET"), host=address)
            status = f"{code} {http.client.responses.get(code, '')}".strip()
        except OSError:
            reason = "no-server"
    if reason is not None:
        status, text = GATE_PAGES[reason]
        log = instance_log(*_key(instance))[-2000:] if instance is not None else ""
        body = text.format(address=address, instance=getattr(instance, "id", ""),
                           state=instance._state.name if instance is not None else "", log=log or "(empty)").encode("utf-8")
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-Practice-Cloud", reason)]
    start_response(status, list(headers) + [("Content-Length", str(len(body)))])
    return [body]
