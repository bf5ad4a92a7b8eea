"""Lab and course descriptions: ``labs/<lab>/lab.toml`` and ``courses/<course>/course.toml`` are data, not code."""
from __future__ import annotations

import functools
import importlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import labs as _labs_package

from .i18n import LANGUAGES

LABS_DIR = Path(_labs_package.__file__).resolve().parent
REPO_DIR = LABS_DIR.parent
COURSES_DIR = REPO_DIR / "courses"


class LabDefinitionError(Exception):
    """A lab.toml or course.toml that cannot be used, with what to fix."""


@dataclass(frozen=True)
class QuestionDef:
    id: str
    notebook: str
    points: float


@dataclass
class LabDef:
    id: str
    path: Path
    title: dict[str, str]
    notebooks: list[str]
    questions: dict[str, QuestionDef]
    services: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]

    @property
    def notebook_dir(self) -> Path:
        return self.path / "notebooks"

    @property
    def data_dir(self) -> Path:
        return self.path / "data"

    @property
    def hidden_dir(self) -> Path:
        return self.path / "hidden"

    @property
    def variants_dir(self) -> Path:
        return self.path / "variants"

    def notebook_source(self, notebook: str) -> Path:
        return self.notebook_dir / f"{notebook}.md"

    def questions_in(self, notebook: str) -> list[QuestionDef]:
        return [q for q in self.questions.values() if q.notebook == notebook]

    # --- time and prerequisites (issue 13): `requires = [...]`, `[notebook."<nb>"] minutes = {novice=, programmer=}`
    @property
    def requires(self) -> list[str]:
        """Ids of the labs a learner should have done first (they need not be installed here)."""
        return list(self.raw.get("requires", []))

    def minutes(self, notebook: str | None = None) -> dict[str, int] | None:
        """``{"novice": n, "programmer": m}`` for one notebook, or for the whole lab (the sum over its notebooks);
        None when lab.toml gives no estimate (for the lab: when any notebook lacks one)."""
        if notebook is None:
            return minutes_of(self, self.notebooks)
        value = self.raw.get("notebook", {}).get(notebook, {}).get("minutes")
        return dict(value) if value else None

    def notebook_meta(self, notebook: str) -> dict:
        """The ``[notebook."<nb>"]`` table of lab.toml (``minutes``, ``teaches`` ...); {} when there is none."""
        return dict(self.raw.get("notebook", {}).get(notebook, {}))

    @functools.cached_property
    def checks(self):
        """The lab's ``checks`` module; its ``questions`` registry holds one function per question."""
        module = importlib.import_module(f"labs.{self.id}.checks")
        registry = getattr(module, "questions", None)
        if registry is None:
            raise LabDefinitionError(f"labs/{self.id}/checks.py has no `questions = Questions(...)` registry")
        return module


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise LabDefinitionError(f"{path} is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise LabDefinitionError(f"{path} is not valid TOML: {exc}") from None


@functools.cache
def load_lab(lab_id: str) -> LabDef:
    path = LABS_DIR / lab_id
    if not (path / "lab.toml").exists():
        known = ", ".join(all_lab_ids()) or "none"
        raise LabDefinitionError(f"There is no lab {lab_id!r} (labs/{lab_id}/lab.toml). Known labs: {known}.")
    raw = _read_toml(path / "lab.toml")
    title = raw.get("title", {})
    missing = [lang for lang in LANGUAGES if not title.get(lang)]
    if missing:
        raise LabDefinitionError(f"labs/{lab_id}/lab.toml: title is missing for {', '.join(missing)}")
    notebooks = list(raw.get("notebooks", []))
    questions = {}
    for qid, q in raw.get("questions", {}).items():
        nb = q.get("notebook", notebooks[0] if len(notebooks) == 1 else None)
        if nb not in notebooks:
            raise LabDefinitionError(f"labs/{lab_id}/lab.toml: question {qid} names unknown notebook {nb!r}")
        questions[qid] = QuestionDef(qid, nb, float(q.get("points", 1)))
    _check_timing(lab_id, raw, notebooks)
    return LabDef(raw.get("id", lab_id), path, title, notebooks, questions, list(raw.get("services", [])), raw)


MINUTES_KEYS = ("novice", "programmer")


def _check_timing(lab_id: str, raw: dict, notebooks: list[str]) -> None:
    """`requires` is a list of lab ids; each `[notebook."<nb>"]` names a listed notebook; minutes are whole and > 0."""
    where = f"labs/{lab_id}/lab.toml"
    requires = raw.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(r, str) and r for r in requires):
        raise LabDefinitionError(f"{where}: requires must be a list of lab ids, e.g. requires = [\"orientation\"]")
    tables = raw.get("notebook", {})
    if not isinstance(tables, dict):
        raise LabDefinitionError(f"{where}: notebook must be tables, e.g. [notebook.\"{notebooks[0] if notebooks else 'name'}\"]")
    for name, table in tables.items():
        if name not in notebooks:
            raise LabDefinitionError(f"{where}: [notebook.\"{name}\"] names a notebook that is not in notebooks = "
                                     f"{notebooks}")
        minutes = table.get("minutes") if isinstance(table, dict) else None
        if minutes is None:
            continue
        if not isinstance(minutes, dict) or set(minutes) != set(MINUTES_KEYS) or not all(
                type(minutes[k]) is int and minutes[k] > 0 for k in MINUTES_KEYS):
            raise LabDefinitionError(f"{where}: [notebook.\"{name}\"] minutes must be whole numbers above 0 for "
                                     f"novice and programmer, e.g. minutes = {{ novice = 60, programmer = 20 }}; "
                                     f"it is {minutes!r}")


def minutes_of(lab: LabDef, notebooks) -> dict[str, int] | None:
    """The summed estimate of some of a lab's notebooks; None when one of them has none."""
    parts = [lab.minutes(nb) for nb in notebooks]
    if not parts or any(p is None for p in parts):
        return None
    return {k: sum(p[k] for p in parts) for k in MINUTES_KEYS}


def all_lab_ids() -> list[str]:
    return sorted(p.parent.name for p in LABS_DIR.glob("*/lab.toml"))


@dataclass
class CourseDef:
    id: str
    path: Path
    title: dict[str, str]
    labs: list[str]
    default_language: str
    languages: list[str]
    points: dict[str, float]

    def title_in(self, lang: str) -> str:
        return self.title.get(lang) or self.title["en"]


def load_course(name_or_path: str | Path) -> CourseDef:
    path = Path(name_or_path)
    if not (path / "course.toml").exists():
        path = COURSES_DIR / str(name_or_path)
    raw = _read_toml(path / "course.toml")
    labs = list(raw.get("labs", []))
    for lab_id in labs:
        load_lab(lab_id)  # fails early with a clear message
    languages = list(raw.get("languages", LANGUAGES))
    default = raw.get("default_language", "en")
    if default not in languages:
        raise LabDefinitionError(f"{path}/course.toml: default_language {default!r} is not among {languages}")
    return CourseDef(raw["id"], path, raw.get("title", {}), labs, default, languages, raw.get("points", {}))
