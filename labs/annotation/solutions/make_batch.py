"""Writes the batch notebook's items (issue 17 part 5): 36 road signs drawn with PIL and 18 short customer messages
(6 in each of en/uk/ja), 54 items with exact gold, because the generator decides every answer.

    .venv/bin/python -m labs.annotation.solutions.make_batch

Writes ``data/batch/sign_NN.png`` and ``data/batch/items.json`` (what the learner sees: item ids, kind, choices,
texts), ``gold/batch.json`` (practice answers, masked when graded) and ``hidden/q19.json`` (their copy for the grading
call). This file lives in ``solutions/`` (grading-only: never in a learner's copy), since it knows every answer.
Deterministic: the same files every run.
"""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent.parent
SIGN_LABELS = ["stop", "warning", "info"]
TEXT_LABELS = ["question", "complaint", "thanks"]
SHAPE = {"stop": "octagon", "warning": "triangle", "info": "square"}
COLOUR = {"stop": (200, 30, 35), "warning": (240, 190, 20), "info": (30, 90, 190)}
ODD = {"stop": (40, 140, 60), "warning": (200, 30, 35), "info": (120, 60, 160)}   # an unusual colour: shape decides
# kinds of sign, each 9 items: a learner's mistakes are reported per kind (never the gold answer)
SIGN_KINDS = ["clear", "small", "faded", "odd_colour"]

# (gold, en, uk, ja): what the writer wants decides; a complaint put as a question is a complaint
MESSAGES = [
    ("question", "Do you deliver on Saturdays?", "Ви доставляєте в суботу?", "土曜日も配達していますか？"),
    ("complaint", "Why is my order late again? This is the third time.",
     "Чому моє замовлення знову запізнюється? Це вже втретє.", "どうしてまた注文が遅れているのですか。これで 3 回目です。"),
    ("thanks", "The courier was very kind, thank you!", "Кур'єр був дуже ввічливий, дякую!",
     "配達員の方がとても親切でした。ありがとうございます！"),
    ("complaint", "The jar arrived broken and the box was wet.", "Банка прийшла розбита, а коробка була мокра.",
     "びんが割れて届き、箱もぬれていました。"),
    ("question", "Can I change the delivery address after paying?", "Чи можна змінити адресу доставки після оплати?",
     "支払いのあとで届け先の住所を変えられますか？"),
    ("thanks", "Great service, I will order again.", "Чудовий сервіс, замовлятиму ще.",
     "すばらしいサービスでした。また注文します。"),
]


def _polygon(label: str, cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    if label == "stop":
        return [(cx + r * math.cos(math.pi / 8 + k * math.pi / 4), cy + r * math.sin(math.pi / 8 + k * math.pi / 4))
                for k in range(8)]
    if label == "warning":
        return [(cx, cy - r), (cx + r * 0.95, cy + r * 0.75), (cx - r * 0.95, cy + r * 0.75)]
    s = r * 0.8
    return [(cx - s, cy - s), (cx + s, cy - s), (cx + s, cy + s), (cx - s, cy + s)]


def draw_sign(label: str, kind: str, rng: random.Random) -> Image.Image:
    size = 120
    sky = (rng.randint(150, 200), rng.randint(185, 220), rng.randint(215, 240))
    img = Image.new("RGB", (size, size), sky)
    d = ImageDraw.Draw(img)
    d.rectangle([0, 88, size, size], fill=(rng.randint(90, 130),) * 3)      # the road
    r = {"small": rng.uniform(12, 17)}.get(kind, rng.uniform(30, 38))
    cx = rng.uniform(r + 8, size - r - 8) if kind == "small" else size / 2 + rng.uniform(-8, 8)
    cy = rng.uniform(r + 6, 80 - r) if kind == "small" else 48 + rng.uniform(-4, 4)
    d.line([(cx, cy), (cx, 118)], fill=(90, 90, 90), width=max(2, int(r / 8)))   # the post
    colour = ODD[label] if kind == "odd_colour" else COLOUR[label]
    if kind == "faded":
        colour = tuple(int(c + (235 - c) * 0.6) for c in colour)
    d.polygon(_polygon(label, cx, cy, r), fill=colour, outline=(250, 250, 250))
    mark = {"stop": "", "warning": "!", "info": "i"}[label]
    if mark:
        d.text((cx - 2, cy - 5), mark, fill=(30, 30, 30) if label == "warning" else (250, 250, 250))
    else:
        d.rectangle([cx - r * 0.5, cy - r * 0.12, cx + r * 0.5, cy + r * 0.12], fill=(250, 250, 250))
    return img


def build() -> tuple[list[dict], dict[str, str]]:
    rng = random.Random(17)
    signs = [(label, kind) for kind in SIGN_KINDS for label in SIGN_LABELS for _ in range(3)]
    rng.shuffle(signs)
    items, gold = [], {}
    for number, (label, kind) in enumerate(signs, start=1):
        item = f"sign_{number:02d}"
        items.append({"id": item, "kind": kind, "choices": SIGN_LABELS, "image": f"batch/{item}.png"})
        gold[item] = label
        yield_image = draw_sign(label, kind, rng)
        items[-1]["_img"] = yield_image
    texts = [(lang, i) for lang in ("en", "uk", "ja") for i in range(len(MESSAGES))]
    rng.shuffle(texts)
    for number, (lang, i) in enumerate(texts, start=1):
        item = f"text_{number:02d}"
        text = MESSAGES[i][1 + ("en", "uk", "ja").index(lang)]
        items.append({"id": item, "kind": f"text_{lang}", "choices": TEXT_LABELS, "text": text})
        gold[item] = MESSAGES[i][0]
    # signs and messages mixed, as a queue would serve them
    order = rng.sample(range(len(items)), len(items))
    return [items[k] for k in order], gold


def main() -> int:
    items, gold = build()
    out = HERE / "data" / "batch"
    out.mkdir(parents=True, exist_ok=True)
    for item in items:
        img = item.pop("_img", None)
        if img is not None:
            img.save(out / f"{item['id']}.png", optimize=True)
    (out / "items.json").write_text(json.dumps({"items": items}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (HERE / "gold" / "batch.json").write_text(json.dumps(gold, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (HERE / "hidden" / "q19.json").write_text(json.dumps({"practice": gold}, indent=1, sort_keys=True) + "\n",
                                              encoding="utf-8")
    print(f"{len(items)} items, {sum(1 for i in items if 'image' in i)} signs -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
