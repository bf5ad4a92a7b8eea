"""The lab's annotation jobs: which items, which labels, which Label Studio config, where the learner's work is saved.

One place for these facts, used by the data generator, the learner's tools and the checks alike.
"""
from __future__ import annotations

from dataclasses import dataclass

BOX_LABELS = ["person", "car", "bicycle"]
SIGN_LABELS = ["stop", "warning", "speed_limit"]
PHOTO_CLASSES = ["person", "animal", "vehicle", "document", "other"]
ENTITY_LABELS = ["PER", "ORG", "LOC", "DATE"]
TOPICS = ["job", "event", "housing"]
PROBLEMS = ["loose", "cut", "wrong_class", "not_an_object", "missed"]
GUIDELINE_VERDICTS = ["ok"] + PROBLEMS[:4]

STREET_PRACTICE = ["street_01.png", "street_02.png", "street_03.png"]
STREET_REVIEW = ["street_04.png"]
SIGN_PRACTICE = ["signs_01.png", "signs_02.png"]
SIGN_REVIEW = ["signs_03.png"]
PHOTO_PRACTICE = ["astronaut.jpg", "camera.jpg", "chelsea.jpg", "horse.jpg", "rocket.jpg", "page.jpg", "coffee.jpg",
                  "clock.jpg"]
PHOTO_REVIEW = ["coins.jpg", "street_car.jpg"]
TEXT_PRACTICE = ["en_01", "en_02", "uk_01", "uk_02", "ja_01", "ja_02"]
TEXT_REVIEW = ["en_03", "uk_03", "ja_03"]


@dataclass(frozen=True)
class JobDef:
    """One annotation job: its items (pictures or texts), its labels, its config and its output file."""

    name: str             # "boxes"
    kind: str             # "choices", "rectangles", "polygons" or "spans"
    labels: tuple         # the classes a learner may use
    items: tuple          # picture file names (in images/) or text ids (in texts/texts.json)
    practice: tuple       # the items with gold the checks use while practising; the rest are review items
    config: str           # configs/<name>.xml (Label Studio labeling config)
    file: str             # annotations/<name>.json (the learner's work, Label Studio JSON)
    title: str            # project title in Label Studio
    extra: tuple = ()     # texts: the topics of the document classification

    @property
    def control(self) -> str:
        return {"choices": "class", "rectangles": "label", "polygons": "label", "spans": "entity"}[self.kind]

    @property
    def result_type(self) -> str:
        return {"choices": "choices", "rectangles": "rectanglelabels", "polygons": "polygonlabels",
                "spans": "labels"}[self.kind]

    @property
    def object_name(self) -> str:
        return "text" if self.kind == "spans" else "image"


JOBS = {
    "classes": JobDef("classes", "choices", tuple(PHOTO_CLASSES), tuple(PHOTO_PRACTICE + PHOTO_REVIEW),
                      tuple(PHOTO_PRACTICE), "configs/classes.xml", "annotations/classes.json",
                      "Annotation lab: photo classes"),
    "boxes": JobDef("boxes", "rectangles", tuple(BOX_LABELS), tuple(STREET_PRACTICE + STREET_REVIEW),
                    tuple(STREET_PRACTICE), "configs/boxes.xml", "annotations/boxes.json",
                    "Annotation lab: boxes"),
    "polygons": JobDef("polygons", "polygons", tuple(SIGN_LABELS), tuple(SIGN_PRACTICE + SIGN_REVIEW),
                       tuple(SIGN_PRACTICE), "configs/polygons.xml", "annotations/polygons.json",
                       "Annotation lab: road signs"),
    "texts": JobDef("texts", "spans", tuple(ENTITY_LABELS), tuple(TEXT_PRACTICE + TEXT_REVIEW), tuple(TEXT_PRACTICE),
                    "configs/texts.xml", "annotations/texts.json", "Annotation lab: texts", extra=tuple(TOPICS)),
}


# --- correcting a model's pre-labels (notebook prelabels) -----------------------------------------------------------
# Kept apart from JOBS (the jobs drawn from scratch): these items arrive with a model's predictions.
PRELABEL_PRACTICE = ["prelabel_01.png", "prelabel_02.png"]
PRELABEL_REVIEW = ["prelabel_03.png"]
PRELABEL_TEXT_PRACTICE = ["pl_en", "pl_uk", "pl_ja"]
PRELABEL_TEXT_REVIEW = ["pl_review"]

PRELABEL_JOBS = {
    "prelabels": JobDef("prelabels", "rectangles", tuple(BOX_LABELS), tuple(PRELABEL_PRACTICE + PRELABEL_REVIEW),
                        tuple(PRELABEL_PRACTICE), "configs/boxes.xml", "annotations/prelabels.json",
                        "Annotation lab: correcting pre-labelled boxes"),
    "prelabel_texts": JobDef("prelabel_texts", "spans", tuple(ENTITY_LABELS),
                             tuple(PRELABEL_TEXT_PRACTICE + PRELABEL_TEXT_REVIEW), tuple(PRELABEL_TEXT_PRACTICE),
                             "configs/texts.xml", "annotations/prelabel_texts.json",
                             "Annotation lab: correcting pre-labelled entities", extra=tuple(TOPICS)),
}
