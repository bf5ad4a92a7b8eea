"""The same jobs in a real Label Studio, through ``label-studio-sdk``: send a job there, annotate in the browser,
bring the annotations back into ``annotations/<job>.json`` (which the checks read).

The local server is the lab's ``labelstudio`` service (``graders/services/labelstudio.py``), started on demand by
``lab.service("labelstudio")``. Pictures travel as data URIs, so they show in Label Studio with no storage set-up;
each task keeps its item's name in ``data.name`` so its annotations come back to the right picture or text.
"""
from __future__ import annotations

import json
import os

from graders.i18n import Domain

from .kit import AnnotationError, Job, latest_annotation
from .widgets import data_uri

M_ = Domain.beside(__file__)

STARTING = M_("annotation.studio.starting", "Starting Label Studio on this computer (a few seconds; the very first time up to a minute)…")
NO_SERVER = M_("annotation.studio.no_server", "Label Studio is not available here ({error}). Use the drawing tool in this notebook instead: your work is checked the same way.")
OPEN = M_("annotation.studio.open", "Open {url} in your browser and log in with the e-mail {username} and the password {password}. Annotate every item, press Submit on each, then run the next cell to bring your work back.")
SENT = M_("annotation.studio.sent", "Sent {count} item to the Label Studio project “{title}”.", "Sent {count} items to the Label Studio project “{title}”.", count="count")
PULLED = M_("annotation.studio.pulled", "Brought back the Label Studio annotations of {count} item into {path}.", "Brought back the Label Studio annotations of {count} items into {path}.", count="count")
GRADING = M_("annotation.studio.grading", "Your work is being graded: Label Studio is not used now; the check reads the file you saved ({path}).")
NO_PROJECT = M_("annotation.studio.no_project", "There is no project “{title}” in Label Studio yet. Run the cell that sends the job to Label Studio first.")


def client_for(handle):
    from label_studio_sdk.client import LabelStudio

    return LabelStudio(base_url=handle.url, api_key=handle["token"], timeout=60)


def _handle(job: Job, lab_or_handle):
    if hasattr(lab_or_handle, "url"):
        return lab_or_handle
    print(STARTING.render(job.lang), flush=True)
    handle = lab_or_handle.service("labelstudio")
    if handle is None:
        raise AnnotationError(NO_SERVER.render(job.lang, error="see the message above"))
    return handle


def find_project(client, title: str):
    for project in client.projects.list():
        if project.title == title:
            return project
    return None


def task_payload(job: Job, item: str) -> dict:
    data = dict(job.task_data(item))
    if job.job.object_name == "image":
        data["image"] = data_uri(job.image_path(item))
    data["name"] = item
    task = {"data": data}
    if job.results[item]:
        task["annotations"] = [{"result": json.loads(json.dumps(job.results[item]))}]
    return task


def grading(job: Job) -> bool:
    """While nbgrader runs the notebook, no server is started and the learner's file is left as it is."""
    if os.environ.get("NBGRADER_EXECUTION"):
        print(GRADING.render(job.lang, path=job.job.file))
        return True
    return False


def push(job: Job, lab_or_handle) -> str:
    """Make the job's project (once) with every item and the learner's annotations so far; returns its address."""
    if grading(job):
        return ""
    handle = _handle(job, lab_or_handle)
    client = client_for(handle)
    project = find_project(client, job.job.title)
    if project is None:
        project = client.projects.create(title=job.job.title, label_config=job.config)
    if not list(client.tasks.list(project=project.id)):
        client.projects.import_tasks(id=project.id, request=[task_payload(job, item) for item in job.job.items])
        print(SENT.render(job.lang, count=len(job.job.items), title=job.job.title))
    from graders.services.proxy import learner_url

    url = learner_url(handle, f"projects/{project.id}/data")   # through the learner's JupyterLab (hub or graders start)
    print(OPEN.render(job.lang, url=url, username=handle["username"], password=handle["password"]))
    return url


def pull(job: Job, lab_or_handle) -> int:
    """Copy the newest annotation of every task from Label Studio into the job (the caller saves)."""
    if grading(job):
        return 0
    handle = _handle(job, lab_or_handle)
    client = client_for(handle)
    project = find_project(client, job.job.title)
    if project is None:
        raise AnnotationError(NO_PROJECT.render(job.lang, title=job.job.title))
    count = 0
    for task in client.tasks.list(project=project.id, fields="all"):
        item = (task.data or {}).get("name")
        if item not in job.results:
            continue
        annotations = [a if isinstance(a, dict) else a.dict() for a in (task.annotations or [])]
        latest = latest_annotation({"annotations": annotations})
        if latest is None:
            continue
        job.results[item] = [dict(r) for r in latest.get("result") or []]
        count += 1
    print(PULLED.render(job.lang, count=count, path=job.job.file))
    return count


# --- notebook 10 (project): the learner sets up a Label Studio project of their own -----------------------------------
PROJECT_DIR = "project"
PROJECT_FILE = "project/project.json"
NOT_INSTALLED = M_("annotation.studio.not_installed", "Label Studio is not installed on this computer, so this exercise cannot run here: its check is skipped and gives 0 points. Read on to see how a project is set up; `make install` (or your class hub) installs Label Studio.")
FIX_CONFIG = M_("annotation.studio.fix_config", "Your config does not follow the guideline yet (run the check of exercise 17 to see why). A team lead does not start a project on a wrong config: fix CONFIG first, then run this cell again.")
NO_SET_UP = M_("annotation.studio.no_set_up", "set_up did not return the project it made (add return project at its end), so I can't show you where it is.")
SET_UP_FAILED = M_("annotation.studio.set_up_failed", "Label Studio refused the set-up: {error}")
KEPT = M_("annotation.studio.kept", "The project “{title}” (number {number}) already holds your annotations: it is kept, and set_up is not run again. To start over, delete the project in Label Studio (Settings → Danger Zone), then run this cell again.")
PROJECT_READY = M_("annotation.studio.project_ready", "Project “{title}” (number {number}) holds {count} task.", "Project “{title}” (number {number}) holds {count} tasks.", count="count")
EXPORTED = M_("annotation.studio.exported", "Exported project “{title}”: {count} task, {done} of them annotated, saved in {path}.", "Exported project “{title}”: {count} tasks, {done} of them annotated, saved in {path}.", count="count")
NOTHING_TO_EXPORT = M_("annotation.studio.nothing_to_export", "There is no project to export yet: run the set-up cell above first.")


def installed() -> bool:
    from graders.services.labelstudio import label_studio_command
    from graders.services.base import ServiceError

    try:
        label_studio_command()
    except ServiceError:
        return False
    return True


def notice_tasks(root=None) -> list[dict]:
    """The batch of notebook 10 as Label Studio imports it: one dict per task, its data fields (``text``, ``name``)."""
    from .kit import lab_root

    return json.loads((lab_root(root) / "project" / "notices.json").read_text(encoding="utf-8"))


def _saved_state(root) -> dict:
    try:
        return json.loads((root / PROJECT_DIR / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def connect(lab):
    """A label-studio-sdk client for this workspace's Label Studio (started if needed), or None with a message:
    while the work is graded, or where Label Studio is not installed."""
    lang = lab.lang
    if os.environ.get("NBGRADER_EXECUTION"):
        print(GRADING.render(lang, path=PROJECT_FILE))
        return None
    if not installed():
        print(NOT_INSTALLED.render(lang))
        return None
    print(STARTING.render(lang), flush=True)
    handle = lab.service("labelstudio")
    if handle is None:
        print(NO_SERVER.render(lang, error="see the message above"))
        return None
    client = client_for(handle)
    client.handle = handle
    return client


def run_set_up(lab, ls, set_up, config: str, tasks: list[dict], root=None):
    """Run the learner's ``set_up(ls, config, tasks)`` once, remember the project it returns, show its link.
    A config that does not follow the guideline is refused first (the q17 rules); a project that already holds
    annotations is kept (running the cell again must not throw away work done in the browser)."""
    from .checks_extra import config_problems
    from .kit import lab_root

    if ls is None:
        return None
    lang = lab.lang
    root = lab_root(root)
    if config_problems(config):
        print(FIX_CONFIG.render(lang))
        return None
    state = _saved_state(root)
    if state.get("project"):
        try:
            old = ls.projects.get(id=state["project"])
        except Exception:   # deleted in the browser: set it up again
            old = None
        if old is not None and any(t.annotations for t in ls.tasks.list(project=old.id, fields="all")):
            print(KEPT.render(lang, title=old.title, number=old.id))
            return _show(lab, ls, old)
        if old is not None:
            ls.projects.delete(id=old.id)
    try:
        project = set_up(ls, config, tasks)
    except Exception as exc:   # the server's own validation (a config it refuses), or the learner's code
        body = getattr(exc, "body", None)
        print(SET_UP_FAILED.render(lang, error=body if body else f"{type(exc).__name__}: {exc}"))
        return None
    if getattr(project, "id", None) is None:
        print(NO_SET_UP.render(lang))
        return None
    (root / PROJECT_DIR).mkdir(exist_ok=True)
    (root / PROJECT_DIR / "state.json").write_text(json.dumps({"project": project.id}), encoding="utf-8")
    return _show(lab, ls, ls.projects.get(id=project.id))


def _show(lab, ls, project):
    from graders.services.proxy import learner_url

    count = len(list(ls.tasks.list(project=project.id)))
    print(PROJECT_READY.render(lab.lang, title=project.title, number=project.id, count=count))
    handle = ls.handle
    url = learner_url(handle, f"projects/{project.id}/data")
    print(OPEN.render(lab.lang, url=url, username=handle["username"], password=handle["password"]))
    return project


def annotate(ls, project, topics: dict[str, str]) -> int:
    """Annotate through the API instead of the browser (for a learner without a mouse): {task name: topic}."""
    if ls is None or project is None:
        return 0
    count = 0
    for task in ls.tasks.list(project=project.id, fields="all"):
        topic = topics.get((task.data or {}).get("name"))
        if topic:
            ls.annotations.create(id=task.id, result=[{"from_name": "topic", "to_name": "text", "type": "choices",
                                                      "value": {"choices": [topic]}}])
            count += 1
    return count


def export_project(lab, ls, project, root=None) -> str:
    """Label Studio's JSON export of the project, with its title and config, into project/project.json (the check
    reads that file, so grading needs no Label Studio)."""
    from .kit import lab_root

    if ls is None:
        return ""
    if project is None:
        print(NOTHING_TO_EXPORT.render(lab.lang))
        return ""
    root = lab_root(root)
    project = ls.projects.get(id=project.id)
    exported = json.loads(b"".join(ls.projects.exports.download_sync(id=project.id, export_type="JSON",
                                                                       download_all_tasks=True)))
    snapshot = {"title": project.title, "label_config": project.label_config, "id": project.id, "tasks": exported}
    (root / PROJECT_DIR).mkdir(exist_ok=True)
    write = root / PROJECT_FILE
    write.write_text(json.dumps(snapshot, ensure_ascii=False, indent=1), encoding="utf-8")
    done = sum(1 for t in exported if any(not a.get("was_cancelled") for a in t.get("annotations") or []))
    print(EXPORTED.render(lab.lang, title=project.title, count=len(exported), done=done, path=PROJECT_FILE))
    record_speed(lab, project.title, exported)
    return PROJECT_FILE


def record_speed(lab, title: str, tasks: list[dict]) -> None:
    """Items per minute from Label Studio's own timer, printed and kept for lab.progress() (as a team lead tracks)."""
    from .checks_extra import SPEED, items_per_minute

    speed = items_per_minute(tasks)
    if speed is None:
        return
    rate, count = speed
    print(SPEED.render(lab.lang, title=title, rate=rate, count=count))
    try:
        lab.progress_store.record_figure(lab.id, "labelstudio_speed", SPEED.id, title=title, rate=rate, count=count)
    except Exception as exc:   # a read-only or full disk must not stop the export
        print(f"(progress not saved: {exc})")
