"""The dashboard page and everything it loads come from the app itself (no browser needed)."""

from __future__ import annotations

import re

ASSET = re.compile(r'(?:src|href)="(/dashboard/assets/[^"]+)"')
IMPORT = re.compile(r'from "\./([^"]+)"')
SVG_NAMESPACE = "http://www.w3.org/2000/svg"  # a name, never fetched


def test_the_page_and_its_assets_are_served_with_no_other_host(sqlite_backend):
    client = sqlite_backend.client
    page = client.get("/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy

    assets = set(ASSET.findall(page.text))
    assert {"/dashboard/assets/main.js", "/dashboard/assets/dashboard.css"} <= assets
    seen: set[str] = set()
    while assets:
        path = assets.pop()
        seen.add(path)
        answer = client.get(path)
        assert answer.status_code == 200, path
        kind = "text/css" if path.endswith(".css") else "javascript"
        assert kind in answer.headers["content-type"], (path, answer.headers["content-type"])
        code = answer.text.replace(SVG_NAMESPACE, "")
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", code), f"{path} names another host"
        assets |= {f"/dashboard/assets/{name}" for name in IMPORT.findall(answer.text)} - seen
    assert {"/dashboard/assets/api.js", "/dashboard/assets/charts.js"} <= seen
    assert client.get("/dashboard/assets/missing.js").status_code == 404
