"""Custom categories: an organisation's own breakdown of effort beside the KTLO taxonomy, in SQL.

`[custom_categories."Name"]` in ktlo.toml defines a category by its `match` tables: an item
matches one when all of that table's conditions hold (its labels, issue type, epic, changed
paths, repository, its verdict's subcategory or investment), and the category when it
matches any of them (docs/allocation.md#custom-categories). Each item gets one category:

    own         the first category, in the file's order, that the item itself matches
    parent      else the first its nearest parent (up to three levels, `parent_key`) matches
    reference   a commit or pull request with none takes the category of an issue it names
    pull request
                a commit still without one takes its pull request's

so a story under an epic labelled `compliance` is Compliance, and so are the commits that
name it (as investment and initiative pass to children, ktlo.effort.initiatives). Whatever
has none is "(uncategorised)", shown, never dropped. The temporary tables:
`category_match(item_id, category, position)` every category an item itself matches (the
overlaps `--by category` reports), and `item_category(item_id, category, via)`.
"""

from __future__ import annotations

from typing import Any

from ktlo.config import Config
from ktlo.effort.initiatives import passed_on
from ktlo.store import Store
from ktlo.store.temp_tables import drop_temp

UNCATEGORISED = "(uncategorised)"
UNCATEGORISED_HOLDS = (
    "effort on items that match no custom category, have no parent that does, and (commits "
    "and pull requests) name no issue that does"
)
_RULE_COLUMNS = (
    "rule", "position", "category", "label", "issue_type", "epic", "path", "repository",
    "subcategory", "investment",
)  # fmt: skip


# A rule's conditions other than its path, on `subject s` and `category_rule r`.
_CONDITIONS = """(r.label IS NULL OR list_contains(s.labels, r.label))
         AND (r.issue_type IS NULL OR s.issue_type = r.issue_type)
         AND (r.epic IS NULL OR s.key = r.epic OR s.parent = r.epic)
         AND (r.repository IS NULL OR s.repo_id = r.repository
              OR ends_with(s.repo_id, '/' || r.repository) OR s.project = r.repository)
         AND (r.subcategory IS NULL OR s.subcategory = r.subcategory)
         AND (r.investment IS NULL OR s.investment = r.investment)"""


def rule_rows(config: Config) -> list[tuple[Any, ...]]:
    """One row per match table, conditions lower-cased as they are compared; a renamed
    subcategory back to the name verdicts store."""
    original = {shown: name for name, shown in config.categories.rename.items()}
    rows: list[tuple[Any, ...]] = []
    for position, (name, category) in enumerate(config.custom_categories.items()):
        for m in category.match:
            lowered = [(v.strip().lower() if v else None) for v in (m.label, m.issue_type, m.epic)]
            repository = m.repository.strip().lower().removesuffix(".git") if m.repository else None
            sub = original.get(m.subcategory, m.subcategory) if m.subcategory else None
            rows.append(
                (len(rows), position, name, *lowered, m.path, repository, sub, m.investment)
            )
    return rows


def build_categories(store: Store, config: Config) -> None:
    """Build the temporary tables `category_match` and `item_category` (module docstring)."""
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE category_rule (rule INTEGER, position INTEGER, "
        "category VARCHAR, label VARCHAR, issue_type VARCHAR, epic VARCHAR, path VARCHAR, "
        "repository VARCHAR, subcategory VARCHAR, investment VARCHAR)"
    )
    store.insert("category_rule", _RULE_COLUMNS, rule_rows(config))
    drop_temp(store, "category_match")  # a view when a saved one was read (alloc_cache)
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE category_match AS
        WITH touched AS (  -- (item, path rule) for each commit with a changed file it matches
            SELECT DISTINCT f.item_id, r.rule
            FROM commit_files f JOIN category_rule r ON r.path IS NOT NULL AND f.path GLOB r.path
        ),
        subject AS (
            SELECT w.item_id, list_transform(w.labels, lambda x: lower(trim(x))) AS labels,
                   lower(trim(w.issue_type)) AS issue_type, lower(w.external_id) AS key,
                   lower(w.parent_key) AS parent, lower(w.repo_id) AS repo_id,
                   lower(w.project) AS project, v.investment, v.subcategory
            FROM work_items w JOIN effective_verdicts v USING (item_id)
        )
        SELECT item_id, category, min(position) AS position FROM (
            SELECT s.item_id, r.category, r.position  -- by subcategory: an equi-join
            FROM subject s JOIN category_rule r
              ON r.subcategory = s.subcategory AND r.path IS NULL AND {_CONDITIONS}
            UNION ALL  -- the other rules, which every item is compared with (a few, often none)
            SELECT s.item_id, r.category, r.position
            FROM subject s JOIN category_rule r
              ON r.subcategory IS NULL AND r.path IS NULL AND {_CONDITIONS}
            UNION ALL  -- a path rule: only the commits `touched` found, not every item
            SELECT s.item_id, r.category, r.position
            FROM touched t JOIN subject s USING (item_id)
            JOIN category_rule r ON r.rule = t.rule AND {_CONDITIONS}
        )
        GROUP BY item_id, category
        """
    )
    store.con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE item_category AS
        WITH own AS (SELECT item_id, arg_min(category, position) AS category
                     FROM category_match GROUP BY item_id),
        parents AS (  -- one item per source and key (the first by id when routes disagree)
            SELECT source, external_id, arg_min(item_id, item_id) AS item_id,
                   arg_min(parent_key, item_id) AS parent_key
            FROM work_items WHERE kind <> 'commit' GROUP BY source, external_id
        ),
        tracked AS (  -- each tracker item: its own category, else its nearest parent's
            SELECT w.item_id, o.category AS own,
                   coalesce(o1.category, o2.category, o3.category) AS inherited
            FROM work_items w
            LEFT JOIN own o ON o.item_id = w.item_id
            LEFT JOIN parents p1 ON p1.source = w.source AND p1.external_id = w.parent_key
            LEFT JOIN own o1 ON o1.item_id = p1.item_id
            LEFT JOIN parents p2 ON p2.source = p1.source AND p2.external_id = p1.parent_key
            LEFT JOIN own o2 ON o2.item_id = p2.item_id
            LEFT JOIN parents p3 ON p3.source = p2.source AND p3.external_id = p2.parent_key
            LEFT JOIN own o3 ON o3.item_id = p3.item_id
            WHERE w.kind <> 'commit'
        ),
        direct AS (
            SELECT item_id, coalesce(own, inherited) AS category,
                   CASE WHEN own IS NOT NULL THEN 'own' ELSE 'parent' END AS via
            FROM tracked WHERE coalesce(own, inherited) IS NOT NULL
            UNION ALL
            SELECT o.item_id, o.category, 'own' FROM own o
            SEMI JOIN work_items w ON w.item_id = o.item_id AND w.kind = 'commit'
        ),
        {passed_on("category")}
        """
    )
