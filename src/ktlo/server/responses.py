"""Answers shared by every route: JSON documents, HTML pages and errors in either form."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from ktlo.render.html import Page, environment
from ktlo.report.model import ReportFilters
from ktlo.server.pages import Links


class JSONDocument(Response):
    """A JSON answer; dates and other plain values become strings."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, default=str).encode("utf-8")


def render_html(template: str, doc: dict[str, Any], page: Page, status: int = 200) -> HTMLResponse:
    body = environment().get_template(template).render(doc=doc, page=page)
    return HTMLResponse(body, status_code=status)


def wants_json(request: Request) -> bool:
    """A `.json` path, or a client that asks for JSON rather than HTML."""
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_response(
    request: Request, status: int, title: str, message: str, fix: str | None = None,
    headers: dict[str, str] | None = None, links: bool = True,
) -> Response:  # fmt: skip
    """One error, in the form the request asked for."""
    if wants_json(request):
        body = {"error": {"status": status, "title": title, "message": message, "fix": fix}}
        return JSONDocument(body, status_code=status, headers=headers)
    doc = {"status": status, "title": title, "message": message, "fix": fix}
    page = Page(f"{status} {title} — ktlo", links=Links(ReportFilters()) if links else None)
    response = render_html("error.html", doc, page, status)
    response.headers.update(headers or {})
    return response
