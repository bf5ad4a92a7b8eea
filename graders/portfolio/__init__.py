"""My progress and portfolio: ``graders portfolio`` (the learner) and ``graders certificate`` (the instructor).

``record.py`` gathers one :class:`Record` of what a learner finished (labs, questions, points, and what they built,
from each lab's ``[portfolio]`` table in ``lab.toml``), either from the learner's own progress store (a self-study
record) or from the instructor's nbgrader gradebook (a verified record). ``page.py`` writes it as one self-contained
HTML page, ``certificate.py`` as a PDF certificate (fpdf2, fonts from Debian packages: ``fonts.py``), and
``codes.py`` signs and checks the verification code of a certificate issued from the gradebook (an HMAC with a
secret kept in the instructor's course folder).
"""
from __future__ import annotations

# The lab.toml table with what a learner built in the lab: [portfolio] en = "..." uk = "..." ja = "..."
SUMMARY_KEY = "portfolio"
