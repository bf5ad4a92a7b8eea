"""Re-running a learner's robot the way a grader does: in a fresh folder, against a fresh practice company with another
data set and another page layout, with a time and a memory limit. What the robot did is then read from the app's
database, the files it left and the mail it sent, never from what the notebook printed.

Each *scenario* prepares the inputs, starts the services, runs the robot and returns an :class:`Evidence`; the checks
in ``checks.py`` judge it. Scenarios are cached by the robot's code and the data set, so two questions about one
robot run (orders and receipts, say) cost one run.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import company, datafiles

# Public: a learner's own check uses these (a data set and a layout they have not seen, so copied data or positions
# fail early). Grading uses other values from hidden/*.json.
CHECK_SPEC = {"seed": company.CHECK_SEED, "layout_seed": 4242}
LIMITS = {"files": 12, "excel": 30, "orders": 90, "challenge": 60, "report": 60}   # seconds of wall time per run
MEMORY_MB = 1500          # resident memory of the robot and every process it starts (its browser too)
FILE_SIZE_MB = 64         # no single file a robot writes may be larger


@dataclass
class RobotRun:
    script: str
    returncode: int | None = None
    timed_out: bool = False
    memory_exceeded: bool = False
    seconds: float = 0.0
    peak_mb: float = 0.0
    stdout: str = ""
    stderr: str = ""
    missing: bool = False
    limit: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.missing and not self.timed_out and not self.memory_exceeded and self.returncode == 0

    def error_line(self) -> str:
        """The last line of the robot's traceback (what a person reads first), shortened."""
        lines = [ln.strip() for ln in self.stderr.strip().splitlines() if ln.strip()]
        for line in reversed(lines):
            if not line.startswith(("File ", "^", "~", "During handling", "The above exception", "=", "Call log",
                                    "- ", "at ")):
                return line[:300]
        return f"exit code {self.returncode}"


@dataclass
class Evidence:
    runs: list[RobotRun]
    run_dir: Path
    spec: dict
    data: dict = field(default_factory=dict)     # what the scenario read back (app database, mail, files)

    @property
    def run(self) -> RobotRun:
        return self.runs[0]


# --- running one robot ------------------------------------------------------------------------------------------

def _session_pids(sid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            if int(fields[3]) == sid:   # field 6 of stat, the session id
                pids.append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    return pids


def _rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


def _kill_session(sid: int) -> None:
    for _ in range(3):
        pids = _session_pids(sid)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def _limits():  # runs in the robot's process before it starts
    import resource

    size = FILE_SIZE_MB * 2**20
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def robot_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GRADERS_SERVICE_", "RPA_", "JPY_", "NBGRADER_")) and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update({"RPA_HEADLESS": "1", "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8", "RPA_TIMEOUT_MS": "5000"})
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_robot(script: Path, run_dir: Path, env: dict[str, str], timeout: float,
              memory_mb: int = MEMORY_MB) -> RobotRun:
    """Run ``python <script>`` in ``run_dir``; stop it (and its browser) when it passes ``timeout`` seconds or
    ``memory_mb`` of resident memory."""
    result = RobotRun(script=script.name, limit=timeout)
    out_path, err_path = run_dir / ".robot-stdout.txt", run_dir / ".robot-stderr.txt"
    start = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen([sys.executable, script.name], cwd=run_dir, env=env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=_limits)
        try:
            while True:
                try:
                    proc.wait(timeout=0.25)
                    break
                except subprocess.TimeoutExpired:
                    pass
                used = _rss_mb(_session_pids(proc.pid))
                result.peak_mb = max(result.peak_mb, used)
                if used > memory_mb:
                    result.memory_exceeded = True
                    break
                if time.monotonic() - start > timeout:
                    result.timed_out = True
                    break
        finally:
            _kill_session(proc.pid)     # the robot's browser too, even when the robot itself has ended
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    result.seconds = time.monotonic() - start
    result.returncode = None if (result.timed_out or result.memory_exceeded) else proc.returncode
    result.stdout = out_path.read_text(encoding="utf-8", errors="replace")[-4000:]
    result.stderr = err_path.read_text(encoding="utf-8", errors="replace")[-6000:]
    out_path.unlink(missing_ok=True)
    err_path.unlink(missing_ok=True)
    return result


# --- scenarios --------------------------------------------------------------------------------------------------

_CACHE: dict[str, Evidence] = {}
_INBOX_CACHE: dict[int, Path] = {}


def spec_for(hidden) -> dict:
    spec = dict(CHECK_SPEC)
    if isinstance(hidden, dict):
        spec.update({k: v for k, v in hidden.items() if k in ("seed", "layout_seed", "order_count", "refused")})
    return spec


def _learner_code(workdir: Path) -> dict[str, bytes]:
    """Every top-level .py file of the learner's folder (a robot may import a helper file of its own)."""
    return {p.name: p.read_bytes() for p in sorted(Path(workdir).glob("*.py")) if p.is_file()}


def _key(kind: str, script: str, code: dict[str, bytes], spec: dict, extra=None) -> str:
    h = hashlib.sha256(json.dumps([kind, script, spec, extra], sort_keys=True).encode())
    for name, data in code.items():
        h.update(name.encode() + b"\0" + data)
    return h.hexdigest()


def _fresh_dir(kind: str, code: dict[str, bytes]) -> Path:
    run_dir = Path(tempfile.mkdtemp(prefix=f"rpa-{kind}-run-"))
    for name, data in code.items():
        (run_dir / name).write_bytes(data)
    return run_dir


def _missing(script: str, spec: dict) -> Evidence:
    return Evidence([RobotRun(script=script, missing=True)], Path("."), spec)


def cached(kind: str, workdir: Path, script: str, spec: dict, build, extra=None) -> Evidence:
    code = _learner_code(workdir)
    if script not in code:
        return _missing(script, spec)
    key = _key(kind, script, code, spec, extra)
    if key not in _CACHE:
        _CACHE[key] = build(code)
    return _CACHE[key]


def inbox_files(seed: int) -> Path:
    """The invoice PDFs of a data set, printed by Chromium once and kept in a cache folder (keyed by the seed and the
    generator's code) for later checks and kernels."""
    if seed in _INBOX_CACHE:
        return _INBOX_CACHE[seed]
    version = hashlib.sha256(Path(company.__file__).read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "digital-skills-labs" / "rpa-inbox"
    folder = cache / f"{seed}-{version}"
    inbox = company.invoices(seed)
    expected = {inv.file_name for inv in inbox.invoices} | set(inbox.unreadable)
    if not (folder.is_dir() and {p.name for p in folder.iterdir()} == expected):
        tmp = Path(tempfile.mkdtemp(prefix=f"rpa-inbox-{seed}-"))
        company.write_inbox(inbox, tmp)
        try:
            cache.mkdir(parents=True, exist_ok=True)
            if folder.exists():
                shutil.rmtree(folder)
            tmp.replace(folder)
        except OSError:   # no writable cache (a read-only home): use the temporary copy
            folder = tmp
    _INBOX_CACHE[seed] = folder
    return folder


def files_scenario(workdir: Path, spec: dict, script: str = "robot_files.py") -> Evidence:
    def build(code):
        run_dir = _fresh_dir("files", code)
        shutil.copytree(inbox_files(spec["seed"]), run_dir / "inbox")
        before = sorted(p.name for p in (run_dir / "inbox").iterdir())
        run = run_robot(run_dir / script, run_dir, robot_env({}), LIMITS["files"])
        files = sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file() and p.suffix != ".py")
        return Evidence([run], run_dir, spec, {"before": before, "files": files})
    return cached("files", workdir, script, spec, build)


def excel_scenario(workdir: Path, spec: dict, script: str = "robot_excel.py") -> Evidence:
    def build(code):
        run_dir = _fresh_dir("excel", code)
        datafiles.raw_orders_workbook(company.raw_orders(spec["seed"]), run_dir / "orders_raw.xlsx")
        run = run_robot(run_dir / script, run_dir, robot_env({}), LIMITS["excel"])
        return Evidence([run], run_dir, spec)
    return cached("excel", workdir, script, spec, build)


def _app_env(app, mail=None) -> dict[str, str]:
    env = {"RPA_APP_URL": app.url, "RPA_APP_USER": app.config.user, "RPA_APP_PASSWORD": app.config.password,
           "RPA_REPORT_TO": app.report_to}
    if mail is not None:
        env.update({"RPA_SMTP_HOST": mail.info()["smtp_host"], "RPA_SMTP_PORT": mail.info()["smtp_port"]})
    return env


def orders_scenario(workdir: Path, spec: dict, lang: str, script: str = "robot_orders.py", runs: int = 1) -> Evidence:
    """The order robot against a fresh order system; ``runs=2`` runs it twice in the same folder (a re-run).

    With ``spec["refused"]`` the order list also holds an order for a closed customer account, which the order system
    refuses on every try: a robust robot reports it (and so may end with an error) and still sends all the others, so
    a run that ends with an error does not stop the re-run then."""
    from graders.services.rpa_app import RpaAppService

    def build(code):
        run_dir = _fresh_dir("orders", code)
        count = spec.get("order_count", company.CHECK_ORDER_COUNT)
        refused = {}
        if spec.get("refused"):
            orders = company.robust_orders(spec["seed"], count)
            datafiles.orders_workbook(orders, run_dir / "orders.xlsx")
            refused = {o.order_ref: company.CLOSED_BY_NAME[o.customer].closed_on for o in orders
                       if o.customer in company.CLOSED_BY_NAME}
        else:
            orders = datafiles.write_order_files(spec["seed"], run_dir, count)
        app = RpaAppService(seed=spec["seed"], layout_seed=spec["layout_seed"], lang=lang, order_count=count)
        with app:
            done = []
            for _ in range(runs):
                done.append(run_robot(run_dir / script, run_dir, robot_env(_app_env(app)), LIMITS["orders"]))
                last = done[-1]
                if not last.ok and not (refused and last.returncode not in (None, 0) and not last.missing):
                    break
            data = {"orders": app.db.orders(), "requests": app.db.requests(),
                    "expected": [o.as_dict() for o in orders], "refused": refused,
                    "plan": company.failure_plan(spec["seed"], [o.order_ref for o in orders if o.order_ref not in refused])}
        return Evidence(done, run_dir, spec, data)
    return cached("orders", workdir, script, spec, build, extra=[lang, runs])


def challenge_scenario(workdir: Path, spec: dict, lang: str, script: str = "robot_challenge.py") -> Evidence:
    from graders.services.rpa_app import RpaAppService

    def build(code):
        run_dir = _fresh_dir("challenge", code)
        people = company.challenge_people(spec["seed"])
        datafiles.challenge_workbook(people, run_dir / "challenge.xlsx")
        app = RpaAppService(seed=spec["seed"], layout_seed=spec["layout_seed"], lang=lang)
        with app:
            run = run_robot(run_dir / script, run_dir, robot_env(_app_env(app)), LIMITS["challenge"])
            data = {"runs": app.db.challenge_runs(), "people": people}
        return Evidence([run], run_dir, spec, data)
    return cached("challenge", workdir, script, spec, build, extra=[lang])


def report_scenario(workdir: Path, spec: dict, lang: str, script: str = "robot_report.py") -> Evidence:
    from graders.services.rpa_app import RpaAppService
    from graders.services.rpa_mail import RpaMailService
    from pypdf import PdfWriter

    def build(code):
        run_dir = _fresh_dir("report", code)
        receipts = run_dir / "output" / "receipts"
        receipts.mkdir(parents=True)
        history = company.history(spec["seed"])
        for h in history:
            writer = PdfWriter()
            writer.add_blank_page(width=595, height=842)
            writer.add_metadata({"/Title": f"Receipt {h['order_ref']}"})
            with open(receipts / f"{h['order_ref']}.pdf", "wb") as f:
                writer.write(f)
        names = sorted(p.name for p in receipts.iterdir())
        app = RpaAppService(seed=spec["seed"], layout_seed=spec["layout_seed"], lang=lang, with_history=True)
        with app, RpaMailService() as mail:
            run = run_robot(run_dir / script, run_dir, robot_env(_app_env(app, mail)), LIMITS["report"])
            accepted = app.db.orders("accepted")
            data = {"messages": mail.messages(), "orders": accepted, "receipts": names, "report_to": app.report_to,
                    "total": sum(o["total"] for o in accepted)}
        return Evidence([run], run_dir, spec, data)
    return cached("report", workdir, script, spec, build, extra=[lang])
