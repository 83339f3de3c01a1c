"""Reading deploy/ as the tools that run it would: the Dockerfile's instructions, the units' Exec
lines, the `trolyso` command lines they start."""

from __future__ import annotations

import os
import shlex
import tomllib
from pathlib import Path

import pytest

from bot.cli import _build_parser

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCRIPTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]


def required(message: str) -> None:
    """Outside CI a missing tool skips the test; in CI (TROLYSO_REQUIRE_SERVICES=1) it fails."""
    if os.environ.get("TROLYSO_REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def cli_problem(argv: list[str]) -> str | None:
    """Why ``argv`` (a `trolyso` command line, program name first) would not run, or None."""
    program, *args = argv
    if Path(program).name not in SCRIPTS:
        return f"{program!r} is no console script of pyproject.toml ({', '.join(SCRIPTS)})"
    try:
        _build_parser().parse_args(args)
    except SystemExit:
        return f"`trolyso {' '.join(args)}` is not a command `trolyso --help` knows"
    return None


def dockerfile(path: Path = DEPLOY / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, rest = (pending + line).partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        pending = ""
    return instructions


def docker_env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    """Every ENV the image sets (the KEY=VALUE form)."""
    env: dict[str, str] = {}
    for keyword, rest in instructions:
        if keyword == "ENV":
            for item in shlex.split(rest):
                key, sep, value = item.partition("=")
                assert sep, f"deploy/Dockerfile: ENV {item!r}: write ENV KEY=VALUE"
                env[key] = value
    return env
