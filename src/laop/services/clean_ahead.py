"""Clean a workbook's rows in other processes while the import places them.

Cleaning a row (import_rows.RowCleaner) needs nothing from the store, and is about
half of what an import does per row. A large workbook import therefore forks
processes that clean the rows (the parsed workbook comes with the fork: no cell is
sent to them) and send them back a chunk at a time, while this process matches and
writes the chunks before: a small machine's processors all work. Two cleaning
processes take every other chunk: with one, its share of the work decided how long
an import took whenever another program held a processor (100,000 rows on two busy
processors: medians 9.0 s with one, 8.4 s with two, over 12 alternating runs); with
two, the system shares the work out. Every process walks the same rows from the
same place, so chunk n of one is chunk n of the others.

A child only cleans and writes to its pipe, and leaves with os._exit: it never uses
the parent's database connection, threads or buffered output. The children are forked
before the import's writer thread exists.
"""

import marshal
import os
import pickle
import signal
from collections.abc import Iterator
from contextlib import suppress
from itertools import count, islice
from typing import Any

from laop.errors import InvalidInput, LaopError
from laop.services.import_columns import ColumnCleaner
from laop.services.import_rows import (
    ACQUIRED,
    LAST_CONTACT,
    CleanRow,
    Packed,
    RowCleaner,
    micros,
    pack,
)

__all__ = ["FORK_FROM", "Chunk", "CleanAhead", "clean_here"]

FORK_FROM = 20_000  # rows; a smaller sheet is cleaned in the importing process
PIPE_BYTES = 1 << 20  # the default limit of unprivileged pipes on Linux; ~3 chunks
PROCESSES = 2  # cleaning processes, each taking every other chunk
_MARSHALLED, _PICKLED = b"m", b"p"  # how a chunk's bytes were made (_encode)

_INSTANTS = (ACQUIRED, LAST_CONTACT)  # a chunk's columns sent as microseconds
# A chunk: (sheet row number, the row cleaned, its cells) for each row. The row is
# packed (import_rows.pack), or the refusal's message, or None for a blank row; a
# cleaning process sends the cells only with a refusal.
Chunk = list[tuple[int, Packed | str | None, list[Any] | None]]


def clean_here(
    rows: Iterator[tuple[int, list[Any]]], cleaner: RowCleaner, size: int
) -> Iterator[Chunk]:
    """The chunks CleanAhead would give, cleaned in this process."""
    columns = ColumnCleaner(cleaner)
    while chunk := list(islice(rows, size)):
        # Each chunk is read, then cleaned (then placed by the caller), column by
        # column where the sheet allows (see import_columns). Every row keeps its
        # cells: the sheet is not read again for those of a row refused later.
        packed = _pack_chunk(columns, chunk)
        yield [(n, row, cells) for (n, row, _), (_, cells) in zip(packed, chunk, strict=True)]


class CleanAhead:
    """Forked processes cleaning ``rows`` in chunks of ``size``; chunks() gives them.

    The cells of a row come only with a refusal (the rest stay in the child, as
    nothing needs them unless the import refuses the row later: see
    imports._fill_cells).
    """

    def __init__(self, rows: Iterator[tuple[int, list[Any]]], cleaner: RowCleaner, size: int):
        from multiprocessing import Pipe

        processes = PROCESSES
        self.pids: list[int] = []
        self._receiving = []
        for first in range(processes):
            receiving, sending = Pipe(duplex=False)
            _widen(sending.fileno())
            pid = os.fork()
            if pid == 0:  # a child: chunks first, first + processes, …
                status = 1
                try:
                    for earlier in self._receiving:
                        earlier.close()
                    receiving.close()
                    _skip(rows, first * size)
                    columns = ColumnCleaner(cleaner)
                    while chunk := list(islice(rows, size)):
                        sending.send_bytes(_encode(_pack_chunk(columns, chunk)))
                        _skip(rows, (processes - 1) * size)
                    sending.send_bytes(_encode([]))
                    sending.close()
                    status = 0
                finally:
                    os._exit(status)  # nothing of the parent's is flushed or closed
            sending.close()
            self.pids.append(pid)
            self._receiving.append(receiving)

    def chunks(self) -> Iterator[Chunk]:
        """The chunks in the sheet's order, cleaned."""
        for index in count():
            try:
                packed = _decode(self._receiving[index % len(self._receiving)].recv_bytes())
            except (EOFError, OSError):
                raise LaopError(
                    "The process cleaning the rows stopped; nothing was imported."
                ) from None
            if not packed:
                return
            yield packed

    def close(self) -> None:
        """Stop the children still running, and collect them."""
        for receiving in self._receiving:
            receiving.close()
        pids, self.pids = self.pids, []
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)  # done already, unless the import failed
        for pid in pids:
            os.waitpid(pid, 0)


def _encode(chunk: Chunk) -> bytes:
    """A chunk as the bytes a cleaning process sends: marshal's, else pickle's.

    marshal writes and reads the plain values of a cleaned row (str, int, None,
    tuples and lists of them) in about half of pickle's time (100,000 rows: 0.08 s
    against 0.2 s to write, 0.15 s against 0.2 s to read); both ends are the same
    interpreter. Cells sent with a refusal may hold what marshal does not take (a
    calamine datetime), and that chunk is pickled.
    """
    try:
        return _MARSHALLED + marshal.dumps(chunk)
    except ValueError:
        return _PICKLED + pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)


def _decode(data: bytes) -> Chunk:
    """The chunk _encode made ``data`` of."""
    payload = memoryview(data)[1:]
    return marshal.loads(payload) if data[:1] == _MARSHALLED else pickle.loads(payload)


def _skip(rows: Iterator[Any], count: int) -> None:
    if count:
        next(islice(rows, count, count), None)


def _widen(pipe: int) -> None:
    """Let the pipe hold a few chunks (Linux; 64 KiB, a fraction of one, by default).

    The cleaning process then runs a few chunks ahead instead of waiting, in the middle
    of sending each, for this one to take it: on a busy machine each process goes on
    whenever it gets a processor.
    """
    import fcntl

    with suppress(AttributeError, OSError):  # not Linux, or above the system's limit
        fcntl.fcntl(pipe, fcntl.F_SETPIPE_SZ, PIPE_BYTES)  # type: ignore[attr-defined]


def _pack(
    number: int, cells: list[Any], row: CleanRow | InvalidInput | None
) -> tuple[int, Packed | str | None, list[Any] | None]:
    if row is None:
        return number, None, None
    if isinstance(row, InvalidInput):
        return number, row.message, cells
    return number, pack(row), None


def _pack_chunk(columns: ColumnCleaner, chunk: list[tuple[int, list[Any]]]) -> Chunk:
    """_pack of each row of the chunk cleaned, the tuples made from the cleaned columns."""
    found = columns.clean_columns([cells for _number, cells in chunk])
    if found is None:
        rows = columns.clean([cells for _number, cells in chunk])
        return [_pack(number, cells, row) for (number, cells), row in zip(chunk, rows, strict=True)]
    fields, done = found
    for at in _INSTANTS:
        fields[at] = micros(fields[at])
    items = zip(*fields, strict=True)
    packed: list[Any] = [
        (number, item, None) for (number, _cells), item in zip(chunk, items, strict=True)
    ]
    for i, row in done.items():
        number, cells = chunk[i]
        packed[i] = _pack(number, cells, row)
    return packed
