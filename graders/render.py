"""Verdicts as the learner sees them: HTML in JupyterLab (and in nbgrader feedback), plain text in a terminal."""
from __future__ import annotations

import html
import json
import re
from collections import Counter

from .checks import Verdict
from .i18n import M_, Message

VERDICT_MIME = "application/vnd.graders.verdict+json"

TITLE_PASSED = M_("core.render.passed", "Question {question}: well done, everything is right.")
TITLE_FAILED = M_("core.render.failed", "Question {question}: not yet. To fix: {failed} of {total}.")
HINT_LABEL = M_("core.render.hint", "Hint")
HIDDEN_NOTE = M_("core.render.hidden", "(checked only when your work is graded)")
NEXT_STEP = M_("core.render.next", "Change your answer above, run that cell, then run this check again.")


def _inline(text: str) -> str:
    """Escape, then turn `code` into <code> (the only markup our messages use)."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text, quote=False))


MORE_ALIKE = M_("core.render.more_alike", "… and {count} more like this one.", "… and {count} more like these.", count="count")
# A robot that has not started yet fails the same way for every file: after this many lines of one kind, one line
# counts the rest, so the learner sees what to fix instead of a wall of red. The verdict itself keeps every part.
SHOWN_ALIKE = 3


def lines(verdict: Verdict, lang: str) -> list[tuple[bool, str, bool]]:
    """(ok, text, hidden) for every part, failures first so the learner reads what to fix before what is fine;
    after ``SHOWN_ALIKE`` failures with the same message, the others of that kind are counted on one line."""
    ordered = sorted(verdict.parts, key=lambda p: p.ok)
    kept, seen, left = [], Counter(), Counter()
    for p in ordered:
        kind = (p.message.id, p.hidden)
        if not p.ok:
            seen[kind] += 1
            if seen[kind] > SHOWN_ALIKE:
                left[kind] += 1
                continue
        kept.append(p)
    last_of_kind = {(p.message.id, p.hidden): i for i, p in enumerate(kept) if not p.ok}
    out = []
    for i, p in enumerate(kept):
        out.append((p.ok, p.message.render(lang, **p.params), p.hidden))
        kind = (p.message.id, p.hidden)
        if not p.ok and left[kind] and last_of_kind[kind] == i:
            out.append((False, MORE_ALIKE.render(lang, count=left[kind]), p.hidden))
    return out


def title(verdict: Verdict, lang: str) -> str:
    if verdict.passed:
        return TITLE_PASSED.render(lang, question=verdict.question)
    return TITLE_FAILED.render(lang, question=verdict.question, failed=len(verdict.failures), total=len(verdict.parts))


def as_text(verdict: Verdict, lang: str, hint: Message | None = None) -> str:
    out = [("✔ " if verdict.passed else "✘ ") + title(verdict, lang)]
    for ok, text, hidden in lines(verdict, lang):
        out.append(f"  {'✔' if ok else '✘'} {text}" + (f" {HIDDEN_NOTE.render(lang)}" if hidden else ""))
    if not verdict.passed:
        if hint is not None:
            out.append(f"  💡 {HINT_LABEL.render(lang)}: {hint.render(lang)}")
        out.append("  " + NEXT_STEP.render(lang))
    return "\n".join(out)


# A light bulb drawn in SVG, not the emoji: a computer without a colour-emoji font (many Linux desktops, headless
# chromium) shows the emoji as an empty box.
HINT_ICON = ('<svg width="12" height="16" viewBox="0 0 12 16" role="img" aria-hidden="true" style="vertical-align:-2px">'
             '<path d="M6 .8a5 5 0 0 0-3 9c.6.5 1 1.3 1 2.2h4c0-.9.4-1.7 1-2.2a5 5 0 0 0-3-9z" fill="#fbc02d" '
             'stroke="#b28704" stroke-width=".8"/><rect x="3.8" y="12.6" width="4.4" height="2.6" rx=".8" '
             'fill="#8d8d8d"/></svg>')


def as_html(verdict: Verdict, lang: str, hint: Message | None = None) -> str:
    color, mark = ("#1b7f3b", "✔") if verdict.passed else ("#b3261e", "✘")
    items = []
    for ok, text, hidden in lines(verdict, lang):
        note = f' <em style="color:#666">{_inline(HIDDEN_NOTE.render(lang))}</em>' if hidden else ""
        items.append(f'<li style="list-style:none;margin:2px 0"><span style="color:{"#1b7f3b" if ok else "#b3261e"}">'
                     f'{"✔" if ok else "✘"}</span> {_inline(text)}{note}</li>')
    extra = ""
    if not verdict.passed:
        if hint is not None:
            extra += (f'<div style="background:#fff8e1;border-radius:4px;padding:6px 10px;margin-top:6px">{HINT_ICON} '
                      f'<strong>{_inline(HINT_LABEL.render(lang))}:</strong> {_inline(hint.render(lang))}</div>')
        extra += f'<div style="color:#555;margin-top:6px">{_inline(NEXT_STEP.render(lang))}</div>'
    return (f'<div class="graders-verdict" lang="{lang}" data-passed="{str(verdict.passed).lower()}" '
            f'style="border-left:5px solid {color};padding:8px 12px;margin:4px 0;background:#fafafa">'
            f'<div style="font-weight:600;color:{color}">{mark} {_inline(title(verdict, lang))}</div>'
            f'<ul style="padding-left:4px;margin:6px 0">{"".join(items)}</ul>{extra}</div>')


class VerdictView:
    """What ``lab.check`` displays: Jupyter picks the HTML, a terminal prints the text; tests read the JSON."""

    def __init__(self, verdict: Verdict, lang: str, hint: Message | None = None):
        self.verdict, self.lang, self.hint = verdict, lang, hint

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = self.verdict.to_json() | {"lang": self.lang, "hint": self.hint.id if self.hint else None}
        return {"text/plain": as_text(self.verdict, self.lang, self.hint),
                "text/html": as_html(self.verdict, self.lang, self.hint),
                VERDICT_MIME: json.loads(json.dumps(data))}

    def __str__(self) -> str:
        return as_text(self.verdict, self.lang, self.hint)
