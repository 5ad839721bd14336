"""ColumnCleaner: a chunk cleaned a column at a time gives what each row cleaned gives."""

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from laop.errors import InvalidInput
from laop.services.import_columns import ColumnCleaner
from laop.services.import_rows import RowCleaner
from laop.services.sheet import Column

NOW = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)
USERS = {"sales01": 1, "王芳": 2}

# Per field: plain values (what a large sheet mostly holds), then everything else a
# cell may hold: empty, placeholders, numbers, dates, refused and too long values.
PLAIN: dict[str | None, list] = {
    "company": ["Acme Lighting GmbH", "Star Trading 12 Ltd", "Foo & Co. KG", "株式会社 光", "PT X"],
    "contact": ["Li Wei", "Mr. John Smith", "Hans Weber", "王芳女士"],
    "email": ["li@acme.de", "sales@star12.com", "x@gmail.com", "Foo.Bar@Example.ORG"],
    "phone": ["+86 138 0013 8000", "+49 30 1234567"],
    "whatsapp": ["+86 139 0013 9000"],
    "country": ["CN", "China", "de", "Germany", "中国", "德国"],
    "city": ["Berlin", "Shenzhen"],
    "nature": ["importer", "distributor", "trader"],
    "source": ["rfq", "tm", "website"],
    "strength": ["small", "large"],
    "products": ["LED bulb", "LED bulb, air fryer", "LED 60x60/600x600"],
    "grade": ["A", "b", "C", "D"],
    "owner": ["sales01", "SALES01", "王芳"],
    "notes": ["call back", "met at Canton Fair"],
    "acquired": [datetime(2025, 7, 1, 9, 30), datetime(2026, 3, 1, 0, 0, 1, 250)],
    "last_contact": [datetime(2026, 3, 9, 18), datetime(2025, 10, 26, 2, 30)],
    None: ["kept", "Canton Fair 2025"],
}
ODD: dict[str | None, list] = {
    "company": [" Acme ", "x" * 301, 123.0, "S.A. de C.V.", "GmbH"],
    "contact": ["y" * 201, 5.0, "Dr."],
    "email": ["a@b.com; c@d.org", "a@b.com,A@B.com", "bad@", "no address", 3.0, "x@y.test"],
    "phone": ["8613800138000", 8613800138000.0, "12", "030/1234567", "+1 555 0100 / +1 555 0101"],
    "whatsapp": ["+86 139 0013 9000, +86 139 0013 9001", "abc"],
    "country": ["Narnia", "XX", 49.0, "Deutschland"],
    "city": ["z" * 121, 7.0],
    "nature": ["weird"],
    "source": ["zzz"],
    "strength": ["s" * 201],
    "products": ["p" * 201, "a; a", "LED bulb, " + "q" * 201],
    "grade": ["E", "AA"],
    "owner": ["nobody"],
    "notes": ["-", 5.0, datetime(2026, 1, 2, 3, 4)],
    "acquired": [
        datetime(1960, 1, 1),
        datetime(2030, 1, 1),
        date(2026, 3, 5),
        "2026-03-05",
        "2026/3/5 14:30",
        "bad date",
        45000.0,
        datetime(2026, 3, 1, 12, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30),
        True,
    ],
    "last_contact": [datetime(2026, 3, 11, 6), "2026年3月5日", "31.02.2026", date(1900, 1, 1)],
    None: ["-", 5.0, datetime(2026, 1, 2), True],
}
EMPTY = ["", " ", None, "-", "N/A", "无", "Unknown", "NULL", "—"]


def _prepare(grade, acquired, last_contact):
    # What travels with a row, as the store's preparer gives it (any function of the three).
    return grade, str(acquired), None if last_contact is None else last_contact.isoformat()


def _sheet(rng: random.Random) -> tuple[list[Column], list[list]]:
    """A random mapping (one column per single-valued field) and rows for it."""
    fields: list[str | None] = []
    for name in PLAIN:
        if name is None:
            fields += [None] * rng.randrange(3)
        elif name in ("email", "phone", "whatsapp", "notes", "acquired", "last_contact"):
            fields += [name] * rng.choice([0, 1, 1, 2])
        elif rng.random() < 0.8:
            fields.append(name)
    fields += ["ignore"] * rng.randrange(3)
    rng.shuffle(fields)
    columns = [Column(i, f"H{i}" if i % 4 else "", field) for i, field in enumerate(fields)]
    # Each column is plain throughout, plain with empty cells, or anything at all: the
    # column-wide shortcuts and the cell-by-cell ways both get their turn.
    pools = []
    for field in fields:
        plain = PLAIN.get(field, ["ignored"]) if field != "ignore" else ["ignored", 1.0]
        kind = rng.choice(["plain", "gaps", "any"])
        if kind == "plain":
            pools.append(plain)
        elif kind == "gaps":
            pools.append(plain * 3 + EMPTY[:3])
        else:
            pools.append(plain + ODD.get(field, []) + EMPTY)
    rows = []
    for _ in range(rng.randrange(1, 120)):
        if rng.random() < 0.05:
            rows.append([None] * len(fields))  # blank
            continue
        rows.append([rng.choice(pool) for pool in pools])
    return columns, rows


def _row_by_row(cleaner: RowCleaner, rows: list[list]) -> list:
    found = []
    for cells in rows:
        try:
            found.append(cleaner.clean(cells))
        except InvalidInput as exc:
            found.append(exc)
    return found


def _same(expected: list, got: list) -> None:
    assert len(got) == len(expected)
    for number, (want, have) in enumerate(zip(expected, got, strict=True)):
        if isinstance(want, InvalidInput):
            assert isinstance(have, InvalidInput), number
            assert have.message == want.message, number
        else:
            assert repr(have) == repr(want), number


@pytest.mark.parametrize("seed", range(40))
def test_a_chunk_cleaned_by_columns_is_each_row_cleaned(seed):
    rng = random.Random(seed)
    tz = ZoneInfo(rng.choice(["Asia/Shanghai", "Europe/Berlin", "America/New_York"]))
    columns, rows = _sheet(rng)

    def cleaner() -> RowCleaner:
        return RowCleaner(columns, users=USERS, tz=tz, now=NOW, prepare=_prepare)

    chunked = ColumnCleaner(cleaner())
    got = []
    for start in range(0, len(rows), 37):  # several chunks share the caches
        got += chunked.clean(rows[start : start + 37])
    _same(_row_by_row(cleaner(), rows), got)


def test_the_plain_ways_are_taken():
    # A plain sheet (the kind the shortcuts are for) is cleaned without one row redone,
    # and its dates take the column-wide conversion.
    rng = random.Random(3)
    fields = ["company", "contact", "email", "country", "grade", "products", "acquired"]
    columns = [Column(i, name, name) for i, name in enumerate(fields)]
    rows = [[rng.choice(PLAIN[name]) for name in fields] for _ in range(500)]
    rows[7] = [None, "", " ", "-", "", None, ""]  # blank: no row to redo either
    tz = ZoneInfo("Europe/Berlin")
    chunked = ColumnCleaner(RowCleaner(columns, users=USERS, tz=tz, now=NOW))
    assert chunked.usable
    redone = []
    chunked._one = lambda cells: redone.append(cells)  # type: ignore[method-assign]
    got = chunked.clean(rows)
    assert redone == []
    _same(_row_by_row(RowCleaner(columns, users=USERS, tz=tz, now=NOW), rows), got)
    assert got[7] is None
    assert {row.acquired.tzinfo for row in got if row} == {UTC}
    # Each buyer gets lists of its own, as row by row (the import adds to them).
    for name in ("emails", "phones", "products"):
        assert len({id(getattr(row.data, name)) for row in got if row}) == len(got) - 1


def test_placeholders_are_found_in_any_case():
    # A column whose only placeholders are spelled in capitals.
    columns = [Column(0, "c", "company"), Column(1, "t", "city"), Column(2, "n", "nature")]
    rows = [["Acme", "N/A", "Unknown"], ["Foo", "Berlin", "NULL"], ["Bar", "NONE", "importer"]]
    tz = ZoneInfo("Asia/Shanghai")
    expected = _row_by_row(RowCleaner(columns, users={}, tz=tz, now=NOW), rows)
    _same(expected, ColumnCleaner(RowCleaner(columns, users={}, tz=tz, now=NOW)).clean(rows))
    assert [row.data.city for row in expected] == [None, "Berlin", None]


def test_rows_it_cannot_take_are_cleaned_row_by_row():
    # Two company columns (not settled), and rows narrower than the sheet.
    columns = [Column(0, "a", "company"), Column(1, "b", "company"), Column(2, "c", "email")]
    rows = [["Acme", "Acme GmbH", "a@acme.de"], ["Foo", None, "f@foo.com"], ["", "", ""]]
    tz = ZoneInfo("Asia/Shanghai")
    assert not ColumnCleaner(RowCleaner(columns, users={}, tz=tz, now=NOW)).usable
    expected = _row_by_row(RowCleaner(columns, users={}, tz=tz, now=NOW), rows)
    _same(expected, ColumnCleaner(RowCleaner(columns, users={}, tz=tz, now=NOW)).clean(rows))
    assert expected[2] is None and "Acme GmbH" in expected[0].data.notes
    narrow = [Column(0, "a", "company"), Column(3, "d", "email")]
    rows = [["Acme", None, None, "a@acme.de"], ["Foo"]]
    expected = _row_by_row(RowCleaner(narrow, users={}, tz=tz, now=NOW), rows)
    chunked = ColumnCleaner(RowCleaner(narrow, users={}, tz=tz, now=NOW))
    assert chunked.usable
    _same(expected, chunked.clean(rows))
    assert expected[1].data.emails == [] and expected[1].data.company == "Foo"


def test_dates_across_clock_changes_are_converted_as_one_by_one():
    # Every minute-and-a-bit of a day with a clock change, column-wide and cell by cell.
    tz = ZoneInfo("Europe/Berlin")
    columns = [Column(0, "c", "company"), Column(1, "a", "acquired")]
    start = datetime(2025, 10, 26, 0, 0)
    rows = [["Acme", start + timedelta(seconds=97 * i)] for i in range(1500)]
    expected = _row_by_row(RowCleaner(columns, users={}, tz=tz, now=NOW), rows)
    _same(expected, ColumnCleaner(RowCleaner(columns, users={}, tz=tz, now=NOW)).clean(rows))
    future = [*rows, ["Acme", datetime(2026, 3, 12, 0, 0)]]  # more than a day ahead
    expected = _row_by_row(RowCleaner(columns, users={}, tz=tz, now=NOW), future)
    assert "future" in expected[-1].message
    _same(expected, ColumnCleaner(RowCleaner(columns, users={}, tz=tz, now=NOW)).clean(future))
    rows.append(["Acme", "2025-10-26 02:30"])  # one text date: cell by cell
    expected = _row_by_row(RowCleaner(columns, users={}, tz=tz, now=NOW), rows)
    _same(expected, ColumnCleaner(RowCleaner(columns, users={}, tz=tz, now=NOW)).clean(rows))


@pytest.mark.parametrize("sqlite", [True, False])
def test_dates_prepared_a_column_at_a_time_are_those_of_each_row(sqlite):
    from laop.services.import_dates import Preparer
    from laop.services.import_store import bind_converters

    convert, day = bind_converters("sqlite" if sqlite else "postgresql")
    prepare = Preparer(
        tz=ZoneInfo("Europe/Berlin"),
        intervals={"A": 3, "B": 7, "C": 14, "D": 30},
        convert=convert,
        day=day,
        now=NOW,
        sqlite=sqlite,
    )
    rng = random.Random(11)
    start = datetime(2025, 10, 25, 20, 0, tzinfo=UTC)  # a clock change in Berlin ahead
    elsewhere = ZoneInfo("Asia/Shanghai")

    def moment():
        found = start + timedelta(seconds=rng.randrange(3 * 86400), microseconds=rng.randrange(2))
        return rng.choice([found, found.astimezone(elsewhere), None])

    grades = [rng.choice(["A", "B", "C", "D", "E", "", None]) for _ in range(3000)]
    firsts = [moment() for _ in grades]
    lasts = [moment() for _ in grades]
    expected = list(map(prepare, grades, firsts, lasts))
    assert prepare.many(grades, firsts, lasts) == expected
    assert sum(1 for found in expected if found and found[4]) > 1000  # due days
    # Naive instants (no cleaner gives them; the row-by-row way takes them as UTC).
    firsts[5], lasts[5] = datetime(2025, 10, 26, 2, 30), datetime(2025, 10, 27, 9)
    assert prepare.many(grades, firsts, lasts) == list(map(prepare, grades, firsts, lasts))
