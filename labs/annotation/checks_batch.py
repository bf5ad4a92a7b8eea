"""Annotation lab, q19 (issue 17 part 5): a batch of 54 items labelled at volume, against a quality target.

The check reads ``annotations/batch.json`` (evidence outside), compares every label with gold, reports the agreement
against the target and the items that differ grouped by kind (small signs, faded signs, messages in Ukrainian ...),
never the gold label itself: a team lead sends the items back, not the answers. It also reports the learner's items
per minute from the times the labels were first given. When graded, gold/ is masked and the grading call judges the
batch from hidden/q19.json (``practice``).
"""
from __future__ import annotations

from graders.checks import Check
from graders.i18n import Domain

from .checks import HINTS, practice_gold, questions, workdir

M_ = Domain.beside(__file__)

TARGET = 90          # per cent agreement with gold the batch must reach
IDLE = 120.0         # a pause longer than this between two labels counts as this much work (a break is not work)
MIN_TIMED = 5.0      # seconds: labels saved closer together than this in total were typed at once, not timed

UNKNOWN_ITEM = M_("annotation.batch.unknown_item", "There is no item “{item}” in this batch. The names are next to each picture and message (sign_01 …, text_01 …).")
UNKNOWN_LABEL = M_("annotation.batch.unknown_label", "“{label}” is not a label for {item}: choose one of {known}.")
PROGRESS = M_("annotation.batch.progress", "{count} item of the {total} is labelled.", "{count} items of the {total} are labelled.", count="count")
FIGURE = M_("annotation.batch.figure", "Batch: {count} item of the {total} is labelled; {rate} items per minute.", "Batch: {count} items of the {total} are labelled; {rate} items per minute.", count="count")

Q19_NO_FILE = M_("annotation.q19.no_file", "I can't find annotations/batch.json yet. Label the items above (each click is saved at once), then run this check again.")
Q19_BROKEN = M_("annotation.q19.broken", "annotations/batch.json cannot be read ({error}). Delete it and label the batch again with the buttons or batch.label.")
Q19_EMPTY = M_("annotation.q19.empty", "annotations/batch.json holds no labels yet. Label the items above, then run this check again.")
Q19_LABEL = M_("annotation.q19.label", "{item} has the label “{label}”, which is not one of its labels ({known}). Label it again with the buttons.")
Q19_ONE_LABEL = M_("annotation.q19.one_label", "All {count} {group} in your batch have the same label, `{label}`. One answer for everything is never a labelled batch: look at each item and decide by the guideline.")
Q19_UNFINISHED = M_("annotation.q19.unfinished", "{missing} item of the {total} has no label yet ({items}). So far {right} of your {done} labels agree with the gold answers. A batch is delivered complete: go on where you stopped.", "{missing} items of the {total} are without a label yet (the first: {items}). So far {right} of your {done} labels agree with the gold answers. A batch is delivered complete: go on where you stopped.", count="missing")
Q19_BELOW = M_("annotation.q19.below", "Agreement with the gold answers: {pct} % ({right} of {total}). The target is {target} %, so this batch would go back to you for rework. The items that differ, by kind, follow.")
Q19_KIND = M_("annotation.q19.kind", "{kind}: {count} item of the {total} is different ({items}).", "{kind}: {count} items of the {total} are different ({items}).", count="count")
Q19_RECHECK = M_("annotation.q19.recheck", "Worth a second look before the next batch, {kind}: {count} item of the {total} is different ({items}).", "Worth a second look before the next batch, {kind}: {count} items of the {total} are different ({items}).", count="count")
Q19_OK = M_("annotation.q19.ok", "Agreement with the gold answers: {pct} % ({right} of {total}); the target is {target} %. The batch is accepted.")
Q19_SPEED = M_("annotation.q19.speed", "Your speed: {rate} items per minute, timed from your first label to your last (a pause longer than 2 minutes counts as 2 minutes). lab.progress() shows it.")
Q19_NOT_TIMED = M_("annotation.q19.not_timed", "Your speed was not measured: all the labels were saved within a few seconds, as when they are typed in one cell. Label with the buttons to see your items per minute.")
GROUPS = {"sign": M_("annotation.batch.group.sign", "signs"), "text": M_("annotation.batch.group.text", "messages")}
KINDS = {
    "clear": M_("annotation.batch.kind.clear", "Clear signs"),
    "small": M_("annotation.batch.kind.small", "Small signs far away"),
    "faded": M_("annotation.batch.kind.faded", "Faded signs"),
    "odd_colour": M_("annotation.batch.kind.odd_colour", "Signs in an unusual colour"),
    "text_en": M_("annotation.batch.kind.text_en", "Messages in English"),
    "text_uk": M_("annotation.batch.kind.text_uk", "Messages in Ukrainian"),
    "text_ja": M_("annotation.batch.kind.text_ja", "Messages in Japanese"),
}


def speed(first_at: dict[str, float]) -> tuple[float, int] | None:
    """(items per minute, items timed) from the times labels were first given; None when not timed."""
    times = sorted(first_at.values())
    if len(times) < 2:
        return None
    worked = sum(min(b - a, IDLE) for a, b in zip(times, times[1:]))
    if worked < MIN_TIMED:
        return None
    return round((len(times) - 1) * 60 / worked, 1), len(times)


def _group(item: dict) -> str:
    return "sign" if "image" in item else "text"


@questions("q19", evidence="outside")
def q19(check: Check) -> None:
    from .batch import FILE, load_items, read_labels

    root = workdir(check)
    path = root / FILE
    if not path.is_file():
        check.stop(Q19_NO_FILE)
    try:
        labels, first_at = read_labels(path)
    except (ValueError, OSError) as exc:
        check.stop(Q19_BROKEN, error=str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__)
    if not labels:
        check.stop(Q19_EMPTY)
    items = load_items(root)
    for item in items:
        label = labels.get(item["id"])
        if label is not None and label not in item["choices"]:
            check.fail(Q19_LABEL, item=item["id"], label=label, known=", ".join(item["choices"]))
    for group in ("sign", "text"):
        given = [labels[i["id"]] for i in items if _group(i) == group and i["id"] in labels]
        if len(given) >= 10 and len(set(given)) == 1:
            check.fail(Q19_ONE_LABEL, count=len(given), group=GROUPS[group].render(check.lang), label=given[0])
    if any(not p.ok for p in check.parts):
        return
    expected = practice_gold(check, "batch")
    missing = [i["id"] for i in items if i["id"] not in labels]
    if missing:
        right = sum(labels[k] == expected.get(k) for k in labels) if expected is not None else "?"
        check.fail(Q19_UNFINISHED, missing=len(missing), total=len(items), items=", ".join(missing[:3]),
                   right=right, done=len(labels))
        return
    if expected is not None:
        _agreement(check, items, labels, expected)
    figure = speed(first_at)
    if figure is None:
        check.ok(Q19_NOT_TIMED)
    else:
        check.ok(Q19_SPEED, rate=figure[0])


def _agreement(check: Check, items: list[dict], labels: dict, expected: dict) -> None:
    wrong: dict[str, list[str]] = {}
    totals: dict[str, int] = {}
    for item in items:
        totals[item["kind"]] = totals.get(item["kind"], 0) + 1
        if labels.get(item["id"]) != expected.get(item["id"]):
            wrong.setdefault(item["kind"], []).append(item["id"])
    total = len(items)
    right = total - sum(len(v) for v in wrong.values())
    pct = round(100 * right / total, 1)
    if 100 * right >= TARGET * total:
        check.ok(Q19_OK, pct=pct, right=right, total=total, target=TARGET)
        report, message, name = check.ok, Q19_RECHECK, lambda kind: KINDS[kind].render(check.lang).lower()
    else:
        check.fail(Q19_BELOW, pct=pct, right=right, total=total, target=TARGET)
        report, message, name = check.fail, Q19_KIND, lambda kind: KINDS[kind].render(check.lang)
    for kind in KINDS:   # the same order every time: signs first, then the messages by language
        if kind in wrong:
            report(message, kind=name(kind), count=len(wrong[kind]), total=totals[kind], items=", ".join(wrong[kind]))


HINTS["q19"] = [
    M_("annotation.q19.hint1", "Go back to the guideline table at the top: for a sign, its shape decides; for a message, what the writer wants decides. Decide each item by that, not by its colour or by its tone."),
    M_("annotation.q19.hint2", "Look at the kinds the check lists: if most of your differences are faded signs or signs in an unusual colour, you judged by colour; if they are messages, reread the rule about a complaint put as a question."),
    M_("annotation.q19.hint3", "An example from another job: a round blue sign with a white arrow is judged by its round shape (a rule to follow), even if it were drawn in grey; “Could you finally answer my e-mail?” asks something, but the writer is unhappy about waiting: a complaint."),
    M_("annotation.q19.hint4", "Open each item the check names again, say out loud its shape (eight corners, three corners, four right angles) or what the writer wants (to know something, to report a problem, to thank), and choose the label the table gives for that."),
]
