"""Runs in the learner's kernel: what the learner's last error was, as plain data the check can read.

IPython keeps the last error of a cell in ``sys.last_value`` / ``sys.last_traceback``. When a notebook is graded, a
failed check raises ``CheckFailed`` (which would hide the learner's own error), and the check itself runs in the
grader's process: so the check cell of exercise 7 calls :func:`last_error` once, which remembers the learner's error,
and the check calls it again (in the kernel, through the grader) to read what was remembered.
"""
from __future__ import annotations

import sys
import traceback

_kept: dict | None = None


def _failing_line(tb) -> tuple[int, str]:
    """The line of the learner's own code that failed: the last frame that is not inside Python or a library."""
    frames = traceback.extract_tb(tb) if tb is not None else []
    mine = [f for f in frames if "site-packages" not in f.filename and "/lib/python" not in f.filename]
    frame = (mine or frames or [None])[-1]
    if frame is None:
        return 0, ""
    return frame.lineno or 0, (frame.line or "").strip()


def last_error() -> dict | None:
    """``{"kind", "detail", "key", "line", "code"}`` of the learner's last error, or None when there was none."""
    global _kept
    exc = getattr(sys, "last_value", None)
    if exc is not None and type(exc).__name__ != "CheckFailed":
        line, code = _failing_line(getattr(sys, "last_traceback", None))
        key = exc.args[0] if isinstance(exc, KeyError) and exc.args else None
        _kept = {"kind": type(exc).__name__, "detail": str(exc), "line": line, "code": code,
                 "key": key if isinstance(key, (str, int, float, bool)) or key is None else repr(key)}
    return _kept
