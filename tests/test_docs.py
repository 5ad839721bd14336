"""Every command documents itself, and --help stays light."""

import subprocess
import sys

import pytest
import typer.main

from laop.cli import app

COMMANDS = []
ROOT = typer.main.get_group(app)


def _walk(group, path):
    for name in group.list_commands(None):
        command = group.get_command(None, name)
        if hasattr(command, "list_commands"):
            _walk(command, [*path, name])
        else:
            COMMANDS.append([*path, name])


_walk(ROOT, [])


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


def test_listed_help_is_each_commands_own_first_line():
    from laop.cli._common import LazyGroup

    for name, (_module, _attribute, listed) in LazyGroup.LAZY.items():
        command = ROOT.get_command(None, name)
        own = " ".join(command.help.split("\n\n")[0].split())
        assert own == listed, name


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
    assert not any(name.startswith("laop.cli.") and name != "laop.cli._common" for name in imported)
