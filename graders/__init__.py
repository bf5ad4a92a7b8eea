"""Checks, grading and the learner tools of the digital-skills labs. Learners use one object: ``Lab``."""
from __future__ import annotations

__all__ = ["Lab", "CheckFailed"]


def __getattr__(name: str):
    # ``from graders import Lab`` imports graders.lab on first use (PEP 562): the many processes that import only a
    # part of the package (every learner server on the hub, services, the CLI) do not pay for the checks' imports.
    if name in __all__:
        from . import lab

        return getattr(lab, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
