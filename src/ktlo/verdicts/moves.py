"""What a refit moved: KTLO shares before → after, and how many verdicts changed.

`snapshot` keeps every item's effective verdict (overrides on top) in a temporary table;
`measure` compares the verdicts now with it: overall, as a share of items with merge
commits left out (for a single repository, the share of commits `ktlo analyze` shows), and
for each team of ktlo.toml as a share of its person-days (the basis of `ktlo allocation`
and `ktlo budget`). Both are KTLO / (KTLO + new work + other).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ktlo.config import Config
from ktlo.store import Store
from ktlo.store.temp_tables import require

OVERALL = "(all items)"
KINDS_SHOWN = 3  # per team, the kinds whose person-days moved most
MIN_KIND_MOVE = 0.5  # person-days: a smaller move of a kind is not worth a line


@dataclass(frozen=True, slots=True)
class KindMove:
    """A kind's person-days in one team before → after (`other` for items with none)."""

    kind: str
    before: float
    after: float


@dataclass(frozen=True, slots=True)
class Move:
    """One group's KTLO share before and after, and its items whose verdict changed."""

    group: str  # a team's name, or OVERALL
    basis: str  # "items" or "person_days"
    before: float | None
    after: float | None
    changed: int
    kinds: tuple[KindMove, ...] = ()  # a team's kinds that moved most, in person-days

    def as_json(self) -> dict[str, Any]:
        """The move as `--json` carries it."""
        return {
            "group": self.group,
            "basis": self.basis,
            "ktlo_share_before": self.before,
            "ktlo_share_after": self.after,
            "changed": self.changed,
            "kinds": [
                {"kind": k.kind, "person_days_before": k.before, "person_days_after": k.after}
                for k in self.kinds
            ],
        }


def snapshot(store: Store) -> None:
    """Remember every item's effective verdict (temporary table `verdicts_before`)."""
    store.con.execute(
        """
        CREATE OR REPLACE TEMP TABLE verdicts_before AS
        SELECT item_id, investment, subcategory FROM effective_verdicts
        """
    )


def measure(store: Store, config: Config) -> list[Move]:
    """Overall and per team: KTLO share at the snapshot → now, and the items that changed."""
    require(store, "verdicts_before")
    row = store.con.execute(
        f"""
        SELECT count(*) FILTER (WHERE b.investment = 'ktlo') / nullif(count(b.item_id), 0),
               count(*) FILTER (WHERE v.investment = 'ktlo') / nullif(count(*), 0),
               count(*) FILTER (WHERE {_changed("v")})
        FROM effective_verdicts v LEFT JOIN verdicts_before b USING (item_id)
        WHERE v.item_id NOT IN (SELECT item_id FROM commits WHERE is_merge)
        """
    ).fetchone()
    moves = [Move(OVERALL, "items", _share(row[0]), _share(row[1]), int(row[2]))] if row else []
    if config.teams:
        moves += _per_team(store, config)
    return moves


def _per_team(store: Store, config: Config) -> list[Move]:
    from ktlo.effort.allocation import build_allocation

    build_allocation(store, config, None, None)
    rows = store.con.execute(
        f"""
        SELECT a.team,
               sum(a.person_days) FILTER (WHERE b.investment = 'ktlo') / nullif(sum(a.person_days), 0),
               sum(a.person_days) FILTER (WHERE a.investment = 'ktlo') / nullif(sum(a.person_days), 0),
               count(DISTINCT a.item_id) FILTER (WHERE {_changed("a")})
        FROM alloc a LEFT JOIN verdicts_before b USING (item_id)
        GROUP BY a.team ORDER BY a.team
        """
    ).fetchall()
    order = {team.name: n for n, team in enumerate(config.teams)}
    kinds = _kind_moves(store)
    moves = [
        Move(str(t), "person_days", _share(b), _share(a), int(c), kinds.get(str(t), ()))
        for t, b, a, c in rows
    ]
    return sorted(moves, key=lambda m: (order.get(m.group, len(order)), m.group))


def _kind_moves(store: Store) -> dict[str, tuple[KindMove, ...]]:
    """Per team, the kinds (subcategories) whose person-days moved most, largest first."""
    rows = store.con.execute(
        """
        WITH sides AS (
            SELECT a.team, coalesce(b.subcategory, b.investment, 'other') AS kind,
                   a.person_days AS before, 0.0 AS after
            FROM alloc a LEFT JOIN verdicts_before b USING (item_id)
            UNION ALL
            SELECT team, coalesce(subcategory, investment, 'other'), 0.0, person_days FROM alloc
        )
        SELECT team, kind, round(sum(before), 2) AS before, round(sum(after), 2) AS after
        FROM sides GROUP BY ALL
        HAVING abs(sum(after) - sum(before)) >= ?
        ORDER BY team, abs(sum(after) - sum(before)) DESC, kind
        """,
        [MIN_KIND_MOVE],
    ).fetchall()
    moved: dict[str, list[KindMove]] = {}
    for team, kind, before, after in rows:
        group = moved.setdefault(str(team), [])
        if len(group) < KINDS_SHOWN:
            group.append(KindMove(str(kind), float(before), float(after)))
    return {team: tuple(kinds) for team, kinds in moved.items()}


def _changed(now: str) -> str:
    """SQL: the verdict in table alias `now` differs from the snapshot's (alias b)."""
    return (
        f"b.item_id IS NULL OR b.investment IS DISTINCT FROM {now}.investment "
        f"OR b.subcategory IS DISTINCT FROM {now}.subcategory"
    )


def _share(value: Any) -> float | None:
    return None if value is None else round(float(value), 4)


def describe_moves(moves: list[Move]) -> list[str]:
    """Lines for people: `payments: KTLO 40.1% → 42.0% of person-days, 12 items changed`."""
    lines = []
    for move in moves:
        basis = "items" if move.basis == "items" else "person-days"
        name = "all items" if move.group == OVERALL else f"team {move.group}"
        lines.append(
            f"  {name}: KTLO {_percent(move.before)} → {_percent(move.after)} of {basis}, "
            f"{move.changed:,} {'item' if move.changed == 1 else 'items'} changed"
        )
        if move.kinds:
            kinds = ", ".join(f"{k.kind} {k.before:,.1f} → {k.after:,.1f}" for k in move.kinds)
            lines.append(f"    person-days moved most: {kinds}")
    return lines


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.1%}"
