"""Japanese prose has no spaces between words: a line break inside a paragraph of a ja region must not reach the
learner as a space ("スキャナーや メール"), which is what Markdown makes of it. The build joins such lines."""
from __future__ import annotations

import re

import pytest

from graders.build import source_notebook
from graders.i18n import reflow_prose
from graders.labdef import all_lab_ids, load_lab

CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
SOFT_BREAK = re.compile(f"[{CJK}]\n[{CJK}]")


def _outside_code(markdown: str) -> str:
    return re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)


def test_a_break_between_japanese_characters_is_joined_and_code_stays():
    source = "請求書がフォルダーに届きます。スキャナーや\nメールから来ます。\n`inbox/` を\n見ます。\n\n```python\nprint('あ')\n# い\n```\n終わり"
    out = reflow_prose(source, "ja")
    assert "スキャナーやメールから来ます。" in out
    assert "`inbox/` を見ます。" in out
    assert "print('あ')\n# い\n" in out  # inside a code block nothing moves
    assert "\n\n" in out  # paragraphs stay apart
    assert reflow_prose("one\ntwo", "en") == "one\ntwo" and reflow_prose("один\nдва", "uk") == "один\nдва"


@pytest.mark.parametrize("lab_id", all_lab_ids())
def test_every_built_japanese_notebook_has_no_space_between_japanese_words(lab_id):
    lab = load_lab(lab_id)
    found = []
    for notebook in lab.notebooks:
        nb = source_notebook(lab, notebook, ["ja"])
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                found += [f"{notebook}, cell {index + 1}: {m.group()!r}"
                          for m in SOFT_BREAK.finditer(_outside_code(cell.source))]
    assert not found, "a line break between Japanese characters shows as a space:\n" + "\n".join(found[:10])
