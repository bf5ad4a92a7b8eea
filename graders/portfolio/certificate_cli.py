"""``graders certificate issue|verify``: (instructor) certificates from the nbgrader gradebook, with a verification
code, and the check of a code (registered by ``graders/cli.py``)."""
from __future__ import annotations

import sys
from pathlib import Path

from ..i18n import LANGUAGES, resolve_language
from .record import M_, PortfolioError

ISSUED = M_("certificate.cli.issued", "Certificate for {name} ({student}): {pdf}\nPortfolio page: {page}\nVerification code: {code}")
NOTHING = M_("certificate.cli.nothing", "{student} has no lab in this course yet that is fully graded and at the pass mark, so there is nothing to certify.")
VALID = M_("certificate.cli.valid", "VALID: certificate {code} was issued from this course folder on {date}. It certifies:")
WHO = M_("certificate.cli.who", "  Learner: {name} (id {student})\n  Course: {course}")
LAB_LINE = M_("certificate.cli.lab", "  {lab}: {points} of {max_points} point, exercises with full points: {passed} of {questions} — {status}", "  {lab}: {points} of {max_points} points, exercises with full points: {passed} of {questions} — {status}", count="max_points")
UNKNOWN = M_("certificate.cli.unknown", "NOT VALID: no certificate with the code {code} was issued from this course folder. The code is made up, mistyped, or from another course.")
FORGED = M_("certificate.cli.forged", "NOT VALID: the code {code} does not match the certificate issued under that number: it was mistyped or made up. Compare it with the certificate carefully.")
ALTERED = M_("certificate.cli.altered", "NOT VALID: the record of certificate {code} in {register} was changed after it was issued, so it cannot be trusted. Issue a new certificate from the gradebook.")
REGRADED = M_("certificate.cli.regraded", "Note: the gradebook now has other points for {labs} than on the certificate (regraded since it was issued).")


def register(subparsers) -> None:
    p = subparsers.add_parser("certificate", help="(instructor) issue a learner's certificate from the gradebook, "
                                                  "or check a certificate's verification code")
    sub = p.add_subparsers(dest="action", required=True)
    i = sub.add_parser("issue", help="a certificate (PDF) and portfolio page with a verification code")
    i.add_argument("--student", required=True, help="the learner's id in the gradebook")
    i.add_argument("--course-dir", default=".", help="the nbgrader course folder (default: this folder)")
    i.add_argument("--course", help="the course (default: the course id in nbgrader_config.py, else "
                                    "digital-skills-day)")
    i.add_argument("--lang", choices=LANGUAGES, help="language of the certificate (default: the one the learner "
                                                     "worked in, read from their graded notebooks; else yours)")
    i.add_argument("--employer-ja", action="store_true", help="add a Japanese page, for an employer in Japan")
    i.add_argument("--name", help="the name on the certificate (default: first and last name in the gradebook)")
    i.add_argument("--out", help="folder to write into (default: <course>/certificates/<student>/)")
    i.set_defaults(func=cmd_issue)

    v = sub.add_parser("verify", help="check a verification code and show what it certifies")
    v.add_argument("code")
    v.add_argument("--course-dir", default=".", help="the nbgrader course folder that issued it")
    v.add_argument("--lang", choices=LANGUAGES, help="language of the answer (default: yours)")
    v.set_defaults(func=cmd_verify)


def _coursedir(path: str):
    from ..report.cli import _coursedir as nbgrader_coursedir

    return nbgrader_coursedir(path)


def _course(name: str | None, coursedir):
    from ..labdef import COURSES_DIR
    from .record import load_course_labs

    if not name:
        known = coursedir.course_id and (COURSES_DIR / coursedir.course_id / "course.toml").exists()
        name = coursedir.course_id if known else "digital-skills-day"
    return load_course_labs(name)


def _run(fn, args) -> int:
    lang = resolve_language(args.lang)
    try:
        return fn(args, lang)
    except PortfolioError as exc:
        print(exc.render(lang), file=sys.stderr)
        return 2


def cmd_issue(args) -> int:
    return _run(_issue, args)


def cmd_verify(args) -> int:
    return _run(_verify, args)


def _issue(args, lang: str) -> int:
    from .certificate import MISSING, missing_characters, write_certificate
    from .codes import CertificateBook
    from .page import render_page
    from .record import from_gradebook

    coursedir = _coursedir(args.course_dir)
    course = _course(args.course, coursedir)
    record = from_gradebook(course, coursedir.db_url, coursedir.course_id, args.student, args.name,
                            folder=Path(coursedir.root))
    if not record.completed:
        print(NOTHING.render(lang, student=args.student), file=sys.stderr)
        return 1
    # the instructor reads this command's answer in ``lang``; the certificate is in the learner's language
    cert_lang = args.lang or learner_language(coursedir, [lab.id for lab in course.labs], args.student) or lang
    langs = [cert_lang] + (["ja"] if args.employer_ja and cert_lang != "ja" else [])
    missing = missing_characters(record, langs)  # also finds the fonts first: no code is issued without them
    if missing:
        print(MISSING.render(lang, chars=" ".join(sorted(missing))), file=sys.stderr)
    code = CertificateBook(Path(coursedir.root)).issue(record)
    out = Path(args.out) if args.out else Path(coursedir.root) / "certificates" / args.student
    serial = code.replace("-", "")[:8]
    pdf = write_certificate(record, langs, out / f"certificate-{serial}-{'-'.join(langs)}.pdf")
    page = out / f"portfolio-{serial}-{cert_lang}.html"
    page.write_text(render_page(record, cert_lang), encoding="utf-8")
    for extra in langs[1:]:
        (out / f"portfolio-{serial}-{extra}.html").write_text(render_page(record, extra), encoding="utf-8")
    print(ISSUED.render(lang, name=record.name, student=args.student, pdf=pdf, page=page, code=code))
    return 0


def learner_language(coursedir, labs: list[str], student: str) -> str | None:
    """The language the learner worked in: what ``graders grade`` read from their notebooks (its records), else
    what their submitted notebooks say (our notebooks name it in the setup cell); the most frequent one wins."""
    from collections import Counter

    import nbformat

    from ..grade.preprocessors.sandboxedexecute import notebook_language
    from ..grade.records import read_record, record_path

    root = Path(coursedir.root)
    seen: Counter = Counter()
    for lab in labs:
        for nb in ((read_record(record_path(root, lab, student)) or {}).get("notebooks") or {}).values():
            if isinstance(nb, dict) and nb.get("lang") in LANGUAGES:
                seen[nb["lang"]] += 1
    if not seen:
        for lab in labs:
            folder = Path(coursedir.format_path(coursedir.submitted_directory, student, lab))
            for path in sorted(folder.glob("*.ipynb")):
                try:
                    seen[notebook_language(nbformat.read(path, as_version=4))] += 1
                except Exception:  # noqa: BLE001 (a damaged notebook says nothing about its language)
                    continue
    return seen.most_common(1)[0][0] if seen else None


def _verify(args, lang: str) -> int:
    from .codes import CertificateBook
    from .page import long_date, number, status_of

    coursedir = _coursedir(args.course_dir)
    book = CertificateBook(Path(coursedir.root))
    verdict = book.verify(args.code)
    if verdict.status == "unknown":
        print(UNKNOWN.render(lang, code=verdict.code))
        return 1
    if verdict.status == "forged":
        print(FORGED.render(lang, code=verdict.code))
        return 1
    if verdict.status == "altered":
        print(ALTERED.render(lang, code=verdict.code, register=book.register_path))
        return 1
    record = verdict.record
    print(VALID.render(lang, code=verdict.code, date=long_date(record.issued, lang)))
    print(WHO.render(lang, name=record.name, student=record.student, course=record.course_title_in(lang)))
    for lab in record.labs:
        print(LAB_LINE.render(lang, lab=lab.title_in(lang), points=number(lab.points),
                              max_points=number(lab.max_points), passed=lab.passed, questions=lab.questions,
                              status=status_of(lab, record).render(lang)))
    changed = _regraded(record, coursedir)
    if changed:
        print(REGRADED.render(lang, labs=", ".join(changed)))
    return 0


def _regraded(record, coursedir) -> list[str]:
    """The labs whose points in the gradebook now differ from the certificate's (empty when it cannot tell)."""
    from .record import from_gradebook, load_course_labs

    try:
        now = from_gradebook(load_course_labs(record.course), coursedir.db_url, coursedir.course_id,
                             record.student, record.name, folder=Path(coursedir.root))
    except Exception:  # the gradebook is only a second opinion here; the code already decided
        return []
    points = {lab.id: lab.points for lab in now.labs}
    return [lab.id for lab in record.labs if lab.id in points and abs(points[lab.id] - lab.points) > 1e-9]
