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
    return LabDef(raw.get("id", lab_id), path, title, notebooks, questions, list(raw.get("services", [])), raw)


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
