"""Importing customer sheets: parsers, matching, merging, all-or-nothing, on both engines."""

import codecs
import csv
import json
import os
import random
import signal
import string
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from laop.errors import AmbiguousError, InvalidInput
from laop.services.import_rows import fast_email, fast_emails
from laop.services.normalize import normalize_email, split_multi
from laop.services.sheet import FIELDS, HEADER_SYNONYMS, header_key, recognise_header
from laop.services.sheet_values import parse_grade, parse_nature, parse_sheet_date, parse_source
from tests.conftest import scalar

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE = DATA / "sample-customers.xlsx"
SAMPLE_CSV = DATA / "sample-customers-gbk.csv"
NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
TABLES = ("customer", "customer_contact", "customer_product", "grade_change", "message")


def ok(out):
    assert out.exit_code == 0, out.stderr
    return out


def counts(db_url):
    return {table: scalar(db_url, f"SELECT count(*) FROM {table}") for table in TABLES}


@pytest.fixture
def team(cli):
    """The CLI on a fresh database with lily (sales) and wang (manager), at NOW, as wang."""
    with time_machine.travel(NOW, tick=False):
        ok(cli("user", "add", "lily"))
        ok(cli("user", "add", "wang", "--role", "manager"))
        yield lambda *args: cli(*args, user="wang")


def buyers(run):
    """Every buyer as `customer list --json` shows it, keyed by company or contact."""
    views = ok(run("customer", "list", "--all", "--limit", "0", "--json")).json()
    return {v["company"] or v["contact"]: v for v in views}


def write_xlsx(path, rows, *, title="Sheet1"):
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


# ------------------------------------------------------------------ values


DATES = st.dates(min_value=date(1970, 1, 1), max_value=date(2099, 12, 31))


@given(DATES)
def test_dates_in_every_written_form(day):
    noon = datetime.combine(day, datetime.min.time()).replace(hour=12)
    y, m, d = day.year, day.month, day.day
    for text in (
        f"{y}/{m}/{d}",
        f"{y}-{m:02d}-{d:02d}",
        f"{y}.{m}.{d}",
        f"{y}年{m}月{d}日",
        f"{y} 年 {m} 月 {d} 日",
        f"{d:02d}.{m:02d}.{y}",
        f"{y}{m:02d}{d:02d}",
        day.strftime("%d %b %Y"),
        day.strftime("%B %d, %Y"),
    ):
        assert parse_sheet_date(text) == noon, text
    assert parse_sheet_date(day) == noon
    assert parse_sheet_date(datetime.combine(day, datetime.min.time())) == noon.replace(hour=0)
    serial = (day - date(1899, 12, 30)).days
    for value in (serial, float(serial), str(serial)):
        assert parse_sheet_date(value) == noon, value
    assert parse_sheet_date(serial + 0.75) == noon.replace(hour=18)
    assert parse_sheet_date(f"{y}/{m}/{d} 9:05") == noon.replace(hour=9, minute=5)


@given(DATES)
def test_slashed_dates_with_the_year_last_are_read_only_when_unambiguous(day):
    text = f"{day.day}/{day.month}/{day.year}"
    if day.day > 12 or day.day == day.month:
        assert parse_sheet_date(text).date() == day
    else:
        with pytest.raises(InvalidInput, match="Ambiguous date"):
            parse_sheet_date(text)


@given(st.one_of(st.text(), st.floats(), st.integers(), st.booleans(), st.none()))
def test_date_parser_only_ever_refuses_with_invalid_input(value):
    try:
        parsed = parse_sheet_date(value)
    except InvalidInput:
        return
    assert parsed is None or 1970 <= parsed.year <= 2099


def test_dates_that_are_refused():
    for text in ("2026-13-45", "31.02.2026", "hello", "1899/1/1", "12345", "2026/3"):
        with pytest.raises(InvalidInput):
            parse_sheet_date(text)
    assert parse_sheet_date("-") is None and parse_sheet_date("  ") is None
    offset = parse_sheet_date("2026-03-05T10:00+08:00")
    assert offset == datetime(2026, 3, 5, 2, 0, tzinfo=UTC)


@given(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(["N/A", "UNKNOWN", "None", "—", "暂无", "ﬀ", "ß" * 4, "İ" * 4]),
    )
)
def test_placeholders_are_recognised_by_their_folded_text(text):
    from laop.services.sheet_values import PLACEHOLDERS, is_placeholder

    assert is_placeholder(text) == (text.casefold() in PLACEHOLDERS)


ZONES = ("Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC")


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2099, 12, 31)),
    st.sampled_from(ZONES),
    st.booleans(),
)
def test_a_sheet_time_in_utc_is_what_astimezone_gives(moment, zone, aware):
    from zoneinfo import ZoneInfo

    from laop.services.import_rows import utc_instant

    tz = ZoneInfo(zone)
    if aware:
        moment = moment.replace(tzinfo=ZoneInfo("America/Sao_Paulo"))
    expected = (moment if aware else moment.replace(tzinfo=tz)).astimezone(UTC)
    found = utc_instant(moment, tz)
    assert (found, found.tzinfo, found.fold) == (expected, expected.tzinfo, expected.fold)
    assert found.isoformat() == expected.isoformat()


def test_a_sheet_time_in_utc_around_clock_changes():
    from zoneinfo import ZoneInfo

    from laop.services.import_rows import utc_instant

    for zone, day in [
        ("Europe/Berlin", date(2026, 3, 29)),
        ("Europe/Berlin", date(2026, 10, 25)),
        ("America/New_York", date(2026, 3, 8)),
        ("America/New_York", date(2026, 11, 1)),
        ("Australia/Lord_Howe", date(2026, 4, 5)),
        ("Australia/Lord_Howe", date(2026, 10, 4)),
    ]:
        tz = ZoneInfo(zone)
        start = datetime.combine(day, datetime.min.time())
        for minutes in range(0, 24 * 60, 15):  # the skipped and the repeated hour too
            moment = start + timedelta(minutes=minutes)
            assert utc_instant(moment, tz) == moment.replace(tzinfo=tz).astimezone(UTC)
            assert utc_instant(moment, tz).tzinfo is UTC


def test_the_row_cleaner_pools_columns_and_names_bad_dates_as_written():
    from zoneinfo import ZoneInfo

    from laop.services.import_rows import RowCleaner
    from laop.services.sheet import Column

    columns = [
        Column(0, "Company", "company"),
        Column(1, "Products", "products"),
        Column(2, "More products", "products"),
        Column(3, "First contact", "acquired"),
        Column(4, "Inquiry date", "acquired"),
        Column(5, "Last follow-up", "last_contact"),
        Column(6, "Website", None),
        Column(7, "City", "city"),
        Column(8, "Town", "city"),
        Column(9, "ID", "ignore"),
    ]
    cleaner = RowCleaner(columns, users={}, tz=ZoneInfo("Asia/Shanghai"), now=NOW)
    row = cleaner.clean(
        [
            " Acme GmbH ",
            "LED, LED strip；LED",
            "LED strip, panel",
            datetime(2026, 2, 1, 9, 30),
            "2026/1/5",
            "n/a",
            "acme.de",
            "Berlin",
            "Hamburg",
            7.0,
        ]
    )
    assert row.data.company == "Acme GmbH"
    assert row.data.products == ["LED", "LED strip", "panel"]
    assert row.acquired == datetime(2026, 1, 5, 4, 0, tzinfo=UTC)  # noon in Shanghai
    assert row.last_contact is None
    assert (row.data.city, row.data.notes) == ("Berlin", "Website: acme.de\nTown: Hamburg")
    # Short rows are read as far as they go.
    assert cleaner.clean(["Solo Ltd"]).data.company == "Solo Ltd"
    assert cleaner.clean(["", None, ""]) is None
    future = datetime(2026, 3, 12, 8, 15)
    with pytest.raises(InvalidInput, match="'2026-03-12 08:15' lies in the future"):
        cleaner.clean(["Late Ltd", "", "", "", "", future])
    with pytest.raises(InvalidInput, match="'2026-03-13' lies in the future"):
        cleaner.clean(["Later Ltd", "", "", date(2026, 3, 13)])


def test_grades_from_letters_digits_and_stars():
    table = {
        "A": "A",
        "b": "B",
        "C级": "C",
        "D类客户": "D",
        "1": "A",
        1.0: "A",
        "4": "D",
        "★★★★★": "A",
        "★★★★": "A",
        "★★★☆☆": "B",
        "**": "C",
        "⭐": "D",
        "3星": "B",
        "": None,
        "-": None,
    }
    for value, grade in table.items():
        assert parse_grade(value) == grade, value
    for bad in ("E", "5", "☆☆", "top"):
        with pytest.raises(InvalidInput, match="Unknown grade"):
            parse_grade(bad)


def test_nature_and_source_in_chinese_and_english():
    assert [parse_nature(t) for t in ("贸易商", "批发商", "零售商", "进口商", "经销商")] == [
        "trader",
        "wholesaler",
        "retailer",
        "importer",
        "distributor",
    ]
    assert [parse_nature(t) for t in ("品牌商", "工厂", "电商", "E-Commerce", "Factory")] == [
        "brand",
        "manufacturer",
        "e-commerce",
        "e-commerce",
        "manufacturer",
    ]
    assert [parse_source(t) for t in ("询盘", "展会", "老客户", "转介绍", "官网", "RFQ")] == [
        "inquiry",
        "trade-show",
        "old-customer",
        "referral",
        "website",
        "rfq",
    ]
    assert parse_source("访客营销") == "visitor-marketing"
    assert parse_source("Trade Show") == "trade-show"
    with pytest.raises(InvalidInput, match="Unknown nature"):
        parse_nature("pirate")


LOCAL = st.text(alphabet=string.ascii_letters + string.digits + "._+-%", min_size=1, max_size=20)
LABEL = st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12)
TLD = st.sampled_from(["com", "de", "co", "test", "local", "xn--p1ai", "museum", "c", "12"])


ADDRESSES = st.builds(
    lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}",
    LOCAL,
    st.lists(LABEL, min_size=1, max_size=3),
    TLD,
)


@settings(max_examples=400)
@given(st.one_of(st.emails(), ADDRESSES))
def test_fast_email_agrees_with_normalize_email(address):
    try:
        expected = normalize_email(address)
    except InvalidInput:
        with pytest.raises(InvalidInput):
            fast_email(address)
        return
    assert fast_email(address) == expected


@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(st.emails(), ADDRESSES, st.sampled_from(["a@b.com c@d.com", "x@y.com;"])),
        min_size=1,
    )
)
def test_fast_emails_is_fast_email_of_each_or_none(addresses):
    texts = [address.strip() for address in addresses if address.strip()]
    found = fast_emails(texts)
    if found is None:
        return  # taken one by one: fast_email, tested above
    assert found == [fast_email(text) for text in texts]
    assert all(split_multi(text) == [text] for text in texts)


def test_fast_emails_leaves_what_is_not_plain_to_fast_email():
    assert fast_emails(["li@acme.de", "Foo.Bar@Example.ORG"]) == [
        "li@acme.de",
        "foo.bar@example.org",
    ]
    for odd in ("a@b.com, c@d.com", "a@b.test", "no address", "x" * 65 + "@acme.de", "a b@c.com"):
        assert fast_emails(["li@acme.de", odd]) is None
    assert fast_emails([]) is None


# ------------------------------------------------------------------ headers

SYNONYMS = sorted((word, name) for name, words in HEADER_SYNONYMS.items() for word in words)
WIDE = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@given(st.sampled_from(SYNONYMS), st.data())
def test_every_synonym_survives_case_width_spaces_and_punctuation(pair, data):
    word, name = pair
    noisy = []
    for ch in word:
        if data.draw(st.booleans()):
            ch = ch.upper()
        if data.draw(st.booleans()):
            ch = WIDE.get(ch, ch)
        noisy.append(ch + data.draw(st.sampled_from(["", "", " ", "-", ".", "_", " / ", "\n"])))
    assert recognise_header("".join(noisy)) == name


@given(st.text())
def test_header_recogniser_never_raises(text):
    assert recognise_header(text) in (*FIELDS, None)


def test_no_header_word_names_two_fields():
    seen = {}
    for word, name in SYNONYMS:
        assert seen.setdefault(header_key(word), name) == name, word


def test_headers_of_laops_own_workbook_and_common_sheets():
    from laop.services.workbook import CUSTOMER_COLUMNS

    fields = [recognise_header(name) for name, _width, _format in CUSTOMER_COLUMNS]
    assert fields == [
        "ignore",
        "company",
        "contact",
        "email",
        "phone",
        "whatsapp",
        "country",
        "ignore",
        "city",
        "ignore",
        "nature",
        "strength",
        "source",
        "products",
        "grade",
        "owner",
        "acquired",
        "acquired",
        "last_contact",
        "ignore",
        "ignore",
        "ignore",
        "notes",
    ]
    assert recognise_header("客户邮箱") == "email"
    assert recognise_header("Buyer Country") == "country"
    assert recognise_header("公司名称（必填）") == "company"
    assert recognise_header("E-Mail Address") == "email"
    assert recognise_header("网站") is None


# ------------------------------------------------------------------ matching


STORED = [
    dict(
        company="Acme Lighting GmbH",
        contact="Hans Weber",
        emails=["hans@acme-lighting.de"],
        phones=["+49 30 1234567"],
        country="DE",
    ),
    dict(company="Bright Home Ltd", contact="Sarah Jones", emails=["sarah@brighthome.co.uk"]),
    dict(company="Shenzhen Foo Technology Co., Ltd.", contact="Li Wei", emails=["li@foo-tech.cn"]),
    dict(company="Globex", contact="Lisa Park", emails=["lisa@gmail.com"]),
    dict(company="Global Lighting Supply", contact="John Smith", emails=["john@gls.com"]),
    dict(company="Acme Lighting Trading", contact="Maria Rossi", emails=["maria@acmetrading.it"]),
    dict(company="Pacific Lamps", phones=["+61 2 9123 4567"]),
    dict(company="Star Trading 12 Ltd"),
    dict(company="Star Trading 123 Ltd"),
]
PROBES = [
    dict(emails=["hans@acme-lighting.de"]),
    dict(phones=["+49 30 1234567"]),
    dict(emails=["new@acme-lighting.de"]),
    dict(company="ACME Lighting GmbH."),
    dict(company="Foo Technology"),
    dict(company="Acmee Lighting Trading"),
    dict(company="Brite Home"),
    dict(company="Global Lighting Supply", contact="John Smith", emails=["j@othermail.com"]),
    dict(emails=["hans@acme-lighting.de"], company="Acme Lighting Trading", contact="Maria Rossi"),
    dict(emails=["li@foo-tech.cn"], company="Globex"),
    dict(company="Zeta Corp", emails=["zeta@zeta.io"]),
    dict(company="Pacific Lamp", phones=["+61 2 9123 4567"]),
    dict(contact="Hans Weber"),
    dict(company="Lighting"),
    dict(company="Bright Homes", contact="Sarah Jones"),
    # Numbers must agree: a typo in a word still matches, another number never does.
    dict(company="Star Trading 12"),
    dict(company="Star Tradng 123 Co."),
    dict(company="Star Trading 124"),
    dict(company="Star Trading"),
]


def _decision(function):
    try:
        found = function()
    except AmbiguousError as exc:
        return "ambiguous", sorted(c.customer.id for c in exc.candidates)
    return "match", (found.id if hasattr(found, "id") else found)


def test_the_index_decides_like_find_candidates(session):
    from laop.services.customers import CustomerInput, add_customer
    from laop.services.import_store import ImportStore
    from laop.services.intake import find_candidates, pick_match
    from laop.services.normalize import company_key, person_key

    for fields in STORED:
        add_customer(session, data=CustomerInput(**fields).cleaned(), owner=None)
    store = ImportStore(session, write=False, actor_id=1, now=NOW)
    store.load()
    decisions = []
    for fields in PROBES:
        data = CustomerInput(**fields).cleaned()
        keys = {
            "company_key": company_key(data.company or ""),
            "contact_key": person_key(data.contact or ""),
        }
        expected = _decision(lambda data=data: pick_match(find_candidates(session, data)))
        got = _decision(lambda data=data, keys=keys: store.index.match(data, **keys))
        assert got == expected, fields
        decisions.append(got)
    # The probes cover every outcome: a match, a new buyer, and ambiguity.
    assert ("match", None) in decisions and ("match", 3) in decisions
    assert ("ambiguous", [1, 6]) in decisions
    assert decisions[-4:-1] == [("match", 8), ("match", 9), ("match", None)]


@given(st.lists(st.text(alphabet="abc1", min_size=1, max_size=9), max_size=10, unique=True))
def test_name_covers_are_the_smallest_long_enough_word_sets(words):
    from itertools import combinations

    from laop.services.buyer_index import COVER, MAX_WORDS, _covers

    words = sorted(words)
    if not words:
        return
    if len(words) > MAX_WORDS:
        assert _covers(words) == [" ".join(words)]
        return
    whole = len(" ".join(words))
    long_enough = [
        set(combo)
        for size in range(1, len(words) + 1)
        for combo in combinations(words, size)
        if len(" ".join(combo)) >= COVER * whole
    ]
    smallest = [c for c in long_enough if not any(o < c for o in long_enough)]
    assert _covers(words) == [" ".join(w for w in words if w in c) for c in smallest]


def test_the_index_finds_words_filed_after_an_earlier_look_up():
    # Look-ups are remembered until a new word is filed: "acmee" must find "acme",
    # filed after "acmee" was first looked up.
    from laop.services.buyer_index import BuyerIndex
    from laop.services.customers import CleanCustomer

    index = BuyerIndex()

    def match(company):
        data = CleanCustomer(company, None, [], [], None, None, None, None, None, [], None)
        return index.match(data, company_key=company.lower(), contact_key="")

    assert match("Acmee Lighting") is None
    index.set_names(
        1, company="Acme Lighting", contact=None, company_key="acme lighting", contact_key=""
    )
    assert match("Acmee Lighting") == 1
    assert index.add_contact(2, "email", "Ann@Gmail.com") is None
    assert index.add_contact(2, "email", "ann@acme.de") == "acme.de"
    assert index.add_contact(2, "phone", "+49301234567") is None
    assert index.company_domain("x@yahoo.com.vn") is None


def _random_buyers(seed, count):
    """Buyers sharing e-mails, phones, domains, names, typos and numbers, at random."""
    from laop.services.customers import CleanCustomer
    from laop.services.normalize import company_key, person_key

    rng = random.Random(seed)
    words = ["acme", "bright", "home", "star", "trading", "global", "lighting", "supply", "foo"]
    people = ["hans weber", "sarah jones", "li wei", "john smith", "maria rossi"]
    domains = ["acme.de", "gmail.com", "bright.co.uk", "qq.com", "star.cn"]
    rows = []
    for _ in range(count):
        name = rng.sample(words, rng.randint(1, 3))
        if rng.random() < 0.3:  # a typo
            at = rng.randrange(len(name))
            word = name[at]
            cut = rng.randrange(len(word))
            name[at] = word[:cut] + word[cut + 1 :] if rng.random() < 0.5 else word + "e"
        if rng.random() < 0.4:
            name.append(str(rng.choice([1, 12, 123, rng.randrange(100_000)])))
        company = " ".join(name).title() if rng.random() < 0.9 else None
        contact = rng.choice(people).title() if rng.random() < 0.6 else None
        emails = [
            f"{rng.choice(['info', 'sales', 'x'])}{rng.randrange(30)}@{rng.choice(domains)}"
            for _ in range(rng.choice([0, 1, 1, 2]))
        ]
        phones = [(f"+4930{rng.randrange(40):07d}", False) for _ in range(rng.choice([0, 0, 1]))]
        data = CleanCustomer(
            company, contact, emails, phones, None, None, None, None, None, [], None
        )
        rows.append((data, company_key(company or ""), person_key(contact or "")))
    return rows


@pytest.mark.parametrize("seed", range(12))
def test_names_filed_at_first_need_and_the_quick_no_give_the_same_decisions(seed):
    # The index files names when a look-up first needs them, and answers "new buyer"
    # at once when nothing can match: it must decide as one that files every name at
    # once and always asks candidates() would.
    from laop.services.buyer_index import BuyerIndex
    from laop.services.intake import pick_match

    lazy, eager = BuyerIndex(), BuyerIndex()
    got, expected = [], []
    for customer_id, (data, company, contact) in enumerate(_random_buyers(seed, 300), start=1):
        keys = {"company_key": company, "contact_key": contact}
        got.append(_decision(lambda data=data, keys=keys: lazy.match(data, **keys)))
        eager._similar_to.clear()  # the reference keeps no answer: each is worked out again
        expected.append(
            _decision(lambda data=data, keys=keys: pick_match(eager.candidates(data, **keys)))
        )
        if got[-1] == ("match", None):  # created: filed in both, as an import does
            for index in (lazy, eager):
                index.set_names(customer_id, company=data.company, contact=data.contact, **keys)
                for email in data.emails:
                    index.add_contact(customer_id, "email", email)
                for phone, _whatsapp in data.phones:
                    index.add_contact(customer_id, "phone", phone)
            eager._file_names()
    assert got == expected
    outcomes = {kind if found is not None else "new" for kind, found in got}
    assert outcomes == {"match", "ambiguous", "new"}
    lazy._file_names()
    for table in ("_by_key", "_by_condensed", "_by_cover", "_by_word", "_typos"):
        assert getattr(lazy, table) == getattr(eager, table), table


# ------------------------------------------------------------------ the sample sheets


def test_the_sample_sheet(team, db_url):
    out = ok(team("import", str(SAMPLE), "--json")).json()
    assert (out["rows"], out["created"], out["merged"], out["skipped"]) == (17, 10, 3, 0)
    assert out["sheet"] == "客户信息" and out["dry_run"] is False
    reasons = {e["row"]: e["reason"] for e in out["errors"]}
    assert sorted(reasons) == [8, 9, 14, 15]
    assert "Unknown country 'Narnia'" in reasons[8]
    assert "Malformed e-mail 'lisa@globex'" in reasons[9]
    assert "2026-13-45" in reasons[14]
    assert "Unknown owner '张伟'" in reasons[15]
    assert out["conflicts"] == [
        {"row": 18, "customer_id": 2, "field": "grade", "stored": "B", "sheet": "A"}
    ]
    shown = buyers(team)
    acme = shown["Acme Lighting GmbH"]
    assert acme["phones"] == ["+49301234567", "+4915123456789"]
    assert acme["whatsapp"] == ["+4915123456789"]
    assert acme["products"] == ["LED panel light", "LED strip", "LED high bay"]
    assert acme["notes"].splitlines() == [
        "大客户，要求CE认证",
        "网站: www.acme-lighting.de",
        "年采购额: 500万",
        "请报价 60x60 面板灯",
    ]
    assert (acme["grade"], acme["owner"], acme["nature"], acme["source"]) == (
        "A",
        "lily",
        "importer",
        "inquiry",
    )
    assert acme["acquired_at"] == "2026-01-05T12:00:00+08:00"
    # The last follow-up is an outbound e-mail at noon; the due date follows from it.
    assert acme["last_out_at"] == "2026-02-20T12:00:00+08:00"
    assert acme["due_on"] == "2026-02-23"
    bright = shown["Bright Home Ltd"]
    assert bright["emails"] == ["sarah@brighthome.co.uk", "info@brighthome.co.uk"]
    assert bright["phones"] == ["+442079460018"] and bright["grade"] == "B"
    assert bright["acquired_at"] == "2025-12-09T12:00:00+08:00"  # Excel serial 46000
    assert shown["Sol y Luz S.A. de C.V."]["acquired_at"].startswith("2026-01-05")  # 05.01.2026
    nguyen = shown["Nguyen Trading Co., Ltd"]
    assert nguyen["whatsapp"] == ["+84903123456"] and nguyen["grade"] == "C"
    assert nguyen["products"] == ["LED tube", "LED panel light"]
    assert shown["Oasis Supplies"]["source"] == "tm"
    assert shown["Yangtze Imports Pty Ltd"]["phones"] == ["+61291234567"]
    assert shown["Al Noor Trading LLC"]["acquired_at"] == "2025-11-20T14:30:00+08:00"
    assert shown["Shanghai Guangming Trading"]["due_on"] == "2026-01-08"
    assert "Wardrobe Trading" not in shown and "Kiwi Lamps Ltd" not in shown
    history = ok(team("customer", "show", str(acme["id"]), "--json")).json()["grade_history"]
    assert [(g["to"], g["at"][:10]) for g in history] == [("A", "2026-01-05")]
    assert scalar(db_url, "SELECT count(*) FROM grade_change") == 9
    assert scalar(db_url, "SELECT count(*) FROM message") == 6
    notes = scalar(db_url, "SELECT count(DISTINCT note) FROM message WHERE kind = 'follow-up'")
    assert notes == 1


@pytest.mark.parametrize("same", [True, False])
def test_the_console_script_reads_the_sheet_before_the_command_loads(team, tmp_path, same):
    """`laop import` reads its workbook from the start of the console script; the
    command takes that read only for its own file and sheet."""
    from laop import prefetch
    from laop.services import sheet as sheets

    book = write_xlsx(
        tmp_path / "early.xlsx",
        [["Company", "E-mail"], ["Early Bird Trading", "eb@early.example"]],
        title="Buyers",
    )
    prefetch.start(["import", str(book), "--sheet", "Buyers" if same else "buyers", "--json"])
    early = sheets._ahead
    assert early is not None and early.path == book
    out = ok(team("import", str(book), "--sheet", "Buyers", "--json")).json()
    assert (out["created"], out["errors"]) == (1, [])
    assert sheets._ahead is None
    # An import releases the sheet it read; a read for another sheet stays unused.
    early.loaded()
    assert (early._loaded is None) == same


@pytest.mark.parametrize(
    "args",
    [
        ["import"],
        ["import", "--help"],
        ["import", "a.xlsx", "b.xlsx"],
        ["import", "a.xlsx", "--unknown"],
        ["import", "a.xlsx", "--sheet"],
        ["customer", "import", "a.xlsx"],
    ],
)
def test_other_import_command_lines_read_nothing_early(args, monkeypatch):
    from laop import prefetch
    from laop.services import sheet as sheets

    monkeypatch.setattr(sheets, "_ahead", None)
    prefetch.start(args)
    assert sheets._ahead is None


def test_an_import_from_the_console_script(tmp_path):
    book = write_xlsx(
        tmp_path / "shell.xlsx",
        [["公司名称", "邮箱", "客户等级"], ["Shell Trading Ltd", "s@shell.example", "B"]],
    )
    env = {**os.environ, "LAOP_DB": str(tmp_path / "shell.db"), "LAOP_USER": "lily"}
    for args in (["user", "add", "lily"], ["import", str(book), "--json"]):
        done = subprocess.run(
            [sys.executable, "-m", "laop", *args], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] == 1


def test_the_gbk_csv_gives_the_same_buyers_and_reimports_create_nothing(team, db_url):
    assert codecs.BOM_UTF8 not in SAMPLE_CSV.read_bytes()[:3]
    with pytest.raises(UnicodeDecodeError):
        SAMPLE_CSV.read_bytes().decode("utf-8")
    first = ok(team("import", str(SAMPLE_CSV), "--json")).json()
    assert (first["created"], first["merged"], len(first["errors"])) == (10, 3, 4)
    before, shown = counts(db_url), buyers(team)
    for sheet in (SAMPLE, SAMPLE_CSV):
        again = ok(team("import", str(sheet), "--json")).json()
        assert (again["created"], again["merged"], again["unchanged"]) == (0, 13, 13)
        assert counts(db_url) == before
    assert buyers(team) == shown


def test_a_utf8_csv_with_bom_semicolons_and_english_headers(team, tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        "\ufeffCompany;Contact person;E-Mail;Tel.;Country;Grade;First contact;Remarks\n"
        'Müller Licht GmbH;Jörg Müller;"joerg@mueller-licht.de, einkauf@mueller-licht.de";'
        "030 1234567;Germany;★★;2026-02-01;Messe Frankfurt\n"
        "Ørsted Lys ApS;Søren Ørsted;soren@orstedlys.dk;+45 32 12 34 56;DK;b;1.2.2026;\n",
        encoding="utf-8",
    )
    out = ok(team("import", str(path), "--json")).json()
    assert (out["created"], out["errors"]) == (2, [])
    shown = buyers(team)
    muller = shown["Müller Licht GmbH"]
    assert muller["emails"] == ["joerg@mueller-licht.de", "einkauf@mueller-licht.de"]
    assert muller["phones"] == ["+49301234567"] and muller["grade"] == "C"
    assert muller["notes"] == "Messe Frankfurt" and muller["owner"] == "wang"
    assert shown["Ørsted Lys ApS"]["acquired_at"].startswith("2026-02-01")


def test_title_rows_blank_rows_and_row_numbers(team, tmp_path):
    path = write_xlsx(
        tmp_path / "book.xlsx",
        [
            [None],
            ["客户名单"],
            ["更新于 2026-03-01", None, "共 3 条"],
            ["No.", "Company", "Email", "Country", "Owner", "Website"],
            [1, "Alpha Ltd", "a@alpha.com", "US", "lily", "alpha.com"],
            [None, None, None, None, None, None],
            [2, None, None, "US", None, "beta.com"],
            [3, "Gamma Ltd", "g@gamma.com", "Atlantis", None, None],
            [4, "Delta Ltd", "d@delta.com", "FR", None, None],
        ],
        title="Leads",
    )
    out = ok(team("import", str(path), "--sheet", "leads", "--owner", "lily", "--json")).json()
    assert [(e["row"], e["reason"].split(";")[0]) for e in out["errors"]] == [
        (7, "The row has no company, contact, e-mail or phone."),
        (8, "Unknown country 'Atlantis'"),
    ]
    assert (out["rows"], out["created"]) == (4, 2)
    shown = buyers(team)
    assert shown["Alpha Ltd"]["notes"] == "Website: alpha.com"
    assert shown["Delta Ltd"]["owner"] == "lily"
    missing = team("import", str(path), "--sheet", "Nope")
    assert missing.exit_code == 3 and "Leads" in missing.stderr


def test_map_names_columns_and_is_checked(team, tmp_path):
    path = write_xlsx(
        tmp_path / "crm.xlsx",
        [
            ["Firma", "Ansprechpartner", "Mail", "Kommentar", "Intern"],
            ["Licht & Co KG", "Eva Braun", "eva@licht.de", "Katalog geschickt", "x-17"],
        ],
    )
    out = team(
        "import",
        str(path),
        "--map",
        "Firma=company",
        "--map",
        "ansprechpartner=contact",
        "--map",
        "Kommentar=notes",
        "--map",
        "Intern=ignore",
        "--json",
    )
    assert ok(out).json()["created"] == 1
    buyer = buyers(team)["Licht & Co KG"]
    assert (buyer["contact"], buyer["emails"], buyer["notes"]) == (
        "Eva Braun",
        ["eva@licht.de"],
        "Katalog geschickt",
    )
    bad_field = team("import", str(path), "--map", "Firma=shoe_size")
    assert bad_field.exit_code == 3 and "shoe_size" in bad_field.stderr
    bad_header = team("import", str(path), "--map", "Firma=company", "--map", "Fax=phone")
    assert bad_header.exit_code == 3 and "'Fax'" in bad_header.stderr
    no_header = team("import", str(path))
    assert no_header.exit_code == 3 and "No header row" in no_header.stderr


def test_merge_fills_empty_fields_and_reports_conflicts(team, tmp_path):
    stored = ok(
        team(
            "customer",
            "add",
            "--company",
            "Acme GmbH",
            "--email",
            "hans@acme.de",
            "--country",
            "DE",
            "--owner",
            "lily",
            "--json",
        )
    ).json()
    path = write_xlsx(
        tmp_path / "update.xlsx",
        [
            ["公司名称", "邮箱", "国家", "城市", "电话", "兴趣产品", "业务员", "客户等级"],
            [
                "ACME GmbH",
                "Hans@Acme.de",
                "法国",
                "Berlin",
                "+49 30 7654321",
                "LED strip",
                "wang",
                "★★★",
            ],
        ],
    )
    out = ok(team("import", str(path), "--json")).json()
    assert (out["created"], out["merged"], out["unchanged"]) == (0, 1, 0)
    assert out["conflicts"] == [
        {"row": 2, "customer_id": stored["id"], "field": "country", "stored": "DE", "sheet": "FR"},
        {
            "row": 2,
            "customer_id": stored["id"],
            "field": "owner",
            "stored": "lily",
            "sheet": "wang",
        },
    ]
    shown = ok(team("customer", "show", str(stored["id"]), "--json")).json()
    assert (shown["country"], shown["city"], shown["owner"], shown["grade"]) == (
        "DE",
        "Berlin",
        "lily",
        "B",
    )
    assert shown["phones"] == ["+49307654321"] and shown["products"] == ["LED strip"]
    assert shown["grade_history"][0]["reason"] == "imported from update.xlsx"


def test_skip_new_and_ambiguous_rows(team, db_url, tmp_path):
    for company, email in (("Acme Lighting", "a@acme.com"), ("Acme Trading", "b@acme.com")):
        ok(team("customer", "add", "--company", company, "--email", email, "--new"))
    path = write_xlsx(
        tmp_path / "dups.xlsx",
        [
            ["Company", "E-mail", "City"],
            ["Acme Lighting", "a@acme.com", "Lyon"],
            ["Someone Else", "c@acme.com", "Paris"],
        ],
    )
    skip = ok(team("import", str(path), "--on-duplicate", "skip", "--json")).json()
    assert (skip["skipped"], skip["created"]) == (1, 0)
    assert skip["errors"] == [
        {
            "row": 3,
            "reason": "ambiguous: matches 1 Acme Lighting, 2 Acme Trading; fix the row or use "
            "--on-duplicate new",
        }
    ]
    assert buyers(team)["Acme Lighting"]["city"] is None
    new = ok(team("import", str(path), "--on-duplicate", "new", "--json")).json()
    assert (new["created"], new["errors"]) == (2, [])
    assert scalar(db_url, "SELECT count(*) FROM customer WHERE company = 'Acme Lighting'") == 2


def test_dry_run_and_strict_write_nothing(team, db_url, tmp_path):
    before = counts(db_url)
    dry = ok(team("import", str(SAMPLE), "--dry-run", "--json")).json()
    assert (dry["dry_run"], dry["created"], dry["merged"], len(dry["errors"])) == (True, 10, 3, 4)
    assert counts(db_url) == before
    screen = ok(team("import", str(SAMPLE), "--dry-run"))
    assert "Nothing was written" in screen.stderr and "Narnia" in screen.stdout
    strict = team("import", str(SAMPLE), "--strict", "--errors", str(tmp_path / "bad.csv"))
    assert strict.exit_code == 3
    assert "4 rows cannot be imported (first: row 8" in strict.stderr
    assert counts(db_url) == before
    assert (tmp_path / "bad.csv").exists()
    fine = write_xlsx(tmp_path / "fine.xlsx", [["Company", "Email"], ["Fine Ltd", "f@fine.com"]])
    assert ok(team("import", str(fine), "--strict", "--json")).json()["created"] == 1


def test_error_csv_keeps_the_cells_and_defuses_formulas(team, tmp_path):
    target = tmp_path / "rejected.csv"
    out = ok(team("import", str(SAMPLE), "--errors", str(target)))
    assert f"Wrote 4 rejected rows to {target}" in out.stderr
    raw = target.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:4] == ["row", "reason", "序号", "公司名称"] and len(rows) == 5
    narnia = dict(zip(rows[0], rows[1], strict=True))
    assert narnia["row"] == "8" and narnia["reason"].startswith("Unknown country 'Narnia'")
    assert narnia["备注"] == "'=cmd|' /C calc'!A0"
    assert narnia["年采购额"] == "'-1+1"
    assert narnia["联系人"] == "Mr Tumnus"
    globex = dict(zip(rows[0], rows[2], strict=True))
    assert globex["电话/手机"] == "'+1 415 555 0132"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_files_that_cannot_be_imported(team, tmp_path):
    missing = team("import", str(tmp_path / "nope.xlsx"))
    assert missing.exit_code == 4 and "No file" in missing.stderr
    (tmp_path / "notes.pdf").write_bytes(b"%PDF-1.4")
    assert team("import", str(tmp_path / "notes.pdf")).exit_code == 3
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip at all")
    broken = team("import", str(tmp_path / "broken.xlsx"))
    assert broken.exit_code == 3 and "Cannot read broken.xlsx" in broken.stderr
    (tmp_path / "binary.csv").write_bytes(bytes(range(128, 256)) * 4)
    assert team("import", str(tmp_path / "binary.csv")).exit_code == 3
    no_folder = team("import", str(SAMPLE), "--errors", str(tmp_path / "no" / "x.csv"))
    assert no_folder.exit_code == 3


def test_the_workbook_reimports_into_an_empty_database(team, db_url, tmp_path):
    ok(
        team(
            "inquiry",
            "add",
            "--channel",
            "inquiry",
            "--company",
            "Acme GmbH",
            "--contact",
            "Hans Weber",
            "--email",
            "hans@acme.de",
            "--email",
            "info@acme.de",
            "--country",
            "DE",
            "--nature",
            "importer",
            "--product",
            "LED panel",
            "--owner",
            "lily",
            "--at",
            "2026-02-02T09:00",
        )
    )
    ok(team("grade", "hans@acme.de", "A"))
    ok(
        team(
            "log",
            "hans@acme.de",
            "--direction",
            "out",
            "--channel",
            "email",
            "--at",
            "2026-02-03T10:00",
        )
    )
    ok(
        team(
            "customer",
            "add",
            "--company",
            "Bright Home Ltd",
            "--contact",
            "Sarah Jones",
            "--phone",
            "+44 20 7946 0018",
            "--whatsapp",
            "+44 7911 123456",
            "--city",
            "London",
            "--country",
            "GB",
            "--source",
            "trade-show",
            "--strength",
            "large",
            "--product",
            "LED bulb",
            "--product",
            "LED strip",
            "--note",
            "=1+1 is not a formula",
            "--owner",
            "wang",
        )
    )
    ok(team("customer", "add", "--contact", "Lone Buyer", "--email", "lone@gmail.com"))
    book = tmp_path / "book.xlsx"
    ok(team("kpi", "--month", "2026-03", "--xlsx", str(book)))
    before = {name: _comparable(v) for name, v in buyers(team).items()}
    for table in (
        "reply_clock",
        "inquiry",
        "message",
        "grade_change",
        "customer_event",
        "customer_contact",
        "customer_product",
        "customer_order",
        "customer",
    ):
        scalar(db_url, f"DELETE FROM {table}")
    out = ok(team("import", str(book), "--sheet", "客户信息 Customers", "--json")).json()
    assert (out["created"], out["merged"], out["errors"], out["conflicts"]) == (3, 0, [], [])
    assert {name: _comparable(v) for name, v in buyers(team).items()} == before


def _name(n):
    """A made-up company name unlike the others (random letters, seeded by n)."""
    letters = random.Random(n).choices(string.ascii_lowercase, k=10)
    return "".join(letters).capitalize() + " Ltd"


def _comparable(view):
    keep = (
        "company",
        "contact",
        "emails",
        "phones",
        "whatsapp",
        "country",
        "city",
        "nature",
        "strength",
        "source",
        "products",
        "grade",
        "owner",
        "notes",
        "acquired_at",
    )
    return {key: view[key] for key in keep}


def test_an_import_makes_a_handful_of_queries(session, engine, tmp_path):
    from sqlalchemy import event

    from laop.services.imports import ImportOptions, import_file
    from laop.services.users import add_user

    path = tmp_path / "many.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["公司名称", "邮箱", "国家", "客户等级", "最近跟进日期", "产品"])
        for n in range(3000):
            writer.writerow(
                [_name(n), f"b{n}@buyer{n}.com", "DE", "ABCD"[n % 4], "2026/2/1", "LED"]
            )
    actor = add_user(session, name="lily")
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with time_machine.travel(NOW, tick=False):
        report = import_file(session, path, actor=actor, options=ImportOptions())
    assert (report.created, report.errors) == (3000, [])
    assert len(statements) < 120, len(statements)


def test_a_killed_import_leaves_the_database_as_it_was(team, db_url, tmp_path):
    ok(team("customer", "add", "--company", "Kept Buyer", "--email", "kept@buyer.com"))
    before = counts(db_url)
    # 40,000 rows into near-empty tables: SQLite's import sets their indexes aside.
    indexes = _indexes(db_url) if "sqlite" in db_url else None
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Company", "Email", "Country", "Grade", "Last follow-up", "Notes"])
        for n in range(40_000):
            writer.writerow(
                [_name(n), f"k{n}@kill{n}.com", "FR", "ABCD"[n % 4], "2025-06-01", "x" * 40]
            )
    wal = Path(db_url.removeprefix("sqlite:///") + "-wal") if "sqlite" in db_url else None
    start_size = wal.stat().st_size if wal and wal.exists() else 0
    writer_process = subprocess.Popen(
        [sys.executable, "-m", "laop", "--db", db_url, "--as", "wang", "import", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and writer_process.poll() is None:
        if _writing(db_url, wal, start_size):
            break
        time.sleep(0.05)
    assert writer_process.poll() is None, "the import finished before it could be killed"
    os.kill(writer_process.pid, signal.SIGKILL)
    writer_process.wait()
    writer_process.stdout.close()
    writer_process.stderr.close()
    assert counts(db_url) == before
    if indexes is not None:
        assert _indexes(db_url) == indexes
    checked = team("db", "check", "--json")
    assert checked.exit_code == 0 and checked.json()["ok"] is True
    assert ok(team("customer", "add", "--company", "After The Kill", "--json")).json()["id"]


def _writing(db_url, wal, start_size):
    """Whether the import has begun to write (uncommitted) rows."""
    if wal is not None:
        return wal.exists() and wal.stat().st_size > start_size + (1 << 20)
    return bool(
        scalar(
            db_url,
            "SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL "
            "AND pid <> pg_backend_pid() AND datname = current_database()",
        )
    )


def test_dates_in_the_future_and_owners(team, tmp_path):
    path = write_xlsx(
        tmp_path / "owners.xlsx",
        [
            ["Company", "Email", "Sales", "Acquired"],
            ["Soon Ltd", "s@soon.com", "", (NOW + timedelta(days=3)).date()],
            ["Mine Ltd", "m@mine.com", "LILY", "2026-01-01"],
            ["Yours Ltd", "y@yours.com", "", ""],
        ],
    )
    out = ok(team("import", str(path), "--owner", "lily", "--json")).json()
    assert [e["row"] for e in out["errors"]] == [2]
    assert "lies in the future" in out["errors"][0]["reason"]
    shown = buyers(team)
    assert shown["Mine Ltd"]["owner"] == "lily" and shown["Yours Ltd"]["owner"] == "lily"
    assert shown["Yours Ltd"]["acquired_at"] == "2026-03-10T12:00:00+08:00"
    unknown = team("import", str(path), "--owner", "nobody")
    assert unknown.exit_code == 4


# ------------------------------------------------------------------ fast writes


def _stored(session, table, columns, order):
    """The stored values of ``columns`` as the database shows them, type included."""
    from sqlalchemy import text

    if session.get_bind().dialect.name == "sqlite":
        shown = ", ".join(f"typeof({c}), hex({c})" for c in columns)  # every byte
    else:
        shown = ", ".join(f"pg_typeof({c})::text, {c}::text" for c in columns)
    return session.execute(text(f"SELECT {shown} FROM {table} ORDER BY {order}")).all()


def test_fast_writes_store_exactly_what_sqlalchemy_stores(session):
    """Every column the import writes through the driver, against a Core insert."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import Date, insert

    from laop.models import (
        Customer,
        CustomerContact,
        CustomerProduct,
        GradeChange,
        Message,
        UTCDateTime,
    )
    from laop.services import import_store as store
    from laop.services.users import add_user

    user = add_user(session, name="lily")
    instants = [
        datetime(2026, 3, 5, 4, 0, tzinfo=UTC),
        datetime(2026, 3, 5, 12, 30, 1, 123456, tzinfo=ZoneInfo("Asia/Shanghai")),
        datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=ZoneInfo("America/New_York")),
        datetime(2099, 12, 31, 23, 59, 59, 999999),
        None,
    ]
    days = [date(2026, 3, 5), date(1970, 1, 1), None, date(2099, 12, 31), None]
    texts = ["Acme GmbH", "深圳市福友科技 😀", "", 'O\'Br "L"\\n;\t\u2028 1e5', None]

    def customer(n):
        at, day, word = instants[n % 5], days[n % 5], texts[n % 5]
        return dict(
            company=word,
            contact=texts[(n + 1) % 5],
            country="DE" if n % 2 else None,
            city=word,
            region="Western Europe" if n % 2 else None,
            nature="importer",
            strength=word,
            source="tm",
            grade="ABCD"[n % 4] if n % 5 else None,
            notes=word,
            owner_id=user.id if n % 3 else None,
            company_key=word or "",
            contact_key="",
            acquired_at=instants[(n + 1) % 4],
            created_at=instants[n % 4],
            updated_at=instants[(n + 2) % 4],
            last_contact_at=at,
            last_out_at=instants[(n + 3) % 5],
            last_out_day=day,
            last_in_channel=word,
            awaiting_since=at,
            due_on=days[(n + 1) % 5],
        )

    def contact(n):
        return dict(
            kind="email" if n % 2 else "phone",
            value=f"v{n}@x.com",
            domain=texts[n % 5],
            whatsapp=bool(n % 3),
            position=n,
        )

    def product(n):
        return dict(product=texts[n % 4] or f"p{n}", position=n)

    def grade(n):
        return dict(
            old_grade=None if n % 2 else "B",
            new_grade="A",
            reason=texts[n % 5],
            user_id=user.id,
            at=instants[n % 4],
        )

    def message(n):
        return dict(
            channel="email",
            direction="out",
            kind="follow-up",
            auto=bool(n % 2),
            note=texts[n % 5],
            user_id=user.id if n % 2 else None,
            at=instants[n % 4],
            created_at=instants[(n + 1) % 4],
        )

    instant, day = store.bind_converters(session.get_bind().dialect.name)

    def bound(model, columns, values):
        converted = []
        for name in columns:
            kind = model.__table__.c[name].type
            value = values[name]
            if isinstance(kind, UTCDateTime):
                value = instant(value)
            elif isinstance(kind, Date):
                value = day(value)
            converted.append(value)
        return tuple(converted)

    count = 10
    for first, fast in ((1, False), (101, True), (201, False), (301, True)):
        if first == 201 and session.get_bind().dialect.name == "sqlite":
            texts[2] = "NUL \x00 inside"  # SQLite's JSON functions would cut it
        rows = [dict(id=first + n, **customer(n)) for n in range(count)]
        if fast:
            write = [bound(Customer, store.CUSTOMER_COLUMNS, r) for r in rows]
            store.write_rows(
                session.connection(), Customer.__table__, store.CUSTOMER_COLUMNS, write
            )
        else:
            session.execute(insert(Customer.__table__), rows)
        for model, columns, make in (
            (CustomerContact, store.CONTACT_COLUMNS, contact),
            (CustomerProduct, store.PRODUCT_COLUMNS, product),
            (GradeChange, store.GRADE_COLUMNS, grade),
            (Message, store.MESSAGE_COLUMNS, message),
        ):
            rows = [dict(customer_id=first + n, **make(n)) for n in range(count)]
            if fast:
                write = [bound(model, columns, r) for r in rows]
                store.write_rows(session.connection(), model.__table__, columns, write)
            else:
                session.execute(insert(model.__table__), rows)
    for table, columns in (
        ("customer", store.CUSTOMER_COLUMNS[1:]),
        ("customer_contact", store.CONTACT_COLUMNS[1:]),
        ("customer_product", store.PRODUCT_COLUMNS[1:]),
        ("grade_change", store.GRADE_COLUMNS[1:]),
        ("message", store.MESSAGE_COLUMNS[1:]),
    ):
        order = "id" if table == "customer" else "customer_id"
        stored = _stored(session, table, columns, order)
        assert len(stored) == 4 * count
        assert stored[:count] == stored[count : 2 * count], table
        assert stored[2 * count : 3 * count] == stored[3 * count :], table


def test_columns_with_one_value_are_bound_once_and_stored_alike(session, monkeypatch):
    """write_rows binds a column that is the same in every row once, NULL as NULL:
    stored byte for byte as a Core insert stores it, for every mix of values."""
    from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, insert

    from laop.services import import_store as store

    monkeypatch.setattr(store, "MAX_ROWS_PER_INSERT", 4)  # statements of 4, 4 and 2 rows
    table = Table(
        "bound_once",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("a", String),
        Column("b", Integer),
        Column("c", Boolean),
        Column("d", Float),
    )
    table.create(session.connection())
    columns = ("id", "a", "b", "c", "d")
    rng = random.Random(5)
    batches = (
        [["x"], [None], [True], [0.5]],  # every column the same in every row
        [[None, "x", "深圳 😀", ""], [None, 0, 1, -(2**31)], [None, True, False], [None, 1e300]],
        [[""], [7], [True, 1], [None, -0.0]],  # equal values of two types
    )
    for first, values in zip((1, 101, 201), batches, strict=True):
        rows = [(first + n, *(rng.choice(v) for v in values)) for n in range(10)]
        store.write_rows(session.connection(), table, columns, rows)
        session.execute(
            insert(table),
            [dict(zip(columns, (row[0] + 1000, *row[1:]), strict=True)) for row in rows],
        )
    stored = _stored(session, "bound_once", ["a", "b", "c", "d"], "id")
    assert len(stored) == 60
    assert stored[:30] == stored[30:]  # ids 1…210 written fast, 1001…1210 by Core


def test_created_buyers_get_the_state_refresh_followup_derives(session, monkeypatch, tmp_path):
    """Buyers created by an import, merged again in later chunks or not: no difference."""
    from sqlalchemy import select

    from laop.models import Customer
    from laop.services import imports
    from laop.services.cadence import refresh_followup
    from laop.services.imports import ImportOptions, import_file
    from laop.services.users import add_user

    monkeypatch.setattr(imports, "CHUNK", 7)
    path = tmp_path / "state.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Company", "Email", "Grade", "Acquired", "Last follow-up"])
        for n in range(60):
            grade = "ABCD"[n % 4] if n % 3 else ""
            acquired = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}" if n % 5 else ""
            follow_up = f"2026-0{1 + n % 2}-{1 + n % 27:02d} 0{n % 10}:30" if n % 4 else ""
            writer.writerow([_name(n), f"s{n}@state{n}.com", grade, acquired, follow_up])
        # The same buyers again, rows or chunks later: a grade where there was none,
        # an earlier acquisition, a later follow-up.
        for n in range(0, 60, 3):
            writer.writerow(
                [_name(n), f"s{n}@state{n}.com", "B", "2024-06-01", f"2026-03-0{1 + n % 9}"]
            )
    actor = add_user(session, name="lily")
    with time_machine.travel(NOW, tick=False):
        report = import_file(session, path, actor=actor, options=ImportOptions())
    assert (report.created, report.merged, report.errors) == (60, 20, [])
    columns = (
        Customer.id,
        Customer.acquired_at,
        Customer.last_contact_at,
        Customer.last_out_at,
        Customer.last_out_day,
        Customer.last_in_channel,
        Customer.awaiting_since,
        Customer.due_on,
    )
    imported = session.execute(select(*columns).order_by(Customer.id)).all()
    assert sum(1 for row in imported if row.due_on) > 40
    refresh_followup(session, [row.id for row in imported])
    assert session.execute(select(*columns).order_by(Customer.id)).all() == imported


@pytest.mark.parametrize("chunk", [5, 2000])
def test_dates_prepared_with_the_row_are_what_the_store_derives(
    session, monkeypatch, tmp_path, chunk
):
    """A created buyer's dates worked out as its row is cleaned, or by the store: the
    same bytes stored, around clock changes, merged again in its chunk or later or not."""
    from laop.services import imports
    from laop.services.import_store import ImportStore
    from laop.services.imports import ImportOptions, import_file
    from laop.services.settings import set_setting
    from laop.services.users import add_user

    monkeypatch.setattr(imports, "CHUNK", chunk)
    set_setting(session, "timezone", "Europe/Berlin")
    rng = random.Random(chunk)
    moments = ["", "2025-03-30 01:59", "2025-03-30 03:00", "2024-10-27 02:30", "2025-10-26 01:30"]
    path = tmp_path / "prepared.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Company", "Email", "Grade", "Acquired", "Last follow-up"])
        for n in range(80):
            day = f"2025-{1 + rng.randrange(12):02d}-{1 + rng.randrange(28):02d}"
            writer.writerow(
                [
                    _name(n),
                    f"p{n}@prepared{n}.com",
                    rng.choice(["", "A", "B", "C", "D"]),
                    rng.choice(["", day, f"{day} 23:{rng.randrange(60):02d}", *moments]),
                    rng.choice(["", day, f"{day} 00:{rng.randrange(60):02d}", *moments]),
                ]
            )
            if n % 4 == 0:  # the same buyer again, a row later: its dates change
                writer.writerow([_name(n), f"p{n}@prepared{n}.com", "C", rng.choice(moments), day])
    actor = add_user(session, name="lily")
    # Buyers by name: PostgreSQL's ids go on after a rolled-back import.
    buyer = "(SELECT company FROM customer WHERE customer.id = {}.customer_id)"
    tables = {
        "customer": (
            "company",
            "acquired_at",
            "last_contact_at",
            "last_out_at",
            "last_out_day",
            "last_in_channel",
            "awaiting_since",
            "due_on",
            "grade",
        ),
        "grade_change": (buyer.format("grade_change"), "old_grade", "new_grade", "at"),
        "message": (buyer.format("message"), "direction", "user_id", "at"),
    }

    def stored_after_import(*, prepare):
        savepoint = session.begin_nested()
        if not prepare:
            monkeypatch.setattr(ImportStore, "preparer", lambda _store: None)
        with time_machine.travel(NOW, tick=False):
            report = import_file(session, path, actor=actor, options=ImportOptions())
        monkeypatch.undo()
        monkeypatch.setattr(imports, "CHUNK", chunk)
        found = {t: _stored(session, t, columns, "2, 4, 6, 8") for t, columns in tables.items()}
        savepoint.rollback()
        return report, found

    prepared_report, prepared = stored_after_import(prepare=True)
    derived_report, derived = stored_after_import(prepare=False)
    assert prepared_report.errors == [], prepared_report.errors[:3]
    assert (prepared_report.created, prepared_report.merged) == (80, 20)
    assert (derived_report.created, derived_report.merged) == (80, 20)
    assert sum(1 for row in prepared["customer"] if row[15] != "null") > 40  # due days
    assert prepared == derived


def test_an_import_restores_the_cyclic_collector(session, tmp_path):
    import gc

    from laop.services.imports import ImportOptions, import_file
    from laop.services.users import add_user

    path = tmp_path / "two.csv"
    path.write_text("Company,Email,Owner\nOne Ltd,a@one.com,\nTwo Ltd,b@two.com,nobody\n")
    actor = add_user(session, name="lily")
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            report = import_file(session, path, actor=actor, options=ImportOptions())
            assert gc.isenabled() is enabled
            assert [e.row for e in report.errors] == [3]
    finally:
        gc.enable()


def test_an_import_gives_back_the_connections_page_cache(session, tmp_path):
    from sqlalchemy import text

    from laop.services.imports import ImportOptions, import_file
    from laop.services.users import add_user

    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's page cache")
    path = tmp_path / "one.csv"
    path.write_text("Company,Email\nOne Ltd,a@one.com\n")
    actor = add_user(session, name="lily")
    before = session.execute(text("PRAGMA cache_size")).scalar()
    report = import_file(session, path, actor=actor, options=ImportOptions())
    assert report.created == 1
    assert session.execute(text("PRAGMA cache_size")).scalar() == before


def _indexes(db_url):
    """Every index of the database with the statement that made it (SQLite)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            query = "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index'"
            return sorted(tuple(row) for row in conn.execute(text(f"{query} ORDER BY name")))
    finally:
        engine.dispose()


def _big_csv(path, rows, *, start=0, bad_last=False):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Company", "Email", "Phone", "Grade", "Products", "Last follow-up"])
        for n in range(start, start + rows):
            writer.writerow(
                [_name(n), f"b{n}@bulk{n}.com", "", "ABCD"[n % 4], "LED, lamp", "2026-02-01"]
            )
        if bad_last:
            writer.writerow(["Bad Row Ltd", "not an address", "", "", "", ""])
    return path


@pytest.fixture
def set_aside(monkeypatch):
    """Large imports from 20 rows on; records the index statements each import set aside."""
    from laop.services import import_store

    if import_store.BULK_ROWS <= 20:
        pytest.fail("the fixture assumes a larger BULK_ROWS")
    monkeypatch.setattr(import_store, "BULK_ROWS", 20)
    seen: list[list[str]] = []
    restore = import_store.ImportStore._restore_indexes

    def recording(self):
        seen.append(list(self._set_aside))
        restore(self)

    monkeypatch.setattr(import_store.ImportStore, "_restore_indexes", recording)
    return seen


def test_a_large_import_builds_the_indexes_again_exactly(team, db_url, tmp_path, set_aside):
    if "sqlite" not in db_url:
        pytest.skip("SQLite's indexes are set aside; PostgreSQL keeps them")
    before = _indexes(db_url)
    assert any(name == "ix_customer_owner_due" for name, _t, _s in before)
    ok(team("import", str(_big_csv(tmp_path / "big.csv", 60))))
    dropped = set_aside[-1]
    assert len(dropped) == sum(1 for _n, table, sql in before if sql and table in TABLES), (
        "every secondary index of the five tables was set aside"
    )
    assert _indexes(db_url) == before
    checked = team("db", "check", "--json")
    assert checked.exit_code == 0 and checked.json()["ok"] is True
    assert counts(db_url)["customer"] == 60
    # The second import finds the first one's buyers through the rebuilt tables.
    ok(team("import", str(_big_csv(tmp_path / "again.csv", 60))))
    assert counts(db_url)["customer"] == 60
    # A small import into tables that hold more rows than it brings keeps their indexes.
    ok(team("import", str(_big_csv(tmp_path / "more.csv", 25, start=60))))
    kept = " ".join(set_aside[-1])
    assert "ix_customer_owner_due" not in kept and "ix_message_at" not in kept
    assert _indexes(db_url) == before
    assert counts(db_url)["customer"] == 85


def test_a_large_import_gives_back_the_page_cache_and_the_sheet(
    session, db_url, tmp_path, set_aside
):
    from sqlalchemy import text

    from laop.services.imports import ImportOptions, import_file
    from laop.services.sheet import SheetRead
    from laop.services.users import add_user

    if "sqlite" not in db_url:
        pytest.skip("SQLite's indexes are set aside and its page cache resized")
    rows = [["Company", "Email"]] + [[_name(n), f"b{n}@bulk{n}.com"] for n in range(60)]
    path = write_xlsx(tmp_path / "big.xlsx", rows)
    actor = add_user(session, name="lily")
    before = session.execute(text("PRAGMA cache_size")).scalar()
    read = SheetRead(path, sheet=None)
    report = import_file(session, path, actor=actor, options=ImportOptions(), read=read)
    assert report.created == 60
    assert set_aside and set_aside[-1], "the indexes were set aside and built again"
    assert session.execute(text("PRAGMA cache_size")).scalar() == before
    assert read.loaded() is None, "the sheet read ahead was let go"


def test_a_failed_large_import_keeps_the_indexes(team, db_url, tmp_path, set_aside):
    if "sqlite" not in db_url:
        pytest.skip("SQLite's indexes are set aside; PostgreSQL keeps them")
    ok(team("customer", "add", "--company", "Kept Buyer", "--email", "kept@buyer.com"))
    before, stored = _indexes(db_url), counts(db_url)
    path = _big_csv(tmp_path / "strict.csv", 60, bad_last=True)
    out = team("import", str(path), "--strict")
    assert out.exit_code == 3 and "--strict imports nothing" in out.stderr
    assert set_aside and set_aside[-1], "the failed import had set indexes aside"
    assert (_indexes(db_url), counts(db_url)) == (before, stored)


def test_an_import_failing_while_the_indexes_are_aside_rolls_them_back(
    session, db_url, monkeypatch, tmp_path
):
    import sqlite3

    from laop.services import import_store, imports
    from laop.services.imports import ImportOptions, import_file
    from laop.services.users import add_user

    if "sqlite" not in db_url:
        pytest.skip("SQLite's indexes are set aside; PostgreSQL keeps them")
    monkeypatch.setattr(import_store, "BULK_ROWS", 20)
    monkeypatch.setattr(imports, "CHUNK", 10)
    actor = add_user(session, name="lily")
    session.commit()
    before = _indexes(db_url)
    written = import_store._write_batches

    def failing(connection, batches):
        if connection.exec_driver_sql("SELECT count(*) FROM customer").scalar() >= 20:
            raise sqlite3.OperationalError("disk I/O error")
        written(connection, batches)

    monkeypatch.setattr(import_store, "_write_batches", failing)
    with pytest.raises(sqlite3.OperationalError):
        import_file(
            session, _big_csv(tmp_path / "big.csv", 60), actor=actor, options=ImportOptions()
        )
    session.rollback()
    assert _indexes(db_url) == before
    assert counts(db_url)["customer"] == 0


def test_sqlite_writes_split_into_statements_keep_the_order(session, db_url, monkeypatch):
    from sqlalchemy import select

    from laop.models import CustomerProduct
    from laop.services import import_store
    from laop.services.users import add_user

    if "sqlite" not in db_url:
        pytest.skip("SQLite's INSERTs of many rows; PostgreSQL copies")
    monkeypatch.setattr(import_store, "MAX_ROWS_PER_INSERT", 3)
    add_user(session, name="lily")
    import_store.write_rows(
        session.connection(),
        import_store.Customer.__table__,
        ("id", "company", "company_key", "contact_key", "acquired_at", "created_at", "updated_at"),
        [(1, "One", "one", "", "2026-03-05 04:00:00.000000", *["2026-03-05 04:00:00.000000"] * 2)],
    )
    rows = [(1, f"p{n} \x00 {'x' * n}", n) for n in range(11)]
    import_store.write_rows(
        session.connection(), CustomerProduct.__table__, import_store.PRODUCT_COLUMNS, rows
    )
    stored = session.execute(
        select(
            CustomerProduct.customer_id, CustomerProduct.product, CustomerProduct.position
        ).order_by(CustomerProduct.id)
    ).all()
    assert [tuple(row) for row in stored] == rows


@pytest.fixture
def forked(monkeypatch):
    """Every workbook import cleans its rows in a forked process; counts the forks."""
    from laop.services import clean_ahead, imports

    started = []
    start = clean_ahead.CleanAhead.__init__

    def counting(self, *args):
        started.append(1)
        start(self, *args)

    monkeypatch.setattr(imports, "FORK_FROM", 0)
    monkeypatch.setattr(clean_ahead.CleanAhead, "__init__", counting)
    return started


def test_rows_cleaned_in_a_second_process_import_the_same(team, db_url, forked):
    test_the_sample_sheet(team, db_url)  # every assertion of the sample sheet holds
    assert forked == [1]
    again = ok(team("import", str(SAMPLE), "--json")).json()
    assert (again["created"], again["merged"], again["unchanged"]) == (0, 13, 13)
    assert len(forked) == 2


def test_a_cleaning_process_that_dies_stores_nothing(team, db_url, forked, monkeypatch):
    from laop.services.import_rows import RowCleaner

    ok(team("customer", "add", "--company", "Kept Buyer", "--email", "kept@buyer.com"))
    before = counts(db_url)
    parent = os.getpid()
    clean = RowCleaner.clean

    def dying(self, cells):
        if os.getpid() != parent:
            os._exit(1)
        return clean(self, cells)

    monkeypatch.setattr(RowCleaner, "clean", dying)
    out = team("import", str(SAMPLE))
    assert out.exit_code == 1
    assert "The process cleaning the rows stopped; nothing was imported." in out.stderr
    assert forked == [1] and counts(db_url) == before


def test_rows_refused_after_cleaning_in_a_second_process_keep_their_cells(team, tmp_path, forked):
    for company, email in (("Acme Lighting", "a@acme.com"), ("Acme Trading", "b@acme.com")):
        ok(team("customer", "add", "--company", company, "--email", email, "--new"))
    path = write_xlsx(
        tmp_path / "dups.xlsx",
        [
            ["Company", "E-mail", "City", "Country"],
            ["Fresh Buyer", "f@fresh.com", "Oslo", "NO"],
            ["Someone Else", "c@acme.com", "@Paris", "FR"],
            ["Lost Buyer", "l@lost.com", "Narnia City", "Narnia"],
            ["Last Buyer", "z@last.com", "Rome", "IT"],
        ],
    )
    target = tmp_path / "rejected.csv"
    out = ok(team("import", str(path), "--errors", str(target), "--json")).json()
    assert forked == [1]
    assert [e["row"] for e in out["errors"]] == [3, 4] and out["created"] == 2
    rows = list(csv.reader(target.read_bytes().decode("utf-8-sig").splitlines()))
    assert [row[:1] + row[2:] for row in rows[1:]] == [
        ["3", "Someone Else", "c@acme.com", "'@Paris", "FR"],
        ["4", "Lost Buyer", "l@lost.com", "Narnia City", "Narnia"],
    ]


@pytest.mark.parametrize("processes", [1, 2, 3])
def test_chunks_cleaned_by_several_processes_come_back_in_order(
    team, tmp_path, monkeypatch, processes
):
    """Each cleaning process takes every n-th chunk: the import decides, refuses and
    reports every row as when the rows are cleaned in the importing process."""
    from laop.services import clean_ahead, imports

    for company, email in (("Acme Lighting", "a@acme.com"), ("Acme Trading", "b@acme.com")):
        ok(team("customer", "add", "--company", company, "--email", email, "--new"))
    rows: list[list] = [["Company", "E-mail", "City", "Country"]]
    for n in range(41):
        if n % 7 == 3:  # two stored buyers share the domain: ambiguous, after cleaning
            rows.append([f"Someone Else {n}", f"c{n}@acme.com", "@Paris", "FR"])
        elif n % 11 == 5:  # refused while cleaned
            rows.append([f"Lost Buyer {n}", f"l{n}@lost.com", "Narnia City", "Narnia"])
        elif n % 13 == 0:
            rows.append([None, None, None, None])
        else:  # buyers found again rows and chunks later
            rows.append([f"Buyer {n % 17}", f"b{n % 17}@buyer{n % 17}.com", f"City {n}", "NO"])
    path = write_xlsx(tmp_path / "many.xlsx", rows)
    started = []
    start = clean_ahead.CleanAhead.__init__
    monkeypatch.setattr(
        clean_ahead.CleanAhead, "__init__", lambda self, *a: started.append(1) or start(self, *a)
    )
    monkeypatch.setattr(imports, "CHUNK", 2)
    monkeypatch.setattr(clean_ahead, "PROCESSES", processes)
    results = []
    for fork_from in (0, 10**9):
        monkeypatch.setattr(imports, "FORK_FROM", fork_from)
        target = tmp_path / f"rejected-{fork_from}.csv"
        out = ok(team("import", str(path), "--dry-run", "--errors", str(target), "--json"))
        results.append((out.json(), target.read_bytes()))
    assert started == [1]
    assert results[0] == results[1]
    report = results[0][0]
    assert len(report["errors"]) == 9 and report["created"] == 16 and report["merged"] == 12


def test_rows_travel_from_the_cleaning_process_unchanged():
    # What the cleaning process sends (instants as integers) is what cleaning the row
    # in the importing process gives, to the microsecond.
    from zoneinfo import ZoneInfo

    from laop.services.clean_ahead import _decode, _encode, _pack, _pack_chunk
    from laop.services.import_columns import ColumnCleaner
    from laop.services.import_rows import RowCleaner, clean_or_error, unpack
    from laop.services.sheet import Column

    headers = ["company", "contact", "email", "acquired", "acquired", "last_contact", "grade"]
    columns = [Column(i, h, h) for i, h in enumerate(headers)]

    def prepare(grade, acquired, last_contact):  # what travels with a row, as the store's
        return grade, str(acquired), None if last_contact is None else last_contact.isoformat()

    tz = ZoneInfo("Asia/Shanghai")
    here = RowCleaner(columns, users={}, tz=tz, now=NOW, prepare=prepare)
    there = RowCleaner(columns, users={}, tz=tz, now=NOW, prepare=prepare)
    rng = random.Random(7)
    sheet = [
        ["Acme Lighting GmbH", "Hans Weber", "hans@acme.de", None, None, None, "A"],
        ["", "", "x@y.com", "", "2026-02-30", None, None],  # refused
        [None, None, None, None, None, None, None],  # blank
    ]
    for number in range(300):
        moment = datetime(2000, 1, 1) + timedelta(seconds=rng.randrange(10**9) / 7)
        sheet.append(
            [
                rng.choice(["Star Trading 12 Ltd", "株式会社 光", "Foo & Co. KG", None]),
                rng.choice(["Li Wei", None]),
                f"b{number}@shop{number % 7}.com",
                moment,
                rng.choice([moment.date(), moment.replace(tzinfo=UTC), "2024-03-05", None]),
                rng.choice([moment + timedelta(days=3), None]),
                rng.choice(["B", "", None]),
            ]
        )
    # A chunk packed from its cleaned columns is each row packed.
    chunk = list(enumerate(sheet, start=2))
    chunked = ColumnCleaner(RowCleaner(columns, users={}, tz=tz, now=NOW, prepare=prepare))
    assert chunked.usable
    packed = _pack_chunk(chunked, chunk)
    assert packed == [_pack(number, cells, clean_or_error(there, cells)) for number, cells in chunk]
    # Sent as marshal's bytes, exactly (types too); a refused row's cells may hold a
    # datetime, which marshal does not take: that chunk goes as pickle's.
    sent = _encode(packed)
    assert sent[:1] == b"m" and repr(_decode(sent)) == repr(packed)
    refused = [(9, "Bad date", [moment, "x"]), (10, None, None)]
    sent = _encode(refused)
    assert sent[:1] == b"p" and _decode(sent) == refused
    for number, cells in chunk:
        try:
            expected = here.clean(cells)
        except InvalidInput as exc:
            expected = exc
        _number, item, sent_cells = _pack(number, cells, clean_or_error(there, cells))
        if isinstance(expected, InvalidInput):
            assert (item, sent_cells) == (expected.message, cells)
        elif expected is None:
            assert (item, sent_cells) == (None, None)
        else:
            assert repr(unpack(item)) == repr(expected) and sent_cells is None


@pytest.mark.parametrize("seed", range(6))
def test_fields_settled_as_read_give_what_the_general_way_gives(seed):
    # A sheet with one column per single-valued field settles each as its cell is
    # read; it must clean, and refuse with the same reason, as the general way.
    from zoneinfo import ZoneInfo

    from laop.services.import_rows import RowCleaner
    from laop.services.sheet import Column

    rng = random.Random(seed)
    fields = ["company", "contact", "email", "phone", "country", "city", "strength"]
    fields += ["products", "grade", "notes", "acquired", "acquired", "last_contact", None]
    rng.shuffle(fields)
    columns = [Column(i, f"H{i}", field) for i, field in enumerate(fields)]
    quick = RowCleaner(columns, users={}, tz=ZoneInfo("Asia/Shanghai"), now=NOW)
    general = RowCleaner(columns, users={}, tz=ZoneInfo("Asia/Shanghai"), now=NOW)
    assert quick._settle is not None
    general._settle = None
    values = {
        "company": ["Acme GmbH", "x" * 301, "-", "N/A", "  ", None],
        "contact": ["Li Wei", "y" * 201, "无", None],
        "email": ["a@acme.de", "a@b.c, d@e.fr", "bad@", None],
        "phone": ["+49 30 1234567", "12", None],
        "country": ["DE", "Narnia", "unknown", None],
        "city": ["Berlin", "z" * 121, None],
        "strength": ["large", "s" * 201, None],
        "products": ["LED; lamp", "p" * 201 + ";x", "-", None],
        "grade": ["A", "★★", "Z", None],
        "notes": ["-", "note", None],
        "acquired": [datetime(2025, 1, 2, 3, 4), "2025-13-01", "2099-12-31", None],
        "last_contact": [date(2026, 1, 5), None],
        None: ["kept", None, 3.0],
    }
    outcomes = set()
    for number in range(500):
        cells = [rng.choice(values[field]) for field in fields]
        if number % 5 == 0:  # only single-valued fields
            cells = [c if f in quick._settle else None for c, f in zip(cells, fields, strict=True)]
        results = []
        for cleaner in (quick, general):
            try:
                results.append(repr(cleaner.clean(cells)))
            except InvalidInput as exc:
                results.append(exc.message)
        assert results[0] == results[1], cells
        outcomes.add(results[0][:10])
    assert len(outcomes) > 5  # rows kept, blank and refused for several reasons


@pytest.mark.parametrize("last_contact", [None, datetime(2026, 3, 1, 8, 0, tzinfo=UTC)])
# A dry run prepares no dates (ImportStore.preparer is None).
@pytest.mark.parametrize(("write", "prepared"), [(True, False), (False, False), (True, True)])
def test_creating_a_buyer_in_one_step_records_what_the_separate_steps_record(
    session, write, last_contact, prepared
):
    """ImportStore.create is the add-steps' fast path for new buyers: same rows, same buyer.

    With its dates prepared where the row was cleaned, create() makes the buyer's own
    row at once, and the Buyer only when asked for: both as the steps make them."""
    from dataclasses import replace

    from laop.services.customers import CleanCustomer
    from laop.services.import_rows import CleanRow, pack
    from laop.services.import_store import Buyer, ImportStore

    data = CleanCustomer(
        company="Acme Trading Ltd",
        contact="Ann Lee",
        emails=["ann@acme.example", "sales@acme.example"],
        phones=[("+8613800000001", True), ("+8613800000002", False)],
        country="CN",
        city="Ningbo",
        nature="trader",
        source="RFQ",
        strength="big",
        products=["LED panel", "LED strip"],
        notes="met at the fair",
    )
    acquired = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
    keys = {"company_key": "acme trading", "contact_key": "ann lee"}

    one = ImportStore(session, write=write, actor_id=1, now=NOW)
    made = one.preparer()("B", acquired, last_contact) if prepared else None
    row = CleanRow(
        data,
        **keys,
        grade="B",
        owner_id=None,
        acquired=acquired,
        last_contact=last_contact,
        prepared=made,
    )
    buyer_id = one.create(pack(row), owner_id=2, reason="import")
    assert list(one.buyers.created) == ([buyer_id] if prepared else [])

    steps = ImportStore(session, write=write, actor_id=1, now=NOW)
    buyer = Buyer(
        buyer_id,  # ids come from a sequence on PostgreSQL: the same one here
        data.company,
        data.contact,
        data.country,
        data.city,
        data.nature,
        data.strength,
        data.source,
        None,
        2,
        data.notes,
        acquired,
        None,
        **keys,
    )
    steps.add_buyer(buyer)
    for email in data.emails:
        steps.add_contact(buyer, "email", email, whatsapp=False)
    for phone, whatsapp in data.phones:
        steps.add_contact(buyer, "phone", phone, whatsapp=whatsapp)
    for product in data.products:
        steps.add_product(buyer, product)
    steps.add_grade(buyer, "B", at=acquired, reason="import")
    if last_contact is not None:
        steps.add_follow_up(buyer, at=last_contact)

    if prepared:
        # The buyer's row, made now, is the one the steps' buyer gets as it is
        # written (its follow-up state derived from its log); the Buyer, made when
        # asked for, is the steps' one as written (a change is then an UPDATE).
        ours = one._pending["customer"].pop()
        assert ours == steps._customer_row(buyer, *steps._followup())
        assert one.buyers[buyer_id] == replace(buyer, stored=True)
        assert not one.buyers.created and not one._new and not one._sent
    else:
        assert one.buyers[buyer_id] == buyer
        assert one._sent == steps._sent
    assert one._pending == steps._pending
    assert one.index.emails == steps.index.emails and one.index.phones == steps.index.phones


def test_buyers_created_in_a_second_process_carry_the_state_their_log_gives(
    session, tmp_path, forked
):
    # A buyer that a later row of the sheet changes before it is written, as every
    # other created one, carries the follow-up state its log gives.
    from sqlalchemy import select

    from laop.models import Customer
    from laop.services.cadence import refresh_followup
    from laop.services.imports import ImportOptions, import_file
    from laop.services.users import add_user

    header = ["Company", "Email", "Phone", "Grade", "Acquired", "Last follow-up", "Country"]
    rows = [
        ["Dup Co", "d@dup.com", "", "", "2026-01-05", "2026-01-10", "DE"],
        ["Solo Ltd", "s@solo.com", "", "A", "2026-02-01", "", "FR"],
        ["Dup Co", "d@dup.com", "+49 30 1234567", "B", "2026-01-02", "2026-02-20", ""],
        ["Late Ltd", "l@late.com", "", "C", "", "", ""],
        ["Early Ltd", "e@early.com", "", "D", "2026-02-10", "2026-01-03", "US"],
        ["Plain Ltd", "p@plain.com", "", "", "", "", ""],
    ]
    path = write_xlsx(tmp_path / "dups.xlsx", [header, *rows])
    actor = add_user(session, name="lily")
    with time_machine.travel(NOW, tick=False):
        report = import_file(session, path, actor=actor, options=ImportOptions())
    assert forked == [1]
    assert (report.created, report.merged) == (5, 1)
    columns = (
        Customer.id,
        Customer.grade,
        Customer.acquired_at,
        Customer.last_contact_at,
        Customer.last_out_at,
        Customer.last_out_day,
        Customer.awaiting_since,
        Customer.due_on,
    )
    stored = session.execute(select(*columns).order_by(Customer.id)).all()
    refresh_followup(session, [row[0] for row in stored])
    assert session.execute(select(*columns).order_by(Customer.id)).all() == stored
    dup = next(row for row in stored if row[0] == min(r[0] for r in stored))
    assert dup[1] == "B" and str(dup[4]).startswith("2026-02-20")


def test_threads_take_turns_often_while_rows_are_placed(team, monkeypatch):
    # The writer thread needs the GIL back after each statement: the interpreter's
    # switch interval is short while rows are placed, and as it was afterwards, even
    # when the import fails.
    import sys

    from laop.services import imports

    seen = []
    place = imports._Run.place_chunk

    def placing(self, chunk):
        seen.append(sys.getswitchinterval())
        place(self, chunk)

    monkeypatch.setattr(imports._Run, "place_chunk", placing)
    before = sys.getswitchinterval()
    ok(team("import", str(SAMPLE)))
    assert seen and set(seen) == {imports.SWITCH_INTERVAL} < {before, imports.SWITCH_INTERVAL}
    assert sys.getswitchinterval() == before

    def failing(self, chunk):
        raise RuntimeError("placing failed")

    monkeypatch.setattr(imports._Run, "place_chunk", failing)
    assert team("import", str(SAMPLE)).exit_code != 0
    assert sys.getswitchinterval() == before


def test_an_import_leaves_its_buyers_to_be_freed_at_once(session, tmp_path):
    # The buyers an import keeps (a hundred thousand, for a large sheet) go as soon as
    # it returns: nothing holds them in a cycle for the garbage collector to find.
    import gc
    import weakref

    from laop.services import import_store
    from laop.services.imports import ImportOptions, import_file
    from laop.services.users import add_user

    stores = []
    start = import_store.ImportStore.__init__

    def keeping(self, *args, **kwargs):
        start(self, *args, **kwargs)
        stores.append((weakref.ref(self), weakref.ref(self.buyers)))

    path = write_xlsx(
        tmp_path / "two.xlsx",
        [["Company", "Email"], ["One Ltd", "a@one.com"], ["Two Ltd", "b@two.com"]],
    )
    actor = add_user(session, name="lily")
    collecting = gc.isenabled()
    gc.disable()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(import_store.ImportStore, "__init__", keeping)
            report = import_file(session, path, actor=actor, options=ImportOptions())
        assert report.created == 2 and len(stores) == 1
        assert [ref() for ref in stores[0]] == [None, None]
    finally:
        if collecting:
            gc.enable()
