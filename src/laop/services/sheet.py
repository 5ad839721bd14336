"""Read customer sheets (xlsx, csv) and recognise their header row.

A sheet is read as rows of cells, streamed: python-calamine for workbooks (it hands
out one row at a time from its own compact store), the csv module for text files.
Row numbers are the sheet's own (1-based, title and header rows included), so an
error report points at the row a person sees in Excel.

Text files come in UTF-8, UTF-8 with a BOM, UTF-16 (Excel's "Unicode text") or
GB18030/GBK (what Chinese Excel saves as "CSV"); the encoding is detected by decoding
the whole file strictly as UTF-8 first, then GB18030. The delimiter (comma, semicolon
or tab) is the one that gives the most rows of the most common width.

Headers are compared after folding case, width, spaces and punctuation, in Chinese
and English with their usual synonyms (HEADER_SYNONYMS), and laop's own workbook
headers ("公司 / Company") are understood part by part.
"""

import codecs
import csv
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from laop.errors import InvalidInput, NotFound

__all__ = [
    "FIELDS",
    "HEADER_SYNONYMS",
    "Column",
    "Sheet",
    "SheetRead",
    "cell_text",
    "column_letter",
    "find_header",
    "header_key",
    "open_sheet",
    "read_ahead",
    "recognise_header",
    "sheet_read",
]

# Where a sheet column can go; "ignore" drops a column on purpose.
FIELDS = (
    "company",
    "contact",
    "email",
    "phone",
    "whatsapp",
    "country",
    "city",
    "nature",
    "source",
    "strength",
    "products",
    "grade",
    "owner",
    "notes",
    "acquired",
    "last_contact",
    "ignore",
)
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
HEADER_SEARCH_ROWS = 15
MIN_HEADER_FIELDS = 2


def _synonyms(text: str) -> dict[str, tuple[str, ...]]:
    """Parse lines of ``field: word word …`` (a long vocabulary reads better as a table)."""
    table: dict[str, tuple[str, ...]] = {}
    for line in text.strip().splitlines():
        name, _, words = line.partition(":")
        table[name.strip()] = table.get(name.strip(), ()) + tuple(words.split())
    return table


# Synonyms as people write them; compared after header_key() folding, so case,
# spaces and punctuation do not matter ("E-mail" = "email", "国家/地区" = "国家地区").
# The "ignore" words are row numbers and what laop's own workbook derives again.
HEADER_SYNONYMS = _synonyms(
    """
    company: 公司 公司名 公司名称 客户公司 客户公司名称 客户名称 企业名称 企业 单位名称 单位
    company: 买家公司 公司全称 company companyname customer customername customercompany
    company: buyer buyercompany client clientname accountname organization organisation firm
    contact: 客户名 联系人 联系人姓名 联系人名称 姓名 名字 客户姓名 买家姓名 买家名 contact
    contact: contactname contactperson name fullname person buyername attn attention
    email: 邮箱 邮件 电子邮件 电子邮箱 邮箱地址 邮件地址 email emails emailaddress mail
    email: mailaddress emailid
    phone: 电话 手机 手机号 手机号码 电话号码 联系电话 联系方式 座机 固话 tel telephone
    phone: telephonenumber phone phones phonenumber mobile mobilephone mobilenumber cell
    phone: cellphone telmobile
    whatsapp: whatsapp whatsappnumber whatsappno wa whatsapp号 whatsapp号码
    country: 国家 国家地区 国别 所在国家 所在国 country countryregion nation
    city: 城市 所在城市 city town
    nature: 客户类型 性质 客户性质 公司性质 企业性质 买家类型 公司类型 类型 nature type
    nature: customertype buyertype businesstype companytype
    source: 来源 客户来源 来源渠道 获客渠道 客户渠道 source customersource leadsource origin
    strength: 实力 客户实力 规模 公司规模 企业规模 strength size companysize scale
    products: 兴趣产品 产品 意向产品 感兴趣产品 询盘产品 采购产品 需求产品 products product
    products: productsofinterest interestedproducts interestedin productinterest interest
    grade: 客户等级 等级 级别 客户级别 星级 客户星级 客户分级 分级 grade level rating rank
    grade: customergrade customerlevel
    owner: 业务员 负责人 跟进人 跟进业务员 所属业务员 业务 销售 销售员 归属人 owner
    owner: salesperson sales salesman saleswoman salesrep rep accountmanager assignedto
    notes: 备注 备注信息 说明 跟进记录 跟进情况 notes note remark remarks comment comments memo
    acquired: 获得客户时间 获客时间 获客日期 首次联系 首次联系时间 首次联系日期 首次询盘时间
    acquired: 首次询盘日期 询盘时间 询盘日期 firstcontact firstcontactdate firstcontacted
    acquired: acquired acquiredat acquiredon acquisitiondate dateacquired inquirydate
    acquired: firstinquiry firstinquirydate customersince
    last_contact: 最近跟进日期 最近跟进 最近跟进时间 最后跟进 最后跟进时间 最后跟进日期
    last_contact: 上次跟进 最近联系 最近联系时间 最后联系时间 lastfollowup lastfollowupdate
    last_contact: lastfollowupon lastcontact lastcontactdate lastcontacted
    ignore: id 序号 编号 no nr 国家名countryname 区域region 下次跟进nextdue
    ignore: 待回复awaitingsince 订单数orders
    """
)
# A header is also understood behind a qualifier ("客户国家", "Buyer Country").
_QUALIFIERS = ("客户", "买家", "customer", "buyer", "client")
_PARTS = re.compile(r"[/|\\()（）\[\]【】:：\n,，]+")


def header_key(text: str) -> str:
    """Fold a header for comparison: width, case, spaces and punctuation removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


_FIELD_BY_KEY: dict[str, str] = {
    header_key(word): name for name, words in HEADER_SYNONYMS.items() for word in words
}


def _known(key: str) -> str | None:
    if key in _FIELD_BY_KEY:
        return _FIELD_BY_KEY[key]
    for qualifier in _QUALIFIERS:
        rest = key.removeprefix(qualifier)
        if rest != key and rest in _FIELD_BY_KEY:
            return _FIELD_BY_KEY[rest]
    if key.isascii() and key.endswith("s") and key[:-1] in _FIELD_BY_KEY:
        return _FIELD_BY_KEY[key[:-1]]
    return None


def recognise_header(text: str) -> str | None:
    """The field a header names, or None when it names none of FIELDS.

    The whole header is tried first, then each part of a bilingual or annotated one
    ("公司 / Company", "邮箱(必填)"), first part first.
    """
    found = _known(header_key(text))
    if found:
        return found
    for part in _PARTS.split(text):
        found = _known(header_key(part))
        if found:
            return found
    return None


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(value: Any) -> str:
    """A cell as text: integral numbers without ".0", dates in ISO form, stripped."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes" if value.second == 0 else "seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value).strip()


@dataclass(frozen=True)
class Column:
    """One column of the sheet: its header as written and where it goes."""

    index: int
    header: str
    field: str | None  # None: kept in the notes as "Header: value"

    @property
    def label(self) -> str:
        return self.header or f"Column {column_letter(self.index)}"


@dataclass
class Sheet:
    """An opened sheet: its header and an iterator over the data rows after it."""

    name: str
    header_row: int
    columns: list[Column]
    rows: Iterator[tuple[int, list[Any]]]  # (sheet row number, cells)
    total_rows: int  # an estimate for progress bars
    headers: list[str] = field(default_factory=list)
    in_memory: bool = False  # the rows are held in memory (a workbook), not read from a file


def find_header(
    rows: list[tuple[int, list[Any]]], overrides: dict[str, str]
) -> tuple[int, list[Column]] | None:
    """The first row mapping at least two fields, and its columns; None if none does."""
    for position, (_number, cells) in enumerate(rows):
        columns = []
        for index, cell in enumerate(cells):
            header = cell_text(cell)
            mapped = overrides.get(header_key(header)) if header else None
            columns.append(Column(index, header, mapped or recognise_header(header)))
        fields = {c.field for c in columns if c.field and c.field != "ignore"}
        if len(fields) >= MIN_HEADER_FIELDS:
            return position, columns
    return None


class SheetRead:
    """A workbook's sheet read by a thread of its own, while the caller does other work.

    calamine reads a whole sheet at once (the longest step of importing a workbook;
    a large one in parts side by side, sheet_parts) and releases the GIL meanwhile,
    so an import starts the read first and loads the stored buyers, or even its own
    modules, while it goes on; open_sheet then takes the sheet, or raises what
    reading it raised. A text file is not read ahead.
    """

    def __init__(self, path: Path, *, sheet: str | None) -> None:
        self.path = path
        self.sheet = sheet
        self._loaded: tuple[str, Any] | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if path.suffix.lower() in WORKBOOK_SUFFIXES and path.is_file():
            # A daemon: a command that fails before it needs the sheet need not wait.
            self._thread = threading.Thread(target=self._read, name="laop-sheet-read", daemon=True)
            self._thread.start()

    def _read(self) -> None:
        try:
            self._loaded = _load_sheet(self.path, self.sheet)
        except BaseException as exc:  # raised again in the thread that takes the sheet
            self._error = exc

    def loaded(self) -> tuple[str, Any] | None:
        """The sheet's name and calamine data; None when nothing was read ahead."""
        if self._thread is not None:
            self._thread.join()  # gone, not just done: an import may fork next
        if self._error is not None:
            raise self._error.with_traceback(None)
        return self._loaded

    def release(self) -> None:
        """Let go of the sheet read ahead, once its rows are no longer needed."""
        self._loaded = None


_ahead: SheetRead | None = None  # started by read_ahead, for the import to come


def read_ahead(path: Path, *, sheet: str | None) -> None:
    """Start reading ``path``'s sheet before the import that needs it is loaded.

    The console script calls this for `laop import` before it loads Typer and the
    database stack; sheet_read hands the read to the import.
    """
    global _ahead
    _ahead = SheetRead(path, sheet=sheet)


def sheet_read(path: Path, *, sheet: str | None) -> SheetRead:
    """The read read_ahead started for this file and sheet, else one started now."""
    global _ahead
    ahead, _ahead = _ahead, None
    if ahead is not None and (ahead.path, ahead.sheet) == (path, sheet):
        return ahead
    return SheetRead(path, sheet=sheet)


def open_sheet(
    path: Path,
    *,
    sheet: str | None,
    overrides: dict[str, str],
    read: SheetRead | None = None,
) -> Sheet:
    """Open ``path``, find its header row, and return the sheet ready to stream.

    ``overrides`` maps header_key(header) to a field (from --map); ``read``, the same
    file and sheet read ahead (SheetRead). Raises NotFound for a missing file and
    InvalidInput for an unreadable one or one without a header.
    """
    if not path.is_file():
        raise NotFound(f"No file {str(path)!r}.")
    suffix = path.suffix.lower()
    if suffix in WORKBOOK_SUFFIXES:
        ahead = (
            read.loaded() if read is not None and (read.path, read.sheet) == (path, sheet) else None
        )
        name, rows, total = _workbook_rows(path, sheet, ahead)
    elif suffix in TEXT_SUFFIXES:
        if sheet:
            raise InvalidInput(f"--sheet applies to workbooks; {path.name} is a text file.")
        name, rows, total = _text_rows(path)
    else:
        raise InvalidInput(
            f"Cannot import {path.name!r}: use an .xlsx workbook or a .csv file "
            "(also .xlsm, .xls, .ods, .tsv, .txt)."
        )
    head: list[tuple[int, list[Any]]] = []
    for row in rows:
        head.append(row)
        if len(head) >= HEADER_SEARCH_ROWS:
            break
    found = find_header(head, overrides)
    if found is None:
        raise InvalidInput(
            f"No header row in the first {HEADER_SEARCH_ROWS} rows of {path.name}: expected "
            "columns such as 公司名称/Company, 联系人/Contact, 邮箱/E-mail, 电话/Phone, "
            "国家/Country (or name them with --map 'Header=field')."
        )
    position, columns = found
    rest = head[position + 1 :]

    def data() -> Iterator[tuple[int, list[Any]]]:
        yield from rest
        yield from rows

    return Sheet(
        name=name,
        header_row=head[position][0],
        columns=columns,
        rows=data(),
        total_rows=max(total - head[position][0], 0),
        headers=[c.label for c in columns],
        in_memory=suffix in WORKBOOK_SUFFIXES,
    )


def _load_sheet(path: Path, wanted: str | None) -> tuple[str, Any]:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        names = book.sheet_names
        if wanted is None:
            chosen = names[0]
        else:
            by_key = {header_key(n): n for n in names}
            chosen = wanted if wanted in names else by_key.get(header_key(wanted), "")
            if not chosen:
                listed = ", ".join(repr(n) for n in names)
                raise InvalidInput(f"No sheet {wanted!r} in {path.name}; sheets: {listed}.")
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from laop.services.sheet_parts import read_in_parts

            parts = read_in_parts(path, chosen)  # a large sheet, on several processors
            if parts is not None:
                return chosen, parts
        return chosen, book.get_sheet_by_name(chosen)
    except (CalamineError, OSError, ValueError) as exc:
        raise InvalidInput(f"Cannot read {path.name} as a workbook: {exc}.") from None


def _workbook_rows(
    path: Path, wanted: str | None, loaded: tuple[str, Any] | None
) -> tuple[str, Iterator[Any], int]:
    from python_calamine import CalamineError

    chosen, data = loaded or _load_sheet(path, wanted)
    try:
        rows = data.iter_rows()
    except (CalamineError, OSError, ValueError) as exc:
        raise InvalidInput(f"Cannot read {path.name} as a workbook: {exc}.") from None
    # calamine counts rows from the top of the sheet and columns from the first used one.
    start = getattr(data, "start", None)
    offset = start[1] if start else 0
    total = getattr(data, "total_height", data.height)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        for number, cells in enumerate(rows, start=1):
            yield number, ([""] * offset + cells) if offset else cells

    return chosen, numbered(), total + 1


def _encoding(path: Path) -> str:
    with path.open("rb") as handle:
        start = handle.read(4)
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise InvalidInput(
        f"Cannot read {path.name}: it is neither UTF-8 nor GB18030/GBK text; "
        "save it again as CSV UTF-8 or as .xlsx."
    )


def _delimiter(sample: str) -> str:
    best, best_score = ",", 0
    lines = sample.splitlines()[:50]
    for delimiter in (",", ";", "\t"):
        widths = Counter(len(r) for r in csv.reader(lines, delimiter=delimiter) if len(r) > 1)
        if widths:
            width, count = max(widths.items(), key=lambda item: (item[1] * item[0], item[0]))
            if width * count > best_score:
                best, best_score = delimiter, width * count
    return best


def _text_rows(path: Path) -> tuple[str, Iterator[Any], int]:
    encoding = _encoding(path)
    with path.open("r", encoding=encoding, newline="") as handle:
        delimiter = _delimiter(handle.read(1 << 16))
    with path.open("rb") as raw:
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: raw.read(1 << 20), b""))

    def records() -> Iterator[tuple[int, list[Any]]]:
        with path.open("r", encoding=encoding, newline="") as handle:
            try:
                yield from enumerate(csv.reader(handle, delimiter=delimiter), start=1)
            except csv.Error as exc:
                raise InvalidInput(f"Cannot read {path.name}: {exc}.") from None

    return path.name, records(), lines + 1
