"""The batch notebook (issue 17 part 5): 54 items (road signs drawn by code, short customer messages in en/uk/ja),
labelled one by one with a button per label, at volume. Every label is saved at once in ``annotations/batch.json``
with the time it was first given, so the learner's items per minute can be worked out from their own work and shown
in ``lab.progress()``, as a team lead tracks a remote annotator's speed next to the quality.

The items come from ``batch/items.json`` (written by ``solutions/make_batch.py``); the answers are not in it.
"""
from __future__ import annotations

import html
import json
import time
from pathlib import Path

from .kit import AnnotationError, resolve_language, write_atomic

FILE = "annotations/batch.json"
ITEMS = "batch/items.json"


def load_items(root: Path) -> list[dict]:
    return json.loads((Path(root) / ITEMS).read_text(encoding="utf-8"))["items"]


def read_labels(path: Path) -> tuple[dict[str, str], dict[str, float]]:
    """({item: label}, {item: when first labelled, epoch seconds}) from the learner's file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("labels"), dict):
        raise ValueError("no “labels” table")
    at = data.get("first_labelled_at") if isinstance(data.get("first_labelled_at"), dict) else {}
    return ({str(k): str(v) for k, v in data["labels"].items()},
            {str(k): float(v) for k, v in at.items() if isinstance(v, (int, float))})


class BatchJob:
    """The batch: ``label(item, label)`` or the widget's buttons; each change is saved at once."""

    def __init__(self, lab=None, root: str | Path | None = None, lang: str | None = None):
        self.lab = lab
        self.root = Path(root) if root is not None else Path.cwd()
        self.lang = resolve_language(lang or getattr(lab, "lang", None))
        self.items = load_items(self.root)
        self.by_id = {item["id"]: item for item in self.items}
        self.path = self.root / FILE
        self.labels: dict[str, str] = {}
        self.first_at: dict[str, float] = {}
        self.listeners: list = []
        if self.path.is_file():
            try:
                self.labels, self.first_at = read_labels(self.path)
            except (ValueError, OSError):
                pass   # a broken file is replaced by the next label; the check explains what it found

    def label(self, item: str, label: str) -> None:
        """Give ``item`` its label (replaces an earlier one; the time of the first label stays)."""
        from .checks_batch import UNKNOWN_ITEM, UNKNOWN_LABEL

        if item not in self.by_id:
            raise AnnotationError(UNKNOWN_ITEM.render(self.lang, item=item))
        choices = self.by_id[item]["choices"]
        if label not in choices:
            raise AnnotationError(UNKNOWN_LABEL.render(self.lang, label=label, item=item, known=", ".join(choices)))
        self.labels[item] = label
        self.first_at.setdefault(item, time.time())
        self.save()
        self._record_speed()
        for listener in list(self.listeners):
            listener(item)

    def save(self) -> None:
        data = {"labels": self.labels, "first_labelled_at": {k: round(v, 3) for k, v in self.first_at.items()}}
        write_atomic(self.path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")

    def _record_speed(self) -> None:
        """Keep the newest items-per-minute figure for lab.progress() (nothing when not timed yet)."""
        from .checks_batch import FIGURE, speed

        figure = speed(self.first_at)
        if self.lab is None or figure is None:
            return
        try:
            self.lab.progress_store.record_figure(self.lab.id, "batch_speed", FIGURE.id, rate=figure[0],
                                                  count=len(self.labels), total=len(self.items))
        except Exception:   # a read-only or full disk must not stop the labelling
            pass

    def progress(self) -> str:
        from .checks_batch import PROGRESS
        return PROGRESS.render(self.lang, count=len(self.labels), total=len(self.items))

    def __repr__(self) -> str:
        return self.progress()

    def widget(self):
        """One row per item: the picture or the message, and a button per label."""
        import ipywidgets as w

        from .kit import CLASS_SAVED

        rows, controls = [], {}
        status = w.HTML(html.escape(self.progress()))
        for item in self.items:
            name = item["id"]
            if "image" in item:
                shown = w.Image(value=(self.root / item["image"]).read_bytes(), format="png",
                                layout=w.Layout(width="120px", height="120px"))
            else:
                shown = w.HTML(f"<div style='width:320px;padding:6px;border:1px solid #ccc'>"
                               f"{html.escape(item['text'])}</div>")
            buttons = w.ToggleButtons(options=list(item["choices"]), value=self.labels.get(name),
                                      style={"button_width": "92px"})
            note = w.HTML(html.escape(CLASS_SAVED.render(self.lang, item=name, label=self.labels[name])
                                      if name in self.labels else name))
            controls[name] = (buttons, note)

            def on_change(change, name=name, note=note):
                if change["new"] is None or self.labels.get(name) == change["new"]:
                    return
                self.label(name, change["new"])

            buttons.observe(on_change, names=["value"])
            rows.append(w.HBox([shown, w.VBox([note, buttons])], layout=w.Layout(margin="4px 0")))

        def changed(name):
            buttons, note = controls[name]
            if buttons.value != self.labels[name]:
                buttons.value = self.labels[name]
            note.value = html.escape(CLASS_SAVED.render(self.lang, item=name, label=self.labels[name]))
            status.value = html.escape(self.progress())

        self.listeners.append(changed)
        return w.VBox([status, *rows, ])
