"""The deploy recipe as a local cluster on loopback: `trolyso db upgrade`, `trolyso serve` with
TROLYSO_WORKERS=2 (uvicorn's supervisor, as deploy/systemd/trolyso.service runs it) on PostgreSQL
and Redis, and Debian's nginx running deploy/nginx/trolyso.conf itself — rendered with free ports,
the upstream's port and a throwaway certificate, nothing else changed — so the shipped config is
what the test proves.

    .venv/bin/python -m tests.scale.cluster   # starts one, prints its addresses, Ctrl-C stops it

tests/scale/test_cluster.py drives it; ``Cluster`` is the part both share.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import sqlalchemy as sa

from bot.storage.db import create_db_engine, normalize_url
from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "nginx" / "trolyso.conf"
TROLYSO = Path(sys.executable).with_name("trolyso")
SITE = "trolyso.example.gov.vn"
WEBHOOK_SECRET = "cluster-webhook-secret"


def find_nginx() -> str | None:
    """Debian's nginx lives in /usr/sbin, which a non-root PATH often lacks."""
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def workers_of(pid: int) -> list[int]:
    """The worker processes uvicorn's supervisor ``pid`` started (its children running the app)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def server_end_owner(server_port: int, client_port: int) -> int | None:
    """The process holding the server's end of the loopback TCP connection from ``client_port``
    (read from /proc: the socket's inode, then whose descriptors point at it)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(address.rsplit(":", 1)[1], 16) for address in fields[1:3])
        if (local, remote) == (server_port, client_port):
            inode = fields[9]
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if any(os.readlink(fd) == target for fd in (entry / "fd").iterdir()):
                    return int(entry.name)
    return None


def _replace_once(text: str, pattern: str, replacement: str) -> str:
    rendered, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    if count != 1:
        raise ValueError(f"{SHIPPED.relative_to(ROOT)}: expected one line matching {pattern!r}, found {count}; "
                         "the recipe's config changed, update tests/scale/cluster.py with it")  # fmt: skip
    return rendered


def render_site(shipped: str, *, upstream: int, https: int, http: int, cert: Path, key: Path) -> str:
    """The shipped site config with loopback ports and a throwaway certificate; every other line
    (upstream options, proxy headers, retries, timeouts, the redirect) is tested as shipped."""
    text = _replace_once(shipped, r"^(\s*server\s+)127\.0\.0\.1:8080\b", rf"\g<1>127.0.0.1:{upstream}")
    text = _replace_once(text, r"^(\s*listen\s+)443\b", rf"\g<1>127.0.0.1:{https}")
    text = _replace_once(text, r"^(\s*listen\s+)80;", rf"\g<1>127.0.0.1:{http};")
    text = _replace_once(text, r"^(\s*ssl_certificate\s+)\S+;", rf"\g<1>{cert};")
    return _replace_once(text, r"^(\s*ssl_certificate_key\s+)\S+;", rf"\g<1>{key};")


def render_main(workdir: Path, site: Path) -> str:
    """A main nginx.conf for a foreground nginx whose files all live in ``workdir``."""
    temp = "\n".join(
        f"    {kind}_temp_path {workdir / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # As root, nginx's workers would drop to "nobody", who cannot enter pytest's 0700 temp folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (f"{user}daemon off;\nworker_processes 1;\npid {workdir / 'nginx.pid'};\n"
            f"error_log {workdir / 'error.log'} warn;\nevents {{ worker_connections 512; }}\n"
            f"http {{\n    access_log {workdir / 'access.log'};\n{temp}\n    include {site};\n}}\n")  # fmt: skip


def make_certificate(workdir: Path) -> tuple[Path, Path]:
    """A self-signed certificate for the site name and 127.0.0.1, so clients verify TLS for real."""
    cert, key = workdir / "cert.pem", workdir / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "1", "-subj", f"/CN={SITE}", "-addext",
                    f"subjectAltName=DNS:{SITE},IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)  # fmt: skip
    return cert, key


@contextlib.contextmanager
def throwaway_database(admin_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (the recipe's `db upgrade` fills it), dropped afterwards."""
    admin = normalize_url(admin_url)
    name = f"trolyso_cluster_{uuid.uuid4().hex[:10]}"
    engine = create_db_engine(admin.render_as_string(hide_password=False)).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.engine.dispose()


class Cluster:
    """Start with ``start()``, stop with ``stop()``; ``https`` is the address citizens would use."""

    def __init__(
        self, workdir: Path, database_url: str, redis_url: str, env: dict[str, str] | None = None
    ) -> None:
        self.workdir = workdir
        self.app_port, https_port, http_port = free_port(), free_port(), free_port()
        self.https = f"https://127.0.0.1:{https_port}"
        self.http = f"http://127.0.0.1:{http_port}"
        self.app = f"http://127.0.0.1:{self.app_port}"
        # What an operator puts in /etc/trolyso/trolyso.env (deploy/env.example), on loopback.
        self.env = {**os.environ, "TROLYSO_DATABASE_URL": database_url, "TROLYSO_REDIS_URL": redis_url,
                    "TROLYSO_WORKERS": "2", "TROLYSO_PORT": str(self.app_port), "TROLYSO_TRUSTED_PROXIES": "127.0.0.1",
                    "TROLYSO_SECRET_KEY": "c" * 32, "TROLYSO_CHANNELS": "web",
                    "TROLYSO_USAGE_SPOOL_PATH": str(workdir / "spool.jsonl"), **(env or {})}  # fmt: skip
        self.cert, self.key = make_certificate(workdir)
        site = workdir / "trolyso.conf"
        site.write_text(render_site(SHIPPED.read_text(), upstream=self.app_port, https=https_port, http=http_port,
                                    cert=self.cert, key=self.key))  # fmt: skip
        self.nginx_conf = workdir / "nginx.conf"
        self.nginx_conf.write_text(render_main(workdir, site))
        self.server: subprocess.Popen[bytes] | None = None
        self.nginx: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        nginx = find_nginx()
        if nginx is None:
            raise RuntimeError("nginx is not installed (apt-get install nginx)")
        # ExecStartPre of the systemd unit: the schema first.
        upgrade = subprocess.run(
            [str(TROLYSO), "db", "upgrade"], env=self.env, capture_output=True, text=True
        )
        if upgrade.returncode != 0:
            raise RuntimeError(f"trolyso db upgrade failed:\n{upgrade.stdout}{upgrade.stderr}")
        # The children keep their own copies of the log files' descriptors.
        with (self.workdir / "serve.log").open("wb") as log, (self.workdir / "nginx.out").open("wb") as out:
            self.server = subprocess.Popen(
                [str(TROLYSO), "serve"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
            self.nginx = subprocess.Popen([nginx, "-p", f"{self.workdir}/", "-e", str(self.workdir / "error.log"),
                                           "-c", str(self.nginx_conf)], stdout=subprocess.DEVNULL, stderr=out)  # fmt: skip
        deadline = time.monotonic() + timeout
        while not self.ready():
            for name, process in (("trolyso serve", self.server), ("nginx", self.nginx)):
                if process.poll() is not None:
                    raise RuntimeError(f"{name} exited with {process.returncode}:\n{self.logs()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster was not up after {timeout:g} s:\n{self.logs()}")
            time.sleep(0.3)

    def ready(self) -> bool:
        """Both workers running and /healthz answering through nginx over TLS."""
        assert self.server is not None
        if len(workers_of(self.server.pid)) != 2:
            return False
        try:
            return httpx.get(f"{self.https}/healthz", verify=self.tls(), timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def tls(self) -> ssl.SSLContext:
        """Clients trust the throwaway certificate and nothing else."""
        return ssl.create_default_context(cafile=str(self.cert))

    def workers(self) -> list[int]:
        assert self.server is not None
        return workers_of(self.server.pid)

    def answers_from(self, pid: int, timeout: float = 60.0) -> bool:
        """Whether worker ``pid`` accepts and answers a request within ``timeout``: a replacement is
        in the processes at once but serves only once it has built the app, which a loaded machine
        makes slow (and uvicorn lets a worker still starting finish before it obeys a SIGTERM)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Each new connection is accepted by whichever worker is free first; ask until it is this one.
            with socket.create_connection(("127.0.0.1", self.app_port), timeout=10) as connection:
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                answer = connection.recv(65536)
                owner = server_end_owner(self.app_port, connection.getsockname()[1])
            if answer.startswith(b"HTTP/1.1 200") and owner == pid:
                return True
            time.sleep(0.05)
        return False

    def logs(self) -> str:
        parts = []
        for name in ("serve.log", "nginx.out", "error.log"):
            path = self.workdir / name
            if path.exists():
                parts.append(f"--- {name}\n{path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def stop(self) -> int | None:
        """SIGTERM to the supervisor (what systemctl stop sends), then nginx; the supervisor's status."""
        status = None
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                status = self.server.wait(30)
            except subprocess.TimeoutExpired:
                for worker in self.workers():  # else they outlive it, on a database about to be dropped
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(worker, signal.SIGKILL)
                self.server.kill()
                self.server.wait()
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            try:
                self.nginx.wait(10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait()
        return status


def main() -> None:
    import tempfile

    postgres = os.environ.get(
        "TROLYSO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    redis = os.environ.get("TROLYSO_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    with (
        tempfile.TemporaryDirectory(prefix="trolyso-cluster-") as folder,
        throwaway_database(postgres) as database,
    ):
        cluster = Cluster(
            Path(folder), database, redis, {"TROLYSO_REDIS_PREFIX": f"cluster-{uuid.uuid4().hex[:8]}:"}
        )
        try:
            cluster.start()
            print(
                f"web chat: {cluster.https}/chat (certificate {cluster.cert}); workers {cluster.workers()}; Ctrl-C stops"
            )
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            cluster.stop()


if __name__ == "__main__":
    main()
