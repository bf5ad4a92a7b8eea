"""Entity spans selected with the mouse (issue 17, part 6): the span tool of notebook `text` (an anywidget) saves
exact character offsets into annotations/texts.json, the file the q5 check already reads; typed commands still work
beside it. The slow test drives the real notebook in JupyterLab with chromium's mouse."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from graders.labdef import load_lab
from labs.annotation import kit, widgets

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # pydantic v1 calls inside label-studio-sdk

LAB = load_lab("annotation")


@pytest.fixture
def lab_dir(tmp_path) -> Path:
    shutil.copytree(LAB.data_dir, tmp_path / "annotation")
    return tmp_path / "annotation"


def _entities(path: Path, item: str) -> list[tuple]:
    task = next(t for t in kit.read_tasks(path) if t["data"]["name"] == item)
    return sorted((r["value"]["start"], r["value"]["end"], r["value"]["labels"][0], r["value"]["text"])
                  for r in task["annotations"][0]["result"] if r["from_name"] == "entity")


def test_the_span_tool_saves_exact_offsets_where_the_typed_commands_do(lab_dir):
    """What the widget sends (start/end in characters) lands in the same regions `texts.mark` writes; the topic
    stays; a typed command shows up in the open widget; ✕ in the widget removes the span from the file."""
    texts = kit.TextJob(lab_dir, lang="uk", quiet=True)
    box = texts.widget()
    tool = box.children[-1]
    text = texts.texts["uk_01"]["text"]
    texts.classify("uk_01", "housing")
    assert tool.text == texts.texts["en_01"]["text"]     # the widget shows en_01 first
    for _ in range(2):                                     # ▶ twice: uk_01
        box.children[1].children[1].click()
    assert tool.text == text
    start = text.index("Олені Коваленко")
    tool.spans = [{"start": start, "end": start + len("Олені Коваленко"), "label": "PER"}]
    assert _entities(texts.path, "uk_01") == [(start, start + 15, "PER", "Олені Коваленко")]
    texts.mark("uk_01", "Кавасакі", "LOC")                 # typed: the open widget follows
    assert [s["label"] for s in tool.spans] == ["LOC", "PER"]
    tool.spans = [s for s in tool.spans if s["label"] != "PER"]   # ✕ on the PER span
    assert [e[2:] for e in _entities(texts.path, "uk_01")] == [("LOC", "Кавасакі")]
    assert kit.TextJob(lab_dir, quiet=True).results["uk_01"][0]["value"]["choices"] == ["housing"]


def test_typed_and_selected_spans_are_the_same_region(lab_dir):
    """A span typed with `mark` and the same span sent by the widget are one region (no double), in Japanese too;
    a span past the end of the text or with an unknown label is not saved."""
    typed = kit.TextJob(lab_dir, quiet=True)
    typed.mark("ja_01", "東京", "LOC")
    text = typed.texts["ja_01"]["text"]
    at = text.index("東京")
    typed.set_spans("ja_01", [{"start": at, "end": at + 2, "label": "LOC"}, {"start": at, "end": at + 2,
                                                                             "label": "LOC"},
                              {"start": 0, "end": len(text) + 5, "label": "ORG"}])
    assert _entities(typed.path, "ja_01") == [(at, at + 2, "LOC", "東京")]
    with pytest.raises(kit.AnnotationError):
        typed.set_spans("ja_01", [{"start": 0, "end": 2, "label": "person"}])


@pytest.mark.parametrize("lang", ["uk", "ja"])
def test_the_span_tool_speaks_the_learners_language(lang):
    english = widgets.span_texts("en")
    words = widgets.span_texts(lang)
    assert set(words) == set(english)
    assert all(words[k] != english[k] for k in words), words
    assert "{words}" in words["selected"]


def _browser():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    return pw, pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=args)


SELECT = """([start, end]) => {
  // the screen rectangles of the first and the last character of [start, end) in the span tool's text
  const box = document.querySelector('.graders-spans-text');
  const rects = [];
  for (const at of [start, end - 1]) {
    const seg = Array.from(box.querySelectorAll('[data-start]')).filter((s) => Number(s.dataset.start) <= at).pop();
    const node = seg.firstChild;
    let k = at - Number(seg.dataset.start), i = 0;
    const cs = Array.from(node.data);
    for (let j = 0; j < k; j++) i += cs[j].length;
    const r = document.createRange();
    r.setStart(node, i); r.setEnd(node, i + cs[k].length);
    const b = r.getBoundingClientRect();
    rects.push({left: b.left, right: b.right, top: b.top, bottom: b.bottom});
  }
  return rects;
}"""


@pytest.mark.slow
def test_a_span_selected_with_the_mouse_in_jupyterlab_is_seen_by_the_check(tmp_path, artifacts):
    """Notebook `text` as a learner gets it (Ukrainian), in JupyterLab as `graders start` runs it: the span tool's
    cell, three entities selected with chromium's mouse (an English name dragged across, a Ukrainian place
    double-clicked, a Japanese place dragged across), each given its label with the tool's button; then the q5 check
    cell reports exactly those three spans as right (precision 1.00, recall 3/22)."""
    import re
    import secrets
    import subprocess
    import time
    import urllib.request

    import nbformat

    from graders.services import free_port
    from graders.start import jupyter_command, jupyterlab_environment
    from graders.testing import learner_notebook, prepare_dir
    from labs.annotation import checks

    workspace = tmp_path / "workspace"
    (workspace / ".graders").mkdir(parents=True)
    work = prepare_dir(LAB, workspace / "annotation", graded=False)
    nb = learner_notebook(LAB, "text", "uk", with_hidden=False)
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code" and "texts.mark(" in cell.source and "Sakura" in cell.source:
            cell.source = "# Write your code here, then run the cell (Shift+Enter).\ntexts.show()"
        cells.append(cell)
        if cell.cell_type == "code" and 'lab.check("q5")' in cell.source:
            break
    nb.cells = cells
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(nb, work / "text.ipynb")
    code = [i for i, c in enumerate(cells) if c.cell_type == "code"]
    run_first = [i for i in code if "Lab(" in cells[i].source or "kit.TextJob" in cells[i].source
                 or "texts.widget()" in cells[i].source]
    check_cell = code[-1]
    assert len(run_first) == 3 and "texts.widget()" in cells[run_first[-1]].source

    port, token = free_port(), secrets.token_hex(12)
    env = jupyterlab_environment(workspace, "uk", True)
    log = open(tmp_path / "jupyterlab.log", "wb")
    server = subprocess.Popen(jupyter_command(workspace, port, False, token), env=env, cwd=workspace, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    saved = work / "annotations" / "texts.json"
    texts = {t["data"]["name"]: t["data"]["text"] for t in kit.read_tasks(work / "texts" / "texts.json")}
    wanted = [("en_01", "Aiko Tanaka", "PER", "drag"), ("uk_01", "Кавасакі", "LOC", "double"),
              ("ja_01", "東京", "LOC", "drag")]

    def entities() -> list[tuple]:
        try:
            return sorted(e for item in ("en_01", "uk_01", "ja_01") for e in
                          [(item,) + x for x in _entities(saved, item)])
        except (OSError, ValueError, StopIteration, KeyError, IndexError):
            return []

    page = None
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
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/lab/tree/annotation/text.ipynb?token={token}")
        choose = page.locator(".jp-Dialog .jp-mod-accept")      # "choose a kernel", when JupyterLab asks
        try:
            choose.wait_for(timeout=15000)
            choose.click()
        except Exception:  # it did not ask
            pass
        cell_at = page.locator(".jp-Notebook .jp-Cell")
        cell_at.nth(run_first[0]).wait_for(timeout=60000)
        for i in run_first:
            cell_at.nth(i).locator(".jp-InputArea-editor").click()
            page.keyboard.press("Control+Enter")
        tool = page.locator(".graders-spans-text")
        tool.wait_for(timeout=120000)
        tool.scroll_into_view_if_needed()
        next_button = page.locator(".jp-OutputArea-output button", has_text="▶")
        shown = "en_01"
        order = ["en_01", "en_02", "uk_01", "uk_02", "ja_01"]
        for item, words, label, how in wanted:
            for _ in range(order.index(item) - order.index(shown)):
                next_button.click()
            shown = item
            page.wait_for_function("t => document.querySelector('.graders-spans-text').textContent.startsWith(t)",
                                   arg=texts[item][:10], timeout=30000)
            start = texts[item].index(words)
            first, last = page.evaluate(SELECT, [start, start + len(words)])
            y = (first["top"] + first["bottom"]) / 2
            if how == "double":
                page.mouse.dblclick((first["left"] + last["right"]) / 2, y)
            else:
                page.mouse.move(first["left"] + 1, y)
                page.mouse.down()
                page.mouse.move(last["right"] - 1, (last["top"] + last["bottom"]) / 2, steps=6)
                page.mouse.up()
            page.locator(".graders-spans-note", has_text=words).wait_for(timeout=10000)
            page.locator(".graders-spans-label", has_text=label).first.click()
            page.locator(".graders-spans-list button", has_text=words).wait_for(timeout=30000)
        deadline = time.monotonic() + 60
        while len(entities()) < 3 and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        selected = entities()
        page.wait_for_timeout(300)
        page.screenshot(path=str(artifacts / "annotation-span-widget-jupyterlab.png"))
        cell_at.nth(check_cell).locator(".jp-InputArea-editor").click()
        page.keyboard.press("Control+Enter")
        report = cell_at.nth(check_cell).locator(".jp-OutputArea-output", has_text="F1")
        report.first.wait_for(timeout=120000)
        report_text = report.first.inner_text()
        report.first.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "annotation-span-widget-check.png"))
    except Exception:
        if page is not None:
            page.screenshot(path=str(artifacts / "annotation-span-widget-jupyterlab-failed.png"))
        raise
    finally:
        browser.close()
        pw.stop()
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    expected = []
    for item, words, label, _ in wanted:
        at = texts[item].index(words)
        expected.append((item, at, at + len(words), label, words))
    assert selected == sorted(expected)
    gold_count = sum(len(g["spans"]) for g in checks.gold("texts").values())
    assert re.search(rf"точність 1\.00, повнота {3 / gold_count:.2f}", report_text), report_text


def test_correcting_a_pre_labelled_text_with_the_span_tool(lab_dir):
    """Notebook prelabels: the tool shows the model's entities; removing the one cut short and selecting the whole
    name saves the text as reviewed, with the whole name in place of the short one."""
    texts = kit.PrelabelTextJob(lab_dir, quiet=True)
    tool = texts.widget().children[-1]
    text = texts.texts["pl_en"]["text"]
    assert [text[s["start"]:s["end"]] for s in tool.spans][0] == "Hoshino Care"     # the model cut it short
    at = text.index("Hoshino Care Services")
    tool.spans = [s for s in tool.spans if s["start"] != at] + [{"start": at, "end": at + 21, "label": "ORG"}]
    assert "pl_en" in texts.reviewed
    assert (at, at + 21, "ORG", "Hoshino Care Services") in _entities(texts.path, "pl_en")
    assert not any(e[:2] == (at, at + 12) for e in _entities(texts.path, "pl_en"))


def test_typing_the_offsets_the_tool_lists(lab_dir):
    """Without a mouse: `mark_at(item, start, end, label)` with the numbers the tool lists; the same edges again
    change the label only; numbers outside the text are one kind sentence in the learner's language."""
    texts = kit.TextJob(lab_dir, lang="ja", quiet=True)
    text = texts.texts["ja_01"]["text"]
    at = text.index("佐藤")
    texts.mark_at("ja_01", at, at + 2, "ORG")
    texts.mark_at("ja_01", at, at + 2, "PER")
    assert _entities(texts.path, "ja_01") == [(at, at + 2, "PER", "佐藤")]
    with pytest.raises(kit.AnnotationError, match="文字数"):
        texts.mark_at("ja_01", at, len(text) + 1, "PER")
    with pytest.raises(kit.AnnotationError):
        texts.mark_at("ja_01", at + 2, at, "PER")
