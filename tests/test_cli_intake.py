"""Intake through the command line: matching, normalisation, bad input."""

from pathlib import Path

from tests.conftest import scalar


def count(db_url: str, table: str) -> int:
    return scalar(db_url, f"SELECT count(*) FROM {table}")


def test_three_spellings_of_acme_land_on_one_buyer(cli, db_url):
    first = cli(
        "inquiry",
        "add",
        "--channel",
        "inquiry",
        "--company",
        "Acme GmbH",
        "--email",
        "hans@acme.de",
        "--country",
        "DE",
        "--json",
    )
    second = cli("inquiry", "add", "--channel", "inquiry", "--email", "HANS@ACME.DE", "--json")
    third = cli(
        "inquiry",
        "add",
        "--channel",
        "inquiry",
        "--company",
        "ACME Gmbh.",
        "--email",
        "sales@acme.de",
        "--json",
    )
    assert first.exit_code == second.exit_code == third.exit_code == 0
    assert first.json() == {"customer_id": 1, "inquiry_id": 1, "matched": False}
    assert second.json() == {"customer_id": 1, "inquiry_id": 2, "matched": True}
    assert third.json() == {"customer_id": 1, "inquiry_id": 3, "matched": True}
    shown = cli("customer", "show", "1", "--json").json()
    assert shown["emails"] == ["hans@acme.de", "sales@acme.de"]
    assert shown["source"] == "inquiry"
    assert len(shown["open_inquiries"]) == 3
    assert count(db_url, "customer") == 1


def test_free_mail_domain_never_matches(cli):
    cli(
        "inquiry",
        "add",
        "--channel",
        "email",
        "--company",
        "Sunrise Trading",
        "--email",
        "someone@gmail.com",
        "--json",
    )
    other = cli(
        "inquiry",
        "add",
        "--channel",
        "email",
        "--company",
        "Blue Ocean Imports",
        "--email",
        "another@gmail.com",
        "--json",
    )
    assert other.json()["matched"] is False
    assert other.json()["customer_id"] == 2


def test_matched_inquiry_shows_history_to_the_salesperson(cli):
    cli(
        "inquiry",
        "add",
        "--channel",
        "inquiry",
        "--company",
        "Acme GmbH",
        "--email",
        "hans@acme.de",
    )
    cli("grade", "1", "B", "--reason", "asked for catalogue")
    out = cli(
        "inquiry", "add", "--channel", "tm", "--email", "hans@acme.de", "--product", "LED tube"
    )
    assert out.exit_code == 0
    assert "Matched existing buyer" in out.stdout
    assert "Acme GmbH" in out.stdout
    assert "asked for catalogue" in out.stdout  # grade history is shown
    assert "LED tube" in out.stdout  # open inquiries are shown


def test_country_spellings_store_alpha2(cli):
    for index, spelling in enumerate(["德国", "Germany", "DE", "DEU"], start=1):
        out = cli(
            "customer",
            "add",
            "--company",
            f"Firma {index} Werkzeug",
            "--country",
            spelling,
            "--new",
            "--json",
        )
        assert out.exit_code == 0, out.stderr
        assert out.json()["country"] == "DE"
        assert out.json()["region"] == "Western Europe"


def test_narnia_is_refused_and_nothing_is_written(cli, db_url):
    cli("init")
    out = cli(
        "inquiry", "add", "--channel", "inquiry", "--company", "Lion Ltd", "--country", "Narnia"
    )
    assert out.exit_code == 3
    assert "Narnia" in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert count(db_url, "customer") == 0
    assert count(db_url, "message") == 0


def test_bad_values_name_what_is_accepted(cli, db_url):
    cli("init")
    cases = [
        (["--email", "not-an-email"], "not-an-email"),
        (["--phone", "12", "--country", "DE"], "12"),
        (["--nature", "pirate"], "pirate"),
        (["--source", "carrier-pigeon"], "carrier-pigeon"),
        (["--at", "yesterday-ish"], "yesterday-ish"),
        (["--owner", "ghost"], "ghost"),
    ]
    for extra, named in cases:
        out = cli("inquiry", "add", "--channel", "inquiry", "--company", "Bad Input Co", *extra)
        assert out.exit_code not in (0, 1), (extra, out.stderr)
        assert named in out.stderr, (extra, out.stderr)
        assert "Traceback" not in out.stderr
    assert count(db_url, "customer") == 0
    unknown_channel = cli("inquiry", "add", "--channel", "pigeon", "--company", "X")
    assert unknown_channel.exit_code == 2
    assert "pigeon" in unknown_channel.stderr


def test_phone_is_stored_in_e164_with_country_as_default_region(cli):
    out = cli(
        "customer",
        "add",
        "--company",
        "Berlin Licht",
        "--country",
        "DE",
        "--phone",
        "030 1234567",
        "--phone",
        "+86 138-0013-8000",
        "--json",
    )
    assert out.json()["phones"] == ["+49301234567", "+8613800138000"]


def test_ambiguous_match_without_terminal_exits_listing_candidates(cli, db_url):
    cli("customer", "add", "--company", "Nova Lighting", "--country", "US")
    cli("customer", "add", "--company", "Nova Lighting Ltd", "--country", "GB", "--new")
    out = cli("inquiry", "add", "--channel", "inquiry", "--company", "NOVA LIGHTING")
    assert out.exit_code == 5
    assert "1 Nova Lighting" in out.stderr and "2 Nova Lighting Ltd" in out.stderr
    assert "--customer" in out.stderr and "--new" in out.stderr
    assert count(db_url, "inquiry") == 0
    found = cli("customer", "find", "Nova Lighting", "--json").json()
    assert [row["customer"]["id"] for row in found] == [1, 2]


def test_customer_and_new_flags_decide_explicitly(cli):
    cli("customer", "add", "--company", "Orion Trading", "--email", "x@orion.com")
    cli("customer", "add", "--company", "Orion Trading Co", "--email", "y@orion-tr.com", "--new")
    attached = cli(
        "inquiry",
        "add",
        "--channel",
        "inquiry",
        "--company",
        "Orion Trading",
        "--customer",
        "2",
        "--json",
    ).json()
    assert attached == {"customer_id": 2, "inquiry_id": 1, "matched": True}
    fresh = cli(
        "inquiry", "add", "--channel", "inquiry", "--company", "Orion Trading", "--new", "--json"
    ).json()
    assert fresh == {"customer_id": 3, "inquiry_id": 2, "matched": False}


def test_customer_add_refuses_a_likely_duplicate(cli, db_url):
    cli("customer", "add", "--company", "Acme GmbH", "--email", "hans@acme.de")
    out = cli("customer", "add", "--company", "ACME", "--email", "info@acme.de")
    assert out.exit_code == 6
    assert "customer 1" in out.stderr
    assert count(db_url, "customer") == 1


def test_find_ranks_candidates_with_scores(cli):
    cli("customer", "add", "--company", "Acme GmbH", "--email", "hans@acme.de")
    cli("customer", "add", "--company", "Apex Solar", "--email", "info@apex-solar.com")
    rows = cli("customer", "find", "ACME gmbh", "--json").json()
    assert rows[0]["customer"]["id"] == 1
    assert rows[0]["score"] >= 90
    assert all(row["customer"]["id"] != 2 for row in rows)
    by_mail = cli("customer", "find", "HANS@acme.de", "--json").json()
    assert by_mail[0]["score"] == 100
    assert "same e-mail hans@acme.de" in by_mail[0]["reasons"]


def test_merge_moves_everything_and_keeps_a_trace(cli, db_url):
    cli(
        "inquiry",
        "add",
        "--channel",
        "inquiry",
        "--company",
        "Müller Lichttechnik GmbH",
        "--email",
        "info@mueller-licht.de",
        "--country",
        "DE",
        "--product",
        "LED panel",
    )
    cli(
        "inquiry",
        "add",
        "--channel",
        "email",
        "--company",
        "Mueller Lichttechnik",
        "--email",
        "k.mueller@gmail.com",
        "--phone",
        "+49301234567",
        "--new",
    )
    cli("grade", "2", "B")
    out = cli("customer", "merge", "1", "2", "--json")
    assert out.exit_code == 0, out.stderr
    merged = out.json()
    assert merged["emails"] == ["info@mueller-licht.de", "k.mueller@gmail.com"]
    assert merged["phones"] == ["+49301234567"]
    assert merged["grade"] == "B"
    assert count(db_url, "customer") == 1
    assert count(db_url, "inquiry") == 2
    shown = cli("customer", "show", "1", "--json").json()
    assert [e["kind"] for e in shown["events"]] == ["merge"]
    assert shown["events"][0]["detail"]["dropped_id"] == 2
    gone = cli("customer", "show", "2")
    assert gone.exit_code == 4
    assert "merged into customer 1" in gone.stderr
    itself = cli("customer", "merge", "1", "1")
    assert itself.exit_code == 6


def test_edit_reassigns_owner_and_keeps_history(cli):
    cli("user", "add", "lily", "--role", "sales")
    cli("user", "add", "boss", "--role", "manager")
    cli("customer", "add", "--company", "Acme GmbH", "--owner", "lily", user="boss")
    out = cli(
        "customer",
        "edit",
        "Acme GmbH",
        "--owner",
        "boss",
        "--city",
        "Berlin",
        "--json",
        user="boss",
    )
    assert out.json()["owner"] == "boss"
    assert out.json()["city"] == "Berlin"
    events = cli("customer", "show", "1", "--json").json()["events"]
    assert events[0]["detail"]["owner"] == ["lily", "boss"]


def test_salesperson_sees_own_buyers_manager_sees_all(cli):
    cli("user", "add", "lily")
    cli("user", "add", "tom")
    cli("user", "add", "boss", "--role", "manager")
    cli("customer", "add", "--company", "Lily Buyer", user="lily")
    cli("customer", "add", "--company", "Tom Buyer", user="tom")
    assert [c["company"] for c in cli("customer", "list", "--json", user="lily").json()] == [
        "Lily Buyer"
    ]
    assert len(cli("customer", "list", "--json", user="boss").json()) == 2
    assert len(cli("customer", "list", "--all", "--json", user="lily").json()) == 2
    several = cli("customer", "list")
    assert several.exit_code == 3
    assert "--as" in several.stderr


def test_one_person_install_never_names_a_user(cli):
    out = cli("customer", "add", "--company", "Solo Buyer", "--json")
    assert out.exit_code == 0
    users = cli("user", "list", "--json").json()
    assert len(users) == 1 and users[0]["role"] == "manager"
    assert out.json()["owner"] == users[0]["name"]


def test_unknown_customer_reference(cli):
    cli("init")
    out = cli("customer", "show", "nobody@example.com")
    assert out.exit_code == 4
    assert "nobody@example.com" in out.stderr


def test_default_database_lives_in_user_data_dir(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from laop.cli import app

    result = CliRunner().invoke(app, ["init"])
    assert result.exit_code == 0, result.stderr
    created = list(Path(tmp_path / "home").rglob("laop.db"))
    assert len(created) == 1
    assert created[0].stat().st_mode & 0o777 == 0o600
    assert created[0].parent.stat().st_mode & 0o777 == 0o700


def test_a_known_phone_can_turn_out_to_be_whatsapp(cli):
    cli("customer", "add", "--company", "Lagos Lamps", "--phone", "+2348031234567")
    out = cli("customer", "edit", "1", "--whatsapp", "+234 803 123 4567", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json()["phones"] == ["+2348031234567"]
    assert out.json()["whatsapp"] == ["+2348031234567"]
