"""The lock files: every dependency pyproject.toml declares is pinned there, at a version it allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
REFRESH = "run `python3 tasks.py lock` and commit requirements/"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, set[Version]]:
    """Package -> the versions a lock file pins (two when markers split by Python version)."""
    found: dict[str, set[Version]] = {}
    for package, version in _PIN.findall((ROOT / "requirements" / name).read_text()):
        found.setdefault(canonicalize_name(package), set()).add(Version(version))
    return found


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    lines = [*project["project"]["dependencies"], *project["build-system"]["requires"]]
    for group in project["project"]["optional-dependencies"].values():
        lines.extend(group)
    return [r for r in map(Requirement, lines) if canonicalize_name(r.name) != "trolyso"]


def test_every_declared_dependency_is_pinned_in_the_dev_lock_at_an_allowed_version() -> None:
    """Each requirement of pyproject.toml (base, extras, build) has a pin in requirements/dev.txt it accepts."""
    locked = pins("dev.txt")
    wrong = []
    for requirement in declared():
        versions = locked.get(canonicalize_name(requirement.name))
        if not versions:
            wrong.append(f"{requirement} is not in requirements/dev.txt")
        elif not all(requirement.specifier.contains(v, prereleases=True) for v in versions):
            wrong.append(f"{requirement} does not allow the pinned {sorted(map(str, versions))}")
    assert not wrong, f"the lock is stale ({REFRESH}):\n" + "\n".join(wrong)


def test_the_server_lock_pins_the_same_versions_as_the_dev_lock() -> None:
    """requirements/server.txt is a subset of dev.txt: servers run exactly what CI tested."""
    dev, server = pins("dev.txt"), pins("server.txt")
    differ = {name: (sorted(map(str, v)), sorted(map(str, dev.get(name, set())))) for name, v in server.items()
              if v != dev.get(name)}  # fmt: skip
    assert not differ, f"server.txt and dev.txt disagree ({REFRESH}): {differ}"
    assert {"starlette", "sqlalchemy", "psycopg", "aiogram", "python-telegram-bot"} <= set(server)


def test_every_pin_carries_hashes() -> None:
    """Each pinned package in the lock files lists sha256 hashes, so pip checks what it downloads."""
    for name in ("dev.txt", "server.txt"):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / name).read_text())
        unhashed = [b.split()[0] for b in blocks if _PIN.match(b) and "--hash=sha256:" not in b]
        assert not unhashed, f"{name}: no hashes for {unhashed}"
