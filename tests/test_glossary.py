"""One term for one thing: the glossary of each language (graders/glossary/<lang>.toml) holds in every catalog,
notebook region and lab title of that language."""
import re

import pytest

from graders.i18n import GLOSSARY_DIR, catalog_problems, domain_dirs, glossary, notebook_glossary_problems
from graders.labdef import LABS_DIR


def _glossary_only(problems):
    return [p for p in problems if "glossary:" in p]


@pytest.mark.parametrize("owner", domain_dirs(), ids=lambda p: p.name)
def test_catalogs_and_notebooks_follow_the_glossary(owner):
    assert _glossary_only(catalog_problems(owner)) == []


@pytest.mark.parametrize("lab_dir", sorted(p for p in LABS_DIR.iterdir() if (p / "lab.toml").exists()),
                         ids=lambda p: p.name)
def test_lab_notebooks_follow_the_glossary(lab_dir):
    assert notebook_glossary_problems(lab_dir) == []


@pytest.mark.parametrize("lang", ["uk", "ja"])
def test_glossary_is_sound(lang):
    assert (GLOSSARY_DIR / f"{lang}.toml").exists()
    rules = glossary(lang)
    assert len(rules) >= 8
    for rule in rules:
        # the preferred term itself must never count as a variant, or nobody could follow the glossary
        assert not rule.variant.search(rule.use.strip("「」")), (lang, rule.use, rule.variant.pattern)


def test_glossary_covers_the_issue():
    uk = {r.use for r in glossary("uk")}
    ja = {r.use for r in glossary("ja")}
    assert {"браузер", "анотування", "рірекісьо", "сьокуму", "кейрекісьо", "тюто", "ґідзіроку", "немавасі"} <= uk
    assert {"ラボ", "文字列", "フォルダー", "ブラウザー", "ウェブ", "終了保護", "請求設定"} <= ja


PLANTED_NOTEBOOK = """# x

<!-- #region lang="en" -->
Open the lab in your browser and turn on termination protection.
<!-- #endregion -->

<!-- #region lang="uk" -->
Відкрийте заняття у вебпереглядачі й увімкніть захист.
<!-- #endregion -->

<!-- #region lang="ja" -->
ブラウザでこの演習を開き、削除保護をオンにします。
<!-- #endregion -->
"""


def test_a_planted_mistake_in_a_notebook_and_a_title_fails(tmp_path):
    lab = tmp_path / "labs" / "planted"
    (lab / "notebooks").mkdir(parents=True)
    (lab / "notebooks" / "planted.md").write_text(PLANTED_NOTEBOOK, encoding="utf-8")
    (lab / "lab.toml").write_text('[title]\nen = "Billing lab"\nuk = "Рірекішо"\nja = "請求の設定"\n', encoding="utf-8")
    problems = notebook_glossary_problems(lab)
    found = {(p.split(" [")[0].split("/planted/")[-1], re.search(r'"([^"]+)" ->', p).group(1)) for p in problems}
    assert found == {("notebooks/planted.md:8", "вебпереглядач"), ("notebooks/planted.md:12", "ブラウザ"),
                     ("notebooks/planted.md:12", "演習"), ("notebooks/planted.md:12", "削除保護"),
                     ("lab.toml:3", "Рірекішо"), ("lab.toml:4", "請求の設定")}, problems


def test_a_planted_mistake_in_a_catalog_fails(tmp_path):
    owner = tmp_path / "lab"
    (owner / "locale").mkdir(parents=True)
    (owner / "checks.py").write_text('M_("x.a", "Open the lab in the browser.")\n'
                                     'M_("x.b", "This exercise has one question.")\n', encoding="utf-8")
    (owner / "locale" / "uk.po").write_text(
        'msgctxt "x.a"\nmsgid "Open the lab in the browser."\nmsgstr "Відкрийте заняття у вебпереглядачі."\n\n'
        'msgctxt "x.b"\nmsgid "This exercise has one question."\nmsgstr "У цій вправі одне питання."\n', encoding="utf-8")
    (owner / "locale" / "ja.po").write_text(
        'msgctxt "x.a"\nmsgid "Open the lab in the browser."\nmsgstr "ブラウザーでこの演習を開きます。"\n\n'
        'msgctxt "x.b"\nmsgid "This exercise has one question."\nmsgstr "この演習には問題が 1 つあります。"\n',
        encoding="utf-8")
    problems = _glossary_only(catalog_problems(owner))
    assert len(problems) == 2, problems
    assert "lab/locale/uk.po:2 [x.a]: glossary: \"вебпереглядач\" -> \"браузер\"" in problems[0]
    # 演習 is wrong where the English says lab, right where it says exercise
    assert "lab/locale/ja.po:2 [x.a]: glossary: \"演習\" -> \"ラボ\"" in problems[1]
