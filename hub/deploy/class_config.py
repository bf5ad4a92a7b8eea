# The class on a TLJH server or on Kubernetes (zero-to-jupyterhub): who may log in, nbgrader's course groups, each
# person's language, the instructor's tools, the nbgrader exchange. Standard library only: it runs inside the hub's
# own environment there, where our package is not installed.
#
#   TLJH:        copied to /opt/tljh/config/jupyterhub_config.d/ by hub/deploy/tljh/install.sh; the class is read
#                from /opt/tljh/config/digital-skills-class.json (`graders hub export-class class.csv --json`).
#   Kubernetes:  helm ... --set-file hub.extraConfig.digitalSkillsClass=hub/deploy/class_config.py; the class is
#                read from the chart's custom.class (`graders hub export-class class.csv --helm`).
import json
import os

CLASS_FILE = os.environ.get("DSH_CLASS_FILE", "/opt/tljh/config/digital-skills-class.json")


def load_class():
    """(the class, whether this is zero-to-jupyterhub)"""
    try:
        from z2jh import get_config as chart_value  # zero-to-jupyterhub's hub image
    except ImportError:
        chart_value = None
    if chart_value is not None:
        return chart_value("custom.class", {}) or {}, True
    if os.path.exists(CLASS_FILE):
        with open(CLASS_FILE, encoding="utf-8") as f:
            return json.load(f), False
    return {}, False


CLASS, ON_KUBERNETES = load_class()
COURSE = CLASS.get("course", "digital-skills-day")
EXCHANGE = CLASS.get("exchange", "/srv/nbgrader/exchange")
# The learners' environment: /opt/tljh/user on TLJH, the image's conda env (repo2docker) on Kubernetes.
USER_ENV = CLASS.get("user_env") or os.environ.get("DSH_USER_ENV", "/opt/tljh/user")
PEOPLE = CLASS.get("users", {})


def is_instructor(name):
    return PEOPLE.get(name, {}).get("role") == "instructor"


try:
    c  # zero-to-jupyterhub runs this inside its own jupyterhub_config.py, where c exists
except NameError:
    c = get_config()  # noqa: F821 (TLJH loads this as a config file of its own)

# Only the people on the class list; each sets their password at their first login (FirstUseAuthenticator, in the
# hub environment of TLJH and of zero-to-jupyterhub), and nobody else can sign up.
c.JupyterHub.authenticator_class = "firstuseauthenticator.FirstUseAuthenticator"
c.FirstUseAuthenticator.create_users = False
c.FirstUseAuthenticator.min_password_length = 8
c.Authenticator.allowed_users = set(PEOPLE)
c.Authenticator.admin_users = set(CLASS.get("admins", []))
# nbgrader's course roles as JupyterHub groups.
c.JupyterHub.load_groups = {
    f"nbgrader-{COURSE}": {"users": sorted(n for n in PEOPLE if not is_instructor(n))},
    f"formgrade-{COURSE}": {"users": sorted(n for n in PEOPLE if is_instructor(n))},
}

c.Spawner.default_url = "/lab"
# The person's language first, then JupyterLab; their lab services stop with it (graders/hub/singleuser.py).
c.Spawner.cmd = ["python" if ON_KUBERNETES else os.path.join(USER_ENV, "bin", "python"), "-m", "graders.hub.singleuser"]


def _configured_public_url():
    try:
        return c.JupyterHub.get("public_url") or ""   # JupyterHub's own setting, if the deployment sets it
    except AttributeError:
        return ""


# Where learners' browsers reach the hub (https://hub.school.example): the lab services opened through each
# learner's JupyterLab need it (Label Studio accepts only its full public address). From the class file
# (`graders hub export-class --public-url`), else JupyterHub.public_url, else the address of the request that starts
# the server (what the browser used; JupyterHub reads X-Forwarded-Proto from TLJH's and the chart's proxies).
PUBLIC_URL = (CLASS.get("public_url") or _configured_public_url()).rstrip("/")


def public_url(spawner):
    if PUBLIC_URL:
        return PUBLIC_URL
    request = getattr(getattr(spawner, "handler", None), "request", None)
    host, protocol = getattr(request, "host", ""), getattr(request, "protocol", "")
    if host and protocol in ("http", "https"):
        return f"{protocol}://{host}"
    return ""


def class_environment(spawner):
    """Each person's language and course settings; the instructor's Formgrader and course tools."""
    person = PEOPLE.get(spawner.user.name, {})
    spawner.environment.update({
        "GRADERS_LANG": person.get("lang", "en"),
        "GRADERS_CHALLENGE": "1" if person.get("challenge") else "0",   # the class list's challenge column
        "NBGRADER_EXCHANGE_ROOT": EXCHANGE,
        "NBGRADER_COURSE_ID": COURSE,
        "GRADERS_HUB": "1",
    })
    address = public_url(spawner)
    if address:
        spawner.environment["GRADERS_PUBLIC_URL"] = address
    if is_instructor(spawner.user.name):
        spawner.environment["JUPYTER_CONFIG_PATH"] = os.path.join(USER_ENV, "etc", "jupyter", "instructor")


c.Spawner.pre_spawn_hook = class_environment
