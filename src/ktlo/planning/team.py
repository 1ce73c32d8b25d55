"""A configured team's members as planning sees them: time zone, time off, recent load.

Recent load is what the rotation planner starts from: the member's KTLO person-days over
the LOAD_WINDOW_DAYS before the plan, plus ON_CALL_WEEK_LOAD for each week of that window
they were on call (as `ktlo rotation review` infers it from acknowledged pages), so that
whoever carried the pager most recently is not handed it first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from ktlo.config import Config, Team, load_time_off
from ktlo.errors import ConfigError
from ktlo.planning.rotation import Member
from ktlo.planning.rotation_review import on_call_weeks
from ktlo.store import Store

LOAD_WINDOW_DAYS = 90
ON_CALL_WEEK_LOAD = 7.0  # a past week on call weighs as a planned one does (7 days)


def find_team(config: Config, name: str) -> Team:
    for team in config.teams:
        if team.name == name:
            return team
    known = ", ".join(t.name for t in config.teams) or "none: add [[teams]] to ktlo.toml"
    raise ConfigError(f"unknown team {name!r}", f"teams in ktlo.toml: {known}")


def team_members(
    config: Config,
    team: Team,
    store: Store | None,
    as_of: date,
    loads: Mapping[str, float] | None = None,
    aliases: Mapping[str, str] | None = None,
    on_call: Mapping[str, int] | None = None,
) -> list[Member]:
    """Members with their time off and their recent load (module docstring) before `as_of`.

    `loads` (KTLO person-days per person id), `aliases` (lower-case name or email -> person
    id, the store's identities) and `on_call` (weeks on call per member entry) when the
    caller has them already; else they come from `store`. A member listed by a name or
    email seen in the store, with no [people] entry, is thereby the same person as in the
    effort tables.
    """
    if not team.members:
        raise ConfigError(
            f"team {team.name!r} has no members", "list them in ktlo.toml under members"
        )
    if loads is None:
        loads = _recent_ktlo(store, config, as_of) if store is not None else {}
        if store is not None and aliases is None:
            aliases = _identities(store)  # resolved by _recent_ktlo's allocation
    if on_call is None and store is not None:
        on_call = recent_on_call(store, config, team, as_of)
    person_of = {
        **(aliases or {}),
        **{
            alias.lower(): person_id
            for person_id, person in config.people.items()
            for alias in (person_id, person.name or person_id, *person.aliases)
        },
    }
    time_off: dict[str, list[tuple[date, date]]] = {}
    for who, start, end in load_time_off(config):
        time_off.setdefault(person_of.get(who.lower(), who), []).append((start, end))
    members = []
    for member in team.members:
        person_id = person_of.get(member.lower(), member)
        person = config.people.get(person_id)
        members.append(
            Member(
                person=person_id,
                name=(person.name if person and person.name else person_id),
                timezone=person.timezone if person else None,
                time_off=tuple(sorted(time_off.get(person_id, []))),
                past_load=round(
                    loads.get(person_id, 0.0) + ON_CALL_WEEK_LOAD * (on_call or {}).get(member, 0),
                    2,
                ),
            )
        )
    return members


def recent_on_call(store: Store, config: Config, team: Team, as_of: date) -> dict[str, int]:
    """Weeks each member was on call over the LOAD_WINDOW_DAYS before `as_of`."""
    return on_call_weeks(store, config, team, as_of - timedelta(days=LOAD_WINDOW_DAYS), as_of)


def _identities(store: Store) -> dict[str, str]:
    return {
        str(a): str(p)
        for a, p in store.con.execute("SELECT alias, person FROM identity").fetchall()
    }


def _recent_ktlo(store: Store, config: Config, as_of: date) -> dict[str, float]:
    from ktlo.effort.allocation import build_allocation

    build_allocation(store, config, as_of - timedelta(days=LOAD_WINDOW_DAYS), as_of)
    rows = store.con.execute(
        "SELECT person, sum(person_days) FROM alloc WHERE investment = 'ktlo' GROUP BY person"
    ).fetchall()
    return {str(person): float(days) for person, days in rows}
