"""Make the grader's own verdicts the outputs of the check cells, before nbgrader's ``SaveAutoGrades`` scores them.

nbgrader scores a test cell by its outputs: full points unless there is an error (or stderr). Whatever the learner's
kernel printed or displayed in a check cell (a faked "well done", a patched ``lab.check`` that prints nothing) is
replaced here by the verdict :class:`SandboxedExecute` computed in the grader's process, rendered in the learner's
language, plus an error output when it failed, so nbgrader gives 0. Cells where a limit struck, or that were not run,
get an error output with the reason. The score of every grade cell is kept for the grading record.
"""
from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_output
from nbgrader import utils as nbutils
from nbgrader.preprocessors import NbGraderPreprocessor

from ...checks import Part, Verdict
from ...i18n import Domain
from ...render import VERDICT_MIME, VerdictView
from ..reasons import CHECK_DIFFERS, CHECK_SILENT, KIND, render, reason

INFO_ONLY = {"output", "tampering"}


def verdict_from_json(data: dict) -> Verdict | None:
    parts = []
    for p in data.get("parts", []):
        message = Domain.registry.get(p.get("id"))
        if message is None:
            return None
        parts.append(Part(bool(p.get("ok")), message, dict(p.get("params", {})), bool(p.get("hidden"))))
    return Verdict(data.get("lab", ""), data.get("question", ""), parts)


def kernel_verdicts(cell) -> dict[str, bool | None]:
    """What the learner's own kernel showed for each question in this cell (question -> passed; None when it showed
    "scored by the grader": the key is kept away from graded kernels, so there is nothing to compare)."""
    out: dict[str, bool | None] = {}
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        if VERDICT_MIME in data and isinstance(data[VERDICT_MIME], dict):
            v = data[VERDICT_MIME]
            question = str(v.get("question"))
            if v.get("deferred"):
                out.setdefault(question, None)
            elif out.get(question, True) is not None:
                out[question] = bool(v.get("passed")) and out.get(question, True)
    return out


def _error(ename: str, text: str) -> NotebookNode:
    return new_output("error", ename=ename, evalue=text, traceback=[f"{ename}: {text}"])


class SealVerdicts(NbGraderPreprocessor):

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        state = resources.get("graders", {}).get("state")
        if state is None:
            return nb, resources
        self._state = state
        self._lang = state.get("lang", "en")
        self._cells = state.get("cells", {})
        self._verdicts = state.get("verdicts", {})
        self._questions = state.setdefault("questions", {})
        self._scores = state.setdefault("scores", {})
        self._pending: dict[str, list] = {}   # question -> reasons from its answer cells
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        reasons = self._cells.get(str(index), [])
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        sealed = self._verdicts.get(gid) if gid else None
        if cell.cell_type != "code":
            return cell, resources
        if sealed is not None and sealed.get("index") == index:
            cell.outputs = self._sealed_outputs(cell, gid, sealed, reasons)
        else:
            question = cell.get("metadata", {}).get("graders", {}).get("question")
            if question and reasons and not nbutils.is_grade(cell):
                self._pending.setdefault(question, []).extend(reasons)
            for entry in reasons:
                text = render(entry, self._lang)
                if KIND.get(entry["id"]) in INFO_ONLY:
                    cell.outputs.append(new_output("stream", name="stdout", text=f"\n{text}\n"))
                else:
                    cell.outputs.append(_error("GradingStopped", text))
            if gid and nbutils.is_grade(cell):
                for q in _questions_of(cell):
                    self._questions.setdefault(q, {"grade_id": gid, "passed": False, "parts": [],
                                                    "reasons": reasons, "kernel_passed": None})
        if gid and nbutils.is_grade(cell):
            score, _ = nbutils.determine_grade(cell, self.log)
            self._scores[gid] = score
        return cell, resources

    def _sealed_outputs(self, cell, gid: str, sealed: dict, reasons: list) -> list:
        shown = kernel_verdicts(cell)
        errored = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        outputs, failed_texts = [], []
        zero = [r for r in reasons if KIND.get(r["id"]) not in INFO_ONLY]
        verdicts = sealed["verdicts"] + [None] * (len(sealed["questions"]) - len(sealed["verdicts"]))
        hidden = sealed.get("hidden") or [False] * len(sealed["questions"])
        for question, data, evidence, secret in zip(sealed["questions"], verdicts, sealed["evidence"], hidden):
            if data is None:
                self._questions[question] = {"grade_id": gid, "evidence": evidence, "passed": False, "parts": [],
                                             "kernel_passed": shown.get(question), "reasons": list(reasons)}
                continue
            entry = {"grade_id": gid, "evidence": evidence, "kernel_passed": shown.get(question),
                     "reasons": self._pending.pop(question, []) + list(reasons)}
            if "error" in data:
                text = render(data["reason"], self._lang)
                outputs.append(_error("GradingError", text))
                entry.update(passed=False, parts=[], reasons=entry["reasons"] + [data["reason"]])
                self._questions[question] = entry
                continue
            verdict = verdict_from_json(data)
            entry.update(passed=bool(data.get("passed")) and not zero, parts=data.get("parts", []))
            if verdict is not None:
                outputs.append(new_output("display_data", data=VerdictView(verdict, self._lang)._repr_mimebundle_()))
                if not verdict.passed:
                    failed_texts.append(" | ".join(p.message.render(self._lang, **p.params) for p in verdict.failures))
            note = None
            if secret:   # the kernel never ran this call (its hidden data): nothing shown to compare with
                pass
            elif shown.get(question) is not None and shown.get(question) != bool(data.get("passed")):
                note = reason(CHECK_DIFFERS, question=question)
            elif question not in shown and not errored and evidence != "outside":
                # (outside-evidence checks are left to the grader while it grades: the kernel shows nothing)
                note = reason(CHECK_SILENT, question=question)
            if note is not None:
                entry["reasons"].append(note)
                outputs.append(new_output("stream", name="stdout", text=render(note, self._lang) + "\n"))
            self._questions[question] = entry
        for r in zero:
            outputs.append(_error("GradingStopped", render(r, self._lang)))
        if failed_texts:
            outputs.append(_error("CheckFailed", " | ".join(failed_texts)))
        return outputs


def _questions_of(cell) -> list[str]:
    from ..verdicts import check_calls
    return [c.question for c in check_calls(cell.source)]
