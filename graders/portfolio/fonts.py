"""Fonts for the certificate, found offline among the fonts Debian packages install (apt.txt).

Japanese needs a CJK font (``fonts-noto-cjk``: Noto Sans CJK, a ``.ttc`` collection whose face 0 is the Japanese
one); Ukrainian needs Cyrillic, which Noto Sans CJK has too, with DejaVu Sans (``fonts-dejavu-core``) as the
fallback for any letter the main font lacks. fontconfig (``fc-list``) is asked first, then the known paths.
"""
from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .record import M_, PortfolioError

CJK_PACKAGE = "fonts-noto-cjk"
CYRILLIC_PACKAGE = "fonts-dejavu-core"
JAPANESE_SAMPLE = "修了証明書あアー年月日"
CYRILLIC_SAMPLE = "ЇїЄєІіҐґЩщЬь"

NO_FONT = M_("certificate.error.no_font", "No font for {script} text was found on this computer, so the certificate cannot be made. Install the Debian package {package} (sudo apt-get install {package}, or `make start` does it), then try again.")
SCRIPT_JAPANESE = M_("certificate.script.japanese", "Japanese")
SCRIPT_CYRILLIC = M_("certificate.script.cyrillic", "Ukrainian (Cyrillic)")

# (regular, bold) candidates, best first; a .ttc is searched for its Japanese face.
KNOWN_CJK = [
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc"),
    ("/usr/share/fonts/truetype/noto/NotoSansCJKjp-Regular.otf", "/usr/share/fonts/truetype/noto/NotoSansCJKjp-Bold.otf"),
    ("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf", None),
    ("/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf", None),
    ("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf", None),
]
KNOWN_CYRILLIC = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
     "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
]
FC_LIST = "fc-list"


@dataclass(frozen=True)
class Face:
    path: str
    index: int = 0          # the face in a .ttc collection


@dataclass(frozen=True)
class FontSet:
    regular: Face
    bold: Face | None
    fallback: Face | None         # for letters the main font lacks (Cyrillic when the CJK font has none)
    fallback_bold: Face | None


@functools.lru_cache(maxsize=16)
def _cmap(path: str, index: int) -> frozenset[int]:
    """The characters a font face has a glyph for (empty for a file that cannot be read)."""
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(path, fontNumber=index, lazy=True)
        cmap = font.getBestCmap() or {}
        font.close()
    except Exception:  # an unreadable font file is as good as none
        return frozenset()
    return frozenset(cmap)


def _covers(path: str, index: int, sample: str) -> bool:
    cmap = _cmap(path, index)
    return all(ord(ch) in cmap for ch in sample)


def uncovered(fonts: "FontSet", text: str) -> set[str]:
    """The characters of ``text`` that no font of the set can draw (they would show as empty boxes, "tofu")."""
    have: set[int] = set()
    for face in (fonts.regular, fonts.bold, fonts.fallback, fonts.fallback_bold):
        if face is not None:
            have |= _cmap(face.path, face.index)
    return {ch for ch in text if not ch.isspace() and ord(ch) not in have}


@functools.lru_cache(maxsize=16)
def _japanese_face(path: str) -> int:
    """The index of the Japanese face of a collection (its family name ends in JP), else 0."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    try:
        collection = TTCollection(path, lazy=True)
        for index, font in enumerate(collection.fonts):
            family = str(font["name"].getDebugName(1) or "")
            if family.endswith(" JP") and "Mono" not in family:
                return index
    except Exception:
        pass
    return 0


def _fc_list(query: str) -> list[tuple[str, int, str]]:
    """(file, index, style) of the fonts fontconfig knows for ``query`` (empty when fc-list is not there)."""
    exe = shutil.which(FC_LIST)
    if not exe:
        return []
    try:
        out = subprocess.run([exe, query, "--format", "%{file}|%{index}|%{style[0]}\n"], capture_output=True,
                             text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    rows = []
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].isdigit():
            rows.append((parts[0], int(parts[1]), parts[2]))
    return rows


def _pairs_from_fontconfig(query: str, prefer: str) -> list[tuple[Face, Face | None]]:
    rows = sorted(_fc_list(query), key=lambda r: (prefer not in Path(r[0]).name, r[0], r[1]))
    regular = [(f, i) for f, i, style in rows if style.lower() in ("regular", "book")]
    bold = {(f.replace("Bold", "Regular"), i): (f, i) for f, i, style in rows if style.lower() == "bold"}
    return [(Face(f, i), Face(*bold[(f, i)]) if (f, i) in bold else None) for f, i in regular]


def _candidates(known, query: str, prefer: str) -> list[tuple[Face, Face | None]]:
    out = []
    for regular, bold in known:
        if Path(regular).is_file():
            out.append((Face(regular, _japanese_face(regular)),
                        Face(bold, _japanese_face(bold)) if bold and Path(bold).is_file() else None))
    return out + _pairs_from_fontconfig(query, prefer)


def find_fonts() -> FontSet:
    """The fonts for a certificate in any of our languages, or a clear error naming the Debian package."""
    main = next(((r, b) for r, b in _candidates(KNOWN_CJK, ":lang=ja", "Sans")
                 if _covers(r.path, r.index, JAPANESE_SAMPLE)), None)
    if main is None:
        raise PortfolioError(NO_FONT, script=SCRIPT_JAPANESE, package=CJK_PACKAGE)
    fallback = (None, None)
    if not _covers(main[0].path, main[0].index, CYRILLIC_SAMPLE):
        fallback = next(((r, b) for r, b in _candidates(KNOWN_CYRILLIC, ":lang=uk", "Sans")
                         if _covers(r.path, r.index, CYRILLIC_SAMPLE)), None)
        if fallback is None:
            raise PortfolioError(NO_FONT, script=SCRIPT_CYRILLIC, package=CYRILLIC_PACKAGE)
    else:  # still a fallback for any rare letter (DejaVu has more Latin and symbols)
        fallback = next(((r, b) for r, b in _candidates(KNOWN_CYRILLIC, ":lang=uk", "Sans")
                         if _covers(r.path, r.index, CYRILLIC_SAMPLE)), (None, None))
    return FontSet(main[0], main[1], fallback[0], fallback[1])
