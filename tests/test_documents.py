"""The documents lab's readers and checks on files the lab's variants do not make: a .docx saved by Writer, files laid
out as Word and Google Docs write them, headings bold by hand and tab tables in .docx, a PDF without embedded fonts,
the blank notice; and the self-checks' feedback, which never names the right letter however often one tries.
(tests/test_labs.py runs the notebook's reference and variants in en/uk/ja; tests/test_grade_class.py grades a class.)"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from graders import spreadsheet
from graders.checks import choice_key
from graders.lab import Lab
from graders.progress import ProgressStore
from graders.render import as_text
from labs.documents import files

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx(path: Path, body: str, styles: str = "", footer: str | None = None) -> Path:
    """A .docx laid out the way Word and Google Docs write one (the parts the reader looks at)."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", f'<w:document {W}><w:body>{body}</w:body></w:document>')
        z.writestr("word/styles.xml", f'<w:styles {W}>{styles}</w:styles>')
        if footer is not None:
            z.writestr("word/footer1.xml", f'<w:ftr {W}>{footer}</w:ftr>')
    return path


def para(text: str, style: str | None = None, bold: bool = False) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    runs = "".join(f"<w:r>{rpr}<w:t>{piece}</w:t></w:r>" + ("<w:r><w:tab/></w:r>" if i < len(text.split("\t")) - 1 else "")
                   for i, piece in enumerate(text.split("\t")))
    return f"<w:p>{ppr}{runs}</w:p>"


TABLE = "<w:tbl>" + "".join("<w:tr>" + "".join(f"<w:tc>{para(c)}</w:tc>" for c in row) + "</w:tr>"
                            for row in (("Floor", "Warden", "Meeting point"), ("3F", "山田 花子", "Park"),
                                        ("4F", "Олена Коваль", "Car park"))) + "</w:tbl>"
# Word's built-in styles: ids Heading1/Title, names "heading 1"/"Title"; a localized Word keeps the ids.
WORD_STYLES = ('<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/></w:style>'
               '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style>'
               '<w:style w:type="paragraph" w:styleId="Strong"><w:name w:val="My bold"/><w:rPr><w:b/></w:rPr></w:style>')
PAGE_SIMPLE = '<w:p><w:fldSimple w:instr=" PAGE   \\* MERGEFORMAT "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>'
# Google Docs writes the page number as a complex field
PAGE_COMPLEX = ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGE \\* ARABIC '
                '</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')
NUMPAGES_ONLY = '<w:p><w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p>'


def test_a_word_or_google_docs_file_with_structure_is_read_as_such(tmp_path):
    body = para("Fire drill", "Title") + para("Everyone takes part.") + para("Floor wardens", "Heading1") + TABLE
    for footer in (PAGE_SIMPLE, PAGE_COMPLEX):
        doc = files.read_document(docx(tmp_path / "notice.docx", body, WORD_STYLES, footer))
        assert doc.headings == ["Fire drill", "Floor wardens"]
        assert doc.tables == [(3, 3)] and doc.page_number and not doc.bold_lines and not doc.tab_lines
        assert "山田 花子" in doc.text and "Олена Коваль" in doc.text


def test_docx_defects_are_seen(tmp_path):
    # headings bold by hand (run bold or a non-heading style that is bold), the table typed with tabs, page count only
    body = (para("Fire drill", bold=True) + para("Everyone takes part.") + para("Floor wardens", "Strong")
            + para("Floor\tWarden\tMeeting point") + para("3F\t山田 花子\tPark"))
    doc = files.read_document(docx(tmp_path / "notice.docx", body, WORD_STYLES, NUMPAGES_ONLY))
    assert doc.headings == [] and doc.bold_lines == ["Fire drill", "Floor wardens"]
    assert doc.tables == [] and doc.tab_lines[0] == "Floor\tWarden\tMeeting point"
    assert not doc.page_number


def test_not_documents(tmp_path):
    text = tmp_path / "notice.odt"
    text.write_text("Fire drill\n", encoding="utf-8")
    sheet = tmp_path / "sheet.odt"   # a spreadsheet renamed: an ODF file, but not a text document
    with zipfile.ZipFile(sheet, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<x/>")
    for path in (text, sheet):
        with pytest.raises(files.NotADocument):
            files.read_document(path)
    with pytest.raises(files.NotAPdf):
        files.read_pdf(text)


@pytest.fixture(scope="module")
def writer_files(tmp_path_factory):
    """The notebook's reference answer run by LibreOffice: notice.odt, its .docx (Writer's "Word 2007-365") and
    notice.pdf; and the blank notice."""
    import jupytext

    if not spreadsheet.available():
        pytest.skip("LibreOffice is not installed (apt.txt)")
    folder = tmp_path_factory.mktemp("documents")
    nb = jupytext.read(Path(__file__).resolve().parent.parent / "labs" / "documents" / "notebooks" / "documents.md")
    code = next(c.source for c in nb.cells if c.metadata.get("question") == "q1" and c.metadata.get("role") == "answer")
    import os

    here = os.getcwd()
    os.chdir(folder)
    try:
        exec(compile(code, "q1_answer", "exec"), {})
        files.convert("notice.odt", "pdf")
        files.convert("notice.odt", "docx")
        (folder / "blank").mkdir()
        os.chdir(folder / "blank")
        made = files.make_if_missing("notice.odt")
        again = files.make_if_missing("notice.odt")
        blank_pdf = files.convert("notice.odt", "pdf")   # the blank notice opens in LibreOffice
    finally:
        os.chdir(here)
    return folder, made, again, blank_pdf


def test_writer_files_pass_and_a_docx_saved_by_writer_keeps_the_structure(writer_files):
    folder = writer_files[0]
    for name in ("notice.odt", "notice.docx"):
        doc = files.read_document(folder / name)
        assert len(doc.headings) == 3 and doc.tables == [(3, 3)] and doc.page_number, (name, doc)
    pdf = files.read_pdf(folder / "notice.pdf")
    assert pdf.pages == 1 and pdf.not_embedded == []
    assert "山田" in pdf.text and "Коваль" in pdf.text


def test_the_blank_notice_is_made_once_and_opens(writer_files):
    folder, made, again, blank_pdf = writer_files
    assert "made" in made and "kept" in again and blank_pdf == "notice.pdf"
    assert files.read_document(folder / "blank" / "notice.odt").text == ""


def test_a_pdf_without_embedded_fonts_is_seen(tmp_path):
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font)})})
    buf = io.BytesIO()
    writer.write(buf)
    (tmp_path / "x.pdf").write_bytes(buf.getvalue())
    assert files.read_pdf(tmp_path / "x.pdf").not_embedded == ["Helvetica"]


@pytest.mark.parametrize("lang", ["en", "uk", "ja"])
def test_the_self_checks_never_name_the_right_letter(tmp_path, lang):
    """Wrong letters, an empty answer, a missing variable, tried again and again (every hint shown): the feedback
    explains the chosen option and never names the right one; the right letter passes."""
    from labs.documents import checks

    lab = Lab("documents", lang=lang, progress=ProgressStore(tmp_path / "p.sqlite"))
    for question in ("q3", "q4"):
        right, = choice_key(checks.HERE, question)
        shown = []
        tries = [{question: letter} for letter in "abcd" if letter != right] + [{question: ""}, {}] * 2
        for namespace in tries:
            verdict = lab.evaluate(question, namespace)
            assert not verdict.passed
            failures = lab._record(verdict)
            shown.append(as_text(verdict, lang) + "\n" + lab._hint(question, failures).render(lang))
        assert f"({right})" not in "\n".join(shown)
        assert f'"{right}"' not in "\n".join(shown)
        assert lab.evaluate(question, {question: right}).passed


# --- the self-check keys, from a graded kernel (the career lab's test in tests/test_adversarial_keys.py, for this lab)
def key_reader(question: str) -> str:
    """An answer that is whatever key the kernel can find (graders' choice_key, keys/choices.json), else a wrong one."""
    from test_adversarial_keys import probe

    return probe("documents") + f"""
import labs.documents.checks as _c
try:
    _keys = json.loads((pathlib.Path(_c.__file__).parent / "keys" / "choices.json").read_text(encoding="utf-8"))
except OSError:
    _keys = {{}}
try:
    from graders.checks import choice_key as _choice_key
    {question} = sorted(_choice_key(pathlib.Path(_c.__file__).parent, "{question}"))[0]
except Exception:
    {question} = _keys.get("{question}", "z")
"""


@pytest.mark.slow
def test_the_self_check_keys_cannot_be_read_from_a_graded_kernel(tmp_path_factory):
    import nbformat

    from graders.grade.app import grade
    from graders.grade.classroom import course_directory, make_class, release_copy, submit
    from graders.testing import fill_answers, reference_answers
    from test_adversarial_keys import _grades, _readable, answer_free, one_lab_course

    root = tmp_path_factory.mktemp("keys-documents")
    make_class(root, "documents", 0, course=str(one_lab_course(tmp_path_factory, "documents")))
    source = nbformat.read(root / "source" / "documents" / "documents.ipynb", as_version=4)
    honest = {**reference_answers(source), "q1_answer": "", "q2_answer": ""}   # the files: tests/test_grade_class.py
    for student, answers in (("honest", honest),
                             ("key_reader", {**honest, "q3_answer": key_reader("q3"), "q4_answer": key_reader("q4")})):
        submit(root, "documents", student, {"documents": fill_answers(release_copy(root, "documents", "documents", "en"),
                                                                      answers)})
    result, _ = grade(course_directory(root), "documents", workers=2, cell_timeout=30, notebook_timeout=240)
    assert result.errors == []
    got = {s: _grades(root, "documents", "documents", s) for s in ("honest", "key_reader")}
    assert got["honest"]["q3"] > 0 and got["honest"]["q4"] > 0, got
    assert got["key_reader"]["q3"] == 0 and got["key_reader"]["q4"] == 0, got
    readable = _readable(root, "key_reader", "documents", "documents")
    assert not [f for f in readable if not answer_free(f, "documents")], readable
