"""Put back the test and locked cells a learner deleted, and their nbgrader flags if they were edited.

nbgrader's ``OverwriteCells`` restores the *source* of a locked cell from the gradebook, but a deleted test cell
stays deleted (its points are simply lost, even when the answer is right) and a test cell whose ``grade`` flag was
switched off in the metadata makes nbgrader stop with "Inconsistent checksums". This preprocessor runs just before
``OverwriteCells`` in the sanitize step: every grade or locked cell of the master copy that is missing is inserted
again after its predecessor, as the instructor wrote it (so the check runs and the learner gets what they earned),
and the nbgrader flags of a known cell are reset to the master's. Each repair is noted in the grading record.
"""
from __future__ import annotations

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from ..reasons import RESTORED, reason
from ..verdicts import check_calls


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class RestoreCells(NbGraderPreprocessor):

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        notebook_id = resources["nbgrader"]["notebook"]
        assignment_id = resources["nbgrader"]["assignment"]
        notes = resources.setdefault("graders", {}).setdefault("state", {}).setdefault("restored", [])
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            try:
                master = gb.find_notebook(notebook_id, assignment_id)
            except MissingEntry:
                return nb, resources
            grade = {c.name: float(c.max_score) for c in master.grade_cells}
            solution = {c.name for c in master.solution_cells}
            source = [(c.name, c.cell_type, c.locked, c.source, c.checksum) for c in master.source_cells]
        wanted = {name for name, _, locked, _, _ in source if name in grade or locked}
        present = {}
        for index, cell in enumerate(nb.cells):
            gid = _grade_id(cell)
            if gid is None or gid not in {s[0] for s in source}:
                continue
            present.setdefault(gid, index)
            meta = cell.metadata.nbgrader
            should = {"grade": gid in grade, "solution": gid in solution,
                      "locked": next(s[2] for s in source if s[0] == gid)}
            changed = False
            for key, value in should.items():
                if bool(meta.get(key, False)) != value:
                    meta[key] = value
                    changed = True
            if gid in grade and "points" not in meta:
                meta["points"] = grade[gid]
                changed = True
            if changed and gid in grade:
                notes.append(reason(RESTORED, grade_id=gid))
        order = [s[0] for s in source]
        for position, (name, cell_type, locked, text, checksum) in enumerate(source):
            if name in present or name not in wanted:
                continue
            meta = {"grade": name in grade, "solution": name in solution, "locked": locked, "grade_id": name,
                    "schema_version": 3, "checksum": checksum}
            if name in grade:
                meta["points"] = grade[name]
            graders_meta = {"role": "readonly"}
            calls = check_calls(text) if cell_type == "code" else []
            if name in grade and calls:
                graders_meta = {"role": "check", "question": calls[0].question}
            if cell_type == "code":
                cell = nbformat.v4.new_code_cell(text, metadata={"nbgrader": meta, "graders": graders_meta,
                                                                 "editable": False, "deletable": False})
            else:
                cell = nbformat.v4.new_markdown_cell(text, metadata={"nbgrader": meta})
            before = [present[n] for n in order[:position] if n in present]
            at = max(before) + 1 if before else 0
            nb.cells.insert(at, cell)
            for key, index in present.items():
                if index >= at:
                    present[key] = index + 1
            present[name] = at
            if name in grade:
                notes.append(reason(RESTORED, grade_id=name))
        return nb, resources
