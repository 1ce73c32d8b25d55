"""The options several sources share, declared once: the token's variable, how far back the
first sync reaches, the page size, the requests in flight, the standard types of labels.

Each source still lists its options itself, in its own order (a config with two bad
options names the first of them), with these types: `token_env: str = token_env("X")`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field

ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"  # an environment variable's name


def token_env(default: str) -> Any:
    """The `token_env` option: the environment variable that holds the token (`default`)."""
    return Field(default, pattern=ENV_NAME)


Since = date | None  # how far back the first sync reaches (None: the source's default)
PageSize = Annotated[int, Field(ge=1, le=100)]  # records asked for per page (default 100)
Concurrency = Annotated[int, Field(ge=1, le=16)]  # requests in flight at once (default 4)
StandardTypes = dict[str, Literal["requirement", "bug", "incident", "task"]]  # type/label -> type
