"""Documents lab: a one-page office notice in LibreOffice Writer (or Word, Google Docs), exported to PDF, and a
self-check on sharing and working together in Google Workspace.

* q1, q2 (``evidence="outside"``) read only the saved files next to the notebook: notice.odt or notice.docx (its
  structure: heading styles, a real table, a page-number field, see :mod:`labs.documents.files`) and notice.pdf
  (pypdf: one page, the Japanese and Cyrillic names as text, every font embedded).
* q3, q4: one letter each (``q3 = "b"``). A wrong option is explained by its own message, shown only when chosen.
  The keys are in ``keys/choices.json`` (:func:`graders.checks.choice_key`), not in this module, and a graded kernel
  does not see that folder (lab.toml ``[grading_only] when_graded``); the grader reads it in its own process.
"""
from __future__ import annotations

from pathlib import Path

from graders.checks import Check, Questions, choice_key
from graders.i18n import Domain

from . import files

M_ = Domain.beside(__file__)
questions = Questions("documents")
HERE = Path(__file__).resolve().parent
NAMES = ("山田", "Коваль")   # the two wardens of the notice's table: Japanese and Cyrillic text in the PDF

NO_DOC = M_("documents.file.missing", "I can't find notice.odt (or notice.docx) next to this notebook. In Writer, use File > Save As, choose this folder and the name notice.odt.")
EMPTY = M_("documents.file.empty", "{name} is empty (0 bytes): the save did not finish. Open it in Writer again, check your text is there and save it once more.")
NOT_DOC = M_("documents.file.not_document", "{name} is not a text document: it does not open as an .odt or .docx. Save it from Writer with File > Save As, type \"ODF Text Document (.odt)\", name notice.")
NO_TEXT = M_("documents.file.no_text", "{name} has no text yet. Type the notice (the text is above this exercise), then save.")

Q1_HEADINGS_OK = M_("documents.q1.headings_ok", "Headings with heading styles: {headings}.")
Q1_MANUAL_BOLD = M_("documents.q1.manual_bold", "The headings are made bold by hand ({lines}), not given a heading style. They look like headings, but Writer, a table of contents and a screen reader see plain text. Click in each heading and choose the style Heading 1 (the title) or Heading 2 (the sections) in the paragraph-style box at the top left.")
Q1_NO_HEADINGS = M_("documents.q1.no_headings", "I found {count} paragraph with a heading style; the notice needs at least 2: the title (Heading 1) and the section headings (Heading 2). Click in a heading and choose its style in the paragraph-style box at the top left.", "I found {count} paragraphs with a heading style; the notice needs at least 2: the title (Heading 1) and the section headings (Heading 2). Click in a heading and choose its style in the paragraph-style box at the top left.", count="count")
Q1_TABLE_OK = M_("documents.q1.table_ok", "A real table, {rows} × {cols} (rows × columns).")
Q1_TAB_TABLE = M_("documents.q1.tab_table", "The wardens' list is typed with tabs or spaces ({line}), not made as a table. It falls apart as soon as the font, the page width or a name changes. Delete those lines and use Table > Insert Table (Ctrl+F12) with 3 columns, then type into the cells.")
Q1_NO_TABLE = M_("documents.q1.no_table", "The notice has no table. Make the wardens' list with Table > Insert Table (Ctrl+F12): 3 columns, a header row and one row per floor.")
Q1_SMALL_TABLE = M_("documents.q1.small_table", "The table is only {rows} × {cols} (rows × columns); the wardens' list needs at least 3 × 3: a header row and a row for each of the two floors, and the columns floor, warden and meeting point.")
Q1_PAGE_OK = M_("documents.q1.page_ok", "The page number is a field: it counts by itself.")
Q1_NO_PAGE = M_("documents.q1.no_page_number", "There is no page-number field. Turn on the footer (Insert > Header and Footer > Footer > Default Page Style), click in it and choose Insert > Field > Page Number. A number typed by hand does not count: it does not change when pages move.")

NO_PDF = M_("documents.pdf.missing", "I can't find notice.pdf next to this notebook: the notice is not exported yet. In Writer choose File > Export as PDF, keep the name notice.pdf, this folder, and click Export.")
PDF_EMPTY = M_("documents.pdf.empty", "notice.pdf is empty (0 bytes): the export did not finish. Export it again with File > Export as PDF.")
NOT_PDF = M_("documents.pdf.not_pdf", "notice.pdf is not a PDF that opens: it may be another file renamed. Export it from Writer with File > Export as PDF (renaming a file does not change what is inside).")
PDF_PAGES = M_("documents.pdf.pages", "notice.pdf has {count} page; the notice must fit on one page.", "notice.pdf has {count} pages; the notice must fit on one page. Look for an empty paragraph or a page break at the end, or make the text shorter, then export again.", count="count")
PDF_FONTS = M_("documents.pdf.fonts", "notice.pdf uses fonts that are not embedded in it ({fonts}). On a computer without them, the Japanese and Ukrainian names turn into empty boxes or other letters. Export from Writer with File > Export as PDF, which embeds the fonts it uses.")
PDF_TEXT = M_("documents.pdf.text", "notice.pdf does not show {name} as text. Check the wardens' table has both names, save, and export the PDF again (an old export keeps the old text).")
PDF_OK = M_("documents.pdf.ok", "notice.pdf: one page, the Japanese and Ukrainian names as text, every font embedded.")


def workdir(check: Check) -> Path:
    return Path(check.context.get("workdir") or Path.cwd())


def find_document(check: Check) -> tuple[Path, files.Structure]:
    """notice.odt or notice.docx (the one saved last) and its structure; stops with its own message otherwise."""
    found = [workdir(check) / name for name in files.DOCUMENT_NAMES if (workdir(check) / name).is_file()]
    if not found:
        check.stop(NO_DOC)
    path = max(found, key=lambda p: p.stat().st_mtime)
    if path.stat().st_size == 0:
        check.stop(EMPTY, name=path.name)
    try:
        structure = files.read_document(path)
    except files.NotADocument:
        check.stop(NOT_DOC, name=path.name)
    if not structure.text.strip():
        check.stop(NO_TEXT, name=path.name)
    return path, structure


@questions("q1", evidence="outside")
def q1(check: Check) -> None:
    _, doc = find_document(check)
    if len(doc.headings) >= 2:
        check.ok(Q1_HEADINGS_OK, headings=" / ".join(doc.headings[:4]))
    elif doc.bold_lines:
        check.fail(Q1_MANUAL_BOLD, lines=" / ".join(doc.bold_lines[:3]))
    else:
        check.fail(Q1_NO_HEADINGS, count=len(doc.headings))
    big = [t for t in doc.tables if t[0] >= 3 and t[1] >= 3]
    if big:
        check.ok(Q1_TABLE_OK, rows=big[0][0], cols=big[0][1])
    elif doc.tables:
        rows, cols = max(doc.tables)
        check.fail(Q1_SMALL_TABLE, rows=rows, cols=cols)
    elif doc.tab_lines:
        check.fail(Q1_TAB_TABLE, line=doc.tab_lines[0].replace("\t", " → ")[:80])
    else:
        check.fail(Q1_NO_TABLE)
    check.expect(doc.page_number, Q1_NO_PAGE, Q1_PAGE_OK)


@questions("q2", evidence="outside")
def q2(check: Check) -> None:
    path = workdir(check) / files.PDF_NAME
    if not path.is_file():
        check.stop(NO_PDF)
    if path.stat().st_size == 0:
        check.stop(PDF_EMPTY)
    try:
        pdf = files.read_pdf(path)
    except files.NotAPdf:
        check.stop(NOT_PDF)
    if pdf.pages == 0:
        check.stop(NOT_PDF)
    if pdf.pages != 1:
        check.fail(PDF_PAGES, count=pdf.pages)
    if pdf.not_embedded:
        check.fail(PDF_FONTS, fonts=", ".join(pdf.not_embedded[:4]))
    else:
        text = "".join(pdf.text.split())
        for name in NAMES:
            if name not in text:
                check.fail(PDF_TEXT, name=name)
    if pdf.pages == 1 and not pdf.not_embedded and all(name in "".join(pdf.text.split()) for name in NAMES):
        check.ok(PDF_OK)


# --- q3, q4: sharing and working together -------------------------------------------------------------------------
CHOICE_NOT_TEXT = M_("documents.choice.not_text", "`{name}` should be one letter in quotes, for example {name} = \"a\".")
CHOICE_UNKNOWN = M_("documents.choice.unknown", "`{name}` is \"{value}\", but the options are {options}. Write only the letter of the option you choose.")

Q3 = {
    "a": M_("documents.q3.a", "(a) lets anyone who gets the link change the notice, also someone outside the company it was forwarded to, and the office would read a draft that is still changing. \"Anyone with the link\" as Editor is almost never right for office documents."),
    "b": M_("documents.q3.b", "(b): Ms Sato, added by name, can correct the draft; nobody else sees it yet. When it is final, the office gets it as viewers, so nobody can change it by mistake."),
    "c": M_("documents.q3.c", "(c) makes many copies: each person corrects their own, and you have to merge them by hand. A shared document has one version that everyone sees, with its history."),
    "d": M_("documents.q3.d", "(d) gives the whole office Editor access: anyone can change the final notice, even by mistake, and people may read a half-corrected draft. The office only needs to read it: Viewer."),
}
Q4 = {
    "a": M_("documents.q4.a", "(a) overwrites a colleague's number without a word. If you are wrong, the right number is gone, and the owner may never notice. Version history could bring it back, but only if someone knows to look."),
    "c": M_("documents.q4.c", "(c): a comment on the cell, with @ and the owner's name, tells them what you found and why. They check, correct it (or explain), and resolve the comment: the discussion stays with the cell."),
    "b": M_("documents.q4.b", "(b) starts a second version of the sheet: the team now has two files that will drift apart, and your fix never reaches the original."),
    "d": M_("documents.q4.d", "(d) restores an older version of the whole file: every change made since then, by everyone, is undone. Version history is for getting back lost work, not for a disagreement about one number: ask first."),
}
HINTS = {
    "q3": [M_("documents.q3.hint1", "Two groups need different rights: one person corrects, everyone else only reads, and only at the end."),
           M_("documents.q3.hint2", "Read the box \"In Google Docs and Sheets: sharing\" again: named people or a link, and Viewer, Commenter, Editor."),
           M_("documents.q3.hint3", "A different case: a photographer shares an album with one client to choose photos (Commenter, added by name), and later puts the chosen ones on the website for everyone to look at. Which option does the same?")],
    "q4": [M_("documents.q4.hint1", "The sheet belongs to a colleague. What lets them decide, while you still say what you found?"),
           M_("documents.q4.hint2", "Read the box \"In Google Docs and Sheets: working together\" again: comments, @-mentions, suggestions, version history."),
           M_("documents.q4.hint3", "A different case: in a shared recipe you think the oven temperature is wrong. A note next to the line, addressed to the cook, lets the cook check and fix it. Which option does the same?")],
    "q1": [M_("documents.q1.hint1", "The check looks at structure, not looks: a heading style, a real table, and a page-number field."),
           M_("documents.q1.hint2", "In Writer: the paragraph-style box at the top left (Heading 1, Heading 2), Table > Insert Table, Insert > Header and Footer > Footer, then Insert > Field > Page Number."),
           M_("documents.q1.hint3", "An example on another document: a meeting agenda has its title in Heading 1, \"Topics\" and \"Next steps\" in Heading 2, a 3-column table (time, topic, who) and the page number in the footer."),
           M_("documents.q1.hint4", "Title in Heading 1; \"Floor wardens\" and \"What to do\" in Heading 2; the wardens as a 3 x 3 table (Table > Insert Table); footer on, Insert > Field > Page Number; save as notice.odt.")],
    "q2": [M_("documents.q2.hint1", "A PDF is a copy for reading: it keeps the look on any computer, if the fonts are inside it."),
           M_("documents.q2.hint2", "In Writer: File > Export as PDF (not Print to file). It embeds the fonts; keep the name notice.pdf and this folder."),
           M_("documents.q2.hint3", "An example: a CV saved as cv.odt is exported as cv.pdf with File > Export as PDF > Export; open the PDF to check it is one page and the names look right."),
           M_("documents.q2.hint4", "Save notice.odt, then File > Export as PDF > Export, name notice.pdf, this folder. If it has 2 pages, remove empty lines at the end and export again.")],
}


def single_choice(check: Check, name: str, explain: dict) -> None:
    value = check.value(name)
    if isinstance(value, (set, frozenset, list, tuple)) and len(value) == 1:
        value = next(iter(value))
    if not isinstance(value, str):
        check.stop(CHOICE_NOT_TEXT, name=name)
    letter = value.strip().strip("()[]. ").lower()
    if letter not in explain:
        check.stop(CHOICE_UNKNOWN, name=name, value=value, options=", ".join(sorted(explain)))
    if letter in choice_key(HERE, name):
        check.ok(explain[letter])
    else:
        check.fail(explain[letter])


@questions("q3")
def q3(check: Check) -> None:
    single_choice(check, "q3", Q3)


@questions("q4")
def q4(check: Check) -> None:
    single_choice(check, "q4", Q4)
