"""nbgrader's learner-side server extensions (the assignment list and Validate's version check), loaded on first use.

``nbgrader.server_extensions.assignment_list`` imports nbgrader's exchange, apps and gradebook as JupyterLab starts
(SQLAlchemy, alembic, nbconvert's preprocessors, setuptools): about a fifth of the CPU a learner's server needs to
start, paid at every login, 20 learners at once on a class day, before anyone has opened the Assignments panel.
This extension adds the same routes when the server starts and loads nbgrader's own extension the first time one of
them is asked for (the Assignments panel checks nbgrader's version as it opens); from then on nbgrader's own
handlers answer, with the state nbgrader's own loader set up. Nothing of nbgrader is copied or changed.

The class hub's servers load it in place of nbgrader's two (``graders/hub/singleuser.py``, ``SERVER_ARGS``).
"""
from __future__ import annotations

import importlib

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

# nbgrader's extension module -> the routes its loader adds (its handlers module's ``default_handlers``; a test
# compares them with the installed nbgrader). A route both add is answered by the first, as with nbgrader's own.
ROUTES = {
    "nbgrader.server_extensions.assignment_list": [
        r"/assignments", r"/assignments/(?P<action>fetch|submit|fetch_feedback)", r"/courses", r"/nbgrader_version"],
    "nbgrader.server_extensions.validate_assignment": [r"/assignments/validate", r"/nbgrader_version"],
}
LOADED = "graders_lazy_nbgrader"   # the web app's settings key: nbgrader module -> {route: nbgrader's handler class}


def _jupyter_server_extension_points():
    return [{"module": __name__}]


def real_handler(application, module: str, route: str):
    """nbgrader's handler class for ``route``, loading nbgrader's extension ``module`` the first time (its loader
    also adds nbgrader's routes; ours were added first and keep answering, by handing over to these classes)."""
    loaded = application.settings.setdefault(LOADED, {})
    if module not in loaded:
        serverapp = application.settings["serverapp"]
        importlib.import_module(module)._load_jupyter_server_extension(serverapp)
        loaded[module] = dict(importlib.import_module(module + ".handlers").default_handlers)
    return loaded[module][route]


class LazyHandler(JupyterHandler):
    """Stands for one of nbgrader's routes: each request is handled by a new instance of nbgrader's handler."""

    module = route = ""

    def __new__(cls, application, request, **kwargs):
        try:
            handler = real_handler(application, cls.module, cls.route)
        except Exception:  # noqa: BLE001 (nbgrader cannot load: the learner gets an error answer, the log the cause)
            application.settings["serverapp"].log.exception("[graders] nbgrader's %s could not be loaded", cls.module)
            return super().__new__(cls)
        return handler(application, request, **kwargs)

    @web.authenticated
    def get(self, *args, **kwargs):
        raise web.HTTPError(500, f"{self.module} could not be loaded (see the server's log)")

    post = get


def _load_jupyter_server_extension(serverapp) -> None:
    base_url = serverapp.web_app.settings["base_url"]
    handlers, seen = [], set()
    for module, routes in ROUTES.items():
        for route in routes:
            if route not in seen:
                seen.add(route)
                cls = type("Lazy" + module.rsplit(".", 1)[-1].title().replace("_", ""), (LazyHandler,),
                           {"module": module, "route": route})
                handlers.append((url_path_join(base_url, route), cls))
    serverapp.web_app.add_handlers(".*$", handlers)
    serverapp.log.info("[graders] nbgrader's assignment list and validate routes added; nbgrader loads on first use")
