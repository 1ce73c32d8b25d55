"""Deployments, wherever they are recorded, and the changes each one shipped.

Three sources, chosen per repository (`[health.repositories."owner/repo"] deployments`):

    records        the deployments table (GitHub deployments and releases, imports)
    ci             CI runs whose workflow or job matches `deploy_workflow`
    pull_requests  pull requests merged to the production branch (`branch`, else `main_branch`)
    auto           records when the repository has any, else CI runs (the default)

A deployment is a production deployment when its environment (for a CI run: its workflow or
job name) matches `environment`. Statuses fall into success, rolled_back, failed and other.

Tables created (temporary, scoped):

    h_deploys   every deployment attempt in scope: `deployed_at` its finish (else its
                creation), `started_at` its start, `branch` its ref without refs/heads/
    h_prod      production deployments that reached production (success or rolled_back)
    h_changes   merged pull requests, and commits that belong to none, in scope; commit_at
                is a pull request's first commit authored (NULL when none is known),
                first_commit_at the same but never after the pull request was opened,
                committed_at its first commit's committer time (else commit_at),
                merge_sha, base_branch, head_branch and is_bot
    h_recent_changes  the changes that can have shipped in the report's windows: those that
                landed after the last production deployment of their repository before the
                oldest window (every earlier change shipped before the windows)
    h_shipped   each such change with the first production deployment whose commits hold it
                (ktlo.metrics.shipped), else (commits unknown, or before the first deployment)
                the first of its repository at or after it landed (an ASOF join), `how` it
                was found, and its lead time from its first commit
"""

from __future__ import annotations

from ktlo.metrics.common import Context, in_scope
from ktlo.metrics.shipped import deploy_commits_known
from ktlo.store.temp_tables import require

SUCCESS = (
    "success",
    "succeeded",
    "successful",
    "completed",
    "complete",
    "done",
    "deployed",
    "active",
)
ROLLED_BACK = ("rolled_back", "rolledback", "rollback", "rolled back", "reverted")
FAILED = ("failure", "failed", "error", "errored", "timed_out", "startup_failure")
REBASE_SECONDS = 60  # a commit landing this close to a merge of its repository came with it


#: The statuses as parameters (`$success`, `$rolled_back`, `$failed`) of a metric's SQL.
STATUSES = {"success": list(SUCCESS), "rolled_back": list(ROLLED_BACK), "failed": list(FAILED)}
STATUS_SQL = """CASE WHEN list_contains($success, s) THEN 'success'
    WHEN list_contains($rolled_back, s) THEN 'rolled_back'
    WHEN list_contains($failed, s) THEN 'failed' ELSE 'other' END"""


def build_deployments(ctx: Context) -> None:
    """Create h_deploys and h_prod."""
    require(ctx.store, "h_repos")
    ctx.run(
        """
        CREATE OR REPLACE TEMP TABLE h_ci_repos AS
        SELECT repo_id, service FROM h_repos
        WHERE mode = 'ci' OR (mode = 'auto' AND repo_id NOT IN
                              (SELECT DISTINCT repo_id FROM deployments WHERE repo_id IS NOT NULL))
        """
    )
    # read the million CI runs only when some repository takes its deployments from them
    ci = ctx.rows("SELECT count(*) AS n FROM h_ci_repos")[0]["n"] > 0
    pulls = any(r.deployments == "pull_requests" for r in ctx.settings.repositories.values())
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_deploys AS
        WITH {_records_sql(ctx)}, {_ci_sql(ctx, ci)}, {_pulls_sql(ctx, pulls)}
        SELECT deploy_id, external_id, origin, repo_id, service, environment, sha, ref,
               {STATUS_SQL} AS status, deployed_at, production,
               least(coalesce(started_at, deployed_at), deployed_at) AS started_at,
               regexp_replace(coalesce(ref, ''), '^refs/heads/', '') AS branch, previous_id
        FROM (SELECT * FROM records UNION ALL BY NAME SELECT * FROM ci_runs
              UNION ALL BY NAME SELECT * FROM ci_jobs UNION ALL BY NAME SELECT * FROM pulls)
        WHERE deployed_at < $until::TIMESTAMP
          AND {in_scope(ctx, "service", "repo_id")}
        """,
        **STATUSES,
    )
    ctx.run(
        "CREATE OR REPLACE TEMP TABLE h_prod AS SELECT * FROM h_deploys "
        "WHERE production AND status IN ('success', 'rolled_back')"
    )


def _records_sql(ctx: Context) -> str:
    """The `records` CTE: rows of the deployments table, with their service and repository."""
    return """
        service_repo AS (  -- a service configured with exactly one repository
            SELECT mapped_service, any_value(repo_id) AS repo_id FROM h_repos
            WHERE mapped_service IS NOT NULL GROUP BY 1 HAVING count(*) = 1
        ),
        records AS (
            SELECT d.deployment_id AS deploy_id, d.external_id, 'record' AS origin,
                   coalesce(d.repo_id, sr.repo_id) AS repo_id,
                   coalesce(r.mapped_service, lower(nullif(d.service, '')), r.service) AS service,
                   d.environment, lower(d.sha) AS sha, d.ref, lower(d.status) AS s,
                   coalesce(d.finished_at, d.created_at) AS deployed_at,
                   d.created_at AS started_at, d.previous_id,
                   regexp_matches(coalesce(d.environment, ''), $environment) AS production
            FROM deployments d
            LEFT JOIN h_repos r ON r.repo_id = d.repo_id
            LEFT JOIN service_repo sr ON d.repo_id IS NULL AND sr.mapped_service = lower(d.service)
            WHERE coalesce(r.mode, 'auto') IN ('auto', 'records')
        )"""


def _ci_sql(ctx: Context, enabled: bool) -> str:
    """The `ci_runs` and `ci_jobs` CTEs: deploy runs, and deploy jobs taken per run attempt."""
    env, deploy = "$environment", "$deploy_workflow"
    return f"""
        ci_builds AS (
            SELECT b.*, r.service,
                   regexp_matches(coalesce(b.workflow, ''), {deploy}) AS workflow_deploys
            FROM builds b JOIN h_ci_repos r USING (repo_id) WHERE {"TRUE" if enabled else "FALSE"}
        ),
        ci_runs AS (
            SELECT build_id AS deploy_id, external_id, 'ci' AS origin, repo_id, service,
                   workflow AS environment, sha, branch AS ref, lower(conclusion) AS s,
                   coalesce(finished_at, started_at, queued_at) AS deployed_at,
                   coalesce(started_at, queued_at) AS started_at,
                   regexp_matches(coalesce(workflow, ''), {env}) AS production
            FROM ci_builds WHERE job IS NULL AND workflow_deploys
        ),
        ci_jobs AS (  -- deploy jobs of a workflow that is not itself named as one
            SELECT 'ci-jobs:' || repo_id || ':' || coalesce(workflow, '') || ':' || coalesce(sha, '')
                       || ':' || coalesce(attempt, 1) AS deploy_id,
                   any_value(external_id) AS external_id, 'ci' AS origin, repo_id,
                   any_value(service) AS service, string_agg(DISTINCT job, ', ') AS environment,
                   sha, any_value(branch) AS ref,
                   CASE WHEN bool_and(list_contains($success, lower(conclusion))) THEN 'success'
                        WHEN bool_or(list_contains($failed, lower(conclusion))) THEN 'failure'
                        ELSE 'other' END AS s,
                   max(coalesce(finished_at, started_at, queued_at)) AS deployed_at,
                   min(coalesce(started_at, queued_at)) AS started_at,
                   bool_or(regexp_matches(workflow || ' ' || job, {env})) AS production
            FROM ci_builds
            WHERE job IS NOT NULL AND NOT workflow_deploys AND regexp_matches(job, {deploy})
            GROUP BY repo_id, workflow, sha, attempt
        )"""


def _pulls_sql(ctx: Context, enabled: bool) -> str:
    """The `pulls` CTE: pull requests merged to their repository's production branch."""
    return f"""
        merged AS (
            SELECT w.item_id, w.external_id, w.repo_id, w.merged_at, r.service, r.branch,
                   coalesce(w.base_branch, CASE WHEN w.raw LIKE '{{%'
                            THEN json_extract_string(w.raw, '$.base.ref') END) AS base
            FROM work_items w JOIN h_repos r USING (repo_id)
            WHERE {"TRUE" if enabled else "FALSE"} AND w.kind = 'pull_request'
              AND w.merged_at IS NOT NULL AND r.mode = 'pull_requests'
        ),
        pulls AS (
            SELECT m.item_id AS deploy_id, m.external_id, 'pull_request' AS origin, m.repo_id,
                   m.service, 'production' AS environment, l.sha, m.base AS ref, 'success' AS s,
                   m.merged_at AS deployed_at, TRUE AS production
            FROM merged m
            LEFT JOIN (SELECT from_id, any_value(to_ref) AS sha FROM links WHERE kind = 'merged_as'
                       GROUP BY from_id) l ON l.from_id = m.item_id
            WHERE m.base IS NULL OR m.base = m.branch
               OR (m.branch IS NULL AND regexp_matches(m.base, $main_branch))
        )"""


def build_changes(ctx: Context) -> None:
    """Create h_changes (merged pull requests, and commits that belong to none), then
    h_recent_changes and h_shipped.

    A commit belongs to a pull request when the pull request lists it (`contains`), was
    merged as it (`merged_as`), when its title names the pull request (`Title (#12)`, as a
    squash merge writes it), or when it landed within a minute of a merge of its
    repository (a rebase merge re-commits the branch at merge time).

    Every join is within one repository, so the changes of the whole organisation are
    built once (`h_all_changes`, shared through `ctx.reuse`) and each scope takes its
    repositories from them. Commits of a repository with no deployment, CI run or merged
    pull request at all cannot ship and are left out.
    """
    require(ctx.store, "h_deploys")
    ctx.build_once("h_all_changes", _all_changes_sql(ctx))
    scope = f"({in_scope(ctx, repo='repo_id')} OR repo_id IN (SELECT repo_id FROM h_deploys))"
    ctx.run(f"CREATE OR REPLACE TEMP TABLE h_changes AS SELECT * FROM h_all_changes WHERE {scope}")
    _ship(ctx)


def _all_changes_sql(ctx: Context) -> str:
    until = "$until"
    return f"""
        WITH pulls AS (
            SELECT item_id AS change_id, 'pull_request' AS kind, repo_id, external_id AS number,
                   title, body, labels, author_name AS author, created_at AS opened_at,
                   merged_at AS landed_at, is_bot, branch AS head_branch,
                   coalesce(base_branch, CASE WHEN raw LIKE '{{%'
                            THEN json_extract_string(raw, '$.base.ref') END) AS base_branch
            FROM work_items
            WHERE kind = 'pull_request' AND merged_at IS NOT NULL
              AND merged_at < {until}::TIMESTAMP
        ),
        merge_sha AS (
            SELECT from_id AS change_id, lower(min(to_ref)) AS merge_sha FROM links
            WHERE kind = 'merged_as' AND from_id IN (SELECT change_id FROM pulls) GROUP BY from_id
        ),
        listed AS (  -- the commits a pull request lists, with their times
            SELECT owner_id AS change_id, min(authored_at) AS authored, min(committed_at) AS committed
            FROM change_commits WHERE owner_id IN (SELECT change_id FROM pulls) GROUP BY owner_id
        ),
        pull_commits AS (
            SELECT l.from_id AS change_id, p.repo_id, l.to_ref AS sha, l.kind
            FROM links l JOIN pulls p ON p.change_id = l.from_id
            WHERE l.kind IN ('contains', 'merged_as')
        ),
        deployable AS (  -- only a repository with deployments, CI runs or merges can ship
            SELECT repo_id FROM deployments UNION SELECT repo_id FROM builds
            UNION SELECT repo_id FROM pulls
        ),
        first_commit AS (
            SELECT change_id, min(ts) AS ts FROM (
                SELECT a.item_id AS change_id, a.occurred_at AS ts
                FROM activities a SEMI JOIN pulls p ON p.change_id = a.item_id
                WHERE a.kind = 'committed'
                UNION ALL
                SELECT pc.change_id, c.authored_at FROM pull_commits pc JOIN commits c USING (sha)
                WHERE pc.kind = 'contains'
                UNION ALL
                SELECT change_id, authored FROM listed)
            GROUP BY change_id
        ),
        first_committed AS (  -- middleware reads a commit's committer time
            SELECT change_id, min(ts) AS ts FROM (
                SELECT change_id, committed AS ts FROM listed
                UNION ALL
                SELECT pc.change_id, c.committed_at FROM pull_commits pc JOIN commits c USING (sha)
                WHERE pc.kind = 'contains' AND pc.change_id NOT IN (SELECT change_id FROM listed))
            GROUP BY change_id
        ),
        commit_items AS (
            SELECT c.item_id AS change_id, 'commit' AS kind, c.repo_id, c.sha AS number, w.title,
                   w.body, w.labels, w.author_name AS author, c.authored_at AS opened_at,
                   c.committed_at AS landed_at, w.refs, w.is_bot, c.sha AS merge_sha
            FROM commits c JOIN work_items w USING (item_id)
            WHERE NOT c.is_merge AND NOT c.is_boundary AND c.committed_at < {until}::TIMESTAMP
              AND c.repo_id IN (SELECT repo_id FROM deployable)
              AND NOT EXISTS (SELECT 1 FROM pull_commits pc
                              WHERE pc.repo_id = c.repo_id AND pc.sha = c.sha)
        ),
        squashed AS (  -- Title (#12): the squash commit of pull request 12
            SELECT DISTINCT ci.change_id
            FROM (SELECT change_id, repo_id, unnest(refs) AS ref FROM commit_items) ci
            JOIN pulls p ON p.repo_id = ci.repo_id AND ci.ref = '#' || p.number
        ),
        rebased AS (
            SELECT ci.change_id
            FROM commit_items ci ASOF JOIN pulls p
              ON ci.repo_id = p.repo_id AND ci.landed_at + INTERVAL {REBASE_SECONDS} SECOND >= p.landed_at
            WHERE p.landed_at >= ci.landed_at - INTERVAL {REBASE_SECONDS} SECOND
        )
        SELECT p.*, f.ts AS commit_at, least(coalesce(f.ts, p.opened_at), p.opened_at) AS first_commit_at,
               coalesce(fc.ts, f.ts) AS committed_at, m.merge_sha
        FROM pulls p LEFT JOIN first_commit f USING (change_id)
        LEFT JOIN first_committed fc USING (change_id) LEFT JOIN merge_sha m USING (change_id)
        UNION ALL BY NAME
        SELECT * EXCLUDE (refs), opened_at AS commit_at, opened_at AS first_commit_at,
               landed_at AS committed_at
        FROM commit_items
        WHERE change_id NOT IN (SELECT change_id FROM squashed)
          AND change_id NOT IN (SELECT change_id FROM rebased)
        """


def _ship(ctx: Context) -> None:
    """h_recent_changes and h_shipped (see the module's docstring)."""
    oldest = "$oldest"
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_recent_changes AS
        WITH cutoff AS (
            SELECT repo_id, max(deployed_at) AS cut_at FROM h_prod
            WHERE deployed_at <= {oldest}::TIMESTAMP GROUP BY repo_id
        )
        SELECT c.* FROM h_changes c LEFT JOIN cutoff USING (repo_id)
        WHERE cutoff.cut_at IS NULL OR c.landed_at > cutoff.cut_at
        """
    )
    ctx.run(
        f"""
        CREATE OR REPLACE TEMP TABLE h_shipped AS
        WITH first_deploy AS (SELECT repo_id, min(deployed_at) AS first_at FROM h_prod GROUP BY repo_id),
        known AS (SELECT DISTINCT repo_id FROM h_prod WHERE {deploy_commits_known(ctx)}),
        shas AS (  -- a change is found in a deployment's commits by its merge sha, or its commits
            SELECT change_id, merge_sha AS sha FROM h_recent_changes WHERE merge_sha IS NOT NULL
            UNION SELECT l.from_id, lower(l.to_ref) FROM links l
            WHERE l.kind = 'contains' AND l.from_id IN (SELECT change_id FROM h_recent_changes)
        ),
        by_commits AS (
            SELECT s.change_id, arg_min(d.deploy_id, d.deployed_at) AS deploy_id, 'commits' AS how
            FROM shas s JOIN h_deploy_commits dc USING (sha) JOIN h_prod d USING (deploy_id)
            GROUP BY s.change_id
        ),
        by_time AS (  -- without known commits (or before the first deployment): the next one
            SELECT c.change_id, d.deploy_id, 'time' AS how
            FROM (SELECT c.* FROM h_recent_changes c JOIN first_deploy f USING (repo_id)
                  WHERE c.repo_id NOT IN (SELECT repo_id FROM known) OR c.landed_at < f.first_at) c
            ASOF JOIN h_prod d ON c.repo_id = d.repo_id AND c.landed_at <= d.deployed_at
        ),
        found AS (
            SELECT * FROM by_commits
            UNION ALL SELECT * FROM by_time WHERE change_id NOT IN (SELECT change_id FROM by_commits)
        )
        SELECT c.change_id, c.kind, c.repo_id, c.number, c.first_commit_at, c.landed_at,
               coalesce(c.is_bot, FALSE) AS is_bot, d.deploy_id, d.service, d.deployed_at, x.how,
               epoch(d.deployed_at - c.first_commit_at) / 3600.0 AS lead_hours,
               c.landed_at < f.first_at AS baseline
        FROM h_recent_changes c JOIN found x USING (change_id)
        JOIN h_prod d ON d.deploy_id = x.deploy_id
        JOIN first_deploy f ON f.repo_id = c.repo_id
        """
    )
