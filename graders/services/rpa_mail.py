"""The RPA lab's local mail server: an SMTP server (aiosmtpd) that keeps every message it receives, and a small web
mailbox to read them. Both listen on 127.0.0.1 only; nothing is ever delivered anywhere else.

``url`` is the web mailbox (so the service has the same shape as every other); ``info()`` gives ``smtp_host`` and
``smtp_port`` for robots; :meth:`messages` gives the grader the received messages as ``email.message`` objects.
Both answer only the Unix user the server runs as (:mod:`graders.services.owner`): the mailbox page answers 403,
the SMTP server refuses ``MAIL FROM`` with 554, so the learner's own ``smtplib.SMTP(host, port)`` needs no login.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
import sqlite3
import tempfile
import threading
from pathlib import Path

from .base import LOOPBACK, ThreadService, free_port
from .owner import same_user

WORDS = {
    "en": {"title": "Mailbox", "empty": "No messages yet.", "from": "From", "to": "To", "subject": "Subject",
           "received": "Received", "attachments": "Attachments", "back": "All messages",
           "intro": "Every e-mail your robots send to the local mail server lands here. Nothing leaves this computer."},
    "uk": {"title": "Поштова скринька", "empty": "Листів ще немає.", "from": "Від", "to": "Кому", "subject": "Тема",
           "received": "Отримано", "attachments": "Вкладення", "back": "Усі листи",
           "intro": "Сюди потрапляє кожен лист, який ваші роботи надсилають на локальний поштовий сервер. Нічого не виходить за межі цього комп'ютера."},
    "ja": {"title": "受信箱", "empty": "まだメールはありません。", "from": "差出人", "to": "宛先", "subject": "件名",
           "received": "受信日時", "attachments": "添付ファイル", "back": "メール一覧",
           "intro": "ロボットがローカルのメールサーバーに送ったメールは、すべてここに届きます。このパソコンの外には何も送られません。"},
}


class MailStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        with sqlite3.connect(self.path) as con:
            con.execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, received TEXT, mail_from TEXT,"
                        " rcpt_tos TEXT, data BLOB)")

    def add(self, mail_from: str, rcpt_tos: list[str], data: bytes) -> None:
        with self._lock, sqlite3.connect(self.path) as con:
            con.execute("INSERT INTO messages (received, mail_from, rcpt_tos, data) VALUES (?,?,?,?)",
                        (dt.datetime.now().isoformat(timespec="seconds"), mail_from, json.dumps(rcpt_tos), data))

    def all(self) -> list[dict]:
        with sqlite3.connect(self.path) as con:
            rows = con.execute("SELECT id, received, mail_from, rcpt_tos, data FROM messages ORDER BY id").fetchall()
        return [{"id": r[0], "received": r[1], "mail_from": r[2], "rcpt_tos": json.loads(r[3]),
                 "message": email.message_from_bytes(r[4], policy=email.policy.default)} for r in rows]


NOT_YOURS = "554 5.7.1 This mail server belongs to another user of this computer"


class _Handler:
    """Keeps every message; takes mail only from the Unix user this server runs as (``owner.py``: on a shared
    machine another learner could otherwise fill this learner's mailbox)."""

    def __init__(self, store: MailStore, port: int, users=()):
        self.store = store
        self.port = port
        self.users = users

    def _yours(self, session) -> bool:
        peer = session.peer if isinstance(session.peer, tuple) else None
        return peer is not None and same_user((peer[0], int(peer[1])), (LOOPBACK, self.port), self.users)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if not self._yours(session):
            return NOT_YOURS
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if not self._yours(session):
            return NOT_YOURS
        self.store.add(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def attachments(message) -> list[tuple[str, bytes]]:
    out = []
    for part in message.iter_attachments():
        out.append((part.get_filename() or "attachment", part.get_payload(decode=True) or b""))
    return out


def body_text(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


class RpaMailService(ThreadService):
    name = "rpa_mail"
    health_path = "/health"

    def __init__(self, port: int | None = None, *, data_dir: Path | None = None, smtp_port: int | None = None,
                 lang: str | None = None):
        super().__init__(port)
        self._tmp = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="rpa-mail-")
            data_dir = Path(self._tmp.name)
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = MailStore(self.data_dir / "mailbox.sqlite3")
        self.smtp_port = smtp_port or free_port()
        self.lang = lang
        self._controller = None

    @classmethod
    def for_workspace(cls, data_dir: Path) -> "RpaMailService":
        from graders.i18n import resolve_language

        return cls(data_dir=data_dir, lang=resolve_language())

    def info(self) -> dict:
        return {"smtp_host": LOOPBACK, "smtp_port": self.smtp_port}

    def messages(self) -> list[dict]:
        return self.store.all()

    def healthy(self) -> bool:
        if not super().healthy():
            return False
        with socket.create_connection((LOOPBACK, self.smtp_port), timeout=2) as s:
            return s.recv(64).startswith(b"220")

    def _start(self) -> None:
        from aiosmtpd.controller import Controller

        self._controller = Controller(_Handler(self.store, self.smtp_port, self.users), hostname=LOOPBACK, port=self.smtp_port,
                                      server_hostname="mail.midori-bungu.example", ready_timeout=10)
        self._controller.start()
        super()._start()

    def _stop(self) -> None:
        super()._stop()
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def stop(self) -> None:
        super().stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def make_app(self):
        from flask import Flask, Response, abort, request
        from markupsafe import escape
        from urllib.parse import quote

        import logging

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = Flask("rpa_mailbox")
        from .proxy import PrefixedLinks

        app.wsgi_app = PrefixedLinks(app.wsgi_app)   # its links work behind JupyterLab's proxy too
        store = self.store
        default_lang = self.lang

        def words():
            lang = request.args.get("lang") or default_lang or request.accept_languages.best_match(WORDS) or "en"
            return WORDS.get(lang, WORDS["en"])

        def page(body: str) -> str:
            w = words()
            return (f'<!doctype html><html><head><meta charset="utf-8"><title>{w["title"]}</title><style>'
                    "body{font-family:'Noto Sans CJK JP',sans-serif;margin:24px;background:#f5f6fa}"
                    "table{border-collapse:collapse;width:100%;background:#fff}td,th{padding:6px 10px;"
                    "border-bottom:1px solid #ddd;text-align:left}pre{background:#fff;padding:12px;white-space:pre-wrap}"
                    f'</style></head><body><h1>✉ {w["title"]}</h1><p>{w["intro"]}</p>{body}</body></html>')

        @app.get("/health")
        def health():
            return Response("ok", mimetype="text/plain")

        @app.get("/")
        def index():
            w = words()
            rows = store.all()
            if not rows:
                return page(f'<p>{w["empty"]}</p>')
            lines = "".join(
                f'<tr><td>{escape(m["received"])}</td><td>{escape(m["mail_from"])}</td>'
                f'<td>{escape(", ".join(m["rcpt_tos"]))}</td><td><a href="/messages/{m["id"]}">'
                f'{escape(m["message"]["subject"] or "—")}</a></td><td>{len(attachments(m["message"]))}</td></tr>'
                for m in reversed(rows))
            return page(f'<table><tr><th>{w["received"]}</th><th>{w["from"]}</th><th>{w["to"]}</th>'
                        f'<th>{w["subject"]}</th><th>{w["attachments"]}</th></tr>{lines}</table>')

        @app.get("/messages/<int:mid>")
        def show(mid):
            w = words()
            found = [m for m in store.all() if m["id"] == mid]
            if not found:
                abort(404)
            m = found[0]
            files = "".join(f'<li><a href="/messages/{mid}/{i}">{escape(name)}</a> ({len(data):,} bytes)</li>'
                            for i, (name, data) in enumerate(attachments(m["message"])))
            return page(f'<p><a href="/">{w["back"]}</a></p><table>'
                        f'<tr><th>{w["from"]}</th><td>{escape(m["message"]["from"] or m["mail_from"])}</td></tr>'
                        f'<tr><th>{w["to"]}</th><td>{escape(m["message"]["to"] or "")}</td></tr>'
                        f'<tr><th>{w["subject"]}</th><td>{escape(m["message"]["subject"] or "")}</td></tr></table>'
                        f'<pre>{escape(body_text(m["message"]))}</pre><h2>{w["attachments"]}</h2><ul>{files}</ul>')

        @app.get("/messages/<int:mid>/<int:index>")
        def attachment(mid, index):
            found = [m for m in store.all() if m["id"] == mid]
            files = attachments(found[0]["message"]) if found else []
            if index >= len(files):
                abort(404)
            name, data = files[index]
            return Response(data, mimetype="application/octet-stream",
                            headers={"Content-Disposition": "attachment; filename*=UTF-8''" + quote(name)})

        return app


SERVICE = RpaMailService
