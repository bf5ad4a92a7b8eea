"""The grader's own verdict for a check cell, computed in the grader's process (never trusted from the kernel).

A check cell (restored from the gradebook's master copy) says ``lab.check("q4", hidden={...})``. :func:`check_calls`
reads the question and its grading-only data from that master source. Then:

* ``evidence="outside"`` questions are evaluated with ``Lab(...).evaluate(q, {}, hidden=..., context=...)``: the
  context holds the submission's folder and handles to the submission's own services; nothing comes from the kernel.
* ``evidence="kernel"`` questions run the same question function on a :class:`GraderCheck` whose namespace is the
  kernel's, handed over as data (:mod:`graders.grade.evidence`).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ..checks import MSG_RAISED, MSG_TOO_SLOW, Check, StopCheck, Verdict
from ..i18n import Domain
from .evidence import KernelRPC, KernelUnresponsive, RemoteError, RemoteFunction, RemoteNamespace, RemoteTimeout

M_ = Domain.beside(__file__)  # this package's own catalog (locale/ here)

MSG_UNKNOWN_QUESTION = M_("grade.unknown_question",
                          "This check asks for question {question}, which the lab does not have.")


@dataclass
class CheckCall:
    question: str
    hidden: Any = None
    error: str | None = None   # the hidden data was there but could not be read: never grade without it


class HiddenDataError(ValueError):
    """Grading-only data that does not survive the trip into a check cell and back (``nan``, ``inf``, an object):
    the grader would read no hidden data, and grade without the hidden part. The build refuses such data."""


def hidden_literal(data: Any, where: str) -> str:
    """The text that stands for ``data`` in a hidden-tests block (``hidden=<this>``), checked to read back as the same
    data with :func:`ast.literal_eval`, as :func:`check_calls` reads it when grading. ``where``: the data's file."""
    text = repr(data)
    try:
        back = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
        raise HiddenDataError(f"{where}: the hidden data cannot be read back when grading ({type(exc).__name__}: "
                              f"{exc}); a value such as NaN or Infinity has no Python literal: use null or a "
                              f"string instead") from None
    if back != data or repr(back) != text:
        raise HiddenDataError(f"{where}: the hidden data reads back as something else when grading; "
                              f"keep to plain JSON values (no NaN, no Infinity)")
    return text


def check_calls(source: str) -> list[CheckCall]:
    """``lab.check("q1")`` / ``lab.check("q4", hidden={...})`` calls in a check cell's source, in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "check"):
            continue
        if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
            continue
        hidden, error = None, None
        given = [kw.value for kw in node.keywords if kw.arg == "hidden"] + list(node.args[1:2])
        for value in given:
            if isinstance(value, ast.Name) and value.id == "HIDDEN":   # a source cell before the build: no data yet
                continue
            try:
                hidden = ast.literal_eval(value)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
                # never grade without the hidden part: the build refuses such data (hidden_literal), so this is a
                # gradebook written by something else; the grader fails this check with its own error
                error = (f"the hidden data of lab.check({node.args[0].value!r}) cannot be read "
                         f"({type(exc).__name__}): rebuild the course with graders build")
        calls.append(CheckCall(node.args[0].value, hidden, error))
    return calls


class GraderCheck(Check):
    """A :class:`Check` whose learner functions live in the kernel: ``call`` runs them there, same time limit."""

    def call(self, fn, *args, timeout: float = 5.0, **kwargs):
        if not isinstance(fn, RemoteFunction):
            return super().call(fn, *args, timeout=timeout, **kwargs)
        try:
            return fn.invoke(args, kwargs, timeout)
        except RemoteTimeout:
            self.stop(MSG_TOO_SLOW, seconds=timeout)
        except RemoteError as exc:
            self.stop(MSG_RAISED, error=str(exc))


def evaluate_kernel(labdef, lang: str, question: str, rpc: KernelRPC, hidden: Any, context: dict) -> Verdict:
    registry = labdef.checks.questions
    check = GraderCheck(RemoteNamespace(rpc), hidden=hidden, context=context, lang=lang)
    try:
        return registry.run(question, check)
    except KernelUnresponsive:
        raise
    except StopCheck:  # pragma: no cover (run() handles it)
        return Verdict(labdef.id, question, check.parts)


def unknown_question(lab_id: str, question: str) -> Verdict:
    check = Check({})
    check.fail(MSG_UNKNOWN_QUESTION, question=question)
    return Verdict(lab_id, question, check.parts)
