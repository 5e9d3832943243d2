"""The command line: every command explains itself, and `check` reports on content."""

import click
import pytest
from click.testing import CliRunner

from bot.cli import main


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, f"{prefix}{name} "))
    return found


@pytest.mark.parametrize("name, command", all_commands(main), ids=lambda v: v if isinstance(v, str) else "")
def test_every_command_has_help(name, command):
    assert command.help and len(command.help.strip()) > 10, f"`python -m bot {name}` needs a help text"
    result = CliRunner().invoke(main, [*name.split(), "--help"])
    assert result.exit_code == 0


def test_check_reports_the_content_counts():
    result = CliRunner().invoke(main, ["check", "--content"])
    assert result.exit_code == 0, result.output
    assert "glossary entries in 6 categories" in result.output
