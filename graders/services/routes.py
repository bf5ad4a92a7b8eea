"""Named routes and Launcher tiles for the lab services a learner opens (jupyter-server-proxy, in their JupyterLab).

``…/labelstudio/``, ``…/practice-company/``, ``…/practice-mailbox/`` (:data:`proxy.ROUTES`) stay the same whatever
port the service got today, and each has a tile in JupyterLab's Launcher titled in the learner's language.
``…/practice-cloud/`` (moto) is a route only, for pages the practice cloud serves (an instance's web page).

Our services are started by the platform itself, on demand and on a free port: by the learner's kernel (``Lab(...)``
-> :func:`registry.connect`, recorded in the workspace's ``.graders/services/NAME.json``), or by ``graders start``.
jupyter-server-proxy's named servers either start a ``command`` on a port *they* choose, or point at a fixed ``port``.
Neither fits: a second copy started by the proxy would share the learner's data folder with the kernel's copy
(Label Studio's SQLite, the practice company's orders), and a fixed port per learner would collide on a class hub.
So each route is jupyter-server-proxy's own named-server handler (same login check, websockets, ``X-Forwarded-Prefix``
and redirect rewriting) whose port is looked up per request in the workspace's service record; when the service is
not running yet, the route starts it the same way the kernel would (``connect``), so a tile works before the notebook.
Whoever comes first starts it; the other finds it.

Installed by ``jupyter_config/jupyter_server_config.py`` (``graders start`` and the hub put that folder on
``$JUPYTER_CONFIG_PATH``); kernels never import this module.
"""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from urllib.parse import urlparse

from jupyter_server_proxy.config import ServerProcess
from jupyter_server_proxy.handlers import NamedLocalProxyHandler
from tornado import web

from ..i18n import resolve_language
from .base import ServiceError
from .proxy import ROUTES, TILE_CATEGORY, TILES, port_of

ICONS = {  # simple, self-made Launcher pictures (no download, no trademark)
    "labelstudio": '<rect x="6" y="10" width="36" height="28" rx="3" fill="#fff" stroke="#e8633c" stroke-width="3"/>'
                   '<rect x="13" y="16" width="14" height="14" fill="none" stroke="#e8633c" stroke-width="3"'
                   ' stroke-dasharray="4 2"/><circle cx="33" cy="28" r="4" fill="#e8633c"/>',
    "rpa_app": '<rect x="8" y="14" width="32" height="26" fill="#fff" stroke="#2e7d32" stroke-width="3"/>'
               '<path d="M8 14 L24 5 L40 14" fill="none" stroke="#2e7d32" stroke-width="3"/>'
               '<rect x="20" y="27" width="8" height="13" fill="#2e7d32"/>',
    "rpa_mail": '<rect x="6" y="12" width="36" height="24" rx="2" fill="#fff" stroke="#1565c0" stroke-width="3"/>'
                '<path d="M6 13 L24 27 L42 13" fill="none" stroke="#1565c0" stroke-width="3"/>',
}


def icon_file(service: str) -> str:
    """An SVG file for the tile (written once into the user's cache: the package ships Python files only)."""
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "digital-skills-labs" / "icons"
    path = folder / f"{ROUTES[service]}.svg"
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 48 48">{ICONS[service]}</svg>\n'
    try:
        if not path.exists() or path.read_text(encoding="utf-8") != svg:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(svg, encoding="utf-8")
        return str(path)
    except OSError:   # a read-only home: a tile without a picture
        return ""


def _recorded_port(service: str) -> int | None:
    """The port of this workspace's running ``service`` (or the one given by ``$GRADERS_SERVICE_<NAME>``), at
    no more cost than reading a small file: no start, no health request."""
    from .registry import _alive, _from_env, services_dir

    handle = _from_env(service)
    if handle is not None:
        return port_of(handle.url)
    try:
        state = json.loads((services_dir() / f"{service}.json").read_text(encoding="utf-8"))
        return port_of(state["url"]) if _alive(int(state.get("pid", 0))) else None
    except (OSError, ValueError, KeyError):
        return None


def _start(service: str) -> int:
    from .registry import connect

    return port_of(connect(service).url)


class ServiceRouteHandler(NamedLocalProxyHandler):
    """jupyter-server-proxy's named-server handler, with the port of the workspace's service looked up per request."""

    service = ""
    _starting: dict[str, asyncio.Lock] = {}

    async def prepare(self, *args, **kwargs):
        await super().prepare(*args, **kwargs)   # the JupyterLab login (hub or token) first
        if self._finished:
            return
        port = _recorded_port(self.service)
        if port is None:
            lock = self._starting.setdefault(self.service, asyncio.Lock())
            async with lock:   # two requests at once start it once
                port = _recorded_port(self.service)
                if port is None:
                    try:
                        port = await asyncio.get_running_loop().run_in_executor(None, _start, self.service)
                    except ServiceError as exc:
                        raise web.HTTPError(503, str(exc)) from exc
        self.port = port

    def _rewrite_location_header(self, location, host, port, proxied_path):
        # Label Studio knows its public address (LABEL_STUDIO_HOST): its redirects carry the route already
        context = self._get_context_path(host, port).rstrip("/")
        path = urlparse(location).path
        if location.startswith("/") and (path == context or path.startswith(context + "/")):
            return location
        return super()._rewrite_location_header(location, host, port, proxied_path)


class ServiceRoute(ServerProcess):
    """A named server of jupyter-server-proxy for one of our services (no command, no fixed port)."""

    def __init__(self, service: str, lang: str, **kwargs):
        self._service = service
        super().__init__(name=ROUTES[service], **kwargs)

    def make_proxy_handler(self):
        attributes = {"name": self.name, "proxy_base": self.name, "absolute_url": False, "mappath": {},
                      "rewrite_response": [], "request_headers_override": {},
                      "update_last_activity": True, "exclude_last_activity_patterns": []}
        service = self._service

        class _Route(ServiceRouteHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for key, value in attributes.items():
                    setattr(self, key, value)
                self.service = service

        return _Route, {}


def label_studio_installed() -> bool:
    from .labelstudio import label_studio_command

    try:
        label_studio_command()
        return True
    except ServiceError:
        return False


def servers(lang: str | None = None) -> dict[str, ServiceRoute]:
    """``c.ServerProxy.servers`` entries: one route per service, its tile titled in the learner's language (Label
    Studio's tile only where it is installed; its route answers 503 with the reason otherwise)."""
    lang = resolve_language(lang)
    out = {}
    for service, route in ROUTES.items():
        tile = service in TILES and (service != "labelstudio" or label_studio_installed())
        out[route] = ServiceRoute(service, lang, launcher_entry={
            "enabled": tile, "title": TILES[service].render(lang) if service in TILES else route,
            "path_info": route + "/",
            "category": TILE_CATEGORY.render(lang), "icon_path": icon_file(service) if tile else ""},
            new_browser_tab=True)
    return out
