"""Local servers the labs need (moto, the RPA practice app, a mail server, Label Studio), all of one shape.

Every service listens on 127.0.0.1 on a free port, waits until it is healthy, exposes ``url``, stops cleanly, and
works as a context manager and from a notebook::

    with MotoService() as aws:          # or: aws = MotoService().start() ... aws.stop()
        boto3.client("s3", endpoint_url=aws.url, ...)

A service named ``x`` is the class ``SERVICE`` in ``graders/services/x.py``; a lab asks for it in ``lab.toml``
(``services = ["x"]``) and its notebook reaches it through :func:`connect` (see ``registry.py``).
"""
from .base import ProcessService, Service, ServiceError, ThreadService, free_port, wait_until
from .registry import ServiceHandle, connect, env_name, stop_all

__all__ = ["Service", "ThreadService", "ProcessService", "ServiceError", "ServiceHandle", "free_port", "wait_until",
           "connect", "env_name", "stop_all"]
