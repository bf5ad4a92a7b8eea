"""``graders``: one command, one sub-command per verb."""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from .i18n import LANGUAGES, M_, resolve_language

DEFAULT_COURSE = "digital-skills-day"
# Each of these modules has register(subparsers) adding its verb (e.g. graders grade, graders report).
PLUGGED_VERBS = ["graders.grade.cli", "graders.report.cli", "graders.hub.cli", "graders.portfolio.cli",
                 "graders.portfolio.certificate_cli"]
MSG_NO_LAB = M_("core.cli.error", "Something is not right: {error}")


def cmd_start(args) -> int:
    from .start import start

    return start(args.course, Path(args.workspace), args.lang, args.port, open_browser=not args.no_browser,
                 services=not args.no_services, challenge=args.challenge)


def cmd_build(args) -> int:
    from .build import build_course
    from .labdef import load_course

    course = load_course(args.course)
    out = Path(args.out)
    labs = build_course(course, out, args.lang, args.lab or None, challenge=args.challenge)
    print(f"Built {', '.join(labs)} for course {course.id} ({args.lang}{', challenge' if args.challenge else ''}) in {out}")
    print(f"  source:  {out / 'source'}\n  release: {out / 'release'}\n"
          f"  next:    cd {out} && nbgrader release_assignment <lab>   (or copy release/ to learners)")
    return 0


def cmd_localize(args) -> int:
    import nbformat

    from .build import localize

    for path in map(Path, args.notebooks):
        nb = nbformat.read(path, as_version=4)
        out = Path(args.out) / path.name if args.out else path.with_name(f"{path.stem}.{args.lang}{path.suffix}")
        if out.exists() and not args.force:
            print(f"{out} exists: not overwritten (use --force, or another --out)", file=sys.stderr)
            return 1
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(localize(nb, args.lang), out)
        print(f"{path} -> {out}")
    return 0


def cmd_progress(args) -> int:
    from .labdef import load_course, load_lab
    from .progress import ProgressStore, passed_and_open
    from .lab import PROGRESS_ALL_DONE, PROGRESS_NEXT, PROGRESS_TITLE, progress_timing

    lang = resolve_language(args.lang)
    course = load_course(args.course)
    store = ProgressStore()
    for lab_id in course.labs:
        lab = load_lab(lab_id)
        finished, rest = passed_and_open(store.questions(lab_id), lab.questions)
        print(PROGRESS_TITLE.render(lang, lab=lab.title_in(lang), done=len(finished), total=len(lab.questions)))
        print("  " + (PROGRESS_NEXT.render(lang, question=rest[0]) if rest else PROGRESS_ALL_DONE.render(lang)))
        for line in progress_timing(lab, rest, lang):
            print("  " + line)
    return 0


def cmd_i18n(args) -> int:
    from .i18n import catalog_problems, domain_dirs, update_catalogs

    if args.action == "update":
        for owner in domain_dirs():
            missing = update_catalogs(owner)
            for lang, ids in missing.items():
                if ids:
                    print(f"{owner.name}/locale/{lang}.po: {len(ids)} to translate: {', '.join(ids)}")
        return 0
    problems = [p for owner in domain_dirs() for p in catalog_problems(owner)]
    for p in problems:
        print(p)
    print("All catalogs complete." if not problems else f"{len(problems)} problem(s).")
    return 1 if problems else 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="graders", description="Digital-skills labs: learner and instructor tools.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("start", help="prepare your workspace and open JupyterLab on the course")
    s.add_argument("--course", default=DEFAULT_COURSE)
    s.add_argument("--workspace", default="workspace")
    s.add_argument("--lang", choices=LANGUAGES, help="language of the notebooks, feedback and JupyterLab")
    s.add_argument("--port", type=int, default=8888)
    s.add_argument("--no-browser", action="store_true")
    s.add_argument("--no-services", action="store_true", help="do not start the labs' local servers")
    s.add_argument("--challenge", action=argparse.BooleanOptionalAction, default=None,
                   help="challenge mode: goals and checks only, for learners who already program "
                        "(default: what this workspace used last time)")
    s.set_defaults(func=cmd_start)

    b = sub.add_parser("build", help="(instructor) build the nbgrader course directory and release")
    b.add_argument("--course", default=DEFAULT_COURSE)
    b.add_argument("--out", required=True, help="the nbgrader course directory to write")
    b.add_argument("--lang", default="en", choices=[*LANGUAGES, "all"],
                   help="one language, or all (a mixed class: learners' copies are cut to their language)")
    b.add_argument("--lab", action="append", help="only these labs (default: all labs of the course)")
    b.add_argument("--challenge", action="store_true",
                   help="challenge mode: goals and checks only (same grade ids; one gradebook takes both)")
    b.set_defaults(func=cmd_build)

    loc = sub.add_parser("localize", help="cut an all-language notebook down to one language")
    loc.add_argument("notebooks", nargs="+")
    loc.add_argument("--lang", required=True, choices=LANGUAGES)
    loc.add_argument("--out", help="folder to write into (default: NAME.<lang>.ipynb beside the original)")
    loc.add_argument("--force", action="store_true")
    loc.set_defaults(func=cmd_localize)

    pr = sub.add_parser("progress", help="what you have done, and what is next")
    pr.add_argument("--course", default=DEFAULT_COURSE)
    pr.add_argument("--lang", choices=LANGUAGES)
    pr.set_defaults(func=cmd_progress)

    i = sub.add_parser("i18n", help="(contributor) update or check the translation catalogs")
    i.add_argument("action", choices=["update", "check"])
    i.set_defaults(func=cmd_i18n)

    # Verbs that live in packages of their own register themselves: one verb, one file.
    for module_name in PLUGGED_VERBS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a clear one-line error, not a traceback, for anything we can explain
        from .build import BuildError
        from .labdef import LabDefinitionError
        if isinstance(exc, (BuildError, LabDefinitionError, FileNotFoundError, ValueError)):
            print(MSG_NO_LAB.render(resolve_language(getattr(args, "lang", None) if getattr(args, "lang", None) in LANGUAGES else None), error=exc), file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
