"""Drawing in the notebook, with no server: jupyter-bbox-widget for boxes, a small anywidget for outlines,
ipywidgets toggle buttons for photo classes, and pictures of the learner's work (Pillow).

Every widget writes through its job object, so each change lands in ``annotations/<job>.json`` at once.
"""
from __future__ import annotations

import base64
import html
import json
import io
from pathlib import Path

from graders.i18n import Domain

M_ = Domain.beside(__file__)

CLOSE_OUTLINE = M_("annotation.widget.close", "Close outline")
UNDO_POINT = M_("annotation.widget.undo", "Undo last point")
DELETE = M_("annotation.widget.delete", "Delete")
CHOOSE_LABEL = M_("annotation.widget.label", "Label:")
TOPIC = M_("annotation.widget.topic", "Topic: {topic}")
NO_TOPIC = M_("annotation.widget.no_topic", "Topic: not chosen yet")

COLORS = {"person": "#1f77b4", "car": "#ff7f0e", "bicycle": "#2ca02c", "stop": "#d62728", "warning": "#bcbd22",
          "speed_limit": "#9467bd", "PER": "#aed6f1", "ORG": "#fad7a0", "LOC": "#abebc6", "DATE": "#d7bde2"}
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def _font(size: int):
    from PIL import ImageFont
    try:
        return ImageFont.load_default(size=size)
    except TypeError:   # Pillow without FreeType
        return ImageFont.load_default()


def picture(path: Path, boxes, polygons=None, numbered: bool = True, grid: bool = False):
    """The picture with boxes [(label, [x, y, w, h])] and outlines [(label, [(x, y) ...])] drawn on it (a Pillow
    image: Jupyter shows it as a picture). ``grid`` adds a line every 50 pixels, numbered, to read positions."""
    from PIL import Image, ImageDraw

    img = Image.open(path).convert("RGB")
    overlay = Image.new("RGBA", img.size, (0, 0, 0, 0))
    d = ImageDraw.Draw(overlay)
    font = _font(14)
    if grid:
        small = _font(11)
        for x in range(50, img.width, 50):
            d.line([(x, 0), (x, img.height)], fill=(0, 0, 0, 70), width=1)
            d.text((x + 2, 1), str(x), fill=(0, 0, 0, 200), font=small)
        for y in range(50, img.height, 50):
            d.line([(0, y), (img.width, y)], fill=(0, 0, 0, 70), width=1)
            d.text((2, y + 1), str(y), fill=(0, 0, 0, 200), font=small)
    for number, (label, pts) in enumerate(polygons or [], start=1):
        color = COLORS.get(label, "#ff00ff")
        rgb = tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))
        d.polygon([tuple(p) for p in pts], fill=rgb + (90,), outline=rgb + (255,))
        d.text(tuple(pts[0]), f"{number} {label}", fill=(0, 0, 0, 255), font=font)
    img = Image.alpha_composite(img.convert("RGBA"), overlay).convert("RGB")
    d = ImageDraw.Draw(img)
    for number, (label, (x, y, w, h)) in enumerate(boxes, start=1):
        name = label.split()[-1]
        color = COLORS.get(name, "#ff00ff")
        d.rectangle([x, y, x + w - 1, y + h - 1], outline=color, width=2)
        tag = f"{number} {label}" if numbered else label
        tw = d.textlength(tag, font=font) + 6
        ty = y - 17 if y >= 17 else y + 1
        d.rectangle([x, ty, x + tw, ty + 16], fill=color)
        d.text((x + 3, ty), tag, fill="white", font=font)
    return img


def _require_widgets(lang: str):
    try:
        import ipywidgets  # noqa: F401
        import jupyter_bbox_widget  # noqa: F401
    except ImportError:
        from .kit import NO_WIDGETS, AnnotationError
        raise AnnotationError(NO_WIDGETS.render(lang)) from None


def _navigation(job, items, start, show_item):
    """Previous / Next buttons and a status line; ``show_item(item)`` loads an item into the editor."""
    import ipywidgets as w
    from .kit import NEXT, PREVIOUS

    state = {"index": items.index(start) if start in items else 0, "item": None}

    def go(step):
        state["index"] = (state["index"] + step) % len(items)
        show_item(items[state["index"]])

    prev_b = w.Button(description=PREVIOUS.render(job.lang), layout=w.Layout(width="auto"))
    next_b = w.Button(description=NEXT.render(job.lang), layout=w.Layout(width="auto"))
    prev_b.on_click(lambda _: go(-1))
    next_b.on_click(lambda _: go(1))
    status = w.HTML()
    return state, status, w.HBox([prev_b, next_b, status])


def _status(job, items, item, count) -> str:
    from .kit import WIDGET_STATUS
    return html.escape(WIDGET_STATUS.render(job.lang, index=items.index(item) + 1, total=len(items), item=item,
                                            count=count))


def _quietly(job, fn, *args) -> None:
    """A widget's own change: saved without a message, and not echoed back to the widget."""
    job.quiet, quiet = True, job.quiet
    job.from_widget = True
    try:
        fn(*args)
    finally:
        job.quiet = quiet
        job.from_widget = False


def box_widget(job, start=None):
    _require_widgets(job.lang)
    import ipywidgets as w
    from jupyter_bbox_widget import BBoxWidget
    from .kit import WIDGET_HELP

    items = list(job.job.items)
    bbox = BBoxWidget(classes=list(job.job.labels), colors=[COLORS[c] for c in job.job.labels], hide_buttons=True)
    bbox.add_class("graders-bbox")
    loading = {"on": False}

    def show_item(item):
        loading["on"] = True
        job.start_clock(item)
        bbox.image = str(job.image_path(item))
        bbox.bboxes = [{"x": round(b[0]), "y": round(b[1]), "width": round(b[2]), "height": round(b[3]),
                        "label": label} for label, b in job.boxes(item)]
        loading["on"] = False
        state["item"] = item
        status.value = _status(job, items, item, len(job.boxes(item)))

    state, status, nav = _navigation(job, items, start, show_item)

    def on_change(change):
        if not loading["on"]:
            _quietly(job, job.set_boxes, state["item"], change["new"])
            status.value = _status(job, items, state["item"], len(job.boxes(state["item"])))

    bbox.observe(on_change, names=["bboxes"])
    job.listeners.append(lambda item: show_item(item) if item == state["item"] else None)
    show_item(items[state["index"]])
    return w.VBox([w.HTML(f"<p>{html.escape(WIDGET_HELP.render(job.lang))}</p>" + _bbox_label_style(job.lang)), nav, bbox])


def _bbox_label_style(lang: str) -> str:
    """jupyter-bbox-widget writes an English "Classes:" above its class buttons; show our label in the learner's
    language there instead (CSS on that one paragraph, scoped to our widgets)."""
    label = json.dumps(CHOOSE_LABEL.render(lang), ensure_ascii=False).replace("<", "\\3c ")
    return ("<style>.graders-bbox .classes > p:first-child{font-size:0}"
            f".graders-bbox .classes > p:first-child::before{{content:{label};font-size:13px}}</style>")


def photo_widget(job):
    _require_widgets(job.lang)
    import ipywidgets as w
    from .kit import CLASS_SAVED

    rows, controls = [], {}
    for item in job.job.items:
        image = w.Image(value=job.image_path(item).read_bytes(), format="jpg",
                        layout=w.Layout(max_width="200px", max_height="160px"))
        chosen = job.chosen(item)
        buttons = w.ToggleButtons(options=list(job.job.labels), value=chosen[0] if chosen else None,
                                  style={"button_width": "88px"})
        note = w.HTML(html.escape(CLASS_SAVED.render(job.lang, item=item, label=chosen[0])) if chosen else
                      html.escape(item))
        controls[item] = buttons

        def on_change(change, item=item, note=note):
            if change["new"] is None:
                return
            if job.chosen(item) != [change["new"]]:
                _quietly(job, job.label, item, change["new"])
            note.value = html.escape(CLASS_SAVED.render(job.lang, item=item, label=change["new"]))

        buttons.observe(on_change, names=["value"])
        rows.append(w.HBox([image, w.VBox([note, buttons])], layout=w.Layout(margin="4px 0")))

    def typed(item):   # photos.label(...) typed in a cell: show it on the buttons too
        chosen = job.chosen(item)
        if item in controls and chosen:
            controls[item].value = chosen[0]

    job.listeners.append(typed)
    return w.VBox(rows)


# --- outlines: a small anywidget ------------------------------------------------------------------------------------

POLYGON_ESM = r"""
function render({ model, el }) {
  const wrap = document.createElement("div");
  wrap.className = "graders-poly";
  const bar = document.createElement("div");
  bar.className = "graders-poly-bar";
  const canvas = document.createElement("canvas");
  canvas.style.maxWidth = "100%";
  canvas.style.cursor = "crosshair";
  const list = document.createElement("div");
  list.className = "graders-poly-list";
  wrap.append(bar, canvas, list);
  el.append(wrap);
  const img = new Image();
  let current = [];
  const texts = () => model.get("texts");
  const colorOf = (label) => (model.get("colors")[label] || "#ff00ff");

  function scale() { const r = canvas.getBoundingClientRect(); return r.width ? canvas.width / r.width : 1; }
  function path(ctx, pts, closed) {
    ctx.beginPath();
    pts.forEach((p, i) => (i ? ctx.lineTo(p[0], p[1]) : ctx.moveTo(p[0], p[1])));
    if (closed) ctx.closePath();
  }
  function draw() {
    const ctx = canvas.getContext("2d");
    if (!img.naturalWidth) return;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0);
    model.get("polygons").forEach((p, i) => {
      path(ctx, p.points, true);
      ctx.fillStyle = colorOf(p.label) + "66";
      ctx.fill();
      ctx.lineWidth = 2;
      ctx.strokeStyle = colorOf(p.label);
      ctx.stroke();
      ctx.fillStyle = "#000";
      ctx.font = "13px sans-serif";
      ctx.fillText(`${i + 1} ${p.label}`, p.points[0][0] + 3, p.points[0][1] - 3);
    });
    if (current.length) {
      path(ctx, current, false);
      ctx.lineWidth = 2;
      ctx.strokeStyle = colorOf(model.get("label"));
      ctx.stroke();
      current.forEach((p, i) => {
        ctx.fillStyle = i === 0 ? "#ffffff" : colorOf(model.get("label"));
        ctx.fillRect(p[0] - 3, p[1] - 3, 7, 7);
        ctx.strokeRect(p[0] - 3, p[1] - 3, 7, 7);
      });
    }
    list.innerHTML = "";
    model.get("polygons").forEach((p, i) => {
      const b = document.createElement("button");
      b.textContent = `✕ ${i + 1} ${p.label}`;
      b.title = texts().delete;
      b.onclick = () => {
        const polys = model.get("polygons").slice();
        polys.splice(i, 1);
        model.set("polygons", polys);
        model.save_changes();
      };
      list.append(b);
    });
  }
  function button(text, onclick) {
    const b = document.createElement("button");
    b.textContent = text;
    b.onclick = onclick;
    return b;
  }
  function buildBar() {
    bar.innerHTML = "";
    const span = document.createElement("span");
    span.textContent = texts().label + " ";
    bar.append(span);
    model.get("classes").forEach((c) => {
      const b = button(c, () => { model.set("label", c); model.save_changes(); buildBar(); draw(); });
      b.style.borderColor = colorOf(c);
      b.style.borderWidth = "3px";
      if (c === model.get("label")) { b.style.background = colorOf(c); b.style.color = "#fff"; }
      bar.append(b);
    });
    bar.append(document.createTextNode(" "));
    bar.append(button(texts().close, closeOutline));
    bar.append(button(texts().undo, () => { current.pop(); draw(); }));
  }
  function closeOutline() {
    if (current.length >= 3 && model.get("label")) {
      const polys = model.get("polygons").slice();
      polys.push({ label: model.get("label"), points: current });
      model.set("polygons", polys);
      model.save_changes();
    }
    current = [];
    draw();
  }
  canvas.addEventListener("click", (ev) => {
    const r = canvas.getBoundingClientRect();
    const x = Math.round(((ev.clientX - r.left) * canvas.width / r.width) * 10) / 10;
    const y = Math.round(((ev.clientY - r.top) * canvas.height / r.height) * 10) / 10;
    if (current.length >= 3 && Math.hypot(current[0][0] - x, current[0][1] - y) < 8 * scale()) {
      closeOutline();
      return;
    }
    current.push([x, y]);
    draw();
  });
  function loadImage() {
    const bytes = model.get("image_bytes");
    if (!bytes || !bytes.byteLength) return;
    const url = URL.createObjectURL(new Blob([bytes]));
    img.onload = () => { canvas.width = img.naturalWidth; canvas.height = img.naturalHeight; current = []; draw(); };
    img.src = url;
  }
  model.on("change:image_bytes", loadImage);
  model.on("change:polygons", draw);
  model.on("change:classes", buildBar);
  buildBar();
  loadImage();
}
export default { render };
"""

POLYGON_CSS = """
.graders-poly-bar button, .graders-poly-list button { margin: 2px 3px; padding: 2px 8px; border-radius: 4px;
  border: 1px solid #999; background: #fff; cursor: pointer; font-size: 13px; }
.graders-poly-bar, .graders-poly-list { margin: 4px 0; }
"""


def _polygon_widget_class():
    import anywidget
    import traitlets as t

    class PolygonWidget(anywidget.AnyWidget):
        """Click the corners of a shape to outline it; ``polygons`` holds [{label, points: [[x, y] ...]}] in pixels."""

        _esm = POLYGON_ESM
        _css = POLYGON_CSS
        image_bytes = t.Bytes().tag(sync=True)
        classes = t.List(t.Unicode()).tag(sync=True)
        colors = t.Dict().tag(sync=True)
        label = t.Unicode("").tag(sync=True)
        polygons = t.List().tag(sync=True)
        texts = t.Dict().tag(sync=True)

    return PolygonWidget


def polygon_widget(job, start=None):
    _require_widgets(job.lang)
    import ipywidgets as w
    from .kit import POLY_HELP

    items = list(job.job.items)
    poly = _polygon_widget_class()(
        classes=list(job.job.labels), colors={c: COLORS[c] for c in job.job.labels}, label=job.job.labels[0],
        texts={"close": CLOSE_OUTLINE.render(job.lang), "undo": UNDO_POINT.render(job.lang),
               "delete": DELETE.render(job.lang), "label": CHOOSE_LABEL.render(job.lang)})
    loading = {"on": False}

    def show_item(item):
        loading["on"] = True
        job.start_clock(item)
        poly.image_bytes = job.image_path(item).read_bytes()
        poly.polygons = [{"label": label, "points": [list(p) for p in pts]} for label, pts in job.polygons(item)]
        loading["on"] = False
        state["item"] = item
        status.value = _status(job, items, item, len(job.polygons(item)))

    state, status, nav = _navigation(job, items, start, show_item)

    def on_change(change):
        if not loading["on"]:
            _quietly(job, job.set_polygons, state["item"], change["new"])
            status.value = _status(job, items, state["item"], len(job.polygons(state["item"])))

    poly.observe(on_change, names=["polygons"])
    job.listeners.append(lambda item: show_item(item) if item == state["item"] else None)
    show_item(items[state["index"]])
    return w.VBox([w.HTML(f"<p>{html.escape(POLY_HELP.render(job.lang))}</p>"), nav, poly])


# --- texts ---------------------------------------------------------------------------------------------------------

class HTMLView:
    def __init__(self, markup: str, text: str):
        self.markup, self.text = markup, text

    def _repr_html_(self):
        return self.markup

    def __repr__(self):
        return self.text


def texts_html(job, items) -> HTMLView:
    blocks, plain = [], []
    for item in items:
        text = job.texts[item]["text"]
        spans = job.spans(item)
        out, at = [], 0
        for s in spans:
            if s["start"] < at:
                continue
            out.append(html.escape(text[at:s["start"]]))
            color = COLORS.get(s["label"], "#eeeeee")
            out.append(f'<mark style="background:{color};padding:1px 3px;border-radius:3px">'
                       f'{html.escape(text[s["start"]:s["end"]])}<sup style="font-size:70%;margin-left:2px">'
                       f'{html.escape(s["label"])}</sup></mark>')
            at = s["end"]
        out.append(html.escape(text[at:]))
        topics = [c for r in job.results[item] if r.get("from_name") == "topic" for c in r["value"]["choices"]]
        topic = TOPIC.render(job.lang, topic=topics[0]) if topics else NO_TOPIC.render(job.lang)
        if getattr(job, "predictions", None) is not None:   # pre-labelled texts: entities only, no topic asked for
            topic = ""
        blocks.append(f'<div style="margin:6px 0"><code>{html.escape(item)}</code> {"".join(out)}'
                      f'<br><small style="color:#555">{html.escape(topic)}</small></div>')
        plain.append(f"{item}: {text}  [{', '.join(s['label'] + ': ' + s['text'] for s in spans)}] {topic}")
    return HTMLView("".join(blocks), "\n".join(plain))


def data_uri(path: Path) -> str:
    suffix = Path(path).suffix.lower().lstrip(".")
    mime = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png"}.get(suffix, "png")
    return f"data:image/{mime};base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def png_bytes(img) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


# --- entity spans: select words with the mouse (a small anywidget) --------------------------------------------------

SELECTED = M_("annotation.widget.selected", "Selected: “{words}”. Now click its label.")
SELECT_FIRST = M_("annotation.widget.select_first", "Select words in the text with the mouse first, then click a label.")
NO_SPANS = M_("annotation.widget.no_spans", "No entities marked in this text yet.")
SPAN_LIST = M_("annotation.widget.span_list", "Marked in this text (✕ removes one):")
ENTITY_NAMES = {"PER": M_("annotation.widget.entity_per", "person"),
                "ORG": M_("annotation.widget.entity_org", "organisation"),
                "LOC": M_("annotation.widget.entity_loc", "place"),
                "DATE": M_("annotation.widget.entity_date", "date")}
SPAN_HELP = M_("annotation.kit.span_help", "Select the words of an entity with the mouse (drag across them, or double-click one word), then click its label. The entity is saved at once with its exact position in the text; ✕ removes it. Keyboard only: use texts.mark(...) in a cell instead.")
SPAN_STATUS = M_("annotation.kit.span_status", "Text {index} of {total}: {item}. {count} entity saved.", "Text {index} of {total}: {item}. {count} entities saved.", count="count")

SPAN_ESM = r"""
function render({ model, el }) {
  const wrap = document.createElement("div");
  wrap.className = "graders-spans";
  const bar = document.createElement("div");
  bar.className = "graders-spans-bar";
  const textBox = document.createElement("div");
  textBox.className = "graders-spans-text";
  textBox.lang = model.get("lang") || "";
  const note = document.createElement("div");
  note.className = "graders-spans-note";
  const list = document.createElement("div");
  list.className = "graders-spans-list";
  wrap.append(bar, textBox, note, list);
  el.append(wrap);
  let pending = null;                       // {start, end} in characters (code points), as Python counts them
  const texts = () => model.get("texts");
  const chars = () => Array.from(model.get("text"));
  const colorOf = (label) => (model.get("colors")[label] || "#eeeeee");

  // a position in the DOM (node, UTF-16 offset) -> characters from the start of the text
  function offsetOf(node, offset) {
    let seg = node.nodeType === 3 ? node.parentElement : node;
    if (node.nodeType !== 3) {              // an element boundary: find the text node at that child
      const child = node.childNodes[offset];
      if (child && child.closest && child.closest("[data-start]")) {
        return Number(child.closest("[data-start]").dataset.start);
      }
      if (node === textBox) return offset >= textBox.childNodes.length ? chars().length : 0;
    }
    seg = seg && seg.closest ? seg.closest("[data-start]") : null;
    if (!seg || !textBox.contains(seg)) return null;
    if (node.nodeType !== 3) return Number(seg.dataset.start) + (offset ? Array.from(seg.textContent).length : 0);
    return Number(seg.dataset.start) + Array.from(node.data.slice(0, offset)).length;
  }
  function readSelection() {
    const sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    const r = sel.getRangeAt(0);
    if (!textBox.contains(r.startContainer) && !textBox.contains(r.endContainer)) return null;
    let a = textBox.contains(r.startContainer) ? offsetOf(r.startContainer, r.startOffset) : 0;
    let b = textBox.contains(r.endContainer) ? offsetOf(r.endContainer, r.endOffset) : chars().length;
    if (a === null || b === null) return null;
    if (a > b) [a, b] = [b, a];
    const cs = chars();
    while (a < b && /\s/.test(cs[a])) a++;          // a double-click may take the space after a word
    while (b > a && /\s/.test(cs[b - 1])) b--;
    return a < b ? { start: a, end: b } : null;
  }
  function showNote() {
    if (pending) {
      note.textContent = texts().selected.replace("{words}", chars().slice(pending.start, pending.end).join(""));
    } else {
      note.textContent = texts().select_first;
    }
  }
  function drawText() {
    const cs = chars();
    const spans = model.get("spans");
    const cuts = new Set([0, cs.length]);
    spans.forEach((s) => { cuts.add(s.start); cuts.add(s.end); });
    const edges = Array.from(cuts).filter((c) => c >= 0 && c <= cs.length).sort((x, y) => x - y);
    textBox.innerHTML = "";
    for (let i = 0; i + 1 < edges.length; i++) {
      const a = edges[i], b = edges[i + 1];
      const covering = spans.filter((s) => s.start <= a && b <= s.end);
      const seg = document.createElement(covering.length ? "mark" : "span");
      seg.dataset.start = String(a);
      seg.textContent = cs.slice(a, b).join("");
      if (covering.length) {
        const s = covering[covering.length - 1];
        seg.style.background = colorOf(s.label);
        seg.title = covering.map((c) => c.label).join(", ");
      }
      textBox.append(seg);
      const ending = spans.filter((s) => s.end === b);
      ending.forEach((s) => {
        const tag = document.createElement("sup");
        tag.className = "graders-spans-tag";
        tag.textContent = s.label;
        tag.style.background = colorOf(s.label);
        tag.style.userSelect = "none";
        textBox.append(tag);
      });
    }
  }
  function drawList() {
    list.innerHTML = "";
    const spans = model.get("spans");
    const head = document.createElement("div");
    head.textContent = spans.length ? texts().list : texts().none;
    list.append(head);
    const cs = chars();
    spans.forEach((s, i) => {
      const b = document.createElement("button");
      b.className = "graders-spans-remove";
      b.textContent = `✕ ${s.label}: ${cs.slice(s.start, s.end).join("")}  [${s.start}–${s.end}]`;
      b.title = texts().delete;
      b.style.borderColor = colorOf(s.label);
      b.onclick = () => {
        const rest = model.get("spans").slice();
        rest.splice(i, 1);
        model.set("spans", rest);
        model.save_changes();
      };
      list.append(b);
    });
  }
  function buildBar() {
    bar.innerHTML = "";
    const lead = document.createElement("span");
    lead.textContent = texts().label + " ";
    bar.append(lead);
    model.get("classes").forEach((c) => {
      const b = document.createElement("button");
      b.className = "graders-spans-label";
      const name = (texts().names || {})[c];
      b.textContent = name ? `${c} · ${name}` : c;
      b.dataset.label = c;
      b.style.borderColor = colorOf(c);
      b.addEventListener("mousedown", (ev) => ev.preventDefault());   // keep the selection while clicking
      b.onclick = () => {
        const picked = readSelection() || pending;
        if (!picked) { pending = null; showNote(); return; }
        const spans = model.get("spans").filter((s) => !(s.start === picked.start && s.end === picked.end));
        spans.push({ start: picked.start, end: picked.end, label: c });
        spans.sort((x, y) => x.start - y.start || x.end - y.end);
        pending = null;
        window.getSelection().removeAllRanges();
        model.set("spans", spans);
        model.save_changes();
        showNote();
      };
      bar.append(b);
    });
  }
  textBox.addEventListener("mouseup", () => { setTimeout(() => { pending = readSelection(); showNote(); }, 0); });
  textBox.addEventListener("keyup", () => { pending = readSelection(); showNote(); });
  function redraw() { drawText(); drawList(); }
  model.on("change:text", () => { pending = null; redraw(); showNote(); });
  model.on("change:spans", redraw);
  model.on("change:classes", buildBar);
  model.on("change:texts", () => { buildBar(); redraw(); showNote(); });
  buildBar();
  redraw();
  showNote();
}
export default { render };
"""

SPAN_CSS = """
.graders-spans-text { font-size: 17px; line-height: 2.1; padding: 8px 10px; border: 1px solid #ccc; border-radius: 4px;
  background: #fff; color: #111; user-select: text; cursor: text; max-width: 60em; }
.graders-spans-text mark { padding: 2px 0; border-radius: 3px; color: #111; }
.graders-spans-tag { font-size: 10px; padding: 0 3px; margin: 0 2px; border-radius: 3px; color: #222; }
.graders-spans-bar button, .graders-spans-list button { margin: 2px 3px; padding: 2px 8px; border-radius: 4px;
  border: 2px solid #999; background: #fff; cursor: pointer; font-size: 13px; color: #111; }
.graders-spans-bar, .graders-spans-list, .graders-spans-note { margin: 4px 0; }
.graders-spans-note { color: #333; font-size: 13px; }
"""


def _span_widget_class():
    import anywidget
    import traitlets as t

    class SpanWidget(anywidget.AnyWidget):
        """Select words with the mouse, click a label; ``spans`` holds [{start, end, label}] in characters."""

        _esm = SPAN_ESM
        _css = SPAN_CSS
        text = t.Unicode("").tag(sync=True)
        lang = t.Unicode("").tag(sync=True)
        classes = t.List(t.Unicode()).tag(sync=True)
        colors = t.Dict().tag(sync=True)
        spans = t.List().tag(sync=True)
        texts = t.Dict().tag(sync=True)

    return SpanWidget


def span_texts(lang: str) -> dict:
    """The widget's words in the learner's language (from the lab's catalog)."""
    return {"label": CHOOSE_LABEL.render(lang), "delete": DELETE.render(lang), "list": SPAN_LIST.render(lang),
            "none": NO_SPANS.render(lang), "select_first": SELECT_FIRST.render(lang),
            "selected": SELECTED.render(lang, words="{words}"),
            "names": {label: message.render(lang) for label, message in ENTITY_NAMES.items()}}


def span_widget(job, start=None):
    try:
        import anywidget  # noqa: F401
        import ipywidgets as w
    except ImportError:
        from .kit import NO_WIDGETS, AnnotationError
        raise AnnotationError(NO_WIDGETS.render(job.lang)) from None

    items = list(job.job.items)
    labels = list(job.job.labels)
    spans_w = _span_widget_class()(classes=labels, colors={c: COLORS.get(c, "#eeeeee") for c in labels},
                                   texts=span_texts(job.lang))
    loading = {"on": False}

    def status_text(item):
        return html.escape(SPAN_STATUS.render(job.lang, index=items.index(item) + 1, total=len(items), item=item,
                                              count=len(job.spans(item))))

    def show_item(item):
        loading["on"] = True
        job.start_clock(item)
        spans_w.text = job.texts[item]["text"]
        spans_w.lang = job.texts[item].get("lang", "")
        spans_w.spans = [{"start": s["start"], "end": s["end"], "label": s["label"]} for s in job.spans(item)]
        loading["on"] = False
        state["item"] = item
        status.value = status_text(item)

    state, status, nav = _navigation(job, items, start, show_item)

    def on_change(change):
        if not loading["on"]:
            _quietly(job, job.set_spans, state["item"], change["new"])
            status.value = status_text(state["item"])

    spans_w.observe(on_change, names=["spans"])
    job.listeners.append(lambda item: show_item(item) if item == state["item"] else None)
    show_item(items[state["index"]])
    return w.VBox([w.HTML(f"<p>{html.escape(SPAN_HELP.render(job.lang))}</p>"), nav, spans_w])
