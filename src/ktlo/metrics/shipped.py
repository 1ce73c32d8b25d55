"""What each production deployment shipped: the commits between it and the one before.

DevLake's lead time and ktlo's own follow a change to the deployment whose commits include
it; this module finds those commits. A successful production deployment's **previous**
deployment is the one its record names (`previous`) when that one succeeded in production
(a failed attempt before a retry shipped nothing), else, as DevLake's
`EnrichPrevSuccessDeploymentCommit` orders them, the last successful production deployment
of the same repository and environment finished before it. Its commits, in this order:

    listed   the commits the deployment record lists (an import's `commits`)
    pushes   the pushes to the deployed branch, followed back from the deployed commit
             (`after`) through each push's `before` until the previous deployment's commit:
             `git log previous..deployed` as the pushes saw it

A deployment with neither, or with no previous one (a repository's first), has no known
commits; the definitions then fall back to time (and say so in their counts). A redeploy
of the same commit shipped nothing new.

Tables created (temporary, scoped):

    h_pushes          pushes of the repositories in scope, with their branch
    h_deploy_prev     each successful production deployment and its previous one
    h_deploy_commits  (deploy_id, sha, how): the commits each one shipped
"""

from __future__ import annotations

from ktlo.metrics.common import Context
from ktlo.store.temp_tables import require

MAX_CHAIN = 500  # pushes followed back from one deployment (a loop of force pushes stops here)


def build_shipped(ctx: Context) -> None:
    """Create h_pushes, h_deploy_prev and h_deploy_commits."""
    require(ctx.store, "h_deploys")
    ctx.run(
        """
        CREATE OR REPLACE TEMP TABLE h_pushes AS
        SELECT push_id, repo_id, ref, regexp_replace(coalesce(ref, ''), '^refs/heads/', '') AS branch,
               lower(before_sha) AS before_sha, lower(after_sha) AS after_sha, pushed_at
        FROM pushes
        WHERE repo_id IS NULL OR repo_id IN (SELECT repo_id FROM h_deploys)
        """
    )
    oldest = "$oldest"
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_deploy_prev AS
        WITH ok AS (SELECT * FROM h_deploys WHERE production AND status = 'success'),
        ordered AS (
            SELECT deploy_id, repo_id, sha, branch, started_at, deployed_at, previous_id,
                   lag(deploy_id) OVER w AS lag_id, lag(sha) OVER w AS lag_sha
            FROM ok WINDOW w AS (PARTITION BY repo_id, environment ORDER BY deployed_at, deploy_id)
        )
        SELECT o.deploy_id, o.repo_id, o.sha, o.branch, o.started_at, o.deployed_at,
               coalesce(named.deploy_id, o.lag_id) AS prev_id,
               CASE WHEN named.deploy_id IS NULL THEN o.lag_sha ELSE named.sha END AS prev_sha
        FROM ordered o
        LEFT JOIN ok named ON named.deploy_id = o.previous_id  -- a failed attempt is no previous
        WHERE o.deployed_at >= {oldest}::TIMESTAMP  -- only these can ship a change of the windows
        """
    )
    pushed = ctx.rows("SELECT count(*) > 0 AS any FROM h_pushes")[0]["any"]
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_deploy_commits AS
        WITH listed AS (
            SELECT d.deploy_id, lower(c.sha) AS sha, 'listed' AS how
            FROM h_deploy_prev d JOIN change_commits c ON c.owner_id = d.deploy_id
        ),
        chain AS (SELECT * FROM ({_chain_sql() if pushed else _NO_CHAIN})),
        pushed AS (
            SELECT DISTINCT ch.deploy_id, lower(c.sha) AS sha, 'pushes' AS how
            FROM chain ch JOIN change_commits c ON c.owner_id = ch.push_id
            WHERE ch.deploy_id NOT IN (SELECT deploy_id FROM listed)
        )
        SELECT * FROM listed UNION ALL SELECT * FROM pushed
        """
    )


_NO_CHAIN = "SELECT NULL::VARCHAR AS deploy_id, NULL::VARCHAR AS push_id WHERE FALSE"


def _chain_sql() -> str:
    """The pushes followed back from each deployment's commit to its previous deployment's."""
    return f"""
        WITH RECURSIVE walk(deploy_id, repo_id, branch, push_id, before_sha, stop_sha, depth) AS (
            SELECT d.deploy_id, d.repo_id, p.branch, p.push_id, p.before_sha, d.prev_sha, 1
            FROM h_deploy_prev d JOIN h_pushes p
              ON p.after_sha = d.sha AND coalesce(p.repo_id, d.repo_id) = d.repo_id
             AND (d.branch = '' OR p.branch = d.branch)
            WHERE d.prev_sha IS NOT NULL AND d.prev_sha <> d.sha
            UNION ALL
            SELECT w.deploy_id, w.repo_id, w.branch, p.push_id, p.before_sha, w.stop_sha, w.depth + 1
            FROM walk w JOIN h_pushes p
              ON p.after_sha = w.before_sha AND p.branch = w.branch
             AND coalesce(p.repo_id, w.repo_id) = w.repo_id
            WHERE w.before_sha <> w.stop_sha AND w.depth < {MAX_CHAIN}
        )
        SELECT DISTINCT deploy_id, push_id FROM walk"""


def deploy_commits_known(ctx: Context) -> str:
    """A SQL condition on `repo_id`: the repository has deployments whose commits are known."""
    require(ctx.store, "h_deploy_commits", "h_deploy_prev")
    return (
        "repo_id IN (SELECT p.repo_id FROM h_deploy_prev p "
        "JOIN h_deploy_commits c USING (deploy_id))"
    )
