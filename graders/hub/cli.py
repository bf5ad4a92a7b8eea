"""``graders hub``: the organiser's commands for a class hub (run as root from the course checkout).

    graders hub add-class class.csv           people on the class list get a Unix user, a password (on a slip) and
                                              their language; the instructor gets the course folder
    graders hub start                         prepare and run the hub in the foreground (Ctrl+C stops it cleanly)
    graders hub status                        who is logged in, whose JupyterLab runs
    graders hub remove-users NAME ... | --all remove people, their Unix users and their homes
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .roster import (DEFAULT_COURSE, DEFAULT_HOME_BASE, HubState, RosterError, add_class, prepare_instructor,
                     protect_grading_data, read_class_list, remove_members, unix_user)

DEFAULT_HUB_ENV = Path("/opt/digital-skills-hub/venv")
HUB_CONFIG = Path(__file__).resolve().parents[2] / "hub" / "jupyterhub_config.py"
CONFIG_TEXT = '''\
# Written by `graders hub prepare`: the class hub's configuration lives in graders/hub/config.py.
from graders.hub.config import configure

configure(c, {state!r})  # noqa: F821
'''


def _need_root() -> None:
    if os.geteuid() != 0:
        raise RosterError("The class hub makes Unix users and runs servers for them: run this as root (sudo).")


def prepare(state: HubState, args) -> dict:
    """Settings, folders, the instructor's course, and grading-only data locked away: ready to start."""
    _need_root()
    state.ensure_layout()
    given = {"course": args.course, "home_base": args.home_base and str(args.home_base),
             "venv": args.hub_env and str(args.hub_env), "port": args.port, "hub_port": args.hub_port,
             "proxy_api_port": args.proxy_api_port, "idle_timeout": args.idle_timeout,
             "public_url": getattr(args, "public_url", None)}
    defaults = {"course": DEFAULT_COURSE, "home_base": str(DEFAULT_HOME_BASE), "venv": str(DEFAULT_HUB_ENV),
                "port": 8000, "hub_port": 8081, "proxy_api_port": 8001, "idle_timeout": 3600}
    current = state.load_settings()
    values = {k: v for k, v in given.items() if v is not None}
    values.update({k: v for k, v in defaults.items() if k not in values and k not in current})
    settings = state.save_settings(values)
    config = state.hub_dir / "jupyterhub_config.py"
    config.write_text(CONFIG_TEXT.format(state=str(state.root)), encoding="utf-8")
    repo = Path(__file__).resolve().parents[2]
    for path in protect_grading_data(repo):
        print(f"  grading-only data made readable by root only: {path}")
    instructor = state.instructor()
    if instructor and unix_user(instructor.username):
        prepare_instructor(instructor, state)
    return settings


def cmd_prepare(args) -> int:
    state = HubState(args.state)
    settings = prepare(state, args)
    print(f"Hub prepared in {state.root}: http://127.0.0.1:{settings.get('port', 8000)}/ (course {settings['course']})")
    return 0


def hub_command(state: HubState) -> list[str]:
    venv = Path(state.load_settings().get("venv", DEFAULT_HUB_ENV))
    jupyterhub = venv / "bin" / "jupyterhub"
    if not jupyterhub.exists():
        raise RosterError(f"{jupyterhub} is missing: install the hub's environment first (sudo hub/install.sh).")
    return [str(jupyterhub), "-f", str(state.hub_dir / "jupyterhub_config.py")]


def _default_signals() -> None:
    # Started from a script or in the background, SIGINT may be ignored, and ignored signals are inherited: the hub
    # and the services it starts (the idle culler) must stop on SIGINT as JupyterHub expects.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def cmd_start(args) -> int:
    state = HubState(args.state)
    settings = prepare(state, args)
    roster = state.load_roster()
    if not roster:
        print("Nobody is on the class list yet: add people with `graders hub add-class class.csv` (the hub can run "
              "meanwhile; people added later can log in at once).")
    url = f"http://127.0.0.1:{settings.get('port', 8000)}/"
    print(f"Starting the class hub for {settings['course']} at {url} ({len(roster)} people). Ctrl+C stops it.",
          flush=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "GRADERS_", "PYTHON"))}
    env["DSH_STATE"] = str(state.root)
    log = open(state.hub_dir / "hub.log", "ab") if args.log_to_file else None
    proc = subprocess.Popen(hub_command(state), cwd=state.hub_dir, env=env, stdout=log, stderr=log,
                            start_new_session=True, preexec_fn=_default_signals)

    def stop(signum, frame):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = proc.wait()
    # JupyterHub stops every learner's server and the proxy on the way out; say so if anything is left.
    left = [name for name in roster if unix_user(name) and _user_processes(name)]
    if left:
        print(f"Still running after the hub stopped, for: {', '.join(left)}", file=sys.stderr)
    print("The class hub has stopped.")
    return 0 if code in (0, -signal.SIGTERM, 128 + signal.SIGTERM) else code


def _user_processes(name: str) -> list[int]:
    from .roster import user_pids

    entry = unix_user(name)
    return user_pids(entry.pw_uid) if entry else []


def cmd_add_class(args) -> int:
    state = HubState(args.state)
    text = Path(args.csv).read_text(encoding="utf-8-sig")
    default_lang = args.lang or "en"
    members, passwords, problems = read_class_list(text, default_lang)
    if problems:
        print(f"{args.csv}: nothing was changed, please fix:", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 2
    if not args.no_unix_users:
        _need_root()
    if args.course:
        state.ensure_layout()
        state.save_settings({"course": args.course})
    if args.home_base:
        state.ensure_layout()
        state.save_settings({"home_base": str(args.home_base)})
    result = add_class(state, members, passwords, unix_users=not args.no_unix_users,
                       reset_passwords=args.reset_passwords)
    print(f"Class list {args.csv}: {len(result.added)} added, {len(result.updated)} updated.")
    for m in members:
        print(f"  {m.username:<20} {m.role:<10} {m.lang}  {m.name}")
    if result.slip:
        print(f"New passwords for {len(result.new_passwords)} people are in {result.slip} (readable by root only): "
              "print it, cut it into slips, hand them out, then delete the file.")
    return 0


def cmd_remove_users(args) -> int:
    state = HubState(args.state)
    names = sorted(state.load_roster()) if args.all else args.names
    if not names:
        print("Name the people to remove, or --all.", file=sys.stderr)
        return 2
    if not args.no_unix_users:
        _need_root()
    _stop_servers(state, names)
    removed = remove_members(state, names, unix_users=not args.no_unix_users)
    print(f"Removed {len(removed)}: {', '.join(removed)}")
    return 0


def api(state: HubState, method: str, path: str, body: dict | None = None, timeout: float = 10.0):
    port = state.load_settings().get("port", 8000)
    req = urllib.request.Request(f"http://127.0.0.1:{port}/hub/api{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"token {state.api_token('admin')}"})
    with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (loopback only)
        data = r.read()
    return json.loads(data) if data else None


def _stop_servers(state: HubState, names: list[str]) -> None:
    """Ask a running hub to stop these people's servers (nothing to do when the hub is not running)."""
    for name in names:
        try:
            api(state, "DELETE", f"/users/{name}/server")
        except Exception:  # noqa: BLE001 (hub not running, user unknown to it, server already stopped)
            continue
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            users = api(state, "GET", "/users")
        except Exception:  # noqa: BLE001
            return
        if not any(u["name"] in names and u.get("servers") for u in users):
            return
        time.sleep(0.3)


def cmd_status(args) -> int:
    state = HubState(args.state)
    try:
        users = api(state, "GET", "/users")
    except Exception as exc:  # noqa: BLE001
        print(f"The hub does not answer on 127.0.0.1:{state.load_settings().get('port', 8000)} ({exc}).")
        return 1
    roster = state.load_roster()
    print(f"{len(roster)} on the class list, {sum(1 for u in users if u.get('servers'))} with JupyterLab running")
    for u in sorted(users, key=lambda u: u["name"]):
        m = roster.get(u["name"])
        running = "running" if u.get("servers") else "-"
        mode = "challenge" if m and m.challenge else "-"
        print(f"  {u['name']:<20} {(m.role if m else '?'):<10} {(m.lang if m else '?'):<3} {mode:<9} {running:<8} "
              f"last active {u.get('last_activity') or 'never'}")
    return 0


def class_document(members, course: str, exchange: str, user_env: str | None, public_url: str | None = None) -> dict:
    """The class for hub/deploy/class_config.py (TLJH, Kubernetes): names, languages, roles, challenge mode; never
    passwords."""
    doc = {"course": course, "exchange": exchange,
           "users": {m.username: {"name": m.name, "lang": m.lang, "role": m.role} | ({"challenge": True} if m.challenge
                                                                                       else {}) for m in members}}
    if user_env:
        doc["user_env"] = user_env
    if public_url:
        doc["public_url"] = public_url.rstrip("/")
    return doc


def cmd_export_class(args) -> int:
    text = Path(args.csv).read_text(encoding="utf-8-sig")
    members, _, problems = read_class_list(text, args.lang or "en")
    if problems:
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        return 2
    if sum(m.is_instructor for m in members) > 1:
        print("A class has one instructor (one class, one grader).", file=sys.stderr)
        return 2
    if args.public_url and not re.match(r"^https?://[^/\s]+/?$", args.public_url):
        print("--public-url is the hub's address as browsers reach it, e.g. https://hub.school.example",
              file=sys.stderr)
        return 2
    doc = class_document(members, args.course or DEFAULT_COURSE, args.exchange, args.user_env, args.public_url)
    if args.helm:
        import yaml

        print(yaml.safe_dump({"custom": {"class": doc}}, allow_unicode=True, sort_keys=False), end="")
    else:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
    return 0


def register(sub) -> None:
    h = sub.add_parser("hub", help="(organiser) a class JupyterHub: class list, start, status")
    hs = h.add_subparsers(dest="hub_command", required=True)

    def common(p):
        p.add_argument("--state", default=os.environ.get("DSH_STATE"),
                       help="the hub's state folder (default /srv/digital-skills-hub)")

    def server_options(p):
        p.add_argument("--course", help=f"the course ({DEFAULT_COURSE})")
        p.add_argument("--port", type=int, default=None, help="the hub's address: http://127.0.0.1:PORT/ (8000)")
        p.add_argument("--hub-port", type=int, default=None, help="the hub's internal API port (8081)")
        p.add_argument("--proxy-api-port", type=int, default=None, help="the proxy's API port (8001)")
        p.add_argument("--home-base", type=Path, help=f"where homes are made ({DEFAULT_HOME_BASE})")
        p.add_argument("--hub-env", type=Path, help=f"made by hub/install.sh ({DEFAULT_HUB_ENV})")
        p.add_argument("--idle-timeout", type=int, default=None, help="seconds before an unused server stops (3600)")
        p.add_argument("--public-url", default=None,
                       help="the hub's address in learners' browsers, when a TLS proxy serves it elsewhere "
                            "(https://hub.school.example); lab services are opened through it (http://127.0.0.1:PORT)")

    p = hs.add_parser("prepare", help="folders, settings and the instructor's course, without starting")
    common(p)
    server_options(p)
    p.set_defaults(func=cmd_prepare)

    s = hs.add_parser("start", help="run the hub in the foreground on 127.0.0.1")
    common(s)
    server_options(s)
    s.add_argument("--log-to-file", action="store_true", help="write the hub's log to STATE/hub/hub.log")
    s.set_defaults(func=cmd_start)

    a = hs.add_parser("add-class", help="add people from a CSV class list (username,name,lang,role,password)")
    common(a)
    a.add_argument("csv")
    a.add_argument("--lang", choices=["en", "uk", "ja"], help="language for rows without one (default en)")
    a.add_argument("--course", help="the course (default digital-skills-day)")
    a.add_argument("--home-base", type=Path, help="where homes are made (default /home)")
    a.add_argument("--reset-passwords", action="store_true", help="new passwords for people already on the list")
    a.add_argument("--no-unix-users", action="store_true",
                   help="only the roster and passwords (TLJH and Kubernetes make their own users)")
    a.set_defaults(func=cmd_add_class)

    r = hs.add_parser("remove-users", help="remove people, their Unix users and homes")
    common(r)
    r.add_argument("names", nargs="*")
    r.add_argument("--all", action="store_true")
    r.add_argument("--no-unix-users", action="store_true")
    r.set_defaults(func=cmd_remove_users)

    e = hs.add_parser("export-class", help="the class list for a TLJH server (--json) or Kubernetes (--helm)")
    e.add_argument("csv")
    fmt = e.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--json", action="store_true", help="for /opt/tljh/config/digital-skills-class.json")
    fmt.add_argument("--helm", action="store_true", help="values for the zero-to-jupyterhub chart (custom.class)")
    e.add_argument("--lang", choices=["en", "uk", "ja"], help="language for rows without one (default en)")
    e.add_argument("--course", help=f"the course ({DEFAULT_COURSE})")
    e.add_argument("--exchange", default="/srv/nbgrader/exchange")
    e.add_argument("--user-env", help="the learners' environment (TLJH: /opt/tljh/user; the image: /srv/conda/envs/notebook)")
    e.add_argument("--public-url", help="the hub's address in learners' browsers, e.g. https://hub.school.example "
                                        "(default: the address each learner's browser used to start their server)")
    e.set_defaults(func=cmd_export_class)

    st = hs.add_parser("status", help="who is on the hub now")
    common(st)
    st.set_defaults(func=cmd_status)
