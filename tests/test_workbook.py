"""The statistics workbook, read back by an independent reader (python-calamine)."""

import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime

import pytest
import time_machine
from python_calamine import CalamineWorkbook

from tests.conftest import scalar

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
NASTY = [
    '=HYPERLINK("http://x","y")',
    "+86 138 0000 0000",
    "-2",
    "@SUM(A1)",
    "\tleading tab",
    "=1+1",
]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def ok(out):
    assert out.exit_code == 0, out.stderr
    return out


@pytest.fixture
def filled(cli, db_url):
    ok(cli("user", "add", "lily"))
    ok(cli("user", "add", "boss", "--role", "manager"))
    first = ok(
        cli(
            "--as",
            "boss",
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
            "--country",
            "DE",
            "--nature",
            "importer",
            "--product",
            "LED panel",
            "--owner",
            "lily",
            "--at",
            "2026-11-02T09:00",
            "--json",
        )
    ).json()
    cid = str(first["customer_id"])
    ok(cli("--as", "boss", "grade", cid, "A"))
    ok(
        cli(
            "--as",
            "boss",
            "log",
            cid,
            "--direction",
            "out",
            "--channel",
            "email",
            "--at",
            "2026-11-02T10:00",
            "--note",
            NASTY[0],
        )
    )
    ok(
        cli(
            "--as",
            "boss",
            "order",
            "add",
            cid,
            "--kind",
            "sample",
            "--amount",
            "85",
            "--currency",
            "USD",
            "--at",
            "2026-11-05T10:00",
        )
    )
    for index, text in enumerate(NASTY[1:], start=1):
        ok(
            cli(
                "--as",
                "boss",
                "customer",
                "add",
                "--company",
                f"Buyer {index} Trading",
                "--contact",
                text,
                "--note",
                text,
                "--country",
                "VN",
                "--owner",
                "lily",
                "--new",
            )
        )
    ok(
        cli(
            "--as",
            "boss",
            "customer",
            "add",
            "--company",
            NASTY[0],
            "--note",
            NASTY[5],
            "--owner",
            "lily",
            "--new",
        )
    )
    # Input is trimmed at the boundary, so a leading tab can only come from elsewhere
    # (an older tool writing to the database): the workbook must still keep it text.
    scalar(
        db_url,
        "UPDATE customer SET contact = '\tleading tab', notes = '\tleading tab' "
        "WHERE company = 'Buyer 4 Trading'",
    )
    ok(cli("--as", "boss", "target", "set", "publish", "--month", "2026-11", "100"))
    ok(
        cli(
            "--as", "boss", "activity", "add", "publish", "30", "--by", "lily", "--on", "2026-11-10"
        )
    )
    return cli


def sheets(path):
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def test_workbook_sheets_headers_and_values(filled, tmp_path):
    target = tmp_path / "客户信息统计表.xlsx"
    out = ok(filled("--as", "boss", "kpi", "--month", "2026-11", "--xlsx", str(target), "--json"))
    assert "Wrote" in out.stderr
    data = sheets(target)
    assert list(data) == [
        "客户信息 Customers",
        "跟进记录 Follow-ups",
        "KPI",
        "A级客户 A-list",
        "统计 Statistics",
    ]
    customers = data["客户信息 Customers"]
    assert customers[0][:3] == ["ID", "公司 / Company", "联系人 / Contact"]
    assert len(customers) == 1 + 7
    acme = customers[1]
    header = customers[0]
    row = dict(zip(header, acme, strict=True))
    assert row["公司 / Company"] == "Acme GmbH"
    assert row["邮箱 / E-mails"] == "hans@acme.de"
    assert row["国家 / Country"] == "DE" and row["区域 / Region"] == "Western Europe"
    assert row["等级 / Grade"] == "A"
    assert row["获得客户时间 / Acquired"] == datetime(2026, 11, 2, 9, 0)
    assert row["首次联系 / First contact"] == datetime(2026, 11, 2, 9, 0)
    assert row["下次跟进 / Next due"] == date(2026, 11, 5)
    assert row["订单数 / Orders"] == 1
    # Each row's dates are its own, as dates (one styled cell per column is reused).
    at = header.index("获得客户时间 / Acquired")
    acquired = [r[at] for r in customers[1:]]
    assert all(isinstance(a, datetime) for a in acquired) and len(set(acquired)) > 1
    follow = data["跟进记录 Follow-ups"]
    times = [r[0] for r in follow[1:]]
    assert all(isinstance(t, datetime) for t in times) and times == sorted(times)
    assert len(set(times)) == len(times)
    assert follow[0] == [
        "时间 / When",
        "客户ID / Customer ID",
        "公司 / Company",
        "方向 / Direction",
        "渠道 / Channel",
        "类型 / Kind",
        "自动 / Automatic",
        "业务员 / By",
        "备注 / Note",
    ]
    assert [r[3] for r in follow[1:]] == ["来信 in", "去信 out"]
    a_list = data["A级客户 A-list"]
    assert [r[1] for r in a_list[1:]] == ["Acme GmbH"]
    stats = data["统计 Statistics"]
    assert stats[0] == ["区域 / Region", "数量 / Count", "占比 / Share"]
    # The KPI sheet holds exactly what `laop kpi --json` prints.
    kpi_rows = data["KPI"]
    report = out.json()
    keys = [
        "user",
        "products_published",
        "publish_target",
        "rfq_quotes",
        "rfq_quota",
        "visitor_marketing",
        "timely_reply_rate",
        "same_day_rate",
        "avg_reply_hours",
        "conversion_rate",
        "new_deal_customers",
        "classification_rate",
        "cadence_compliance",
        "online_hours",
    ]
    expected = [*report["users"], {"user": "团队 team", **report["team"]}]
    assert len(kpi_rows) == 1 + len(expected)
    for sheet_row, json_row in zip(kpi_rows[1:], expected, strict=True):
        for key, cell in zip(keys, sheet_row, strict=True):
            value = json_row[key]
            assert cell == ("" if value is None else value), (key, cell, value)
    lily = dict(zip(keys, kpi_rows[2], strict=True))
    assert lily["user"] == "lily" and lily["products_published"] == 30
    assert lily["publish_target"] == 100


def test_formula_injection_stays_text(filled, tmp_path):
    target = tmp_path / "book.xlsx"
    ok(filled("--as", "boss", "kpi", "--month", "2026-11", "--xlsx", str(target)))
    data = sheets(target)
    customers = data["客户信息 Customers"]
    contacts = [r[2] for r in customers[1:]]
    notes = [r[-1] for r in customers[1:]]
    companies = [r[1] for r in customers[1:]]
    for text in NASTY[1:5]:
        assert text in contacts and text in notes
    assert NASTY[0] in companies and NASTY[5] in notes
    assert data["跟进记录 Follow-ups"][2][-1] == NASTY[0]
    with zipfile.ZipFile(target) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name


def test_layout_charts_and_frozen_headers(filled, tmp_path):
    target = tmp_path / "book.xlsx"
    ok(filled("--as", "boss", "kpi", "--month", "2026-11", "--xlsx", str(target)))
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        charts = [n for n in names if n.startswith("xl/charts/chart")]
        assert len(charts) >= 5
        kinds = b"".join(archive.read(n) for n in charts)
        assert b"<barChart>" in kinds and b"<pieChart>" in kinds
        first = archive.read("xl/worksheets/sheet1.xml")
        assert b'state="frozen"' in first and b"<autoFilter" in first
        styles = archive.read("xl/styles.xml")
        assert b"0.0%" in styles and b"yyyy-mm-dd" in styles


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_converts_it_cleanly(filled, tmp_path):
    target = tmp_path / "book.xlsx"
    ok(filled("--as", "boss", "kpi", "--month", "2026-11", "--xlsx", str(target)))
    result = subprocess.run(
        [
            "libreoffice",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "book.pdf").stat().st_size > 1000


def test_stats_json_matches_the_statistics_sheet(filled, tmp_path):
    target = tmp_path / "book.xlsx"
    ok(filled("--as", "boss", "kpi", "--month", "2026-11", "--xlsx", str(target)))
    stats = sheets(target)["统计 Statistics"]
    by_country = ok(filled("--as", "boss", "stats", "--by", "country", "--json")).json()
    start = next(i for i, r in enumerate(stats) if r[0] == "国家 / Country")
    block = stats[start + 1 : start + 1 + len(by_country)]
    assert [(r[0], r[1]) for r in block] == [(row["label"], row["count"]) for row in by_country]
    assert by_country[0]["value"] == "VN" and by_country[0]["count"] == 5
    assert by_country[0]["label"] == "Vietnam 越南"
    bad = filled("stats", "--by", "shoe-size", "--all")
    assert bad.exit_code == 3 and "shoe-size" in bad.stderr


def test_bad_targets_write_nothing(filled, tmp_path):
    wrong = filled("kpi", "--xlsx", str(tmp_path / "book.txt"), user="boss")
    assert wrong.exit_code == 3 and ".xlsx" in wrong.stderr
    missing = filled("kpi", "--xlsx", str(tmp_path / "nope" / "book.xlsx"), user="boss")
    assert missing.exit_code == 3 and "does not exist" in missing.stderr
    assert list(tmp_path.glob("*.xlsx")) == [] and list(tmp_path.glob(".*partial")) == []
