"""The spreadsheet lab's figures (issue 18): one recomputation check with a warm LibreOffice (target: 3 s or less on
2 cores), a cold one (fresh profile), and the desktop's start time from JupyterLab's /desktop/ (Xfce up, then Calc
open on a workbook). Prints figures; asserts nothing. Needs the Debian packages of apt.txt and /usr/bin/chromium."""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _util import percentiles, wait_for_status  # noqa: E402

from graders import desktop, spreadsheet  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
HIDDEN = json.loads((REPO / "labs" / "sheets" / "hidden" / "q3.json").read_text(encoding="utf-8"))


def reference_workbook(path: Path) -> Path:
    from openpyxl import load_workbook

    from labs.sheets.workbook import make

    make(path)
    wb = load_workbook(path)
    for r in range(2, 14):
        wb["Sales"][f"D{r}"] = f"=VLOOKUP(B{r},Prices!$A$2:$C$8,3,FALSE)"
        wb["Sales"][f"E{r}"] = f"=C{r}*D{r}"
        wb["Sales"][f"F{r}"] = f"=E{r}*$H$1"
    s = wb["Summary"]
    s["B1"], s["B2"] = "=SUM(Sales!E2:E13)", '=COUNTIF(Sales!C2:C13,">=5")'
    s["B3"], s["B4"] = '=SUMIFS(Sales!E2:E13,Sales!B2:B13,"C01")', '=IF(B1>=15000,"yes","no")'
    wb.save(path)
    return path


def bench_recompute(rounds: int = 5) -> None:
    from graders.checks import Check
    from labs.sheets import checks

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")   # a fresh profile: the first call is cold
        path = reference_workbook(tmp / "kiosk.xlsx")
        t = time.perf_counter()
        spreadsheet.recompute(path, None)
        print(f"recompute, cold (new LibreOffice profile): {time.perf_counter() - t:.2f} s")
        warm = []
        for _ in range(rounds):
            t = time.perf_counter()
            spreadsheet.recompute(path, {"Sales": {"H1": 0.08}})
            warm.append(time.perf_counter() - t)
        p50, p95 = percentiles(warm)
        print(f"recompute, warm ({rounds} rounds): p50 {p50:.2f} s, p95 {p95:.2f} s")
        whole = []
        for _ in range(3):
            checks._CACHE.clear()
            t = time.perf_counter()
            check = Check({}, hidden=HIDDEN, context={"workdir": str(tmp)})
            checks.q3(check)
            whole.append(time.perf_counter() - t)
            assert check.parts[-1].ok
        p50, p95 = percentiles(whole)
        print(f"one graded check (q3: read formulas, recompute today's and the hidden data), warm: p50 {p50:.2f} s, "
              f"p95 {p95:.2f} s")


def bench_new_checks(rounds: int = 3) -> None:
    """q4 (pivot table), q5 (form answers), q6 (Japanese dates) graded on the notebook's own reference answers: each
    check reads the workbook, recomputes it on today's and on the hidden data (a pivot is rebuilt by LibreOffice)."""
    import re

    from graders.checks import Check
    from labs.sheets import checks
    from labs.sheets.workbook import make

    source = (REPO / "labs" / "sheets" / "notebooks" / "sheets.md").read_text(encoding="utf-8")
    answers = dict(re.findall(r'```python role="answer" question="(q\d)"\n### BEGIN SOLUTION\n(.*?)### END SOLUTION',
                              source, re.S))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
        here = os.getcwd()
        os.chdir(tmp)
        try:
            make(Path("kiosk.xlsx"))
            for q in sorted(answers):
                exec(answers[q], {})
        finally:
            os.chdir(here)
        spreadsheet.recompute(Path(tmp) / "kiosk.xlsx", None)   # warm the profile
        for q in ("q4", "q5", "q6"):
            hidden = json.loads((REPO / "labs" / "sheets" / "hidden" / f"{q}.json").read_text(encoding="utf-8"))
            times = []
            for _ in range(rounds):
                checks._CACHE.clear()
                t = time.perf_counter()
                check = Check({}, hidden=hidden, context={"workdir": tmp})
                getattr(checks, q)(check)
                times.append(time.perf_counter() - t)
                assert check.parts[-1].ok, check.parts
            p50, p95 = percentiles(times)
            print(f"one graded check ({q}, today + hidden data), warm: p50 {p50:.2f} s, p95 {p95:.2f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def procs_with(mark: str) -> list[tuple[int, str]]:
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if mark.encode() not in f.read():
                    continue
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                out.append((int(entry), f.read().replace(b"\0", b" ").decode(errors="replace").strip()))
        except OSError:
            continue
    return out


def bench_desktop() -> None:
    from playwright.sync_api import sync_playwright

    from graders.start import jupyter_command, jupyterlab_environment

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "workspace"
        (ws / ".graders").mkdir(parents=True)
        book = reference_workbook(ws / "kiosk.xlsx")
        port, token, mark = free_port(), secrets.token_hex(8), f"BENCH_DESKTOP_{secrets.token_hex(4)}"
        env = jupyterlab_environment(ws, "ja", True)
        env[mark] = "1"
        home = Path(tmp) / "home"   # the learner's home (LibreOffice profile, Jupyter's runtime files) stays in tmp
        for var, rel in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_CACHE_HOME", ".cache"),
                         ("XDG_DATA_HOME", ".local/share"), ("JUPYTER_RUNTIME_DIR", ".local/share/jupyter/runtime")):
            (home / rel).mkdir(parents=True, exist_ok=True)
            env[var] = str(home / rel)
        proc = subprocess.Popen(jupyter_command(ws, port, False, token), env=env, cwd=ws, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            print(f"JupyterLab answers after {wait_for_status(port, token):.1f} s")
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
                page = browser.new_page(viewport={"width": 1680, "height": 1050})
                t = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port}/desktop/?token={token}")
                while not any(cmd == "xfdesktop" for _, cmd in procs_with(mark)):
                    if time.perf_counter() - t > 120:
                        raise TimeoutError("no desktop after 120 s")
                    time.sleep(0.1)
                print(f"desktop: /desktop/ opened -> Xfce's desktop running: {time.perf_counter() - t:.1f} s")
                session = next(pid for pid, cmd in procs_with(mark) if cmd.endswith("xfce4-session"))
                with open(f"/proc/{session}/environ", "rb") as f:
                    senv = dict(item.decode(errors="replace").split("=", 1)
                                for item in f.read().split(b"\0") if b"=" in item)
                t = time.perf_counter()
                calc = subprocess.Popen(["soffice", "--calc", str(book)], env=senv, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
                while "kiosk.xlsx" not in subprocess.run(["xwininfo", "-root", "-tree", "-display", senv["DISPLAY"]],
                                                         capture_output=True, text=True, env=senv).stdout:
                    if time.perf_counter() - t > 120:
                        raise TimeoutError("no Calc window after 120 s")
                    time.sleep(0.1)
                print(f"Calc opens kiosk.xlsx on the desktop (first start of the profile): {time.perf_counter() - t:.1f} s")
                browser.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
            deadline = time.monotonic() + 20
            while procs_with(mark) and time.monotonic() < deadline:
                time.sleep(0.2)
            left = procs_with(mark)
            for pid, _ in left:
                os.kill(pid, signal.SIGKILL)
            print(f"after JupyterLab stopped: {len(left)} desktop process(es) left")
            try:
                calc.wait(5)
            except (subprocess.TimeoutExpired, NameError):
                pass


if __name__ == "__main__":
    if not spreadsheet.available() or not desktop.available():
        print("LibreOffice / the desktop (apt.txt) is not installed: skipped")
        sys.exit(0)
    bench_recompute()
    bench_new_checks()
    if Path("/usr/bin/chromium").exists() and "--no-desktop" not in sys.argv:
        bench_desktop()
