"""Three languages from one source.

Short learner-facing texts (check messages, hints, CLI lines) are gettext messages: the English text stands in the
code beside a stable id, ``M_("orientation.q1.missing", "I can't find ...")``, and each language has a PO catalog
(``<domain>/locale/uk.po``, ``ja.po``) that translators edit with any PO tool. The stable id is the gettext
*context* (msgctxt), so a verdict can name its message without depending on the English wording, while a change of
the English wording still shows up as a missing translation (the msgid changed).

``graders i18n update PATH`` extracts the messages with Babel and merges them into the catalogs; the test
``tests/test_translations.py`` fails when any message lacks a translation or its ``{placeholders}`` differ.
"""
from __future__ import annotations

import functools
import os
import re
import string
from dataclasses import dataclass, field
from pathlib import Path

LANGUAGES = ("en", "uk", "ja")
SOURCE_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "uk": "Українська", "ja": "日本語"}
# JupyterLab language-pack locale names.
JUPYTERLAB_LOCALES = {"en": "en", "uk": "uk_UA", "ja": "ja_JP"}


def normalize_language(value: str | None) -> str | None:
    """'uk_UA', 'uk-UA.UTF-8', 'UK' -> 'uk'; unknown or empty -> None."""
    if not value:
        return None
    code = re.split(r"[-_.@]", value.strip().lower())[0]
    if code == "ua":  # a common slip: the country code instead of the language code
        code = "uk"
    return code if code in LANGUAGES else None


def resolve_language(explicit: str | None = None) -> str:
    """The learner's language: an explicit choice, then $GRADERS_LANG, then the saved setting, then English."""
    for candidate in (explicit, os.environ.get("GRADERS_LANG")):
        lang = normalize_language(candidate)
        if lang:
            return lang
    from .settings import load_settings  # local import: settings imports nothing from here at module level

    return normalize_language(load_settings().get("lang")) or SOURCE_LANGUAGE


@dataclass(frozen=True)
class Message:
    """A translatable text: stable id (gettext context), English source text, and the catalog it lives in."""

    id: str
    text: str
    domain: "Domain" = field(compare=False, repr=False)

    def render(self, lang: str, **params) -> str:
        return self.domain.translate(self, lang, **params)


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` in a str.format template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Domain:
    """One message catalog: a folder with ``uk.po`` and ``ja.po`` (English is the source text itself).

    Used as the message constructor in a module: ``M_ = Domain.beside(__file__)`` then ``M_("id", "English")``.
    Babel extracts ``M_`` calls with the keyword spec ``M_:1c,2`` (context, then message).
    """

    _instances: dict[Path, "Domain"] = {}
    registry: dict[str, Message] = {}  # every message made so far, by id (tests look messages up by id)

    def __init__(self, locale_dir: Path):
        self.locale_dir = Path(locale_dir)

    @classmethod
    def beside(cls, module_file: str) -> "Domain":
        """The catalog of the nearest folder at or above the module that has a ``locale/`` folder (a lab, graders)."""
        here = Path(module_file).resolve().parent
        owner = next((d for d in (here, *here.parents) if (d / "locale").is_dir()), here)
        path = owner / "locale"
        if path not in cls._instances:
            cls._instances[path] = cls(path)
        return cls._instances[path]

    def __call__(self, msg_id: str, text: str) -> Message:
        message = Message(msg_id, text, self)
        known = Domain.registry.setdefault(msg_id, message)
        if known.text != text:
            raise ValueError(f"message id {msg_id!r} is used for two different texts")
        return message

    @functools.cached_property
    def catalogs(self) -> dict[str, dict[tuple[str, str], str]]:
        """{lang: {(context, english): translation}} read from the PO files; fuzzy and empty entries are left out."""
        from babel.messages.pofile import read_po

        result: dict[str, dict[tuple[str, str], str]] = {}
        for lang in LANGUAGES:
            if lang == SOURCE_LANGUAGE:
                continue
            path = self.locale_dir / f"{lang}.po"
            entries: dict[tuple[str, str], str] = {}
            if path.exists():
                with path.open("rb") as f:
                    for msg in read_po(f, locale=lang):
                        if msg.id and msg.string and not msg.fuzzy:
                            entries[(msg.context or "", msg.id)] = msg.string
            result[lang] = entries
        return result

    def translate(self, message: Message, lang: str, **params) -> str:
        template = message.text
        if lang != SOURCE_LANGUAGE:
            template = self.catalogs.get(lang, {}).get((message.id, message.text), message.text)
        if not params:
            return template
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            # A broken translation must never hide the feedback: fall back to the English template.
            return message.text.format(**params)


M_ = Domain.beside(__file__)


# --- catalog maintenance (``graders i18n``) -------------------------------------------------------------------------

KEYWORDS = {"M_": ((1, "c"), 2)}


def domain_dirs() -> list[Path]:
    """Every folder that owns a message catalog: the graders package, its sub-packages with a ``locale/`` of their
    own (``graders/grade``, ``graders/report``), and each lab."""
    from .labdef import LABS_DIR

    here = Path(__file__).resolve().parent
    return ([here] + sorted(p.parent for p in here.glob("*/locale") if p.is_dir())
            + sorted(p.parent for p in LABS_DIR.glob("*/locale")))


def extract(owner: Path):
    """A Babel template catalog of every ``M_(id, text)`` in the Python files that belong to ``owner``."""
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_file

    owner = Path(owner).resolve()
    template = Catalog(project="digital-skills-labs", fuzzy=False)
    for path in sorted(owner.rglob("*.py")):
        # a sub-folder with a catalog of its own is another domain
        if any((d / "locale").is_dir() for d in path.parents if owner in d.parents):
            continue
        for lineno, text, comments, context in extract_from_file("python", str(path), keywords=KEYWORDS):
            existing = template.get(text, context)
            if existing is not None:
                existing.locations.append((str(path.relative_to(owner)), lineno))
            else:
                template.add(text, context=context, locations=[(str(path.relative_to(owner)), lineno)])
    return template


def update_catalogs(owner: Path) -> dict[str, list[str]]:
    """Merge the extracted messages into ``owner/locale/<lang>.po``; returns {lang: ids still untranslated}."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    template = extract(owner)
    locale_dir = Path(owner) / "locale"
    locale_dir.mkdir(exist_ok=True)
    missing: dict[str, list[str]] = {}
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        path = locale_dir / f"{lang}.po"
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=lang)
        else:
            catalog = Catalog(locale=lang, project="digital-skills-labs")
        created = catalog.creation_date  # keep the header stable: a date change on every run is merge noise
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.creation_date = created
        catalog.obsolete.clear()
        catalog.fuzzy = False
        with path.open("wb") as f:
            write_po(f, catalog, width=0, omit_header=False, sort_output=False, include_previous=False,
                     include_lineno=False)
        missing[lang] = [m.context or m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    return missing


def catalog_problems(owner: Path) -> list[str]:
    """Missing or fuzzy translations and placeholder mismatches in ``owner``'s catalogs (empty: all good)."""
    from babel.messages.pofile import read_po

    template = extract(owner)
    problems = []
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        path = Path(owner) / "locale" / f"{lang}.po"
        if not path.exists():
            problems.append(f"{path}: missing (run `graders i18n update`)")
            continue
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        for message in template:
            if not message.id:
                continue
            entry = catalog.get(message.id, message.context)
            where = f"{path.relative_to(Path(owner).parent)} [{message.context}]"
            if entry is None or not entry.string:
                problems.append(f"{where}: no translation")
            elif entry.fuzzy:
                problems.append(f"{where}: marked fuzzy (check the translation, then remove the fuzzy flag)")
            elif placeholders(entry.string) != placeholders(message.id):
                problems.append(f"{where}: placeholders {sorted(placeholders(entry.string))} "
                                f"differ from the English {sorted(placeholders(message.id))}")
    return problems
