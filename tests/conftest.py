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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Keep `xdist_group` groups together under `--dist loadgroup`.

    pytest-xdist (3.8) marks a grouped test by renaming it (``nodeid@group``, through ``item._nodeid``); since
    pytest 9.2 the node id comes from a structured ``item._id`` instead, so the rename is lost and a group's tests
    are spread over the workers (each worker then sets up its own copy of a module's shared server). Re-apply it.
    """
    if not getattr(config.option, "loadgroup", False):
        return
    try:
        from _pytest.nodeid import coerce_node_id
    except ImportError:  # an older pytest: xdist's rename works as it is
        return
    for item in items:
        renamed = getattr(item, "_nodeid", None)
        if renamed and renamed != item.nodeid and hasattr(item, "_id"):
            item._id = coerce_node_id(renamed)
