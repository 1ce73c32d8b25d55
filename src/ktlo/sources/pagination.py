"""Pagination in each vendor's style, on top of `ApiClient`'s requests.

Link headers     GitHub, GitLab: follow `rel="next"` until there is none
cursors          Jira's nextPageToken, PagerDuty v3, Opsgenie: pass the cursor the body names
offsets          PagerDuty v2 (`offset`, `limit`, `more`): grow the offset until a short page
relay cursors    GraphQL (Linear, GitHub): `pageInfo { hasNextPage endCursor }` into `$after`
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx2

from ktlo.errors import FatalSourceError
from ktlo.sources.http_responses import BASE_URL_FIX


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a paginated answer: its items, the whole decoded body, its number."""

    items: list[Any]
    body: Any
    number: int


class _Client(Protocol):
    """What paging needs of a client: `ApiClient` provides it."""

    source: str
    need: str | None

    def get(
        self, path: str, params: Mapping[str, Any] | None = ..., *, need: str | None = ...
    ) -> httpx2.Response: ...

    def get_json(
        self, path: str, params: Mapping[str, Any] | None = ..., *, need: str | None = ...
    ) -> Any: ...

    def post_json(self, path: str, body: Any, *, need: str | None = ...) -> Any: ...

    def graphql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = ...,
        *,
        path: str = ...,
        need: str | None = ...,
    ) -> Any: ...

    def _decode(self, response: httpx2.Response) -> Any: ...

    def _redact(self, text: str) -> str: ...


class Paginated:
    """The paging methods of `ApiClient`, written against the requests it provides."""

    def pages_by_link(
        self: _Client,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        items_key: str | None = None,
        need: str | None = None,
        next_page_header: str | None = None,
    ) -> Iterator[Page]:
        """Follow `Link: <...>; rel="next"` headers (GitHub, GitLab, Opsgenie's paging.next).

        `next_page_header` (GitLab: `X-Next-Page`) names a header holding the next page's
        number, asked for as `page` when an answer has no `next` link.
        """
        url: str | None = path
        query = params
        number = 1
        while url is not None:
            response = self.get(url, query, need=need)
            body = self._decode(response)
            yield Page(_items(body, items_key, self.source), body, number)
            url = response.links.get("next", {}).get("url")
            query = None  # the next link carries its own query
            following = response.headers.get(next_page_header, "") if next_page_header else ""
            if url is None and following.strip():
                url, query = path, {**(params or {}), "page": following.strip()}
            number += 1

    def pages_by_cursor(
        self: _Client,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        items_key: str,
        next_cursor: Callable[[Any], str | None],
        cursor_param: str = "cursor",
        need: str | None = None,
    ) -> Iterator[Page]:
        """Pass the cursor each body names to the next request (Jira's nextPageToken, PagerDuty v3)."""
        query = dict(params or {})
        number = 1
        while True:
            body = self.get_json(path, query, need=need)
            yield Page(_items(body, items_key, self.source), body, number)
            cursor = next_cursor(body)
            if not cursor:
                return
            query[cursor_param] = cursor
            number += 1

    def pages_by_offset(
        self: _Client,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        items_key: str,
        limit: int = 100,
        offset_param: str = "offset",
        limit_param: str = "limit",
        has_more: Callable[[Any], bool] | None = None,
        need: str | None = None,
    ) -> Iterator[Page]:
        """Ask for `limit` items at growing offsets until a short page, or `has_more` says no."""
        offset = 0
        number = 1
        while True:
            query = {**(params or {}), offset_param: offset, limit_param: limit}
            body = self.get_json(path, query, need=need)
            items = _items(body, items_key, self.source)
            yield Page(items, body, number)
            more = has_more(body) if has_more else len(items) >= limit
            if not more or not items:
                return
            offset += len(items)
            number += 1

    def graphql(
        self: _Client,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        path: str = "graphql",
        need: str | None = None,
    ) -> Any:
        """Run a GraphQL query and return its `data`; errors in the answer are raised as ours."""
        body = self.post_json(path, {"query": query, "variables": dict(variables or {})}, need=need)
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            message = self._redact(str(first.get("message", "unknown error")))[:300]
            need = need or self.need
            raise FatalSourceError(
                f"{self.source}: the GraphQL API answered: {message}",
                f"{self.source} needs {need}" if need else "check the query and the token's scopes",
            )
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            raise FatalSourceError(f"{self.source}: a GraphQL answer without data", BASE_URL_FIX)
        return body["data"]

    def pages_by_relay(
        self: _Client,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        connection: Sequence[str],
        path: str = "graphql",
        need: str | None = None,
    ) -> Iterator[Page]:
        """Follow a relay connection (`pageInfo { hasNextPage endCursor }`) through `$after`.

        `connection` is the path of field names from `data` to the connection, e.g.
        `("repository", "issues")`; its `nodes` (or `edges[].node`) are the page's items.
        """
        values = dict(variables or {})
        number = 1
        while True:
            data = self.graphql(query, values, path=path, need=need)
            conn: Any = data
            for name in connection:
                conn = conn.get(name) if isinstance(conn, dict) else None
            if not isinstance(conn, dict):
                return
            nodes = conn.get("nodes")
            if nodes is None:
                nodes = [edge.get("node") for edge in conn.get("edges") or []]
            yield Page(list(nodes), data, number)
            info = conn.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return
            values["after"] = info["endCursor"]
            number += 1


def _items(body: Any, key: str | None, source: str) -> list[Any]:
    items = body.get(key) if key is not None and isinstance(body, dict) else body
    if items is None:
        return []
    if not isinstance(items, list):
        raise FatalSourceError(
            f"{source}: expected a list{f' under {key!r}' if key else ''} in the answer",
            BASE_URL_FIX,
        )
    return items
