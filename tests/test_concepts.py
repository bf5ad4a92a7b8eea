"""The concept map: no reference answer on the course path needs a construct that no notebook before it teaches.

Each notebook says in its lab.toml what it teaches (`[notebook."<nb>"] teaches = [...]`), each lab what it requires
(`requires = [...]`); graders/concepts.py reads the answers with the `ast` module. The labs' `solutions/` folders hold
the scripts that make their data and gold, not answers a learner writes, so only the notebooks' answers count.
"""
import tomllib
from pathlib import Path

import pytest

from graders.concepts import (VOCABULARY, concepts_in, explain, known_concepts, missing_required,
                              reference_answers, solution_concepts, unknown_teaches, untaught)
from graders.labdef import LabDef, LabDefinitionError, load_course

FIXTURES = Path(__file__).parent / "fixtures" / "concepts"
COURSE = "digital-skills-day"


def course_path() -> list[str]:
    """Every lab on the course path, and what they require."""
    labs = list(load_course(COURSE).labs)
    return labs


def load_fixture(lab_id: str) -> LabDef:
    path = FIXTURES / lab_id
    if not (path / "lab.toml").exists():
        raise LabDefinitionError(f"no fixture lab {lab_id}")
    raw = tomllib.loads((path / "lab.toml").read_text())
    return LabDef(raw["id"], path, raw["title"], raw["notebooks"], {}, [], raw)


def untaught_report(lab_id: str, load=None) -> list[str]:
    kwargs = {"load": load} if load else {}
    report = []
    for answer in reference_answers(lab_id, **kwargs):
        missing = untaught(answer, **kwargs)
        if missing:
            report.append(explain(answer, missing))
    return report


# --- the analysis itself ------------------------------------------------------------------------------------------

def test_constructs_are_recognised():
    code = '''
import json
from pathlib import Path as P
data = {"a": [1, 2.5], "b": (True, None)}
total = 0
for key, value in data.items():
    if key != "a" and not value:
        continue
    total += len(value)
try:
    with open("x") as f:
        text = f"{total}"
except OSError:
    raise ValueError("no")
first = data["a"][0] + data["a"][1:][0]
names = {k for k in data} | {"x", "y"}
check = lambda x: x
class Box:
    def show(self, size=3):
        assert size
        return P(".")
while False:
    break
'''
    assert concepts_in(code) == {
        "import:json", "import:pathlib", "variable", "dict", "list", "number", "tuple", "for",
        "unpacking", "method", "if", "comparison", "bool_ops", "break_continue", "augassign", "call", "try", "with",
        "fstring", "raise", "string", "subscript", "nested_subscript", "slice", "comprehension", "set", "lambda",
        "class", "def", "default_args", "assert", "return", "while"}


def test_a_module_imported_elsewhere_counts_where_it_is_used():
    assert "import:re" in concepts_in('m = re.search("x", text)', modules={"re": "re"})
    assert "import:pandas" in concepts_in('t = pd.read_csv("a.csv")', modules={"pd": "pandas"})
    assert not any(c.startswith("import:") for c in concepts_in('t = pd.read_csv("a.csv")'))


def test_only_the_lines_between_the_solution_markers_count():
    cell = ('%%writefile robot.py\nimport re\n\n\ndef read(path):\n    ### BEGIN SOLUTION\n    return path.name\n'
            '    ### END SOLUTION\n')
    assert solution_concepts(cell) == {"return", "method"}


# --- planted violations: the test can fail ------------------------------------------------------------------------

def test_an_untaught_construct_is_reported_readably():
    assert untaught_report("fx-workshop", load_fixture) == [
        "fx-workshop/one q1 uses comprehension, which no earlier notebook on the path teaches (add it to a `teaches` "
        "list where it is taught, or simplify the answer)"]
    assert untaught_report("fx-basics", load_fixture) == []


def test_known_concepts_come_from_earlier_notebooks_and_required_labs():
    assert known_concepts("fx-workshop", "one", load_fixture) >= {"for", "list", "dict"}
    assert "dict" in known_concepts("fx-workshop", "two", load_fixture)
    assert "dict" not in known_concepts("fx-basics", "basics", load_fixture)


def test_an_unknown_teaches_id_is_reported():
    assert [(u.lab, u.notebook, u.concept) for u in unknown_teaches("fx-basics", load_fixture)] == [
        ("fx-basics", "basics", "loops")]


def test_a_missing_required_lab_is_named():
    assert missing_required("fx-workshop", load_fixture) == []
    broken = load_fixture("fx-workshop")
    broken.raw = {**broken.raw, "requires": ["fx-nowhere"]}
    assert missing_required("fx-workshop", lambda i: broken if i == "fx-workshop" else load_fixture(i)) == [
        "fx-nowhere"]


# --- the real course ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lab_id", course_path())
def test_every_teaches_id_is_in_the_vocabulary(lab_id):
    unknown = unknown_teaches(lab_id)
    assert not unknown, "\n".join(
        f"labs/{u.lab}/lab.toml [notebook.\"{u.notebook}\"] teaches {u.concept!r}, which is no concept id "
        f"(graders/concepts.py VOCABULARY, or import:<module>); known: {', '.join(sorted(VOCABULARY))}"
        for u in unknown)


@pytest.mark.parametrize("lab_id", course_path())
def test_every_notebook_declares_what_it_teaches(lab_id):
    from graders.labdef import load_lab

    lab = load_lab(lab_id)
    missing = [nb for nb in lab.notebooks if "teaches" not in lab.notebook_meta(nb)]
    assert not missing, f"labs/{lab_id}/lab.toml: no `teaches = [...]` in [notebook.\"{missing[0]}\"]"


@pytest.mark.parametrize("lab_id", course_path())
def test_reference_answers_use_only_what_was_taught(lab_id):
    missing = missing_required(lab_id)
    if missing:
        pytest.skip(f"{lab_id} requires {', '.join(missing)}, which is not in labs/ yet")
    report = untaught_report(lab_id)
    assert not report, "\n".join(report)
