"""The learner's copy of the course: built once per language, updated without ever overwriting their work.

``<workspace>/<lab>/`` holds the release notebooks and data of each lab. ``.graders/manifest.json`` remembers the
digest of every file as we delivered it. On an update a file is replaced only if the learner never changed it;
otherwise the new version goes beside it (``orientation.updated-1a2b3c4d.ipynb``) and the learner is told.

Challenge mode (``sync(..., challenge=True)``) keeps the same file names, so a learner's notebook stays the one
nbgrader collects; switching mode is an update like any other: a notebook the learner never changed is replaced by
the other mode's, one they worked in stays and the other mode's version goes beside it. No work is lost, and the
notebook's metadata (``graders.challenge``) says which mode a file is.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .build import build_course, localize, tree_digest
from .i18n import M_
from .labdef import CourseDef, LABS_DIR, load_lab
from .settings import MARKER

MSG_NEW = M_("core.workspace.new", "New: {path}")
MSG_UPDATED = M_("core.workspace.updated", "Updated (you had not changed it): {path}")
MSG_BESIDE = M_("core.workspace.beside", "A new version of {path} is in {new_path}. Your own work in {path} is untouched: copy over what you need.")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class SyncReport:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    beside: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def lines(self, lang: str) -> list[str]:
        return ([MSG_NEW.render(lang, path=p) for p in self.new]
                + [MSG_UPDATED.render(lang, path=p) for p in self.updated]
                + [MSG_BESIDE.render(lang, path=p, new_path=n) for p, n in self.beside])


def release_for(course: CourseDef, lang: str, cache: Path, challenge: bool = False) -> Path:
    """The course's release tree in ``lang``, built with nbgrader, cached until a lab source changes."""
    mode = f"{lang}-challenge" if challenge else lang
    stamp = tree_digest(course.path, *(LABS_DIR / lab for lab in course.labs)) + mode
    root = cache / mode
    stamp_file = root / ".build-stamp"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return root / "release"
    if root.exists():
        shutil.rmtree(root)
    build_course(course, root, lang, challenge=challenge)
    stamp_file.write_text(stamp)
    return root / "release"


def sync(course: CourseDef, workspace: Path, lang: str, challenge: bool = False) -> SyncReport:
    """Bring the learner's workspace up to date with the course, never overwriting a file they changed."""
    workspace = Path(workspace)
    state = workspace / MARKER
    state.mkdir(parents=True, exist_ok=True)
    release = release_for(course, lang, state / "build", challenge)
    manifest_path = state / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    report = SyncReport()
    for lab_id in course.labs:
        load_lab(lab_id)
        for src in sorted(p for p in (release / lab_id).rglob("*") if p.is_file()):
            rel = str(src.relative_to(release))
            dest = workspace / rel
            if src.suffix == ".ipynb":
                nb = localize(nbformat.read(src, as_version=4), lang)  # already one language; harmless
                payload = nbformat.writes(nb).encode("utf-8")
            else:
                payload = src.read_bytes()
            new_digest = hashlib.sha256(payload).hexdigest()
            delivered = manifest.get(rel)
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(payload)
                manifest[rel] = new_digest
                report.new.append(rel)
            elif _digest(dest) == new_digest:
                manifest[rel] = new_digest
                report.unchanged.append(rel)
            elif delivered is not None and _digest(dest) == delivered:
                dest.write_bytes(payload)  # the learner never touched it: safe to replace
                manifest[rel] = new_digest
                report.updated.append(rel)
            else:
                beside = dest.with_name(f"{dest.stem}.updated-{new_digest[:8]}{dest.suffix}")
                if not beside.exists():
                    beside.write_bytes(payload)
                    report.beside.append((rel, str(beside.relative_to(workspace))))
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(manifest_path)
    return report
