"""The portfolio as one self-contained HTML page (no scripts to run, no images, no links to fetch: it reads offline
and can be sent as one file), in one language."""
from __future__ import annotations

import html
import json

from babel.dates import format_date

from .record import M_, LabResult, Record

PAGE_TITLE = M_("portfolio.page.title", "Portfolio of {name}")
PAGE_TITLE_NO_NAME = M_("portfolio.page.title_no_name", "My learning portfolio")
SUBTITLE = M_("portfolio.page.subtitle", "Course “{course}” · {date}")
CARD_LABS = M_("portfolio.card.labs", "Labs completed")
CARD_POINTS = M_("portfolio.card.points", "Points")
CARD_QUESTIONS = M_("portfolio.card.questions", "Exercises passed")
SELF_STUDY = M_("portfolio.self_study", "Self-study record: made from the learner's own check results on their computer. It has not been checked by an instructor.")
VERIFIED = M_("portfolio.verified", "Verified record: issued by the course instructor from the grades of the submitted work. Verification code: {code}")
H_LABS = M_("portfolio.h.labs", "Labs and what I built")
COL_LAB = M_("portfolio.col.lab", "Lab")
COL_BUILT = M_("portfolio.col.built", "What I built and practised")
COL_QUESTIONS = M_("portfolio.col.questions", "Exercises")
COL_POINTS = M_("portfolio.col.points", "Points")
COL_STATUS = M_("portfolio.col.status", "Status")
OF = M_("portfolio.of", "{done} of {total}")
STATUS_COMPLETE = M_("portfolio.status.complete", "completed")
STATUS_PROGRESS = M_("portfolio.status.in_progress", "in progress")
STATUS_GRADING = M_("portfolio.status.grading", "submitted, being graded")
STATUS_NOT_STARTED = M_("portfolio.status.not_started", "not started yet")
STATUS_GRADED = M_("portfolio.status.graded", "submitted and graded")
STATUS_NOT_SUBMITTED = M_("portfolio.status.not_submitted", "not submitted")
STATUS_BELOW_PASS = M_("portfolio.status.below_pass", "submitted and graded, below the pass mark")
NO_SUMMARY = M_("portfolio.no_summary", "(no description for this lab yet)")
FOOTER = M_("portfolio.page.footer", "Made with the digital-skills labs. Everything is on this one page, so it opens without the internet.")

STYLE = """
body{font-family:"Noto Sans","Noto Sans CJK JP","DejaVu Sans",system-ui,sans-serif;margin:24px auto;max-width:980px;
color:#1d1d1f;padding:0 16px;line-height:1.5}
h1{font-size:1.7em;margin:0 0 4px}h2{font-size:1.2em;margin:28px 0 8px;border-bottom:2px solid #e3e7ee;padding-bottom:4px}
.sub{color:#555;margin-bottom:14px}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{background:#f5f8fc;border-radius:8px;padding:10px 16px;min-width:150px}.card b{display:block;font-size:1.5em}
.banner{border-left:5px solid #b26a00;background:#fff7e6;padding:8px 12px;margin:12px 0}
.banner.verified{border-color:#1b7f3b;background:#eef8f0}.banner code{font-size:1.05em;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.95em}th,td{border-bottom:1px solid #e3e7ee;padding:7px 8px;
text-align:left;vertical-align:top}th{background:#f5f8fc}td.num{text-align:right;white-space:nowrap}
.bar{background:#e3e7ee;border-radius:4px;height:6px;margin-top:4px;min-width:80px}.bar i{display:block;height:6px;
border-radius:4px;background:#1565c0}.complete{color:#1b7f3b;font-weight:600}.todo{color:#666}
td.status{white-space:nowrap}.summary{color:#333}.none{color:#888;font-style:italic}.note{color:#555;font-size:.9em;margin-top:24px}
@media print{body{margin:0}.card,.banner{break-inside:avoid}}
"""


def _t(message, lang: str, **params) -> str:
    return html.escape(message.render(lang, **params))


def number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def long_date(iso: str, lang: str) -> str:
    import datetime as dt

    try:
        return format_date(dt.date.fromisoformat(iso), format="long", locale={"uk": "uk_UA", "ja": "ja_JP"}.get(lang, "en_GB"))
    except ValueError:
        return iso


def status_of(lab: LabResult, record: Record):
    """Self-study: complete when every exercise passed. Gradebook: complete when submitted, fully graded and at the
    course's pass mark (the points say how well)."""
    if record.source == "gradebook":
        if lab.complete:
            return STATUS_GRADED
        if lab.graded:
            return STATUS_BELOW_PASS
        return STATUS_GRADING if lab.started else STATUS_NOT_SUBMITTED
    if lab.complete:
        return STATUS_COMPLETE
    return STATUS_PROGRESS if lab.started else STATUS_NOT_STARTED


def render_page(record: Record, lang: str) -> str:
    name = record.name.strip()
    title = _t(PAGE_TITLE, lang, name=name) if name else _t(PAGE_TITLE_NO_NAME, lang)
    points = sum(lab.points for lab in record.labs)
    max_points = sum(lab.max_points for lab in record.labs)
    passed = sum(lab.passed for lab in record.labs)
    questions = sum(lab.questions for lab in record.labs)
    out = [f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width,initial-scale=1">',
           f"<title>{title}</title><style>{STYLE}</style></head><body>",
           f"<h1>{title}</h1>",
           f'<div class="sub">{_t(SUBTITLE, lang, course=record.course_title_in(lang), date=long_date(record.issued, lang))}</div>']
    if record.verified:
        out.append(f'<div class="banner verified" id="status">{_t(VERIFIED, lang, code=record.code)}</div>')
    else:
        out.append(f'<div class="banner" id="status">{_t(SELF_STUDY, lang)}</div>')
    out.append('<div class="cards">'
               f'<div class="card">{_t(CARD_LABS, lang)}<b>{_t(OF, lang, done=len(record.completed), total=len(record.labs))}</b></div>'
               f'<div class="card">{_t(CARD_QUESTIONS, lang)}<b>{_t(OF, lang, done=passed, total=questions)}</b></div>'
               f'<div class="card">{_t(CARD_POINTS, lang)}<b>{_t(OF, lang, done=number(points), total=number(max_points))}</b></div>'
               "</div>")
    out.append(f"<h2>{_t(H_LABS, lang)}</h2><table><tr><th>{_t(COL_LAB, lang)}</th><th>{_t(COL_BUILT, lang)}</th>"
               f"<th>{_t(COL_QUESTIONS, lang)}</th><th>{_t(COL_POINTS, lang)}</th><th>{_t(COL_STATUS, lang)}</th></tr>")
    for lab in record.labs:
        summary = lab.summary_in(lang)
        built = (f'<span class="summary">{html.escape(summary)}</span>' if summary
                 else f'<span class="none">{_t(NO_SUMMARY, lang)}</span>')
        width = round(100 * lab.points / lab.max_points) if lab.max_points else 0
        status = status_of(lab, record)
        css = "complete" if lab.complete else "todo"
        out.append(f'<tr data-lab="{html.escape(lab.id)}" data-complete="{str(lab.complete).lower()}">'
                   f"<td><b>{html.escape(lab.title_in(lang))}</b></td><td>{built}</td>"
                   f'<td class="num">{_t(OF, lang, done=lab.passed, total=lab.questions)}</td>'
                   f'<td class="num">{_t(OF, lang, done=number(lab.points), total=number(lab.max_points))}'
                   f'<div class="bar"><i style="width:{width}%"></i></div></td>'
                   f'<td class="status {css}">{_t(status, lang)}</td></tr>')
    out.append("</table>")
    out.append(f'<p class="note">{_t(FOOTER, lang)}</p>')
    data = json.dumps(record.to_json(), ensure_ascii=False).replace("</", "<\\/")
    out.append(f'<script type="application/json" id="portfolio-data">{data}</script>')
    out.append("</body></html>")
    return "\n".join(out)
