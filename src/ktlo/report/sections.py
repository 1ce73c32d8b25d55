"""The investment sections of the report, all SQL over the filtered `report_alloc` view.

    balance    per team (and for the organisation) and period: person-days per
               subcategory (stacked), the KTLO share, its budget band and status
    teams      per team, a card: budget status of the last full period and the last 91 days,
               trend, drift, drivers, FTE, KTLO cost
    hotspots   where KTLO effort went: directories (a commit's effort split over its files)
    people     who carries the KTLO: KTLO person-days per person

The figures are those of `ktlo allocation --by subcategory` and `ktlo budget`
(docs/allocation.md), computed for every team in one pass per figure instead of one
query per team, which keeps a report over a million items to a few seconds. KTLO shares
are corrected for the verdicts' measured error, with 90% intervals (ktlo.effort.error_bars).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ktlo.classify.taxonomy import KTLO_SUBCATEGORIES, NEW_WORK_SUBCATEGORIES
from ktlo.config import Config
from ktlo.effort.allocation import DRIFT_POINTS, WORKDAYS_PER_MONTH, effort_totals
from ktlo.effort.allocation_document import DriverKind, DriverPlace, Drivers
from ktlo.effort.error_bars import (
    Estimate,
    Parts,
    Rates,
    estimate,
    measured_rates,
    parts_sql,
    share_json,
)
from ktlo.metrics.repository import Budget, period_label
from ktlo.periods import Coverage, coverage
from ktlo.report.balance_types import (
    Balance,
    BalancePeriod,
    BalanceTotals,
    BalanceTrend,
    Hotspot,
    KtloPerson,
    LargestItem,
    StackKind,
    TeamCard,
)
from ktlo.store import Store

ORG = None  # the key of the organisation's balance
QUARTER_DAYS = 91
TREND_FLAT = 0.02


def band(config: Config, team: str | None) -> Budget:
    for t in config.teams:
        if t.name == team:
            return Budget(t.budget.low / 100, t.budget.high / 100)
    return Budget()


def balances(
    store: Store, config: Config, teams: list[str], period: str, with_org: bool,
    covered: Coverage | None = None,
) -> dict[str | None, Balance]:  # fmt: skip
    """Each team's (and with `with_org` the organisation's) effort per period and kind; a
    period the data does not cover whole says so (`covered`: ktlo.periods; by default the
    days `report_alloc` holds)."""
    covered = covered or coverage(store.con, "report_alloc")
    rows = store.query(
        f"""
        SELECT CASE WHEN grouping(team) = 1 THEN NULL ELSE team END AS team,
               date_trunc('{period}', day)::DATE AS start, subcategory, investment,
               predicted, answered, sum(person_days) AS person_days,
               sum(person_days * item_days) AS squares
        FROM report_alloc
        GROUP BY GROUPING SETS ((team, start, subcategory, investment, predicted, answered),
                                (start, subcategory, investment, predicted, answered))
        ORDER BY start, team NULLS FIRST, subcategory NULLS FIRST, investment, predicted, answered
        """
    )
    totals = _totals(store)
    rates = measured_rates(store)
    parts: dict[tuple[str | None, date | None], Parts] = {}
    for row in rows:  # the parts of each share, in the same pass (ktlo.effort.error_bars)
        part = Parts.of_group(row["person_days"], row["squares"], row["investment"],
                              row["predicted"], row["answered"])  # fmt: skip
        for key in ((row["team"], row["start"]), (row["team"], None)):
            parts[key] = parts.get(key, Parts()) + part
    shape = _Shape(config, period, covered, parts, rates)
    wanted: list[str | None] = [*([ORG] if with_org else []), *teams]
    return {
        team: shape.balance(team, [r for r in rows if r["team"] == team], totals.get(team))
        for team in wanted
    }


def share_parts(store: Store, period: str) -> dict[tuple[str | None, date | None], Parts]:
    """The parts of each KTLO share of a balance, keyed by (team, period start): a team None
    is the organisation, a start None the whole span. One pass over `report_alloc`."""
    rows = store.query(
        f"""
        SELECT grouping(team) = 1 AS all_teams, team, grouping(start) = 1 AS all_time, start,
               {parts_sql("person_days", whole="item_days")}
        FROM (SELECT *, date_trunc('{period}', day)::DATE AS start FROM report_alloc)
        GROUP BY GROUPING SETS ((team, start), (start), (team), ())
        """
    )
    return {
        (None if r["all_teams"] else r["team"], None if r["all_time"] else r["start"]): Parts.of(r)
        for r in rows
    }


@dataclass(frozen=True, slots=True)
class _Shape:
    """What every balance is drawn with: the calendar, the parts of each share, the rates."""

    config: Config
    period: str
    covered: Coverage
    parts: dict[tuple[str | None, date | None], Parts]
    rates: Rates

    def balance(
        self, team: str | None, rows: list[dict[str, Any]], totals: dict[str, Any] | None
    ) -> Balance:
        """One balance: per period its effort per kind and its corrected KTLO share."""
        budget = band(self.config, team)
        rename = self.config.categories.rename
        periods: dict[date, dict[str, Any]] = {}
        kinds: dict[str, str] = {}
        for row in rows:
            sub = row["subcategory"]
            key = rename.get(sub, sub) if sub else "other"
            kinds[key] = row["investment"] if sub else "other"
            entry = periods.setdefault(row["start"], {"person_days": 0.0, "ktlo": 0.0, "by": {}})
            entry["person_days"] += row["person_days"]
            entry["ktlo"] += row["person_days"] if row["investment"] == "ktlo" else 0.0
            entry["by"][key] = entry["by"].get(key, 0.0) + row["person_days"]
        series = [self._period(team, budget, start, entry) for start, entry in periods.items()]
        whole = share_json(estimate(self.parts.get((team, None), Parts()), self.rates))
        shares = [p.ktlo_share for p in series if p.ktlo_share is not None and p.complete]
        return Balance(
            team=team,
            period=self.period,
            low=budget.low,
            high=budget.high,
            subcategories=_stack_order(self.config, kinds),
            periods=series,
            totals=BalanceTotals(**{**(totals or _totals_of(None)), **whole}),
            trend=BalanceTrend(direction=_direction(shares), series=[p.ktlo_share for p in series]),
        )

    def _period(
        self, team: str | None, budget: Budget, start: date, entry: dict[str, Any]
    ) -> BalancePeriod:
        calendar = self.covered.fields(start, self.period)
        found = estimate(self.parts.get((team, start), Parts()), self.rates)
        return BalancePeriod(
            period=period_label(start, self.period),
            start=start.isoformat(),
            **calendar,
            person_days=round(entry["person_days"], 2),
            fte=round(entry["person_days"] / calendar["workdays"], 2),
            ktlo_person_days=round(entry["ktlo"], 2),
            **share_json(found),
            status=budget.status_of(found),
            by_subcategory={  # most first: the same order on every run
                k: round(v, 2)
                for k, v in sorted(entry["by"].items(), key=lambda kv: (-kv[1], kv[0]))
            },
        )


def _totals(store: Store) -> dict[str | None, dict[str, Any]]:
    """Per team and for the organisation: person-days, KTLO person-days, people, first and last day."""
    rows = store.query(
        """
        SELECT team, person, sum(person_days) AS person_days,
               coalesce(sum(person_days) FILTER (WHERE investment = 'ktlo'), 0) AS ktlo_person_days,
               min(day) AS first_day, max(day) AS last_day
        FROM report_alloc GROUP BY team, person
        """
    )
    grouped: dict[str | None, dict[str, Any]] = {}
    for row in rows:
        for key in (row["team"], ORG):
            into = grouped.setdefault(key, {"person_days": 0.0, "ktlo_person_days": 0.0,
                                            "people": set(), "first_day": None, "last_day": None})  # fmt: skip
            into["person_days"] += row["person_days"]
            into["ktlo_person_days"] += row["ktlo_person_days"]
            into["people"].add(row["person"])
            into["first_day"] = min(filter(None, (into["first_day"], row["first_day"])))
            into["last_day"] = max(filter(None, (into["last_day"], row["last_day"])))
    for into in grouped.values():
        into["people"] = len(into["people"])
    return {key: _totals_of(into) for key, into in grouped.items()}


def _totals_of(row: dict[str, Any] | None) -> dict[str, Any]:
    if row is None:
        row = {"person_days": 0.0, "ktlo_person_days": 0.0, "people": 0,
               "first_day": None, "last_day": None}  # fmt: skip
    return effort_totals(row)


def _stack_order(config: Config, kinds: dict[str, str]) -> list[StackKind]:
    """KTLO kinds at the bottom (so the top of their stack is the KTLO share), then new work."""
    rename = config.categories.rename
    builtin = [rename.get(s, s) for s in (*KTLO_SUBCATEGORIES, *NEW_WORK_SUBCATEGORIES)]
    rank = {"ktlo": 0, "new_work": 1}
    ordered = sorted(
        kinds,
        key=lambda k: (
            rank.get(kinds[k], 2),
            builtin.index(k) if k in builtin else len(builtin),
            k,
        ),
    )
    return [StackKind(key=k, investment=kinds[k]) for k in ordered]


def team_cards(
    store: Store, config: Config, balances: dict[str | None, Balance], teams: list[str],
    period: str, covered: Coverage | None = None,
) -> list[TeamCard]:  # fmt: skip
    """Per team: `ktlo budget`'s figures (last complete period, last 91 days, drift, drivers)
    and cost; complete periods are those the data covers whole (ktlo.periods). The KTLO-mode
    answer is added by ktlo.report.ops.with_mode."""
    covered = covered or coverage(store.con, "report_alloc")
    today: date = covered.as_of or date.today()
    rates = measured_rates(store)
    quarter = {
        r["team"]: estimate(Parts.of(r), rates)
        for r in store.query(
            f"""
            SELECT team, {parts_sql("person_days", whole="item_days")} FROM report_alloc
            WHERE day > ?::DATE - INTERVAL {QUARTER_DAYS} DAY GROUP BY team
            """,
            [today],
        )
    }
    drivers = _drivers(store, today)
    costs = {t.name: t.cost_per_fte_month for t in config.teams if t.cost_per_fte_month}
    return [
        _card(team, balances[team], band(config, team), quarter.get(team),
              drivers.get(team, Drivers(subcategories=[], hotspots=[])), costs.get(team))
        for team in teams
    ]  # fmt: skip


def _card(
    team: str, found: Balance, budget: Budget, q_share: Estimate | None, drivers: Drivers,
    cost: float | None,
) -> TeamCard:  # fmt: skip
    full = [p for p in found.periods if p.complete]
    recent = [p.ktlo_share for p in full[-3:] if p.ktlo_share is not None]
    last = full[-1] if full else None
    totals = found.totals
    return TeamCard(
        team=team,
        low=budget.low,
        high=budget.high,
        **totals.model_dump(include={"person_days", "ktlo_person_days", "ktlo_share",
                                     "ktlo_share_low", "ktlo_share_high", "fte", "people"}),
        last_period=last.period if last else None,
        last_period_share=last.ktlo_share if last else None,
        last_period_share_low=last.ktlo_share_low if last else None,
        last_period_share_high=last.ktlo_share_high if last else None,
        last_period_status=last.status if last else "unknown",
        **share_json(q_share, "quarter_share"),
        quarter_status=budget.status_of(q_share),
        drifting=len(recent) == 3 and recent[0] < recent[1] < recent[2]
        and recent[2] - recent[0] >= DRIFT_POINTS,
        recent_shares=recent,
        trend=_direction(recent),
        series=found.trend.series,
        drivers=drivers,
        ktlo_cost=round(totals.ktlo_person_days / WORKDAYS_PER_MONTH * cost, 2)
        if cost else None,
        ktlo_mode=None,
        health_risks=[],
        health_note=None,
    )  # fmt: skip


def _direction(shares: list[float]) -> str:
    """The last full period against the one before: up, down, flat (within 2 points)."""
    if len(shares) < 2:
        return "unknown"
    delta = shares[-1] - shares[-2]
    return "flat" if abs(delta) < TREND_FLAT else ("up" if delta > 0 else "down")


def _drivers(store: Store, today: date) -> dict[str, Drivers]:
    """Per team, the top three KTLO kinds and directories (each of one repository) of the
    last 91 days."""
    window = f"investment = 'ktlo' AND day > $today::DATE - INTERVAL {QUARTER_DAYS} DAY"
    kinds = store.query(
        f"""
        SELECT team, subcategory, round(sum(person_days), 2) AS person_days FROM report_alloc
        WHERE {window} GROUP BY team, subcategory
        QUALIFY row_number() OVER (PARTITION BY team ORDER BY sum(person_days) DESC, subcategory) <= 3
        ORDER BY team, person_days DESC
        """,
        {"today": today},
    )
    places = store.query(
        f"""
        SELECT a.team, a.repo_id, d.directory, round(sum(a.person_days * d.part), 2) AS person_days
        FROM report_alloc a JOIN report_item_dirs d USING (item_id)
        WHERE {window} GROUP BY a.team, a.repo_id, d.directory
        QUALIFY row_number() OVER (PARTITION BY a.team
                                   ORDER BY sum(a.person_days * d.part) DESC, a.repo_id, d.directory) <= 3
        ORDER BY a.team, person_days DESC, a.repo_id, d.directory
        """,
        {"today": today},
    )
    result: dict[str, tuple[list[DriverKind], list[DriverPlace]]] = {}
    for row in kinds:
        result.setdefault(row.pop("team"), ([], []))[0].append(DriverKind(**row))
    for row in places:
        result.setdefault(row.pop("team"), ([], []))[1].append(DriverPlace(**row))
    return {
        team: Drivers(subcategories=found[0], hotspots=found[1]) for team, found in result.items()
    }


def hotspots(store: Store, team: str | None, top: int = 10) -> list[Hotspot]:
    """Directories with the most KTLO person-days (a commit's effort split over its files)."""
    where, params = ("WHERE a.team = ?", [team]) if team else ("", [])
    rows = store.query(
        f"""
        SELECT a.repo_id, d.directory, a.subcategory, a.investment,
               sum(a.person_days * d.part) AS person_days
        FROM report_alloc a JOIN report_item_dirs d USING (item_id) {where} GROUP BY ALL
        """,
        params,
    )
    places: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        place = places.setdefault(
            (row["repo_id"], row["directory"]), {"person_days": 0.0, "kinds": {}}
        )
        place["person_days"] += row["person_days"]
        if row["investment"] == "ktlo":
            kinds = place["kinds"]
            kinds[row["subcategory"]] = kinds.get(row["subcategory"], 0.0) + row["person_days"]
    all_ktlo = sum(sum(p["kinds"].values()) for p in places.values())
    ranked = sorted(
        ((sum(p["kinds"].values()), key, p) for key, p in places.items() if p["kinds"]),
        key=lambda t: (-t[0], str(t[1][0]), t[1][1]),
    )
    return [
        Hotspot(
            repo_id=repo,
            directory=directory,
            ktlo_person_days=round(ktlo, 2),
            share_of_ktlo=_ratio(ktlo, all_ktlo),
            ktlo_ratio=_ratio(ktlo, place["person_days"]),
            kinds=[k for k, _ in sorted(place["kinds"].items(), key=lambda kv: -kv[1])][:3],
        )
        for ktlo, (repo, directory), place in ranked[:top]
    ]


def people(store: Store, team: str | None, top: int = 10) -> list[KtloPerson]:
    """Who carries the KTLO: KTLO person-days per person, with their share of all of it."""
    where, params = ("WHERE team = ?", [team]) if team else ("", [])
    rows = store.query(
        f"""
        WITH per AS (
            SELECT person,
                   coalesce(sum(person_days) FILTER (WHERE investment = 'ktlo'), 0) AS ktlo_person_days,
                   sum(person_days) AS person_days
            FROM report_alloc {where} GROUP BY person
        )
        SELECT person, coalesce(n.name, person) AS name,
               round(ktlo_person_days, 2) AS ktlo_person_days,
               round(person_days, 2) AS person_days,
               round(ktlo_person_days / nullif(sum(ktlo_person_days) OVER (), 0), 4) AS share_of_ktlo,
               round(ktlo_person_days / nullif(person_days, 0), 4) AS ktlo_ratio
        FROM per LEFT JOIN report_people n USING (person) WHERE ktlo_person_days > 0
        QUALIFY row_number() OVER (ORDER BY ktlo_person_days DESC, person) <= {int(top)}
        ORDER BY ktlo_person_days DESC, person
        """,
        params,
    )
    return [KtloPerson(**row) for row in rows]


def largest_items(store: Store, team: str | None, top: int = 10) -> list[LargestItem]:
    """The KTLO items with the most effort in the last 91 days, with their verdict reasons."""
    where = "AND team = ?" if team else ""
    rows = store.query(
        f"""
        WITH recent AS (
            SELECT item_id, sum(person_days) AS person_days FROM report_alloc
            WHERE investment = 'ktlo' {where}
              AND day > (SELECT max(day) FROM report_alloc) - INTERVAL {QUARTER_DAYS} DAY
            GROUP BY item_id ORDER BY person_days DESC, item_id LIMIT {int(top)}
        )
        SELECT r.item_id, w.title, w.kind, w.repo_id, round(r.person_days, 2) AS person_days,
               v.subcategory, v.reasons, v.overridden
        FROM recent r JOIN work_items w USING (item_id) JOIN effective_verdicts v USING (item_id)
        ORDER BY r.person_days DESC, r.item_id
        """,
        [team] if team else [],
    )
    return [LargestItem(**row) for row in rows]


def _ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None
