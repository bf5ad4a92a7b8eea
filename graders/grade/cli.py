"""``graders grade <assignment>``: registered by ``graders/cli.py`` (one verb, one file)."""
from __future__ import annotations

from ..i18n import LANGUAGES


def register(subparsers) -> None:
    p = subparsers.add_parser("grade", help="(instructor) autograde all submissions of an assignment, in parallel "
                                            "and sandboxed, into the nbgrader gradebook")
    p.add_argument("assignment", help="the assignment (lab) to grade, e.g. orientation")
    p.add_argument("--course-dir", default=".", help="the nbgrader course folder (default: this folder)")
    p.add_argument("--workers", type=int, default=0, help="worker processes (default: one per CPU core)")
    p.add_argument("--student", action="append", help="only this learner (repeat for more)")
    p.add_argument("--force", action="store_true", help="grade again what is already graded and unchanged")
    p.add_argument("--cell-timeout", type=float, help="seconds per cell (default: the course's Execute.timeout)")
    p.add_argument("--notebook-timeout", type=float, help="seconds per notebook (default: the lab's, or 600)")
    p.add_argument("--memory", help="memory per kernel (default: the lab's, or 1GiB)")
    p.add_argument("--max-procs", type=int, help="processes and threads per kernel (default: the lab's, or 512)")
    p.add_argument("--hide", action="append", default=[], help="another folder learners' code must not see")
    p.add_argument("--allow", action="append", default=[], help="another folder learners' code may read (read-only)")
    p.add_argument("--no-sandbox", action="store_true", help="no namespaces or limits (not recommended)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--lang", choices=LANGUAGES, help="language of the summary")
    p.set_defaults(func=run_command)


def run_command(args) -> int:
    import os

    from .app import main

    argv = [args.assignment, f"--course-dir={os.path.abspath(args.course_dir)}", f"--workers={args.workers}"]
    if args.notebook_timeout:
        argv.append(f"--notebook-timeout={args.notebook_timeout}")
    if args.memory:
        argv.append(f"--memory={args.memory}")
    if args.max_procs:
        argv.append(f"--max-procs={args.max_procs}")
    if args.cell_timeout:
        argv.append(f"--cell-timeout={args.cell_timeout}")
    for folder in args.hide:
        argv.append(f"--GradeApp.hide={folder}")
    for folder in args.allow:
        argv.append(f"--GradeApp.allow={folder}")
    if args.student:
        if len(args.student) == 1:
            argv.append(f"--student={args.student[0]}")
        else:
            argv.append("--student=" + ",".join(args.student))
    if args.force:
        argv.append("--force")
    if args.no_sandbox:
        argv.append("--no-sandbox")
    if args.no_progress:
        argv.append("--no-progress")
    if args.lang:
        argv.append(f"--lang={args.lang}")
    return main(argv)
