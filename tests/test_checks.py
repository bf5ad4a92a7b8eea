"""The learner check API in-process: verdicts, rendering, hints, grading mode, progress."""
import pytest

from graders import CheckFailed, Lab
from graders.checks import Check, Questions, time_limit
from graders.i18n import M_, normalize_language, resolve_language
from graders.progress import ProgressStore
from graders.render import VERDICT_MIME, VerdictView, as_html


@pytest.fixture
def lab(tmp_path):
    return Lab("orientation", lang="en", progress=ProgressStore(tmp_path / "p.sqlite"))


def test_right_answer_passes(lab):
    verdict = lab.evaluate("q1", {"city": "Tokyo"})
    assert verdict.passed and verdict.message_ids() == ["orientation.q1.ok"]


@pytest.mark.parametrize("value, message", [
    ("tokyo", "orientation.q1.case"), (" Tokyo", "orientation.q1.spaces"), ("Kyiv", "orientation.q1.other")])
def test_near_misses_get_their_own_message(lab, value, message):
    assert lab.evaluate("q1", {"city": value}).message_ids(ok=False) == [message]


def test_missing_and_wrong_type_are_explained(lab):
    assert lab.evaluate("q1", {}).message_ids(ok=False) == ["core.missing_name"]
    verdict = lab.evaluate("q1", {"city": 5})
    assert verdict.message_ids(ok=False) == ["core.wrong_type"]
    assert "a whole number" in VerdictView(verdict, "en").__str__()


def test_bool_is_not_a_number_but_numpy_numbers_are(lab):
    import numpy as np
    assert lab.evaluate("q2", {"total_hours": True}).message_ids(ok=False) == ["core.wrong_type"]
    assert lab.evaluate("q2", {"total_hours": np.int64(18)}).passed


def test_learner_function_errors_and_hangs_become_messages(lab):
    def crashes(name):
        raise ValueError("boom")

    def hangs(name):
        while True:
            pass

    assert lab.evaluate("q4", {"greet": crashes}).message_ids(ok=False) == ["core.function_raised"]
    assert lab.evaluate("q4", {"greet": hangs}).message_ids(ok=False) == ["core.too_slow"]


def test_a_bug_in_a_checker_is_reported_kindly():
    questions = Questions("demo")

    @questions("q1")
    def q1(check):
        raise ZeroDivisionError("oops")

    verdict = questions.run("q1", Check({}))
    assert verdict.message_ids(ok=False) == ["core.checker_broken"]


def test_a_key_the_graded_kernel_cannot_read_is_left_to_the_grader(tmp_path):
    # In a graded kernel the keys folder is masked: the kernel shows "scored by the grader" (no verdict to compare),
    # so honest work is not flagged as showing another result than the grader's own run (which reads the key).
    from graders.checks import grader_only_text
    from graders.grade.preprocessors.sealverdicts import kernel_verdicts

    questions = Questions("demo")

    @questions("q1")
    def q1(check):
        if check.value("choice", str) != grader_only_text(tmp_path / "keys" / "q1.txt"):
            check.fail(M_("demo.wrong", "Not this one."))
        else:
            check.ok(M_("demo.right", "Right."))

    masked = questions.run("q1", Check({"choice": "b"}))
    assert masked.deferred and masked.message_ids() == ["core.grader_scores"] and masked.to_json()["deferred"]
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "q1.txt").write_text("b")
    readable = questions.run("q1", Check({"choice": "b"}))
    assert readable.passed and not readable.deferred and "deferred" not in readable.to_json()
    cell = {"outputs": [{"data": VerdictView(v, "en")._repr_mimebundle_()} for v in (masked,)]}
    assert kernel_verdicts(cell) == {"q1": None}   # shown, but nothing to compare with the grader's verdict


def test_a_question_scored_only_when_graded_is_saved_then_judged_from_the_hidden_key():
    from graders.checks import judge_graded_only

    right, wrong, saved = (M_(f"demo.graded_only.{k}", k) for k in ("right", "wrong", "saved"))

    def judged(choice, hidden):
        check = Check({}, hidden=hidden)
        judge_graded_only(check, choice, right, wrong, saved)
        return [(p.ok, p.message.id, p.params, p.hidden) for p in check.parts]

    assert judged("b", None) == [(True, "demo.graded_only.saved", {"letter": "b"}, False)]
    assert judged("b", {"key": ["b"]}) == [(True, "demo.graded_only.right", {}, True)]
    assert judged("c", {"key": ["b"]}) == [(False, "demo.graded_only.wrong", {}, True)]


def test_hidden_parts_run_only_with_hidden_data(lab):
    greet = lambda name: "Hello, " + name + "!"  # noqa: E731
    plain = lab.evaluate("q4", {"greet": greet})
    graded = lab.evaluate("q4", {"greet": greet}, hidden={"names": ["Олена"]})
    assert not any(p.hidden for p in plain.parts)
    assert [p.params["name"] for p in graded.parts if p.hidden] == ["Олена"]


def test_rendering_in_three_languages(lab):
    verdict = lab.evaluate("q2", {"total_hours": 9})
    assert "Three days of six hours" in str(VerdictView(verdict, "en"))
    assert "Три дні по шість годин" in str(VerdictView(verdict, "uk"))
    assert "掛け算です" in str(VerdictView(verdict, "ja"))
    html = as_html(verdict, "uk")
    assert 'lang="uk"' in html and "<code>*</code>" in html and "<script" not in html


def test_learner_text_is_escaped_in_html(lab):
    verdict = lab.evaluate("q1", {"city": "<script>alert(1)</script>"})
    assert "<script>" not in as_html(verdict, "en")


def test_many_failures_of_one_kind_are_counted_not_listed():
    """A robot that has not started fails once per file: three lines of a kind, then one line counting the rest,
    in every language; other kinds of failure and what passed are all still shown; the JSON keeps every part."""
    from graders.checks import Part, Verdict
    from graders.render import lines
    moved = M_("test.render.not_moved", "Invoice {name} is still in inbox/.")
    header = M_("test.render.no_header", "invoices.csv has no header.")
    parts = [Part(False, moved, {"name": f"f{i}.pdf"}) for i in range(12)] + [Part(False, header), Part(True, header)]
    verdict = Verdict("rpa", "q4", parts)
    shown = lines(verdict, "en")
    assert [text for _, text, _ in shown][:4] == ["Invoice f0.pdf is still in inbox/.", "Invoice f1.pdf is still in inbox/.",
                                                   "Invoice f2.pdf is still in inbox/.", "… and 9 more like these."]
    assert len(shown) == 6 and shown[4][1] == "invoices.csv has no header." and shown[5][0] is True
    assert "… і ще 9 схожих зауважень." in [t for _, t, _ in lines(verdict, "uk")]
    assert "…ほかに同じ種類の指摘が 9 件あります。" in [t for _, t, _ in lines(verdict, "ja")]
    one_more = Verdict("rpa", "q4", [Part(False, moved, {"name": f"f{i}.pdf"}) for i in range(4)])
    assert lines(one_more, "en")[-1][1] == "… and 1 more like this one."
    assert lines(Verdict("rpa", "q4", parts[:3]), "en")[-1][1] == "Invoice f2.pdf is still in inbox/."
    assert len(verdict.to_json()["parts"]) == 14 and "To fix: 13 of 14" in as_html(verdict, "en")


def test_mimebundle_has_html_text_and_json(lab):
    bundle = VerdictView(lab.evaluate("q1", {"city": "Tokyo"}), "ja")._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", VERDICT_MIME}
    assert bundle[VERDICT_MIME]["passed"] is True and bundle[VERDICT_MIME]["lang"] == "ja"


def test_hints_get_more_specific_and_progress_is_kept(lab, capsys):
    ns = {"city": "tokyo"}
    lab.check("q1", namespace=ns)
    first = capsys.readouterr().out
    lab.check("q1", namespace=ns)
    second = capsys.readouterr().out
    assert "Text goes between quotes" in first
    assert 'Type exactly: city = "Tokyo"' in second
    lab.check("q1", namespace={"city": "Tokyo"})
    assert lab.progress_store.questions("orientation")["q1"].passed
    assert lab.progress_store.failures_in_a_row("orientation", "q1") == 0
    lab.progress()
    assert "1 of 5" in capsys.readouterr().out


@pytest.mark.parametrize("lang", ["en", "uk", "ja"])
def test_progress_counts_the_whole_lab_and_points_to_the_next_notebook(tmp_path, capsys, lang):
    store = ProgressStore(tmp_path / "p.sqlite")
    email = Lab("career", lang=lang, notebook="email", progress=store)
    questions = email.definition.questions
    here = [q for q, d in questions.items() if d.notebook == "email"]
    first_elsewhere = next(q for q, d in questions.items() if d.notebook != "email")
    for q in here:
        store.record("career", q, True, [], lang)
    email.progress()
    out = capsys.readouterr().out
    from graders.lab import PROGRESS_ALL_DONE, PROGRESS_NEXT_ELSEWHERE, PROGRESS_TITLE
    assert PROGRESS_TITLE.render(lang, lab=email.definition.title_in(lang), done=len(here), total=len(questions)) in out
    notebook = f"{questions[first_elsewhere].notebook}.ipynb"
    assert PROGRESS_NEXT_ELSEWHERE.render(lang, question=first_elsewhere, notebook=notebook) in out
    assert PROGRESS_ALL_DONE.render(lang) not in out          # one notebook of three is not the whole lab
    for q in questions:
        store.record("career", q, True, [], lang)
    email.progress()
    assert PROGRESS_ALL_DONE.render(lang) in capsys.readouterr().out


def test_graders_progress_says_what_the_notebook_says(capsys):
    """`graders progress` in a terminal counts from the same store, the same way, as lab.progress() in a notebook."""
    from graders.cli import main
    from graders.lab import PROGRESS_NEXT, PROGRESS_TITLE

    lab = Lab("orientation", lang="uk")
    lab.check("q1", namespace={"city": "Tokyo"})
    lab.check("q2", namespace={"total_hours": 9})   # tried, not passed
    capsys.readouterr()
    assert main(["progress", "--lang", "uk"]) == 0
    out = capsys.readouterr().out.splitlines()
    title = PROGRESS_TITLE.render("uk", lab=lab.definition.title_in("uk"), done=1, total=len(lab.definition.questions))
    at = out.index(title)
    assert out[at + 1] == "  " + PROGRESS_NEXT.render("uk", question="q2")


def test_grading_mode_raises_with_the_same_message(lab, monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    with pytest.raises(CheckFailed, match="Three days of six hours"):
        lab.check("q2", namespace={"total_hours": 9})
    lab.check("q2", namespace={"total_hours": 18})  # passes quietly
    assert lab.progress_store.questions("orientation") == {}  # grading does not touch the progress store


def test_unknown_question_is_a_clear_error(lab):
    with pytest.raises(CheckFailed, match="There is no question q9"):
        lab.check("q9")


def test_language_choice():
    assert normalize_language("uk_UA.UTF-8") == "uk" and normalize_language("ja-JP") == "ja"
    assert normalize_language("ua") == "uk" and normalize_language("fr") is None
    assert resolve_language("ja") == "ja"


def test_language_from_environment_and_settings(monkeypatch):
    from graders.settings import save_settings
    assert resolve_language() == "en"
    save_settings({"lang": "uk"})
    assert resolve_language() == "uk"
    monkeypatch.setenv("GRADERS_LANG", "ja")
    assert resolve_language() == "ja"


def test_time_limit_interrupts():
    import time
    from graders.checks import _Timeout
    with pytest.raises(_Timeout):
        with time_limit(0.2):
            time.sleep(2)


def test_message_ids_are_unique():
    M_("test.unique", "one text")
    with pytest.raises(ValueError):
        M_("test.unique", "another text")


CALLER_GLOBAL = "Tokyo"


def test_check_reads_the_callers_globals_like_a_notebook_cell(lab, capsys):
    global city
    city = "Tokyo"
    try:
        lab.check("q1")
    finally:
        del city
    assert "well done" in capsys.readouterr().out


def test_the_setup_cell_tells_the_learner_the_lab_is_ready(tmp_path):
    bundle = Lab("orientation", lang="uk", progress=ProgressStore(tmp_path / "p.sqlite"))._repr_mimebundle_()
    assert "Готово: «Знайомство: ваш перший блокнот», 5 вправ з перевіркою." in bundle["text/plain"]
    assert "<code>lab.progress()</code>" in bundle["text/html"]


def test_the_setup_cell_names_the_language_and_the_notebook():
    from graders.build import set_setup_language
    cell = 'lab = Lab("aws")'
    built = set_setup_language(cell, None, "aws2_iam")
    assert built == 'lab = Lab("aws", notebook="aws2_iam")'
    assert set_setup_language(built, "ja") == 'lab = Lab("aws", lang="ja", notebook="aws2_iam")'  # localize keeps it
    assert set_setup_language('Lab("orientation", lang="en")', "uk") == 'Lab("orientation", lang="uk")'


def test_a_notebook_of_a_larger_lab_counts_its_own_exercises(tmp_path):
    from graders.labdef import load_lab
    lab_def = load_lab("aws")
    first = lab_def.notebooks[0]
    lab = Lab("aws", lang="en", notebook=first, progress=ProgressStore(tmp_path / "p.sqlite"))
    own = len(lab_def.questions_in(first))
    assert own < len(lab_def.questions)
    assert f"{own} exercises with checks" in lab._repr_mimebundle_()["text/plain"]


def test_answer_stubs_are_localized_inside_a_scaffold():
    import nbformat
    from graders.build import CODE_STUB, localize
    stub = CODE_STUB.render("en")
    cell = nbformat.v4.new_code_cell(f"%%writefile robot.py\n{stub}\n", metadata={"graders": {"role": "answer"}})
    nb = localize(nbformat.v4.new_notebook(cells=[cell]), "uk")
    assert nb.cells[0].source == f"%%writefile robot.py\n{CODE_STUB.render('uk')}\n"
