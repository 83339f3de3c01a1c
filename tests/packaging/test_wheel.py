"""The built wheel works outside the checkout: installed in a fresh venv, run from a temp folder.

Offline and quick: the wheel is built with --no-build-isolation (hatchling and Babel come from the
lock, already in the test venv) and installed with --no-deps --no-index; its dependencies are the
test venv's own, seen through a .pth line (a path line does not run that folder's .pth files, so
the checkout's editable install stays invisible). Installing the lock's ~80 packages afresh
would need the network or minutes. A second .pth line hides every extra's module, so the
commands run as on a base install (web chat, terminal, SQLite).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXTRAS_MODULES = ["psycopg", "redis", "aiogram", "telegram"]

pytestmark = pytest.mark.slow


def run(*cmd: str | Path, cwd: Path, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in cmd], input=stdin, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, f"{cmd}:\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """(venv bin folder, an empty work folder, a clean environment) with the wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TROLYSO_", "PYTHON"))}
    env["PYTHONIOENCODING"] = "utf-8"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    run(*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", tmp / "dist", ROOT, cwd=tmp, env=env)
    (wheel,) = (tmp / "dist").glob("trolyso-*.whl")
    run(sys.executable, "-m", "venv", "--without-pip", tmp / "venv", cwd=tmp, env=env)
    bin_dir = tmp / "venv" / ("Scripts" if os.name == "nt" else "bin")
    python = bin_dir / ("python.exe" if os.name == "nt" else "python")
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                    cwd=tmp, env=env).stdout.strip())  # fmt: skip
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_test_venv_packages.pth").write_text("\n".join(sorted(ours)) + "\n")
    (site / "_base_install_only.pth").write_text(f"import sys; sys.modules.update(dict.fromkeys({EXTRAS_MODULES!r}))\n")
    run(*pip, "--python", python, "install", "--no-deps", "--no-index", wheel, cwd=tmp, env=env)
    work = tmp / "elsewhere"
    work.mkdir()
    return bin_dir, work, env


def test_the_package_and_its_data_come_from_the_venv(installed: tuple[Path, Path, dict[str, str]]) -> None:
    """bot/, its compiled catalogs, templates, static files and the PDF font are all inside the venv."""
    bin_dir, work, env = installed
    script = ("import bot, pathlib; from bot.admin.report_pdf import find_font; p = pathlib.Path(bot.__file__).parent;"
              " print(p); print(find_font()); print(*sorted(str(f.relative_to(p)) for f in p.rglob('*.mo')), sep='\\n')")  # fmt: skip
    lines = run(bin_dir / "python", "-c", script, cwd=work, env=env).stdout.splitlines()
    package, font, catalogs = Path(lines[0]), Path(lines[1]), lines[2:]
    assert package.is_relative_to(bin_dir.parent)
    assert not package.is_relative_to(ROOT)
    assert font.is_file()
    assert font.is_relative_to(package)
    assert catalogs == ["_data/locales/en/LC_MESSAGES/messages.mo", "_data/locales/vi/LC_MESSAGES/messages.mo"]
    assert (package / "web" / "static").is_dir()
    assert (package / "admin" / "templates").is_dir()


def test_chat_answers_from_a_temp_folder(installed: tuple[Path, Path, dict[str, str]]) -> None:
    """`trolyso chat` with piped input answers in Vietnamese from the packaged knowledge."""
    bin_dir, work, env = installed
    done = run(bin_dir / "trolyso", "chat", cwd=work, env=env, stdin="lam cccd o dau\n/lang en\ncảm ơn\n")
    assert "📋 Thẻ căn cước" in done.stdout
    assert (work / "var" / "trolyso.sqlite3").is_file()


def test_kb_check_strict_passes_on_the_packaged_data(installed: tuple[Path, Path, dict[str, str]]) -> None:
    """`trolyso kb check --strict` checks bot/_data inside the venv and ends with OK."""
    bin_dir, work, env = installed
    done = run(bin_dir / "trolyso", "kb", "check", "--strict", cwd=work, env=env)
    assert done.stdout.splitlines()[-1] == "OK"
    assert f"checked: {bin_dir.parent}" in done.stdout
    assert "_data/knowledge" in done.stdout


def test_taught_phrasings_are_not_written_into_the_installed_package(installed: tuple[Path, Path, dict[str, str]]) -> None:
    """`admin export-aliases` without TROLYSO_DATA_DIR refuses (exit 2) and says how to get a folder of one's own."""
    bin_dir, work, env = installed
    done = subprocess.run([str(bin_dir / "trolyso"), "admin", "export-aliases"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "trolyso kb copy FOLDER" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_answers_health_chat_admin_and_metrics(installed: tuple[Path, Path, dict[str, str]]) -> None:
    """`trolyso serve` answers /healthz, the web chat page, the admin login page and /metrics with the version."""
    bin_dir, work, env = installed
    version = run(bin_dir / "trolyso", "--version", cwd=work, env=env).stdout.split()[-1]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(bin_dir / "trolyso"), "serve", "--port", str(port)], cwd=work, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, "trolyso serve stopped"
                assert time.monotonic() < deadline, "trolyso serve did not start within a minute"
                time.sleep(0.2)
        assert health.status_code == 200
        assert health.json()["ok"] is True
        chat = httpx.get(f"{base}/chat", timeout=5)
        assert chat.status_code == 200
        assert "<html" in chat.text.lower()
        assert httpx.get(f"{base}/admin/login", timeout=5).status_code == 200
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        assert f'trolyso_build_info{{version="{version}"}} 1.0' in metrics
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "Traceback" not in output, output
