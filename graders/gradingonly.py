"""The one list of what in a lab is for grading only: never in a learner's copy, never in a graded kernel's view.

Four places used to list these folders each on their own (and disagreed): the wheel (``pyproject.toml``), the
learners' image (``postBuild``), the class hub's environment (``hub/install.sh``) and the grading sandbox's mask
(``graders/grade/app.py``). Now the sandbox and both install scripts read this file, and ``tests/test_gradingonly.py``
compares ``pyproject.toml`` with it and builds a wheel and a release and finds none of it there.

* ``DEFAULT_DIRS``: folders of every lab (``labs/<lab>/<dir>``) that hold answers: hidden data, the notebook sources
  with their reference solutions, the known-wrong variants, the data generators that know every answer.
* a lab adds its own in ``lab.toml``: ``[grading_only]`` ``dirs = ["keys"]``.
* ``SOLUTION_MARKERS``: text that only a notebook source or a grading file has; a learner-facing file holding one
  gives a reference answer away.
* ``[grading_only] when_graded = ["gold"]``: folders a learner's copy keeps (self-study checks read them), but a
  graded kernel must not see: the grading sandbox masks them too (:func:`graded_paths`).
* ``[grading] files = {"signup.csv" = "hidden/signup.csv"}``: data a graded notebook reads instead of the learner's
  copy. The build puts each into the course's ``source/<lab>/`` after the release is made
  (:func:`place_graded_files`), so nbgrader's autograde copies it over the learner's file ("overwriting files with
  master versions from the source directory"): answers are judged on inputs the learner never practised with.

Standard library only, and runnable as a script (``python3 graders/gradingonly.py excludes``), so that an install
script can use it before anything is installed.
"""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

DEFAULT_DIRS = ("hidden", "notebooks", "solutions", "variants")
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")
TEXT_SUFFIXES = {".md", ".py", ".json", ".toml", ".ipynb", ".txt", ".csv", ".po", ".html"}
REPO = Path(__file__).resolve().parent.parent
LABS = REPO / "labs"


def lab_dirs(lab_dir: Path) -> list[str]:
    """Names of the grading-only folders of one lab: the defaults and the lab's own ``[grading_only] dirs``."""
    names = list(DEFAULT_DIRS)
    toml = Path(lab_dir) / "lab.toml"
    if toml.is_file():
        table = tomllib.loads(toml.read_text(encoding="utf-8")).get("grading_only", {})
        for name in table.get("dirs", []):
            if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
                raise ValueError(f"{toml}: [grading_only] dirs holds {name!r}; give folder names of the lab")
            if name not in names:
                names.append(name)
    return names


def _lab_table(lab_dir: Path, table: str) -> tuple[Path, dict]:
    toml = Path(lab_dir) / "lab.toml"
    if not toml.is_file():
        return toml, {}
    return toml, tomllib.loads(toml.read_text(encoding="utf-8")).get(table, {})


def when_graded_dirs(lab_dir: Path) -> list[str]:
    """Folders of one lab that learners keep but a graded kernel must not see (``[grading_only] when_graded``)."""
    toml, table = _lab_table(lab_dir, "grading_only")
    names = []
    for name in table.get("when_graded", []):
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise ValueError(f"{toml}: [grading_only] when_graded holds {name!r}; give folder names of the lab")
        names.append(name)
    return names


def graded_paths(labs: Path = LABS) -> list[Path]:
    """What the grading sandbox masks in the labs: every grading-only folder, and the ``when_graded`` ones."""
    out = paths(labs)
    for lab in _lab_folders(labs):
        out += [lab / name for name in when_graded_dirs(lab) if (lab / name).exists()]
    return out


def graded_files(lab_dir: Path) -> dict[str, Path]:
    """``[grading] files`` of one lab: file in the notebook's folder (``signup.csv``, ``qc/pairs.csv``) -> the
    grading-only file that replaces it."""
    lab_dir = Path(lab_dir)
    toml, table = _lab_table(lab_dir, "grading")
    out = {}
    hidden = set(lab_dirs(lab_dir))
    for name, rel in table.get("files", {}).items():
        parts = Path(str(rel)).parts
        names = name.split("/")
        if (not isinstance(rel, str) or name.startswith("/") or any(not n or n.startswith(".") for n in names)
                or len(parts) < 2 or parts[0] not in hidden or ".." in parts):
            raise ValueError(f"{toml}: [grading] files: {name!r} = {rel!r}; give a file of the notebook's folder "
                             f"(e.g. qc/pairs.csv) and a file in one of the lab's grading-only folders "
                             f"({', '.join(sorted(hidden))})")
        if not (lab_dir / rel).is_file():
            raise ValueError(f"{toml}: [grading] files: {lab_dir / rel} is missing")
        out[name] = lab_dir / rel
    return out


def place_graded_files(source_dir: Path, lab_dir: Path) -> list[Path]:
    """Put a lab's ``[grading] files`` into its folder of the course's ``source/`` (after the release is made)."""
    import shutil

    placed = []
    for name, path in graded_files(lab_dir).items():
        (Path(source_dir) / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(source_dir) / name)
        placed.append(Path(source_dir) / name)
    return placed


def all_dir_names(labs: Path = LABS) -> list[str]:
    """Every grading-only folder name used by any lab (the defaults first)."""
    names = list(DEFAULT_DIRS)
    for lab in sorted(p for p in Path(labs).iterdir() if (p / "lab.toml").is_file()):
        names += [n for n in lab_dirs(lab) if n not in names]
    return names


def _lab_folders(labs: Path) -> list[Path]:
    """Every lab folder, also one whose lab.toml is not written yet (a lab being made has hidden/ too)."""
    return sorted(p for p in Path(labs).iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))


def paths(labs: Path = LABS) -> list[Path]:
    """The grading-only folders that exist, of every lab."""
    out = []
    for lab in _lab_folders(labs):
        out += [lab / name for name in lab_dirs(lab) if (lab / name).exists()]
    return out


def tar_excludes(labs: Path = LABS) -> list[str]:
    """``--exclude`` patterns for tar, relative to the repository (``labs/*/hidden`` …)."""
    return [f"labs/*/{name}" for name in all_dir_names(labs)]


def holds_marker(path: Path) -> bool:
    if path.suffix not in TEXT_SUFFIXES:
        return False
    try:
        text = path.read_text(encoding="utf-8", errors="ignore")
    except OSError:
        return False
    return any(marker in text for marker in SOLUTION_MARKERS)


def leaks(root: Path, labs: Path = LABS) -> list[str]:
    """What in a learner's tree (an installed ``labs`` package, an unpacked wheel, a release) gives answers away:
    a grading-only folder of a lab (at any depth) or a file with a solution marker. Paths relative to ``root``."""
    root = Path(root)
    names = set(all_dir_names(labs))
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if p.is_dir():
            in_lab = (p.parent / "lab.toml").is_file() or p.parent.parent.name == "labs" or len(rel.parts) == 2
            if p.name in names and in_lab:   # labs/<lab>/hidden, or <release>/<lab>/hidden
                out.append(f"{rel}/")
        elif p.is_file() and holds_marker(p):
            out.append(str(rel))
    return out


def remove(repo: Path) -> list[Path]:
    """Delete the grading-only folders of every lab under ``repo/labs`` (for an image learners can read)."""
    import shutil

    gone = paths(Path(repo) / "labs")
    for p in gone:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    return gone


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in {"excludes", "dirs", "remove", "leaks"}:
        print("usage: gradingonly.py excludes | dirs | remove REPO | leaks DIR", file=sys.stderr)
        return 2
    if args[0] == "excludes":
        print("\n".join(f"--exclude={p}" for p in tar_excludes()))
    elif args[0] == "dirs":
        print("\n".join(all_dir_names()))
    elif args[0] == "remove":
        for p in remove(Path(args[1] if len(args) > 1 else REPO)):
            print(f"removed {p}")
    else:
        found = leaks(Path(args[1]))
        for p in found:
            print(f"{args[1]}/{p} must not be in a learner's copy", file=sys.stderr)
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
