"""`trolyso admin add-volunteer` and `volunteer-code`, run as an operator would: a subprocess."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.core.desk import LinkOutcome
from bot.helpdesk.sql import SqlHelpDesk, hash_code
from bot.storage.db import create_db_engine
from bot.storage.tables import link_codes, volunteers
from tests.cli.test_cli import assert_no_traceback, trolyso

CODE = re.compile(r"/lienket ([A-Z0-9]{4}-[A-Z0-9]{4})")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "TROLYSO_DATABASE_URL": f"sqlite:///{tmp_path / 'var' / 'trolyso.sqlite3'}",
            "PYTHONIOENCODING": "utf-8"}  # fmt: skip


def test_add_volunteer_prints_a_code_that_links_once(env: dict[str, str], tmp_path: Path) -> None:
    done = trolyso("admin", "add-volunteer", "Trần Văn Tâm", "--team", "Tổ CNSCĐ xóm 2", "--commune", "duc son",
                   "--phone", "0988.111.222", env=env, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = CODE.search(done.stdout)
    assert found is not None, done.stdout
    assert "nghean.xa-anh-son" in done.stdout  # an old commune name resolved to the new commune
    db = create_db_engine(env["TROLYSO_DATABASE_URL"])
    try:
        with db.connect() as conn:
            row = conn.execute(sa.select(volunteers)).one()
            hashes = conn.execute(sa.select(link_codes.c.code_hash)).scalars().all()
        assert (row.name, row.team, row.commune, row.phone) == ("Trần Văn Tâm", "Tổ CNSCĐ xóm 2",
                                                                 "nghean.xa-anh-son", "0988111222")  # fmt: skip
        assert hashes == [hash_code(found.group(1))]
        again = trolyso("admin", "volunteer-code", str(row.id), env=env, cwd=tmp_path)
        fresh = CODE.search(again.stdout)
        assert fresh is not None, again.stdout
        desk = SqlHelpDesk(db)
        assert asyncio.run(desk.link("zalo", "u1", found.group(1))).outcome is LinkOutcome.EXPIRED  # replaced
        assert asyncio.run(desk.link("zalo", "u1", fresh.group(1))).outcome is LinkOutcome.LINKED
    finally:
        db.dispose()


def test_add_volunteer_refuses_an_unknown_commune_or_a_bad_phone(env: dict[str, str], tmp_path: Path) -> None:
    unknown = trolyso("admin", "add-volunteer", "A", "--team", "T", "--commune", "zzzz", env=env, cwd=tmp_path)
    bad_phone = trolyso("admin", "add-volunteer", "A", "--team", "T", "--phone", "12345", env=env, cwd=tmp_path)
    missing = trolyso("admin", "volunteer-code", "99", env=env, cwd=tmp_path)
    for done in (unknown, bad_phone, missing):
        assert done.returncode == 2
        assert done.stderr.startswith("error: ")
        assert_no_traceback(done)
    assert "candidates: none" in unknown.stderr
    assert "not a Vietnamese phone number" in bad_phone.stderr
