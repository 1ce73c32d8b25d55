"""Scope: size and span as evidence that a piece of new work is a project, not a feature.

Practitioners draw the line by size and span: tuning a few noisy alerts is KTLO, a new
export button is a feature, and redesigning the alerting strategy, a migration or a
platform change that takes many people many weeks is a project. The words say some of
it (the phrase model knows "redesign", "migrate ... from X to Y", "across all services");
the store says the rest. An issue, epic or pull request that reads as a feature becomes
a project when at least two of these hold:

    span      six weeks or more from creation to close (or to its last update, if open)
    people    four or more people acted on it (authors, assignees, reviewers, commenters)
    breadth   eight or more items link to it or name it as their parent
    estimate  13 story points or more

A config rule's verdict is never changed; an override lies on top anyway.
"""

from __future__ import annotations

from ktlo.store import Store

SPAN_DAYS = 42
PEOPLE = 4
LINKED = 8
ESTIMATE = 13.0
NEEDED = 2


def promote_projects(store: Store) -> int:
    """Turn feature verdicts whose scope is a project's into project verdicts. Returns how many."""
    with store.transaction():
        store.con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE project_scope AS
            WITH refs AS (
                SELECT item_id AS child, parent_key AS ref, NULL AS repo_id FROM work_items
                WHERE parent_key IS NOT NULL
                UNION ALL SELECT from_id, to_ref, NULL FROM links
                UNION ALL SELECT item_id, unnest(refs), repo_id FROM work_items
            ),
            linked AS (
                SELECT p.item_id, count(DISTINCT r.child) AS n
                FROM work_items p JOIN refs r
                  ON (r.ref = p.external_id
                      OR (r.ref LIKE '#%' AND substr(r.ref, 2) = p.external_id AND r.repo_id = p.repo_id))
                 AND r.child <> p.item_id
                WHERE p.kind <> 'commit'
                GROUP BY p.item_id
            ),
            people AS (
                SELECT item_id, count(DISTINCT who) AS n FROM (
                    SELECT item_id, lower(person) AS who FROM activities
                    UNION ALL
                    SELECT item_id, lower(unnest(assignees)) FROM work_items WHERE kind <> 'commit'
                ) GROUP BY item_id
            ),
            measured AS (
                SELECT w.item_id,
                       date_diff('day', w.created_at,
                                 coalesce(w.closed_at, w.merged_at, w.updated_at, w.created_at)) AS span_days,
                       coalesce(p.n, 0) AS people, coalesce(l.n, 0) AS linked, w.estimate
                FROM work_items w
                JOIN verdicts v USING (item_id)
                LEFT JOIN linked l USING (item_id)
                LEFT JOIN people p USING (item_id)
                WHERE w.kind <> 'commit' AND v.investment = 'new_work' AND v.subcategory = 'feature'
                  AND split_part(v.reasons[1], ':', 1) <> 'rule'
            )
            SELECT *, concat_ws(', ',
                       CASE WHEN span_days >= {SPAN_DAYS} THEN (span_days // 7) || ' weeks' END,
                       CASE WHEN people >= {PEOPLE} THEN people || ' people' END,
                       CASE WHEN linked >= {LINKED} THEN linked || ' linked items' END,
                       CASE WHEN estimate >= {ESTIMATE} THEN estimate || ' points' END) AS evidence
            FROM measured
            WHERE (coalesce(span_days, 0) >= {SPAN_DAYS})::INT + (people >= {PEOPLE})::INT
                + (linked >= {LINKED})::INT + (coalesce(estimate, 0) >= {ESTIMATE})::INT >= {NEEDED}
            """
        )
        store.con.execute(
            """
            UPDATE verdicts SET subcategory = 'project',
                   reasons = list_append(verdicts.reasons, 'scope: ' || s.evidence || ' → project')
            FROM project_scope s WHERE verdicts.item_id = s.item_id
            """
        )
    row = store.con.execute("SELECT count(*) FROM project_scope").fetchone()
    return int(row[0]) if row else 0
