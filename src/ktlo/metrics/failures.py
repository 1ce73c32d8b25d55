"""Which production deployments failed, and why: incidents, rollbacks, reverts, hotfixes.

An incident is linked to a deployment, in this order:

1. by explicit reference in its title or description: `deployment: <id>` (the deployment's
   id or key), or `root cause: <sha>` (7 to 40 hex digits): the first production deployment
   that deployed or shipped that commit, else the first one of its repository after that
   commit landed;
2. else by service and time: the last production deployment of the incident's own service
   within `incident_window_hours` (default 24) before the incident was created.

Never to a deployment that finished after the incident began (a reference to one is not
followed, and is counted), and never to "the latest deployment of anything": an incident
with no service and no reference stays unlinked, and is counted as such.

Tables created (temporary): h_incidents (scoped incidents with their references),
h_incident_candidates (the references, each `valid` or not), h_incident_links (incident,
deployment, how) and h_failures (deployment, source, ref, detail, recovered_at), one row
per reason a deployment failed.
"""

from __future__ import annotations

from ktlo.metrics.common import Context, in_scope
from ktlo.store.temp_tables import require

ROOT_CAUSE = r"(?i)root[ _-]?cause:?\s*([0-9a-f]{7,40})"
DEPLOYMENT_REF = r"(?i)\bdeploy(?:ment)?(?:[ _-]?id)?\s*[:#]\s*([A-Za-z0-9][A-Za-z0-9_.:/-]*)"
REVERTED_PULL = r"(?i)reverts?\s+(?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)?#(\d+)"
REVERTED_COMMIT = r"(?i)this reverts commit ([0-9a-f]{7,40})"
#: The patterns above as the parameters (`$root_cause`, ...) of the SQL that reads them.
TEXT_PATTERNS = {
    "root_cause": ROOT_CAUSE,
    "deployment_ref": DEPLOYMENT_REF,
    "reverted_pull": REVERTED_PULL,
    "reverted_commit": REVERTED_COMMIT,
}
FINGERPRINT_KEYS = ("$.fingerprint", "$.incident_key", "$.dedup_key", "$.alias")


def build_incidents(ctx: Context) -> None:
    """Create h_incidents: the incidents in scope, with references and fingerprints."""
    text = "i.title || ' ' || coalesce(i.raw, '')"
    fingerprint = ", ".join(f"json_extract_string(i.raw, '{k}')" for k in FINGERPRINT_KEYS)
    team = ""
    if ctx.options.team:
        team = " OR list_contains(i.teams, $team)"
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_incidents AS
        WITH acks AS (
            SELECT incident_id, min(occurred_at) AS ts FROM incident_events
            WHERE kind = 'acknowledged' GROUP BY incident_id
        )
        SELECT i.incident_id, i.external_id, i.source, i.title, lower(nullif(i.service, '')) AS service,
               lower(coalesce(nullif(i.severity, ''), 'unknown')) AS severity, i.teams,
               i.created_at, coalesce(i.acknowledged_at, a.ts) AS acknowledged_at, i.resolved_at,
               lower(regexp_extract({text}, $root_cause, 1)) AS root_cause,
               regexp_extract({text}, $deployment_ref, 1) AS deployment_ref,
               CASE WHEN i.raw LIKE '{{%' THEN coalesce({fingerprint}) END AS fingerprint
        FROM incidents i LEFT JOIN acks a USING (incident_id)
        WHERE i.created_at < $until::TIMESTAMP
          AND ({in_scope(ctx, "lower(i.service)")}{team})
        """,
        **TEXT_PATTERNS,
    )


def link_incidents(ctx: Context) -> None:
    """Create h_incident_links(incident_id, deploy_id, how), ktlo's linking rules.

    A deployment that finished after the incident began cannot have caused it: a reference
    to one (or a root cause first shipped by one) is not followed, and the incident goes on
    to the next rule; `h_incident_rejected` keeps those references for the counts.
    """
    require(ctx.store, "h_deploy_commits", "h_deploys", "h_incidents", "h_prod")
    hours = ctx.settings.incident_window_hours
    minutes = round(hours * 60)
    oldest = "$oldest"
    ctx.run(
        """
        CREATE OR REPLACE TEMP TABLE h_incident_candidates AS
        WITH by_id AS (
            SELECT i.incident_id, arg_min(d.deploy_id, d.deployed_at) AS deploy_id,
                   'deployment ' || i.deployment_ref || ' named in the incident' AS how, 0 AS rank
            FROM h_incidents i JOIN h_deploys d
              ON i.deployment_ref <> '' AND i.deployment_ref IN (d.external_id, d.deploy_id)
            GROUP BY ALL
        ),
        shipped_sha AS (  -- deployments of a commit: deployed as it, or shipping it
            SELECT deploy_id, sha FROM h_prod WHERE sha IS NOT NULL
            UNION SELECT deploy_id, sha FROM h_deploy_commits
        ),
        by_sha AS (
            SELECT i.incident_id, arg_min(d.deploy_id, d.deployed_at) AS deploy_id,
                   'root cause ' || i.root_cause || ' deployed' AS how, 1 AS rank
            FROM h_incidents i JOIN shipped_sha s ON i.root_cause <> '' AND starts_with(s.sha, i.root_cause)
            JOIN h_prod d USING (deploy_id)
            GROUP BY ALL
        ),
        cause_commit AS (
            SELECT i.incident_id, i.root_cause, c.repo_id, min(c.committed_at) AS landed
            FROM h_incidents i JOIN commits c ON i.root_cause <> '' AND starts_with(c.sha, i.root_cause)
            WHERE i.incident_id NOT IN (SELECT incident_id FROM by_sha)
            GROUP BY ALL
        ),
        by_commit AS (
            SELECT c.incident_id, d.deploy_id,
                   'root cause ' || c.root_cause || ' shipped in the next production deployment' AS how,
                   2 AS rank
            FROM cause_commit c ASOF JOIN h_prod d ON c.repo_id = d.repo_id AND c.landed <= d.deployed_at
        )
        SELECT c.*, d.deployed_at <= i.created_at AS valid
        FROM (SELECT * FROM by_id UNION ALL SELECT * FROM by_sha UNION ALL SELECT * FROM by_commit) c
        JOIN h_incidents i USING (incident_id) JOIN h_deploys d USING (deploy_id)
        """
    )
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_incident_links AS
        WITH explicit AS (
            SELECT * FROM h_incident_candidates WHERE valid
            QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY rank) = 1
        ),
        by_service AS (  -- incidents before the oldest window can only fail deployments before it
            SELECT i.incident_id, d.deploy_id,
                   'last production deployment of ' || i.service || ' within {hours:g} h' AS how, 3 AS rank
            FROM (SELECT * FROM h_incidents ANTI JOIN explicit USING (incident_id)
                  WHERE created_at >= {oldest}::TIMESTAMP) i
            ASOF JOIN (SELECT * FROM h_prod WHERE deployed_at >= {oldest}::TIMESTAMP - INTERVAL {minutes} MINUTE) d
              ON d.service = i.service AND i.created_at >= d.deployed_at
            WHERE d.deployed_at >= i.created_at - INTERVAL {minutes} MINUTE
        )
        SELECT incident_id, deploy_id, how FROM explicit
        UNION ALL SELECT incident_id, deploy_id, how FROM by_service
        """
    )


def build_failures(ctx: Context) -> None:
    """Create h_failures from the failure sources `[health] failure_sources` enables."""
    require(ctx.store, "h_incident_links", "h_incidents")
    sources = set(ctx.settings.failure_sources)
    parts = []
    if "incidents" in sources:
        parts.append(
            "SELECT l.deploy_id, 'incident' AS source, i.external_id AS ref, "
            "'incident ' || i.external_id || ': ' || l.how AS detail, i.resolved_at AS recovered_at "
            "FROM h_incident_links l JOIN h_incidents i USING (incident_id)"
        )
    if "rollbacks" in sources:
        parts.append(_next_success(ctx, "rolled_back", "rollback", "rolled back"))
    if "failed" in sources:
        parts.append(_next_success(ctx, "failed", "failed", "deployment failed"))
    if "reverts" in sources:
        parts.append(_reverts(ctx))
    if "hotfixes" in sources:
        parts.append(_hotfixes(ctx))
    body = " UNION ALL ".join(parts) or (
        "SELECT NULL::VARCHAR AS deploy_id, NULL::VARCHAR AS source, NULL::VARCHAR AS ref, "
        "NULL::VARCHAR AS detail, NULL::TIMESTAMP AS recovered_at WHERE FALSE"
    )
    ctx.run(f"CREATE OR REPLACE TEMP TABLE h_failures AS {body}", **TEXT_PATTERNS)


def _next_success(ctx: Context, status: str, source: str, detail: str) -> str:
    """Deployments of a status, recovered by the next successful deployment of their service."""
    oldest = "$oldest"
    return f"""
        SELECT d.deploy_id, '{source}' AS source, d.external_id AS ref, '{detail}' AS detail,
               n.deployed_at AS recovered_at
        FROM (SELECT * FROM h_deploys WHERE production AND status = '{status}'
              AND deployed_at >= {oldest}::TIMESTAMP) d
        ASOF LEFT JOIN (SELECT service, deployed_at FROM h_prod
                        WHERE status = 'success' AND deployed_at >= {oldest}::TIMESTAMP) n
          ON n.service = d.service AND n.deployed_at > d.deployed_at
    """


def _recent_prod(ctx: Context) -> str:
    """Production deployments of the report's windows: the only ones a failure can matter for."""
    return "SELECT * FROM h_prod WHERE deployed_at >= $oldest::TIMESTAMP"


def _reverts(ctx: Context) -> str:
    """A revert fails the deployment that shipped what it reverts; its own shipping recovers.

    When the reverted change cannot be found, the last production deployment of the
    repository before the revert landed is taken; a revert of a change that never reached
    production is no production failure. Only reverts that can name a deployment of the
    report's windows are read (h_recent_changes).
    """
    pattern = "$revert_pattern"
    recent = _recent_prod(ctx)
    return f"""
        SELECT * FROM (
        WITH reverts AS (
            SELECT c.change_id, c.kind, c.number, c.repo_id, c.landed_at,
                   regexp_extract(c.title || ' ' || coalesce(c.body, ''), $reverted_pull, 1) AS pull_ref,
                   lower(regexp_extract(coalesce(c.body, ''), $reverted_commit, 1)) AS sha_ref
            FROM h_recent_changes c WHERE regexp_matches(c.title, {pattern})
        ),
        targets AS (
            SELECT r.change_id, r.landed_at, t.change_id AS target_id FROM reverts r JOIN h_changes t
              ON t.repo_id = r.repo_id AND t.number = r.pull_ref AND t.kind = 'pull_request'
            UNION
            SELECT r.change_id, r.landed_at, t.change_id AS target_id
            FROM (SELECT * FROM reverts WHERE sha_ref <> '') r JOIN h_changes t
              ON t.repo_id = r.repo_id AND t.kind = 'commit' AND starts_with(t.number, r.sha_ref)
            UNION
            SELECT r.change_id, r.landed_at, l.from_id
            FROM (SELECT * FROM reverts WHERE sha_ref <> '') r JOIN links l
              ON l.kind IN ('contains', 'merged_as') AND starts_with(l.to_ref, r.sha_ref)
            WHERE l.from_id IN (SELECT change_id FROM h_changes)
        ),
        found AS (
            SELECT t.change_id, s.deploy_id FROM targets t JOIN h_shipped s ON s.change_id = t.target_id
            WHERE s.deployed_at <= t.landed_at
        ),
        guessed AS (
            SELECT r.change_id, d.deploy_id
            FROM (SELECT * FROM reverts WHERE change_id NOT IN (SELECT change_id FROM targets)) r
            ASOF JOIN ({recent}) d ON d.repo_id = r.repo_id AND r.landed_at >= d.deployed_at
        )
        SELECT f.deploy_id, 'revert' AS source, r.number AS ref,
               'reverted by ' || CASE WHEN r.kind = 'pull_request' THEN '#' ELSE '' END || r.number AS detail,
               s.deployed_at AS recovered_at
        FROM (SELECT * FROM found UNION ALL SELECT * FROM guessed) f
        JOIN reverts r USING (change_id) LEFT JOIN h_shipped s USING (change_id))
    """


def _hotfixes(ctx: Context) -> str:
    """A hotfix fails the last production deployment of its repository before it was opened."""
    pattern = "$hotfix_pattern"
    recent = _recent_prod(ctx)
    return f"""
        SELECT d.deploy_id, 'hotfix' AS source, h.number AS ref,
               'hotfix ' || CASE WHEN h.kind = 'pull_request' THEN '#' ELSE '' END || h.number AS detail,
               s.deployed_at AS recovered_at
        FROM (SELECT * FROM h_recent_changes
              WHERE regexp_matches(title, {pattern})
                 OR len(list_filter(labels, lambda x: regexp_matches(x, {pattern}))) > 0) h
        ASOF JOIN ({recent}) d ON d.repo_id = h.repo_id AND h.opened_at >= d.deployed_at
        LEFT JOIN h_shipped s ON s.change_id = h.change_id
    """
