"""What the class report shows, gathered from the nbgrader gradebook (scores) and the grading records (why).

Scores, pass rates and the score distribution come from the gradebook only, so the report's numbers are nbgrader's.
The records add what the gradebook cannot say: the failure messages each learner saw (by message id, with their
details), the limits that struck, the learner's language. Time spent comes from the submitted notebooks when
JupyterLab recorded cell timing (``metadata.execution``, the notebook setting "Record cell timing").
"""
from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..grade.records import read_records
from ..grade.verdicts import check_calls


@dataclass
class Failure:
    id: str
    learners: int
    params: dict                          # the details of one learner's case, to show a concrete example
    kind: str = "message"                 # "message" (a check's verdict) or "reason" (a limit, tampering ...)


@dataclass
class QuestionStats:
    question: str
    grade_id: str
    notebook: str
    points: float
    scores: dict[str, float] = field(default_factory=dict)     # student -> score (gradebook)
    failures: list[Failure] = field(default_factory=list)
    minutes: list[float] = field(default_factory=list)         # learners' time on it (where recorded)

    @property
    def passed(self) -> int:
        return sum(1 for s in self.scores.values() if s >= self.points)

    @property
    def pass_rate(self) -> float:
        return self.passed / len(self.scores) if self.scores else 0.0


@dataclass
class Learner:
    student: str
    score: float
    max_score: float
    lang: str | None
    status: str                                   # graded | error | ungraded
    question_scores: dict[str, float] = field(default_factory=dict)
    reasons: list[dict] = field(default_factory=list)
    minutes: float | None = None
    submitted_at: str | None = None


@dataclass
class ClassReport:
    course: str
    assignment: str
    lab: str | None
    max_score: float
    learners: list[Learner]
    questions: list[QuestionStats]
    generated: str

    @property
    def scores(self) -> list[float]:
        return [learner.score for learner in self.learners]

    def stat(self, fn) -> float | None:
        return fn(self.scores) if self.scores else None

    def to_json(self) -> dict:
        return {
            "course": self.course, "assignment": self.assignment, "max_score": self.max_score,
            "learners": {x.student: {"score": x.score, "max_score": x.max_score, "lang": x.lang, "status": x.status,
                                     "questions": x.question_scores, "minutes": x.minutes} for x in self.learners},
            "questions": {q.question: {"grade_id": q.grade_id, "points": q.points, "passed": q.passed,
                                       "pass_rate": round(q.pass_rate, 4), "learners": len(q.scores),
                                       "failures": [{"id": f.id, "learners": f.learners} for f in q.failures]}
                          for q in self.questions},
            "mean": self.stat(statistics.mean), "median": self.stat(statistics.median),
        }


def _question_of(grade_cell) -> str:
    calls = check_calls(grade_cell.source or "") if getattr(grade_cell, "source", None) else []
    return calls[0].question if calls else grade_cell.name


def gather(coursedir, assignment: str) -> ClassReport:
    from nbgrader.api import Gradebook

    root = Path(coursedir.root)
    records = {r["student"]: r for r in read_records(root, assignment)}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gb:
        a = gb.find_assignment(assignment)
        questions: list[QuestionStats] = []
        for nb in a.notebooks:
            sources = {c.name: c for c in nb.source_cells}
            for cell in nb.grade_cells:
                source = sources.get(cell.name)
                questions.append(QuestionStats(_question_of(source) if source else cell.name, cell.name, nb.name,
                                               float(cell.max_score)))
        by_grade = {(q.notebook, q.grade_id): q for q in questions}
        learners = []
        for sub in sorted(a.submissions, key=lambda s: s.student.id):
            student = sub.student.id
            qscores = {}
            for snb in sub.notebooks:
                for grade in snb.grades:
                    q = by_grade.get((snb.name, grade.name))
                    if q is None:
                        continue
                    score = float(grade.score or 0)
                    q.scores[student] = score
                    qscores[q.question] = score
            record = records.get(student)
            learners.append(Learner(student, float(sub.score), float(sub.max_score), _lang(record),
                                    record.get("status", "graded") if record else "ungraded", qscores,
                                    _reasons(record), None,
                                    sub.timestamp.strftime("%Y-%m-%d %H:%M") if sub.timestamp else None))
        max_score = float(a.max_score)
        course = gb.course_id if hasattr(gb, "course_id") else ""
    _failures(questions, records)
    _timing(coursedir, assignment, questions, learners)
    return ClassReport(course, assignment, records_lab(records), max_score, learners, questions,
                       datetime.now().strftime("%Y-%m-%d %H:%M"))


def records_lab(records: dict) -> str | None:
    return next((r.get("lab") for r in records.values() if r.get("lab")), None)


def _lang(record: dict | None) -> str | None:
    if not record:
        return None
    langs = [nb.get("lang") for nb in record.get("notebooks", {}).values() if nb.get("lang")]
    return langs[0] if langs else None


def _reasons(record: dict | None) -> list[dict]:
    if not record:
        return []
    out = []
    if record.get("error"):
        out.append(record["error"])
    for nb in record.get("notebooks", {}).values():
        for r in nb.get("reasons", []):
            if r not in out:
                out.append(r)
        for entry in nb.get("questions", {}).values():
            for r in entry.get("reasons", []):
                if r not in out:
                    out.append(r)
    return out


def _failures(questions: list[QuestionStats], records: dict[str, dict]) -> None:
    """Per question: which failure messages how many learners saw (each learner counted once per message)."""
    by_question = {q.question: q for q in questions}
    counts: dict[str, Counter] = defaultdict(Counter)
    examples: dict[tuple[str, str], dict] = {}
    kinds: dict[tuple[str, str], str] = {}
    for student, record in records.items():
        for nb in record.get("notebooks", {}).values():
            for question, entry in nb.get("questions", {}).items():
                if question not in by_question or entry.get("passed"):
                    continue
                seen = set()
                for part in entry.get("parts", []):
                    if not part.get("ok") and part["id"] not in seen:
                        seen.add(part["id"])
                        counts[question][part["id"]] += 1
                        examples.setdefault((question, part["id"]), part.get("params", {}))
                        kinds[(question, part["id"])] = "message"
                for r in entry.get("reasons", []):
                    if r["id"] not in seen:
                        seen.add(r["id"])
                        counts[question][r["id"]] += 1
                        examples.setdefault((question, r["id"]), r.get("params", {}))
                        kinds[(question, r["id"])] = "reason"
    for question, counter in counts.items():
        by_question[question].failures = [Failure(i, n, examples[(question, i)], kinds[(question, i)])
                                          for i, n in counter.most_common()]


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def _timing(coursedir, assignment: str, questions: list[QuestionStats], learners: list[Learner]) -> None:
    """Minutes per learner and per question, from the cell timing JupyterLab stores in a submitted notebook."""
    by_grade = {(q.notebook, q.grade_id): q for q in questions}
    for learner in learners:
        folder = Path(coursedir.format_path(coursedir.submitted_directory, learner.student, assignment))
        total = 0.0
        any_timing = False
        for notebook in sorted({q.notebook for q in questions}):
            try:
                nb = json.loads((folder / f"{notebook}.ipynb").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            times, checks = [], []
            for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
                meta = cell.get("metadata", {}) if isinstance(cell, dict) else {}
                ex = meta.get("execution", {}) if isinstance(meta, dict) else {}
                start = _parse_time(ex.get("iopub.execute_input") or ex.get("iopub.status.busy"))
                end = _parse_time(ex.get("shell.execute_reply") or ex.get("iopub.status.idle"))
                if start is None or end is None:
                    continue
                times += [start, end]
                gid = meta.get("nbgrader", {}).get("grade_id") if isinstance(meta.get("nbgrader"), dict) else None
                if gid and (notebook, gid) in by_grade:
                    checks.append((end, by_grade[(notebook, gid)]))
            if len(times) < 2:
                continue
            any_timing = True
            total += (max(times) - min(times)).total_seconds() / 60
            previous = min(times)
            for end, q in sorted(checks, key=lambda c: c[0]):
                q.minutes.append(max(0.0, (end - previous).total_seconds() / 60))
                previous = end
        learner.minutes = round(total, 1) if any_timing else None
