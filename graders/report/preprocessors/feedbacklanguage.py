"""Word nbgrader's feedback page in the learner's own language (``GenerateFeedback.preprocessors``).

The learner's language travels in the notebook (its metadata and the setup cell, see ``graders.build``); the check
verdicts in the page are already in that language (the grader rendered them so). This preprocessor gives the
``graders_feedback`` template the page's own words (score, check, your answer ...) in that language.
"""
from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from ...grade.preprocessors.sandboxedexecute import notebook_language
from ...i18n import Domain

M_ = Domain.beside(__file__)  # this package's own catalog (locale/ here)

WORDS = {
    "score": M_("feedback.score", "Score"),
    "check": M_("feedback.check", "Check"),
    "answer": M_("feedback.answer", "Your answer"),
    "locked": M_("feedback.locked", "Given code"),
    "comment": M_("feedback.comment", "Comment"),
    "comments": M_("feedback.comments", "Comments from your instructor"),
    "late": M_("feedback.late", "Late submission"),
    "top": M_("feedback.top", "top"),
    "intro": M_("feedback.intro", "This is your graded work. Each check shows what was right and what to fix; the points are next to it."),
}


class FeedbackLanguage(NbGraderPreprocessor):

    def preprocess(self, nb, resources):
        lang = notebook_language(nb)
        resources["graders"] = {"lang": lang, "t": {key: m.render(lang) for key, m in WORDS.items()},
                                "title": _title(nb, lang, resources)}
        return nb, resources


def _title(nb, lang: str, resources) -> str:
    from ...labdef import LABS_DIR, load_lab

    lab_id = nb.metadata.get("graders", {}).get("lab") or resources.get("nbgrader", {}).get("assignment")
    if lab_id and (LABS_DIR / str(lab_id) / "lab.toml").exists():
        return load_lab(str(lab_id)).title_in(lang)
    return str(resources.get("nbgrader", {}).get("notebook", ""))
