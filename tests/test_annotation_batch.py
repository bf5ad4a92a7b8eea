"""The annotation lab's batch notebook (issue 17 part 5): items per minute from the learner's own labels, shown in
lab.progress(); a graded check re-scores against hidden gold only; the shipped items are the generator's.

The notebook itself (reference en/uk/ja, four variants) runs in tests/test_labs.py."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from graders import Lab
from graders.labdef import load_lab

LABELS = {"stop", "warning", "info", "question", "complaint", "thanks"}


def _check(root: Path, hidden=None):
    from graders.checks import Check
    from labs.annotation import checks

    return checks.questions.run("q19", Check({}, hidden=hidden, context={"workdir": str(root)}, lang="en"))


@pytest.fixture
def work(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("GRADERS_WORKSPACE", str(tmp_path / "ws"))
    root = tmp_path / "annotation"
    shutil.copytree(load_lab("annotation").data_dir, root)
    monkeypatch.chdir(root)
    return root


def _gold() -> dict:
    return json.loads((load_lab("annotation").path / "gold" / "batch.json").read_text())


def test_speed_from_the_learners_own_labels_shows_in_the_progress_view(work, monkeypatch, capsys):
    from labs.annotation import batch

    lab = Lab("annotation", lang="uk")
    job = batch.BatchJob(lab)
    clock = iter(1000.0 + 6 * n for n in range(200))          # one label every 6 s: 10 items per minute
    monkeypatch.setattr(batch, "time", SimpleNamespace(time=lambda: next(clock)))
    gold = _gold()
    for item in list(gold)[:21]:
        job.label(item, gold[item])
    job.label(list(gold)[0], gold[list(gold)[0]])             # a changed label is not a new item
    capsys.readouterr()
    lab.progress()
    shown = capsys.readouterr().out
    assert "розмічено 21 елемент з 54" in shown and "10.0 елемента за хвилину" in shown, shown
    verdict = _check(work)                                    # unfinished: no agreement yet, says what is missing
    assert verdict.message_ids() == ["annotation.q19.unfinished"]


def test_a_graded_check_judges_the_batch_from_hidden_gold_only(work, monkeypatch):
    from labs.annotation import checks
    from labs.annotation.batch import BatchJob, load_items

    lab = Lab("annotation", lang="en")
    job = BatchJob(lab)
    gold = _gold()
    wrong = {"sign": 0, "text": 0}
    for item in load_items(work):                              # 6 of 54 differ: 88.9 %, under the 90 % target
        name = item["id"]
        group = "sign" if "image" in item else "text"
        label = gold[name]
        if wrong[group] < 3:
            label = next(c for c in item["choices"] if c != gold[name])
            wrong[group] += 1
        job.label(name, label)
    monkeypatch.setattr(checks, "_gold_readable", lambda name: False)   # gold/ masked, as in the grading sandbox
    visible = _check(work)
    assert visible.passed and "annotation.practice.graded" in visible.message_ids(), visible.message_ids()
    hidden = json.loads((load_lab("annotation").hidden_dir / "q19.json").read_text())
    graded = _check(work, hidden)
    assert not graded.passed and "annotation.q19.below" in graded.message_ids(), graded.message_ids()
    texts = [p.message.render("en", **p.params) for p in graded.failures]
    assert any("88.9" in t for t in texts)
    # the differing items are named by kind, never with their gold label
    assert not any(label in t.replace("annotations/batch.json", "") for t in texts for label in LABELS), texts


def test_the_shipped_batch_is_the_generators_and_its_hidden_copy_matches(work):
    from labs.annotation.solutions import make_batch

    items, gold = make_batch.build()
    lab_def = load_lab("annotation")
    shipped = json.loads((lab_def.data_dir / "batch" / "items.json").read_text(encoding="utf-8"))["items"]
    assert [i["id"] for i in items] == [i["id"] for i in shipped] and len(shipped) >= 50
    assert not any("label" in i or "gold" in i for i in shipped)          # the learner's file holds no answers
    assert gold == _gold() == json.loads((lab_def.hidden_dir / "q19.json").read_text())["practice"]
    assert {i["kind"] for i in shipped} == {"clear", "small", "faded", "odd_colour", "text_en", "text_uk", "text_ja"}
