"""Make the annotation lab's data, gold and hidden gold: ``python -m labs.annotation.solutions.make_data [--reference]``.

Everything is drawn or computed here, deterministically, so the gold geometry is exact:

* ``data/``   what learners get: pictures, texts, label configs, another annotator's work to review.
* ``gold/``   gold for the practice items (the checks use it while learners practise).
* ``hidden/`` gold for the review items, used only when work is graded (inlined into the hidden test blocks).

``--reference`` prints the reference answers in the form the notebooks use (paste them into the notebooks' answer
cells after changing a scene). ``tests/test_annotation.py`` checks that the committed gold is what this script
computes. This module knows every answer, the review items' too: it lives in ``solutions/``, which never reaches a
learner's environment.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from . import scenes
from ..sets import (BOX_LABELS, ENTITY_LABELS, PHOTO_CLASSES, PHOTO_REVIEW, SIGN_LABELS, SIGN_PRACTICE, SIGN_REVIEW,
                   STREET_PRACTICE, STREET_REVIEW, TEXT_PRACTICE, TEXT_REVIEW, TOPICS)

HERE = Path(__file__).resolve().parent.parent   # labs/annotation
DATA, GOLD, HIDDEN = HERE / "data", HERE / "gold", HERE / "hidden"

# Photos from scikit-image's bundled data (public domain or CC0, see skimage.data's documentation).
PHOTOS_PRACTICE = {"astronaut": "person", "camera": "person", "chelsea": "animal", "horse": "animal",
                   "rocket": "vehicle", "page": "document", "coffee": "other", "clock": "other"}
PHOTOS_REVIEW = {"coins": "other", "street_car": "vehicle"}
assert [f"{k}.jpg" for k in PHOTOS_REVIEW] == PHOTO_REVIEW

COLORS = {"person": "#1f77b4", "car": "#ff7f0e", "bicycle": "#2ca02c",
          "stop": "#d62728", "warning": "#bcbd22", "speed_limit": "#9467bd",
          "PER": "#1f77b4", "ORG": "#ff7f0e", "LOC": "#2ca02c", "DATE": "#9467bd"}

# Short texts in three languages. Entities are given as (text, label, occurrence); offsets are computed.
TEXTS = {
    "en_01": ("en", "job",
              "Sakura Logistics Ltd is hiring warehouse staff in Yokohama. Interviews start on 3 March 2025. "
              "Ask Ms. Aiko Tanaka for details.",
              [("Sakura Logistics Ltd", "ORG"), ("Yokohama", "LOC"), ("3 March 2025", "DATE"), ("Aiko Tanaka", "PER")]),
    "en_02": ("en", "event",
              "The Ukrainian Community Centre in Osaka invites everyone to a career day on 14 June 2025. "
              "Mentors from Rakuten will look at your CV.",
              [("Ukrainian Community Centre", "ORG"), ("Osaka", "LOC"), ("14 June 2025", "DATE"), ("Rakuten", "ORG")]),
    "uk_01": ("uk", "housing",
              "Здається квартира у Кавасакі з 1 квітня 2025 року. Дзвоніть пані Олені Коваленко.",
              [("Кавасакі", "LOC"), ("1 квітня 2025 року", "DATE"), ("Олені Коваленко", "PER")]),
    "uk_02": ("uk", "job",
              "Компанія «Мрія Софт» шукає тестувальника у Фукуоці. Співбесіду проведе Тарас Бондар 20 травня 2025 року.",
              [("Мрія Софт", "ORG"), ("Фукуоці", "LOC"), ("Тарас Бондар", "PER"), ("20 травня 2025 року", "DATE")]),
    "ja_01": ("ja", "event",
              "2025年6月16日、東京の国際交流センターで日本語の無料講座を開きます。担当は佐藤さんです。",
              [("2025年6月16日", "DATE"), ("東京", "LOC"), ("国際交流センター", "ORG"), ("佐藤", "PER")]),
    "ja_02": ("ja", "housing",
              "横浜市のアパートは2025年4月1日から入居できます。管理会社は山田不動産株式会社です。",
              [("横浜市", "LOC"), ("2025年4月1日", "DATE"), ("山田不動産株式会社", "ORG")]),
    # review texts (graded)
    "en_03": ("en", "housing",
              "A room near Shinjuku Station is free from 1 May 2025. Write to Mr. Kenji Mori at Aoba Housing Inc today.",
              [("Shinjuku Station", "LOC"), ("1 May 2025", "DATE"), ("Kenji Mori", "PER"), ("Aoba Housing Inc", "ORG")]),
    "uk_03": ("uk", "event",
              "Клуб «Калина» запрошує на концерт у Ніїгаті 24 серпня 2025 року. Квитки продає Ірина Ткач.",
              [("Калина", "ORG"), ("Ніїгаті", "LOC"), ("24 серпня 2025 року", "DATE"), ("Ірина Ткач", "PER")]),
    "ja_03": ("ja", "job",
              "株式会社ミドリ食品が大阪で工場スタッフを募集しています。面接は2025年7月1日、担当は鈴木さんです。",
              [("株式会社ミドリ食品", "ORG"), ("大阪", "LOC"), ("2025年7月1日", "DATE"), ("鈴木", "PER")]),
}


# --- label configs (Label Studio XML) ---------------------------------------------------------------------------

def _labels(tag: str, values: list[str]) -> str:
    return "\n".join(f'    <{tag} value="{v}" background="{COLORS.get(v, "#888888")}"/>' for v in values)


CONFIGS = {
    "classes": f"""<View>
  <Image name="image" value="$image" maxWidth="480px"/>
  <Choices name="class" toName="image" choice="single" showInline="true" required="true">
{chr(10).join(f'    <Choice value="{c}"/>' for c in PHOTO_CLASSES)}
  </Choices>
</View>
""",
    "boxes": f"""<View>
  <Image name="image" value="$image" zoom="true" zoomControl="true"/>
  <RectangleLabels name="label" toName="image" strokeWidth="2">
{_labels("Label", BOX_LABELS)}
  </RectangleLabels>
</View>
""",
    "polygons": f"""<View>
  <Image name="image" value="$image" zoom="true" zoomControl="true"/>
  <PolygonLabels name="label" toName="image" strokeWidth="2" pointSize="small" opacity="0.5">
{_labels("Label", SIGN_LABELS)}
  </PolygonLabels>
</View>
""",
    "texts": f"""<View>
  <Labels name="entity" toName="text">
{_labels("Label", ENTITY_LABELS)}
  </Labels>
  <Text name="text" value="$text" granularity="symbol"/>
  <Choices name="topic" toName="text" choice="single" showInline="true">
{chr(10).join(f'    <Choice value="{t}"/>' for t in TOPICS)}
  </Choices>
</View>
""",
}


# --- helpers ----------------------------------------------------------------------------------------------------

def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def save_png(img: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG", optimize=True)


def rle_of(mask: np.ndarray) -> dict:
    from pycocotools import mask as mask_utils

    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(v) for v in rle["size"]], "counts": rle["counts"].decode("ascii")}


def outline_of(mask: np.ndarray, tolerance: float = 1.2) -> list[tuple[float, float]]:
    """A polygon that traces a mask (for the reference answer of a partly hidden sign)."""
    from skimage.measure import approximate_polygon, find_contours

    contour = max(find_contours(np.pad(mask, 1).astype(float), 0.5), key=len)
    simple = approximate_polygon(contour, tolerance=tolerance)[:-1]
    return [(round(float(c) - 1 + 0.5, 1), round(float(r) - 1 + 0.5, 1)) for r, c in simple]


def box_entry(e: dict) -> dict:
    visible_px = e["area_visible"]
    return {"label": e["item"].label, "box": e["box"], "full_box": e["full_box"],
            "visible": round(visible_px / e["area_full"], 2),
            "occluded": e["occluded_px"] > 0.05 * (visible_px + e["occluded_px"]),
            "truncated": e["truncated_px"] > 0}


def street_gold(drawn) -> dict:
    out = {}
    for name, (img, entries) in drawn.items():
        objects = [box_entry(e) for e in entries if e["item"].kind == "object"]
        negatives = [{"label": e["item"].label, "box": e["box"], "note": e["item"].note}
                     for e in entries if e["item"].kind == "negative"]
        out[name] = {"width": img.width, "height": img.height, "objects": objects, "negatives": negatives}
    return out


def sign_gold(drawn) -> dict:
    out = {}
    for name, (img, entries) in drawn.items():
        objects = []
        for e in entries:
            if e["item"].kind != "object":
                continue
            objects.append({"label": e["item"].label, "box": e["box"], "area": e["area_visible"],
                            "occluded": e["occluded_px"] > 0.02 * e["area_full"], "rle": rle_of(e["visible_mask"])})
        out[name] = {"width": img.width, "height": img.height, "objects": objects}
    return out


def sign_reference(drawn) -> dict:
    out = {}
    for name, (img, entries) in drawn.items():
        polys = []
        for e in entries:
            it = e["item"]
            if it.kind != "object":
                continue
            occluded = e["occluded_px"] > 0.02 * e["area_full"]
            pts = outline_of(e["visible_mask"]) if occluded else [(round(x, 1), round(y, 1)) for x, y in it.outline]
            polys.append((it.label, pts))
        out[name] = polys
    return out


def photos() -> dict[str, Image.Image]:
    import skimage.data

    out = {}
    for name in list(PHOTOS_PRACTICE) + list(PHOTOS_REVIEW):
        if name == "street_car":
            img, _ = scenes.render(scenes.street_background(11), scenes.street_scenes()["street_01.png"][1])
            img = img.crop((190, 200, 470, 390))
        else:
            arr = getattr(skimage.data, name)()
            if arr.dtype == bool:
                arr = np.where(arr, 0, 255).astype(np.uint8)   # the horse: a black silhouette on white
            img = Image.fromarray(arr).convert("RGB")
        img.thumbnail((240, 240), Image.LANCZOS)
        out[f"{name}.jpg"] = img
    return out


def spans_of(text: str, entities) -> list[dict]:
    spans = []
    for words, label in entities:
        start = text.find(words)
        assert start >= 0 and text.find(words, start + 1) < 0, (words, text)
        spans.append({"start": start, "end": start + len(words), "text": words, "label": label})
    return sorted(spans, key=lambda s: s["start"])


# --- guideline cases (notebook 1) ------------------------------------------------------------------------------------

CASES = {  # letter -> (scene, crop box, proposed box (x, y, w, h) in the scene, proposed label, the right verdict)
    "A": ("street_01.png", (20, 50, 240, 230), None, "person", "ok"),
    "B": ("street_01.png", (190, 215, 450, 395), "loose", "car", "loose"),
    "C": ("street_02.png", (20, 20, 240, 210), "negative", "person", "not_an_object"),
    "D": ("street_02.png", (200, 110, 440, 300), "head", "person", "cut"),
    "E": ("street_02.png", (420, 190, 640, 380), None, "car", "ok"),
    "F": ("street_01.png", (420, 260, 640, 400), None, "car", "wrong_class"),
}


def guideline_cases(drawn) -> tuple[Image.Image, dict]:
    gold = street_gold(drawn)
    panel_w, panel_h, label_h = 220, 190, 34
    sheet = Image.new("RGB", (3 * panel_w + 40, 2 * (panel_h + label_h) + 30), "white")
    font = ImageFont.load_default(size=22)
    small = ImageFont.load_default(size=15)
    answers = {}
    for index, (letter, (scene, crop, how, label, verdict)) in enumerate(CASES.items()):
        img = drawn[scene][0]
        objects = gold[scene]["objects"]
        x0, y0, x1, y1 = crop
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2

        def nearest(items):
            return min(items, key=lambda o: (o["box"][0] + o["box"][2] / 2 - cx) ** 2 + (o["box"][1] + o["box"][3] / 2 - cy) ** 2)

        if how == "negative":
            box = nearest(gold[scene]["negatives"])["box"]
        else:
            wanted = label if verdict != "wrong_class" else "bicycle"
            box = list(nearest([o for o in objects if o["label"] == wanted])["box"])
            if how == "loose":
                box = [box[0] - 14, box[1] - 16, box[2] + 28, box[3] + 30]
            elif how == "head":
                box = [box[0] + 18, box[1], box[2] - 36, 30]
        panel = img.crop(crop).resize((panel_w, panel_h), Image.NEAREST)
        sx, sy = panel_w / (x1 - x0), panel_h / (y1 - y0)
        d = ImageDraw.Draw(panel)
        bx0, by0 = (box[0] - x0) * sx, (box[1] - y0) * sy
        bx1, by1 = (box[0] + box[2] - x0) * sx - 1, (box[1] + box[3] - y0) * sy - 1
        d.rectangle([bx0, by0, bx1, by1], outline="#ff00ff", width=3)
        tag_w = d.textlength(label, font=small) + 8
        ty = by0 - 20 if by0 >= 20 else by0 + 2
        d.rectangle([bx0, ty, bx0 + tag_w, ty + 19], fill="#ff00ff")
        d.text((bx0 + 4, ty + 1), label, fill="white", font=small)
        col, row = index % 3, index // 3
        ox, oy = 10 + col * (panel_w + 10), 10 + row * (panel_h + label_h + 10)
        sheet.paste(panel, (ox, oy + label_h))
        ImageDraw.Draw(sheet).text((ox + 4, oy + 4), letter, fill="black", font=font)
        answers[letter] = verdict
    return sheet, answers


# --- quality control (notebook 6) ------------------------------------------------------------------------------------

def annotator_b(gold: dict) -> tuple[list[dict], dict, dict]:
    """Another annotator's boxes with planted mistakes; returns (regions, practice flags, review flags)."""
    regions, flags_practice, flags_review = [], {}, {}
    missed_practice, missed_review = [], []
    plan = {  # (image, object index) -> mistake
        ("street_01.png", 1): "loose", ("street_01.png", 3): "wrong_class",
        ("street_02.png", "neg0"): "not_an_object", ("street_02.png", 1): "missed", ("street_02.png", 3): "cut",
        ("street_03.png", 1): "cut",
        ("street_04.png", "neg0"): "not_an_object", ("street_04.png", 1): "loose", ("street_04.png", 3): "wrong_class",
        ("street_04.png", 0): "missed",
    }
    wrong_label = {"bicycle": "car", "person": "bicycle", "car": "person"}
    n = 0
    for name in STREET_PRACTICE + STREET_REVIEW:
        g = gold[name]
        items = [("neg0", {"label": "person", "box": g["negatives"][0]["box"]})] if g["negatives"] else []
        items = items + list(enumerate(g["objects"]))
        for key, obj in items:
            mistake = plan.get((name, key))
            if key == "neg0" and mistake is None:
                continue
            review = name in STREET_REVIEW
            if mistake == "missed":
                (missed_review if review else missed_practice).append({"image": name, "label": obj["label"]})
                continue
            x, y, w, h = obj["box"]
            label = obj["label"]
            if mistake == "loose":
                x, y, w, h = x - 9, y - 8, w + 19, h + 17
            elif mistake == "cut":
                w = w - (45 if obj.get("truncated") else round(w * 0.45))
            elif mistake == "wrong_class":
                label = wrong_label[label]
            n += 1
            rid = f"b{n}"
            regions.append({"id": rid, "image": name, "label": label, "box": [x, y, w, h]})
            if mistake:
                (flags_review if review else flags_practice)[rid] = mistake
    return (regions, {"flags": flags_practice, "missed": missed_practice},
            {"flags": flags_review, "missed": missed_review})


def two_annotators(seed: int = 7) -> tuple[str, dict]:
    """40 photos labelled by two annotators: a realistic mix of agreement and confusion."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(PHOTO_CLASSES, size=40, p=[0.3, 0.25, 0.2, 0.1, 0.15])
    confusions = {"animal": "other", "other": "document", "person": "other", "vehicle": "other", "document": "other"}
    a, b = [], []
    for i, t in enumerate(truth):
        a.append(t if rng.random() > 0.08 else confusions[t])
        b.append(t if rng.random() > 0.22 else confusions[t])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["photo", "annotator_a", "annotator_b"])
    for i, (x, y) in enumerate(zip(a, b), start=1):
        w.writerow([f"photo_{i:02d}.jpg", x, y])
    from sklearn.metrics import cohen_kappa_score

    return buf.getvalue(), {"kappa": float(cohen_kappa_score(a, b)),
                            "agreement": float(np.mean(np.array(a) == np.array(b)))}


def box_pairs(gold: dict, seed: int = 5, missed: tuple = (4, 11), loose: tuple = (2, 7, 9)) -> str:
    """Boxes two annotators drew for the same objects (an empty box: that annotator missed the object)."""
    rng = np.random.default_rng(seed)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["object", "label", "a_x", "a_y", "a_w", "a_h", "b_x", "b_y", "b_w", "b_h"])
    k = 0
    for name in STREET_PRACTICE:
        for obj in gold[name]["objects"]:
            k += 1
            x, y, bw, bh = obj["box"]
            a = [x + int(rng.integers(-2, 3)), y + int(rng.integers(-2, 3)), bw + int(rng.integers(-2, 4)),
                 bh + int(rng.integers(-2, 4))]
            if k in missed:
                b = ["", "", "", ""]
            else:
                spread = 9 if k in loose else 3
                b = [x + int(rng.integers(-spread, spread + 1)), y + int(rng.integers(-spread, spread + 1)),
                     bw + int(rng.integers(-spread, spread + 2)), bh + int(rng.integers(-spread, spread + 2))]
            w.writerow([f"{name}#{k}", obj["label"], *a, *b])
    return buf.getvalue()


def grading_data() -> None:
    """The quality notebook's tables for grading (q8, q9): the same shape (40 photos; 13 objects, 2 missed), other
    labels and boxes. lab.toml ``[grading] files`` puts them over the learner's qc/ files when work is graded; their
    truth (and SHA-256, which checks.py also names) goes to hidden/q8.json and q9.json.
    ``python -m labs.annotation.solutions.make_data --grading`` (needs gold/boxes.json only)."""
    import hashlib

    from .. import scoring

    kappa_csv, agreement = two_annotators(seed=23)
    pairs_csv = box_pairs(json.loads((GOLD / "boxes.json").read_text(encoding="utf-8")), seed=29, missed=(3, 9),
                          loose=(1, 6, 12))
    (HIDDEN / "qc").mkdir(parents=True, exist_ok=True)
    (HIDDEN / "qc" / "two_annotators.csv").write_text(kappa_csv, encoding="utf-8")
    (HIDDEN / "qc" / "box_pairs.csv").write_text(pairs_csv, encoding="utf-8")
    ious, missed = [], 0
    for r in csv.DictReader(io.StringIO(pairs_csv)):
        if not r["b_x"]:
            ious.append(0.0)
            missed += 1
        else:
            a = [float(r[k]) for k in ("a_x", "a_y", "a_w", "a_h")]
            b = [float(r[k]) for k in ("b_x", "b_y", "b_w", "b_h")]
            ious.append(float(scoring.box_iou([a], [b])[0, 0]))
    sha = {name: hashlib.sha256(text.encode("utf-8")).hexdigest()
           for name, text in (("two_annotators", kappa_csv), ("box_pairs", pairs_csv))}
    write_json(HIDDEN / "q8.json", {**agreement, "sha256": sha["two_annotators"]})
    write_json(HIDDEN / "q9.json", {"mean_iou": sum(ious) / len(ious), "dropped": sum(ious) / (len(ious) - missed),
                                    "missed": missed, "sha256": sha["box_pairs"]})
    print(f"wrote {HIDDEN / 'qc'}, q8.json, q9.json; SHA-256 {sha}")


def practice_into_hidden() -> None:
    """The practice gold, also in the hidden data of the file-judged questions (q2-q7, q13): a graded checker does not
    see gold/ (lab.toml ``[grading_only] when_graded``), so the grading call judges the practice items from it."""
    for question, name in (("q2", "classes"), ("q3", "boxes"), ("q4", "polygons"), ("q5", "texts"), ("q6", "texts"),
                           ("q7", "review"), ("q13", "prelabels")):
        hidden = json.loads((HIDDEN / f"{question}.json").read_text(encoding="utf-8"))
        hidden["practice"] = json.loads((GOLD / f"{name}.json").read_text(encoding="utf-8"))
        write_json(HIDDEN / f"{question}.json", hidden)


# --- Label Studio tasks -------------------------------------------------------------------------------------------

def box_tasks(regions: list[dict], gold: dict) -> list[dict]:
    """Regions as Label Studio tasks (one per image), the way an export of a project looks."""
    tasks = []
    for index, name in enumerate(STREET_PRACTICE + STREET_REVIEW, start=1):
        g = gold[name]
        result = []
        for r in [r for r in regions if r["image"] == name]:
            x, y, w, h = r["box"]
            result.append({
                "id": r["id"], "type": "rectanglelabels", "from_name": "label", "to_name": "image",
                "original_width": g["width"], "original_height": g["height"], "image_rotation": 0,
                "value": {"x": 100 * x / g["width"], "y": 100 * y / g["height"], "width": 100 * w / g["width"],
                          "height": 100 * h / g["height"], "rotation": 0, "rectanglelabels": [r["label"]]}})
        tasks.append({"id": index, "data": {"image": f"images/{name}"},
                      "annotations": [{"id": index, "result": result, "was_cancelled": False, "ground_truth": False}]})
    return tasks


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reference", action="store_true", help="print the reference answers and stop")
    p.add_argument("--grading", action="store_true", help="write only the grading tables (q8, q9) and the practice "
                   "gold into the hidden data, then stop")
    args = p.parse_args(argv)
    if args.grading:
        grading_data()
        practice_into_hidden()
        return 0

    streets = scenes.draw(scenes.street_scenes(), scenes.street_background)
    signs = scenes.draw(scenes.sign_scenes(), scenes.sign_background)
    sgold = street_gold(streets)
    pgold = sign_gold(signs)
    texts = {tid: {"lang": lang, "topic": topic, "text": text, "spans": spans_of(text, ents)}
             for tid, (lang, topic, text, ents) in TEXTS.items()}

    if args.reference:
        print_reference(sgold, sign_reference(signs), texts)
        return 0

    for name, (img, _) in {**streets, **signs}.items():
        save_png(img, DATA / "images" / name)
    for name, img in photos().items():
        (DATA / "images").mkdir(parents=True, exist_ok=True)
        img.save(DATA / "images" / name, format="JPEG", quality=85, optimize=True)
    sheet, case_answers = guideline_cases(streets)
    save_png(sheet, DATA / "images" / "guideline_cases.png")
    for name, xml in CONFIGS.items():
        (DATA / "configs").mkdir(parents=True, exist_ok=True)
        (DATA / "configs" / f"{name}.xml").write_text(xml, encoding="utf-8")
    write_json(DATA / "texts" / "texts.json",
               [{"id": i, "data": {"text": t["text"], "name": tid, "lang": t["lang"]}}
                for i, (tid, t) in enumerate(texts.items(), start=1)])

    regions, flags_practice, flags_review = annotator_b(sgold)
    write_json(DATA / "qc" / "annotator_b.json", box_tasks(regions, sgold))
    kappa_csv, agreement = two_annotators()
    (DATA / "qc" / "two_annotators.csv").write_text(kappa_csv, encoding="utf-8")
    (DATA / "qc" / "box_pairs.csv").write_text(box_pairs(sgold), encoding="utf-8")
    pairs = [(n, o) for n in STREET_PRACTICE for o in sgold[n]["objects"]]
    sample = [{"id": f"s{i}", "image": n, "label": o["label"], "box": o["box"]} for i, (n, o) in enumerate(pairs, 1)]
    write_json(DATA / "samples" / "boxes_sample.json", box_tasks(sample, sgold)[:len(STREET_PRACTICE)])

    write_json(GOLD / "guidelines.json", case_answers)
    write_json(GOLD / "classes.json", {f"{k}.jpg": v for k, v in PHOTOS_PRACTICE.items()})
    write_json(GOLD / "boxes.json", {n: sgold[n] for n in STREET_PRACTICE})
    write_json(GOLD / "polygons.json", {n: pgold[n] for n in SIGN_PRACTICE})
    write_json(GOLD / "texts.json", {t: {k: texts[t][k] for k in ("lang", "topic", "spans")} for t in TEXT_PRACTICE})
    write_json(GOLD / "review.json", {**flags_practice, "images": STREET_PRACTICE})
    write_json(GOLD / "agreement.json", agreement)

    write_json(HIDDEN / "q2.json", {"images": {f"{k}.jpg": v for k, v in PHOTOS_REVIEW.items()}})
    write_json(HIDDEN / "q3.json", {"images": {n: sgold[n] for n in STREET_REVIEW}})
    write_json(HIDDEN / "q4.json", {"images": {n: pgold[n] for n in SIGN_REVIEW}})
    write_json(HIDDEN / "q5.json", {"texts": {t: {"lang": texts[t]["lang"], "spans": texts[t]["spans"]}
                                              for t in TEXT_REVIEW}})
    write_json(HIDDEN / "q6.json", {"texts": {t: texts[t]["topic"] for t in TEXT_REVIEW}})
    write_json(HIDDEN / "q7.json", {**flags_review, "images": STREET_REVIEW})
    grading_data()
    print(f"wrote {DATA}, {GOLD}, {HIDDEN}; now run make_prelabels, then this with --grading")
    return 0


def print_reference(sgold, sign_polys, texts) -> None:
    print("# boxes")
    for name in STREET_PRACTICE + STREET_REVIEW:
        for o in sgold[name]["objects"]:
            x, y, w, h = o["box"]
            print(f'boxes.add("{name}", "{o["label"]}", x={x}, y={y}, width={w}, height={h})')
    print("# polygons")
    for name in SIGN_PRACTICE + SIGN_REVIEW:
        for label, pts in sign_polys[name]:
            print(f'signs.add("{name}", "{label}", {[tuple(p) for p in pts]})')
    print("# texts")
    for tid in TEXT_PRACTICE + TEXT_REVIEW:
        for s in texts[tid]["spans"]:
            print(f'texts.mark("{tid}", "{s["text"]}", "{s["label"]}")')
        print(f'texts.classify("{tid}", "{texts[tid]["topic"]}")')


if __name__ == "__main__":
    raise SystemExit(main())
