"""A setting that needs an extra which is not installed gets an error naming the pip command.

Each run hides the extra's module the way a base install lacks it (``sys.modules[name] = None``
makes both ``import`` and ``find_spec`` see no module), in a real `trolyso` subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RUN = "import sys; sys.modules.update(dict.fromkeys(sys.argv.pop(1).split(','))); from bot.cli import main; sys.exit(main(sys.argv[1:]))"


def trolyso_without(hidden: str, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", RUN, hidden, *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "TROLYSO_DATABASE_URL": f"sqlite:///{cwd / 'db.sqlite3'}", **env},
                          timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("hidden", "args", "env", "extra"),
    [
        ("psycopg", ("db", "upgrade"), {"TROLYSO_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}, "postgres"),
        ("aiogram", ("serve", "--port", "1"), {"TROLYSO_CHANNELS": "web,telegram"}, "aiogram"),
        ("telegram", ("serve", "--port", "1"),
         {"TROLYSO_CHANNELS": "telegram", "TROLYSO_TELEGRAM_LIBRARY": "ptb"}, "ptb"),
        ("aiogram", ("telegram", "--polling"), {"TROLYSO_TELEGRAM_TOKEN": "1:x"}, "aiogram"),
        ("redis", ("serve", "--port", "1"), {"TROLYSO_REDIS_URL": "redis://127.0.0.1:1/0"}, "redis"),
    ],
    ids=["postgres", "aiogram-webhook", "ptb-webhook", "aiogram-polling", "redis"],
)  # fmt: skip
def test_a_missing_extra_is_named_with_its_pip_command(
    tmp_path: Path, hidden: str, args: tuple[str, ...], env: dict[str, str], extra: str
) -> None:
    """The command exits 2 with one line naming the setting and `pip install 'trolyso[extra]'`."""
    done = trolyso_without(hidden, *args, cwd=tmp_path, **env)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"pip install 'trolyso[{extra}]'" in done.stderr
    assert "TROLYSO_" in done.stderr


def test_the_web_chat_and_the_terminal_need_no_extra(tmp_path: Path) -> None:
    """With every extra hidden, a question in the terminal chat still gets its answer (SQLite)."""
    done = subprocess.run(
        [sys.executable, "-c", RUN, "psycopg,redis,aiogram,telegram", "chat"], input="lam cccd o dau\n",
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
        env={**os.environ, "TROLYSO_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "CCCD" in done.stdout
