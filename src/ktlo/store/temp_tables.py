"""The temporary tables stages hand each other: each one's columns and the function that
builds it, in one place.

A stage computes into temporary tables (DuckDB `TEMP`: this connection only) that a later
stage reads: `effort` → `alloc` → the budget, the drivers, KTLO mode; `h_*` → every health
figure; `scope` → `ktlo analyze`'s numbers; `report_alloc` → every report section. Which
table exists depends on what the caller ran before, so a reader names what it needs with
`require(store, "alloc")`, and a caller that skipped the builder gets one line naming it
(`MissingTableError`), not DuckDB's "Table with name alloc does not exist".

tests/test_temp_tables.py keeps this list true: every `CREATE ... TEMP TABLE/VIEW` in the
code names a table registered here with the function that creates it, and the columns
below are the ones the builders make on the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ktlo.errors import MissingTableError

if TYPE_CHECKING:
    from ktlo.store import Store


@dataclass(frozen=True, slots=True)
class TempTable:
    """A temporary table (or view): its columns, in order, and its builder (`module.function`).
    `scratch`: created and dropped inside its builder, never read by another stage."""

    name: str
    builder: str
    columns: tuple[str, ...]
    scratch: bool = False


def _t(name: str, builder: str, columns: tuple[str, ...], *, scratch: bool = False) -> TempTable:
    return TempTable(name, builder, columns, scratch)


# fmt: off
_TABLES = (
    # ingest/
    _t("ktlo_gone", "ktlo.ingest.history.forget_unreachable", ("item_id",), scratch=True),
    _t("ktlo_reachable", "ktlo.ingest.history.forget_unreachable", ("sha",), scratch=True),
    _t("scope_folder_files", "ktlo.ingest.folders.create_folder_scope", ("item_id", "path", "added", "deleted")),
    _t("scope_folders", "ktlo.ingest.folders.create_folder_scope", ("repo_id", "folder", "strip")),
    # verdicts/
    _t("inheritance", "ktlo.verdicts.reclassify.inherit", ("child", "parent", "external_id", "investment", "subcategory", "confidence")),
    _t("project_scope", "ktlo.verdicts.project_scope.promote_projects", ("item_id", "span_days", "people", "linked", "estimate", "evidence")),
    _t("verdicts_before", "ktlo.verdicts.moves.snapshot", ("item_id", "investment", "subcategory")),
    # effort/
    _t("alloc", "ktlo.effort.allocation.build_allocation", ("person", "day", "item_id", "team", "person_days", "investment", "subcategory", "repo_id", "kind", "predicted", "answered", "item_days", "initiative", "category", "item_key")),
    _t("effort", "ktlo.effort.person_days.compute_effort", ("person", "day", "item_id", "person_days", "repo_id", "kind", "item_key")),
    _t("effort_weights", "ktlo.effort.person_days._load_weights", ("kind", "weight")),
    _t("identity", "ktlo.effort.identity.resolve_identities", ("alias", "person")),
    _t("person_info", "ktlo.effort.identity.resolve_identities", ("person", "name", "capacity", "is_bot")),
    _t("cap", "ktlo.effort.capitalization._classify", ("team", "day", "item_id", "person_days", "initiative", "investment", "kind", "reason", "cost_class")),
    _t("cap_initiative", "ktlo.effort.capitalization._classify", ("initiative",)),
    _t("item_initiative", "ktlo.effort.initiatives.build_initiatives", ("item_id", "initiative", "via")),
    _t("category_rule", "ktlo.effort.categories.build_categories", ("rule", "position", "category", "label", "issue_type", "epic", "path", "repository", "subcategory", "investment")),
    _t("category_match", "ktlo.effort.categories.build_categories", ("item_id", "category", "position")),
    _t("item_category", "ktlo.effort.categories.build_categories", ("item_id", "category", "via")),
    _t("team_member", "ktlo.effort.allocation._load_teams", ("person", "team", "share")),
    _t("team_path", "ktlo.effort.allocation._load_teams", ("team", "prefix")),
    _t("team_repo", "ktlo.effort.allocation._load_teams", ("team", "repo")),
    _t("time_off", "ktlo.effort.person_days._load_time_off", ("person", "starts", "ends")),
    # planning/
    _t("flow_items", "ktlo.planning.flow.build_flow", ("item_id", "kind", "external_id", "title", "team", "investment", "subcategory", "state", "started_at", "done_at")),
    # metrics/
    _t("h_alerts", "ktlo.metrics.alerts.build_alerts", ("alert_id", "source", "service", "title", "created_at", "incident_id", "responders", "noisy", "after_hours")),
    _t("h_all_changes", "ktlo.metrics.deployments.build_changes", ("change_id", "kind", "repo_id", "number", "title", "body", "labels", "author", "opened_at", "landed_at", "is_bot", "head_branch", "base_branch", "commit_at", "first_commit_at", "committed_at", "merge_sha")),
    _t("h_bugs", "ktlo.metrics.bugs.build_bugs", ("item_id", "created_at", "closed_at", "production")),
    _t("h_builds", "ktlo.metrics.builds.build_builds", ("repo_id", "workflow", "job", "sha", "branch", "attempt", "queued_at", "started_at", "finished_at", "ts", "failed", "passed", "on_main")),
    _t("h_changes", "ktlo.metrics.deployments.build_changes", ("change_id", "kind", "repo_id", "number", "title", "body", "labels", "author", "opened_at", "landed_at", "is_bot", "head_branch", "base_branch", "commit_at", "first_commit_at", "committed_at", "merge_sha")),
    _t("h_ci_repos", "ktlo.metrics.deployments.build_deployments", ("repo_id", "service")),
    _t("h_config_repo", "ktlo.metrics.common._create_scope", ("key", "kind", "value")),
    _t("h_counted", "ktlo.metrics.dora.create_groups", ("deploy_id", "external_id", "origin", "repo_id", "service", "environment", "sha", "ref", "status", "deployed_at", "production", "started_at", "branch", "previous_id")),
    _t("h_deploy_commits", "ktlo.metrics.shipped.build_shipped", ("deploy_id", "sha", "how")),
    _t("h_deploy_prev", "ktlo.metrics.shipped.build_shipped", ("deploy_id", "repo_id", "sha", "branch", "started_at", "deployed_at", "prev_id", "prev_sha")),
    _t("h_deploy_team", "ktlo.metrics.dora.create_groups", ("deploy_id", "team")),
    _t("h_deploys", "ktlo.metrics.deployments.build_deployments", ("deploy_id", "external_id", "origin", "repo_id", "service", "environment", "sha", "ref", "status", "deployed_at", "production", "started_at", "branch", "previous_id")),
    _t("h_devlake_links", "ktlo.metrics.definitions.devlake._create_links", ("incident_id", "created_at", "resolved_at", "deploy_id", "deployed_at")),
    _t("h_dl_lead", "ktlo.metrics.definitions.devlake._create_lead", ("idx", "change_id", "repo_id", "number", "deploy_id", "how", "deployed_at", "coding", "open_to_merge", "deploy", "minutes")),
    _t("h_downtime", "ktlo.metrics.incidents.build_downtime", ("service", "unit", "down_from", "down_to")),
    _t("h_failures", "ktlo.metrics.failures.build_failures", ("deploy_id", "source", "ref", "detail", "recovered_at")),
    _t("h_fk_changes", "ktlo.metrics.definitions.fourkeys._create_changes", ("deploy_id", "deployed_at", "sha", "authored_at", "how")),
    _t("h_fk_incidents", "ktlo.metrics.definitions.fourkeys._create_changes", ("incident_id", "external_id", "created_at", "resolved_at", "root_cause")),
    _t("h_incident_candidates", "ktlo.metrics.failures.link_incidents", ("incident_id", "deploy_id", "how", "rank", "valid")),
    _t("h_incident_links", "ktlo.metrics.failures.link_incidents", ("incident_id", "deploy_id", "how")),
    _t("h_incidents", "ktlo.metrics.failures.build_incidents", ("incident_id", "external_id", "source", "title", "service", "severity", "teams", "created_at", "acknowledged_at", "resolved_at", "root_cause", "deployment_ref", "fingerprint")),
    _t("h_mw_deploys", "ktlo.metrics.definitions.middleware_tables.create_tables", ("deploy_id", "external_id", "repo_id", "branch", "status", "origin", "conducted_at")),
    _t("h_mw_incidents", "ktlo.metrics.definitions.middleware_tables.create_tables", ("incident_id", "external_id", "kind", "created_at", "resolved_at")),
    _t("h_mw_lead", "ktlo.metrics.definitions.middleware_tables._create_lead", ("change_id", "repo_id", "number", "landed_at", "deploy_id", "first_commit_to_open", "first_response", "rework", "merge_time", "merge_to_deploy", "counted")),
    _t("h_mw_owned", "ktlo.metrics.definitions.middleware._create_owned", ("idx", "deploy_id", "external_id", "conducted_at", "status", "incidents")),
    _t("h_prod", "ktlo.metrics.deployments.build_deployments", ("deploy_id", "external_id", "origin", "repo_id", "service", "environment", "sha", "ref", "status", "deployed_at", "production", "started_at", "branch", "previous_id")),
    _t("h_pushes", "ktlo.metrics.shipped.build_shipped", ("push_id", "repo_id", "ref", "branch", "before_sha", "after_sha", "pushed_at")),
    _t("h_recent_changes", "ktlo.metrics.deployments._ship", ("change_id", "kind", "repo_id", "number", "title", "body", "labels", "author", "opened_at", "landed_at", "is_bot", "head_branch", "base_branch", "commit_at", "first_commit_at", "committed_at", "merge_sha")),
    _t("h_repos", "ktlo.metrics.common._create_scope", ("repo_id", "mapped_service", "service", "mode", "branch", "in_scope")),
    _t("h_scope_service", "ktlo.metrics.common._create_scope", ("service",)),
    _t("h_shipped", "ktlo.metrics.deployments._ship", ("change_id", "kind", "repo_id", "number", "first_commit_at", "landed_at", "is_bot", "deploy_id", "service", "deployed_at", "how", "lead_hours", "baseline")),
    _t("h_slo_span", "ktlo.metrics.slo.slos", ("service", "k", "s", "e")),
    _t("h_team_key", "ktlo.metrics.dora.create_groups", ("team", "kind", "value")),
    _t("h_windows", "ktlo.metrics.common._create_windows", ("idx", "w_start", "w_end")),
    _t("scope", "ktlo.metrics.repository._create_scope", ("item_id", "repo_id", "sha", "authored_at", "title", "author_name", "author_email", "is_bot", "investment", "subcategory", "confidence", "reasons", "predicted", "answered", "lines")),
    _t("scope_effort", "ktlo.metrics.repository.analyze", ("item_id", "repo_id", "sha", "authored_at", "title", "author_name", "author_email", "is_bot", "investment", "subcategory", "confidence", "reasons", "predicted", "answered", "lines", "person", "day", "person_days", "item_days")),
    _t("scope_files", "ktlo.metrics.repository._create_scope", ("item_id", "path", "added", "deleted")),
    _t("scope_merges", "ktlo.metrics.repository._create_scope", ("item_id",)),
    _t("scope_repos", "ktlo.metrics.repository._create_scope", ("repo_id",)),
    # report/
    _t("alloc_all", "ktlo.report.model.prepare", ("person", "day", "item_id", "team", "person_days", "investment", "subcategory", "repo_id", "kind", "predicted", "answered", "item_days", "initiative", "category", "item_key")),
    _t("report_alloc", "ktlo.report.model.apply_filters", ("person", "day", "item_id", "team", "person_days", "investment", "subcategory", "repo_id", "kind", "predicted", "answered", "item_days", "initiative", "category", "item_key")),
    _t("report_filter", "ktlo.report.model.apply_filters", ("since", "until", "repo", "scope")),
    _t("report_identity", "ktlo.report.model.prepare", ("alias", "person")),
    _t("report_item_dirs", "ktlo.report.model.prepare", ("item_id", "directory", "part")),
    _t("report_people", "ktlo.report.model.prepare", ("person", "name")),
)
# fmt: on

TEMP_TABLES: dict[str, TempTable] = {t.name: t for t in _TABLES}


def require(store: Store, *names: str) -> None:
    """Raise MissingTableError, naming its builder, for the first of `names` (registered
    temporary tables) that this connection has not built."""
    built = {
        row[0]
        for row in store.con.execute(
            "SELECT table_name FROM duckdb_tables() UNION ALL SELECT view_name FROM duckdb_views()"
        ).fetchall()
    }
    for name in names:
        if name not in built:
            table = TEMP_TABLES[name]
            raise MissingTableError(
                f"the temporary table {name} has not been built on this connection",
                f"call {table.builder} first (ktlo.store.temp_tables lists what builds what)",
            )


def drop_temp(store: Store, name: str) -> None:
    """Drop this connection's temporary table or view `name`, whichever it is (a saved table
    is read back as a view, a computed one is a table: ktlo.effort.alloc_cache), so that
    either can take its place; nothing when there is none."""
    row = store.con.execute(
        "SELECT table_type FROM information_schema.tables "
        "WHERE table_catalog = 'temp' AND table_name = ?",
        [name],
    ).fetchone()
    if row is not None:
        store.con.execute(f"DROP {'VIEW' if row[0] == 'VIEW' else 'TABLE'} temp.{name}")
