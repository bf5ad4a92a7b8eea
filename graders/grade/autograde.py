"""nbgrader's ``Autograde`` converter with our preprocessors: sandboxed, tamper-proof, and one submission at a time.

The steps are nbgrader's own (create the student and submission in the gradebook, copy the instructor's files over
the learner's, sanitize, execute, save the grades); this subclass only

* adds :class:`RestoreCells` to the sanitize step and swaps ``Execute`` for :class:`SandboxedExecute` and adds
  :class:`SealVerdicts` before ``SaveAutoGrades`` in the autograde step;
* hands the submission's context (its lab, services, sandbox settings) to the preprocessors through ``resources``
  and collects what they found (verdicts, reasons, scores) per notebook;
* turns a notebook file that is not a notebook at all (broken JSON) into 0 points with a clear reason, the way
  nbgrader already treats a missing notebook, instead of an error.
"""
from __future__ import annotations

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbformat.reader import NotJSONError
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.nbgraderformat import ValidationError as NbgraderValidationError
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds,
                                    IgnorePattern, LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades)
from traitlets import Any, Dict, List

from .preprocessors import RestoreCells, SandboxedExecute, SealVerdicts
from .reasons import MALFORMED, reason

class SharedState(dict):
    """What the preprocessors of one notebook find; shared, not copied, when nbconvert deep-copies ``resources``."""

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self


READ_ERRORS = (NotJSONError, NbgraderValidationError, UnicodeDecodeError, ValueError, KeyError, AttributeError)


class SandboxedAutograde(Autograde):

    sanitize_preprocessors = List([
        ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreCells, OverwriteCells, CheckCellMetadata,
    ]).tag(config=True)
    autograde_preprocessors = List([
        SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SealVerdicts, SaveAutoGrades,
        AssignLatePenalties, CheckCellMetadata,
    ]).tag(config=True)

    submission_context = Dict(help="lab, services, sandbox settings of the submission being graded")
    states = Dict(help="notebook id -> what the preprocessors found")
    lab = Any(None, allow_none=True)

    def init_single_notebook_resources(self, notebook_filename: str):
        resources = super().init_single_notebook_resources(notebook_filename)
        state = self.states.setdefault(resources["nbgrader"]["notebook"], SharedState())
        resources["graders"] = {**self.submission_context, "state": state}
        return resources

    def convert_single_notebook(self, notebook_filename: str) -> None:
        import os

        notebook_id = os.path.splitext(os.path.basename(notebook_filename))[0]
        try:
            super().convert_single_notebook(notebook_filename)
        except READ_ERRORS as exc:
            if not self._sanitizing and not isinstance(exc, NbgraderValidationError):
                raise
            # The file is not a notebook nbgrader can read: 0 points for it, and say why.
            detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            state = self.states.setdefault(notebook_id, SharedState())
            state["malformed"] = reason(MALFORMED, notebook=f"{notebook_id}.ipynb", error=detail)
            self.log.warning("%s is not a readable notebook: %s", notebook_filename, detail)
            self._zero_notebook(notebook_id)
        finally:
            self._sanitizing = True

    def _zero_notebook(self, notebook_id: str) -> None:
        assignment, student = self.coursedir.assignment_id, self.coursedir.student_id
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                submission = gb.find_submission_notebook(notebook_id, assignment, student)
            except MissingEntry:
                return
            for grade in submission.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
            gb.db.commit()
