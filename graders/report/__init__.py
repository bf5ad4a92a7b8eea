"""Class report and feedback: ``graders report <assignment>`` and ``graders feedback <assignment>``.

``data.py`` gathers scores from the nbgrader gradebook and the why from the grading records, ``html.py`` writes the
self-contained HTML and the CSV files (``plots.py`` draws the charts), ``feedback.py`` runs nbgrader's
generate_feedback / release_feedback with our preprocessor that words the feedback page in each learner's language.
"""
from __future__ import annotations

from pathlib import Path


def write_report(coursedir, assignment: str, lang: str = "en", out: Path | None = None) -> dict[str, Path]:
    """Write ``report-<lang>.html``, ``<assignment>-learners.csv`` and ``<assignment>-questions.csv``."""
    from ..grade import reasons  # noqa: F401 (registers the reasons' messages)
    from ..grade.records import records_dir
    from ..labdef import LABS_DIR, load_lab
    from .data import gather
    from .html import render_html, write_csv, write_questions_csv

    report = gather(coursedir, assignment)
    lab_id = report.lab or assignment
    title = assignment
    if (LABS_DIR / lab_id / "lab.toml").exists():
        lab = load_lab(lab_id)
        lab.checks  # its messages, to word the failures
        title = lab.title_in(lang)
    folder = Path(out) if out else Path(coursedir.root) / "reports" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"html": folder / f"report-{lang}.html", "learners_csv": folder / f"{assignment}-learners.csv",
             "questions_csv": folder / f"{assignment}-questions.csv"}
    paths["html"].write_text(render_html(report, lang, title, records_dir(Path(coursedir.root), assignment)),
                             encoding="utf-8")
    write_csv(report, lang, paths["learners_csv"])
    write_questions_csv(report, lang, paths["questions_csv"])
    return paths
