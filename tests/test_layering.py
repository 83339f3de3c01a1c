"""The house's floors, read from the source with ``ast`` (every import counts: module level,
inside a function, under TYPE_CHECKING). A module may use the floors below it, never one above:

- the core imports no channel or web library and nothing of bot.channels, bot.web or bot.admin;
- the help desk imports nothing of the dashboard;
- the web app knows channels only through the interface in bot.web.channel: it names adapters in
  its registry as strings and imports none of bot.channels;
- a dashboard page module (``pages.py``, ``*_pages.py``) depends on queries, templates and shared
  pieces, never on another page module nor on the site that wires them together.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"
CHANNEL_LIBRARIES = ("aiogram", "telegram", "starlette", "fastapi", "aiohttp", "httpx", "uvicorn")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> Iterator[tuple[str, ...]]:
    """Each import statement of ``path`` as the absolute names it may load: ``from a import b, c``
    gives ``a``, ``a.b`` and ``a.c`` (b and c may be modules)."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield tuple(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            yield (base, *(f"{base}.{alias.name}" for alias in node.names))


def under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def is_page(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return under(name, "bot.admin") and (last == "pages" or last.endswith("_pages"))


def violations(root: Path = BOT) -> list[str]:
    """Each upward or sideways import in ``root``, as "module -> imported: rule"."""
    found: list[str] = []
    for path in sorted(root.rglob("*.py")):
        me = module_name(path)
        for statement in imports(path):
            found.extend(f"{me} -> {name}: {rule}" for name, rule in _broken(me, statement)[:1])
    return found


def _broken(me: str, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """The names of one import statement that break a rule, with the rule."""
    return [(name, rule) for name in names if (rule := _rule(me, name))]


def _rule(me: str, name: str) -> str | None:
    """The rule module ``me`` breaks by importing ``name``, if any."""
    if under(me, "bot.core") and (under(name, "bot.channels", "bot.web", "bot.admin")
                                 or under(name.split(".")[0], *CHANNEL_LIBRARIES)):  # fmt: skip
        return "the core uses no channel, web or dashboard module"
    if under(me, "bot.helpdesk") and under(name, "bot.admin"):
        return "the help desk is below the dashboard"
    if under(me, "bot.web") and under(name, "bot.channels"):
        return "the web app knows channels through bot.web.channel only"
    if is_page(me) and name != me and (is_page(name) or under(name, "bot.admin.site")):
        return "a page depends on queries, templates and shared pieces, not on a page or the site"
    return None


def test_no_module_reaches_up_a_floor() -> None:
    assert violations() == []


def test_the_page_modules_are_found() -> None:
    """The rules bite on real modules: the dashboard has several page modules, the web app exists."""
    pages = {module_name(p) for p in (BOT / "admin").glob("*.py") if is_page(module_name(p))}
    assert {"bot.admin.pages", "bot.admin.account_pages", "bot.admin.inbox_pages"} <= pages
    assert (BOT / "web" / "app.py").exists()


@pytest.mark.parametrize(
    ("path", "source", "rule"),
    [
        ("core/engine.py", "from bot.channels.base import BaseChannel\n", "the core"),
        ("core/engine.py", "def f():\n    import aiogram\n", "the core"),
        ("core/engine.py", "from ..admin import site\n", "the core"),
        ("helpdesk/cli.py", "def f():\n    from bot.admin.community_queries import x\n", "the help desk"),
        ("web/app.py", "from bot.channels import webchat\n", "the web app"),
        ("admin/tools_pages.py", "from bot.admin.pages import download\n", "a page"),
        ("admin/inbox_pages.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                 "    from bot.admin.site import AdminSite\n", "a page"),
        ("admin/account_pages.py", "from .community_pages import X\n", "a page"),
    ],
)
def test_each_rule_catches_its_arrow(tmp_path: Path, path: str, source: str, rule: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A file with one forbidden import, in a copy of the tree's shape, is reported with its rule."""
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    target = tmp_path / "bot" / path
    target.parent.mkdir(parents=True)
    target.write_text(source, encoding="utf-8")
    found = violations(tmp_path / "bot")
    assert len(found) == 1, found
    assert rule in found[0]
