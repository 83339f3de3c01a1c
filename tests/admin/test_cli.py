"""`trolyso admin …` and the first start's one-time password."""

from __future__ import annotations

import argparse
import io
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.admin.accounts import Accounts
from bot.admin.cli import add_admin_commands, bootstrap_admin, run_admin
from bot.admin.config import AdminConfig
from bot.admin.schema import admin_users
from bot.admin.site import AdminSite
from bot.app import App
from bot.data.communes import CommuneBook
from bot.data.paths import knowledge_dir
from bot.settings import Settings
from bot.storage.db import create_db_engine, upgrade
from tests.admin.conftest import FAST_HASHER, PASSWORD


class Terminal(io.StringIO):
    """Standard input that claims (or not) to be a terminal."""

    def __init__(self, text: str = "", tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def admin(url: str, *argv: str, stdin: str = "", tty: bool = False) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="trolyso")
    add_admin_commands(parser.add_subparsers(dest="command"))
    out, err = io.StringIO(), io.StringIO()
    code = run_admin(parser.parse_args(["admin", *argv]), Terminal(stdin, tty), out, err, Settings(database_url=url))
    return code, out.getvalue(), err.getvalue()


def test_create_user_reads_the_password_from_stdin(sqlite_url: str) -> None:
    """create-user stores an argon2 hash of the piped password and logs who was created, on a
    SQLite database it creates itself if the server never ran."""
    code, out, _err = admin(sqlite_url, "create-user", "Chi.Lan", "--role", "admin", "--password-stdin",
                            stdin=PASSWORD + "\n")  # fmt: skip
    assert (code, out) == (0, "created admin 'chi.lan'\n")
    engine = create_db_engine(sqlite_url)
    accounts = Accounts(engine)
    assert accounts.authenticate("chi.lan", PASSWORD) is not None
    assert [(e.username, e.action) for e in accounts.audit_log()] == [("cli", "user_created")]
    engine.dispose()


def test_create_user_explains_its_refusals(sqlite_url: str) -> None:
    """A volunteer without a commune, a taken name or no terminal to ask on each get a clear error."""
    upgrade(sqlite_url)
    code, _out, err = admin(sqlite_url, "create-user", "tuan", "--role", "volunteer", "--password-stdin",
                            stdin=PASSWORD)  # fmt: skip
    assert code == 2
    assert "needs a commune" in err
    code, _out, err = admin(sqlite_url, "create-user", "tuan", "--role", "admin")
    assert code == 2
    assert "--password-stdin" in err
    admin(sqlite_url, "create-user", "tuan", "--role", "volunteer", "--commune", "Xã Tân Phú", "--password-stdin",
          stdin=PASSWORD)  # fmt: skip
    code, _out, err = admin(sqlite_url, "create-user", "tuan", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    assert code == 2
    assert "taken" in err


def test_create_user_stores_the_communes_id(sqlite_url: str) -> None:
    """--commune takes an id or a name (accents, prefix and old names aside) and stores the id,
    saying which commune it understood."""
    upgrade(sqlite_url)
    for username, typed in (("lan", "nghean.xa-anh-son"), ("hai", "xa anh son"), ("ba", "Xã Đức Sơn")):
        code, out, err = admin(sqlite_url, "create-user", username, "--role", "volunteer", "--commune", typed,
                               "--password-stdin", stdin=PASSWORD)  # fmt: skip
        assert (code, err) == (0, ""), typed
        assert out == f"created volunteer {username!r} for Xã Anh Sơn · nghean.xa-anh-son\n"
    engine = create_db_engine(sqlite_url)
    accounts = Accounts(engine)
    assert {u.username: u.commune for u in accounts.all()} == dict.fromkeys(("lan", "hai", "ba"), "nghean.xa-anh-son")
    assert accounts.audit_log()[0].detail == "ba (volunteer, Xã Anh Sơn · nghean.xa-anh-son)"
    engine.dispose()


def test_create_user_names_the_candidates_of_an_unclear_commune(sqlite_url: str) -> None:
    """A name several communes had, or one no commune has, is refused with the candidates (their
    names and ids) before any password is asked for, and nobody is created."""
    upgrade(sqlite_url)
    code, out, err = admin(sqlite_url, "create-user", "tuan", "--role", "volunteer", "--commune", "Long Sơn")
    assert (code, out) == (2, "")
    assert err.startswith("error: which commune is 'Long Sơn'? candidates: ")
    assert "Phường Thái Hòa (nghean.phuong-thai-hoa)" in err
    assert "Xã Yên Xuân (nghean.xa-yen-xuan)" in err
    assert "--password-stdin" not in err, "the commune is checked before the password is asked for"
    code, _out, err = admin(sqlite_url, "create-user", "tuan", "--role", "volunteer", "--commune", "Hà Nội",
                            "--password-stdin", stdin=PASSWORD)  # fmt: skip
    assert (code, err) == (2, "error: which commune is 'Hà Nội'? candidates: none\n")
    engine = create_db_engine(sqlite_url)
    assert Accounts(engine).all() == []
    engine.dispose()


def test_without_a_commune_list_the_commune_is_kept_as_typed(sqlite_url: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """With no knowledge/communes.yaml there is nothing to resolve against: --commune is stored as typed."""
    monkeypatch.setattr("bot.app.communes", CommuneBook)
    code, out, _err = admin(sqlite_url, "create-user", "tuan", "--role", "volunteer", "--commune", " Xã Mới ",
                            "--password-stdin", stdin=PASSWORD)  # fmt: skip
    assert (code, out) == (0, "created volunteer 'tuan' for Xã Mới\n")
    engine = create_db_engine(sqlite_url)
    user = Accounts(engine).get_by_name("tuan")
    engine.dispose()
    assert user is not None
    assert user.commune == "Xã Mới"


def test_an_unreachable_database_is_explained() -> None:
    """When the database cannot be used the command says what to check, not a traceback."""
    code, _out, err = admin("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1", "create-user", "lan",
                            "--role", "admin", "--password-stdin", stdin=PASSWORD)  # fmt: skip
    assert code == 2
    assert "trolyso db upgrade" in err


def test_set_password_makes_the_user_choose_a_new_one(sqlite_url: str) -> None:
    """set-password replaces the password and asks for a new one at the next login."""
    upgrade(sqlite_url)
    admin(sqlite_url, "create-user", "lan", "--role", "admin", "--password-stdin", stdin=PASSWORD)
    code, _out, _err = admin(sqlite_url, "set-password", "lan", "--password-stdin", stdin="another-long-one")
    engine = create_db_engine(sqlite_url)
    user = Accounts(engine).authenticate("lan", "another-long-one")
    engine.dispose()
    assert code == 0
    assert user is not None
    assert user.must_change_password


def test_export_aliases_writes_knowledge_files(sqlite_url: str, tmp_path: Path) -> None:
    """export-aliases --print shows YAML; without it the knowledge files gain the phrasing."""
    upgrade(sqlite_url)
    engine = create_db_engine(sqlite_url)
    from bot.admin.aliases import LearnedAliases

    LearnedAliases(engine, matcher=_NoMatcher(), known=["vneid"]).store("vneid", "app định danh", "lan")
    engine.dispose()
    code, out, _err = admin(sqlite_url, "export-aliases", "--print")
    assert code == 0
    assert 'vneid:\n  aliases:\n    - "app định danh"' in out
    folder = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir(), folder)
    code, out, _err = admin(sqlite_url, "export-aliases", "--knowledge", str(folder))
    assert code == 0
    assert "vneid.yaml: 1 phrasings added" in out
    assert '  - "app định danh"' in (folder / "vneid.yaml").read_text(encoding="utf-8")


class _NoMatcher:
    def add_alias(self, target: str, text: str) -> None:
        raise AssertionError("not applied in this test")


def test_first_start_prints_a_one_time_password_once(sqlite_url: str) -> None:
    """Without an admin, one is made with a one-time password shown once; its hash alone is stored."""
    upgrade(sqlite_url)
    engine = create_db_engine(sqlite_url)
    accounts = Accounts(engine, FAST_HASHER)
    err = io.StringIO()
    password = bootstrap_admin(accounts, err)
    assert password is not None
    assert len(password) >= 16
    assert password in err.getvalue()
    assert "admin" in err.getvalue()
    with engine.connect() as connection:
        stored = connection.execute(sa.select(admin_users.c.password_hash)).scalar_one()
    assert password not in stored
    assert stored.startswith("$argon2id$")
    user = accounts.authenticate("admin", password)
    assert user is not None
    assert user.must_change_password
    again = io.StringIO()
    assert bootstrap_admin(accounts, again) is None
    assert again.getvalue() == ""
    engine.dispose()


async def test_the_embedded_default_bootstraps_on_start(sqlite_url: str, fresh_engine: object) -> None:
    """Starting the dashboard on SQLite with no admin prints the one-time password to stderr, once."""
    upgrade(sqlite_url)
    settings = Settings(database_url=sqlite_url, secret_key="k" * 32)
    db = create_db_engine(sqlite_url)
    core = App(settings, fresh_engine, db, None, None)  # type: ignore[arg-type]
    outputs = []
    for _ in range(2):
        err = io.StringIO()
        site = AdminSite(core, settings, AdminConfig(alias_refresh_seconds=0), hasher=FAST_HASHER, stderr=err)
        await site.start()
        await site.stop()
        outputs.append(err.getvalue())
    assert "one-time password:" in outputs[0]
    assert outputs[1] == ""
    db.dispose()
