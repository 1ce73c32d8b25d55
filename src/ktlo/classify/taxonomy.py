"""The investment taxonomy: every work item is KTLO (of one kind), new work (of one kind) or other."""

from __future__ import annotations

KTLO = "ktlo"
NEW_WORK = "new_work"
OTHER = "other"

KTLO_SUBCATEGORIES = (
    "incident",
    "bug",
    "security",
    "dependency",
    "performance",
    "reliability",
    "maintenance",
    "tech_debt",
)
NEW_WORK_SUBCATEGORIES = ("feature", "project")
SUBCATEGORIES = KTLO_SUBCATEGORIES + NEW_WORK_SUBCATEGORIES
INVESTMENTS = (KTLO, NEW_WORK, OTHER)

INVESTMENT_OF = dict.fromkeys(KTLO_SUBCATEGORIES, KTLO) | dict.fromkeys(
    NEW_WORK_SUBCATEGORIES, NEW_WORK
)


def investment_of(subcategory: str | None) -> str:
    """The investment a subcategory belongs to (`other` when there is none)."""
    return INVESTMENT_OF.get(subcategory or "", OTHER)
