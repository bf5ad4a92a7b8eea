"""How long a learner waits for ``graders portfolio``: the progress store read, the portfolio page (HTML) and the
certificate (PDF with Japanese and Ukrainian fonts, subset by fpdf2), for a workspace where every lab of the course
is done. Prints seconds (median of ROUNDS); the certificate's size in KB."""
from __future__ import annotations

import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def main() -> None:
    from graders.cli import main as graders
    from graders.labdef import load_course, load_lab
    from graders.progress import ProgressStore

    course = load_course("digital-skills-day")
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "workspace"
        (ws / ".graders").mkdir(parents=True)
        store = ProgressStore(ws / ".graders" / "progress.sqlite")
        for lab_id in course.labs:
            for question in load_lab(lab_id).questions:
                store.record(lab_id, question, False, ["x"], "uk")
                store.record(lab_id, question, True, [], "uk")
        for label, extra in (("page only", ["--no-certificate"]), ("page + certificate (uk)", []),
                             ("page + certificate (uk + ja for an employer)", ["--employer-ja"])):
            times = []
            for i in range(ROUNDS):
                out = Path(tmp) / f"out-{len(extra)}-{i}"
                start = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()):
                    code = graders(["portfolio", "--workspace", str(ws), "--lang", "uk", "--name", "Олена Коваленко",
                                    "--out", str(out), *extra])
                times.append(time.perf_counter() - start)
                assert code == 0, f"graders portfolio exited {code}"
            pdfs = list(out.glob("*.pdf"))
            size = f", certificate {pdfs[0].stat().st_size / 1024:.0f} KB" if pdfs else ""
            print(f"{label:48s} median {statistics.median(times):.2f} s, max {max(times):.2f} s over {ROUNDS}{size}")


if __name__ == "__main__":
    main()
