"""Our nbgrader preprocessors for feedback, one per file."""
from .feedbacklanguage import FeedbackLanguage

__all__ = ["FeedbackLanguage"]
