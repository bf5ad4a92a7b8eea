"""The RPA lab's practice company, mail server, robot runner and robot kit (the notebooks themselves are proved by
tests/test_labs.py). One practice app per module where tests only read it; two browser launches in all."""
import io
import json
import smtplib
import socket
import textwrap
import threading
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

import pytest
from openpyxl import load_workbook

from graders.services.base import LOOPBACK
from graders.services.rpa_app import RpaAppService
from graders.services.rpa_mail import RpaMailService, attachments, body_text
from labs.rpa import company, robotrun
from labs.rpa.practice_app import ORDER_FIELDS, challenge_layout, order_layout
from labs.rpa.ui_text import TEXT

pytestmark = pytest.mark.xdist_group("rpa")


def refused(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((LOOPBACK, port)) != 0


@pytest.fixture(scope="module")
def app():
    with RpaAppService(lang="en") as service:
        yield service


def signed_in(service, lang="en"):
    """A Flask test client of the service's app (same database), signed in."""
    from labs.rpa.practice_app import create_app

    flask_app = create_app(service.config)
    client = flask_app.test_client()
    r = client.post(f"/login?lang={lang}", data={"username": service.config.user, "password": service.config.password})
    assert r.status_code == 303
    return client


def order_form(order: company.Order, **changes) -> dict:
    form = {"order_ref": order.order_ref, "customer": order.customer, "product": order.product_code,
            "quantity": str(order.quantity), "delivery": order.delivery_code, "postal_code": order.postal_code,
            "address": order.address, "delivery_date": order.delivery_date, "note": ""}
    form.update(changes)
    return form


# --- services: loopback, free ports, clean start and stop --------------------------------------------------------

def test_app_and_mail_start_and_stop_cleanly_on_loopback(tmp_path):
    app = RpaAppService(data_dir=tmp_path / "app")
    mail = RpaMailService(data_dir=tmp_path / "mail")
    with app, mail:
        ports = {app.port, mail.port, mail.smtp_port}   # the ports they bound when they started
        assert len(ports) == 3
        assert app.url.startswith("http://127.0.0.1:") and mail.url.startswith("http://127.0.0.1:")
        assert app.healthy() and mail.healthy()
        with socket.create_connection((LOOPBACK, mail.smtp_port), timeout=5) as s:
            assert s.recv(64).startswith(b"220")
        for port in ports:   # bound to loopback only
            bound = [c for c in Path("/proc/net/tcp").read_text().splitlines()[1:] if f":{port:04X} " in c and " 0A " in c]
            assert bound and all(line.split()[1].startswith("0100007F:") for line in bound), bound
    for port in ports:
        assert refused(port), f"port {port} still open after stop"
    assert (tmp_path / "app" / "practice.sqlite3").exists()


def test_workspace_app_keeps_its_password_and_orders(tmp_path):
    first = RpaAppService.for_workspace(tmp_path)
    again = RpaAppService.for_workspace(tmp_path)
    assert first.config.password == again.config.password and len(first.config.password) >= 10
    assert RpaAppService().config.password != first.config.password      # a fresh one has its own
    assert first.config.db_path == again.config.db_path


# --- the order system -------------------------------------------------------------------------------------------

def test_login_is_required_and_a_wrong_password_gets_a_clear_page(app):
    from labs.rpa.practice_app import create_app

    client = create_app(app.config).test_client()
    r = client.get("/orders/new")
    assert r.status_code == 303 and "/login" in r.headers["Location"]
    r = client.post("/login", data={"username": "clerk", "password": "wrong"})
    assert r.status_code == 401 and TEXT["en"]["login_failed"] in r.get_data(as_text=True)
    r = client.post("/login", data={"username": "", "password": ""})
    assert r.status_code == 400 and TEXT["en"]["login_missing"] in r.get_data(as_text=True)


@pytest.mark.parametrize("changes, field, key", [
    ({"quantity": "abc"}, "quantity", "err_quantity"),
    ({"quantity": "0"}, "quantity", "err_quantity"),
    ({"product": "P-999"}, "product", "err_product"),
    ({"delivery": "drone"}, "delivery", "err_delivery"),
    ({"postal_code": "1000005"}, "postal_code", "err_postal"),
    ({"delivery_date": "31/12/2024"}, "delivery_date", "err_date"),
    ({"customer": ""}, "customer", "err_required"),
    ({"address": "x" * 300}, "address", "err_long"),
])
def test_bad_input_gets_a_clear_error_page_and_nothing_is_saved(app, changes, field, key):
    client = signed_in(app, "ja")
    order = company.orders(app.config.seed)[0]
    before = len(app.db.orders())
    for path in ("/orders/preview", "/orders/submit"):
        r = client.post(path, data=order_form(order, **changes))
        page = r.get_data(as_text=True)
        assert r.status_code == 400, path
        assert TEXT["ja"][key].format(field=TEXT["ja"][field]) in page
        assert 'role="alert"' in page
    assert len(app.db.orders()) == before
    logged = [r for r in app.db.requests() if r["path"] == "/orders/submit" and r["status"] == 400]
    assert logged and json.loads(logged[-1]["form"])["order_ref"] == order.order_ref


def test_missing_fields_are_all_listed(app):
    client = signed_in(app)
    r = client.post("/orders/preview", data={"order_ref": "PO-1"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    for field in ("customer", "product", "quantity", "delivery", "postal_code", "address", "delivery_date"):
        assert TEXT["en"]["err_required"].format(field=TEXT["en"][field]) in page


def test_the_system_is_busy_on_purpose_deterministically_then_accepts(tmp_path):
    service = RpaAppService(data_dir=tmp_path)
    client = signed_in(service)
    orders = company.orders(service.config.seed)
    plan = company.failure_plan(service.config.seed, [o.order_ref for o in orders])
    assert sorted(plan.values(), reverse=True)[:2] == [2, 1]          # one fails twice, one once
    for order in orders:
        for attempt in range(plan[order.order_ref]):
            r = client.post("/orders/submit", data=order_form(order))
            assert r.status_code == 503 and 'data-error="busy"' in r.get_data(as_text=True)
        r = client.post("/orders/submit", data=order_form(order))
        assert r.status_code == 303 and "/receipts/R-" in r.headers["Location"]
        receipt = client.get(r.headers["Location"]).get_data(as_text=True)
        assert f'data-order-ref="{order.order_ref}"' in receipt and company.yen(
            company.order_total(order.product_code, order.quantity, order.delivery_code)["total"]) in receipt
    rows = service.db.orders()
    assert len(rows) == len(orders) + sum(plan.values())
    assert {r["order_ref"] for r in rows if r["status"] == "accepted"} == set(plan)
    # a second submission of the same order is accepted again: guarding against it is the robot's job
    r = client.post("/orders/submit", data=order_form(orders[0]))
    assert r.status_code == 303
    assert len([r for r in service.db.orders("accepted") if r["order_ref"] == orders[0].order_ref]) == 2


@pytest.mark.parametrize("lang", ["en", "uk", "ja"])
def test_an_order_for_a_closed_account_is_refused_on_every_try_in_the_pages_language(tmp_path, lang):
    service = RpaAppService(data_dir=tmp_path, seed=company.CHECK_SEED)
    client = signed_in(service, lang)
    position, bad = company.refused_order(company.CHECK_SEED)
    account = company.CLOSED_BY_NAME[bad.customer]
    for _ in range(4):                                      # unlike "busy", trying again never helps
        r = client.post("/orders/submit", data=order_form(bad))
        page = r.get_data(as_text=True)
        assert r.status_code == 422 and 'data-error="account_closed"' in page
        assert TEXT[lang]["closed_text"].format(customer=account.name, date=account.closed_on) in page
    assert [r["status"] for r in service.db.orders()] == ["refused"] * 4
    assert service.db.orders("accepted") == []
    assert f'data-order-ref="{bad.order_ref}"' not in client.get("/orders?ref=" + bad.order_ref).get_data(as_text=True)
    good = company.orders(company.CHECK_SEED, company.CHECK_ORDER_COUNT)
    assert all(o.customer not in company.CLOSED_BY_NAME for o in good)   # the ordinary orders are never refused


def test_the_robust_check_lists_hold_one_refused_order_never_last_and_not_where_the_learner_saw_it():
    from graders.labdef import load_lab

    hidden = json.loads((load_lab("rpa").hidden_dir / "q10.json").read_text())
    assert hidden.get("refused") is True
    seen, graded = [], []
    for seed, count, out in [(company.CHECK_SEED, company.CHECK_ORDER_COUNT, seen), (company.CHECK_SEED, 2, seen),
                             (hidden["seed"], hidden["order_count"], graded)]:
        listed = company.robust_orders(seed, count)
        refs = [o.order_ref for o in listed]
        bad = [i for i, o in enumerate(listed) if o.customer in company.CLOSED_BY_NAME]
        assert len(listed) == count + 1 and len(set(refs)) == len(refs) and len(bad) == 1
        assert bad[0] < len(listed) - 1          # a robot that stops at the refused order leaves one unsent
        assert refs[:bad[0]] + refs[bad[0] + 1:] == [o.order_ref for o in company.orders(seed, count)]
        out.append((listed[bad[0]].order_ref, listed[bad[0]].customer))
    assert not set(graded) & set(seen)


def test_history_search_and_excel_export(tmp_path):
    service = RpaAppService(data_dir=tmp_path, seed=company.CHECK_SEED, with_history=True)
    client = signed_in(service)
    history = company.history(company.CHECK_SEED)
    ref = history[2]["order_ref"]
    page = client.get(f"/orders?ref={ref}").get_data(as_text=True)
    assert page.count("data-order-ref=") == 1 and f'data-order-ref="{ref}"' in page
    assert "data-order-ref=" not in client.get("/orders?ref=PO-0000-000").get_data(as_text=True)
    r = client.get("/orders/export.xlsx")
    ws = load_workbook(io.BytesIO(r.data)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "order_ref" and len(rows) == len(history) + 1
    assert sum(row[-1] for row in rows[1:]) == sum(o["total"] for o in service.db.orders("accepted"))


def test_layouts_move_fields_and_ids_but_keep_names():
    plain, other = order_layout(1), order_layout(7)
    assert plain["fields"] == ORDER_FIELDS and other["fields"] != plain["fields"]
    assert sorted(other["fields"]) == sorted(ORDER_FIELDS)
    assert not set(plain["ids"].values()) & set(other["ids"].values())
    assert order_layout(7) == order_layout(7)                                 # deterministic
    rounds = [challenge_layout(5, 1, n)["fields"] for n in range(1, 11)]
    assert len({tuple(r) for r in rounds}) > 5                                # changes every round


def test_pages_speak_three_languages_with_japanese_one_click_away(app):
    client = signed_in(app)
    for lang in ("en", "uk", "ja"):
        page = client.get(f"/orders/new?lang={lang}").get_data(as_text=True)
        assert f'<html lang="{lang}">' in page and TEXT[lang]["new_order"] in page
        assert 'href="?lang=ja"' in page and "日本語" in page
    assert TEXT["ja"]["new_order"] in client.get("/menu").get_data(as_text=True)    # the choice is remembered
    for lang in ("uk", "ja"):
        assert set(TEXT[lang]) == set(TEXT["en"])


def test_not_found_and_too_large(app):
    client = signed_in(app)
    r = client.get("/receipts/R-NOPE")
    assert r.status_code == 404 and TEXT["en"]["not_found"] in r.get_data(as_text=True)
    r = client.post("/orders/preview", data={"note": "x" * (3 * 1024 * 1024)})
    assert r.status_code == 413


def test_challenge_scores_every_field(tmp_path):
    service = RpaAppService(data_dir=tmp_path)
    client = signed_in(service)
    people = company.challenge_people(service.config.seed)
    r = client.post("/challenge/start")
    run = r.headers["Location"].split("/")[2]
    for n, person in enumerate(people, start=1):
        values = dict(person, phone="000") if n == 3 else person
        r = client.post(f"/challenge/{run}/{n}", data=values)
    result = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-correct="69"' in result and 'data-total="70"' in result
    sheet = load_workbook(io.BytesIO(client.get("/challenge/challenge.xlsx").data)).active
    assert [c.value for c in sheet[1]] == company.CHALLENGE_FIELDS and sheet.max_row == 11


# --- the mail server --------------------------------------------------------------------------------------------

def test_mail_server_keeps_messages_with_attachments(tmp_path):
    with RpaMailService(data_dir=tmp_path, lang="uk") as mail:
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = "受注レポート 3 orders", "robot@midori-bungu.example", "keiri@x.example"
        msg.set_content("Orders: 3\nTotal: ¥12,345")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("PO-1.pdf", b"%PDF-1.4")
        msg.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename="receipts.zip")
        with smtplib.SMTP(LOOPBACK, mail.smtp_port, timeout=10) as smtp:
            smtp.send_message(msg)
        [got] = mail.messages()
        assert got["rcpt_tos"] == ["keiri@x.example"] and "¥12,345" in body_text(got["message"])
        [(name, data)] = attachments(got["message"])
        assert name == "receipts.zip" and zipfile.ZipFile(io.BytesIO(data)).namelist() == ["PO-1.pdf"]
        import urllib.request

        index = urllib.request.urlopen(mail.url + "/", timeout=5).read().decode()
        assert "受注レポート" in index and "Поштова скринька" in index


# --- the robot runner -----------------------------------------------------------------------------------------------

def test_runner_stops_a_hanging_robot_and_everything_it_started(tmp_path):
    script = tmp_path / "robot_hang.py"
    script.write_text(textwrap.dedent("""
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print("started a helper", flush=True)
        while True:
            time.sleep(0.2)
    """))
    start = time.monotonic()
    run = robotrun.run_robot(script, tmp_path, robotrun.robot_env({}), timeout=2)
    assert run.timed_out and not run.ok and time.monotonic() - start < 10
    assert "started a helper" in run.stdout
    time.sleep(0.3)
    assert not [p for p in Path("/proc").iterdir() if p.name.isdigit() and _cmdline(p).endswith("time.sleep(600)")]


def _cmdline(proc: Path) -> str:
    try:
        return (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def test_runner_stops_a_robot_that_eats_memory(tmp_path):
    script = tmp_path / "robot_memory.py"
    script.write_text("import time\nblocks = []\nwhile True:\n    blocks.append(bytearray(50 * 2**20))\n    time.sleep(0.05)\n")
    run = robotrun.run_robot(script, tmp_path, robotrun.robot_env({}), timeout=30, memory_mb=300)
    assert run.memory_exceeded and not run.ok and run.peak_mb > 300


def test_runner_hides_the_learners_services_and_reports_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADERS_SERVICE_RPA_APP", '{"url": "http://127.0.0.1:1"}')
    script = tmp_path / "robot_env.py"
    script.write_text("import os\nprint(sorted(k for k in os.environ if k.startswith(('GRADERS_SERVICE', 'RPA_'))))\n"
                      "raise ValueError('the sheet has no column quantity')\n")
    run = robotrun.run_robot(script, tmp_path, robotrun.robot_env({"RPA_APP_URL": "http://127.0.0.1:2"}), timeout=20)
    assert "GRADERS_SERVICE_RPA_APP" not in run.stdout and "RPA_APP_URL" in run.stdout and "RPA_HEADLESS" in run.stdout
    assert run.returncode == 1 and run.error_line() == "ValueError: the sheet has no column quantity"


# --- data and grading specs -----------------------------------------------------------------------------------------

def test_learner_files_match_the_generator():
    from labs.rpa.datafiles import DATA_DIR
    from labs.rpa.kit import pdf_text

    ws = load_workbook(DATA_DIR / "orders.xlsx").active
    assert [r[0] for r in ws.iter_rows(min_row=2, values_only=True)] == [o.order_ref for o in company.orders(company.LEARNER_SEED)]
    inbox = company.invoices(company.LEARNER_SEED)
    assert {p.name for p in (DATA_DIR / "inbox").iterdir()} == {i.file_name for i in inbox.invoices} | set(inbox.unreadable)
    for invoice in inbox.invoices:
        text = pdf_text(DATA_DIR / "inbox" / invoice.file_name)
        assert invoice.invoice_no in text and company.yen(invoice.total) in text and invoice.date in text
    raw = load_workbook(DATA_DIR / "orders_raw.xlsx")["orders"]
    refs = [r[0] for r in raw.iter_rows(min_row=2, values_only=True)]
    expected = [r["order_ref"] for r in company.raw_orders(company.LEARNER_SEED).rows]
    assert refs == expected[:len(refs)] and all(r is None for r in expected[len(refs):])


def test_hidden_data_differs_from_what_learners_see():
    from graders.labdef import load_lab

    lab = load_lab("rpa")
    seen_seeds = {company.LEARNER_SEED, company.CHECK_SEED}
    for path in sorted(lab.hidden_dir.glob("*.json")):
        spec = json.loads(path.read_text())
        assert spec["seed"] not in seen_seeds, path.name
        assert spec["layout_seed"] not in (1, robotrun.CHECK_SPEC["layout_seed"]), path.name
    learner = {o.order_ref for o in company.orders(company.LEARNER_SEED)}
    assert not learner & {o.order_ref for o in company.orders(company.CHECK_SEED, company.CHECK_ORDER_COUNT)}
    assert company.report_recipient(company.LEARNER_SEED) != company.report_recipient(company.CHECK_SEED)


# --- in a real browser: the kit, the pages (screenshots for people to look at) ---------------------------------------

def test_browser_requests_to_other_hosts_go_to_the_blocking_proxy_only(monkeypatch, app):
    """Every non-loopback address goes to the robot's proxy; here a listener of ours on 127.0.0.1 stands in for it,
    so we see the request arrive there (nothing is sent anywhere else), while the practice app is reached directly."""
    from labs.rpa.kit import in_browser

    listener = socket.socket()
    listener.bind((LOOPBACK, 0))
    listener.listen(5)
    seen = []

    def accept():   # Chromium's own background requests arrive here too (it asks for updates despite the flags)
        listener.settimeout(20)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("robot-must-not-leave" in s for s in seen):
            try:
                conn, _ = listener.accept()
                conn.settimeout(5)
                seen.append(conn.recv(4096).decode(errors="replace"))
                conn.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                conn.close()
            except OSError:
                break

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    monkeypatch.setenv("RPA_BLOCKING_PROXY", f"http://{LOOPBACK}:{listener.getsockname()[1]}")

    def visit(page):
        page.goto(app.url + "/login")
        title = page.title()
        try:
            page.goto("http://robot-must-not-leave.invalid/", timeout=10_000)
        except Exception:
            pass
        return title

    assert "Midori" in in_browser(visit)
    thread.join(timeout=20)
    listener.close()
    assert any(s.startswith("GET http://robot-must-not-leave.invalid/") for s in seen), seen
    assert not any(app.url.split("//")[1] in s.split("\r\n")[0] for s in seen)   # the practice app: reached directly


def test_screenshots_of_the_practice_company(tmp_path, artifacts):
    """Every kind of page, as a robot's browser sees it, saved in test-artifacts/rpa/ for people to look at."""
    from labs.rpa.kit import in_browser

    out = artifacts / "rpa"
    out.mkdir(exist_ok=True)
    service = RpaAppService(data_dir=tmp_path / "app", layout_seed=1, seed=company.LEARNER_SEED)
    orders = company.orders(company.LEARNER_SEED)
    plan = company.failure_plan(company.LEARNER_SEED, [o.order_ref for o in orders])
    busy = next(o for o in orders if plan[o.order_ref])
    with service, RpaMailService(data_dir=tmp_path / "mail") as mail:
        with smtplib.SMTP(LOOPBACK, mail.smtp_port, timeout=10) as smtp:
            msg = EmailMessage()
            msg["Subject"], msg["From"], msg["To"] = "受注レポート / Order report: 4 orders, ¥31,460", "robot@x", "keiri@x"
            msg.set_content("Orders: 4\nTotal: ¥31,460")
            smtp.send_message(msg)

        def tour(page):
            shots = []

            def shot(name):
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                shots.append(name)

            page.goto(service.url + "/login?lang=en")
            shot("01-login-en")
            page.fill('[name="username"]', service.config.user)
            page.fill('[name="password"]', "wrong")
            page.click('[name="action"][value="login"]')
            shot("02-login-failed-en")
            page.fill('[name="password"]', service.config.password)
            page.click('[name="action"][value="login"]')
            shot("03-menu-en")
            for lang, layout in (("ja", ""), ("uk", "&layout=7"), ("en", "&layout=4242")):
                page.goto(service.url + f"/orders/new?lang={lang}{layout}")
                shot(f"04-order-form-{lang}{'-layout' + layout.split('=')[1] if layout else ''}")
            page.goto(service.url + "/orders/new?lang=ja")
            page.fill('[name="order_ref"]', busy.order_ref)
            page.fill('[name="postal_code"]', "東京都")
            page.click('[name="action"][value="preview"]')
            shot("05-form-errors-ja")
            values = order_form(busy)
            for name in ("order_ref", "customer", "quantity", "postal_code", "address", "delivery_date"):
                page.fill(f'[name="{name}"]', values[name])
            page.select_option('[name="product"]', values["product"])
            page.check(f'[name="delivery"][value="{values["delivery"]}"]')
            page.click('[name="action"][value="preview"]')
            shot("06-preview-ja")
            page.click('[name="action"][value="submit"]')
            page.locator("[data-error]").wait_for()
            shot("07-busy-ja")
            for _ in range(plan[busy.order_ref]):
                page.goto(service.url + "/orders/new")
                for name in ("order_ref", "customer", "quantity", "postal_code", "address", "delivery_date"):
                    page.fill(f'[name="{name}"]', values[name])
                page.select_option('[name="product"]', values["product"])
                page.check(f'[name="delivery"][value="{values["delivery"]}"]')
                page.click('[name="action"][value="preview"]')
                page.click('[name="action"][value="submit"]')
                page.locator("[data-receipt-number], [data-error]").first.wait_for()
            page.locator("[data-receipt-number]").wait_for()
            shot("08-receipt-ja")
            page.pdf(path=str(out / "08-receipt-ja.pdf"))
            page.goto(service.url + "/orders?lang=uk")
            shot("09-history-uk")
            page.goto(service.url + "/challenge?lang=en")
            shot("10-challenge-en")
            page.click('[name="action"][value="start"]')
            shot("11-challenge-round1-en")
            for person in company.challenge_people(service.config.seed):
                for field, value in person.items():
                    page.fill(f'[name="{field}"]', value)
                page.click('[name="action"][value="submit"]')
            page.locator(".score").wait_for()
            shot("12-challenge-result-en")
            page.goto(service.url + "/log?lang=ja")
            shot("13-request-log-ja")
            page.goto(mail.url + "/?lang=ja")
            shot("14-mailbox-ja")
            page.goto(service.url + "/receipts/R-NOPE?lang=uk")
            shot("15-not-found-uk")
            return shots

        shots = in_browser(tour)
    assert len(shots) == 17
    for name in shots:
        data = (out / f"{name}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    from labs.rpa.kit import pdf_text

    assert "R-" in pdf_text(out / "08-receipt-ja.pdf")


def test_every_robot_scaffold_is_valid_python_once_the_solutions_are_cleared():
    """What a learner gets (nbgrader replaces each solution region by a comment) must still run as a file."""
    import re

    from graders.build import CODE_STUB, source_notebook
    from graders.labdef import load_lab

    lab = load_lab("rpa")
    region = re.compile(r"^([ \t]*)### BEGIN SOLUTION\n.*?^[ \t]*### END SOLUTION\n", re.S | re.M)
    robots = 0
    for notebook in lab.notebooks:
        for cell in source_notebook(lab, notebook, ["uk"]).cells:
            if not cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                continue
            cleared = region.sub(lambda m: m[1] + CODE_STUB.render("uk") + "\n", cell.source + "\n")
            if cleared.startswith("%%writefile"):
                robots += 1
                compile(cleared.split("\n", 1)[1], cleared.split("\n", 1)[0], "exec")
    assert robots == 6


def test_a_robot_with_a_typed_in_password_is_told_why(tmp_path):
    """The password is new for every practice company: a robot that has one typed in cannot sign in, and says so."""
    from graders.checks import Check
    from labs.rpa import checks

    (tmp_path / "robot_orders.py").write_text(textwrap.dedent('''
        from labs.rpa.kit import open_browser, robot_config
        config = robot_config()
        with open_browser() as page:
            page.goto(config.app_url + "/login")
            page.fill('[name="username"]', "clerk")
            page.fill('[name="password"]', "Xy7-my-own-password")
            page.click('[name="action"][value="login"]')
            page.goto(config.app_url + "/orders/new")
            page.fill('[name="order_ref"]', "PO-1", timeout=2000)
    '''))
    verdict = checks.questions.run("q8", Check({}, context={"workdir": tmp_path}, lang="ja"))
    assert verdict.message_ids(ok=False) == ["rpa.robot.password"]
