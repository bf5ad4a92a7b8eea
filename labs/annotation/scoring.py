"""How annotation work is scored against gold: boxes by IoU, polygons by mask IoU, text spans by exact edges.

Pure functions, no messages: ``checks.py`` turns their findings into feedback. The overlap maths is pycocotools'
(the COCO reference implementation); the one-to-one matching of annotations to gold objects is scipy's
Hungarian algorithm (``linear_sum_assignment``), so two boxes never both claim one object.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

MATCH_IOU = 0.7      # a box this close to an object is meant for it
TIGHT_IOU = 0.9      # ... and from here on it is tight, as the guideline asks
OVERLAP_IOU = 0.3    # below this, a box is not about that object at all
MASK_GOOD_IOU = 0.85  # a traced outline this close to the visible shape is good
MASK_MATCH_IOU = 0.3   # below this, an outline is not about that sign at all


def box_iou(a: list[list[float]], b: list[list[float]]) -> np.ndarray:
    """IoU of every box in ``a`` with every box in ``b`` ([x, y, width, height] in pixels)."""
    from pycocotools import mask as mask_utils

    if not a or not b:
        return np.zeros((len(a), len(b)))
    return np.asarray(mask_utils.iou([list(map(float, x)) for x in a], [list(map(float, x)) for x in b],
                                     [0] * len(b)), dtype=float).reshape(len(a), len(b))


def pairs(scores: np.ndarray, minimum: float) -> list[tuple[int, int, float]]:
    """The one-to-one pairing (row, column, score) with the highest total score, keeping pairs >= ``minimum``."""
    from scipy.optimize import linear_sum_assignment

    if scores.size == 0:
        return []
    rows, cols = linear_sum_assignment(-scores)
    return [(int(r), int(c), float(scores[r, c])) for r, c in zip(rows, cols) if scores[r, c] >= minimum]


# --- boxes --------------------------------------------------------------------------------------------------------

@dataclass
class BoxFinding:
    kind: str                      # tight, loose, cut, shifted, wrong_class, missed, extra, not_an_object, duplicate
    gold: dict | None = None       # the gold object (label, box, occluded, truncated ...)
    box: list[float] | None = None  # the learner's box, pixels
    label: str | None = None       # the learner's label
    iou: float = 0.0
    edge: tuple[str, float] | None = None  # the edge furthest from the object's, and by how many pixels


def containment(inner: list[float], outer: list[float]) -> float:
    """The share of ``inner``'s area that lies inside ``outer``."""
    ix = max(0.0, min(inner[0] + inner[2], outer[0] + outer[2]) - max(inner[0], outer[0]))
    iy = max(0.0, min(inner[1] + inner[3], outer[1] + outer[3]) - max(inner[1], outer[1]))
    area = inner[2] * inner[3]
    return ix * iy / area if area > 0 else 0.0


def worst_edge(box: list[float], gold: list[float]) -> tuple[str, float]:
    """Which edge of ``box`` is furthest from the object's edge: (left|right|top|bottom, signed pixels; > 0 means
    the box reaches beyond the object there, < 0 that it stops short)."""
    gaps = {"left": gold[0] - box[0], "top": gold[1] - box[1],
            "right": (box[0] + box[2]) - (gold[0] + gold[2]), "bottom": (box[1] + box[3]) - (gold[1] + gold[3])}
    name = max(gaps, key=lambda k: abs(gaps[k]))
    return name, round(gaps[name], 1)


def score_boxes(boxes: list[tuple[str, list[float]]], gold: dict) -> list[BoxFinding]:
    """Compare one picture's boxes [(label, [x, y, w, h])] with its gold {objects: [...], negatives: [...]}."""
    objects = gold.get("objects", [])
    negatives = gold.get("negatives", [])
    ious = box_iou([b for _, b in boxes], [o["box"] for o in objects])
    findings: list[BoxFinding] = []
    used_boxes, used_objects = set(), set()
    for i, j, iou in pairs(ious, OVERLAP_IOU):
        label, box = boxes[i]
        obj = objects[j]
        used_boxes.add(i)
        used_objects.add(j)
        edge = worst_edge(box, obj["box"])
        if label != obj["label"] and iou >= MATCH_IOU:
            kind = "wrong_class"
        elif iou >= TIGHT_IOU:
            kind = "tight"
        elif containment(obj["box"], box) >= 0.97:
            kind = "loose"        # the box holds the whole object and more
        elif containment(box, obj["box"]) >= 0.97:
            kind = "cut"          # the box stays inside the object and misses part of it
        else:
            kind = "shifted"
        findings.append(BoxFinding(kind, obj, box, label, iou, edge))
    for j, obj in enumerate(objects):
        if j not in used_objects:
            findings.append(BoxFinding("missed", obj))
    neg_ious = box_iou([b for _, b in boxes], [n["box"] for n in negatives])
    for i, (label, box) in enumerate(boxes):
        if i in used_boxes:
            continue
        if negatives and neg_ious[i].max() >= 0.5:
            findings.append(BoxFinding("not_an_object", negatives[int(neg_ious[i].argmax())], box, label,
                                       float(neg_ious[i].max())))
        elif objects and ious[i].max() >= MATCH_IOU:
            findings.append(BoxFinding("duplicate", objects[int(ious[i].argmax())], box, label, float(ious[i].max())))
        else:
            findings.append(BoxFinding("extra", None, box, label))
    return findings


# --- polygons -----------------------------------------------------------------------------------------------------

def polygon_rle(points: list[tuple[float, float]], height: int, width: int) -> dict:
    from pycocotools import mask as mask_utils

    flat = [float(v) for p in points for v in p]
    return mask_utils.merge(mask_utils.frPyObjects([flat], height, width))


def gold_rle(rle: dict) -> dict:
    return {"size": rle["size"], "counts": rle["counts"].encode("ascii") if isinstance(rle["counts"], str)
            else rle["counts"]}


def mask_iou(a: list[dict], b: list[dict]) -> np.ndarray:
    from pycocotools import mask as mask_utils

    if not a or not b:
        return np.zeros((len(a), len(b)))
    return np.asarray(mask_utils.iou(a, b, [0] * len(b)), dtype=float).reshape(len(a), len(b))


def is_box_shaped(points: list[tuple[float, float]]) -> bool:
    """Four corners of an upright rectangle: a box drawn with the outline tool."""
    if len(points) != 4:
        return False
    xs = sorted(p[0] for p in points)
    ys = sorted(p[1] for p in points)
    return xs[1] - xs[0] <= 2 and xs[3] - xs[2] <= 2 and ys[1] - ys[0] <= 2 and ys[3] - ys[2] <= 2


@dataclass
class PolygonFinding:
    kind: str                  # good, rough, box_shaped, too_big, wrong_class, missed, extra
    gold: dict | None = None
    label: str | None = None
    points: list | None = None
    iou: float = 0.0


def score_polygons(polygons: list[tuple[str, list[tuple[float, float]]]], gold: dict) -> list[PolygonFinding]:
    from pycocotools import mask as mask_utils

    h, w = gold["height"], gold["width"]
    objects = gold.get("objects", [])
    mine = [polygon_rle(points, h, w) for _, points in polygons]
    golds = [gold_rle(o["rle"]) for o in objects]
    ious = mask_iou(mine, golds)
    findings = []
    used_mine, used_gold = set(), set()
    for i, j, iou in pairs(ious, MASK_MATCH_IOU):
        label, points = polygons[i]
        obj = objects[j]
        used_mine.add(i)
        used_gold.add(j)
        if label != obj["label"]:
            kind = "wrong_class"
        elif iou >= MASK_GOOD_IOU:
            kind = "good"
        elif is_box_shaped(points):
            kind = "box_shaped"
        else:
            inter = mask_utils.area(mask_utils.merge([mine[i], golds[j]], intersect=True))
            kind = "too_big" if inter >= 0.95 * obj["area"] and obj.get("occluded") else "rough"
        findings.append(PolygonFinding(kind, obj, label, points, iou))
    for j, obj in enumerate(objects):
        if j not in used_gold:
            findings.append(PolygonFinding("missed", obj))
    for i, (label, points) in enumerate(polygons):
        if i not in used_mine:
            findings.append(PolygonFinding("extra", None, label, points))
    return findings


# --- text spans ---------------------------------------------------------------------------------------------------

@dataclass
class SpanFinding:
    kind: str                  # exact, wrong_label, misplaced, missing, extra
    gold: dict | None = None
    span: dict | None = None


@dataclass
class SpanScore:
    findings: list[SpanFinding] = field(default_factory=list)
    true_positives: int = 0
    predicted: int = 0
    expected: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "SpanScore") -> None:
        self.findings += other.findings
        self.true_positives += other.true_positives
        self.predicted += other.predicted
        self.expected += other.expected


def score_spans(spans: list[dict], gold: list[dict]) -> SpanScore:
    """Exact-match span scoring (as in CoNLL): a span counts only with the same edges and the same label."""
    score = SpanScore(predicted=len(spans), expected=len(gold))
    used = set()
    for g in gold:
        exact = [i for i, s in enumerate(spans) if i not in used and (s["start"], s["end"]) == (g["start"], g["end"])]
        if exact:
            i = exact[0]
            used.add(i)
            if spans[i]["label"] == g["label"]:
                score.true_positives += 1
                score.findings.append(SpanFinding("exact", g, spans[i]))
            else:
                score.findings.append(SpanFinding("wrong_label", g, spans[i]))
            continue
        overlapping = [i for i, s in enumerate(spans)
                       if i not in used and s["start"] < g["end"] and g["start"] < s["end"]]
        if overlapping:
            i = max(overlapping, key=lambda k: min(spans[k]["end"], g["end"]) - max(spans[k]["start"], g["start"]))
            used.add(i)
            score.findings.append(SpanFinding("misplaced", g, spans[i]))
        else:
            score.findings.append(SpanFinding("missing", g))
    for i, s in enumerate(spans):
        if i not in used:
            score.findings.append(SpanFinding("extra", None, s))
    return score
