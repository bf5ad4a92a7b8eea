"""Sample files for the delivery notebook: ``python -m labs.annotation.solutions.make_delivery``.

``data/samples/polygons_sample.json``: the practice signs traced as the reference does it, in Label Studio's JSON,
for a learner who delivers outlines without having traced any (like ``boxes_sample.json`` for boxes), and
``data/samples/texts_sample.json``, the practice texts marked, for the BIO delivery. Practice items only: the review
items' answers are never shipped. ``data/samples/classes_sample.json``: an earlier batch's photo classes (other
photos), for the CSV delivery without notebook 2.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

from . import scenes
from .make_data import DATA, TEXTS, sign_reference, write_json
from ..sets import SIGN_PRACTICE, TEXT_PRACTICE


def polygons_sample() -> list[dict]:
    from .. import kit

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "configs").mkdir()
        (root / "configs" / "polygons.xml").write_text((DATA / "configs" / "polygons.xml").read_text())
        (root / "images").symlink_to(DATA / "images")
        job = kit.PolygonJob(root, quiet=True)
        for name, polygons in sign_reference(scenes.draw(scenes.sign_scenes(), scenes.sign_background)).items():
            if name in SIGN_PRACTICE:
                for label, points in polygons:
                    job.add(name, label, points)
        tasks = json.loads(job.path.read_text(encoding="utf-8"))
    for task in tasks:          # stable ids, so the committed file is what this script writes
        for number, region in enumerate(task["annotations"][0]["result"], start=1):
            region["id"] = f"{Path(task['data']['image']).stem}_{number}"
    return [t for t in tasks if Path(t["data"]["image"]).name in SIGN_PRACTICE]


def texts_sample() -> list[dict]:
    """The practice texts marked as the reference does it (entities and topics), for a BIO delivery without notebook 5."""
    from .. import kit

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "configs").mkdir()
        (root / "configs" / "texts.xml").write_text((DATA / "configs" / "texts.xml").read_text())
        (root / "texts").symlink_to(DATA / "texts")
        job = kit.TextJob(root, quiet=True)
        for tid in TEXT_PRACTICE:
            _, topic, _, entities = TEXTS[tid]
            for words, label in entities:
                job.mark(tid, words, label)
            job.classify(tid, topic)
        tasks = json.loads(job.path.read_text(encoding="utf-8"))
    for task in tasks:
        for number, region in enumerate(task["annotations"][0]["result"], start=1):
            region["id"] = f"{task['data']['name']}_{number}"
    return [t for t in tasks if t["data"]["name"] in TEXT_PRACTICE]


# An earlier batch of a colleague (other photos than notebook 2's, so the sample gives away none of its answers).
EARLIER_BATCH = [("market_01.jpg", "person"), ("market_02.jpg", "vehicle"), ("market_03.jpg", "animal"),
                 ("market_04.jpg", "document"), ("market_05.jpg", "other"), ("market_06.jpg", "person"),
                 ("market_07.jpg", "vehicle"), ("market_08.jpg", "other")]


def classes_sample() -> list[dict]:
    """An earlier batch's photo classes, as the classification tool saves them, for a CSV delivery without notebook 2."""
    config = (DATA / "configs" / "classes.xml").read_text(encoding="utf-8")
    from .. import kit

    interface = kit.label_interface(config)
    tasks = []
    for number, (name, label) in enumerate(EARLIER_BATCH, start=1):
        region = {"id": f"{Path(name).stem}_1", "from_name": "class", "to_name": "image", "type": "choices",
                  "value": {"choices": [label]}}
        annotation = {"id": number, "result": [region], "was_cancelled": False, "ground_truth": False}
        assert interface.validate_prediction(annotation, return_errors=True) == []
        tasks.append({"id": number, "data": {"image": f"images/{name}"}, "annotations": [annotation]})
    return tasks


def main() -> int:
    write_json(DATA / "samples" / "polygons_sample.json", polygons_sample())
    write_json(DATA / "samples" / "texts_sample.json", texts_sample())
    write_json(DATA / "samples" / "classes_sample.json", classes_sample())
    print(f"wrote {DATA / 'samples' / 'polygons_sample.json'}, {DATA / 'samples' / 'texts_sample.json'}, "
          f"{DATA / 'samples' / 'classes_sample.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
