"""Assigning an inbox question to a procedure: stored, answered at once, shared, exported."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from bot.admin.aliases import export_yaml, write_to_knowledge
from bot.admin.config import AdminConfig
from bot.admin.site import AdminSite
from bot.app import App
from bot.core.engine import Engine
from bot.core.messages import Inbound
from bot.data.flows import FlowSet
from bot.data.knowledge import KnowledgeBase, load_knowledge
from bot.data.paths import knowledge_dir
from tests.admin.conftest import FAST_HASHER, csrf_of, login
from tests.admin.data import D2, insert, row

QUESTION = "ông cụ vừa về trời"  # "passed away", said kindly: not understood until taught
"""Asked twice; the assistant does not understand it (no procedure comes near) until taught."""


@pytest.fixture
def asked(seeded: AdminSite) -> AdminSite:
    insert(seeded.db, [row(D2, "web", None, f"q{i}", "did_you_mean", None, QUESTION, hour=4 + i) for i in range(2)])
    return seeded


async def answer_of(engine: Engine, text: str) -> str | None:
    """The procedure the assistant answers ``text`` with, or None when it does not answer."""
    turn = await engine.handle(Inbound("web", "citizen", text))
    return next((e.procedure for e in turn.events if e.kind == "answered"), None)


async def test_assigning_teaches_the_running_assistant(asked: AdminSite, client: httpx.AsyncClient) -> None:
    """After one assignment the same matcher answers the question, the inbox drops it, the log says so."""
    engine = asked.core.engine
    assert await answer_of(engine, QUESTION) is None
    await login(client, "chi.lan")
    inbox = await client.get("/admin/inbox")
    assert inbox.text.count('class="card group"') == 2
    assert "2×" in inbox.text
    response = await client.post("/admin/inbox/assign", data={
        "csrf": csrf_of(inbox.text), "procedure": "death_registration", "text": QUESTION, "back": "days=30"})  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"].startswith("/admin/inbox?days=30&taught=")
    after = await client.get(response.headers["location"])
    assert "Trợ lý giờ trả lời câu này bằng: Đăng ký khai tử" in after.text
    assert after.text.count('class="card group"') == 1, "the assigned group has left the inbox"
    assert await answer_of(engine, QUESTION) == "death_registration"
    assert [(a.procedure, a.text, a.created_by) for a in asked.aliases.all()] == [
        ("death_registration", QUESTION, "chi.lan")]  # fmt: skip
    actions = [(e.username, e.action, e.detail) for e in asked.accounts.audit_log()]
    assert ("chi.lan", "alias_assigned", f"death_registration: {QUESTION}") in actions


async def test_assigning_an_unknown_procedure_is_refused(asked: AdminSite, client: httpx.AsyncClient) -> None:
    """A made-up procedure id teaches nothing."""
    await login(client, "chi.lan")
    token = csrf_of((await client.get("/admin/inbox")).text)
    response = await client.post("/admin/inbox/assign", data={"csrf": token, "procedure": "dog_licence",
                                                               "text": QUESTION})  # fmt: skip
    assert response.status_code == 400
    assert asked.aliases.all() == []


async def test_other_workers_and_restarts_learn_it_too(asked: AdminSite, kb: KnowledgeBase, flows: FlowSet) -> None:
    """A second worker picks the phrasing up on its refresh; a restarted one loads it at start-up."""
    other_engine = Engine(kb, flows)
    core = asked.core
    config = AdminConfig(bootstrap=False, alias_refresh_seconds=0)
    other = AdminSite(App(core.settings, other_engine, core.db, core.store, core.conversations),
                      core.settings, config, hasher=FAST_HASHER)  # fmt: skip
    alias = asked.aliases.store("death_registration", QUESTION, "chi.lan")
    asked.aliases.apply(asked.aliases.fetch_new())
    assert await answer_of(other_engine, QUESTION) is None
    assert await other.refresh_aliases() == 1
    assert await answer_of(other_engine, QUESTION) == "death_registration"
    assert await other.refresh_aliases() == 0, "taught once per worker"
    restarted_engine = Engine(kb, flows)
    AdminSite(App(core.settings, restarted_engine, core.db, core.store, core.conversations),
              core.settings, config, hasher=FAST_HASHER)  # fmt: skip
    assert await answer_of(restarted_engine, QUESTION) == "death_registration"
    assert alias.id == asked.aliases.store("death_registration", QUESTION, "someone").id, "stored once"


def test_taught_phrasings_export_to_knowledge(asked: AdminSite, tmp_path: Path) -> None:
    """Export adds short phrasings to aliases, questions to examples; the files still load; twice adds nothing."""
    folder = tmp_path / "knowledge"
    shutil.copytree(knowledge_dir(), folder)
    asked.aliases.store("death_registration", QUESTION, "chi.lan")
    asked.aliases.store("death_registration", "Cho em hỏi khi ông bà mất ở nhà thì cần làm những thủ tục gì?", "chi.lan")
    asked.aliases.store("vneid", "app định danh", "chi.lan")
    aliases = asked.aliases.all()
    assert write_to_knowledge(folder, aliases) == {"death_registration.yaml": 2, "vneid.yaml": 1}
    kb = load_knowledge(folder)
    assert "app định danh" in kb.procedures["vneid"].aliases
    assert QUESTION in kb.procedures["death_registration"].aliases
    assert "Cho em hỏi khi ông bà mất ở nhà thì cần làm những thủ tục gì?" in kb.procedures["death_registration"].examples
    assert not [w for w in kb.warnings if "app định danh" in w or QUESTION in w or "ông bà" in w]
    assert write_to_knowledge(folder, aliases) == {}
    text = export_yaml(aliases)
    assert "vneid:\n  aliases:\n    - \"app định danh\"" in text


async def test_the_yaml_export_downloads(asked: AdminSite, client: httpx.AsyncClient) -> None:
    """The taught phrasings page offers them as YAML to paste into knowledge/."""
    asked.aliases.store("death_registration", QUESTION, "chi.lan")
    await login(client, "chi.lan")
    page = await client.get("/admin/aliases")
    assert QUESTION in page.text
    assert "Đăng ký khai tử" in page.text
    download = await client.get("/admin/aliases.yaml")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/yaml")
    assert f'    - "{QUESTION}"' in download.text
