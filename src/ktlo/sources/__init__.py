"""Sources of work: each module turns one tool's data into ktlo's records.

- `git`: local git repositories, read through one streaming `git log` (`ktlo analyze`).
- `github`: issues, pull requests, Actions runs, deployments and releases (`ktlo sync`).
- `gitlab`: issues, merge requests, pipelines and their jobs, deployments (`ktlo sync`).
- `jira`: the issues of a JQL query, with changelog, comments and sprints (`ktlo sync`).
- `linear`: issues with their history, comments and cycles, and the cycles (`ktlo sync`).
- `pagerduty`: incidents with their log entries and alerts (`ktlo sync`).
- `opsgenie`: alerts, and incidents with their timelines (`ktlo sync`).
- `files`: CSV and JSON exports of tools without a connector (`ktlo sync`).

Sync sources implement `base.Source`; API connectors do it through `api_source.ApiSource`
on the shared HTTP layer in `http`. A new one is a module here plus one line in `SOURCE_TYPES`; modules are imported only when used, so
commands that do not sync never pay for them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ktlo.errors import ConfigError

if TYPE_CHECKING:
    from ktlo.sources.base import Source, SourceContext

SOURCE_TYPES: dict[str, str] = {
    "github": "ktlo.sources.github:GitHubSource",
    "files": "ktlo.sources.files:FileSource",
    "gitlab": "ktlo.sources.gitlab:GitLabSource",
    "jira": "ktlo.sources.jira:JiraSource",
    "linear": "ktlo.sources.linear:LinearSource",
    "pagerduty": "ktlo.sources.pagerduty:PagerDutySource",
    "opsgenie": "ktlo.sources.opsgenie:OpsgenieSource",
}


def source_class(type_name: str) -> type[Source]:
    """The Source subclass registered for a type name."""
    target = SOURCE_TYPES.get(type_name)
    if target is None:
        known = ", ".join(sorted(SOURCE_TYPES))
        raise ConfigError(f"unknown source type {type_name!r}", f"use one of: {known}")
    module, _, name = target.partition(":")
    cls: type[Source] = getattr(importlib.import_module(module), name)
    return cls


def make_source(ctx: SourceContext, options: Mapping[str, Any]) -> Source:
    """Build the source named `ctx.name` from its options (its `type` defaults to its name)."""
    type_name = str(options.get("type") or ctx.name)
    return source_class(type_name)(ctx, options)
