"""What an HTTP error answer says: missing scopes, the message, the error it means.

Pure functions of a response, so the rules can be read (and tested) apart from the client.
Rate limits are in `rate_limits`.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2

from ktlo.errors import FatalSourceError, SourceNotFoundError

BASE_URL_FIX = "check base_url in ktlo.toml (for GitHub Enterprise: https://HOST/api/v3)"


def client_error(
    response: httpx2.Response,
    source: str,
    env_var: str,
    need: str | None,
    redact: Callable[[str], str],
) -> FatalSourceError:
    """The one line a 4xx answer becomes: which token, scope or name to check."""
    status = response.status_code
    where = response.request.url.copy_with(query=None)
    if status == 401:
        return FatalSourceError(
            f"{source}: the token in ${env_var} was rejected (401 Unauthorized)",
            f"set {env_var} to a valid, unexpired token" + (f" with {need}" if need else ""),
        )
    if status == 403:
        missing = missing_scopes(response)
        lacks = f" lacks {missing}" if missing else " is not allowed to read it"
        return FatalSourceError(
            f"{source}: 403 Forbidden for {where}: the token in ${env_var}{lacks}",
            f"{source} needs {need}" if need else f"give the token in {env_var} read access to it",
        )
    if status in (404, 410):
        return SourceNotFoundError(
            f"{source}: {where} was not found ({status})",
            "check the name in ktlo.toml; a private one is also not found when the token "
            f"in {env_var} cannot see it" + (f" (it needs {need})" if need else ""),
        )
    text = redact(message(response))[:200]
    return FatalSourceError(
        f"{source}: HTTP {status} for {where}" + (f": {text}" if text else ""),
        "check the source's options in ktlo.toml",
    )


def message(response: httpx2.Response) -> str:
    """The `message` of a JSON error body (Jira: its `errorMessages`, GitLab: `error`), or ""."""
    try:
        body = json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ""
    text = body.get("message") if isinstance(body, dict) else None
    if not text and isinstance(body, dict):
        jira, error = body.get("errorMessages"), body.get("error")
        if isinstance(jira, list):
            text = " ".join(map(str, jira))
        elif isinstance(error, str):
            text = error
    return str(text) if text else ""


def missing_scopes(response: httpx2.Response) -> str | None:
    """What GitHub says the token lacks: OAuth scopes, or fine-grained permissions."""
    accepted = _header_list(response, "x-accepted-oauth-scopes")
    granted = set(_header_list(response, "x-oauth-scopes"))
    missing = [scope for scope in accepted if scope not in granted]
    if missing:
        return f"the scope {' or '.join(missing)}"
    permissions = response.headers.get("x-accepted-github-permissions")
    if permissions:
        return f"the permission {permissions.replace(';', ' and ')}"
    return None


def _header_list(response: httpx2.Response, name: str) -> list[str]:
    value = response.headers.get(name, "")
    return [part.strip() for part in value.split(",") if part.strip()]
