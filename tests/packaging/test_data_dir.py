"""TROLYSO_DATA_DIR: a province's own knowledge/ and flows/ replace the shipped ones."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.data.paths import data_root, flows_dir, knowledge_dir
from bot.errors import ConfigError


def trolyso(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "TROLYSO_DATABASE_URL": f"sqlite:///{cwd / 'db.sqlite3'}", **env},
                          timeout=120, check=False)  # fmt: skip


def test_a_province_edit_in_the_copied_folder_is_what_the_assistant_answers(tmp_path: Path) -> None:
    """`kb copy` writes the shipped data; an edit there shows in `ask` and `kb check` with TROLYSO_DATA_DIR."""
    province = tmp_path / "nghe-an"
    copied = trolyso("kb", "copy", str(province), cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    card = province / "knowledge" / "identity_card.yaml"
    text = card.read_text()
    shipped = re.search(r'^names: \{vi: "([^"]+)"', text, re.MULTILINE)
    assert shipped is not None
    card.write_text(text.replace(f'vi: "{shipped.group(1)}"', 'vi: "Thẻ căn cước (Nghệ An)"', 1))
    asked = trolyso("ask", "lam cccd o dau", cwd=tmp_path, TROLYSO_DATA_DIR=str(province))
    assert asked.returncode == 0, asked.stderr
    assert "Thẻ căn cước (Nghệ An)" in asked.stdout
    checked = trolyso("kb", "check", "--strict", cwd=tmp_path, TROLYSO_DATA_DIR=str(province))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"checked: {province / 'knowledge'}, {province / 'flows'}" in checked.stdout
    assert "Thẻ căn cước (Nghệ An)" not in trolyso("ask", "lam cccd o dau", cwd=tmp_path).stdout


def test_a_folder_with_only_flows_keeps_the_shipped_knowledge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of knowledge/ and flows/ is replaced only when the folder holds it."""
    (tmp_path / "flows").mkdir()
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path))
    assert flows_dir() == tmp_path / "flows"
    assert knowledge_dir() == data_root() / "knowledge"


def test_a_folder_holding_neither_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """TROLYSO_DATA_DIR naming an empty or missing folder fails with the way to fill it, not silently."""
    monkeypatch.setenv("TROLYSO_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="kb copy"):
        knowledge_dir()


def test_kb_copy_never_overwrites_an_edited_folder(tmp_path: Path) -> None:
    """`kb copy` into a folder that already holds knowledge/ refuses with exit 2 and leaves it alone."""
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "mine.yaml").write_text("edited")
    done = trolyso("kb", "copy", str(tmp_path), cwd=tmp_path)
    assert done.returncode == 2
    assert "already holds knowledge/" in done.stderr
    assert [p.name for p in (tmp_path / "knowledge").iterdir()] == ["mine.yaml"]
