"""The documents lab's figures (issue 18 parts 4-5): how long the checks of the notice take (q1 reads the .odt or
.docx as zip + XML, q2 reads the PDF with pypdf: no LibreOffice in either), and how long LibreOffice headless takes to
export the notice to PDF (what the reference answer does; the learner does it in Writer). Prints figures; asserts
nothing. Needs libreoffice-writer (apt.txt)."""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _util import percentiles  # noqa: E402

import jupytext  # noqa: E402

from graders.lab import Lab  # noqa: E402
from graders.progress import ProgressStore  # noqa: E402
from labs.documents import files  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def main(runs: int = 20) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        tmp = Path(tmp)
        os.environ.setdefault("XDG_CACHE_HOME", str(tmp / "cache"))   # LibreOffice's profile: never the real home
        nb = jupytext.read(REPO / "labs" / "documents" / "notebooks" / "documents.md")
        code = next(c.source for c in nb.cells
                    if c.metadata.get("question") == "q1" and c.metadata.get("role") == "answer")
        os.chdir(tmp)
        t0 = time.perf_counter()
        exec(compile(code, "q1_answer", "exec"), {})
        odt = time.perf_counter() - t0
        exports = []
        for _ in range(5):
            t0 = time.perf_counter()
            files.convert("notice.odt", "pdf")
            exports.append(time.perf_counter() - t0)
        lab = Lab("documents", lang="en", progress=ProgressStore(tmp / "p.sqlite"))
        lab.context["workdir"] = tmp
        for question in ("q1", "q2"):
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                verdict = lab.evaluate(question, {})
                times.append(time.perf_counter() - t0)
                assert verdict.passed, verdict
            p50, p95 = percentiles(times)
            print(f"check {question}: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms ({runs} runs)")
        p50, p95 = percentiles(exports)
        print(f"reference .fodt -> notice.odt (LibreOffice, first, profile made if new): {odt:.2f} s")
        print(f"notice.odt -> notice.pdf (LibreOffice headless, warm profile): p50 {p50:.2f} s, p95 {p95:.2f} s")


if __name__ == "__main__":
    main()
