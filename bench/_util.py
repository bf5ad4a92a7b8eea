"""Small shared helpers for the bench scripts (they print figures; nothing here asserts a time)."""
from __future__ import annotations

import json
import statistics
import time
import urllib.request


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 of the samples."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def wait_for_status(port: int, token: str, timeout: float = 300) -> float:
    """Seconds until JupyterLab's /api/status answers (raises after ``timeout``)."""
    start = time.perf_counter()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"})
    while time.perf_counter() - start < timeout:
        try:
            with urllib.request.urlopen(req, timeout=2) as r:
                json.loads(r.read())
                return time.perf_counter() - start
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"no /api/status on port {port} after {timeout} s")
