"""A throwaway PostgreSQL server of our own, so a test may stop it mid-stream and start it again.

The shared server of the other tests must never be stopped; this one lives in a temporary folder
on a free port, trusts 127.0.0.1, and is deleted afterwards. PostgreSQL refuses to run as root,
so as root its commands run as the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tests.live import free_port


class Unavailable(Exception):
    """Why a private server cannot be had here (binaries, user or runuser missing)."""


def find_bindir() -> Path:
    """TROLYSO_PG_BINDIR, else ``pg_config --bindir``, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[Path] = []
    if os.environ.get("TROLYSO_PG_BINDIR"):
        candidates.append(Path(os.environ["TROLYSO_PG_BINDIR"]))
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=False)
        if found.returncode == 0:
            candidates.append(Path(found.stdout.strip()))
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    candidates += [Path(p) for p in versions]
    if shutil.which("initdb"):
        candidates.append(Path(shutil.which("initdb") or "").parent)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    raise Unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found; set TROLYSO_PG_BINDIR")



@dataclass
class PrivatePostgres:
    bindir: Path
    root: Path
    port: int
    prefix: list[str] = field(default_factory=list)  # runs a command as the postgres user

    @classmethod
    def create(cls) -> PrivatePostgres:
        bindir = find_bindir()
        prefix: list[str] = []
        root = Path(tempfile.mkdtemp(prefix="trolyso-pg-"))
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(root)
                raise Unavailable(
                    "running as root but there is no `postgres` user to run PostgreSQL as"
                ) from None
            if runuser is None:
                shutil.rmtree(root)
                raise Unavailable("running as root but `runuser` is missing")
            prefix = [runuser, "-u", "postgres", "--"]
            shutil.chown(root, "postgres", "postgres")
        server = cls(bindir, root, free_port(), prefix)
        server._run("initdb", "-D", str(server.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                    "--locale=C", "--no-sync")  # fmt: skip
        return server

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres?connect_timeout=2"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options,
                  "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; ``immediate`` is a crash: connections cut, nothing flushed."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self.prefix, str(self.bindir / program), *args], capture_output=True,
                              text=True, timeout=120, check=False)  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}"
            )
