"""The class report as one self-contained HTML file (charts embedded, no scripts, no network) and CSV files."""
from __future__ import annotations

import csv
import html
import json
import statistics
from pathlib import Path

from ..i18n import Domain, LANGUAGE_NAMES
from ..render import _inline
from . import plots
from .data import ClassReport

M_ = Domain.beside(__file__)  # this package's own catalog (locale/ here)

TITLE = M_("report.title", "Class report: {lab}")
SUBTITLE = M_("report.subtitle", "Course {course} · assignment {assignment} · {learners} learner · made {date}", "Course {course} · assignment {assignment} · {learners} learners · made {date}", count="learners")
CARD_LEARNERS = M_("report.card.learners", "Learners")
CARD_MEAN = M_("report.card.mean", "Average score")
CARD_MEDIAN = M_("report.card.median", "Median score")
CARD_FULL = M_("report.card.full", "Full marks")
CARD_ATTENTION = M_("report.card.attention", "Need a look")
H_SCORES = M_("report.h.scores", "Score distribution")
H_QUESTIONS = M_("report.h.questions", "Questions: who got them right, and what went wrong")
H_TIME = M_("report.h.time", "Time spent")
H_ATTENTION = M_("report.h.attention", "Submissions that need a look")
H_LEARNERS = M_("report.h.learners", "All learners")
AX_SCORE = M_("report.axis.score", "score (points)")
AX_LEARNERS = M_("report.axis.learners", "learners")
AX_PASSED = M_("report.axis.passed", "learners with full points (%)")
AX_MINUTES = M_("report.axis.minutes", "minutes (approximate)")
COL_QUESTION = M_("report.col.question", "Question")
COL_POINTS = M_("report.col.points", "Points")
COL_PASSED = M_("report.col.passed", "Full points")
COL_PROBLEMS = M_("report.col.problems", "Most common problems: how many learners, and what the check told them")
COL_LEARNER = M_("report.col.learner", "Learner")
COL_LANGUAGE = M_("report.col.language", "Language")
COL_SCORE = M_("report.col.score", "Score")
COL_MINUTES = M_("report.col.minutes", "Minutes")
COL_SUBMITTED = M_("report.col.submitted", "Submitted")
COL_WHAT = M_("report.col.what", "What happened")
COL_STATUS = M_("report.col.status", "Status")
PASSED_OF = M_("report.passed_of", "{passed} of {total} ({percent}%)")
NO_PROBLEMS = M_("report.no_problems", "nobody had a problem here")
NO_TIMING = M_("report.no_timing", "No time was recorded in the submitted notebooks. To see how long learners spend on each question next time, turn on “Record cell timing” in JupyterLab's notebook settings for the class before the lab.")
TIMING_NOTE = M_("report.timing_note", "From the cell timing JupyterLab saved in {count} submitted notebook: the time from one check to the next, so it includes reading and breaks.", "From the cell timing JupyterLab saved in {count} submitted notebooks: the time from one check to the next, so it includes reading and breaks.", count="count")
NOBODY = M_("report.nobody", "No submission needs a look: no limits were hit and nothing was tampered with.")
FOOTER = M_("report.footer", "Scores come from the nbgrader gradebook; messages and reasons from the grading records in {records}.")
STATUS_GRADED = M_("report.status.graded", "graded")
STATUS_ERROR = M_("report.status.error", "could not be graded")
STATUS_UNGRADED = M_("report.status.ungraded", "graded without a record (plain nbgrader)")
CSV_NOTES = M_("report.csv.notes", "notes")

STYLE = """
body{font-family:"Noto Sans","Noto Sans CJK JP","DejaVu Sans",system-ui,sans-serif;margin:24px auto;max-width:1100px;
color:#1d1d1f;padding:0 16px;line-height:1.45}
h1{font-size:1.6em;margin:0 0 4px}h2{font-size:1.2em;margin:28px 0 8px;border-bottom:2px solid #e3e7ee;padding-bottom:4px}
.sub{color:#555;margin-bottom:18px}.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#f5f8fc;border-radius:8px;padding:10px 16px;min-width:130px}.card b{display:block;font-size:1.5em}
table{border-collapse:collapse;width:100%;font-size:.92em}th,td{border-bottom:1px solid #e3e7ee;padding:5px 8px;
text-align:left;vertical-align:top}th{background:#f5f8fc}td.num{text-align:right;white-space:nowrap}
.ok{color:#1b7f3b}.no{color:#b3261e}.count{display:inline-block;min-width:1.6em;text-align:center;background:#b3261e;
color:#fff;border-radius:9px;font-weight:600;font-size:.85em;margin-right:6px}ul.problems{margin:0;padding-left:0;list-style:none}
ul.problems li{margin:2px 0}
.note{color:#555;font-size:.9em}img{max-width:100%}.grid{display:grid;grid-template-columns:1fr 1fr;gap:18px}
@media(max-width:800px){.grid{grid-template-columns:1fr}}code{background:#f1f1f1;padding:0 3px;border-radius:3px}
"""


def _t(message, lang, **params) -> str:
    return html.escape(message.render(lang, **params))


def message_text(entry_id: str, params: dict, lang: str) -> str:
    from ..grade.reasons import render  # a reason's parameter may be a message itself (the name of a cell)

    return render({"id": entry_id, "params": params}, lang)


def render_html(report: ClassReport, lang: str, lab_title: str, records_dir: Path) -> str:
    n = len(report.learners)
    mean = report.stat(statistics.mean)
    median = report.stat(statistics.median)
    full = sum(1 for x in report.learners if x.max_score and x.score >= x.max_score)
    attention = [x for x in report.learners if _attention(x)]
    fmt = lambda v: "—" if v is None else f"{v:.1f}".rstrip("0").rstrip(".")  # noqa: E731
    out = [f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
           f"<title>{_t(TITLE, lang, lab=lab_title)}</title><style>{STYLE}</style></head><body>",
           f"<h1>{_t(TITLE, lang, lab=lab_title)}</h1>",
           f'<div class="sub">{_t(SUBTITLE, lang, course=report.course, assignment=report.assignment, learners=n, date=report.generated)}</div>',
           '<div class="cards">',
           f'<div class="card">{_t(CARD_LEARNERS, lang)}<b>{n}</b></div>',
           f'<div class="card">{_t(CARD_MEAN, lang)}<b>{fmt(mean)} / {report.max_score:g}</b></div>',
           f'<div class="card">{_t(CARD_MEDIAN, lang)}<b>{fmt(median)} / {report.max_score:g}</b></div>',
           f'<div class="card">{_t(CARD_FULL, lang)}<b>{full}</b></div>',
           f'<div class="card">{_t(CARD_ATTENTION, lang)}<b>{len(attention)}</b></div></div>']
    labels = [q.question for q in report.questions]
    out.append('<div class="grid"><div>')
    out.append(f"<h2>{_t(H_SCORES, lang)}</h2>")
    if report.scores:
        out.append(f'<img alt="{_t(H_SCORES, lang)}" src="{plots.score_histogram(report.scores, report.max_score, AX_SCORE.render(lang), AX_LEARNERS.render(lang))}">')
    out.append(f"</div><div><h2>{_t(COL_PASSED, lang)}</h2>")
    if labels:
        out.append(f'<img alt="{_t(COL_PASSED, lang)}" src="{plots.pass_rates(labels, [q.pass_rate for q in report.questions], AX_PASSED.render(lang))}">')
    out.append("</div></div>")

    out.append(f"<h2>{_t(H_QUESTIONS, lang)}</h2><table><tr><th>{_t(COL_QUESTION, lang)}</th>"
               f"<th>{_t(COL_POINTS, lang)}</th><th>{_t(COL_PASSED, lang)}</th><th>{_t(COL_PROBLEMS, lang)}</th></tr>")
    for q in report.questions:
        total = len(q.scores)
        percent = round(100 * q.pass_rate) if total else 0
        problems = "".join(
            f'<li><span class="count" title="{_t(AX_LEARNERS, lang)}">{f.learners}</span> '
            f"{_inline(message_text(f.id, f.params, lang))}</li>" for f in q.failures[:4])
        out.append(f'<tr id="q-{html.escape(q.question)}"><td><b>{html.escape(q.question)}</b></td>'
                   f'<td class="num">{q.points:g}</td>'
                   f'<td class="num">{_t(PASSED_OF, lang, passed=q.passed, total=total, percent=percent)}</td>'
                   f'<td>{"<ul class=problems>" + problems + "</ul>" if problems else _t(NO_PROBLEMS, lang)}</td></tr>')
    out.append("</table>")

    out.append(f"<h2>{_t(H_TIME, lang)}</h2>")
    timed = [x for x in report.learners if x.minutes is not None]
    if timed and any(q.minutes for q in report.questions):
        with_time = [q for q in report.questions if q.minutes]
        out.append(f'<p class="note">{_t(TIMING_NOTE, lang, count=len(timed))}</p>')
        out.append(f'<img alt="{_t(H_TIME, lang)}" src="{plots.minutes_boxplot([q.question for q in with_time], [q.minutes for q in with_time], AX_MINUTES.render(lang))}">')
    else:
        out.append(f'<p class="note">{_t(NO_TIMING, lang)}</p>')

    out.append(f"<h2>{_t(H_ATTENTION, lang)}</h2>")
    if attention:
        out.append(f"<table><tr><th>{_t(COL_LEARNER, lang)}</th><th>{_t(COL_SCORE, lang)}</th>"
                   f"<th>{_t(COL_WHAT, lang)}</th></tr>")
        for x in attention:
            what = "".join(f"<li>{_inline(message_text(r['id'], r.get('params', {}), lang))}</li>"
                           for r in _attention(x))
            out.append(f'<tr><td>{html.escape(x.student)}</td><td class="num">{x.score:g} / {x.max_score:g}</td>'
                       f'<td><ul class="problems">{what}</ul></td></tr>')
        out.append("</table>")
    else:
        out.append(f'<p class="note">{_t(NOBODY, lang)}</p>')

    out.append(f"<h2>{_t(H_LEARNERS, lang)}</h2><table><tr><th>{_t(COL_LEARNER, lang)}</th>"
               f"<th>{_t(COL_LANGUAGE, lang)}</th><th>{_t(COL_SCORE, lang)}</th>"
               + "".join(f"<th>{html.escape(q)}</th>" for q in labels)
               + f"<th>{_t(COL_MINUTES, lang)}</th><th>{_t(COL_SUBMITTED, lang)}</th><th>{_t(COL_STATUS, lang)}</th></tr>")
    for x in report.learners:
        cells = []
        for q in report.questions:
            s = x.question_scores.get(q.question)
            mark = "—" if s is None else (f'<span class="ok">✔</span>' if s >= q.points else f'<span class="no">✘</span>')
            cells.append(f'<td class="num">{mark}</td>')
        status = {"graded": STATUS_GRADED, "error": STATUS_ERROR}.get(x.status, STATUS_UNGRADED)
        out.append(f'<tr data-student="{html.escape(x.student)}" data-score="{x.score:g}"><td>{html.escape(x.student)}</td>'
                   f"<td>{html.escape(LANGUAGE_NAMES.get(x.lang or '', '—'))}</td>"
                   f'<td class="num">{x.score:g} / {x.max_score:g}</td>' + "".join(cells)
                   + f'<td class="num">{"—" if x.minutes is None else f"{x.minutes:g}"}</td>'
                   f"<td>{html.escape(x.submitted_at or '—')}</td><td>{_t(status, lang)}</td></tr>")
    out.append("</table>")
    out.append(f'<p class="note">{_t(FOOTER, lang, records=str(records_dir))}</p>')
    data = json.dumps(report.to_json(), ensure_ascii=False).replace("</", "<\\/")
    out.append(f'<script type="application/json" id="report-data">{data}</script>')
    out.append("</body></html>")
    return "\n".join(out)


def _attention(learner) -> list[dict]:
    from ..grade.reasons import KIND
    return [r for r in learner.reasons if KIND.get(r.get("id")) not in (None, "not_run")]


def write_csv(report: ClassReport, lang: str, path: Path) -> None:
    """One row per learner: score, points per question, minutes, notes (in the report's language)."""
    labels = [q.question for q in report.questions]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student_id", "language", "score", "max_score", *labels, "minutes", "submitted", "status",
                    CSV_NOTES.render(lang)])
        for x in report.learners:
            notes = " | ".join(message_text(r["id"], r.get("params", {}), lang) for r in _attention(x))
            w.writerow([x.student, x.lang or "", f"{x.score:g}", f"{x.max_score:g}",
                        *[("" if x.question_scores.get(q) is None else f"{x.question_scores[q]:g}") for q in labels],
                        "" if x.minutes is None else f"{x.minutes:g}", x.submitted_at or "", x.status, notes])


def write_questions_csv(report: ClassReport, lang: str, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["question", "grade_id", "points", "learners", "full_points", "pass_rate", "message_id",
                    "learners_with_message", "example"])
        for q in report.questions:
            rows = q.failures or [None]
            for failure in rows:
                w.writerow([q.question, q.grade_id, f"{q.points:g}", len(q.scores), q.passed, f"{q.pass_rate:.3f}",
                            failure.id if failure else "", failure.learners if failure else "",
                            message_text(failure.id, failure.params, lang) if failure else ""])
