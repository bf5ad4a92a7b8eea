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
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .i18n import M_
from .labdef import CourseDef, LABS_DIR, load_lab
from .settings import MARKER

GRADERS_DIR = Path(__file__).resolve().parent

MSG_NEW = M_("core.workspace.new", "New: {path}")
MSG_UPDATED = M_("core.workspace.updated", "Updated (you had not changed it): {path}")
MSG_BESIDE = M_("core.workspace.beside", "A new version of {path} is in {new_path}. Your own work in {path} is untouched: copy over what you need.")


def tree_digest(*paths: Path) -> str:
    """A digest of every file under the given paths (to skip a rebuild when nothing changed)."""
    h = hashlib.sha256()
    for base in paths:
        files = sorted(p for p in Path(base).rglob("*") if p.is_file() and "__pycache__" not in p.parts) \
            if Path(base).is_dir() else [Path(base)]
        for p in files:
            h.update(str(p.relative_to(base.parent)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


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


def cache_root() -> Path:
    """This user's cache of built courses (``$XDG_CACHE_HOME/digital-skills-labs/builds``). It holds releases built
    from the course sources only, never anything of a learner, so every workspace of this user can copy from it."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "digital-skills-labs" / "builds"


def build_key(course: CourseDef, lang: str, challenge: bool = False) -> str:
    """A name for one build: the course, language and mode, and a digest of everything the release is made from
    (the course and its labs' sources, the graders package that builds them, nbgrader's version)."""
    from importlib.metadata import version

    mode = f"{lang}-challenge" if challenge else lang
    labs = hashlib.sha256(json.dumps(list(course.labs)).encode()).hexdigest()[:8]
    digest = hashlib.sha256()
    digest.update(json.dumps([course.id, list(course.labs), mode, version("nbgrader")]).encode())
    digest.update(tree_digest(course.path, *(LABS_DIR / lab for lab in course.labs), GRADERS_DIR).encode())
    return f"{course.id}-{mode}-{labs}-{digest.hexdigest()[:20]}"


def release_for(course: CourseDef, lang: str, cache: Path | None = None, challenge: bool = False) -> Path:
    """The course's release tree in ``lang``, built with nbgrader once per course version, language and mode and
    kept in ``cache`` (default :func:`cache_root`): a new learner copies it instead of building the course again.

    A build goes to a temporary folder and is renamed into place when complete, so two starts at once never see half
    a build; builds of older versions of the same course and mode are removed."""
    cache = Path(cache) if cache is not None else cache_root()
    key = build_key(course, lang, challenge)
    root = cache / key
    if (root / ".complete").exists():
        return root / "release"
    cache.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=cache))
    try:
        import nbformat

        from .build import build_course, localize

        build_course(course, tmp, lang, challenge=challenge, gradebook=False)
        for path in (tmp / "release").rglob("*.ipynb"):  # each learner's copy, as sync delivers it
            path.write_text(nbformat.writes(localize(nbformat.read(path, as_version=4), lang)), encoding="utf-8")
        for item in tmp.iterdir():  # the release only: the source notebooks hold the solutions and hidden tests
            if item.name != "release":
                shutil.rmtree(item) if item.is_dir() else item.unlink()
        (tmp / ".complete").write_text(key)
        try:
            tmp.rename(root)
        except OSError:  # another start finished the same build first: use theirs
            if not (root / ".complete").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    prefix = key.rsplit("-", 1)[0] + "-"
    for old in cache.iterdir():  # older versions of this course and mode (not other modes or languages)
        if old.name != key and old.name.startswith(prefix) and old.name[len(prefix):].isalnum():
            shutil.rmtree(old, ignore_errors=True)
    return root / "release"


def sync(course: CourseDef, workspace: Path, lang: str, challenge: bool = False,
         cache: Path | None = None) -> SyncReport:
    """Bring the learner's workspace up to date with the course, never overwriting a file they changed.
    The release comes from the build cache (``cache``, default :func:`cache_root`)."""
    workspace = Path(workspace)
    state = workspace / MARKER
    state.mkdir(parents=True, exist_ok=True)
    release = release_for(course, lang, cache, challenge)
    if (state / "build").is_dir():  # the per-workspace build of earlier versions: the shared cache replaces it
        shutil.rmtree(state / "build", ignore_errors=True)
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
            payload = src.read_bytes()  # notebooks were cut to the learner's language in the cache
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
            elif new_digest == delivered:
                report.unchanged.append(rel)  # the learner's own work on a notebook that has not changed: theirs
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
