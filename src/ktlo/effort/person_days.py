"""Effort: activity turned into person-days, all in DuckDB SQL (see docs/effort.md).

    activity      who touched which item on which day, and how (authored a commit,
                  opened or reviewed a pull request, commented, ...), bots excluded
    in hand       the items touched that day, weighted by kind, plus the items the person
                  touched before and touches again within `active_days` (carried)
    person-days   each day with activity is `capacity` person-days, split across the
                  items in hand by weight; days off are removed; a week never holds
                  more than 5 × capacity

The result is the temporary table `effort(person, day, item_id, person_days, repo_id,
kind, item_key)`: the item's repository and kind ride along, so that the reports need not
join the large item tables again, and `item_key`, a number per item (its row in
`work_items`, unique within the table, not an id to keep), which counts and joins items
faster than the text of their ids.

Sums of person-days are exact, so a report is the same bytes whatever order DuckDB's
threads add them in: weights are decimals (their sums exact), and each row's person-days
is a multiple of 2**-30 (a billionth of a day), so any sum of fewer than 2**23 (8 million)
person-days is exact in a double, in any order. Floating-point sums in a parallel
aggregation otherwise differ in their last bits from run to run (a period's 93.17 person-days
read 93.18 on the next no-op run of git/git).
"""

from __future__ import annotations

from datetime import date

from ktlo.config import Config, load_time_off
from ktlo.effort.identity import resolve_identities
from ktlo.store import Store
from ktlo.store.temp_tables import require

DEFAULT_WEIGHTS: dict[str, float] = {
    "authored": 1.0,  # a commit
    "committed": 1.0,
    "opened": 1.0,  # a pull request or issue
    "merged": 0.5,
    "reviewed": 0.5,
    "approved": 0.5,
    "commented": 0.25,
    "closed": 0.25,
    "assigned": 0.1,
    "transitioned": 0.1,
    "carried": 0.25,  # an item in progress between two activities
}
OTHER_KIND_WEIGHT = 0.25
WORKDAYS_PER_WEEK = 5
QUANTUM = 2**30  # person-days are multiples of 1 / QUANTUM: their sums are exact (docstring)


def compute_effort(
    store: Store, config: Config, since: date | None = None, until: date | None = None,
    prepared: bool = False,
) -> None:  # fmt: skip
    """Build the temporary `effort` table: the person-days of the days in [since, until).

    Effort is computed over the whole history and only then cut to the range, so a day's
    person-days never depend on the range asked: an item in hand across `since` keeps its
    share of the days after it, and `ktlo allocation --since`, `ktlo analyze --since` and
    the report's date filter give the same figures for the same days. `prepared`: the
    caller ran `prepare_effort` already."""
    if not prepared:
        prepare_effort(store, config)
    require(store, "identity", "person_info", "effort_weights", "time_off")
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE effort AS
        WITH authored AS (  -- one row per commit: a commit is one author, one item, one day
            SELECT i.person, w.item_id, CAST(w.created_at AS DATE) AS day,
                   (SELECT weight FROM effort_weights WHERE kind = 'authored') AS weight,
                   w.repo_id, w.kind, w.rowid AS item_key
            FROM work_items w
            JOIN identity i ON i.alias = lower(coalesce(nullif(w.author_email, ''), w.author_name))
            ANTI JOIN (SELECT item_id FROM commits WHERE is_merge OR is_boundary) m USING (item_id)
            WHERE w.kind = 'commit'
        ),
        acted AS (  -- other activity, one row per person, item and day, at its heaviest kind
            SELECT i.person, a.item_id, CAST(a.occurred_at AS DATE) AS day,
                   max(coalesce(w.weight, {OTHER_KIND_WEIGHT})) AS weight,
                   any_value(item.repo_id) AS repo_id, any_value(item.kind) AS kind,
                   any_value(item.rowid) AS item_key
            FROM activities a
            JOIN identity i ON i.alias = lower(a.person)
            JOIN work_items item ON item.item_id = a.item_id
            LEFT JOIN effort_weights w ON w.kind = a.kind
            GROUP BY i.person, a.item_id, day
        ),
        touched AS MATERIALIZED (  -- read five times below: computed once
            SELECT t.* FROM (
                SELECT * FROM authored
                UNION ALL
                SELECT a.* FROM acted a
                ANTI JOIN authored c ON c.person = a.person AND c.item_id = a.item_id AND c.day = a.day
            ) t
            JOIN person_info p USING (person)
            WHERE NOT p.is_bot
        ),
        revisited AS (  -- only items touched on several days can be in hand between visits
            SELECT person, item_id FROM touched
            SEMI JOIN (SELECT DISTINCT item_id FROM activities) a USING (item_id)
            GROUP BY ALL HAVING count(*) > 1
        ),
        spans AS (
            SELECT t.person, t.item_id, t.day, t.repo_id, t.kind, t.item_key,
                   lead(t.day) OVER (PARTITION BY t.person, t.item_id ORDER BY t.day) AS next_day
            FROM touched t SEMI JOIN revisited r ON r.person = t.person AND r.item_id = t.item_id
        ),
        carried AS (
            SELECT person, item_id, repo_id, kind, item_key,
                   CAST(unnest(generate_series(day + 1, next_day - 1, INTERVAL 1 DAY)) AS DATE) AS day
            FROM spans
            WHERE next_day - day BETWEEN 2 AND {int(config.effort.active_days)}
        ),
        working_days AS (  -- days with activity, less time off
            SELECT DISTINCT t.person, t.day FROM touched t
            ANTI JOIN time_off o ON o.person = t.person AND t.day BETWEEN o.starts AND o.ends
        ),
        in_hand AS MATERIALIZED (
            SELECT person, item_id, day, weight, repo_id, kind, item_key FROM touched
            UNION ALL
            SELECT c.person, c.item_id, c.day, (SELECT weight FROM effort_weights WHERE kind = 'carried'),
                   c.repo_id, c.kind, c.item_key
            FROM carried c SEMI JOIN working_days d ON d.person = c.person AND d.day = c.day
            ANTI JOIN touched t ON t.person = c.person AND t.item_id = c.item_id AND t.day = c.day
        ),
        day_weight AS (  -- the total weight in hand per person and working day
            SELECT h.person, h.day, sum(h.weight) AS total
            FROM in_hand h SEMI JOIN working_days d ON d.person = h.person AND d.day = h.day
            GROUP BY ALL
        ),
        day_factor AS (  -- person-days per unit of weight; a week holds at most 5 × capacity
            SELECT d.person, d.day,
                   p.capacity / d.total * least(1.0, {WORKDAYS_PER_WEEK}
                       / count(*) OVER (PARTITION BY d.person, date_trunc('week', d.day))) AS factor
            FROM day_weight d JOIN person_info p USING (person)
        )
        SELECT h.person, h.day, h.item_id,
               round(h.weight * f.factor * {QUANTUM}) / {QUANTUM} AS person_days,
               h.repo_id, h.kind, h.item_key
        FROM in_hand h JOIN day_factor f ON f.person = h.person AND f.day = h.day
        """
    )
    if since or until:  # cut only now: the days inside keep what they were computed to be
        store.con.execute(
            "DELETE FROM effort WHERE day < coalesce(?::DATE, DATE '0001-01-01') "
            "OR day >= coalesce(?::DATE, DATE '9999-12-31')",
            [since, until],
        )


def prepare_effort(store: Store, config: Config) -> None:
    """The temporary tables the effort is computed from: `identity` and `person_info`
    (ktlo.effort.identity), `effort_weights` and `time_off`."""
    resolve_identities(store, config)
    _load_weights(store, config)
    _load_time_off(store, config)


def _load_weights(store: Store, config: Config) -> None:
    weights = {**DEFAULT_WEIGHTS, **config.effort.weights}
    store.con.execute(  # decimal: a day's sum of weights (0.1 + 0.25 + ...) is exact
        "CREATE OR REPLACE TEMP TABLE effort_weights (kind VARCHAR, weight DECIMAL(18, 9))"
    )
    store.insert("effort_weights", ["kind", "weight"], sorted(weights.items()))


def _load_time_off(store: Store, config: Config) -> None:
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE time_off (person VARCHAR, starts DATE, ends DATE)"
    )
    rows = load_time_off(config)
    if rows:
        mapped = store.con.execute("SELECT alias, person FROM identity").fetchall()
        person_of = dict(mapped)
        store.insert(
            "time_off",
            ["person", "starts", "ends"],
            [(person_of.get(p.lower(), p), start, end) for p, start, end in rows],
        )
