"""A large sheet read in parts gives exactly the rows of the sheet read whole."""

import os
import re
import subprocess
import sys
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from python_calamine import CalamineWorkbook

from laop.services import sheet_parts
from laop.services.sheet import header_key, open_sheet
from laop.services.sheet_parts import SheetParts, read_in_parts


@pytest.fixture(autouse=True)
def small_sheets_split(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Cut sheets of any size, and keep the parts' files where a test can look."""
    monkeypatch.setattr(sheet_parts, "SPLIT_FROM", 0)
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(temporary))
    return temporary


def _cell(row: int, column: int) -> object:
    kind = (row * 7 + column) % 9
    if kind == 0:
        return None
    if kind == 1:
        return f'Buyer {row}-{column} 公司 & <Co> "quoted"'
    if kind == 2:
        return row * 1000 + column
    if kind == 3:
        return row + column / 8
    if kind == 4:
        return datetime(2026, 1 + row % 12, 1 + column % 28, row % 24, column, 5, 250_000)
    if kind == 5:
        return date(2025, 1 + column % 12, 1 + row % 28)
    if kind == 6:
        return row % 2 == 0
    if kind == 7:
        return "  "
    return f"line one\nline two {row}"


def _rows(count: int) -> list[list[object]]:
    rows: list[list[object]] = [["Company", "Contact", "Country", "Acquired", "Notes"]]
    for row in range(2, count + 2):
        cells = [_cell(row, column) for column in range(8)]
        if row < count // 4:
            cells.append(f"only early {row}")  # a column the later parts lack
        if row > count * 3 // 4:
            cells += [None, None, f"only late {row}"]  # and one only they have
        rows.append(cells)
    return rows


def _inline_strings_book(path: Path, count: int) -> None:
    """Like laop's own workbook: write-only, strings inline, rows after blank ones."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Front")
    sheet.append(["not this one"])
    sheet = book.create_sheet("客户 Customers")
    sheet.append([])
    sheet.append(["a title row"])
    for cells in _rows(count):
        sheet.append([None, *cells])  # the first column stays empty
    book.save(path)


def _positioned_book(path: Path, count: int) -> None:
    """Cells from C5 on, the 1904 date system (openpyxl's ordinary workbook)."""
    book = Workbook()
    book.epoch = CALENDAR_MAC_1904
    book.active.title = "Summary"
    book.active["A1"] = "summary"
    sheet = book.create_sheet("Leads")
    for r, cells in enumerate(_rows(count), start=5):
        for c, value in enumerate(cells, start=3):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    book.save(path)


def _shared_strings_book(path: Path, count: int) -> None:
    """As Excel saves: every text in the shared strings, dates formatted as dates."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    book.add_worksheet("Summary").write(0, 0, "summary")
    sheet = book.add_worksheet("Excel")
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, cells in enumerate(_rows(count), start=1):
        for c, value in enumerate(cells, start=1):
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value, when)
            elif isinstance(value, date):
                sheet.write_datetime(r, c, datetime.combine(value, datetime.min.time()), day)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()


def _whole(path: Path, name: str) -> tuple[list[list[object]], tuple[object, ...]]:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(name)
    shape = (sheet.start, sheet.total_height, sheet.height, sheet.width)
    return list(sheet.iter_rows()), shape


@pytest.mark.parametrize(("parts", "block"), [(2, 1 << 20), (3, 1 << 20), (5, 97), (3, 5)])
@pytest.mark.parametrize(
    ("make", "name"),
    [
        (_inline_strings_book, "客户 Customers"),
        (_positioned_book, "Leads"),
        (_shared_strings_book, "Excel"),
    ],
)
def test_the_parts_give_the_rows_of_the_whole_sheet(
    tmp_path: Path, small_sheets_split: Path, monkeypatch, make, name: str, parts: int, block: int
) -> None:
    # Small blocks: tags and the cut's row split between two reads of the stream.
    monkeypatch.setattr(sheet_parts, "BLOCK", block)
    path = tmp_path / "book.xlsx"
    make(path, 1200)
    rows, shape = _whole(path, name)

    read = read_in_parts(path, name, parts=parts)

    assert read is not None and len(read.sheets) == parts
    assert list(read.iter_rows()) == rows
    assert (read.start, read.total_height, read.height, read.width) == shape
    assert len(rows) > 1200 and any(isinstance(c, datetime) for c in rows[-1])
    assert list(small_sheets_split.iterdir()) == []  # the parts' files are gone


def test_an_import_reads_the_same_rows_in_parts(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "book.xlsx"
    _inline_strings_book(path, 900)
    overrides = {header_key("Notes"): "notes"}

    def read(split_from: int) -> list[tuple[int, list[object]]]:
        monkeypatch.setattr(sheet_parts, "SPLIT_FROM", split_from)
        monkeypatch.setattr(sheet_parts, "_processors", lambda: 3)
        sheet = open_sheet(path, sheet="客户 Customers", overrides=overrides)
        return list(sheet.rows)

    parts_used = []
    original = SheetParts.__init__

    def counting(self, sheets):  # type: ignore[no-untyped-def]
        original(self, sheets)
        parts_used.append(len(self.sheets))

    monkeypatch.setattr(SheetParts, "__init__", counting)
    whole = read(1 << 40)
    assert parts_used == []
    in_parts = read(0)
    assert parts_used == [3]
    assert in_parts == whole and len(whole) == 900


def _rewrite_sheet(path: Path, member: str, change) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(path) as book:
        members = {info: book.read(info.filename) for info in book.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for info, data in members.items():
            book.writestr(info, change(data) if info.filename == member else data)


def _sheet_member(path: Path, number: int) -> str:
    with zipfile.ZipFile(path) as book:
        return next(n for n in book.namelist() if n.endswith(f"worksheets/sheet{number}.xml"))


@pytest.mark.parametrize(
    "change",
    [
        # Rows without their numbers: calamine numbers them by place.
        lambda xml: re.sub(rb'<row r="\d+"', b"<row", xml),
        # Elements with a namespace prefix.
        lambda xml: (
            xml.replace(b"<", b"<x:")
            .replace(b"<x:/", b"</x:")
            .replace(b"<x:?xml", b"<?xml")
            .replace(b'xmlns="', b'xmlns:x="')
        ),
    ],
    ids=["unnumbered rows", "prefixed elements"],
)
def test_a_sheet_it_cannot_cut_is_read_whole(tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "book.xlsx"
    _inline_strings_book(path, 300)
    _rewrite_sheet(path, _sheet_member(path, 2), change)
    rows, _shape = _whole(path, "客户 Customers")
    assert len(rows) > 300  # calamine reads the changed sheet

    assert read_in_parts(path, "客户 Customers", parts=2) is None
    sheet = open_sheet(path, sheet="客户 Customers", overrides={})
    assert [cells for _n, cells in sheet.rows][-1] == rows[-1]


def test_small_sheets_and_other_files_are_read_whole(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "book.xlsx"
    _inline_strings_book(path, 300)
    assert read_in_parts(path, "客户 Customers", parts=1) is None
    assert read_in_parts(path, "No such sheet", parts=2) is None
    monkeypatch.setattr(sheet_parts, "SPLIT_FROM", 1 << 40)
    assert read_in_parts(path, "客户 Customers", parts=2) is None
    text = tmp_path / "book.csv"
    text.write_text("Company\nAcme\n")
    assert read_in_parts(text, "book", parts=2) is None


def test_a_cutting_process_that_cannot_start_gives_the_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_sheets_split: Path
) -> None:
    path = tmp_path / "book.xlsx"
    _inline_strings_book(path, 300)
    rows, _shape = _whole(path, "客户 Customers")
    monkeypatch.setattr(sheet_parts.sys, "executable", str(tmp_path / "no-such-python"))

    assert read_in_parts(path, "客户 Customers", parts=2) is None
    sheet = open_sheet(path, sheet="客户 Customers", overrides={})
    assert [cells for _n, cells in sheet.rows][-1] == rows[-1]
    assert list(small_sheets_split.iterdir()) == []


def test_the_cutting_process_says_when_each_part_is_complete(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    _inline_strings_book(path, 600)
    member = _sheet_member(path, 2)
    folder = tmp_path / "parts"
    folder.mkdir()
    command = [sys.executable, "-S", "-c", sheet_parts._CUT_SCRIPT, sheet_parts._root()]
    args = [str(path), member, "3", str(folder), "4096", "xl/workbook.xml"]

    done = subprocess.run([*command, *args], capture_output=True, text=True, check=True)

    assert done.stdout.split("\n") == ["0 0", "1 0", "2 1", ""]
    pieces = []
    for index in range(3):
        with zipfile.ZipFile(folder / f"part{index}.xlsx") as part:
            assert part.namelist() == ["xl/workbook.xml", member]
            pieces.append(part.read(member))
    with zipfile.ZipFile(path) as book:
        whole = book.read(member)
    rows = [re.findall(rb'<row r="(\d+)"', piece) for piece in pieces]
    assert all(rows) and [n for r in rows for n in r] == re.findall(rb'<row r="(\d+)"', whole)
    assert all(piece.endswith(b"</sheetData></worksheet>") for piece in pieces[:-1])
    assert whole.endswith(pieces[-1][pieces[-1].index(b"<row ") :])  # the rest, as it was


def test_the_cutting_process_exits_2_for_a_sheet_it_does_not_cut(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    _inline_strings_book(path, 300)
    member = _sheet_member(path, 2)
    _rewrite_sheet(path, member, lambda xml: re.sub(rb'<row r="\d+"', b"<row", xml))
    command = [sys.executable, "-S", "-c", sheet_parts._CUT_SCRIPT, sheet_parts._root()]
    args = [str(path), member, "2", str(tmp_path), "4096"]

    done = subprocess.run([*command, *args], capture_output=True, text=True)

    assert done.returncode == 2 and done.stdout == ""


def test_the_cutting_process_removes_the_parts_when_nobody_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    _inline_strings_book(path, 300)
    folder = tmp_path / "parts"
    folder.mkdir()
    command = [sys.executable, "-S", "-c", sheet_parts._CUT_SCRIPT, sheet_parts._root()]
    args = [str(path), _sheet_member(path, 2), "2", str(folder), "4096", "xl/workbook.xml"]
    reading, writing = os.pipe()
    os.close(reading)  # the command that started it is gone
    try:
        done = subprocess.run([*command, *args], stdout=writing, stderr=subprocess.PIPE)
    finally:
        os.close(writing)

    assert done.returncode == 3 and done.stderr == b""
    assert not folder.exists()


# A laop import whose cutting process takes a while (as for a large sheet), with the
# temporary folder and the size from which a sheet is cut set by the test.
_SLOW_CUT = """
import sys
from laop.services import sheet_parts
sheet_parts.SPLIT_FROM = 0
sheet_parts._processors = lambda: 2
sheet_parts._CUT_SCRIPT = "import time; time.sleep(60); " + sheet_parts._CUT_SCRIPT
from laop.console import main
main()
"""


def test_a_command_that_fails_before_it_needs_the_sheet_leaves_no_parts(
    tmp_path: Path, small_sheets_split: Path
) -> None:
    path = tmp_path / "book.xlsx"
    _inline_strings_book(path, 300)
    env = {
        **os.environ,
        "TMPDIR": str(small_sheets_split),
        "LAOP_DB": str(tmp_path / "team.db"),
        "NO_COLOR": "1",
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _SLOW_CUT, "import", str(path), "--owner", "nobody"],
        env=env,
        capture_output=True,
        text=True,
    )

    assert done.returncode != 0 and "No user named 'nobody'" in done.stderr
    assert "Traceback" not in done.stderr
    assert time.monotonic() - started < 30  # it did not wait for the cutting process
    assert list(small_sheets_split.iterdir()) == []
