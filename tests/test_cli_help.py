"""Every CLI command, sub-commands included, has help text with an example."""

from __future__ import annotations

from typing import Any

import pytest
import typer.main

from autoserum.cli import app


def _commands() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, command: Any) -> None:
        if hasattr(command, "commands"):  # a group (Typer's groups are not click.Group)
            for name, sub in command.commands.items():
                walk(f"{prefix} {name}".strip(), sub)
        else:
            found.append((prefix, command))

    walk("", root)
    return found


COMMANDS = _commands()


def test_the_cli_has_its_commands() -> None:
    names = {name for name, _ in COMMANDS}
    expected = {"score", "instruments", "import", "export", "simulate", "analyze"}
    expected |= {"audit verify", "audit head"}
    assert expected | {"report", "meta", "evidence", "serve", "user add", "schedule"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_has_help_with_an_example(name: str, command: Any) -> None:
    text = command.help or ""
    assert text.strip(), f"autoserum {name} has no help text"
    assert "Example" in text, f"autoserum {name}: help has no example"
    assert "autoserum " in text.split("Example", 1)[1], (
        f"autoserum {name}: example is not a command"
    )
