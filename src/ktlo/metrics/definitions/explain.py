"""The items each definition's figures counted, as SQL over the tables it computed them from.

One function per definition returns {figure: query}; `ktlo.metrics.items.attach` runs them
for the report's window when items were asked for (`ktlo health --json`, `--explain`).
"""

from __future__ import annotations

from ktlo.metrics.common import Context
from ktlo.metrics.dora import LEAD_COUNTED, RECOVERED_AT
from ktlo.metrics.items import current
from ktlo.store.temp_tables import require


def ktlo_items(ctx: Context) -> dict[str, str]:
    """ktlo's own: deployments, shipped changes (and why some are left out), failures."""
    require(ctx.store, "h_counted", "h_deploys", "h_failures", "h_prod", "h_shipped")
    return {
        "deployment_frequency": f"""
            SELECT external_id AS deployment, service, deployed_at FROM h_prod
            WHERE {current(ctx, "deployed_at")} ORDER BY deployed_at, deploy_id""",
        "lead_time": f"""
            SELECT CASE WHEN s.kind = 'pull_request' THEN '#' || s.number ELSE left(s.number, 12) END AS change,
                   s.repo_id AS repo, d.external_id AS deployment, s.how AS found_by,
                   s.first_commit_at, s.deployed_at, s.lead_hours AS hours, {LEAD_COUNTED} AS counted,
                   CASE WHEN s.baseline THEN 'shipped by the repository''s first deployment'
                        WHEN s.is_bot THEN 'a bot''s change' WHEN s.lead_hours < 0 THEN 'negative'
                   END AS left_out
            FROM h_shipped s JOIN h_deploys d USING (deploy_id)
            WHERE {current(ctx, "s.deployed_at")} ORDER BY s.deployed_at, s.change_id""",
        "change_failure_rate": f"""
            SELECT d.external_id AS deployment, d.service, d.deployed_at,
                   count(f.deploy_id) > 0 AS failed,
                   coalesce(list(f.detail ORDER BY f.source, f.ref) FILTER (WHERE f.detail IS NOT NULL), [])
                       AS reasons
            FROM h_counted d LEFT JOIN h_failures f USING (deploy_id)
            WHERE {current(ctx, "d.deployed_at")} GROUP BY ALL ORDER BY d.deployed_at, d.external_id""",
        "recovery_time": f"""
            SELECT *, CASE WHEN recovered_at IS NOT NULL
                           THEN greatest(epoch(recovered_at - deployed_at), 0) / 3600.0 END AS hours FROM (
                SELECT d.external_id AS deployment, d.service, d.deployed_at, {RECOVERED_AT} AS recovered_at
                FROM h_counted d JOIN h_failures f USING (deploy_id)
                WHERE {current(ctx, "d.deployed_at")} GROUP BY ALL)
            ORDER BY deployed_at, deployment""",
    }


def devlake_items(ctx: Context, report: str) -> dict[str, str]:
    """DevLake: deployments by finish, pull requests with their cycle parts, incidents."""
    require(ctx.store, "h_deploys", "h_devlake_links", "h_dl_lead", "h_incidents", "h_prod")
    finished = current(ctx, "d.deployed_at")
    recovery = (
        f"""SELECT i.external_id AS incident, d.external_id AS deployment,
                   l.deployed_at AS deployment_finished_at, l.resolved_at,
                   trunc(epoch(l.resolved_at - l.deployed_at) / 60) AS minutes
            FROM h_devlake_links l JOIN h_incidents i USING (incident_id) JOIN h_deploys d USING (deploy_id)
            WHERE {current(ctx, "l.resolved_at")} AND {current(ctx, "l.deployed_at")} ORDER BY minutes"""
        if report == "2023"
        else f"""SELECT external_id AS incident, created_at, resolved_at,
                   trunc(epoch(resolved_at - created_at) / 60) AS minutes
            FROM h_incidents WHERE {current(ctx, "resolved_at")} ORDER BY minutes"""
    )
    return {
        "deployment_frequency": f"""
            SELECT d.external_id AS deployment, d.service, d.deployed_at AS finished_at FROM h_prod d
            WHERE d.status = 'success' AND {finished} ORDER BY d.deployed_at""",
        "lead_time": """
            SELECT '#' || l.number AS pull_request, l.repo_id AS repo, d.external_id AS deployment,
                   l.how AS found_by, l.coding AS coding_minutes, l.open_to_merge AS open_to_merge_minutes,
                   l.deploy AS deploy_minutes, l.minutes
            FROM h_dl_lead l JOIN h_deploys d USING (deploy_id) WHERE l.idx = 0 ORDER BY l.minutes, l.number""",
        "change_failure_rate": f"""
            SELECT d.external_id AS deployment, d.deployed_at AS finished_at,
                   coalesce(list(i.external_id ORDER BY i.external_id) FILTER (WHERE i.external_id IS NOT NULL), [])
                       AS incidents
            FROM h_prod d LEFT JOIN h_devlake_links l USING (deploy_id) LEFT JOIN h_incidents i USING (incident_id)
            WHERE d.status = 'success' AND {finished} GROUP BY ALL ORDER BY d.deployed_at""",
        "recovery_time": recovery,
    }


def fourkeys_items(ctx: Context) -> dict[str, str]:
    """fourkeys: deployments joined to a push, (deployment, commit) rows, incidents."""
    require(ctx.store, "h_deploys", "h_fk_changes", "h_fk_incidents")
    window = current(ctx, "c.deployed_at")
    return {
        "deployment_frequency": f"""
            SELECT d.external_id AS deployment, any_value(c.deployed_at) AS deployed_at,
                   count(*) AS changes
            FROM h_fk_changes c JOIN h_deploys d USING (deploy_id) WHERE {window}
            GROUP BY ALL ORDER BY deployed_at""",
        "lead_time": f"""
            SELECT d.external_id AS deployment, left(c.sha, 12) AS commit, c.how AS found_by,
                   c.authored_at AS commit_at, trunc(epoch(c.deployed_at - c.authored_at) / 60) AS minutes,
                   coalesce(minutes > 0, FALSE) AS counted
            FROM h_fk_changes c JOIN h_deploys d USING (deploy_id) WHERE {window}
            ORDER BY c.deployed_at, c.sha""",
        "change_failure_rate": f"""
            SELECT d.external_id AS deployment, any_value(c.deployed_at) AS deployed_at,
                   coalesce(list(i.external_id || ' (root cause ' || left(c.sha, 12) || ')' ORDER BY i.external_id)
                            FILTER (WHERE i.incident_id IS NOT NULL), []) AS failures
            FROM h_fk_changes c JOIN h_deploys d USING (deploy_id)
            LEFT JOIN h_fk_incidents i ON i.root_cause = c.sha
            WHERE {window} GROUP BY ALL ORDER BY deployed_at""",
        "recovery_time": f"""
            WITH root AS (
                SELECT i.incident_id, min(c.deployed_at) AS deployed_at
                FROM h_fk_incidents i JOIN h_fk_changes c ON i.root_cause = c.sha GROUP BY i.incident_id
            )
            SELECT i.external_id AS incident, least(i.created_at, coalesce(r.deployed_at, i.created_at)) AS started_at,
                   i.resolved_at, trunc(epoch(i.resolved_at - started_at) / 3600) AS hours
            FROM h_fk_incidents i LEFT JOIN root r USING (incident_id)
            WHERE {current(ctx, "least(i.created_at, coalesce(r.deployed_at, i.created_at))")}
            ORDER BY started_at""",
    }


def middleware_items(ctx: Context) -> dict[str, str]:
    """middleware: deployments by start, pull requests with their lead-time parts, incidents."""
    require(ctx.store, "h_deploys", "h_mw_deploys", "h_mw_incidents", "h_mw_lead", "h_mw_owned")
    return {
        "deployment_frequency": f"""
            SELECT d.external_id AS deployment, d.conducted_at FROM h_mw_deploys d
            WHERE d.status = 'success' AND {current(ctx, "d.conducted_at")} ORDER BY d.conducted_at""",
        "lead_time": f"""
            SELECT '#' || l.number AS pull_request, l.repo_id AS repo, d.external_id AS deployment,
                   l.first_commit_to_open, l.first_response, l.rework, l.merge_time, l.merge_to_deploy,
                   l.first_commit_to_open + l.first_response + l.rework + l.merge_time + l.merge_to_deploy
                       AS seconds, l.counted
            FROM h_mw_lead l LEFT JOIN h_deploys d USING (deploy_id)
            WHERE {current(ctx, "l.landed_at")} ORDER BY l.landed_at, l.number""",
        "change_failure_rate": """
            SELECT external_id AS deployment, conducted_at, status, coalesce(incidents, []) AS incidents
            FROM h_mw_owned WHERE idx = 0 ORDER BY conducted_at, deploy_id""",
        "recovery_time": f"""
            SELECT external_id AS incident, kind, created_at, resolved_at,
                   epoch(resolved_at - created_at) AS seconds
            FROM h_mw_incidents WHERE {current(ctx, "resolved_at")} ORDER BY created_at""",
    }
