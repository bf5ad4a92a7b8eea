"""The grading record of each submission: what the grader decided and why, beside the gradebook.

``<course>/grading/<assignment>/records/<student>.json`` holds, per notebook, the learner's language, each question's
verdict (message ids and parameters, so the report can show them in any language), where its evidence came from,
the reasons a limit struck, and the score of every graded cell. A record is written last and atomically, so a
record that exists means "graded"; with the digest of the submission (and of the instructor's source) it lets a
re-run skip what is already graded and pick up what changed or was interrupted.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Iterator

SCHEMA = 1


def grading_dir(root: Path, assignment: str) -> Path:
    return Path(root) / "grading" / assignment


def records_dir(root: Path, assignment: str) -> Path:
    return grading_dir(root, assignment) / "records"


def logs_dir(root: Path, assignment: str) -> Path:
    return grading_dir(root, assignment) / "logs"


def record_path(root: Path, assignment: str, student: str) -> Path:
    return records_dir(root, assignment) / f"{student}.json"


def tree_digest(*folders: Path) -> str:
    h = hashlib.sha256()
    for folder in folders:
        folder = Path(folder)
        if not folder.exists():
            h.update(b"<missing>")
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".ipynb_checkpoints" not in p.parts):
            h.update(str(path.relative_to(folder)).encode())
            h.update(b"\0")
            try:
                h.update(path.read_bytes())
            except OSError:
                h.update(b"<unreadable>")
    return h.hexdigest()


def write_record(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({"schema": SCHEMA, **record}, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)


def read_record(path: Path) -> dict | None:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("schema") == SCHEMA else None


def read_records(root: Path, assignment: str) -> Iterator[dict]:
    folder = records_dir(root, assignment)
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        record = read_record(path)
        if record is not None:
            yield record


def question_rows(record: dict) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(notebook, question, entry) for every question of a record."""
    for nb_name, nb in record.get("notebooks", {}).items():
        for question, entry in nb.get("questions", {}).items():
            yield nb_name, question, entry
