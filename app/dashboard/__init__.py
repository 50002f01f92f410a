"""The statistics dashboard page: static assets that talk only to the public GraphQL API."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

PAGE = Path(__file__).with_name("index.html")
ASSETS = Path(__file__).with_name("assets")
# Everything the page loads comes from this server: no CDN, no inline script, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


async def page(_: Request) -> Response:
    return FileResponse(PAGE, headers={
        "Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
    })


def routes() -> list[Route | Mount]:
    """`/dashboard` and its assets under `/dashboard/assets/`."""
    return [
        Route("/dashboard", page, methods=["GET", "HEAD"]),
        Mount("/dashboard/assets", StaticFiles(directory=ASSETS), name="dashboard-assets"),
    ]
