"""deploy/compose.yaml run for real: the checkout copied as a fresh clone, deploy/.env filled in as
docs/deploy.md says, the images built on the stand-ins of tests/deploy/images/ (Docker Hub is out of
reach here), Caddy on free ports with its own CA for `localhost`. By hand:
`.venv/bin/python -m tests.deploy.stack` starts one and waits for Enter before tearing it down."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pytest

from tests.deploy.recipe import DEPLOY, ROOT

IMAGES = ROOT / "tests" / "deploy" / "images"
WEBHOOK_SECRET = "stack-hook-secret-0123456789"
STAND_INS = {
    "PYTHON_IMAGE": "trolyso-test/python", "POSTGRES_IMAGE": "trolyso-test/postgres",
    "REDIS_IMAGE": "trolyso-test/redis", "CADDY_IMAGE": "trolyso-test/caddy",
}  # fmt: skip
APP_CACHE = "trolyso-test/app"
"""Tag kept on the built app image so that its layers (the pip install) survive `down --rmi local`."""


class StackError(RuntimeError):
    """A step of the recipe failed; the message has the command's output."""


class Runs(Protocol):
    """What a fixture starts and stops: a :class:`Stack`, or tests.deploy.server's Server."""

    timings: dict[str, float]

    def start(self) -> None: ...

    def stop(self) -> None: ...


R = TypeVar("R", bound=Runs)


def kept_running(thing: R, name: str) -> Iterator[R]:
    """A module fixture's body: ``thing`` started (a failed step fails the test with its output),
    yielded, then stopped, and the time each step took printed as ``<name> timings (s): …``."""
    try:
        try:
            thing.start()
        except StackError as exc:
            pytest.fail(str(exc))
        yield thing
    finally:
        try:
            thing.stop()
        finally:
            print(f"{name} timings (s): {thing.timings}")


def docker_problem() -> str | None:
    """Why Docker and Compose cannot run here, or None."""
    if shutil.which("docker") is None:
        return "docker is not installed (apt-get install docker.io docker-compose debootstrap; .ci/run does)"
    if subprocess.run(["docker", "info"], capture_output=True, timeout=60, check=False).returncode:
        return "the Docker daemon is not running (dockerd; .ci/run starts it)"
    if compose_command() is None:
        return "no Docker Compose (apt-get install docker-compose)"
    return None


def compose_command() -> list[str] | None:
    """`docker compose` (the plugin) where it exists, else Debian 12's `docker-compose` (1.29)."""
    plugin = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=60, check=False)
    if plugin.returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def run(argv: list[str], cwd: Path | None = None, timeout: float = 120) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise StackError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def copy_checkout(into: Path) -> None:
    """What a fresh clone has: tracked files and new ones not ignored (no .venv, no deploy/.env)."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is listed too
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)


def env_file(overrides: dict[str, str]) -> str:
    """deploy/env.example with its values replaced or added by ``overrides`` (comments kept)."""
    lines, seen = [], set()
    for line in (DEPLOY / "env.example").read_text(encoding="utf-8").splitlines():
        key, sep, _ = line.partition("=")
        if sep and not line.startswith("#") and key in overrides:
            line, _ = f"{key}={overrides[key]}", seen.add(key)
        lines.append(line)
    lines += [f"{k}={v}" for k, v in overrides.items() if k not in seen]
    return "\n".join(lines) + "\n"


class Stack:
    """One compose project from a copy of the checkout in ``where``."""

    def __init__(self, where: Path, extra_env: dict[str, str] | None = None) -> None:
        self.where = where
        self.project = f"trolysotest{uuid.uuid4().hex[:8]}"
        self.http_port, self.https_port = free_port(), free_port()
        self.env = {
            "POSTGRES_PASSWORD": f"pg-{uuid.uuid4().hex}", "TROLYSO_SECRET_KEY": f"key-{uuid.uuid4().hex}",
            "SITE_ADDRESS": "localhost", "TROLYSO_PUBLIC_URL": f"https://localhost:{self.https_port}",
            "COMPOSE_PROJECT_NAME": self.project, "TROLYSO_WORKERS": "1",
            "HTTP_PORT": str(self.http_port), "HTTPS_PORT": str(self.https_port), **STAND_INS,
            **(extra_env or {}),
        }  # fmt: skip
        compose = compose_command()
        assert compose is not None
        self.compose = [*compose, "-p", self.project, "-f", str(where / "deploy" / "compose.yaml")]
        self.timings: dict[str, float] = {}

    @property
    def https(self) -> str:
        return f"https://localhost:{self.https_port}"

    @property
    def http(self) -> str:
        return f"http://localhost:{self.http_port}"

    def _timed(self, step: str, argv: list[str], timeout: float) -> str:
        started = time.monotonic()
        try:
            return run(argv, cwd=self.where, timeout=timeout)
        finally:
            self.timings[step] = round(time.monotonic() - started, 1)

    def start(self) -> None:
        """Stand-in images, the checkout, deploy/.env; build, up, wait for every part to be healthy."""
        self._timed("stand-in images", ["bash", str(IMAGES / "build.sh")], timeout=900)
        copy_checkout(self.where)
        env = self.where / "deploy" / ".env"
        env.write_text(env_file(self.env), encoding="utf-8")
        env.chmod(0o600)
        self._timed("build", [*self.compose, "build", "--force-rm"], timeout=900)
        run(["docker", "tag", self.image("app"), APP_CACHE])
        self._timed("up", [*self.compose, "up", "-d"], timeout=300)
        started = time.monotonic()
        self.wait_healthy(["app", "app2"], timeout=120)
        self.timings["healthy"] = round(time.monotonic() - started, 1)

    def up(self) -> None:
        """`up -d` again: what an admin runs to bring back a container that was killed."""
        run([*self.compose, "up", "-d"], cwd=self.where, timeout=300)

    def image(self, service: str) -> str:
        """The image compose built for ``service`` (1.29 names it project_service, v2 project-service)."""
        for name in (f"{self.project}_{service}", f"{self.project}-{service}"):
            if subprocess.run(["docker", "image", "inspect", name], capture_output=True, check=False).returncode == 0:
                return name
        raise StackError(f"no image was built for {service}")

    def container(self, service: str) -> str:
        (cid,) = run([*self.compose, "ps", "-q", service], cwd=self.where).split() or [""]
        if not cid:
            raise StackError(f"no container for {service}")
        return cid

    def inspect(self, service: str, field: str) -> Any:
        """A field of `docker inspect` for the service's container, e.g. ``.State``."""
        return json.loads(run(["docker", "inspect", "-f", f"{{{{json {field}}}}}", self.container(service)]))

    def state(self, service: str) -> dict[str, object]:
        """`docker inspect`'s State of the service's container (Status, ExitCode, Health…)."""
        state = self.inspect(service, ".State")
        assert isinstance(state, dict)
        return state

    def health(self, service: str) -> str:
        health = self.state(service).get("Health")
        return str(health.get("Status")) if isinstance(health, dict) else "none"

    def wait_healthy(self, services: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while (states := {s: self.health(s) for s in services}) != dict.fromkeys(services, "healthy"):
            if time.monotonic() > deadline:
                raise StackError(f"not healthy after {timeout:.0f} s: {states}\n{self.logs()}")
            time.sleep(1)

    def ca(self) -> Path:
        """Caddy's local root certificate (its own CA signs `localhost`), copied out of its volume."""
        path = self.where / "caddy-root.crt"
        deadline = time.monotonic() + 30
        while True:
            try:
                run(["docker", "cp", f"{self.container('caddy')}:/data/caddy/pki/authorities/local/root.crt", str(path)])
                return path
            except StackError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def backup(self) -> bytes:
        """docs/deploy.md's backup command: `exec -T db pg_dump … --format=custom`."""
        done = subprocess.run([*self.compose, "exec", "-T", "db", "pg_dump", "-U", "trolyso", "--format=custom", "trolyso"],
                              cwd=self.where, capture_output=True, timeout=120, check=False)  # fmt: skip
        if done.returncode != 0:
            raise StackError(f"pg_dump exited {done.returncode}: {done.stderr.decode(errors='replace')}")
        return done.stdout

    def restore(self, dump: bytes) -> None:
        """docs/deploy.md's restore, with the app containers stopped: `exec -T db pg_restore --clean`."""
        run([*self.compose, "stop", "app", "app2"], cwd=self.where, timeout=120)
        done = subprocess.run([*self.compose, "exec", "-T", "db", "pg_restore", "-U", "trolyso", "--clean", "-d", "trolyso"],
                              input=dump, cwd=self.where, capture_output=True, timeout=120, check=False)  # fmt: skip
        if done.returncode != 0:
            raise StackError(f"pg_restore exited {done.returncode}: {done.stderr.decode(errors='replace')}")
        self.up()

    def sql(self, query: str) -> str:
        """One query's result in the stack's database, through psql in the db container."""
        return run([*self.compose, "exec", "-T", "db", "psql", "-U", "trolyso", "-d", "trolyso", "-tAc", query],
                   cwd=self.where).strip()  # fmt: skip

    def restore_list(self, dump: bytes) -> str:
        """What `pg_restore --list` reads in ``dump`` (in the db container, whose pg_restore matches)."""
        done = subprocess.run([*self.compose, "exec", "-T", "db", "pg_restore", "--list"], input=dump,
                              cwd=self.where, capture_output=True, timeout=120, check=False)  # fmt: skip
        if done.returncode != 0:
            raise StackError(f"pg_restore exited {done.returncode}: {done.stderr.decode(errors='replace')}")
        return done.stdout.decode()

    def kill(self, service: str) -> None:
        run(["docker", "kill", self.container(service)])

    def logs(self, *services: str) -> str:
        done = subprocess.run([*self.compose, "logs", "--no-color", "--tail", "60", *services], cwd=self.where,
                              capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        return done.stdout[-8000:] + done.stderr[-2000:]

    def stop(self) -> None:
        """Containers, network, volumes and the project's image tags go; the cached app image stays."""
        run([*self.compose, "down", "-v", "--remove-orphans", "--rmi", "local", "-t", "10"], cwd=self.where, timeout=180)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(Path(tmp), {"TROLYSO_CHANNELS": "web"})
        try:
            stack.start()
            print(f"{stack.https} (CA: {stack.ca()}); timings {stack.timings}. Enter stops it.")
            input()
        finally:
            stack.stop()
