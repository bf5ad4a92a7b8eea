"""A real Label Studio on 127.0.0.1, with a preset account and API token, for the annotation lab.

Label Studio lives in its own virtual environment (installing it into the lab environment would downgrade
python-json-logger and pin an old pytz): ``labs/annotation/install.sh`` makes ``<lab venv>-labelstudio`` and, once,
a *template* data folder in it by running the slow first start (database migrations, about 35 s). Each workspace's
server starts from a copy of that template with its own token, password and secret key, so its first start takes
seconds. Notebooks talk to it over HTTP with ``label-studio-sdk`` from the lab environment.

Nothing calls out: the version check, analytics and Sentry are off, and the server binds 127.0.0.1 only
(``--internal-host``). ``python -m graders.services.labelstudio --make-template DIR`` makes a template.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

from .base import LOOPBACK, ProcessService, ServiceError, free_port

USERNAME = "annotator@example.com"   # example.com is reserved for examples: no mail ever goes there
TEMPLATE_DIR_NAME = "template"
QUIET = {  # everything that would call out to the internet, switched off
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "LOG_LEVEL": "WARNING",
}
PRIVATE = {
    # Label Studio lets anyone who reaches it sign up, and every account sees every project (one organization):
    # on a shared machine another learner could make an account in this learner's Label Studio. Only the preset
    # account exists; an invitation link (which only that account can make) is the way in for anyone else.
    "DISABLE_SIGNUP_WITHOUT_LINK": "true",
}


def label_studio_venv() -> Path:
    """Where install.sh puts Label Studio's own environment: beside the lab environment."""
    return Path(os.environ.get("GRADERS_LABEL_STUDIO_VENV") or (sys.prefix + "-labelstudio"))


def label_studio_command() -> str:
    """The ``label-studio`` program: from $GRADERS_LABEL_STUDIO, the environment beside this one, or PATH."""
    candidates = [os.environ.get("GRADERS_LABEL_STUDIO"), str(label_studio_venv() / "bin" / "label-studio"),
                  str(Path(sys.executable).parent / "label-studio"), shutil.which("label-studio")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise ServiceError("Label Studio is not installed. Run `make install` (or `VENV=.venv bash "
                       "labs/annotation/install.sh`) to install it in its own environment.")


def template_dir() -> Path:
    return Path(os.environ.get("GRADERS_LABEL_STUDIO_TEMPLATE") or label_studio_venv() / TEMPLATE_DIR_NAME)


def django_password_hash(password: str, iterations: int = 260000) -> str:
    """A password in Django's own ``pbkdf2_sha256`` format (what Label Studio stores and checks at login)."""
    salt = secrets.token_urlsafe(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode('ascii').strip()}"


class LabelStudioService(ProcessService):
    name = "labelstudio"
    health_path = "/health"
    start_timeout = 240.0   # a first start without a template runs every migration: 35 s here, more on a slow laptop

    def __init__(self, data_dir: str | Path | None = None, port: int | None = None, *, template: bool = True):
        self.data_dir = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="graders-labelstudio-"))
        self.data_dir.mkdir(parents=True, exist_ok=True)
        super().__init__(port, log_path=self.data_dir / "labelstudio.log")
        self.use_template = template
        self.account = self._account()

    @classmethod
    def for_workspace(cls, data_dir: Path) -> "LabelStudioService":
        return cls(data_dir)

    def info(self) -> dict:
        return {"token": self.account["token"], "username": self.account["username"],
                "password": self.account["password"]}

    # --- the account: made once per data folder, kept in account.json (readable by this user only) -------------------
    def _account(self) -> dict:
        path = self.data_dir / "account.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        account = {"username": USERNAME, "password": secrets.token_urlsafe(9), "token": secrets.token_hex(20)}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(account, f)
        return account

    @property
    def database(self) -> Path:
        return self.data_dir / "label_studio.sqlite3"

    def _from_template(self) -> bool:
        """Start from a copy of the migrated template, made ours: our token, password and secret key."""
        template = template_dir()
        if not (self.use_template and (template / "label_studio.sqlite3").exists()) or self.database.exists():
            return False
        for item in template.iterdir():
            if item.name in ("account.json", "labelstudio.log"):
                continue
            target = self.data_dir / item.name
            if item.is_dir():
                shutil.copytree(item, target, dirs_exist_ok=True)
            else:
                shutil.copy2(item, target)
        with sqlite3.connect(self.database) as db:
            users = db.execute("SELECT id FROM htx_user WHERE email = ?", (self.account["username"],)).fetchall()
            if len(users) != 1:
                raise ServiceError(f"the Label Studio template in {template} has no user {self.account['username']}")
            user_id = users[0][0]
            db.execute("UPDATE authtoken_token SET key = ? WHERE user_id = ?", (self.account["token"], user_id))
            db.execute("UPDATE htx_user SET password = ? WHERE id = ?",
                       (django_password_hash(self.account["password"]), user_id))
        env_file = self.data_dir / ".env"
        env_file.write_text(f"SECRET_KEY={secrets.token_urlsafe(50)}\n", encoding="utf-8")
        env_file.chmod(0o600)
        return True

    # --- the process ---------------------------------------------------------------------------------------------
    def command(self) -> list[str]:
        # "--password=VALUE", not "--password VALUE": a random password may begin with "-" (1 in 64), and argparse
        # then takes it for an option and Label Studio ends at once ("expected one argument")
        return [label_studio_command(), "start", "--no-browser", "--internal-host", LOOPBACK, "-p", str(self.port),
                "--data-dir", str(self.data_dir), f"--username={self.account['username']}",
                f"--password={self.account['password']}", f"--user-token={self.account['token']}",
                "--enable-legacy-api-token"]

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LABEL_STUDIO_", "DJANGO_"))}
        env.update(QUIET)
        env.update(PRIVATE)
        env["HOME"] = str(self.data_dir)   # nothing of Label Studio's lands in the learner's home folder
        env["PYTHONUNBUFFERED"] = "1"      # its "port is in use" line reaches the log while we wait (see start)
        from .proxy import public_origin, route_path

        if public_origin():  # opened through the learner's JupyterLab by its named route (proxy.py, routes.py):
            env["LABEL_STUDIO_HOST"] = public_origin() + route_path("labelstudio").rstrip("/")   # pages, assets, login
        return env

    # --- the port: Label Studio moves to the next port, silently, when ours is taken --------------------------------
    # `label-studio start -p N` checks N by connecting to it and, if anything answers, starts on N+1 (up to 1000
    # tries) and prints "Port N is in use". We chose N free a few seconds earlier, but on a busy machine (a class
    # hub, the test suite) another process can take it meanwhile; then we would wait on N for someone else's server.
    # So the log is read while waiting, and a moved start is stopped and begun again on a newly chosen port.
    PORT_MOVED = "is in use"
    START_TRIES = 3

    def start(self):
        for attempt in range(1, self.START_TRIES + 1):
            try:
                return super().start()
            except _PortTaken as exc:
                self._stop()
                if attempt == self.START_TRIES:
                    raise ServiceError(f"{exc} ({attempt} times). {self._failure_detail()}") from None
                self.port = free_port()

    def healthy(self) -> bool:
        if self._port_moved():
            raise _PortTaken(f"port {self.port} was taken before Label Studio could listen on it")
        return super().healthy()

    def _port_moved(self) -> bool:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                return self.PORT_MOVED.encode() in log.read()
        except OSError:
            return False

    def _start(self) -> None:
        self._from_template()
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        super()._start()


class _PortTaken(ServiceError):
    """Label Studio found its port taken and moved to another one (see LabelStudioService.start)."""


SERVICE = LabelStudioService


def make_template(dest: Path) -> float:
    """Run the slow first start once into ``dest`` (migrations, account); returns the seconds it took."""
    import time

    dest = Path(dest)
    if (dest / "label_studio.sqlite3").exists():
        return 0.0
    work = Path(tempfile.mkdtemp(prefix="labelstudio-template-", dir=dest.parent if dest.parent.exists() else None))
    started = time.monotonic()
    service = LabelStudioService(work, template=False)
    service.account["username"] = USERNAME
    with service:
        pass
    seconds = time.monotonic() - started
    (work / "account.json").unlink(missing_ok=True)
    (work / "labelstudio.log").unlink(missing_ok=True)
    # Every learner's server copies it (on a hub, as their own Unix user): readable by all. Its token, password
    # and secret key are replaced in each copy.
    for path in [work, *work.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    if dest.exists():
        shutil.rmtree(dest)
    work.replace(dest)
    return seconds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Label Studio for the annotation lab")
    p.add_argument("--make-template", metavar="DIR", nargs="?", const=str(template_dir()),
                   help="run the first start (migrations) once into DIR, for fast starts later")
    args = p.parse_args(argv)
    if args.make_template:
        seconds = make_template(Path(args.make_template))
        print(f"Label Studio template ready in {args.make_template}" + (f" ({seconds:.0f} s)" if seconds else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
