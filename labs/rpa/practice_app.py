"""The practice company's order system: a small Flask + SQLite web app that RPA robots work against.

Pages: sign-in, menu, order form -> preview -> submit -> HTML receipt (the system is "busy" now and then, on purpose,
deterministically from the seed), order history with an Excel export, the RPA-Challenge-style data-entry form that
changes its layout every round, and a log of every request received. Every page is in English, Ukrainian or
Japanese (``?lang=``), with Japanese one click away.

Robots find fields by their ``name`` attribute or their label; ids, CSS classes and positions change with the
*layout seed*, so a robot that clicks "the third input" breaks on a new layout, as it would on a real system after an
update. The grader starts a fresh app with a hidden data set (``seed``) and a new ``layout_seed`` and reads the
database (:class:`PracticeDB`) to judge what a robot did.
"""
from __future__ import annotations

import datetime as dt
import io
import json
import re
import secrets
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup, escape

from . import company
from .ui_text import TEXT

LANGS = ("en", "uk", "ja")
ORDER_FIELDS = ["order_ref", "customer", "product", "quantity", "delivery", "postal_code", "address",
                "delivery_date", "note"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, ts TEXT, method TEXT, path TEXT, form TEXT,
    status INTEGER, user TEXT);
CREATE TABLE IF NOT EXISTS logins (id INTEGER PRIMARY KEY, ts TEXT, username TEXT, ok INTEGER);
CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, ts TEXT, order_ref TEXT, customer TEXT, product TEXT,
    quantity INTEGER, delivery TEXT, postal_code TEXT, address TEXT, delivery_date TEXT, note TEXT, status TEXT,
    attempt INTEGER, receipt_no TEXT, total INTEGER, layout_seed INTEGER);
CREATE TABLE IF NOT EXISTS challenge_runs (id INTEGER PRIMARY KEY, started REAL, finished REAL, seed INTEGER,
    layout_seed INTEGER);
CREATE TABLE IF NOT EXISTS challenge_entries (run_id INTEGER, round INTEGER, ts REAL, values_json TEXT,
    PRIMARY KEY (run_id, round));
"""


@dataclass
class AppConfig:
    db_path: Path
    seed: int = company.LEARNER_SEED        # which data set: the order list, the challenge sheet, the history
    layout_seed: int = 1                     # which page layout (field order, ids, classes, labels)
    order_count: int = company.LEARNER_ORDER_COUNT
    lang: str | None = None                  # default page language (else the browser's Accept-Language)
    user: str = "clerk"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(9))
    stock_check_ms: tuple[int, int] = (50, 150)   # the preview's "checking stock" delay before Submit is enabled
    with_history: bool = False               # start with the orders of company.history(seed) already in the system
    secret_key: str = field(default_factory=lambda: secrets.token_hex(16))


# --- the database -----------------------------------------------------------------------------------------------

class PracticeDB:
    """The app's SQLite database; the grader reads it with the same class."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=15)
        con.row_factory = sqlite3.Row
        return con

    def init(self) -> None:
        with self.connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(SCHEMA)

    def execute(self, sql: str, params=()) -> int:
        with self._lock, self.connect() as con:
            cur = con.execute(sql, params)
            return cur.lastrowid

    def rows(self, sql: str, params=()) -> list[dict]:
        with self.connect() as con:
            return [dict(r) for r in con.execute(sql, params)]

    # what graders look at
    def orders(self, status: str | None = None) -> list[dict]:
        if status:
            return self.rows("SELECT * FROM orders WHERE status = ? ORDER BY id", (status,))
        return self.rows("SELECT * FROM orders ORDER BY id")

    def requests(self) -> list[dict]:
        return self.rows("SELECT * FROM requests ORDER BY id")

    def challenge_runs(self) -> list[dict]:
        runs = self.rows("SELECT * FROM challenge_runs ORDER BY id")
        for run in runs:
            run["entries"] = {r["round"]: json.loads(r["values_json"]) for r in
                              self.rows("SELECT * FROM challenge_entries WHERE run_id = ? ORDER BY round", (run["id"],))}
        return runs


def now_iso() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


# --- layouts ----------------------------------------------------------------------------------------------------

def _token(rng, prefix: str) -> str:
    return prefix + "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(6))


def order_layout(layout_seed: int) -> dict:
    """Field order, ids, classes, label placement and option order of the order form for one layout seed."""
    import random

    rng = random.Random(company.stable_hash("order-layout", layout_seed))
    fields = ORDER_FIELDS[:-1]
    if layout_seed != 1:          # layout 1 is the plain one the learner sees first; every other seed shuffles
        rng.shuffle(fields)
    fields.append("note")
    products = [p.code for p in company.PRODUCTS]
    deliveries = list(company.DELIVERY)
    if layout_seed != 1:
        rng.shuffle(products)
        rng.shuffle(deliveries)
    return {
        "fields": fields,
        "ids": {f: (f"f-{f}" if layout_seed == 1 else _token(rng, "f")) for f in ORDER_FIELDS},
        "row_class": "row" if layout_seed == 1 else _token(rng, "r"),
        "style": "top" if layout_seed == 1 else rng.choice(["top", "left", "left", "top"]),
        "products": products,
        "deliveries": deliveries,
        "button_first": layout_seed == 1 or rng.random() < 0.5,
        "form_id": "order-form" if layout_seed == 1 else _token(rng, "form"),
    }


def challenge_layout(layout_seed: int, run_id: int, round_no: int) -> dict:
    import random

    rng = random.Random(company.stable_hash("challenge-layout", layout_seed, run_id, round_no))
    fields = list(company.CHALLENGE_FIELDS)
    rng.shuffle(fields)
    return {"fields": fields, "ids": {f: _token(rng, "c") for f in fields},
            "labels": {f: rng.randrange(3) for f in fields},         # which wording of the label
            "wrap": {f: rng.random() < 0.5 for f in fields},         # <label>text <input></label> or <label for=...>
            "columns": rng.choice([1, 2, 2, 3]), "submit_first": rng.random() < 0.3,
            "form_class": _token(rng, "k")}


# --- validation -----------------------------------------------------------------------------------------------

def normalize(text) -> str:
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def validate_order(form, t: dict) -> tuple[dict, list[tuple[str, str]]]:
    """Cleaned values and a list of (field, message) problems."""
    values = {f: normalize(form.get(f, "")) for f in ORDER_FIELDS}
    values["customer"] = str(form.get("customer", "") or "").strip()
    values["address"] = str(form.get("address", "") or "").strip()
    problems = []

    def bad(field_name, key):
        problems.append((field_name, t[key].format(field=t[field_name])))

    for f in ORDER_FIELDS[:-1]:
        if not values[f]:
            bad(f, "err_required")
    if values["product"] and values["product"] not in company.PRODUCT_BY_CODE:
        bad("product", "err_product")
    if values["quantity"]:
        if not re.fullmatch(r"\d{1,3}", values["quantity"]) or not 1 <= int(values["quantity"]) <= 999:
            bad("quantity", "err_quantity")
    if values["delivery"] and values["delivery"] not in company.DELIVERY:
        bad("delivery", "err_delivery")
    if values["postal_code"] and not re.fullmatch(r"\d{3}-\d{4}", values["postal_code"]):
        bad("postal_code", "err_postal")
    if values["delivery_date"]:
        try:
            day = dt.date.fromisoformat(values["delivery_date"])
            if not 2020 <= day.year <= 2035 or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", values["delivery_date"]):
                raise ValueError
        except ValueError:
            bad("delivery_date", "err_date")
    for f, limit in (("order_ref", 40), ("customer", 100), ("address", 200), ("note", 500)):
        if len(values[f]) > limit:
            bad(f, "err_long")
    return values, problems


# --- pages ------------------------------------------------------------------------------------------------------

CSS = """
*{box-sizing:border-box} body{margin:0;font-family:'DejaVu Sans','Noto Sans CJK JP',sans-serif;background:#f4f7f4;
color:#1f2a1f;font-size:16px} header{background:#2e7d32;color:#fff;padding:10px 24px;display:flex;
align-items:center;gap:24px;flex-wrap:wrap} header .brand{font-weight:700;font-size:20px} header a{color:#fff}
header nav{display:flex;gap:16px;flex:1;white-space:nowrap;flex-wrap:wrap} .langs{display:flex;gap:10px;font-size:14px} .langs a.current{
font-weight:700;text-decoration:none;border-bottom:2px solid #fff} main{max-width:920px;margin:24px auto;
background:#fff;padding:24px 32px;border-radius:8px;box-shadow:0 1px 4px #0002} h1{font-size:24px;margin-top:0}
label{font-weight:600} input,select,textarea{font:inherit;padding:6px 8px;border:1px solid #8a9a8a;border-radius:4px;
width:100%} input[type=radio]{width:auto} .top{margin:12px 0} .top label{display:block;margin-bottom:4px}
.left{display:grid;grid-template-columns:220px 1fr;gap:8px;align-items:center;margin:10px 0}
fieldset{border:1px solid #c5d3c5;border-radius:4px;margin:12px 0} fieldset label{font-weight:400;margin-right:18px}
button,.button{font:inherit;background:#2e7d32;color:#fff;border:0;border-radius:4px;padding:8px 18px;
cursor:pointer;text-decoration:none;display:inline-block} button[disabled]{background:#9aa89a;cursor:wait}
button.secondary{background:#607060} .buttons{display:flex;gap:12px;margin-top:18px}
.errors{background:#fdecea;border:1px solid #d93025;padding:10px 16px;border-radius:4px;color:#8c1d18}
.alert{background:#fff4e5;border:1px solid #e37400;padding:14px 18px;border-radius:4px}
.invalid{border-color:#d93025;background:#fff6f5} table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #d6e0d6;padding:6px 8px;text-align:left;vertical-align:top} td.n,th.n{text-align:right}
.receipt{border:2px solid #2e7d32;padding:18px 24px;border-radius:6px} .receipt .no{font-size:22px;font-weight:700}
.menu a{display:block;padding:12px 16px;margin:8px 0;border:1px solid #c5d3c5;border-radius:6px;text-decoration:none;
color:#1f2a1f} .menu a:hover{background:#eef5ee} .menu small{display:block;color:#506050}
.grid1{display:grid;grid-template-columns:1fr;gap:12px} .grid2{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.grid3{display:grid;grid-template-columns:1fr 1fr 1fr;gap:12px} .muted{color:#506050;font-size:14px}
html[lang=ja] body{font-family:'Noto Sans CJK JP','DejaVu Sans',sans-serif} .log td{font-size:13px;white-space:nowrap} .log td:last-child{white-space:normal;word-break:break-all} .score{font-size:22px;font-weight:700} code{background:#eef2ee;padding:1px 4px;border-radius:3px}
"""

BASE = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8"><title>{{ title }} – {{ t.company }}</title>
<style>{{ css }}</style></head><body>
<header><span class="brand">{{ t.company }} · {{ t.system }}</span>
<nav>{% if user %}<a href="/menu">{{ t.menu }}</a><a href="/orders/new">{{ t.new_order }}</a>
<a href="/orders">{{ t.history }}</a><a href="/challenge">{{ t.challenge }}</a><a href="/log">{{ t.log }}</a>{% endif %}</nav>
<span class="langs">{% for code, name in langs %}<a href="?lang={{ code }}" class="{{ 'current' if code == lang }}"
 hreflang="{{ code }}">{{ name }}</a>{% endfor %}</span>
{% if user %}<a href="/logout">{{ t.logout }}</a>{% endif %}</header>
<main>{{ body }}</main></body></html>"""

LANG_LINKS = [("ja", "日本語"), ("en", "English"), ("uk", "Українська")]


def create_app(config: AppConfig):
    from flask import Flask, Response, abort, g, make_response, redirect, render_template_string, request, session

    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)   # learners read their robot's output, not a request log
    app = Flask("midori_practice_app")
    from graders.services.proxy import PrefixedLinks

    app.wsgi_app = PrefixedLinks(app.wsgi_app)   # its links work behind JupyterLab's proxy too (/…/proxy/PORT/)
    app.secret_key = config.secret_key
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    db = PracticeDB(config.db_path)
    db.init()
    app.extensions["practice_db"] = db
    app.extensions["practice_config"] = config
    refs = [o.order_ref for o in company.orders(config.seed, config.order_count)]
    fail_plan = company.failure_plan(config.seed, refs)
    people = company.challenge_people(config.seed)
    layout = order_layout(config.layout_seed)
    if config.with_history and not db.rows("SELECT id FROM orders LIMIT 1"):
        for h in company.history(config.seed):
            totals = company.order_total(h["product_code"], h["quantity"], h["delivery_code"])
            db.execute("INSERT INTO orders (ts, order_ref, customer, product, quantity, delivery, postal_code, address,"
                       " delivery_date, note, status, attempt, receipt_no, total, layout_seed) VALUES "
                       "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                       (h["order_date"] + "T09:30:00", h["order_ref"], h["customer"], h["product_code"], h["quantity"],
                        h["delivery_code"], h["postal_code"], h["address"], h["delivery_date"], "", "accepted", 1,
                        "R-" + secrets.token_hex(3).upper(), totals["total"], config.layout_seed))

    def lang() -> str:
        return g.lang

    def tr() -> dict:
        return TEXT[g.lang]

    def page(title: str, body: str, status: int = 200):
        html = render_template_string(BASE, lang=g.lang, t=tr(), title=title, css=CSS, langs=LANG_LINKS,
                                      user=session.get("user"), body=Markup(body))
        return make_response(html, status)

    def render(template: str, **kw) -> str:
        return render_template_string(template, t=tr(), lang=g.lang, **kw)

    @app.before_request
    def choose_language():
        asked = request.args.get("lang")
        if asked in LANGS:
            g.lang, g.set_lang = asked, True
        elif request.cookies.get("lang") in LANGS:
            g.lang = request.cookies["lang"]
        elif config.lang in LANGS:
            g.lang = config.lang
        else:
            g.lang = request.accept_languages.best_match(LANGS) or "en"
        open_paths = ("/login", "/health", "/favicon.ico")
        if request.path not in open_paths and not session.get("user"):
            return redirect("/login?next=" + request.path, 303)
        return None

    @app.after_request
    def log_request(resp):
        if g.get("set_lang"):       # ?lang=xx: remembered for the next pages
            resp.set_cookie("lang", g.lang, samesite="Lax")
        if request.path not in ("/health", "/favicon.ico"):
            try:
                form = {k: ("***" if k == "password" else v[:500]) for k, v in request.form.items()}
            except Exception:   # a body too large or not a form: log that it came, not what it held
                form = {}
            db.execute("INSERT INTO requests (ts, method, path, form, status, user) VALUES (?,?,?,?,?,?)",
                       (now_iso(), request.method, request.full_path.rstrip("?"),
                        json.dumps(form, ensure_ascii=False), resp.status_code, session.get("user")))
        return resp

    @app.errorhandler(404)
    def not_found(_):
        t = tr() if g.get("lang") else TEXT["en"]
        return page(t["not_found"], f'<h1>{escape(t["not_found"])}</h1><p><a href="/menu">{escape(t["back_to_menu"])}</a></p>', 404)

    @app.errorhandler(413)
    def too_large(_):
        return page(tr()["bad_request"], f'<h1>{escape(tr()["bad_request"])}</h1>', 413)

    @app.get("/health")
    def health():
        return Response("ok", mimetype="text/plain")

    @app.get("/")
    def home():
        return redirect("/menu", 303)

    LOGIN = """<h1>{{ t.login_title }}</h1>{% if error %}<p class="errors" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/login"><input type="hidden" name="next" value="{{ next }}">
<div class="top"><label for="username">{{ t.username }}</label><input id="username" name="username" autocomplete="username" value="{{ username }}"></div>
<div class="top"><label for="password">{{ t.password }}</label><input id="password" name="password" type="password" autocomplete="current-password"></div>
<div class="buttons"><button type="submit" name="action" value="login">{{ t.login }}</button></div></form>"""

    @app.route("/login", methods=["GET", "POST"])
    def login():
        t = tr()
        next_path = request.values.get("next") or "/menu"
        if not next_path.startswith("/") or next_path.startswith("//"):
            next_path = "/menu"
        if request.method == "GET":
            return page(t["login_title"], render(LOGIN, error=None, next=next_path, username=""))
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not username or not password:
            return page(t["login_title"], render(LOGIN, error=t["login_missing"], next=next_path, username=username), 400)
        ok = secrets.compare_digest(username, config.user) and secrets.compare_digest(password, config.password)
        db.execute("INSERT INTO logins (ts, username, ok) VALUES (?,?,?)", (now_iso(), username, int(ok)))
        if not ok:
            return page(t["login_title"], render(LOGIN, error=t["login_failed"], next=next_path, username=username), 401)
        session["user"] = username
        return redirect(next_path, 303)

    @app.get("/logout")
    def logout():
        session.clear()
        return redirect("/login", 303)

    MENU = """<h1>{{ t.welcome.format(user=user) }}</h1><div class="menu">
<a href="/orders/new">{{ t.new_order }}<small>{{ t.new_order_help }}</small></a>
<a href="/orders">{{ t.history }}<small>{{ t.history_help }}</small></a>
<a href="/challenge">{{ t.challenge }}<small>{{ t.challenge_help }}</small></a>
<a href="/log">{{ t.log }}<small>{{ t.log_help }}</small></a></div>"""

    @app.get("/menu")
    def menu():
        return page(tr()["menu"], render(MENU, user=session["user"]))

    # --- the order form ---------------------------------------------------------------------------------------
    def order_form_html(values: dict | None = None, problems: list | None = None, layout: dict = layout) -> str:
        t = tr()
        values = values or {}
        bad_fields = {f for f, _ in (problems or [])}
        ids = layout["ids"]
        style = layout["style"]
        parts = []
        for f in layout["fields"]:
            cls = ' class="invalid"' if f in bad_fields else ""
            value = escape(values.get(f, ""))
            fid = ids[f]
            if f == "product":
                opts = [f'<option value="">{escape(t["choose"])}</option>'] + [
                    f'<option value="{c}"{" selected" if values.get("product") == c else ""}>'
                    f'{c} {escape(company.PRODUCT_BY_CODE[c].name(g.lang))} ({company.yen(company.PRODUCT_BY_CODE[c].price)})</option>'
                    for c in layout["products"]]
                control = f'<select id="{fid}" name="product"{cls}>{"".join(opts)}</select>'
            elif f == "delivery":
                radios = []
                for code in layout["deliveries"]:
                    rid = f"{fid}-{code[:2]}"
                    checked = " checked" if values.get("delivery") == code else ""
                    name = company.DELIVERY[code][{"ja": 0, "en": 1, "uk": 2}[g.lang]]
                    fee = company.yen(company.DELIVERY[code][3])
                    radios.append(f'<label for="{rid}"><input type="radio" id="{rid}" name="delivery" value="{code}"{checked}> '
                                  f'{escape(name)} ({fee})</label>')
                invalid = " invalid" if f in bad_fields else ""
                parts.append(f'<fieldset class="{layout["row_class"]}{invalid}"><legend>{escape(t["delivery"])}</legend>'
                             f'{"".join(radios)}</fieldset>')
                continue
            elif f == "note":
                control = f'<textarea id="{fid}" name="note" rows="2"{cls}>{value}</textarea>'
            else:
                kind = {"quantity": 'type="number" min="1" max="999"', "delivery_date": 'type="date"'}.get(f, 'type="text"')
                control = f'<input {kind} id="{fid}" name="{f}" value="{value}"{cls}>'
            parts.append(f'<div class="{style} {layout["row_class"]}"><label for="{fid}">{escape(t[f])}</label>{control}</div>')
        preview = f'<button type="submit" name="action" value="preview">{escape(t["preview"])}</button>'
        reset = '<button type="reset" class="secondary">↺</button>'
        buttons = preview + reset if layout["button_first"] else reset + preview
        errors = ""
        if problems:
            items = "".join(f"<li>{escape(m)}</li>" for _, m in problems)
            errors = f'<div class="errors" role="alert"><strong>{escape(t["errors_title"])}</strong><ul>{items}</ul></div>'
        return (f'<h1>{escape(t["new_order"])}</h1>{errors}<form id="{layout["form_id"]}" method="post" '
                f'action="/orders/preview" novalidate>{"".join(parts)}<div class="buttons">{buttons}</div></form>')

    @app.get("/orders/new")
    def new_order():
        values = {f: request.args.get(f, "") for f in ORDER_FIELDS}
        # ?layout=N shows the form as another layout would (to practise selectors that survive a change)
        asked = request.args.get("layout", "")
        shown = order_layout(int(asked)) if asked.isdigit() and 0 < int(asked) < 10**6 else layout
        return page(tr()["new_order"], order_form_html(values, layout=shown))

    PREVIEW = """<h1>{{ t.preview_title }}</h1>
<table class="summary" data-order-ref="{{ v.order_ref }}">
<tr><th>{{ t.order_ref }}</th><td>{{ v.order_ref }}</td></tr><tr><th>{{ t.customer }}</th><td>{{ v.customer }}</td></tr>
<tr><th>{{ t.product }}</th><td>{{ v.product }} {{ product_name }}</td></tr>
<tr><th>{{ t.quantity }}</th><td>{{ v.quantity }} × {{ unit }}</td></tr>
<tr><th>{{ t.delivery }}</th><td>{{ delivery_name }}</td></tr>
<tr><th>{{ t.postal_code }}</th><td>〒{{ v.postal_code }}</td></tr><tr><th>{{ t.address }}</th><td>{{ v.address }}</td></tr>
<tr><th>{{ t.delivery_date }}</th><td>{{ v.delivery_date }}</td></tr>{% if v.note %}<tr><th>{{ t.note }}</th><td>{{ v.note }}</td></tr>{% endif %}
<tr><th>{{ t.subtotal }}</th><td class="n">{{ totals.subtotal }}</td></tr><tr><th>{{ t.fee }}</th><td class="n">{{ totals.fee }}</td></tr>
<tr><th>{{ t.tax }}</th><td class="n">{{ totals.tax }}</td></tr><tr><th>{{ t.total }}</th><td class="n"><strong>{{ totals.total }}</strong></td></tr>
</table>
<p class="muted" id="stock" role="status">{{ t.checking_stock }}</p>
<form method="post" action="/orders/submit">{% for k, val in v.items() %}<input type="hidden" name="{{ k }}" value="{{ val }}">{% endfor %}
<div class="buttons"><button type="submit" name="action" value="submit" id="{{ submit_id }}" disabled>{{ t.submit }}</button>
<button type="submit" name="action" value="edit" formaction="/orders/edit" formmethod="post" class="secondary">{{ t.edit }}</button></div></form>
<script>setTimeout(function(){document.getElementById("{{ submit_id }}").disabled=false;
document.getElementById("stock").textContent={{ stock_ok|tojson }};}, {{ delay }});</script>"""

    def preview_html(values: dict) -> str:
        import random

        t = tr()
        product = company.PRODUCT_BY_CODE[values["product"]]
        totals = {k: company.yen(v) for k, v in
                  company.order_total(values["product"], int(values["quantity"]), values["delivery"]).items()}
        lo, hi = config.stock_check_ms
        delay = random.randint(lo, hi) if hi > 0 else 0
        name = company.DELIVERY[values["delivery"]][{"ja": 0, "en": 1, "uk": 2}[g.lang]]
        return render(PREVIEW, v=values, product_name=product.name(g.lang), unit=company.yen(product.price),
                      delivery_name=name, totals=totals, delay=delay, stock_ok=t["stock_ok"],
                      submit_id=_token(random.Random(), "s"))

    def problems_page(problems, values, status=400):
        return page(tr()["errors_title"], order_form_html(values, problems), status)

    @app.post("/orders/preview")
    def preview_order():
        values, problems = validate_order(request.form, tr())
        if problems:
            return problems_page(problems, values)
        return page(tr()["preview_title"], preview_html(values))

    @app.post("/orders/edit")
    def edit_order():
        values = {f: request.form.get(f, "") for f in ORDER_FIELDS}
        return page(tr()["new_order"], order_form_html(values))

    @app.post("/orders/submit")
    def submit_order():
        t = tr()
        values, problems = validate_order(request.form, t)
        if problems:
            items = "".join(f"<li>{escape(m)}</li>" for _, m in problems)
            return page(t["bad_request"], f'<h1>{escape(t["bad_request"])}</h1><div class="errors" role="alert"><ul>{items}</ul></div>'
                                          f'<p><a href="/orders/new">{escape(t["back_to_form"])}</a></p>', 400)
        ref = values["order_ref"]
        closed = company.CLOSED_BY_NAME.get(unicodedata.normalize("NFKC", values["customer"]).strip())
        if closed is not None:      # a former customer: refused on every try, unlike "busy"
            totals = company.order_total(values["product"], int(values["quantity"]), values["delivery"])
            with db._lock:
                with db.connect() as con:
                    attempt = con.execute("SELECT COUNT(*) FROM orders WHERE order_ref = ?", (ref,)).fetchone()[0] + 1
                    con.execute("INSERT INTO orders (ts, order_ref, customer, product, quantity, delivery, postal_code, "
                                "address, delivery_date, note, status, attempt, receipt_no, total, layout_seed) VALUES "
                                "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                                (now_iso(), ref, values["customer"], values["product"], int(values["quantity"]),
                                 values["delivery"], values["postal_code"], values["address"], values["delivery_date"],
                                 values["note"], "refused", attempt, None, totals["total"], config.layout_seed))
            text = t["closed_text"].format(customer=closed.name, date=closed.closed_on)
            return page(t["closed_title"], f'<h1>{escape(t["closed_title"])}</h1><div class="alert" role="alert" '
                                           f'data-error="account_closed"><p>{escape(text)}</p></div>'
                                           f'<p><a class="button" href="/orders/new">{escape(t["back_to_form"])}</a></p>', 422)
        with db._lock:
            with db.connect() as con:
                attempt = con.execute("SELECT COUNT(*) FROM orders WHERE order_ref = ?", (ref,)).fetchone()[0] + 1
                busy = attempt <= fail_plan.get(ref, 0)
                totals = company.order_total(values["product"], int(values["quantity"]), values["delivery"])
                receipt_no = None if busy else "R-" + secrets.token_hex(4).upper()
                con.execute("INSERT INTO orders (ts, order_ref, customer, product, quantity, delivery, postal_code, "
                            "address, delivery_date, note, status, attempt, receipt_no, total, layout_seed) VALUES "
                            "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                            (now_iso(), ref, values["customer"], values["product"], int(values["quantity"]),
                             values["delivery"], values["postal_code"], values["address"], values["delivery_date"],
                             values["note"], "busy" if busy else "accepted", attempt, receipt_no, totals["total"],
                             config.layout_seed))
        if busy:
            return page(t["busy_title"], f'<h1>{escape(t["busy_title"])}</h1><div class="alert" role="alert" '
                                         f'data-error="busy"><p>{escape(t["busy_text"])}</p></div>'
                                         f'<p><a class="button" href="/orders/new">{escape(t["back_to_form"])}</a></p>', 503)
        return redirect(f"/receipts/{receipt_no}", 303)

    RECEIPT = """<article class="receipt" data-receipt-number="{{ o.receipt_no }}" data-order-ref="{{ o.order_ref }}">
<h1>{{ t.receipt_title }}</h1><p>{{ t.receipt_thanks }}</p>
<p>{{ t.receipt_no }}: <span class="no">{{ o.receipt_no }}</span></p>
<table><tr><th>{{ t.order_ref }}</th><td>{{ o.order_ref }}</td></tr><tr><th>{{ t.received_at }}</th><td>{{ o.ts.replace("T", " ") }}</td></tr>
<tr><th>{{ t.customer }}</th><td>{{ o.customer }} 様</td></tr><tr><th>{{ t.product }}</th><td>{{ o.product }} {{ product_name }}</td></tr>
<tr><th>{{ t.quantity }}</th><td>{{ o.quantity }}</td></tr><tr><th>{{ t.delivery }}</th><td>{{ delivery_name }}</td></tr>
<tr><th>{{ t.address }}</th><td>〒{{ o.postal_code }} {{ o.address }}</td></tr><tr><th>{{ t.delivery_date }}</th><td>{{ o.delivery_date }}</td></tr>
<tr><th>{{ t.total }}</th><td><strong>{{ total }}</strong></td></tr></table>
<p class="muted">{{ company_ja }} 〒101-0062 東京都千代田区神田駿河台1-1 TEL 03-1234-5678</p></article>
<p><a class="button" href="/orders/new">{{ t.another }}</a></p>"""

    @app.get("/receipts/<receipt_no>")
    def receipt(receipt_no):
        rows = db.rows("SELECT * FROM orders WHERE receipt_no = ?", (receipt_no,))
        if not rows:
            abort(404)
        o = rows[0]
        product = company.PRODUCT_BY_CODE[o["product"]]
        name = company.DELIVERY[o["delivery"]][{"ja": 0, "en": 1, "uk": 2}[g.lang]]
        return page(tr()["receipt_title"], render(RECEIPT, o=o, product_name=product.name(g.lang), delivery_name=name,
                                                  total=company.yen(o["total"]), company_ja=company.COMPANY["ja"]))

    HISTORY = """<h1>{{ t.history }}</h1>
<form method="get" action="/orders" class="buttons"><input name="ref" value="{{ ref }}" aria-label="{{ t.search_ref }}" placeholder="{{ t.search_ref }}">
<button type="submit">{{ t.search }}</button></form>
<p><a class="button" href="/orders/export.xlsx" download>{{ t.download_excel }}</a></p>
{% if rows %}<table class="history"><tr><th>{{ t.order_ref }}</th><th>{{ t.receipt_no }}</th><th>{{ t.received_at }}</th>
<th>{{ t.customer }}</th><th>{{ t.product }}</th><th class="n">{{ t.quantity }}</th><th class="n">{{ t.total }}</th></tr>
{% for o in rows %}<tr data-order-ref="{{ o.order_ref }}"><td>{{ o.order_ref }}</td><td><a href="/receipts/{{ o.receipt_no }}">{{ o.receipt_no }}</a></td>
<td>{{ o.ts.replace("T", " ") }}</td><td>{{ o.customer }}</td><td>{{ o.product }}</td><td class="n">{{ o.quantity }}</td><td class="n">{{ yen(o.total) }}</td></tr>{% endfor %}
</table>{% else %}<p class="muted">{{ t.history_empty }}</p>{% endif %}"""

    @app.get("/orders")
    def order_history():
        ref = normalize(request.args.get("ref", ""))
        if ref:
            rows = db.rows("SELECT * FROM orders WHERE status = 'accepted' AND order_ref = ? ORDER BY id", (ref,))
        else:
            rows = db.rows("SELECT * FROM orders WHERE status = 'accepted' ORDER BY id")
        return page(tr()["history"], render(HISTORY, rows=rows, ref=ref, yen=company.yen))

    @app.get("/orders/export.xlsx")
    def export_orders():
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = "orders"
        columns = ["order_ref", "receipt_no", "received_at", "customer", "product_code", "quantity", "delivery",
                   "delivery_date", "total"]
        ws.append(columns)
        for o in db.rows("SELECT * FROM orders WHERE status = 'accepted' ORDER BY id"):
            ws.append([o["order_ref"], o["receipt_no"], o["ts"], o["customer"], o["product"], o["quantity"],
                       o["delivery"], o["delivery_date"], o["total"]])
        buf = io.BytesIO()
        wb.save(buf)
        return Response(buf.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": "attachment; filename=orders_export.xlsx"})

    LOG = """<h1>{{ t.log }}</h1><p class="muted">{{ t.log_help }}</p><table><tr><th>{{ t.time }}</th><th>{{ t.method }}</th>
<th>{{ t.page }}</th><th>{{ t.status }}</th><th>{{ t.details }}</th></tr>{% for r in rows %}<tr class="log"><td title="{{ r.ts }}">{{ r.ts[11:] }}</td>
<td>{{ r.method }}</td><td>{{ r.path }}</td><td>{{ r.status }}</td><td><code>{{ r.form if r.form != '{}' else '' }}</code></td></tr>{% endfor %}</table>"""

    @app.get("/log")
    def request_log():
        rows = db.rows("SELECT * FROM requests ORDER BY id DESC LIMIT 200")
        return page(tr()["log"], render(LOG, rows=rows))

    # --- the data-entry challenge -----------------------------------------------------------------------------
    CHALLENGE = """<h1>{{ t.challenge }}</h1><p>{{ t.challenge_intro }}</p>
<p><a href="/challenge/challenge.xlsx" download>{{ t.download_sheet }}</a></p>
<form method="post" action="/challenge/start"><button type="submit" name="action" value="start">{{ t.start }}</button></form>"""

    @app.get("/challenge")
    def challenge():
        return page(tr()["challenge"], render(CHALLENGE))

    @app.get("/challenge/challenge.xlsx")
    def challenge_sheet():
        from .datafiles import challenge_workbook

        return Response(challenge_workbook(people), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": "attachment; filename=challenge.xlsx"})

    @app.post("/challenge/start")
    def challenge_start():
        run_id = db.execute("INSERT INTO challenge_runs (started, seed, layout_seed) VALUES (?,?,?)",
                            (time.time(), config.seed, config.layout_seed))
        return redirect(f"/challenge/{run_id}/1", 303)

    def challenge_run(run_id: int) -> dict:
        rows = db.rows("SELECT * FROM challenge_runs WHERE id = ?", (run_id,))
        if not rows:
            abort(404)
        return rows[0]

    @app.get("/challenge/<int:run_id>/<int:round_no>")
    def challenge_round(run_id, round_no):
        run = challenge_run(run_id)
        if run["finished"]:
            return redirect(f"/challenge/{run_id}/result", 303)
        if not 1 <= round_no <= company.CHALLENGE_ROUNDS:
            abort(404)
        t = tr()
        lay = challenge_layout(config.layout_seed, run_id, round_no)
        cells = []
        for f in lay["fields"]:
            key = {"company": "ch_company", "address": "ch_address"}.get(f, f)
            words = t[key].split("|")
            label = escape(words[lay["labels"][f] % len(words)])
            fid = lay["ids"][f]
            if lay["wrap"][f]:
                cells.append(f'<div><label>{label}<input type="text" name="{f}" autocomplete="off"></label></div>')
            else:
                cells.append(f'<div><label for="{fid}">{label}</label><input type="text" id="{fid}" name="{f}" autocomplete="off"></div>')
        submit = f'<button type="submit" name="action" value="submit">{escape(t["send"])}</button>'
        inner = "".join(cells)
        body = (f'<h1>{escape(t["challenge"])}</h1><p class="muted" data-round="{round_no}">'
                f'{escape(t["round"].format(n=round_no, total=company.CHALLENGE_ROUNDS))}</p>'
                f'<form method="post" class="{lay["form_class"]}" action="/challenge/{run_id}/{round_no}">'
                + (f'<div class="buttons">{submit}</div>' if lay["submit_first"] else "")
                + f'<div class="grid{lay["columns"]}">{inner}</div>'
                + ("" if lay["submit_first"] else f'<div class="buttons">{submit}</div>') + "</form>")
        return page(t["challenge"], body)

    @app.post("/challenge/<int:run_id>/<int:round_no>")
    def challenge_answer(run_id, round_no):
        run = challenge_run(run_id)
        if run["finished"] or not 1 <= round_no <= company.CHALLENGE_ROUNDS:
            return page(tr()["challenge"], f'<p class="alert">{escape(tr()["challenge_done"])}</p>', 409)
        values = {f: str(request.form.get(f, ""))[:300] for f in company.CHALLENGE_FIELDS}
        db.execute("INSERT OR REPLACE INTO challenge_entries (run_id, round, ts, values_json) VALUES (?,?,?,?)",
                   (run_id, round_no, time.time(), json.dumps(values, ensure_ascii=False)))
        if round_no < company.CHALLENGE_ROUNDS:
            return redirect(f"/challenge/{run_id}/{round_no + 1}", 303)
        db.execute("UPDATE challenge_runs SET finished = ? WHERE id = ?", (time.time(), run_id))
        return redirect(f"/challenge/{run_id}/result", 303)

    RESULT = """<h1>{{ t.result_title }}</h1><p class="score" data-correct="{{ correct }}" data-total="{{ total }}">{{ t.result_score.format(percent=percent, correct=correct, total=total) }}</p>
<p>{{ t.result_time.format(seconds=seconds) }}</p><form method="post" action="/challenge/start"><button type="submit" name="action" value="start">{{ t.try_again }}</button></form>"""

    @app.get("/challenge/<int:run_id>/result")
    def challenge_result(run_id):
        run = challenge_run(run_id)
        entries = {r["round"]: json.loads(r["values_json"]) for r in
                   db.rows("SELECT * FROM challenge_entries WHERE run_id = ?", (run_id,))}
        correct, total = challenge_score(people, entries)
        seconds = f"{(run['finished'] or time.time()) - run['started']:.1f}"
        return page(tr()["result_title"], render(RESULT, correct=correct, total=total, seconds=seconds,
                                                 percent=round(100 * correct / total)))

    return app


def challenge_score(people: list[dict], entries: dict[int, dict]) -> tuple[int, int]:
    correct = 0
    for i, person in enumerate(people, start=1):
        got = entries.get(i, {})
        correct += sum(1 for f in company.CHALLENGE_FIELDS if normalize(got.get(f, "")) == normalize(person[f]))
    return correct, len(people) * len(company.CHALLENGE_FIELDS)
