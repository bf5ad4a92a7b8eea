"""``graders report <assignment>`` and ``graders feedback <assignment>``: registered by ``graders/cli.py``."""
from __future__ import annotations

from ..i18n import Domain, LANGUAGES, resolve_language

M_ = Domain.beside(__file__)  # this package's own catalog (locale/ here)

WROTE = M_("report.cli.wrote", "Class report: {html}\nTables: {learners}, {questions}")
FEEDBACK_DONE = M_("report.cli.feedback", "Feedback pages are in {folder}, each in the learner's own language.")
RELEASED = M_("report.cli.released", "Feedback released to the exchange: learners get it with nbgrader fetch_feedback (or the Assignments tab).")


def register(subparsers) -> None:
    p = subparsers.add_parser("report", help="(instructor) the class report of an assignment: HTML with charts, "
                                             "and CSV")
    p.add_argument("assignment")
    p.add_argument("--course-dir", default=".", help="the nbgrader course folder (default: this folder)")
    p.add_argument("--lang", choices=LANGUAGES, help="language of the report (default: yours)")
    p.add_argument("--out", help="folder for the report (default: <course>/reports/<assignment>)")
    p.set_defaults(func=cmd_report)

    f = subparsers.add_parser("feedback", help="(instructor) feedback pages for every learner in their own language "
                                               "(nbgrader generate_feedback), and optionally release them")
    f.add_argument("assignment")
    f.add_argument("--course-dir", default=".")
    f.add_argument("--student", action="append", help="only this learner (repeat for more)")
    f.add_argument("--release", action="store_true", help="also run nbgrader release_feedback")
    f.add_argument("--lang", choices=LANGUAGES, help="language of this command's own messages")
    f.set_defaults(func=cmd_feedback)


def _coursedir(path: str):
    import os

    from nbgrader.apps.baseapp import NbGrader

    app = NbGrader()
    app.initialize([f"--course-dir={os.path.abspath(path)}"])
    return app.coursedir


def cmd_report(args) -> int:
    from . import write_report

    lang = resolve_language(args.lang)
    paths = write_report(_coursedir(args.course_dir), args.assignment, lang, args.out)
    print(WROTE.render(lang, html=paths["html"], learners=paths["learners_csv"], questions=paths["questions_csv"]))
    return 0


def cmd_feedback(args) -> int:
    import os
    from pathlib import Path

    from .feedback import generate_feedback, release_feedback

    lang = resolve_language(args.lang)
    root = Path(os.path.abspath(args.course_dir))
    code = generate_feedback(root, args.assignment, args.student)
    if code:
        return code
    print(FEEDBACK_DONE.render(lang, folder=root / "feedback"))
    if args.release:
        code = release_feedback(root, args.assignment)
        if code == 0:
            print(RELEASED.render(lang))
    return code
