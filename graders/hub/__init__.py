"""The class hub: JupyterHub for one workshop (one course, instructors and learners, each a real Unix user).

* :mod:`graders.hub.roster`: the class list (who, which language, which role), passwords, Unix users.
* :mod:`graders.hub.auth`: the workshop authenticator (per-user passwords from the class list; nobody else).
* :mod:`graders.hub.config`: the whole JupyterHub configuration (``hub/jupyterhub_config.py`` calls it).
* :mod:`graders.hub.singleuser`: what runs as the learner: their JupyterLab language, then JupyterLab itself.
* :mod:`graders.hub.cli`: ``graders hub prepare | start | add-class | remove-users | status``.

Everything here runs in two places: ``graders hub`` from the course checkout (as root: it can read grading-only data
to build the instructor's course), and the hub itself from its own environment (``/opt/digital-skills-hub``) where
the course is installed without grading-only data.
"""
