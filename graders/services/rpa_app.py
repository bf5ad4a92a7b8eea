"""The RPA lab's practice company (a Flask + SQLite order system, ``labs/rpa/practice_app.py``) as a local service.

``RpaAppService(seed=..., layout_seed=...)`` chooses the data set and the page layout at start, so the grader can run a
learner's robot against a hidden data set and a layout the learner never saw. The robot's password is new for every
fresh instance (a robot that has it typed in fails); a learner's workspace keeps one in its data folder.
"""
from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from .base import ThreadService


class RpaAppService(ThreadService):
    name = "rpa_app"
    health_path = "/health"
    start_timeout = 20.0

    def __init__(self, port: int | None = None, *, data_dir: Path | None = None, seed: int | None = None,
                 layout_seed: int = 1, lang: str | None = None, password: str | None = None,
                 order_count: int | None = None, with_history: bool = False, report_to: str | None = None,
                 stock_check_ms: tuple[int, int] = (50, 150)):
        super().__init__(port)
        from labs.rpa import company
        from labs.rpa.practice_app import AppConfig

        self._tmp = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="rpa-app-")
            data_dir = Path(self._tmp.name)
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.config = AppConfig(db_path=self.data_dir / "practice.sqlite3",
                                seed=company.LEARNER_SEED if seed is None else seed, layout_seed=layout_seed,
                                order_count=order_count or company.LEARNER_ORDER_COUNT, lang=lang, password=password or secrets.token_urlsafe(9),
                                with_history=with_history, stock_check_ms=stock_check_ms)
        self.report_to = report_to or company.report_recipient(self.config.seed)

    @classmethod
    def for_workspace(cls, data_dir: Path) -> "RpaAppService":
        """A learner's own practice company: its database and password live in ``data_dir`` and survive restarts."""
        from graders.i18n import resolve_language

        data_dir = Path(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        secret = data_dir / "password.txt"
        if not secret.exists():
            secret.write_text(secrets.token_urlsafe(9), encoding="utf-8")
            secret.chmod(0o600)
        return cls(data_dir=data_dir, lang=resolve_language(), password=secret.read_text(encoding="utf-8").strip())

    def make_app(self):
        from labs.rpa.practice_app import create_app

        return create_app(self.config)

    def info(self) -> dict:
        return {"user": self.config.user, "password": self.config.password, "report_to": self.report_to,
                "db": str(self.config.db_path)}

    @property
    def db(self):
        from labs.rpa.practice_app import PracticeDB

        return PracticeDB(self.config.db_path)

    def stop(self) -> None:
        super().stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


SERVICE = RpaAppService
