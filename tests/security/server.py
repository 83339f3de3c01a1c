"""One real server for the security tests: the whole app (web chat, Telegram, Zalo, dashboard)
behind uvicorn on a loopback port, its channels pointed at the fake Telegram and fake Zalo, run
in a thread of its own so synchronous Hypothesis tests can hammer it with a plain httpx.Client."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.settings import Settings
from bot.web.app import create_app
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.live import served

APP_ID, OA_ID, APP_SECRET, OA_KEY = "1234567890", "999", "app-secret", "oa-secret-key"
TELEGRAM_SECRET = "fuzz-secret"


class SecuritySettings(Settings):
    """Settings plus the Zalo signing key field the channel reads when present."""

    zalo_oa_secret_key: SecretStr | None = None


@dataclass
class Live:
    url: str
    web: Any
    zalo: FakeZalo
    telegram: FakeTelegram


@contextmanager
def live_server(folder: Path, **overrides: Any) -> Iterator[Live]:
    """The app serving in a background thread until the block ends."""
    started = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        zalo = FakeZalo(app_id=APP_ID, app_secret=APP_SECRET, access_token="access-0", refresh_token="refresh-0")
        telegram = FakeTelegram()
        await zalo.start()
        await telegram.start()
        values: dict[str, Any] = {
            "database_url": f"sqlite:///{folder / 'var' / 'trolyso.sqlite3'}", "channels": "web,telegram,zalo",
            "max_body_bytes": 65_536, "zalo_app_id": APP_ID, "zalo_app_secret": SecretStr(APP_SECRET),
            "zalo_oa_id": OA_ID, "zalo_access_token": SecretStr("access-0"),
            "zalo_refresh_token": SecretStr("refresh-0"), "zalo_api_base": zalo.url, "zalo_oauth_base": zalo.url,
            "zalo_oa_secret_key": SecretStr(OA_KEY), "telegram_token": SecretStr("123456:TEST"),
            "telegram_webhook_secret": SecretStr(TELEGRAM_SECRET), "telegram_api_base": telegram.url,
            "admin_bootstrap": False,
        }  # fmt: skip
        web = create_app(SecuritySettings(**(values | overrides)))
        stop = asyncio.Event()
        try:
            async with served(web) as url:
                box.update(live=Live(url, web, zalo, telegram), stop=stop, loop=asyncio.get_running_loop())
                started.set()
                await stop.wait()
                for channel in web.state.channels:
                    idle = getattr(channel, "idle", None)
                    if idle is not None:
                        await idle()
        finally:
            await zalo.close()
            await telegram.close()

    def run() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:
            box["error"] = exc
        finally:
            started.set()

    thread = threading.Thread(target=run, name="security-server", daemon=True)
    thread.start()
    started.wait(60)
    if "live" not in box:
        raise RuntimeError(f"the app did not start: {box.get('error')!r}")
    try:
        yield box["live"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(60)
        if "error" in box:
            raise box["error"]
