"""Grading-side tools of the office lab: the data generator and the reference date parser, which know every answer
(the hidden date cases too). Like hidden/, this folder is kept out of learners' environments (hub/install.sh leaves
labs/*/solutions out, and the grading sandbox masks it); nothing the notebooks or the checks run imports it."""
