"""Annotation lab figures: how long a check of one image set, one text set and the pre-label batch takes (and the
scoring of a 50-item batch; the batch notebook's 54-item check, q19), the CSV delivery and config checks (q16, q17), how long the local
Label Studio takes to come up (first start with migrations, start from the install-time template, restart), and the
project notebook's set-up in a real Label Studio (create + import, annotate, export, check q18).

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
    delivery_and_config(work, lab, repeat)


def delivery_and_config(work: Path, lab, repeat: int) -> None:
    """q16 (the photo classes as CSV, read with csv and pandas) and q17 (the config, Label Studio's parser)."""
    import pandas as pd

    from labs.annotation import kit

    chosen = kit.classes_chosen(kit.delivery_file(work, "classes"), work)
    (work / "delivery").mkdir(exist_ok=True)
    pd.DataFrame({"image": list(chosen), "class": list(chosen.values())}).to_csv(work / "delivery" / "classes.csv",
                                                                                 index=False)
    context = {"workdir": work}
    assert lab.evaluate("q16", {}, context=context).passed
    line(f"check the CSV delivery (q16: {len(chosen)} rows, csv + pandas)",
         timed(lambda: lab.evaluate("q16", {}, context=context), repeat))
    config = (REPO / "tests" / "test_annotation.py").read_text().split('LEARNER_CONFIG = """')[1].split('"""')[0]
    assert lab.evaluate("q17", {"CONFIG": config}).passed
    line("check a labeling config (q17: LabelInterface parse + rules)",
         timed(lambda: lab.evaluate("q17", {"CONFIG": config}), repeat))


def project(repeat: int = 3) -> None:
    """The project notebook against a real Label Studio (started from the template): set_up (create the project,
    import 6 tasks), 6 annotations through the API, the export cell, and the q18 check of the export."""
    from graders import Lab
    from graders.services.labelstudio import LabelStudioService, template_dir
    from graders.services.registry import ServiceHandle
    from labs.annotation import studio

    if not (template_dir() / "label_studio.sqlite3").exists():
        print(f"{'project set-up in Label Studio':<58} skipped: no template (run labs/annotation/install.sh)")
        return
    base = Path(tempfile.mkdtemp(prefix="bench-project-"))
    work = base / "annotation"
    from graders.labdef import load_lab
    shutil.copytree(load_lab("annotation").data_dir, work)
    config = (REPO / "tests" / "test_annotation.py").read_text().split('LEARNER_CONFIG = """')[1].split('"""')[0]
    gold = json.loads((REPO / "labs" / "annotation" / "gold" / "project.json").read_text())
    service = LabelStudioService(base / "ls")
    service.start()
    try:
        lab = Lab("annotation", lang="en")
        lab.context["labelstudio"] = ServiceHandle("labelstudio", service.url, service.info())
        import contextlib
        import io
        with contextlib.redirect_stdout(io.StringIO()):
            ls = studio.connect(lab)
        tasks = studio.notice_tasks(work)

        def set_up(ls, config, tasks):
            project = ls.projects.create(title="Notice topics", label_config=config)
            ls.projects.import_tasks(id=project.id, request=tasks)
            return project
        times = {"set-up": [], "annotate": [], "export": []}
        for _ in range(repeat):
            for project in ls.projects.list():
                ls.projects.delete(id=project.id)
            (work / "project" / "state.json").unlink(missing_ok=True)
            with contextlib.redirect_stdout(io.StringIO()):
                start = time.perf_counter()
                project = studio.run_set_up(lab, ls, set_up, config, tasks, work)
                times["set-up"].append(time.perf_counter() - start)
                start = time.perf_counter()
                studio.annotate(ls, project, gold)
                times["annotate"].append(time.perf_counter() - start)
                start = time.perf_counter()
                studio.export_project(lab, ls, project, work)
                times["export"].append(time.perf_counter() - start)
        line("project: set-up cell (create + import 6 tasks + link)", times["set-up"])
        line("project: 6 annotations through the API", times["annotate"])
        line("project: export cell (JSON export -> project.json)", times["export"])
        context = {"workdir": work}
        assert lab.evaluate("q18", {}, context=context).passed
        line("check the project export (q18: 6 tasks)", timed(lambda: lab.evaluate("q18", {}, context=context), 30))
    finally:
        service.stop()
        shutil.rmtree(base, ignore_errors=True)


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


def batch(repeat: int) -> None:
    """The batch notebook (q19): one graded check of the 54-item batch (file read, agreement by kind, speed)."""
    from graders import Lab
    from labs.annotation.batch import BatchJob

    work = Path(tempfile.mkdtemp(prefix="bench-annotation-batch-")) / "annotation"
    shutil.copytree(REPO / "labs" / "annotation" / "data", work)
    gold = json.loads((REPO / "labs" / "annotation" / "gold" / "batch.json").read_text())
    lab = Lab("annotation", lang="en")
    job = BatchJob(None, work)
    for item, label in gold.items():
        job.label(item, label)
    hidden = json.loads((REPO / "labs" / "annotation" / "hidden" / "q19.json").read_text())
    context = {"workdir": work}
    assert lab.evaluate("q19", {}, hidden=hidden, context=context).passed
    line(f"check the batch (q19: {len(gold)} items, graded)",
         timed(lambda: lab.evaluate("q19", {}, hidden=hidden, context=context), repeat))
    shutil.rmtree(work.parent, ignore_errors=True)


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
    batch(args.repeat)
    if not args.no_server:
        server()
        project()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
