"""Load on the class hub, on 127.0.0.1 only: N simulated learners at once log in, start their JupyterLab and run a
check cell through the REST and websocket APIs, as the browser would; then each starts their practice company (the
RPA lab's order system, from the kernel as the notebook does) and loads its login page through their JupyterLab's
named route (``/user/NAME/practice-company/login``), as the link in rpa1 does; the first --ls-learners of them also
open Label Studio by its route (``/user/NAME/labelstudio/``: the route starts it, as the Launcher tile does) and load
its login page. Prints p50/p95 time-to-server, check latency, proxied page loads and failures. Bounded: every
learner stops at --timeout, and the hub, its servers and its Unix users are removed at the end. Targets (issue 8):
0 failures, p95 check <= 2 s on 2 cores; issue 15: p95 proxied page <= 1 s; issue 19: p95 login -> JupyterLab ready
<= 25 s. Also prints the CPU seconds each learner's processes had used when their server was ready (the figure that
does not depend on what else the machine runs), the CPU the hub's own processes and this benchmark used from the first
login to the last server ready (with the servers': the least time the last learner can wait on this many cores), how
busy the whole machine was meanwhile, and the load at the start and the end. A learner waits for their server as the
browser's spawn-pending page does, on JupyterHub's progress event stream (``--wait poll``: the user model every
0.25 s, as the anchor was measured).

    sudo .venv/bin/python bench/hub_load.py [--learners 20] [--checks 3] [--pages 5] [--ls-learners 5] [--timeout 300]
                                            [--wait progress|poll]

Needs root (real Unix users) and the hub's environment (sudo hub/install.sh).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import sys
import time
import uuid
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from graders.hub.local import LocalHub, Person  # noqa: E402

SETUP = 'from graders import Lab\nlab = Lab("orientation", lang="{lang}")\ncity = "Tokyo"'
CHECK = 'lab.check("q1")'
START_APP = 'from graders.services import connect\nprint(connect("rpa_app").url)'
VERDICT_MIME = "application/vnd.graders.verdict+json"
LANGS = ["uk", "ja", "en"]


class Learner:
    def __init__(self, hub: LocalHub, person: Person):
        self.hub, self.person = hub, person
        self.http = AsyncHTTPClient(force_instance=True, max_clients=8)
        self.cookies: dict[str, str] = {}

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def _keep(self, response) -> None:
        for header in response.headers.get_list("Set-Cookie"):
            cookie = SimpleCookie()
            cookie.load(header)
            for key, morsel in cookie.items():
                self.cookies[key] = morsel.value

    deadline = float("inf")

    async def fetch(self, path: str, method: str = "GET", body=None, headers=None, **kw):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = self._cookie_header()
        timeout = max(1.0, min(600.0, self.deadline - time.monotonic()))
        req = HTTPRequest(self.hub.url + path, method=method, body=body, headers=headers, follow_redirects=False,
                          request_timeout=timeout, **kw)
        t0 = time.monotonic()
        try:
            response = await self.http.fetch(req, raise_error=False)
        except HTTPClientError as exc:  # a timeout (599) has no response
            response = exc.response
            if response is None:
                raise TimeoutError(f"{method} {path}: {exc} after {time.monotonic() - t0:.0f} s") from None
        self._keep(response)
        return response

    async def login(self) -> str:
        """The login form, as a browser sends it; then a token of the learner's own for the API."""
        page = await self.fetch("/hub/login?next=%2Fhub%2Fhome")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.body.decode()).group(1)
        form = urlencode({"username": self.person.username, "password": self.person.password, "_xsrf": xsrf})
        done = await self.fetch("/hub/login?next=%2Fhub%2Fhome", "POST", form,
                                {"Content-Type": "application/x-www-form-urlencoded"})
        if done.code != 302:
            raise RuntimeError(f"login answered {done.code}")
        xsrf = self.cookies.get("_xsrf", xsrf)
        made = await self.fetch(f"/hub/api/users/{self.person.username}/tokens", "POST",
                                json.dumps({"note": "load benchmark", "expires_in": 3600}),
                                {"X-XSRFToken": xsrf, "Content-Type": "application/json"})
        if made.code != 201:
            raise RuntimeError(f"token request answered {made.code}: {made.body[:200]!r}")
        return json.loads(made.body)["token"]

    async def start_server(self, token: str, deadline: float, wait: str = "progress") -> None:
        """Start the learner's server and wait until the hub calls it ready: as the browser's spawn-pending page does
        (JupyterHub's progress event stream, one request), or by asking for the user model every 0.25 s."""
        auth = {"Authorization": f"token {token}"}
        started = await self.fetch(f"/hub/api/users/{self.person.username}/server", "POST", "{}", auth)
        if started.code not in (201, 202):
            raise RuntimeError(f"server start answered {started.code}: {started.body[:200]!r}")
        if wait == "progress":
            events: list[dict] = []
            buffer = b""

            def on_chunk(chunk: bytes) -> None:
                nonlocal buffer
                buffer += chunk
                while b"\n\n" in buffer:
                    block, buffer = buffer.split(b"\n\n", 1)
                    for line in block.decode().splitlines():
                        if line.startswith("data:"):
                            events.append(json.loads(line[5:]))

            answer = await self.fetch(f"/hub/api/users/{self.person.username}/server/progress", headers=auth,
                                      streaming_callback=on_chunk)
            if any(event.get("ready") for event in events):
                return
            failed = next((e for e in events if e.get("failed")), None)
            raise RuntimeError(f"spawn failed: {failed.get('message')}" if failed
                               else f"progress answered {answer.code} without a ready event")
        while time.monotonic() < deadline:
            user = await self.fetch(f"/hub/api/users/{self.person.username}", headers=auth)
            server = json.loads(user.body).get("servers", {}).get("")
            if server and server.get("ready"):
                return
            await asyncio.sleep(0.25)
        raise TimeoutError("server not ready before the deadline")

    async def run_checks(self, token: str, checks: int, deadline: float, pages: int = 0,
                         label_studio: bool = False) -> tuple[list, list, list]:
        auth = {"Authorization": f"token {token}"}
        base = f"/user/{self.person.username}/api"
        made = await self.fetch(f"{base}/kernels", "POST", json.dumps({"name": "python3"}), auth)
        if made.code != 201:
            raise RuntimeError(f"kernel start answered {made.code}")
        kernel = json.loads(made.body)["id"]
        url = self.hub.url.replace("http://", "ws://") + f"{base}/kernels/{kernel}/channels"
        ws = await websocket_connect(HTTPRequest(url, headers=auth,
                                                 request_timeout=max(1.0, deadline - time.monotonic())))
        session = uuid.uuid4().hex
        try:
            await self._execute(ws, session, SETUP.format(lang=self.person.lang), deadline)
            latencies = []
            for _ in range(checks):
                t0 = time.perf_counter()
                verdict = await self._execute(ws, session, CHECK, deadline)
                latencies.append(time.perf_counter() - t0)
                if not verdict or not verdict.get("passed") or verdict.get("lang") != self.person.lang:
                    raise RuntimeError(f"unexpected verdict {verdict}")
            page_times = await self.proxied_pages(ws, session, auth, pages, deadline) if pages else []
            ls_times = await self.label_studio_pages(auth, pages) if pages and label_studio else []
            return latencies, page_times, ls_times
        finally:
            ws.close()
            await self.fetch(f"{base}/kernels/{kernel}", "DELETE", headers=auth)

    async def proxied_pages(self, ws, session: str, auth: dict, pages: int, deadline: float) -> list[float]:
        """The practice company started from the kernel, its login page loaded through the learner's JupyterLab."""
        await self._execute(ws, session, START_APP, deadline)
        port = re.search(r"http://127\.0\.0\.1:(\d+)", self.stdout).group(1)
        times = []
        for _ in range(pages):
            t0 = time.perf_counter()
            page = await self.fetch(f"/user/{self.person.username}/practice-company/login", headers=auth)
            times.append(time.perf_counter() - t0)
            if page.code != 200 or b'name="password"' not in page.body:
                raise RuntimeError(f"proxied page answered {page.code}")
        return times

    ls_start = None

    async def label_studio_pages(self, auth: dict, pages: int) -> list[float]:
        """Label Studio opened by its route (which starts it, as the Launcher tile does), then its login page."""
        route = f"/user/{self.person.username}/labelstudio/"
        t0 = time.perf_counter()
        first = await self.fetch(route, headers=auth)
        self.ls_start = time.perf_counter() - t0
        if first.code != 302:
            raise RuntimeError(f"Label Studio's route answered {first.code}: {first.body[:300]!r}")
        times = []
        for _ in range(pages):
            t0 = time.perf_counter()
            page = await self.fetch(route + "user/login/", headers=auth)
            times.append(time.perf_counter() - t0)
            if page.code != 200 or b"csrfmiddlewaretoken" not in page.body:
                raise RuntimeError(f"Label Studio's login page answered {page.code}")
        return times

    stdout = ""

    async def _execute(self, ws, session: str, code: str, deadline: float) -> dict | None:
        msg_id = uuid.uuid4().hex
        ws.write_message(json.dumps({
            "header": {"msg_id": msg_id, "username": self.person.username, "session": session,
                       "msg_type": "execute_request", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        verdict, replied, idle = None, False, False   # the reply (shell) and the outputs (iopub) come in any order
        self.stdout = ""
        while not (replied and idle):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply before the deadline")
            raw = await asyncio.wait_for(ws.read_message(), remaining)
            if raw is None:
                raise RuntimeError("the kernel's websocket closed")
            msg = json.loads(raw)
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                self.stdout += msg["content"].get("text", "")
            elif msg["msg_type"] in ("display_data", "execute_result"):
                verdict = msg["content"]["data"].get(VERDICT_MIME, verdict)
            elif msg["msg_type"] == "error":
                raise RuntimeError(f"{msg['content']['ename']}: {msg['content']['evalue']}")
            elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                idle = True
            elif msg["msg_type"] == "execute_reply" and msg["channel"] == "shell":
                if msg["content"]["status"] != "ok":
                    raise RuntimeError(f"execute_reply {msg['content']['status']}")
                replied = True
        return verdict


async def one_learner(hub: LocalHub, person: Person, checks: int, deadline: float, pages: int = 0,
                      label_studio: bool = False, wait: str = "progress") -> dict:
    learner = Learner(hub, person)
    learner.deadline = deadline
    result = {"user": person.username, "error": None, "to_server": None, "server_cpu": None, "checks": [],
              "pages": [], "ls_pages": [], "ls_start": None}
    step = "login"
    try:
        t0 = time.perf_counter()
        token = await learner.login()
        result["login"] = time.perf_counter() - t0
        step = "server start"
        await learner.start_server(token, deadline, wait)
        result["to_server"] = time.perf_counter() - t0
        result["server_cpu"] = user_cpu(person.username)   # their singleuser and JupyterLab, nothing else yet
        result["ready_at"] = time.perf_counter()
        result["hub_cpu"] = pids_cpu(hub_side_pids(hub))     # JupyterHub, its proxy and culler until now
        result["bench_cpu"] = own_cpu()
        result["machine_busy"] = machine_busy()
        step = "kernel and checks"
        result["checks"], result["pages"], result["ls_pages"] = await learner.run_checks(
            token, checks, deadline, pages, label_studio)
        result["ls_start"] = learner.ls_start
    except Exception as exc:  # noqa: BLE001 (every failure is counted and shown)
        result["error"] = f"{step}: {type(exc).__name__}: {exc}"
    finally:
        learner.http.close()
    return result


def user_cpu(username: str) -> float:
    """CPU seconds (user + system, with their waited-for children) of every process this Unix user runs now."""
    import pwd

    uid, total = pwd.getpwnam(username).pw_uid, 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid != uid:
                    continue
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue   # ended meanwhile
            total += sum(int(x) for x in fields[11:15])   # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def hub_side_pids(hub: LocalHub) -> list[int]:
    """``graders hub start`` and what it runs as root: JupyterHub (a session of its own), the proxy, the culler; not
    the learners' servers (their own users)."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == 0:
                    parent[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, todo = [], [hub.proc.pid] if hub.proc else []
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += [child for child, ppid in parent.items() if ppid == pid]
    return found


def pids_cpu(pids: list[int]) -> dict[str, float]:
    """CPU seconds (user + system, with their waited-for children) of these processes, by their command's name."""
    out: dict[str, float] = {}
    for pid in pids:
        try:
            head, _, rest = Path(f"/proc/{pid}/stat").read_text().rpartition(")")
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        words = [Path(a.decode(errors="replace")).name for a in args if a and not a.startswith(b"-")]
        name = next((w for w in words[1:] if not w.startswith("python")), words[0] if words else head) \
            if words and words[0].startswith("python") else (words[0] if words else head)
        out[name] = out.get(name, 0) + sum(int(x) for x in rest.split()[11:15]) / os.sysconf("SC_CLK_TCK")
    return out


def machine_busy() -> float:
    """CPU seconds the whole machine (all cores, every program on it) has been busy since it started."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds this benchmark's own process has used (its simulated browsers share the machine)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--learners", type=int, default=20)
    p.add_argument("--checks", type=int, default=3, help="check cells each learner runs")
    p.add_argument("--pages", type=int, default=5, help="practice-company pages each learner loads through the proxy")
    p.add_argument("--ls-learners", type=int, default=5,
                   help="learners who also open Label Studio (about 350 MB each; a quarter of the class at once)")
    p.add_argument("--wait", choices=["progress", "poll"], default="progress",
                   help="how a learner waits for their server: JupyterHub's progress event stream, as the browser's "
                        "spawn-pending page does (default), or asking for the user model every 0.25 s (the anchor's way)")
    p.add_argument("--timeout", type=float, default=300, help="seconds before every learner gives up")
    args = p.parse_args()
    if os.geteuid() != 0 or not Path("/opt/digital-skills-hub/venv/bin/jupyterhub").exists():
        print("hub_load: skipped (needs root and the hub's environment: sudo hub/install.sh)")
        return 0
    tag = LocalHub.suffix()
    people = [Person(f"load{i:02d}-{tag}", f"pw-{tag}-{i:02d}-load", LANGS[i % 3]) for i in range(args.learners)]
    hub = LocalHub(people)
    t_setup = time.perf_counter()
    try:
        hub.add_people()
        hub.start()
        setup = time.perf_counter() - t_setup
        load_start = os.getloadavg()[0]
        hub_cpu_start, bench_cpu_start, busy_start = pids_cpu(hub_side_pids(hub)), own_cpu(), machine_busy()
        deadline = time.monotonic() + args.timeout
        t0 = time.perf_counter()

        async def run_all():
            return await asyncio.gather(*(one_learner(hub, person, args.checks, deadline, args.pages,
                                                      i < args.ls_learners, args.wait)
                                           for i, person in enumerate(people)))

        results = asyncio.run(run_all())
        wall = time.perf_counter() - t0
    finally:
        t_stop = time.perf_counter()
        hub.stop()
        if hub.log_path.exists():   # JupyterHub's, the proxy's and every JupyterLab's log, for a failure's cause
            import shutil

            shutil.copy(hub.log_path, Path("/tmp") / f"hub_load-{tag}.log")
        left = hub.people_pids()
        hub.remove()
        teardown = time.perf_counter() - t_stop
    failures = [r for r in results if r["error"]]
    to_server = [r["to_server"] for r in results if r["to_server"] is not None]
    checks = [x for r in results for x in r["checks"]]
    pages = [x for r in results for x in r["pages"]]
    ls_pages = [x for r in results for x in r["ls_pages"]]
    ls_starts = [r["ls_start"] for r in results if r["ls_start"] is not None]
    server_cpu = [r["server_cpu"] for r in results if r["server_cpu"] is not None]
    last = max((r for r in results if r.get("ready_at")), key=lambda r: r["ready_at"], default=None)
    hub_parts = {name: cpu - hub_cpu_start.get(name, 0) for name, cpu in last["hub_cpu"].items()} if last else {}
    hub_cpu = sum(hub_parts.values()) if last else float("nan")
    bench_cpu = last["bench_cpu"] - bench_cpu_start if last else float("nan")
    busy = last["machine_busy"] - busy_start if last else float("nan")
    window = last["ready_at"] - t0 if last else float("nan")
    load = os.getloadavg()
    print(f"hub_load: {args.learners} learners at once, {args.checks} checks each, waiting by {args.wait}, on 127.0.0.1 "
          f"({os.cpu_count()} cores, load average {load_start:.1f} at the start, {load[0]:.1f} at the end)")
    print(f"  set-up (users, course, hub start): {setup:.1f} s; whole run: {wall:.1f} s; "
          f"stop and clean-up: {teardown:.1f} s")
    print(f"  time to server (login -> JupyterLab ready): p50 {percentile(to_server, 50):.2f} s, "
          f"p95 {percentile(to_server, 95):.2f} s, max {max(to_server, default=float('nan')):.2f} s "
          f"(anchor p95 55.0 s, target <= 25 s)")
    logins = [r["login"] for r in results if r.get("login") is not None]
    print(f"  of which the login and a token: p50 {percentile(logins, 50):.2f} s, p95 {percentile(logins, 95):.2f} s")
    print(f"  CPU of a learner's processes when their server was ready: p50 {percentile(server_cpu, 50):.2f} s, "
          f"max {max(server_cpu, default=float('nan')):.2f} s; all {len(server_cpu)}: {sum(server_cpu):.1f} s "
          f"(on {os.cpu_count()} cores: {sum(server_cpu) / (os.cpu_count() or 1):.1f} s of the machine)")
    floor = (sum(server_cpu) + hub_cpu + bench_cpu) / (os.cpu_count() or 1)
    print(f"  CPU from the first login to the last server ready: the hub {hub_cpu:.1f} s "
          f"({', '.join(f'{k} {v:.1f}' for k, v in sorted(hub_parts.items(), key=lambda kv: -kv[1]) if v >= 0.05)}), "
          f"this benchmark's simulated browsers {bench_cpu:.1f} s; with the learners' servers "
          f"{floor:.1f} s of the {os.cpu_count()} cores: the least the last learner can wait on this machine")
    print(f"  the whole machine (everything on it) was busy {busy:.1f} CPU s in those {window:.1f} s "
          f"({busy / window / (os.cpu_count() or 1) * 100:.0f} % of {os.cpu_count()} cores)")
    print(f"  check latency (lab.check round trip over the websocket): p50 {percentile(checks, 50) * 1000:.0f} ms, "
          f"p95 {percentile(checks, 95) * 1000:.0f} ms, max {max(checks, default=float('nan')) * 1000:.0f} ms "
          f"({len(checks)} checks)")
    print(f"  practice-company page through the learner's JupyterLab (named route): p50 {percentile(pages, 50) * 1000:.0f} ms, "
          f"p95 {percentile(pages, 95) * 1000:.0f} ms, max {max(pages, default=float('nan')) * 1000:.0f} ms "
          f"({len(pages)} pages)")
    print(f"  Label Studio login page through the learner's JupyterLab (named route): p50 "
          f"{percentile(ls_pages, 50) * 1000:.0f} ms, p95 {percentile(ls_pages, 95) * 1000:.0f} ms, max "
          f"{max(ls_pages, default=float('nan')) * 1000:.0f} ms ({len(ls_pages)} pages, {len(ls_starts)} learners); "
          f"Label Studio started by its route: p50 {percentile(ls_starts, 50):.1f} s, "
          f"max {max(ls_starts, default=float('nan')):.1f} s")
    print(f"  failures: {len(failures)} of {args.learners} (the hub's log: /tmp/hub_load-{tag}.log)")
    for r in failures:
        print(f"    {r['user']}: {r['error']}")
    if left:
        print(f"  processes left after the hub stopped: {left}")
    print(json.dumps({"learners": args.learners, "failures": len(failures),
                      "to_server_p50": percentile(to_server, 50), "to_server_p95": percentile(to_server, 95),
                      "check_p50": percentile(checks, 50), "check_p95": percentile(checks, 95),
                      "proxied_page_p50": percentile(pages, 50), "proxied_page_p95": percentile(pages, 95),
                      "labelstudio_page_p50": percentile(ls_pages, 50), "labelstudio_page_p95": percentile(ls_pages, 95),
                      "labelstudio_start_p50": percentile(ls_starts, 50),
                      "server_cpu_sum": sum(server_cpu), "hub_cpu": hub_cpu, "bench_cpu": bench_cpu,
                      "machine_busy": busy, "window_s": window, "wait": args.wait,
                      "setup_s": setup, "run_s": wall}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
