"""Integrity checks for the demo dataset ``data/demo.json``.

The demo file uses relative instants (``days_ago`` + ``time`` in Asia/Shanghai) so that
it always looks current; these tests check that it is well formed, that every value
belongs to the domain's vocabularies (DOMAIN §2, §6) and that the stories the demo
relies on are still there: "who do I contact today", and orders to chase.
"""

import json
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from itertools import combinations
from pathlib import Path

import phonenumbers
import pycountry
import pytest

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo.json"

ROLES = {"sales", "manager"}
GRADES = {"A", "B", "C", "D"}
NATURES = {
    "trader",
    "wholesaler",
    "retailer",
    "importer",
    "distributor",
    "brand",
    "manufacturer",
    "e-commerce",
    "other",
}
SOURCES = {
    "inquiry",
    "tm",
    "rfq",
    "visitor-marketing",
    "trade-show",
    "old-customer",
    "referral",
    "website",
    "email",
    "phone",
    "fax",
    "social",
}
CHANNELS = {
    "inquiry",
    "tm",
    "email",
    "phone",
    "fax",
    "whatsapp",
    "visit",
    "meeting",
    "trade-show",
    "post",
}
DIRECTIONS = {"in", "out"}
KINDS = {
    "reply",
    "follow-up",
    "quote",
    "sample",
    "news",
    "new-product",
    "greeting",
    "trade-show-invite",
    "other",
}
INQUIRY_STATUSES = {"new", "replied", "quoted", "sample", "ordered", "lost", "spam"}
ORDER_KINDS = {"sample", "regular"}
ORDER_STATUSES = {"draft", "confirmed", "in-production", "shipped", "delivered", "cancelled"}
ACTIVITY_KINDS = {"publish", "rfq", "visitor", "online"}
TARGET_KINDS = {"publish", "rfq-bonus"}
VISITOR_DAILY_CAP = 20  # setting visitor.daily, not overridden by the demo
CADENCE = {"A": 3, "B": 7, "C": 15, "D": 30}
FREE_MAIL = {
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "yahoo.com",
    "qq.com",
    "163.com",
    "126.com",
    "live.com",
    "icloud.com",
}

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
EMAIL = re.compile(r"^[^@\s]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")
CUSTOMER_FIELDS = {
    "key",
    "company",
    "contact",
    "emails",
    "phones",
    "country",
    "city",
    "nature",
    "strength",
    "source",
    "products",
    "grade",
    "owner",
    "notes",
    "acquired_days_ago",
    "inquiries",
    "messages",
}
OPTIONAL_CUSTOMER_FIELDS = {"grade_history", "orders"}
ORDER_FIELDS = {
    "kind",
    "amount",
    "currency",
    "status",
    "days_ago",
    "time",
    "etd_days_from_today",
    "tracking",
    "note",
}
AMOUNT = re.compile(r"^\d+\.\d{2}$")


@pytest.fixture(scope="module")
def raw():
    return DEMO.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def data(raw):
    return json.loads(raw)


@pytest.fixture(scope="module")
def customers(data):
    return data["customers"]


def instant(x):
    """Sort key: older first (larger days_ago), then time of day."""
    return (-x["days_ago"], x["time"])


def last_manual_out(c):
    outs = [m for m in c["messages"] if m["direction"] == "out" and not m["auto"]]
    return outs[-1] if outs else None


def follow_up_state(c):
    """'awaiting', 'ungraded', or days until due (negative = overdue)."""
    if c["messages"] and c["messages"][-1]["direction"] == "in":
        return "awaiting"
    if c["grade"] is None:
        return "ungraded"
    return CADENCE[c["grade"]] - last_manual_out(c)["days_ago"]


def each_message(customers):
    for c in customers:
        for m in c["messages"]:
            yield c, m


def each_order(customers):
    for c in customers:
        for o in c.get("orders", []):
            yield c, o


def decimal(text):
    """A decimal string as Decimal, or None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


# ------------------------------------------------------------------ file and top level
def test_file_is_pretty_printed_utf8(raw, data):
    assert raw == json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    assert "\\u00" not in raw  # non-ASCII is written as-is, not escaped


def test_top_level_shape(data):
    assert set(data) == {
        "version",
        "users",
        "settings",
        "customers",
        "activity_pattern",
        "targets",
    }
    assert data["version"] == 1
    assert data["settings"] == {"timezone": "Asia/Shanghai"}


def test_users(data):
    users = data["users"]
    names = [u["name"] for u in users]
    assert len(names) == len(set(names))
    for u in users:
        assert set(u) == {"name", "role", "subaccount", "email"}
        assert u["role"] in ROLES
        assert re.fullmatch(r"cn\d{10}", u["subaccount"])
        assert u["email"].split("@")[1] in {"example.com", "example.org"}
    roles = [u["role"] for u in users]
    assert roles.count("sales") == 3
    assert roles.count("manager") == 1


def test_sizes(data, customers):
    assert 36 <= len(customers) <= 45
    n_messages = sum(len(c["messages"]) for c in customers)
    assert 300 <= n_messages <= 450
    managers = {u["name"] for u in data["users"] if u["role"] == "manager"}
    assert sum(c["owner"] in managers for c in customers) <= 1


# ------------------------------------------------------------------ customers
def test_customer_fields_and_keys(customers):
    keys = [c["key"] for c in customers]
    assert len(keys) == len(set(keys))
    for c in customers:
        assert CUSTOMER_FIELDS <= set(c) <= CUSTOMER_FIELDS | OPTIONAL_CUSTOMER_FIELDS, c["key"]
        assert c["company"].strip() and c["contact"].strip() and c["city"].strip()
        assert c["products"], c["key"]


def test_customer_enums(customers):
    for c in customers:
        assert c["nature"] is None or c["nature"] in NATURES, c["key"]
        assert c["source"] in SOURCES, c["key"]
        assert c["grade"] is None or c["grade"] in GRADES, c["key"]


def test_owners_exist(data, customers):
    users = {u["name"] for u in data["users"]}
    for c in customers:
        assert c["owner"] in users, c["key"]


def test_countries_are_iso_alpha2(customers):
    for c in customers:
        assert len(c["country"]) == 2 and c["country"].isupper(), c["key"]
        assert pycountry.countries.get(alpha_2=c["country"]) is not None, c["key"]


def test_phones_are_valid_e164_for_their_country(customers):
    for c in customers:
        for phone in c["phones"]:
            assert E164.match(phone), (c["key"], phone)
            parsed = phonenumbers.parse(phone, None)
            assert phonenumbers.is_valid_number(parsed), (c["key"], phone)
            assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == phone
            assert phonenumbers.region_code_for_number(parsed) == c["country"], (c["key"], phone)


def test_emails(customers):
    seen = {}
    for c in customers:
        assert c["emails"], c["key"]
        for e in c["emails"]:
            assert EMAIL.match(e), (c["key"], e)
            assert e.lower() not in seen, (c["key"], e, seen.get(e.lower()))
            seen[e.lower()] = c["key"]
    domains = {e.split("@")[1] for c in customers for e in c["emails"]}
    assert domains & FREE_MAIL, "some buyers should use free mail"


def test_days_ago_and_times(customers):
    for c in customers:
        assert isinstance(c["acquired_days_ago"], int) and c["acquired_days_ago"] >= 0
        for x in c["messages"] + c["inquiries"]:
            assert isinstance(x["days_ago"], int) and x["days_ago"] >= 0, c["key"]
            assert HHMM.match(x["time"]), (c["key"], x["time"])
        for g in c.get("grade_history", []):
            assert isinstance(g["days_ago"], int) and g["days_ago"] >= 0, c["key"]
        if c["messages"]:
            assert c["acquired_days_ago"] >= c["messages"][0]["days_ago"], c["key"]


def test_grade_history(customers):
    for c in customers:
        history = c.get("grade_history", [])
        if c["grade"] is None:
            assert not history, c["key"]
            continue
        for g in history:
            assert set(g) == {"grade", "days_ago", "reason"}
            assert g["grade"] in GRADES and g["reason"].strip()
        if history:
            assert history[-1]["grade"] == c["grade"], c["key"]
            days = [g["days_ago"] for g in history]
            assert days == sorted(days, reverse=True), c["key"]
            assert history[0]["days_ago"] <= c["acquired_days_ago"], c["key"]


# ------------------------------------------------------------------ messages and inquiries
def test_message_enums(customers):
    for c, m in each_message(customers):
        assert set(m) == {"direction", "channel", "kind", "auto", "days_ago", "time", "note"}
        assert m["direction"] in DIRECTIONS, c["key"]
        assert m["channel"] in CHANNELS, c["key"]
        assert m["kind"] in KINDS, c["key"]
        assert isinstance(m["auto"], bool)
        assert m["note"].strip(), c["key"]
        if m["auto"]:
            assert m["kind"] in {"greeting", "other"}, c["key"]


def test_messages_sorted(customers):
    for c in customers:
        keys = [instant(m) for m in c["messages"]]
        assert keys == sorted(keys), c["key"]


def test_inquiry_enums(customers):
    for c in customers:
        for q in c["inquiries"]:
            assert set(q) == {
                "channel",
                "product",
                "quantity",
                "message",
                "days_ago",
                "time",
                "status",
            }
            assert q["channel"] in CHANNELS, c["key"]
            assert q["status"] in INQUIRY_STATUSES, c["key"]
            assert q["product"].strip() and q["message"].strip(), c["key"]


def test_every_inquiry_is_an_inbound_message(customers):
    for c in customers:
        for q in c["inquiries"]:
            matches = [
                m
                for m in c["messages"]
                if m["direction"] == "in"
                and not m["auto"]
                and (m["days_ago"], m["time"]) == (q["days_ago"], q["time"])
            ]
            assert matches, (c["key"], q["days_ago"], q["time"])
            assert any(m["channel"] == q["channel"] for m in matches), c["key"]


def test_new_inquiries_are_unanswered(customers):
    for c in customers:
        for q in c["inquiries"]:
            if q["status"] != "new":
                continue
            later_out = [
                m
                for m in c["messages"]
                if m["direction"] == "out" and not m["auto"] and instant(m) > instant(q)
            ]
            assert not later_out, c["key"]


# ------------------------------------------------------------------ the demo's story
def test_near_duplicate_pair_shares_email_domain(customers):
    def norm(name):
        name = (
            name.lower().replace("ü", "ue").replace("ö", "oe").replace("ä", "ae").replace("ß", "ss")
        )
        name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        name = re.sub(r"[^a-z0-9 ]", " ", name)
        words = [
            w
            for w in name.split()
            if w not in {"gmbh", "ltd", "llc", "co", "inc", "sa", "bv", "ug"}
        ]
        return " ".join(words)

    def domains(c):
        return {e.split("@")[1].lower() for e in c["emails"]} - FREE_MAIL

    pairs = [
        (a["key"], b["key"])
        for a, b in combinations(customers, 2)
        if norm(a["company"]) == norm(b["company"]) and domains(a) & domains(b)
    ]
    assert pairs, "expected a near-duplicate pair for the merge demo"
    for a, b in combinations(customers, 2):
        if (a["key"], b["key"]) in pairs:
            assert a["company"] != b["company"]  # near, not exact, duplicates
            assert set(a["emails"]).isdisjoint(b["emails"])


def test_some_buyer_awaits_our_reply(customers):
    awaiting = [c for c in customers if follow_up_state(c) == "awaiting"]
    assert awaiting
    # a TradeManager message from today and an inquiry from 1-2 days ago, both unanswered
    assert any(
        c["messages"][-1]["channel"] == "tm" and c["messages"][-1]["days_ago"] == 0
        for c in awaiting
    )
    assert any(
        c["messages"][-1]["channel"] == "inquiry" and 1 <= c["messages"][-1]["days_ago"] <= 2
        for c in awaiting
    )


def test_buyer_with_no_owner_contact_yet(customers):
    assert any(
        c["messages"] and all(m["direction"] == "in" for m in c["messages"]) for c in customers
    )


def test_ungraded_buyers_are_new_and_have_inquiries(customers):
    ungraded = [c for c in customers if c["grade"] is None]
    assert ungraded
    assert any(c["inquiries"] for c in ungraded)
    for c in ungraded:
        assert c["acquired_days_ago"] <= 3, c["key"]


def test_due_today_and_overdue(customers):
    states = [(c["grade"], follow_up_state(c)) for c in customers]
    for grade in GRADES:
        assert (grade, 0) in states, f"no {grade} buyer due today"
    assert any(g in {"A", "B"} and isinstance(s, int) and s < 0 for g, s in states)
    not_yet_due = [s for g, s in states if isinstance(s, int) and s > 0]
    assert len(not_yet_due) >= len(customers) // 3


def test_fax_buyer_answered_by_fax(customers):
    fax_buyers = [
        c
        for c in customers
        if any(m["channel"] == "fax" and m["direction"] == "in" for m in c["messages"])
    ]
    assert fax_buyers
    for c in fax_buyers:
        for i, m in enumerate(c["messages"]):
            if m["channel"] == "fax" and m["direction"] == "in":
                reply = next(
                    (
                        r
                        for r in c["messages"][i + 1 :]
                        if r["direction"] == "out" and not r["auto"]
                    ),
                    None,
                )
                assert reply is not None and reply["channel"] == "fax", c["key"]


def test_formula_injection_case_present(customers):
    assert any(c["notes"] and c["notes"][0] in "=+-@" for c in customers)


def test_vocabulary_is_exercised(customers):
    messages = [m for c in customers for m in c["messages"]]
    assert {m["channel"] for m in messages} == CHANNELS
    assert {m["kind"] for m in messages} == KINDS
    assert {q["status"] for c in customers for q in c["inquiries"]} == INQUIRY_STATUSES
    assert any(m["auto"] for m in messages)


# ------------------------------------------------------------------ orders
def test_order_fields_and_enums(customers):
    for c, o in each_order(customers):
        assert set(o) == ORDER_FIELDS, c["key"]
        assert o["kind"] in ORDER_KINDS, c["key"]
        assert o["status"] in ORDER_STATUSES, c["key"]
        assert o["note"].strip(), c["key"]
        assert o["tracking"] is None or o["tracking"].strip(), c["key"]


def test_order_amounts_and_currencies(customers):
    for c, o in each_order(customers):
        assert AMOUNT.match(o["amount"]), (c["key"], o["amount"])  # a decimal string
        amount = decimal(o["amount"])
        assert amount is not None and amount > 0, (c["key"], o["amount"])
        assert len(o["currency"]) == 3 and o["currency"].isupper(), c["key"]
        assert pycountry.currencies.get(alpha_3=o["currency"]) is not None, c["key"]
        if o["kind"] == "sample":  # 样品单: samples plus courier
            assert amount < 500, (c["key"], o["amount"])
        else:
            assert amount >= 1000, (c["key"], o["amount"])


def test_order_days_and_etd(customers):
    for c, o in each_order(customers):
        assert isinstance(o["days_ago"], int) and o["days_ago"] >= 0, c["key"]
        assert o["days_ago"] <= c["acquired_days_ago"], c["key"]
        assert HHMM.match(o["time"]), (c["key"], o["time"])
        etd = o["etd_days_from_today"]
        if etd is None:
            continue
        assert isinstance(etd, int), c["key"]
        assert etd >= -o["days_ago"], c["key"]  # not planned to ship before it was ordered
        if o["status"] in {"shipped", "delivered"}:
            assert etd <= 0, c["key"]


def test_shipped_orders_have_tracking(customers):
    for c, o in each_order(customers):
        if o["status"] in {"shipped", "delivered"}:
            assert o["tracking"], c["key"]
        if o["status"] in {"draft", "confirmed", "in-production", "cancelled"}:
            assert o["tracking"] is None, c["key"]


def test_orders_belong_to_owned_engaged_buyers(customers):
    buyers = [c for c in customers if c.get("orders")]
    assert 8 <= len(buyers) <= 12
    assert 12 <= sum(len(c["orders"]) for c in buyers) <= 18
    ab = sum(len(c["orders"]) for c in buyers if c["grade"] in {"A", "B"})
    assert ab >= 0.75 * sum(len(c["orders"]) for c in buyers), "orders go mostly to A/B buyers"
    for c in buyers:
        assert c["owner"], c["key"]
        statuses = {q["status"] for q in c["inquiries"]}
        live = [o for o in c["orders"] if o["status"] != "cancelled"]
        if live:  # the inquiry got as far as samples or an order
            assert statuses & {"sample", "ordered"}, c["key"]
        if any(o["kind"] == "regular" and o["status"] not in {"draft", "cancelled"} for o in live):
            assert "ordered" in statuses, c["key"]


def test_orders_to_chase_story(customers):
    orders = [o for _, o in each_order(customers)]
    statuses = [o["status"] for o in orders]
    assert "cancelled" in statuses
    assert "shipped" in statuses  # shipped, not yet delivered
    assert "delivered" in statuses
    assert any(o["kind"] == "sample" for o in orders)
    assert any(o["kind"] == "sample" and o["status"] in {"shipped", "delivered"} for o in orders)
    etd_soon = [
        o
        for o in orders
        if o["status"] in {"confirmed", "in-production"}
        and o["etd_days_from_today"] is not None
        and 0 < o["etd_days_from_today"] <= 7
    ]
    assert len(etd_soon) >= 2
    currencies = [o["currency"] for o in orders if o["kind"] == "regular"]
    assert {"USD", "EUR", "AUD"} <= set(currencies)
    assert currencies.count("AUD") == 1


# ------------------------------------------------------------------ activity and targets
def test_activity_pattern(data):
    pattern = data["activity_pattern"]
    assert set(pattern) == {"seed", "rfq_quota_use", "users", "overrides"}
    assert isinstance(pattern["seed"], int)
    assert 0.5 <= pattern["rfq_quota_use"] < 1  # somewhat below the quota
    sales = {u["name"] for u in data["users"] if u["role"] == "sales"}
    assert set(pattern["users"]) == sales
    shares = 0.0
    for name, p in pattern["users"].items():
        assert set(p) == {"publish", "publish_skip", "rfq_share", "visitor", "online"}, name
        low, high = p["publish"]
        assert isinstance(low, int) and isinstance(high, int) and 1 <= low <= high <= 10, name
        assert 0 <= p["publish_skip"] < 0.5, name  # publishes on most working days
        low, high = p["visitor"]
        assert isinstance(low, int) and isinstance(high, int), name
        assert 1 <= low <= high <= VISITOR_DAILY_CAP, name
        hours = [decimal(h) for h in p["online"]]
        assert None not in hours and 6 <= hours[0] <= hours[1] <= 9, name
        assert all((h * 2) == (h * 2).to_integral_value() for h in hours), name  # half hours
        assert 0 < p["rfq_share"] < 1, name
        shares += p["rfq_share"]
    assert abs(shares - 1) < 1e-9


def test_activity_overrides(data):
    users = {u["name"] for u in data["users"]}
    overrides = data["activity_pattern"]["overrides"]
    for o in overrides:
        assert set(o) == {"user", "kind", "days_ago", "amount"}
        assert o["user"] in users
        assert o["kind"] in ACTIVITY_KINDS
        # within the generated span: the previous month started at least 28 days ago
        assert isinstance(o["days_ago"], int) and 1 <= o["days_ago"] <= 27
        amount = decimal(o["amount"])
        assert amount is not None and amount > 0
        if o["kind"] != "online":
            assert amount == amount.to_integral_value()
    above_cap = [
        o for o in overrides if o["kind"] == "visitor" and int(o["amount"]) > VISITOR_DAILY_CAP
    ]
    assert len(above_cap) == 1
    assert int(above_cap[0]["amount"]) <= VISITOR_DAILY_CAP + 5  # slightly above the cap


def test_targets(data):
    targets = data["targets"]
    keys = [(t["kind"], t["month_offset"]) for t in targets]
    assert len(keys) == len(set(keys))
    for t in targets:
        assert set(t) == {"kind", "month_offset", "value"}
        assert t["kind"] in TARGET_KINDS
        assert isinstance(t["month_offset"], int) and -1 <= t["month_offset"] <= 0
        assert isinstance(t["value"], int) and t["value"] >= 0
    assert {("publish", 0), ("publish", -1), ("rfq-bonus", 0)} <= set(keys)
