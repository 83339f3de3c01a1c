"""The `trolyso` command, run as a citizen or CI would run it: a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """The environment for a run: a private SQLite database under tmp_path, nothing else changed."""
    return {**os.environ, "TROLYSO_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'trolyso.sqlite3'}",
            "PYTHONIOENCODING": "utf-8"}  # fmt: skip


def trolyso(
    *args: str, env: dict[str, str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def assert_no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert "Traceback" not in done.stdout


# --- ask -------------------------------------------------------------------------------------


def test_ask_prints_the_matched_procedure_and_its_answer(env: dict[str, str], tmp_path: Path) -> None:
    """`ask "lam cccd o dau"` names identity_card and prints the answer with numbered buttons."""
    done = trolyso("ask", "lam cccd o dau", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("procedure: identity_card ")
    assert "decision: answer" in first
    assert "📋 Thẻ căn cước (trước đây là CCCD)" in done.stdout
    assert "[1] " in done.stdout


def test_ask_jsonl_writes_one_object_per_question(env: dict[str, str], tmp_path: Path) -> None:
    """`ask --jsonl` writes one JSON object per input line, blank ones included, with query, procedure, score, candidates."""
    lines = [
        "lam cccd o dau",
        "thời tiết hôm nay thế nào",
        "",
        "   ",
        "how do I get a passport",
        "đăng ký khai sinh",
    ]
    done = trolyso("ask", "--jsonl", env=env, cwd=tmp_path, stdin="\n".join(lines) + "\n")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["query"] for r in rows] == lines, "line n of the output answers line n of the input"
    assert [r["procedure"] for r in rows[2:4]] == [None, None]
    for row in rows:
        assert set(row) == {"query", "procedure", "score", "candidates"}
        assert row["procedure"] is None or isinstance(row["procedure"], str)
        assert 0.0 <= row["score"] <= 1.0
        assert len(row["candidates"]) <= 3
        for cand in row["candidates"]:
            assert set(cand) == {"procedure", "score"}
            assert 0.0 <= cand["score"] <= 1.0
    assert [r["procedure"] for r in rows] == ["identity_card", None, None, None, "passport", "birth_registration"]


def test_flows_list_names_each_flow_once(env: dict[str, str], tmp_path: Path) -> None:
    """`flows list` prints one line per flow with its id once, its steps and its title."""
    done = trolyso("flows", "list", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) >= 9
    assert "birth_registration\t5 steps\tĐăng ký khai sinh" in lines
    assert all(line.split("\t")[0] not in line.split("\t")[1:] for line in lines), "no id twice"


def test_ask_without_a_question_is_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    """`ask` with no question exits 2 with a message, not a traceback."""
    done = trolyso("ask", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "give a question" in done.stderr
    assert_no_traceback(done)


@pytest.mark.parametrize(
    "args",
    [(), ("nope",), ("ask", "--lang", "fr", "x"), ("flows",), ("kb", "check", "--bogus")],
    ids=["no command", "unknown command", "bad choice", "missing subcommand", "unknown option"],
)
def test_bad_usage_exits_2_with_usage(env: dict[str, str], tmp_path: Path, args: tuple[str, ...]) -> None:
    """Wrong arguments print the usage and exit 2, without a traceback."""
    done = trolyso(*args, env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "usage: trolyso" in done.stderr
    assert_no_traceback(done)


def test_flows_show_unknown_flow_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    """`flows show` with an unknown id exits 2 and lists the known flows."""
    done = trolyso("flows", "show", "no_such_flow", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "no flow 'no_such_flow'" in done.stderr
    assert "birth_registration" in done.stderr
    assert_no_traceback(done)


# --- chat ------------------------------------------------------------------------------------


def test_piped_chat_prints_replies_and_presses_numbered_buttons(env: dict[str, str], tmp_path: Path) -> None:
    """Piped chat: /start greets with `[n] label` lines, and "1" presses the first button of that reply."""
    done = trolyso("chat", env=env, cwd=tmp_path, stdin="/start\n1\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Xin chào! Mình là Trợ lý số")
    assert out.count("Xin chào! Mình là Trợ lý số") == 1, "a script's own /start is not greeted twice"
    assert "[1] Thẻ căn cước (trước đây là CCCD)\n" in out
    assert "[5] Gặp người hỗ trợ\n" in out
    pressed = out.split("[5] Gặp người hỗ trợ\n", 1)[1]
    assert pressed.lstrip().startswith("📋 Thẻ căn cước (trước đây là CCCD)\n")
    assert "Thẻ căn cước bắt buộc từ đủ 14 tuổi" in pressed
    assert_no_traceback(done)


def test_piped_chat_in_english(env: dict[str, str], tmp_path: Path) -> None:
    """`chat --lang en` answers a Vietnamese question in English."""
    done = trolyso("chat", "--lang", "en", env=env, cwd=tmp_path, stdin="lam cccd o dau\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Hello! I am Trợ lý số"), "greeted first, also over a pipe"
    assert "\n📋 Identity card (formerly CCCD) — Where to apply" in done.stdout
    assert "[1] Step-by-step guide" in done.stdout
    assert "Trợ lý số — type your question" in done.stderr, "the short help, out of the conversation's way"


def test_piped_chat_greets_in_vietnamese_with_a_short_help(env: dict[str, str], tmp_path: Path) -> None:
    """Piped chat without /start still greets (in Vietnamese) and prints the short help on stderr."""
    done = trolyso("chat", env=env, cwd=tmp_path, stdin="lam cccd o dau\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Xin chào! Mình là Trợ lý số")
    assert done.stdout.count("Xin chào!") == 1
    assert "📋 Thẻ căn cước (trước đây là CCCD)" in done.stdout
    assert "Trợ lý số — gõ câu hỏi rồi nhấn Enter" in done.stderr
    assert "/help" in done.stderr


def test_piped_chat_number_out_of_range_is_sent_as_text(env: dict[str, str], tmp_path: Path) -> None:
    """A number with no matching button is treated as a message, and the chat keeps going."""
    done = trolyso("chat", env=env, cwd=tmp_path, stdin="/start\n99\ncảm ơn\n")
    assert done.returncode == 0, done.stderr
    assert "Không có chi!" in done.stdout
    assert_no_traceback(done)


# --- kb check, help --------------------------------------------------------------------------


def test_kb_check_strict_passes_on_the_shipped_data(env: dict[str, str], tmp_path: Path) -> None:
    """`kb check --strict` exits 0 and ends with OK on the shipped data."""
    done = trolyso("kb", "check", "--strict", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "OK"
    assert "22 procedures" in done.stdout


@pytest.mark.parametrize(
    "args",
    [(), ("chat",), ("ask",), ("flows",), ("flows", "show"), ("flows", "list"), ("db",), ("db", "upgrade"),
     ("db", "purge"), ("kb",), ("kb", "check")],
    ids=lambda a: " ".join(a) or "trolyso",
)  # fmt: skip
def test_every_command_has_help(env: dict[str, str], tmp_path: Path, args: tuple[str, ...]) -> None:
    """`--help` on the program and on each subcommand exits 0 and prints a usage line."""
    done = trolyso(*args, "--help", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: trolyso")


def test_the_installed_console_script_shows_help(env: dict[str, str], tmp_path: Path) -> None:
    """The `trolyso` script declared in [project.scripts] runs and shows help."""
    script = BIN / "trolyso"
    assert script.exists(), f"{script} is not installed"
    done = subprocess.run([str(script), "--help"], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Start with `trolyso chat`" in done.stdout
