"""Where the learner's own files live, and their saved choices (language).

A learner workspace is a folder with a ``.graders/`` directory in it (made by ``graders start``); the progress store
and settings live there, so one laptop can hold several learners' workspaces. Outside any workspace (a notebook
opened elsewhere, a hub where the home folder is the workspace) the user's data folder is used.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

MARKER = ".graders"


def find_workspace(start: Path | None = None) -> Path | None:
    """The nearest folder at or above ``start`` (default: the current folder) that holds ``.graders/``."""
    env = os.environ.get("GRADERS_WORKSPACE")
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        try:
            if (folder / MARKER).is_dir():
                return folder
        except PermissionError:  # a folder above this one that this user may not read: not their workspace
            continue
    return None


def state_dir(start: Path | None = None) -> Path:
    """The folder for progress and settings: the workspace's ``.graders/`` or the user's data folder."""
    workspace = find_workspace(start)
    if workspace is not None:
        return workspace / MARKER
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "digital-skills-labs"


def settings_path(start: Path | None = None) -> Path:
    return state_dir(start) / "settings.json"


def load_settings(start: Path | None = None) -> dict:
    path = settings_path(start)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def save_settings(values: dict, start: Path | None = None) -> None:
    path = settings_path(start)
    path.parent.mkdir(parents=True, exist_ok=True)
    current = load_settings(start)
    current.update(values)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(current, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
