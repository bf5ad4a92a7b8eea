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
