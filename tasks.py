#!/usr/bin/env python3
"""Set up and run Trợ lý số with nothing but Python 3.11+.

    python3 tasks.py chat     set up, then chat with the assistant in this terminal
    python3 tasks.py test     set up, then run every check: lint, types, data, tests
    python3 tasks.py serve    set up, then start the HTTP server (when channels are on)
    python3 tasks.py lock     refresh requirements/*.txt after editing pyproject.toml's dependencies
    python3 tasks.py lock --upgrade   the same, every package to its newest allowed release

Set-up makes a virtual environment in .venv, installs the exact, hash-checked versions pinned in
requirements/dev.txt (again only when it or pyproject.toml changes) and compiles the translation
catalogs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
LOCK = ROOT / "requirements" / "dev.txt"
# The resolver that writes the lock files; pinned so a refresh by anyone gives the same files.
UV = "uv==0.13.9"


TICK = 15.0
"""Seconds between "still working" lines while a set-up step runs (pip is silent for minutes)."""


def stage(text: str) -> None:
    """One line saying what set-up does now, in Vietnamese and English (stderr, like all set-up talk)."""
    print(f"» {text}", file=sys.stderr, flush=True)


def run(*cmd: str | Path, check: bool = True, quiet: bool = False, setup: bool = False) -> int:
    # Set-up talk goes to stderr, so `python3 tasks.py chat` piped keeps stdout for the chat.
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr if setup else sys.stdout, flush=True)
    out = subprocess.DEVNULL if quiet else (sys.stderr if setup else None)
    process = subprocess.Popen([str(c) for c in cmd], cwd=ROOT, stdout=out)
    started = time.monotonic()
    while True:
        try:
            code = process.wait(timeout=TICK if setup else None)
            break
        except subprocess.TimeoutExpired:  # a silent step: show that it is alive and how long it has run
            seconds = int(time.monotonic() - started)
            print(f"  … vẫn đang chạy / still working ({seconds} s)", file=sys.stderr, flush=True)
    if check and code:
        raise subprocess.CalledProcessError(code, [str(c) for c in cmd])
    return code


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Trợ lý số needs Python 3.11 or newer.")
    if not PY.exists():
        stage("Tạo môi trường Python riêng trong .venv / creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + LOCK.read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        stage("Cài các thư viện (lần đầu mất khoảng 2 phút) / installing the libraries (about 2 minutes the first time)")
        # Exact versions with their hashes from the lock, then the project itself without
        # resolving again (its build backend is in the lock too, so nothing unpinned is fetched).
        run(PY, "-m", "pip", "install", "--quiet", "--require-hashes", "-r", LOCK, setup=True)
        run(PY, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", ".", setup=True)
        stamp.write_text(digest)
    stage("Chuẩn bị bản dịch / compiling the translations")
    run(BIN / "pybabel", "compile", "-d", "locales", "-D", "messages", quiet=True, setup=True)


def lock(extra: list[str]) -> int:
    """Resolve pyproject.toml into requirements/dev.txt (everything tasks.py and CI install) and
    requirements/server.txt (the server with every extra, at the same versions). Markers make
    both files hold for every platform and Python 3.11+, not just this machine. Existing pins are
    kept unless ``--upgrade`` (or ``--upgrade-package NAME``) is given."""
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    uv = BIN / ("uv.exe" if os.name == "nt" else "uv")
    if not uv.exists():
        run(PY, "-m", "pip", "install", "--quiet", UV, setup=True)
    common = ["--universal", "--python-version", "3.11", "--generate-hashes", "--quiet",
              "--custom-compile-command", " ".join(["python3 tasks.py lock", *extra]), *extra]
    code = run(uv, "pip", "compile", "pyproject.toml", "requirements/build.in", "--extra", "dev",
               "--extra", "bench", *common, "-o", LOCK, check=False)
    if code == 0:
        code = run(uv, "pip", "compile", "pyproject.toml", "--extra", "all", "-c", LOCK, *common,
                   "-o", LOCK.with_name("server.txt"), check=False)
    return code


def test(extra: list[str]) -> int:
    steps: list[tuple[str | Path, ...]] = [
        (BIN / "ruff", "check", "bot", "tests", "bench", "tasks.py", "hatch_build.py"),
        (BIN / "mypy",),
        (BIN / "trolyso", "kb", "check", "--strict"),
        (PY, "-m", "pytest", *extra),
    ]
    for step in steps:
        code = run(*step, check=False)
        if code:
            print(f"FAILED: {' '.join(str(s) for s in step)}", file=sys.stderr)
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("chat", "test", "serve", "setup", "lock"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "lock" and lock(rest):
        return 1
    setup()
    if command == "test":
        return test(rest)
    if command in ("setup", "lock"):
        return 0
    return subprocess.call([str(BIN / "trolyso"), command, *rest], cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
