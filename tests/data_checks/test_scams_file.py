"""knowledge/scams.yaml is validated at load: mistakes name the file, the line and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.data.knowledge import load_knowledge
from bot.data.paths import knowledge_dir
from bot.errors import DataError


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A private copy of the real knowledge folder, free to break."""
    return Path(shutil.copytree(knowledge_dir(), tmp_path / "knowledge"))


def _edit(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_the_shipped_file_loads_with_sources() -> None:
    """The shipped scam entry loads, cites official warnings and names procedures that exist."""
    kb = load_knowledge()
    assert kb.scams is not None
    assert all(s.url.startswith("https://") for s in kb.scams.sources)
    assert set(kb.scams.reminder_procedures) <= set(kb.procedures)


def test_a_phrase_with_accents_is_refused(folder: Path) -> None:
    """A signal written with accents could never match a folded message: the error says so."""
    _edit(folder / "scams.yaml", "    - doc ma otp\n", "    - đọc mã OTP\n")
    with pytest.raises(DataError) as caught:
        load_knowledge(folder)
    problem = " ".join(caught.value.problems)
    assert "knowledge/scams.yaml:" in problem
    assert "signals" in problem
    assert "doc ma otp" in problem


def test_an_unknown_reminder_procedure_names_its_line(folder: Path) -> None:
    """A reminder procedure that is no knowledge file is reported at its line."""
    line = _edit(folder / "scams.yaml", "reminder_procedures: [vneid,", "reminder_procedures: [vneidd,")
    with pytest.raises(DataError) as caught:
        load_knowledge(folder)
    assert caught.value.problems == [
        f"knowledge/scams.yaml:{line}: reminder_procedures: 'vneidd' is not a procedure;"
        " use an id of a file in knowledge/"
    ]


def test_without_the_file_the_knowledge_base_still_loads(folder: Path) -> None:
    """scams.yaml is optional: without it the assistant simply warns of nothing."""
    (folder / "scams.yaml").unlink()
    assert load_knowledge(folder).scams is None
