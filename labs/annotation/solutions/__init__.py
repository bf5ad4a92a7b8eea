"""Grading-side tools of the annotation lab: the scene drawer and the data generator, which can recompute every gold
answer (also the review items'). Like hidden/, this folder is kept out of learners' environments (hub/install.sh
leaves labs/*/solutions out); nothing the learners' notebooks or the checks run imports it."""
