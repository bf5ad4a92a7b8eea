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
