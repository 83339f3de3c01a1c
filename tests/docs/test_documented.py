"""Every setting and every command is documented in the README (Datasette's habit)."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli import _build_parser
from bot.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_in_the_readme(name: str) -> None:
    """The README's settings table names each TROLYSO_* variable."""
    assert f"TROLYSO_{name.upper()}" in README, f"document TROLYSO_{name.upper()} in README.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_has_help_text(name: str) -> None:
    """Each setting says what it is for."""
    assert Settings.model_fields[name].description, f"give the setting {name!r} a description"


def _commands() -> list[str]:
    parser = _build_parser()
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                subs = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
                if subs:
                    found += [f"{name} {child}" for child in subs[0].choices]
                else:
                    found.append(name)
    return found


@pytest.mark.parametrize("command", _commands())
def test_every_command_is_in_the_readme(command: str) -> None:
    """The README shows each `trolyso` command."""
    assert f"trolyso {command}" in README, f"document `trolyso {command}` in README.md"
