"""The learner's annotation tools: one object per job, saving every change at once in Label Studio's JSON format.

    from labs.annotation import kit
    boxes = kit.BoxJob(lang="uk")
    boxes.widget()                                   # draw in the notebook (jupyter-bbox-widget)
    boxes.add("street_01.png", "person", x=62, y=72, width=66, height=140)   # or type a box
    boxes.show("street_01.png")                      # your boxes drawn on the picture, numbered

Every job writes ``annotations/<job>.json``: a list of Label Studio tasks (``data`` + ``annotations[].result``),
the regions made and checked with ``label-studio-sdk``'s ``LabelInterface`` exactly as Label Studio exports them,
so the file opens in Label Studio and converts with its converter. Pictures are referred to as ``images/<name>``
relative to the lab folder, the way an export of a local-files project refers to them. A file the tools cannot
read is never overwritten: it is kept beside under a new name, and the learner is told.

The same jobs can be done in a real Label Studio (``job.to_label_studio(lab)`` / ``job.from_label_studio(lab)``,
see ``studio.py``); the checks read the same file either way.
"""
from __future__ import annotations

import copy
import functools
import json
import os
import re
import time
import uuid
from pathlib import Path

from graders.i18n import Domain, resolve_language

from .sets import JOBS, PRELABEL_JOBS, JobDef, PROBLEMS

M_ = Domain.beside(__file__)

SAVED = M_("annotation.kit.saved", "Saved in {path}. {item} has {count} annotation.", "Saved in {path}. {item} has {count} annotations.", count="count")
SHEET_SAVED = M_("annotation.kit.sheet_saved", "Saved in {path}. Flagged boxes: {flags}; missed objects: {missed}.")
KEPT_BROKEN = M_("annotation.kit.kept_broken", "{path} could not be read ({error}), so I kept it as {backup} and started a new, empty file. Nothing was deleted.")
UNKNOWN_ITEM = M_("annotation.kit.unknown_item", "There is no “{item}” in this job. The items are: {known}.")
UNKNOWN_LABEL = M_("annotation.kit.unknown_label", "“{label}” is not one of this job's labels: {known}. Copy the label exactly, with small letters.")
NOT_IN_TEXT = M_("annotation.kit.not_in_text", "I can't find “{words}” in text {item}. Copy the words exactly as they stand in the text (spaces and punctuation too).")
NTH_MISSING = M_("annotation.kit.nth_missing", "“{words}” occurs {count} time in text {item}, so there is no occurrence number {nth}.", "“{words}” occurs {count} times in text {item}, so there is no occurrence number {nth}.", count="count")
OUTSIDE = M_("annotation.kit.outside", "This box goes outside the picture ({width}×{height} pixels). Check x, y, width and height: x + width must be at most {width}, y + height at most {height}.")
TOO_SMALL = M_("annotation.kit.too_small", "A box needs a width and a height of at least 1 pixel.")
FEW_POINTS = M_("annotation.kit.few_points", "An outline needs at least 3 points, like [(10, 20), (60, 20), (35, 70)].")
NO_NUMBER = M_("annotation.kit.no_number", "{item} has no annotation number {number}; it has {count}.")
UNKNOWN_REGION = M_("annotation.kit.unknown_region", "There is no box “{region}” in the other annotator's work. Their boxes are b1 to b{last}.")
UNKNOWN_PROBLEM = M_("annotation.kit.unknown_problem", "“{problem}” is not one of the problem names: {known}.")
IMAGE_LINE = M_("annotation.kit.image_line", "{item}: {count} annotation", "{item}: {count} annotations", count="count")
WIDGET_STATUS = M_("annotation.kit.widget_status", "Picture {index} of {total}: {item}. {count} box saved.", "Picture {index} of {total}: {item}. {count} boxes saved.", count="count")
WIDGET_HELP = M_("annotation.kit.widget_help", "Choose a label (or press 1, 2, 3), then drag a box on the picture. Click a box to select it; drag its corners to adjust it; press Delete to remove it. Every change is saved at once.")
POLY_HELP = M_("annotation.kit.poly_help", "Choose a label, then click the corners of the sign one by one. Click the first point again (or “Close outline”) to finish. Every change is saved at once.")
PREVIOUS = M_("annotation.kit.previous", "◀ Previous")
NEXT = M_("annotation.kit.next", "Next ▶")
NO_WIDGETS = M_("annotation.kit.no_widgets", "The drawing tool needs the packages ipywidgets and jupyter-bbox-widget, which are not installed here. Type your annotations with the commands shown above instead.")
UNKNOWN_PRELABEL = M_("annotation.kit.unknown_prelabel", "There is no pre-label “{region}”. The model's boxes are called p1 to p{last}: boxes.show(...) writes each name on its box.")
DELETED_PRELABEL = M_("annotation.kit.deleted_prelabel", "You deleted pre-label {region} already, so there is nothing to fix. If the object needs a box after all, add a new one with boxes.add(...).")
SPEED_CORRECT = M_("annotation.kit.speed_correct", "Correcting the model's boxes: {per_box} seconds per box ({count} box, on the pictures you worked on in the drawing tool).", "Correcting the model's boxes: {per_box} seconds per box ({count} boxes, on the pictures you worked on in the drawing tool).", count="count")
SPEED_DRAW = M_("annotation.kit.speed_draw", "Drawing boxes yourself in notebook 3: {per_box} seconds per box ({count} box).", "Drawing boxes yourself in notebook 3: {per_box} seconds per box ({count} boxes).", count="count")
SPEED_FASTER = M_("annotation.kit.speed_faster", "Correcting was {factor} times as fast as drawing, per box.")
SPEED_NOT_FASTER = M_("annotation.kit.speed_not_faster", "This time correcting was not faster than drawing (factor {factor}). Checking a good pre-label should take a few seconds: look, accept, move on.")
SPEED_NONE = M_("annotation.kit.speed_none", "No times recorded yet. The drawing tool records how long you work on each picture, as Label Studio does; typed commands do not. Correct a picture in the drawing tool, then run this cell again.")
SPEED_NO_DRAW = M_("annotation.kit.speed_no_draw", "Notebook 3 has no recorded drawing times, so there is nothing to compare with yet. They are recorded when you draw in the drawing tool.")
CONLL_FAILED = M_("annotation.kit.conll_failed", "Your function bio stopped on text {item} with {error}. Nothing was written: fix the function, run its cell, then run this cell again.")
CONLL_LENGTH = M_("annotation.kit.conll_length", "Text {item} has {count} token, but your function bio returned {got}: it must return a list with one tag per token. Nothing was written.", "Text {item} has {count} tokens, but your function bio returned {got}: it must return a list with one tag per token. Nothing was written.", count="count")
CONLL_SAVED = M_("annotation.kit.conll_saved", "Saved in {path}: {count} text.", "Saved in {path}: {count} texts.", count="count")
SPAN_OUTSIDE = M_("annotation.kit.span_outside", "Start and end must be whole numbers with 0 ≤ start < end ≤ {length}, the length of text {item} in characters.")
CLASS_SAVED = M_("annotation.kit.class_saved", "{item}: {label} (saved)")


IDLE = 120.0   # seconds: a longer pause between two changes in a widget counts as this much work


class AnnotationError(ValueError):
    """A mistake in how a tool was used: shown in the notebook as one kind sentence, with no traceback."""

    def _render_traceback_(self):  # IPython shows this instead of a traceback
        return [f"\x1b[31m✘ {self}\x1b[0m"]


def lab_root(root: str | Path | None = None) -> Path:
    """The lab folder (where images/, configs/ and annotations/ are): the notebook's folder."""
    return Path(root) if root is not None else Path.cwd()


@functools.lru_cache(maxsize=None)
def label_interface(config: str):
    from label_studio_sdk.label_interface import LabelInterface

    return LabelInterface(config)


@functools.lru_cache(maxsize=None)
def image_size(path: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as img:
        return img.size


def item_key(task: dict) -> str | None:
    """Which item a task is about: its ``name`` (set by our tools) or the file name of its picture."""
    data = task.get("data") or {}
    if data.get("name"):
        return str(data["name"])
    image = data.get("image")
    if isinstance(image, str) and not image.startswith("data:"):
        return os.path.basename(image.split("?d=")[-1])
    return None


def latest_annotation(task: dict) -> dict | None:
    """The annotation that counts: the most recent one not cancelled (a task may carry several)."""
    annotations = [a for a in (task.get("annotations") or []) if isinstance(a, dict)
                   and not a.get("was_cancelled") and not a.get("skipped")]
    if not annotations:
        return None
    return max(enumerate(annotations), key=lambda p: (str(p[1].get("updated_at") or p[1].get("created_at") or ""),
                                                      p[0]))[1]


def read_tasks(path: Path) -> list[dict]:
    """A Label Studio JSON file: a list of tasks (or one task). Raises ValueError when it is not one."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(t, dict) and "data" in t for t in data):
        raise ValueError("not a list of Label Studio tasks (each with a 'data' part)")
    return data


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _new_id() -> str:
    return uuid.uuid4().hex[:10]


def _same_region(a: dict, b: dict, tolerance: float = 1e-6) -> bool:
    """The same label and the same geometry (ids and other bookkeeping aside)."""
    if a.get("from_name") != b.get("from_name"):
        return False
    va, vb = a.get("value", {}), b.get("value", {})
    if set(va) != set(vb):
        return False
    for key, value in va.items():
        other = vb[key]
        if isinstance(value, (int, float)) and isinstance(other, (int, float)):
            if abs(value - other) > tolerance:
                return False
        elif key == "points":
            if len(value) != len(other) or any(abs(p - q) > tolerance for pa, pb in zip(value, other)
                                               for p, q in zip(pa, pb)):
                return False
        elif value != other:
            return False
    return True


class Job:
    """One annotation job, its items and the learner's results, always in step with ``annotations/<job>.json``."""

    job: JobDef

    def __init__(self, root: str | Path | None = None, lang: str | None = None, *, quiet: bool = False):
        self.root = lab_root(root)
        self.lang = resolve_language(lang)
        self.quiet = quiet
        self.config = (self.root / self.job.config).read_text(encoding="utf-8")
        self.path = self.root / self.job.file
        self.results: dict[str, list[dict]] = {item: [] for item in self.job.items}
        self.listeners: list = []        # open widgets, told when typed commands change an item
        self.from_widget = False         # set while a widget itself writes (it needs no telling)
        self.lead_times: dict[str, float] = {}   # seconds worked on an item in a widget (Label Studio's lead_time)
        self.clock: dict[str, float] = {}        # when the widget showed the item, or saved it last
        self._load()
        label_interface(self.config)     # load label-studio-sdk now, so the first drawn box saves at once

    # --- the file ------------------------------------------------------------------------------------------------
    def _load(self) -> None:
        if not self.path.exists():
            return
        try:
            tasks = read_tasks(self.path)
        except (ValueError, OSError) as exc:
            backup = self.path.with_name(f"{self.path.stem}.unreadable-{time.strftime('%Y%m%d-%H%M%S')}.json")
            self.path.replace(backup)
            print(KEPT_BROKEN.render(self.lang, path=self.job.file, error=exc, backup=backup.name))
            return
        for task in tasks:
            key = item_key(task)
            annotation = latest_annotation(task)
            if key in self.results and annotation is not None:
                self.results[key] = list(annotation.get("result") or [])
                if isinstance(annotation.get("lead_time"), (int, float)):
                    self.lead_times[key] = float(annotation["lead_time"])

    def task_data(self, item: str) -> dict:
        return {self.job.object_name: f"images/{item}"}

    def tasks(self) -> list[dict]:
        """The job as Label Studio tasks, one per item, each with the learner's annotation."""
        out = []
        for number, item in enumerate(self.job.items, start=1):
            task = {"id": number, "data": self.task_data(item)}
            task["annotations"] = [{"id": number, "result": self.results[item], "was_cancelled": False,
                                    "ground_truth": False}]
            if item in self.lead_times:
                task["annotations"][0]["lead_time"] = round(self.lead_times[item], 1)
            out.append(task)
        return out

    def save(self) -> None:
        write_atomic(self.path, json.dumps(self.tasks(), ensure_ascii=False, indent=1) + "\n")

    def start_clock(self, item: str) -> None:
        """The widget shows ``item``: time spent on it counts from now (as Label Studio's lead_time does)."""
        self.clock[item] = time.monotonic()

    def _tick(self, item: str) -> None:
        if item in self.clock:
            now = time.monotonic()
            # a pause longer than IDLE seconds is a break, not work: count at most IDLE of it
            self.lead_times[item] = self.lead_times.get(item, 0.0) + min(now - self.clock[item], IDLE)
            self.clock[item] = now

    def _saved(self, item: str | None = None) -> None:
        if item is not None:
            self._tick(item)
        self.save()
        if not self.from_widget and item is not None:
            for listener in list(self.listeners):
                listener(item)
        if not self.quiet and item is not None:
            print(SAVED.render(self.lang, path=self.job.file, item=item, count=len(self.results[item])))

    # --- helpers -------------------------------------------------------------------------------------------------
    def _item(self, item: str) -> str:
        item = str(item)
        if item not in self.results:
            raise AnnotationError(UNKNOWN_ITEM.render(self.lang, item=item, known=", ".join(self.job.items)))
        return item

    def _label(self, label: str, allowed=None) -> str:
        allowed = tuple(allowed or self.job.labels)
        if label not in allowed:
            raise AnnotationError(UNKNOWN_LABEL.render(self.lang, label=label, known=", ".join(allowed)))
        return label

    def _region(self, control: str, label: str | None, **value) -> dict:
        tag = label_interface(self.config).get_control(control)
        region = json.loads(tag.label(label, **value).to_json() if label is not None else tag.label(**value).to_json())
        region["id"] = _new_id()
        return region

    def image_path(self, item: str) -> Path:
        return self.root / "images" / item

    def size(self, item: str) -> tuple[int, int]:
        return image_size(str(self.image_path(item)))

    def remove(self, item: str, number: int) -> None:
        """Remove annotation ``number`` (as numbered by ``show``) from ``item``."""
        item = self._item(item)
        regions = self._own(item)
        if not 1 <= int(number) <= len(regions):
            raise AnnotationError(NO_NUMBER.render(self.lang, item=item, number=number, count=len(regions)))
        victim = regions[int(number) - 1]
        self.results[item] = [r for r in self.results[item] if r is not victim]
        self._saved(item)

    def clear(self, item: str) -> None:
        item = self._item(item)
        self.results[item] = [r for r in self.results[item] if r not in self._own(item)]
        self._saved(item)

    def _own(self, item: str) -> list[dict]:
        return [r for r in self.results[item] if r.get("from_name") == self.job.control]

    def summary(self) -> str:
        return "\n".join(IMAGE_LINE.render(self.lang, item=i, count=len(self._own(i))) for i in self.job.items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.job.file})\n{self.summary()}"

    # --- Label Studio ----------------------------------------------------------------------------------------------
    def to_label_studio(self, lab_or_service) -> str:
        """Send this job (pictures and your annotations so far) to the local Label Studio; returns its address."""
        from .studio import push
        return push(self, lab_or_service)

    def from_label_studio(self, lab_or_service) -> None:
        """Bring the annotations made in Label Studio back into ``annotations/<job>.json``."""
        from .studio import pull
        if pull(self, lab_or_service):
            self._saved()


# --- photo classes ------------------------------------------------------------------------------------------------

class PhotoJob(Job):
    job = JOBS["classes"]

    def label(self, item: str, label: str) -> None:
        """Give photo ``item`` its class (replaces an earlier choice)."""
        item, label = self._item(item), self._label(label)
        self.results[item] = [self._region("class", label)]
        self._saved(item)

    def chosen(self, item: str) -> list[str]:
        return [c for r in self._own(item) for c in r.get("value", {}).get("choices", [])]

    def widget(self):
        from . import widgets
        return widgets.photo_widget(self)


# --- boxes -----------------------------------------------------------------------------------------------------

def to_pixels(region: dict, size: tuple[int, int] | None = None) -> list[float]:
    """[x, y, width, height] in pixels of a Label Studio rectangle (stored in percent of the picture)."""
    v = region["value"]
    w = size[0] if size else region.get("original_width")
    h = size[1] if size else region.get("original_height")
    return [v["x"] * w / 100, v["y"] * h / 100, v["width"] * w / 100, v["height"] * h / 100]


class BoxJob(Job):
    job = JOBS["boxes"]

    def add(self, item: str, label: str, x: float, y: float, width: float, height: float) -> None:
        """Add a box: its top-left corner (x, y) and its size, in pixels, as the picture's axes show them.

        Adding the same box again changes nothing, so running a cell twice (or a grader re-running the notebook)
        never doubles your work."""
        item, label = self._item(item), self._label(label)
        region = self._box_region(item, label, x, y, width, height)
        if not any(_same_region(region, r) for r in self._own(item)):
            self.results[item] = self.results[item] + [region]
        self._saved(item)

    def _box_region(self, item, label, x, y, width, height) -> dict:
        W, H = self.size(item)
        if width < 1 or height < 1:
            raise AnnotationError(TOO_SMALL.render(self.lang))
        if x < 0 or y < 0 or x + width > W + 0.5 or y + height > H + 0.5:
            raise AnnotationError(OUTSIDE.render(self.lang, width=W, height=H))
        region = self._region("label", label, x=100 * x / W, y=100 * y / H, width=100 * width / W,
                              height=100 * height / H, rotation=0)
        region.update(original_width=W, original_height=H, image_rotation=0)
        return region

    def boxes(self, item: str) -> list[tuple[str, list[float]]]:
        """[(label, [x, y, width, height])] of ``item``, in pixels."""
        item = self._item(item)
        return [(r["value"]["rectanglelabels"][0], [round(v, 1) for v in to_pixels(r, self.size(item))])
                for r in self._own(item)]

    def set_boxes(self, item: str, boxes: list[dict]) -> None:
        """Replace ``item``'s boxes with the widget's ({x, y, width, height, label} in pixels)."""
        item = self._item(item)
        self.results[item] = [self._box_region(item, self._label(b["label"]), b["x"], b["y"], b["width"], b["height"])
                              for b in boxes if b.get("label") and b.get("width", 0) >= 1 and b.get("height", 0) >= 1]
        self._saved(item)

    def show(self, item: str, grid: bool = False):
        """The picture with your boxes on it, numbered (``grid=True``: with a line every 50 pixels)."""
        from . import widgets
        return widgets.picture(self.image_path(self._item(item)),
                               [(label, box) for label, box in self.boxes(item)], grid=grid)

    def widget(self, start: str | None = None):
        from . import widgets
        return widgets.box_widget(self, start)


# --- polygons ---------------------------------------------------------------------------------------------------

class PolygonJob(Job):
    job = JOBS["polygons"]

    def add(self, item: str, label: str, points: list[tuple[float, float]]) -> None:
        """Add an outline: the (x, y) pixel positions of its corners, in order around the shape."""
        item, label = self._item(item), self._label(label)
        region = self._polygon_region(item, label, points)
        if not any(_same_region(region, r) for r in self._own(item)):   # a re-run cell adds nothing twice
            self.results[item] = self.results[item] + [region]
        self._saved(item)

    def _polygon_region(self, item, label, points) -> dict:
        W, H = self.size(item)
        pts = [(float(p[0]), float(p[1])) for p in points]
        if len(pts) < 3:
            raise AnnotationError(FEW_POINTS.render(self.lang))
        if any(not (-0.5 <= x <= W + 0.5 and -0.5 <= y <= H + 0.5) for x, y in pts):
            raise AnnotationError(OUTSIDE.render(self.lang, width=W, height=H))
        region = self._region("label", label, points=[[100 * x / W, 100 * y / H] for x, y in pts])
        region["value"]["closed"] = True
        region.update(original_width=W, original_height=H, image_rotation=0)
        return region

    def polygons(self, item: str) -> list[tuple[str, list[tuple[float, float]]]]:
        item = self._item(item)
        W, H = self.size(item)
        return [(r["value"]["polygonlabels"][0], [(round(x * W / 100, 1), round(y * H / 100, 1))
                                                  for x, y in r["value"]["points"]]) for r in self._own(item)]

    def set_polygons(self, item: str, polygons: list[dict]) -> None:
        item = self._item(item)
        self.results[item] = [self._polygon_region(item, self._label(p["label"]), p["points"])
                              for p in polygons if p.get("label") and len(p.get("points", [])) >= 3]
        self._saved(item)

    def show(self, item: str, grid: bool = False):
        from . import widgets
        return widgets.picture(self.image_path(self._item(item)), [], self.polygons(item), grid=grid)

    def widget(self, start: str | None = None):
        from . import widgets
        return widgets.polygon_widget(self, start)


# --- texts -------------------------------------------------------------------------------------------------------

class TextJob(Job):
    job = JOBS["texts"]

    def __init__(self, root=None, lang=None, *, quiet=False):
        self.texts = {t["data"]["name"]: t["data"] for t in read_tasks(lab_root(root) / "texts" / "texts.json")}
        super().__init__(root, lang, quiet=quiet)

    def task_data(self, item: str) -> dict:
        return dict(self.texts[item])

    def mark(self, item: str, words: str, label: str, nth: int = 1) -> None:
        """Mark ``words`` in text ``item`` as an entity ``label`` (``nth``: which occurrence, when it repeats)."""
        item, label = self._item(item), self._label(label)
        text = self.texts[item]["text"]
        starts, at = [], text.find(words) if words else -1
        while at >= 0:
            starts.append(at)
            at = text.find(words, at + 1)
        if not starts:
            raise AnnotationError(NOT_IN_TEXT.render(self.lang, words=words, item=item))
        if not 1 <= nth <= len(starts):
            raise AnnotationError(NTH_MISSING.render(self.lang, words=words, item=item, count=len(starts), nth=nth))
        start = starts[nth - 1]
        region = self._region("entity", label, start=start, end=start + len(words))
        region["value"]["text"] = words
        self.results[item] = [r for r in self.results[item]
                              if not (r.get("from_name") == "entity" and r["value"].get("start") == start
                                      and r["value"].get("end") == start + len(words))] + [region]
        self._saved(item)

    def mark_at(self, item: str, start: int, end: int, label: str) -> None:
        """Mark the characters from ``start`` to ``end`` (not included) of text ``item`` as an entity ``label``: the
        numbers the span tool lists beside each entity. A span with the same edges gets the new label."""
        item, label = self._item(item), self._label(label)
        text = self.texts[item]["text"]
        if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(text)):
            raise AnnotationError(SPAN_OUTSIDE.render(self.lang, item=item, length=len(text)))
        spans = [s for s in self.spans(item) if (s["start"], s["end"]) != (start, end)]
        self.set_spans(item, spans + [{"start": start, "end": end, "label": label}])

    def set_spans(self, item: str, spans: list[dict]) -> None:
        """Replace ``item``'s entities with the span widget's ({start, end, label}: characters from the start of the
        text, end not included, as Label Studio counts them). Other parts of the annotation (the topic) stay."""
        item = self._item(item)
        text = self.texts[item]["text"]
        kept = {(r["value"].get("start"), r["value"].get("end"), r["value"]["labels"][0]): r for r in self._own(item)}
        regions, seen = [], set()
        for s in spans:
            start, end, label = int(s["start"]), int(s["end"]), self._label(s.get("label"))
            if not 0 <= start < end <= len(text) or (start, end, label) in seen:
                continue
            seen.add((start, end, label))
            region = kept.get((start, end, label))
            if region is None:
                region = self._region("entity", label, start=start, end=end)
                region["value"]["text"] = text[start:end]
            regions.append(region)
        self.results[item] = [r for r in self.results[item] if r.get("from_name") != self.job.control] + regions
        self._saved(item)

    def widget(self, start: str | None = None):
        """Select entities with the mouse: the text shown, drag across words, click a label."""
        from . import widgets
        return widgets.span_widget(self, start)

    def unmark(self, item: str, words: str) -> None:
        item = self._item(item)
        self.results[item] = [r for r in self.results[item]
                              if not (r.get("from_name") == "entity" and r["value"].get("text") == words)]
        self._saved(item)

    def classify(self, item: str, topic: str) -> None:
        """Give text ``item`` its topic (replaces an earlier choice)."""
        item, topic = self._item(item), self._label(topic, self.job.extra)
        self.results[item] = [r for r in self.results[item] if r.get("from_name") != "topic"]
        self.results[item].append(self._region("topic", topic))
        self._saved(item)

    def spans(self, item: str) -> list[dict]:
        item = self._item(item)
        return sorted(({"start": r["value"]["start"], "end": r["value"]["end"], "label": r["value"]["labels"][0],
                        "text": r["value"].get("text")} for r in self._own(item)), key=lambda s: s["start"])

    def show(self, item: str | None = None):
        from . import widgets
        return widgets.texts_html(self, [self._item(item)] if item else list(self.job.items))


# --- the reviewer's sheet (quality control) ------------------------------------------------------------------------

class ReviewSheet:
    """Your review of another annotator's boxes: ``flag("b2", "loose")``, ``missed("street_02.png", "person")``.

    Saved in ``annotations/review.json`` after every change."""

    file = "annotations/review.json"
    source = "qc/annotator_b.json"

    def __init__(self, root=None, lang=None, *, quiet: bool = False):
        self.root = lab_root(root)
        self.lang = resolve_language(lang)
        self.quiet = quiet
        self.path = self.root / self.file
        self.regions = {}
        for task in read_tasks(self.root / self.source):
            key = item_key(task)
            for r in (latest_annotation(task) or {}).get("result", []):
                self.regions[r["id"]] = (key, r)
        self.flags: dict[str, str] = {}
        self.missing: list[dict] = []
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self.flags = dict(data.get("flags", {}))
                self.missing = list(data.get("missed", []))
            except (ValueError, OSError, AttributeError) as exc:
                backup = self.path.with_name(f"review.unreadable-{time.strftime('%Y%m%d-%H%M%S')}.json")
                self.path.replace(backup)
                print(KEPT_BROKEN.render(self.lang, path=self.file, error=exc, backup=backup.name))

    def _save(self) -> None:
        write_atomic(self.path, json.dumps({"flags": self.flags, "missed": self.missing}, ensure_ascii=False,
                                           indent=1) + "\n")
        if not self.quiet:
            print(SHEET_SAVED.render(self.lang, path=self.file, flags=len(self.flags), missed=len(self.missing)))

    def flag(self, region: str, problem: str) -> None:
        if region not in self.regions:
            raise AnnotationError(UNKNOWN_REGION.render(self.lang, region=region, last=len(self.regions)))
        if problem not in PROBLEMS[:4]:
            raise AnnotationError(UNKNOWN_PROBLEM.render(self.lang, problem=problem, known=", ".join(PROBLEMS[:4])))
        self.flags[region] = problem
        self._save()

    def unflag(self, region: str) -> None:
        self.flags.pop(region, None)
        self._save()

    def missed(self, item: str, label: str) -> None:
        """The annotator left out an object: which picture, which class."""
        items = sorted({key for key, _ in self.regions.values()})
        if item not in items:
            raise AnnotationError(UNKNOWN_ITEM.render(self.lang, item=item, known=", ".join(items)))
        if label not in JOBS["boxes"].labels:
            raise AnnotationError(UNKNOWN_LABEL.render(self.lang, label=label, known=", ".join(JOBS["boxes"].labels)))
        if {"image": item, "label": label} not in self.missing:   # a re-run cell records nothing twice
            self.missing.append({"image": item, "label": label})
        self._save()

    def show(self, item: str):
        from . import widgets
        boxes = [(f"{rid} {r['value']['rectanglelabels'][0]}", to_pixels(r))
                 for rid, (key, r) in self.regions.items() if key == item]
        return widgets.picture(self.root / "images" / item, boxes, numbered=False)


# --- correcting a model's pre-labels (notebook prelabels) ---------------------------------------------------------

class PreLabelled:
    """A job whose items arrive with a model's predictions (Label Studio's ``predictions``), as a team imports them.

    Until you accept or change an item, its pre-labels are only suggestions: the item has no annotation in your file
    yet. ``accept(item)`` submits the item as it stands; every change submits it too."""

    predictions_file: str

    def _load_predictions(self) -> None:
        self.predictions = {item_key(t): (t.get("predictions") or [{}])[0]
                            for t in read_tasks(self.root / self.predictions_file)}
        self.reviewed: set[str] = set()
        if self.path.exists():
            try:
                self.reviewed = {item_key(t) for t in read_tasks(self.path) if latest_annotation(t) is not None}
            except (ValueError, OSError):
                pass
        for item in self.job.items:
            if item not in self.reviewed:
                self.results[item] = copy.deepcopy((self.predictions.get(item) or {}).get("result") or [])

    def tasks(self) -> list[dict]:
        out = super().tasks()
        for task, item in zip(out, self.job.items):
            if item in self.predictions:
                task["predictions"] = [self.predictions[item]]
            if item not in self.reviewed:
                del task["annotations"]
        return out

    def _saved(self, item: str | None = None) -> None:
        if item is not None:
            self.reviewed.add(item)
        super()._saved(item)

    def accept(self, item: str) -> None:
        """Submit ``item`` as it stands now: the model's pre-labels with your corrections, if any."""
        self._saved(self._item(item))

    def predicted(self, item: str) -> list[dict]:
        return list((self.predictions.get(self._item(item)) or {}).get("result") or [])

    # --- Label Studio: the model's suggestions travel as predictions, your reviewed items as annotations -------------
    def to_label_studio(self, lab_or_service) -> str:
        """Send this job to the local Label Studio: each task with the model's predictions (shown pre-drawn there)
        and, for the items you reviewed here already, your annotation."""
        from . import studio

        if studio.grading(self):
            return ""
        handle = studio._handle(self, lab_or_service)
        client = studio.client_for(handle)
        project = studio.find_project(client, self.job.title)
        if project is None:
            project = client.projects.create(title=self.job.title, label_config=self.config)
        if not list(client.tasks.list(project=project.id)):
            payload = []
            for item in self.job.items:
                task = studio.task_payload(self, item)
                task.pop("annotations", None)
                if item in self.reviewed:
                    task["annotations"] = [{"result": copy.deepcopy(self.results[item])}]
                if item in self.predictions:
                    task["predictions"] = [copy.deepcopy(self.predictions[item])]
                payload.append(task)
            client.projects.import_tasks(id=project.id, request=payload)
            print(studio.SENT.render(self.lang, count=len(self.job.items), title=self.job.title))
        from graders.services.proxy import learner_url

        url = learner_url(handle, f"projects/{project.id}/data")
        print(studio.OPEN.render(self.lang, url=url, username=handle["username"], password=handle["password"]))
        return url

    def from_label_studio(self, lab_or_service) -> None:
        """Bring back every task submitted in Label Studio (accepted or corrected there) as a reviewed item."""
        from . import studio

        if studio.grading(self):
            return
        handle = studio._handle(self, lab_or_service)
        client = studio.client_for(handle)
        project = studio.find_project(client, self.job.title)
        if project is None:
            raise AnnotationError(studio.NO_PROJECT.render(self.lang, title=self.job.title))
        count = 0
        for task in client.tasks.list(project=project.id, fields="all"):
            item = (task.data or {}).get("name")
            annotations = [a if isinstance(a, dict) else a.dict() for a in (task.annotations or [])]
            latest = latest_annotation({"annotations": annotations})
            if item not in self.results or latest is None:
                continue
            self.results[item] = [dict(r) for r in latest.get("result") or []]
            if isinstance(latest.get("lead_time"), (int, float)):
                self.lead_times[item] = float(latest["lead_time"])   # Label Studio's own timing of your work
            self.reviewed.add(item)
            count += 1
        self.save()
        print(studio.PULLED.render(self.lang, count=count, path=self.job.file))


class PrelabelBoxJob(PreLabelled, BoxJob):
    """Boxes a model has proposed: ``fix("p2", x=.., y=.., width=.., height=..)``, ``fix("p5", label="car")``,
    ``delete("p7")``, ``add(...)`` for an object the model missed, ``accept(item)``."""

    job = PRELABEL_JOBS["prelabels"]
    predictions_file = "prelabels/boxes.json"

    def __init__(self, root=None, lang=None, *, quiet=False):
        super().__init__(root, lang, quiet=quiet)
        self._load_predictions()

    def _find(self, region: str) -> tuple[str, dict | None]:
        region = str(region)
        for item in self.job.items:
            for r in self._own(item):
                if r.get("id") == region:
                    return item, r
        for item in self.job.items:          # a pre-label you deleted already: deleting it again changes nothing
            if any(r.get("id") == region for r in self.predicted(item)):
                return item, None
        last = sum(len(self.predicted(i)) for i in self.job.items)
        raise AnnotationError(UNKNOWN_PRELABEL.render(self.lang, region=region, last=last))

    def fix(self, region: str, label: str | None = None, x: float | None = None, y: float | None = None,
            width: float | None = None, height: float | None = None) -> None:
        """Change pre-label ``region`` (its name as ``show`` gives it, e.g. "p2"): its label, its box, or both.
        What you leave out stays as it is."""
        item, old = self._find(region)
        if old is None:
            raise AnnotationError(DELETED_PRELABEL.render(self.lang, region=region))
        bx, by, bw, bh = to_pixels(old, self.size(item))
        new = self._box_region(item, self._label(label) if label is not None else old["value"]["rectanglelabels"][0],
                               bx if x is None else x, by if y is None else y, bw if width is None else width,
                               bh if height is None else height)
        new["id"] = old["id"]
        self.results[item] = [new if r is old else r for r in self.results[item]]
        self._saved(item)

    def delete(self, region: str) -> None:
        """Delete pre-label ``region``: the model boxed something that is not a person, car or bicycle."""
        item, old = self._find(region)
        self.results[item] = [r for r in self.results[item] if r is not old]
        self._saved(item)

    def set_boxes(self, item: str, boxes: list[dict]) -> None:
        """The widget's boxes; a box that is still there (or was moved, with none added or deleted) keeps its name."""
        item = self._item(item)
        old = self._own(item)
        old_pixels = [(r["value"]["rectanglelabels"][0], [round(v) for v in to_pixels(r, self.size(item))])
                      for r in old]
        kept = [b for b in boxes if b.get("label") and b.get("width", 0) >= 1 and b.get("height", 0) >= 1]
        new_results, used = [], set()
        for index, b in enumerate(kept):
            region = self._box_region(item, self._label(b["label"]), b["x"], b["y"], b["width"], b["height"])
            key = (b["label"], [round(b["x"]), round(b["y"]), round(b["width"]), round(b["height"])])
            same = [i for i, k in enumerate(old_pixels) if k == key and i not in used]
            if not same and len(kept) == len(old) and index not in used:
                same = [index]
            if same:
                used.add(same[0])
                region["id"] = old[same[0]]["id"]
            new_results.append(region)
        self.results[item] = new_results
        self._saved(item)

    def show(self, item: str, grid: bool = False):
        """The picture with the boxes as they stand now, each with its name (p1, p2 ... from the model; new ones
        you added are called "new")."""
        from . import widgets
        item = self._item(item)
        named = [(f"{r['id'] if str(r.get('id', '')).startswith('p') else 'new'} {r['value']['rectanglelabels'][0]}",
                  to_pixels(r, self.size(item))) for r in self._own(item)]
        return widgets.picture(self.image_path(item), named, numbered=False, grid=grid)

    def speed(self) -> None:
        """Your seconds per box when correcting (this job) and when drawing (notebook 3), from the times the drawing
        tool records."""
        correct_s, correct_n = _timed(self)
        if not correct_n:
            print(SPEED_NONE.render(self.lang))
            return
        print(SPEED_CORRECT.render(self.lang, per_box=f"{correct_s / correct_n:.1f}", count=correct_n))
        try:
            drawn = BoxJob(self.root, self.lang, quiet=True)
        except (OSError, ValueError):
            drawn = None
        draw_s, draw_n = _timed(drawn) if drawn is not None else (0.0, 0)
        if not draw_n:
            print(SPEED_NO_DRAW.render(self.lang))
            return
        print(SPEED_DRAW.render(self.lang, per_box=f"{draw_s / draw_n:.1f}", count=draw_n))
        factor = (draw_s / draw_n) / (correct_s / correct_n) if correct_s else 0.0
        print((SPEED_FASTER if factor > 1 else SPEED_NOT_FASTER).render(self.lang, factor=f"{factor:.1f}"))


def _timed(job) -> tuple[float, int]:
    """Seconds recorded and boxes on the items that have a recorded time."""
    items = [i for i in job.job.items if job.lead_times.get(i)]
    return sum(job.lead_times[i] for i in items), sum(len(job._own(i)) for i in items)


class PrelabelTextJob(PreLabelled, TextJob):
    """Entities a model has proposed: ``mark`` the right span (a span with the same edges gets the new label),
    ``unmark`` a wrong one, ``accept(item)``."""

    job = PRELABEL_JOBS["prelabel_texts"]
    predictions_file = "prelabels/texts.json"

    def __init__(self, root=None, lang=None, *, quiet=False):
        self.texts = {t["data"]["name"]: t["data"] for t in read_tasks(lab_root(root) / self.predictions_file)}
        Job.__init__(self, root, lang, quiet=quiet)
        self._load_predictions()

    def task_data(self, item: str) -> dict:
        return dict(self.texts[item])


# --- entity spans delivered as CoNLL / BIO (notebook delivery) -----------------------------------------------------

WORD = re.compile(r"\w+(?:['’ʼ]\w+)*|[^\w\s]")
CHARACTER = re.compile(r"\S")


def tokens(text: str, lang: str) -> list[tuple[str, int, int]]:
    """The tokens of a text as (token, start, end): words and punctuation marks apart; in Japanese, which puts no
    spaces between words, every character (the usual choice for Japanese named-entity data without a word splitter)."""
    pattern = CHARACTER if lang == "ja" else WORD
    return [(m.group(), m.start(), m.end()) for m in pattern.finditer(text)]


def documents(source: str, root: str | Path | None = None) -> list[dict]:
    """The texts of a Label Studio file, each with its tokens and its entity spans, ready to tag:
    [{"name", "lang", "text", "tokens": [(token, start, end)], "spans": [{"start", "end", "label"}]}]."""
    out = []
    for task in read_tasks(lab_root(root) / source):
        data = task["data"]
        regions = [r for r in (latest_annotation(task) or {}).get("result", []) if r.get("from_name") == "entity"]
        spans = sorted(({"start": r["value"]["start"], "end": r["value"]["end"], "label": r["value"]["labels"][0]}
                        for r in regions), key=lambda s: s["start"])
        out.append({"name": data.get("name"), "lang": data.get("lang", "en"), "text": data["text"],
                    "tokens": tokens(data["text"], data.get("lang", "en")), "spans": spans})
    return out


def write_conll(docs: list[dict], bio, path: str | Path = "delivery/conll/texts.conll", root=None,
                lang: str | None = None) -> None:
    """Write the texts in CoNLL form, one "token TAG" line per token and a blank line after each text, with the tags
    your function ``bio(tokens, spans)`` gives. Says so, and writes nothing, when the function fails."""
    lang = resolve_language(lang)
    lines = []
    for doc in docs:
        try:
            tags = bio(doc["tokens"], doc["spans"])
        except Exception as exc:  # the learner's function: one kind sentence, no traceback
            print(CONLL_FAILED.render(lang, item=doc["name"], error=f"{type(exc).__name__}: {exc}"))
            return
        if not isinstance(tags, list) or len(tags) != len(doc["tokens"]):
            print(CONLL_LENGTH.render(lang, item=doc["name"], count=len(doc["tokens"]),
                                      got=len(tags) if isinstance(tags, list) else type(tags).__name__))
            return
        lines += [f"{token} {tag}" for (token, _, _), tag in zip(doc["tokens"], tags)] + [""]
    target = lab_root(root) / path
    write_atomic(target, "\n".join(lines) + "\n")
    print(CONLL_SAVED.render(lang, path=str(path), count=len(docs)))


def delivery_file(root: str | Path | None = None, job: str = "boxes") -> str:
    """What notebook 7 delivers: your own work of ``job`` ("boxes", "polygons", "texts" or "classes", e.g. annotations/boxes.json)
    when you have annotated some, else the sample (samples/boxes_sample.json, samples/polygons_sample.json ...)."""
    root = lab_root(root)
    try:
        tasks = read_tasks(root / JOBS[job].file)
        if any((latest_annotation(t) or {}).get("result") for t in tasks):
            return JOBS[job].file
    except (OSError, ValueError):
        pass
    return f"samples/{job}_sample.json"


def classes_chosen(source: str | Path, root: str | Path | None = None) -> dict[str, str]:
    """The photo classes in a Label Studio file (``annotations/classes.json`` or the sample) as {picture: class},
    in the file's order; pictures without a class are left out (what exercise 16 delivers as CSV)."""
    root = lab_root(root)
    chosen = {}
    for task in read_tasks(root / source):
        latest = latest_annotation(task) or {}
        labels = [c for r in latest.get("result") or [] for c in (r.get("value") or {}).get("choices") or []]
        if labels and item_key(task):
            chosen[item_key(task)] = labels[0]
    return chosen


__all__ = ["PhotoJob", "BoxJob", "PolygonJob", "TextJob", "ReviewSheet", "PrelabelBoxJob", "PrelabelTextJob", "AnnotationError", "to_pixels",
           "read_tasks", "latest_annotation", "item_key", "delivery_file", "tokens", "documents", "write_conll", "classes_chosen"]

