"""The class hub for real, in a browser: JupyterHub + configurable-http-proxy on 127.0.0.1, real Unix users, Debian's
chromium driven by Playwright.

One class day: the instructor releases the orientation lab; a Ukrainian and a Japanese learner log in, fetch it,
answer, run the checks (and see them in their language), submit; the instructor collects, autogrades, and releases
feedback; the gradebook has both learners with the expected scores; each learner opens their feedback. Then: one
learner cannot read the other's home, submission or exchange inbox, nor the instructor's grading-only data; and the
hub stops cleanly, its people removed. Screenshots of every step go to test-artifacts/hub/.

Needs root (Unix users) and the hub's environment (``hub/install.sh``, which ``make test`` runs).
"""
from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import time
import urllib.error
from pathlib import Path

import nbformat
import pytest

from graders.hub.local import LocalHub, Person
from graders.hub.roster import unix_user
from graders.render import TITLE_PASSED
from graders.testing import reference_answers
from labs.orientation import checks as orientation

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("class-hub")]

HUB_ENV = Path("/opt/digital-skills-hub/venv")
CHROMIUM = "/usr/bin/chromium"
LAB = "orientation"
ROW = f"tr:has-text('{LAB}')"   # the course has several labs: act on this lab's row, not the first one
COURSE = "digital-skills-day"
POINTS = {"q1": 1, "q2": 1, "q3": 1, "q4": 2, "q5": 2}
SHORT = 60_000   # ms: a page, a button (generous: the test machine's 2 cores are shared with other test workers)
LONG = 180_000   # ms: a server start, a notebook run, an autograde


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "the class hub makes Unix users: run as root"
    if not (HUB_ENV / "bin" / "jupyterhub").exists():
        return f"the hub's environment is missing: run `sudo hub/install.sh` ({HUB_ENV})"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt.txt)"
    return None


if _missing():
    # CI (make test, as root, after hub/install.sh) must run these: a missing piece there is a failure, not a skip.
    if os.environ.get("CI"):
        raise RuntimeError(f"tests/test_hub_e2e.py cannot run in CI: {_missing()}")
    pytestmark.append(pytest.mark.skip(reason=_missing()))


@pytest.fixture(scope="module")
def hub():
    tag = LocalHub.suffix()
    people = [
        Person(f"sato-{tag}", "teacher-pw-" + tag, "en", "instructor", "Ms Sato"),
        Person(f"olena-{tag}", "olena-pw-" + tag, "uk", "learner", "Olena K."),
        Person(f"taro-{tag}", "taro-pw-" + tag, "ja", "learner", "Taro Y."),
    ]
    local = LocalHub(people, hub_env=HUB_ENV)
    try:
        local.add_people()
        local.start()
        yield local
    finally:
        local.stop()
        _keep_log(local)
        local.remove()


def _keep_log(hub: LocalHub) -> None:
    """The hub's log (JupyterHub, the proxy, every JupyterLab) next to the screenshots."""
    if hub.log_path.exists():
        folder = Path(__file__).resolve().parents[1] / "test-artifacts" / "hub"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(hub.log_path, folder / "hub.log")


@pytest.fixture(scope="module")
def shots(request):
    folder = Path(__file__).resolve().parents[1] / "test-artifacts" / "hub"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    counter = iter(range(1, 100))

    def shot(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{next(counter):02d}-{name}.png"))

    return shot


def _visible(text: str) -> str:
    """A message as the learner reads it on the page (`code` is rendered without its backticks)."""
    return re.sub(r"`([^`]*)`", r"\1", text)


# JupyterLab is up when its menu bar is there. (Not the Launcher: JupyterLab restores the learner's last layout, and
# after an earlier test opened a notebook for the same learner the Launcher is not shown at all.)
LAB_READY = ".lm-MenuBar-item"


def _login(browser, hub: LocalHub, person: Person, shot, step: str):
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    if step:
        shot(page, f"{step}-login-page")
    page.fill("#username_input", person.username)
    page.fill("#password_input", person.password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf".*/user/{person.username}/lab.*"), timeout=LONG)
    page.wait_for_selector(LAB_READY, timeout=LONG)
    return page


def _open_assignment_list(page):
    page.click(".lm-MenuBar-item:has-text('Nbgrader')")
    page.click(".lm-Menu-item:has-text('Assignment List')")
    page.wait_for_selector("#released_assignments_list_loading[hidden]", state="attached", timeout=SHORT)


def _formgrader_action(page, selector: str) -> str:
    page.click(selector)
    page.wait_for_selector(".modal .modal-body", timeout=LONG)
    text = page.locator(".modal .modal-body").inner_text()
    page.click(".modal .modal-footer .close")
    page.wait_for_selector(".modal", state="detached", timeout=SHORT)
    return text


def _answers(hub: LocalHub, wrong: dict[str, str]) -> dict[str, str]:
    source = nbformat.read(hub.home(hub.people[0].username) / COURSE / "source" / LAB / f"{LAB}.ipynb", as_version=4)
    answers = reference_answers(source)
    answers.update(wrong)
    return answers


def _learner_works(browser, hub: LocalHub, person: Person, answers: dict[str, str], shot, step: str):
    """Log in, fetch, answer every question in the browser, run the notebook, submit. Returns the page."""
    page = _login(browser, hub, person, shot, "")
    shot(page, f"{step}-{person.lang}-jupyterlab")
    _open_assignment_list(page)
    page.click(f"#released_assignments_list .list_item:has-text('{LAB}') button:has-text('Fetch')")
    page.wait_for_selector("#fetched_assignments_list .list_item button:has-text('Submit')", timeout=LONG)
    shot(page, f"{step}-{person.lang}-fetched")

    # The fetched copy is in the learner's language (our localizing fetch), with the language-neutral checks.
    nb = nbformat.read(hub.home(person.username) / LAB / f"{LAB}.ipynb", as_version=4)
    assert nb.metadata["graders"]["languages"] == [person.lang]
    grade_ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]

    page.goto(f"{hub.url}/user/{person.username}/lab/tree/{LAB}/{LAB}.ipynb")
    page.wait_for_function(f"document.querySelectorAll('.jp-Notebook .jp-Cell').length >= {len(nb.cells)}",
                           timeout=LONG)   # cells appear one after another on a slow machine
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=LONG)
    cells = page.locator(".jp-Notebook .jp-Cell")
    assert cells.count() == len(nb.cells)
    for grade_id, answer in answers.items():
        index = grade_ids.index(grade_id)
        editor = cells.nth(index).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        page.keyboard.press("Control+a")
        page.keyboard.insert_text(answer)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    # Run the notebook from the top as the first page of the notebook says: Shift+Enter on every cell (the last one
    # with Ctrl+Enter, so that no empty cell is added below it).
    cells.nth(0).locator(".jp-InputPrompt").click()
    for _ in range(len(nb.cells) - 1):
        page.keyboard.press("Shift+Enter")
    page.keyboard.press("Control+Enter")
    page.wait_for_function("document.querySelectorAll('.jp-Notebook .graders-verdict').length >= 5", timeout=LONG)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=LONG)
    page.keyboard.press("Control+s")
    page.wait_for_selector(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty", state="detached", timeout=SHORT)  # saved
    verdicts = page.locator(".jp-Notebook .graders-verdict")
    verdicts.nth(2).scroll_into_view_if_needed()
    shot(page, f"{step}-{person.lang}-checks")
    seen = {v.get_attribute("lang") for v in verdicts.all()}
    assert seen == {person.lang}, seen

    _open_assignment_list(page)
    page.click("#fetched_assignments_list button:has-text('Submit')")
    page.wait_for_selector("#submitted_assignments_list .list_item", timeout=LONG)
    shot(page, f"{step}-{person.lang}-submitted")
    return page, [v.inner_text() for v in verdicts.all()], [v.get_attribute("data-passed") for v in verdicts.all()]


def test_a_class_day_in_the_browser(hub, shots):
    from playwright.sync_api import sync_playwright

    teacher, olena, taro = hub.people
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            # 1. The instructor logs in (English), opens the Formgrader and releases the orientation lab.
            page = _login(browser, hub, teacher, shots, "01")
            page.click(".lm-MenuBar-item:has-text('Nbgrader')")
            items = page.locator(".lm-Menu-item").all_inner_texts()
            assert any("Formgrader" in i for i in items), items   # instructors get the Formgrader ...
            page.keyboard.press("Escape")
            shots(page, "02-instructor-jupyterlab")
            page.goto(f"{hub.url}/user/{teacher.username}/formgrader")
            page.wait_for_selector(f"{ROW} td.release a", timeout=LONG)
            assert "Successfully released" in _formgrader_action(page, f"{ROW} td.release a")
            shots(page, "03-instructor-released")
            instructor_page = page

            # 2. Olena (Ukrainian) does everything right; Taro (Japanese) hands in one text instead of a list for q3.
            answers_ok = _answers(hub, {})
            q3_wrong = 'languages = "Ukrainian, English, Japanese"'
            pages = {}
            for person, answers, step in ((olena, answers_ok, "04"), (taro, _answers(hub, {"q3_answer": q3_wrong}), "05")):
                page, texts, passed = _learner_works(browser, hub, person, answers, shots, step)
                pages[person.username] = page
                assert _visible(TITLE_PASSED.render(person.lang, question="q1")) in texts[0]
                if person is olena:
                    assert passed == ["true"] * 5
                    assert _visible(orientation.Q1_OK.render("uk")) in texts[0]
                else:
                    assert passed == ["true", "true", "false", "true", "true"]
                    assert _visible(orientation.Q3_ONE_TEXT.render("ja")) in texts[2]
                # ... learners do not: their Nbgrader menu has the assignment list only.
                page.click(".lm-MenuBar-item:has-text('Nbgrader')")
                assert not any("Formgrader" in i for i in page.locator(".lm-Menu-item").all_inner_texts())
                page.keyboard.press("Escape")

            # 3. The instructor collects, autogrades both, and generates and releases the feedback.
            page = instructor_page
            page.goto(f"{hub.url}/user/{teacher.username}/formgrader")
            page.wait_for_selector(f"{ROW} td.collect a", timeout=LONG)
            assert "Successfully collected" in _formgrader_action(page, f"{ROW} td.collect a")
            page.goto(f"{hub.url}/user/{teacher.username}/formgrader/manage_submissions/{LAB}")
            page.wait_for_selector("td.autograde a", timeout=LONG)
            assert page.locator("td.autograde a").count() == 2
            for i in range(2):
                assert "Successfully autograded" in _formgrader_action(page, f"tr:nth-child({i + 1}) td.autograde a")
            page.reload()
            page.wait_for_selector("td.score", timeout=LONG)
            shots(page, "06-instructor-autograded")
            page.goto(f"{hub.url}/user/{teacher.username}/formgrader/gradebook/{LAB}/{LAB}")
            page.wait_for_selector("td.score", timeout=LONG)
            page.click("button:has-text('Show All Names')")
            page.wait_for_selector(f"td:has-text('{taro.username}')", timeout=SHORT)
            shots(page, "07-instructor-gradebook")
            page.goto(f"{hub.url}/user/{teacher.username}/formgrader")
            page.wait_for_selector(f"{ROW} td.generate-feedback a", timeout=LONG)
            assert "Successfully generated feedback" in _formgrader_action(page, f"{ROW} td.generate-feedback a")
            page.reload()
            page.wait_for_selector(f"{ROW} td.release-feedback a", timeout=LONG)
            assert "Successfully released feedback" in _formgrader_action(page, f"{ROW} td.release-feedback a")
            shots(page, "08-instructor-feedback-released")

            # 4. The gradebook: one row per learner, with the expected scores.
            scores = _gradebook_scores(hub, teacher.username)
            assert scores == {olena.username: 7.0, taro.username: 7.0 - POINTS["q3"]}, scores

            # 5. Each learner fetches their feedback and reads it, in their own language.
            for person, step, expected in ((olena, "09", orientation.Q1_OK), (taro, "10", orientation.Q3_ONE_TEXT)):
                page = pages[person.username]
                _open_assignment_list(page)
                page.click("#submitted_assignments_list button:has-text('Fetch Feedback')")
                page.wait_for_selector("#submitted_assignments_list a:has-text('view feedback')", timeout=LONG)
                shots(page, f"{step}-{person.lang}-feedback-fetched")
                feedback = sorted((hub.home(person.username) / LAB / "feedback").glob(f"*/{LAB}.html"))
                assert len(feedback) == 1
                relative = feedback[0].relative_to(hub.home(person.username))
                page.goto(f"{hub.url}/user/{person.username}/files/{relative}")
                page.wait_for_selector(".graders-verdict", timeout=SHORT)
                body = page.locator("body").inner_text()
                assert _visible(expected.render(person.lang)) in body
                question = "q1" if person is olena else "q3"
                page.locator(f".graders-verdict >> nth={int(question[1]) - 1}").scroll_into_view_if_needed()
                shots(page, f"{step}-{person.lang}-feedback")
        except Exception:
            for i, context in enumerate(browser.contexts):   # what each person's browser showed when it failed
                for j, page in enumerate(context.pages):
                    try:
                        shots(page, f"failure-{i}-{j}")
                    except Exception:  # noqa: BLE001
                        pass
            raise
        finally:
            browser.close()


def _gradebook_scores(hub: LocalHub, instructor: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    db = hub.home(instructor) / COURSE / "gradebook.db"
    with Gradebook(f"sqlite:///{db}", course_id=COURSE) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(LAB)}


# --- who can read what ------------------------------------------------------------------------------------------------

PROBE = r'''
import json, os, sys
out = {}
for path in json.loads(sys.argv[1]):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            open(path, "rb").read(1)
        out[path] = "read"
    except PermissionError:
        out[path] = "denied"
    except FileNotFoundError:
        out[path] = "missing"
print(json.dumps(out))
'''


def _probe(user: str, paths: list[Path]) -> dict[str, str]:
    """Try to read each path as ``user`` (a real login of theirs would do the same)."""
    proc = subprocess.run(["runuser", "-u", user, "--", str(HUB_ENV / "bin" / "python"), "-c", PROBE,
                           json.dumps([str(p) for p in paths])], capture_output=True, text=True, timeout=60,
                          cwd="/")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _ensure_submitted(hub: LocalHub, person: Person) -> None:
    """The permission checks need the learner's submission; the browser test made it, unless it was deselected."""
    inbound = hub.state.exchange / COURSE / "inbound"
    if inbound.is_dir() and any(p.name.startswith(f"{person.username}+{LAB}+") for p in inbound.iterdir()):
        return
    teacher = hub.people[0]
    outbound = hub.state.exchange / COURSE / "outbound" / LAB
    nbgrader = [str(HUB_ENV / "bin" / "python"), "-m", "nbgrader"]
    env = ["env", f"NBGRADER_EXCHANGE_ROOT={hub.state.exchange}", f"NBGRADER_COURSE_ID={COURSE}",
           f"PATH={HUB_ENV / 'bin'}:/usr/bin:/bin", f"HOME={hub.home(person.username)}", f"GRADERS_LANG={person.lang}"]
    if not outbound.is_dir():
        subprocess.run(["runuser", "-u", teacher.username, "--", *env[:-2], f"HOME={hub.home(teacher.username)}",
                        *nbgrader, "release_assignment", LAB], check=True, capture_output=True,
                       cwd=hub.home(teacher.username) / COURSE)
    verbs = ["submit"] if (hub.home(person.username) / LAB).is_dir() else ["fetch_assignment", "submit"]
    for verb in verbs:
        subprocess.run(["runuser", "-u", person.username, "--", *env, *nbgrader, verb, LAB],
                       check=True, capture_output=True, cwd=hub.home(person.username))


def test_a_learner_cannot_read_another_learners_work_or_the_grading_data(hub):
    teacher, olena, taro = hub.people
    for person in (olena, taro):
        _ensure_submitted(hub, person)
    inbound = hub.state.exchange / COURSE / "inbound"
    taro_submission = next(p for p in inbound.iterdir() if p.name.startswith(f"{taro.username}+{LAB}+"))
    repo = Path(__file__).resolve().parents[1]
    taro_home = hub.home(taro.username)
    others = [
        taro_home,                                                    # the other learner's home
        taro_home / LAB / f"{LAB}.ipynb",                             # ... their notebook
        taro_home / ".local" / "share" / "digital-skills-labs",       # ... their progress and lab services' state
        taro_home / ".local" / "share" / "jupyter" / "nbgrader_cache",  # ... their own copy of what they submitted
        inbound,                                                      # the exchange inbox (no listing)
        taro_submission / f"{LAB}.ipynb",                             # ... their submission, even knowing its name
        taro_submission,
        hub.home(teacher.username) / COURSE / "source" / LAB / f"{LAB}.ipynb",  # hidden tests, reference answers
        hub.home(teacher.username) / COURSE / "gradebook.db",
        repo / "labs" / LAB / "hidden" / "q4.json",                   # grading-only data in the course checkout
    ]
    shared = [hub.state.exchange / COURSE / "outbound" / LAB / f"{LAB}.ipynb"]  # what everyone may read
    seen = _probe(olena.username, others + shared)
    assert {p: seen[str(p)] for p in others} == {p: "denied" for p in others}
    assert seen[str(shared[0])] == "read"
    # Taro himself can read his own work (the denials above are about who asks, not about missing files).
    mine = [p for p in (taro_home / LAB / f"{LAB}.ipynb", taro_home / ".local" / "share" / "digital-skills-labs")
            if p.exists()]
    own = _probe(taro.username, mine)
    assert len(own) >= 1 and set(own.values()) == {"read"}, own
    # The learners' environment holds no grading-only data and no reference solutions at all.
    import_check = subprocess.run(
        ["runuser", "-u", olena.username, "--", str(HUB_ENV / "bin" / "python"), "-I", "-c",
         "import labs, pathlib; r = pathlib.Path(labs.__file__).parent; "
         "print(sorted(str(p) for n in ('hidden', 'notebooks', 'variants') for p in r.glob('*/' + n)))"],
        capture_output=True, text=True, cwd="/")
    assert import_check.stdout.strip() == "[]", import_check.stdout + import_check.stderr


def test_the_hub_listens_on_loopback_only(hub):
    listening = subprocess.run(["ss", "-Htlnp"], capture_output=True, text=True).stdout.splitlines()
    ours = [line for line in listening if any(f":{port} " in line for port in (hub.port, hub.hub_port, hub.proxy_api_port))]
    assert len(ours) == 3, listening
    assert all(" 127.0.0.1:" in line for line in ours), ours


def _cmdline(pid: int) -> str:
    try:
        status = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":\t" in line)
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        return f"{status.get('Name')} {status.get('State')} ppid={status.get('PPid')} {cmd}"
    except OSError:
        return f"{pid} (gone)"


def _ensure_running(hub: LocalHub, names: list[str]) -> None:
    """Start these people's JupyterLab through the hub's API unless it runs (the browser test started them, unless
    this test runs on its own)."""
    known = {u["name"]: u for u in hub.api("GET", "/users")}
    for name in names:
        if name not in known:
            hub.api("POST", f"/users/{name}", {})   # the hub knows people from their first login on
        if not (known.get(name, {}).get("servers") or {}).get(""):
            hub.api("POST", f"/users/{name}/server", {})
    deadline = time.monotonic() + LONG / 1000
    for name in names:
        while not (hub.api("GET", f"/users/{name}").get("servers", {}).get("") or {}).get("ready"):
            assert time.monotonic() < deadline, f"{name}'s server did not start"
            time.sleep(0.5)


def test_learners_run_with_memory_and_process_limits(hub):
    learner = hub.people[1].username
    _ensure_running(hub, [learner])
    pids = hub.people_pids()[learner]
    limits = {}
    for pid in pids:
        try:
            limits[pid] = Path(f"/proc/{pid}/limits").read_text()
        except FileNotFoundError:
            continue
    assert limits
    for text in limits.values():   # JupyterLab, its kernels, the wrapper: every process of the learner
        data = next(line for line in text.splitlines() if line.startswith("Max data size")).split()
        procs = next(line for line in text.splitlines() if line.startswith("Max processes")).split()
        assert data[3:5] == [str(3 * 1024**3)] * 2, data
        assert procs[2:4] == ["768", "768"], procs


def _release_and_fetch(hub: LocalHub, person: Person, lab: str) -> None:
    """The instructor releases ``lab`` and ``person`` fetches it (nbgrader's commands, as each of them)."""
    teacher = hub.people[0]
    nbgrader = [str(HUB_ENV / "bin" / "python"), "-m", "nbgrader"]
    env = ["env", f"NBGRADER_EXCHANGE_ROOT={hub.state.exchange}", f"NBGRADER_COURSE_ID={COURSE}",
           f"PATH={HUB_ENV / 'bin'}:/usr/bin:/bin"]
    if not (hub.state.exchange / COURSE / "outbound" / lab).is_dir():
        subprocess.run(["runuser", "-u", teacher.username, "--", *env, f"HOME={hub.home(teacher.username)}",
                        *nbgrader, "release_assignment", lab], check=True, capture_output=True,
                       cwd=hub.home(teacher.username) / COURSE)
    if not (hub.home(person.username) / lab).is_dir():
        subprocess.run(["runuser", "-u", person.username, "--", *env, f"HOME={hub.home(person.username)}",
                        f"GRADERS_LANG={person.lang}", *nbgrader, "fetch_assignment", lab],
                       check=True, capture_output=True, cwd=hub.home(person.username))


def test_a_ukrainian_learner_opens_the_practice_company_from_the_rpa1_link(hub, shots):
    """Olena runs the rpa1 cell that shows the link to the practice company, opens it (a new tab, through her own
    JupyterLab on the hub) and logs in with the robot's user name and password the same cell printed."""
    from playwright.sync_api import sync_playwright

    from labs.rpa.ui_text import TEXT

    olena = hub.people[1]
    _release_and_fetch(hub, olena, "rpa")
    notebook = hub.home(olena.username) / "rpa" / "rpa1_intro.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if 'show_link("rpa_app"' in c.source)
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
            page.goto(f"{hub.url}/hub/login")
            page.fill("#username_input", olena.username)
            page.fill("#password_input", olena.password)
            page.click("#login_submit")   # her JupyterLab may run already (the class day): it opens as she left it
            page.wait_for_url(re.compile(rf".*/user/{olena.username}/lab.*"), timeout=LONG)
            page.goto(f"{hub.url}/user/{olena.username}/lab/tree/rpa/rpa1_intro.ipynb")
            page.wait_for_function(f"document.querySelectorAll('.jp-Notebook .jp-Cell').length >= {len(nb.cells)}",
                                   timeout=LONG)
            page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=LONG)
            shown = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"   # other notebooks may be open in tabs
            page.wait_for_function(f"document.querySelectorAll('{shown} .jp-Cell').length >= {len(nb.cells)}",
                                   timeout=LONG)
            cell = page.locator(f"{shown} .jp-Cell").nth(index)
            cell.scroll_into_view_if_needed()
            link = cell.locator(".jp-OutputArea a[href*='/practice-company/']")
            for _ in range(3):   # run this one cell (a key press before the kernel is connected goes nowhere)
                cell.locator(".jp-InputPrompt").click()
                page.keyboard.press("Control+Enter")
                try:
                    link.wait_for(timeout=SHORT)
                    break
                except Exception:  # noqa: BLE001
                    if cell.locator(".jp-InputPrompt").inner_text().strip() not in ("[ ]:", ""):
                        link.wait_for(timeout=LONG)   # it ran (or runs): wait for the link
                        break
            link.wait_for(timeout=SHORT)
            output = cell.locator(".jp-OutputArea").inner_text()
            user = re.search(r"User name:\s+(\S+)", output).group(1)
            password = re.search(r"Password:\s+(\S+)", output).group(1)
            href = link.get_attribute("href")
            assert href == f"{hub.url}/user/{olena.username}/practice-company/login", href   # its named route
            link.scroll_into_view_if_needed()
            shots(page, "rpa-uk-link-in-rpa1")
            with page.context.expect_page() as opened:
                link.click()
            site = opened.value
            site.wait_for_selector("#username", timeout=LONG)
            assert TEXT["uk"]["login_title"] in site.locator("h1").inner_text()
            shots(site, "rpa-uk-practice-company-login")
            site.fill("#username", user)
            site.fill("#password", password)
            site.click("button[type=submit]")
            site.wait_for_url(re.compile(rf".*/user/{olena.username}/practice-company/menu$"), timeout=SHORT)
            assert site.locator("h1").inner_text() == TEXT["uk"]["welcome"].format(user=user)
            site.click(f"a:has-text('{TEXT['uk']['history']}')")     # a link of the app, still behind the proxy
            site.wait_for_url(re.compile(rf".*/user/{olena.username}/practice-company/orders$"), timeout=SHORT)
            shots(site, "rpa-uk-practice-company-orders")
        except Exception:
            for i, context in enumerate(browser.contexts):
                for j, shown in enumerate(context.pages):
                    try:
                        shots(shown, f"failure-rpa-{i}-{j}")
                    except Exception:  # noqa: BLE001
                        pass
            raise
        finally:
            browser.close()


LABEL_STUDIO_PUSH = r"""
import contextlib, io, json, re, sys
from graders import Lab
from labs.annotation import kit
lab = Lab("annotation")
boxes = kit.BoxJob(lang=lab.lang)
for item, label, x, y, width, height in json.loads(sys.argv[1]):   # boxes drawn in the notebook before
    boxes.add(item, label, x=x, y=y, width=width, height=height)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    url = boxes.to_label_studio(lab)   # what the notebook's Label Studio cell runs
handle = lab.service("labelstudio")
print(json.dumps({"url": url, "printed": out.getvalue(), "username": handle["username"],
                  "password": handle["password"], "items": list(boxes.job.items), "size": boxes.size("street_01.png")}))
"""

LABEL_STUDIO_PULL = r"""
import contextlib, io, json
from graders import Lab
from labs.annotation import kit
lab = Lab("annotation")
boxes = kit.BoxJob(lang=lab.lang)
out = io.StringIO()
with contextlib.redirect_stdout(out):
    boxes.from_label_studio(lab)   # the notebook's next cell
verdict = lab.evaluate("q3", {"lab": lab, "boxes": boxes})   # then the boxes check above it, run again
print(json.dumps({"printed": out.getvalue(), "results": boxes.results, "passed": verdict.passed,
                  "parts": [[p.ok, p.message.id] for p in verdict.parts]}))
"""

# The boxes exercise's reference (labs/annotation/notebooks/boxes.md): street_01 is drawn in Label Studio's editor,
# the rest in the notebook first (they travel with the job as Taro's annotations).
IN_LABEL_STUDIO = [("person", 62, 72, 66, 140), ("person", 491, 80, 58, 125), ("car", 220, 250, 210, 122),
                   ("bicycle", 462, 301, 157, 91)]
IN_THE_NOTEBOOK = [
    ("street_02.png", "person", 433, 78, 58, 122), ("street_02.png", "person", 283, 150, 70, 87),
    ("street_02.png", "car", 200, 237, 232, 135), ("street_02.png", "car", 522, 220, 118, 116),
    ("street_03.png", "person", 119, 78, 62, 132), ("street_03.png", "bicycle", 274, 137, 157, 91),
    ("street_03.png", "car", 300, 195, 180, 105), ("street_03.png", "car", 392, 252, 224, 130),
    ("street_03.png", "person", 0, 160, 52, 170), ("street_04.png", "person", 233, 168, 70, 150)]


def _settled_picture(page, natural_width: int) -> dict:
    """Where Label Studio's editor shows the task's picture: its <img> fully loaded (natural width as sent) and its
    rectangle on the page unchanged over five checks 200 ms apart."""
    page.wait_for_function("""(w) => {
        const img = [...document.querySelectorAll('img')].find(e => e.complete && e.naturalWidth === w
                                                                   && e.getBoundingClientRect().width > 400);
        if (!img) { window.__seen = null; return false; }
        const r = img.getBoundingClientRect(), now = [r.x, r.y, r.width, r.height].join();
        window.__same = window.__seen === now ? (window.__same || 0) + 1 : 0;
        window.__seen = now;
        return window.__same >= 5;
    }""", arg=natural_width, polling=200, timeout=LONG)
    return page.evaluate("""(w) => { const r = [...document.querySelectorAll('img')].find(e => e.complete
        && e.naturalWidth === w && e.getBoundingClientRect().width > 400).getBoundingClientRect();
        return {x: r.x, y: r.y, width: r.width, height: r.height}; }""", natural_width)


def test_a_japanese_learner_opens_label_studio_from_the_annotation_link(hub, shots):
    """Taro sends the boxes job to Label Studio the way the annotation notebook's cell does (as himself, in his hub
    home, with his JupyterLab's proxy address): the printed link is Label Studio's named route in his JupyterLab;
    in the browser, logged in to the hub, he opens it, logs in to Label Studio with the printed e-mail and password,
    sees his project's items, and Label Studio's API answers his browser session through the proxy; he draws the
    first picture's four boxes in Label Studio's editor and submits; the next cell brings them back and the boxes
    check passes. No page of Label Studio opens a websocket. His assignment list shows no Validate button.
    Needs the hub's own Label Studio (hub/install.sh)."""
    from playwright.sync_api import sync_playwright

    from labs.annotation.studio import PULLED

    taro = hub.people[2]
    assert (Path(str(HUB_ENV) + "-labelstudio") / "template" / "label_studio.sqlite3").exists(), \
        "hub/install.sh installs Label Studio beside the hub's environment"
    _ensure_running(hub, [taro.username])
    _release_and_fetch(hub, taro, "annotation")
    env = {"GRADERS_LANG": "ja", "GRADERS_PUBLIC_URL": hub.url, "GRADERS_WORKSPACE": str(hub.home(taro.username)),
           "JUPYTERHUB_SERVICE_PREFIX": f"/user/{taro.username}/"}   # as in his JupyterLab's kernel
    work = hub.home(taro.username) / "annotation"
    pushed = json.loads(_as(hub, taro.username, LABEL_STUDIO_PUSH, json.dumps(IN_THE_NOTEBOOK), env=env, cwd=work))
    url = pushed["url"]
    assert re.fullmatch(rf"{re.escape(hub.url)}/user/{taro.username}/labelstudio/projects/\d+/data", url), pushed
    assert url in pushed["printed"] and "ブラウザー" in pushed["printed"], pushed["printed"]
    prefix = url.rsplit("/projects/", 1)[0]
    project = int(url.rsplit("/", 2)[1])
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
            try:
                page = browser.new_context(viewport={"width": 1280, "height": 860}).new_page()
                sockets = []
                page.on("websocket", lambda ws: sockets.append(ws.url))
                page.goto(f"{hub.url}/hub/login")
                page.fill("#username_input", taro.username)
                page.fill("#password_input", taro.password)
                page.click("#login_submit")
                page.wait_for_url(re.compile(rf".*/user/{taro.username}/lab.*"), timeout=LONG)
                page.goto(url)   # Label Studio asks for its own login first, under the proxy path
                page.wait_for_selector("input[name=email]", timeout=LONG)
                assert page.url.startswith(prefix + "/user/login"), page.url
                shots(page, "labelstudio-ja-login")
                page.fill("input[name=email]", pushed["username"])
                page.fill("input[name=password]", pushed["password"])
                page.click("button[type=submit], input[type=submit]")
                page.wait_for_url(lambda u: "/login" not in u, timeout=LONG)
                if f"/projects/{project}/data" not in page.url:
                    page.goto(url)
                assert page.url.startswith(prefix + f"/projects/{project}/data"), page.url
                page.wait_for_selector(f"text={pushed['items'][0]}", timeout=LONG)   # the job's pictures, by name
                shots(page, "labelstudio-ja-project-data")
                # Label Studio's API, reached by the browser's session through the proxy
                api = page.evaluate("""async (u) => { const r = await fetch(u); return [r.status, await r.json()]; }""",
                                    f"{prefix}/api/projects/{project}/tasks?page_size=100")
                assert api[0] == 200, api
                tasks = api[1]["tasks"] if isinstance(api[1], dict) and "tasks" in api[1] else api[1]
                task = next(t for t in tasks if t["data"]["name"] == pushed["items"][0])
                # the first picture, in Label Studio's own editor: the label "person" (its key 1), a box drawn
                # with the mouse, Submit
                page.goto(f"{url}?task={task['id']}")
                button = page.locator("button:has-text('Submit')")
                button.wait_for(timeout=LONG)
                # the picture as shown: loaded at its own size, and its place on the page settled (the editor lays
                # itself out in steps: panels and the annotation tab arrive after the image; measured too early, all
                # four boxes came out shifted on a loaded machine)
                shown_box = _settled_picture(page, pushed["size"][0])
                scale_x, scale_y = shown_box["width"] / pushed["size"][0], shown_box["height"] / pushed["size"][1]
                keys = {"person": "1", "car": "2", "bicycle": "3"}   # the labels' keys, in the job's order
                for label, x, y, width, height in IN_LABEL_STUDIO:
                    page.keyboard.press(keys[label])
                    x0, y0 = shown_box["x"] + x * scale_x, shown_box["y"] + y * scale_y
                    x1, y1 = shown_box["x"] + (x + width) * scale_x, shown_box["y"] + (y + height) * scale_y
                    page.mouse.move(x0, y0)
                    page.mouse.down()
                    for step in range(1, 11):
                        page.mouse.move(x0 + (x1 - x0) * step / 10, y0 + (y1 - y0) * step / 10)
                    page.mouse.up()
                    page.wait_for_timeout(300)
                shots(page, "labelstudio-ja-box-drawn")
                button.click()
                page.wait_for_function("""async (u) => { const r = await fetch(u); const t = await r.json();
                    return t.total_annotations === 1; }""", arg=f"{prefix}/api/tasks/{task['id']}", timeout=SHORT)
                shots(page, "labelstudio-ja-task")
                # Label Studio's UI talks plain HTTP (no websocket: hub-services-14 note); JupyterLab's own may open
                assert not [u for u in sockets if "/labelstudio/" in u], sockets
                # his assignment list: the fetched lab's notebooks, without nbgrader's Validate buttons
                page.goto(f"{hub.url}/user/{taro.username}/lab")
                page.wait_for_selector(LAB_READY, timeout=LONG)
                _open_assignment_list(page)
                row = page.locator("#fetched_assignments_list .list_item:has-text('annotation')").first
                row.locator("a.assignment-notebooks-link").click()
                notebooks = row.locator(".nested_list_item:has-text('boxes')")
                notebooks.first.wait_for(timeout=SHORT)
                validate = row.locator(".nested_list_item button:has-text('Validate')")
                assert validate.count() >= 1 and not any(b.is_visible() for b in validate.all())
                shots(page, "labelstudio-ja-assignment-list-no-validate")
            except Exception:
                for i, context in enumerate(browser.contexts):
                    for j, shown in enumerate(context.pages):
                        try:
                            shots(shown, f"failure-labelstudio-{i}-{j}")
                        except Exception:  # noqa: BLE001
                            pass
                raise
            finally:
                browser.close()
        pulled = json.loads(_as(hub, taro.username, LABEL_STUDIO_PULL, env=env, cwd=work))
        assert PULLED.render("ja", count=1, path="x").split("x")[0][:8] in pulled["printed"], pulled["printed"]
        assert [r["value"]["rectanglelabels"] for r in pulled["results"][pushed["items"][0]]] == [
            [label] for label, *_ in IN_LABEL_STUDIO], pulled
        assert pulled["passed"], pulled["parts"]   # the boxes check passes with the boxes drawn in Label Studio
    finally:
        _as(hub, taro.username, "import sys; from pathlib import Path; from graders.services import stop_all; "
            "print(stop_all(Path(sys.argv[1])))", str(hub.home(taro.username)), cwd=work)


# --- a learner's lab services are theirs alone (graders/services/owner.py) ----------------------------------------

START_SERVICES = r'''
import json, sys
from pathlib import Path
from graders.services import connect
out = {}
for name in sys.argv[2:]:
    handle = connect(name, Path(sys.argv[1]))   # what the learner's kernel does (Lab(...) -> connect)
    out[name] = {"url": handle.url, **handle.info}
print(json.dumps(out))
'''

# Run as a learner with their own shell: every door of the given services, with what that learner knows.
KNOCK = r'''
import http.cookiejar, json, re, smtplib, sys, urllib.error, urllib.parse, urllib.request
services, own = json.loads(sys.argv[1]), sys.argv[2] == "own"
out = {}

def http(key, url, data=None, headers={}, opener=None):
    opener = opener or urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(urllib.request.Request(url, data=data, headers=headers), timeout=60) as r:
            out[key] = r.status
            return r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        out[key] = e.code
    except OSError as e:
        out[key] = type(e).__name__
    return ""

moto = services["moto"]
import boto3
from botocore.config import Config
keys = ((moto["admin_access_key_id"], moto["admin_secret_access_key"]) if own
        else ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
try:
    s3 = boto3.client("s3", endpoint_url=moto["url"], aws_access_key_id=keys[0], aws_secret_access_key=keys[1],
                      region_name="ap-northeast-1", config=Config(retries={"max_attempts": 1}))
    out["moto s3 list_buckets"] = [b["Name"] for b in s3.list_buckets()["Buckets"]]
except Exception as e:
    out["moto s3 list_buckets"] = type(e).__name__ + ": " + str(e)[:80]
http("moto /moto-api/data.json", moto["url"] + "/moto-api/data.json")
http("moto /graders-lab/service-credentials", moto["url"] + "/graders-lab/service-credentials",
     json.dumps({"role_arn": "arn:aws:iam::%s:role/x" % moto["account_id"]}).encode())
if not own:   # the owner would wipe their own cloud
    http("moto /moto-api/reset", moto["url"] + "/moto-api/reset", b"")
    http("moto /moto-api/reset-auth", moto["url"] + "/moto-api/reset-auth", b'{"allowed_nr_unauthenticated_requests": 1000}')

app = services["rpa_app"]
jar = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor())
for path in ("/login", "/orders", "/log"):
    http("app " + path, app["url"] + path, opener=jar)
form = {"username": app["user"], "password": app["password"]} if own else {"username": "robot", "password": "guess"}
http("app POST /login", app["url"] + "/login", urllib.parse.urlencode(form).encode(), opener=jar)
page = http("app /orders after login", app["url"] + "/orders", opener=jar)

mail = services["rpa_mail"]
http("mail /", mail["url"] + "/")
http("mail /messages/1", mail["url"] + "/messages/1")
try:
    with smtplib.SMTP("127.0.0.1", int(mail["smtp_port"]), timeout=30) as smtp:
        smtp.sendmail("robot@midori-bungu.example", ["keiri@midori-bungu.example"],
                      "Subject: %s\n\nhello" % ("report" if own else "planted"))
    out["mail SMTP"] = 250
except smtplib.SMTPException as e:
    out["mail SMTP"] = getattr(e, "smtp_code", type(e).__name__)

ls = services.get("labelstudio")
if ls:
    auth = {"Authorization": "Token " + (ls["token"] if own else "0" * 40)}
    body = http("labelstudio /api/projects", ls["url"] + "/api/projects", headers=auth)
    out["labelstudio projects"] = [p["title"] for p in json.loads(body)["results"]] if body else []
    if not own:   # sign up an account of one's own, then look at the projects
        jar = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor())
        signup = http("labelstudio /user/signup", ls["url"] + "/user/signup", opener=jar)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', signup)
        if token:
            http("labelstudio POST /user/signup", ls["url"] + "/user/signup", urllib.parse.urlencode(
                {"csrfmiddlewaretoken": token.group(1), "email": "intruder@example.com", "password": "intruder-pw-1"}
            ).encode(), headers={"Referer": ls["url"] + "/user/signup"}, opener=jar)
        body = http("labelstudio /api/projects after sign-up", ls["url"] + "/api/projects", opener=jar)
        out["labelstudio projects after sign-up"] = [p["title"] for p in json.loads(body)["results"]] if body.startswith("{") else []
print(json.dumps(out))
'''


def _as(hub: LocalHub, user: str, script: str, *args: str, env: dict | None = None, cwd: Path | None = None) -> str:
    home = hub.home(user)
    # the learner's own home folders, not the test session's (root's, which a learner cannot write: Label Studio's data)
    own = [f"{k}={home / rel}" for k, rel in (("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config"),
                                               ("XDG_CACHE_HOME", ".cache"), ("JUPYTER_CONFIG_DIR", ".jupyter"),
                                               ("JUPYTER_DATA_DIR", ".local/share/jupyter"), ("IPYTHONDIR", ".ipython"),
                                               ("JUPYTER_RUNTIME_DIR", ".local/share/jupyter/runtime"))]
    extra = [f"{k}={v}" for k, v in (env or {}).items()]
    proc = subprocess.run(["runuser", "-u", user, "--", "env", f"HOME={home}", *own, *extra,
                           str(HUB_ENV / "bin" / "python"), "-c", script, *args],
                          capture_output=True, text=True, timeout=400, cwd=cwd or home)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc.stdout.strip().splitlines()[-1]


def _browser_session(hub: LocalHub, person: Person):
    """A cookie session logged in to the hub, as a browser has after the login page (no server started by it)."""
    import http.cookiejar
    import urllib.parse
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    jar = http.cookiejar.CookieJar()
    direct = urllib.request.ProxyHandler({})
    login = urllib.request.build_opener(direct, urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = login.open(f"{hub.url}/hub/login", timeout=60).read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
    try:
        login.open(f"{hub.url}/hub/login?next=/hub/home", urllib.parse.urlencode(
            {"_xsrf": xsrf, "username": person.username, "password": person.password}).encode(), timeout=60)
    except urllib.error.HTTPError as e:
        assert e.code == 302, e.code   # logged in: off to the next page
    return urllib.request.build_opener(direct, urllib.request.HTTPCookieProcessor(jar))


def _status(opener, url: str) -> int:
    try:
        with opener.open(url, timeout=120) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_a_learners_lab_services_are_theirs_alone(hub):
    """Learner B, with a shell and a browser session of their own, tries every door of learner A's lab services:
    moto (AWS calls, /moto-api/*, the lab's own route), the practice company, the mailbox (page and SMTP), Label
    Studio (API, sign-up), and A's JupyterLab proxy. Everything is refused, and A's own use keeps working."""

    a, b = hub.people[1].username, hub.people[2].username
    _ensure_running(hub, [a])
    names = ["moto", "rpa_app", "rpa_mail"]
    env = {}
    if os.environ.get("GRADERS_SKIP_LABEL_STUDIO") != "1":   # hub/install.sh installs it beside the hub's environment,
        names.append("labelstudio")                          # where a learner's server finds it by itself
    work = hub.home(a) / "services-check"
    try:   # the services started before one that fails to start are stopped too
        services = json.loads(_as(hub, a, START_SERVICES, str(work), *names, env=env))
        if "labelstudio" in services:
            _as(hub, a, "import sys; from label_studio_sdk.client import LabelStudio; LabelStudio(base_url=sys.argv[1], "
                "api_key=sys.argv[2]).projects.create(title='A private project', label_config='<View><Text name=\"t\" "
                "value=\"$t\"/><Choices name=\"c\" toName=\"t\"><Choice value=\"x\"/></Choices></View>'); print('ok')",
                services["labelstudio"]["url"], services["labelstudio"]["token"])
        own = json.loads(_as(hub, a, KNOCK, json.dumps(services), "own"))
        assert own["moto s3 list_buckets"] == [] and own["moto /moto-api/data.json"] == 200, own
        assert own["moto /graders-lab/service-credentials"] == 404, own   # answered: there is no such role
        assert own["app /login"] == 200 and own["app POST /login"] == 200 and own["app /orders after login"] == 200, own
        assert own["mail /"] == 200 and own["mail SMTP"] == 250, own
        if "labelstudio" in services:
            assert own["labelstudio projects"] == ["A private project"], own

        other = json.loads(_as(hub, b, KNOCK, json.dumps(services), "other"))
        refused = {k: v for k, v in other.items() if not k.startswith(("moto s3", "labelstudio"))}
        assert refused == {k: 554 if k == "mail SMTP" else 403 for k in refused}, other
        assert "AccessDenied" in other["moto s3 list_buckets"] or "403" in other["moto s3 list_buckets"], other
        if "labelstudio" in services:
            assert other["labelstudio /api/projects"] == 401 and other["labelstudio projects"] == [], other
            assert other["labelstudio projects after sign-up"] == [], other

        again = json.loads(_as(hub, a, KNOCK, json.dumps(services), "own"))   # B changed nothing of A's
        assert again["mail SMTP"] == 250 and again["moto /moto-api/data.json"] == 200, again
        from graders.services.rpa_mail import MailStore
        subjects = [m["message"]["subject"] for m in MailStore(work / ".graders" / "services" / "rpa_mail" / "mailbox.sqlite3").all()]
        assert subjects == ["report", "report"], subjects

        # the browser: through A's JupyterLab for A, a 403 for B's session asking for A's proxy
        port = services["rpa_app"]["url"].rsplit(":", 1)[1]
        url = f"{hub.url}/user/{a}/proxy/{port}/login"
        assert _status(_browser_session(hub, hub.person(a)), url) == 200
        assert _status(_browser_session(hub, hub.person(b)), url) == 403
        for route in ("practice-company/login", "practice-mailbox/", "labelstudio/"):   # A's named routes too
            assert _status(_browser_session(hub, hub.person(b)), f"{hub.url}/user/{a}/{route}") == 403, route
    finally:
        _as(hub, a, "import sys; from pathlib import Path; from graders.services import stop_all; "
            "print(stop_all(Path(sys.argv[1])))", str(work))


DESKTOP = ("Xtigervnc", "vncserver", "xfce4-session", "xfwm4", "xfdesktop", "Thunar", "websockify", "graders.desktop")


def test_a_learner_opens_the_desktop_in_her_language_and_it_stops_with_her_server(hub, shots):
    """Issue 18 on the class hub: the Launcher's Desktop (jupyter-remote-desktop-proxy, in the hub's learner
    environment) starts Xfce on a TigerVNC display as the learner's own Unix user, in her language, through the hub's
    proxy and within her limits; when the hub stops her server, nothing of the desktop is left."""
    from playwright.sync_api import sync_playwright

    from graders.hub.roster import user_pids

    olena = hub.people[1]
    uid = unix_user(olena.username).pw_uid

    def sessions() -> list[int]:
        return [pid for pid in user_pids(uid) if _cmdline(pid).endswith("xfce4-session")]

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            page = _login(browser, hub, olena, shots, "")
            page.goto(f"{hub.url}/user/{olena.username}/desktop/")
            deadline = time.monotonic() + LONG / 1000
            while not sessions():
                assert time.monotonic() < deadline, "no xfce4-session of the learner's desktop"
                time.sleep(0.5)
            with open(f"/proc/{sessions()[0]}/environ", "rb") as f:
                env = dict(item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item)
            assert env[b"LANGUAGE"] == olena.lang.encode() and env.get(b"GRADERS_DESKTOP"), env.get(b"LANGUAGE")
            page.locator("canvas").first.wait_for(timeout=LONG)
            time.sleep(5)   # let Xfce draw its panel and the file manager
            shots(page, f"desktop-{olena.lang}")
        finally:
            browser.close()
    hub.api("DELETE", f"/users/{olena.username}/server")   # 202 while it is still stopping: wait until it is gone
    deadline = time.monotonic() + LONG / 1000
    while "" in (hub.api("GET", f"/users/{olena.username}").get("servers") or {}):
        assert time.monotonic() < deadline, "the hub did not stop the learner's server"
        time.sleep(0.5)
    deadline = time.monotonic() + 60
    while True:
        left = [(pid, _cmdline(pid)) for pid in user_pids(uid) if any(d in _cmdline(pid) for d in DESKTOP)]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert left == [], f"the desktop left processes behind when the hub stopped the learner's server: {left}"
    _ensure_running(hub, [olena.username])   # as the tests after this one expect her


def test_the_hub_stops_cleanly_and_its_people_are_removed(hub):
    _ensure_running(hub, [p.username for p in hub.people])
    assert set(hub.people_pids()) == {p.username for p in hub.people}   # everyone's JupyterLab runs
    running = " ".join(_cmdline(pid) for pid in hub.hub_pids())          # what the check below looks for is found
    assert "jupyterhub" in running and "configurable-http-proxy" in running, running
    assert hub.stop() == 0
    left = hub.hub_pids()                                         # no hub, proxy or culler left (once those
    deadline = time.monotonic() + 10                              # already told to stop have ended)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = hub.hub_pids()
    assert left == [], [_cmdline(pid) for pid in left]
    left = hub.people_pids()
    assert left == {}, {name: [_cmdline(pid) for pid in pids] for name, pids in left.items()}   # no JupyterLab, kernel or lab service left
    assert not (hub.state.hub_dir / "jupyterhub.pid").exists()
    homes = [hub.home(p.username) for p in hub.people]
    _keep_log(hub)
    hub.remove()
    for person, home in zip(hub.people, homes):
        assert unix_user(person.username) is None
        assert not home.exists()
    with pytest.raises(KeyError):
        pwd.getpwnam(hub.people[1].username)
