"""The annotation lab beyond its notebooks (those run in tests/test_labs.py): exact gold, the scoring rules, the
learner's files, a real Label Studio round trip, and the drawing tools in a real browser."""
from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
from pathlib import Path

import pytest

from graders.labdef import load_lab
from labs.annotation import kit, scoring
from labs.annotation.solutions import make_data, scenes
from labs.annotation.sets import JOBS

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # pydantic v1 calls inside label-studio-sdk

LAB = load_lab("annotation")
HERE = LAB.path


@pytest.fixture
def lab_dir(tmp_path) -> Path:
    """A learner's copy of the lab folder (data only, no annotations yet)."""
    shutil.copytree(LAB.data_dir, tmp_path / "annotation")
    return tmp_path / "annotation"


def reference_work(where: Path) -> dict:
    """Every job done as the reference answers do it, with the learner's own tools; returns the kernel values."""
    from labs.annotation import checks

    boxes = kit.BoxJob(where, quiet=True)
    for name in JOBS["boxes"].items:
        for obj in {**checks.gold("boxes"), **json.loads((HERE / "hidden" / "q3.json").read_text())["images"]}[name]["objects"]:
            boxes.add(name, obj["label"], *obj["box"])
    signs = kit.PolygonJob(where, quiet=True)
    drawn = scenes.draw(scenes.sign_scenes(), scenes.sign_background)
    for name, polygons in make_data.sign_reference(drawn).items():
        for label, points in polygons:
            signs.add(name, label, points)
    photos = kit.PhotoJob(where, quiet=True)
    answers = {**checks.gold("classes"), **json.loads((HERE / "hidden" / "q2.json").read_text())["images"]}
    for name, label in answers.items():
        photos.label(name, label)
    texts = kit.TextJob(where, quiet=True)
    for tid, (_, topic, _, entities) in make_data.TEXTS.items():
        for words, label in entities:
            texts.mark(tid, words, label)
        texts.classify(tid, topic)
    return {"answers": checks.gold("guidelines")}


# --- the data: gold is exactly what is drawn -------------------------------------------------------------------------

def test_committed_gold_is_what_the_scenes_draw():
    streets = make_data.street_gold(scenes.draw(scenes.street_scenes(), scenes.street_background))
    signs = make_data.sign_gold(scenes.draw(scenes.sign_scenes(), scenes.sign_background))
    gold_boxes = json.loads((HERE / "gold" / "boxes.json").read_text())
    hidden_boxes = json.loads((HERE / "hidden" / "q3.json").read_text())["images"]
    assert {**gold_boxes, **hidden_boxes} == streets
    gold_signs = {**json.loads((HERE / "gold" / "polygons.json").read_text()),
                  **json.loads((HERE / "hidden" / "q4.json").read_text())["images"]}
    assert gold_signs == signs
    from PIL import Image
    for name in list(streets) + list(signs):
        with Image.open(LAB.data_dir / "images" / name) as img:
            assert img.size == (scenes.W, scenes.H)
    # the review items' gold is only in hidden/, never shipped to learners
    assert not set(hidden_boxes) & set(gold_boxes)
    assert "street_04.png" not in (LAB.data_dir / "samples" / "boxes_sample.json").read_text()


def test_the_scenes_hold_the_cases_the_guideline_talks_about():
    gold = json.loads((HERE / "gold" / "boxes.json").read_text())
    objects = [o for g in gold.values() for o in g["objects"]]
    assert any(o["occluded"] and o["label"] == "person" for o in objects)      # rule 2
    assert any(o["truncated"] for o in objects)                                # rule 3
    assert any(g["negatives"] for g in gold.values())                          # rule 4: a person on a poster
    for o in objects:   # every object is clearly visible: no guesswork for the learner
        assert o["visible"] >= 0.4 and o["box"][2] >= 40 and o["box"][3] >= 40


def test_text_spans_are_exact_substrings_in_three_languages():
    texts = {t["data"]["name"]: t["data"] for t in kit.read_tasks(LAB.data_dir / "texts" / "texts.json")}
    gold = {**json.loads((HERE / "gold" / "texts.json").read_text()),
            **json.loads((HERE / "hidden" / "q5.json").read_text())["texts"]}
    assert {t["lang"] for t in texts.values()} == {"en", "uk", "ja"}
    for tid, g in gold.items():
        for span in g["spans"]:
            assert texts[tid]["text"][span["start"]:span["end"]] == span["text"]


# --- the scoring rules -------------------------------------------------------------------------------------------

def test_box_scoring_names_each_kind_of_mistake():
    gold = {"width": 640, "height": 400,
            "objects": [{"label": "person", "box": [100, 100, 50, 120]},
                        {"label": "car", "box": [300, 200, 200, 100], "truncated": False},
                        {"label": "bicycle", "box": [520, 300, 100, 80]}],
            "negatives": [{"label": "person", "box": [20, 20, 30, 60], "note": "poster"}]}
    findings = scoring.score_boxes([
        ("person", [101, 100, 50, 121]),     # tight
        ("car", [290, 190, 220, 120]),       # loose
        ("car", [520, 300, 100, 80]),        # right place, wrong class
        ("person", [20, 20, 30, 60]),        # the poster
        ("person", [10, 300, 20, 20]),       # nothing there
    ], gold)
    kinds = {f.kind: f for f in findings}
    assert set(kinds) == {"tight", "loose", "wrong_class", "not_an_object", "extra"}
    assert kinds["loose"].edge[1] == 10 and 0.7 <= kinds["loose"].iou < 0.9
    cut = scoring.score_boxes([("car", [300, 200, 150, 100])], gold)
    assert {f.kind for f in cut} == {"cut", "missed"}
    assert [f.edge for f in cut if f.kind == "cut"] == [("right", -50)]


def test_mask_iou_tells_an_outline_from_a_box():
    from PIL import Image, ImageDraw
    import numpy as np

    triangle = [(300, 80), (380, 220), (220, 220)]
    img = Image.new("L", (640, 400), 0)
    ImageDraw.Draw(img).polygon(triangle, fill=255)
    gold = {"width": 640, "height": 400, "objects": [
        {"label": "warning", "area": int((np.array(img) > 0).sum()), "rle": make_data.rle_of(np.array(img) > 0)}]}
    good = scoring.score_polygons([("warning", triangle)], gold)
    assert good[0].kind == "good" and good[0].iou > 0.95
    box = scoring.score_polygons([("warning", [(220, 80), (380, 80), (380, 220), (220, 220)])], gold)
    assert box[0].kind == "box_shaped" and 0.45 < box[0].iou < 0.6


def test_span_scoring_counts_only_exact_edges():
    gold = [{"start": 4, "end": 15, "label": "PER", "text": "Aiko Tanaka"},
            {"start": 20, "end": 25, "label": "LOC", "text": "Osaka"}]
    score = scoring.score_spans([{"start": 0, "end": 15, "label": "PER"},      # one token too many
                                 {"start": 20, "end": 25, "label": "LOC"}], gold)
    assert [f.kind for f in score.findings] == ["misplaced", "exact"]
    assert (score.precision, score.recall) == (0.5, 0.5)


# --- the learner's files ---------------------------------------------------------------------------------------------

def test_unreadable_work_is_kept_not_overwritten(lab_dir, capsys):
    target = lab_dir / "annotations" / "boxes.json"
    target.parent.mkdir()
    target.write_text("[{ this is half a file", encoding="utf-8")
    boxes = kit.BoxJob(lab_dir, lang="uk")
    kept = list(target.parent.glob("boxes.unreadable-*.json"))
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == "[{ this is half a file"
    assert kept[0].name in capsys.readouterr().out
    boxes.add("street_01.png", "person", x=62, y=72, width=66, height=140)
    assert kit.read_tasks(target)[0]["annotations"][0]["result"][0]["value"]["rectanglelabels"] == ["person"]


def test_running_an_answer_cell_twice_adds_nothing(lab_dir):
    """A learner runs a cell twice; nbgrader re-runs the whole notebook on the saved files when it grades."""
    reference_work(lab_dir)
    before = {job.name: (lab_dir / job.file).read_text() for job in JOBS.values()}
    reference_work(lab_dir)
    review = kit.ReviewSheet(lab_dir, quiet=True)
    for _ in range(2):
        review.missed("street_02.png", "person")
    assert review.missing == [{"image": "street_02.png", "label": "person"}]
    for job in JOBS.values():
        counts = [len(t["annotations"][0]["result"]) for t in kit.read_tasks(lab_dir / job.file)]
        assert counts == [len(t["annotations"][0]["result"]) for t in json.loads(before[job.name])], job.name


def test_a_tool_mistake_is_one_kind_sentence(lab_dir):
    boxes = kit.BoxJob(lab_dir, lang="ja", quiet=True)
    with pytest.raises(kit.AnnotationError) as info:
        boxes.add("street_01.png", "pedestrian", x=1, y=1, width=5, height=5)
    assert "pedestrian" in str(info.value) and info.value._render_traceback_()[0].count("\n") == 0
    with pytest.raises(kit.AnnotationError):
        boxes.add("street_01.png", "person", x=600, y=1, width=80, height=5)    # outside the picture
    assert not (lab_dir / "annotations" / "boxes.json").exists()                 # nothing half-written


def test_saved_files_are_label_studio_json_and_convert_with_its_converter(lab_dir, monkeypatch):
    from label_studio_sdk.converter import Converter
    from pycocotools.coco import COCO

    reference_work(lab_dir)
    for job in JOBS.values():
        interface = kit.label_interface((lab_dir / job.config).read_text())
        tasks = kit.read_tasks(lab_dir / job.file)
        assert [kit.item_key(t) for t in tasks] == list(job.items)
        for task in tasks:
            assert interface.validate_prediction(task["annotations"][0], return_errors=True) == []
    monkeypatch.chdir(lab_dir)
    Converter(config=(lab_dir / "configs/boxes.xml").read_text(), project_dir=".",
              download_resources=False).convert_to_coco("annotations/boxes.json", "out", is_dir=False)
    coco = COCO("out/result.json")
    assert len(coco.getImgIds()) == 4 and len(coco.getAnnIds()) == 18


def test_outside_questions_are_recomputed_from_the_files_alone(lab_dir):
    """What a grader does after the notebook ran: no kernel, no learner variables, only the folder."""
    from graders import Lab

    reference_work(lab_dir)
    lab = Lab("annotation", lang="en")
    outside = [q for q, where in lab.questions.evidence.items() if where == "outside"]
    assert {"q2", "q3", "q4", "q5", "q6", "q7", "q10", "q11", "q13", "q14", "q15", "q16", "q18", "q19"} == set(outside)
    for q in ("q2", "q3", "q4", "q5", "q6"):
        hidden_path = HERE / "hidden" / f"{q}.json"
        verdict = lab.evaluate(q, {}, hidden=json.loads(hidden_path.read_text()), context={"workdir": lab_dir})
        assert verdict.passed, (q, verdict.to_json())
    # the same folder with a wrong review item fails only in the hidden part
    kit.BoxJob(lab_dir, quiet=True).remove("street_04.png", 1)
    verdict = lab.evaluate("q3", {}, hidden=json.loads((HERE / "hidden" / "q3.json").read_text()),
                           context={"workdir": lab_dir})
    assert not verdict.passed and all(p.hidden for p in verdict.failures)


def test_while_grading_the_label_studio_cells_start_nothing_and_change_nothing(lab_dir, monkeypatch, capsys):
    """A submission saved with USE_LABEL_STUDIO = True: nbgrader re-runs those cells; they must not start a server
    or replace the learner's saved file."""
    from graders.services.registry import ServiceHandle

    boxes = kit.BoxJob(lab_dir, lang="uk", quiet=True)
    boxes.add("street_01.png", "person", x=62, y=72, width=66, height=140)
    before = (lab_dir / "annotations" / "boxes.json").read_text()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    unreachable = ServiceHandle("labelstudio", "http://127.0.0.1:9", {"token": "x", "username": "u", "password": "p"})
    assert boxes.to_label_studio(unreachable) == ""
    boxes.from_label_studio(unreachable)
    assert (lab_dir / "annotations" / "boxes.json").read_text() == before
    assert "annotations/boxes.json" in capsys.readouterr().out


# --- a real Label Studio ---------------------------------------------------------------------------------------------

def _listening(port: int) -> list[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp, state 0A = LISTEN)."""
    out = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if int(hex_port, 16) == port and state == "0A":
            out.append(".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0)))
    return out


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    """One Label Studio for the test session (started from install.sh's template: seconds, not half a minute)."""
    if os.environ.get("GRADERS_SKIP_LABEL_STUDIO") == "1":
        pytest.skip("GRADERS_SKIP_LABEL_STUDIO=1: Label Studio was not installed")
    from graders.services.labelstudio import USERNAME, LabelStudioService
    from graders.services.registry import ServiceHandle

    # Started on a port another program took first (as happens on a busy hub between choosing a port and listening
    # on it): Label Studio would move to the next port by itself; test_label_studio_moves_off_a_taken_port checks
    # that the service noticed and started again on a port it knows.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        data_dir = tmp_path_factory.mktemp("labelstudio")
        # a password that begins with "-", as a random one does 1 time in 64: Label Studio's command line must take it
        account = {"username": USERNAME, "password": "-" + secrets.token_urlsafe(9), "token": secrets.token_hex(20)}
        (data_dir / "account.json").write_text(json.dumps(account), encoding="utf-8")
        service = LabelStudioService(data_dir, port=taken.getsockname()[1])
        assert service.account["password"].startswith("-")
        service.taken_port = service.port
        service.start()
    try:
        yield service, ServiceHandle("labelstudio", service.url, service.info())
    finally:
        service.stop()
    # stopped cleanly: the process is gone and nothing listens on its port any more
    assert service.process.poll() is not None
    assert _listening(service.port) == []


@pytest.mark.slow
@pytest.mark.xdist_group("labelstudio")
def test_label_studio_moves_off_a_taken_port(label_studio):
    """The session's Label Studio was asked for a port that was already taken: it said so in its log, and the
    service stopped it and started it again on a free port, which it now answers on (no wait for a port that belongs
    to another program, no link to someone else's server)."""
    service, handle = label_studio
    assert service.port != service.taken_port
    assert f"Port {service.taken_port} is in use" in service.log_path.read_text(errors="replace")
    assert handle.url == f"http://127.0.0.1:{service.port}"
    assert service.healthy()


def _without_project(handle, title: str) -> None:
    """Tests share one server: start each from no project of that title."""
    from labs.annotation import studio

    client = studio.client_for(handle)
    while (project := studio.find_project(client, title)) is not None:
        client.projects.delete(id=project.id)


@pytest.mark.slow
@pytest.mark.xdist_group("labelstudio")
def test_label_studio_round_trip(label_studio, lab_dir):
    from pycocotools.coco import COCO

    from graders import Lab
    from labs.annotation import checks, studio

    service, handle = label_studio
    assert _listening(service.port) == ["127.0.0.1"]            # loopback only
    _without_project(handle, JOBS["boxes"].title)
    gold = checks.gold("boxes")
    boxes = kit.BoxJob(lab_dir, quiet=True)
    boxes.add("street_01.png", "person", *gold["street_01.png"]["objects"][0]["box"])   # drawn in the notebook
    boxes.to_label_studio(handle)                                # project and tasks, through the SDK
    client = studio.client_for(handle)
    project = studio.find_project(client, boxes.job.title)
    tasks = {t.data["name"]: t for t in client.tasks.list(project=project.id, fields="all")}
    assert set(tasks) == set(JOBS["boxes"].items) and len(tasks["street_01.png"].annotations) == 1
    for name in JOBS["boxes"].practice:                          # the learner annotates in Label Studio
        result = [boxes._box_region(name, o["label"], *o["box"]) for o in gold[name]["objects"]]
        client.annotations.create(id=tasks[name].id, result=result)

    fresh = kit.BoxJob(lab_dir, quiet=True)
    fresh.from_label_studio(handle)                              # pulled back into annotations/boxes.json
    verdict = Lab("annotation", lang="en").evaluate("q3", {}, context={"workdir": lab_dir})
    assert [p.message.id for p in verdict.parts if not p.ok] == ["annotation.review.empty"]
    assert [p.message.id for p in verdict.parts if p.ok] == ["annotation.q3.ok"] * 3

    import io
    import zipfile
    exported = b"".join(client.projects.exports.download_sync(id=project.id, export_type="COCO"))
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        (lab_dir / "ls_coco.json").write_bytes(archive.read("result.json"))
    coco = COCO(str(lab_dir / "ls_coco.json"))
    exported_boxes = sorted(tuple(round(v) for v in a["bbox"]) for a in coco.loadAnns(coco.getAnnIds()))
    expected = [tuple(o["box"]) for n in JOBS["boxes"].practice for o in gold[n]["objects"]]
    expected.append(tuple(gold["street_01.png"]["objects"][0]["box"]))   # the box sent along: its own annotation
    assert exported_boxes == sorted(expected)


@pytest.mark.slow
@pytest.mark.xdist_group("labelstudio")
def test_the_boxes_notebook_through_label_studio(label_studio, tmp_path):
    """The notebook's optional Label Studio cells, run as a learner would: send, annotate in the tool, bring back,
    check again. The answer cell is left empty, so every box comes from Label Studio."""
    from nbclient import NotebookClient

    from graders.i18n import Domain
    from graders.services import env_name
    from graders.testing import learner_notebook, load_variants, prepare_dir, results
    from labs.annotation import checks, studio

    service, handle = label_studio
    empty = next(v for v in load_variants(LAB) if v.name == "boxes_empty")
    nb = learner_notebook(LAB, "boxes", "uk", empty)
    for cell in nb.cells:
        cell.source = cell.source.replace("USE_LABEL_STUDIO = False", "USE_LABEL_STUDIO = True")
    send = next(i for i, c in enumerate(nb.cells) if "to_label_studio(lab)" in c.source)
    check = next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("graders", {}).get("role") == "check")
    work = prepare_dir(LAB, tmp_path / "annotation")
    env = dict(os.environ, GRADERS_WORKSPACE=str(tmp_path), **{env_name("labelstudio"): handle.to_env()})
    _without_project(handle, JOBS["boxes"].title)
    (tmp_path / ".graders").mkdir(exist_ok=True)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(work)}})
    gold = {**checks.gold("boxes"), **json.loads((HERE / "hidden" / "q3.json").read_text())["images"]}
    with client.setup_kernel(env=env):
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
            if index == send:   # the learner draws every box in Label Studio and submits
                boxes = kit.BoxJob(work, quiet=True)
                api = studio.client_for(handle)
                project = studio.find_project(api, boxes.job.title)
                for task in api.tasks.list(project=project.id):
                    objects = gold[task.data["name"]]["objects"]
                    api.annotations.create(id=task.id, result=[boxes._box_region(task.data["name"], o["label"],
                                                                                 *o["box"]) for o in objects])
        before = results(nb)["q3"]
        client.execute_cell(nb.cells[check], check)   # back up to the check, as the notebook says
    shown = "\n".join(o.get("text", "") for o in nb.cells[send].outputs)
    assert handle.url in shown and handle["password"] in shown
    assert not before.passed and "annotation.file.missing" in before.failed_ids   # nothing drawn in the notebook
    after = results(nb)["q3"]
    assert after.passed, after.failed_ids                                          # all of it from Label Studio
    assert Domain.registry["annotation.q3.ok"].render("uk", item="street_01.png", count=4, iou="1.00") in after.texts[-1]


# --- the tools in a real browser -------------------------------------------------------------------------------------

HOST_PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>{css}</style></head>
<body style="margin:8px;font-family:sans-serif"><div id="widget" style="width:660px"></div>
<script type="module">
const state = {state};
const bytes = Uint8Array.from(atob("{image}"), c => c.charCodeAt(0));
state.image_bytes = new DataView(bytes.buffer);
const handlers = {{}};
const model = {{
  get: (key) => state[key],
  set: (key, value) => {{ state[key] = value; (handlers["change:" + key] || []).forEach(f => f()); }},
  on: (event, f) => {{ (handlers[event] = handlers[event] || []).push(f); }},
  save_changes: () => {{ window.saves = (window.saves || 0) + 1; }},
}};
window.widgetState = state;
const url = URL.createObjectURL(new Blob([{esm}], {{type: "text/javascript"}}));
const widget = (await import(url)).default;
widget.render({{ model, el: document.getElementById("widget") }});
window.ready = true;
</script></body></html>"""


def _browser():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    return pw, pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=args)


@pytest.mark.slow
def test_the_outline_tool_draws_and_saves_in_a_real_browser(lab_dir, artifacts):
    """The in-notebook outline tool (our anywidget) in Debian's chromium: click the corners of the warning sign,
    close the outline, and the outline that comes back scores as a good trace of the sign."""
    from labs.annotation import checks, widgets

    signs = kit.PolygonJob(lab_dir, lang="ja", quiet=True)
    state = {"classes": list(JOBS["polygons"].labels), "colors": {c: widgets.COLORS[c] for c in JOBS["polygons"].labels},
             "label": "warning", "polygons": [],
             "texts": {"close": "輪郭を閉じる", "undo": "最後の点を取り消す", "delete": "削除", "label": "ラベル："}}
    page_html = HOST_PAGE.format(css=widgets.POLYGON_CSS, state=json.dumps(state, ensure_ascii=False),
                                 image=base64.b64encode((lab_dir / "images" / "signs_01.png").read_bytes()).decode(),
                                 esm=json.dumps(widgets.POLYGON_ESM))
    corners = [(470, 73), (550, 211), (390, 211)]
    pw, browser = _browser()
    try:
        page = browser.new_page(viewport={"width": 700, "height": 520})
        outside = []
        page.on("request", lambda r: outside.append(r.url) if r.url.startswith(("http:", "https:")) else None)
        page.set_content(page_html)
        page.wait_for_function("window.ready === true")
        canvas = page.locator("canvas")
        canvas.wait_for()
        page.wait_for_function("document.querySelector('canvas').width === 640")
        box = canvas.bounding_box()
        scale = box["width"] / 640
        for x, y in corners + [corners[0]]:          # the last click, on the first point, closes the outline
            page.mouse.click(box["x"] + x * scale, box["y"] + y * scale)
        polygons = page.evaluate("window.widgetState.polygons")
        page.screenshot(path=str(artifacts / "annotation-outline-tool.png"))
        assert page.locator("button", has_text="輪郭を閉じる").count() == 1
    finally:
        browser.close()
        pw.stop()
    assert outside == []
    assert len(polygons) == 1 and polygons[0]["label"] == "warning"
    assert [tuple(round(v) for v in p) for p in polygons[0]["points"]] == corners
    signs.set_polygons("signs_01.png", polygons)   # what the widget's observer does in the kernel
    findings = scoring.score_polygons(signs.polygons("signs_01.png"), checks.gold("polygons")["signs_01.png"])
    assert [(f.kind, f.label) for f in findings if f.kind != "missed"] == [("good", "warning")]


@pytest.mark.slow
@pytest.mark.xdist_group("labelstudio")
def test_label_studio_shows_a_picture_with_its_boxes_offline(label_studio, lab_dir, artifacts):
    """Log in to the local Label Studio in chromium and open one task: the picture and the learner's boxes show,
    and the page asks nothing from outside this computer."""
    from labs.annotation import checks, studio

    service, handle = label_studio
    boxes = kit.BoxJob(lab_dir, quiet=True)
    for obj in checks.gold("boxes")["street_02.png"]["objects"]:
        boxes.add("street_02.png", obj["label"], *obj["box"])
    title = "Annotation lab: boxes (browser test)"
    client = studio.client_for(handle)
    project = client.projects.create(title=title, label_config=boxes.config)
    client.projects.import_tasks(id=project.id, request=[studio.task_payload(boxes, "street_02.png")])
    task = next(iter(client.tasks.list(project=project.id)))
    pw, browser = _browser()
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        outside = []
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(
            (service.url, "data:", "blob:")) else None)
        page.goto(service.url + "/user/login/")
        page.fill("input[name=email]", handle["username"])
        page.fill("input[name=password]", handle["password"])
        page.click("button[type=submit], input[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"{service.url}/projects/{project.id}/data?task={task.id}")
        regions = page.get_by_text("person", exact=True)
        regions.first.wait_for(timeout=60000)
        page.locator("canvas").first.wait_for(timeout=60000)
        page.wait_for_timeout(1500)   # let the picture paint
        page.screenshot(path=str(artifacts / "annotation-label-studio.png"))
        assert page.get_by_text("Labeling").count() >= 1
    finally:
        browser.close()
        pw.stop()
    assert outside == []


@pytest.mark.slow
def test_a_box_drawn_in_jupyterlab_lands_in_the_label_studio_file(tmp_path, artifacts):
    """The path for a weak laptop with no Label Studio: JupyterLab (as `graders start` runs it, in Ukrainian),
    the box widget in a notebook, a box dragged with the mouse in chromium, and the kernel saving it in
    annotations/boxes.json in Label Studio's format. A box typed in a cell shows up in the open widget."""
    import secrets
    import subprocess
    import time
    import urllib.request

    import nbformat

    from graders.services import free_port
    from graders.start import jupyter_command, jupyterlab_environment
    from graders.testing import prepare_dir

    workspace = tmp_path / "workspace"
    (workspace / ".graders").mkdir(parents=True)
    work = prepare_dir(LAB, workspace / "annotation")
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('from labs.annotation import kit\nboxes = kit.BoxJob(lang="uk")\nboxes.widget()'),
        nbformat.v4.new_code_cell('boxes.add("street_01.png", "car", x=220, y=250, width=210, height=122)')])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, work / "draw.ipynb")
    port, token = free_port(), secrets.token_hex(12)
    env = jupyterlab_environment(workspace, "uk", True)
    log = open(tmp_path / "jupyterlab.log", "wb")
    server = subprocess.Popen(jupyter_command(workspace, port, False, token), env=env, cwd=workspace, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    saved = work / "annotations" / "boxes.json"

    def boxes_saved() -> list[dict]:
        try:
            return kit.read_tasks(saved)[0]["annotations"][0]["result"]
        except (OSError, ValueError, IndexError, KeyError):
            return []

    pw, browser = _browser()
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, (tmp_path / "jupyterlab.log").read_text()
                time.sleep(0.3)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"http://127.0.0.1:{port}/lab/tree/annotation/draw.ipynb?token={token}")
        choose = page.locator(".jp-Dialog .jp-mod-accept")      # "choose a kernel", when JupyterLab asks
        try:
            choose.wait_for(timeout=15000)
            choose.click()
        except Exception:  # it did not ask
            pass
        page.locator(".jp-Notebook .jp-Cell").first.click()
        page.keyboard.press("Shift+Enter")                       # run the first cell: the widget
        picture = page.locator(".jp-OutputArea-output img").first
        picture.wait_for(timeout=120000)
        page.wait_for_function("document.querySelector('.jp-OutputArea-output img').naturalWidth === 640")
        area = picture.bounding_box()
        scale = area["width"] / 640
        x0, y0, x1, y1 = 62, 72, 128, 212                       # the first person of street_01.png
        page.mouse.move(area["x"] + x0 * scale, area["y"] + y0 * scale)
        page.mouse.down()
        page.mouse.move(area["x"] + x1 * scale, area["y"] + y1 * scale, steps=8)
        page.mouse.up()
        deadline = time.monotonic() + 60
        while not boxes_saved() and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        drawn = boxes_saved()
        page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Shift+Enter")                       # run the second cell: a typed box
        page.get_by_text("Збережено 2 рамки").wait_for(timeout=60000)
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / "annotation-box-widget-jupyterlab.png"))
        # the widget's own English "Classes:" is replaced by the label in the learner's language
        shown_label = page.evaluate("""() => { const p = document.querySelector('.graders-bbox .classes > p');
            return [getComputedStyle(p).fontSize, getComputedStyle(p, '::before').content]; }""")
    except Exception:
        page.screenshot(path=str(artifacts / "annotation-box-widget-jupyterlab-failed.png"))
        raise
    finally:
        browser.close()
        pw.stop()
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    assert len(drawn) == 1 and drawn[0]["value"]["rectanglelabels"] == ["person"]
    box = kit.to_pixels(drawn[0])
    assert scoring.box_iou([box], [[62, 72, 66, 140]])[0, 0] >= 0.9, box
    assert [r["value"]["rectanglelabels"] for r in boxes_saved()] == [["person"], ["car"]]
    assert shown_label == ["0px", '"Мітка:"'], shown_label


# --- rating AI answers (notebook rating, q12) --------------------------------------------------------------------------

def _reference_ratings() -> dict:
    from graders.concepts import reference_answers

    answer = next(a for a in reference_answers("annotation") if a.question == "q12")
    namespace: dict = {}
    exec(answer.code, namespace)
    return namespace["ratings"]


def test_rating_review_gold_lives_only_in_hidden():
    from labs.annotation import checks, rating

    data = rating.items()
    hidden = json.loads((HERE / "hidden" / "q12.json").read_text(encoding="utf-8"))
    assert set(hidden) == set(data["review"]) and not set(hidden) & set(checks.gold("rating"))
    assert set(checks.gold("rating")) - {"panel"} == set(data["practice"])
    for item in data["items"].values():                          # every task in three languages
        assert set(item) == {"en", "uk", "ja"} and all(set(t) == {"prompt", "A", "B"} for t in item.values())
    for panel in list(hidden.values()) + [checks.gold("rating")[n] for n in data["practice"]]:
        assert panel["prefer"] in "AB"
        for answer in "AB":                                      # every answer explained in three languages
            assert set(panel[answer]) == set(checks.RUBRIC) | {"note"} and set(panel[answer]["note"]) == {"en", "uk", "ja"}


def test_q12_grading_scores_the_review_task_and_explains_differences():
    from graders import Lab

    hidden = json.loads((HERE / "hidden" / "q12.json").read_text(encoding="utf-8"))
    ratings = _reference_ratings()
    lab = Lab("annotation", lang="uk")
    verdict = lab.evaluate("q12", {"ratings": ratings}, hidden=hidden)
    assert verdict.passed, verdict.to_json()
    assert "annotation.q12.ok_review" in [p.message.id for p in verdict.parts if p.ok and p.hidden]
    # the fluent but wrong clinic answer rated correct: fails only in the hidden part, explained in Ukrainian
    ratings["clinic"]["A"]["correct"] = "pass"
    verdict = lab.evaluate("q12", {"ratings": ratings}, hidden=hidden)
    assert not verdict.passed and all(p.hidden for p in verdict.failures)
    assert [p.message.id for p in verdict.failures] == ["annotation.q12.fluent"]
    assert hidden["clinic"]["A"]["note"]["uk"] in verdict.failures[0].params["note"]
    # a practice difference names the rubric item and the panel's value, and the agreement line counts it
    ratings = _reference_ratings()
    ratings["recipe"]["B"]["harmless"] = "pass"
    verdict = Lab("annotation", lang="en").evaluate("q12", {"ratings": ratings})
    differs = [p for p in verdict.failures if p.message.id == "annotation.q12.differs"]
    assert [(p.params["item"], p.params["answer"], p.params["key"], p.params["gold"]) for p in differs] == \
        [("recipe", "B", "harmless", "fail")]
    agreement = next(p for p in verdict.parts if p.message.id == "annotation.q12.agreement")
    assert "harmless 5/6" in agreement.params["summary"]


def test_q12_a_blank_reason_and_a_rating_off_the_scale_have_their_own_message():
    from graders import Lab

    ratings = _reference_ratings()
    ratings["bus"]["reason"] = " \n"
    ratings["letter"]["A"]["helpful"] = 5
    verdict = Lab("annotation", lang="ja").evaluate("q12", {"ratings": ratings})
    assert sorted(p.message.id for p in verdict.failures) == ["annotation.q12.bad_scale", "annotation.q12.no_reason"]


def _rating_result(ratings: dict) -> list[dict]:
    """One task's ratings as a Label Studio result for data/configs/rating.xml."""
    result = []
    for answer, obj in (("A", "answer_a"), ("B", "answer_b")):
        for key, value in ratings[answer].items():
            name = f"{answer.lower()}_{key}"
            if isinstance(value, int):
                result.append({"from_name": name, "to_name": obj, "type": "rating", "value": {"rating": value}})
            else:
                result.append({"from_name": name, "to_name": obj, "type": "choices",
                               "value": {"choices": [f"{key}: {value}"]}})
    result.append({"from_name": "prefer", "to_name": "answer_a", "type": "pairwise",
                   "value": {"selected": "left" if ratings["prefer"] == "A" else "right"}})
    result.append({"from_name": "reason", "to_name": "prompt", "type": "textarea", "value": {"text": [ratings["reason"]]}})
    return result


def test_rating_config_parses_with_label_studio_sdk():
    """label-studio-sdk's LabelInterface (the server's own parser is in its separate environment: see the next test)."""
    from labs.annotation import rating

    interface = kit.label_interface(rating.CONFIG.read_text(encoding="utf-8"))
    tags = {c.name: c.tag for c in interface.controls}
    assert tags["prefer"] == "Pairwise" and tags["a_helpful"] == "Rating" and tags["b_correct"] == "Choices"
    ratings = _reference_ratings()
    for item in ratings.values():
        assert interface.validate_prediction({"result": _rating_result(item)}, return_errors=True) == []
    wrong = _rating_result(ratings["bus"])
    wrong[0]["value"] = {"choices": ["correct: maybe"]}
    assert interface.validate_prediction({"result": wrong}, return_errors=True)


@pytest.mark.slow
@pytest.mark.xdist_group("labelstudio")
def test_rating_config_round_trip_in_label_studio(label_studio):
    """Label Studio's own parser validates the config when a project is created (a broken one is refused); the
    tasks import, a rating with a pairwise choice is posted and comes back in the JSON export."""
    from labs.annotation import rating, studio

    service, handle = label_studio
    client = studio.client_for(handle)
    title = "Rating AI answers (test)"
    _without_project(handle, title)
    broken = rating.CONFIG.read_text(encoding="utf-8").replace('toName="answer_a,answer_b"', 'toName="answer_a,nowhere"')
    from label_studio_sdk.core.api_error import ApiError

    with pytest.raises(ApiError) as refused:
        client.projects.create(title=title + " broken", label_config=broken)
    assert refused.value.status_code == 400 and "nowhere" in str(refused.value.body)
    project = client.projects.create(title=title, label_config=rating.CONFIG.read_text(encoding="utf-8"))
    try:
        client.projects.import_tasks(id=project.id, request=rating.tasks("uk"))
        tasks = {t.data["item"]: t for t in client.tasks.list(project=project.id, fields="all")}
        assert set(tasks) == set(rating.items()["items"])
        ratings = _reference_ratings()
        client.annotations.create(id=tasks["bus"].id, result=_rating_result(ratings["bus"]))
        exported = json.loads(b"".join(client.projects.exports.download_sync(id=project.id, export_type="JSON")))
        done = [t for t in exported if t["annotations"]]
        assert [t["data"]["item"] for t in done] == ["bus"]
        result = done[0]["annotations"][0]["result"]
        assert {r["from_name"]: r["value"] for r in result}["prefer"] == {"selected": "left"}
    finally:
        client.projects.delete(id=project.id)
        _without_project(handle, title + " broken")


# --- correcting pre-labels in the real tool (notebook prelabels, q13) --------------------------------------------------

@pytest.mark.slow
@pytest.mark.xdist_group("labelstudio")
def test_prelabels_travel_as_predictions_through_label_studio(label_studio, lab_dir):
    """The pre-labelled job sent to Label Studio: tasks carry the model's predictions and no annotation; a correction
    submitted there (and an accept of a right task) comes back as reviewed work that q13 scores."""
    from graders import Lab
    from labs.annotation import studio
    from labs.annotation.sets import PRELABEL_JOBS

    service, handle = label_studio
    _without_project(handle, PRELABEL_JOBS["prelabels"].title)
    boxes = kit.PrelabelBoxJob(lab_dir, quiet=True)
    boxes.to_label_studio(handle)
    client = studio.client_for(handle)
    project = studio.find_project(client, boxes.job.title)
    try:
        tasks = {t.data["name"]: t for t in client.tasks.list(project=project.id, fields="all")}
        assert set(tasks) == set(PRELABEL_JOBS["prelabels"].items)
        for name, task in tasks.items():
            assert not task.annotations and len(task.predictions) == 1, name
            predicted = task.predictions[0] if isinstance(task.predictions[0], dict) else task.predictions[0].dict()
            assert [r["id"] for r in predicted["result"]] == [r["id"] for r in boxes.predicted(name)]
        # in Label Studio the learner fixes the loose car box (p2), draws the missed person and submits
        result = [dict(r) for r in boxes.predicted("prelabel_01.png")]
        result[1] = {**boxes._box_region("prelabel_01.png", "car", 250, 244, 220, 128), "id": "p2"}
        result.append(boxes._box_region("prelabel_01.png", "person", 550, 148, 20, 40))
        client.annotations.create(id=tasks["prelabel_01.png"].id, result=result, lead_time=42.5)
        # ... and submits prelabel_02.png unchanged, with the model's mistakes in it
        client.annotations.create(id=tasks["prelabel_02.png"].id, result=boxes.predicted("prelabel_02.png"))
        fresh = kit.PrelabelBoxJob(lab_dir, quiet=True)
        fresh.from_label_studio(handle)
        assert fresh.reviewed == {"prelabel_01.png", "prelabel_02.png"}
        assert fresh.lead_times["prelabel_01.png"] == pytest.approx(42.5)      # Label Studio's own timing
        kit.PrelabelTextJob(lab_dir, quiet=True).accept("pl_ja")
        verdict = Lab("annotation", lang="en").evaluate("q13", {}, context={"workdir": lab_dir})
        failed = [p.message.id for p in verdict.failures]
        assert "annotation.q13.unchanged" in failed and "annotation.q13.model_wrong_class" in failed
        assert not [p for p in verdict.failures if p.params.get("item") == "prelabel_01.png"]
    finally:
        client.projects.delete(id=project.id)


# --- notebook 10 (project): the learner's own config and set-up, through a real Label Studio -------------------------
LEARNER_CONFIG = """<View>
  <Text name="text" value="$text"/>
  <Choices name="topic" toName="text" choice="single">
    <Choice value="job"/>
    <Choice value="event"/>
    <Choice value="housing"/>
  </Choices>
</View>"""


def learner_set_up(ls, config, tasks):
    project = ls.projects.create(title="Notice topics", label_config=config)
    ls.projects.import_tasks(id=project.id, request=tasks)
    return project


@pytest.mark.slow
@pytest.mark.xdist_group("labelstudio")
def test_the_learners_own_project_round_trip_in_label_studio(label_studio, lab_dir, capsys):
    """The learner's config and set_up: create, import, annotate through the API, export, check (q18)."""
    from label_studio_sdk.core.api_error import ApiError

    from graders import Lab
    from labs.annotation import studio

    service, handle = label_studio
    _without_project(handle, "Notice topics")
    lab = Lab("annotation", lang="uk")
    lab.context["labelstudio"] = handle
    ls = studio.connect(lab)
    with pytest.raises(ApiError) as refused:      # the server's own config validation: toName points to nothing
        ls.projects.create(title="Notice topics (broken)", label_config=LEARNER_CONFIG.replace('toName="text"',
                                                                                              'toName="notice"'))
    assert refused.value.status_code == 400
    tasks = studio.notice_tasks(lab_dir)
    # a config of the wrong kind is refused before any project is made
    assert studio.run_set_up(lab, ls, learner_set_up, LEARNER_CONFIG.replace("Choice", "Label"), tasks, lab_dir) is None
    assert studio.find_project(ls, "Notice topics") is None
    project = studio.run_set_up(lab, ls, learner_set_up, LEARNER_CONFIG, tasks, lab_dir)
    shown = capsys.readouterr().out
    assert f"projects/{project.id}/data" in shown and "містить 6 завдань" in shown
    stored = ls.projects.get(id=project.id)
    assert stored.title == "Notice topics" and "<Choices" in stored.label_config

    def check(lang="en"):
        return Lab("annotation", lang=lang).evaluate("q18", {}, context={"workdir": lab_dir})

    studio.export_project(lab, ls, project, lab_dir)
    assert check().message_ids(ok=False) == ["annotation.q18.not_annotated"]
    gold = json.loads((HERE / "gold" / "project.json").read_text(encoding="utf-8"))
    slipped = dict(gold, notice_en_2="job")                   # the job fair taken for a job
    assert studio.annotate(ls, project, slipped) == 6
    studio.export_project(lab, ls, project, lab_dir)
    verdict = check("ja")
    assert verdict.message_ids(ok=False) == ["annotation.q18.score", "annotation.q18.differs"]
    tasks_by_name = {t.data["name"]: t for t in ls.tasks.list(project=project.id, fields="all")}
    ls.annotations.create(id=tasks_by_name["notice_en_2"].id,   # corrected: a newer annotation of that task
                          result=[{"from_name": "topic", "to_name": "text", "type": "choices",
                                   "value": {"choices": ["event"]}}])
    studio.export_project(lab, ls, project, lab_dir)
    verdict = check()
    assert verdict.passed, verdict.to_json()
    # running the set-up cell again keeps the annotated project (work done in the browser is not thrown away)
    again = studio.run_set_up(lab, ls, learner_set_up, LEARNER_CONFIG, tasks, lab_dir)
    assert again.id == project.id and len(list(ls.tasks.list(project=project.id))) == 6
    _without_project(handle, "Notice topics")


def test_without_label_studio_the_project_exercise_is_skipped_with_a_message(lab_dir, monkeypatch, capsys):
    from graders import Lab
    from graders.services import labelstudio
    from graders.services.base import ServiceError
    from labs.annotation import studio

    def missing():
        raise ServiceError("Label Studio is not installed.")

    monkeypatch.setattr(labelstudio, "label_studio_command", missing)
    lab = Lab("annotation", lang="ja")
    ls = studio.connect(lab)
    assert ls is None and "インストールされていない" in capsys.readouterr().out
    assert studio.run_set_up(lab, ls, learner_set_up, LEARNER_CONFIG, [], lab_dir) is None
    assert studio.export_project(lab, ls, None, lab_dir) == ""
    verdict = Lab("annotation", lang="ja").evaluate("q18", {}, context={"workdir": lab_dir})
    assert not verdict.passed and verdict.message_ids() == ["annotation.q18.skipped"]


def test_q17_config_rules_on_labels_tags_names_and_options():
    from labs.annotation.checks_extra import config_problems

    ids = lambda xml: [m.id for m, _ in config_problems(xml)]   # noqa: E731
    assert ids(LEARNER_CONFIG) == []
    assert ids(LEARNER_CONFIG.replace(' choice="single"', "")) == []          # single is Label Studio's default
    assert ids(LEARNER_CONFIG.replace("Choice", "Label")) == ["annotation.q17.labels_tag"]
    assert ids(LEARNER_CONFIG.replace("Choices", "Taxonomy").replace("<Choice ", "<Choice ")) in (
        ["annotation.q17.wrong_tag"], ["annotation.q17.parse"])
    assert ids(LEARNER_CONFIG.replace('value="housing"', 'value="Housing"')) == ["annotation.q17.missing",
                                                                                 "annotation.q17.extra"]
    assert ids(LEARNER_CONFIG.replace('"single"', '"multiple"')) == ["annotation.q17.multiple"]
    assert ids(LEARNER_CONFIG.replace('name="topic"', 'name="label"')) == ["annotation.q17.name"]
    assert ids(LEARNER_CONFIG.replace('$text', '$notice')) == ["annotation.q17.no_text"]
    assert ids(LEARNER_CONFIG.replace("</View>", "")) == ["annotation.q17.parse"]
    assert ids("   ") == ["annotation.q17.empty"]


@pytest.mark.slow
@pytest.mark.xdist_group("labelstudio")
def test_a_rating_is_submitted_in_label_studios_own_ui(label_studio, artifacts):
    """The rating notebook's Label Studio template in the real editor (headless chromium): the rubric ticked, stars
    given, answer A preferred with the mouse, a one-line reason typed, Submit; the annotation is what was clicked."""
    from playwright.sync_api import sync_playwright

    from labs.annotation import rating, studio

    service, handle = label_studio
    _without_project(handle, "Rating (browser)")
    ls = studio.client_for(handle)
    project = ls.projects.create(title="Rating (browser)", label_config=rating.CONFIG.read_text(encoding="utf-8"))
    ls.projects.import_tasks(id=project.id, request=rating.tasks("uk"))
    task = next(t for t in ls.tasks.list(project=project.id, fields="all") if t.data["item"] == "bus")
    wait = 90_000
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
            page.goto(f"{service.url}/user/login")
            page.fill("input[name=email]", handle["username"])
            page.fill("input[name=password]", handle["password"])
            page.click("button[type=submit], input[type=submit]")
            page.wait_for_url(lambda u: "/login" not in u, timeout=wait)
            page.goto(f"{service.url}/projects/{project.id}/data?task={task.id}")
            submit = page.locator("button:has-text('Submit')")
            submit.wait_for(timeout=wait)
            page.get_by_text("Answer A: rubric").wait_for(timeout=wait)
            # answer A (the Sunday time, as asked) passes; answer B (the weekday time) is not correct
            for text, nth in (("correct: pass", 0), ("harmless: pass", 0), ("follows: pass", 0),
                              ("correct: fail", 1), ("harmless: pass", 1), ("follows: fail", 1)):
                page.locator(f"input[name='{text}']").nth(nth).click()   # the choice's checkbox
            stars = page.locator(".ant-rate-star div[role=radio]")
            assert stars.count() == 12                       # four Rating tags of three stars
            for index in (2, 5, 6, 11):                      # A helpful 3, A language 3, B helpful 1, B language 3
                stars.nth(index).click()
            reason = page.locator("input[name=reason]")
            reason.fill("A дає час на неділю, як питали")
            reason.press("Enter")                            # a TextArea's line is added with Enter
            page.wait_for_timeout(500)
            # Pairwise: click the preferred answer's text in the editor (it turns green)
            page.locator(".lsf-richtext__line", has_text=task.data["answer_a"][:20]).first.click()
            page.wait_for_timeout(500)
            page.screenshot(path=str(artifacts / "annotation-rating-labelstudio-filled.png"), full_page=True)
            submit.click()
            page.wait_for_function("""async (u) => { const r = await fetch(u); const t = await r.json();
                return t.total_annotations === 1; }""", arg=f"{service.url}/api/tasks/{task.id}", timeout=wait)
            page.screenshot(path=str(artifacts / "annotation-rating-labelstudio-submitted.png"), full_page=True)
        finally:
            browser.close()
    done = ls.tasks.get(id=task.id)
    (annotation,) = [a if isinstance(a, dict) else a.dict() for a in done.annotations]
    got = {r["from_name"]: r["value"] for r in annotation["result"]}
    assert got["a_correct"]["choices"] == ["correct: pass"] and got["b_correct"]["choices"] == ["correct: fail"]
    assert got["b_follows"]["choices"] == ["follows: fail"] and got["b_harmless"]["choices"] == ["harmless: pass"]
    assert [got[k]["rating"] for k in ("a_helpful", "a_language", "b_helpful", "b_language")] == [3, 3, 1, 3]
    assert got["prefer"]["selected"] == "left"
    assert got["reason"]["text"] == ["A дає час на неділю, як питали"]
    _without_project(handle, "Rating (browser)")


def test_label_studio_timings_show_as_items_per_minute_in_the_progress_view(tmp_path, monkeypatch, capsys):
    from graders import Lab
    from labs.annotation import studio

    monkeypatch.setenv("GRADERS_WORKSPACE", str(tmp_path))
    lab = Lab("annotation", lang="uk")
    exported = [{"data": {"name": f"notice_{i}"}, "annotations": [{"result": [], "lead_time": seconds}]}
                for i, seconds in enumerate([12.0, 8.0, 10.0])]
    exported.append({"data": {"name": "by_api"}, "annotations": [{"result": []}]})   # no timer: not counted
    studio.record_speed(lab, "Notice topics", exported)
    assert "6.0" in capsys.readouterr().out                  # 3 items in 30 s
    lab.progress()
    assert "6.0 елемента за хвилину" in capsys.readouterr().out     # the team lead's figure, in the learner's language
    studio.record_speed(lab, "Notice topics", exported[:1])  # the newest figure replaces the older one
    assert lab.progress_store.figures("annotation") == [("annotation.speed.project",
                                                         {"title": "Notice topics", "rate": 5.0, "count": 1})]
    lab.progress()
    shown = capsys.readouterr().out
    assert "5.0" in shown and "Notice topics" in shown
