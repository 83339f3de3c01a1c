"""The systemd units of deploy/systemd, checked by systemd itself (`systemd-analyze verify`) in a
throwaway root laid out as docs/deploy.md installs the server, and their `trolyso` command lines
checked against the CLI."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.recipe import DEPLOY, ROOT, SCRIPTS, cli_problem, required

UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted((DEPLOY / "systemd").glob("*.timer"))
VENV_BIN = "/opt/trolyso/venv/bin"
"""Where docs/deploy.md puts the virtualenv (`python3 -m venv /opt/trolyso/venv`)."""
ANALYZE = "systemd-analyze"
HOST_UNITS = ("/usr/lib/systemd/system", "/lib/systemd/system")


def exec_commands(unit: Path) -> list[list[str]]:
    """The argv of every Exec*= line, without systemd's prefixes (- @ + ! :)."""
    commands = []
    for line in unit.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().startswith("Exec"):
            argv = shlex.split(value.strip())
            argv[0] = argv[0].lstrip("-@+!:")
            commands.append(argv)
    return commands


def test_there_are_units_to_check() -> None:
    """The recipe ships the service and the nightly backup timer with its service."""
    assert {u.name for u in UNITS} >= {"trolyso.service", "trolyso-backup.service", "trolyso-backup.timer"}


@pytest.mark.parametrize("unit", [u for u in UNITS if u.suffix == ".service"], ids=lambda u: u.name)
def test_the_trolyso_command_lines_are_real_commands(unit: Path) -> None:
    """Each `trolyso …` a unit starts is a command the CLI knows, from the documented virtualenv."""
    for argv in exec_commands(unit):
        if argv[0].startswith(VENV_BIN):
            assert (problem := cli_problem(argv)) is None, f"deploy/systemd/{unit.name}: {problem}"


def test_the_service_upgrades_the_database_before_it_serves() -> None:
    """`trolyso db upgrade` runs before `trolyso serve`, as docs/deploy.md promises."""
    commands = exec_commands(DEPLOY / "systemd" / "trolyso.service")
    assert [c[1:] for c in commands] == [["db", "upgrade"], ["serve"]], commands
    docs = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    assert "python3 -m venv /opt/trolyso/venv" in docs
    assert "ExecStartPre=trolyso db upgrade" in docs


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` finds nothing to say: no unknown key, bad value or missing program."""
    analyze = shutil.which(ANALYZE) or shutil.which(ANALYZE, path="/usr/bin:/bin")
    host_units = next((Path(p) for p in HOST_UNITS if Path(p, "sysinit.target").exists()), None)
    if analyze is None or host_units is None:
        required("systemd-analyze and systemd's own units are needed (Debian: apt-get install systemd)")
    assert analyze is not None
    assert host_units is not None
    root = tmp_path / "root"
    # systemd's own units (sysinit.target, timers.target, …) for the dependencies every unit has.
    shutil.copytree(host_units, root / "usr/lib/systemd/system", symlinks=True)
    installed = root / "etc/systemd/system"
    installed.mkdir(parents=True)
    for unit in UNITS:
        shutil.copy(unit, installed / unit.name)
        for argv in exec_commands(unit):
            program = argv[0]
            # Our console scripts exist once the package is installed in the venv; any other program
            # must be on this (Debian) machine too. A program neither is stays missing: verify says so.
            ours = program.startswith(VENV_BIN + "/") and Path(program).name in SCRIPTS
            if ours or os.access(program, os.X_OK):
                stub = root / program.lstrip("/")
                stub.parent.mkdir(parents=True, exist_ok=True)
                stub.write_text("#!/bin/sh\n")
                stub.chmod(0o755)
    done = subprocess.run(
        [analyze, "verify", "--man=no", f"--root={root}", *(f"/etc/systemd/system/{u.name}" for u in UNITS)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    said = (done.stdout + done.stderr).replace(str(root), "")
    assert not said.strip(), f"systemd-analyze verify (status {done.returncode}):\n{said}"
    assert done.returncode == 0, f"systemd-analyze verify failed silently (status {done.returncode})"
