"""Budget buckets: a team's effort split against the targets of its `targets` table.

A team's budget is often a split, not one band: 50% new work, 20% KTLO, 20% tech debt,
10% bugs. Each entry of `[[teams]] targets` is a bucket: an investment (`ktlo`,
`new_work`, `other`) or a subcategory (built-in, renamed by `[categories] rename`, or
added by `[categories] add`) or a custom category (`[custom_categories]`,
ktlo.effort.categories). An item's effort goes to the most specific bucket that takes it:
its custom category's bucket, else its subcategory's, else its investment's, else
`(rest)`, whose target is what the others leave of 100%. So `ktlo = 20, tech_debt = 20,
bug = 10` reads "KTLO other than tech debt and bugs: 20%", and `Compliance = 10, ktlo = 20`
"KTLO outside Compliance: 20%".

    bucket share   person-days of the bucket's kinds / all person-days of the team, in a period
    band           target ± the team's `target_tolerance` (5 points unless set), within 0–100%
    status         the last complete period's share against the band; a bucket holding all
                   of KTLO (`ktlo` with no KTLO subcategory of its own) is judged by its
                   corrected share and 90% interval, as the KTLO band is (`likely over` ...)
    drift          last complete period's share − the previous complete period's

docs/allocation.md#budget-buckets has the same with the document's fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ktlo.classify.taxonomy import INVESTMENT_OF, INVESTMENTS, KTLO, SUBCATEGORIES
from ktlo.config import Config, Team
from ktlo.effort.allocation_document import Bucket, Buckets
from ktlo.effort.error_bars import Estimate
from ktlo.metrics.repository import Budget, period_label
from ktlo.periods import Coverage
from ktlo.store import Store
from ktlo.store.temp_tables import require

REST = "(rest)"


def known_buckets(config: Config) -> tuple[str, ...]:
    """The names `targets` may use: investments, subcategories (built-in and renamed), the
    categories `[categories] add` defines, and the custom categories."""
    renamed = tuple(config.categories.rename.values())
    added = tuple(c.name for c in config.categories.add)
    custom = tuple(config.custom_categories)
    return tuple(dict.fromkeys((*INVESTMENTS, *SUBCATEGORIES, *renamed, *added, *custom)))


@dataclass(frozen=True, slots=True)
class BucketPlan:
    """A team's buckets: what each holds and its target (fractions of 1)."""

    names: tuple[str, ...]  # as shown, in the order of `targets`, `(rest)` last
    targets: dict[str, float]
    tolerance: float
    by_subcategory: dict[str, str]  # built-in or added subcategory -> bucket
    by_investment: dict[str, str]  # investment -> bucket
    whole_ktlo: str | None  # the bucket holding every KTLO kind, if one does
    by_category: tuple[str, ...] = ()  # custom categories with a bucket of their own

    def of(
        self, investment: str | None, subcategory: str | None, category: str | None = None
    ) -> str:
        """The bucket of an item of this investment, subcategory and custom category."""
        if category in self.by_category:
            return str(category)
        return self.by_subcategory.get(subcategory or "") or self.by_investment.get(
            investment or "", REST
        )

    def band(self, name: str) -> Budget:
        """The bucket's band: its target ± the tolerance, within 0–1."""
        target = self.targets[name]
        return Budget(max(0.0, target - self.tolerance), min(1.0, target + self.tolerance))


def bucket_plan(config: Config, team: Team) -> BucketPlan | None:
    """The team's buckets, None when it has no `targets`."""
    if not team.targets:
        return None
    original = {shown: name for name, shown in config.categories.rename.items()}
    investment_of = INVESTMENT_OF | {c.name: c.investment for c in config.categories.add}
    by_subcategory: dict[str, str] = {}
    by_investment: dict[str, str] = {}
    targets: dict[str, float] = {}
    custom = tuple(c for c in team.targets if c in config.custom_categories)
    for name, percent in team.targets.items():
        if name in custom:
            targets[name] = percent / 100
            continue
        kind = original.get(name, name)
        shown = config.categories.rename.get(kind, kind)
        (by_investment if kind in INVESTMENTS else by_subcategory)[kind] = shown
        targets[shown] = percent / 100
    targets[REST] = max(0.0, round(1.0 - sum(targets.values()), 6))
    ktlo_kinds = [k for k in by_subcategory if investment_of.get(k) == KTLO]
    return BucketPlan(
        names=(
            *dict.fromkeys((*by_investment.values(), *by_subcategory.values(), *custom)),
            REST,
        ),
        targets=targets,
        tolerance=team.target_tolerance / 100,
        by_subcategory=by_subcategory,
        by_investment=by_investment,
        # a custom category's bucket may take KTLO items: then no bucket holds all of KTLO
        whole_ktlo=by_investment.get(KTLO) if not ktlo_kinds and not custom else None,
        by_category=custom,
    )


def team_buckets(
    store: Store, plan: BucketPlan, team: str, period: str, covered: Coverage,
    corrected: dict[date, Estimate | None],
) -> Buckets:  # fmt: skip
    """The team's buckets in its last complete period, against their targets, with their
    drift from the previous complete period. `corrected` holds the team's corrected KTLO
    share per period start (the whole-KTLO bucket's status reads it)."""
    require(store, "alloc")
    days: dict[date, dict[str, float]] = {}
    for row in store.query(
        f"SELECT date_trunc('{period}', day)::DATE AS start, investment, subcategory, "
        "category, sum(person_days) AS person_days FROM alloc WHERE team = ? GROUP BY ALL",
        [team],
    ):
        spent = days.setdefault(row["start"], {})
        name = plan.of(row["investment"], row["subcategory"], row["category"])
        spent[name] = spent.get(name, 0.0) + row["person_days"]
    full = sorted(start for start in days if covered.complete(start, period))
    last = full[-1] if full else None
    previous = full[-2] if len(full) > 1 else None
    rows = [
        _bucket(plan, name, days.get(last, {}) if last else None,
                days.get(previous, {}) if previous else None,
                corrected.get(last) if last and name == plan.whole_ktlo else None)
        for name in plan.names
    ]  # fmt: skip
    return Buckets(
        period=period_label(last, period) if last else None,
        previous_period=period_label(previous, period) if previous else None,
        tolerance=plan.tolerance,
        buckets=[r for r in rows if r.bucket != REST or r.target > 0 or r.person_days > 0],
    )


def _bucket(
    plan: BucketPlan, name: str, last: dict[str, float] | None,
    previous: dict[str, float] | None, corrected: Estimate | None,
) -> Bucket:  # fmt: skip
    share = _share(last, name)
    before = _share(previous, name)
    band = plan.band(name)
    status = band.status_of(corrected) if corrected is not None else band.status(share)
    return Bucket(
        bucket=name,
        target=round(plan.targets[name], 4),
        low=round(band.low, 4),
        high=round(band.high, 4),
        person_days=round((last or {}).get(name, 0.0), 2),
        share=share,
        corrected_share=corrected.share if corrected else None,
        corrected_share_low=corrected.low if corrected else None,
        corrected_share_high=corrected.high if corrected else None,
        status=status,
        previous_share=before,
        drift=round(share - before, 4) if share is not None and before is not None else None,
    )


def _share(spent: dict[str, float] | None, name: str) -> float | None:
    total = sum(spent.values()) if spent else 0.0
    return round(spent.get(name, 0.0) / total, 4) if spent and total else None


def split(plan: BucketPlan, rows: list[dict[str, Any]], weight: str) -> dict[str, float]:
    """`weight` summed per bucket over rows with `investment`, `subcategory` and (when the
    plan has custom categories) `category`."""
    found: dict[str, float] = {}
    for row in rows:
        name = plan.of(row["investment"], row["subcategory"], row.get("category"))
        found[name] = found.get(name, 0.0) + float(row[weight] or 0.0)
    return found
