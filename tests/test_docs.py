"""Every command documents itself, and --help stays light."""

import subprocess
import sys

import pytest
import typer.main

from laop.cli import app

COMMANDS = []


def _walk(group, path):
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            _walk(command, [*path, name])
        else:
            COMMANDS.append([*path, name])


_walk(typer.main.get_group(app), [])


def test_commands_exist():
    names = {" ".join(c) for c in COMMANDS}
    assert {
        "init",
        "inquiry add",
        "customer add",
        "customer find",
        "customer merge",
        "due",
        "log",
        "grade",
        "config set",
        "report a-list",
        "report cadence",
        "demo",
    } <= names


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(cli, path):
    out = cli(*path, "--help")
    assert out.exit_code == 0
    assert "Example:" in out.stdout


def test_help_does_not_import_the_database_stack():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "laop", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}
    for heavy in (
        "sqlalchemy",
        "sqlmodel",
        "openpyxl",
        "phonenumbers",
        "rapidfuzz",
        "pycountry",
        "alembic",
    ):
        assert heavy not in imported, heavy
    assert "typer" in imported  # the probe itself works
