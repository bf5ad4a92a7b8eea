"""The annotation lab's delivery of outlines as COCO segmentation (q14): the sample file, the choice of source, and
the masks compared with pycocotools."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from graders.labdef import load_lab
from labs.annotation import kit
from labs.annotation.sets import SIGN_PRACTICE
from labs.annotation.solutions import make_delivery

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # pydantic v1 calls inside label-studio-sdk

LAB = load_lab("annotation")


@pytest.fixture
def lab_dir(tmp_path, monkeypatch) -> Path:
    shutil.copytree(LAB.data_dir, tmp_path / "annotation")
    monkeypatch.chdir(tmp_path / "annotation")
    return tmp_path / "annotation"


def convert(lab_dir: Path, source: str, config: str = "configs/polygons.xml") -> None:
    from label_studio_sdk.converter import Converter
    Converter(config=(lab_dir / config).read_text(), project_dir=".", download_resources=False).convert_to_coco(
        source, "delivery/coco_signs", is_dir=False)


def q14(lab_dir: Path, lang: str = "en"):
    from graders import Lab
    return Lab("annotation", lang=lang).evaluate("q14", {}, context={"workdir": lab_dir})


def test_the_sample_is_what_the_script_writes_and_holds_practice_pictures_only():
    shipped = json.loads((LAB.data_dir / "samples" / "polygons_sample.json").read_text(encoding="utf-8"))
    assert shipped == make_delivery.polygons_sample()
    assert [Path(t["data"]["image"]).name for t in shipped] == SIGN_PRACTICE
    interface = kit.label_interface((LAB.data_dir / "configs" / "polygons.xml").read_text())
    for task in shipped:
        assert interface.validate_prediction(task["annotations"][0], return_errors=True) == []


def test_own_outlines_are_delivered_once_there_are_some(lab_dir):
    assert kit.delivery_file(lab_dir, "polygons") == "samples/polygons_sample.json"
    kit.PolygonJob(lab_dir, quiet=True).add("signs_01.png", "stop", [(100, 70), (240, 70), (170, 210)])
    assert kit.delivery_file(lab_dir, "polygons") == "annotations/polygons.json"
    assert kit.delivery_file(lab_dir) == "samples/boxes_sample.json"     # boxes still from their own sample


def test_segmentation_masks_are_compared_with_the_source(lab_dir):
    convert(lab_dir, "samples/polygons_sample.json")
    verdict = q14(lab_dir)
    assert verdict.passed, verdict.to_json()
    # one outline moved in the delivered file: its mask no longer matches
    path = lab_dir / "delivery" / "coco_signs" / "result.json"
    coco = json.loads(path.read_text())
    coco["annotations"][0]["segmentation"][0] = [v + 12 for v in coco["annotations"][0]["segmentation"][0]]
    path.write_text(json.dumps(coco))
    verdict = q14(lab_dir, "ja")
    assert [p.message.id for p in verdict.failures] == ["annotation.q14.mask"]
    # boxes only (the wrong file converted): no segmentation, named as such
    convert(lab_dir, "samples/boxes_sample.json", "configs/boxes.xml")
    assert [p.message.id for p in q14(lab_dir).failures] == ["annotation.q14.no_segmentation"]


# --- entity spans as CoNLL / BIO (q15) -----------------------------------------------------------------------------

def reference_bio():
    from graders.concepts import reference_answers

    answer = next(a for a in reference_answers("annotation") if a.question == "q15")
    namespace: dict = {}
    exec(answer.code, namespace)
    return namespace["bio"]


def q15(lab_dir: Path, lang: str = "en"):
    from graders import Lab
    return Lab("annotation", lang=lang).evaluate("q15", {}, context={"workdir": lab_dir})


def test_tokens_keep_every_gold_entity_whole_in_three_languages():
    """Every gold entity starts and ends on token edges (so BIO can express it); Japanese is split by character,
    Ukrainian quotation marks and full stops are tokens of their own."""
    from labs.annotation import checks
    gold = {**checks.gold("texts"), **json.loads((LAB.path / "hidden" / "q5.json").read_text())["texts"]}
    texts = {t["data"]["name"]: t["data"] for t in kit.read_tasks(LAB.data_dir / "texts" / "texts.json")}
    for tid, g in gold.items():
        toks = kit.tokens(texts[tid]["text"], g["lang"])
        starts, ends = {s for _, s, _ in toks}, {e for _, _, e in toks}
        for span in g["spans"]:
            assert span["start"] in starts and span["end"] in ends, (tid, span)
    assert [t for t, _, _ in kit.tokens("東京で", "ja")] == ["東", "京", "で"]
    assert [t for t, _, _ in kit.tokens("«Мрія Софт» у Фукуоці.", "uk")] == ["«", "Мрія", "Софт", "»", "у", "Фукуоці", "."]


def test_the_texts_sample_is_what_the_script_writes_and_holds_practice_texts_only():
    from labs.annotation.sets import TEXT_PRACTICE
    shipped = json.loads((LAB.data_dir / "samples" / "texts_sample.json").read_text(encoding="utf-8"))
    assert shipped == make_delivery.texts_sample()
    assert [t["data"]["name"] for t in shipped] == TEXT_PRACTICE


def test_bio_delivery_is_read_back_and_compared_with_the_source(lab_dir, capsys):
    docs = kit.documents(kit.delivery_file(lab_dir, "texts"), lab_dir)
    kit.write_conll(docs, reference_bio(), root=lab_dir, lang="uk")
    assert "Збережено в delivery/conll/texts.conll: 6 текстів." in capsys.readouterr().out
    lines = (lab_dir / "delivery" / "conll" / "texts.conll").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["Sakura B-ORG", "Logistics I-ORG", "Ltd I-ORG"]
    assert "東 B-LOC" in lines and "京 I-LOC" in lines
    verdict = q15(lab_dir)
    assert verdict.passed, verdict.to_json()
    # an I- that starts an entity, planted in the file: named with the token
    path = lab_dir / "delivery" / "conll" / "texts.conll"
    path.write_text(path.read_text(encoding="utf-8").replace("Sakura B-ORG", "Sakura I-ORG"), encoding="utf-8")
    failures = q15(lab_dir, "ja").failures
    assert [p.message.id for p in failures] == ["annotation.q15.i_first"] and failures[0].params["token"] == "Sakura"
    # a function that returns too few tags writes nothing and says why
    path.unlink()
    kit.write_conll(docs, lambda tokens, spans: ["O"], root=lab_dir, lang="en")
    assert "one tag per token" in capsys.readouterr().out and not path.exists()
    assert [p.message.id for p in q15(lab_dir).failures] == ["annotation.q15.no_file"]


# --- q16: the photo classes delivered as CSV ---------------------------------------------------------------------------
def q16(lab_dir: Path, lang: str = "en"):
    from graders import Lab
    return Lab("annotation", lang=lang).evaluate("q16", {}, context={"workdir": lab_dir})


def write_csv(lab_dir: Path, text: str) -> None:
    (lab_dir / "delivery").mkdir(exist_ok=True)
    (lab_dir / "delivery" / "classes.csv").write_text(text, encoding="utf-8")


def test_the_classes_sample_is_what_the_script_writes_and_holds_none_of_notebook_2s_photos(lab_dir):
    from labs.annotation.sets import JOBS

    shipped = json.loads((LAB.data_dir / "samples" / "classes_sample.json").read_text(encoding="utf-8"))
    assert shipped == make_delivery.classes_sample()
    assert len(shipped) == 8 and not {Path(t["data"]["image"]).name for t in shipped} & set(JOBS["classes"].items)
    assert kit.delivery_file(lab_dir, "classes") == "samples/classes_sample.json"
    photos = kit.PhotoJob(lab_dir, quiet=True)
    photos.label("horse.jpg", "animal")
    photos.label("coins.jpg", "other")
    assert kit.delivery_file(lab_dir, "classes") == "annotations/classes.json"
    assert kit.classes_chosen("annotations/classes.json", lab_dir) == {"horse.jpg": "animal", "coins.jpg": "other"}


def test_a_csv_table_is_read_as_the_customer_reads_it(lab_dir):
    import pandas as pd

    chosen = kit.classes_chosen("samples/classes_sample.json", lab_dir)
    rows = list(chosen.items())
    (lab_dir / "delivery").mkdir()
    pd.DataFrame({"image": [r[0] for r in rows[::-1]], "class": [r[1] for r in rows[::-1]]}).to_csv(
        lab_dir / "delivery" / "classes.csv", index=False)
    assert q16(lab_dir).passed                        # row order does not matter
    ids = lambda text: (write_csv(lab_dir, text), q16(lab_dir).message_ids(ok=False))[1]   # noqa: E731
    good = "image,class\n" + "".join(f"{i},{c}\n" for i, c in rows)
    assert ids(good.replace("market_01.jpg,person", "market_01.jpg,other")) == ["annotation.q16.differs"]
    assert ids(good + "market_02.jpg,vehicle\n") == ["annotation.q16.double"]
    assert ids(good.replace("market_08.jpg,other\n", "")) == ["annotation.q16.missing"]
    assert ids(good + "cat.jpg,animal\n") == ["annotation.q16.unknown"]
    assert ids(good.replace(",", ";")) == ["annotation.q16.columns"]     # a spreadsheet's semicolons: one column
    assert ids("\n\n") == ["annotation.q16.empty"]
    assert ids("".join(f"{i},{c}\n" for i, c in rows)) == ["annotation.q16.no_header"]
    assert ids(good.replace("market_03.jpg,animal", "market_03.jpg,Animal")) == ["annotation.q16.label"]
    write_csv(lab_dir, good.replace("market_03.jpg,animal", "market_03.jpg,Animal"))
    verdict = q16(lab_dir, "uk")
    from graders.render import as_text
    assert "не назва класу з інструкції" in as_text(verdict, "uk")
