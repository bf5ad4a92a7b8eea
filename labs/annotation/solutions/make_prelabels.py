"""Make the data of the prelabels notebook: ``python -m labs.annotation.solutions.make_prelabels [--reference]``.

Pictures drawn with the same scenes as notebook 3 (so every gold box is exact) and short texts in three languages,
each shipped with a model's predictions in Label Studio's format (``data/prelabels/*.json``: tasks with
``predictions``, what a team imports when a model pre-labels the queue). The predictions carry planted, typical model
errors: a missed small object, a box that is too loose, a wrong class, a false alarm on a poster, a span cut short, a
wrong entity label. The gold lists them (``planted``), so the check can say which model errors the learner left.

Writes data/images/prelabel_*.png, data/prelabels/, gold/prelabels.json and hidden/q13.json (the review items);
``--reference`` prints the reference answer. Like make_data, it knows every answer: it never reaches learners.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import scenes
from .make_data import DATA, GOLD, HIDDEN, save_png, spans_of, street_gold, write_json
from ..sets import PRELABEL_PRACTICE, PRELABEL_REVIEW, PRELABEL_TEXT_PRACTICE, PRELABEL_TEXT_REVIEW

MODEL = "street-detector-2.3"
TEXT_MODEL = "ner-multilingual-1.4"

# picture -> (background seed, items back to front, planted errors by object index (or "negative N"))
PICTURES = {
    "prelabel_01.png": (31, lambda: [
        scenes.person(110, 212, 140, "#5e35b1", "#37474f"),
        scenes.person(560, 188, 40, "#ef6c00", "#263238"),          # small, far away: the model misses it
        scenes.car(250, 372, 220, "#c62828"),                        # the model's box is too loose
        scenes.bicycle(540, 394, 140, "#00838f"),
    ], {1: ("missed",), 2: ("loose",)}),
    "prelabel_02.png": (32, lambda: [
        *scenes.poster(470, 34, 118, 140),                           # the model takes the printed person for one
        scenes.person(150, 300, 150, "#2e7d32", "#1a237e"),
        scenes.bicycle(330, 392, 160, "#6a1b9a"),                    # the model calls it a car
        scenes.car(430, 336, 190, "#f9a825"),
    ], {"negative 0": ("false_positive",), 1: ("wrong_class", "car")}),
    "prelabel_03.png": (33, lambda: [                                # the review item (graded)
        scenes.person(230, 318, 150, "#ad1457", "#212121"),          # too loose
        scenes.person(600, 186, 38, "#1565c0", "#3e2723"),           # small, missed
        scenes.car(380, 384, 214, "#00897b", facing="left"),
        scenes.bicycle(120, 396, 160, "#f4511e"),                    # called a person
    ], {0: ("loose",), 1: ("missed",), 3: ("wrong_class", "person")}),
}

# text id -> (language, text, gold entities, planted errors by entity index)
TEXTS = {
    "pl_en": ("en", "Hoshino Care Services opens a new day centre in Sendai on 2 September 2025. Contact Mr. David Lee.",
              [("Hoshino Care Services", "ORG"), ("Sendai", "LOC"), ("2 September 2025", "DATE"), ("David Lee", "PER")],
              {0: ("cut_short", "Hoshino Care")}),
    "pl_uk": ("uk", "Бібліотека «Світанок» у Кіото проводить урок японської мови 5 жовтня 2025 року. Веде Марта Іваненко.",
              [("Світанок", "ORG"), ("Кіото", "LOC"), ("5 жовтня 2025 року", "DATE"), ("Марта Іваненко", "PER")],
              {0: ("wrong_label", "LOC")}),
    "pl_ja": ("ja", "2025年10月3日、名古屋のみどり日本語学校で説明会があります。担当は高橋さんです。",
              [("2025年10月3日", "DATE"), ("名古屋", "LOC"), ("みどり日本語学校", "ORG"), ("高橋", "PER")],
              {}),
    "pl_review": ("en", "Maple Tree Language School in Kobe starts evening classes on 8 January 2026. Ask Ms. Olena Shevchenko.",
                  [("Maple Tree Language School", "ORG"), ("Kobe", "LOC"), ("8 January 2026", "DATE"),
                   ("Olena Shevchenko", "PER")],
                  {2: ("cut_short", "8 January")}),
}

LOOSE = (12, 10, 14, 12)   # px the loose box reaches beyond the object: left, top, right, bottom


def _clip(box, W, H):
    x, y, w, h = box
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    return [x0, y0, x1 - x0, y1 - y0]


def _rect(rid, label, box, W, H, score) -> dict:
    x, y, w, h = box
    return {"id": rid, "type": "rectanglelabels", "from_name": "label", "to_name": "image",
            "original_width": W, "original_height": H, "image_rotation": 0, "score": score,
            "value": {"x": 100 * x / W, "y": 100 * y / H, "width": 100 * w / W, "height": 100 * h / H,
                      "rotation": 0, "rectanglelabels": [label]}}


def pictures() -> tuple[dict, dict, dict]:
    """(drawn pictures, gold with planted errors, Label Studio tasks with predictions)."""
    drawn = {name: scenes.render(scenes.street_background(seed), items())
             for name, (seed, items, _) in PICTURES.items()}
    gold = street_gold(drawn)
    tasks, number = [], 0
    for index, (name, (_, _, planted)) in enumerate(PICTURES.items(), start=1):
        g = gold[name]
        W, H = g["width"], g["height"]
        result, notes = [], []
        for j, obj in enumerate(g["objects"]):
            kind = planted.get(j, ("ok",))
            if kind[0] == "missed":
                notes.append({"kind": "missed", "object": j})
                continue
            x, y, w, h = obj["box"]
            label, score = obj["label"], 0.93
            box = _clip([x - 1, y, w + 1, h + 1], W, H)          # a model's box: close, not pixel-exact
            if kind[0] == "loose":
                l, t, r, b = LOOSE
                box, score = _clip([x - l, y - t, w + l + r, h + t + b], W, H), 0.81
            elif kind[0] == "wrong_class":
                label, score = kind[1], 0.62
            number += 1
            result.append(_rect(f"p{number}", label, box, W, H, score))
            if kind[0] != "ok":
                notes.append({"kind": kind[0], "object": j, "region": f"p{number}", "predicted": label})
        for k, neg in enumerate(g["negatives"]):
            if planted.get(f"negative {k}", ("",))[0] == "false_positive":
                number += 1
                result.append(_rect(f"p{number}", "person", neg["box"], W, H, 0.55))
                notes.append({"kind": "false_positive", "negative": k, "region": f"p{number}"})
        g["planted"] = notes
        tasks.append({"id": index, "data": {"image": f"images/{name}"},
                      "predictions": [{"model_version": MODEL, "score": round(min(r["score"] for r in result), 2),
                                       "result": result}]})
    return drawn, gold, tasks


def texts() -> tuple[dict, list]:
    gold, tasks = {}, []
    for index, (tid, (lang, text, entities, planted)) in enumerate(TEXTS.items(), start=1):
        spans = spans_of(text, entities)
        order = {e[0]: i for i, e in enumerate(entities)}
        result, notes = [], []
        for s in spans:
            i = order[s["text"]]
            kind = planted.get(i, ("ok",))
            start, end, label = s["start"], s["end"], s["label"]
            if kind[0] == "cut_short":
                assert text.startswith(kind[1], start) and len(kind[1]) < end - start
                end = start + len(kind[1])
            elif kind[0] == "wrong_label":
                label = kind[1]
            result.append({"id": f"{tid}_{len(result) + 1}", "type": "labels", "from_name": "entity",
                           "to_name": "text", "score": 0.9 if kind[0] == "ok" else 0.7,
                           "value": {"start": start, "end": end, "text": text[start:end], "labels": [label]}})
            if kind[0] != "ok":
                notes.append({"kind": kind[0], "span": spans.index(s), "predicted": text[start:end],
                              "label": label})
        gold[tid] = {"lang": lang, "spans": spans, "planted": notes}
        tasks.append({"id": index, "data": {"text": text, "name": tid, "lang": lang},
                      "predictions": [{"model_version": TEXT_MODEL, "score": 0.8, "result": result}]})
    return gold, tasks


def reference(gold_images: dict, gold_texts: dict) -> str:
    """The reference answer: fix, delete, add, then accept each item (in the notebook's own commands)."""
    lines = []
    for name, g in gold_images.items():
        for p in g["planted"]:
            if p["kind"] == "false_positive":
                lines.append(f'boxes.delete("{p["region"]}")')
            else:
                obj = g["objects"][p["object"]]
                x, y, w, h = obj["box"]
                if p["kind"] == "loose":
                    lines.append(f'boxes.fix("{p["region"]}", x={x}, y={y}, width={w}, height={h})')
                elif p["kind"] == "wrong_class":
                    lines.append(f'boxes.fix("{p["region"]}", label="{obj["label"]}")')
                else:
                    lines.append(f'boxes.add("{name}", "{obj["label"]}", x={x}, y={y}, width={w}, height={h})')
        lines.append(f'boxes.accept("{name}")')
    for tid, g in gold_texts.items():
        for p in g["planted"]:
            span = g["spans"][p["span"]]
            if p["kind"] == "cut_short":
                lines.append(f'texts.unmark("{tid}", "{p["predicted"]}")')
            lines.append(f'texts.mark("{tid}", "{span["text"]}", "{span["label"]}")')
        lines.append(f'texts.accept("{tid}")')
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reference", action="store_true", help="print the reference answer and stop")
    args = p.parse_args(argv)
    drawn, gold_images, box_tasks = pictures()
    gold_texts, text_tasks = texts()
    if args.reference:
        print(reference(gold_images, gold_texts))
        return 0
    for name, (img, _) in drawn.items():
        save_png(img, DATA / "images" / name)
    write_json(DATA / "prelabels" / "boxes.json", box_tasks)
    write_json(DATA / "prelabels" / "texts.json", text_tasks)
    write_json(GOLD / "prelabels.json", {"images": {n: gold_images[n] for n in PRELABEL_PRACTICE},
                                         "texts": {t: gold_texts[t] for t in PRELABEL_TEXT_PRACTICE}})
    write_json(HIDDEN / "q13.json", {"images": {n: gold_images[n] for n in PRELABEL_REVIEW},
                                     "texts": {t: gold_texts[t] for t in PRELABEL_TEXT_REVIEW}})
    print(f"wrote prelabel pictures, {DATA / 'prelabels'}, {GOLD / 'prelabels.json'}, {HIDDEN / 'q13.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
