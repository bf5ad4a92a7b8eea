"""My progress and portfolio: the page reflects real check results, the certificate renders Ukrainian and Japanese,
a verification code issued from a real nbgrader gradebook is accepted and a forged or altered one is not, and bad
input gets a clear message instead of a traceback."""
import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from graders.cli import main
from graders.labdef import LabDef, all_lab_ids, load_lab
from graders.portfolio import SUMMARY_KEY, fonts
from graders.portfolio.codes import CertificateBook, compute_tag, format_code, parse_code
from graders.portfolio.page import render_page
from graders.portfolio.record import LabResult, PortfolioError, Record, lab_summary, load_course_labs
from graders.progress import ProgressStore
from graders.testing import execute, learner_notebook, prepare_dir, results

pytestmark = pytest.mark.xdist_group("portfolio")  # one worker: the notebook run and the gradebook are made once
NAME_UK = "Олена Коваленко"
STUDENT = "okoval"


def _page_data(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    raw = re.search(r'<script type="application/json" id="portfolio-data">(.*?)</script>', text, re.S).group(1)
    return json.loads(raw.replace("<\\/", "</"))


def _pdf_text(pdf: Path) -> str:
    assert shutil.which("pdftotext"), "pdftotext is missing: install the Debian package poppler-utils (apt.txt)"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(text.split())  # one line: a long title or sentence may wrap on the page


def _pdf_to_png(pdf: Path, folder: Path, stem: str) -> list[Path]:
    """The certificate's pages as PNG, kept under test-artifacts/portfolio/ (git-ignored) for a person to look at."""
    assert shutil.which("pdftoppm"), "pdftoppm is missing: install the Debian package poppler-utils (apt.txt)"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{stem}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(pdf), str(folder / stem)], check=True)
    pages = sorted(folder.glob(f"{stem}-*.png"))
    assert pages and all(p.stat().st_size > 10_000 for p in pages)
    return pages


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    """A learner's workspace after the orientation lab's reference notebook ran (in Ukrainian) and one exercise of
    the AWS lab passed: every check result is in the workspace's progress store."""
    ws = tmp_path_factory.mktemp("learner")
    (ws / ".graders").mkdir()
    lab = load_lab("orientation")
    nb = learner_notebook(lab, "orientation", "uk")
    executed = execute(nb, prepare_dir(lab, ws / "orientation"), env={"GRADERS_WORKSPACE": str(ws)})
    assert all(r.passed for r in results(executed).values())
    ProgressStore(ws / ".graders" / "progress.sqlite").record("aws", "1a", True, [], "uk")   # started, unfinished
    return ws


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("portfolio")


@pytest.mark.slow
def test_the_portfolio_reflects_the_checks_run_in_the_notebook(workspace, portfolio, capsys):
    code = main(["portfolio", "--workspace", str(workspace), "--lang", "uk", "--employer-ja", "--name", NAME_UK,
                 "--out", str(portfolio)])
    shown = capsys.readouterr()
    assert code == 0, shown.err
    # the same lines as `graders progress`, with points
    assert "Ваш поступ у «Знайомство: ваш перший блокнот»: виконано 5 з 5 питань." in shown.out
    assert "Бали: 7 з 7." in shown.out and "Далі: питання 1b." in shown.out
    assert "Traceback" not in shown.out + shown.err

    data = _page_data(portfolio / "portfolio-uk.html")
    labs = {lab["id"]: lab for lab in data["labs"]}
    assert data["source"] == "self-study" and data["name"] == NAME_UK and data["code"] is None
    assert labs["orientation"]["complete"] and labs["orientation"]["points"] == labs["orientation"]["max_points"] == 7
    assert labs["orientation"]["passed"] == labs["orientation"]["questions"] == 5
    assert not labs["aws"]["complete"] and labs["aws"]["started"] and labs["aws"]["points"] == 1
    assert not labs["rpa"]["complete"] and not labs["rpa"]["started"]

    page = (portfolio / "portfolio-uk.html").read_text(encoding="utf-8")
    assert '<tr data-lab="orientation" data-complete="true">' in page
    assert '<tr data-lab="aws" data-complete="false">' in page
    assert "Основи JupyterLab і Python" in page              # what the learner built, from lab.toml [portfolio]
    assert "Запис самостійного навчання" in page             # honest: not verified by an instructor
    # self-contained: nothing to fetch
    assert not re.search(r"""(src|href)=|https?://|@import|url\(""", page)
    ja = (portfolio / "portfolio-ja.html").read_text(encoding="utf-8")
    assert '<html lang="ja">' in ja and "JupyterLab と Python の基本" in ja and "修了" in ja


@pytest.mark.slow
def test_the_certificate_renders_ukrainian_and_japanese(workspace, portfolio, artifacts, capsys):
    if not (portfolio / "certificate-uk-ja.pdf").exists():
        assert main(["portfolio", "--workspace", str(workspace), "--lang", "uk", "--employer-ja", "--name", NAME_UK,
                     "--out", str(portfolio)]) == 0
    pdf = portfolio / "certificate-uk-ja.pdf"
    pages = _pdf_to_png(pdf, artifacts / "portfolio", "self-study-certificate-uk-ja")
    assert len(pages) == 2
    text = _pdf_text(pdf)
    for wanted in ("Сертифікат про завершення навчання", NAME_UK, "Знайомство: ваш перший блокнот",
                   "7 з 7 балів", "Запис самостійного навчання", "Дата видачі:", "修了証明書", "発行日", "オリエンテーション：はじめてのノートブック", "自習の記録", "JupyterLab と Python の基本"):
        assert wanted in text, wanted
    # no tofu: every character on the certificate has a glyph in the embedded fonts
    assert fonts.uncovered(fonts.find_fonts(), text) == set()
    # only the completed lab is certified, and no code pretends to verify a self-study record
    assert "AWS для початківців" not in text
    assert "Код перевірки" not in text and "確認コード：" not in text


def test_no_font_names_the_debian_package(monkeypatch):
    monkeypatch.setattr(fonts, "KNOWN_CJK", [])
    monkeypatch.setattr(fonts, "FC_LIST", "no-such-fc-list")
    with pytest.raises(PortfolioError) as caught:
        fonts.find_fonts()
    assert "fonts-noto-cjk" in caught.value.render("uk") and "японська" in caught.value.render("uk")


# --- instructor: certificates from a real gradebook -----------------------------------------------------------------

def _gradebook(root: Path) -> None:
    """A small real nbgrader gradebook: orientation fully graded, aws half done, rpa not submitted."""
    from nbgrader.api import Gradebook

    root.mkdir(parents=True, exist_ok=True)
    (root / "nbgrader_config.py").write_text('c = get_config()\nc.CourseDirectory.course_id = "digital-skills-day"\n')
    labs = {"orientation": {"orientation": {"q1": 1, "q2": 1, "q3": 1, "q4": 2, "q5": 2}},
            "aws": {"1-basics": {"1a": 1, "1b": 1, "1c": 1}},
            "rpa": {"rpa1_intro": {"q1": 1}}}
    scores = {"orientation": {"q1": 1, "q2": 1, "q3": 1, "q4": 2, "q5": 2}, "aws": {"1a": 1, "1b": 0, "1c": 0}}
    path = os.environ["PATH"]
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{path}"  # nbgrader runs `alembic` for a new db
    try:
        _fill(root, labs, scores)
    finally:
        os.environ["PATH"] = path


def _fill(root: Path, labs: dict, scores: dict) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", "digital-skills-day") as gb:
        for lab, notebooks in labs.items():
            gb.add_assignment(lab)
            for nb, cells in notebooks.items():
                gb.add_notebook(nb, lab)
                for cell, points in cells.items():
                    gb.add_grade_cell(cell, nb, lab, max_score=points, cell_type="code")
        gb.add_student(STUDENT, first_name="Olena", last_name="Kovalenko")
        gb.add_student("other")
        for lab, cells in scores.items():
            gb.add_submission(lab, STUDENT)
            nb = next(iter(labs[lab]))
            for cell, score in cells.items():
                grade = gb.find_grade(cell, nb, lab, STUDENT)
                grade.auto_score = score
                grade.needs_manual_grade = False
        gb.db.commit()


@pytest.fixture(scope="module")
def course_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("class") / "course"
    _gradebook(root)
    return root


@pytest.fixture(scope="module")
def issued(course_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("issued")
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(["certificate", "issue", "--student", STUDENT, "--course-dir", str(course_dir), "--lang", "en",
                     "--employer-ja", "--out", str(out)]) == 0
    code = re.search(r"Verification code: ([0-9A-Z-]+)", buffer.getvalue()).group(1)
    return code, out


def test_issue_from_the_gradebook_and_verify(course_dir, issued, artifacts, capsys):
    code, out = issued
    assert re.fullmatch(r"([0-9A-Z]{4}-){5}[0-9A-Z]{4}", code)
    pdf = next(out.glob("certificate-*-en-ja.pdf"))
    text = _pdf_text(pdf)
    assert "Olena Kovalenko" in text and code in text and "修了証明書" in text and "確認コード" in text
    assert "Self-study" not in text
    _pdf_to_png(pdf, artifacts / "portfolio", "verified-certificate-en-ja")
    assert fonts.uncovered(fonts.find_fonts(), text) == set()
    data = _page_data(next(out.glob("portfolio-*-en.html")))
    assert data["source"] == "gradebook" and data["code"] == code

    assert main(["certificate", "verify", code, "--course-dir", str(course_dir), "--lang", "en"]) == 0
    said = capsys.readouterr().out
    assert said.startswith(f"VALID: certificate {code}")
    assert "Olena Kovalenko (id okoval)" in said
    assert "Orientation: your first notebook: 7 of 7 points, exercises with full points: 5 of 5 — submitted and graded" in said
    assert "AWS for beginners: 1 of 3 points, exercises with full points: 1 of 3 — submitted and graded, below the pass mark" in said
    assert "RPA" in said and "not submitted" in said
    # typed by a person: lower case, spaces, O for 0
    assert main(["certificate", "verify", code.lower().replace("-", " ").replace("0", "o"), "--course-dir",
                 str(course_dir)]) == 0
    capsys.readouterr()


def test_the_certificate_is_in_the_language_the_learner_worked_in(course_dir, tmp_path, monkeypatch, capsys):
    """Without --lang the certificate speaks the learner's language (their graded notebooks say which), while the
    instructor reads the command's answer in their own."""
    import nbformat

    from graders.grade.records import record_path, write_record

    monkeypatch.setenv("GRADERS_LANG", "en")              # the instructor's language
    course = tmp_path / "course"
    shutil.copytree(course_dir, course)
    submitted = course / "submitted" / STUDENT / "orientation" / "orientation.ipynb"
    submitted.parent.mkdir(parents=True)
    nbformat.write(learner_notebook(load_lab("orientation"), "orientation", "uk"), submitted)
    assert main(["certificate", "issue", "--student", STUDENT, "--course-dir", str(course), "--out",
                 str(tmp_path / "from-notebooks")]) == 0
    assert "Verification code:" in capsys.readouterr().out
    assert [p.name.rsplit("-", 1)[1] for p in (tmp_path / "from-notebooks").glob("certificate-*.pdf")] == ["uk.pdf"]
    assert "Сертифікат" in _pdf_text(next((tmp_path / "from-notebooks").glob("certificate-*.pdf")))
    # what `graders grade` read from the notebooks comes first
    write_record(record_path(course, "aws", STUDENT), {"student": STUDENT, "assignment": "aws",
                                                        "notebooks": {"1-basics": {"lang": "ja"}}})
    assert main(["certificate", "issue", "--student", STUDENT, "--course-dir", str(course), "--out",
                 str(tmp_path / "from-records")]) == 0
    assert [p.name.rsplit("-", 1)[1] for p in (tmp_path / "from-records").glob("certificate-*.pdf")] == ["ja.pdf"]
    assert main(["certificate", "issue", "--student", STUDENT, "--course-dir", str(course), "--lang", "en", "--out",
                 str(tmp_path / "chosen")]) == 0
    assert [p.name.rsplit("-", 1)[1] for p in (tmp_path / "chosen").glob("certificate-*.pdf")] == ["en.pdf"]


def test_a_forged_or_altered_code_is_rejected(course_dir, issued, capsys, tmp_path):
    code, _ = issued
    serial, tag = parse_code(code)
    # one character of the tag changed
    wrong = format_code(serial, tag[:-1] + ("1" if tag[-1] != "1" else "2"))
    assert main(["certificate", "verify", wrong, "--course-dir", str(course_dir), "--lang", "en"]) == 1
    assert "NOT VALID" in capsys.readouterr().out
    # a code made with another secret, for the real serial and the real content (a learner's best forgery)
    book = CertificateBook(course_dir)
    record = Record.from_json(book.entries()[serial]["record"])
    forged = format_code(serial, compute_tag(b"guessed secret", serial, record.signed_fields()))
    assert main(["certificate", "verify", forged, "--course-dir", str(course_dir), "--lang", "uk"]) == 1
    assert "НЕДІЙСНИЙ" in capsys.readouterr().out
    # a serial that was never issued
    assert main(["certificate", "verify", format_code("ZZZZZZZZ", tag), "--course-dir", str(course_dir),
                 "--lang", "en"]) == 1
    assert "no certificate with the code" in capsys.readouterr().out

    # the register entry edited afterwards (better points): the code no longer vouches for it
    copy = tmp_path / "course"
    shutil.copytree(course_dir, copy)
    register = copy / "certificates" / "issued.jsonl"
    lines = register.read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        if entry["serial"] == serial:
            for lab in entry["record"]["labs"]:
                if lab["id"] == "aws":
                    lab["points"] = 3.0
    register.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries), encoding="utf-8")
    assert main(["certificate", "verify", code, "--course-dir", str(copy), "--lang", "ja"]) == 1
    said = capsys.readouterr().out
    assert "無効" in said and "書き換えられて" in said


@pytest.mark.parametrize("argv, lang, wanted", [
    (["certificate", "verify", "hello"], "en", "is not a certificate code"),
    (["certificate", "verify", "7K2M-Q9XD-ABCD-EFGH-JKMN-PQR"], "uk", "це не код сертифіката"),
    (["certificate", "issue", "--student", "nobody"], "en", "There is no learner “nobody” in the gradebook"),
])
def test_bad_input_to_the_instructors_commands(course_dir, argv, lang, wanted, capsys):
    assert main([*argv, "--course-dir", str(course_dir), "--lang", lang]) == 2
    shown = capsys.readouterr()
    assert wanted in shown.err and "Traceback" not in shown.err + shown.out


def test_a_folder_without_a_gradebook_or_certificates(tmp_path, capsys):
    empty = tmp_path / "not-a-course"
    empty.mkdir()
    assert main(["certificate", "issue", "--student", STUDENT, "--course-dir", str(empty), "--lang", "en"]) == 2
    assert "There is no nbgrader gradebook in" in capsys.readouterr().err
    assert not (empty / "gradebook.db").exists()          # nbgrader would have made an empty one
    assert main(["certificate", "verify", "7K2M-Q9XD-ABCD-EFGH-JKMN-PQRS", "--course-dir", str(empty),
                 "--lang", "ja"]) == 2
    assert "証明書が発行されていない" in capsys.readouterr().err


def test_a_student_with_nothing_graded_gets_no_certificate(course_dir, capsys):
    assert main(["certificate", "issue", "--student", "other", "--course-dir", str(course_dir), "--lang", "en"]) == 1
    assert "nothing to certify" in capsys.readouterr().err


# --- learner: bad input and labs still being written ----------------------------------------------------------------

def test_no_progress_yet(tmp_path, capsys):
    assert main(["portfolio", "--workspace", str(tmp_path / "nowhere"), "--lang", "uk", "--name", NAME_UK]) == 2
    shown = capsys.readouterr()
    assert "Поступ ще не збережено" in shown.err and "Traceback" not in shown.err
    assert not (tmp_path / "nowhere").exists()             # nothing made by looking


def test_a_damaged_progress_store(tmp_path, capsys):
    (tmp_path / ".graders").mkdir()
    (tmp_path / ".graders" / "progress.sqlite").write_bytes(b"this is not a database" * 100)
    assert main(["portfolio", "--workspace", str(tmp_path), "--lang", "en", "--no-certificate"]) == 2
    assert "cannot be read" in capsys.readouterr().err


def test_no_name_no_certificate_but_a_page(tmp_path, capsys):
    (tmp_path / ".graders").mkdir()
    store = ProgressStore(tmp_path / ".graders" / "progress.sqlite")
    for q in load_lab("orientation").questions:
        store.record("orientation", q, True, [], "en")
    assert main(["portfolio", "--workspace", str(tmp_path), "--lang", "en"]) == 0
    said = capsys.readouterr().out
    assert "--name" in said and (tmp_path / "portfolio" / "portfolio-en.html").exists()
    assert not list((tmp_path / "portfolio").glob("*.pdf"))
    # a name in a script no installed font has: the certificate is made, and the learner is told
    assert main(["portfolio", "--workspace", str(tmp_path), "--lang", "en", "--name", "Olena क"]) == 0
    shown = capsys.readouterr()
    assert "cannot be shown with the fonts" in shown.err and "क" in shown.err
    assert (tmp_path / "portfolio" / "certificate-en.pdf").exists()
    # the name is remembered for next time
    assert main(["portfolio", "--workspace", str(tmp_path), "--lang", "en", "--no-certificate"]) == 0
    assert _page_data(tmp_path / "portfolio" / "portfolio-en.html")["name"] == "Olena क"


def test_a_lab_without_a_portfolio_table_and_a_lab_not_written_yet(tmp_path):
    course = tmp_path / "course"
    course.mkdir()
    (course / "course.toml").write_text('id = "mini"\nlabs = ["orientation", "office-not-written-yet"]\n'
                                        '[title]\nen = "Mini"\nuk = "Міні"\nja = "ミニ"\n', encoding="utf-8")
    loaded = load_course_labs(course)
    assert [lab.id for lab in loaded.labs] == ["orientation"] and "office-not-written-yet" in loaded.skipped
    bare = LabDef("office", tmp_path, {"en": "Office", "uk": "Офіс", "ja": "オフィス"}, ["office"], {}, raw={})
    assert lab_summary(bare) == {}
    record = Record("mini", {"en": "Mini"}, "", "2026-12-02", "self-study",
                    [LabResult("office", bare.title, lab_summary(bare), 3, 3, 4.0, 4.0, True, True)])
    page = render_page(record, "ja")
    assert "オフィス" in page and "このラボの説明はまだありません" in page and "学習ポートフォリオ" in page


@pytest.mark.parametrize("lab_id", all_lab_ids())
def test_a_portfolio_table_has_every_language(lab_id):
    table = load_lab(lab_id).raw.get(SUMMARY_KEY)
    if table is None:
        pytest.skip(f"labs/{lab_id}/lab.toml has no [{SUMMARY_KEY}] table yet (the page shows its title only)")
    assert all(isinstance(table.get(lang), str) and table[lang].strip() for lang in ("en", "uk", "ja")), lab_id
