"""The errors ktlo raises on purpose. Each one is a sentence for the user.

    KtloError                  base: `what went wrong — how to fix it`
    ├── ConfigError            bad command-line value or configuration
    ├── InputError             a file the user gave us is malformed (CSV, JSON lines)
    │   └── NotFoundError      a name asked for (team, repository, item) is not known
    ├── SourceError            a source could not be read
    │   ├── RepositoryError    not a git repository, unreadable, corrupted objects
    │   ├── TransientSourceError   worth retrying: timeout, rate limit, 5xx
    │   └── FatalSourceError       retrying will not help: bad token, not found
    │       └── SourceNotFoundError    the API answered 404 or 410 for what was asked
    └── StoreError             the DuckDB store
        ├── StoreLockedError   another ktlo process is writing to it
        ├── StoreVersionError  written by a newer ktlo
        └── MissingTableError  a stage read a temporary table its caller did not build

The CLI catches `KtloError` once and prints `Error: <message>` with exit status 1.
Third-party exceptions are mapped to these by type where they are caught, never by text.
"""

from __future__ import annotations


class KtloError(Exception):
    """Base of every error ktlo reports to the user."""

    def __init__(self, what: str, fix: str | None = None) -> None:
        self.what = what
        self.fix = fix
        super().__init__(f"{what} — {fix}" if fix else what)


class ConfigError(KtloError):
    """A command-line value or configuration entry is wrong."""


class InputError(KtloError):
    """A file given by the user is malformed."""


class NotFoundError(InputError):
    """A team, repository, service or item asked for is not in the store or the config."""


class SourceError(KtloError):
    """A source of work items could not be read."""


class RepositoryError(SourceError):
    """A git repository is missing, unreadable or corrupted."""


class TransientSourceError(SourceError):
    """A source failed in a way that a retry may fix."""


class FatalSourceError(SourceError):
    """A source failed in a way that a retry will not fix."""


class SourceNotFoundError(FatalSourceError):
    """The API answered 404 Not Found or 410 Gone (an item deleted or moved while we read)."""


class StoreError(KtloError):
    """The store could not be opened or written."""


class StoreLockedError(StoreError):
    """Another process holds the store for writing."""


class StoreVersionError(StoreError):
    """The store was written by a newer version of ktlo."""


class MissingTableError(StoreError):
    """A stage read a temporary table (ktlo.store.temp_tables) its caller has not built: a
    bug in the order of the calls, named with the function that builds it."""
