"""Why a cell or a submission earned nothing, in words a learner and an instructor can read (en, uk, ja).

A reason is stored as ``{"id": ..., "params": {...}}`` in the grading record, so the class report shows it in the
instructor's language and the feedback in the learner's.
"""
from __future__ import annotations

from typing import Any

from ..i18n import Domain, Message

M_ = Domain.beside(__file__)  # this package's own catalog (locale/ here)

CELL_TIMEOUT = M_("grade.reason.cell_timeout", "{cell} ran for more than {seconds} second and was stopped. Look for a loop that never ends or a wait that never finishes.", "{cell} ran for more than {seconds} seconds and was stopped. Look for a loop that never ends or a wait that never finishes.", count="seconds")
NOTEBOOK_TIMEOUT = M_("grade.reason.notebook_timeout", "The whole notebook ran for more than {seconds} second, so grading stopped at {cell}; the cells after it were not run.", "The whole notebook ran for more than {seconds} seconds, so grading stopped at {cell}; the cells after it were not run.", count="seconds")
MEMORY = M_("grade.reason.memory", "{cell} used more than {limit} of memory and was stopped. Work with less data at once, or delete big values you no longer need.")
PROCESSES = M_("grade.reason.processes", "{cell} tried to run more than {limit} processes or threads at once and was stopped.")
NETWORK = M_("grade.reason.network", "{cell} tried to reach {host} on the network. While work is graded, only this computer (127.0.0.1) can be reached.")
OUTPUT = M_("grade.reason.output", "{cell} printed more than {limit}; the rest of its output was left out.")
KERNEL_DIED = M_("grade.reason.kernel_died", "Python stopped at {cell} ({how}), so the cells after it were not run. Remove `os._exit(...)` from the notebook, or fix the code that crashed.")
KERNEL_STUCK = M_("grade.reason.kernel_stuck", "{cell} did not stop when it was interrupted after {seconds} second, so grading of this notebook stopped there.", "{cell} did not stop when it was interrupted after {seconds} seconds, so grading of this notebook stopped there.", count="seconds")
NOT_RUN = M_("grade.reason.not_run", "This check was not run, because grading of the notebook stopped at {cell} (the reason is shown there).")
CHECK_DIFFERS = M_("grade.reason.check_differs", "The notebook showed a different result for question {question} than the grader's own check. The grader's result counts.")
CHECK_SILENT = M_("grade.reason.check_silent", "The check for question {question} ran without showing any result in the notebook (was `lab.check` changed?). The grader checked the answer itself.")
GRADER_ERROR = M_("grade.reason.grader_error", "The grader could not finish this submission: {error}. The other submissions were not affected; the details are in {log}.")
MALFORMED = M_("grade.reason.malformed", "The notebook {notebook} could not be read: it is not a valid notebook file ({error}). It may have been damaged while saving or copying: ask the learner to download it again from JupyterLab (File → Download) and submit it again.")
MISSING = M_("grade.reason.missing", "No notebook {notebook} was submitted.")
RESTORED = M_("grade.reason.restored", "The check cell {grade_id} had been deleted or changed; it was put back as the instructor wrote it.")
CHECK_ERROR = M_("grade.reason.check_error", "The grader could not check question {question}: {error}.")

# What the reasons call a cell: the question it belongs to, as the learner sees it (not a position: JupyterLab shows
# "In [2]" where a count of all cells would say 4). Stored as a message of its own, worded in the reader's language.
CELL_ANSWER = M_("grade.cell.answer", "your answer to {question}")
CELL_CHECK = M_("grade.cell.check", "the check of {question}")
CELL_READONLY = M_("grade.cell.readonly", "the prepared cell of {question}")
CELL_SETUP = M_("grade.cell.setup", "the setup cell")
CELL_AFTER = M_("grade.cell.after", "a code cell after question {question}")
CELL_BEFORE = M_("grade.cell.before", "a code cell before the first question")
ROLE_CELL = {"answer": CELL_ANSWER, "check": CELL_CHECK, "readonly": CELL_READONLY}

KIND = {
    CELL_TIMEOUT.id: "timeout", NOTEBOOK_TIMEOUT.id: "timeout", KERNEL_STUCK.id: "timeout", MEMORY.id: "memory",
    PROCESSES.id: "processes", NETWORK.id: "network", OUTPUT.id: "output", KERNEL_DIED.id: "exit",
    CHECK_DIFFERS.id: "tampering", CHECK_SILENT.id: "tampering", RESTORED.id: "tampering", MALFORMED.id: "malformed", MISSING.id: "missing",
    GRADER_ERROR.id: "error", CHECK_ERROR.id: "error", NOT_RUN.id: "not_run",
}


def _cell_role(cell) -> tuple[str | None, str | None]:
    """(role, question) of a built notebook's code cell; nbgrader's metadata when ours is gone."""
    g = cell.get("metadata", {}).get("graders") or {}
    if g.get("role"):
        return g["role"], g.get("question")
    nbg = cell.get("metadata", {}).get("nbgrader") or {}
    grade_id = nbg.get("grade_id")
    if not grade_id:
        return None, None
    if nbg.get("grade"):
        return "check", grade_id
    if nbg.get("solution"):
        return "answer", grade_id.removesuffix("_answer")
    return "readonly", grade_id.removesuffix("_readonly")


def cell_name(nb, index: int) -> dict:
    """The cell at ``index`` as a learner knows it ("your answer to q1", "the setup cell"), as a stored message."""
    role, question = _cell_role(nb.cells[index])
    if role == "setup":
        return reason(CELL_SETUP)
    if role in ROLE_CELL and question:
        return reason(ROLE_CELL[role], question=question)
    for before in reversed(nb.cells[:index]):
        _, question = _cell_role(before)
        if question:
            return reason(CELL_AFTER, question=question)
    return reason(CELL_BEFORE)


def _stored(value: Any):
    if isinstance(value, dict) and "id" in value:  # a message inside a message, e.g. the name of a cell
        return value
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def reason(message: Message, **params: Any) -> dict:
    return {"id": message.id, "params": {k: _stored(v) for k, v in params.items()}}


def render(entry: dict, lang: str) -> str:
    """A stored reason (or any stored message id + params) in ``lang``; unknown ids show as they are. A parameter
    that is itself a stored message (the name of a cell) is worded in the same language."""
    message = Domain.registry.get(entry.get("id", ""))
    if message is None:
        return str(entry.get("id"))
    params, names = {}, []
    for k, v in entry.get("params", {}).items():
        if isinstance(v, dict) and "id" in v:
            v = render(v, lang)
            names.append(v)
        params[k] = v
    text = message.render(lang, **params)
    if lang != "ja" and any(name and text.startswith(name) for name in names):
        text = text[:1].upper() + text[1:]  # "your answer to q1 ran for ...": a sentence (ja: "q1 の解答" stays)
    return text
