"""What a portfolio page and a certificate say: one :class:`Record`, from the learner's progress store (self-study)
or from the instructor's nbgrader gradebook (verified).

A lab's "what I built" text is the ``[portfolio]`` table of its ``lab.toml`` (``en``, ``uk``, ``ja``); a lab without
one (or without the language asked for) is still listed, with its title only (or the English text).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..i18n import SOURCE_LANGUAGE, Domain, Message
from ..labdef import COURSES_DIR, LabDef, LabDefinitionError, load_lab
from . import SUMMARY_KEY

M_ = Domain.beside(__file__)  # this package's own catalog (locale/ here)

NO_COURSE = M_("portfolio.error.no_course", "There is no course “{course}”. Known courses: {known}.")
NO_STORE = M_("portfolio.error.no_store", "No progress has been saved yet: {path} does not exist. Open a lab, run its check cells, then try again. If your work is in another folder, give it with --workspace FOLDER.")
BAD_STORE = M_("portfolio.error.bad_store", "Your progress file {path} cannot be read ({error}). It may be damaged; your notebooks are safe. Ask your instructor for help.")
NO_GRADEBOOK = M_("portfolio.error.no_gradebook", "There is no nbgrader gradebook in {folder} (gradebook.db). Run this in the course folder, or give it with --course-dir FOLDER.")
UNKNOWN_STUDENT = M_("portfolio.error.unknown_student", "There is no learner “{student}” in the gradebook. Learners in it: {known}.")
SKIPPED_LAB = M_("portfolio.skipped_lab", "(The lab “{lab}” of this course is not ready yet and is left out: {error})")


class PortfolioError(Exception):
    """A problem we can explain to the person in their language: a message and its details, never a traceback."""

    def __init__(self, message: Message, **params):
        self.message = message
        self.params = params  # a parameter that is itself a Message is worded in the same language
        super().__init__(self.render(SOURCE_LANGUAGE))

    def render(self, lang: str) -> str:
        params = {k: v.render(lang) if isinstance(v, Message) else v for k, v in self.params.items()}
        return self.message.render(lang, **params)


@dataclass
class LabResult:
    id: str
    title: dict[str, str]
    summary: dict[str, str]          # what the learner built, by language ({} when the lab has no [portfolio] table)
    questions: int                   # questions in the lab
    passed: int                      # questions passed (self-study) or with full points (gradebook)
    points: float
    max_points: float
    started: bool
    complete: bool
    next: str | None = None          # the first question not passed yet (self-study)
    graded: bool = False             # gradebook: submitted and fully graded (complete only at the pass mark)

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title.get(SOURCE_LANGUAGE) or self.id

    def summary_in(self, lang: str) -> str | None:
        return self.summary.get(lang) or self.summary.get(SOURCE_LANGUAGE) or None


@dataclass
class Record:
    course: str
    course_title: dict[str, str]
    name: str
    issued: str                      # ISO date
    source: str                      # "self-study" (the learner's own progress) or "gradebook" (the instructor's)
    labs: list[LabResult]
    student: str | None = None       # the gradebook's student id
    code: str | None = None          # the verification code (gradebook certificates only)
    notes: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.source == "gradebook" and bool(self.code)

    @property
    def completed(self) -> list[LabResult]:
        return [lab for lab in self.labs if lab.complete]

    def course_title_in(self, lang: str) -> str:
        return self.course_title.get(lang) or self.course_title.get(SOURCE_LANGUAGE) or self.course

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Record":
        labs = [LabResult(**lab) for lab in data.get("labs", [])]
        return cls(**{**data, "labs": labs})

    def signed_fields(self) -> dict:
        """What the verification code vouches for (everything shown on the certificate, no wording)."""
        return {"v": 1, "course": self.course, "student": self.student, "name": self.name, "issued": self.issued,
                "labs": [[lab.id, lab.passed, lab.questions, round(lab.points, 3), round(lab.max_points, 3),
                          lab.complete] for lab in self.labs]}


@dataclass
class Course:
    id: str
    title: dict[str, str]
    labs: list[LabDef]
    skipped: dict[str, str]          # lab id -> why it is left out (a lab still being written)
    pass_mark: float = 0.6           # share of a lab's points a graded submission needs to count as completed


def load_course_labs(name_or_path: str | Path) -> Course:
    """The course's labs; a lab whose lab.toml is not there yet (being written) is left out, not an error."""
    path = Path(name_or_path)
    if not (path / "course.toml").exists():
        path = COURSES_DIR / str(name_or_path)
    if not (path / "course.toml").exists():
        known = ", ".join(sorted(p.parent.name for p in COURSES_DIR.glob("*/course.toml"))) or "-"
        raise PortfolioError(NO_COURSE, course=str(name_or_path), known=known)
    with (path / "course.toml").open("rb") as f:
        raw = tomllib.load(f)
    labs, skipped = [], {}
    for lab_id in raw.get("labs", []):
        try:
            labs.append(load_lab(lab_id))
        except LabDefinitionError as exc:
            skipped[lab_id] = str(exc)
    pass_mark = float(raw.get("certificate", {}).get("pass_mark", 0.6))
    return Course(raw.get("id", path.name), dict(raw.get("title", {})), labs, skipped, pass_mark)


def lab_summary(lab: LabDef) -> dict[str, str]:
    table = lab.raw.get(SUMMARY_KEY)
    if not isinstance(table, dict):
        return {}
    return {lang: text.strip() for lang, text in table.items() if isinstance(text, str) and text.strip()}


def today() -> str:
    return dt.date.today().isoformat()


# --- self-study: the learner's own progress store ------------------------------------------------------------------

def from_progress(course: Course, store_path: Path, name: str = "", issued: str | None = None) -> Record:
    """The learner's record from their progress store (every check result, ``graders/progress.py``)."""
    from ..progress import ProgressStore, passed_and_open

    store_path = Path(store_path)
    if not store_path.is_file():
        raise PortfolioError(NO_STORE, path=store_path)
    store = ProgressStore(store_path)
    labs = []
    try:
        for lab in course.labs:
            done = store.questions(lab.id)
            passed, rest = passed_and_open(done, lab.questions)
            labs.append(LabResult(
                lab.id, dict(lab.title), lab_summary(lab), len(lab.questions), len(passed),
                sum(lab.questions[q].points for q in passed), sum(q.points for q in lab.questions.values()),
                started=any(q in done for q in lab.questions),
                complete=bool(lab.questions) and not rest, next=rest[0] if rest else None))
    except sqlite3.DatabaseError as exc:
        raise PortfolioError(BAD_STORE, path=store_path, error=exc) from None
    return Record(course.id, course.title, name, issued or today(), "self-study", labs)


# --- verified: the instructor's nbgrader gradebook ------------------------------------------------------------------

def gradebook_path(db_url: str) -> Path | None:
    """The file of a ``sqlite:///...`` gradebook URL (None for another database)."""
    prefix = "sqlite:///"
    return Path(db_url[len(prefix):]) if db_url.startswith(prefix) else None


def from_gradebook(course: Course, db_url: str, course_id: str, student: str, name: str | None = None,
                   issued: str | None = None, folder: Path | None = None) -> Record:
    """A learner's record from the gradebook: each lab of the course that is an assignment there, with the score
    nbgrader gave. A lab counts as complete once it is submitted, fully graded (its score is final) and reaches the
    course's pass mark (``[certificate] pass_mark`` in course.toml, a share of the lab's points; 0.6 by default): a
    certificate of completion should not certify a lab that was handed in with most of it wrong."""
    from nbgrader.api import Gradebook, MissingEntry

    db_file = gradebook_path(db_url)
    if db_file is not None and not db_file.is_file():  # nbgrader would quietly make an empty one
        raise PortfolioError(NO_GRADEBOOK, folder=folder or db_file.parent)
    labs = []
    with Gradebook(db_url, course_id) as gb:
        try:
            who = gb.find_student(student)
        except MissingEntry:
            known = ", ".join(sorted(s.id for s in gb.students)[:30]) or "-"
            raise PortfolioError(UNKNOWN_STUDENT, student=student, known=known) from None
        name = name or " ".join(x for x in (who.first_name, who.last_name) if x) or student
        for lab in course.labs:
            try:
                assignment = gb.find_assignment(lab.id)
            except MissingEntry:
                continue  # not part of this class
            max_points = float(assignment.max_score or 0)
            questions = sum(len(nb.grade_cells) for nb in assignment.notebooks)
            try:
                sub = gb.find_submission(lab.id, student)
            except MissingEntry:
                labs.append(LabResult(lab.id, dict(lab.title), lab_summary(lab), questions, 0, 0.0, max_points,
                                      started=False, complete=False))
                continue
            grades = [g for nb in sub.notebooks for g in nb.grades]
            full = sum(1 for g in grades if g.max_score and (g.score or 0) >= g.max_score)
            labs.append(LabResult(lab.id, dict(lab.title), lab_summary(lab), questions, full, float(sub.score or 0),
                                  max_points, started=True,
                                  complete=not sub.needs_manual_grade
                                  and float(sub.score or 0) >= course.pass_mark * max_points - 1e-9,
                                  graded=not sub.needs_manual_grade))
    return Record(course.id, course.title, name, issued or today(), "gradebook", labs, student=student)
