"""Fresh services for one submission (moto, the practice app ...), started by the grading worker.

The worker runs in its own network namespace, so these servers listen on a loopback that only this submission's
kernel shares. The kernel finds them through ``$GRADERS_SERVICE_<NAME>`` (see ``graders.services.registry``); the
grader's own checks get the same handles in ``context``. Like ``graders.testing.lab_services``, in this process.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

from ..services.registry import ServiceHandle, env_name, service_class


@contextlib.contextmanager
def submission_services(lab, data_dir: Path, users=()):
    """Yields ``(env, handles)``: the environment for the kernel and ``{name: ServiceHandle}`` for the checks.
    ``users``: the uid the sandboxed kernel and checker run as (grading as root), which the services must serve
    although it is not the worker's own (graders/services/owner.py)."""
    with contextlib.ExitStack() as stack:
        env, handles = {}, {}
        for name in (lab.services if lab is not None else []):
            cls = service_class(name)
            folder = Path(data_dir) / name
            folder.mkdir(parents=True, exist_ok=True)
            service = cls.for_workspace(folder)
            service.users.update(users)
            stack.enter_context(service)
            handle = ServiceHandle(name, service.url, service.info())
            env[env_name(name)] = handle.to_env()
            handles[name] = handle
        yield env, handles
