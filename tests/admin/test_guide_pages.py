"""The dashboard serves the Vietnamese guides of docs/vi/ to its users, linked from every page's footer."""

from __future__ import annotations

import httpx

from bot.admin.site import AdminSite
from tests.admin.conftest import login


async def test_the_dashboard_footer_serves_the_guides(site: AdminSite, client: httpx.AsyncClient) -> None:
    """Every dashboard page's footer links both guides, which the dashboard serves to its users."""
    site.accounts.create("chi.lan", "mat-khau-dai-1", "admin")
    await login(client, "chi.lan")
    page = (await client.get("/admin")).text
    for name in ("quan-tri", "tinh-nguyen-vien"):
        assert f'href="/admin/guide/{name}.md"' in page
        guide = await client.get(f"/admin/guide/{name}.md")
        assert guide.status_code == 200
        assert guide.text.startswith("# Hướng dẫn")
    image = await client.get("/admin/guide/img/tong-quan.png")
    assert image.headers["content-type"] == "image/png"
    assert (await client.get("/admin/guide/khong-co.md")).status_code == 404
    assert (await client.get("/admin/guide/img/..%2F..%2FREADME.md")).status_code == 404
