"""Local servers the labs need (moto, the RPA practice app, a mail server, Label Studio), all of one shape.

Every service listens on 127.0.0.1 on a free port, waits until it is healthy, exposes ``url``, stops cleanly, and
works as a context manager and from a notebook::

    with MotoService() as aws:          # or: aws = MotoService().start() ... aws.stop()
        boto3.client("s3", endpoint_url=aws.url, ...)
"""
from .base import ProcessService, Service, ServiceError, ThreadService, free_port, wait_until

__all__ = ["Service", "ThreadService", "ProcessService", "ServiceError", "free_port", "wait_until"]
