"""The office notice as files: what a word processor saved (.odt from Writer, .docx from Word or Google Docs) and the
PDF it exported, read the way the checks need them: structure, not looks.

* :func:`read_document` opens an .odt or .docx as the zip of XML parts it is (no office library needed) and gives
  back its :class:`Structure`: paragraphs with a heading style (or a paragraph style based on one), lines made bold
  by hand, real tables (rows x columns), lines with tabs or runs of spaces (a table typed by hand), a page-number
  field anywhere (header, footer or body), and the text.
* :func:`read_pdf` gives a PDF's page count, text and the fonts that are not embedded (pypdf).
* :func:`make_if_missing` writes the learner's blank starting ``notice.odt`` (a minimal ODF text document written
  with zipfile: no shipped binary, no LibreOffice needed), never over a file that is there.
* :func:`convert` turns a document into another format with LibreOffice headless (the same private profile as the
  spreadsheet checks), for the Python way of the answer cells and for the tests.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

DOCUMENT_NAMES = ("notice.odt", "notice.docx")
PDF_NAME = "notice.pdf"
ODT_MIME = "application/vnd.oasis.opendocument.text"

NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main",
}
HEADING_STYLE = re.compile(r"^(heading|title|заголовок|見出し|タイトル)", re.IGNORECASE)


class NotADocument(ValueError):
    """The file is not an .odt or .docx text document."""


@dataclass
class Structure:
    kind: str                                              # "odt" or "docx"
    headings: list[str] = field(default_factory=list)      # texts of the paragraphs with a heading style
    bold_lines: list[str] = field(default_factory=list)    # other paragraphs that are bold all through (by hand)
    tables: list[tuple[int, int]] = field(default_factory=list)   # (rows, columns) of each table
    tab_lines: list[str] = field(default_factory=list)     # paragraphs outside tables with a tab or 3+ spaces
    page_number: bool = False
    text: str = ""


def _q(tag: str) -> str:
    prefix, name = tag.split(":")
    return f"{{{NS[prefix]}}}{name}"


def _xml(z: zipfile.ZipFile, name: str) -> ET.Element | None:
    try:
        return ET.fromstring(z.read(name))
    except KeyError:
        return None
    except ET.ParseError as exc:
        raise NotADocument(name) from exc


def read_document(path: Path) -> Structure:
    """The structure of an .odt or .docx (raises :class:`NotADocument` for anything else)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "word/document.xml" in names:
                return _read_docx(z, names)
            if "content.xml" in names and "mimetype" in names:
                if z.read("mimetype").decode(errors="replace").strip() != ODT_MIME:
                    raise NotADocument(Path(path).name)
                return _read_odt(z)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NotADocument(Path(path).name) from exc
    raise NotADocument(Path(path).name)


# --- ODF (Writer's own format) ---------------------------------------------------------------------------------------
def _odt_styles(*roots: ET.Element | None) -> dict[str, tuple[str | None, bool]]:
    """style name -> (parent style name, bold set on this style)."""
    styles = {}
    for root in roots:
        if root is None:
            continue
        for st in root.iter(_q("style:style")):
            props = st.find(_q("style:text-properties"))
            bold = props is not None and any(
                (props.get(_q(a)) or "") in ("bold", "600", "700", "800", "900")
                for a in ("fo:font-weight", "style:font-weight-asian", "style:font-weight-complex"))
            styles[st.get(_q("style:name"))] = (st.get(_q("style:parent-style-name")), bold)
    return styles


def _odt_chain(styles: dict, name: str | None) -> list[str]:
    chain = []
    while name and name not in chain:
        chain.append(name)
        name = styles.get(name, (None, False))[0]
    return chain


def _odt_text(el: ET.Element) -> str:
    parts = []

    def walk(node: ET.Element) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag == _q("text:tab"):
                parts.append("\t")
            elif child.tag == _q("text:s"):
                parts.append(" " * int(child.get(_q("text:c"), "1")))
            elif child.tag == _q("text:line-break"):
                parts.append("\n")
            else:
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(el)
    return "".join(parts)


def _bold_through(el: ET.Element, styles: dict, paragraph_bold: bool) -> bool:
    """Every piece of text in the paragraph is bold (its style, or the spans around the text)."""
    def walk(node: ET.Element, bold: bool) -> bool:
        if node.tag == _q("text:span"):
            own = _odt_chain(styles, node.get(_q("text:style-name")))
            bold = bold or any(styles.get(s, (None, False))[1] for s in own)
        if (node.text or "").strip() and not bold:
            return False
        for child in node:
            if not walk(child, bold):
                return False
            if (child.tail or "").strip() and not bold:
                return False
        return True

    return walk(el, paragraph_bold)


def _read_odt(z: zipfile.ZipFile) -> Structure:
    content, styles_xml = _xml(z, "content.xml"), _xml(z, "styles.xml")
    styles = _odt_styles(styles_xml, content)
    out = Structure("odt")
    body = content.find(f"{_q('office:body')}/{_q('office:text')}")
    if body is None:
        raise NotADocument("content.xml")
    in_table = set()
    for tbl in body.iter(_q("table:table")):
        rows = list(tbl.iter(_q("table:table-row")))
        cols = max((sum(int(c.get(_q("table:number-columns-repeated"), "1"))
                        for c in r if c.tag in (_q("table:table-cell"), _q("table:covered-table-cell")))
                    for r in rows), default=0)
        out.tables.append((len(rows), cols))
        in_table.update(id(p) for p in tbl.iter() if p.tag in (_q("text:p"), _q("text:h")))
    lines = []
    for el in body.iter():
        if el.tag not in (_q("text:p"), _q("text:h")):
            continue
        text = _odt_text(el)
        lines.append(text)
        if not text.strip():
            continue
        chain = _odt_chain(styles, el.get(_q("text:style-name")))
        if el.tag == _q("text:h") or any(HEADING_STYLE.match(name.replace("_20_", " ")) for name in chain):
            out.headings.append(text.strip())
            continue
        if id(el) in in_table:
            continue
        if len(text) <= 120 and _bold_through(el, styles, any(styles.get(s, (None, False))[1] for s in chain)):
            out.bold_lines.append(text.strip())
        if "\t" in text.strip() or re.search(r"\S {3,}\S", text):
            out.tab_lines.append(text.strip())
    out.text = "\n".join(lines).strip()
    out.page_number = any(root is not None and root.find(f".//{_q('text:page-number')}") is not None
                          for root in (content, styles_xml))
    return out


# --- Office Open XML (Word, Google Docs' download, Writer's "Word 2007-365") ----------------------------------------
def _w(name: str) -> str:
    return _q(f"w:{name}")


def _on(el: ET.Element | None) -> bool:
    return el is not None and (el.get(_w("val")) or "true").lower() not in ("0", "false", "off", "none")


def _read_docx(z: zipfile.ZipFile, names: set[str]) -> Structure:
    doc = _xml(z, "word/document.xml")
    styles_root = _xml(z, "word/styles.xml")
    styles = {}   # id -> (name, based on, bold)
    if styles_root is not None:
        for st in styles_root.iter(_w("style")):
            name = st.find(_w("name"))
            based = st.find(_w("basedOn"))
            rpr = st.find(_w("rPr"))
            styles[st.get(_w("styleId"))] = (name.get(_w("val")) if name is not None else "",
                                             based.get(_w("val")) if based is not None else None,
                                             rpr is not None and _on(rpr.find(_w("b"))))

    def chain(style_id: str | None) -> list[str]:
        seen = []
        while style_id and style_id not in seen:
            seen.append(style_id)
            style_id = styles.get(style_id, ("", None, False))[1]
        return seen

    out = Structure("docx")
    body = doc.find(_w("body"))
    if body is None:
        raise NotADocument("word/document.xml")
    in_table = set()
    for tbl in body.iter(_w("tbl")):
        rows = tbl.findall(_w("tr"))
        cols = max((sum(int((tc.find(f"{_w('tcPr')}/{_w('gridSpan')}") or ET.Element("x")).get(_w("val"), "1"))
                        for tc in r.findall(_w("tc"))) for r in rows), default=0)
        out.tables.append((len(rows), cols))
        in_table.update(id(p) for p in tbl.iter(_w("p")))
    lines = []
    for p in body.iter(_w("p")):
        runs = p.findall(f".//{_w('r')}")
        pieces = []
        for r in runs:
            for child in r:
                if child.tag == _w("t"):
                    pieces.append(child.text or "")
                elif child.tag == _w("tab"):
                    pieces.append("\t")
        text = "".join(pieces)
        lines.append(text)
        if not text.strip():
            continue
        ppr = p.find(_w("pPr"))
        style_id = None
        if ppr is not None and ppr.find(_w("pStyle")) is not None:
            style_id = ppr.find(_w("pStyle")).get(_w("val"))
        ids = chain(style_id)
        if any(HEADING_STYLE.match(sid) or HEADING_STYLE.match(styles.get(sid, ("",))[0] or "") for sid in ids):
            out.headings.append(text.strip())
            continue
        if id(p) in in_table:
            continue
        style_bold = any(styles.get(sid, ("", None, False))[2] for sid in ids)
        text_runs = [r for r in runs if "".join(t.text or "" for t in r.findall(_w("t"))).strip()]
        if len(text) <= 120 and text_runs and all(style_bold or _on(r.find(f"{_w('rPr')}/{_w('b')}"))
                                                  for r in text_runs):
            out.bold_lines.append(text.strip())
        if "\t" in text.strip() or re.search(r"\S {3,}\S", text):
            out.tab_lines.append(text.strip())
    out.text = "\n".join(lines).strip()
    for name in names:
        if name.startswith("word/") and name.endswith(".xml"):
            root = _xml(z, name)
            fields = [f.get(_w("instr")) or "" for f in root.iter(_w("fldSimple"))]
            fields += [f.text or "" for f in root.iter(_w("instrText"))]
            if any(re.match(r"\s*PAGE\b", f) for f in fields):
                out.page_number = True
    return out


# --- PDF ---------------------------------------------------------------------------------------------------------------
class NotAPdf(ValueError):
    """The file is not a PDF pypdf can read."""


@dataclass
class PdfFacts:
    pages: int
    text: str
    not_embedded: list[str]       # base names of fonts used without their font file


def _fonts(resources, seen: set) -> list:
    found = []
    if resources is None:
        return found
    resources = resources.get_object()
    fonts = resources.get("/Font")
    if fonts is not None:
        found.extend(f.get_object() for f in fonts.get_object().values())
    xobjects = resources.get("/XObject")
    if xobjects is not None:
        for xo in xobjects.get_object().values():
            xo = xo.get_object()
            if id(xo) not in seen and xo.get("/Subtype") == "/Form":
                seen.add(id(xo))
                found.extend(_fonts(xo.get("/Resources"), seen))
    return found


def _embedded(font) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True   # its glyphs are drawn by the PDF itself
    if font.get("/Subtype") == "/Type0":
        return all(_embedded(d.get_object()) for d in font.get("/DescendantFonts", []))
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def read_pdf(path: Path) -> PdfFacts:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path))
        pages = list(reader.pages)
        text = "\n".join(page.extract_text() or "" for page in pages)
        missing = []
        for page in pages:
            for font in _fonts(page.get("/Resources"), set()):
                name = str(font.get("/BaseFont", "?")).lstrip("/")
                if not _embedded(font) and name not in missing:
                    missing.append(name)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise NotAPdf(Path(path).name) from exc
    return PdfFacts(len(pages), text, missing)


# --- the starting document and conversions ------------------------------------------------------------------------
BLANK_CONTENT = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="{NS['office']}" xmlns:text="{NS['text']}" office:version="1.3">
<office:body><office:text><text:p text:style-name="Standard"/></office:text></office:body>
</office:document-content>
"""
BLANK_STYLES = f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document-styles xmlns:office="{NS['office']}" xmlns:style="{NS['style']}" xmlns:fo="{NS['fo']}"
 office:version="1.3">
<office:styles><style:style style:name="Standard" style:family="paragraph" style:class="text"/></office:styles>
<office:automatic-styles><style:page-layout style:name="pm1"><style:page-layout-properties fo:page-width="21cm"
 fo:page-height="29.7cm" fo:margin-top="2cm" fo:margin-bottom="2cm" fo:margin-left="2cm" fo:margin-right="2cm"/>
</style:page-layout></office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1"/></office:master-styles>
</office:document-styles>
"""
BLANK_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">
 <manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
 <manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""


def write_odt(path: Path, content: str = BLANK_CONTENT, styles: str = BLANK_STYLES) -> Path:
    """An ODF text document from its two XML parts (the mimetype first and stored, as ODF asks)."""
    path = Path(path)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), ODT_MIME, compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("styles.xml", styles, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", BLANK_MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
    return path


def make_if_missing(name: str = "notice.odt") -> str:
    """The learner's blank notice.odt, made once: a file already there (their work) is never replaced."""
    path = Path(name)
    if path.exists() or any(Path(other).exists() for other in DOCUMENT_NAMES if other != name):
        return f"{name}: already there, kept as it is"
    write_odt(path)
    return f"{name}: made (blank)"


def convert(source: str, fmt: str) -> str:
    """``source`` converted by LibreOffice headless into ``fmt`` ("odt", "docx", "pdf") in the same folder; returns
    the new file's name."""
    from graders.spreadsheet import convert as lo_convert

    src = Path(source).resolve()
    return lo_convert(src, fmt, src.parent).name
