"""Career lab: self-check questions on Japanese work culture and hiring, and a business e-mail written in Japanese.

Every question reads the learner's variables (evidence "kernel"):

* q1, q5: one choice, ``q1 = "b"``;  q2, q3, q4: a set of choices, ``q2 = {"a", "b"}``.
  A wrong option the learner chose is explained by its own message; right options left out are only counted
  (``career.choices.missing``), never named, so that one try does not list the key. The keys are in
  ``keys/choices.json`` (:func:`graders.checks.choice_key`), not in this module; a graded kernel does not see that
  folder.
* q6: ``email = {"subject": "...", "body": "..."}``, checked part by part as a Japanese reader would read it:
  件名, 宛名 (company + 様), greeting, self-introduction, purpose, proposed dates (with the right weekdays), closing,
  signature with a contact, no casual forms, a reasonable length. :func:`email_parts` does the reading.
"""
from __future__ import annotations

import datetime
import re
import unicodedata
from pathlib import Path
from typing import Any

from graders.checks import Check, Questions, choice_key, judge_choices, judge_graded_only
from graders.i18n import Domain

M_ = Domain.beside(__file__)
questions = Questions("career")
HERE = Path(__file__).resolve().parent


# --- choice questions: shared --------------------------------------------------------------------------------------
CHOICE_NOT_TEXT = M_("career.choice.not_text", "`{name}` should be one letter in quotes, for example {name} = \"a\".")
CHOICE_UNKNOWN = M_("career.choice.unknown", "`{name}` contains \"{value}\", but the options are {options}. Write only the letter of the option.")
CHOICES_NOT_SET = M_("career.choices.not_set", "`{name}` is one piece of text. Put each letter in its own quotes, inside curly braces, for example {name} = {example}.")
CHOICES_EMPTY = M_("career.choices.empty", "`{name}` is empty. Choose at least one option and put its letter in the braces.")


def _letter(raw: str) -> str:
    """' B) ' -> 'b': what a learner means by an option letter."""
    return raw.strip().strip("()[]. ").lower()


def single_choice(check: Check, name: str, options: str) -> str:
    value = check.value(name)
    if isinstance(value, (set, frozenset, list, tuple)) and len(value) == 1:
        value = next(iter(value))
    if not isinstance(value, str):
        check.stop(CHOICE_NOT_TEXT, name=name)
    letter = _letter(value)
    if letter not in options:
        check.stop(CHOICE_UNKNOWN, name=name, value=value, options=", ".join(options))
    return letter


def choice_set(check: Check, name: str, options: str) -> set[str]:
    value = check.value(name)
    if isinstance(value, str):
        example = "{" + ", ".join(f'"{x}"' for x in options[:2]) + "}"
        check.stop(CHOICES_NOT_SET, name=name, example=example)
    if isinstance(value, dict):
        value = [k for k, v in value.items() if v]
    if not isinstance(value, (set, frozenset, list, tuple)):
        check.stop(CHOICE_NOT_TEXT, name=name)
    chosen = set()
    for item in value:
        if not isinstance(item, str) or _letter(item) not in options:
            check.stop(CHOICE_UNKNOWN, name=name, value=item, options=", ".join(options))
        chosen.add(_letter(item))
    if not chosen:
        check.stop(CHOICES_EMPTY, name=name)
    return chosen


CHOICES_MISSING = M_("career.choices.missing", "Your answer is missing {count} more option that is also right. Read the section above again and look for it: I do not say which one, so that you find it yourself.", "Your answer is missing {count} more options that are also right. Read the section above again and look for them: I do not say which ones, so that you find them yourself.", count="count")


def grade_set(check: Check, name: str, correct: frozenset[str], explain: dict, ok) -> None:
    """Feedback that teaches without handing out the key: each option the learner chose wrongly is explained; the
    right options not chosen yet are only counted, never named (naming them listed the whole key after one try)."""
    judge_choices(check, choice_set(check, name, "".join(sorted(explain))), correct, explain, ok, CHOICES_MISSING)


# q1: hōrensō ---------------------------------------------------------------------------------------------------------
Q1 = {
    "a": M_("career.q1.a", "(a) hides the problem. If you do not finish after all, your team lead learns it on Friday, too late to do anything. In a Japanese team bad news is reported early: that is 報告 (hōkoku)."),
    "c": M_("career.q1.c", "(c) reports, but too late: on Friday nothing can be changed any more. Report as soon as you know, while your team lead can still plan."),
    "d": M_("career.q1.d", "(d) tells a colleague, not the person who gave you the task. 報告 goes directly to your team lead; a chat message they may never read is not a report."),
}
Q1_OK = M_("career.q1.ok", "(b): you report the facts early (報告), give a proposal and let your team lead decide (相談). That is hōrensō.")


@questions("q1")
def q1(check: Check) -> None:
    choice = single_choice(check, "q1", "abcd")
    if choice in choice_key(HERE, "q1"):
        check.ok(Q1_OK)
    else:
        check.fail(Q1[choice])


# q2: meetings, e-mail, keigo ----------------------------------------------------------------------------------------
Q2 = {
    "a": M_("career.q2.a", "You left out (a). Being a few minutes early, with a tested microphone, is basic meeting manners in Japan: a late start costs everyone's time."),
    "b": M_("career.q2.b", "You left out (b). A reply within about one working day is expected, even if it only says when you will answer in full. Silence looks like the e-mail was lost or ignored."),
    "c": M_("career.q2.c", "(c) is not right: 了解です sounds casual to a client or a superior. Write 承知いたしました or かしこまりました."),
    "d": M_("career.q2.d", "You left out (d). A subject that says what the e-mail is about lets a busy reader sort and find it; Japanese business e-mails are very specific here."),
    "e": M_("career.q2.e", "You left out (e). A short note of what was decided and who does what by when (a 議事録, gijiroku) is good practice, and a new team member who writes it is noticed."),
    "f": M_("career.q2.f", "(f) is not right: さん and こんにちは are too casual for a first e-mail to a client. Write the company and 様 (株式会社〇〇 田中様) and 初めてご連絡いたします."),
}
Q2_OK = M_("career.q2.ok", "(a), (b), (d) and (e): on time, quick to reply, clear subjects, a written summary. And no casual words to clients.")


@questions("q2")
def q2(check: Check) -> None:
    grade_set(check, "q2", choice_key(HERE, "q2"), Q2, Q2_OK)


# q3: hiring in Japan -----------------------------------------------------------------------------------------------
Q3 = {
    "a": M_("career.q3.a", "You left out (a), but it is true: the 履歴書 (rirekisho) is a fixed form with your personal details, education, work history, licences and qualifications."),
    "b": M_("career.q3.b", "You left out (b), but it is true: the 職務経歴書 (shokumu keirekisho) shows what you did in each job, and its format is free. For mid-career applicants it often matters more than the 履歴書."),
    "c": M_("career.q3.c", "(c) is not true: 新卒採用 (shinsotsu) hires students who are about to graduate, usually to start in April. People with work experience apply through 中途採用 (chūto)."),
    "d": M_("career.q3.d", "You left out (d), but it is true: 中途採用 (mid-career hiring) goes on all year and looks mainly at your experience and skills."),
    "e": M_("career.q3.e", "(e) is not the best answer: 「特にありません」 can sound as if you are not interested. Prepare one or two questions about the work, the team or the training."),
    "f": M_("career.q3.f", "You left out (f), but it is true: many job adverts for foreign applicants name the Japanese level they need, often JLPT N2 or higher."),
}
Q3_OK = M_("career.q3.ok", "(a), (b), (d) and (f): two documents, two hiring routes, and the Japanese level stated in the advert.")


@questions("q3")
def q3(check: Check) -> None:
    grade_set(check, "q3", choice_key(HERE, "q3"), Q3, Q3_OK)


# q4: remote and freelance work: warning signs ------------------------------------------------------------------------
Q4 = {
    "a": M_("career.q4.a", "You left out (a), a clear warning sign: a real client pays you; it never asks you to pay a fee or buy a kit before you can work."),
    "b": M_("career.q4.b", "(b) is a good sign, not a warning: a written contract with the fee, the deadline and the payment date protects you. Since November 2024 a client must state these terms to a freelancer in writing or by e-mail."),
    "c": M_("career.q4.c", "You left out (c), a warning sign: pay far above normal, no interview and \"start today\" is how scams and illegal \"dark part-time jobs\" (闇バイト) recruit."),
    "d": M_("career.q4.d", "You left out (d), the most dangerous one: passing money through your bank account is money laundering. Lending or selling your bank account, card or SIM is a crime in Japan, even if you did not know where the money came from."),
    "e": M_("career.q4.e", "(e) is normal, not a warning: a freelancer sends an invoice (請求書) for the work of the month, and the client pays it."),
}
Q4_OK = M_("career.q4.ok", "(a), (c) and (d): fees before work, too-good-to-be-true offers and anything with your bank account are warning signs.")


@questions("q4")
def q4(check: Check) -> None:
    grade_set(check, "q4", choice_key(HERE, "q4"), Q4, Q4_OK)


# q5: certifications, honestly ------------------------------------------------------------------------------------------
Q5 = {
    "b": M_("career.q5.b", "(b) promises too much: no certificate obliges anyone to hire you. Cloud Practitioner shows that you know the basics; employers also look at what you have built and at your Japanese."),
    "c": M_("career.q5.c", "(c) has it upside down: N1 is the highest JLPT level and N5 the most basic. Employers often ask for N2 or higher."),
    "d": M_("career.q5.d", "(d) promises too much: a certificate helps your application get noticed, but it guarantees no job, and most office jobs in Japan still need Japanese to talk with the people whose work you automate."),
}
Q5_OK = M_("career.q5.ok", "(a): an entry certificate is a good first step, and an honest one. The next steps are hands-on projects and an associate-level certificate.")


@questions("q5")
def q5(check: Check) -> None:
    choice = single_choice(check, "q5", "abcd")
    if choice in choice_key(HERE, "q5"):
        check.ok(Q5_OK)
    else:
        check.fail(Q5[choice])


# q6: the business e-mail ---------------------------------------------------------------------------------------------
E_NOT_DICT = M_("career.q6.not_dict", "`email` is {actual}. Make it a dictionary with two entries, \"subject\" and \"body\", as in the template above.")
E_MISSING_KEY = M_("career.q6.missing_key", "`email` has no \"{key}\" entry. It needs two: \"subject\" (件名) and \"body\" (本文).")
E_NOT_TEXT = M_("career.q6.not_text", "`email[\"{key}\"]` should be text in quotes; it is {actual}.")

E_SUBJECT_OK = M_("career.q6.subject_ok", "件名: 「{subject}」 says what the e-mail is about.")
E_NO_SUBJECT = M_("career.q6.no_subject", "The subject (件名) is empty. A Japanese reader decides from the subject whether and when to open an e-mail: write what it is about, e.g. 「面接日程変更のお願い」.")
E_VAGUE_SUBJECT = M_("career.q6.vague_subject", "The subject 「{subject}」 is too vague. Name the matter: it is about the interview (面接) and its date (日程), e.g. 「面接日程変更のお願い」.")

E_ADDRESSEE_OK = M_("career.q6.addressee_ok", "宛名: company and name with 様 at the top.")
E_NO_ADDRESSEE = M_("career.q6.no_addressee", "The body does not start with the addressee (宛名). Write on the first lines the company, the department and the person with 様: 株式会社さくらデータ / 人事部 採用担当 / 山田様.")
E_NO_COMPANY = M_("career.q6.no_company", "The addressee has no company name. Write it in full on the first line: 株式会社さくらデータ.")
E_ABBREVIATED = M_("career.q6.abbreviated", "The company is written as (株). In the addressee write 株式会社 in full: 株式会社さくらデータ.")
E_SAN = M_("career.q6.san", "The addressee uses さん. Between companies さん is too casual: write 様 after the name, 山田様.")
E_ONCHU = M_("career.q6.onchu", "The addressee uses 御中. 御中 is for a company or department when you write to no particular person; you are writing to Ms Yamada, so write 山田様 instead (never 御中 and 様 together).")
E_NO_SAMA = M_("career.q6.no_sama", "Almost: the addressee 「{line}」 has no 様. After a person's name always write 様: 山田様.")

E_GREETING_OK = M_("career.q6.greeting_ok", "Opening greeting: 「{greeting}」.")
E_NO_GREETING = M_("career.q6.no_greeting", "The opening greeting is missing. After the addressee write お世話になっております (you are already in contact) or, to someone who does not know you yet, 初めてご連絡いたします.")

E_INTRO_OK = M_("career.q6.intro_ok", "You say who you are (と申します).")
E_NO_INTRO = M_("career.q6.no_intro", "You do not say who you are. After the greeting write your name and why they know you, e.g. 「12月10日に面接のお約束をいただいております、〇〇と申します。」")

E_PURPOSE_OK = M_("career.q6.purpose_ok", "The purpose is clear: the interview date.")
E_NO_PURPOSE = M_("career.q6.no_purpose", "The body does not say what you are asking for. Say it in one sentence: you would like to change the date (日程) of the interview (面接).")

E_DATES_OK = M_("career.q6.dates_ok", "You propose {count} concrete date.", "You propose {count} concrete dates.", count="count")
E_NO_DATES = M_("career.q6.no_dates", "There is no concrete date. Propose at least two new dates in the form 12月11日(金) 10時以降, so that the reader can simply pick one.")
E_ONE_DATE = M_("career.q6.one_date", "You propose only one new date ({date}). Offer at least two, so that the reader can choose without writing back and forth.")
E_WEEKDAY = M_("career.q6.weekday", "{date} is a {actual}, but the e-mail says ({given}). Check the weekday in a calendar: a wrong weekday makes the reader unsure which day you mean.")

E_CLOSING_OK = M_("career.q6.closing_ok", "Closing: 「{closing}」.")
E_NO_CLOSING = M_("career.q6.no_closing", "The closing line is missing. End the message with 何卒よろしくお願いいたします。")
E_CLOSING_PLAIN = M_("career.q6.closing_plain", "Almost: よろしくお願いします is polite, but to a company you are applying to write the humbler よろしくお願いいたします.")

E_SIGNATURE_OK = M_("career.q6.signature_ok", "Signature with your name and a contact.")
E_NO_SIGNATURE = M_("career.q6.no_signature", "The signature (署名) is missing. After the closing line write your name and how to reach you (e-mail address, phone number).")
E_NO_CONTACT = M_("career.q6.no_contact", "The signature has no contact. Add your e-mail address or phone number under your name.")
E_SIGNATURE_NAME = M_("career.q6.signature_name", "The signature does not repeat your name ({name}). Put it above your e-mail address and phone number.")

E_PLACEHOLDER = M_("career.q6.placeholder", "The e-mail still contains 〇 from the template, in {count} place. Replace every 〇〇 with your own text: your name, the reason, the dates and weekdays, your contact.", "The e-mail still contains 〇 from the template, in {count} places. Replace every 〇〇 with your own text: your name, the reason, the dates and weekdays, your contact.", count="count")
E_POLITE_OK = M_("career.q6.polite_ok", "No casual forms.")
E_CASUAL = M_("career.q6.casual", "「{found}」 is casual, the way you talk to friends. In a business e-mail write 「{better}」.")

E_LENGTH_OK = M_("career.q6.length_ok", "The e-mail is {count} character long: short and complete.", "The e-mail is {count} characters long: short and complete.", count="count")
E_TOO_SHORT = M_("career.q6.too_short", "The body has only {count} character. An e-mail like this needs about 150 to 600: addressee, greeting, who you are, the request, the dates, the closing and the signature.", "The body has only {count} characters. An e-mail like this needs about 150 to 600: addressee, greeting, who you are, the request, the dates, the closing and the signature.", count="count")
E_TOO_LONG = M_("career.q6.too_long", "The body has {count} character. Keep it under about 1000: the reader should see the request and the dates at a glance.", "The body has {count} characters. Keep it under about 1000: the reader should see the request and the dates at a glance.", count="count")

WEEKDAYS = "月火水木金土日"
WEEKDAY_NAMES = [M_("career.weekday.mon", "Monday (月)"), M_("career.weekday.tue", "Tuesday (火)"),
                 M_("career.weekday.wed", "Wednesday (水)"), M_("career.weekday.thu", "Thursday (木)"),
                 M_("career.weekday.fri", "Friday (金)"), M_("career.weekday.sat", "Saturday (土)"),
                 M_("career.weekday.sun", "Sunday (日)")]

GREETINGS = ("お世話になっております", "お世話になります", "初めてご連絡いたします", "はじめてご連絡いたします",
             "初めてご連絡差し上げます", "突然のご連絡失礼いたします")
# よろしくお願いいたします, 何卒よろしくご検討のほどお願い申し上げます ...; and the plainer よろしくお願いします
CLOSING = re.compile(r"(?:よろしく|宜しく)[^。\n]{0,12}?お願い(?:いた|致)します|(?:よろしく|宜しく)[^。\n]{0,12}?お願い申し上げます")
PLAIN_CLOSING = re.compile(r"(?:よろしく|宜しく)[^。\n]{0,12}?お願いします")
MATTER = re.compile(r"日程|日時|変更|延期|調整|面接日")   # what the e-mail is about, besides 面接
COMPANY_FORMS = ("株式会社", "有限会社", "合同会社")
# (pattern, what a learner wrote, what to write instead); the text is NFKC-normalised first
CASUAL = [
    (r"ありがとう(?!ござ)", "ありがとう", "ありがとうございます"),
    (r"ごめん", "ごめん", "申し訳ございません"),
    (r"了解", "了解", "承知いたしました"),
    (r"ちょっと", "ちょっと", "少々"),
    (r"(?:だ|です|ます)よ(?:ね)?[。!?\s]|だね|じゃん", "〜だよ / 〜だね", "〜です / 〜ます"),
    (r"よろしく(?:ね|です)?(?=[。!?\s]|$)", "よろしく", "よろしくお願いいたします"),
    (r"こんにちは", "こんにちは", "お世話になっております"),
]
ORIGINAL_DATE = (12, 10)       # the interview the learner asks to move: 12月10日(木)
WEEKDAY_IN_BRACKETS = r"\s*\(\s*([月火水木金土日])(?:曜日?)?\s*\)"
# 12月11日(金), 12/11(金), 12月11日; and 14日(月) after a date with a month (the weekday makes it a date)
DATE = re.compile(r"(?<!\d)(\d{1,2})\s*(?:月\s*(\d{1,2})\s*日|/(\d{1,2})(?!\d))(?:" + WEEKDAY_IN_BRACKETS + ")?"
                  r"|(?<![\d月/])(\d{1,2})\s*日" + WEEKDAY_IN_BRACKETS)
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+?\d[\d\s()-]{8,}\d")   # 090-1234-5678, 09012345678, +81 90 1234 5678
MIN_LENGTH, MAX_LENGTH = 120, 1000


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _year(month: int) -> int:
    """Dates in the e-mail are near December 2026: December is this year, January to November the next."""
    return 2026 if month >= 12 else 2027


def _name_in_intro(lines: list[str]) -> str | None:
    """'…、コヴァレンコ・オレナと申します。' -> 'コヴァレンコ・オレナ' (the words just before と申します)."""
    for line in lines:
        m = re.search(r"([^。、,.\s]+?)\s*と申します", line)
        if m:
            name = re.split(r"[のは]", m.group(1))[-1].strip()
            return name or None
    return None


def email_parts(subject: str, body: str) -> list[tuple[bool, Any, dict]]:
    """Read an e-mail the way a Japanese recruiter would: (ok, message, params) for every part, in order."""
    out: list[tuple[bool, Any, dict]] = []
    subject_n, body_n = _normal(subject).strip(), _normal(body)
    lines = [line.strip() for line in body_n.splitlines() if line.strip()]

    # 件名
    if not subject_n:
        out.append((False, E_NO_SUBJECT, {}))
    elif "面接" in subject_n and MATTER.search(subject_n) and len(subject_n) >= 6:
        out.append((True, E_SUBJECT_OK, {"subject": subject.strip()}))
    else:
        out.append((False, E_VAGUE_SUBJECT, {"subject": subject.strip()}))

    # 宛名: the lines up to and including the greeting (or the first three lines when there is no greeting)
    greeting_at = next((i for i, line in enumerate(lines) if any(g in line for g in GREETINGS)), None)
    head = lines[:greeting_at + 1] if greeting_at is not None else lines[:3]
    head_text = "\n".join(head)
    if not head or (greeting_at == 0 and not re.search(r"様|さん|会社|\(株\)", lines[0])):
        out.append((False, E_NO_ADDRESSEE, {}))
    else:
        addressee_ok = True
        if not any(form in head_text for form in COMPANY_FORMS):
            addressee_ok = False
            out.append((False, E_ABBREVIATED if "(株)" in head_text else E_NO_COMPANY, {}))
        if "様" not in head_text:
            addressee_ok = False
            if "さん" in head_text:
                out.append((False, E_SAN, {}))
            elif "御中" in head_text:
                out.append((False, E_ONCHU, {}))
            else:
                person = [line for line in head if not any(g in line for g in GREETINGS)]
                out.append((False, E_NO_SAMA, {"line": (person or head)[-1]}))
        if addressee_ok:
            out.append((True, E_ADDRESSEE_OK, {}))

    # greeting
    greeting = next((g for g in GREETINGS if g in body_n), None)
    out.append((True, E_GREETING_OK, {"greeting": greeting}) if greeting else (False, E_NO_GREETING, {}))

    # who you are
    out.append((True, E_INTRO_OK, {}) if re.search(r"と申します|でございます", body_n) else (False, E_NO_INTRO, {}))

    # what you want
    purpose = "面接" in body_n and MATTER.search(body_n)
    out.append((True, E_PURPOSE_OK, {}) if purpose else (False, E_NO_PURPOSE, {}))

    # proposed dates, with the right weekday
    proposed: dict[tuple[int, int], str] = {}
    weekday_problems = []
    month = None
    for m in DATE.finditer(body_n):
        if m.group(1):
            month, day, weekday = int(m.group(1)), int(m.group(2) or m.group(3)), m.group(4)
        elif month is None:
            continue
        else:
            day, weekday = int(m.group(5)), m.group(6)
        try:
            date = datetime.date(_year(month), month, day)
        except ValueError:
            continue
        label = f"{month}月{day}日"
        if weekday and WEEKDAYS[date.weekday()] != weekday:
            weekday_problems.append({"date": label, "given": weekday, "weekday": date.weekday()})
        if (month, day) != ORIGINAL_DATE:
            proposed.setdefault((month, day), label)
    if not proposed:
        out.append((False, E_NO_DATES, {}))
    elif len(proposed) == 1:
        out.append((False, E_ONE_DATE, {"date": next(iter(proposed.values()))}))
    else:
        out.append((True, E_DATES_OK, {"count": len(proposed)}))
    for problem in weekday_problems:
        out.append((False, E_WEEKDAY, problem))

    # closing
    closing = CLOSING.search(body_n)
    plain = PLAIN_CLOSING.search(body_n)
    if closing:
        out.append((True, E_CLOSING_OK, {"closing": closing.group(0)}))
    elif plain:
        out.append((False, E_CLOSING_PLAIN, {}))
    else:
        out.append((False, E_NO_CLOSING, {}))

    # signature: the lines after the last closing line (the last four lines when there is no closing)
    closing_at = max((i for i, line in enumerate(lines) if CLOSING.search(line) or PLAIN_CLOSING.search(line)),
                     default=None)
    signature = lines[closing_at + 1:] if closing_at is not None else lines[-4:]
    signature = [line for line in signature if re.search(r"[^\-=_*~—―─━ー\s]", line)]
    name = _name_in_intro(lines)
    if not signature:
        out.append((False, E_NO_SIGNATURE, {}))
    else:
        sig_text = "\n".join(signature)
        has_contact = EMAIL_ADDRESS.search(sig_text) or any(
            len(re.sub(r"\D", "", m.group(0))) >= 10 for m in PHONE.finditer(sig_text))
        parts = [p for p in re.split(r"[・\s=]+", name or "") if len(p) >= 2]
        # the name from と申します, or at least one line that is neither an address nor a number
        has_name = any(p in sig_text for p in parts) or any(
            "@" not in line and len(re.sub(r"\D", "", line)) < 6 and not re.match(r"(?i)(tel|mail|電話|メール)", line)
            for line in signature)
        if not has_contact:
            out.append((False, E_NO_CONTACT, {}))
        if not has_name:
            out.append((False, E_SIGNATURE_NAME, {"name": name or "〇〇"}))
        if has_contact and has_name:
            out.append((True, E_SIGNATURE_OK, {}))

    # no casual forms
    casual = []
    for pattern, found, better in CASUAL:
        if re.search(pattern, subject_n + "\n" + body_n):
            casual.append((False, E_CASUAL, {"found": found, "better": better}))
    out += casual or [(True, E_POLITE_OK, {})]

    # the template's blanks, left as they were
    blanks = len(re.findall("〇+", subject_n + "\n" + body_n))
    if blanks:
        out.append((False, E_PLACEHOLDER, {"count": blanks}))

    # length
    count = len(re.sub(r"\s", "", body_n))
    if count < MIN_LENGTH:
        out.append((False, E_TOO_SHORT, {"count": count}))
    elif count > MAX_LENGTH:
        out.append((False, E_TOO_LONG, {"count": count}))
    else:
        out.append((True, E_LENGTH_OK, {"count": count}))
    return out


def _text_entry(check: Check, email: dict, names: tuple[str, ...]) -> str:
    key = next((k for k in names if k in email), None)
    if key is None:
        check.stop(E_MISSING_KEY, key=names[0])
    value = email[key]
    if not isinstance(value, str):
        from graders.checks import kind_of_value
        check.stop(E_NOT_TEXT, key=key, actual=kind_of_value(value, check.lang))
    return value


@questions("q6")
def q6(check: Check) -> None:
    email = check.value("email")
    if not isinstance(email, dict):
        from graders.checks import kind_of_value
        check.stop(E_NOT_DICT, actual=kind_of_value(email, check.lang))
    subject = _text_entry(check, email, ("subject", "件名"))
    body = _text_entry(check, email, ("body", "本文"))
    for ok, message, params in email_parts(subject, body):
        if message is E_WEEKDAY:
            params = {"date": params["date"], "given": params["given"],
                      "actual": WEEKDAY_NAMES[params["weekday"]].render(check.lang)}
        (check.ok if ok else check.fail)(message, **params)


HINTS = {
    "q1": [M_("career.q1.hint1", "Hōrensō: report early, and bring a proposal when you consult. Which option does both?"),
           M_("career.q1.hint2", "Look for the option where the team lead hears about the problem on Wednesday, not on Friday.")],
    "q2": [M_("career.q2.hint1", "Four of the six options are good practice. Read (c) and (f) again: are those words polite enough for a client?"),
           M_("career.q2.hint2", "Write the letters in curly braces, each in quotes: q2 = {\"a\", \"b\"} (with your own letters).")],
    "q3": [M_("career.q3.hint1", "Four statements are true. Read again the part on 新卒 and 中途, and the part on the questions at the end of an interview."),
           M_("career.q3.hint2", "新卒 is for students; 「特にありません」 is a weak ending. The other four are true.")],
    "q4": [M_("career.q4.hint1", "Three of the five are warning signs. A contract and an invoice are part of normal freelance work."),
           M_("career.q4.hint2", "Warning signs: you pay them, it is too good to be true, or it involves your bank account.")],
    "q5": [M_("career.q5.hint1", "Be suspicious of words like \"has to hire you\" and \"guarantees\"; and check which JLPT level is the highest."),
           M_("career.q5.hint2", "The accurate sentence is the one that calls the certificate a first step.")],
    "q6": [M_("career.q6.hint1", "Check the parts in order: 件名, 宛名 (会社 + 様), お世話になっております, 〇〇と申します, the request, two or more dates, よろしくお願いいたします, signature."),
           M_("career.q6.hint2", "Copy the template above into the body and change only the parts marked 〇〇. Keep every line that is not marked."),
           M_("career.q6.hint3", "The top of the body is three lines: 株式会社さくらデータ / 人事部 採用担当 / 山田様. The end is よろしくお願いいたします, then your name, e-mail address and phone number.")],
}


# q7: scored only when graded -------------------------------------------------------------------------------------------
# A choice question with a key in no learner's reach: only in hidden/q7.json (not in a learner's copy, masked for a
# graded kernel), and no message names or explains an option, so neither this module nor locale/*.po tells which one
# is right. Self-study: the answer is only saved. (The other choice questions teach with their feedback and hints, and
# so give their key to anyone who runs the check once.)
Q7_SAVED = M_("career.q7.saved", "Your answer ({letter}) is saved. This question is scored when your instructor grades your work: only then do you see whether it was right.")
Q7_RIGHT = M_("career.q7.right", "Right: that is what to do with an offer like this one.")
Q7_WRONG = M_("career.q7.wrong", "Not the right option. Read the part on warning signs in this notebook again, and talk about this question with your instructor.")


@questions("q7")
def q7(check: Check) -> None:
    judge_graded_only(check, single_choice(check, "q7", "abcd"), Q7_RIGHT, Q7_WRONG, Q7_SAVED)


HINTS["q7"] = [
    M_("career.q7.hint1", "Ask yourself what the sender wants from you, and what a real employer would ask for before you start."),
    M_("career.q7.hint2", "Read the part on warning signs above again: pay far above normal, no interview, and anything with your bank account. This question is scored only when graded, so no hint gives its answer."),
]
