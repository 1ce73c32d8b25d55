"""Who may ask the dashboard anything, checked before any page is looked up.

- With a token (required when bound to anything but loopback), every request carries it:
  `Authorization: Bearer <token>`, or the cookie a browser gets by opening any address
  once with `?token=<token>`. A missing or wrong token gets the same 401 whatever the
  path, so nothing tells whether a page exists.
- Bound to loopback without a token, the Host header must name this machine (a web page
  elsewhere cannot reach the dashboard through DNS rebinding).
- With or without a token, a request that changes something (POST and every method but
  GET, HEAD and OPTIONS) must come from the dashboard's own pages: its Origin is this
  dashboard's (`Origin: null`, which sandboxed frames and some redirects send, is refused),
  or, without an Origin, its Sec-Fetch-Site is `same-origin` or `none` (`same-site` is
  refused too: another port on localhost is the same site). A request with neither
  header comes from a program (curl, a script), not from a page a browser was led to.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from ktlo.server.responses import error_response

COOKIE = "ktlo_token"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}

Next = Callable[[Request], Awaitable[Response]]


def install_guard(app: FastAPI, token: str | None, loopback: bool, csp: str) -> None:
    """Add the token, Host and Origin checks and the security headers to every response."""

    @app.middleware("http")
    async def guard(request: Request, call_next: Next) -> Response:
        refused = _check(request, token, loopback)
        if refused is not None:
            return refused
        if token and request.query_params.get("token") is not None:
            return _remember(request, token)
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        return response


def _check(request: Request, token: str | None, loopback: bool) -> Response | None:
    if token is not None:
        given = _given_token(request)
        if given is None or not hmac.compare_digest(given.encode(), token.encode()):
            return error_response(
                request, 401, "Unauthorized", "this dashboard needs its token",
                "send `Authorization: Bearer <token>`, or open the address once with ?token=<token>",
                headers={"WWW-Authenticate": 'Bearer realm="ktlo"'}, links=False,
            )  # fmt: skip
    elif loopback and _hostname(request.headers.get("host", "")) not in LOCAL_HOSTS:
        return error_response(
            request, 400, "Bad request", "unexpected Host header",
            "open the dashboard at http://127.0.0.1:<port>/", links=False,
        )  # fmt: skip
    if request.method not in SAFE_METHODS and not _from_the_dashboard(request):
        return error_response(
            request, 403, "Forbidden", "a page from another site cannot change verdicts here",
            "use the dashboard's own page", links=False,
        )  # fmt: skip
    return None


SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _from_the_dashboard(request: Request) -> bool:
    """Whether a browser says the request comes from the dashboard's own pages."""
    origin = request.headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        host = request.headers.get("host")
        return parts.scheme == request.url.scheme and bool(host) and parts.netloc == host
    return request.headers.get("sec-fetch-site", "none") in ("same-origin", "none")


def _given_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.query_params.get("token") or request.cookies.get(COOKIE)


def _remember(request: Request, token: str) -> Response:
    """Keep the token in a cookie and drop it from the address bar."""
    rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
    target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
    return response


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host
