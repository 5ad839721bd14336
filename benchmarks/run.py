"""Benchmark laop's hot commands against floors measured in the same run.

Usage (after the README's install command):

    python benchmarks/run.py                 # 100,000 buyers, 1,000,000 messages
    python benchmarks/run.py --customers 5000 --messages 50000 --runs 3   # a quick look

It builds (or reuses) a synthetic database with `laop demo --customers …`, runs every
command several times, and prints the median wall time beside the median of its floor
(a bare Python doing the unavoidable part) and their ratio. Machines are shared and
noisy, so only ratios within one run are compared. Exits 1 when a ratio misses its
target. Standard library only, plus laop itself (and openpyxl / python-calamine, which
laop installs, for the floors of the file measurements).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
LAOP = [PYTHON, "-m", "laop"]


@dataclass
class Result:
    name: str
    seconds: float
    floor: float
    target: float
    peak_mb: float | None = None
    memory_limit_mb: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.seconds / self.floor

    @property
    def ok(self) -> bool:
        within = self.ratio <= self.target
        if self.memory_limit_mb is not None and self.peak_mb is not None:
            within = within and self.peak_mb <= self.memory_limit_mb
        return within


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one run; fails loudly."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(command)}\n{stderr}")
    return elapsed, usage.ru_maxrss / 1024


def paired(
    command: list[str], floor: list[str], env: dict[str, str], runs: int, *, warm_up: bool = True
) -> tuple[float, float, float]:
    """Median seconds of ``command`` and of ``floor``, run in turn, and peak MB.

    Alternating the two (after one unmeasured warm-up of each, unless they are long
    enough not to need one) exposes both to the same moments of a shared machine's
    load, so their ratio stays meaningful.
    """
    if warm_up:
        run_once(command, env)
        run_once(floor, env)
    times, floors, peaks = [], [], []
    for _ in range(runs):
        seconds, peak = run_once(command, env)
        times.append(seconds)
        peaks.append(peak)
        floors.append(run_once(floor, env)[0])
    return statistics.median(times), statistics.median(floors), max(peaks)


def build_database(path: Path, *, customers: int, messages: int, users: int) -> None:
    marker = path.with_suffix(".json")
    size = {"customers": customers, "messages": messages, "users": users}
    wanted = {**size, "schema": schema_head()}
    built = json.loads(marker.read_text()) if path.exists() and marker.exists() else None
    if built == wanted:
        print(f"reusing {path}")
        return
    if built is not None and {key: built.get(key) for key in size} == size:
        # Same data, older schema: upgrade it as a user would, rather than build again.
        print(f"upgrading {path} from schema {built.get('schema')} …")
        subprocess.run([*LAOP, "--db", str(path), "init"], check=True, stdout=subprocess.DEVNULL)
        marker.write_text(json.dumps(wanted))
        return
    for stale in path.parent.glob(path.name + "*"):
        stale.unlink()
    print(f"building {path}: {customers:,} buyers, {messages:,} messages, {users} salespeople …")
    started = time.perf_counter()
    subprocess.run(
        [
            *LAOP,
            "demo",
            "--customers",
            str(customers),
            "--messages",
            str(messages),
            "--users",
            str(users),
            "--db",
            str(path),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"built in {time.perf_counter() - started:.0f} s")
    marker.write_text(json.dumps(wanted))


def compile_laop() -> None:
    """Byte-compile laop's modules, as installing it from a wheel or sdist does.

    An editable install (the test set-up) leaves them as source, and where
    PYTHONDONTWRITEBYTECODE is set every run would compile them again: tens of
    milliseconds that no installed copy pays, and no floor either.
    """
    import compileall

    import laop

    compileall.compile_dir(Path(laop.__file__).parent, quiet=1)


def schema_head() -> str:
    from laop.db import SCHEMA_HEAD

    return SCHEMA_HEAD


def previous_month() -> str:
    today = date.today()
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year:04d}-{month:02d}"


# The floor of the workbook: the same customer rows and the month's follow-ups,
# straight from SQLite into an openpyxl write-only workbook, nothing else.
BARE_WORKBOOK = """
import sqlite3, sys
from openpyxl import Workbook
db, out, start, end = sys.argv[1:5]
book = Workbook(write_only=True)
conn = sqlite3.connect(db)
sheet = book.create_sheet("Customers")
columns = ("id, company, contact, country, city, region, nature, strength, source, grade, "
           "owner_id, acquired_at, last_contact_at, due_on, awaiting_since, notes")
sheet.append(columns.split(", "))
for row in conn.execute(f"SELECT {columns} FROM customer ORDER BY id"):
    sheet.append(row)
sheet = book.create_sheet("Follow-ups")
for row in conn.execute(
    "SELECT m.at, m.customer_id, c.company, m.direction, m.channel, m.kind, m.auto, m.user_id, "
    "m.note FROM message m JOIN customer c ON c.id = m.customer_id "
    "WHERE m.at >= ? AND m.at < ? ORDER BY m.at, m.id", (start, end)
):
    sheet.append(row)
book.save(out)
"""


def month_bounds_utc(month: str) -> tuple[str, str]:
    """A business month (Asia/Shanghai, the default zone) as stored UTC text bounds."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    year, number = (int(part) for part in month.split("-"))
    zone = ZoneInfo("Asia/Shanghai")
    first = datetime(year, number, 1, tzinfo=zone)
    following = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=zone)
    return tuple(  # type: ignore[return-value]
        moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") for moment in (first, following)
    )


BARE_READ = """
import sys
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(sys.argv[1])
rows = 0
for name in book.sheet_names[:1]:
    for _row in book.get_sheet_by_name(name).iter_rows():
        rows += 1
print(rows)
"""


def imports_sqlalchemy(env: dict[str, str]) -> bool:
    result = subprocess.run(
        [PYTHON, "-X", "importtime", "-m", "laop", "--help"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return any(line.rstrip().endswith("sqlalchemy") for line in result.stderr.splitlines())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, default=HERE / ".cache" / "bench.db")
    parser.add_argument("--skip-files", action="store_true", help="Skip workbook and import.")
    args = parser.parse_args()
    args.db.parent.mkdir(parents=True, exist_ok=True)
    compile_laop()
    build_database(args.db, customers=args.customers, messages=args.messages, users=args.users)
    env = {**os.environ, "LAOP_DB": str(args.db), "LAOP_USER": "manager", "NO_COLOR": "1"}
    env.pop("COLUMNS", None)
    month = previous_month()
    floor_db = [PYTHON, "-c", "import sqlmodel, typer"]
    results = []
    for name, command, target in [
        ("laop due today --owner sales01", [*LAOP, "due", "today", "--owner", "sales01"], 1.3),
        ("laop digest --all --format json", [*LAOP, "digest", "--all", "--format", "json"], 2.0),
        (f"laop kpi --month {month}", [*LAOP, "kpi", "--month", month], 2.0),
    ]:
        seconds, floor, peak = paired(command, floor_db, env, args.runs)
        results.append(Result(name, seconds, floor, target, peak))
    seconds, floor_typer, peak = paired(
        [*LAOP, "--help"], [PYTHON, "-c", "import typer"], env, args.runs
    )
    heavy = imports_sqlalchemy(env)
    results.append(
        Result(
            "laop --help",
            seconds,
            floor_typer,
            1.5 if not heavy else 0.0,
            peak,
            note="imports SQLAlchemy!" if heavy else "no SQLAlchemy import",
        )
    )
    if not args.skip_files:
        with tempfile.TemporaryDirectory(prefix="laop-bench-") as folder:
            book = Path(folder) / "book.xlsx"
            bare = Path(folder) / "bare.xlsx"
            runs = max(1, args.runs // 2)
            start, end = month_bounds_utc(month)
            seconds, floor, peak = paired(
                [*LAOP, "kpi", "--month", month, "--xlsx", str(book)],
                [PYTHON, "-c", BARE_WORKBOOK, str(args.db), str(bare), start, end],
                env,
                runs,
                warm_up=False,
            )
            results.append(
                Result(
                    f"workbook of {args.customers:,} buyers",
                    seconds,
                    floor,
                    2.0,
                    peak,
                    memory_limit_mb=400,
                )
            )
            # An import takes seconds, not a minute: as many runs as the commands get,
            # for a steadier median on a shared machine.
            results.extend(import_measurement(book, env, args.runs))
    print_table(results, args)
    return 0 if all(r.ok for r in results) else 1


def import_measurement(book: Path, env: dict[str, str], runs: int) -> list[Result]:
    """Re-import the workbook's Customers sheet into an empty database."""
    check = subprocess.run([*LAOP, "import", "--help"], env=env, capture_output=True)
    if check.returncode != 0:
        print("laop import is not available; skipping the import measurement")
        return []
    bare_read = [PYTHON, "-c", BARE_READ, str(book)]
    times, floors, peaks = [], [], []
    for _ in range(runs):
        floors.append(run_once(bare_read, env)[0])
        with tempfile.TemporaryDirectory(prefix="laop-import-") as folder:
            fresh = {**env, "LAOP_DB": str(Path(folder) / "fresh.db")}
            fresh.pop("LAOP_USER")  # a fresh one-person database
            subprocess.run([*LAOP, "init"], env=fresh, check=True, capture_output=True)
            seconds, peak = run_once(
                # The fresh database has none of the sheet's salespeople: ignore them.
                [
                    *LAOP,
                    "import",
                    str(book),
                    "--sheet",
                    "客户信息 Customers",
                    "--map",
                    "业务员 / Owner=ignore",
                ],
                fresh,
            )
            times.append(seconds)
            peaks.append(peak)
    return [
        Result(
            "import of the Customers sheet",
            statistics.median(times),
            statistics.median(floors),
            3.0,
            max(peaks),
        )
    ]


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    print()
    print(
        f"{args.customers:,} buyers, {args.messages:,} messages, median of {args.runs} runs; "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}"
    )
    print()
    print("| measurement | median (s) | floor (s) | ratio | target | peak MB | ok |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        peak = f"{r.peak_mb:.0f}" if r.peak_mb is not None else ""
        limit = f" (≤ {r.memory_limit_mb:.0f})" if r.memory_limit_mb else ""
        note = f" {r.note}" if r.note else ""
        print(
            f"| {r.name} | {r.seconds:.2f} | {r.floor:.2f} | {r.ratio:.2f} | ≤ {r.target:g} | "
            f"{peak}{limit} | {'yes' if r.ok else 'NO'}{note} |"
        )


if __name__ == "__main__":
    sys.exit(main())
