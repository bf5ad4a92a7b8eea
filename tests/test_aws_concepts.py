"""AWS notebook 7-concepts: the choice questions explain only what the learner chose, the keys live outside the checks
module, the price table is dated, and every known mistake of the monthly bill gets its own message.

The notebook itself (reference and variants, in en/uk/ja) runs in tests/test_labs.py; its nbgrader cycle, with the
hidden architectures, in tests/test_aws_nbgrader.py. These tests compute verdicts here, as a grader does."""
import datetime
import functools
import itertools
import json
from pathlib import Path

import pytest

import graders.lab  # noqa: F401  (registers the core messages)
from graders.checks import Check, GraderOnly, choice_key
from graders.gradingonly import LABS, graded_paths
from graders.labdef import load_lab

LAB = load_lab("aws")
checks = LAB.checks
HIDDEN = json.loads((LAB.path / "hidden" / "7h.json").read_text(encoding="utf-8"))


def verdict(question: str, namespace: dict, hidden=None):
    return checks.questions.run(question, Check(namespace, hidden=hidden, lang="en"))


@pytest.mark.parametrize("question, name, options, explain", [
    ("7a", "customer_jobs", "abcdef", checks.Q7A),
    ("7f", "evening_rush", "abcde", checks.Q7F),
])
def test_a_choose_all_question_explains_only_the_options_chosen(question, name, options, explain):
    """Every possible answer: the failures are the explanations of options the learner chose, and the count of the
    missing ones; an option not chosen is never named (one empty try must not list the key)."""
    right = choice_key(checks.HERE, question)
    for size in range(1, len(options) + 1):
        for chosen in itertools.combinations(options, size):
            v = verdict(question, {name: set(chosen)})
            failed = v.message_ids(ok=False)
            allowed = {explain[o].id for o in chosen if o in explain} | {checks.CHOICES_MISSING.id}
            assert set(failed) <= allowed, (chosen, failed)
            assert v.passed == (set(chosen) == right), chosen
            if right - set(chosen):
                missing = [p for p in v.parts if p.message.id == checks.CHOICES_MISSING.id]
                assert missing and missing[0].params["count"] == len(right - set(chosen))


def test_an_empty_answer_says_nothing_is_chosen_yet():
    assert verdict("7b", {"pricing": ""}).message_ids(ok=False) == ["aws.choice.empty"]
    assert verdict("7a", {"customer_jobs": set()}).message_ids(ok=False) == ["aws.choices.empty"]
    assert verdict("7e", {"pillar": "Reliability"}).message_ids(ok=False) == ["aws.choice.unknown"]


def test_the_keys_are_not_in_the_checks_module_and_a_graded_kernel_does_not_see_them(monkeypatch, tmp_path):
    keys = json.loads((LAB.path / "keys" / "choices.json").read_text(encoding="utf-8"))
    for value in vars(checks).values():
        if isinstance(value, (set, frozenset, list, tuple)) and value and all(isinstance(x, str) for x in value):
            assert not any(set(value) == set(k) and len(k) > 1 for k in keys.values()), value
    assert LAB.path / "keys" in graded_paths(LABS)                      # masked by the grading sandbox
    # without the folder, the module has no key and no bill calculator of its own
    assert not verdict("7b", {"pricing": "b"}).deferred
    monkeypatch.setattr(checks, "HERE", tmp_path)
    monkeypatch.setattr(checks, "KEYS", tmp_path / "keys")
    checks._bill_module.cache_clear()
    try:   # the kernel shows "scored by the grader", the grader's run decides
        assert verdict("7b", {"pricing": "b"}).deferred
        with pytest.raises(GraderOnly):
            checks.monthly_bill_of(checks.Q7H_STORY, checks._load_prices())
    finally:
        checks._bill_module.cache_clear()


def test_the_price_table_is_dated_says_prices_change_and_covers_every_case():
    prices = checks._load_prices()
    assert datetime.date.fromisoformat(prices["as_of"])
    assert "change" in prices["note"] and "Pricing Calculator" in prices["note"]
    assert prices["hours_per_month"] == 730
    assert set(prices["free_tier"]) == {"first_12_months", "always_free"}
    for architecture in checks.Q7H_CASES + HIDDEN["architectures"]:
        region = prices["regions"][architecture["region"]]
        assert set(architecture["servers"]) <= set(region["server_per_hour"])
    # by hand: 2 x 730 h - 750 free = 710 h x 0.0136 + 45 GB x 0.025 + 2 M x 0.20 + 20 GB x 0.114
    assert checks.monthly_bill_of(checks.Q7H_STORY, prices) == pytest.approx(9.656 + 1.125 + 0.4 + 2.28)


def test_the_hidden_architectures_reach_what_the_visible_cases_do_not():
    visible, hidden = checks.Q7H_CASES, HIDDEN["architectures"]
    assert {a["region"] for a in hidden} - {a["region"] for a in visible}
    assert {t for a in hidden for t in a["servers"]} - {t for a in visible for t in a["servers"]}
    assert any(not a["servers"] for a in hidden)


def _mistaken_bill(**knobs):
    bill = checks._bill_module().monthly_bill_of
    return lambda architecture, prices: round(bill(architecture, prices, **knobs), 2)


@pytest.mark.parametrize("knobs, message", [
    ({"hours": 720}, "aws.7h.hours"),
    ({"first_year_free": False, "always_free": False}, "aws.7h.no_free_tier"),
    ({"first_year_free": False}, "aws.7h.forgot_first_year"),
    ({"free_after_year": True}, "aws.7h.free_after_year"),
    ({"always_free": False}, "aws.7h.forgot_always"),
    ({"free_per_server": True}, "aws.7h.free_per_server"),
    ({"free_any_type": True}, "aws.7h.free_any_type"),
    ({"floor": False}, "aws.7h.negative"),
    ({"per_request": True}, "aws.7h.per_request"),
])
def test_each_known_mistake_of_the_monthly_bill_gets_its_own_message(knobs, message):
    v = verdict("7h", {"monthly_bill": _mistaken_bill(**knobs)})
    assert v.message_ids(ok=False) == [message]


def test_the_monthly_bill_hard_coded_none_text_and_right():
    story = checks.monthly_bill_of(checks.Q7H_STORY, checks._load_prices())
    assert verdict("7h", {"monthly_bill": lambda a, p: story}).message_ids(ok=False) == ["aws.7h.hard_coded"]
    assert verdict("7h", {"monthly_bill": lambda a, p: None}).message_ids(ok=False) == ["aws.7h.none"]
    assert verdict("7h", {"monthly_bill": lambda a, p: "13.46 USD"}).message_ids(ok=False) == ["aws.7h.not_number"]
    right = _mistaken_bill()
    assert verdict("7h", {"monthly_bill": right}, hidden=HIDDEN).passed
    # Tokyo prices for every Region but us-east-1: the visible cases pass, the grader's Frankfurt case does not
    tokyo = _mistaken_bill(region="ap-northeast-1")
    only_two = lambda a, p: right(a, p) if a["region"] != "eu-central-1" else tokyo(a, p)  # noqa: E731
    assert verdict("7h", {"monthly_bill": only_two}).passed
    assert verdict("7h", {"monthly_bill": only_two}, hidden=HIDDEN).message_ids(ok=False) == ["aws.7h.region"]


# --- graded in the real sandbox: the keys are out of a graded kernel's reach ------------------------------------------
KEY_READER = '''import json, pathlib, importlib.util
import labs.aws.checks as _c
_keys_dir = pathlib.Path(_c.__file__).parent / "keys"
try:
    _keys = json.loads((_keys_dir / "choices.json").read_text(encoding="utf-8"))
except OSError:
    _keys = {}
print("KEYS READ", bool(_keys))
'''
# each answer: the key if the kernel can read it, else a wrong option
KEY_ANSWERS = {
    "7a_answer": KEY_READER + 'customer_jobs = set(_keys.get("7a", ["b"]))\n',
    "7b_answer": KEY_READER + 'pricing = _keys.get("7b", ["a"])[0]\n',
    # 7i is scored only when graded: its key is only in hidden/7i.json
    "7i_answer": KEY_READER + """
try:
    leaked_key = json.loads((_keys_dir.parent / "hidden" / "7i.json").read_text(encoding="utf-8"))["key"][0]
except OSError:
    leaked_key = "a"
""",
    "7h_answer": KEY_READER + '''
def monthly_bill(architecture, prices):
    try:
        spec = importlib.util.spec_from_file_location("bill", _keys_dir / "bill.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.monthly_bill_of(architecture, prices)
    except OSError:
        return 0
''',
}


def _one_lab_course(tmp_path_factory, lab: str) -> Path:
    from graders.labdef import COURSES_DIR

    folder = tmp_path_factory.mktemp(f"course-{lab}")
    text = (COURSES_DIR / "digital-skills-day" / "course.toml").read_text(encoding="utf-8")
    lines = [f'labs = ["{lab}"]' if line.startswith("labs = ") else line for line in text.splitlines()]
    (folder / "course.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_a_graded_kernel_cannot_read_the_concept_keys(tmp_path_factory):
    """Graded by the sandboxed grader: the honest reference earns every point of 7-concepts; a submission that answers
    with whatever key its kernel can read (keys/choices.json, keys/bill.py) earns nothing for those questions."""
    import nbformat
    from nbgrader.api import Gradebook

    from graders.grade.app import grade
    from graders.grade.classroom import course_directory, make_class, release_copy, submit
    from graders.testing import fill_answers, reference_answers

    root = tmp_path_factory.mktemp("keys-aws")
    make_class(root, "aws", 0, course=str(_one_lab_course(tmp_path_factory, "aws")))
    source = nbformat.read(root / "source" / "aws" / "7-concepts.ipynb", as_version=4)
    for student, extra in (("honest", {}), ("key_reader", KEY_ANSWERS)):
        answers = {**reference_answers(source), **extra}
        submit(root, "aws", student, {"7-concepts": fill_answers(release_copy(root, "aws", "7-concepts", "en"), answers)})
    # issue 20: notebooks 1-6 too: a submission that runs any reference solution its kernel can find (same class)
    from test_adversarial_keys import assert_the_finder_found_and_earned_nothing, solution_finder
    basics = nbformat.read(root / "source" / "aws" / "1-basics.ipynb", as_version=4)
    submit(root, "aws", "finder", {"1-basics": fill_answers(release_copy(root, "aws", "1-basics", "en"),
                                                            solution_finder(basics, "aws"))})
    result, _ = grade(course_directory(root), "aws", workers=2, cell_timeout=30, notebook_timeout=240)
    assert result.errors == []
    assert_the_finder_found_and_earned_nothing(root, "aws", "1-basics")
    scores = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "digital-skills-day") as gb:
        for student in ("honest", "key_reader"):
            nb = gb.find_submission_notebook("7-concepts", "aws", student)
            scores[student] = {g.name: g.auto_score for g in nb.grades}
    honest, reader = scores["honest"], scores["key_reader"]
    assert all(score > 0 for score in honest.values()), honest
    assert {q: reader[q] for q in ("7a", "7b", "7h", "7i")} == {"7a": 0.0, "7b": 0.0, "7h": 0.0, "7i": 0.0}, \
        reader
    assert reader["7c"] == honest["7c"] > 0
    out = (root / "autograded" / "key_reader" / "aws" / "7-concepts.ipynb").read_text(encoding="utf-8")
    assert "KEYS READ False" in out and "KEYS READ True" not in out


# --- "In the console" boxes (issue 16 part 5) ------------------------------------------------------------------------
CONSOLE = {"en": "> **In the console:**", "uk": "> **У консолі** (назви англійською, як у консолі):",
           "ja": "> **コンソールでは：**"}


def console_boxes(text: str) -> dict[str, list[tuple[str, str]]]:
    """question -> the (lang, challenge) of the markdown regions right after its check cell that open a console box."""
    import jupytext

    cells = jupytext.reads(text, fmt="md").cells
    out = {}
    for i, cell in enumerate(cells):
        question = cell.metadata.get("question") if cell.cell_type == "code" else None
        if cell.metadata.get("role") != "check" or not question:
            continue
        after = cells[i + 1:i + 4]
        out[question] = [(c.metadata.get("lang"), c.metadata.get("challenge")) for c in after
                         if c.cell_type == "markdown" and c.source.startswith(CONSOLE.get(c.metadata.get("lang"), "?"))]
    return out


def test_every_exercise_that_builds_something_has_a_console_box_in_every_language():
    want = [("en", "skip"), ("uk", "skip"), ("ja", "skip")]
    for notebook in LAB.notebooks:
        if notebook == "7-concepts":
            continue
        boxes = console_boxes(LAB.notebook_source(notebook).read_text(encoding="utf-8"))
        questions = [q.id for q in LAB.questions_in(notebook)]
        assert sorted(boxes) == sorted(questions), notebook
        assert {q: b for q, b in boxes.items() if b != want} == {}, notebook
    # the planted defect: a box without its Japanese region is found
    text = LAB.notebook_source("4-ec2").read_text(encoding="utf-8")
    start = text.index('<!-- #region lang="ja" challenge="skip" -->\n> **コンソールでは：**')
    end = text.index("<!-- #endregion -->", start) + len("<!-- #endregion -->")
    assert console_boxes(text[:start] + text[end:])["4a"] == want[:2]
