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

import functools
import json
import os
import time
import uuid
from pathlib import Path

from graders.i18n import Domain, resolve_language

from .sets import JOBS, JobDef, PROBLEMS

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
CLASS_SAVED = M_("annotation.kit.class_saved", "{item}: {label} (saved)")


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

    def task_data(self, item: str) -> dict:
        return {self.job.object_name: f"images/{item}"}

    def tasks(self) -> list[dict]:
        """The job as Label Studio tasks, one per item, each with the learner's annotation."""
        out = []
        for number, item in enumerate(self.job.items, start=1):
            task = {"id": number, "data": self.task_data(item)}
            task["annotations"] = [{"id": number, "result": self.results[item], "was_cancelled": False,
                                    "ground_truth": False}]
            out.append(task)
        return out

    def save(self) -> None:
        write_atomic(self.path, json.dumps(self.tasks(), ensure_ascii=False, indent=1) + "\n")

    def _saved(self, item: str | None = None) -> None:
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


def delivery_file(root: str | Path | None = None) -> str:
    """What notebook 7 delivers: your own boxes (annotations/boxes.json) when you have drawn some, else the sample."""
    root = lab_root(root)
    try:
        tasks = read_tasks(root / JOBS["boxes"].file)
        if any((latest_annotation(t) or {}).get("result") for t in tasks):
            return JOBS["boxes"].file
    except (OSError, ValueError):
        pass
    return "samples/boxes_sample.json"


__all__ = ["PhotoJob", "BoxJob", "PolygonJob", "TextJob", "ReviewSheet", "AnnotationError", "to_pixels",
           "read_tasks", "latest_annotation", "item_key", "delivery_file"]

