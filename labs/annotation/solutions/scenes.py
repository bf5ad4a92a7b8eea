"""Drawn scenes with exactly known gold geometry: street scenes for boxes, road signs for polygons.

Every object is a list of drawing primitives. It is painted once into the picture and once, alone, into a mask on
a canvas larger than the picture; objects painted later hide the ones painted before. So for every object we know,
pixel for pixel, what is visible, what is hidden behind something (occluded) and what falls outside the picture
(truncated), and the gold box is the tight box around the visible pixels. Deterministic: the same code draws the
same pixels on every machine (no anti-aliasing, no fonts).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

W, H = 640, 400        # street and sign pictures
PAD = 200              # the mask canvas reaches this far beyond the picture, to measure truncation


@dataclass
class Item:
    """One thing in a scene: labelled (person, car ...), a look-alike that is not an object (a poster), or an
    occluder that nobody labels (a tree)."""

    kind: str                    # "object", "negative" or "occluder"
    label: str | None
    shapes: list = field(default_factory=list)   # (method, flat xy list, kwargs)
    note: str = ""               # for negatives: why it is not an object ("poster")

    def add(self, method: str, xy, **kw) -> "Item":
        flat = [float(v) for point in xy for v in (point if isinstance(point, (tuple, list)) else (point,))]
        self.shapes.append((method, flat, kw))
        return self


def paint(shapes, draw: ImageDraw.ImageDraw, offset: float = 0.0, mask: bool = False) -> None:
    for method, xy, kw in shapes:
        kw = dict(kw)
        if mask:
            for key in ("fill", "outline"):
                if kw.get(key) is not None:
                    kw[key] = 255
        shifted = [v + offset for v in xy]
        if method == "text":   # decoration inside a shape: no part of any mask
            if not mask:
                from PIL import ImageFont
                font = ImageFont.load_default(size=kw.pop("size"))
                draw.text((shifted[0], shifted[1]), kw.pop("text"), font=font, anchor="mm", **kw)
            continue
        if method in ("rectangle", "ellipse", "rounded_rectangle", "chord", "pieslice"):
            shifted = [shifted[0], shifted[1], shifted[2], shifted[3]]
        getattr(draw, method)(shifted, **kw)


# --- objects -------------------------------------------------------------------------------------------------------

def person(cx, feet, h, shirt, trousers, skin="#e2b48c", hair="#3a2a1c", label="person", kind="object") -> Item:
    it = Item(kind, label)
    r = 0.085 * h
    top = feet - h
    head = (cx - r, top, cx + r, top + 2 * r)
    torso_top = top + 2 * r + 0.02 * h
    hip = feet - 0.45 * h
    it.add("rectangle", [(cx - 0.03 * h, top + 1.6 * r), (cx + 0.03 * h, torso_top + 2)], fill=skin)          # neck
    it.add("rounded_rectangle", [(cx - 0.16 * h, torso_top), (cx + 0.16 * h, hip + 0.02 * h)], radius=0.04 * h,
           fill=shirt)
    for side in (-1, 1):
        outer = cx + side * 0.23 * h
        inner = cx + side * 0.16 * h
        x0, x1 = sorted((outer, inner))
        it.add("rectangle", [(x0, torso_top + 0.02 * h), (x1, torso_top + 0.30 * h)], fill=shirt)           # arm
        it.add("ellipse", [(x0, torso_top + 0.29 * h), (x1, torso_top + 0.36 * h)], fill=skin)              # hand
        leg0, leg1 = sorted((cx + side * 0.02 * h, cx + side * 0.14 * h))
        it.add("rectangle", [(leg0, hip), (leg1, feet - 0.035 * h)], fill=trousers)                        # leg
        it.add("rectangle", [(leg0 - (0.02 * h if side < 0 else 0), feet - 0.035 * h),
                             (leg1 + (0.02 * h if side > 0 else 0), feet - 1)], fill="#222222")            # shoe
    it.add("ellipse", [(head[0], head[1]), (head[2], head[3])], fill=skin)
    it.add("chord", [(head[0], head[1]), (head[2], head[3])], start=180, end=360, fill=hair)
    return it


def car(x0, bottom, length, color, facing="right", label="car") -> Item:
    it = Item("object", label)
    L = length
    body_bottom = bottom - 0.1 * L
    body_top = body_bottom - 0.28 * L
    roof = body_top - 0.2 * L

    def fx(f):  # a fraction along the car, from its back to its front
        return x0 + (f if facing == "right" else 1 - f) * L

    cabin = [(fx(0.18), body_top + 1), (fx(0.28), roof), (fx(0.68), roof), (fx(0.84), body_top + 1)]
    window = [(fx(0.24), body_top - 0.02 * L), (fx(0.31), roof + 0.04 * L), (fx(0.65), roof + 0.04 * L),
              (fx(0.76), body_top - 0.02 * L)]
    it.add("polygon", cabin, fill=color)
    it.add("polygon", window, fill="#cfe3f1")
    it.add("rounded_rectangle", [(x0, body_top), (x0 + L - 1, body_bottom)], radius=0.06 * L, fill=color)
    light = sorted((fx(0.95), fx(0.995)))
    it.add("rectangle", [(light[0], body_top + 0.06 * L), (light[1], body_top + 0.12 * L)], fill="#ffd54a")
    for f in (0.22, 0.78):
        c = fx(f)
        r = 0.1 * L
        it.add("ellipse", [(c - r, bottom - 2 * r), (c + r, bottom - 1)], fill="#1e1e1e")
        it.add("ellipse", [(c - 0.45 * r, bottom - 1.45 * r), (c + 0.45 * r, bottom - 0.55 * r)], fill="#9a9a9a")
    return it


def bicycle(cx, bottom, s, color, label="bicycle") -> Item:
    it = Item("object", label)
    r = 0.22 * s
    rear, front = (cx - 0.3 * s, bottom - r), (cx + 0.3 * s, bottom - r)
    crank = (cx - 0.04 * s, bottom - r)
    seat = (cx - 0.1 * s, bottom - r - 0.32 * s)
    bar = (cx + 0.2 * s, bottom - r - 0.36 * s)
    for c in (rear, front):
        it.add("ellipse", [(c[0] - r, c[1] - r), (c[0] + r, c[1] + r - 1)], outline="#1e1e1e", width=5)
    width = max(4, round(0.03 * s))
    it.add("line", [rear, crank, bar, front], fill=color, width=width)
    it.add("line", [rear, seat, crank], fill=color, width=width)
    it.add("line", [seat, (bar[0] - 0.02 * s, bar[1] + 0.03 * s)], fill=color, width=width)
    it.add("rectangle", [(seat[0] - 0.07 * s, seat[1] - 0.03 * s), (seat[0] + 0.05 * s, seat[1])], fill="#1e1e1e")
    it.add("line", [(bar[0] - 0.05 * s, bar[1] - 0.02 * s), (bar[0] + 0.05 * s, bar[1] - 0.02 * s)],
           fill="#1e1e1e", width=width)
    return it


def poster(x0, y0, w, h) -> list[Item]:
    """A billboard (nobody labels it) with a printed person on it: looks like a person, is not one (guideline
    rule 4). Two items: the board, then the printed figure, the look-alike a careless annotator boxes."""
    board = Item("occluder", None)
    board.add("rectangle", [(x0 + 0.45 * w, y0 + h), (x0 + 0.55 * w, min(y0 + h + 40, 200))], fill="#555555")
    board.add("rectangle", [(x0, y0), (x0 + w - 1, y0 + h - 1)], fill="#fdf6e3", outline="#444444", width=4)
    board.add("rectangle", [(x0 + 8, y0 + 10), (x0 + w - 9, y0 + 22)], fill="#d33682")
    board.add("rectangle", [(x0 + 8, y0 + h - 24), (x0 + w * 0.6, y0 + h - 14)], fill="#268bd2")
    printed = person(x0 + w / 2, y0 + h - 30, h - 62, "#cb4b16", "#586e75", skin="#f0c8a0", hair="#b58900",
                     kind="negative")
    printed.note = "poster"
    return [board, printed]


def tree(cx, bottom, h) -> Item:
    it = Item("occluder", None)
    it.add("rectangle", [(cx - 0.06 * h, bottom - 0.55 * h), (cx + 0.06 * h, bottom - 1)], fill="#6d4c2f")
    for dx, dy, r in ((0, -0.75, 0.25), (-0.17, -0.62, 0.18), (0.17, -0.62, 0.18)):
        c = (cx + dx * h, bottom + dy * h)
        it.add("ellipse", [(c[0] - r * h, c[1] - r * h), (c[0] + r * h, c[1] + r * h)], fill="#2e7d32")
    return it


def branch(cx, cy, rx, ry) -> Item:
    """Leaves hanging in front of a sign (an occluder for the polygon exercise)."""
    it = Item("occluder", None)
    it.add("ellipse", [(cx - rx, cy - ry), (cx + rx, cy + ry)], fill="#33691e")
    it.add("ellipse", [(cx - 0.5 * rx, cy - 1.3 * ry), (cx + 0.7 * rx, cy + 0.1 * ry)], fill="#558b2f")
    it.add("line", [(cx + rx, cy - ry), (W + 10, cy - 2.2 * ry)], fill="#4e342e", width=9)
    return it


def lamp(cx, bottom, h) -> Item:
    it = Item("occluder", None)
    it.add("rectangle", [(cx - 5, bottom - h), (cx + 5, bottom - 1)], fill="#37474f")
    it.add("rectangle", [(cx - 5, bottom - h), (cx + 40, bottom - h + 8)], fill="#37474f")
    it.add("rectangle", [(cx + 28, bottom - h + 8), (cx + 44, bottom - h + 16)], fill="#fff59d")
    return it


def pole(cx, top, bottom) -> Item:
    return Item("occluder", None).add("rectangle", [(cx - 5, top), (cx + 5, bottom)], fill="#78909c")


# road signs (polygon exercise) -------------------------------------------------------------------------------------

def regular_polygon(cx, cy, r, n, rotation_deg):
    angles = np.deg2rad(rotation_deg + 360.0 * np.arange(n) / n)
    return [(float(cx + r * np.cos(a)), float(cy + r * np.sin(a))) for a in angles]


def stop_sign(cx, cy, r) -> Item:
    it = Item("object", "stop")
    it.outline = regular_polygon(cx, cy, r, 8, 22.5)
    it.add("polygon", it.outline, fill="#c62828")
    it.add("polygon", regular_polygon(cx, cy, r * 0.86, 8, 22.5), outline="#ffffff", width=4)
    it.add("text", [(cx, cy)], text="STOP", size=round(0.5 * r), fill="#ffffff")
    return it


def warning_sign(cx, cy, side) -> Item:
    it = Item("object", "warning")
    h = float(side * np.sqrt(3) / 2)
    it.outline = [(cx, cy - 2 * h / 3), (cx + side / 2, cy + h / 3), (cx - side / 2, cy + h / 3)]
    it.add("polygon", it.outline, fill="#c62828")
    inner = [(cx, cy - 2 * h / 3 + 0.2 * side), (cx + side / 2 - 0.17 * side, cy + h / 3 - 0.1 * side),
             (cx - side / 2 + 0.17 * side, cy + h / 3 - 0.1 * side)]
    it.add("polygon", inner, fill="#ffeb3b")
    it.add("rectangle", [(cx - 0.03 * side, cy - 0.14 * side), (cx + 0.03 * side, cy + 0.03 * side)], fill="#212121")
    it.add("rectangle", [(cx - 0.03 * side, cy + 0.07 * side), (cx + 0.03 * side, cy + 0.12 * side)], fill="#212121")
    return it


def speed_sign(cx, cy, r) -> Item:
    it = Item("object", "speed_limit")
    it.outline = regular_polygon(cx, cy, r, 24, 0)   # the reference answer traces the circle with 24 points
    it.add("ellipse", [(cx - r, cy - r), (cx + r, cy + r)], fill="#c62828")
    it.add("ellipse", [(cx - 0.78 * r, cy - 0.78 * r), (cx + 0.78 * r, cy + 0.78 * r)], fill="#ffffff")
    it.add("text", [(cx, cy)], text="40", size=round(0.8 * r), fill="#212121")
    return it


# --- backgrounds ---------------------------------------------------------------------------------------------------

def street_background(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (W, H), "#cfe8fb")
    d = ImageDraw.Draw(img)
    x = 0
    while x < W:   # buildings along the pavement
        bw = int(rng.integers(70, 140))
        top = int(rng.integers(20, 90))
        shade = int(rng.integers(150, 200))
        d.rectangle([x, top, x + bw, 175], fill=(shade, shade - 10, shade - 25))
        for wy in range(top + 12, 160, 30):
            for wx in range(x + 10, x + bw - 18, 26):
                d.rectangle([wx, wy, wx + 12, wy + 16], fill="#8fb3c9")
        x += bw + int(rng.integers(4, 14))
    d.rectangle([0, 175, W, 215], fill="#c9c3b6")      # pavement
    d.rectangle([0, 215, W, H], fill="#767676")        # road
    for lx in range(0, W, 90):
        d.rectangle([lx + 10, 303, lx + 60, 309], fill="#f5f5f5")
    return img


def sign_background(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    img = Image.new("RGB", (W, H), "#bfe0f5")
    d = ImageDraw.Draw(img)
    d.rectangle([0, 280, W, H], fill="#8bc34a")
    for _ in range(6):
        cx, r = int(rng.integers(0, W)), int(rng.integers(40, 90))
        d.ellipse([cx - r, 280 - r // 2, cx + r, 280 + r // 2], fill="#7cb342")
    d.rectangle([0, 330, W, 352], fill="#9e9e9e")
    return img


# --- rendering and gold ---------------------------------------------------------------------------------------------

def render(background: Image.Image, items: list[Item]) -> tuple[Image.Image, list[dict]]:
    """Paint the items back to front; returns the picture and, per item, its masks and geometry (pixels)."""
    img = background.copy()
    d = ImageDraw.Draw(img)
    full_masks = []
    for it in items:
        paint(it.shapes, d)
        m = Image.new("L", (W + 2 * PAD, H + 2 * PAD), 0)
        paint(it.shapes, ImageDraw.Draw(m), offset=PAD, mask=True)
        full_masks.append(np.array(m) > 0)
    out = []
    for i, it in enumerate(items):
        full = full_masks[i]
        later = np.zeros_like(full)
        for j in range(i + 1, len(items)):
            later |= full_masks[j]
        inside = np.zeros_like(full)
        inside[PAD:PAD + H, PAD:PAD + W] = True
        visible = (full & ~later & inside)[PAD:PAD + H, PAD:PAD + W]
        full_in_picture = (full & inside)[PAD:PAD + H, PAD:PAD + W]
        entry = {"item": it, "visible_mask": visible,
                 "area_full": int(full.sum()), "area_visible": int(visible.sum()),
                 "occluded_px": int((full_in_picture & ~visible).sum()),
                 "truncated_px": int(full.sum() - full_in_picture.sum())}
        entry["box"] = tight_box(visible)
        entry["full_box"] = tight_box(full, shift=-PAD)
        out.append(entry)
    return img, out


def tight_box(mask: np.ndarray, shift: int = 0) -> list[int] | None:
    """[x, y, width, height] of the smallest box holding every True pixel (pixel edges, so width = x1 - x0)."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return None
    x0, y0 = int(xs.min()) + shift, int(ys.min()) + shift
    return [x0, y0, int(xs.max()) + shift + 1 - x0, int(ys.max()) + shift + 1 - y0]


# --- the scenes -----------------------------------------------------------------------------------------------------

def street_scenes() -> dict[str, tuple[int, list[Item]]]:
    """name -> (background seed, items back to front). street_04 is the graded (review) picture."""
    return {
        "street_01.png": (11, [
            person(95, 212, 140, "#1e88e5", "#37474f"),
            person(520, 205, 125, "#43a047", "#5d4037"),
            car(220, 372, 210, "#e53935"),
            bicycle(540, 392, 150, "#00897b"),
        ]),
        "street_02.png": (12, [
            *poster(40, 38, 112, 132),
            person(462, 200, 122, "#8e24aa", "#263238"),
            person(318, 300, 150, "#fb8c00", "#1a237e"),
            car(200, 372, 232, "#1e88e5", facing="left"),
            car(522, 336, 200, "#fdd835"),
        ]),
        "street_03.png": (13, [
            person(150, 210, 132, "#e53935", "#424242"),
            bicycle(352, 228, 150, "#6d4c41"),
            tree(330, 232, 210),
            car(300, 300, 180, "#546e7a"),
            car(392, 382, 224, "#f4511e", facing="left"),
            person(12, 330, 170, "#00acc1", "#3e2723"),
        ]),
        "street_04.png": (14, [
            *poster(478, 34, 118, 140),
            person(268, 318, 150, "#7cb342", "#283593"),
            bicycle(262, 396, 170, "#3949ab"),
            car(-92, 302, 214, "#8d6e63"),
            person(110, 372, 168, "#d81b60", "#212121"),
            car(392, 384, 214, "#26a69a", facing="left"),
        ]),
    }


def sign_scenes() -> dict[str, tuple[int, list[Item]]]:
    """name -> (background seed, items back to front). signs_03 is the graded (review) picture."""
    return {
        "signs_01.png": (21, [
            pole(170, 200, 340), stop_sign(170, 140, 72),
            pole(470, 220, 340), warning_sign(470, 165, 160),
        ]),
        "signs_02.png": (22, [
            pole(190, 210, 340), speed_sign(190, 150, 68),
            pole(462, 200, 340), stop_sign(462, 140, 70),
            branch(515, 100, 62, 44),
        ]),
        "signs_03.png": (23, [
            pole(140, 220, 340), warning_sign(140, 168, 150),
            pole(330, 210, 340), speed_sign(330, 148, 64),
            pole(520, 200, 340), stop_sign(520, 138, 66),
            branch(300, 95, 40, 30),
        ]),
    }


def draw(scenes: dict, background) -> dict[str, tuple[Image.Image, list[dict]]]:
    return {name: render(background(seed), items) for name, (seed, items) in scenes.items()}
