"""``graders portfolio``: the learner's progress, a portfolio page and a self-study certificate (registered by
``graders/cli.py``)."""
from __future__ import annotations

import sys
from pathlib import Path

from ..i18n import LANGUAGES, resolve_language
from .record import M_, PortfolioError

POINTS = M_("portfolio.cli.points", "  Points: {points} of {max_points}.")
WROTE_PAGE = M_("portfolio.cli.page", "Your portfolio page: {path}")
WROTE_CERTIFICATE = M_("portfolio.cli.certificate", "Your certificate (PDF): {path}")
NEED_NAME = M_("portfolio.cli.need_name", "For a certificate with your name on it, run this again with --name \"Your Name\" (it is remembered for next time).")
NOTHING_COMPLETE = M_("portfolio.cli.nothing_complete", "No certificate yet: it lists the labs you have completed, and a lab is complete when all its exercises pass. Keep going!")
SELF_STUDY = M_("portfolio.cli.self_study", "These are self-study records made from your own checks. A certificate with a verification code comes from your instructor, from your graded work.")
EMPLOYER = M_("portfolio.cli.employer", "For an employer in Japan: {path}")


def register(subparsers) -> None:
    p = subparsers.add_parser("portfolio", help="your progress, a portfolio page to show an employer, and a "
                                                "certificate of the labs you completed (PDF)")
    p.add_argument("--course", default="digital-skills-day")
    p.add_argument("--workspace", help="your workspace folder (default: the one you are in, or the one "
                                       "`graders start` uses)")
    p.add_argument("--lang", choices=LANGUAGES, help="language of the page and certificate (default: yours)")
    p.add_argument("--employer-ja", action="store_true",
                   help="also in Japanese, for an employer in Japan (a second page of the certificate and a "
                        "Japanese portfolio page)")
    p.add_argument("--name", help="your name as it should appear on the certificate (remembered)")
    p.add_argument("--out", help="folder to write into (default: portfolio/ in your workspace)")
    p.add_argument("--no-certificate", action="store_true", help="only the progress and the page, no PDF")
    p.set_defaults(func=cmd_portfolio)


def _store_path(workspace: str | None) -> Path:
    from ..settings import MARKER, state_dir

    if workspace:
        return Path(workspace) / MARKER / "progress.sqlite"
    return state_dir() / "progress.sqlite"


def _out_dir(args) -> Path:
    from ..settings import find_workspace

    if args.out:
        return Path(args.out)
    root = Path(args.workspace) if args.workspace else (find_workspace() or Path.cwd())
    return root / "portfolio"


def _name(args) -> str:
    from ..settings import load_settings, save_settings

    start = Path(args.workspace) if args.workspace else None
    if args.name and args.name.strip():
        try:
            save_settings({"name": args.name.strip()}, start)
        except OSError:
            pass  # remembering is a convenience; the certificate still gets the name
        return args.name.strip()
    return str(load_settings(start).get("name") or "").strip()


def print_progress(record, lang: str) -> None:
    """The lines of ``graders progress`` (the same messages), with the points of each lab."""
    from ..lab import PROGRESS_ALL_DONE, PROGRESS_NEXT, PROGRESS_TITLE
    from .page import number

    for lab in record.labs:
        print(PROGRESS_TITLE.render(lang, lab=lab.title_in(lang), done=lab.passed, total=lab.questions))
        print("  " + (PROGRESS_NEXT.render(lang, question=lab.next) if lab.next else PROGRESS_ALL_DONE.render(lang)))
        print(POINTS.render(lang, points=number(lab.points), max_points=number(lab.max_points)))


def cmd_portfolio(args) -> int:
    lang = resolve_language(args.lang)
    try:
        return _portfolio(args, lang)
    except PortfolioError as exc:
        print(exc.render(lang), file=sys.stderr)
        return 2


def _portfolio(args, lang: str) -> int:
    from .page import render_page
    from .record import SKIPPED_LAB, from_progress, load_course_labs

    course = load_course_labs(args.course)
    for lab_id, why in course.skipped.items():
        print(SKIPPED_LAB.render(lang, lab=lab_id, error=why), file=sys.stderr)
    record = from_progress(course, _store_path(args.workspace))
    record.name = _name(args)  # after: a wrong --workspace must not get a .graders/ folder made by looking
    print_progress(record, lang)
    print()

    out = _out_dir(args)
    out.mkdir(parents=True, exist_ok=True)
    langs = [lang] + (["ja"] if args.employer_ja and lang != "ja" else [])
    for page_lang in langs:
        page = out / f"portfolio-{page_lang}.html"
        page.write_text(render_page(record, page_lang), encoding="utf-8")
        print((WROTE_PAGE if page_lang == lang else EMPLOYER).render(lang, path=page))
    if not args.no_certificate:
        if not record.completed:
            print(NOTHING_COMPLETE.render(lang))
        elif not record.name:
            print(NEED_NAME.render(lang))
        else:
            from .certificate import MISSING, missing_characters, write_certificate

            missing = missing_characters(record, langs)
            if missing:
                print(MISSING.render(lang, chars=" ".join(sorted(missing))), file=sys.stderr)
            suffix = "-".join(langs)
            pdf = write_certificate(record, langs, out / f"certificate-{suffix}.pdf")
            print(WROTE_CERTIFICATE.render(lang, path=pdf))
    print(SELF_STUDY.render(lang))
    return 0
