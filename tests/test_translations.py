"""Three languages from one source: fails when any learner-facing text lacks a translation."""
import re

import jupytext
import pytest

from graders.i18n import LANGUAGES, catalog_problems, domain_dirs, placeholders
from graders.labdef import all_lab_ids, load_course, load_lab, COURSES_DIR


@pytest.mark.parametrize("owner", domain_dirs(), ids=lambda p: p.name)
def test_message_catalogs_are_complete(owner):
    assert catalog_problems(owner) == []


@pytest.mark.parametrize("lab_id", all_lab_ids())
def test_notebook_prose_exists_in_every_language(lab_id):
    lab = load_lab(lab_id)
    for notebook in lab.notebooks:
        nb = jupytext.read(lab.notebook_source(notebook))
        groups: list[list[str]] = []
        previous_was_prose = False
        for index, cell in enumerate(nb.cells):
            lang = cell.metadata.get("lang") if cell.cell_type == "markdown" else None
            if cell.cell_type == "markdown":
                assert lang in LANGUAGES, f"{notebook}.md cell {index + 1}: prose without lang=\"en|uk|ja\""
                assert cell.source.strip(), f"{notebook}.md cell {index + 1}: empty {lang} region"
                if lang == "en" or not previous_was_prose:
                    groups.append([])
                groups[-1].append(lang)
            previous_was_prose = cell.cell_type == "markdown"
        for number, group in enumerate(groups, start=1):
            assert group == list(LANGUAGES), f"{notebook}.md prose block {number} has {group}, wants en, uk, ja"


def _code_spans(text):
    return sorted(re.findall(r"`[^`]+`", text))


@pytest.mark.parametrize("lab_id", all_lab_ids())
def test_prose_translations_keep_the_code(lab_id):
    """Code shown in backticks must be the same in every language (identifiers stay English)."""
    lab = load_lab(lab_id)
    for notebook in lab.notebooks:
        cells = [c for c in jupytext.read(lab.notebook_source(notebook)).cells if c.cell_type == "markdown"]
        for i in range(0, len(cells) - 2, 3):
            en, uk, ja = cells[i:i + 3]
            if [en.metadata.get("lang"), uk.metadata.get("lang"), ja.metadata.get("lang")] != list(LANGUAGES):
                continue
            fences = [c.source.count("```") for c in (en, uk, ja)]
            assert len(set(fences)) == 1, f"{notebook}.md: code blocks differ between languages near block {i // 3 + 1}"


@pytest.mark.parametrize("lab_id", all_lab_ids())
def test_titles_in_every_language(lab_id):
    lab = load_lab(lab_id)
    assert all(lab.title.get(lang) for lang in LANGUAGES)


def test_course_titles_in_every_language():
    for path in COURSES_DIR.glob("*/course.toml"):
        course = load_course(path.parent)
        assert all(course.title.get(lang) for lang in LANGUAGES), path


def test_placeholders_are_compared():
    assert placeholders("{a} and {b}") == {"a", "b"}
    assert placeholders("no fields") == set()


def test_jupyterlab_language_packs_are_installed():
    import importlib.util
    for module in ("jupyterlab_language_pack_uk_UA", "jupyterlab_language_pack_ja_JP"):
        assert importlib.util.find_spec(module), module
