import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(autouse=True)
def _isolated_learner_state(tmp_path, monkeypatch):
    """No test writes progress or settings into the developer's own workspace or home."""
    ws = tmp_path / "learner-state"
    (ws / ".graders").mkdir(parents=True)
    monkeypatch.setenv("GRADERS_WORKSPACE", str(ws))
    monkeypatch.delenv("GRADERS_LANG", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    yield


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def venv_bin() -> Path:
    return Path(sys.executable).parent
