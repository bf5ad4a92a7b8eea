# The class hub's JupyterHub configuration. `graders hub start` writes a copy of this into the hub's state folder
# and runs `jupyterhub -f` on it; everything it sets is in graders/hub/config.py (read that to change the hub).
#
#   DSH_STATE   the hub's state folder (default /srv/digital-skills-hub): settings, class list, passwords, exchange
import os

from graders.hub.config import configure

configure(c, os.environ.get("DSH_STATE"))  # noqa: F821
