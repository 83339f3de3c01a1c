"""The version comes from the package metadata: `trolyso --version` and /metrics say the same."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import httpx
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from bot.settings import Settings
from bot.web.app import create_app
from tests.live import served


def test_version_flag_prints_the_installed_version(tmp_path: Path) -> None:
    """`trolyso --version` prints the version pip recorded for the installed package."""
    done = subprocess.run([sys.executable, "-m", "bot", "--version"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"trolyso {version('trolyso')}"


async def test_metrics_report_the_version_in_prometheus_own_content_type(sqlite_url: str) -> None:
    """/metrics answers in prometheus_client's content type with trolyso_build_info{version=…}."""
    web = create_app(Settings(database_url=sqlite_url, channels="web", admin_dashboard=False))
    async with served(web) as url, httpx.AsyncClient(base_url=url) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    samples = [s for family in text_string_to_metric_families(response.text) for s in family.samples
               if s.name == "trolyso_build_info"]  # fmt: skip
    assert [(s.labels, s.value) for s in samples] == [({"version": version("trolyso")}, 1.0)]
