"""The learner's one object: ``lab = Lab("orientation"); lab.check("q1")``.

``check`` gathers the evidence (the learner's variables from the calling notebook), runs the question's rules, shows
the verdict in the learner's language with a hint that gets more specific after repeated failures, and records it in
the local progress store. When nbgrader runs the notebook (``NBGRADER_EXECUTION`` is set by ``autograde`` and
``validate``) a failed check also raises :class:`CheckFailed`, so the test cell scores 0, with the same message.
"""
from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from typing import Any

from .checks import Check, Verdict
from .i18n import M_, resolve_language
from .labdef import load_lab
from .progress import ProgressStore, passed_and_open
from .render import VerdictView, as_text

UNKNOWN_QUESTION = M_("core.unknown_question", "There is no question {question} in this lab. The questions are: {known}.")
PROGRESS_TITLE = M_("core.progress.title", "Your progress in {lab}: {done} of {total} question done.", "Your progress in {lab}: {done} of {total} questions done.", count="total")
PROGRESS_NEXT = M_("core.progress.next", "Next: question {question}.")
PROGRESS_ALL_DONE = M_("core.progress.all_done", "You have finished this lab. Well done!")
PROGRESS_NEXT_ELSEWHERE = M_("core.progress.next_elsewhere", "This notebook is done. Next: question {question}, in {notebook}.")
LAB_READY = M_("core.lab.ready", "Ready: “{lab}”, {count} exercise with checks.", "Ready: “{lab}”, {count} exercises with checks.", count="count")
LAB_HOW = M_("core.lab.how", "After each exercise, run the check cell below it, e.g. `lab.check(\"q1\")`. `lab.progress()` shows how far you are.")
SERVICE_UNAVAILABLE = M_("core.service_unavailable", "The local server “{service}” that this lab needs could not start: {error}. Restart the kernel and run the notebook from the top; if it happens again, tell your instructor.")


class CheckFailed(AssertionError):
    """A failed check while nbgrader grades: the test cell fails and the learner's feedback shows the message."""


def grading_mode() -> str | None:
    """'autograde' or 'validate' while nbgrader runs the notebook, else None."""
    return os.environ.get("NBGRADER_EXECUTION") or None


def _short_traceback_for_check_failures() -> None:
    """In IPython, a CheckFailed shows as one line (the verdict is already displayed above it), not a traceback."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    ip = get_ipython()
    if ip is None or getattr(ip, "_graders_handler", False):
        return

    def handler(shell, etype, value, tb, tb_offset=None):
        stb = [f"{etype.__name__}: {value}"]
        shell._showtraceback(etype, value, stb)
        return stb

    ip.set_custom_exc((CheckFailed,), handler)
    ip._graders_handler = True


class Lab:
    def __init__(self, lab_id: str, lang: str | None = None, notebook: str | None = None, *,
                 progress: ProgressStore | None = None):
        self.definition = load_lab(lab_id)
        self.id = self.definition.id
        # the notebook this object serves, in a lab of several (the build writes it into the setup cell)
        self.notebook = notebook if notebook in self.definition.notebooks else None
        self.lang = resolve_language(lang)
        self.questions = self.definition.checks.questions
        self.hints: dict[str, list] = getattr(self.definition.checks, "HINTS", {})
        # What checks may look at besides the learner's variables: the notebook's folder and the lab's services.
        self.context: dict[str, Any] = {"workdir": Path.cwd()}
        self._progress = progress
        _short_traceback_for_check_failures()
        for name in self.definition.services:
            self.connect_service(name)

    def connect_service(self, name: str):
        """The lab's local server ``name`` (see ``graders.services.registry``), kept in ``lab.context[name]``."""
        from .services import ServiceError, connect

        try:
            # While nbgrader grades, each kernel gets a server of its own: submissions never share state.
            self.context[name] = connect(name, private=grading_mode() is not None)
        except (ServiceError, OSError) as exc:
            print(SERVICE_UNAVAILABLE.render(self.lang, service=name, error=exc), file=sys.stderr)
            return None
        return self.context[name]

    @property
    def question_order(self) -> list[str]:
        """The questions of this notebook (of the whole lab when the notebook is not known), in order."""
        if self.notebook:
            return [q.id for q in self.definition.questions_in(self.notebook)]
        return list(self.definition.questions)

    def service(self, name: str):
        """The handle (``.url``, ``.info``) of a service this lab uses."""
        return self.context.get(name) or self.connect_service(name)

    @property
    def progress_store(self) -> ProgressStore:
        if self._progress is None:
            self._progress = ProgressStore()
        return self._progress

    def __repr__(self) -> str:
        return f"Lab({self.id!r}, lang={self.lang!r})"

    def _repr_mimebundle_(self, include=None, exclude=None):
        """What the setup cell shows: the lab is ready, how many questions, how to check."""
        from .render import _inline

        lines = [LAB_READY.render(self.lang, lab=self.definition.title_in(self.lang), count=len(self.question_order)),
                 LAB_HOW.render(self.lang)]
        html = ('<div class="graders-lab" style="border-left:5px solid #1565c0;padding:6px 12px;background:#f5f8fc">'
                + "<br>".join(_inline(line) for line in lines) + "</div>")
        return {"text/plain": "\n".join(lines), "text/html": html}

    # --- the check -----------------------------------------------------------------------------------------------
    def evaluate(self, question: str, namespace: dict[str, Any], hidden: Any = None,
                 context: dict[str, Any] | None = None) -> Verdict:
        """The verdict alone, with no display and no recording (graders and tests use this).

        ``context`` replaces the lab's own (the grader passes the submission's folder and its services)."""
        if question not in self.questions.functions:
            known = ", ".join(self.questions.functions)
            raise KeyError(UNKNOWN_QUESTION.render(self.lang, question=question, known=known))
        check = Check(namespace, hidden=hidden, context=self.context if context is None else context, lang=self.lang)
        return self.questions.run(question, check)

    def check(self, question: str, hidden: Any = None, *, namespace: dict[str, Any] | None = None) -> None:
        if namespace is None:
            namespace = inspect.currentframe().f_back.f_globals
        if (grading_mode() and os.environ.get("GRADERS_OUTSIDE_BY_GRADER")
                and self.questions.evidence.get(question) == "outside"):
            return  # `graders grade` decides this question itself, from the outside state, right after this cell
        try:
            verdict = self.evaluate(question, namespace, hidden)
        except KeyError as exc:
            print(exc.args[0], file=sys.stderr)
            raise CheckFailed(exc.args[0]) from None
        mode = grading_mode()
        if mode is None:
            failures = self._record(verdict)
        else:
            failures = 0 if verdict.passed else 1
        hint = self._hint(question, failures) if not verdict.passed else None
        self._show(VerdictView(verdict, self.lang, hint))
        if mode is not None and not verdict.passed:
            raise CheckFailed(" | ".join(p.message.render(self.lang, **p.params) for p in verdict.failures))

    def _record(self, verdict: Verdict) -> int:
        """Store the attempt; returns failures in a row including this one (0 when it passed)."""
        try:
            store = self.progress_store
            store.record(self.id, verdict.question, verdict.passed, verdict.message_ids(ok=False), self.lang)
            return store.failures_in_a_row(self.id, verdict.question)
        except Exception as exc:  # a read-only or full disk must not stop the learner's check
            print(f"(progress not saved: {exc})", file=sys.stderr)
            return 0 if verdict.passed else 1

    def _hint(self, question: str, failures_in_a_row: int):
        hints = self.hints.get(question) or []
        if not hints or failures_in_a_row < 1:
            return None
        return hints[min(failures_in_a_row, len(hints)) - 1]

    @staticmethod
    def _show(view: VerdictView) -> None:
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            print(view)
            return
        if get_ipython() is None:
            print(view)
        else:
            display(view)

    # --- progress --------------------------------------------------------------------------------------------------
    def progress(self) -> None:
        """Show which questions of this lab are done and which one is next."""
        from .render import _inline

        # The whole lab counts (a lab of several notebooks is finished when all are), the next question is this
        # notebook's first open one, else the lab's, with the notebook it is in.
        finished, rest = passed_and_open(self.progress_store.questions(self.id), self.definition.questions)
        lines = [PROGRESS_TITLE.render(self.lang, lab=self.definition.title_in(self.lang), done=len(finished),
                                       total=len(self.definition.questions))]
        rest_here = [q for q in self.question_order if q not in finished]
        if rest_here:
            lines.append(PROGRESS_NEXT.render(self.lang, question=rest_here[0]))
        elif rest:
            notebook = self.definition.questions[rest[0]].notebook
            lines.append(PROGRESS_NEXT_ELSEWHERE.render(self.lang, question=rest[0], notebook=f"{notebook}.ipynb"))
        else:
            lines.append(PROGRESS_ALL_DONE.render(self.lang))
        marks = " ".join(f"{q} {'✔' if q in finished else '·'}" for q in self.definition.questions)
        shown = [lines[0], marks, lines[1], *progress_timing(self.definition, rest, self.lang)]
        from .i18n import Domain   # figures the lab's tools recorded (e.g. items per minute), in the learner's language
        shown += [Domain.registry[m].render(self.lang, **p) for m, p in self.progress_store.figures(self.id)
                  if m in Domain.registry]
        text = "\n".join(shown)
        html = "<div>" + "<br>".join(_inline(s) for s in shown) + "</div>"

        class _View:
            def _repr_mimebundle_(self, include=None, exclude=None):
                return {"text/plain": text, "text/html": html}

            def __str__(self):
                return text

        self._show(_View())


def progress_timing(lab, open_questions, lang: str) -> list[str]:
    """The progress view's time left (the notebooks with open questions) and the labs to do first, from lab.toml."""
    from . import timing

    return [s for s in (timing.left(lab, open_questions, lang), timing.needs(lab, lang)) if s]


def check_text(verdict: Verdict, lang: str) -> str:
    return as_text(verdict, lang)
