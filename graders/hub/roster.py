"""The class list of a hub: who may log in, in which language, as learner or instructor; their passwords; their
Unix users; the instructor's course folder and the nbgrader exchange.

A hub keeps its state in one folder (default ``/srv/digital-skills-hub``)::

    hub/            0700 root: roster.json, passwords.json (salted PBKDF2 hashes), settings.json, the hub's database,
                    cookie secret and log; slips/ (new passwords for the organiser to hand out, 0600)
    exchange/       1777: nbgrader's exchange; exchange/<course> belongs to the instructor

A class list is a CSV file (UTF-8, comma or semicolon), one person a line::

    username,name,lang,role,password
    sato,Ms Sato,ja,instructor,
    olena,Olena K.,uk,learner,
    taro,Taro Y.,ja,,

``username`` is required (small letters, digits and ``-``, starting with a letter: it becomes a Unix user);
``lang`` is en, uk or ja (default: the course's language); ``role`` is learner (default) or instructor (exactly one
per hub); ``password`` is optional: an empty one is made up and written to a slip for the organiser; an optional
``challenge`` column (yes / no, default no) gives that learner challenge mode: the assignments they fetch hold goals
and checks only (same grade ids; ``$GRADERS_CHALLENGE`` for :mod:`graders.exchange`).
"""
from __future__ import annotations

import base64
import csv
import grp
import hashlib
import hmac
import io
import json
import os
import pwd
import re
import secrets
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..i18n import LANGUAGES, normalize_language

DEFAULT_STATE = Path("/srv/digital-skills-hub")
DEFAULT_HOME_BASE = Path("/home")
DEFAULT_COURSE = "digital-skills-day"
ROLES = ("learner", "instructor")
ROLE_ALIASES = {"learner": "learner", "student": "learner", "": "learner",
                "instructor": "instructor", "teacher": "instructor", "grader": "instructor"}
# Unix-safe and JupyterHub-safe: small letters, digits, '-', starting with a letter, at most 32 characters.
USERNAME = re.compile(r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$")
# Every Unix user the hub makes is in this group: the hub never adopts or removes anyone else (root, staff ...).
CLASS_GROUP = "dsh-class"
PBKDF2_ITERATIONS = 200_000
# Passwords that are easy to read from a slip and type on a phone or a Japanese/Ukrainian keyboard layout.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class RosterError(ValueError):
    """A class list or a request that cannot be carried out, with what to fix."""


def learner_group(course: str) -> str:
    """The JupyterHub group of a course's learners, as nbgrader's JupyterHubAuthPlugin expects it."""
    return f"nbgrader-{course}"


def instructor_group(course: str) -> str:
    return f"formgrade-{course}"


@dataclass
class Member:
    username: str
    name: str = ""
    lang: str = "en"
    role: str = "learner"
    challenge: bool = False   # challenge mode: the fetched notebooks hold goals and checks only (issue 13)

    @property
    def is_instructor(self) -> bool:
        return self.role == "instructor"


# --- passwords ------------------------------------------------------------------------------------------------------

def hash_password(password: str, *, iterations: int = PBKDF2_ITERATIONS) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    return "pbkdf2_sha256${}${}${}".format(iterations, base64.b64encode(salt).decode(), base64.b64encode(digest).decode())


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, iterations, salt, digest = stored.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        mine = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), base64.b64decode(salt), int(iterations))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(mine, base64.b64decode(digest))


def new_password() -> str:
    """Like ``k7mp-x3qa-9tre``: 12 random letters and digits (about 59 bits), no look-alikes (0/O, 1/l)."""
    raw = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))
    return "-".join(raw[i:i + 4] for i in range(0, 12, 4))


# --- the state folder -----------------------------------------------------------------------------------------------

def _write_private(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(tmp, mode)
    tmp.replace(path)


class HubState:
    """The hub's state folder (see the module docstring)."""

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root or os.environ.get("DSH_STATE") or DEFAULT_STATE).resolve()
        self.hub_dir = self.root / "hub"
        self.exchange = self.root / "exchange"
        self.roster_path = self.hub_dir / "roster.json"
        self.passwords_path = self.hub_dir / "passwords.json"
        self.settings_path = self.hub_dir / "settings.json"
        self.slips_dir = self.hub_dir / "slips"

    # settings: port, course, home base ... (written by `graders hub prepare`, read by the hub's config)
    def load_settings(self) -> dict:
        try:
            return json.loads(self.settings_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def save_settings(self, values: dict) -> dict:
        current = self.load_settings()
        current.update(values)
        _write_private(self.settings_path, json.dumps(current, indent=2, ensure_ascii=False) + "\n")
        return current

    @property
    def course(self) -> str:
        return self.load_settings().get("course", DEFAULT_COURSE)

    @property
    def home_base(self) -> Path:
        return Path(self.load_settings().get("home_base", DEFAULT_HOME_BASE))

    def ensure_layout(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.hub_dir.mkdir(exist_ok=True)
        os.chmod(self.hub_dir, 0o700)
        self.exchange.mkdir(exist_ok=True)
        # nbgrader insists on a world-writable exchange root; the sticky bit stops anyone removing what is not theirs.
        os.chmod(self.exchange, 0o1777)

    # roster
    def load_roster(self) -> dict[str, Member]:
        try:
            raw = json.loads(self.roster_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {name: Member(username=name, **{k: v for k, v in data.items() if k != "username"})
                for name, data in raw.get("users", {}).items()}

    def save_roster(self, members: dict[str, Member]) -> None:
        data = {"users": {m.username: {k: v for k, v in asdict(m).items() if k != "username"}
                          for m in sorted(members.values(), key=lambda m: m.username)}}
        _write_private(self.roster_path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", 0o600)

    def instructor(self) -> Member | None:
        return next((m for m in self.load_roster().values() if m.is_instructor), None)

    # passwords
    def load_passwords(self) -> dict[str, str]:
        try:
            return json.loads(self.passwords_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def set_passwords(self, passwords: dict[str, str]) -> None:
        """``{username: clear password}``: stored hashed only."""
        stored = self.load_passwords()
        stored.update({user: hash_password(pw) for user, pw in passwords.items()})
        _write_private(self.passwords_path, json.dumps(stored, indent=1) + "\n", 0o600)

    def forget(self, usernames: list[str]) -> None:
        roster = self.load_roster()
        stored = self.load_passwords()
        for name in usernames:
            roster.pop(name, None)
            stored.pop(name, None)
        self.save_roster(roster)
        _write_private(self.passwords_path, json.dumps(stored, indent=1) + "\n", 0o600)

    def api_token(self, name: str) -> str:
        """A hub API token kept in the state folder (made once): the admin service's, the proxy's."""
        path = self.hub_dir / f"{name}.token"
        try:
            return path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            token = secrets.token_hex(32)
            _write_private(path, token + "\n")
            return token


# --- reading a class list -------------------------------------------------------------------------------------------

COLUMN_ALIASES = {
    "username": "username", "user": "username", "login": "username", "user name": "username",
    "name": "name", "full name": "name", "display name": "name", "display_name": "name",
    "lang": "lang", "language": "lang",
    "role": "role",
    "password": "password",
    "challenge": "challenge", "mode": "challenge",
}
YES = {"yes", "y", "true", "1", "challenge", "так", "はい"}
NO = {"", "no", "n", "false", "0", "normal", "ні", "いいえ"}


def read_class_list(text: str, default_lang: str = "en") -> tuple[list[Member], dict[str, str], list[str]]:
    """(members, given passwords, problems): every problem names the line and what to fix; nothing is partial."""
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text.strip() else "username", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    problems: list[str] = []
    if not rows:
        return [], {}, ["The class list is empty: write a first line with the column names (username,name,lang,role)."]
    header = [COLUMN_ALIASES.get(h.strip().lower()) for h in rows[0]]
    if "username" not in header:
        return [], {}, ["The first line must name the columns and include `username` (found: "
                        + ", ".join(h.strip() for h in rows[0]) + ")."]
    unknown = [h.strip() for h, key in zip(rows[0], header) if key is None and h.strip()]
    if unknown:
        problems.append(f"Unknown column(s) {', '.join(unknown)}: use username, name, lang, role, password, challenge.")
    members: list[Member] = []
    passwords: dict[str, str] = {}
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        values = {key: cell.strip() for key, cell in zip(header, row) if key}
        username = values.get("username", "")
        where = f"line {number}"
        if not USERNAME.match(username):
            problems.append(f"{where}: username {username!r} cannot be used: small letters a-z, digits and '-', "
                            "starting with a letter, at most 32 characters (e.g. olena-k).")
            continue
        if username in seen:
            problems.append(f"{where}: username {username!r} is already on line {seen[username]}.")
            continue
        seen[username] = number
        lang_raw = values.get("lang", "")
        lang = normalize_language(lang_raw) if lang_raw else default_lang
        if lang is None:
            problems.append(f"{where}: language {lang_raw!r} is not one of {', '.join(LANGUAGES)}.")
            continue
        role = ROLE_ALIASES.get(values.get("role", "").lower())
        if role is None:
            problems.append(f"{where}: role {values.get('role')!r} is not learner or instructor.")
            continue
        password = values.get("password", "")
        if password and len(password) < 8:
            problems.append(f"{where}: the password for {username} is shorter than 8 characters.")
            continue
        if password:
            passwords[username] = password
        challenge_raw = values.get("challenge", "").lower()
        if challenge_raw not in YES | NO:
            problems.append(f"{where}: challenge {values.get('challenge')!r} is not yes or no.")
            continue
        members.append(Member(username, values.get("name", ""), lang, role, challenge_raw in YES))
    return members, passwords, problems


# --- Unix users -----------------------------------------------------------------------------------------------------

def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RosterError(f"`{' '.join(cmd)}` failed: {proc.stderr.strip() or proc.stdout.strip()}")


def unix_user(username: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(username)
    except KeyError:
        return None


def is_class_user(username: str) -> bool:
    """A Unix user this hub made (member of the class group), as opposed to root, staff or a system account."""
    try:
        return username in grp.getgrnam(CLASS_GROUP).gr_mem
    except KeyError:
        return False


def ensure_unix_user(username: str, home_base: Path) -> bool:
    """Make the learner's Unix user with a private home (0700); True when it was made now."""
    if unix_user(username) is not None:
        if not is_class_user(username):
            raise RosterError(f"A Unix user {username!r} already exists and was not made by the class hub: "
                              "choose another username for this person.")
        home = Path(pwd.getpwnam(username).pw_dir)
        if home.is_dir():
            os.chmod(home, 0o700)
        return False
    try:
        grp.getgrnam(CLASS_GROUP)
    except KeyError:
        _run(["groupadd", "--system", CLASS_GROUP])
    home_base.mkdir(parents=True, exist_ok=True)
    _run(["useradd", "--create-home", "--home-dir", str(home_base / username), "--shell", "/bin/bash",
          "--user-group", "--groups", CLASS_GROUP, "--comment", "digital-skills hub", username])
    os.chmod(home_base / username, 0o700)
    return True


def user_pids(uid: int) -> list[int]:
    """The processes of this user that still run. A zombie (ended, waiting for its parent to collect its exit
    status) holds no memory, file or port; it is left out, as an orphaned one waits for init, and some container
    inits never collect them."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid != uid:
                    continue
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if state not in ("Z", "X"):
                pids.append(int(entry.name))
    return pids


def stop_user_processes(username: str, timeout: float = 10.0) -> list[int]:
    """SIGTERM, then SIGKILL, every process of a class user (before the user is removed)."""
    entry = unix_user(username)
    if entry is None or not is_class_user(username):
        return []
    pids = user_pids(entry.pw_uid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        while user_pids(entry.pw_uid) and time.monotonic() < deadline:
            time.sleep(0.1)
        pids = user_pids(entry.pw_uid)
        if not pids:
            break
    return pids


def remove_unix_user(username: str) -> bool:
    """Remove a class user, their home and their processes; refuses anyone the hub did not make."""
    if unix_user(username) is None:
        return False
    if not is_class_user(username):
        raise RosterError(f"{username!r} was not made by the class hub: not removed.")
    left = stop_user_processes(username)
    if left:
        raise RosterError(f"{username!r} still has processes {left}: not removed.")
    _run(["userdel", "--remove", username])
    return True


# --- the instructor's course and the exchange ------------------------------------------------------------------------

INSTRUCTOR_NBGRADER_CONFIG = """\
# Written by the class hub: your course folder. nbgrader commands and the Formgrader use it from anywhere.
c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = {course!r}
"""


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.lchown(path, uid, gid)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, gid)


def _safe_user_path(home: Path, relative: str) -> Path:
    """A path inside the user's home whose folders are no symlinks (root never writes through a user's link)."""
    path = home
    for part in Path(relative).parts[:-1]:
        path = path / part
        if path.is_symlink():
            raise RosterError(f"{path} is a symbolic link: not writing there.")
    return home / relative


def prepare_instructor(member: Member, state: HubState, build=None) -> Path:
    """The instructor's course folder (built from the course sources, with grading-only data, 0700), their nbgrader
    settings, and the course folder in the exchange (theirs, so nobody else can release into it)."""
    entry = pwd.getpwnam(member.username)
    home = Path(entry.pw_dir)
    course = state.course
    course_dir = home / course
    if course_dir.is_symlink():
        raise RosterError(f"{course_dir} is a symbolic link: not building the course there.")
    if not (course_dir / "source").is_dir():
        if build is None:
            from ..build import build_course
            from ..labdef import load_course

            def build(root: Path) -> None:
                build_course(load_course(course), root, "all")
        build(course_dir)
    _chown_tree(course_dir, entry.pw_uid, entry.pw_gid)
    os.chmod(course_dir, 0o700)
    config = _safe_user_path(home, ".jupyter/nbgrader_config.py")
    if not config.exists():
        config.parent.mkdir(parents=True, exist_ok=True)
        os.lchown(config.parent, entry.pw_uid, entry.pw_gid)
        config.write_text(INSTRUCTOR_NBGRADER_CONFIG.format(root=str(course_dir), course=course), encoding="utf-8")
        os.lchown(config, entry.pw_uid, entry.pw_gid)
    exchange_course = state.exchange / course
    exchange_course.mkdir(exist_ok=True)
    os.lchown(exchange_course, entry.pw_uid, entry.pw_gid)
    os.chmod(exchange_course, 0o755)
    return course_dir


# --- adding a class -------------------------------------------------------------------------------------------------

@dataclass
class AddResult:
    added: list[str]
    updated: list[str]
    new_passwords: dict[str, str]
    slip: Path | None


def add_class(state: HubState, members: list[Member], given_passwords: dict[str, str], *, unix_users: bool = True,
              reset_passwords: bool = False, build=None) -> AddResult:
    """Add (or update) people on the roster; make their Unix users; make passwords for those without one."""
    state.ensure_layout()
    roster = state.load_roster()
    instructors = {m.username for m in roster.values() if m.is_instructor}
    instructors |= {m.username for m in members if m.is_instructor}
    instructors -= {m.username for m in members if not m.is_instructor}
    if len(instructors) > 1:
        raise RosterError(f"A hub has one instructor (one class, one grader); the class list would make "
                          f"{', '.join(sorted(instructors))} instructors.")
    if unix_users:  # check every name before changing anything
        for m in members:
            if unix_user(m.username) is not None and not is_class_user(m.username):
                raise RosterError(f"A Unix user {m.username!r} already exists and was not made by the class hub: "
                                  "choose another username for this person.")
    known = state.load_passwords()
    added, updated = [], []
    passwords = dict(given_passwords)
    for m in members:
        (updated if m.username in roster else added).append(m.username)
        if m.username not in passwords and (m.username not in known or reset_passwords):
            passwords[m.username] = new_password()
        if unix_users:
            ensure_unix_user(m.username, state.home_base)
        roster[m.username] = m
    state.save_roster(roster)
    state.set_passwords(passwords)
    generated = {u: p for u, p in passwords.items() if u not in given_passwords}
    slip = None
    if generated:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        slip = state.slips_dir / f"passwords-{stamp}.csv"
        lines = ["username,name,password"] + [f"{u},{roster[u].name},{p}" for u, p in sorted(generated.items())]
        _write_private(slip, "\n".join(lines) + "\n")
    if unix_users:
        for m in members:
            if m.is_instructor:
                prepare_instructor(m, state, build)
    return AddResult(added, updated, generated, slip)


def remove_members(state: HubState, usernames: list[str], *, unix_users: bool = True) -> list[str]:
    removed = []
    for name in usernames:
        if unix_users and unix_user(name) is not None and is_class_user(name):
            remove_unix_user(name)
        removed.append(name)
    state.forget(usernames)
    return removed


def protect_grading_data(repo: Path) -> list[Path]:
    """``labs/*/hidden`` of a course checkout readable by root only (learners on this machine must not read it)."""
    changed = []
    for hidden in sorted(repo.glob("labs/*/hidden")):
        if hidden.stat().st_mode & 0o077:
            os.chmod(hidden, 0o700)
            changed.append(hidden)
    return changed
