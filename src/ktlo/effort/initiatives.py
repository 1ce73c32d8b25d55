"""Initiatives: the epic, project or milestone each item's effort belongs to, in SQL.

An initiative is what a tracker files work under (docs/allocation.md#initiatives):

    own         the item's `initiative` as its tool names it: a GitHub or GitLab milestone,
                a GitLab epic, a Linear project, a file import's `initiative` column
    parent      else the nearest parent (up to three levels, `parent_key`) that has one
    epic        else the nearest Jira epic among the item and its parents (its key, `PAY-1`)
    top parent  else the topmost parent issue (a Jira story's parent with no epic above it)
    reference   a commit or pull request with none of these takes the initiative of an issue
                it names (text references and links, as verdicts inherit them)
    pull request
                a commit still without one takes its pull request's

Whatever has none is "(no initiative)". The result is the temporary table
`item_initiative(item_id, initiative, via)`, `via` naming the rule that found it.
"""

from __future__ import annotations

from ktlo.store import Store

NO_INITIATIVE = "(no initiative)"
NO_INITIATIVE_HOLDS = (
    "effort on items in no epic, parent issue, project or milestone, and on commits and pull "
    "requests that name no issue of one (nor sit in a pull request that does)"
)

_TRACKED = """  -- each tracker item with its initiative from itself and its parents
    parents AS (  -- one item per source and key (the first by id when routes disagree)
        SELECT source, external_id, arg_min(item_id, item_id) AS item_id,
               arg_min(parent_key, item_id) AS parent_key, arg_min(initiative, item_id) AS initiative,
               bool_or(kind = 'epic') AS epic
        FROM work_items WHERE kind <> 'commit' GROUP BY source, external_id
    ),
    tracked AS (
        SELECT w.item_id,
               coalesce(w.initiative, p1.initiative, p2.initiative, p3.initiative) AS found,
               CASE WHEN w.kind = 'epic' THEN w.external_id WHEN p1.epic THEN p1.external_id
                    WHEN p2.epic THEN p2.external_id WHEN p3.epic THEN p3.external_id END AS epic,
               coalesce(p3.external_id, p2.external_id, p1.external_id) AS top,
               w.initiative IS NOT NULL AS own
        FROM work_items w
        LEFT JOIN parents p1 ON p1.source = w.source AND p1.external_id = w.parent_key
        LEFT JOIN parents p2 ON p2.source = p1.source AND p2.external_id = p1.parent_key
        LEFT JOIN parents p3 ON p3.source = p2.source AND p3.external_id = p2.parent_key
        WHERE w.kind <> 'commit'
    ),
    direct AS (
        SELECT item_id, coalesce(found, epic, top) AS initiative,
               CASE WHEN own THEN 'own' WHEN found IS NOT NULL THEN 'parent'
                    WHEN epic IS NOT NULL THEN 'epic' ELSE 'top parent' END AS via
        FROM tracked WHERE coalesce(found, epic, top) IS NOT NULL
    )"""


def build_initiatives(store: Store) -> None:
    """Build the temporary table `item_initiative(item_id, initiative, via)`."""
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE item_initiative AS
        WITH {_TRACKED}, {passed_on("initiative")}
        """
    )


def passed_on(column: str) -> str:
    """The SQL, after a CTE `direct(item_id, <column>, via)` of the items that have a value,
    that passes it on to commits and pull requests with none: those naming an item of
    `direct` take its value (`reference`: text references and links, as verdicts inherit
    them), and a commit still without one takes its pull request's (`pull request`).
    Ends in the SELECT of every item with a value. `column` is chosen by the code."""
    return f"""
        refs AS (  -- (item, the key it names), as verdicts inherit (ktlo.verdicts.reclassify)
            SELECT item_id, unnest(refs) AS ref, repo_id FROM work_items
            ANTI JOIN direct USING (item_id) WHERE kind IN ('commit', 'pull_request')
            UNION ALL
            SELECT l.from_id, l.to_ref, NULL FROM links l
            JOIN work_items w ON w.item_id = l.from_id
            ANTI JOIN direct d ON d.item_id = l.from_id
            WHERE l.kind <> 'contains' AND w.kind IN ('commit', 'pull_request')
        ),
        named_items AS (  -- (item, the item it names): a key, or `#12` in the same repository;
                          -- equi-joins only, as an OR in the join would compare every pair
            SELECT r.item_id, p.item_id AS named_id FROM refs r
            JOIN work_items p ON p.external_id = r.ref
            WHERE p.kind <> 'commit' AND p.item_id <> r.item_id
            UNION ALL
            SELECT r.item_id, p.item_id FROM refs r
            JOIN work_items p ON p.external_id = substr(r.ref, 2) AND p.repo_id = r.repo_id
            WHERE r.ref LIKE '#%' AND p.kind <> 'commit' AND p.item_id <> r.item_id
        ),
        named AS (
            SELECT n.item_id, arg_min(d.{column}, n.named_id) AS {column}, 'reference' AS via
            FROM named_items n JOIN direct d ON d.item_id = n.named_id
            GROUP BY n.item_id
        ),
        known AS (SELECT * FROM direct UNION ALL SELECT * FROM named),
        carried AS (  -- a commit with none takes the pull request's that contains it
            SELECT c.item_id, arg_min(k.{column}, k.item_id) AS {column}, 'pull request' AS via
            FROM links l
            JOIN known k ON k.item_id = l.from_id
            JOIN work_items c ON c.kind = 'commit' AND c.external_id = l.to_ref
            ANTI JOIN known o ON o.item_id = c.item_id
            WHERE l.kind = 'contains'
            GROUP BY c.item_id
        )
        SELECT * FROM known UNION ALL SELECT * FROM carried"""
