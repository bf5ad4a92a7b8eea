"""The class hub's parts that need no running hub: class lists, passwords, the authenticator, the JupyterHub config,
the learner's language, and the deployment configs (TLJH, zero-to-jupyterhub, the repo2docker image)."""
from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
import sys
import types
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config

from graders.hub import roster
from graders.hub.roster import HubState, Member, RosterError, add_class, read_class_list

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "hub" / "deploy"

CLASS_CSV = """\ufeffusername;name;language;role;password
sato;Ms Sato;ja;teacher;
olena;Olena K.;uk;;olena-secret-1
taro;Taro Y.;JA;student;
"""


# --- class lists and passwords ----------------------------------------------------------------------------------------

def test_a_class_list_from_a_spreadsheet_is_read():
    members, passwords, problems = read_class_list(CLASS_CSV)
    assert problems == []
    assert [(m.username, m.lang, m.role) for m in members] == [
        ("sato", "ja", "instructor"), ("olena", "uk", "learner"), ("taro", "ja", "learner")]
    assert members[1].name == "Olena K." and passwords == {"olena": "olena-secret-1"}


@pytest.mark.parametrize("row, problem", [
    ("Olena,Olena,uk,,", "cannot be used"),              # capital letters: not a Unix name
    ("root-,x,uk,,", "cannot be used"),
    ("1taro,x,ja,,", "cannot be used"),
    ("olena,x,de,,", "language 'de'"),
    ("olena,x,uk,admin,", "role 'admin'"),
    ("olena,x,uk,,short", "shorter than 8"),
])
def test_every_bad_line_is_named_with_what_to_fix(row, problem):
    members, _, problems = read_class_list("username,name,lang,role,password\n" + row + "\n")
    assert members == [] and len(problems) == 1
    assert problem in problems[0] and problems[0].startswith("line 2")


def test_a_class_list_without_usernames_or_with_duplicates_is_refused():
    assert "username" in read_class_list("name,lang\nOlena,uk\n")[2][0]
    problems = read_class_list("username\nolena\nolena\n")[2]
    assert problems == ["line 3: username 'olena' is already on line 2."]
    assert read_class_list("")[2]


def test_passwords_are_stored_hashed_and_checked():
    stored = roster.hash_password("olena-secret-1", iterations=1000)
    assert "olena-secret-1" not in stored and stored.startswith("pbkdf2_sha256$1000$")
    assert roster.verify_password("olena-secret-1", stored)
    assert not roster.verify_password("olena-secret-2", stored)
    assert not roster.verify_password("x", "garbage")
    assert roster.hash_password("same", iterations=1000) != roster.hash_password("same", iterations=1000)  # salted
    made = {roster.new_password() for _ in range(50)}
    assert len(made) == 50 and all(len(p) == 14 and p.count("-") == 2 for p in made)
    assert not any(ch in p for p in made for ch in "0O1l")


def test_adding_a_class_makes_passwords_for_who_has_none_and_keeps_the_others(tmp_path):
    state = HubState(tmp_path / "state")
    members, given, _ = read_class_list(CLASS_CSV)
    first = add_class(state, members, given, unix_users=False)
    assert sorted(first.added) == ["olena", "sato", "taro"] and sorted(first.new_passwords) == ["sato", "taro"]
    assert stat.S_IMODE(first.slip.stat().st_mode) == 0o600 and "taro," in first.slip.read_text()
    assert stat.S_IMODE(state.passwords_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.hub_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(state.exchange.stat().st_mode) == 0o1777
    hashes = state.load_passwords()
    assert roster.verify_password("olena-secret-1", hashes["olena"])
    assert roster.verify_password(first.new_passwords["taro"], hashes["taro"])
    # Again (a late change of language): same passwords, updated language, nothing new on a slip.
    taro = Member("taro", "Taro Y.", "en", "learner")
    second = add_class(state, [taro], {}, unix_users=False)
    assert second.updated == ["taro"] and second.new_passwords == {} and second.slip is None
    assert state.load_passwords()["taro"] == hashes["taro"] and state.load_roster()["taro"].lang == "en"


def test_a_hub_has_one_instructor(tmp_path):
    state = HubState(tmp_path / "state")
    add_class(state, [Member("sato", "", "ja", "instructor")], {}, unix_users=False)
    with pytest.raises(RosterError, match="one instructor"):
        add_class(state, [Member("kim", "", "en", "instructor")], {}, unix_users=False)
    assert list(state.load_roster()) == ["sato"]  # nothing changed


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to look at Unix users")
def test_existing_system_users_are_never_adopted(tmp_path):
    state = HubState(tmp_path / "state")
    with pytest.raises(RosterError, match="not made by the class hub"):
        add_class(state, [Member("root", "", "en", "learner")], {"root": "long-enough-pw"})
    assert state.load_roster() == {}
    with pytest.raises(RosterError):
        roster.remove_unix_user("root")


# --- the authenticator ------------------------------------------------------------------------------------------------

@pytest.fixture
def class_state(tmp_path):
    state = HubState(tmp_path / "state")
    members, given, _ = read_class_list(CLASS_CSV)
    result = add_class(state, members, given, unix_users=False)
    return state, result.new_passwords


def _login(authenticator, username, password):
    return asyncio.run(authenticator.get_authenticated_user(None, {"username": username, "password": password}))


def test_only_people_on_the_class_list_log_in_with_their_own_password(class_state):
    from graders.hub.auth import WorkshopAuthenticator

    state, made = class_state
    auth = WorkshopAuthenticator(state_dir=str(state.root))
    olena = _login(auth, "olena", "olena-secret-1")
    assert olena["name"] == "olena" and olena["groups"] == ["nbgrader-digital-skills-day"] and olena["admin"] is False
    assert _login(auth, "sato", made["sato"])["groups"] == ["formgrade-digital-skills-day"]
    assert _login(auth, " Olena ", "olena-secret-1")["name"] == "olena"     # typed with a capital and spaces
    assert _login(auth, "olena", "olena-secret-2") is None                 # wrong password
    assert _login(auth, "olena", made["taro"]) is None                      # someone else's password
    assert _login(auth, "olena", "") is None
    assert _login(auth, "stranger", "olena-secret-1") is None               # not on the list: no sign-up
    assert _login(auth, "root", "") is None
    # Added while the hub runs: can log in at once, no restart.
    add_class(state, [Member("kim", "", "en", "learner")], {"kim": "kim-secret-1"}, unix_users=False)
    assert _login(auth, "kim", "kim-secret-1")["name"] == "kim"
    state.forget(["kim"])
    assert _login(auth, "kim", "kim-secret-1") is None


# --- the JupyterHub configuration --------------------------------------------------------------------------------------

def _configured(state: HubState) -> Config:
    from graders.hub.config import configure

    state.save_settings({"port": 18000, "hub_port": 18081, "proxy_api_port": 18001, "venv": "/opt/dsh/venv",
                         "idle_timeout": 1200})
    c = Config()
    configure(c, state.root)
    return c


class _Spawner:
    def __init__(self, name):
        self.user = types.SimpleNamespace(name=name)


def test_the_hub_listens_on_loopback_and_runs_each_person_as_themselves(class_state):
    state, _ = class_state
    c = _configured(state)
    assert c.JupyterHub.bind_url == "http://127.0.0.1:18000/"
    assert c.JupyterHub.hub_bind_url == "http://127.0.0.1:18081"
    assert c.ConfigurableHTTPProxy.api_url == "http://127.0.0.1:18001"
    assert c.Spawner.ip == "127.0.0.1"
    assert c.JupyterHub.spawner_class == "jupyterhub.spawner.LocalProcessSpawner"
    assert c.Spawner.cmd == ["/opt/dsh/venv/bin/python", "-m", "graders.hub.singleuser"]
    assert c.JupyterHub.authenticator_class == "graders.hub.auth.WorkshopAuthenticator"
    assert c.Authenticator.manage_groups is True and c.Authenticator.admin_users == set()
    assert c.Spawner.env_keep == ["LANG", "LC_ALL"]
    env = c.Spawner.environment
    assert env["GRADERS_LANG"](_Spawner("olena")) == "uk" and env["GRADERS_LANG"](_Spawner("taro")) == "ja"
    assert env["JUPYTER_CONFIG_PATH"](_Spawner("sato")) == "/opt/dsh/venv/etc/jupyter/instructor"
    assert env["JUPYTER_CONFIG_PATH"](_Spawner("olena")) == ""
    assert env["NBGRADER_EXCHANGE_ROOT"] == str(state.exchange)
    culler = next(s for s in c.JupyterHub.services if s["name"] == "idle-culler")
    assert "--timeout=1200" in culler["command"]
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert "delete:servers" in roles["idle-culler"]["scopes"]
    # The hub's secrets stay in its private folder.
    assert Path(c.JupyterHub.cookie_secret_file).parent == state.hub_dir
    assert stat.S_IMODE((state.hub_dir / "admin.token").stat().st_mode) == 0o600


def test_the_config_file_jupyterhub_reads_loads(class_state, monkeypatch):
    from jupyterhub.app import JupyterHub

    state, _ = class_state
    _configured(state)
    monkeypatch.setenv("DSH_STATE", str(state.root))
    app = JupyterHub()
    app.load_config_file(str(REPO / "hub" / "jupyterhub_config.py"))
    assert app.config.JupyterHub.bind_url == "http://127.0.0.1:18000/"
    from graders.hub.auth import WorkshopAuthenticator
    from jupyterhub.spawner import LocalProcessSpawner
    auth = WorkshopAuthenticator(config=app.config)
    assert auth.state_dir == str(state.root)
    spawner_config = app.config.Spawner
    assert LocalProcessSpawner(config=app.config).cmd == spawner_config.cmd


# --- each person's language, in their own JupyterLab ----------------------------------------------------------------

def test_the_learners_language_is_set_once_and_their_own_choice_kept(tmp_path, monkeypatch):
    from graders.hub.singleuser import TRANSLATION_SETTINGS, apply_language

    monkeypatch.setenv("JUPYTERLAB_SETTINGS_DIR", str(tmp_path / "settings"))
    path = tmp_path / "settings" / TRANSLATION_SETTINGS
    assert apply_language("uk") is True
    assert json.loads(path.read_text())["locale"] == "uk_UA"
    path.write_text(json.dumps({"locale": "en"}))               # the learner switched JupyterLab to English
    assert apply_language("uk") is False
    assert json.loads(path.read_text())["locale"] == "en"       # ... and keeps it
    assert apply_language("ja") is True                          # the organiser changed the class list
    assert json.loads(path.read_text())["locale"] == "ja_JP"


def test_a_runaway_allocation_meets_the_memory_limit_not_the_machine():
    code = ("from graders.hub.singleuser import apply_limits\n"
            "print(apply_limits({'GRADERS_MEM_LIMIT': str(256 * 1024**2), 'GRADERS_MAX_PROCS': 'x'}))\n"
            "try:\n    block = bytearray(1024**3)\nexcept MemoryError:\n    print('MemoryError')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout.split()
    assert out == ["{'GRADERS_MEM_LIMIT':", "268435456}", "MemoryError"]


def test_the_learners_environment_hides_instructor_tools_and_the_instructor_gets_them(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, str(REPO / "hub" / "configure_env.py"), str(venv)], check=True)
    etc = venv / "etc" / "jupyter"
    disabled = json.loads((etc / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    enabled = json.loads((etc / "instructor" / "labconfig" / "page_config.json").read_text())["disabledExtensions"]
    assert disabled["@jupyter/nbgrader:formgrader"] is True and enabled["@jupyter/nbgrader:formgrader"] is False
    server = json.loads((etc / "jupyter_server_config.d" / "zz-digital-skills-hub.json").read_text())
    assert server["ServerApp"]["jpserver_extensions"]["nbgrader.server_extensions.formgrader"] is False
    overrides = json.loads((venv / "share" / "jupyter" / "lab" / "settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    config = (etc / "nbgrader_config.py").read_text()
    assert "graders.exchange.LocalizedFetchAssignment" in config and "graders.exchange.PrivateSubmit" in config


# --- deployment: TLJH and zero-to-jupyterhub --------------------------------------------------------------------------

def _run_class_snippet(monkeypatch, chart_class: dict | None = None, class_file: Path | None = None) -> Config:
    """Run hub/deploy/class_config.py as TLJH (a config file) or zero-to-jupyterhub (inside its config) would."""
    c = Config()
    namespace = {"get_config": lambda: c, "__name__": "__main__"}
    if chart_class is not None:
        z2jh = types.ModuleType("z2jh")
        z2jh.get_config = lambda key, default=None: chart_class if key == "custom.class" else default
        monkeypatch.setitem(sys.modules, "z2jh", z2jh)
        namespace["c"] = c
    if class_file is not None:
        monkeypatch.setenv("DSH_CLASS_FILE", str(class_file))
    exec(compile((DEPLOY / "class_config.py").read_text(), "class_config.py", "exec"), namespace)
    return c


def _exported(tmp_path, *flags) -> str:
    csv_path = tmp_path / "class.csv"
    csv_path.write_text(CLASS_CSV, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "graders", "hub", "export-class", str(csv_path), *flags],
                          capture_output=True, text=True, check=True)
    assert "secret" not in proc.stdout                              # passwords never leave the organiser's CSV
    return proc.stdout


def _check_class_config(c: Config, python: str, user_env: str) -> None:
    assert c.Authenticator.allowed_users == {"sato", "olena", "taro"}
    assert c.FirstUseAuthenticator.create_users is False           # no sign-up for names off the list
    assert c.JupyterHub.load_groups == {"nbgrader-digital-skills-day": {"users": ["olena", "taro"]},
                                        "formgrade-digital-skills-day": {"users": ["sato"]}}
    assert c.Spawner.cmd == [python, "-m", "graders.hub.singleuser"]
    for name, lang, instructor in (("olena", "uk", False), ("sato", "ja", True)):
        spawner = _Spawner(name)
        spawner.environment = {}
        c.Spawner.pre_spawn_hook(spawner)
        assert spawner.environment["GRADERS_LANG"] == lang
        assert spawner.environment["NBGRADER_EXCHANGE_ROOT"] == "/srv/nbgrader/exchange"
        assert ("JUPYTER_CONFIG_PATH" in spawner.environment) is instructor
        if instructor:
            assert spawner.environment["JUPYTER_CONFIG_PATH"] == f"{user_env}/etc/jupyter/instructor"


def test_tljh_gets_the_class_from_its_config_folder(tmp_path, monkeypatch):
    class_file = tmp_path / "digital-skills-class.json"
    class_file.write_text(_exported(tmp_path, "--json", "--user-env", "/opt/tljh/user"), encoding="utf-8")
    c = _run_class_snippet(monkeypatch, class_file=class_file)
    _check_class_config(c, "/opt/tljh/user/bin/python", "/opt/tljh/user")


def test_tljh_and_kubernetes_learners_know_the_hubs_public_address(tmp_path, monkeypatch):
    """Label Studio through a learner's JupyterLab needs the address browsers use (GRADERS_PUBLIC_URL): from the
    class file, else JupyterHub.public_url, else the request that starts the server."""
    def environment(c, handler=None):
        spawner = _Spawner("olena")
        spawner.environment = {}
        spawner.handler = handler
        c.Spawner.pre_spawn_hook(spawner)
        return spawner.environment.get("GRADERS_PUBLIC_URL")

    class_file = tmp_path / "digital-skills-class.json"
    class_file.write_text(_exported(tmp_path, "--json", "--public-url", "https://hub.school.example/"), encoding="utf-8")
    assert environment(_run_class_snippet(monkeypatch, class_file=class_file)) == "https://hub.school.example"

    chart = yaml.safe_load(_exported(tmp_path, "--helm"))["custom"]["class"]
    assert "public_url" not in chart
    request = types.SimpleNamespace(request=types.SimpleNamespace(protocol="https", host="labs.example.org"))
    c = _run_class_snippet(monkeypatch, chart_class=chart)
    assert environment(c) is None                                    # nothing known: links stay relative
    assert environment(c, request) == "https://labs.example.org"     # the browser's own address
    c = Config()
    c.JupyterHub.public_url = "https://jh.example.net"
    namespace = {"c": c, "__name__": "__main__"}
    exec(compile((DEPLOY / "class_config.py").read_text(), "class_config.py", "exec"), namespace)
    assert environment(c, request) == "https://jh.example.net"

    bad = subprocess.run([sys.executable, "-m", "graders", "hub", "export-class", str(tmp_path / "class.csv"),
                          "--json", "--public-url", "hub.school.example"], capture_output=True, text=True)
    assert bad.returncode == 2 and "https://hub.school.example" in bad.stderr


def test_tljh_and_kubernetes_learners_get_challenge_mode_from_the_class_list(tmp_path, monkeypatch):
    """The class list's challenge column reaches TLJH/Kubernetes learners as it reaches the local hub's."""
    csv_path = tmp_path / "class.csv"
    csv_path.write_text("username;name;language;role;challenge\nsato;Ms Sato;ja;teacher;\nolena;Olena K.;uk;;yes\n"
                        "taro;Taro Y.;ja;;no\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "graders", "hub", "export-class", str(csv_path), "--json"],
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out)["users"]["olena"]["challenge"] is True and "challenge" not in json.loads(out)["users"]["taro"]
    class_file = tmp_path / "digital-skills-class.json"
    class_file.write_text(out, encoding="utf-8")
    c = _run_class_snippet(monkeypatch, class_file=class_file)
    modes = {}
    for name in ("olena", "taro"):
        spawner = _Spawner(name)
        spawner.environment = {}
        c.Spawner.pre_spawn_hook(spawner)
        modes[name] = spawner.environment["GRADERS_CHALLENGE"]
    assert modes == {"olena": "1", "taro": "0"}


TLJH_KEYS = {  # the TLJH settings this project uses, as `tljh-config set KEY VALUE` takes them
    "user_environment.default_app": {"jupyterlab", "classic"},
    "limits.memory": str, "limits.cpu": int,
    "services.cull.enabled": bool, "services.cull.timeout": int, "services.cull.every": int,
    "services.cull.users": bool, "http.port": int, "https.enabled": bool,
}


def test_the_tljh_settings_are_known_tljh_keys():
    def leaves(prefix, node):
        for key, value in node.items():
            if isinstance(value, dict):
                yield from leaves(f"{prefix}{key}.", value)
            else:
                yield f"{prefix}{key}", value

    settings = dict(leaves("", yaml.safe_load((DEPLOY / "tljh" / "config.yaml").read_text())))
    assert set(settings) <= set(TLJH_KEYS), set(settings) - set(TLJH_KEYS)
    for key, value in settings.items():
        kind = TLJH_KEYS[key]
        assert value in kind if isinstance(kind, set) else isinstance(value, kind), (key, value)
    assert settings["services.cull.timeout"] == 3600
    assert os.access(DEPLOY / "tljh" / "install.sh", os.X_OK)
    subprocess.run(["bash", "-n", str(DEPLOY / "tljh" / "install.sh")], check=True)


def test_kubernetes_values_and_the_class_work_together(tmp_path, monkeypatch):
    values = yaml.safe_load((DEPLOY / "k8s" / "values.yaml").read_text())
    class_values = yaml.safe_load(_exported(tmp_path, "--helm"))
    merged = values["custom"]["class"] | class_values["custom"]["class"]   # helm merges maps the same way
    c = _run_class_snippet(monkeypatch, chart_class=merged)
    _check_class_config(c, "python", "/srv/conda/envs/notebook")


def test_kubernetes_values_name_real_jupyterhub_settings():
    from jupyterhub.app import JupyterHub

    values = yaml.safe_load((DEPLOY / "k8s" / "values.yaml").read_text())
    hub_config = values["hub"]["config"]
    assert set(hub_config["JupyterHub"]) <= set(JupyterHub.class_own_traits(config=True) | JupyterHub.class_traits(config=True))
    assert hub_config["FirstUseAuthenticator"] == {"create_users": False, "min_password_length": 8}
    single = values["singleuser"]
    assert single["cmd"] == ["python", "-m", "graders.hub.singleuser"]
    assert single["defaultUrl"] == "/lab"
    assert single["extraEnv"]["NBGRADER_EXCHANGE_ROOT"] == values["custom"]["class"]["exchange"]
    assert single["networkPolicy"]["egressAllowRules"]["nonPrivateIPs"] is False   # offline labs, no real AWS
    assert values["cull"]["enabled"] is True and values["cull"]["timeout"] == 3600
    mounts = {m["name"]: m["mountPath"] for m in single["storage"]["extraVolumeMounts"]}
    assert mounts["nbgrader-exchange"] == values["custom"]["class"]["exchange"]


def _requirement(spec: str):
    from packaging.requirements import Requirement

    return Requirement(spec)


def test_the_learners_image_is_built_from_environment_yml_without_grading_data():
    """repo2docker (what zero-to-jupyterhub's image is built with) reads this repository the way we mean it."""
    repo2docker = Path(sys.executable).parent / "repo2docker"
    if not repo2docker.exists():
        pytest.skip("repo2docker is not installed (pip install -e '.[test]')")
    proc = subprocess.run([str(repo2docker), "--no-build", "--no-run", "--debug", "--user-id", "1000",
                           "--user-name", "jovyan", "--target-repo-dir", "/srv/repo", str(REPO)],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    dockerfile = proc.stdout + proc.stderr
    assert '--file "environment.yml"' in dockerfile                  # the conda environment = environment.yml
    apt = [line.strip() for line in (REPO / "apt.txt").read_text().splitlines() if line.strip()
           and not line.startswith("#")]
    assert all(pkg in dockerfile for pkg in apt)                       # the Debian packages of apt.txt
    assert "postBuild" in dockerfile                                   # ... and our postBuild
    post_build = (REPO / "postBuild").read_text()
    assert os.access(REPO / "postBuild", os.X_OK)
    # grading-only folders go by the one list (graders/gradingonly.py), before the course is installed
    assert "python graders/gradingonly.py remove ." in post_build
    assert post_build.index("gradingonly.py remove") < post_build.index("pip install")
    assert ".git" in post_build.split("rm -rf", 1)[1].splitlines()[0]
    assert "hub/configure_env.py" in post_build
    # The image can run a hub's single-user server: the hub extra is in environment.yml, as in pyproject.toml.
    import tomllib

    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = {_requirement(p).name: str(_requirement(p).specifier)
           for p in next(d["pip"] for d in env["dependencies"] if isinstance(d, dict)) if not p.startswith("-e")}
    hub_extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["hub"]
    for spec in hub_extra:
        assert pip[_requirement(spec).name] == str(_requirement(spec).specifier)
    for name in ("nbgrader", "jupyterlab", "jupyterlab-language-pack-uk-UA", "jupyterlab-language-pack-ja-JP"):
        assert name in pip


def _lab_page_config(config_path: str, tmp_path, pages: dict | None = None) -> str:
    """/lab's page config (JSON) in a JupyterLab started with this $JUPYTER_CONFIG_PATH (``pages``: gets the /lab
    page and its custom style sheet as well)."""
    import re
    import time
    import urllib.error
    import urllib.request

    from graders.services.base import free_port

    tmp_path.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), "t0k3n"
    env = {**os.environ, "JUPYTER_CONFIG_PATH": config_path, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
                             f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}",
                             "--allow-root"], env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "wb"),
                            start_new_session=True)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def get(path):
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"token {token}"})
        try:
            with opener.open(req, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, ""

    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, page = get("/lab")
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, (tmp_path / "lab.log").read_text()
                time.sleep(0.5)
        config = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
        if pages is not None:
            pages.update(lab=page, css=get("/custom/custom.css"))
        return config.group(1)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_learners_get_no_validate_button_and_the_instructor_keeps_it(tmp_path):
    """nbgrader's Validate re-runs a notebook with fresh lab services, so its verdict can differ from the check
    cells': learners' JupyterLab leaves the notebook toolbar's Validate out and hides the assignment list's Validate
    buttons; the instructor keeps both. Real JupyterLab servers, configured as hub/configure_env.py and singleuser.py
    write it (the hub e2e test looks at the assignment list in chromium)."""
    from graders.hub.singleuser import LEARNER_CSS, write_learner_css

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, str(REPO / "hub" / "configure_env.py"), str(venv)], check=True)
    etc = venv / "etc" / "jupyter"
    for who in ("learner", "teacher"):   # singleuser writes the style sheet into each person's config folder
        (tmp_path / who / "cfg" / "custom").mkdir(parents=True)
        (tmp_path / who / "cfg" / "custom" / "custom.css").write_text("/* their own */\n")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / who / "cfg"))
            write_learner_css()
            assert write_learner_css().read_text() == "/* their own */\n" + LEARNER_CSS   # once, theirs kept
    pages = {}
    config = _lab_page_config(str(etc), tmp_path / "learner", pages)
    disabled = json.loads(config)["disabledExtensions"]
    assert "@jupyter/nbgrader:validate-assignment" in disabled and "@jupyter/nbgrader:formgrader" in disabled
    # ... and the assignment list's per-notebook Validate button is hidden by the style sheet the page loads
    assert "custom/custom.css" in pages["lab"] and pages["css"] == (200, "/* their own */\n" + LEARNER_CSS)
    assert ".nested_list_item .item_status button { display: none" in LEARNER_CSS
    pages = {}
    config = _lab_page_config(os.pathsep.join([str(etc / "instructor"), str(etc)]), tmp_path / "teacher", pages)
    disabled = json.loads(config)["disabledExtensions"]
    assert "@jupyter/nbgrader:validate-assignment" not in disabled and "@jupyter/nbgrader:formgrader" not in disabled
    assert "custom/custom.css" not in pages["lab"]   # the instructor keeps every Validate button


def test_each_jupyterlab_knows_where_browsers_reach_the_hub(class_state):
    """Lab services are opened through the learner's JupyterLab (graders/services/proxy.py): its link needs the hub's
    address as browsers see it, and singleuser puts the proxy's redirect fix on JUPYTER_CONFIG_PATH."""
    state, _ = class_state
    c = _configured(state)
    assert c.Spawner.environment["GRADERS_PUBLIC_URL"] == "http://127.0.0.1:18000"
    state.save_settings({"public_url": "https://hub.school.example"})
    assert _configured(state).Spawner.environment["GRADERS_PUBLIC_URL"] == "https://hub.school.example"
    from graders.services.proxy import JUPYTER_CONFIG_DIR, jupyter_environment

    env = jupyter_environment(environ={"JUPYTER_CONFIG_PATH": "/opt/dsh/venv/etc/jupyter/instructor"})
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(JUPYTER_CONFIG_DIR),
                                                            "/opt/dsh/venv/etc/jupyter/instructor"]
    assert "undouble_location" in (JUPYTER_CONFIG_DIR / "jupyter_server_config.py").read_text()
