"""The bridge lab beyond what tests/test_labs.py proves for every lab: the data the notebook shows is the data its
checks judge by, and exercise 7 reads the learner's own last error (line, code, key), not a failed check's."""
import linecache
import sys

import jupytext
import pytest

from graders.labdef import load_lab
from labs.bridge import checks, kit


def _readonly_namespace() -> dict:
    lab = load_lab("bridge")
    ns: dict = {}
    for cell in jupytext.read(lab.notebook_source("bridge")).cells:
        if cell.cell_type == "code" and cell.metadata.get("role") == "readonly":
            exec(cell.source, ns)
    return ns


def test_the_notebook_shows_the_data_the_checks_use():
    ns = _readonly_namespace()
    assert ns["order"] == checks.ORDER
    assert ns["response"] == checks.RESPONSE
    # the visible cases of q2/q3 differ from the notebook's response, so a copied answer fails in the notebook already
    assert checks.RESPONSE_2["Reservations"][0]["Instances"][0]["State"]["Name"] != "running"


@pytest.fixture
def last_error_state(monkeypatch):
    monkeypatch.setattr(kit, "_kept", None)
    for name in ("last_value", "last_traceback", "last_type"):
        monkeypatch.delattr(sys, name, raising=False)


def _fail(code: str):
    """Run ``code`` as a notebook cell would and leave its error where IPython leaves it."""
    filename = f"/tmp/ipykernel_1/cell{abs(hash(code))}.py"
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # as IPython registers a cell
    try:
        exec(compile(code, filename, "exec"), {"order": dict(checks.ORDER)})
    except Exception as exc:  # noqa: BLE001
        sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, exc.__traceback__
    else:
        raise AssertionError("the code did not fail")


def test_last_error_names_the_kind_the_key_and_the_line_that_failed(last_error_state):
    assert kit.last_error() is None
    _fail('total = 1\nphone = order["phone"]\n')
    assert kit.last_error() == {"kind": "KeyError", "detail": "'phone'", "key": "phone", "line": 2,
                                "code": 'phone = order["phone"]'}


def test_a_failed_check_does_not_hide_the_learners_error(last_error_state):
    _fail('order["phone"]')
    assert kit.last_error()["kind"] == "KeyError"  # the check cell's own call, before lab.check

    class CheckFailed(AssertionError):
        pass

    sys.last_value = CheckFailed("q7")  # grading: the kernel's check fails and raises; the grader asks after that
    assert kit.last_error()["kind"] == "KeyError"
    _fail('order + 1')                  # a newer error of the learner's replaces it
    assert kit.last_error()["kind"] == "TypeError"
