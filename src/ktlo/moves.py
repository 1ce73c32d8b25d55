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

OVERALL = "(all items)"


@dataclass(frozen=True, slots=True)
class Move:
    """One group's KTLO share before and after, and its items whose verdict changed."""

    group: str  # a team's name, or OVERALL
    basis: str  # "items" or "person_days"
    before: float | None
    after: float | None
    changed: int

    def as_json(self) -> dict[str, Any]:
        """The move as `--json` carries it."""
        return {
            "group": self.group,
            "basis": self.basis,
            "ktlo_share_before": self.before,
            "ktlo_share_after": self.after,
            "changed": self.changed,
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
    from ktlo.allocation import build_allocation

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
    moves = [Move(str(t), "person_days", _share(b), _share(a), int(c)) for t, b, a, c in rows]
    return sorted(moves, key=lambda m: (order.get(m.group, len(order)), m.group))


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
    return lines


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.1%}"
