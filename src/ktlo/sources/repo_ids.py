"""One name per repository, whichever source names it: `host/path`.

Commits (from a git remote), pull requests and issues (from an API's base URL or a record's
web URL) meet only if they name their repository alike, so every source builds the name
here, with one rule:

- the host in lower case, without scheme, user or **port**;
- then the repository's path as the server spells it, without `.git` and slashes at the
  ends (a GitLab installed under a relative root keeps it: `example.com/gitlab/group/app`).

Ports are dropped, default or not: one server answers git over SSH on one port (22, 2222,
7999) and its web and API over HTTPS on another (443, 8443), so a port cannot tell two
repositories apart, and keeping it would keep the commits and the pull requests of one
repository apart. `git@ghe.example.com:acme/shop.git`, `ssh://git@ghe.example.com:2222/acme/shop`
and the API at `https://ghe.example.com:8443/api/v3` all name `ghe.example.com/acme/shop`.
"""

from __future__ import annotations

import re

# scheme://user@host:port/path, or scp-like user@host:path
_REMOTE = re.compile(r"^(?:[a-z+]+://)?(?:[^@/]+@)?(?P<host>\[[^\]/]*\]|[^/:]+)(?::\d+)?[:/](?P<path>.+?)/?$")  # fmt: skip


def host_of(url: str) -> str:
    """The host of a URL or `host[:port]`, lower case, without scheme, user or port."""
    netloc = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url.strip(), flags=re.IGNORECASE)
    netloc = netloc.split("/", 1)[0].rsplit("@", 1)[-1]
    if netloc.startswith("["):  # an IPv6 literal keeps its brackets, loses its port
        return netloc.split("]", 1)[0].lower() + "]"
    return netloc.split(":", 1)[0].lower()


def repo_id(host: str, path: str) -> str:
    """`host/path` by the rule above; `host` may carry a scheme, user or port."""
    name = path.strip().strip("/").removesuffix(".git").rstrip("/")
    return "/".join(part for part in (host_of(host), name) if part)


def normalise_remote(url: str) -> str:
    """A git remote's repository: `git@github.com:acme/shop.git` -> `github.com/acme/shop`.

    A local path (or `file://` URL) names itself: `local:/srv/git/shop.git`.
    """
    url = url.strip()
    match = _REMOTE.match(url)
    if not match or url.startswith(("/", ".", "file:")):
        return f"local:{url.removeprefix('file://')}"
    return repo_id(match["host"], match["path"])
