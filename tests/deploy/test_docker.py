"""The Docker recipe (deploy/Dockerfile, compose.yaml, Caddyfile, env.example) agrees with the code.

test_docker_stack.py builds and runs it where Docker is; here each file is read as Docker would
read it and every name in it is checked against what it names (in seconds, Docker or not): the files the image copies build the wheel, its command and compose's are
`trolyso` commands, its health check passes against the real app, every variable is a setting the
app reads (or one compose or Caddy uses), and the settings they make together start a server."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from bot.cli import check_workers
from bot.ratelimit import parse_proxies
from bot.settings import Settings
from bot.usage.factory import spool_path
from bot.web.app import create_app
from tests.deploy.recipe import DEPLOY, ROOT, cli_problem, docker_env, dockerfile
from tests.live import served

INSTRUCTIONS = dockerfile()
IMAGE_ENV = docker_env(INSTRUCTIONS)
COMPOSE_TEXT = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
CADDYFILE = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
SETTINGS = {f"TROLYSO_{name.upper()}" for name in Settings.model_fields}
SECRETS_TO_FILL = {"POSTGRES_PASSWORD", "TROLYSO_SECRET_KEY"}
"""Left blank in env.example on purpose: PostgreSQL's image and the app refuse to start without them."""
COMPOSE_OWN = {"COMPOSE_PROJECT_NAME"}
"""Read by Docker Compose itself from deploy/.env."""
VARIABLE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_TEXT)
    assert isinstance(loaded, dict), "deploy/compose.yaml is not a mapping"
    return loaded


def env_example() -> tuple[dict[str, str], set[str]]:
    """(the KEY=VALUE lines, the names only shown in comments as ``# KEY=…``)."""
    values: dict[str, str] = {}
    commented: set[str] = set()
    for number, line in enumerate((DEPLOY / "env.example").read_text(encoding="utf-8").splitlines(), 1):
        if match := re.fullmatch(r"#\s*([A-Z][A-Z0-9_]*)=.*", line.strip()):
            commented.add(match[1])
        elif line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"deploy/env.example:{number}: not KEY=VALUE"
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*", key), (
                f"deploy/env.example:{number}: {key!r} is no variable name"
            )
            values[key] = value
    return values, commented


def filled_env() -> dict[str, str]:
    """env.example as someone who followed docs/deploy.md has it: the blank secrets filled in."""
    values, _ = env_example()
    return {k: (v or "Zq8-filled-in-by-the-admin-" + k.lower()) for k, v in values.items()}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR} and ${VAR:-default} against deploy/.env."""
    return VARIABLE.sub(lambda m: env.get(m[1]) or (m[2] or ""), value)


def app_services() -> dict[str, dict[str, Any]]:
    """The services built from our Dockerfile."""
    return {name: s for name, s in compose()["services"].items() if "build" in s}


def app_environment(service: dict[str, Any]) -> dict[str, str]:
    """What the container sees: the image's ENV, then env_file (.env), then compose's environment."""
    env = dict(IMAGE_ENV)
    env.update(filled_env())
    env.update({k: interpolate(str(v), filled_env()) for k, v in (service.get("environment") or {}).items()})
    return env


def settings_from(env: dict[str, str]) -> Settings:
    values = {k.removeprefix("TROLYSO_").lower(): v for k, v in env.items() if k in SETTINGS}
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_image_is_built_from_the_checkout() -> None:
    """compose builds deploy/Dockerfile with the checkout as context (what its COPY lines assume)."""
    for name, service in app_services().items():
        build = service["build"]
        assert (DEPLOY / build["context"]).resolve() == ROOT, f"compose.yaml: {name}'s build context"
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert app_services(), "compose.yaml builds no service from deploy/Dockerfile"


def test_the_files_the_image_copies_build_the_wheel(tmp_path: Path) -> None:
    """Only what the Dockerfile copies, laid out as it lays it out, builds a wheel with the data."""
    src = tmp_path / "src"
    src.mkdir()
    for keyword, rest in INSTRUCTIONS:
        if keyword != "COPY":
            continue
        *sources, target = shlex.split(rest)
        assert not any(s.startswith("--") for s in sources), "a COPY --from/--chown: teach this test"
        for source in sources:
            path = ROOT / source
            assert path.exists(), f"deploy/Dockerfile: COPY {source}: no such file in the checkout"
            into = src / target if target.endswith("/") or len(sources) > 1 else src / target.rstrip("/")
            if path.is_dir():
                shutil.copytree(path, into, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
            else:
                dest = into / path.name if target.endswith("/") or len(sources) > 1 else into
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, dest)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (
        f"pip wheel on the Dockerfile's files:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    )
    (wheel,) = (tmp_path / "dist").glob("trolyso-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "bot/_data/locales/vi/LC_MESSAGES/messages.mo" in names
    assert any(n.startswith("bot/_data/flows/") for n in names)
    assert any(n.startswith("bot/_data/knowledge/") for n in names)
    assert (src / "requirements/server.txt").exists(), "the image installs the lock (requirements/server.txt)"


def test_the_image_installs_the_server_extras_from_the_lock() -> None:
    """The image runs on PostgreSQL and Redis, so it installs the hash-checked server lock."""
    runs = " ".join(rest for keyword, rest in INSTRUCTIONS if keyword == "RUN")
    assert "--require-hashes -r requirements/server.txt" in runs
    assert "pip install --no-deps ." in runs


def test_the_image_command_is_trolyso_serve() -> None:
    """CMD (exec form) is a real `trolyso` command, and it is serve."""
    (cmd,) = [rest for keyword, rest in INSTRUCTIONS if keyword == "CMD"]
    argv = json.loads(cmd)
    assert (problem := cli_problem(argv)) is None, f"deploy/Dockerfile CMD: {problem}"
    assert argv[1:] == ["serve"]


def test_every_variable_the_image_sets_is_a_setting() -> None:
    """A renamed setting cannot leave the image setting the old name."""
    ours = {k for k in IMAGE_ENV if k.startswith("TROLYSO_")}
    assert ours <= SETTINGS, f"deploy/Dockerfile ENV names no setting: {sorted(ours - SETTINGS)}"
    assert f"EXPOSE {IMAGE_ENV['TROLYSO_PORT']}" in {f"{k} {r}" for k, r in INSTRUCTIONS}


async def test_the_health_check_passes_against_the_app_and_fails_without_it(sqlite_url: str) -> None:
    """The HEALTHCHECK command, run as written against the real app, says healthy; with the app gone, not."""
    (check,) = [rest for keyword, rest in INSTRUCTIONS if keyword == "HEALTHCHECK"]
    _options, sep, command = check.partition(" CMD ")
    assert sep, "deploy/Dockerfile: HEALTHCHECK … CMD …"
    argv = shlex.split(command)
    assert argv[0] == "python"
    address = f"http://127.0.0.1:{IMAGE_ENV['TROLYSO_PORT']}/"
    assert address in argv[-1], f"the health check asks {address} (TROLYSO_PORT)"
    settings = Settings(_env_file=None, database_url=sqlite_url, channels="web", admin_dashboard=False)  # type: ignore[call-arg]
    async with served(create_app(settings)) as url:
        here = [sys.executable, *argv[1:-1], argv[-1].replace(address, url + "/")]
        done = await asyncio.to_thread(subprocess.run, here, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, done.stderr
    done = await asyncio.to_thread(subprocess.run, here, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0, "the health check passed with no server"


def test_compose_services_and_dependencies_exist() -> None:
    """Every depends_on names a service; the app waits for the migration, the migration for the database."""
    services = compose()["services"]
    for name, service in services.items():
        depends = service.get("depends_on") or []
        for other in depends if isinstance(depends, list) else depends.keys():
            assert other in services, f"compose.yaml: {name} depends on {other!r}, which is no service"
    migrations = [
        n for n, s in app_services().items() if s.get("command") and s["command"][1:] == ["db", "upgrade"]
    ]
    assert migrations, "compose.yaml: no service runs `trolyso db upgrade`"
    (migrate,) = migrations
    assert services[migrate]["depends_on"]["db"]["condition"] == "service_healthy"
    servers = [n for n, s in app_services().items() if not s.get("command")]
    assert servers, "compose.yaml: no service runs the image's command (trolyso serve)"
    for name in servers:
        assert services[name]["depends_on"][migrate]["condition"] == "service_completed_successfully"


def test_compose_commands_are_trolyso_commands() -> None:
    """A command compose gives our image is one the CLI knows."""
    for name, service in app_services().items():
        if service.get("command"):
            assert (problem := cli_problem(service["command"])) is None, f"compose.yaml: {name}: {problem}"


def test_every_variable_compose_and_env_example_name_is_used() -> None:
    """TROLYSO_* names are settings; others are what compose interpolates or Caddy reads."""
    values, commented = env_example()
    interpolated = {m[1] for m in VARIABLE.finditer(COMPOSE_TEXT)}
    for name in values.keys() | commented:
        assert name in SETTINGS | interpolated | COMPOSE_OWN, f"deploy/env.example: {name} is read by nothing"
    for name, service in app_services().items():
        unknown = {k for k in service.get("environment") or {} if k not in SETTINGS}
        assert not unknown, f"compose.yaml: {name} sets {sorted(unknown)}, which are no settings"


def test_every_variable_compose_needs_is_in_env_example() -> None:
    """${VAR} without a default in compose.yaml has its line in env.example (deploy/.env)."""
    values, _ = env_example()
    for match in VARIABLE.finditer(COMPOSE_TEXT):
        if match[2] is None:
            assert match[1] in values, f"compose.yaml uses ${{{match[1]}}}: add it to deploy/env.example"


def test_env_example_leaves_blank_only_what_must_be_filled_in() -> None:
    """A blank optional value would be read as set (an empty webhook secret stops the server)."""
    values, _ = env_example()
    blank = {k for k, v in values.items() if not v}
    assert blank == SECRETS_TO_FILL, f"deploy/env.example: comment out {sorted(blank - SECRETS_TO_FILL)}"


def test_the_settings_compose_makes_start_a_server() -> None:
    """The app's settings from image, .env and compose pass the checks `trolyso serve` makes."""
    for name, service in app_services().items():
        settings = settings_from(app_environment(service))
        check_workers(settings)
        parse_proxies(settings.trusted_proxies)
        settings.escalation_targets()
        assert set(settings.enabled_channels()) <= {"web", "telegram", "zalo"}
        assert settings.database_url.startswith("postgresql+psycopg://"), (
            f"compose.yaml: {name} is not on PostgreSQL"
        )
        assert (settings.redis_url or "").startswith("redis://redis:"), f"compose.yaml: {name} has no Redis"


def test_the_usage_spool_is_on_a_volume() -> None:
    """Events waiting for the database survive the container: the spool lies in a mounted volume."""
    workdir = PurePosixPath("/")
    for keyword, rest in INSTRUCTIONS:
        if keyword == "WORKDIR":
            workdir = workdir / rest
    volumes: dict[str, str] = {}
    for name, service in app_services().items():
        if service.get("command"):
            continue  # a one-shot command writes no events
        spool = workdir / spool_path(settings_from(app_environment(service))).as_posix()
        mounts = {PurePosixPath(v.split(":")[1]): v.split(":")[0] for v in service.get("volumes") or []}
        (volume,) = [v for m, v in mounts.items() if spool.is_relative_to(m)] or [None]
        assert volume, f"compose.yaml: {name}'s spool {spool} is on no volume"
        # Each container's processes name their spools by pid; two containers' pids overlap.
        assert volume not in volumes, f"compose.yaml: {name} shares its spool volume with {volumes[volume]}"
        volumes[volume] = name


def test_caddy_proxies_to_the_app_and_checks_a_real_path() -> None:
    """Caddy's upstreams are the app services on TROLYSO_PORT, every one of them; its health_uri is
    the app's /healthz."""
    (upstreams,) = re.findall(r"reverse_proxy\s+([^{\n]+?)\s*\{", CADDYFILE)
    servers = {name for name, s in app_services().items() if not s.get("command")}
    hosts = set()
    for upstream in upstreams.split():
        host, _, port = upstream.partition(":")
        assert host in servers, f"Caddyfile: {host} is no service running deploy/Dockerfile's server"
        assert port == app_environment(app_services()[host]).get("TROLYSO_PORT", "8080")
        hosts.add(host)
    assert hosts == servers, f"Caddyfile: {sorted(servers - hosts)} get no requests"
    assert re.findall(r"health_uri\s+(\S+)", CADDYFILE) == ["/healthz"]
    caddy = next(s for s in compose()["services"].values() if "Caddyfile" in str(s.get("volumes")))
    for name in re.findall(r"\{\$(\w+)\}", CADDYFILE):
        assert name in (caddy.get("environment") or {}), (
            f"Caddyfile reads {name}: give it to the caddy service"
        )
    assert (DEPLOY / "Caddyfile").exists()


@pytest.mark.parametrize("command", ["db upgrade", "serve"])
def test_docs_name_the_commands_the_recipe_runs(command: str) -> None:
    """docs/deploy.md describes the same commands the files run."""
    assert f"trolyso {command}" in (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
