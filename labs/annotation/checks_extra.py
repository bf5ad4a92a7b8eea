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
