"""Plural forms: a message with a number in it has the right form of its noun for every number, in every language.

Ukrainian has three forms (1, 21 / 2-4, 22 / 5-20, 25), Japanese one, English two. A count placeholder
("{count} invoices") in a message without plural forms, "Invoices: {count}" or "invoice(s)" fails the test.
"""
import string

import pytest

from graders.i18n import (Domain, Message, PLURAL_NOTE, catalog_problems, count_problems, domain_dirs, extract,
                          plural_index, source_problems)

NUMBERS = (1, 2, 5, 11, 21, 22, 25)
UK_FORM = {1: 0, 21: 0, 2: 1, 22: 1, 5: 2, 11: 2, 25: 2}  # Ukrainian: one, few, many


def _counted_messages():
    """Every counted message of every catalog, as (owner, Message), built from the source as Babel extracts it."""
    found = []
    for owner in domain_dirs():
        domain = Domain(owner / "locale")
        for m in extract(owner):
            if isinstance(m.id, tuple):
                count = next((c[len(PLURAL_NOTE):].strip("{}") for c in m.auto_comments
                              if c.startswith(PLURAL_NOTE)), "count")
                found.append(pytest.param(Message(m.context, m.id[0], domain, m.id[1], count), id=m.context))
    return found


COUNTED = _counted_messages()


def test_there_are_counted_messages():
    assert len(COUNTED) >= 40


@pytest.mark.parametrize("owner", domain_dirs(), ids=lambda p: p.name)
def test_every_count_has_plural_forms(owner):
    assert source_problems(owner) == []


def test_plural_rules():
    assert [plural_index("uk", n) for n in NUMBERS] == [UK_FORM[n] for n in NUMBERS]
    assert [plural_index("en", n) for n in NUMBERS] == [0, 1, 1, 1, 1, 1, 1]
    assert {plural_index("ja", n) for n in NUMBERS} == {0}
    assert plural_index("uk", "2.5") == 1 and plural_index("uk", "21") == 0  # a fraction reads as "2,5 секунди"


@pytest.mark.parametrize("message", COUNTED)
def test_counted_message_renders_the_right_form(message):
    names = {n for t in (message.text, message.plural) for _, n, _, _ in string.Formatter().parse(t) if n}
    uk_forms = message.domain.catalogs["uk"][(message.id, message.text)]
    ja_forms = message.domain.catalogs["ja"][(message.id, message.text)]
    assert len(uk_forms) == 3 and len(ja_forms) == 1
    assert len(set(uk_forms)) > 1, f"{message.id}: the three Ukrainian forms are the same"
    for n in NUMBERS:
        params = {name: f"<{name}>" for name in names} | {message.count: n}
        uk = message.render("uk", **params)
        assert uk == uk_forms[UK_FORM[n]].format(**params), (message.id, n, uk)
        assert str(n) in uk
        assert message.render("ja", **params) == ja_forms[0].format(**params)
        assert message.render("en", **params) == (message.text if n == 1 else message.plural).format(**params)


def test_a_planted_count_without_plural_forms_fails(tmp_path):
    owner = tmp_path / "lab"
    (owner / "locale").mkdir(parents=True)
    (owner / "checks.py").write_text(
        'from graders.i18n import Domain\nM_ = Domain.beside(__file__)\n'
        'A = M_("x.a", "The robot read {count} invoices.")\n'
        'B = M_("x.b", "Invoices read: {count}.")\n'
        'C = M_("x.c", "{rows} row(s) without an order number.")\n'
        'D = M_("x.d", "{count} invoice read.", "{count} invoices read.", count="count")\n'
        'E = M_("x.e", "Question {question}: {failed} of {total}.")\n', encoding="utf-8")
    problems = source_problems(owner)
    assert sorted({p.split("]")[0].split("/lab/")[-1] for p in problems}) == ["checks.py:3 [x.a", "checks.py:4 [x.b",
                                                                             "checks.py:5 [x.c"], problems
    assert "plural forms" in problems[0] and "Noun: {count}" in problems[1]
    assert any("row(s)" in p for p in problems) and any('{rows} counts "row"' in p for p in problems)


def test_a_planted_catalog_with_too_few_forms_fails(tmp_path):
    owner = tmp_path / "lab"
    (owner / "locale").mkdir(parents=True)
    (owner / "checks.py").write_text(
        'M_("x.d", "{count} invoice read.", "{count} invoices read.", count="count")\n', encoding="utf-8")
    entry = ('msgctxt "x.d"\nmsgid "{count} invoice read."\nmsgid_plural "{count} invoices read."\n'
             'msgstr[0] "Прочитано {count} рахунок."\nmsgstr[1] "Прочитано {count} рахунки."\n')
    (owner / "locale" / "uk.po").write_text(entry, encoding="utf-8")
    (owner / "locale" / "ja.po").write_text('msgctxt "x.d"\nmsgid "{count} invoice read."\n'
                                            'msgstr "{count} 件の請求書を読みました。"\n', encoding="utf-8")
    problems = catalog_problems(owner)
    assert any("lab/locale/uk.po:2 [x.d]: msgstr[2] empty (uk has 3 plural forms" in p for p in problems), problems
    assert any("lab/locale/ja.po:2 [x.d]: has no plural forms" in p for p in problems), problems


def test_count_problems_leave_plain_fractions_alone():
    assert count_problems("Question {question}: not yet. To fix: {failed} of {total}.", None, None) == []
    assert count_problems("{n} minute", "{n} minutes", "n") == []
    assert count_problems("{n} minutes", None, None) != []
