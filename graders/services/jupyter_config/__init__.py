"""A folder for ``$JUPYTER_CONFIG_PATH`` (``graders start`` and the hub's single-user servers put it there)."""
