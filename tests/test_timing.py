"""Time and prerequisites (issue 13): from lab.toml to the top of each notebook, lab.progress() and graders progress,
in the learner's language; grading reasons name the question a cell belongs to, not its position."""
from __future__ import annotations

import dataclasses

import nbformat
import pytest

from graders import labdef, timing
from graders.build import localize, source_notebook
from graders.labdef import LabDefinitionError, load_lab
from graders.lab import Lab
from graders.progress import ProgressStore

ORIENTATION = {"en": "Orientation: your first notebook", "uk": "Знайомство: ваш перший блокнот",
               "ja": "オリエンテーション：はじめてのノートブック"}


def _lab(requires=None, minutes=None):
    """The orientation lab with other time and prerequisites (or none: both None)."""
    real = load_lab("orientation")
    raw = {k: v for k, v in real.raw.items() if k not in ("requires", "notebook")}
    if requires is not None:
        raw["requires"] = requires
    if minutes is not None:
        raw["notebook"] = {"orientation": {"minutes": minutes}}
    return dataclasses.replace(real, raw=raw)


HEADERS = {
    "en": "About 90 minutes (about 30 minutes if you already program). You need: the “Orientation: your first notebook” "
          "lab, the “not-installed” lab.",
    "uk": "Приблизно 90 хвилин (приблизно 30 хвилин, якщо ви вже програмуєте). Спершу потрібно пройти: заняття «Знайомство: "
          "ваш перший блокнот», заняття «not-installed».",
    "ja": "所要時間は約 90 分です（プログラミングの経験があれば約 30 分）。先に「オリエンテーション：はじめてのノートブック」"
          "のラボ、「not-installed」のラボを終えておいてください。",
}


@pytest.mark.parametrize("lang", ["en", "uk", "ja"])
def test_the_header_says_time_and_prerequisites_in_the_learners_language(lang):
    lab = _lab(requires=["orientation", "not-installed"], minutes={"novice": 90, "programmer": 30})
    assert timing.header(lab, "orientation", lang) == HEADERS[lang]   # a lab that is not installed: its id


def test_long_times_in_hours_and_equal_times_once():
    assert [timing.duration(m, "en") for m in (45, 119, 120, 315)] == ["45 minutes", "119 minutes", "2 hours",
                                                                       "5.5 hours"]
    assert [timing.duration(m, "uk") for m in (45, 22, 121)] == ["45 хвилин", "22 хвилини", "2 години"]
    assert timing.duration(315, "uk") == "5,5 години" and timing.duration(315, "ja") == "5.5 時間"
    same = _lab(requires=[], minutes={"novice": 30, "programmer": 30})
    assert timing.header(same, "orientation", "en") == ("About 30 minutes. "
                                                        "You need no earlier lab: this is where to start.")
    assert timing.header(same, "orientation", "ja") == "所要時間は約 30 分です。前提となるラボはありません。ここから始めましょう。"


@pytest.mark.parametrize("lang", ["en", "uk", "ja"])
def test_the_build_puts_the_header_first_from_lab_toml(lang):
    lab = load_lab("aws")
    nb = source_notebook(lab, "3-s3", [lang])
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source == f"> {timing.header(lab, '3-s3', lang)}"
    expected = {"en": "About 60 minutes (about 20 minutes if you already program). You need: the “",
                "uk": "Приблизно 60 хвилин (приблизно 20 хвилин, якщо ви вже програмуєте). Спершу потрібно пройти: заняття «",
                "ja": "所要時間は約 60 分です（プログラミングの経験があれば約 20 分）。先に「"}[lang]
    assert first.source.startswith(f"> {expected}{timing.lab_title('bridge', lang)}")
    # an all-language build keeps one header per language; the learner's copy keeps theirs only
    every = source_notebook(lab, "3-s3", ["en", "uk", "ja"])
    assert [c.metadata["graders"]["lang"] for c in every.cells[:3]] == ["en", "uk", "ja"]
    mine = localize(nbformat.from_dict(every), lang)
    assert [c.source for c in mine.cells if c.metadata.get("graders", {}).get("role") == "about"] == [first.source]


def test_every_lab_states_time_for_each_notebook_and_what_comes_first():
    course = labdef.load_course("digital-skills-day").labs
    assert course[:2] == ["orientation", "bridge"]
    for position, lab_id in enumerate(course):
        lab = load_lab(lab_id)
        expected = {"orientation": [], "bridge": ["orientation"]}.get(lab_id, ["bridge"])
        assert lab.requires == expected and set(lab.requires) <= set(course[:position]), lab_id
        for nb in lab.notebooks:
            m = lab.minutes(nb)
            assert m and m["novice"] >= m["programmer"] > 0, (lab_id, nb)
        assert lab.minutes() == {k: sum(lab.minutes(nb)[k] for nb in lab.notebooks) for k in ("novice", "programmer")}


def test_a_lab_without_the_fields_still_builds_and_shows_progress(monkeypatch, tmp_path, capsys):
    bare = _lab()
    assert bare.requires == [] and bare.minutes("orientation") is None and bare.minutes() is None
    assert timing.header(bare, "orientation", "en") is None
    nb = source_notebook(bare, "orientation", ["en"])
    assert not any(c.metadata.get("graders", {}).get("role") == "about" for c in nb.cells)
    lab = Lab("orientation", lang="en", progress=ProgressStore(tmp_path / "p.sqlite"))
    lab.definition = bare
    lab.progress()
    out = capsys.readouterr().out
    assert "Your progress in" in out and "Still to do" not in out and "You need" not in out


LEFT = {"en": "Still to do: about {n} (about {p} if you already program).",
        "uk": "Залишилося приблизно {n} (приблизно {p}, якщо ви вже програмуєте).",
        "ja": "残りは約 {n}です（プログラミングの経験があれば約 {p}）。"}
NEEDS = {"en": "You need: the “{t}” lab.", "uk": "Спершу потрібно пройти: заняття «{t}».", "ja": "先に「{t}」のラボを終えておいてください。"}


@pytest.mark.parametrize("lang", ["en", "uk", "ja"])
def test_progress_shows_the_time_left_and_what_comes_first(tmp_path, capsys, lang):
    store = ProgressStore(tmp_path / "p.sqlite")
    email = Lab("career", lang=lang, notebook="email", progress=store)
    lab = email.definition
    email.progress()
    out = capsys.readouterr().out.splitlines()
    whole = lab.minutes()
    assert LEFT[lang].format(n=timing.duration(whole["novice"], lang), p=timing.duration(whole["programmer"], lang)) in out
    assert NEEDS[lang].format(t=timing.lab_title("bridge", lang)) in out
    for q in lab.questions_in("email"):           # the email notebook done: its time is no longer left
        store.record("career", q.id, True, [], lang)
    email.progress()
    out = capsys.readouterr().out.splitlines()
    rest = labdef.minutes_of(lab, ["workplace", "jobs"])
    assert LEFT[lang].format(n=timing.duration(rest["novice"], lang), p=timing.duration(rest["programmer"], lang)) in out
    for q in lab.questions:
        store.record("career", q, True, [], lang)
    email.progress()
    out = capsys.readouterr().out
    assert LEFT[lang].split("{")[0].strip() not in out and NEEDS[lang].split("{")[0].strip() in out


@pytest.mark.parametrize("lang", ["en", "uk", "ja"])
def test_graders_progress_shows_the_time_left_and_what_comes_first(capsys, lang):
    from graders.cli import main
    from graders.lab import PROGRESS_TITLE

    assert main(["progress", "--lang", lang]) == 0
    out = capsys.readouterr().out.splitlines()
    orientation = load_lab("orientation")
    at = out.index(PROGRESS_TITLE.render(lang, lab=ORIENTATION[lang], done=0, total=len(orientation.questions)))
    m = orientation.minutes()
    assert out[at + 2] == "  " + LEFT[lang].format(n=timing.duration(m["novice"], lang),
                                                   p=timing.duration(m["programmer"], lang))
    assert out[at + 3] == "  " + {"en": "You need no earlier lab: this is where to start.",
                                  "uk": "Попередні заняття не потрібні: почніть звідси.",
                                  "ja": "前提となるラボはありません。ここから始めましょう。"}[lang]
    aws = load_lab("aws")
    at = out.index(PROGRESS_TITLE.render(lang, lab=aws.title_in(lang), done=0, total=len(aws.questions)))
    assert out[at + 3] == "  " + NEEDS[lang].format(t=timing.lab_title("bridge", lang))


# --- lab.toml is checked as it loads ----------------------------------------------------------------------------

@pytest.fixture
def fake_labs(tmp_path, monkeypatch):
    monkeypatch.setattr(labdef, "LABS_DIR", tmp_path)
    load_lab.cache_clear()
    yield lambda text: (tmp_path / "x").mkdir(exist_ok=True) or (tmp_path / "x" / "lab.toml").write_text(
        'id = "x"\nnotebooks = ["one"]\n' + text + '\n[title]\nen = "X"\nuk = "X"\nja = "X"\n', encoding="utf-8")
    load_lab.cache_clear()


@pytest.mark.parametrize("text, says", [
    ('[notebook."two"]\nminutes = { novice = 10, programmer = 5 }', "[notebook.\"two\"] names a notebook that is not in"),
    ('[notebook."one"]\nminutes = { novice = 0, programmer = 5 }', "whole numbers above 0"),
    ('[notebook."one"]\nminutes = { novice = 7.5, programmer = 5 }', "whole numbers above 0"),
    ('[notebook."one"]\nminutes = { novice = 10 }', "whole numbers above 0"),
    ('[notebook."one"]\nminutes = 10', "whole numbers above 0"),
    ('requires = "orientation"', "requires must be a list of lab ids"),
])
def test_lab_toml_with_wrong_time_or_prerequisites_is_refused(fake_labs, text, says):
    fake_labs(text)
    with pytest.raises(LabDefinitionError, match="labs/x/lab.toml") as exc:
        load_lab("x")
    assert says in str(exc.value)


def test_lab_toml_with_right_time_loads(fake_labs):
    fake_labs('requires = ["orientation"]\n[notebook."one"]\nminutes = { novice = 10, programmer = 5 }\n'
              'teaches = ["dict"]')
    lab = load_lab("x")
    assert lab.requires == ["orientation"] and lab.minutes("one") == lab.minutes() == {"novice": 10, "programmer": 5}


# --- grading reasons name the question ------------------------------------------------------------------------------

def _orientation_cells():
    nb = source_notebook(load_lab("orientation"), "orientation", ["en"])
    roles = [(i, c.metadata.get("graders", {}).get("role"), c.metadata.get("graders", {}).get("question"))
             for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    return nb, roles


CELL_NAMES = {
    "answer": {"en": "your answer to q2", "uk": "ваша відповідь на q2", "ja": "q2 の解答"},
    "check": {"en": "the check of q2", "uk": "перевірка q2", "ja": "q2 のチェック"},
    "setup": {"en": "the setup cell", "uk": "комірка налаштування", "ja": "準備（セットアップ）のセル"},
}


@pytest.mark.parametrize("lang", ["en", "uk", "ja"])
def test_a_cell_is_named_by_its_question_not_its_position(lang):
    from graders.grade.reasons import cell_name, render

    nb, roles = _orientation_cells()
    for index, role, question in roles:
        if role == "setup" or question == "q2":
            assert render(cell_name(nb, index), lang) == CELL_NAMES[role][lang]
    # a cell with no question (an example) is named by the question before it
    index = next(i for i, role, _ in roles if role is None and any(r == "check" for j, r, _ in roles if j < i))
    name = render(cell_name(nb, index), lang)
    assert name.startswith({"en": "a code cell after question q", "uk": "комірка з кодом після питання q",
                            "ja": "問題 q"}[lang])
    # nbgrader's metadata alone (ours removed) still names the question
    index = next(i for i, role, q in roles if role == "answer" and q == "q2")
    del nb.cells[index].metadata["graders"]
    assert render(cell_name(nb, index), lang) == CELL_NAMES["answer"][lang]


TIMEOUT = {
    "en": "Your answer to q2 ran for more than 120 seconds and was stopped. Look for a loop that never ends or a wait "
          "that never finishes.",
    "uk": "Ваша відповідь на q2 виконувалася довше ніж 120 секунд, і її зупинили. Пошукайте цикл, який ніколи не "
          "закінчується, або очікування, яке ніколи не завершується.",
    "ja": "q2 の解答の実行が 120 秒を超えたため止めました。終わらないループや、終わらない待ち処理がないか確認してください。",
}


@pytest.mark.parametrize("lang", ["en", "uk", "ja"])
def test_a_reason_names_the_question_in_every_language(lang):
    from graders.grade.reasons import CELL_ANSWER, CELL_SETUP, CELL_TIMEOUT, NOT_RUN, reason, render
    from graders.report.html import message_text

    entry = reason(CELL_TIMEOUT, cell=reason(CELL_ANSWER, question="q2"), seconds=120)
    assert render(entry, lang) == TIMEOUT[lang]
    assert message_text(entry["id"], entry["params"], lang) == TIMEOUT[lang]   # the class report says the same
    not_run = render(reason(NOT_RUN, cell=reason(CELL_SETUP)), lang)
    assert CELL_NAMES["setup"][lang] in not_run and "{" not in not_run and not_run[0] == not_run[0].upper()


@pytest.mark.slow
def test_the_grader_names_the_question_of_a_runaway_cell(tmp_path):
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    from graders.grade.preprocessors import SandboxedExecute
    from graders.grade.reasons import render

    cells = [new_markdown_cell("# Title"), new_markdown_cell("text"),
             new_code_cell("x = 1", metadata={"graders": {"role": "setup"}}),
             new_code_cell("while True:\n    pass",
                           metadata={"graders": {"role": "answer", "question": "q1"},
                                     "nbgrader": {"grade_id": "q1_answer", "solution": True, "grade": False,
                                                  "locked": False, "schema_version": 3}})]
    resources = {"metadata": {"path": str(tmp_path)}}
    SandboxedExecute(sandbox=False, timeout=2).preprocess(new_notebook(cells=cells), resources)
    reasons = resources["graders"]["state"]["cells"]["3"]
    assert [render(r, "en") for r in reasons] == [
        "Your answer to q1 ran for more than 2 seconds and was stopped. "
        "Look for a loop that never ends or a wait that never finishes."]


def test_the_readme_table_says_what_lab_toml_says():
    """The README's table of labs shows each lab's time and prerequisites as lab.toml has them (one source)."""
    from pathlib import Path

    rows = {}
    for line in (Path(labdef.REPO_DIR) / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells
    for lab_id in labdef.load_course("digital-skills-day").labs:
        lab = load_lab(lab_id)
        m = lab.minutes()
        assert rows[lab_id][2] == f"{timing.duration(m['novice'], 'en')} ({timing.duration(m['programmer'], 'en')})"
        assert rows[lab_id][3] == (", ".join(f"`{r}`" for r in lab.requires) or "nothing")
