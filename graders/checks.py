"""Questions, evidence and verdicts: the part of a check that decides, with no printing and no I/O to the learner.

A lab's ``checks.py`` registers one function per question::

    questions = Questions("orientation")

    @questions("q1")
    def q1(check):
        name = check.value("name", str)          # stops with a kind message if missing or of the wrong type
        check.expect(name.strip() != "", M_("orientation.q1.blank", "`name` is empty ..."))

The function receives a :class:`Check` holding the evidence (the learner's namespace, hidden grading data, the lab's
services) and records passed and failed *parts*; the result is a :class:`Verdict` that ``graders.render`` turns into
HTML or text in the learner's language. A learner's wrong answer never becomes a traceback: errors raised by the
learner's own functions are caught and described.
"""
from __future__ import annotations

import functools
import json
import numbers
import signal
import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .i18n import M_, Message

MSG_MISSING = M_("core.missing_name", "I can't find `{name}`. Did you run the cell where you set it? Run it (Shift+Enter), then run this check again.")
MSG_WRONG_TYPE = M_("core.wrong_type", "`{name}` should be {expected}, but it is {actual}.")
MSG_RAISED = M_("core.function_raised", "Your code stopped with an error: {error}. Read the last line of the message, fix the cause, and try again.")
MSG_TOO_SLOW = M_("core.too_slow", "Your code did not finish within {seconds} second. Look for a loop that never ends.", "Your code did not finish within {seconds} seconds. Look for a loop that never ends.", count="seconds")
MSG_GRADER_SCORES = M_("core.grader_scores", "Your answer is saved. The grader scores this question: its answer key is kept away from notebooks while work is graded.")
MSG_CHECKER_BROKEN = M_("core.checker_broken", "The checker itself ran into a problem ({error}). This is not your fault: tell your instructor, and carry on with the next exercise.")

KIND_NAMES = {
    str: M_("core.kind.str", "text (a string in quotes)"),
    int: M_("core.kind.int", "a whole number"),
    float: M_("core.kind.float", "a number"),
    bool: M_("core.kind.bool", "True or False"),
    list: M_("core.kind.list", "a list (values in square brackets)"),
    dict: M_("core.kind.dict", "a dictionary (key: value pairs in curly braces)"),
    tuple: M_("core.kind.tuple", "a tuple"),
    type(None): M_("core.kind.none", "None (nothing)"),
}
KIND_FUNCTION = M_("core.kind.function", "a function (made with def)")
KIND_OTHER = M_("core.kind.other", "a value of type {type}")


@dataclass
class Part:
    """One thing the check looked at: passed or not, with the message that explains it."""

    ok: bool
    message: Message
    params: dict[str, Any] = field(default_factory=dict)
    hidden: bool = False  # came from grading-only data

    def to_json(self) -> dict:
        return {"ok": self.ok, "id": self.message.id, "params": _jsonable(self.params), "hidden": self.hidden}


@dataclass
class Verdict:
    lab: str
    question: str
    parts: list[Part]

    deferred: bool = False  # the kernel could not read the key: the grader's own run decides (GraderOnly)

    @property
    def passed(self) -> bool:
        return bool(self.parts) and all(p.ok for p in self.parts)

    @property
    def failures(self) -> list[Part]:
        return [p for p in self.parts if not p.ok]

    def message_ids(self, ok: bool | None = None) -> list[str]:
        return [p.message.id for p in self.parts if ok is None or p.ok == ok]

    def to_json(self) -> dict:
        out = {"lab": self.lab, "question": self.question, "passed": self.passed,
               "parts": [p.to_json() for p in self.parts]}
        if self.deferred:
            out["deferred"] = True
        return out


class GraderOnly(Exception):
    """Raised when a check's data (an answer key in a ``[grading_only] when_graded`` folder) cannot be read: in a
    graded kernel that folder is masked, so the kernel shows "scored by the grader" instead of a verdict, and the
    grader's own run of the check (which can read it) decides. See :func:`grader_only_text`."""


def grader_only_text(path: Path) -> str:
    """The text of a file in a grading-only folder: readable in self-study; in a graded kernel :class:`GraderOnly`."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise GraderOnly(str(path)) from exc


@functools.cache
def choice_key(lab_dir: Path, question: str) -> frozenset[str]:
    """The right option(s) of a lab's choice question, from ``<lab_dir>/keys/choices.json`` (``{"q3": "b"}`` or
    ``{"q2": ["a", "b"]}``). Not in the lab's ``checks.py`` (``import labs.<lab>.checks`` gives no key); ``keys/`` is
    ``[grading_only] when_graded`` in lab.toml, so a graded kernel gets :class:`GraderOnly` and the grader reads the
    key in its own process. Self-study checks read it."""
    right = json.loads(grader_only_text(Path(lab_dir) / "keys" / "choices.json"))[question]
    return frozenset([right] if isinstance(right, str) else right)


class StopCheck(Exception):
    """Raised inside a question function to end the check after a failure that makes the rest meaningless."""


class Check:
    """The evidence a question function looks at, and the recorder of its parts."""

    def __init__(self, namespace: dict[str, Any], hidden: Any = None, context: dict[str, Any] | None = None,
                 lang: str = "en"):
        self.ns = namespace
        self.hidden = hidden            # grading-only data, or None when the learner runs the check
        self.context = context or {}    # the lab's services (moto endpoint, practice app URL ...) and paths
        self.lang = lang                # for checks that look at language-dependent learner output
        self.parts: list[Part] = []
        self._in_hidden = False

    # --- recording ---------------------------------------------------------------------------------------------
    def ok(self, message: Message, **params) -> None:
        self.parts.append(Part(True, message, params, self._in_hidden))

    def fail(self, message: Message, **params) -> None:
        self.parts.append(Part(False, message, params, self._in_hidden))

    def expect(self, condition: Any, fail: Message, ok: Message | None = None, **params) -> bool:
        """Record a failed part when ``condition`` is false (and a passed part with ``ok`` when given)."""
        if condition:
            if ok is not None:
                self.ok(ok, **params)
            return True
        self.fail(fail, **params)
        return False

    def require(self, condition: Any, fail: Message, **params) -> None:
        """Like :meth:`expect`, but a failure ends the check (later parts would only repeat it)."""
        if not self.expect(condition, fail, **params):
            raise StopCheck

    def stop(self, message: Message, **params):
        self.fail(message, **params)
        raise StopCheck

    @contextmanager
    def hidden_part(self):
        """Parts recorded inside this block are marked as coming from grading-only data."""
        self._in_hidden = True
        try:
            yield
        finally:
            self._in_hidden = False

    # --- evidence ----------------------------------------------------------------------------------------------
    def value(self, name: str, expected_type: type | tuple[type, ...] | None = None) -> Any:
        """The learner's variable ``name``; stops with a clear message when it is missing or of the wrong kind."""
        if name not in self.ns:
            self.stop(MSG_MISSING, name=name)
        value = self.ns[name]
        if expected_type is not None and not _is_instance(value, expected_type):
            wanted = expected_type[0] if isinstance(expected_type, tuple) else expected_type
            self.stop(MSG_WRONG_TYPE, name=name, expected=kind_of_type(wanted, self.lang),
                      actual=kind_of_value(value, self.lang))
        return value

    def function(self, name: str) -> Callable:
        fn = self.value(name)
        if not callable(fn):
            self.stop(MSG_WRONG_TYPE, name=name, expected=KIND_FUNCTION.render(self.lang),
                      actual=kind_of_value(fn, self.lang))
        return fn

    def call(self, fn: Callable, *args, timeout: float = 5.0, **kwargs) -> Any:
        """Call the learner's function; an exception or a hang stops the check with a message, not a traceback."""
        try:
            with time_limit(timeout):
                return fn(*args, **kwargs)
        except _Timeout:
            self.stop(MSG_TOO_SLOW, seconds=timeout)
        except StopCheck:
            raise
        except Exception as exc:  # the learner's code failed: describe it
            self.stop(MSG_RAISED, error=f"{type(exc).__name__}: {exc}")


def judge_choices(check: Check, chosen: set[str], correct: set[str], explain: dict, ok: Message, missing: Message,
                  **params) -> None:
    """A choose-every-right-option answer, judged so that the feedback teaches without handing out the key: each option
    chosen wrongly is explained by its own message (``explain[option]``); the right options not chosen yet are only
    counted (``missing`` with ``count``, and ``params``), never named: naming them listed the whole key after one try.
    ``ok`` when the choice is exactly right. (The career and aws labs' choice questions.)"""
    for option in sorted(chosen - correct):
        check.fail(explain[option])
    count = len(correct - chosen)
    if count:
        check.fail(missing, count=count, **params)
    if chosen == correct:
        check.ok(ok)


def judge_graded_only(check: Check, choice: str, right: Message, wrong: Message, saved: Message) -> None:
    """A choice question scored only when graded: its key is only in the hidden data (``check.hidden["key"]``, the
    right option(s)), so no message names or explains an option. Self-study (no hidden data): ``saved`` with the
    learner's ``letter``; graded: ``right`` or ``wrong``, marked as coming from grading-only data. (career q7, aws
    7i.)"""
    if check.hidden is None:
        check.ok(saved, letter=choice)
        return
    with check.hidden_part():
        if choice in check.hidden["key"]:
            check.ok(right)
        else:
            check.fail(wrong)


def kind_of_type(kind: type, lang: str) -> str:
    message = KIND_NAMES.get(kind)
    return message.render(lang) if message else KIND_OTHER.render(lang, type=kind.__name__)


def kind_of_value(value: Any, lang: str) -> str:
    if callable(value) and not isinstance(value, type):
        return KIND_FUNCTION.render(lang)
    return kind_of_type(type(value), lang)


def _is_instance(value: Any, expected: type | tuple[type, ...]) -> bool:
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool):  # True is an int to Python, but not the number a learner was asked for
        return bool in kinds
    # numpy and pandas numbers (int64, float64) count as the plain numbers they stand for
    if int in kinds and isinstance(value, numbers.Integral):
        return True
    if float in kinds and isinstance(value, numbers.Real):
        return True
    return isinstance(value, kinds)


class _Timeout(BaseException):
    pass


@contextmanager
def time_limit(seconds: float):
    """Interrupt the block after ``seconds`` (only possible on the main thread; elsewhere it runs unlimited)."""
    if seconds is None or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def on_alarm(signum, frame):
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


QuestionFn = Callable[[Check], None]


EVIDENCE = ("kernel", "outside")


class Questions:
    """A lab's registry of question functions: ``@questions("q1")``.

    ``evidence`` says where a question's verdict comes from:

    * ``"kernel"`` (default): the learner's variables and functions (``check.value``, ``check.function``).
    * ``"outside"``: only what the notebook left outside the kernel: service state (moto, the practice app's
      database, Label Studio) and files in ``check.context["workdir"]``. The grader recomputes such a verdict in its
      own process after the notebook ran (``lab.evaluate(q, {}, context=...)``), so nothing the learner does inside
      the kernel can fake it. Such a function must not read ``check.ns``.
    """

    def __init__(self, lab: str):
        self.lab = lab
        self.functions: dict[str, QuestionFn] = {}
        self.evidence: dict[str, str] = {}

    def __call__(self, question: str, evidence: str = "kernel"):
        if evidence not in EVIDENCE:
            raise ValueError(f"evidence must be one of {EVIDENCE}, not {evidence!r}")

        def register(fn: QuestionFn) -> QuestionFn:
            if question in self.functions:
                raise ValueError(f"question {question!r} is registered twice in lab {self.lab!r}")
            self.functions[question] = fn
            self.evidence[question] = evidence
            return fn
        return register

    def run(self, question: str, check: Check) -> Verdict:
        fn = self.functions[question]
        try:
            fn(check)
        except StopCheck:
            pass
        except GraderOnly:
            return Verdict(self.lab, question, [Part(True, MSG_GRADER_SCORES)], deferred=True)
        except Exception as exc:  # a bug in the checker (or a value it did not foresee): say so, kindly
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            check.fail(MSG_CHECKER_BROKEN, error=detail)
        return Verdict(self.lab, question, check.parts)


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        out[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
    return out
