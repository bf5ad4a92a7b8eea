"""environment.yml (conda, repo2docker, hub images) lists exactly the dependencies of pyproject.toml."""
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]


def _normalize(spec: str) -> str:
    req = Requirement(spec)
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name.lower().replace('_', '-')}{extras}{req.specifier}"


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = set(project["dependencies"])
    for name, deps in project["optional-dependencies"].items():
        wanted |= {d for d in deps if not d.startswith(project["name"])}
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    listed = {p for p in pip if not p.startswith("-e")}
    assert {_normalize(s) for s in listed} == {_normalize(s) for s in wanted}
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python.split("=")[1] in project["requires-python"] or project["requires-python"] == ">=3.11"


def test_all_extra_covers_every_lab_extra():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    everything = extras["all"][0]
    assert all(name in everything for name in extras if name not in ("all", "test"))
