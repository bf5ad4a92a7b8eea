"""Three languages from one source.

Short learner-facing texts (check messages, hints, CLI lines) are gettext messages: the English text stands in the
code beside a stable id, ``M_("orientation.q1.missing", "I can't find ...")``, and each language has a PO catalog
(``<domain>/locale/uk.po``, ``ja.po``) that translators edit with any PO tool. The stable id is the gettext
*context* (msgctxt), so a verdict can name its message without depending on the English wording, while a change of
the English wording still shows up as a missing translation (the msgid changed).

A message with a number in it has plural forms, as gettext's ``ngettext``: the English singular and plural, and the
name of the placeholder that holds the number, ``M_("rpa.q5.ok", "all {count} invoice", "all {count} invoices",
count="count")``. The catalog then has ``msgid_plural`` and one ``msgstr[n]`` per form of the language (Ukrainian
three: 1, 21 / 2-4, 22 / 5-20, 25; Japanese one), and ``render`` picks the form for the number it is given.

``graders i18n update PATH`` extracts the messages with Babel and merges them into the catalogs; the test
``tests/test_translations.py`` fails when any message lacks a translation or its ``{placeholders}`` differ;
``graders i18n check`` also reports plural-form and glossary problems (``graders/glossary/<lang>.toml``) with the
file and line.
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
    plural: str | None = None  # the English plural of a counted message (then ``text`` is the singular)
    count: str = "count"       # the placeholder that holds the number of a counted message

    def render(self, lang: str, **params) -> str:
        return self.domain.translate(self, lang, **params)


@functools.lru_cache(maxsize=None)
def _plural_rule(lang: str):
    """gettext's plural rule of a language (from Babel's CLDR data): number -> index of the form."""
    import gettext

    from babel.messages.catalog import Catalog

    return gettext.c2py(Catalog(locale=lang).plural_expr)


def plural_index(lang: str, number) -> int:
    """Which of the language's plural forms a number takes (0 = the first ``msgstr[0]``).

    A number given as text ("21") counts as that number; a fraction or anything else takes the form of 2 (Ukrainian
    "2,5 секунди", English "2.5 seconds")."""
    try:
        value = float(number)
    except (TypeError, ValueError):
        value = 2.0
    n = int(value) if value == int(value) else 2
    return _plural_rule(lang)(abs(n))


# Kana, kanji and the full-width punctuation of Japanese text (CJK symbols, kana, CJK ideographs, full-width forms).
_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_SOFT_BREAK = re.compile(f"(?<=[{_CJK}])\n(?=[{_CJK}])")
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)


def reflow_prose(markdown: str, lang: str) -> str:
    """Markdown renders a line break inside a paragraph as a space, which Japanese text must not have
    ("スキャナーや メール"): for ``ja``, join lines that break between two Japanese characters. Code blocks stay as
    they are; other languages are returned unchanged."""
    if lang != "ja":
        return markdown
    parts = _FENCE.split(markdown)
    # split() keeps the fence markers: text, marker, code, marker, text ...; only text outside fences is joined
    out, inside = [], False
    for index, part in enumerate(parts):
        if index % 2 == 1:
            out.append(part)
            inside = not inside
            continue
        out.append(part if inside else _CJK_SOFT_BREAK.sub("", part))
    return "".join(out)


def placeholders(text: str) -> set[str]:
    """The names of the ``{placeholders}`` in a str.format template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Domain:
    """One message catalog: a folder with ``uk.po`` and ``ja.po`` (English is the source text itself).

    Used as the message constructor in a module: ``M_ = Domain.beside(__file__)`` then ``M_("id", "English")``, or
    for a counted message ``M_("id", "{count} invoice", "{count} invoices", count="count")``.
    Babel extracts ``M_`` calls with the keyword spec ``M_:1c,2`` (context, then message), or ``M_:1c,2,3`` when a
    plural is given.
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

    def __call__(self, msg_id: str, text: str, plural: str | None = None, count: str = "count") -> Message:
        if plural is not None and count not in placeholders(text) | placeholders(plural):
            raise ValueError(f"message {msg_id!r}: the number {{{count}}} is in neither form")
        message = Message(msg_id, text, self, plural, count)
        known = Domain.registry.setdefault(msg_id, message)
        if (known.text, known.plural) != (text, plural):
            raise ValueError(f"message id {msg_id!r} is used for two different texts")
        return message

    @functools.cached_property
    def catalogs(self) -> dict[str, dict[tuple[str, str], str | tuple[str, ...]]]:
        """{lang: {(context, english): translation}} read from the PO files; fuzzy and empty entries are left out.

        A counted message's key is its English singular and its translation the tuple of its plural forms."""
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
                        if not msg.id or msg.fuzzy:
                            continue
                        if msg.pluralizable and all(msg.string):
                            entries[(msg.context or "", msg.id[0])] = tuple(msg.string)
                        elif not msg.pluralizable and msg.string:
                            entries[(msg.context or "", msg.id)] = msg.string
            result[lang] = entries
        return result

    def translate(self, message: Message, lang: str, **params) -> str:
        english = message.text
        if message.plural is not None:
            # Without the number (e.g. a test comparing languages) the form of 2 stands for "many".
            number = params.get(message.count, 2)
            english = (message.text, message.plural)[plural_index(SOURCE_LANGUAGE, number)]
        template = english
        if lang != SOURCE_LANGUAGE:
            found = self.catalogs.get(lang, {}).get((message.id, message.text))
            if isinstance(found, tuple) and message.plural is not None:
                template = found[min(plural_index(lang, number), len(found) - 1)]
            elif isinstance(found, str) and message.plural is None:
                template = found
        if not params:
            return template
        try:
            return template.format(**params)
        except (KeyError, IndexError, ValueError):
            # A broken translation must never hide the feedback: fall back to the English template.
            return english.format(**params)


M_ = Domain.beside(__file__)


# --- catalog maintenance (``graders i18n``) -------------------------------------------------------------------------

# M_(id, text) and M_(id, singular, plural[, count=...]): Babel tells them apart by the number of arguments.
KEYWORDS = {"M_": {2: ((1, "c"), 2), 3: ((1, "c"), 2, 3), 4: ((1, "c"), 2, 3)}}


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
        for lineno, text, comments, context in extract_from_file(_extract_python, str(path), keywords=KEYWORDS):
            existing = template.get(text, context)
            if existing is not None:
                existing.locations.append((str(path.relative_to(owner)), lineno))
            else:
                template.add(text, context=context, locations=[(str(path.relative_to(owner)), lineno)],
                             auto_comments=comments)
    return template


def _extract_python(fileobj, keywords, comment_tags, options):
    """Babel's Python extractor; a counted message gets a comment naming its number for the translator."""
    from babel.messages.extract import extract_python

    for lineno, funcname, messages, comments in extract_python(fileobj, keywords, comment_tags, options):
        if isinstance(messages, tuple) and len(messages) in (3, 4):
            count = messages[3] if len(messages) == 4 and messages[3] else "count"
            comments = [f"{PLURAL_NOTE}{{{count}}}", *comments]
        yield lineno, funcname, messages, comments


PLURAL_NOTE = "Plural forms: the number is "


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


# A count is a placeholder that holds how many of something there are. Followed by a noun ("{count} invoices") it
# needs plural forms; "Invoices: {count}" and "invoice(s)" are the old ways around them and read badly in Ukrainian.
COUNT_PLACEHOLDERS = ("count", "n", "total", "seconds", "minutes", "rows", "files", "images", "dates", "people",
                      "learners", "workers", "questions", "max_points", "series")  # "Noun: {x}": the first five
_NOT_A_NOUN = {"of", "and", "or", "in", "to", "so", "but", "is", "are", "was", "has", "s", "means"}
REPO_DIR = Path(__file__).resolve().parent.parent


def _shown(path: Path) -> str:
    """A path as a translator finds it: relative to the repository."""
    path = Path(path).resolve()
    return str(path.relative_to(REPO_DIR)) if REPO_DIR in path.parents else str(path)
_COUNT_BEFORE_WORD = re.compile(r"\{(" + "|".join(COUNT_PLACEHOLDERS) + r")\}\s+([^\W\d_]{2,})")
_NOUN_COLON_COUNT = re.compile(r"(?:[^\W\d_]|\})\)?:\s*\{(" + "|".join(COUNT_PLACEHOLDERS[:5]) + r")\}(?!\s*[^\W\d_]{2,})")
_PLURAL_HACK = re.compile(r"[^\W\d_]+\((?:s|es|и|і|ів|ей|а)\)|\(-(?:ів|и|ей)\)", re.IGNORECASE)


def count_problems(english: str, plural: str | None, count: str | None) -> list[str]:
    """Why an English message needs plural forms (empty: it does not, or it has them right)."""
    problems = []
    for text in filter(None, (english, plural)):
        for name, word in _COUNT_BEFORE_WORD.findall(text):
            if word.lower() not in _NOT_A_NOUN and name != count:
                problems.append(f"{{{name}}} counts \"{word}\": give the message plural forms "
                                f"(M_(id, singular, plural, count=\"{name}\"))")
        for name in _NOUN_COLON_COUNT.findall(text):
            problems.append(f"\"Noun: {{{name}}}\" hides the plural: write a sentence with plural forms instead")
        if _PLURAL_HACK.search(text):
            problems.append(f"\"{_PLURAL_HACK.search(text).group(0)}\" is a plural hack: use plural forms")
    return sorted(set(problems))


def _count_name(message) -> str | None:
    """The count placeholder of an extracted counted message (the ``count=`` argument, default ``count``)."""
    if not isinstance(message.id, tuple):
        return None
    for comment in message.auto_comments:
        if comment.startswith(PLURAL_NOTE):
            return comment[len(PLURAL_NOTE):].strip("{}")
    return "count"


# --- glossary (``graders/glossary/<lang>.toml``) --------------------------------------------------------------------

GLOSSARY_DIR = Path(__file__).resolve().parent / "glossary"


@dataclass(frozen=True)
class GlossaryRule:
    use: str                        # the preferred term
    variant: "re.Pattern"           # a variant it replaces
    note: str = ""
    when_english: "re.Pattern | None" = None    # only where the English source says this ...
    unless_english: "re.Pattern | None" = None  # ... and not this

    def applies(self, english: str | None) -> bool:
        if self.when_english is None:
            return True
        if english is None or not self.when_english.search(english):
            return False
        return not (self.unless_english and self.unless_english.search(english))

    def describe(self, found: str) -> str:
        return f"glossary: \"{found}\" -> \"{self.use}\"" + (f" ({self.note})" if self.note else "")


@functools.lru_cache(maxsize=None)
def glossary(lang: str) -> tuple[GlossaryRule, ...]:
    """The rules of ``graders/glossary/<lang>.toml``: one per variant a preferred term replaces."""
    import tomllib

    path = GLOSSARY_DIR / f"{lang}.toml"
    if not path.exists():
        return ()
    rules = []
    for term in tomllib.loads(path.read_text(encoding="utf-8")).get("term", []):
        when, unless = (re.compile(term[k], re.IGNORECASE) if term.get(k) else None
                        for k in ("when_english", "unless_english"))
        for variant in term.get("instead_of", []):
            rules.append(GlossaryRule(term["use"], re.compile(variant, re.IGNORECASE), term.get("note", ""),
                                      when, unless))
    return tuple(rules)


def glossary_hits(text: str, lang: str, english: str | None = None):
    """(offset, problem) for each glossary variant in a text of that language (``english``: its source text)."""
    return [(m.start(), rule.describe(m.group(0)))
            for rule in glossary(lang) if rule.applies(english) for m in rule.variant.finditer(text)]


def glossary_problems_in(text: str, lang: str, english: str | None = None) -> list[str]:
    return [problem for _, problem in glossary_hits(text, lang, english)]


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


_REGION = re.compile(r'<!-- #region[^>]*lang="(\w+)"[^>]*-->(.*?)<!-- #endregion -->', re.DOTALL)


def notebook_glossary_problems(lab_dir: Path) -> list[str]:
    """Glossary variants in a lab's notebook regions of each language and in its lab.toml titles, with file:line.
    A uk or ja region's English source is the en region before it."""
    problems = []
    lab_dir = Path(lab_dir)
    for path in sorted((lab_dir / "notebooks").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        english = None
        for m in _REGION.finditer(text):
            lang, body = m.group(1), m.group(2)
            if lang == SOURCE_LANGUAGE:
                english = body
            for offset, problem in glossary_hits(body, lang, english):
                problems.append(f"{_shown(path)}:{_line_of(text, m.start(2) + offset)} [{lang}]: {problem}")
    toml_path = lab_dir / "lab.toml"
    if toml_path.exists():
        english = None
        for number, line in enumerate(toml_path.read_text(encoding="utf-8").splitlines(), start=1):
            key = re.match(r"\s*(uk|ja|en)\s*=", line)
            if not key:
                continue
            if key.group(1) == SOURCE_LANGUAGE:
                english = line
            for problem in glossary_problems_in(line, key.group(1), english):
                problems.append(f"{_shown(toml_path)}:{number} [{key.group(1)}]: {problem}")
    return problems


def catalog_problems(owner: Path) -> list[str]:
    """Missing or fuzzy translations, placeholder mismatches, plural-form problems and glossary variants in
    ``owner``'s catalogs, each with file and line for the translator (empty: all good)."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    owner = Path(owner)
    template = extract(owner)
    problems = source_problems(owner, template)
    for lang in LANGUAGES:
        if lang == SOURCE_LANGUAGE:
            continue
        path = owner / "locale" / f"{lang}.po"
        if not path.exists():
            problems.append(f"{path}: missing (run `graders i18n update`)")
            continue
        with path.open("rb") as f:
            catalog = read_po(f, locale=lang)
        forms = Catalog(locale=lang).num_plurals
        for message in template:
            if not message.id:
                continue
            entry = catalog.get(message.id, message.context)
            line = f":{entry.lineno}" if entry is not None and entry.lineno else ""
            where = f"{_shown(path)}{line} [{message.context}]"
            english = set().union(*(placeholders(t) for t in
                                    (message.id if isinstance(message.id, tuple) else (message.id,))))
            strings = (entry.string if isinstance(entry.string, tuple) else (entry.string,)) if entry else ()
            if entry is not None and entry.pluralizable and any(strings) and not all(strings):
                empty = ", ".join(f"msgstr[{i}]" for i, t in enumerate(strings) if not t)
                problems.append(f"{where}: {empty} empty ({lang} has {forms} plural forms: fill each)")
            elif entry is None or not all(strings):
                problems.append(f"{where}: no translation")
            elif entry.fuzzy:
                problems.append(f"{where}: marked fuzzy (check the translation, then remove the fuzzy flag)")
            elif isinstance(message.id, tuple) and not entry.pluralizable:
                problems.append(f"{where}: has no plural forms (run `graders i18n update`, then fill msgstr[0..{forms - 1}])")
            elif isinstance(message.id, tuple) and len(strings) != forms:
                problems.append(f"{where}: has {len(strings)} plural forms, {lang} has {forms}")
            elif any(placeholders(s) != english for s in strings):
                bad = next(s for s in strings if placeholders(s) != english)
                problems.append(f"{where}: placeholders {sorted(placeholders(bad))} "
                                f"differ from the English {sorted(english)}")
            else:
                for text in strings:
                    if not isinstance(message.id, tuple) and _PLURAL_HACK.search(text):
                        problems.append(f"{where}: \"{_PLURAL_HACK.search(text).group(0)}\" is a plural hack: "
                                        f"the English needs plural forms")
                    source = " ".join(message.id) if isinstance(message.id, tuple) else message.id
                    problems.extend(f"{where}: {p}" for p in glossary_problems_in(text, lang, source))
    if (owner / "notebooks").is_dir():  # a lab: its notebook prose and titles follow the glossary too
        problems.extend(notebook_glossary_problems(owner))
    return problems


def source_problems(owner: Path, template=None) -> list[str]:
    """Messages in ``owner``'s Python files whose number has no plural forms, with file:line."""
    owner = Path(owner)
    problems = []
    for message in template if template is not None else extract(owner):
        if not message.id:
            continue
        singular, plural = message.id if isinstance(message.id, tuple) else (message.id, None)
        for problem in count_problems(singular, plural, _count_name(message)):
            file, line = message.locations[0]
            problems.append(f"{_shown(owner / file)}:{line} [{message.context}]: {problem}")
    return problems
