"""One list of grading-only files (graders/gradingonly.py), read by the sandbox mask, postBuild and hub/install.sh and
matched by pyproject.toml; a built wheel (its files, as setuptools lays them out) and a built release hold none of it."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import SimpleNamespace

import pytest

from graders import gradingonly

REPO = Path(__file__).resolve().parents[1]
LABS = REPO / "labs"


def _copy_repo(dest: Path) -> Path:
    """The repository's packaged part, copied (a build never touches the working tree)."""
    dest.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, dest / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".pytest_cache")
    for name in ("graders", "labs"):
        shutil.copytree(REPO / name, dest / name, ignore=ignore)
    return dest


def _wheel_tree(src: Path, out: Path) -> Path:
    """The files a wheel of ``src`` holds: setuptools' ``build_py`` (what ``bdist_wheel`` packs for a pure-Python
    project, with package data and exclusions from pyproject.toml), offline, without the ``wheel`` package."""
    proc = subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
                           "--build-lib", str(out)], cwd=src, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def _hidden_texts() -> dict[str, str]:
    """Each hidden file as the build inlines it (``hidden=<repr>``): none of these may be in a learner's copy."""
    out = {}
    for path in sorted(LABS.glob("*/hidden/*.json")):
        text = repr(json.loads(path.read_text(encoding="utf-8")))
        out[str(path.relative_to(REPO))] = text[:200]
    return out


def _files_holding(root: Path, needles: dict[str, str]) -> list[str]:
    found = []
    for p in root.rglob("*"):
        if p.is_file() and p.suffix in {".py", ".json", ".ipynb", ".md", ".toml", ".csv", ".txt"}:
            text = p.read_text(encoding="utf-8", errors="ignore")
            if p.suffix == ".ipynb":   # the notebook's cell sources, as one text
                text = "\n".join("".join(c.get("source", "")) for c in json.loads(text).get("cells", []))
            found += [f"{p.relative_to(root)} holds {name}" for name, needle in needles.items() if needle in text]
    return found


# --- the one list, and who reads it --------------------------------------------------------------------------------

def test_pyproject_excludes_exactly_the_list():
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    names = gradingonly.all_dir_names()
    assert sorted(setuptools["exclude-package-data"]["*"]) == sorted(f"{n}/*" for n in names)
    assert sorted(setuptools["packages"]["find"]["exclude"]) == sorted(
        p for n in names for p in (f"labs.*.{n}", f"labs.*.{n}.*"))
    included = setuptools["package-data"]["*"]
    assert not [p for p in included if p.split("/")[0] in names], included


def test_install_scripts_and_the_sandbox_read_the_list(tmp_path):
    for script in ("postBuild", "hub/install.sh"):
        text = (REPO / script).read_text()
        assert "graders/gradingonly.py" in text, script
        for name in gradingonly.DEFAULT_DIRS:  # no list of its own that could drift
            assert f"labs/*/{name}" not in text, (script, name)
    from graders.grade.app import sandbox_settings

    course = tmp_path / "course"
    course.mkdir()
    hide = sandbox_settings(SimpleNamespace(root=str(course), db_url=f"sqlite:///{course}/gradebook.db"))["hide"]
    missing = [str(p) for p in gradingonly.paths() if str(p) not in hide]
    assert not missing, missing
    assert any(p.name == "solutions" for p in gradingonly.paths()) and any(p.name == "hidden" for p in gradingonly.paths())


def test_a_lab_adds_its_own_grading_only_folders(tmp_path):
    lab = tmp_path / "labs" / "demo"
    (lab / "keys").mkdir(parents=True)
    (lab / "hidden").mkdir()
    (lab / "lab.toml").write_text('id = "demo"\n[grading_only]\ndirs = ["keys"]\n')
    assert gradingonly.lab_dirs(lab) == [*gradingonly.DEFAULT_DIRS, "keys"]
    assert {p.name for p in gradingonly.paths(tmp_path / "labs")} == {"keys", "hidden"}
    assert gradingonly.tar_excludes(tmp_path / "labs")[-1] == "labs/*/keys"
    listed = subprocess.run([sys.executable, str(REPO / "graders" / "gradingonly.py"), "excludes"],
                            capture_output=True, text=True, check=True).stdout.split()
    assert listed == [f"--exclude={p}" for p in gradingonly.tar_excludes()]
    # postBuild's step, on a copy
    assert {p.name for p in gradingonly.remove(tmp_path)} == {"keys", "hidden"} and not (lab / "keys").exists()


# --- what a learner gets ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_wheel_holds_no_answers(tmp_path):
    tree = _wheel_tree(_copy_repo(tmp_path / "src"), tmp_path / "wheel")
    labs = tree / "labs"
    assert (labs / "office" / "checks.py").is_file() and (labs / "office" / "data" / "signup.csv").is_file()
    assert gradingonly.leaks(labs) == []
    assert not list(labs.rglob("solutions")) and not list(labs.rglob("*BEGIN*"))
    assert _files_holding(labs, _hidden_texts()) == []
    # practice gold still ships for the self-study checks of these labs (see notes/keys.md): no other lab's
    assert sorted(p.parent.name for p in labs.glob("*/gold")) == ["annotation", "office"]


@pytest.mark.slow
def test_the_wheel_check_finds_what_a_loose_pyproject_ships(tmp_path):
    # the planted defect: pyproject.toml as it was (find makes namespace packages of hidden/, notebooks/ ...)
    src = _copy_repo(tmp_path / "src")
    text = (src / "pyproject.toml").read_text()
    start = text.index("exclude = [\"labs.*.hidden\"")
    end = text.index("]", text.index("labs.*.variants.*")) + 1
    (src / "pyproject.toml").write_text(text[:start] + text[end:])
    leaks = gradingonly.leaks(_wheel_tree(src, tmp_path / "wheel") / "labs")
    assert "office/hidden/" in leaks and "office/notebooks/office.md" in leaks


@pytest.mark.slow
def test_the_release_holds_no_answers(tmp_path):
    out = tmp_path / "course"
    proc = subprocess.run([str(Path(sys.executable).parent / "graders"), "build", "--out", str(out), "--lang", "all"],
                          capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    release = out / "release"
    labs = sorted(p.name for p in release.iterdir())
    assert "office" in labs and "career" in labs
    assert gradingonly.leaks(release) == []
    assert not list(release.rglob("gold")) and not list(release.rglob("solutions"))
    assert _files_holding(release, _hidden_texts()) == []
    # the source notebooks do hold them: the check above can see what it looks for
    assert _files_holding(out / "source", _hidden_texts())


def test_when_graded_folders_are_masked_but_kept_and_graded_files_come_from_grading_only_folders(tmp_path):
    """office keeps gold/ for self-study (not removed, not a leak) but the grading sandbox masks it; a lab folder whose
    lab.toml is not written yet still has its hidden/ masked; [grading] files must come from a grading-only folder."""
    from graders import gradingonly

    labs = gradingonly.LABS
    assert labs / "office" / "gold" in gradingonly.graded_paths(labs)
    assert labs / "office" / "gold" not in gradingonly.paths(labs)
    assert gradingonly.graded_files(labs / "office") == {"signup.csv": labs / "office" / "hidden" / "signup.csv"}
    fake = tmp_path / "labs"
    (fake / "new" / "hidden").mkdir(parents=True)           # no lab.toml yet
    (fake / "ok" / "hidden").mkdir(parents=True)
    (fake / "ok" / "hidden" / "sheet.csv").write_text("a\n")
    (fake / "ok" / "data").mkdir()
    (fake / "ok" / "data" / "sheet.csv").write_text("b\n")
    (fake / "ok" / "lab.toml").write_text('[grading]\nfiles = { "sheet.csv" = "hidden/sheet.csv" }\n')
    assert fake / "new" / "hidden" in gradingonly.graded_paths(fake)
    source = tmp_path / "source"
    source.mkdir()
    assert gradingonly.place_graded_files(source, fake / "ok") == [source / "sheet.csv"]
    assert (source / "sheet.csv").read_text() == "a\n"
    (fake / "ok" / "lab.toml").write_text('[grading]\nfiles = { "sheet.csv" = "data/sheet.csv" }\n')
    with pytest.raises(ValueError, match="grading-only"):
        gradingonly.graded_files(fake / "ok")


def test_graded_files_may_lie_in_a_subfolder_of_the_notebooks_folder(tmp_path):
    """annotation's quality tables (qc/two_annotators.csv): placed with their folder; '..' or a hidden name refused."""
    from graders import gradingonly

    lab = tmp_path / "labs" / "ok"
    (lab / "hidden" / "qc").mkdir(parents=True)
    (lab / "hidden" / "qc" / "pairs.csv").write_text("graded\n")
    (lab / "lab.toml").write_text('[grading]\nfiles = { "qc/pairs.csv" = "hidden/qc/pairs.csv" }\n')
    source = tmp_path / "source"
    source.mkdir()
    assert gradingonly.place_graded_files(source, lab) == [source / "qc" / "pairs.csv"]
    assert (source / "qc" / "pairs.csv").read_text() == "graded\n"
    for name in ("../pairs.csv", "qc/.pairs.csv", "/qc/pairs.csv", "qc//pairs.csv"):
        (lab / "lab.toml").write_text(f'[grading]\nfiles = {{ "{name}" = "hidden/qc/pairs.csv" }}\n')
        with pytest.raises(ValueError, match="grading-only"):
            gradingonly.graded_files(lab)
    assert gradingonly.graded_files(gradingonly.LABS / "annotation")["qc/box_pairs.csv"].parent.name == "qc"
