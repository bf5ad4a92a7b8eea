"""The one shape of a local service, and how notebooks reach it (graders.services.registry.py)."""
import json
import os
import sys
import textwrap
import urllib.request

import pytest

from graders.services import ServiceError, connect, env_name, stop_all
from graders.services.registry import running, services_dir
from graders.testing import lab_services

TOY = textwrap.dedent('''
    from graders.services.base import ThreadService

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"toy ok"]

    class Toy(ThreadService):
        name = "toy"

        def make_app(self):
            return app

        def info(self):
            return {"token": "t-123"}

    SERVICE = Toy
''')


@pytest.fixture
def toy_module(tmp_path, monkeypatch):
    folder = tmp_path / "mods"
    folder.mkdir()
    (folder / "toy_service.py").write_text(TOY)
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", str(folder) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return "toy_service"


def test_connect_starts_once_per_workspace_reuses_and_stops(tmp_path, toy_module):
    ws = tmp_path / "ws"
    first = connect("toy", ws, module=toy_module)
    try:
        assert first.url.startswith("http://127.0.0.1:") and first["token"] == "t-123" and first.owned
        assert urllib.request.urlopen(first.url, timeout=5).read() == b"toy ok"
        again = connect("toy", ws, module=toy_module)       # e.g. after a kernel restart
        assert again.url == first.url
        assert [name for name, _ in running(ws)] == ["toy"]
    finally:
        assert stop_all(ws) == ["toy"]
    assert running(ws) == [] and not (services_dir(ws) / "toy.json").exists()


def test_a_service_given_by_the_environment_is_used_as_is(tmp_path, monkeypatch, toy_module):
    monkeypatch.setenv(env_name("toy"), json.dumps({"url": "http://127.0.0.1:9", "token": "given"}))
    handle = connect("toy", tmp_path, module=toy_module)
    assert (handle.url, handle["token"], handle.owned) == ("http://127.0.0.1:9", "given", False)
    assert running(tmp_path) == []  # nothing started


def test_a_service_that_cannot_start_says_where_its_log_is(tmp_path, monkeypatch):
    folder = tmp_path / "mods"
    folder.mkdir()
    (folder / "broken_service.py").write_text(TOY.replace("return app", "raise RuntimeError('no such server')"))
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", str(folder))
    with pytest.raises(ServiceError) as info:
        connect("broken", tmp_path, module="broken_service", timeout=20)
    assert "broken.log" in str(info.value)
    assert "no such server" in (services_dir(tmp_path) / "broken.log").read_text()


def test_services_listen_on_loopback_only():
    from graders.services.base import ThreadService
    with pytest.raises(ValueError):
        ThreadService(host="0.0.0.0")


def test_lab_services_hands_fresh_servers_to_a_kernel(tmp_path, toy_module):
    class FakeLab:
        services = ["toy"]

    import graders.services.registry as c
    original = c.service_class
    c.service_class = lambda name, module=None: original(name, toy_module)
    try:
        with lab_services(FakeLab()) as env:
            given = json.loads(env[env_name("toy")])
            assert urllib.request.urlopen(given["url"], timeout=5).read() == b"toy ok"
    finally:
        c.service_class = original


def test_a_private_service_lives_in_this_process_and_is_shared_with_no_one(tmp_path, toy_module):
    import graders.services.registry as registry
    handle = connect("toy", tmp_path, module=toy_module, private=True)
    try:
        assert urllib.request.urlopen(handle.url, timeout=5).read() == b"toy ok"
        assert running(tmp_path) == []                       # nothing detached, nothing recorded
        assert connect("toy", tmp_path, module=toy_module, private=True).url == handle.url
    finally:
        registry._PRIVATE.pop("toy").stop()
