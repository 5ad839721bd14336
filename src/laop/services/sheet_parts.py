"""Read a large sheet of an .xlsx workbook in parts, on several processors at once.

calamine parses a sheet's XML on one processor, and an import waits for all of it
before it cleans the first row (about 2 s for 100,000 rows of laop's own workbook).
Here the sheet's XML is inflated once, as a stream, and cut at row boundaries into a
part per processor (at most MAX_PARTS); each part is written out as a small stored
workbook with only what calamine reads besides the sheet (the workbook and its
relationships, the styles that tell dates from numbers, the shared strings), and is
parsed in a thread of its own as soon as it is written: calamine releases the GIL, so
the parts are parsed side by side. SheetParts hands their rows out as calamine hands
out those of the whole sheet: counted from the top of the sheet, from the first used
column, every row as wide as the widest part.

Whatever this does not expect (a namespace prefix on the sheet's elements, rows
without their numbers, parts whose rows overlap, a full disk, a part calamine refuses)
makes read_in_parts give None, and the sheet is read whole as before.
"""

import atexit
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

__all__ = ["MAX_PARTS", "SPLIT_FROM", "SheetParts", "cut_main", "read_in_parts"]

SPLIT_FROM = 16 * 1024 * 1024  # bytes of sheet XML (~15,000 rows); a smaller one is read whole
MAX_PARTS = 4
BLOCK = 1 << 20  # bytes inflated at a time
HEAD_LIMIT = 8 * 1024 * 1024  # the sheet's elements before its rows (columns, views …)

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
# What calamine reads of a workbook besides the sheet: the parts the workbook's
# relationships name with these types (the styles tell dates from numbers).
_NEEDED_TYPES = ("/styles", "/sharedStrings")
_WORKBOOK = "xl/workbook.xml"
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_ROWS_START = b"<sheetData>"
_ROW = b"<row"
_AFTER_NAME = frozenset((b" ", b"\t", b"\n", b"\r", b">", b"/"))
_NUMBERED = re.compile(rb'\sr=["\']')
_CLOSE = b"</sheetData></worksheet>"


class _Unsplittable(Exception):
    """The sheet is not one this module cuts; it is read whole."""


class SheetParts:
    """Calamine sheets of consecutive rows, read as one (what _workbook_rows uses)."""

    def __init__(self, sheets: list[Any]) -> None:
        self.sheets = [s for s in sheets if s.height and s.start is not None]
        if not self.sheets or not all(hasattr(s, "total_height") for s in self.sheets):
            raise _Unsplittable  # nothing read, or a calamine too old to say where
        after = 0
        for sheet in self.sheets:
            if sheet.start[0] < after:
                raise _Unsplittable  # rows out of order: parts would overlap
            if after and any(next(iter(sheet.iter_rows()))):
                raise _Unsplittable  # a calamine that does not count rows from the top
            after = sheet.total_height + 1
        self.start = (self.sheets[0].start[0], min(s.start[1] for s in self.sheets))
        self.total_height = self.sheets[-1].total_height
        self.height = self.total_height + 1 - self.start[0]
        self._end = max(s.start[1] + s.width for s in self.sheets)
        self.width = self._end - self.start[1]

    def iter_rows(self) -> Iterator[list[Any]]:
        """Every row from the top of the sheet, as calamine's iter_rows gives them."""
        done = 0
        for sheet in self.sheets:
            # calamine gives a part's rows from the top of the sheet too: the ones
            # before it are empty, and the parts before gave them already.
            rows = islice(sheet.iter_rows(), done, None)
            before = sheet.start[1] - self.start[1]
            after = self._end - sheet.start[1] - sheet.width
            if before or after:
                left, right = [""] * before, [""] * after
                rows = (left + row + right for row in rows)
            yield from rows
            done = sheet.total_height + 1


def read_in_parts(path: Path, name: str, *, parts: int | None = None) -> SheetParts | None:
    """Sheet ``name`` of ``path`` read in parts; None when it is read better whole.

    ``parts``: how many (default: one per processor this process may use, at most
    MAX_PARTS); a sheet of less than SPLIT_FROM bytes of XML is not cut.
    """
    count = min(parts or _processors(), MAX_PARTS if parts is None else parts)
    if count < 2:
        return None
    from python_calamine import CalamineError

    try:
        with zipfile.ZipFile(path) as book:
            member, needed = _members(book, name)
            size = book.getinfo(member).file_size
        if size < SPLIT_FROM or shutil.disk_usage(tempfile.gettempdir()).free < 2 * size:
            return None  # small enough, or its parts' files would fill the disk
        cutting = _Cutting(Path(tempfile.mkdtemp(prefix="laop-sheet-")))
        # A command that fails before it needs the sheet exits while this (a daemon
        # thread's) work goes on: the parts would stay behind, as big as the sheet.
        atexit.register(cutting.discard)
        try:
            return SheetParts(_read(path, member, needed, name, count, cutting))
        finally:
            cutting.discard()
            atexit.unregister(cutting.discard)
    except (_Unsplittable, CalamineError, ElementTree.ParseError, zipfile.BadZipFile):
        return None
    except (OSError, KeyError, ValueError):  # unreadable, a member missing, a bad number
        return None


def _processors() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _members(book: zipfile.ZipFile, name: str) -> tuple[str, list[str]]:
    """The member holding sheet ``name``, and the members calamine needs besides."""
    workbook = ElementTree.fromstring(book.read(_WORKBOOK))
    ids = [
        sheet.get(_REL_ID) for sheet in workbook.iter(f"{_MAIN}sheet") if sheet.get("name") == name
    ]
    if len(ids) != 1:
        raise _Unsplittable
    targets = {}
    needed = ["[Content_Types].xml", "_rels/.rels", _WORKBOOK, _WORKBOOK_RELS]
    for relation in ElementTree.fromstring(book.read(_WORKBOOK_RELS)).iter(_RELATIONSHIP):
        target = relation.get("Target", "")
        target = target[1:] if target.startswith("/") else posixpath.join("xl", target)
        targets[relation.get("Id")] = posixpath.normpath(target)
        if relation.get("Type", "").endswith(_NEEDED_TYPES):
            needed.append(posixpath.normpath(target))
    member = targets.get(ids[0])
    if member is None:
        raise _Unsplittable
    return member, [n for n in needed if n in book.NameToInfo]


class _Cutting:
    """The parts' folder and the process writing them, removed and stopped by discard."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def discard(self) -> None:
        """Stop the cutting process if it still runs, and remove the parts' folder."""
        process = self.process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _read(
    path: Path, member: str, needed: list[str], name: str, count: int, cutting: _Cutting
) -> list[Any]:
    """Cut the sheet into ``count`` parts and parse each as soon as it is written.

    The cutting runs in a process of its own: in a thread, its many short steps would
    wait for the interpreter lock while the console script loads its modules (which
    hold it nearly all the time), and the first part would come only once they are
    loaded. The process says on its output when each part's file is complete.
    """
    from python_calamine import CalamineWorkbook

    sheets: list[Any] = []
    errors: list[BaseException] = []
    threads: list[threading.Thread] = []

    def parse(index: int, file: Path) -> None:
        try:
            sheets[index] = CalamineWorkbook.from_path(str(file)).get_sheet_by_name(name)
        except BaseException as exc:  # raised again in the reading thread
            errors.append(exc)

    command = [
        sys.executable,
        "-S",  # nothing of site-packages but laop, whose folder the script puts first
        "-c",
        _CUT_SCRIPT,
        _root(),
        str(path),
        member,
        str(count),
        str(cutting.folder),
        str(BLOCK),
        *needed,
    ]
    complete = False
    try:
        with subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        ) as cutter:
            cutting.process = cutter
            assert cutter.stdout is not None
            for line in cutter.stdout:
                index, last = map(int, line.split())
                file = cutting.folder / f"part{index}.xlsx"
                sheets.append(None)
                if last:
                    complete = cutter.wait() == 0
                    if complete:
                        parse(index, file)  # the last part: in this thread
                    break
                thread = threading.Thread(target=parse, args=(index, file), daemon=True)
                thread.start()
                threads.append(thread)
    finally:
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    if not complete:
        raise _Unsplittable  # what the cutting process did not expect
    return sheets


def _root() -> str:
    """The folder laop is imported from (src/ in a checkout, else site-packages)."""
    return str(Path(__file__).resolve().parents[2])


_CUT_SCRIPT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from laop.services.sheet_parts import cut_main; sys.exit(cut_main(sys.argv[2:]))"
)


def cut_main(args: list[str]) -> int:
    """The cutting process: write the parts, and say on stdout when each is complete.

    ``args``: the workbook, the sheet's member, the number of parts, the folder for
    them, the inflating block size, then the members every part needs besides. Exits 2
    for a sheet this module does not cut, 1 when the workbook cannot be read, 3 (and
    removes the folder) when nobody reads what it says: the command is gone.
    """
    path, member, count, folder, block, *needed = args
    try:
        with zipfile.ZipFile(path) as book:
            others = {n: book.read(n) for n in needed}
            with book.open(member) as source:
                cutter = _Cutter(source, book.getinfo(member).file_size, int(count), int(block))
                for index in range(int(count)):
                    file = Path(folder) / f"part{index}.xlsx"
                    with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED) as part:
                        for other, data in others.items():
                            part.writestr(other, data)
                        with part.open(member, "w") as out:
                            last = cutter.write_part(out, index)
                    print(index, int(last), flush=True)
                    if last:
                        return 0
    except BrokenPipeError:
        # The command is gone (killed) and left the parts behind: remove them here.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error
        shutil.rmtree(folder, ignore_errors=True)
        return 3
    except _Unsplittable:
        return 2
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return 1
    return 1  # unreachable: the last part says so


class _Cutter:
    """Streams a sheet's XML into parts cut just before a row."""

    def __init__(self, source: Any, size: int, count: int, block: int) -> None:
        self.source = source
        self.size = size
        self.count = count
        self.block = block
        buffer = b""
        while (start := buffer.find(_ROWS_START)) < 0:
            read = source.read(block)
            if not read or len(buffer) > HEAD_LIMIT:
                raise _Unsplittable  # no rows, or elements with a namespace prefix
            buffer += read
        start += len(_ROWS_START)
        self.head = buffer[:start]
        if b"<worksheet" not in self.head:
            raise _Unsplittable
        self.buffer = buffer[start:]
        self.offset = start  # of self.buffer in the sheet's XML

    def write_part(self, out: Any, index: int) -> bool:
        """Write part ``index``; True when it holds the rest of the sheet."""
        out.write(self.head)
        if index < self.count - 1:
            target = self.size * (index + 1) // self.count
            while True:
                at = self._row_at(max(0, target - self.offset))
                if at >= 0:
                    while (end := self.buffer.find(b">", at)) < 0:
                        if not self._more():
                            raise _Unsplittable  # the XML ends inside a tag
                    if not _NUMBERED.search(self.buffer, at, end):
                        raise _Unsplittable  # a row without its number: numbered by place
                    out.write(self.buffer[:at])
                    out.write(_CLOSE)
                    self.offset += at
                    self.buffer = self.buffer[at:]
                    return False
                # No row starts past the cut in what is read: write all but a tail
                # that may hold the start of one, and read on.
                keep = len(_ROW)
                if len(self.buffer) > keep:
                    out.write(self.buffer[:-keep])
                    self.offset += len(self.buffer) - keep
                    self.buffer = self.buffer[-keep:]
                if not self._more():
                    break  # no row after the cut: this part is the last
        out.write(self.buffer)
        self.buffer = b""
        while block := self.source.read(self.block):
            out.write(block)
        return True

    def _row_at(self, start: int) -> int:
        """Where the first row tag at or after ``start`` begins in the buffer, or -1."""
        at = self.buffer.find(_ROW, start)
        while at >= 0:
            after = self.buffer[at + len(_ROW) : at + len(_ROW) + 1]
            if not after:
                return -1  # read on: the rest of the tag's name follows
            if after in _AFTER_NAME:
                return at
            at = self.buffer.find(_ROW, at + len(_ROW))  # <rowBreaks …
        return -1

    def _more(self) -> bool:
        block = self.source.read(self.block)
        self.buffer += block
        return bool(block)
