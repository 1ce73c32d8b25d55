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

INVESTMENT_OF = {sub: KTLO for sub in KTLO_SUBCATEGORIES} | {
    sub: NEW_WORK for sub in NEW_WORK_SUBCATEGORIES
}


def investment_of(subcategory: str | None) -> str:
    """The investment a subcategory belongs to (`other` when there is none)."""
    return INVESTMENT_OF.get(subcategory or "", OTHER)
