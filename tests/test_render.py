"""The due list on screen: sections, limits, and columns that stay aligned."""

from datetime import UTC, datetime

import pytest
import time_machine
from rich.cells import cell_len

# 2026-10-06 22:00 in Shanghai: every --at below lies in the past.
NOW = datetime(2026, 10, 6, 14, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def narrow(monkeypatch):
    """Screen output 60 cells wide, as on a small terminal."""
    monkeypatch.setenv("COLUMNS", "60")
    from laop import output

    monkeypatch.setattr(output.console, "_console", None)
    yield
    output.console._console = None


def graded(cli, company, grade, *, email):
    out = cli("customer", "add", "--company", company, "--email", email, "--json")
    assert out.exit_code == 0, out.stderr
    cid = str(out.json()["id"])
    assert cli("grade", cid, grade).exit_code == 0
    return cid


def test_sections_limits_and_the_rest_counted(cli):
    for n in range(5):
        graded(cli, f"Buyer {n} Trading", "B", email=f"b{n}@buyer{n}.com")
    waiting = graded(cli, "Waiting Corp", "A", email="w@waiting.com")
    cli("log", waiting, "--direction", "in", "--channel", "tm", "--at", "2026-10-06T09:00")
    out = cli("due", "--all", "--limit", "2")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Awaiting our reply 待回复 (1)"
    assert "Waiting Corp" in lines[3]
    follow = lines.index("Follow up 待跟进 as of 2026-10-06 (5)")
    rows = lines[follow + 3 : follow + 5]
    assert [row.split()[0] for row in rows] == ["1", "2"]  # equal urgency: by id
    assert lines[follow + 5] == "… and 3 more (--limit 0 shows all; --json for scripts)"
    everything = cli("due", "--all", "--limit", "0").stdout
    assert "more (--limit 0" not in everything
    assert all(f"Buyer {n} Trading" in everything for n in range(5))


def test_wide_characters_keep_the_columns_aligned(cli):
    graded(cli, "深圳市福友科技有限公司", "A", email="li@fuyou.cn")
    graded(cli, "Acme GmbH", "A", email="hans@acme.de")
    out = cli("due", "--all")
    lines = out.stdout.splitlines()
    header = next(line for line in lines if line.startswith("ID"))
    rows = [line for line in lines if "深圳" in line or "Acme" in line]
    grade_at = cell_len(header[: header.index("Grade")])
    assert len(rows) == 2
    for row in rows:
        # Each CJK character takes two cells: the grade starts in the same cell.
        assert cell_len(row[: row.index(" A ") + 1]) == grade_at, row


def test_a_narrow_screen_cuts_the_name_not_the_line(cli, narrow):
    graded(
        cli,
        "International Lighting and Electrical Supplies Trading",
        "A",
        email="a@ilest.com",
    )
    out = cli("due", "--all")
    lines = out.stdout.splitlines()
    row = next(line for line in lines if line.startswith("1 "))
    assert row.split()[1].startswith("International") and "…" in row
    assert all(cell_len(line) <= 60 for line in lines), lines


def test_kpis_of_a_large_team_are_split_to_fit_the_screen(cli, narrow):
    names = [f"seller{n:02d}" for n in range(9)]
    for name in names:
        assert cli("user", "add", name).exit_code == 0
    out = cli("--as", names[0], "kpi", "--month", "2026-09")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(cell_len(line) <= 60 for line in lines), lines
    headers = [line.split() for line in lines if line.startswith("KPI ") and "业务考核" not in line]
    assert len(headers) > 1  # several tables
    shown = [name for header in headers for name in header[1:-1]]
    assert sorted(shown) == sorted(names)
    assert all(header[-1] == "team" for header in headers)
    parts = [line for line in lines if "业务考核" in line]
    assert parts[0].strip().endswith(f"(1/{len(parts)})")


def test_colour_and_plain_output_say_the_same(cli, monkeypatch):
    # Piped output skips Rich entirely; a terminal gets colour: the text must agree.
    import re

    from laop import output

    graded(cli, "深圳市福友科技有限公司", "A", email="li@fuyou.cn")
    graded(cli, "Acme GmbH", "B", email="hans@acme.de")
    plain = cli("due", "--all").stdout
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(output.console, "_console", None)
    try:
        coloured = cli("due", "--all").stdout
    finally:
        output.console._console = None
    assert "\x1b[" in coloured and "\x1b[" not in plain
    stripped = re.sub(r"\x1b\[[0-9;]*m", "", coloured)
    assert [line.rstrip() for line in stripped.splitlines()] == plain.splitlines()
