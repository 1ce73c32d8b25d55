"""Checks of ktlo.toml that span its sections, run when it is loaded, before any command.

Pydantic checks each field's type; what one field cannot know is checked here: a rule's
`as` names a category the taxonomy or `[categories] add` defines, `[categories] rename`
names a built-in subcategory, a source's type is one ktlo has, team names are unique.
Each problem is a `(loc, message)` so the loader can name the line. Things that are
allowed but probably not meant (a team with no members) are warnings, said on stderr.
"""

from __future__ import annotations

from typing import Any

from ktlo.config import Config
from ktlo.errors import ConfigError

Problem = tuple[tuple[Any, ...], str]


def config_problems(config: Config) -> list[Problem]:
    """Every cross-section error in `config`, in file order where it matters."""
    return [
        *_rule_targets(config), *_renames(config), *_source_types(config), *_team_names(config),
        *_custom_categories(config), *_bucket_names(config),
    ]  # fmt: skip


def config_warnings(config: Config) -> list[Problem]:
    """What is valid but likely a mistake: teams with no members."""
    warnings: list[Problem] = []
    for index, team in enumerate(config.teams):
        if team.members:
            continue
        owns = team.repositories or team.paths
        effect = (
            "its effort comes only from people in no team who work on its repositories or paths"
            if owns
            else "it owns no repositories or paths either, so it will show no effort"
        )
        warnings.append(
            (("teams", index, "members"), f"team {team.name!r} has no members: {effect}")
        )
    return warnings


def _rule_targets(config: Config) -> list[Problem]:
    if not config.rules:
        return []
    from ktlo.classify.rules import parse_category

    custom = {c.name: c.investment for c in config.categories.add}
    problems: list[Problem] = []
    for index, rule in enumerate(config.rules):
        try:
            parse_category(rule.assign, custom)
        except ConfigError as exc:
            problems.append((("rules", index, "as"), f"{exc.what}; {exc.fix}"))
    return problems


def _renames(config: Config) -> list[Problem]:
    if not config.categories.rename:
        return []
    from ktlo.classify.taxonomy import SUBCATEGORIES

    known = (*SUBCATEGORIES, *(c.name for c in config.categories.add))
    return [
        (("categories", "rename", name), f"unknown subcategory {name!r}: use {', '.join(known)}")
        for name in config.categories.rename
        if name not in known
    ]


def _custom_categories(config: Config) -> list[Problem]:
    """A custom category's name is its own (not a kind of the taxonomy, which `targets` also
    names), and a match's `subcategory` is one the taxonomy or `[categories]` defines."""
    if not config.custom_categories:
        return []
    from ktlo.classify.taxonomy import INVESTMENTS, SUBCATEGORIES
    from ktlo.effort.categories import UNCATEGORISED

    renamed = tuple(config.categories.rename.values())
    added = tuple(c.name for c in config.categories.add)
    kinds = (*SUBCATEGORIES, *renamed, *added)
    problems: list[Problem] = []
    for name, category in config.custom_categories.items():
        taken = name in (*INVESTMENTS, *kinds) or name == UNCATEGORISED or not name.strip()
        if taken:
            problems.append(
                (("custom_categories", name), f"the name {name!r} is taken (an investment, a "
                 f"subcategory or {UNCATEGORISED}): give the category a name of its own")
            )  # fmt: skip
        for index, match in enumerate(category.match):
            if match.subcategory is not None and match.subcategory not in kinds:
                problems.append(
                    (("custom_categories", name, "match", index, "subcategory"),
                     f"unknown subcategory {match.subcategory!r}: use {', '.join(kinds)}")
                )  # fmt: skip
    return problems


def _bucket_names(config: Config) -> list[Problem]:
    """A team's `targets` name investments, subcategories (built-in, renamed or added) or
    custom categories."""
    if not any(team.targets for team in config.teams):
        return []
    from ktlo.effort.buckets import known_buckets

    known = known_buckets(config)
    return [
        (
            ("teams", index, "targets", name),
            f"unknown investment, subcategory or custom category {name!r}: use {', '.join(known)}",
        )
        for index, team in enumerate(config.teams)
        for name in team.targets
        if name not in known
    ]


def _source_types(config: Config) -> list[Problem]:
    if not config.sources:
        return []
    from ktlo.sources import SOURCE_TYPES

    problems: list[Problem] = []
    for name, options in config.sources.items():
        kind = options.get("type", name)
        if not isinstance(kind, str) or kind not in SOURCE_TYPES:
            where = ("sources", name, "type") if "type" in options else ("sources", name)
            problems.append(
                (
                    where,
                    f"unknown source type {kind!r}: set type = one of {', '.join(SOURCE_TYPES)}",
                )
            )
    return problems


def _team_names(config: Config) -> list[Problem]:
    seen: set[str] = set()
    problems: list[Problem] = []
    for index, team in enumerate(config.teams):
        if team.name in seen:
            problems.append((("teams", index, "name"), f"a second team named {team.name!r}"))
        seen.add(team.name)
    return problems
