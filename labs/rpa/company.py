"""Midori Stationery (株式会社みどり文具), the small Japanese company of the RPA lab: its catalogue, customers and the
data its clerks work with, generated from a seed.

Everything a robot works on comes from here, so the practice app, the files a learner gets and the grader's hidden
data set always agree: ``orders(seed)`` is the order list of notebooks 4-5, ``raw_orders(seed)`` the messy sheet of
notebook 3, ``invoices(seed)`` the inbox of notebook 2, ``challenge_people(seed)`` the RPA-Challenge sheet and
``history(seed)`` the order history the report robot of notebook 6 summarises. The learner's files use
:data:`LEARNER_SEED`; a learner's own check uses :data:`CHECK_SEED` (public, so a robot that copies its data fails
early); grading uses a seed from ``hidden/*.json`` that the learner never sees.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import random
import unicodedata
from dataclasses import asdict, dataclass

LEARNER_SEED = 2406
CHECK_SEED = 7311
LEARNER_ORDER_COUNT = 4     # orders in the learner's orders.xlsx
CHECK_ORDER_COUNT = 3       # orders when a check or the grader re-runs a robot
TAX_RATE = 0.10

COMPANY = {"ja": "株式会社みどり文具", "en": "Midori Stationery Co., Ltd.", "uk": "Midori Stationery (株式会社みどり文具)"}


@dataclass(frozen=True)
class Product:
    code: str
    ja: str
    en: str
    uk: str
    price: int  # yen, before tax

    def name(self, lang: str) -> str:
        return getattr(self, lang, self.ja)


PRODUCTS = [
    Product("P-101", "A4コピー用紙 500枚", "A4 copy paper, 500 sheets", "Папір A4, 500 аркушів", 550),
    Product("P-102", "ボールペン 黒 10本", "Black ballpoint pens, 10", "Кулькові ручки, чорні, 10 шт.", 880),
    Product("P-103", "クリアファイル 20枚", "Clear folders, 20", "Прозорі папки, 20 шт.", 440),
    Product("P-104", "ホチキス", "Stapler", "Степлер", 1280),
    Product("P-105", "付箋 5冊", "Sticky notes, 5 pads", "Стікери, 5 блоків", 660),
    Product("P-106", "ファイルボックス", "File box", "Короб для документів", 980),
    Product("P-107", "電卓", "Calculator", "Калькулятор", 2480),
    Product("P-108", "ホワイトボードマーカー 4色", "Whiteboard markers, 4 colours", "Маркери для дошки, 4 кольори", 720),
    Product("P-109", "封筒 長形3号 100枚", "Envelopes (Naga 3), 100", "Конверти (Naga 3), 100 шт.", 1100),
    Product("P-110", "シュレッダー", "Paper shredder", "Шредер", 12800),
]
PRODUCT_BY_CODE = {p.code: p for p in PRODUCTS}

# delivery code -> (Japanese word used in the company's sheets, English, Ukrainian, fee in yen before tax)
DELIVERY = {
    "standard": ("通常便", "Standard delivery", "Звичайна доставка", 500),
    "express": ("お急ぎ便", "Express delivery", "Термінова доставка", 1200),
    "pickup": ("店頭受取", "Pick up at the shop", "Самовивіз з магазину", 0),
}
DELIVERY_BY_JA = {v[0]: k for k, v in DELIVERY.items()}


@dataclass(frozen=True)
class Customer:
    code: str
    name: str
    postal_code: str
    address: str


CUSTOMERS = [
    Customer("C-001", "株式会社さくら商事", "100-0005", "東京都千代田区丸の内1-2-3"),
    Customer("C-002", "有限会社みなと設計", "231-0021", "神奈川県横浜市中区日本大通4-5"),
    Customer("C-003", "株式会社ひかり印刷", "530-0001", "大阪府大阪市北区梅田2-6-1"),
    Customer("C-004", "合同会社あおば食品", "980-0021", "宮城県仙台市青葉区中央3-1-8"),
    Customer("C-005", "株式会社ふじ建設", "420-0853", "静岡県静岡市葵区追手町9-6"),
    Customer("C-006", "株式会社こだま旅行", "460-0008", "愛知県名古屋市中区栄3-4-5"),
    Customer("C-007", "北野歯科クリニック", "060-0001", "北海道札幌市中央区北一条西2-1"),
    Customer("C-008", "株式会社つばさ運輸", "812-0011", "福岡県福岡市博多区博多駅前1-4-1"),
    Customer("C-009", "まるやま法律事務所", "600-8216", "京都府京都市下京区烏丸通7-1"),
    Customer("C-010", "株式会社にじいろ保育", "730-0011", "広島県広島市中区基町10-3"),
    Customer("C-011", "さかえ不動産株式会社", "330-0063", "埼玉県さいたま市浦和区高砂2-8"),
    Customer("C-012", "株式会社やまびこ出版", "380-0836", "長野県長野市南県町6-5"),
    Customer("C-013", "ウクライナ語教室ソニャシュニク", "150-0002", "東京都渋谷区渋谷2-21-1"),
]
CUSTOMER_BY_CODE = {c.code: c for c in CUSTOMERS}

FAMILY_NAMES = [("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"), ("伊藤", "ito"),
                ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"), ("小林", "kobayashi"),
                ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"), ("松本", "matsumoto"), ("井上", "inoue"),
                ("木村", "kimura"), ("林", "hayashi"), ("清水", "shimizu"), ("森", "mori"),
                ("コヴァレンコ", "kovalenko"), ("シェフチェンコ", "shevchenko"), ("ボンダレンコ", "bondarenko")]
GIVEN_NAMES = [("陽翔", "haruto"), ("蓮", "ren"), ("結衣", "yui"), ("葵", "aoi"), ("美咲", "misaki"),
               ("大輝", "daiki"), ("健太", "kenta"), ("さくら", "sakura"), ("翔太", "shota"), ("陽菜", "hina"),
               ("凛", "rin"), ("湊", "minato"), ("花子", "hanako"), ("太郎", "taro"),
               ("オレナ", "olena"), ("アンドリー", "andrii"), ("イリーナ", "iryna"), ("タラス", "taras")]
ROLES = ["営業部長", "経理担当", "総務課長", "人事担当", "店長", "事務員", "購買担当", "代表取締役", "主任", "エンジニア"]


def _rng(seed: int, purpose: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{purpose}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def stable_hash(*parts) -> int:
    return int.from_bytes(hashlib.sha256(":".join(map(str, parts)).encode()).digest()[:8], "big")


def yen(amount: int) -> str:
    return f"¥{amount:,}"


def order_total(product_code: str, quantity: int, delivery: str) -> dict[str, int]:
    """Subtotal, delivery fee, 10 % consumption tax (rounded down, as most shops do) and total, in yen."""
    subtotal = PRODUCT_BY_CODE[product_code].price * int(quantity)
    fee = DELIVERY[delivery][3]
    tax = int((subtotal + fee) * TAX_RATE)
    return {"subtotal": subtotal, "fee": fee, "tax": tax, "total": subtotal + fee + tax}


# --- notebooks 4 and 5: the order list ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Order:
    order_ref: str
    order_date: str          # ISO date
    customer: str            # customer name (Japanese)
    product_code: str
    quantity: int
    delivery: str            # the Japanese word, as the sales team writes it: 通常便 / お急ぎ便 / 店頭受取
    postal_code: str
    address: str
    delivery_date: str       # ISO date

    @property
    def delivery_code(self) -> str:
        return DELIVERY_BY_JA[self.delivery]

    def as_dict(self) -> dict:
        return asdict(self)


ORDER_COLUMNS = ["order_ref", "order_date", "customer", "product_code", "quantity", "delivery", "postal_code",
                 "address", "delivery_date"]


def orders(seed: int, count: int = LEARNER_ORDER_COUNT) -> list[Order]:
    """A clean order list, as approved by the sales team: every row is valid."""
    rng = _rng(seed, "orders")
    start = dt.date(2024, 4, 1) + dt.timedelta(days=rng.randrange(0, 300))
    month_code = start.strftime("%y%m")
    numbers = rng.sample(range(1, 999), count)
    products = rng.sample(PRODUCTS, len(PRODUCTS))
    customers = rng.sample(CUSTOMERS, len(CUSTOMERS))
    out = []
    for i, number in enumerate(sorted(numbers)):
        customer = customers[i % len(customers)]
        product = products[i % len(products)]
        day = start + dt.timedelta(days=i // 3)
        delivery = rng.choice(list(DELIVERY))
        out.append(Order(
            order_ref=f"PO-{month_code}-{number:03d}", order_date=day.isoformat(), customer=customer.name,
            product_code=product.code, quantity=rng.choice([1, 2, 3, 5, 10, 12, 20, 30]) if product.price < 5000 else 1,
            delivery=DELIVERY[delivery][0], postal_code=customer.postal_code, address=customer.address,
            delivery_date=(day + dt.timedelta(days=rng.randrange(3, 15))).isoformat()))
    return out


@dataclass(frozen=True)
class ClosedAccount:
    """A former customer: its account was closed, so the order system refuses every new order for it, however often
    it is sent (unlike "the system is busy", which passes on a later try)."""
    name: str
    postal_code: str
    address: str
    closed_on: str           # ISO date


CLOSED_ACCOUNTS = [
    ClosedAccount("株式会社はやて電機", "330-0846", "埼玉県さいたま市大宮区大門町1-7", "2024-03-31"),
    ClosedAccount("有限会社ささき工務店", "020-0021", "岩手県盛岡市中央通2-9-3", "2024-06-30"),
    ClosedAccount("株式会社かもめ商会", "850-0862", "長崎県長崎市出島町5-2", "2023-12-28"),
]
CLOSED_BY_NAME = {c.name: c for c in CLOSED_ACCOUNTS}


def refused_order(seed: int, count: int = CHECK_ORDER_COUNT) -> tuple[int, Order]:
    """An order for a customer whose account is closed (the order system refuses it every time), and the position
    in the order list where it goes: never the last one, so a robot that stops at the first failure leaves later
    orders unsent. The order number follows the list's own numbering and is not one of its orders."""
    rng = _rng(seed, "refused")
    normal = orders(seed, count)
    taken = {o.order_ref for o in normal}
    base = normal[0]
    month_code = base.order_ref.split("-")[1]
    while True:
        ref = f"PO-{month_code}-{rng.randrange(1, 999):03d}"
        if ref not in taken:
            break
    account = rng.choice(CLOSED_ACCOUNTS)
    product = rng.choice([p for p in PRODUCTS if p.price < 5000])
    day = dt.date.fromisoformat(base.order_date)
    order = Order(order_ref=ref, order_date=base.order_date, customer=account.name, product_code=product.code,
                  quantity=rng.choice([2, 3, 5, 10]), delivery=DELIVERY["standard"][0], postal_code=account.postal_code,
                  address=account.address, delivery_date=(day + dt.timedelta(days=rng.randrange(3, 15))).isoformat())
    return rng.randrange(0, max(1, len(normal))), order


def robust_orders(seed: int, count: int = CHECK_ORDER_COUNT) -> list[Order]:
    """The order list of notebook 5's check: ``orders(seed, count)`` with one order for a closed account inside."""
    position, bad = refused_order(seed, count)
    normal = orders(seed, count)
    return normal[:position] + [bad] + normal[position:]


def failure_plan(seed: int, refs: list[str]) -> dict[str, int]:
    """How many times the order system fails each order on purpose before it accepts it ("the system is busy").

    Deterministic from the seed, so tests and grading are repeatable: about a third of the orders fail once, and
    (with four or more orders) one fails twice in a row. Orders not in the list never fail."""
    ranked = sorted(refs, key=lambda ref: stable_hash(seed, "fail", ref))
    plan = {ref: 0 for ref in refs}
    failing = max(2 if len(refs) >= 4 else 1, len(refs) // 3)
    for ref in ranked[:failing]:
        plan[ref] = 1
    if len(refs) >= 4:
        plan[ranked[0]] = 2
    return plan


# --- notebook 3: the messy sheet ------------------------------------------------------------------------------------

RAW_COLUMNS = ["order_ref", "order_date", "customer", "product_code", "quantity"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class RawOrders:
    rows: list[dict]                 # what the sheet holds, cell by cell (None for an empty cell)
    clean: list[dict]                # the rows that survive cleaning, cleaned (order of first appearance)
    rejected: dict[str, str]         # order_ref -> why it is rejected ("quantity" or "product")
    duplicates: list[str]            # order_refs that appear twice (the second copy must go)
    summary: list[dict]              # per product: product_code, product_name, quantity, amount
    total_amount: int


def raw_orders(seed: int, count: int = 16) -> RawOrders:
    """The sales team's sheet as it really arrives: stray spaces, full-width digits, three date styles, a lower-case
    code, empty rows, a duplicate, impossible quantities and an unknown product. ``clean`` and ``summary`` are what a
    correct cleaning robot makes of it."""
    rng = _rng(seed, "raw")
    start = dt.date(2024, 5, 7) + dt.timedelta(days=rng.randrange(0, 200))
    numbers = sorted(rng.sample(range(100, 999), count))
    products = rng.sample(PRODUCTS[:9], 6)
    rows, clean, rejected, duplicates = [], [], {}, []
    bad = {numbers[3]: "quantity_zero", numbers[7]: "product", numbers[11]: "quantity_text"}
    for i, number in enumerate(numbers):
        ref = f"SO-{start:%y}{number:04d}"
        day = start + dt.timedelta(days=i // 4)
        customer = CUSTOMERS[rng.randrange(len(CUSTOMERS))].name
        product = products[rng.randrange(len(products))]
        quantity = rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 24])
        style = i % 4
        date_cell = (dt.datetime(day.year, day.month, day.day) if style == 0 else
                     f"{day.year}/{day.month}/{day.day}" if style == 1 else
                     f"{day.year}年{day.month}月{day.day}日" if style == 2 else day.isoformat())
        quantity_cell = (str(quantity).translate(FULLWIDTH) if i % 5 == 1 else
                         f"{quantity}個" if i % 5 == 3 else quantity)
        code_cell = product.code.lower() if i % 6 == 2 else (" " + product.code if i % 6 == 4 else product.code)
        customer_cell = (" " + customer + "　") if i % 3 == 1 else customer
        kind = bad.get(number)
        if kind == "quantity_zero":
            quantity_cell, reason = 0, "quantity"
        elif kind == "quantity_text":
            quantity_cell, reason = "未定", "quantity"
        elif kind == "product":
            code_cell, reason = "P-999", "product"
        else:
            reason = None
        rows.append({"order_ref": ref, "order_date": date_cell, "customer": customer_cell, "product_code": code_cell,
                     "quantity": quantity_cell})
        if reason:
            rejected[ref] = reason
        else:
            clean.append({"order_ref": ref, "order_date": day.isoformat(), "customer": customer,
                          "product_code": product.code, "quantity": quantity, "amount": product.price * quantity})
        if i == 5:
            rows.append({k: None for k in RAW_COLUMNS})                  # an empty row in the middle
        if i == 9:
            rows.append(dict(rows[-1]))                                  # the same order pasted twice
            duplicates.append(ref)
    rows.append({k: None for k in RAW_COLUMNS})
    summary = []
    for product in PRODUCTS:
        lines = [c for c in clean if c["product_code"] == product.code]
        if lines:
            summary.append({"product_code": product.code, "product_name": product.ja,
                            "quantity": sum(c["quantity"] for c in lines), "amount": sum(c["amount"] for c in lines)})
    return RawOrders(rows, clean, rejected, duplicates, summary, sum(s["amount"] for s in summary))


def parse_japanese_date(text: str) -> dt.date:
    """'2024/5/7', '2024-05-07', '2024年5月7日' -> date (used by the checks; learners write their own)."""
    import re

    text = unicodedata.normalize("NFKC", str(text)).strip()
    m = re.fullmatch(r"(\d{4})\s*[/\-年]\s*(\d{1,2})\s*[/\-月]\s*(\d{1,2})\s*日?(?:[ T].*)?", text)
    if not m:
        raise ValueError(text)
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


# --- notebook 2: the invoice inbox ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Invoice:
    file_name: str           # as it arrives in the inbox (a scanner's or mailer's name)
    invoice_no: str
    date: str                # ISO
    customer_code: str
    customer: str
    lines: tuple             # (product_code, quantity) pairs
    total: int               # yen, tax included

    @property
    def sorted_name(self) -> str:
        return f"{self.date}_{self.customer_code}_{self.invoice_no}.pdf"

    @property
    def folder(self) -> str:
        return self.date[:7]


@dataclass
class Inbox:
    invoices: list[Invoice]
    unreadable: dict[str, str]   # file name -> kind: "scan" (no text), "broken" (damaged PDF), "other" (not a PDF)


def invoices(seed: int, count: int = 8) -> Inbox:
    rng = _rng(seed, "invoices")
    start = dt.date(2024, 1, 9) + dt.timedelta(days=rng.randrange(0, 300))
    out = []
    numbers = sorted(rng.sample(range(10000, 99999), count))
    for i, number in enumerate(numbers):
        customer = rng.choice(CUSTOMERS)
        day = start + dt.timedelta(days=rng.randrange(0, 75))
        lines = tuple((p.code, rng.choice([1, 2, 3, 5, 10])) for p in rng.sample(PRODUCTS[:9], rng.randrange(1, 4)))
        subtotal = sum(PRODUCT_BY_CODE[c].price * q for c, q in lines)
        total = subtotal + int(subtotal * TAX_RATE)
        name = rng.choice(["scan_{n:04d}.pdf", "請求書_{n:04d}.pdf", "invoice-{n}.pdf", "IMG_{n:04d}.pdf"]).format(
            n=rng.randrange(1, 9999))
        out.append(Invoice(name, f"INV-{number}", day.isoformat(), customer.code, customer.name, lines, total))
    # file names must be unique in the inbox
    seen, unique = set(), []
    for inv in out:
        name = inv.file_name
        while name in seen:
            name = name.replace(".pdf", "_2.pdf")
        seen.add(name)
        unique.append(Invoice(name, inv.invoice_no, inv.date, inv.customer_code, inv.customer, inv.lines, inv.total))
    unreadable = {f"scan_{rng.randrange(1, 9999):04d}_fax.pdf": "scan", f"請求書_{rng.randrange(1, 999):03d}_破損.pdf": "broken",
                  "memo.txt": "other"}
    return Inbox(unique, unreadable)


def invoice_html(inv: Invoice) -> str:
    """The invoice as the customer's accounting software prints it (turned into a PDF by the data builder)."""
    rows = "".join(
        f"<tr><td>{c}</td><td>{PRODUCT_BY_CODE[c].ja}</td><td class=n>{q}</td>"
        f"<td class=n>{yen(PRODUCT_BY_CODE[c].price)}</td><td class=n>{yen(PRODUCT_BY_CODE[c].price * q)}</td></tr>"
        for c, q in inv.lines)
    subtotal = sum(PRODUCT_BY_CODE[c].price * q for c, q in inv.lines)
    d = dt.date.fromisoformat(inv.date)
    return f"""<!doctype html><html lang="ja"><head><meta charset="utf-8"><style>
body{{font-family:'Noto Sans CJK JP',sans-serif;margin:40px;color:#222}} h1{{letter-spacing:.3em}}
table{{border-collapse:collapse;width:100%;margin-top:20px}} td,th{{border:1px solid #999;padding:6px}}
.n{{text-align:right}} .meta p{{margin:4px 0}}</style></head><body>
<h1>請求書 INVOICE</h1>
<div class="meta">
<p>Invoice No: {inv.invoice_no}</p>
<p>Date: {inv.date}</p>
<p>発行日 {d.year}年{d.month}月{d.day}日</p>
<p>Customer: {inv.customer_code}</p>
<p>お客様 {inv.customer} 御中</p>
</div>
<table><tr><th>コード</th><th>品名</th><th>数量</th><th>単価</th><th>金額</th></tr>{rows}</table>
<p class="n">小計 {yen(subtotal)}　消費税(10%) {yen(inv.total - subtotal)}</p>
<p class="n">Total: {yen(inv.total)}</p>
<p>{COMPANY['ja']}　〒101-0062 東京都千代田区神田駿河台1-1　TEL 03-1234-5678</p>
</body></html>"""


SCAN_HTML = """<!doctype html><html><body style="margin:40px"><svg width="600" height="800">
<rect x="10" y="10" width="580" height="780" fill="#eee" stroke="#999"/>
<rect x="40" y="40" width="300" height="40" fill="#bbb"/>""" + "".join(
    f'<rect x="40" y="{120 + 30 * i}" width="{200 + 37 * (i % 7)}" height="14" fill="#ccc"/>' for i in range(18)) + \
    "</svg></body></html>"


def write_inbox(inbox: Inbox, folder, page=None) -> None:
    """Write the inbox's files into ``folder`` (PDFs printed by headless Chromium through the lab's kit)."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def render(browser_page):
        for inv in inbox.invoices:
            browser_page.set_content(invoice_html(inv))
            browser_page.pdf(path=str(folder / inv.file_name), format="A4")
        for name, kind in inbox.unreadable.items():
            if kind == "scan":
                browser_page.set_content(SCAN_HTML)
                browser_page.pdf(path=str(folder / name), format="A4")
            elif kind == "broken":
                browser_page.set_content(invoice_html(inbox.invoices[0]))
                data = browser_page.pdf(format="A4")
                (folder / name).write_bytes(data[: len(data) // 3])
            else:
                (folder / name).write_text("来週の打ち合わせ: 請求書の件は田中さんに確認する。\n", encoding="utf-8")

    if page is not None:
        render(page)
    else:
        from .kit import in_browser

        in_browser(render, visible=False)


# --- notebook 5: the RPA Challenge -------------------------------------------------------------------------------

CHALLENGE_FIELDS = ["last_name", "first_name", "company", "role", "address", "email", "phone"]
CHALLENGE_ROUNDS = 10


def challenge_people(seed: int) -> list[dict]:
    rng = _rng(seed, "challenge")
    people, used = [], set()
    while len(people) < CHALLENGE_ROUNDS:
        family, family_r = rng.choice(FAMILY_NAMES)
        given, given_r = rng.choice(GIVEN_NAMES)
        if (family, given) in used:
            continue
        used.add((family, given))
        customer = rng.choice(CUSTOMERS)
        people.append({
            "last_name": family, "first_name": given, "company": customer.name, "role": rng.choice(ROLES),
            "address": customer.address, "email": f"{given_r}.{family_r}{rng.randrange(1, 99)}@example.jp",
            "phone": f"0{rng.randrange(3, 99)}-{rng.randrange(100, 9999):04d}-{rng.randrange(0, 9999):04d}"})
    return people


# --- notebook 6: the order history the report summarises ------------------------------------------------------------

def history(seed: int, count: int = 7) -> list[dict]:
    """Orders already in the order system (as if the robot had run earlier today), for the report robot."""
    return [dict(o.as_dict(), delivery_code=o.delivery_code) for o in orders(seed + 100000, count)]


def report_recipient(seed: int) -> str:
    """Who gets the daily report: the accounting team for the learner, someone else for every other data set (so a
    robot that types the address in instead of reading it from its settings is caught)."""
    if seed == LEARNER_SEED:
        return "keiri@midori-bungu.example"
    rng = _rng(seed, "report")
    return rng.choice(["buchou", "tanaka.h", "sales-team", "olena.k"]) + "@midori-bungu.example"
