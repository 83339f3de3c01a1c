#!/usr/bin/env python3
"""Set up and run Trợ lý số with nothing but Python 3.11+.

    python3 tasks.py chat     set up, then chat with the assistant in this terminal
    python3 tasks.py test     set up, then run every check: lint, types, data, tests
    python3 tasks.py serve    set up, then start the HTTP server (when channels are on)

Set-up makes a virtual environment in .venv, installs the project with its development tools
(again only when pyproject.toml changes) and compiles the translation catalogs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def run(*cmd: str | Path, check: bool = True, quiet: bool = False, setup: bool = False) -> int:
    # Set-up talk goes to stderr, so `python3 tasks.py chat` piped keeps stdout for the chat.
    print("+", " ".join(str(c) for c in cmd), file=sys.stderr if setup else sys.stdout, flush=True)
    out = subprocess.DEVNULL if quiet else (sys.stderr if setup else None)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check, stdout=out).returncode


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Trợ lý số needs Python 3.11 or newer.")
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != digest:
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip", check=False, setup=True)
        run(PY, "-m", "pip", "install", "--quiet", "-e", ".[dev,bench]", setup=True)
        stamp.write_text(digest)
    run(BIN / "pybabel", "compile", "-d", "locales", "-D", "messages", quiet=True, setup=True)


def test(extra: list[str]) -> int:
    steps: list[tuple[str | Path, ...]] = [
        (BIN / "ruff", "check", "bot", "tests", "bench", "tasks.py"),
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
    if not argv or argv[0] not in ("chat", "test", "serve", "setup"):
        print(__doc__)
        return 2
    setup()
    command, rest = argv[0], argv[1:]
    if command == "test":
        return test(rest)
    if command == "setup":
        return 0
    return subprocess.call([str(BIN / "trolyso"), command, *rest], cwd=ROOT)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
