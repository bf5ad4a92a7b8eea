"""Annotation lab, questions added in session 14 (issue 17): q16, the photo classes delivered as a CSV table.

Kept apart from ``checks.py`` (other questions live there); ``checks.py`` imports this module at its end, so the
questions and hints land in the same registry.
"""
from __future__ import annotations

import csv
import io

from graders.checks import Check
from graders.i18n import Domain

from .checks import HINTS, Limited, questions, workdir
from .sets import PHOTO_CLASSES

M_ = Domain.beside(__file__)

# --- q16: classification delivered as CSV ----------------------------------------------------------------------------
CSV_PATH = "delivery/classes.csv"
CSV_COLUMNS = ["image", "class"]

Q16_NO_FILE = M_("annotation.q16.no_file", "I can't find delivery/classes.csv yet. Make the table in the cell above and save it with to_csv under that name.")
Q16_EMPTY = M_("annotation.q16.empty", "delivery/classes.csv is empty: it has no header and no rows. Save the table into it, with one row per photo.")
Q16_NOT_CSV = M_("annotation.q16.not_csv", "delivery/classes.csv cannot be read as CSV ({error}). Write it with pandas' to_csv, not by hand.")
Q16_NO_HEADER = M_("annotation.q16.no_header", "The first line of delivery/classes.csv is a photo (“{first}”), not the column names. The customer's program reads the first line as the header: save the table with its header (leave out header=False).")
Q16_COLUMNS = M_("annotation.q16.columns", "The columns of delivery/classes.csv are {got}; the customer asked for exactly {expected}, in that order. Name the columns in your table like that, and leave out the row numbers (index=False).")
Q16_LABEL = M_("annotation.q16.label", "{image} has the class “{label}”, which is not one of the guideline's class names ({labels}). The customer's training code knows only those names, spelled exactly so: copy the class from your annotation, do not rename it.")
Q16_UNKNOWN = M_("annotation.q16.unknown", "{image} is not a photo in {source}. Take the rows from the photos you classified, not typed by hand.")
Q16_DOUBLE = M_("annotation.q16.double", "{image} is in the table more than once. Each photo gets exactly one row.")
Q16_DIFFERS = M_("annotation.q16.differs", "{image} is “{label}” in the table but “{expected}” in {source}. Take the class from the file you deliver.")
Q16_MISSING = M_("annotation.q16.missing", "{count} classified photo is not in the table: {images}. Every photo with a class in {source} gets one row.", "{count} classified photos are not in the table: {images}. Every photo with a class in {source} gets one row.", count="count")
Q16_NO_SOURCE = M_("annotation.q16.no_source", "{source} holds no classified photo, so there is nothing to deliver. Classify the photos in notebook 2 first, or delete annotations/classes.json to deliver the sample.")
Q16_OK = M_("annotation.q16.ok", "delivery/classes.csv reads as the customer's program will read it: a header image,class and {count} row, the same as {source}.", "delivery/classes.csv reads as the customer's program will read it: a header image,class and {count} rows, the same as {source}.", count="count")


@questions("q16", evidence="outside")
def q16(check: Check) -> None:
    import pandas as pd

    from .kit import classes_chosen, delivery_file

    root = workdir(check)
    path = root / CSV_PATH
    if not path.is_file():
        check.stop(Q16_NO_FILE)
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    if not text.strip():
        check.stop(Q16_EMPTY)
    try:
        rows = list(csv.reader(io.StringIO(text)))
        table = pd.read_csv(path, dtype=str, keep_default_na=False)   # what the customer's code will do
    except (csv.Error, ValueError) as exc:
        check.stop(Q16_NOT_CSV, error=str(exc).splitlines()[0][:120])
    source = delivery_file(root, "classes")
    expected = classes_chosen(source, root)
    header = [cell.strip() for cell in rows[0]]
    if header != CSV_COLUMNS:
        first = rows[0][0] if rows[0] else ""
        if first in expected or first.lower().endswith((".jpg", ".jpeg", ".png")) or set(header) & set(PHOTO_CLASSES):
            check.stop(Q16_NO_HEADER, first=first)
        check.stop(Q16_COLUMNS, got=", ".join(str(c) for c in table.columns), expected=", ".join(CSV_COLUMNS))
    check.require(expected, Q16_NO_SOURCE, source=source)
    bad = Limited(check)
    seen = set()
    for image, label in zip(table["image"], table["class"]):
        image, label = str(image).strip(), str(label).strip()
        if image in seen:
            bad.fail(Q16_DOUBLE, image=image)
            continue
        seen.add(image)
        if label not in PHOTO_CLASSES:
            bad.fail(Q16_LABEL, image=image, label=label, labels=", ".join(PHOTO_CLASSES))
        elif image not in expected:
            bad.fail(Q16_UNKNOWN, image=image, source=source)
        elif label != expected[image]:
            bad.fail(Q16_DIFFERS, image=image, label=label, expected=expected[image], source=source)
    missing = [image for image in expected if image not in seen]
    if missing:
        bad.fail(Q16_MISSING, count=len(missing), images=", ".join(missing[:5]) + (" …" if len(missing) > 5 else ""),
                 source=source)
    bad.finish()
    if all(p.ok for p in check.parts):
        check.ok(Q16_OK, count=len(expected), source=source)


HINTS["q16"] = [
    M_("annotation.q16.hint1", "A CSV table is a table saved as text: a first line with the column names, then one line per row. pandas makes the table from your dictionary and writes it."),
    M_("annotation.q16.hint2", "Look at the shopping-list example above: pd.DataFrame gets one list per column, and to_csv writes the file. Here the two lists come from chosen: its keys (the photos) and its values (their classes)."),
    M_("annotation.q16.hint3", "The same on other data: prices = {{\"bread\": 2, \"milk\": 1}}, then pd.DataFrame({{\"item\": list(prices.keys()), \"price\": list(prices.values())}}).to_csv(\"prices.csv\", index=False)."),
    M_("annotation.q16.hint4", "table = pd.DataFrame({{\"image\": list(chosen.keys()), \"class\": list(chosen.values())}})\ntable.to_csv(\"delivery/classes.csv\", index=False)"),
]


# --- q17, q18: a Label Studio project set up from a guideline (notebook project) --------------------------------------
PROJECT_TITLE = "Notice topics"
PROJECT_TOPICS = ["job", "event", "housing"]

Q17_EMPTY = M_("annotation.q17.empty", "CONFIG is empty. Write the labeling config as text: a <View> with the tag that shows the notice and the tag that records its topic.")
Q17_PARSE = M_("annotation.q17.parse", "Label Studio cannot read CONFIG as a labeling config: {error}. Every tag must be closed (<Choice value=\"job\"/> ends with />, <View> with </View>), and quotes must come in pairs.")
Q17_NO_TEXT = M_("annotation.q17.no_text", "CONFIG has no <Text> tag that shows the task's field text (value=\"$text\"). The guideline says the notice is in the field text: without it the annotator sees an empty page.")
Q17_NO_CONTROL = M_("annotation.q17.no_control", "CONFIG has nothing that records an answer: add the tag for choosing one topic, with one option per topic.")
Q17_LABELS_TAG = M_("annotation.q17.labels_tag", "<{tag}> marks pieces of the text (spans of words), but the guideline asks for one topic for the whole notice. A choice for the whole item is <Choices> with <Choice> options.")
Q17_WRONG_TAG = M_("annotation.q17.wrong_tag", "<{tag}> does not fit this task: the guideline asks for one topic for the whole notice, which is <Choices> with <Choice> options.")
Q17_NAME = M_("annotation.q17.name", "The <Choices> tag is named “{name}”; the guideline says name=\"topic\" (the customer's code reads the answers by that name).")
Q17_TO_NAME = M_("annotation.q17.to_name", "The <Choices> tag points to toName=\"{to_name}\", but the tag that shows the notice is named “{text_name}”. toName must be the name of the object it annotates.")
Q17_MISSING = M_("annotation.q17.missing", "The guideline's topic “{label}” is not among the options. Add <Choice value=\"{label}\"/>: an annotator cannot choose a topic that is not there.")
Q17_EXTRA = M_("annotation.q17.extra", "“{label}” is an option, but not a topic of the guideline ({labels}). Options are spelled exactly as in the guideline, and no others.")
Q17_MULTIPLE = M_("annotation.q17.multiple", "Your <Choices> lets the annotator pick several topics (choice=\"multiple\"); the guideline says exactly one. Use choice=\"single\" (or leave the attribute out).")
Q17_OK = M_("annotation.q17.ok", "Label Studio reads your config, and it follows the guideline: the notice's text, and one topic out of job, event and housing, named topic.")

Q18_SKIPPED = M_("annotation.q18.skipped", "Label Studio is not installed on this computer, so this exercise is skipped: it gives 0 points here. On a computer or class hub with Label Studio, set up the project and run this check again.")
Q18_NO_FILE = M_("annotation.q18.no_file", "I can't find project/project.json yet. Set up the project, annotate the notices in Label Studio, then run the export cell above.")
Q18_BAD_FILE = M_("annotation.q18.bad_file", "project/project.json is not what the export cell writes ({error}). Run the export cell again.")
Q18_TITLE = M_("annotation.q18.title", "The project is called “{title}”; the guideline says “{expected}”. The team finds its projects by name: create it with that title.")
Q18_CONFIG = M_("annotation.q18.config", "The project's config in Label Studio does not follow the guideline: {problem}")
Q18_NOT_IMPORTED = M_("annotation.q18.not_imported", "The project has no tasks: the notices were not imported. After creating the project, import tasks into it (its id and the list of tasks).")
Q18_TWICE = M_("annotation.q18.twice", "{name} and other notices are in the project more than once: the tasks were imported twice (a set-up that ran twice imports twice). Import them once: delete the project in Label Studio and set it up again.")
Q18_MISSING_TASKS = M_("annotation.q18.missing_tasks", "{count} notice of the batch is not in the project: {names}. Import the whole list of tasks.", "{count} notices of the batch are not in the project: {names}. Import the whole list of tasks.", count="count")
Q18_NOT_ANNOTATED = M_("annotation.q18.not_annotated", "{count} task has no submitted annotation yet: {names}. Open each in Label Studio, choose its topic and press Submit, then export again.", "{count} tasks have no submitted annotation yet: {names}. Open each in Label Studio, choose its topic and press Submit, then export again.", count="count")
Q18_DIFFERS = M_("annotation.q18.differs", "{name} (“{text}”): you chose {label}, the guideline gives {expected}. Read the guideline's rules again, then correct it in Label Studio (open the task, change the topic, press Update) and export again.")
Q18_SCORE = M_("annotation.q18.score", "Agreement with the team's answers: {right} of {count} notice.", "Agreement with the team's answers: {right} of {count} notices.", count="count")
Q18_OK = M_("annotation.q18.ok", "Your project “{title}” is set up as the guideline says, with {count} notice imported once and annotated.", "Your project “{title}” is set up as the guideline says, with all {count} notices imported once and annotated.", count="count")


# the team lead's speed figure: recorded by the export cell, shown by lab.progress() (graders/progress.py figures)
SPEED = M_("annotation.speed.project", "Your speed in Label Studio (project “{title}”): {rate} items per minute, timed by Label Studio on {count} item.", "Your speed in Label Studio (project “{title}”): {rate} items per minute, timed by Label Studio on {count} items.", count="count")


def items_per_minute(tasks: list[dict]) -> tuple[float, int] | None:
    """(items per minute, items timed) from Label Studio's own lead_time (seconds spent on each annotation in its
    editor); None when no annotation carries one (annotated through the API, or not yet)."""
    from .kit import latest_annotation

    seconds = [float(a["lead_time"]) for t in tasks for a in [latest_annotation(t) or {}]
               if isinstance(a.get("lead_time"), (int, float)) and a["lead_time"] > 0]
    if not seconds:
        return None
    return round(60 * len(seconds) / sum(seconds), 1), len(seconds)


def config_problems(xml) -> list[tuple]:
    """What is wrong with a labeling config for the guideline of notebook 10: [(message, params)], empty when right.
    Parsed by Label Studio's own config parser (label-studio-sdk's LabelInterface)."""
    if not isinstance(xml, str) or not xml.strip():
        return [(Q17_EMPTY, {})]
    from .kit import label_interface

    try:
        interface = label_interface(xml)
        interface.validate()
    except Exception as exc:  # the parser's own error (XML syntax, unknown structure)
        return [(Q17_PARSE, {"error": str(exc).split(" (<string>")[0][:200]})]
    texts = [o for o in interface.objects if o.tag == "Text" and str(o.value).strip() == "$text"]
    if not texts:
        return [(Q17_NO_TEXT, {})]
    text_name = texts[0].name
    controls = list(interface.controls)
    if not controls:
        return [(Q17_NO_CONTROL, {})]
    choices = [c for c in controls if c.tag == "Choices"]
    if not choices:
        tag = controls[0].tag
        return [(Q17_LABELS_TAG if tag.endswith("Labels") else Q17_WRONG_TAG, {"tag": tag})]
    control = choices[0]
    problems = []
    if control.name != "topic":
        problems.append((Q17_NAME, {"name": control.name}))
    if text_name not in list(control.to_name or []):
        problems.append((Q17_TO_NAME, {"to_name": ",".join(control.to_name or []), "text_name": text_name}))
    labels = [str(label) for label in control.labels]
    for label in PROJECT_TOPICS:
        if label not in labels:
            problems.append((Q17_MISSING, {"label": label}))
    for label in labels:
        if label not in PROJECT_TOPICS:
            problems.append((Q17_EXTRA, {"label": label, "labels": ", ".join(PROJECT_TOPICS)}))
    if str(control.attr.get("choice", "single")).lower() == "multiple":
        problems.append((Q17_MULTIPLE, {}))
    return problems


@questions("q17")
def q17(check: Check) -> None:
    xml = check.value("CONFIG", str)
    problems = config_problems(xml)
    for message, params in problems:
        check.fail(message, **params)
    if not problems:
        check.ok(Q17_OK)


def _project_gold(check: Check):
    """The team's answers: gold/project.json while practising; its hidden copy when graded (gold/ may be masked)."""
    from .checks import HERE

    path = HERE / "gold" / "project.json"
    if path.is_file():
        import json
        return json.loads(path.read_text(encoding="utf-8"))
    return (check.hidden or {}).get("practice")


def _short(text: str, size: int = 40) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"


@questions("q18", evidence="outside")
def q18(check: Check) -> None:
    import json

    from .kit import latest_annotation, lab_root

    root = workdir(check)
    path = root / "project" / "project.json"
    if not path.is_file():
        from .studio import installed
        if not installed():
            check.stop(Q18_SKIPPED)
        check.stop(Q18_NO_FILE)
    try:
        snapshot = json.loads(path.read_text(encoding="utf-8"))
        tasks = snapshot["tasks"]
        title, config = snapshot["title"], snapshot["label_config"]
        assert isinstance(tasks, list)
    except (ValueError, KeyError, TypeError, AssertionError) as exc:
        check.stop(Q18_BAD_FILE, error=type(exc).__name__)
    if title != PROJECT_TITLE:
        check.fail(Q18_TITLE, title=title, expected=PROJECT_TITLE)
    problems = config_problems(config)
    if problems:
        message, params = problems[0]
        check.fail(Q18_CONFIG, problem=message.render(check.lang, **params))
    batch = json.loads((lab_root(root) / "project" / "notices.json").read_text(encoding="utf-8"))
    texts = {item["name"]: item["text"] for item in batch}
    check.require(tasks, Q18_NOT_IMPORTED)
    names = [str((t.get("data") or {}).get("name")) for t in tasks]
    doubled = [n for n in texts if names.count(n) > 1]
    if doubled:
        check.stop(Q18_TWICE, name=doubled[0])
    missing = [n for n in texts if n not in names]
    if missing:
        check.fail(Q18_MISSING_TASKS, count=len(missing), names=", ".join(missing))
    chosen, open_tasks = {}, []
    for task, name in zip(tasks, names):
        if name not in texts:
            continue
        latest = latest_annotation(task) or {}
        topics = [c for r in latest.get("result") or [] if r.get("from_name") == "topic"
                  for c in (r.get("value") or {}).get("choices") or []]
        if topics:
            chosen[name] = topics[0]
        else:
            open_tasks.append(name)
    if open_tasks:
        check.fail(Q18_NOT_ANNOTATED, count=len(open_tasks), names=", ".join(open_tasks))
    gold = _project_gold(check)
    if gold and chosen:
        right = sum(1 for name in chosen if chosen[name] == gold.get(name))
        check.expect(right == len(texts), Q18_SCORE, Q18_SCORE, right=right, count=len(texts))
        for name in texts:
            if name in chosen and chosen[name] != gold[name]:
                check.fail(Q18_DIFFERS, name=name, text=_short(texts[name]), label=chosen[name], expected=gold[name])
    if all(p.ok for p in check.parts):
        check.ok(Q18_OK, count=len(texts), title=title)


HINTS["q17"] = [
    M_("annotation.q17.hint1", "A config has two kinds of tags inside <View>: one that shows the data (here the notice's text) and one that records the answer (here one topic). Read the guideline's table: field, kind of answer, name, options."),
    M_("annotation.q17.hint2", "Look at the photo example above: <Image> shows the picture from $image, <Choices> records one class with one <Choice> per class, and its toName is the name of the <Image> tag. Here the data is text, in the field text."),
    M_("annotation.q17.hint3", "The same shape for another task, the mood of a review: <View><Text name=\"review\" value=\"$review\"/><Choices name=\"mood\" toName=\"review\" choice=\"single\"><Choice value=\"happy\"/><Choice value=\"unhappy\"/></Choices></View>"),
    M_("annotation.q17.hint4", "CONFIG = \"\"\"<View>\n  <Text name=\"text\" value=\"$text\"/>\n  <Choices name=\"topic\" toName=\"text\" choice=\"single\">\n    <Choice value=\"job\"/>\n    <Choice value=\"event\"/>\n    <Choice value=\"housing\"/>\n  </Choices>\n</View>\"\"\""),
]
HINTS["q18"] = [
    M_("annotation.q18.hint1", "The check reads the export: the project's title and config, its tasks, and the topic you submitted for each. Each message above names what is missing; after any change in Label Studio, run the export cell again."),
    M_("annotation.q18.hint2", "set_up makes the project with ls.projects.create (a title and the label_config), then puts the tasks into it with ls.projects.import_tasks (the project's id and request=the list of tasks), and returns the project."),
    M_("annotation.q18.hint3", "The same calls for another project: p = ls.projects.create(title=\"Photos\", label_config=PHOTO_CONFIG), then ls.projects.import_tasks(id=p.id, request=photo_tasks). In Label Studio, open a task, click a topic, press Submit; the next task opens by itself."),
    M_("annotation.q18.hint4", "def set_up(ls, config, tasks):\n    project = ls.projects.create(title=\"Notice topics\", label_config=config)\n    ls.projects.import_tasks(id=project.id, request=tasks)\n    return project"),
]
