"""Lab services through the learner's own JupyterLab (jupyter-server-proxy): the links the notebooks print work.

One ``graders start`` (free port, no browser) serves the course; its services (practice company, mailbox, Label
Studio) are fetched through their named routes (``/labelstudio/`` ...) and ``/proxy/PORT/`` with the JupyterLab token,
and in Debian's chromium a learner opens the practice company from its Launcher tile, logs in to it and to Label
Studio through the routes. Screenshots go to the test's tmp folder and test-artifacts/proxy/.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from graders.services import proxy
from graders.services.base import free_port

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("start")]
REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SERVICES = ("rpa_app", "rpa_mail", "labelstudio")


# --- the pieces, without servers -------------------------------------------------------------------------------

def test_browser_url_on_a_hub_and_locally(monkeypatch):
    monkeypatch.setenv("GRADERS_PUBLIC_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/olena/")
    assert proxy.browser_url("http://127.0.0.1:4567", "login") == "http://127.0.0.1:8000/user/olena/proxy/4567/login"
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX")
    monkeypatch.setenv("GRADERS_PUBLIC_URL", "http://127.0.0.1:8888/")
    assert proxy.browser_url(4567) == "http://127.0.0.1:8888/proxy/4567/"
    assert proxy.learner_url("http://127.0.0.1:4567", "x") == "http://127.0.0.1:8888/proxy/4567/x"
    monkeypatch.delenv("GRADERS_PUBLIC_URL")
    assert proxy.browser_url(4567, "/x") == "/proxy/4567/x"   # no origin known: relative to JupyterLab's own
    # a plain `jupyter lab` on a laptop (no graders start, no hub): the service's own address still works there
    assert proxy.learner_url("http://127.0.0.1:4567", "x") == "http://127.0.0.1:4567/x"
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/olena/")
    assert proxy.learner_url("http://127.0.0.1:4567", "x") == "/user/olena/proxy/4567/x"


def test_a_service_with_a_named_route_gets_a_link_that_stays_the_same(monkeypatch):
    from graders.services.registry import ServiceHandle

    monkeypatch.setenv("GRADERS_PUBLIC_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/taro/")
    handle = ServiceHandle("labelstudio", "http://127.0.0.1:4567")
    assert proxy.learner_url(handle, "projects/3/data") == "http://127.0.0.1:8000/user/taro/labelstudio/projects/3/data"
    assert proxy.browser_url("http://127.0.0.1:4567", "login", name="rpa_app") == \
        "http://127.0.0.1:8000/user/taro/practice-company/login"
    assert proxy.browser_url(ServiceHandle("moto", "http://127.0.0.1:4567"), "graders-lab/instances/x/") == \
        "http://127.0.0.1:8000/user/taro/practice-cloud/graders-lab/instances/x/"
    assert proxy.browser_url(ServiceHandle("rpa_other", "http://127.0.0.1:4567")) == \
        "http://127.0.0.1:8000/user/taro/proxy/4567/"   # no route: by its port


@pytest.mark.parametrize("lang, titles, category", [
    ("en", ["Label Studio", "Practice company", "Practice mailbox"], "Lab services"),
    ("uk", ["Label Studio", "Навчальна компанія", "Навчальна пошта"], "Сервіси для занять"),
    ("ja", ["Label Studio", "練習用の会社", "練習用の受信箱"], "ラボのサービス")])
def test_each_route_has_a_launcher_tile_in_the_learners_language(monkeypatch, tmp_path, lang, titles, category):
    from graders.services import routes

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(routes, "label_studio_installed", lambda: True)
    servers = routes.servers(lang)
    assert list(servers) == ["labelstudio", "practice-company", "practice-mailbox", "practice-cloud"]
    assert not servers.pop("practice-cloud").launcher_entry.enabled   # a route for its pages, no tile
    tiles = [s.launcher_entry for s in servers.values()]
    assert [t.title for t in tiles] == titles and {t.category for t in tiles} == {category}
    assert all(t.enabled and t.path_info == name + "/" and Path(t.icon_path).read_text().startswith("<svg")
               for t, name in zip(tiles, servers))
    monkeypatch.setattr(routes, "label_studio_installed", lambda: False)   # no Label Studio here: no tile for it
    assert not routes.servers(lang)["labelstudio"].launcher_entry.enabled


@pytest.mark.parametrize("lang, words", [("en", "Open the practice mailbox"), ("uk", "Відкрийте навчальну поштову"),
                                         ("ja", "練習用の受信箱をブラウザー")])
def test_show_link_speaks_the_learners_language(monkeypatch, capsys, lang, words):
    monkeypatch.setenv("GRADERS_PUBLIC_URL", "http://127.0.0.1:8000")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/taro/")
    url = proxy.show_link("rpa_mail", 5000, lang=lang)
    out = capsys.readouterr().out
    assert words in out and url in out and url == "http://127.0.0.1:8000/user/taro/practice-mailbox/"


class _Response:
    def __init__(self, location):
        self.headers = {"Location": location}


class _Request:
    def __init__(self, path):
        self.path = path


@pytest.mark.parametrize("path, location, expected", [
    ("/user/a/proxy/8123/user/login/", "/user/a/proxy/8123/projects/", "/projects/"),    # Label Studio's own prefix
    ("/proxy/8123/user/login/", "/proxy/8123/", "/"),
    ("/proxy/8123/user/login/", "/proxy/8123?next=1", "?next=1"),
    ("/proxy/8123/login", "/menu", "/menu"),                                             # the proxy adds it once
    ("/proxy/8123/login", "/proxy/81234/x", "/proxy/81234/x"),                           # another port: untouched
    ("/proxy/8123/login", "http://elsewhere/proxy/8123/", "http://elsewhere/proxy/8123/"),
])
def test_a_redirect_gets_the_prefix_once(path, location, expected):
    response = _Response(location)
    proxy.undouble_location(response, _Request(path), 8123)
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("location, expected", [
    ("/user/a/labelstudio/projects/", "/user/a/labelstudio/projects/"),   # Label Studio's own, already under the route
    ("/user/a/labelstudio", "/user/a/labelstudio"),
    ("/projects/", "/user/a/labelstudio/projects/"),                       # an app's root-relative one: prefixed once
    ("/user/a/labelstudiox/", "/user/a/labelstudio/user/a/labelstudiox/"),  # not the route: an app path like any
    ("http://elsewhere/y", "http://elsewhere/y"),
])
def test_a_named_route_prefixes_a_redirect_once(location, expected):
    from types import SimpleNamespace

    from graders.services.routes import ServiceRouteHandler

    handler = ServiceRouteHandler.__new__(ServiceRouteHandler)   # the method alone, no server
    handler.application = SimpleNamespace(settings={"base_url": "/user/a/"})
    handler.proxy_base, handler.absolute_url = "labelstudio", False
    assert handler._rewrite_location_header(location, "localhost", 1234, "/user/login/") == expected


def test_prefixed_links_rewrite_root_relative_links_only():
    def app(environ, start_response):
        body = (b'<a href="/menu">m</a><form action="/login"></form><a href="//cdn.example/x">c</a>'
                b'<a href="menu">r</a>' + environ.get("SCRIPT_NAME", "").encode())
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))])
        return [body]

    def call(headers):
        seen = {}
        body = b"".join(proxy.PrefixedLinks(app)(dict(headers), lambda s, h: seen.update(h=dict(h))))
        assert int(seen["h"]["Content-Length"]) == len(body)
        return body

    body = call({"HTTP_X_FORWARDED_PREFIX": "/user/a/proxy/8123"})
    assert b'href="/user/a/proxy/8123/menu"' in body and b'action="/user/a/proxy/8123/login"' in body
    assert b'href="//cdn.example/x"' in body and b'href="menu"' in body and body.endswith(b"/user/a/proxy/8123")
    assert b'href="/menu"' in call({})                                   # direct, no proxy: as it was
    assert b'href="/menu"' in call({"HTTP_X_FORWARDED_PREFIX": "/a\"><script>"})   # a bad prefix is ignored


# --- the real thing: graders start, its services through JupyterLab's proxy --------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, token: str | None = None, timeout: float = 10, follow: bool = True) -> tuple[int, str, str]:
    req = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    handlers = [urllib.request.ProxyHandler({})] + ([] if follow else [_NoRedirect()])
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(req, timeout=timeout) as r:
            return r.status, r.geturl(), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, url, exc.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:   # not listening yet
        return 0, url, str(exc)


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("proxy")
    port = free_port()
    workspace = tmp / "course"
    log = tmp / "start.log"
    env = {k: v for k, v in os.environ.items() if k not in ("GRADERS_WORKSPACE", "GRADERS_LANG", "GRADERS_PUBLIC_URL",
                                                             "JUPYTERHUB_SERVICE_PREFIX")}
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(REPO / ".venv/bin/graders"), "start", "--course", "digital-skills-day",
                                 "--workspace", str(workspace), "--port", str(port), "--lang", "en", "--no-browser"],
                                cwd=tmp, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        token, ports = None, {}
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            match = re.search(r"token=([0-9a-f]+)", log.read_text(errors="replace"))
            token = match[1] if match else None
            for name in ("rpa_app", "rpa_mail"):   # the course's services, started by graders start
                state = workspace / ".graders" / "services" / f"{name}.json"
                if name not in ports and state.exists():
                    ports[name] = json.loads(state.read_text())
            if token and len(ports) == 2 and _get(f"http://127.0.0.1:{port}/api/status", token)[0] == 200:
                break
            time.sleep(1)
        else:
            pytest.fail("graders start did not bring JupyterLab and the services up:\n" + log.read_text()[-3000:])
        # Label Studio is not running yet: its route (the Launcher tile's address) starts it, and a kernel of this
        # JupyterLab asking for it afterwards (the annotation notebook) finds that same one
        status, _, body = _get(f"http://127.0.0.1:{port}/labelstudio/", token, timeout=300, follow=False)
        assert status == 302, (status, body[:500])
        kernel_env = {**env, **proxy.jupyter_environment(f"http://127.0.0.1:{port}"), "GRADERS_WORKSPACE": str(workspace)}
        code = ("import json, sys; from graders.services import connect; "
                "h = connect('labelstudio', sys.argv[1]); print(json.dumps({'url': h.url, 'info': h.info}))")
        out = subprocess.run([str(REPO / ".venv/bin/python"), "-c", code, str(workspace)], env=kernel_env,
                             capture_output=True, text=True, timeout=300, cwd=workspace)
        assert out.returncode == 0, out.stderr[-3000:]
        ports["labelstudio"] = json.loads(out.stdout.strip().splitlines()[-1])
        recorded = json.loads((workspace / ".graders" / "services" / "labelstudio.json").read_text())
        assert recorded["url"] == ports["labelstudio"]["url"]
        yield {"port": port, "token": token, "services": ports, "log": log, "tmp": tmp}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            from graders.services import stop_all

            stop_all(workspace)   # one a service start still under way when the test stopped early


def _proxied(started, name: str, path: str = "") -> str:
    """The service's named route in this JupyterLab (what the notebooks print and the Launcher tiles open)."""
    return f"http://127.0.0.1:{started['port']}/{proxy.ROUTES[name]}/{path.lstrip('/')}"


def _by_port(started, name: str, path: str = "") -> str:
    return f"http://127.0.0.1:{started['port']}" + proxy.proxy_path(proxy.port_of(started["services"][name]["url"]),
                                                                     path)


def test_each_service_page_loads_through_jupyterlab(started):
    token = started["token"]
    status, _, body = _get(_proxied(started, "rpa_app", "login"), token)
    assert status == 200 and "name=\"password\"" in body, body[:500]
    assert 'action="/practice-company/login"' in body  # its form, under the route
    status, _, body = _get(_by_port(started, "rpa_app", "login"), token)   # the port's route works as well
    assert status == 200 and f'action="/proxy/{proxy.port_of(started["services"]["rpa_app"]["url"])}/login"' in body
    status, _, body = _get(_proxied(started, "rpa_mail"), token)
    assert status == 200 and "Mailbox" in body, body[:500]
    status, _, body = _get(f"http://127.0.0.1:{started['port']}/practice-cloud/moto-api/data.json", token)
    assert status == 200 and body.startswith("{"), body[:300]   # the practice cloud's route (pages it serves)
    status, url, body = _get(_proxied(started, "labelstudio", "user/login/"), token)
    assert status == 200 and "csrfmiddlewaretoken" in body, body[:500]
    assets = re.findall(r'(?:src|href)="(http://127\.0\.0\.1:\d+/labelstudio/(?:static|react-app)/[^"]+)"', body)
    assert len(assets) >= 3, body[:1000]   # its styles and scripts, through the route too
    for asset in assets[:4]:
        assert _get(asset, token)[0] == 200, asset
    # not logged in to JupyterLab: the proxy lets nobody through (JupyterLab's login page or a refusal instead)
    for name in SERVICES:
        for url in (_proxied(started, name), _by_port(started, name)):
            status, _, body = _get(url, follow=False)
            assert status in (302, 403), (url, status, body[:300])
    # the Launcher's tiles: one per route, in the learner's language (English here)
    info = json.loads(_get(f"http://127.0.0.1:{started['port']}/server-proxy/servers-info", token)[2])
    tiles = {s["name"]: s["launcher_entry"] for s in info["server_processes"]}
    assert {name: (tiles[name]["title"], tiles[name]["enabled"]) for name in proxy.ROUTES.values()} == {
        "labelstudio": ("Label Studio", True), "practice-company": ("Practice company", True),
        "practice-mailbox": ("Practice mailbox", True), "practice-cloud": ("practice-cloud", False)}, tiles


def test_the_s3_website_link_opens_the_page_through_jupyterlab(started):
    """AWS 3's "visit your website" link: 127.0.0.1 would be the learner's own computer on a hub, so the link the
    notebook prints goes through JupyterLab's route to the practice cloud, and a browser gets the page there."""
    workspace = started["tmp"] / "course"
    kernel_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    kernel_env.update({**proxy.jupyter_environment(f"http://127.0.0.1:{started['port']}"),
                       "GRADERS_WORKSPACE": str(workspace)})
    code = """
import json
from graders import Lab
from labs.aws.helper import connect_aws
aws = connect_aws(Lab("aws", lang="en", notebook="3-s3"))
s3, bucket = aws.client("s3"), aws.bucket_name("website")
s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"})
s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={k: False for k in (
    "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})
s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
s3.put_object(Bucket=bucket, Key="index.html", Body=b"<h1>Cafe Sakura</h1>", ContentType="text/html")
print(aws.browser_url(bucket, "index.html"))
"""
    out = subprocess.run([str(REPO / ".venv/bin/python"), "-c", code], env=kernel_env, capture_output=True, text=True,
                         timeout=300, cwd=workspace / "aws")
    assert out.returncode == 0, out.stderr[-3000:]
    link = out.stdout.strip().splitlines()[-1]
    assert link.startswith(f"http://127.0.0.1:{started['port']}/practice-cloud/website-"), link
    # as a browser: logged in to JupyterLab by its cookie (a token header would go on to the practice cloud too,
    # which reads any Authorization header as an AWS signature)
    import http.cookiejar

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    opener.open(f"http://127.0.0.1:{started['port']}/lab?token={started['token']}", timeout=30).read()
    with opener.open(link, timeout=30) as page:
        assert page.status == 200 and "Cafe Sakura" in page.read().decode(), link


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_a_learner_logs_in_through_the_proxy_in_chromium(started):
    from playwright.sync_api import sync_playwright

    shots = started["tmp"] / "screenshots"
    shots.mkdir(exist_ok=True)
    base = f"http://127.0.0.1:{started['port']}"
    app, ls = started["services"]["rpa_app"], started["services"]["labelstudio"]
    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            sockets = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            page.goto(f"{base}/lab?token={started['token']}")   # logged in to JupyterLab, as from graders start
            # the Launcher's tile for the practice company opens it in a new tab, under its route
            tile = page.locator(".jp-LauncherCard:has-text('Practice company')")
            tile.wait_for(timeout=60000)
            tile.scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "00-launcher-tiles.png"))
            with page.context.expect_page() as opened:
                tile.click()
            site = opened.value
            site.wait_for_selector("#username", timeout=30000)
            assert site.url.startswith(_proxied(started, "rpa_app")), site.url
            site.close()
            # the practice company: sign in, land on the menu, follow a link: every page stays under the route
            page.goto(_proxied(started, "rpa_app", "menu"))
            page.wait_for_selector("#username")
            assert page.url == _proxied(started, "rpa_app", "login?next=/menu"), page.url
            page.fill("#username", app["info"]["user"])
            page.fill("#password", app["info"]["password"])
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert page.url == _proxied(started, "rpa_app", "menu"), page.url
            page.screenshot(path=str(shots / "01-practice-app-menu.png"))
            page.click("main a[href$='/orders/new'], .menu a[href$='/orders/new'] >> nth=0")
            page.wait_for_load_state()
            assert page.url == _proxied(started, "rpa_app", "orders/new"), page.url
            page.screenshot(path=str(shots / "02-practice-app-new-order.png"))
            # Label Studio: its login page, styled, then its projects after signing in (no doubled prefix)
            page.goto(_proxied(started, "labelstudio", "user/login/"))
            page.wait_for_selector("input[name=email]")
            page.screenshot(path=str(shots / "03-label-studio-login.png"))
            page.fill("input[name=email]", ls["info"]["username"])
            page.fill("input[name=password]", ls["info"]["password"])
            page.click("button[type=submit]")
            try:   # its home page, signed in (a doubled prefix, /proxy/P/proxy/P/, would be a 404 here)
                page.wait_for_url(lambda url: "/user/login" not in url, timeout=30000)
                page.get_by_text("Create Project").first.wait_for(timeout=30000)
            finally:
                page.screenshot(path=str(shots / "04-label-studio-after-login.png"))
            assert page.url == _proxied(started, "labelstudio"), page.url
            page.goto(_proxied(started, "labelstudio", "projects/"))
            page.get_by_text("Create Project").first.wait_for(timeout=30000)
            assert page.url.startswith(_proxied(started, "labelstudio", "projects")), page.url
            page.screenshot(path=str(shots / "05-label-studio-projects.png"))
            # Label Studio's pages open no websocket (its UI polls over HTTP): only JupyterLab's own kernel/event ones
            assert not [url for url in sockets if "/labelstudio/" in url or "/practice-" in url], sockets
        finally:
            browser.close()
    keep = REPO / "test-artifacts" / "proxy"
    keep.mkdir(parents=True, exist_ok=True)
    for shot in shots.glob("*.png"):
        shutil.copy2(shot, keep / shot.name)
