"""The learner's local progress store (SQLite in the workspace's ``.graders/``): every check result, kept."""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from .settings import state_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    lab TEXT NOT NULL,
    question TEXT NOT NULL,
    passed INTEGER NOT NULL,
    failed_ids TEXT NOT NULL,
    lang TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_lab_question ON attempts (lab, question);
CREATE TABLE IF NOT EXISTS figures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    lab TEXT NOT NULL,
    name TEXT NOT NULL,
    message TEXT NOT NULL,
    params TEXT NOT NULL
);
"""


@dataclass
class QuestionProgress:
    lab: str
    question: str
    attempts: int
    passed: bool
    failures_since_pass: int


def passed_and_open(done: dict[str, QuestionProgress], order) -> tuple[list[str], list[str]]:
    """The questions of ``order`` that were passed (at least once) and those still open, each in that order: what
    ``lab.progress()``, ``graders progress`` and the portfolio count, so all three say the same."""
    passed = [q for q in order if done.get(q) and done[q].passed]
    return passed, [q for q in order if q not in passed]


class ProgressStore:
    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else state_dir() / "progress.sqlite"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=10)
        conn.executescript(SCHEMA)
        return conn

    def record(self, lab: str, question: str, passed: bool, failed_ids: list[str], lang: str) -> None:
        with closing(self._connect()) as conn, conn:
            conn.execute("INSERT INTO attempts (at, lab, question, passed, failed_ids, lang) VALUES (?,?,?,?,?,?)",
                         (time.time(), lab, question, int(passed), json.dumps(failed_ids), lang))

    def failures_in_a_row(self, lab: str, question: str) -> int:
        """How many times this question failed since it last passed (drives the hint level)."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT passed FROM attempts WHERE lab=? AND question=? ORDER BY id DESC",
                                (lab, question)).fetchall()
        count = 0
        for (passed,) in rows:
            if passed:
                break
            count += 1
        return count

    def questions(self, lab: str) -> dict[str, QuestionProgress]:
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT question, passed FROM attempts WHERE lab=? ORDER BY id", (lab,)).fetchall()
        out: dict[str, QuestionProgress] = {}
        for question, passed in rows:
            qp = out.setdefault(question, QuestionProgress(lab, question, 0, False, 0))
            qp.attempts += 1
            qp.passed = qp.passed or bool(passed)
            qp.failures_since_pass = 0 if passed else qp.failures_since_pass + 1
        return out

    # --- figures a lab measures (e.g. the annotation lab's items per minute), shown in the progress view ---------------
    def record_figure(self, lab: str, name: str, message_id: str, **params) -> None:
        """Keep a figure of the learner's work (the newest of each ``name`` is shown): a message id and its params."""
        with closing(self._connect()) as conn, conn:
            conn.execute("INSERT INTO figures (at, lab, name, message, params) VALUES (?,?,?,?,?)",
                         (time.time(), lab, name, message_id, json.dumps(params)))

    def figures(self, lab: str) -> list[tuple[str, dict]]:
        """The newest figure of each name of ``lab``, in the order first recorded: [(message id, params)]."""
        with closing(self._connect()) as conn:
            rows = conn.execute("SELECT name, message, params FROM figures WHERE lab=? ORDER BY id", (lab,)).fetchall()
        newest: dict[str, tuple[str, dict]] = {}
        for name, message, params in rows:
            newest[name] = (message, json.loads(params))
        return list(newest.values())
