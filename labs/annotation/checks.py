"""Annotation lab: the checks compare the learner's saved annotation files with gold, as a team lead's QA would.

Evidence: the files in the lab folder (``annotations/*.json`` in Label Studio's JSON format, ``delivery/``),
read from ``check.context["workdir"]`` (``evidence="outside"``), so a grader recomputes every verdict from the files
alone. Only the guideline quiz and the two agreement numbers are the learner's variables.

Practice items are scored against ``gold/`` with full feedback; review items (one per job) are scored only when
work is graded, against gold that exists only in ``hidden/``, the way a team mixes gold tasks into the queue.

When graded, ``gold/`` is masked (lab.toml ``[grading_only] when_graded``: a graded kernel cannot build answers from
it, and neither can the sandboxed checker that judges the files): the visible call then says the grading call decides
(:func:`practice_gold`), and the grading call judges the practice items from its hidden copy (``practice``). The
quality tables q8 and q9 are computed from are other tables when graded (lab.toml ``[grading] files``, truth in
``hidden/q8.json``, ``q9.json``): numbers worked out on the practice tables earn nothing there.
"""
from __future__ import annotations

import csv
import functools
import json
import math
from pathlib import Path

from graders.checks import Check, Questions, grader_only_text
from graders.i18n import Domain

from . import scoring
from .sets import JOBS, PRELABEL_JOBS, PROBLEMS

M_ = Domain.beside(__file__)
questions = Questions("annotation")

HERE = Path(__file__).resolve().parent
MAX_FAILURES = 8   # beyond this, one line says how many more (a learner fixes the first ones first)


@functools.cache
def gold(name: str) -> dict:
    """``gold/<name>.json``; masked in a graded kernel, where the check is left to the grader (GraderOnly)."""
    return json.loads(grader_only_text(HERE / "gold" / f"{name}.json"))


@functools.cache
def config(job: str) -> str:
    return (HERE / "data" / jobdef(job).config).read_text(encoding="utf-8")


def jobdef(name: str):
    return JOBS.get(name) or PRELABEL_JOBS[name]


def workdir(check: Check) -> Path:
    return Path(check.context.get("workdir") or Path.cwd())


PRACTICE_GRADED = M_("annotation.practice.graded", "The practice answers are not in this folder while your work is graded: the grading check right after this one judges the practice items too.")


def _gold_readable(name: str) -> bool:
    return (HERE / "gold" / f"{name}.json").is_file()


def practice_gold(check: Check, name: str):
    """What the practice items are judged against: ``gold/<name>.json``, in both calls as before. When graded, gold/
    is masked: the visible call records an ok part and returns None, the grading call returns its hidden copy
    (``practice``)."""
    if check.hidden is not None and not _gold_readable(name):
        return check.hidden["practice"]
    if not _gold_readable(name):
        check.ok(PRACTICE_GRADED)
        return None
    return gold(name)


# --- shared messages ------------------------------------------------------------------------------------------------
NO_FILE = M_("annotation.file.missing", "I can't find {path} yet. Annotate at least one item above (every change is saved by itself), then run this check again.")
NOT_JSON = M_("annotation.file.not_json", "{path} is not a readable JSON file ({error}). If you edited it by hand, undo that edit, or delete the file and annotate again.")
NOT_TASKS = M_("annotation.file.not_tasks", "{path} is not in Label Studio's format ({error}). Save it with the tools in this notebook, or export it from Label Studio as JSON.")
INVALID = M_("annotation.file.invalid", "Label Studio would not accept your annotation of {item}: {error}")
MORE = M_("annotation.more", "…and {count} more problem like these. Fix the ones above first, then run the check again.", "…and {count} more problems like these. Fix the ones above first, then run the check again.", count="count")
REVIEW_SAVED = M_("annotation.review.saved", "{item} is a review item: your work on it is saved ({count} annotation) and is scored when your work is graded.", "{item} is a review item: your work on it is saved ({count} annotations) and is scored when your work is graded.", count="count")
REVIEW_EMPTY = M_("annotation.review.empty", "{item} is a review item and has no annotations yet. Annotate it like the others: it is scored when your work is graded.")

PLACE = {(0, 0): M_("annotation.place.top_left", "at the top left"), (1, 0): M_("annotation.place.top", "at the top"),
         (2, 0): M_("annotation.place.top_right", "at the top right"), (0, 1): M_("annotation.place.left", "on the left"),
         (1, 1): M_("annotation.place.centre", "in the middle"), (2, 1): M_("annotation.place.right", "on the right"),
         (0, 2): M_("annotation.place.bottom_left", "at the bottom left"),
         (1, 2): M_("annotation.place.bottom", "at the bottom"),
         (2, 2): M_("annotation.place.bottom_right", "at the bottom right")}
WHERE = M_("annotation.where", "{place} (around x={x}, y={y})")
EDGES = {"left": M_("annotation.edge.left", "left"), "right": M_("annotation.edge.right", "right"),
         "top": M_("annotation.edge.top", "top"), "bottom": M_("annotation.edge.bottom", "bottom")}


def where(check: Check, box, width: int, height: int) -> str:
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    col = min(2, int(3 * cx / width))
    row = min(2, int(3 * cy / height))
    return WHERE.render(check.lang, place=PLACE[(col, row)].render(check.lang), x=round(x), y=round(y))


class Limited:
    """Records failures up to MAX_FAILURES, then counts the rest."""

    def __init__(self, check: Check):
        self.check, self.count = check, 0

    def fail(self, message, **params) -> None:
        self.count += 1
        if self.count <= MAX_FAILURES:
            self.check.fail(message, **params)

    def finish(self) -> None:
        if self.count > MAX_FAILURES:
            self.check.fail(MORE, count=self.count - MAX_FAILURES)


def load_results(check: Check, job_name: str, relative: str | None = None) -> dict[str, list[dict]]:
    """{item: result regions} from the learner's file; stops with a kind message when there is nothing usable."""
    from .kit import item_key, latest_annotation, read_tasks

    job = jobdef(job_name)
    relative = relative or job.file
    path = workdir(check) / relative
    if not path.exists():
        check.stop(NO_FILE, path=relative)
    try:
        tasks = read_tasks(path)
    except json.JSONDecodeError as exc:
        check.stop(NOT_JSON, path=relative, error=f"line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except (ValueError, OSError) as exc:
        check.stop(NOT_TASKS, path=relative, error=str(exc))
    from .kit import label_interface

    interface = label_interface(config(job_name))
    results: dict[str, list[dict]] = {}
    for task in tasks:
        key = item_key(task)
        annotation = latest_annotation(task)
        if key not in job.items or annotation is None:
            continue
        errors = interface.validate_prediction({"result": annotation.get("result") or []}, return_errors=True)
        if errors:
            check.stop(INVALID, item=key, error=errors[0])
        results[key] = list(annotation.get("result") or [])
    return results


def review_items(check: Check, job_name: str, results: dict, counter) -> None:
    """Learner mode: the review items are saved, or not yet annotated (their gold is not here)."""
    job = JOBS[job_name]
    for item in job.items:
        if item in job.practice:
            continue
        count = counter(results.get(item, []))
        if count:
            check.ok(REVIEW_SAVED, item=item, count=count)
        else:
            check.fail(REVIEW_EMPTY, item=item)


def own(regions: list[dict], control: str) -> list[dict]:
    return [r for r in regions if r.get("from_name") == control]


# --- q1: the guideline quiz (notebook guidelines) ----------------------------------------------------------------------
Q1_OK = M_("annotation.q1.ok", "All six cases judged the way the guideline says.")
Q1_NOT_DICT = M_("annotation.q1.not_dict", "`answers` should be a dictionary like {{\"A\": \"ok\", \"B\": \"loose\"}}, one entry per picture A to F.")
Q1_MISSING = M_("annotation.q1.missing", "Picture {case} has no answer yet. Add \"{case}\": \"...\" to `answers`.")
Q1_UNKNOWN = M_("annotation.q1.unknown", "Picture {case}: “{value}” is not one of the answers. Use one of: {known}.")
Q1_CASES = {
    "A": M_("annotation.q1.case_a", "Picture A: the box touches the person's head, feet and hands on every side: that is a tight box, so the answer is \"ok\"."),
    "B": M_("annotation.q1.case_b", "Picture B: there is road visible between the box and the car on every side. Rule 1: the edges must touch the object, so this box is \"loose\"."),
    "C": M_("annotation.q1.case_c", "Picture C: this is a picture of a person printed on a poster, not a person. Rule 4: only real people are persons, so the box is \"not_an_object\"."),
    "D": M_("annotation.q1.case_d", "Picture D: the person stands behind the car, but their head, arms and body are visible. Rule 2: box everything you can see, not just the head: the box is \"cut\"."),
    "E": M_("annotation.q1.case_e", "Picture E: the car runs off the edge of the picture and the box goes right up to that edge. Rule 3 says exactly this, so the answer is \"ok\"."),
    "F": M_("annotation.q1.case_f", "Picture F: the box is tight, but it holds a bicycle and its label says car: \"wrong_class\"."),
}


@questions("q1")
def q1(check: Check) -> None:
    from .sets import GUIDELINE_VERDICTS

    answers = check.value("answers")
    if not isinstance(answers, dict):
        check.stop(Q1_NOT_DICT)
    answers = {str(k).strip().upper(): v for k, v in answers.items()}
    expected = gold("guidelines")
    for case, right in expected.items():
        given = answers.get(case)
        if given is None:
            check.fail(Q1_MISSING, case=case)
        elif str(given).strip().lower() not in GUIDELINE_VERDICTS:
            check.fail(Q1_UNKNOWN, case=case, value=given, known=", ".join(GUIDELINE_VERDICTS))
        elif str(given).strip().lower() != right:
            check.fail(Q1_CASES[case])
    if not check.parts:
        check.ok(Q1_OK)


# --- q2: photo classes (notebook classification) ----------------------------------------------------------------------
Q2_OK = M_("annotation.q2.ok", "The {count} practice photo has the right class.", "All {count} practice photos have the right class.", count="count")
Q2_OK_REVIEW = M_("annotation.q2.ok_review", "The review photos have the right class.")
Q2_WRONG = M_("annotation.q2.wrong", "{item}: you chose `{label}`, but the guideline's class is `{gold}`. {rule}")
Q2_UNLABELLED = M_("annotation.q2.unlabelled", "{item} has no class yet. Pick one of the buttons under it.")
Q2_TWO = M_("annotation.q2.two", "{item} has {count} class ({labels}); each photo gets exactly one: the main subject.", "{item} has {count} classes ({labels}); each photo gets exactly one: the main subject.", count="count")
CLASS_RULES = {
    "person": M_("annotation.rule.class.person", "`person`: a photo whose main subject is one or more people."),
    "animal": M_("annotation.rule.class.animal", "`animal`: the main subject is an animal, also when it is drawn or only a silhouette."),
    "vehicle": M_("annotation.rule.class.vehicle", "`vehicle`: the main subject is made to carry people or goods: cars, bicycles, boats, rockets."),
    "document": M_("annotation.rule.class.document", "`document`: the main subject is written or printed text: a page, a letter, a sign full of text."),
    "other": M_("annotation.rule.class.other", "`other`: the main subject is none of the above: an object, food, a landscape, a pattern."),
}


def _classes(check: Check, results: dict, expected: dict, review: bool = False) -> None:
    bad = Limited(check)
    for item, right in expected.items():
        chosen = [c for r in own(results.get(item, []), "class") for c in r["value"].get("choices", [])]
        if not chosen:
            bad.fail(Q2_UNLABELLED, item=item)
        elif len(chosen) > 1:
            bad.fail(Q2_TWO, item=item, count=len(chosen), labels=", ".join(chosen))
        elif chosen[0] != right:
            bad.fail(Q2_WRONG, item=item, label=chosen[0], gold=right, rule=CLASS_RULES[right].render(check.lang))
    bad.finish()
    if not bad.count:
        check.ok(Q2_OK_REVIEW) if review else check.ok(Q2_OK, count=len(expected))


@questions("q2", evidence="outside")
def q2(check: Check) -> None:
    results = load_results(check, "classes")
    expected = practice_gold(check, "classes")
    if expected is not None:
        _classes(check, results, expected)
    review_items(check, "classes", results, lambda regions: len(own(regions, "class")))
    if check.hidden:
        with check.hidden_part():
            _classes(check, results, check.hidden["images"], review=True)


# --- q3: boxes (notebook boxes) --------------------------------------------------------------------------------------
Q3_OK = M_("annotation.q3.ok", "{item}: the {count} object has a tight box with the right class (average IoU {iou}).", "{item}: all {count} objects have a tight box with the right class (average IoU {iou}).", count="count")
Q3_LOOSE = M_("annotation.q3.loose", "{item}: the box around the {label} {where} is loose (IoU {iou}): its {edge} edge is {px} px away from the {label}. Rule 1: move every edge in until it touches the object.")
Q3_CUT = M_("annotation.q3.cut", "{item}: the box around the {label} {where} cuts part of it off (IoU {iou}): its {edge} edge stops {px} px short. Rule 1: every visible pixel of the object goes inside the box.")
Q3_CUT_OCCLUDED = M_("annotation.q3.cut_occluded", "{item}: the {label} {where} is partly hidden behind something, and your box covers only part of what you can see (IoU {iou}). Rule 2: one box around every visible part, even when something in front splits it.")
Q3_CUT_EDGE = M_("annotation.q3.cut_edge", "{item}: the {label} {where} runs off the edge of the picture, and your box stops {px} px before that edge (IoU {iou}). Rule 3: box it right up to the edge of the picture.")
Q3_SHIFTED = M_("annotation.q3.shifted", "{item}: the box for the {label} {where} is shifted (IoU {iou}): its {edge} edge is {px} px off. Draw it again so that all four edges touch the object.")
Q3_WRONG_CLASS = M_("annotation.q3.wrong_class", "{item}: the object {where} is a `{gold}`, but your box says `{label}`. Select the box and choose `{gold}`.")
Q3_MISSED = M_("annotation.q3.missed", "{item}: the {label} {where} has no box. Rule 5: every person, car and bicycle gets one.")
Q3_MISSED_OCCLUDED = M_("annotation.q3.missed_occluded", "{item}: the {label} {where} has no box. It is partly hidden behind something in front of it, but rule 2 says: if you can recognise it, box the part you can see.")
Q3_MISSED_TRUNCATED = M_("annotation.q3.missed_truncated", "{item}: the {label} {where} has no box. It is cut off by the edge of the picture, but rule 3 says it still counts: box the part inside the picture.")
Q3_NOT_AN_OBJECT = M_("annotation.q3.not_an_object", "{item}: your `{label}` box {where} is around a picture of a person on a poster. Rule 4: only real people are persons. Delete this box.")
Q3_DUPLICATE = M_("annotation.q3.duplicate", "{item}: the {label} {where} has two boxes. Keep one and delete the other.")
Q3_EXTRA = M_("annotation.q3.extra", "{item}: your `{label}` box {where} is not around any person, car or bicycle. Delete it, or move it onto the object you meant.")


def _boxes(check: Check, job, results: dict, expected: dict) -> None:
    from .kit import to_pixels

    bad = Limited(check)
    for item, g in expected.items():
        W, H = g["width"], g["height"]
        boxes = [(r["value"]["rectanglelabels"][0], to_pixels(r, (W, H))) for r in own(results.get(item, []), "label")]
        findings = scoring.score_boxes(boxes, g)
        ious = []
        for f in findings:
            ref = f.gold["box"] if f.gold and f.kind not in ("extra", "not_an_object") else f.box
            params = {"item": item, "where": where(check, ref, W, H), "iou": f"{f.iou:.2f}",
                      "label": f.gold["label"] if f.gold and f.kind not in ("not_an_object",) else f.label}
            if f.edge:
                params.update(edge=EDGES[f.edge[0]].render(check.lang), px=f"{abs(f.edge[1]):.0f}")
            if f.kind == "tight":
                ious.append(f.iou)
            elif f.kind == "loose":
                bad.fail(Q3_LOOSE, **params)
            elif f.kind == "cut":
                if f.gold.get("truncated") and _edge_at_border(f.gold, f.edge[0], W, H):
                    bad.fail(Q3_CUT_EDGE, **params)
                elif f.gold.get("occluded"):
                    bad.fail(Q3_CUT_OCCLUDED, **params)
                else:
                    bad.fail(Q3_CUT, **params)
            elif f.kind == "shifted":
                bad.fail(Q3_SHIFTED, **params)
            elif f.kind == "wrong_class":
                bad.fail(Q3_WRONG_CLASS, **{**params, "gold": f.gold["label"], "label": f.label})
            elif f.kind == "missed":
                message = (Q3_MISSED_OCCLUDED if f.gold.get("occluded") else
                           Q3_MISSED_TRUNCATED if f.gold.get("truncated") else Q3_MISSED)
                bad.fail(message, **params)
            elif f.kind == "not_an_object":
                bad.fail(Q3_NOT_AN_OBJECT, **{**params, "label": f.label})
            elif f.kind == "duplicate":
                bad.fail(Q3_DUPLICATE, **params)
            else:
                bad.fail(Q3_EXTRA, **params)
        if len(ious) == len(findings) and ious:
            check.ok(Q3_OK, item=item, count=len(ious), iou=f"{sum(ious) / len(ious):.2f}")
    bad.finish()


def _edge_at_border(gold_obj: dict, edge: str, W: int, H: int) -> bool:
    x, y, w, h = gold_obj["box"]
    return {"left": x <= 0, "top": y <= 0, "right": x + w >= W, "bottom": y + h >= H}[edge]


@questions("q3", evidence="outside")
def q3(check: Check) -> None:
    results = load_results(check, "boxes")
    expected = practice_gold(check, "boxes")
    if expected is not None:
        _boxes(check, JOBS["boxes"], results, expected)
    review_items(check, "boxes", results, lambda regions: len(own(regions, "label")))
    if check.hidden:
        with check.hidden_part():
            _boxes(check, JOBS["boxes"], results, check.hidden["images"])


# --- q4: outlines (notebook polygons) ----------------------------------------------------------------------------------
Q4_OK = M_("annotation.q4.ok", "{item}: every sign is traced closely with the right class (mask IoU {iou}).")
Q4_ROUGH = M_("annotation.q4.rough", "{item}: your outline of the {label} sign {where} is rough (mask IoU {iou}, at least 0.85 needed). Put a point on every corner and follow the edge closely; a round sign needs about 16 points.")
Q4_BOX = M_("annotation.q4.box_shaped", "{item}: your outline of the {label} sign {where} is a box (the four corners of a rectangle), not the sign's shape (mask IoU {iou}). Click along the sign's own edge: a triangle has 3 corners, a stop sign 8.")
Q4_TOO_BIG = M_("annotation.q4.too_big", "{item}: your outline of the {label} sign {where} also covers the leaves in front of it (mask IoU {iou}). Rule 2: trace only the part of the sign you can see.")
Q4_WRONG_CLASS = M_("annotation.q4.wrong_class", "{item}: the sign {where} is `{gold}`, but your outline says `{label}`.")
Q4_MISSED = M_("annotation.q4.missed", "{item}: the {label} sign {where} has no outline.")
Q4_EXTRA = M_("annotation.q4.extra", "{item}: your `{label}` outline {where} is not on a sign (or a sign has two outlines). Delete it.")


def _polygons(check: Check, results: dict, expected: dict) -> None:
    bad = Limited(check)
    for item, g in expected.items():
        W, H = g["width"], g["height"]
        polys = [(r["value"]["polygonlabels"][0], [(x * W / 100, y * H / 100) for x, y in r["value"]["points"]])
                 for r in own(results.get(item, []), "label")]
        findings = scoring.score_polygons(polys, g)
        ious = []
        for f in findings:
            if f.gold is not None:
                ref = f.gold["box"]
            else:
                xs, ys = [p[0] for p in f.points], [p[1] for p in f.points]
                ref = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
            params = {"item": item, "where": where(check, ref, W, H), "iou": f"{f.iou:.2f}",
                      "label": f.gold["label"] if f.gold else f.label}
            if f.kind == "good":
                ious.append(f.iou)
            elif f.kind == "rough":
                bad.fail(Q4_ROUGH, **params)
            elif f.kind == "box_shaped":
                bad.fail(Q4_BOX, **params)
            elif f.kind == "too_big":
                bad.fail(Q4_TOO_BIG, **params)
            elif f.kind == "wrong_class":
                bad.fail(Q4_WRONG_CLASS, **{**params, "gold": f.gold["label"], "label": f.label})
            elif f.kind == "missed":
                bad.fail(Q4_MISSED, **params)
            else:
                bad.fail(Q4_EXTRA, **params)
        if ious and len(ious) == len(findings):
            check.ok(Q4_OK, item=item, iou=f"{sum(ious) / len(ious):.2f}")
    bad.finish()


@questions("q4", evidence="outside")
def q4(check: Check) -> None:
    results = load_results(check, "polygons")
    expected = practice_gold(check, "polygons")
    if expected is not None:
        _polygons(check, results, expected)
    review_items(check, "polygons", results, lambda regions: len(own(regions, "label")))
    if check.hidden:
        with check.hidden_part():
            _polygons(check, results, check.hidden["images"])


# --- q5: entities, q6: topics (notebook text) ----------------------------------------------------------------------------
Q5_OK = M_("annotation.q5.ok", "Precision {p}, recall {r}, F1 {f1}: every entity is marked, with the right edges and label.")
Q5_SCORE = M_("annotation.q5.score", "On these texts: precision {p}, recall {r}, F1 {f1}. A span counts only with exactly the right edges and label; all three must reach 1.00.")
Q5_MISSING = M_("annotation.q5.missing", "{item}: “{words}” ({label}) is not marked.")
Q5_MISPLACED = M_("annotation.q5.misplaced", "{item}: you marked “{yours}”, but the {label} is “{words}”: {fix}.")
Q5_WRONG_LABEL = M_("annotation.q5.wrong_label", "{item}: “{words}” is marked {label}, but it is {gold}. {rule}")
Q5_EXTRA = M_("annotation.q5.extra", "{item}: “{words}” is marked {label}, but the guideline does not count it as an entity. Unmark it: texts.unmark(\"{item}\", \"{words}\").")
FIX_DROP_START = M_("annotation.q5.fix_drop_start", "leave out “{part}” at the start")
FIX_ADD_START = M_("annotation.q5.fix_add_start", "add “{part}” at the start")
FIX_DROP_END = M_("annotation.q5.fix_drop_end", "leave out “{part}” at the end")
FIX_ADD_END = M_("annotation.q5.fix_add_end", "add “{part}” at the end")
FIX_JOIN = M_("annotation.q5.fix_join", "{first}, and {second}")
ENTITY_RULES = {
    "PER": M_("annotation.rule.entity.per", "PER is a person's name, without titles such as Ms., пані or さん."),
    "ORG": M_("annotation.rule.entity.org", "ORG is a company, club or organisation, with legal words like Ltd or 株式会社, without quotation marks."),
    "LOC": M_("annotation.rule.entity.loc", "LOC is a place: a city, a country, a station."),
    "DATE": M_("annotation.rule.entity.date", "DATE is a calendar date, written out in full (day, month, year)."),
}
Q6_OK = M_("annotation.q6.ok", "The {count} practice text has the right topic.", "All {count} practice texts have the right topic.", count="count")
Q6_OK_REVIEW = M_("annotation.q6.ok_review", "The review texts have the right topic.")
Q6_WRONG = M_("annotation.q6.wrong", "{item}: you chose `{label}`, but the topic is `{gold}`. {rule}")
Q6_MISSING = M_("annotation.q6.missing", "{item} has no topic yet: texts.classify(\"{item}\", \"...\").")
TOPIC_RULES = {
    "job": M_("annotation.rule.topic.job", "`job`: the text offers work or invites people to apply."),
    "event": M_("annotation.rule.topic.event", "`event`: the text invites people to come somewhere at a set time."),
    "housing": M_("annotation.rule.topic.housing", "`housing`: the text is about a flat, a room or a house to rent or buy."),
}


def _text_of(check: Check) -> dict[str, str]:
    from .kit import read_tasks
    tasks = read_tasks(HERE / "data" / "texts" / "texts.json")
    return {t["data"]["name"]: t["data"]["text"] for t in tasks}


def _fix(check: Check, text: str, mine: dict, gold_span: dict) -> str:
    parts = []
    if mine["start"] < gold_span["start"]:
        parts.append(FIX_DROP_START.render(check.lang, part=text[mine["start"]:gold_span["start"]]))
    elif mine["start"] > gold_span["start"]:
        parts.append(FIX_ADD_START.render(check.lang, part=text[gold_span["start"]:mine["start"]]))
    if mine["end"] > gold_span["end"]:
        parts.append(FIX_DROP_END.render(check.lang, part=text[gold_span["end"]:mine["end"]]))
    elif mine["end"] < gold_span["end"]:
        parts.append(FIX_ADD_END.render(check.lang, part=text[mine["end"]:gold_span["end"]]))
    if len(parts) == 2:
        return FIX_JOIN.render(check.lang, first=parts[0], second=parts[1])
    return parts[0] if parts else ""


def _spans(check: Check, results: dict, expected: dict) -> scoring.SpanScore:
    texts = _text_of(check)
    total = scoring.SpanScore()
    bad = Limited(check)
    for item, g in expected.items():
        text = texts[item]
        spans = [{"start": r["value"]["start"], "end": r["value"]["end"], "label": r["value"]["labels"][0]}
                 for r in own(results.get(item, []), "entity")]
        score = scoring.score_spans(spans, g["spans"])
        total.add(score)
        for f in score.findings:
            if f.kind == "missing":
                bad.fail(Q5_MISSING, item=item, words=f.gold["text"], label=f.gold["label"])
            elif f.kind == "misplaced":
                bad.fail(Q5_MISPLACED, item=item, yours=text[f.span["start"]:f.span["end"]], words=f.gold["text"],
                         label=f.gold["label"], fix=_fix(check, text, f.span, f.gold))
            elif f.kind == "wrong_label":
                bad.fail(Q5_WRONG_LABEL, item=item, words=f.gold["text"], label=f.span["label"], gold=f.gold["label"],
                         rule=ENTITY_RULES[f.gold["label"]].render(check.lang))
            elif f.kind == "extra":
                bad.fail(Q5_EXTRA, item=item, words=text[f.span["start"]:f.span["end"]], label=f.span["label"])
    bad.finish()
    numbers = {"p": f"{total.precision:.2f}", "r": f"{total.recall:.2f}", "f1": f"{total.f1:.2f}"}
    if bad.count:
        check.fail(Q5_SCORE, **numbers)
    else:
        check.ok(Q5_OK, **numbers)
    return total


@questions("q5", evidence="outside")
def q5(check: Check) -> None:
    results = load_results(check, "texts")
    expected = practice_gold(check, "texts")
    if expected is not None:
        _spans(check, results, expected)
    review_items(check, "texts", results, lambda regions: len(own(regions, "entity")))
    if check.hidden:
        with check.hidden_part():
            _spans(check, results, check.hidden["texts"])


def _topics(check: Check, results: dict, expected: dict, review: bool = False) -> None:
    bad = Limited(check)
    for item, right in expected.items():
        chosen = [c for r in own(results.get(item, []), "topic") for c in r["value"].get("choices", [])]
        if not chosen:
            bad.fail(Q6_MISSING, item=item)
        elif chosen[0] != right:
            bad.fail(Q6_WRONG, item=item, label=chosen[0], gold=right, rule=TOPIC_RULES[right].render(check.lang))
    bad.finish()
    if not bad.count:
        check.ok(Q6_OK_REVIEW) if review else check.ok(Q6_OK, count=len(expected))


@questions("q6", evidence="outside")
def q6(check: Check) -> None:
    results = load_results(check, "texts")
    expected = practice_gold(check, "texts")
    if expected is not None:
        _topics(check, results, {item: g["topic"] for item, g in expected.items()})
    review_items(check, "texts", results, lambda regions: len(own(regions, "topic")))
    if check.hidden:
        with check.hidden_part():
            _topics(check, results, check.hidden["texts"], review=True)


# --- q7: the review, q8: kappa, q9: mean IoU (notebook quality) ---------------------------------------------------------
Q7_OK = M_("annotation.q7.ok", "You found the {count} problem in the practice pictures and named it right.", "You found all {count} problems in the practice pictures and named each one right.", count="count")
Q7_OK_REVIEW = M_("annotation.q7.ok_review", "You found every problem in the review picture and named each one right.")
Q7_NO_FILE = M_("annotation.q7.no_file", "I can't find annotations/review.json yet. Flag a box with review.flag(\"b1\", \"loose\") (it saves by itself), then run this check again.")
Q7_NOT_FLAGGED = M_("annotation.q7.not_flagged", "Box {region} on {item} breaks a rule, but you have not flagged it. Look at it again with the five problem names in mind.")
Q7_WRONG_PROBLEM = M_("annotation.q7.wrong_problem", "Box {region}: you flagged it as `{yours}`, but its problem is `{problem}`. {rule}")
Q7_FALSE_ALARM = M_("annotation.q7.false_alarm", "Box {region} follows the guideline: it is a good box. Remove the flag: review.unflag(\"{region}\").")
Q7_MISSED = M_("annotation.q7.missed", "On {item} the annotator left out a {label}. Record it: review.missed(\"{item}\", \"{label}\").")
Q7_NOT_MISSED = M_("annotation.q7.not_missed", "You noted a missing {label} on {item}, but every {label} there has a box.")
PROBLEM_RULES = {
    "loose": M_("annotation.rule.problem.loose", "`loose`: there is space between the box and the object."),
    "cut": M_("annotation.rule.problem.cut", "`cut`: part of the visible object is outside the box (also: a box that stops before the picture's edge, or covers only part of a hidden object)."),
    "wrong_class": M_("annotation.rule.problem.wrong_class", "`wrong_class`: the box fits, but its label names the wrong class."),
    "not_an_object": M_("annotation.rule.problem.not_an_object", "`not_an_object`: the box is around something the guideline does not count, like a person on a poster."),
}


def _review(check: Check, sheet: dict, expected: dict, review: bool = False) -> None:
    from .kit import item_key, latest_annotation, read_tasks

    region_items = {}
    for task in read_tasks(HERE / "data" / "qc" / "annotator_b.json"):
        for r in (latest_annotation(task) or {}).get("result", []):
            region_items[r["id"]] = item_key(task)
    items = set(expected["images"])
    flags = {k: v for k, v in (sheet.get("flags") or {}).items() if region_items.get(k) in items}
    bad = Limited(check)
    for region, problem in expected["flags"].items():
        if region not in flags:
            bad.fail(Q7_NOT_FLAGGED, region=region, item=region_items[region])
        elif flags[region] != problem:
            bad.fail(Q7_WRONG_PROBLEM, region=region, yours=flags[region], problem=problem,
                     rule=PROBLEM_RULES[problem].render(check.lang))
    for region in flags:
        if region not in expected["flags"]:
            bad.fail(Q7_FALSE_ALARM, region=region)
    noted = [(m.get("image"), m.get("label")) for m in (sheet.get("missed") or []) if m.get("image") in items]
    wanted = [(m["image"], m["label"]) for m in expected["missed"]]
    for image, label in wanted:
        if (image, label) in noted:
            noted.remove((image, label))
        else:
            bad.fail(Q7_MISSED, item=image, label=label)
    for image, label in noted:
        bad.fail(Q7_NOT_MISSED, item=image, label=label)
    bad.finish()
    if not bad.count:
        check.ok(Q7_OK_REVIEW) if review else check.ok(Q7_OK, count=len(expected["flags"]) + len(expected["missed"]))


@questions("q7", evidence="outside")
def q7(check: Check) -> None:
    path = workdir(check) / "annotations" / "review.json"
    if not path.exists():
        check.stop(Q7_NO_FILE)
    try:
        sheet = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(sheet, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        check.stop(NOT_JSON, path="annotations/review.json", error=str(exc))
    expected = practice_gold(check, "review")
    if expected is not None:
        _review(check, sheet, expected)
    if check.hidden:
        with check.hidden_part():
            _review(check, sheet, check.hidden, review=True)
    else:
        from .kit import item_key, latest_annotation, read_tasks
        from .sets import STREET_REVIEW
        reviewed = {}
        for task in read_tasks(HERE / "data" / "qc" / "annotator_b.json"):
            for r in (latest_annotation(task) or {}).get("result", []):
                reviewed[r["id"]] = item_key(task)
        for item in STREET_REVIEW:
            count = sum(1 for region in (sheet.get("flags") or {}) if reviewed.get(region) == item)
            count += sum(1 for m in (sheet.get("missed") or []) if m.get("image") == item)
            if count:
                check.ok(REVIEW_SAVED, item=item, count=count)
            else:
                check.fail(REVIEW_EMPTY, item=item)


Q8_OK = M_("annotation.q8.ok", "Raw agreement {agreement} and Cohen's kappa {kappa}: right.")
Q8_RAW = M_("annotation.q8.raw", "`kappa` is {value}: that is the raw agreement (the share of photos with the same label). Cohen's kappa also takes away the agreement two people reach by chance: use cohen_kappa_score.")
Q8_WRONG = M_("annotation.q8.wrong", "`kappa` is {value}, but Cohen's kappa of the two columns is {expected}. Give cohen_kappa_score the two columns annotator_a and annotator_b.")
Q8_AGREEMENT = M_("annotation.q8.agreement", "`agreement` is {value}, but the two annotators chose the same label for {expected} of the photos (a share between 0 and 1).")


# The tables a graded notebook reads instead (hidden/qc/, put over the learner's qc/ files by nbgrader: lab.toml
# [grading] files): other labels, other boxes. Their SHA-256 only tells the checks which table lies in the folder;
# their truth is in hidden/q8.json and q9.json.
GRADED_TABLE_SHA256 = {"qc/two_annotators.csv": "7bd4fb8e141ba434134f3c28c4912621e7c2cf5238653032abde02a1c8c35b19",
                       "qc/box_pairs.csv": "b59c7756575a4c77b4439013a157f366549141b9f833d36ff2b6df692f88b8cc"}
TABLE_GRADED = M_("annotation.table.graded", "{path} in this folder is the grading table, with other data than the practice table: the grading check right after this one judges your answer on it.")
TABLE_CHANGED = M_("annotation.table.changed", "{path} in this folder is not the lab's table any more (it was changed, replaced or deleted), so I can't compare your answer with it. Put the original {path} back (your instructor or the lab's release has it), then run the notebook again from the top. Your code should only read the table, never write it.")


def _table_kind(check: Check, relative: str) -> str | None:
    """Which table lies in the notebook's folder: "practice", "graded", "missing" or None (changed)."""
    import hashlib

    try:
        digest = hashlib.sha256((workdir(check) / relative).read_bytes()).hexdigest()
    except OSError:
        return "missing"   # (a check of the variables alone, in a test: judged on the practice table)
    if digest == GRADED_TABLE_SHA256[relative]:
        return "graded"
    if digest == hashlib.sha256((HERE / "data" / relative).read_bytes()).hexdigest():
        return "practice"
    return None


def _table_truth(check: Check, relative: str) -> bool:
    """True: judge on the practice table (self-study), or on the hidden truth (the grading call on the grading
    table). False after an ok part: the visible call on the grading table (the grading call judges it)."""
    kind = _table_kind(check, relative)
    if check.hidden is not None:
        if kind != "graded":
            check.stop(TABLE_CHANGED, path=relative)
        return True
    if kind == "graded":
        check.ok(TABLE_GRADED, path=relative)
        return False
    if kind is None:
        check.stop(TABLE_CHANGED, path=relative)
    return True


def _agreement_data(check: Check) -> tuple[list[str], list[str]]:
    with (HERE / "data" / "qc" / "two_annotators.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [r["annotator_a"] for r in rows], [r["annotator_b"] for r in rows]


@questions("q8")
def q8(check: Check) -> None:
    from sklearn.metrics import cohen_kappa_score

    if not _table_truth(check, "qc/two_annotators.csv"):
        return
    if check.hidden is not None:
        expected_kappa, expected_agreement = check.hidden["kappa"], check.hidden["agreement"]
        with check.hidden_part():
            _agreement(check, expected_kappa, expected_agreement)
        return
    a, b = _agreement_data(check)
    _agreement(check, float(cohen_kappa_score(a, b)), sum(x == y for x, y in zip(a, b)) / len(a))


def _agreement(check: Check, expected_kappa: float, expected_agreement: float) -> None:
    agreement = check.value("agreement", float)
    check.expect(math.isclose(float(agreement), expected_agreement, abs_tol=0.005) or
                 math.isclose(float(agreement), 100 * expected_agreement, abs_tol=0.5),
                 Q8_AGREEMENT, value=f"{float(agreement):.3f}", expected=f"{expected_agreement:.3f}")
    kappa = check.value("kappa", float)
    if math.isclose(float(kappa), expected_kappa, abs_tol=0.005):
        if all(p.ok for p in check.parts):
            check.ok(Q8_OK, agreement=f"{expected_agreement:.2f}", kappa=f"{expected_kappa:.2f}")
    elif math.isclose(float(kappa), expected_agreement, abs_tol=0.005):
        check.fail(Q8_RAW, value=f"{float(kappa):.3f}")
    else:
        check.fail(Q8_WRONG, value=f"{float(kappa):.3f}", expected=f"{expected_kappa:.3f}")


Q9_OK = M_("annotation.q9.ok", "Mean IoU {value}: right, with the missed objects counted as 0.")
Q9_DROPPED = M_("annotation.q9.dropped", "`mean_iou` is {value}: that leaves out the {count} object one annotator missed. A missed object is complete disagreement: count its IoU as 0 and keep it in the average ({expected}).", "`mean_iou` is {value}: that leaves out the {count} objects one annotator missed. A missed object is complete disagreement: count its IoU as 0 and keep it in the average ({expected}).", count="count")
Q9_WRONG = M_("annotation.q9.wrong", "`mean_iou` is {value}, but the mean IoU of the two annotators' boxes is {expected}. The boxes are x, y, width, height; check your intersection.")


def box_pair_ious() -> tuple[list[float], int]:
    with (HERE / "data" / "qc" / "box_pairs.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    ious, missed = [], 0
    for r in rows:
        if not r["b_x"]:
            ious.append(0.0)
            missed += 1
            continue
        a = [float(r[k]) for k in ("a_x", "a_y", "a_w", "a_h")]
        b = [float(r[k]) for k in ("b_x", "b_y", "b_w", "b_h")]
        ious.append(float(scoring.box_iou([a], [b])[0, 0]))
    return ious, missed


@questions("q9")
def q9(check: Check) -> None:
    if not _table_truth(check, "qc/box_pairs.csv"):
        return
    if check.hidden is not None:
        with check.hidden_part():
            _mean_iou(check, check.hidden["mean_iou"], check.hidden["dropped"], check.hidden["missed"])
        return
    ious, missed = box_pair_ious()
    _mean_iou(check, sum(ious) / len(ious), sum(ious) / (len(ious) - missed), missed)


def _mean_iou(check: Check, expected: float, dropped: float, missed: int) -> None:
    value = float(check.value("mean_iou", float))
    if math.isclose(value, expected, abs_tol=0.005):
        check.ok(Q9_OK, value=f"{expected:.2f}")
    elif math.isclose(value, dropped, abs_tol=0.005):
        check.fail(Q9_DROPPED, value=f"{value:.3f}", count=missed, expected=f"{expected:.3f}")
    else:
        check.fail(Q9_WRONG, value=f"{value:.3f}", expected=f"{expected:.3f}")


# --- q10: COCO, q11: YOLO (notebook delivery) -------------------------------------------------------------------------
Q10_OK = M_("annotation.q10.ok", "pycocotools loads delivery/coco/result.json: {images} image, {annotations} boxes, classes {categories}; every box matches your Label Studio file.", "pycocotools loads delivery/coco/result.json: {images} images, {annotations} boxes, classes {categories}; every box matches your Label Studio file.", count="images")
Q10_NO_FILE = M_("annotation.q10.no_file", "I can't find delivery/coco/result.json. Run the converter with the output folder \"delivery/coco\".")
Q10_NOT_COCO = M_("annotation.q10.not_coco", "pycocotools cannot load delivery/coco/result.json ({error}). Make it with the converter's convert_to_coco, not by hand.")
Q10_IMAGES = M_("annotation.q10.images", "The COCO file lists {count} image, but {source} has {expected}. Convert the whole file.", "The COCO file lists {count} images, but {source} has {expected}. Convert the whole file.", count="count")
Q10_COUNT = M_("annotation.q10.count", "The COCO file has {count} box, but {source} has {expected}. Convert again from {source}.", "The COCO file has {count} boxes, but {source} has {expected}. Convert again from {source}.", count="count")
Q10_PERCENT = M_("annotation.q10.percent", "The COCO boxes are in percent of the picture, as Label Studio stores them. COCO wants pixels: x and width times the picture's width / 100, y and height times its height / 100. The converter does this for you.")
Q10_BOX = M_("annotation.q10.box", "In the COCO file, the `{label}` box on {item} is [{got}], but in {source} it is [{expected}] (x, y, width, height in pixels).")
Q10_CATEGORY = M_("annotation.q10.category", "The COCO file's classes are {got}, but the boxes use {expected}.")
Q11_OK = M_("annotation.q11.ok", "The YOLO files match: {files} label file, {lines} boxes, classes.txt = {classes}.", "The YOLO files match: {files} label files, {lines} boxes, classes.txt = {classes}.", count="files")
Q11_NO_FILES = M_("annotation.q11.no_files", "I can't find delivery/yolo/classes.txt and delivery/yolo/labels/. Run the converter with the output folder \"delivery/yolo\".")
Q11_MISSING_FILE = M_("annotation.q11.missing_file", "There is no delivery/yolo/labels/{name}: every picture needs its own label file (an empty one if it has no boxes).")
Q11_BAD_LINE = M_("annotation.q11.bad_line", "{name}, line {line}: “{text}” is not a YOLO line. Each line is: class number, then x centre, y centre, width, height, all between 0 and 1.")
Q11_COUNT = M_("annotation.q11.count", "{name} has {count} box, but {item} has {expected} in {source}.", "{name} has {count} boxes, but {item} has {expected} in {source}.", count="count")
Q11_CORNER = M_("annotation.q11.corner", "In {name}, the boxes start at their top-left corner. YOLO wants the centre of the box: x + width / 2 and y + height / 2 (divided by the picture's size).")
Q11_BOX = M_("annotation.q11.box", "In {name}, the `{label}` box is [{got}], but from {source} it should be [{expected}] (x centre, y centre, width, height, as shares of the picture).")
Q11_CLASSES = M_("annotation.q11.classes", "classes.txt lists {got}, but the boxes use {expected}.")


def delivery_source(check: Check) -> tuple[str, dict[str, list[tuple[str, list[float]]]]]:
    """The Label Studio file the learner delivers (``kit.delivery_file``) as {item: [(label, box in pixels)]}."""
    from .kit import delivery_file, item_key, latest_annotation, read_tasks, to_pixels

    relative = delivery_file(workdir(check))
    boxes = {}
    for task in read_tasks(workdir(check) / relative):
        regions = [r for r in (latest_annotation(task) or {}).get("result", []) if r.get("type") == "rectanglelabels"]
        boxes[item_key(task)] = [(r["value"]["rectanglelabels"][0], to_pixels(r)) for r in regions]
    return relative, boxes


def _close(a, b, tol) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def _fmt(values) -> str:
    return ", ".join(f"{v:.4g}" for v in values)


@questions("q10", evidence="outside")
def q10(check: Check) -> None:
    import contextlib
    import io

    from .kit import image_size

    path = workdir(check) / "delivery" / "coco" / "result.json"
    if not path.exists():
        check.stop(Q10_NO_FILE)
    try:
        from pycocotools.coco import COCO
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(str(path))
        images = coco.loadImgs(coco.getImgIds())
        annotations = coco.loadAnns(coco.getAnnIds())
        categories = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
        for a in annotations:
            if a["category_id"] not in categories or a["image_id"] not in coco.imgs or len(a["bbox"]) != 4:
                raise ValueError(f"annotation {a.get('id')} names an unknown image or class, or has no 4-number bbox")
    except Exception as exc:  # a file pycocotools cannot read, whatever the reason
        check.stop(Q10_NOT_COCO, error=f"{type(exc).__name__}: {exc}")
    source, boxes = delivery_source(check)
    check.require(len(images) == len(boxes), Q10_IMAGES, count=len(images), expected=len(boxes), source=source)
    expected_count = sum(len(b) for b in boxes.values())
    check.require(len(annotations) == expected_count, Q10_COUNT, count=len(annotations), expected=expected_count,
                  source=source)
    used = sorted({label for bs in boxes.values() for label, _ in bs})
    named = sorted({categories[a["category_id"]] for a in annotations})
    check.require(named == used, Q10_CATEGORY, got=", ".join(named), expected=", ".join(used))
    by_file = {Path(img["file_name"].split("?d=")[-1]).name: img for img in images}
    percent = 0
    bad = Limited(check)
    for item, item_boxes in boxes.items():
        img = by_file.get(item)
        mine = [(categories[a["category_id"]], a["bbox"]) for a in annotations if img and a["image_id"] == img["id"]]
        for label, box in item_boxes:
            same = [b for lab, b in mine if lab == label and _close(b, box, 1.0)]
            if same:
                mine.remove((label, same[0]))
                continue
            W, H = image_size(str(HERE / "data" / "images" / item))
            as_percent = [box[0] * 100 / W, box[1] * 100 / H, box[2] * 100 / W, box[3] * 100 / H]
            if any(lab == label and _close(b, as_percent, 0.5) for lab, b in mine):
                percent += 1
                continue
            bad.fail(Q10_BOX, label=label, item=item, got=_fmt(mine[0][1]) if mine else "", expected=_fmt(box),
                     source=source)
    if percent:
        check.fail(Q10_PERCENT)
    bad.finish()
    if not check.parts or all(p.ok for p in check.parts):
        check.ok(Q10_OK, images=len(images), annotations=len(annotations), categories=", ".join(named))


@questions("q11", evidence="outside")
def q11(check: Check) -> None:
    from .kit import image_size

    base = workdir(check) / "delivery" / "yolo"
    if not (base / "classes.txt").exists() or not (base / "labels").is_dir():
        check.stop(Q11_NO_FILES)
    classes = [c.strip() for c in (base / "classes.txt").read_text(encoding="utf-8").splitlines() if c.strip()]
    source, boxes = delivery_source(check)
    used = sorted({label for bs in boxes.values() for label, _ in bs})
    check.require(set(used) <= set(classes), Q11_CLASSES, got=", ".join(classes), expected=", ".join(used))
    bad = Limited(check)
    lines_total = 0
    corner_in = None
    for item, item_boxes in boxes.items():
        name = Path(item).stem + ".txt"
        path = base / "labels" / name
        if not path.exists():
            bad.fail(Q11_MISSING_FILE, name=name)
            continue
        W, H = image_size(str(HERE / "data" / "images" / item))
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                parts = line.split()
                cls, values = int(parts[0]), [float(v) for v in parts[1:5]]
                if len(parts) != 5 or not all(0 <= v <= 1 for v in values) or not 0 <= cls < len(classes):
                    raise ValueError
            except (ValueError, IndexError):
                bad.fail(Q11_BAD_LINE, name=name, line=number, text=line.strip()[:60])
                continue
            rows.append((classes[cls], values))
        lines_total += len(rows)
        if len(rows) != len(item_boxes):
            bad.fail(Q11_COUNT, name=name, count=len(rows), item=item, expected=len(item_boxes), source=source)
            continue
        for label, (x, y, w, h) in item_boxes:
            want = [(x + w / 2) / W, (y + h / 2) / H, w / W, h / H]
            same = [r for r in rows if r[0] == label and _close(r[1], want, 0.003)]
            if same:
                rows.remove(same[0])
                continue
            top_left = [x / W, y / H, w / W, h / H]
            if any(r[0] == label and _close(r[1], top_left, 0.003) for r in rows):
                corner_in = corner_in or name
                continue
            got = [r[1] for r in rows if r[0] == label]
            bad.fail(Q11_BOX, name=name, label=label, got=_fmt(got[0]) if got else "", expected=_fmt(want),
                     source=source)
    if corner_in:
        check.fail(Q11_CORNER, name=corner_in)
    bad.finish()
    if all(p.ok for p in check.parts):
        check.ok(Q11_OK, files=len(boxes), lines=lines_total, classes=", ".join(classes))


HINTS = {
    "q1": [M_("annotation.q1.hint1", "Go through the five rules one by one for each picture: is every edge touching? Is it a real object? Is the label right?"),
           M_("annotation.q1.hint2", "Two pictures are fine as they are (\"ok\"); each of the other four breaks a different rule.")],
    "q2": [M_("annotation.q2.hint1", "Decide by the main subject: what fills most of the photo, or what the photo is clearly about?")],
    "q3": [M_("annotation.q3.hint1", "Open each picture with boxes.show(\"street_01.png\") and compare your boxes with the objects, edge by edge."),
           M_("annotation.q3.hint2", "Look for the objects that are easy to miss: one hidden behind a car, one cut by the picture's edge, one behind a tree. And skip the poster.")],
    "q4": [M_("annotation.q4.hint1", "Click exactly on the corners. For the round sign, go around the edge with about 16 points.")],
    "q5": [M_("annotation.q5.hint1", "Copy each entity exactly as it stands in the text, and leave titles (Ms., пані, さん) and quotation marks outside.")],
    "q6": [M_("annotation.q6.hint1", "Ask: what does the writer want the reader to do? Apply for work, come to something, or rent a place?")],
    "q7": [M_("annotation.q7.hint1", "Show each picture with review.show(...) and check every box against the five rules; also count the objects without a box.")],
    "q8": [M_("annotation.q8.hint1", "from sklearn.metrics import cohen_kappa_score, then cohen_kappa_score(table[\"annotator_a\"], table[\"annotator_b\"]).")],
    "q9": [M_("annotation.q9.hint1", "Give every row an IoU: 0 when one annotator has no box, else intersection area / union area. Then take the mean of all rows.")],
    "q10": [M_("annotation.q10.hint1", "One call of the converter, the one for COCO, on the file in source; the result goes into the folder delivery/coco."),
            M_("annotation.q10.hint2", "help(converter.convert_to_coco) lists its parameters. source is one file, not a folder: that is what is_dir is about."),
            M_("annotation.q10.hint3", "converter.convert_to_coco(str(source), \"delivery/coco\", is_dir=False)")],
    "q11": [M_("annotation.q11.hint1", "The same converter has a method for YOLO; use it as in exercise 10, with the folder delivery/yolo."),
            M_("annotation.q11.hint2", "converter.convert_to_yolo(str(source), \"delivery/yolo\", is_dir=False)")],
}

__all__ = ["questions", "HINTS", "PROBLEMS"]


# --- q12: rating AI answers against a rubric, and choosing the better one (notebook rating) ----------------------------
RUBRIC = ("correct", "helpful", "harmless", "follows", "language")
PASS_FAIL = ("correct", "harmless", "follows")       # the others are scales from 1 (poor) to 3 (good)
Q12_NOT_DICT = M_("annotation.q12.not_dict", "`ratings` should be a dictionary with one entry per task ({items}), each a dictionary with the entries \"A\", \"B\", \"prefer\" and \"reason\".")
Q12_MISSING = M_("annotation.q12.missing", "{item} has no rating yet. Add an entry \"{item}\" to `ratings`.")
Q12_NO_ANSWER = M_("annotation.q12.no_answer", "{item}: answer {answer} has no rating yet. Give it a dictionary with the five rubric items: {rubric}.")
Q12_NO_ITEM = M_("annotation.q12.no_item", "{item}, answer {answer}: the rubric item `{key}` has no rating yet.")
Q12_BAD_PASS = M_("annotation.q12.bad_pass", "{item}, answer {answer}: `{key}` is “{value}”; this rubric item is \"pass\" or \"fail\".")
Q12_BAD_SCALE = M_("annotation.q12.bad_scale", "{item}, answer {answer}: `{key}` is “{value}”; this rubric item is a whole number from 1 (poor) to 3 (good).")
Q12_FLUENT = M_("annotation.q12.fluent", "{item}, answer {answer}: you rated it correct, but the expert panel did not. {note} An answer that reads well can still be wrong: check every fact against the prompt.")
Q12_DIFFERS = M_("annotation.q12.differs", "{item}, answer {answer}, `{key}`: you gave {value}, the expert panel gave {gold}. {note}")
Q12_PREFER_UNKNOWN = M_("annotation.q12.prefer_unknown", "{item}: `prefer` is “{value}”; write \"A\" or \"B\", the answer you would rather give the person who asked.")
Q12_PREFER = M_("annotation.q12.prefer", "{item}: you preferred answer {value}, the expert panel preferred {gold}. {note}")
Q12_NO_REASON = M_("annotation.q12.no_reason", "{item}: the `reason` for your choice is empty. Write one line a colleague can check, such as which fact or rule decided it.")
Q12_AGREEMENT = M_("annotation.q12.agreement", "Agreement with the expert panel, rubric item by rubric item: {summary}.")
Q12_OK = M_("annotation.q12.ok", "Your ratings and choices agree with the expert panel on the practice tasks.")
Q12_OK_REVIEW = M_("annotation.q12.ok_review", "Your ratings and choices agree with the expert panel on the review task.")
Q12_REVIEW_SAVED = M_("annotation.q12.review_saved", "{item} is a review task: your rating is saved and is scored when your work is graded.")
Q12_REVIEW_EMPTY = M_("annotation.q12.review_empty", "{item} is a review task and is not fully rated yet. Rate it like the others: it is scored when your work is graded.")
Q12_KEY_NAMES = {"correct": M_("annotation.q12.key.correct", "correct"),
                 "helpful": M_("annotation.q12.key.helpful", "helpful"),
                 "harmless": M_("annotation.q12.key.harmless", "harmless"),
                 "follows": M_("annotation.q12.key.follows", "follows the instruction"),
                 "language": M_("annotation.q12.key.language", "language quality"),
                 "prefer": M_("annotation.q12.key.prefer", "preference")}


@functools.cache
def rating_items() -> dict:
    return json.loads((HERE / "data" / "rating" / "items.json").read_text(encoding="utf-8"))


def _rating_value(key: str, value):
    """The learner's rating in a comparable form, or None when it is not a rating this rubric item takes."""
    if key in PASS_FAIL:
        text = str(value).strip().lower() if isinstance(value, (str, bool)) else ""
        return {"pass": "pass", "fail": "fail", "true": "pass", "false": "fail"}.get(text)
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return value if isinstance(value, int) and 1 <= value <= 3 else None


def _ratings(check: Check, ratings: dict, expected: dict, review: bool = False) -> None:
    lang = check.lang
    agree = {key: [0, 0] for key in RUBRIC + ("prefer",)}
    bad = Limited(check)
    for item, panel in expected.items():
        mine = ratings.get(item)
        if not isinstance(mine, dict):
            bad.fail(Q12_MISSING, item=item)
            continue
        for answer in ("A", "B"):
            given = mine.get(answer)
            if not isinstance(given, dict):
                bad.fail(Q12_NO_ANSWER, item=item, answer=answer, rubric=", ".join(RUBRIC))
                continue
            gold_answer = panel[answer]
            note = gold_answer["note"].get(lang) or gold_answer["note"]["en"]
            for key in RUBRIC:
                if given.get(key) is None:
                    bad.fail(Q12_NO_ITEM, item=item, answer=answer, key=key)
                    continue
                value = _rating_value(key, given[key])
                if value is None:
                    bad.fail(Q12_BAD_PASS if key in PASS_FAIL else Q12_BAD_SCALE, item=item, answer=answer,
                             key=key, value=given[key])
                    continue
                agree[key][1] += 1
                if value == gold_answer[key]:
                    agree[key][0] += 1
                elif key == "correct" and value == "pass":
                    bad.fail(Q12_FLUENT, item=item, answer=answer, note=note)
                elif key in PASS_FAIL or abs(value - gold_answer[key]) > 1:
                    bad.fail(Q12_DIFFERS, item=item, answer=answer, key=key, value=value, gold=gold_answer[key],
                             note=note)
        prefer = str(mine.get("prefer") or "").strip().upper()
        worse = "B" if panel["prefer"] == "A" else "A"
        if prefer not in ("A", "B"):
            bad.fail(Q12_PREFER_UNKNOWN, item=item, value=mine.get("prefer"))
        else:
            agree["prefer"][1] += 1
            if prefer == panel["prefer"]:
                agree["prefer"][0] += 1
            else:
                bad.fail(Q12_PREFER, item=item, value=prefer, gold=panel["prefer"],
                         note=panel[worse]["note"].get(lang) or panel[worse]["note"]["en"])
        if not str(mine.get("reason") or "").strip():
            bad.fail(Q12_NO_REASON, item=item)
    bad.finish()
    summary = ", ".join(f"{Q12_KEY_NAMES[key].render(lang)} {done}/{of}" for key, (done, of) in agree.items() if of)
    if summary:
        check.ok(Q12_AGREEMENT, summary=summary)
    if not bad.count:
        check.ok(Q12_OK_REVIEW if review else Q12_OK)


def _fully_rated(mine) -> bool:
    return (isinstance(mine, dict) and all(isinstance(mine.get(a), dict) and all(mine[a].get(k) is not None
                                                                               for k in RUBRIC) for a in "AB")
            and str(mine.get("prefer") or "").strip() != "" and str(mine.get("reason") or "").strip() != "")


@questions("q12")
def q12(check: Check) -> None:
    data = rating_items()
    ratings = check.value("ratings")
    if not isinstance(ratings, dict):
        check.stop(Q12_NOT_DICT, items=", ".join(data["practice"] + data["review"]))
    ratings = {str(k).strip().lower(): v for k, v in ratings.items()}
    _ratings(check, ratings, {item: gold("rating")[item] for item in data["practice"]})
    if check.hidden:
        with check.hidden_part():
            _ratings(check, ratings, check.hidden, review=True)
    else:
        for item in data["review"]:
            if _fully_rated(ratings.get(item)):
                check.ok(Q12_REVIEW_SAVED, item=item)
            else:
                check.fail(Q12_REVIEW_EMPTY, item=item)


HINTS["q12"] = [
    M_("annotation.q12.hint1", "Rate each rubric item on its own. For `correct`, compare every fact in the answer with the prompt; how well it reads belongs to `language` only."),
    M_("annotation.q12.hint2", "Look for a time, an office or a form that the prompt does not give, for advice that could hurt someone, and for an answer that ignores the requested shape (a list, two sentences, one sentence)."),
]


# --- q13: correcting a model's pre-labels (notebook prelabels) ---------------------------------------------------------
Q13_NO_FILE = M_("annotation.q13.no_file", "I can't find your corrections yet (annotations/prelabels.json, annotations/prelabel_texts.json). Accept, fix or delete the model's pre-labels on each item above (every change is saved by itself), then run this check again.")
Q13_OPEN = M_("annotation.q13.open", "{item}: you have not reviewed the model's pre-labels yet. Check them, correct what is wrong, then accept the item.")
Q13_UNCHANGED = M_("annotation.q13.unchanged", "{item}: you accepted the model's pre-labels exactly as they came, but the model made {count} mistake here. A pre-label is a suggestion: check every box or span against the guideline before you accept it.", "{item}: you accepted the model's pre-labels exactly as they came, but the model made {count} mistakes here. A pre-label is a suggestion: check every box or span against the guideline before you accept it.", count="count")
Q13_MODEL_MISSED = M_("annotation.q13.model_missed", "{item}: the model missed the small {label} {where}, and it still has no box. Small, far-away objects are what models miss most: look for them and add a box.")
Q13_MODEL_LOOSE = M_("annotation.q13.model_loose", "{item}: the model's box {region} around the {label} {where} is too loose, and it still is (IoU {iou}, its {edge} edge {px} px away). Move every edge in until it touches the {label}.")
Q13_MODEL_WRONG_CLASS = M_("annotation.q13.model_wrong_class", "{item}: the model called the {gold} {where} a `{label}` (box {region}), and it is still `{label}`. Change its label to `{gold}`.")
Q13_MODEL_FALSE = M_("annotation.q13.model_false", "{item}: the model's `{label}` box {region} {where} is around a picture on a poster, not a real person, and it is still there. Delete it.")
Q13_MODEL_CUT_SHORT = M_("annotation.q13.model_cut_short", "{item}: the model cut the {label} “{words}” short to “{yours}”, and it is still short: {fix}.")
Q13_MODEL_SPAN_LABEL = M_("annotation.q13.model_span_label", "{item}: the model marked “{words}” as {label}, and it still is; it is {gold}. {rule}")
Q13_OFF = M_("annotation.q13.off", "{item}: the box around the {label} {where} is not tight (IoU {iou}): its {edge} edge is {px} px off. Every edge should touch the object.")
Q13_WRONG_CLASS = M_("annotation.q13.wrong_class", "{item}: the object {where} is a `{gold}`, but its box says `{label}`.")
Q13_MISSED = M_("annotation.q13.missed", "{item}: the {label} {where} has no box any more. The model's box for it was right: add it again.")
Q13_EXTRA = M_("annotation.q13.extra", "{item}: the `{label}` box {where} is not around any person, car or bicycle (or one object has two boxes). Delete it.")
Q13_SPAN_MISSING = M_("annotation.q13.span_missing", "{item}: “{words}” ({label}) is not marked any more.")
Q13_SPAN_OFF = M_("annotation.q13.span_off", "{item}: “{yours}” is marked, but the {label} is “{words}”: {fix}.")
Q13_SPAN_LABEL = M_("annotation.q13.span_label", "{item}: “{words}” is marked {label}, but it is {gold}. {rule}")
Q13_SPAN_EXTRA = M_("annotation.q13.span_extra", "{item}: “{words}” is marked {label}, but it is not an entity. Unmark it.")
Q13_FIXED = M_("annotation.q13.fixed", "You corrected {fixed} of the model's {count} mistake on these items.", "You corrected {fixed} of the model's {count} mistakes on these items.", count="count")
Q13_OK = M_("annotation.q13.ok", "Every pre-label is checked: boxes tight with the right class (mean IoU {iou}), entity spans exact (F1 {f1}).")
Q13_OK_REVIEW = M_("annotation.q13.ok_review", "The review items are corrected: every model mistake there is fixed.")
Q13_REVIEW_SAVED = M_("annotation.q13.review_saved", "{item} is a review item: your corrections are saved and are scored when your work is graded.")
Q13_REVIEW_OPEN = M_("annotation.q13.review_open", "{item} is a review item and you have not reviewed its pre-labels yet. Correct and accept it like the others: it is scored when your work is graded.")


@functools.cache
def predictions(job_name: str) -> dict[str, list[dict]]:
    from .kit import item_key, read_tasks
    path = HERE / "data" / ("prelabels/boxes.json" if job_name == "prelabels" else "prelabels/texts.json")
    return {item_key(t): t["predictions"][0]["result"] for t in read_tasks(path)}


def _unchanged(mine: list[dict], predicted: list[dict]) -> bool:
    from .kit import _same_region
    return len(mine) == len(predicted) and all(any(_same_region(m, p, 1e-3) for p in predicted) for m in mine)


def _prelabel_boxes(check: Check, results: dict, expected: dict, bad: Limited, tally: list, ious: list) -> None:
    from .kit import to_pixels

    for item, g in expected.items():
        if item not in results:
            bad.fail(Q13_OPEN, item=item)
            tally[1] += len(g["planted"])
            continue
        W, H = g["width"], g["height"]
        mine = own(results[item], "label")
        if g["planted"] and _unchanged(mine, predictions("prelabels").get(item, [])):
            bad.fail(Q13_UNCHANGED, item=item, count=len(g["planted"]))
        planted = {(p["kind"], p.get("object", p.get("negative"))): p for p in g["planted"]}
        boxes = [(r["value"]["rectanglelabels"][0], to_pixels(r, (W, H))) for r in mine]
        left = 0
        for f in scoring.score_boxes(boxes, g):
            ref = f.gold["box"] if f.gold and f.kind not in ("extra", "not_an_object") else f.box
            j = g["objects"].index(f.gold) if f.gold in g["objects"] else (
                g["negatives"].index(f.gold) if f.gold in g["negatives"] else None)
            params = {"item": item, "where": where(check, ref, W, H), "iou": f"{f.iou:.2f}",
                      "label": f.gold["label"] if f.gold and f.kind != "not_an_object" else f.label}
            if f.edge:
                params.update(edge=EDGES[f.edge[0]].render(check.lang), px=f"{abs(f.edge[1]):.0f}")
            if f.kind == "tight":
                ious.append(f.iou)
            elif f.kind == "missed":
                if ("missed", j) in planted:
                    left += 1
                    bad.fail(Q13_MODEL_MISSED, **params)
                else:
                    bad.fail(Q13_MISSED, **params)
            elif f.kind == "wrong_class":
                p = planted.get(("wrong_class", j))
                if p and f.label == p["predicted"]:
                    left += 1
                    bad.fail(Q13_MODEL_WRONG_CLASS, **{**params, "gold": f.gold["label"], "label": f.label,
                                                       "region": p["region"]})
                else:
                    bad.fail(Q13_WRONG_CLASS, **{**params, "gold": f.gold["label"], "label": f.label})
            elif f.kind in ("loose", "cut", "shifted"):
                p = planted.get(("loose", j))
                if p and f.kind == "loose":
                    left += 1
                    bad.fail(Q13_MODEL_LOOSE, **params, region=p["region"])
                else:
                    bad.fail(Q13_OFF, **params)
            elif f.kind == "not_an_object" and ("false_positive", j) in planted:
                left += 1
                bad.fail(Q13_MODEL_FALSE, **{**params, "label": f.label},
                         region=planted[("false_positive", j)]["region"])
            else:
                bad.fail(Q13_EXTRA, **{**params, "label": f.label})
        tally[0] += len(g["planted"]) - left
        tally[1] += len(g["planted"])


def _prelabel_spans(check: Check, results: dict, expected: dict, bad: Limited, tally: list,
                    total: scoring.SpanScore) -> None:
    from .kit import read_tasks

    texts = {t["data"]["name"]: t["data"]["text"] for t in read_tasks(HERE / "data" / "prelabels" / "texts.json")}
    for item, g in expected.items():
        if item not in results:
            bad.fail(Q13_OPEN, item=item)
            tally[1] += len(g["planted"])
            continue
        text = texts[item]
        mine = own(results[item], "entity")
        if g["planted"] and _unchanged(mine, predictions("prelabel_texts").get(item, [])):
            bad.fail(Q13_UNCHANGED, item=item, count=len(g["planted"]))
        planted = {(p["kind"], p["span"]): p for p in g["planted"]}
        spans = [{"start": r["value"]["start"], "end": r["value"]["end"], "label": r["value"]["labels"][0]}
                 for r in mine]
        score = scoring.score_spans(spans, g["spans"])
        total.add(score)
        left = 0
        for f in score.findings:
            j = g["spans"].index(f.gold) if f.gold else None
            yours = text[f.span["start"]:f.span["end"]] if f.span else ""
            if f.kind == "missing":
                bad.fail(Q13_SPAN_MISSING, item=item, words=f.gold["text"], label=f.gold["label"])
            elif f.kind == "misplaced":
                fix = _fix(check, text, f.span, f.gold)
                p = planted.get(("cut_short", j))
                if p and yours == p["predicted"]:
                    left += 1
                    bad.fail(Q13_MODEL_CUT_SHORT, item=item, label=f.gold["label"], words=f.gold["text"],
                             yours=yours, fix=fix)
                else:
                    bad.fail(Q13_SPAN_OFF, item=item, yours=yours, words=f.gold["text"], label=f.gold["label"],
                             fix=fix)
            elif f.kind == "wrong_label":
                p = planted.get(("wrong_label", j))
                message = Q13_MODEL_SPAN_LABEL if p and f.span["label"] == p["label"] else Q13_SPAN_LABEL
                left += message is Q13_MODEL_SPAN_LABEL
                bad.fail(message, item=item, words=f.gold["text"], label=f.span["label"], gold=f.gold["label"],
                         rule=ENTITY_RULES[f.gold["label"]].render(check.lang))
            elif f.kind == "extra":
                bad.fail(Q13_SPAN_EXTRA, item=item, words=yours, label=f.span["label"])
        tally[0] += len(g["planted"]) - left
        tally[1] += len(g["planted"])


def _prelabels(check: Check, boxes: dict, spans: dict, expected: dict, review: bool = False) -> None:
    bad, tally, ious, total = Limited(check), [0, 0], [], scoring.SpanScore()
    _prelabel_boxes(check, boxes, expected["images"], bad, tally, ious)
    _prelabel_spans(check, spans, expected["texts"], bad, tally, total)
    bad.finish()
    if tally[0] < tally[1]:
        check.fail(Q13_FIXED, fixed=tally[0], count=tally[1])
    elif not bad.count:
        if review:
            check.ok(Q13_OK_REVIEW)
        else:
            check.ok(Q13_OK, iou=f"{sum(ious) / len(ious):.2f}" if ious else "-", f1=f"{total.f1:.2f}")


@questions("q13", evidence="outside")
def q13(check: Check) -> None:
    files = {name: workdir(check) / PRELABEL_JOBS[name].file for name in PRELABEL_JOBS}
    if not any(path.exists() for path in files.values()):
        check.stop(Q13_NO_FILE)
    loaded = {name: load_results(check, name) if path.exists() else {} for name, path in files.items()}
    expected = practice_gold(check, "prelabels")
    if expected is not None:
        _prelabels(check, loaded["prelabels"], loaded["prelabel_texts"], expected)
    if check.hidden:
        with check.hidden_part():
            _prelabels(check, loaded["prelabels"], loaded["prelabel_texts"], check.hidden, review=True)
    else:
        for name, results in loaded.items():
            job = PRELABEL_JOBS[name]
            for item in job.items:
                if item not in job.practice:
                    check.ok(Q13_REVIEW_SAVED, item=item) if item in results else check.fail(Q13_REVIEW_OPEN,
                                                                                              item=item)


HINTS["q13"] = [
    M_("annotation.q13.hint1", "Treat every pre-label as a suggestion. For each box ask: is it a real person, car or bicycle, is the class right, does every edge touch? Then look for objects with no box. For each span: are both edges and the label right?"),
    M_("annotation.q13.hint2", "Show each picture with boxes.show(..., grid=True) and each text with texts.show(...). Models miss small, far-away objects, draw boxes too big, mix up classes, take pictures on posters for people, and stop a name or a date too early."),
    M_("annotation.q13.hint3", "A worked example on other data: if the model's box p9 around a dog reached 12 px too far right, boxes.fix(\"p9\", width=...) with the width reduced by 12 fixes it; boxes.fix(\"p9\", label=\"cat\") changes only its class; a span “New” that should be “New York” is texts.unmark(..., \"New\") and texts.mark(..., \"New York\", \"LOC\"). Accept each item when it is right."),
    M_("annotation.q13.hint4", "The answer: prelabel_01.png: add the small person at x=550, y=148 (20 × 40) and fix p2 to x=250, y=244, width=220, height=128; prelabel_02.png: fix p5 to label \"bicycle\", delete p7; pl_en: unmark “Hoshino Care”, mark “Hoshino Care Services” as ORG; pl_uk: mark “Світанок” as ORG; pl_ja is right. Then accept each item, the review items too, after correcting them the same way."),
]


# --- q14: outlines delivered as COCO segmentation (notebook delivery) --------------------------------------------------
Q14_NO_FILE = M_("annotation.q14.no_file", "I can't find delivery/coco_signs/result.json. Run the outline converter with the output folder \"delivery/coco_signs\".")
Q14_NOT_COCO = M_("annotation.q14.not_coco", "pycocotools cannot load delivery/coco_signs/result.json ({error}). Make it with the converter's convert_to_coco, not by hand.")
Q14_NO_SEGMENTATION = M_("annotation.q14.no_segmentation", "The COCO file has {count} annotation without a `segmentation`: it holds a box only, so the outline is lost. Convert {source} with the converter made from configs/polygons.xml: it writes each outline's points into `segmentation`.", "The COCO file has {count} annotations without a `segmentation`: they hold boxes only, so the outlines are lost. Convert {source} with the converter made from configs/polygons.xml: it writes each outline's points into `segmentation`.", count="count")
Q14_COUNT = M_("annotation.q14.count", "The COCO file has {count} outline, but {source} has {expected}. Convert again from {source}.", "The COCO file has {count} outlines, but {source} has {expected}. Convert again from {source}.", count="count")
Q14_CATEGORY = M_("annotation.q14.category", "The COCO file's classes are {got}, but the outlines use {expected}.")
Q14_MASK = M_("annotation.q14.mask", "{item}: the `{label}` outline in the COCO file does not match {source} (mask IoU {iou}; 0.95 or more expected). Convert again from {source} instead of changing points by hand.")
Q14_OK = M_("annotation.q14.ok", "pycocotools loads delivery/coco_signs/result.json: {count} outline with its segmentation, and its mask matches {source} (mask IoU {iou} or more).", "pycocotools loads delivery/coco_signs/result.json: {count} outlines with their segmentation, and every mask matches {source} (mask IoU {iou} or more).", count="count")
MASK_SAME_IOU = 0.95


def _coco(check: Check, path: Path, not_coco):
    import contextlib
    import io

    try:
        from pycocotools.coco import COCO
        with contextlib.redirect_stdout(io.StringIO()):
            coco = COCO(str(path))
        categories = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
        for a in coco.loadAnns(coco.getAnnIds()):
            if a["category_id"] not in categories or a["image_id"] not in coco.imgs:
                raise ValueError(f"annotation {a.get('id')} names an unknown image or class")
    except Exception as exc:  # a file pycocotools cannot read, whatever the reason
        check.stop(not_coco, error=f"{type(exc).__name__}: {exc}")
    return coco, categories


@questions("q14", evidence="outside")
def q14(check: Check) -> None:
    from pycocotools import mask as mask_utils

    from .kit import delivery_file, item_key, latest_annotation, read_tasks

    path = workdir(check) / "delivery" / "coco_signs" / "result.json"
    if not path.exists():
        check.stop(Q14_NO_FILE)
    coco, categories = _coco(check, path, Q14_NOT_COCO)
    annotations = coco.loadAnns(coco.getAnnIds())
    source = delivery_file(workdir(check), "polygons")
    flat = [a for a in annotations if not (isinstance(a.get("segmentation"), (list, dict)) and a["segmentation"])]
    if flat:
        check.stop(Q14_NO_SEGMENTATION, count=len(flat), source=source)
    outlines: dict[str, list[tuple[str, dict]]] = {}
    for task in read_tasks(workdir(check) / source):
        regions = [r for r in (latest_annotation(task) or {}).get("result", []) if r.get("type") == "polygonlabels"]
        if regions:
            W, H = regions[0]["original_width"], regions[0]["original_height"]
            outlines[item_key(task)] = [(r["value"]["polygonlabels"][0],
                                         scoring.polygon_rle([(x * W / 100, y * H / 100) for x, y in r["value"]["points"]],
                                                             H, W)) for r in regions]
    expected = sum(len(v) for v in outlines.values())
    check.require(len(annotations) == expected, Q14_COUNT, count=len(annotations), expected=expected, source=source)
    used = sorted({label for v in outlines.values() for label, _ in v})
    named = sorted({categories[a["category_id"]] for a in annotations})
    check.require(named == used, Q14_CATEGORY, got=", ".join(named), expected=", ".join(used))
    by_file = {Path(img["file_name"].split("?d=")[-1]).name: img for img in coco.loadImgs(coco.getImgIds())}
    bad, lowest = Limited(check), 1.0
    for item, mine in outlines.items():
        img = by_file.get(item)
        theirs = [(categories[a["category_id"]], coco.annToRLE(a)) for a in annotations if img and a["image_id"] == img["id"]]
        for label, rle in mine:
            candidates = [(float(mask_utils.iou([rle], [r], [0])[0][0]), k) for k, (lab, r) in enumerate(theirs)
                          if lab == label]
            best, k = max(candidates, default=(0.0, None))
            if k is not None and best >= MASK_SAME_IOU:
                theirs.pop(k)
                lowest = min(lowest, best)
            else:
                bad.fail(Q14_MASK, item=item, label=label, iou=f"{best:.2f}", source=source)
    bad.finish()
    if all(p.ok for p in check.parts):
        check.ok(Q14_OK, count=len(annotations), iou=f"{lowest:.2f}", source=source)


HINTS["q14"] = [
    M_("annotation.q14.hint1", "Outlines need a converter that knows they are outlines: one made from the outline config, configs/polygons.xml, not the one for boxes."),
    M_("annotation.q14.hint2", "The cell above made it for you (signs_converter) and picked the file to deliver (signs_source). Use the same method as in exercise 10, with the output folder \"delivery/coco_signs\"."),
    M_("annotation.q14.hint3", "signs_converter.convert_to_coco(str(signs_source), \"delivery/coco_signs\", is_dir=False)"),
]


# --- q15: entity spans delivered as CoNLL / BIO (notebook delivery) ----------------------------------------------------
Q15_NO_FILE = M_("annotation.q15.no_file", "I can't find delivery/conll/texts.conll yet. Write the function bio, run its cell, then run the cell after it: that cell writes the file with your function.")
Q15_BAD_LINE = M_("annotation.q15.bad_line", "delivery/conll/texts.conll, line {line}: “{text}” is not a CoNLL line. Each line is a token, one space and its tag; a blank line ends a text.")
Q15_DOCS = M_("annotation.q15.docs", "delivery/conll/texts.conll holds {count} text, but {source} has {expected}. Write the file again with the cell after your function.", "delivery/conll/texts.conll holds {count} texts, but {source} has {expected}. Write the file again with the cell after your function.", count="count")
Q15_TOKENS = M_("annotation.q15.tokens", "{item}: the tokens in the file are not the text's tokens (first difference at token {number}: “{got}” instead of “{expected}”). Give every token exactly one tag, in order.")
Q15_BAD_TAG = M_("annotation.q15.bad_tag", "{item}, token “{token}”: the tag “{tag}” is not a BIO tag. A tag is O, or B- or I- followed by one of the labels {labels}, such as B-{label}.")
Q15_I_FIRST = M_("annotation.q15.i_first", "{item}, token “{token}”: the tag {tag} continues an entity that has not started. The first token of an entity gets B-, only the tokens after it get I- (here: B-{label}).")
Q15_MISSING = M_("annotation.q15.missing", "{item}: “{words}” ({label}) is marked in {source}, but the BIO tags do not give this entity. Its first token gets B-{label}, its other tokens I-{label}.")
Q15_EXTRA = M_("annotation.q15.extra", "{item}: the BIO tags give “{words}” as {label}, but {source} has no such entity. Tokens outside every entity get O.")
Q15_OK = M_("annotation.q15.ok", "delivery/conll/texts.conll: {count} text, every token tagged, and the entities are exactly those in {source}.", "delivery/conll/texts.conll: {count} texts, every token tagged, and the entities are exactly those in {source}.", count="count")
ENTITY_LABELS = ("PER", "ORG", "LOC", "DATE")


def read_conll(text: str) -> tuple[list[list[tuple[str, str]]], tuple[int, str] | None]:
    """The documents of a two-column CoNLL file ([(token, tag)] each), or the first line that is not CoNLL."""
    docs, current = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            if current:
                docs.append(current)
                current = []
            continue
        parts = line.split()
        if len(parts) != 2:
            return docs, (number, line)
        current.append((parts[0], parts[1]))
    if current:
        docs.append(current)
    return docs, None


@questions("q15", evidence="outside")
def q15(check: Check) -> None:
    from .kit import delivery_file, documents

    path = workdir(check) / "delivery" / "conll" / "texts.conll"
    if not path.exists():
        check.stop(Q15_NO_FILE)
    docs, bad_line = read_conll(path.read_text(encoding="utf-8"))
    if bad_line:
        check.stop(Q15_BAD_LINE, line=bad_line[0], text=bad_line[1])
    source = delivery_file(workdir(check), "texts")
    expected = documents(source, workdir(check))
    check.require(len(docs) == len(expected), Q15_DOCS, count=len(docs), expected=len(expected), source=source)
    bad = Limited(check)
    for doc, tagged in zip(expected, docs):
        item, text = doc["name"], doc["text"]
        got = [t for t, _ in tagged]
        want = [t for t, _, _ in doc["tokens"]]
        if got != want:
            number = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            bad.fail(Q15_TOKENS, item=item, number=number + 1, got=got[number] if number < len(got) else "",
                     expected=want[number] if number < len(want) else "")
            continue
        spans, open_span, broken = [], None, False
        for (token, start, end), (_, tag) in zip(doc["tokens"], tagged):
            prefix, _, label = tag.partition("-")
            if tag != "O" and (prefix not in ("B", "I") or label not in ENTITY_LABELS):
                bad.fail(Q15_BAD_TAG, item=item, token=token, tag=tag, labels=", ".join(ENTITY_LABELS),
                         label=label if label in ENTITY_LABELS else "LOC")
                broken = True
                break
            if prefix == "I" and (open_span is None or open_span["label"] != label):
                bad.fail(Q15_I_FIRST, item=item, token=token, tag=tag, label=label)
                broken = True
                break
            if prefix == "I":
                open_span["end"] = end
                continue
            open_span = None
            if prefix == "B":
                open_span = {"start": start, "end": end, "label": label}
                spans.append(open_span)
        if broken:
            continue
        mine = {(s["start"], s["end"], s["label"]) for s in spans}
        theirs = {(s["start"], s["end"], s["label"]) for s in doc["spans"]}
        for start, end, label in sorted(theirs - mine):
            bad.fail(Q15_MISSING, item=item, words=text[start:end], label=label, source=source)
        for start, end, label in sorted(mine - theirs):
            bad.fail(Q15_EXTRA, item=item, words=text[start:end], label=label, source=source)
    bad.finish()
    if all(p.ok for p in check.parts):
        check.ok(Q15_OK, count=len(docs), source=source)


HINTS["q15"] = [
    M_("annotation.q15.hint1", "Go through the tokens in order and decide each tag on its own: is the token inside an entity? If so, is it the entity's first token (B-) or a later one (I-)? If not, O."),
    M_("annotation.q15.hint2", "A token (text, start, end) is inside a span when the span's start is at most the token's start and the token's end is at most the span's end. It is the first token exactly when the two starts are equal. Collect the tags in a list and return it."),
    M_("annotation.q15.hint3", "The same kind of function on other data: def shout(words, loud):, a list result = [], for word in words:, an if on word in loud that appends word.upper() and an else that appends word, then return result."),
    M_("annotation.q15.hint4", "def bio(tokens, spans):\n    tags = []\n    for text, start, end in tokens:\n        tag = \"O\"\n        for span in spans:\n            if span[\"start\"] == start:\n                tag = \"B-\" + span[\"label\"]\n            elif span[\"start\"] < start and end <= span[\"end\"]:\n                tag = \"I-\" + span[\"label\"]\n        tags.append(tag)\n    return tags"),
]


# --- session 14: questions kept in their own module (q16 ...), registered in the same `questions` and HINTS --------
from . import checks_extra  # noqa: E402,F401
from . import checks_batch  # noqa: E402,F401
