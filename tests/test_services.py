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


# --- a service answers only the Unix user it runs as (graders/services/owner.py) -----------------------------------

@pytest.mark.parametrize("way", ["sock_diag", "proc_table"])
def test_the_kernel_tells_who_owns_the_other_end_of_a_loopback_connection(way, monkeypatch):
    import socket

    from graders.services import owner
    from graders.services.owner import connection_uid, owner_check_available

    if way == "proc_table":   # the fallback where netlink is not available
        def no_netlink(*args):
            raise OSError("no netlink")
        monkeypatch.setattr(owner, "_diag_uid", no_netlink)

    if not owner_check_available():
        pytest.skip("no /proc/net/tcp here")
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::ffff:127.0.0.1")):
            client = socket.socket(family, socket.SOCK_STREAM)
            try:
                client.connect((host, port))
                accepted, peer = server.accept()
                with accepted:
                    assert connection_uid((peer[0], peer[1]), ("127.0.0.1", port)) == os.geteuid()
                    assert connection_uid((peer[0], peer[1] + 1), ("127.0.0.1", port)) is None
            finally:
                client.close()


OTHER_USER = r'''
import smtplib, sys, urllib.error, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
for url in sys.argv[2:]:
    try:
        print(url, opener.open(url, timeout=10).status)
    except urllib.error.HTTPError as e:
        print(url, e.code)
try:
    with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as s:
        s.sendmail("intruder@example.com", ["keiri@example.com"], "Subject: planted\n\nx")
    print("smtp", 250)
except smtplib.SMTPException as e:
    print("smtp", getattr(e, "smtp_code", "refused"))
'''


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0 or not sys.platform.startswith("linux"),
                    reason="needs root (to be another user for a moment) and Linux")
def test_another_unix_user_is_refused_and_the_owner_is_served(tmp_path, toy_module):
    import smtplib
    import subprocess

    from graders.services.rpa_mail import RpaMailService

    toy = __import__(toy_module).SERVICE().start()
    mail = RpaMailService(data_dir=tmp_path / "mail").start()
    try:
        urls = [toy.url + "/", mail.url + "/", mail.url + "/messages/1"]
        with smtplib.SMTP("127.0.0.1", mail.smtp_port, timeout=10) as s:   # the owner (this process's user)
            s.sendmail("robot@example.com", ["keiri@example.com"], "Subject: report\n\nok")
        assert [urllib.request.urlopen(u, timeout=5).status for u in urls] == [200, 200, 200]
        probe = subprocess.run(["/usr/bin/python3", "-I", "-c", OTHER_USER, str(mail.smtp_port), *urls],
                               user="nobody", capture_output=True, text=True, timeout=60)
        answers = dict(line.rsplit(" ", 1) for line in probe.stdout.splitlines())
        assert answers == {**{u: "403" for u in urls}, "smtp": "554"}, probe.stdout + probe.stderr
        assert [m["message"]["subject"] for m in mail.messages()] == ["report"]
    finally:
        toy.stop()
        mail.stop()


def test_nobody_can_sign_up_to_a_learners_label_studio(tmp_path):
    """Label Studio lets anyone who reaches it sign up, and every account sees every project: on a shared machine
    another learner could read this learner's projects. The lab's Label Studio has sign-up without invitation off."""
    import http.cookiejar
    import re
    import sqlite3
    import urllib.error
    import urllib.parse

    from graders.services.labelstudio import LabelStudioService, label_studio_command

    try:
        label_studio_command()
    except ServiceError as exc:
        pytest.skip(str(exc))
    service = LabelStudioService(tmp_path / "ls").start()
    try:
        from label_studio_sdk.client import LabelStudio
        LabelStudio(base_url=service.url, api_key=service.account["token"]).projects.create(
            title="A private project", label_config='<View><Text name="t" value="$t"/>'
            '<Choices name="c" toName="t"><Choice value="x"/></Choices></View>')
        browser = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                              urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

        def get(path, data=None):
            try:
                with browser.open(urllib.request.Request(service.url + path, data=data,
                                                         headers={"Referer": service.url + path}), timeout=60) as r:
                    return r.status, r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as e:
                return e.code, ""

        status, page = get("/user/signup")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, (status, page[:300])
        get("/user/signup", urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "email": "b@example.com",
                                                     "password": "intruder-pw-1"}).encode())
        assert get("/api/projects")[0] in (401, 403)
        with sqlite3.connect(service.database) as db:
            assert [r[0] for r in db.execute("SELECT email FROM htx_user")] == [service.account["username"]]
    finally:
        service.stop()
