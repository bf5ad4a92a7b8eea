"""The class hub's JupyterHub configuration, in one function (``hub/jupyterhub_config.py`` calls it).

Local mode: everything on 127.0.0.1 (the proxy's public and API ports, the hub, each learner's JupyterLab), real
Unix users started with ``LocalProcessSpawner``, the workshop authenticator, nbgrader's exchange in the hub's state
folder, JupyterHub groups for nbgrader's course roles, the idle culler, and each person's language.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from ..services.base import free_port
from .roster import HubState

LOOPBACK = "127.0.0.1"
# Scopes of the token a learner's JupyterLab gets: what JupyterHub gives by default, plus reading one's own groups
# (nbgrader's JupyterHubAuthPlugin asks the hub which courses the learner is in).
SERVER_TOKEN_SCOPES = ["users:activity!user", "access:servers!server", "read:users:name!user",
                       "read:users:groups!user"]
LOGIN_ANNOUNCEMENT = (
    "Log in with the username and password on your card. · "
    "Увійдіть з іменем користувача та паролем з вашої картки. · "
    "カードに書かれたユーザー名とパスワードでログインしてください。"
)


def hub_env_dir() -> Path:
    """The environment the hub runs from (``/opt/digital-skills-hub/venv``): learners' servers run from it too."""
    return Path(sys.prefix)


def configure(c, state_dir: str | os.PathLike | None = None) -> HubState:
    state = HubState(state_dir)
    settings = state.load_settings()
    venv = Path(settings.get("venv") or hub_env_dir())
    bin_dir = venv / "bin"
    course = settings.get("course") or state.course
    port = int(settings.get("port", 8000))
    hub_port = int(settings.get("hub_port", 8081))
    proxy_api_port = int(settings.get("proxy_api_port", 8001))

    # --- network: loopback only ----------------------------------------------------------------------------------
    c.JupyterHub.bind_url = f"http://{LOOPBACK}:{port}/"
    c.JupyterHub.hub_bind_url = f"http://{LOOPBACK}:{hub_port}"
    c.ConfigurableHTTPProxy.api_url = f"http://{LOOPBACK}:{proxy_api_port}"
    c.ConfigurableHTTPProxy.command = [str(bin_dir / "configurable-http-proxy")]
    c.ConfigurableHTTPProxy.auth_token = state.api_token("proxy")
    c.Spawner.ip = LOOPBACK

    # --- the hub's own files -------------------------------------------------------------------------------------
    c.JupyterHub.db_url = f"sqlite:///{state.hub_dir / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state.hub_dir / "jupyterhub_cookie_secret")
    c.JupyterHub.pid_file = str(state.hub_dir / "jupyterhub.pid")
    c.JupyterHub.cleanup_servers = True  # a stopped hub leaves no learner server behind
    c.JupyterHub.cleanup_proxy = True
    c.JupyterHub.template_vars = {"announcement_login": settings.get("login_announcement", LOGIN_ANNOUNCEMENT)}

    # --- who may log in --------------------------------------------------------------------------------------------
    c.JupyterHub.authenticator_class = "graders.hub.auth.WorkshopAuthenticator"
    c.WorkshopAuthenticator.state_dir = str(state.root)
    # nbgrader's course roles as JupyterHub groups (nbgrader-<course>, formgrade-<course>): the authenticator sets
    # them from the roster at each login, so a changed role counts from the next login on.
    c.Authenticator.manage_groups = True
    c.Authenticator.admin_users = set()

    # --- each person's JupyterLab, as their own Unix user ------------------------------------------------------------
    c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
    c.Spawner.cmd = [str(bin_dir / "python"), "-m", "graders.hub.singleuser"]
    c.Spawner.default_url = "/lab"
    c.Spawner.notebook_dir = "~"
    c.Spawner.start_timeout = int(settings.get("start_timeout", 120))
    c.Spawner.http_timeout = int(settings.get("http_timeout", 120))
    c.Spawner.server_token_scopes = SERVER_TOKEN_SCOPES
    c.Spawner.env_keep = ["LANG", "LC_ALL"]  # nothing of root's own environment (PYTHONPATH, tokens ...)

    # A learner's server binds its port a second or more after the hub chose it, and may not move to another one.
    # jupyterhub's own choice is a bind to port 0: the range every other bind to 0 and every outgoing connection on
    # this machine draws from, so another program could take it meanwhile. free_port() chooses below that range.
    def choose_port(spawner) -> None:
        spawner.port = free_port()

    c.Spawner.pre_spawn_hook = choose_port

    def member(spawner):
        return state.load_roster().get(spawner.user.name)

    def language(spawner) -> str:
        m = member(spawner)
        return m.lang if m else "en"

    def challenge(spawner) -> str:
        m = member(spawner)
        return "1" if m and m.challenge else "0"

    def config_path(spawner) -> str:
        # The instructor's JupyterLab also reads etc/jupyter/instructor (Formgrader and course tools switched on).
        m = member(spawner)
        return str(venv / "etc" / "jupyter" / "instructor") if m and m.is_instructor else ""

    c.Spawner.environment = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "GRADERS_LANG": language,
        "GRADERS_CHALLENGE": challenge,   # the class list's challenge column: the fetch cuts notebooks to goals+checks
        "JUPYTER_CONFIG_PATH": config_path,
        "NBGRADER_EXCHANGE_ROOT": str(state.exchange),
        "NBGRADER_COURSE_ID": course,
        "GRADERS_HUB": "1",
        # Where learners' browsers reach the hub: lab services are opened through their JupyterLab's proxy
        # (graders/services/proxy.py); `public_url` in the hub's settings when it is served elsewhere (TLS proxy).
        "GRADERS_PUBLIC_URL": str(settings.get("public_url") or f"http://{LOOPBACK}:{port}"),
        # Per process / per person (graders/hub/singleuser.py): no learner can take the whole machine.
        "GRADERS_MEM_LIMIT": str(int(settings.get("mem_limit", 3 * 1024**3))),
        "GRADERS_MAX_PROCS": str(int(settings.get("max_procs", 768))),
    }

    # --- idle culling: a server nobody used for an hour stops (work is saved; the learner starts it again) ----------
    idle = int(settings.get("idle_timeout", 3600))
    services = [{
        "name": "idle-culler",
        "command": [str(bin_dir / "python"), "-m", "jupyterhub_idle_culler", f"--timeout={idle}",
                    f"--cull-every={max(10, min(300, idle // 4))}"],
    }, {
        # The organiser's token (graders hub status, tests, the load benchmark): manage users and servers.
        "name": "dsh-admin",
        "api_token": state.api_token("admin"),
    }]
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = [
        {"name": "idle-culler", "services": ["idle-culler"],
         "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]},
        {"name": "dsh-admin", "services": ["dsh-admin"],
         "scopes": ["admin:users", "admin:servers", "access:servers", "tokens", "list:groups", "read:groups"]},
    ]
    c.JupyterHub.log_level = settings.get("log_level", "INFO")
    return state
