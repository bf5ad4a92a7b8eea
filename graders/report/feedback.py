"""``graders feedback <assignment>``: nbgrader's generate_feedback (and release_feedback), each page in the
learner's own language.

It runs nbgrader's own apps with two additions in their configuration: the :class:`FeedbackLanguage` preprocessor
and the ``graders_feedback`` template (nbgrader's feedback template with its words translated). The same two lines
in ``nbgrader_config.py`` make a plain ``nbgrader generate_feedback`` do the same::

    c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades",
        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor", "graders.report.preprocessors.FeedbackLanguage"]
    c.HTMLExporter.template_name = "graders_feedback"
    c.HTMLExporter.template_file = "graders.html.j2"
    c.HTMLExporter.extra_template_basedirs = [graders.report.feedback.TEMPLATES, graders.report.feedback.NBGRADER_TEMPLATES]
"""
from __future__ import annotations

import os
from pathlib import Path

import nbgrader
from traitlets.config import Config

TEMPLATES = str(Path(__file__).resolve().parent / "templates")
NBGRADER_TEMPLATES = os.path.join(os.path.dirname(nbgrader.__file__), "server_extensions", "formgrader", "templates")


def feedback_config() -> Config:
    c = Config()
    c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades",
                                        "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
                                        "graders.report.preprocessors.FeedbackLanguage"]
    c.HTMLExporter.template_name = "graders_feedback"
    c.HTMLExporter.template_file = "graders.html.j2"
    c.HTMLExporter.extra_template_basedirs = [TEMPLATES, NBGRADER_TEMPLATES]
    return c


def _run(app_class, argv: list[str], extra: Config | None = None) -> int:
    app = app_class()
    app.initialize(argv)
    if extra is not None:
        app.update_config(extra)
    try:
        app.start()
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def generate_feedback(root: Path, assignment: str, students: list[str] | None = None, force: bool = True,
                      extra_argv: list[str] | None = None) -> int:
    from nbgrader.apps import GenerateFeedbackApp

    argv = [assignment, f"--course-dir={root}", *(extra_argv or [])]
    if force:
        argv.append("--force")
    if students:
        argv.append(f"--student={','.join(students)}" if len(students) > 1 else f"--student={students[0]}")
    return _run(GenerateFeedbackApp, argv, feedback_config())


def release_feedback(root: Path, assignment: str, extra_argv: list[str] | None = None) -> int:
    from nbgrader.apps import ReleaseFeedbackApp

    return _run(ReleaseFeedbackApp, [assignment, f"--course-dir={root}", *(extra_argv or [])])
