"""Rating AI answers (notebook rating): shows the shipped tasks, each a prompt and two answers, in the learner's
language. The expert panel's gold for the practice tasks is in gold/rating.json; the review task's only in hidden/."""
from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
ITEMS = HERE / "data" / "rating" / "items.json"
CONFIG = HERE / "data" / "configs" / "rating.xml"
LABELS = {"en": ("Prompt", "Answer"), "uk": ("Запит", "Відповідь"), "ja": ("依頼文", "回答")}


def items() -> dict:
    return json.loads(ITEMS.read_text(encoding="utf-8"))


def show(name: str, lang: str = "en") -> None:
    """Print one task: the prompt and answers A and B, in ``lang``."""
    task = items()["items"][name][lang]
    prompt, answer = LABELS.get(lang, LABELS["en"])
    print(f"== {name} ==\n{prompt}:\n  {task['prompt']}\n")
    for key in ("A", "B"):
        text = task[key].replace("\n", "\n  ")
        print(f"{answer} {key}:\n  {text}\n")


def tasks(lang: str = "en") -> list[dict]:
    """The tasks as Label Studio tasks for the config in data/configs/rating.xml (import them into a project)."""
    return [{"data": {"item": name, "prompt": t[lang]["prompt"], "answer_a": t[lang]["A"], "answer_b": t[lang]["B"]}}
            for name, t in items()["items"].items()]
