"""Lab services in the learner's browser, through the learner's own JupyterLab (``jupyter-server-proxy``).

Every service listens on 127.0.0.1 of the machine that runs JupyterLab. On a class hub that is not the learner's
computer, so a link to ``http://127.0.0.1:PORT`` is dead there. JupyterLab forwards ``<JupyterLab>/proxy/PORT/...``
to ``127.0.0.1:PORT`` for whoever is logged in to *that* JupyterLab (the hub's login, or the local token):

* on a hub: ``http://HUB/user/NAME/proxy/PORT/`` (``$JUPYTERHUB_SERVICE_PREFIX`` is ``/user/NAME/``);
* locally (``graders start``): ``http://127.0.0.1:8888/proxy/PORT/``.

The services a lab tells the learner to open also have a *named* route, the same on every day and for every
learner (:data:`ROUTES`): ``…/labelstudio/``, ``…/practice-company/``, ``…/practice-mailbox/`` beside JupyterLab's own
pages, each with a Launcher tile in the learner's language (``routes.py``, installed by ``jupyter_config/``). The
route finds this workspace's running service (or starts it) whatever port it got today.

:func:`browser_url` gives that address for a service (:func:`learner_url`: that, or the direct one where no proxy
is known), :func:`show_link` prints it for the learner (one message, in en/uk/ja) and shows it as a link in JupyterLab. The origin (``http://HUB``) comes from ``$GRADERS_PUBLIC_URL``, which
``graders start`` and the hub set; without it the link is the path alone (JupyterLab opens it on its own origin).

Apps behind the proxy see their path prefix in ``X-Forwarded-Prefix``. :class:`PrefixedLinks` makes a small app's
root-relative links (``href="/menu"``) carry it; root-relative redirects need nothing, the proxy prefixes them.
Label Studio is told its full public address (``LABEL_STUDIO_HOST``, see ``labelstudio.py``), so its own redirects
already carry the prefix; :func:`undouble_location` (installed in JupyterLab by ``jupyter_config/``) keeps the proxy
from adding it a second time.
"""
from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any

from ..i18n import M_, resolve_language

PUBLIC_URL_ENV = "GRADERS_PUBLIC_URL"
# A folder for $JUPYTER_CONFIG_PATH: its jupyter_server_config.py installs undouble_location in jupyter-server-proxy.
JUPYTER_CONFIG_DIR = Path(__file__).with_name("jupyter_config")

NAMES = {"rpa_app": M_("core.services.name.rpa_app", "the practice company's order system"),
         "rpa_mail": M_("core.services.name.rpa_mail", "the practice mailbox")}
# service -> its named route in the learner's JupyterLab (…/NAME/); routes.py serves them and makes the tiles (the
# practice cloud has no page of its own to open: a route for the pages it serves, such as an instance's web page, and
# no tile)
ROUTES = {"labelstudio": "labelstudio", "rpa_app": "practice-company", "rpa_mail": "practice-mailbox",
          "moto": "practice-cloud"}
TILES = {"labelstudio": M_("core.services.tile.labelstudio", "Label Studio"),
         "rpa_app": M_("core.services.tile.rpa_app", "Practice company"),
         "rpa_mail": M_("core.services.tile.rpa_mail", "Practice mailbox")}
TILE_CATEGORY = M_("core.services.tile.category", "Lab services")
OPEN = M_("core.services.open", "Open {name} in your browser (a new tab): {url}")


def jupyter_prefix() -> str:
    """The path of the learner's JupyterLab: ``/user/NAME/`` on a hub, ``/`` locally."""
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or os.environ.get("GRADERS_JUPYTER_PREFIX") or "/"
    return prefix if prefix.endswith("/") else prefix + "/"


def proxy_path(port: int | str, path: str = "") -> str:
    """``/…/proxy/PORT/path``: the service's address relative to the JupyterLab origin."""
    return f"{jupyter_prefix()}proxy/{int(port)}/{path.lstrip('/')}"


def route_path(name: str, path: str = "") -> str:
    """``/…/ROUTE/path``: the named route of service ``name`` (:data:`ROUTES`), relative to the JupyterLab origin."""
    return f"{jupyter_prefix()}{ROUTES[name]}/{path.lstrip('/')}"


def public_origin() -> str:
    """``http://host:port`` as the learner's browser reaches JupyterLab (empty when unknown)."""
    raw = os.environ.get(PUBLIC_URL_ENV, "").strip()
    m = re.match(r"^(https?://[^/]+)", raw)
    return m.group(1) if m else ""


def port_of(service: Any) -> int:
    """The port of a service handle, a service object, a URL or a port number."""
    if isinstance(service, int):
        return service
    url = service if isinstance(service, str) else getattr(service, "url")
    m = re.match(r"^https?://[^/:]+:(\d+)", url)
    if not m:
        raise ValueError(f"no port in {url!r}")
    return int(m.group(1))


def browser_url(service: Any, path: str = "", name: str | None = None) -> str:
    """Where the learner's browser reaches ``service`` (a handle, service, URL or port): through JupyterLab, by its
    named route when it has one (``name``, or the handle's own name), else by its port (``…/proxy/PORT/``)."""
    name = name or getattr(service, "name", None)
    if name in ROUTES:
        return public_origin() + route_path(name, path)
    return public_origin() + proxy_path(port_of(service), path)


def learner_url(service: Any, path: str = "", name: str | None = None) -> str:
    """The address to give the learner: through JupyterLab (:func:`browser_url`) when it runs under ``graders
    start`` or a hub; else (a plain ``jupyter lab`` on a laptop, a terminal) the service's own loopback address."""
    if public_origin() or os.environ.get("JUPYTERHUB_SERVICE_PREFIX"):
        return browser_url(service, path, name)
    direct = service if isinstance(service, str) else getattr(service, "url", None)
    if direct is None:
        direct = f"http://127.0.0.1:{port_of(service)}"
    return direct.rstrip("/") + "/" + path.lstrip("/")


class _Shown(str):
    """The address, already shown: as a notebook cell's last line it is not shown a second time."""

    def _ipython_display_(self) -> None:
        pass


def show_link(name: str, service: Any, path: str = "", lang: str | None = None) -> str:
    """Print (and in JupyterLab show as a link) where the learner opens ``service``; returns the address."""
    url = learner_url(service, path, name)
    lang = resolve_language(lang)
    label = NAMES[name].render(lang) if name in NAMES else {"labelstudio": "Label Studio"}.get(name, name)
    text = OPEN.render(lang, name=label, url=url)
    try:
        from IPython import get_ipython
        from IPython.display import HTML, display

        if get_ipython() is not None and getattr(get_ipython(), "kernel", None) is not None:
            before, _, _ = OPEN.render(lang, name=label, url="\x00").partition("\x00")
            display(HTML(f'<p>{html.escape(before)}<a href="{html.escape(url)}" target="_blank" '
                         f'rel="noopener">{html.escape(url)}</a></p>'))
            return _Shown(url)
    except ImportError:
        pass
    print(text, flush=True)
    return url


# --- proxy support in the apps -----------------------------------------------------------------------------------
_PREFIX_OK = re.compile(r"^(/[A-Za-z0-9._~%@-]+)+$")
_ROOT_LINK = re.compile(rb'((?:href|src|action|formaction)=["\'])/(?!/)')


class PrefixedLinks:
    """WSGI middleware: behind a proxy that says its prefix (``X-Forwarded-Prefix: /user/a/proxy/8123``), the app's
    root-relative links in HTML (``href="/menu"``, ``action="/login"``) get it, and ``SCRIPT_NAME`` is set (so
    ``url_for`` and ``request.script_root`` know it). Redirects are left as they are: the proxy prefixes them."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        prefix = environ.get("HTTP_X_FORWARDED_PREFIX", "").rstrip("/")
        if not prefix or not _PREFIX_OK.match(prefix):
            return self.app(environ, start_response)
        environ["SCRIPT_NAME"] = prefix
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None  # nothing here uses write()

        body = self.app(environ, capture)
        try:
            chunks = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = captured["headers"]
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        if ctype.startswith("text/html"):
            chunks = _ROOT_LINK.sub(lambda m: m.group(1) + prefix.encode() + b"/", chunks)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(chunks))))
        start_response(captured["status"], headers)
        return [chunks]


def undouble_location(response, request, port):
    """jupyter-server-proxy hook: a redirect that already carries ``…/proxy/PORT`` (Label Studio knows its public
    address) would be prefixed a second time; strip it here, the proxy puts it back once."""
    location = response.headers.get("Location")
    if not location or not location.startswith("/"):
        return
    marker = f"/proxy/{port}"
    path = request.path
    i = path.find(marker + "/") if marker + "/" in path else path.find(marker)
    if i < 0:
        return
    context = path[:i + len(marker)]
    if location == context or location.startswith(context + "/") or location.startswith(context + "?"):
        response.headers["Location"] = location[len(context):] or "/"


def jupyter_environment(origin: str | None = None, environ=os.environ) -> dict[str, str]:
    """What JupyterLab (and the services and kernels it starts) need for the proxy: the browser's origin, and
    :data:`JUPYTER_CONFIG_DIR` on ``$JUPYTER_CONFIG_PATH`` (kept in front of what was there)."""
    env = {}
    if origin:
        env[PUBLIC_URL_ENV] = origin.rstrip("/")
    parts = [p for p in environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep) if p]
    if str(JUPYTER_CONFIG_DIR) not in parts:
        parts.insert(0, str(JUPYTER_CONFIG_DIR))
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(parts)
    return env
