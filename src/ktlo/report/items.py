"""Drill-down: the work items behind a share or a figure, each with its verdict and reasons."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import Field

from ktlo.classify.taxonomy import INVESTMENTS, KTLO_SUBCATEGORIES, NEW_WORK_SUBCATEGORIES
from ktlo.config import Config
from ktlo.documents import Document
from ktlo.errors import ConfigError, NotFoundError
from ktlo.report.balance_types import Choices, Filters
from ktlo.report.model import DIRS_TABLE, PEOPLE_TABLE
from ktlo.store import Store

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Selection:
    """Which items of the filtered effort: by verdict, person or directory."""

    investment: str | None = None
    subcategory: str | None = None  # as shown (a renamed kind), or "other" for none
    person: str | None = None
    directory: str | None = None
    offset: int = 0
    limit: int = PAGE_SIZE

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class SelectionJson(Document):
    """Which items of the filtered effort the page shows."""

    investment: str | None = Field(description="`ktlo`, `new_work` or `other`; `null`: any")
    subcategory: str | None = Field(description="a kind as shown, `other` for none; `null`: any")
    person: str | None = Field(description="a person's id; `null`: anyone")
    directory: str | None = Field(description="a hotspot's directory; `null`: anywhere")
    offset: int = Field(description="how many items of the list are skipped")
    limit: int = Field(description="how many are shown at most")


class ItemsTotals(Document):
    """Everything the selection holds, not only the page shown."""

    items: int = Field(description="items with effort in the selection")
    person_days: float = Field(description="their person-days, to 2 decimals")


class ItemRow(Document):
    """One work item behind a share, with its verdict and the effort the filters count."""

    item_id: str = Field(description="the item's full id")
    title: str | None = Field(description="its title")
    kind: str = Field(description="`commit`, `pull_request`, `issue` or `epic`")
    source: str = Field(description="where it was read: `git`, `github`, `jira`...")
    repo_id: str | None = Field(description="its repository or project")
    url: str | None = Field(description="its page, when it is an http(s) link")
    author_name: str | None = Field(description="who wrote it")
    person_days: float = Field(description="person-days on it in the filters, to 2 decimals")
    people: int = Field(description="how many people spent them")
    first_day: str = Field(description="the first day of effort on it in the filters")
    last_day: str = Field(description="the last day")
    investment: str = Field(description="its verdict's investment")
    subcategory: str | None = Field(description="its verdict's subcategory, as shown")
    confidence: float = Field(description="the verdict's confidence, to 2 decimals")
    reasons: list[str] = Field(description="the verdict's reasons")
    overridden: bool = Field(description="whether a person set the verdict")


class ItemsDocument(Document):
    """The dashboard's items page as JSON (`/items.json`, docs/report.md)."""

    schema_: Literal["ktlo.items/v1"] = Field(alias="schema", description="the schema id")
    filters: Filters = Field(description="the report's filters")
    selection: SelectionJson = Field(description="which items of the filtered effort")
    choices: Choices = Field(description="the values the filters can take")
    totals: ItemsTotals = Field(description="the whole selection")
    items: list[ItemRow] = Field(description="the page, most person-days first")


def work_items(
    store: Store, config: Config, team: str | None, selection: Selection
) -> tuple[ItemsTotals, list[ItemRow]]:
    """The items with effort in the filtered `report_alloc` view that match, most effort first."""
    if selection.investment is not None and selection.investment not in INVESTMENTS:
        raise ConfigError(
            f"unknown investment {selection.investment!r}", f"use one of {', '.join(INVESTMENTS)}"
        )
    where, params = _where(config, team, selection)
    totals = store.query(
        f"""
        SELECT count(DISTINCT item_id) AS items, coalesce(round(sum(person_days), 2), 0) AS person_days
        FROM report_alloc a WHERE {where}
        """,
        params,
    )[0]
    rows = store.query(
        f"""
        WITH chosen AS (
            SELECT item_id, sum(person_days) AS person_days, count(DISTINCT person) AS people,
                   min(day) AS first_day, max(day) AS last_day
            FROM report_alloc a WHERE {where} GROUP BY item_id
            ORDER BY person_days DESC, item_id LIMIT ? OFFSET ?
        )
        SELECT c.item_id, w.title, w.kind, w.source, w.repo_id, w.url, w.author_name,
               round(c.person_days, 2) AS person_days, c.people, c.first_day, c.last_day,
               v.investment, v.subcategory, round(v.confidence, 2) AS confidence, v.reasons,
               v.overridden
        FROM chosen c JOIN work_items w USING (item_id) JOIN effective_verdicts v USING (item_id)
        ORDER BY c.person_days DESC, c.item_id
        """,
        [*params, selection.limit, selection.offset],
    )
    rename = config.categories.rename
    for row in rows:
        row["first_day"] = row["first_day"].isoformat()
        row["last_day"] = row["last_day"].isoformat()
        row["subcategory"] = rename.get(row["subcategory"], row["subcategory"])
        row["url"] = safe_url(row["url"])
    return ItemsTotals(**totals), [ItemRow(**row) for row in rows]


def _where(config: Config, team: str | None, selection: Selection) -> tuple[str, list[Any]]:
    conditions, params = ["true"], []
    if team:
        conditions.append("a.team = ?")
        params.append(team)
    if selection.investment:
        conditions.append("a.investment = ?")
        params.append(selection.investment)
    if selection.subcategory:
        if selection.subcategory == "other":
            conditions.append("a.subcategory IS NULL")
        else:
            original = {v: k for k, v in config.categories.rename.items()}
            conditions.append("a.subcategory = ?")
            params.append(original.get(selection.subcategory, selection.subcategory))
    if selection.person:
        conditions.append("a.person = ?")
        params.append(selection.person)
    if selection.directory:
        conditions.append(f"a.item_id IN (SELECT item_id FROM {DIRS_TABLE} WHERE directory = ?)")
        params.append(selection.directory)
    return " AND ".join(conditions), params


class ItemEffort(Document):
    """One person's effort on the item."""

    person: str = Field(description="the person's id")
    name: str = Field(description="their name as shown")
    team: str = Field(description="the team the effort counts for")
    person_days: float = Field(description="person-days, to 2 decimals")
    first_day: str = Field(description="the first day")
    last_day: str = Field(description="the last day")


class ItemFile(Document):
    """A file the commit changed."""

    path: str = Field(description="from the repository's top")
    added: int | None = Field(description="lines added (`null` for a binary file)")
    deleted: int | None = Field(description="lines deleted")


class ItemDocument(Document):
    """One work item as JSON (`/items/<id>.json`, docs/report.md)."""

    schema_: Literal["ktlo.item/v1"] = Field(alias="schema", description="the schema id")
    item_id: str = Field(description="the item's full id")
    title: str | None = Field(description="its title")
    body: str | None = Field(description="its text")
    kind: str = Field(description="`commit`, `pull_request`, `issue` or `epic`")
    source: str = Field(description="where it was read")
    repo_id: str | None = Field(description="its repository or project")
    external_id: str | None = Field(description="its id there: a sha, a key, a number")
    url: str | None = Field(description="its page, when it is an http(s) link")
    author_name: str | None = Field(description="who wrote it")
    created_at: str | None = Field(description="when it was created")
    closed_at: str | None = Field(description="when it was closed or merged")
    state: str | None = Field(description="its state at the source")
    labels: list[str] | None = Field(description="its labels")
    investment: str | None = Field(description="its verdict's investment (`null`: not classified)")
    subcategory: str | None = Field(description="its verdict's subcategory")
    confidence: float | None = Field(description="the verdict's confidence, to 2 decimals")
    reasons: list[str] | None = Field(description="the verdict's reasons")
    overridden: bool | None = Field(description="whether a person set the verdict")
    classifier: str | None = Field(description="the classifier version that decided it")
    classifier_investment: str | None = Field(description="the classifier's own investment")
    classifier_subcategory: str | None = Field(description="the classifier's own subcategory")
    override_note: str | None = Field(description="the note of a person's override")
    override_by: str | None = Field(description="who overrode it")
    override_at: str | None = Field(description="when")
    label: str | None = Field(description="`ktlo/bug`, or the investment alone")
    effort: list[ItemEffort] = Field(description="per person, most person-days first")
    files: list[ItemFile] = Field(description="the files a commit changed (100 at most)")
    choices: list[str] = Field(description="every label an override may give")


def item_detail(store: Store, config: Config, item_id: str) -> ItemDocument:
    """One item: what it is, its verdict (and the classifier's), reasons, effort, files."""
    rows = store.query(
        """
        SELECT w.item_id, w.title, w.body, w.kind, w.source, w.repo_id, w.external_id, w.url,
               w.author_name, w.created_at, w.closed_at, w.state, w.labels,
               v.investment, v.subcategory, round(v.confidence, 2) AS confidence, v.reasons,
               v.overridden, v.classifier, c.investment AS classifier_investment,
               c.subcategory AS classifier_subcategory, o.note AS override_note,
               o.created_by AS override_by, o.created_at AS override_at
        FROM work_items w
        LEFT JOIN effective_verdicts v USING (item_id)
        LEFT JOIN verdicts c USING (item_id)
        LEFT JOIN overrides o USING (item_id)
        WHERE w.item_id = ?
        """,
        [item_id],
    )
    if not rows:
        raise NotFoundError(f"no stored item {item_id!r}", "follow a link from a report page")
    item = rows[0]
    for key in ("created_at", "closed_at", "override_at"):
        item[key] = item[key].isoformat() if item[key] else None
    item["url"] = safe_url(item["url"])
    item["label"] = label_of(item["investment"], item["subcategory"])
    item["effort"] = store.query(
        f"""
        SELECT a.person, coalesce(n.name, a.person) AS name, a.team,
               round(sum(a.person_days), 2) AS person_days, min(a.day) AS first_day,
               max(a.day) AS last_day
        FROM alloc_all a LEFT JOIN {PEOPLE_TABLE} n USING (person)
        WHERE a.item_id = ? GROUP BY ALL ORDER BY person_days DESC, a.person
        """,
        [item_id],
    )
    for row in item["effort"]:
        row["first_day"], row["last_day"] = (
            row["first_day"].isoformat(),
            row["last_day"].isoformat(),
        )
    item["files"] = store.query(
        "SELECT path, added, deleted FROM commit_files WHERE item_id = ? ORDER BY path LIMIT 100",
        [item_id],
    )
    item["choices"] = category_choices(config)
    return ItemDocument(schema="ktlo.item/v1", **item)


def label_of(investment: str | None, subcategory: str | None) -> str | None:
    """(ktlo, bug) -> 'ktlo/bug'; (other, None) -> 'other'."""
    if investment is None:
        return None
    return f"{investment}/{subcategory}" if subcategory else investment


def category_choices(config: Config) -> list[str]:
    """Every label an override may give, in the order a person reads them."""
    custom = [f"{c.investment}/{c.name}" for c in config.categories.add]
    return [
        *(f"ktlo/{s}" for s in KTLO_SUBCATEGORIES),
        *(f"new_work/{s}" for s in NEW_WORK_SUBCATEGORIES),
        *custom,
        "other",
    ]


def safe_url(url: str | None) -> str | None:
    """Only http(s) links are shown as links: a source could hold `javascript:` anything."""
    if url and url.lower().startswith(("https://", "http://")):
        return url
    return None
