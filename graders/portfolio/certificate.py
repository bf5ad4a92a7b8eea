"""The certificate of completion as a PDF (fpdf2): one A4 page per language, fonts embedded (``fonts.py``).

A certificate issued from the gradebook carries its verification code; the learner's own (self-study) certificate
says plainly that it is a self-study record that no instructor has checked, and has no code.
"""
from __future__ import annotations

from pathlib import Path

from .fonts import find_fonts, uncovered
from .page import long_date, number
from .record import M_, PortfolioError, Record

TITLE = M_("certificate.title", "Certificate of completion")
SELF_BADGE = M_("certificate.self_study.badge", "Self-study record · not verified by an instructor")
AWARDED = M_("certificate.awarded_to", "Awarded to")
COMPLETED_VERIFIED = M_("certificate.completed.verified", "for completing {done} of the {total} lab of the course “{course}”:", "for completing {done} of the {total} labs of the course “{course}”:", count="total")
COMPLETED_SELF = M_("certificate.completed.self_study", "for completing {done} of the {total} lab of the course “{course}” by self-study:", "for completing {done} of the {total} labs of the course “{course}” by self-study:", count="total")
LAB_SCORE = M_("certificate.lab_score", "{points} of {max_points} point · exercises passed: {passed} of {questions}", "{points} of {max_points} points · exercises passed: {passed} of {questions}", count="max_points")
TOTAL = M_("certificate.total", "Total: {points} of {max_points} point in the completed labs", "Total: {points} of {max_points} points in the completed labs", count="max_points")
DATE = M_("certificate.date", "Date of issue: {date}")
CODE = M_("certificate.code", "Verification code: {code}")
HOW_TO_VERIFY = M_("certificate.how_to_verify", "To confirm this certificate, ask the course organiser to check the code: they will see exactly what it certifies (command: graders certificate verify {code}).")
NO_FPDF = M_("certificate.error.no_fpdf", "The certificate needs the Python package fpdf2, which is not installed here. Run `make install` (or pip install fpdf2), then try again.")
MISSING = M_("certificate.missing_glyphs", "Note: these characters cannot be shown with the fonts on this computer and will look like empty boxes on the certificate: {chars}")
SELF_NOTE = M_("certificate.self_study.note", "The learner made this record on their own computer from the results of the labs' automatic checks. No instructor has checked it, so it has no verification code. A certificate with a code is issued by the course organiser from graded work.")

BLUE = (21, 101, 192)
GREY = (85, 85, 85)
DARK = (29, 29, 31)
AMBER = (150, 85, 0)
GREEN = (27, 127, 59)


def _pdf():
    try:
        from fpdf import FPDF
    except ImportError:
        raise PortfolioError(NO_FPDF) from None

    fonts = find_fonts()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("Main", "", fonts.regular.path, collection_font_number=fonts.regular.index)
    bold = fonts.bold or fonts.regular
    pdf.add_font("Main", "B", bold.path, collection_font_number=bold.index)
    if fonts.fallback is not None:
        pdf.add_font("Fallback", "", fonts.fallback.path, collection_font_number=fonts.fallback.index)
        fb_bold = fonts.fallback_bold or fonts.fallback
        pdf.add_font("Fallback", "B", fb_bold.path, collection_font_number=fb_bold.index)
        pdf.set_fallback_fonts(["Fallback"], exact_match=False)
    return pdf


def _text(pdf, lang: str, text: str, size: float, *, style: str = "", color=DARK, align: str = "C",
          x: float = 20, w: float = 170, h: float | None = None) -> None:
    pdf.set_font("Main", style, size)
    pdf.set_text_color(*color)
    pdf.set_x(x)
    # Japanese has no spaces between words: wrap it at any character; other languages at spaces.
    pdf.multi_cell(w, h or size * 0.5, text, align=align, wrapmode="CHAR" if lang == "ja" else "WORD",
                   new_x="LMARGIN", new_y="NEXT")


def _fit(pdf, text: str, size: float, style: str = "", width: float = 170) -> float:
    """The largest size up to ``size`` at which ``text`` stays on one line (down to 60%; below that it wraps)."""
    for step in range(0, 9):
        candidate = size * (1 - step * 0.05)
        pdf.set_font("Main", style, candidate)
        if pdf.get_string_width(text) <= width - 2:
            return candidate
    return size * 0.6


def _page(pdf, record: Record, lang: str) -> None:
    from fpdf.enums import XPos, YPos

    pdf.add_page()
    pdf.set_draw_color(*BLUE)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, 194, 281)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, 188, 275)

    pdf.set_y(26)
    _text(pdf, lang, record.course_title_in(lang), 12, color=GREY)
    pdf.ln(4)
    title = TITLE.render(lang)
    size = _fit(pdf, title, 26, "B")
    _text(pdf, lang, title, size, style="B", color=BLUE, h=size * 0.5)
    if not record.verified:
        pdf.ln(2)
        _text(pdf, lang, SELF_BADGE.render(lang), 11, style="B", color=AMBER)
    pdf.ln(8)
    _text(pdf, lang, AWARDED.render(lang), 12, color=GREY)
    pdf.ln(2)
    size = _fit(pdf, record.name, 24, "B")
    _text(pdf, lang, record.name, size, style="B", h=size * 0.5)
    pdf.ln(3)
    done, total = len(record.completed), len(record.labs)
    completed = COMPLETED_VERIFIED if record.verified else COMPLETED_SELF
    _text(pdf, lang, completed.render(lang, done=done, total=total, course=record.course_title_in(lang)), 12, h=6.5)
    pdf.ln(5)

    summary_size = 9.5 if len(record.completed) <= 4 else 8.5
    for lab in record.completed:
        y = pdf.get_y()
        pdf.set_draw_color(*BLUE)
        pdf.set_line_width(0.8)
        top = y
        pdf.set_x(24)
        pdf.set_font("Main", "B", 12.5)
        pdf.set_text_color(*DARK)
        pdf.multi_cell(166, 6.5, lab.title_in(lang), align="L", wrapmode="CHAR" if lang == "ja" else "WORD",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _text(pdf, lang, LAB_SCORE.render(lang, points=number(lab.points), max_points=number(lab.max_points),
                                          passed=lab.passed, questions=lab.questions),
              10, color=GREEN, align="L", x=24, w=166, h=5.5)
        summary = lab.summary_in(lang)
        if summary:
            _text(pdf, lang, summary, summary_size, color=GREY, align="L", x=24, w=166, h=summary_size * 0.48)
        pdf.line(20, top + 0.5, 20, pdf.get_y() - 0.5)
        pdf.ln(4)

    if record.completed:
        points = sum(lab.points for lab in record.completed)
        max_points = sum(lab.max_points for lab in record.completed)
        _text(pdf, lang, TOTAL.render(lang, points=number(points), max_points=number(max_points)), 11, style="B",
              align="L", x=20, w=170, h=6)

    # The foot of the page: date, then the code (verified) or the plain self-study statement.
    pdf.set_y(238)
    _text(pdf, lang, DATE.render(lang, date=long_date(record.issued, lang)), 11, align="L", x=20, w=170, h=6)
    pdf.ln(2)
    if record.verified:
        _text(pdf, lang, CODE.render(lang, code=record.code), 13, style="B", color=GREEN, align="L", x=20, w=170,
              h=7)
        _text(pdf, lang, HOW_TO_VERIFY.render(lang, code=record.code), 9, color=GREY, align="L", x=20, w=170, h=4.6)
    else:
        _text(pdf, lang, SELF_NOTE.render(lang), 9.5, color=AMBER, align="L", x=20, w=170, h=4.8)


def missing_characters(record: Record, langs: list[str]) -> set[str]:
    """Characters of the certificate's own text (the name, titles, descriptions) that no font found can draw."""
    texts = [record.name]
    for lang in langs:
        texts.append(record.course_title_in(lang))
        for lab in record.completed:
            texts += [lab.title_in(lang), lab.summary_in(lang) or ""]
    return uncovered(find_fonts(), "".join(texts))


def write_certificate(record: Record, langs: list[str], path: Path) -> Path:
    """One page per language in ``langs`` (e.g. the learner's language, then Japanese for an employer)."""
    pdf = _pdf()
    pdf.set_title(f"{TITLE.render(langs[0])}: {record.name}")
    pdf.set_author(record.name)
    pdf.set_creator("digital-skills-labs (graders portfolio)")
    pdf.set_lang(langs[0])
    for lang in dict.fromkeys(langs):
        _page(pdf, record, lang)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path
