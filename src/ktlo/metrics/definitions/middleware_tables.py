"""The items middleware counts, as temporary tables (middlewarehq/middleware, commit 5471e35d).

h_mw_deploys    deployments as middleware sees them: conducted at their **start**
                (`run_started_at`, etl_github_actions_handler.py line 130; a merge for
                pull-request deployments, adapter.py line 81), any status; CI runs only
                on the production branch (the web's workflow filter, `head_branches` =
                the team's prod branches, web-server/src/api-helpers/team.ts line 109)
h_mw_incidents  the scope's incidents, and a revert pull request's incident: a merged
                pull request whose head branch is `revert-<number>-…` (GitHub,
                revert_prs_github_sync.py line 173) or `revert-<8 hex of the merge sha>`
                (GitLab, revert_pr_gitlab_sync.py line 181) is an incident of the pull
                request it reverts, created when that one merged and resolved when the
                revert merged (etl_git_incidents_handler.py lines 170-172); revert pull
                requests are included by default (default_settings_data.py line 34)
h_mw_lead       pull requests merged to the production branch, with the parts of their
                lead time (etl_code_analytics.py, mtd_handler.py line 111)
"""

from __future__ import annotations

from ktlo.metrics.common import Context
from ktlo.store.temp_tables import require

# mhq/utils/string.py line 11: review events of bots are dropped (etl_code_analytics.py line 27)
BOT_NAME = r"(?i)(\b[\w@-]*[-_\[\]@ ]+bot[-_\d\[\]]*\b|\[bot\]|_bot_|_bot$|^bot_)"
GITHUB_REVERT = r"revert-(\d+)-\w+"
GITLAB_REVERT = r"^revert-([a-fA-F0-9]{8})$"


def prod_branch(ctx: Context, column: str, repo: str = "r") -> str:
    """A SQL condition: `column` (a branch, '' when unknown) is the repository's production
    branch (`[health.repositories]` branch, else `main_branch`), or unknown."""
    pattern = "$main_branch"
    return (
        f"(coalesce({column}, '') = '' OR {column} = {repo}.branch "
        f"OR ({repo}.branch IS NULL AND regexp_matches({column}, {pattern})))"
    )


def create_tables(ctx: Context) -> None:
    """Create h_mw_deploys, h_mw_incidents and h_mw_lead."""
    require(ctx.store, "h_changes", "h_deploys", "h_incidents", "h_repos")
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_mw_deploys AS
        SELECT d.deploy_id, d.external_id, d.repo_id, d.branch, d.status, d.origin,
               d.started_at AS conducted_at
        FROM h_deploys d JOIN h_repos r USING (repo_id)
        WHERE d.production AND (d.origin <> 'ci' OR {prod_branch(ctx, "d.branch")})
        """
    )
    ctx.run(
        """
        CREATE OR REPLACE TEMP TABLE h_mw_incidents AS
        WITH reverts AS (
            SELECT change_id, repo_id, number, landed_at,
                   regexp_extract(head_branch, $github_revert, 1) AS number_ref,
                   lower(regexp_extract(head_branch, $gitlab_revert, 1)) AS sha_ref
            FROM h_changes WHERE kind = 'pull_request' AND head_branch IS NOT NULL
        ),
        pairs AS (
            SELECT r.change_id AS revert_id, r.number AS revert_number, r.landed_at AS resolved_at,
                   o.number AS original_number, o.landed_at AS created_at
            FROM reverts r JOIN h_changes o ON o.kind = 'pull_request' AND o.repo_id = r.repo_id
             AND ((r.number_ref <> '' AND o.number = r.number_ref)
                  OR (r.sha_ref <> '' AND starts_with(o.merge_sha, r.sha_ref)))
        )
        SELECT incident_id, external_id, 'incident' AS kind, created_at, resolved_at FROM h_incidents
        UNION ALL
        SELECT revert_id, '#' || original_number || ' reverted by #' || revert_number,
               'revert pull request', created_at, resolved_at
        FROM pairs
        """,
        github_revert=GITHUB_REVERT,
        gitlab_revert=GITLAB_REVERT,
    )
    _create_lead(ctx)


def _create_lead(ctx: Context) -> None:
    """h_mw_lead: the lead-time parts of each pull request merged to the production branch.

    merge_to_deploy: the first successful deployment of the pull request's base branch
    conducted at or after its merge (mtd_handler.py lines 95-112, deployment_pr_mapper.py),
    in whole seconds; 0 for a repository deployed by its pull requests (lead_time.py line
    168). The others: etl_code_analytics.py lines 30-57 and 62-138.
    """
    bots = "$bot_name"
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_mw_lead AS
        WITH prs AS (
            SELECT c.*, r.mode, regexp_replace(coalesce(c.base_branch, ''), '^refs/heads/', '') AS base
            FROM h_recent_changes c JOIN h_repos r USING (repo_id)
            WHERE c.kind = 'pull_request' AND {prod_branch(ctx, "c.base_branch")}
        ),
        ok AS (SELECT * FROM h_mw_deploys WHERE status = 'success'),
        on_branch AS (
            SELECT p.change_id, d.deploy_id, d.conducted_at FROM (SELECT * FROM prs WHERE base <> '') p
            ASOF JOIN (SELECT * FROM ok WHERE branch <> '') d
              ON p.repo_id = d.repo_id AND p.base = d.branch AND p.landed_at <= d.conducted_at
        ),
        any_branch AS (  -- an unknown branch (of the deployment or the pull request) matches any
            SELECT p.change_id, d.deploy_id, d.conducted_at FROM prs p
            ASOF JOIN (SELECT * FROM ok WHERE branch = '') d
              ON p.repo_id = d.repo_id AND p.landed_at <= d.conducted_at
            UNION ALL
            SELECT p.change_id, d.deploy_id, d.conducted_at FROM (SELECT * FROM prs WHERE base = '') p
            ASOF JOIN ok d ON p.repo_id = d.repo_id AND p.landed_at <= d.conducted_at
        ),
        deployed AS (
            SELECT change_id, arg_min(deploy_id, conducted_at) AS deploy_id, min(conducted_at) AS conducted_at
            FROM (SELECT * FROM on_branch UNION ALL SELECT * FROM any_branch) GROUP BY change_id
        ),
        reviews AS (
            SELECT item_id, min(occurred_at) AS first_review,
                   min(occurred_at) FILTER (WHERE lower(to_value) = 'approved') AS first_approval,
                   arg_min(lower(to_value), occurred_at) AS first_state
            FROM state_changes
            WHERE field = 'review' AND item_id IN (SELECT change_id FROM prs)
              AND changed_by IS NOT NULL AND NOT regexp_matches(changed_by, {bots})
            GROUP BY item_id
        )
        SELECT p.change_id, p.repo_id, p.number, p.landed_at, d.deploy_id,
               CASE WHEN epoch(p.opened_at - p.committed_at) > 0
                    THEN epoch(p.opened_at - p.committed_at) ELSE 0 END AS first_commit_to_open,
               coalesce(epoch(r.first_review - p.opened_at), 0) AS first_response,
               CASE WHEN r.first_approval IS NULL OR r.first_state = 'approved' THEN 0
                    ELSE epoch(r.first_approval - r.first_review) END AS rework,
               CASE WHEN r.first_approval IS NULL OR p.landed_at < r.first_approval THEN 0
                    ELSE epoch(p.landed_at - r.first_approval) END AS merge_time,
               CASE WHEN p.mode = 'pull_requests' THEN 0
                    ELSE trunc(epoch(d.conducted_at - p.landed_at)) END AS merge_to_deploy,
               p.mode = 'pull_requests' OR d.deploy_id IS NOT NULL AS counted
        FROM prs p LEFT JOIN reviews r ON r.item_id = p.change_id LEFT JOIN deployed d USING (change_id)
        """,
        bot_name=BOT_NAME,
    )
