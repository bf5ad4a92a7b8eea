"""The career lab's own checks, called directly: the Japanese e-mail reader on many e-mails (what a learner really
writes: another greeting, full-width digits, a wrong weekday, さん, (株), a missing contact ...), the choice questions'
lenient reading of letters, hints, and an nbgrader release that carries no reference answers."""
import re

import pytest

from graders.i18n import LANGUAGES, SOURCE_LANGUAGE
from graders.lab import Lab
from graders.labdef import load_lab

SUBJECT = "面接日程変更のお願い（コヴァレンコ・オレナ）"
HEAD = "株式会社さくらデータ\n人事部 採用担当\n山田様\n\n"
GREETING = "お世話になっております。\n"
INTRO = "12月10日(木)14時から面接のお約束をいただいております、コヴァレンコ・オレナと申します。\n\n"
MIDDLE = """大変申し訳ございませんが、当日、区役所での手続きのため、参加することが難しくなりました。
勝手なお願いで恐縮ですが、面接の日程を変更していただくことは可能でしょうか。

以下の日時でしたら、対応できます。
・12月11日(金) 10時〜17時
・12月14日(月) 13時以降

ご迷惑をおかけして申し訳ございません。
何卒よろしくお願いいたします。
"""
SIGNATURE = "\nコヴァレンコ・オレナ\nメール：olena.kovalenko@example.com\n電話：090-1234-5678\n"


def body(head=HEAD, greeting=GREETING, intro=INTRO, middle=MIDDLE, signature=SIGNATURE):
    return head + greeting + intro + middle + signature


@pytest.fixture(scope="module")
def lab():
    return Lab("career", lang="en")


def verdict(lab, value, name="email"):
    return lab.evaluate(name if name != "email" else "q6", {name: value})


def failed(lab, value, name="email"):
    return verdict(lab, value, name).message_ids(ok=False)


def test_the_reference_email_passes_in_every_language():
    for lang in LANGUAGES:
        v = Lab("career", lang=lang).evaluate("q6", {"email": {"subject": SUBJECT, "body": body()}})
        assert v.passed, v.message_ids(ok=False)
        assert len(v.parts) == 10  # every part of the e-mail is named, ticked one by one


@pytest.mark.parametrize("greeting", ["初めてご連絡いたします。\n", "突然のご連絡失礼いたします。\n", "お世話になります。\n"])
def test_other_correct_greetings_pass(lab, greeting):
    assert failed(lab, {"subject": SUBJECT, "body": body(greeting=greeting)}) == []


def test_full_width_digits_brackets_and_japanese_keys_pass(lab):
    wide = body(middle=MIDDLE.replace("12月11日(金)", "１２月１１日（金）").replace("12月14日(月)", "１２／１４（月曜日）"),
                signature="\nコヴァレンコ・オレナ\nTEL：０９０－１２３４－５６７８\n")
    assert failed(lab, {"件名": SUBJECT, "本文": wide}) == []


def test_a_short_honest_reason_and_dates_with_slashes_pass(lab):
    middle = MIDDLE.replace("当日、区役所での手続きのため", "やむを得ない事情により").replace(
        "・12月11日(金) 10時〜17時\n・12月14日(月) 13時以降", "・12/11(金) 終日\n・12/15(火) 午前中")
    assert failed(lab, {"subject": "【面接日程のご相談】コヴァレンコ", "body": body(middle=middle)}) == []


NATIVE_STYLE = [
    # as a Japanese applicant might write it: full-width spaces and brackets, one-line addressee, bare days after a
    # month, a longer closing, a phone number without hyphens
    ("【日程変更のお願い】12月10日 面接の件", """株式会社さくらデータ　人事部　採用ご担当　山田花子様

いつもお世話になっております。
12月10日（木）14：00より面接のお時間をいただいております、オレナ・コヴァレンコと申します。

誠に恐縮ではございますが、やむを得ない事情により、当日伺うことが難しくなりました。
大変勝手なお願いではございますが、面接日を再調整していただくことは可能でしょうか。

12月14日（月曜日）、15日（火）、17日（木）のいずれも終日対応可能でございます。

ご迷惑をおかけし、誠に申し訳ございません。
何卒よろしくご検討のほどお願い申し上げます。

――――――――――――
オレナ・コヴァレンコ（Olena Kovalenko）
TEL：09012345678
――――――――――――
"""),
    ("面接延期のお願い", """株式会社さくらデータ
人事部 山田様

初めてご連絡いたします。オレナ・コヴァレンコと申します。
12/10(木)の面接について、日程の変更をお願いしたくご連絡いたしました。
12/11(金)または12/18(金)の午後でしたら、伺うことができます。
お手数をおかけいたしますが、宜しくお願い致します。

Olena Kovalenko
+81 90 1234 5678
"""),
]


@pytest.mark.parametrize("subject, text", NATIVE_STYLE)
def test_emails_written_the_way_japanese_applicants_write_them_pass(lab, subject, text):
    assert failed(lab, {"subject": subject, "body": text}) == []


@pytest.mark.parametrize("change, expected", [
    ({"subject": ""}, "career.q6.no_subject"),
    ({"subject": "お願い"}, "career.q6.vague_subject"),
    ({"subject": "面接について"}, "career.q6.vague_subject"),
    ({"head": "株式会社さくらデータ\n人事部 採用担当\n山田\n\n"}, "career.q6.no_sama"),
    ({"head": "株式会社さくらデータ\n山田さん\n\n"}, "career.q6.san"),
    ({"head": "(株)さくらデータ\n山田様\n\n"}, "career.q6.abbreviated"),
    ({"head": "㈱さくらデータ\n山田様\n\n"}, "career.q6.abbreviated"),
    ({"head": "人事部 山田様\n\n"}, "career.q6.no_company"),
    ({"head": "株式会社さくらデータ\n人事部 御中\n\n"}, "career.q6.onchu"),
    ({"head": ""}, "career.q6.no_addressee"),
    ({"greeting": ""}, "career.q6.no_greeting"),
    ({"intro": "コヴァレンコ・オレナです。\n\n"}, "career.q6.no_intro"),
    ({"middle": "何卒よろしくお願いいたします。\n"}, "career.q6.no_dates"),
    ({"middle": MIDDLE.replace("・12月14日(月) 13時以降\n", "")}, "career.q6.one_date"),
    ({"middle": MIDDLE.replace("12月11日(金)", "12月11日(木)")}, "career.q6.weekday"),
    ({"middle": MIDDLE.replace("何卒よろしくお願いいたします。", "")}, "career.q6.no_closing"),
    ({"middle": MIDDLE.replace("何卒よろしくお願いいたします。", "よろしくお願いします。")}, "career.q6.closing_plain"),
    ({"signature": ""}, "career.q6.no_signature"),
    ({"signature": "\nコヴァレンコ・オレナ\n"}, "career.q6.no_contact"),
    ({"signature": "\nメール：olena.kovalenko@example.com\n"}, "career.q6.signature_name"),
    ({"middle": MIDDLE.replace("ご迷惑をおかけして申し訳ございません。", "ありがとう！")}, "career.q6.casual"),
    ({"middle": MIDDLE.replace("大変申し訳ございませんが", "ごめん、")}, "career.q6.casual"),
    ({"middle": MIDDLE.replace("申し訳ございませんが", "ちょっと用事があって")}, "career.q6.casual"),
    ({"middle": MIDDLE.replace("何卒よろしくお願いいたします。", "了解です。よろしく！")}, "career.q6.casual"),
    ({"middle": MIDDLE.replace("何卒よろしくお願いいたします。", "よろしくね。")}, "career.q6.casual"),
    ({"middle": MIDDLE.replace("・12月14日(月) 13時以降", "・14日(火) 13時以降")}, "career.q6.weekday"),
    ({"middle": MIDDLE.replace("可能でしょうか。", "可能ですよね。")}, "career.q6.casual"),
    ({"middle": MIDDLE.replace("可能でしょうか。", "可能ですか。待ってますよ。")}, "career.q6.casual"),
    ({"middle": MIDDLE.replace("区役所での手続き", "〇〇")}, "career.q6.placeholder"),
    ({"middle": MIDDLE * 6}, "career.q6.too_long"),
])
def test_each_missing_or_wrong_part_is_named(lab, change, expected):
    subject = change.pop("subject", SUBJECT)
    ids = failed(lab, {"subject": subject, "body": body(**change)})
    assert expected in ids, ids


def test_the_near_miss_shows_the_line_the_learner_wrote():
    v = Lab("career", lang="uk").evaluate("q6", {"email": {"subject": SUBJECT, "body": body(
        head="株式会社さくらデータ\n人事部 採用担当\n山田\n\n")}})
    part = next(p for p in v.failures if p.message.id == "career.q6.no_sama")
    assert part.params == {"line": "山田"}
    assert v.message_ids(ok=False) == ["career.q6.no_sama"]  # one slip, one message


def test_a_wrong_weekday_names_the_real_one_in_the_learners_language():
    email = {"subject": SUBJECT, "body": body(middle=MIDDLE.replace("12月14日(月)", "12月14日(火)"))}
    shown = {lang: [p.message.render(lang, **p.params) for p in
                    Lab("career", lang=lang).evaluate("q6", {"email": email}).failures] for lang in LANGUAGES}
    assert shown["en"] == ["12月14日 is a Monday (月), but the e-mail says (火). Check the weekday in a calendar: a wrong "
                           "weekday makes the reader unsure which day you mean."]
    assert "понеділок" in shown["uk"][0] and "月曜日" in shown["ja"][0]


def test_the_original_interview_date_is_not_counted_as_a_proposal(lab):
    middle = MIDDLE.replace("・12月14日(月) 13時以降\n", "・12月10日(木) 16時以降\n")
    assert "career.q6.one_date" in failed(lab, {"subject": SUBJECT, "body": body(middle=middle)})


def test_polite_forms_are_not_taken_for_casual_ones(lab):
    middle = MIDDLE.replace("ご迷惑をおかけして申し訳ございません。",
                            "ご検討いただけますよう、お願い申し上げます。ありがとうございます。")
    assert failed(lab, {"subject": SUBJECT, "body": body(middle=middle)}) == []


def test_too_short(lab):
    ids = failed(lab, {"subject": SUBJECT, "body": "山田様\nお世話になっております。面接の日程を変えてください。\nよろしくお願いいたします。"})
    assert "career.q6.too_short" in ids


@pytest.mark.parametrize("value, expected", [
    ("件名：面接日程変更のお願い\n山田様 ...", "career.q6.not_dict"),
    ({"subject": SUBJECT}, "career.q6.missing_key"),
    ({"subject": SUBJECT, "body": ["株式会社さくらデータ"]}, "career.q6.not_text"),
])
def test_the_wrong_shape_gets_a_kind_message(lab, value, expected):
    assert failed(lab, value) == [expected]


# --- the choice questions ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("question, value", [
    ("q1", "b"), ("q1", " B "), ("q1", "(b)"), ("q1", ["b"]), ("q5", "A"),
    ("q2", {"a", "b", "d", "e"}), ("q2", ["A", "b", "d", "e"]), ("q2", ("a", "b", "d", "e", "e")),
    ("q3", {"a", "b", "d", "f"}), ("q4", {"a": True, "c": True, "d": True, "b": False}),
])
def test_letters_are_read_leniently(lab, question, value):
    assert lab.evaluate(question, {question: value}).passed


@pytest.mark.parametrize("question, value, expected", [
    ("q1", "x", ["career.choice.unknown"]),
    ("q1", 2, ["career.choice.not_text"]),
    ("q2", "abde", ["career.choices.not_set"]),
    ("q2", set(), ["career.choices.empty"]),
    ("q2", {"a", "b", "d"}, ["career.choices.missing"]),
    ("q2", {"a", "b", "c", "d", "e", "f"}, ["career.q2.c", "career.q2.f"]),
    ("q3", {"a", "b", "c", "d", "e", "f"}, ["career.q3.c", "career.q3.e"]),
    ("q4", {"b", "e"}, ["career.q4.b", "career.q4.e", "career.choices.missing"]),
    ("q5", "d", ["career.q5.d"]),
])
def test_every_wrong_choice_has_its_own_explanation(lab, question, value, expected):
    assert lab.evaluate(question, {question: value}).message_ids(ok=False) == expected


@pytest.mark.parametrize("question", ["q2", "q3", "q4"])
def test_feedback_never_names_an_option_the_learner_did_not_choose(question):
    # one wrong try used to list the whole key ("You left out (a), but it is true ..."): now only the learner's own
    # choices are explained, and the right ones still missing are counted, in every language, for every answer
    import itertools
    import re

    options = sorted(load_lab("career").checks.__dict__[question.upper()])
    for lang in LANGUAGES:
        lab = Lab("career", lang=lang)
        for size in range(1, len(options) + 1):
            for chosen in itertools.combinations(options, size):
                verdict = lab.evaluate(question, {question: set(chosen)})
                text = " ".join(p.message.render(lang, **p.params) for p in verdict.parts)
                named = set(re.findall(r"[(（]([a-f])[)）]", text))
                assert named <= set(chosen), (lang, question, chosen, named - set(chosen))


def test_hints_exist_for_every_question_and_are_translated():
    lab = load_lab("career")
    hints = lab.checks.HINTS
    assert set(hints) == set(lab.questions)
    for question, messages in hints.items():
        assert len(messages) >= 2, question
        for message in messages:
            for lang in LANGUAGES:
                if lang != SOURCE_LANGUAGE:
                    assert message.render(lang) != message.render(SOURCE_LANGUAGE), (message.id, lang)


def test_hints_get_more_specific_with_repeated_failures():
    lab = Lab("career", lang="ja")
    assert [lab._hint("q6", n).id for n in (1, 2, 3, 4)] == ["career.q6.hint1", "career.q6.hint2",
                                                              "career.q6.hint3", "career.q6.hint3"]


def test_reference_answers_stay_in_solution_cells_and_the_prose_gives_none_away():
    """nbgrader's release keeps everything but the solution blocks: no reference answer may sit anywhere else."""
    from graders.build import source_notebook
    from graders.testing import reference_answers

    lab = load_lab("career")
    for name in lab.notebooks:
        nb = source_notebook(lab, name, list(LANGUAGES))
        answers = reference_answers(nb)
        assert answers and all(cell.metadata["nbgrader"]["solution"] for cell in nb.cells
                               if cell.metadata.get("nbgrader", {}).get("grade_id") in answers)
        rest = "\n".join(cell.source for cell in nb.cells
                         if cell.metadata.get("nbgrader", {}).get("grade_id") not in answers)
        for code in answers.values():
            for line in code.strip().splitlines():
                if re.match(r"q\d = |\s*\"subject\"|.*@example", line):
                    assert line.strip() not in rest, (name, line)
