"""Workbooks as a spreadsheet application computes them: LibreOffice headless converts and recomputes, openpyxl reads.

* :func:`convert` turns a workbook (.xlsx, .ods, .xls, .csv) into another format with LibreOffice headless, every
  formula recomputed (Excel and Google Sheets files carry saved values that may be stale: the private profile says
  "always recompute on load").
* :func:`read_workbook` opens a learner's .xlsx or .ods with openpyxl, formulas as written (an .ods is converted
  to .xlsx first); a file that is not a spreadsheet raises :class:`NotAWorkbook`.
* :func:`recompute` writes other data into the learner's workbook (same sheets and cells, other values: the lab's
  hidden data), lets LibreOffice recompute every formula, and gives back the computed values. A number typed in where
  a formula belongs keeps today's value and so differs from the recomputed one.

LibreOffice runs with a profile of its own (never the learner's), no network and no display, so it works inside the
grading sandbox (private HOME, no network, limits). One profile is reused while it is free (a warm start); a second
conversion at the same time gets a fresh one.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

SPREADSHEET_SUFFIXES = (".xlsx", ".ods", ".xlsm")
TIMEOUT = 120


class SpreadsheetError(RuntimeError):
    """LibreOffice is missing or failed."""


class NotAWorkbook(ValueError):
    """The file is not a spreadsheet (or not one we can read)."""


def soffice() -> str:
    for name in ("soffice", "libreoffice"):
        path = shutil.which(name)
        if path:
            return path
    raise SpreadsheetError("LibreOffice (soffice) is not installed: install the Debian packages in apt.txt")


def available() -> bool:
    try:
        soffice()
        return True
    except SpreadsheetError:
        return False


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "digital-skills-labs" / "libreoffice"


@contextmanager
def _profile() -> Iterator[Path]:
    """A LibreOffice profile for one conversion: the shared warm one when free, else a fresh temporary one."""
    from .desktop import write_profile

    root = _cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        lock = open(root / "lock", "a+")
    except OSError:   # a read-only home: a temporary profile each time
        lock = None
    if lock is not None:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            lock = None
    if lock is not None:
        try:
            profile = root / "profile"
            if not (profile / "user" / "registrymodifications.xcu").exists():
                write_profile(profile, recalc=True)
            yield profile
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
        return
    with tempfile.TemporaryDirectory(prefix="graders-lo-") as tmp:
        profile = Path(tmp) / "profile"
        write_profile(profile, recalc=True)
        yield profile


def convert(src: Path, fmt: str, outdir: Path, timeout: float = TIMEOUT) -> Path:
    """``src`` converted by LibreOffice headless into ``outdir`` as ``fmt`` ("xlsx", "ods", "csv", "pdf" ...),
    formulas recomputed. Returns the new file's path."""
    src, outdir = Path(src).resolve(), Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    out = outdir / (src.stem + "." + fmt.split(":")[0])
    if out == src:
        raise ValueError(f"converting {src.name} onto itself")
    with _profile() as profile, tempfile.TemporaryDirectory(prefix="graders-lo-home-") as home:
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SESSION_MANAGER")}
        env.update({"HOME": home, "LANG": "C.UTF-8", "SAL_USE_VCLPLUGIN": "svp"})
        env.pop("LC_ALL", None)
        cmd = [soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--norestore",
               "--nolockcheck", "--nodefault", "--nologo", "--convert-to", fmt, "--outdir", str(outdir), str(src)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            try:   # soffice is a launcher: stop soffice.bin too (its own process group)
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.communicate()
            raise SpreadsheetError(f"LibreOffice took longer than {timeout:.0f} s to convert {src.name}") from exc
    if not out.exists():
        raise SpreadsheetError(f"LibreOffice could not convert {src.name}: {(stderr or stdout).strip()[-500:]}")
    return out


def looks_like_spreadsheet(path: Path) -> bool:
    """An .xlsx or .ods is a zip file with the right parts inside (a renamed text file or picture is not)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    if "xl/workbook.xml" in names:
        return True
    if "mimetype" in names:
        with zipfile.ZipFile(path) as z:
            return z.read("mimetype").decode(errors="replace").strip() == "application/vnd.oasis.opendocument.spreadsheet"
    return False


def as_xlsx(path: Path, workdir: Path) -> Path:
    """The workbook as .xlsx (an .ods is converted by LibreOffice into ``workdir``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(path)
    if path.stat().st_size == 0 or not looks_like_spreadsheet(path):
        raise NotAWorkbook(path.name)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return path
    return convert(path, "xlsx", workdir)


def read_workbook(path: Path, workdir: Path | None = None, data_only: bool = False):
    """openpyxl's workbook of a learner's .xlsx or .ods (formulas as strings unless ``data_only``)."""
    from openpyxl import load_workbook

    with tempfile.TemporaryDirectory(prefix="graders-wb-") as tmp:
        xlsx = as_xlsx(path, Path(workdir or tmp))
        try:
            return load_workbook(xlsx, data_only=data_only)
        except Exception as exc:   # openpyxl's many ways of saying "not a workbook"
            raise NotAWorkbook(Path(path).name) from exc


def recompute(path: Path, data: dict[str, dict[str, object]] | None = None) -> dict[str, dict[str, object]]:
    """Every cell's value after LibreOffice recomputed the workbook, with ``data`` (sheet -> {"B2": value})
    written over the learner's cells first. Returns sheet -> {"B2": value} of the recomputed workbook."""
    from openpyxl import load_workbook

    with tempfile.TemporaryDirectory(prefix="graders-recompute-") as tmp:
        tmp = Path(tmp)
        xlsx = as_xlsx(path, tmp / "from-ods")
        if data:
            wb = load_workbook(xlsx)
            for sheet, cells in data.items():
                if sheet not in wb.sheetnames:
                    continue
                ws = wb[sheet]
                for ref, value in cells.items():
                    ws[ref] = value
            xlsx = tmp / "input" / "workbook.xlsx"
            xlsx.parent.mkdir()
            wb.save(xlsx)
        elif xlsx.parent != tmp / "from-ods":
            copy = tmp / "input" / "workbook.xlsx"
            copy.parent.mkdir()
            shutil.copyfile(xlsx, copy)
            xlsx = copy
        out = convert(xlsx, "xlsx", tmp / "out")
        wb = load_workbook(out, data_only=True)
        return {ws.title: {cell.coordinate: cell.value for row in ws.iter_rows() for cell in row
                           if cell.value is not None} for ws in wb.worksheets}
