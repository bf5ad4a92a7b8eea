"""Checks, grading and the learner tools of the digital-skills labs. Learners use one object: ``Lab``."""
from .lab import CheckFailed, Lab

__all__ = ["Lab", "CheckFailed"]
