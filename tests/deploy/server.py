"""deploy/systemd run for real: a Debian 12 container booting systemd as PID 1
(tests/deploy/images/systemd.Dockerfile), set up by docs/deploy.md's plain-server steps — the user,
the virtualenv with the lock, the wheel, the PostgreSQL user and database, /etc/trolyso/trolyso.env,
the units, `systemctl enable --now`. By hand: `.venv/bin/python -m tests.deploy.server` starts one
and waits for Enter before removing it."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.deploy.stack import IMAGES, StackError, copy_checkout, env_file, run

IMAGE = "trolyso-test/systemd"
VENV_IMAGE = "trolyso-test/systemd-venv"
# This host has cgroup v1 and gives Docker no CAP_SYS_RESOURCE, so --privileged cannot start a
# container: systemd gets SYS_ADMIN (mounts for ProtectSystem= and PrivateTmp=), no seccomp filter,
# the host's cgroup tree (its own subtree inside stays writable) and tmpfs where it expects them.
BOOT = [
    "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--cgroupns=host",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
]  # fmt: skip

# docs/deploy.md, "On a plain Debian server", as an admin types it once the packages are in (the
# image has them, and the venv with the lock: VENV_IMAGE). `createuser --pwprompt` asks for the
# password at a terminal; here psql sets the same.
SETUP = """
set -eu
cd /src
useradd --system --home /var/lib/trolyso --create-home trolyso
/opt/trolyso/venv/bin/pip install --no-deps dist/trolyso-*.whl
sudo -u postgres psql -q -c "CREATE ROLE trolyso LOGIN PASSWORD '$PGPASSWORD'"
sudo -u postgres createdb -O trolyso trolyso
install -d -m 700 -o root /etc/trolyso && cp deploy/env.example /etc/trolyso/trolyso.env
chmod 600 /etc/trolyso/trolyso.env
cp /src/filled.env /etc/trolyso/trolyso.env
cp deploy/systemd/*.service deploy/systemd/*.timer /etc/systemd/system/
systemctl daemon-reload && systemctl enable --now trolyso trolyso-backup.timer
"""

ASK = """
import json, sys, urllib.request, urllib.error
path, body = sys.argv[1], sys.argv[2]
request = urllib.request.Request("http://127.0.0.1:8080" + path, data=body.encode() or None,
                                 headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=20) as r:
        status, headers, text = r.status, dict(r.headers), r.read().decode()
except urllib.error.HTTPError as e:
    status, headers, text = e.code, dict(e.headers), e.read().decode()
except OSError as e:
    status, headers, text = 0, {}, str(e)
print(json.dumps({"status": status, "headers": {k.lower(): v for k, v in headers.items()}, "text": text}))
"""


class Server:
    """One container booted with systemd, set up from a copy of the checkout in ``where``."""

    def __init__(self, where: Path) -> None:
        self.where = where
        self.name = f"trolysotest-systemd-{uuid.uuid4().hex[:8]}"
        self.password = f"db-{uuid.uuid4().hex}"
        self.env = {
            "TROLYSO_SECRET_KEY": f"key-{uuid.uuid4().hex}",
            "TROLYSO_DATABASE_URL": f"postgresql+psycopg://trolyso:{self.password}@127.0.0.1:5432/trolyso",
        }
        self.timings: dict[str, float] = {}
        self.started = False

    def _timed(self, step: str, argv: list[str], timeout: float, cwd: Path | None = None) -> str:
        began = time.monotonic()
        try:
            return run(argv, cwd=cwd, timeout=timeout)
        finally:
            self.timings[step] = round(time.monotonic() - began, 1)

    def start(self) -> None:
        """Images, the wheel, a booted container, then docs/deploy.md's steps."""
        self._timed("images", ["bash", str(IMAGES / "build.sh"), "systemd"], timeout=900)
        copy_checkout(self.where)
        self._timed("venv image", ["docker", "build", "--force-rm", "-q", "-t", VENV_IMAGE,
                                   "-f", str(IMAGES / "systemd-venv.Dockerfile"), str(self.where)], timeout=900)  # fmt: skip
        # README's wheel command, in the copy (hatchling is in the dev venv).
        self._timed("wheel", [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                              "-w", "dist", "."], timeout=300, cwd=self.where)  # fmt: skip
        (self.where / "filled.env").write_text(env_file(self.env), encoding="utf-8")
        began = time.monotonic()
        run(["docker", "run", "-d", "--name", self.name, *BOOT, "-v", f"{self.where}:/src:ro", VENV_IMAGE])
        self.started = True
        self.wait_booted()
        self.timings["boot"] = round(time.monotonic() - began, 1)
        began = time.monotonic()
        self.sh(SETUP, env={"PGPASSWORD": self.password}, timeout=300)
        self.timings["setup"] = round(time.monotonic() - began, 1)

    def wait_booted(self, timeout: float = 60) -> None:
        """Until systemd has started everything (`is-system-running --wait`) and PostgreSQL answers."""
        deadline = time.monotonic() + timeout
        while True:
            done = self.exec(["systemctl", "is-system-running", "--wait"], check=False, timeout=timeout)
            ready = self.exec(["pg_isready", "-q"], check=False).returncode == 0
            if done.stdout.strip() in ("running", "degraded") and ready:
                return
            if time.monotonic() > deadline:
                raise StackError(f"systemd did not come up: {done.stdout}\n{self.sh('systemctl --failed; journalctl -b --no-pager | tail -n 40')}")
            time.sleep(1)

    def reboot(self) -> None:
        """`docker restart`: systemd shuts down on SIGRTMIN+3 (the image's STOPSIGNAL), then boots."""
        run(["docker", "restart", "-t", "60", self.name], timeout=120)
        self.wait_booted()

    def exec(self, argv: list[str], check: bool = True, timeout: float = 120,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
        flags = [f"--env={k}={v}" for k, v in (env or {}).items()]
        done = subprocess.run(["docker", "exec", *flags, self.name, *argv], capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip
        if check and done.returncode != 0:
            raise StackError(f"{shlex.join(argv)} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
        return done

    def sh(self, script: str, env: dict[str, str] | None = None, timeout: float = 120) -> str:
        return self.exec(["bash", "-c", script], env=env, timeout=timeout).stdout

    def show(self, unit: str, *props: str) -> dict[str, str]:
        """`systemctl show -p …` as a dict."""
        out = self.exec(["systemctl", "show", unit, *(f"--property={p}" for p in props)]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def http(self, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        """A request to the app on the server's loopback (where nginx reaches it): status, headers, text."""
        payload = json.dumps(body, ensure_ascii=False) if body is not None else ""
        answer = json.loads(self.exec(["python3", "-c", ASK, path, payload]).stdout)
        assert isinstance(answer, dict)
        return answer

    def journal(self, unit: str) -> str:
        return self.exec(["journalctl", "-u", unit, "--no-pager", "-o", "cat"]).stdout

    def stop(self) -> None:
        """The container goes (with its anonymous volumes); the images stay as the warm cache."""
        if self.started:
            run(["docker", "rm", "-f", "-v", self.name], timeout=120)
            self.started = False


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            server.start()
            print(f"docker exec -it {server.name} bash; timings {server.timings}. Enter removes it.")
            input()
        finally:
            server.stop()
