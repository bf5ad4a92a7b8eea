"""Annotation lab figures: how long a check of one image set, one text set and the pre-label batch takes (and the
scoring of a 50-item batch), and how long the local
Label Studio takes to come up (first start with migrations, start from the install-time template, restart).

    .venv/bin/python bench/annotation.py [--no-server] [--repeat N]

Plain timers; run it on an idle machine and say when it was not. Figures go to stdout.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def line(name: str, values: list[float], unit: str = "ms") -> None:
    scale = 1000 if unit == "ms" else 1
    values = sorted(v * scale for v in values)
    p50 = statistics.median(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    print(f"{name:<58} p50 {p50:8.1f} {unit}   p95 {p95:8.1f} {unit}   (n={len(values)})")


def checks(repeat: int) -> None:
    from graders import Lab
    from graders.labdef import load_lab
    from labs.annotation import kit
    from labs.annotation.solutions import make_data

    lab_def = load_lab("annotation")
    work = Path(tempfile.mkdtemp(prefix="bench-annotation-")) / "annotation"
    shutil.copytree(lab_def.data_dir, work)
    started = time.perf_counter()
    lab = Lab("annotation", lang="en")
    print(f"{'Lab(annotation): imports, no service':<58} {1000 * (time.perf_counter() - started):8.1f} ms")

    boxes = kit.BoxJob(work, quiet=True)
    hidden = json.loads((lab_def.hidden_dir / "q3.json").read_text())
    for name, g in {**json.loads((lab_def.path / "gold" / "boxes.json").read_text()), **hidden["images"]}.items():
        for o in g["objects"]:
            boxes.add(name, o["label"], *o["box"])
    texts = kit.TextJob(work, quiet=True)
    for tid, (_, topic, _, entities) in make_data.TEXTS.items():
        for words, label in entities:
            texts.mark(tid, words, label)
        texts.classify(tid, topic)
    context = {"workdir": work}

    first = time.perf_counter()
    assert lab.evaluate("q3", {}, hidden=hidden, context=context).passed
    print(f"{'check one image set, first call (loads label-studio-sdk)':<58} {1000 * (time.perf_counter() - first):8.1f} ms")
    line("check one image set (q3: 4 pictures, 18 boxes, graded)",
         timed(lambda: lab.evaluate("q3", {}, hidden=hidden, context=context), repeat))
    hidden5 = json.loads((lab_def.hidden_dir / "q5.json").read_text())
    line("check one text set (q5: 9 texts, 34 spans, graded)",
         timed(lambda: lab.evaluate("q5", {}, hidden=hidden5, context=context), repeat))
    hidden4 = json.loads((lab_def.hidden_dir / "q4.json").read_text())
    signs = kit.PolygonJob(work, quiet=True)
    from labs.annotation.solutions import scenes
    for name, polys in make_data.sign_reference(scenes.draw(scenes.sign_scenes(), scenes.sign_background)).items():
        for label, points in polys:
            signs.add(name, label, points)
    line("check one outline set (q4: 3 pictures, 7 masks, graded)",
         timed(lambda: lab.evaluate("q4", {}, hidden=hidden4, context=context), repeat))
    line("save one box (learner's tool writes the whole file)",
         timed(lambda: boxes.add("street_01.png", "car", 1, 1, 10, 10), repeat))
    prelabels(work, lab, repeat)


def prelabels(work: Path, lab, repeat: int) -> None:
    """The prelabels notebook (q13): one graded check of its batch, and the scoring core on a 50-item batch."""
    from labs.annotation import kit, scoring
    from labs.annotation.solutions import make_prelabels

    _, gold_images, _ = make_prelabels.pictures()
    gold_texts, text_tasks = make_prelabels.texts()
    started = time.perf_counter()
    namespace = {"boxes": kit.PrelabelBoxJob(work, quiet=True), "texts": kit.PrelabelTextJob(work, quiet=True)}
    print(f"{'open both pre-labelled jobs (predictions read)':<58} {1000 * (time.perf_counter() - started):8.1f} ms")
    exec(make_prelabels.reference(gold_images, gold_texts), namespace)
    hidden = json.loads((REPO / "labs" / "annotation" / "hidden" / "q13.json").read_text())
    context = {"workdir": work}
    assert lab.evaluate("q13", {}, hidden=hidden, context=context).passed
    line("check the pre-label batch (q13: 3 pictures, 4 texts, graded)",
         timed(lambda: lab.evaluate("q13", {}, hidden=hidden, context=context), repeat))
    # a 50-item batch (25 pictures, 25 texts: the practice items repeated), scored with the model's predictions as
    # the answer, so every planted error is found: the IoU matching and span scoring q13 runs, without file reading
    pictures = [(g, [(r["value"]["rectanglelabels"][0], kit.to_pixels(r)) for r in t["predictions"][0]["result"]])
                for t in kit.read_tasks(work / "prelabels" / "boxes.json")
                for g in [gold_images[kit.item_key(t)]]]
    texts = [(gold_texts[t["data"]["name"]]["spans"],
              [{"start": r["value"]["start"], "end": r["value"]["end"], "label": r["value"]["labels"][0]}
               for r in t["predictions"][0]["result"]]) for t in text_tasks]
    batch_p = [pictures[i % len(pictures)] for i in range(25)]
    batch_t = [texts[i % len(texts)] for i in range(25)]

    def score_batch():
        for g, boxes in batch_p:
            scoring.score_boxes(boxes, g)
        for gold, spans in batch_t:
            scoring.score_spans(spans, gold)
    line("score a 50-item batch (25 pictures, 25 texts)", timed(score_batch, repeat))


def server() -> None:
    from graders.services.labelstudio import LabelStudioService, template_dir

    base = Path(tempfile.mkdtemp(prefix="bench-labelstudio-"))
    for name, kwargs in (("first start, no template (migrations)", {"template": False}),
                         ("start from the install-time template", {})):
        folder = base / name.split(",")[0].replace(" ", "-")
        service = LabelStudioService(folder, **kwargs)
        if kwargs and not (template_dir() / "label_studio.sqlite3").exists():
            print(f"{name:<58} skipped: no template in {template_dir()} (run labs/annotation/install.sh)")
            continue
        started = time.perf_counter()
        service.start()
        up = time.perf_counter() - started
        rss = _rss_mb(service.process.pid)
        started = time.perf_counter()
        service.stop()
        down = time.perf_counter() - started
        print(f"{'Label Studio ' + name:<58} up {up:6.1f} s   stop {down:4.1f} s   {rss:5.0f} MB")
        restart = LabelStudioService(folder)
        started = time.perf_counter()
        restart.start()
        up = time.perf_counter() - started
        restart.stop()
        print(f"{'Label Studio restart on that data folder':<58} up {up:6.1f} s")
    shutil.rmtree(base, ignore_errors=True)


def _rss_mb(pid: int) -> float:
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("Tgid", "").strip() == status.parent.name and (
                status.parent.name == str(pid) or fields.get("PPid", "").strip() == str(pid)):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--no-server", action="store_true", help="skip the Label Studio start-up figures")
    p.add_argument("--repeat", type=int, default=30)
    args = p.parse_args()
    import os
    print(f"load average at start: {os.getloadavg()[0]:.1f} (2 cores: above ~2 means others are busy)")
    checks(args.repeat)
    if not args.no_server:
        server()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
