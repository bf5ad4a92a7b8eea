"""How long a lab or a notebook takes and which labs come first, in the learner's language (issue 13).

One source of truth: ``labs/<lab>/lab.toml`` (``requires = [...]``, ``[notebook."<nb>"] minutes = {novice, programmer}``).
The build writes :func:`header` at the top of each notebook; ``lab.progress()`` and ``graders progress`` show
:func:`left` (the time of the notebooks with open questions) and :func:`needs`.
A lab without these fields shows none of it; a required lab that is not installed is named by its id.
"""
from __future__ import annotations

from .i18n import M_
from .labdef import LabDef, LabDefinitionError, load_lab, minutes_of

ABOUT = M_("core.timing.about", "About {novice} (about {programmer} if you already program).")
ABOUT_SAME = M_("core.timing.about_same", "About {time}.")
LEFT = M_("core.timing.left", "Still to do: about {novice} (about {programmer} if you already program).")
LEFT_SAME = M_("core.timing.left_same", "Still to do: about {time}.")
MINUTES = M_("core.timing.minutes", "{n} minute", "{n} minutes", count="n")
HOURS = M_("core.timing.hours", "{n} hour", "{n} hours", count="n")
NEEDS = M_("core.timing.needs", "You need: {labs}.")
NEEDS_NOTHING = M_("core.timing.needs_nothing", "You need no earlier lab: this is where to start.")
LAB_REF = M_("core.timing.lab", "the “{title}” lab")


def duration(minutes: int, lang: str) -> str:
    """90 -> "90 minutes"; from two hours on, hours to the half hour: 315 -> "5.5 hours" (uk "5,5 год")."""
    if minutes < 120:
        return MINUTES.render(lang, n=minutes)
    hours = int(minutes / 30 + 0.5) / 2
    n = f"{hours:g}"
    return HOURS.render(lang, n=n.replace(".", ",") if lang == "uk" else n)


def _estimate(minutes: dict[str, int] | None, lang: str, both, same) -> str | None:
    if not minutes:
        return None
    novice, programmer = (duration(minutes[k], lang) for k in ("novice", "programmer"))
    if novice == programmer:
        return same.render(lang, time=novice)
    return both.render(lang, novice=novice, programmer=programmer)


def about(lab: LabDef, notebook: str | None, lang: str) -> str | None:
    """"About 45 minutes (about 15 minutes if you already program)." for a notebook (None: the whole lab)."""
    return _estimate(lab.minutes(notebook), lang, ABOUT, ABOUT_SAME)


def left(lab: LabDef, open_questions, lang: str) -> str | None:
    """The time of the notebooks that still have an open question; None when nothing is open or nothing is known."""
    notebooks = [nb for nb in lab.notebooks if any(lab.questions[q].notebook == nb for q in open_questions)]
    if not notebooks:
        return None
    return _estimate(minutes_of(lab, notebooks), lang, LEFT, LEFT_SAME)


def lab_title(lab_id: str, lang: str) -> str:
    """A lab's title in ``lang``; its id when the lab is not installed here."""
    try:
        return load_lab(lab_id).title_in(lang)
    except LabDefinitionError:
        return lab_id


def needs(lab: LabDef, lang: str) -> str | None:
    """"You need: the “…” lab." (None when lab.toml does not say)."""
    if "requires" not in lab.raw:
        return None
    if not lab.requires:
        return NEEDS_NOTHING.render(lang)
    sep = "、" if lang == "ja" else ", "
    return NEEDS.render(lang, labs=sep.join(LAB_REF.render(lang, title=lab_title(r, lang)) for r in lab.requires))


def header(lab: LabDef, notebook: str, lang: str) -> str | None:
    """The line at the top of a notebook: its time and the labs to do first (None when lab.toml gives neither)."""
    parts = [p for p in (about(lab, notebook, lang), needs(lab, lang)) if p]
    return ("" if lang == "ja" else " ").join(parts) if parts else None
