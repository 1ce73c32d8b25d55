"""The store's schema, as an ordered list of migrations.

Migration N brings a store from schema version N-1 to N.

The large tables (work items, commits, their files, verdicts) declare their key in a
comment but carry no PRIMARY KEY constraint: DuckDB keeps such indexes in memory, so
they would make the writer's memory grow with history. `Store.replace` keeps the keys
unique instead (delete the batch's keys, insert the batch, in one transaction). A store is stamped with
the version it reached; a store stamped with a version newer than the last one
here was written by a newer ktlo and is refused rather than misread.
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: git repositories, work items, commits and their files, verdicts, sync cursors
    (
        """
        CREATE TABLE repositories (
            repo_id      VARCHAR PRIMARY KEY,  -- normalised origin URL, or local:<path>
            name         VARCHAR NOT NULL,
            path         VARCHAR NOT NULL,
            remote_url   VARCHAR,
            is_bare      BOOLEAN NOT NULL,
            is_shallow   BOOLEAN NOT NULL,
            ingested_at  TIMESTAMP
        )
        """,
        """
        CREATE TABLE work_items (
            item_id      VARCHAR NOT NULL,     -- key; e.g. git:commit:<repo_id>:<sha>
            source       VARCHAR NOT NULL,     -- git, github, jira, ...
            kind         VARCHAR NOT NULL,     -- commit, pull_request, issue
            repo_id      VARCHAR,
            external_id  VARCHAR NOT NULL,     -- the source's own id (sha, number, key)
            title        VARCHAR NOT NULL,
            body         VARCHAR NOT NULL,
            author_name  VARCHAR,
            author_email VARCHAR,
            is_bot       BOOLEAN NOT NULL,
            created_at   TIMESTAMP,            -- UTC
            labels       VARCHAR[] NOT NULL,
            issue_type   VARCHAR,
            refs         VARCHAR[] NOT NULL    -- issue keys and #numbers mentioned, for linking
        )
        """,
        """
        CREATE TABLE commits (
            item_id          VARCHAR NOT NULL,    -- key
            repo_id          VARCHAR NOT NULL,
            sha              VARCHAR NOT NULL,
            parents          VARCHAR[] NOT NULL,
            authored_at      TIMESTAMP NOT NULL,  -- UTC
            author_utc_offset_minutes INTEGER NOT NULL,
            committer_name   VARCHAR,
            committer_email  VARCHAR,
            committed_at     TIMESTAMP NOT NULL,  -- UTC
            is_merge         BOOLEAN NOT NULL,
            is_boundary      BOOLEAN NOT NULL,    -- shallow-clone boundary: its diff is the whole tree
            files_changed    INTEGER NOT NULL,
            lines_added      INTEGER NOT NULL,
            lines_deleted    INTEGER NOT NULL
        )
        """,
        """
        CREATE TABLE commit_files (
            item_id   VARCHAR NOT NULL,  -- key, with path
            path      VARCHAR NOT NULL,
            old_path  VARCHAR,
            added     INTEGER,   -- NULL for binary files
            deleted   INTEGER,
            is_binary BOOLEAN NOT NULL
        )
        """,
        """
        CREATE TABLE verdicts (
            item_id       VARCHAR NOT NULL,   -- key
            investment    VARCHAR NOT NULL,
            subcategory   VARCHAR,
            confidence    DOUBLE NOT NULL,
            reasons       VARCHAR[] NOT NULL,
            classifier    VARCHAR NOT NULL,  -- which classifier version decided it
            classified_at TIMESTAMP NOT NULL
        )
        """,
        """
        CREATE TABLE sync_state (
            source      VARCHAR NOT NULL,
            scope       VARCHAR NOT NULL,
            cursor      VARCHAR NOT NULL,   -- JSON, meaning defined by the source
            updated_at  TIMESTAMP NOT NULL,
            PRIMARY KEY (source, scope)
        )
        """,
    ),
)

MIGRATIONS += (
    # 2: work from trackers and operations: issue/PR fields, activity, links, state history,
    #    incidents and their timelines, alerts, deployments, builds (CI runs), sprints.
    (
        "ALTER TABLE work_items ADD COLUMN updated_at TIMESTAMP",
        "ALTER TABLE work_items ADD COLUMN closed_at TIMESTAMP",
        "ALTER TABLE work_items ADD COLUMN merged_at TIMESTAMP",
        "ALTER TABLE work_items ADD COLUMN state VARCHAR",  # open, closed, merged, done ...
        "ALTER TABLE work_items ADD COLUMN url VARCHAR",
        "ALTER TABLE work_items ADD COLUMN project VARCHAR",  # Jira project, Linear team, owner/repo
        "ALTER TABLE work_items ADD COLUMN parent_key VARCHAR",  # epic or parent issue key
        "ALTER TABLE work_items ADD COLUMN components VARCHAR[]",
        "ALTER TABLE work_items ADD COLUMN standard_type VARCHAR",  # requirement, bug, incident, task
        "ALTER TABLE work_items ADD COLUMN estimate DOUBLE",  # story points / estimate
        "ALTER TABLE work_items ADD COLUMN sprint VARCHAR",
        "ALTER TABLE work_items ADD COLUMN branch VARCHAR",  # a pull request's head branch
        "ALTER TABLE work_items ADD COLUMN assignees VARCHAR[]",
        "ALTER TABLE work_items ADD COLUMN raw VARCHAR",  # the source's own JSON
        """
        CREATE TABLE activities (           -- who did what to which item, when (drives effort)
            item_id  VARCHAR NOT NULL,
            person   VARCHAR NOT NULL,      -- login, name or email as the source gives it
            kind     VARCHAR NOT NULL,      -- authored, committed, opened, reviewed, commented, closed, ...
            occurred_at TIMESTAMP NOT NULL,
            source   VARCHAR NOT NULL,
            detail   VARCHAR
        )
        """,
        """
        CREATE TABLE links (                -- a reference from one item to another
            from_id  VARCHAR NOT NULL,
            to_ref   VARCHAR NOT NULL,      -- as written: PROJ-12, #45, owner/repo#45, a sha
            kind     VARCHAR NOT NULL       -- fixes, mentions, contains (PR -> commit), parent
        )
        """,
        """
        CREATE TABLE state_changes (
            item_id    VARCHAR NOT NULL,
            occurred_at TIMESTAMP NOT NULL,
            field      VARCHAR NOT NULL,    -- status, assignee, sprint, ...
            from_value VARCHAR,
            to_value   VARCHAR,
            changed_by VARCHAR
        )
        """,
        """
        CREATE TABLE incidents (
            incident_id     VARCHAR NOT NULL,   -- key: <source>:incident:<id>
            source          VARCHAR NOT NULL,
            external_id     VARCHAR NOT NULL,
            title           VARCHAR NOT NULL,
            service         VARCHAR,
            teams           VARCHAR[],
            severity        VARCHAR,            -- sev1, high, P1 ... as the source says
            urgency         VARCHAR,
            priority        VARCHAR,
            status          VARCHAR,
            created_at      TIMESTAMP NOT NULL,
            acknowledged_at TIMESTAMP,
            resolved_at     TIMESTAMP,
            url             VARCHAR,
            raw             VARCHAR
        )
        """,
        """
        CREATE TABLE incident_events (
            incident_id VARCHAR NOT NULL,
            occurred_at TIMESTAMP NOT NULL,
            kind        VARCHAR NOT NULL,       -- triggered, acknowledged, escalated, resolved, note, assigned
            person      VARCHAR,
            detail      VARCHAR
        )
        """,
        """
        CREATE TABLE alerts (
            alert_id        VARCHAR NOT NULL,   -- key: <source>:alert:<id>
            source          VARCHAR NOT NULL,
            external_id     VARCHAR NOT NULL,
            incident_id     VARCHAR,
            service         VARCHAR,
            title           VARCHAR NOT NULL,
            severity        VARCHAR,
            created_at      TIMESTAMP NOT NULL,
            acknowledged_at TIMESTAMP,
            closed_at       TIMESTAMP,
            count           INTEGER,
            tags            VARCHAR[],
            responders      VARCHAR[],
            raw             VARCHAR
        )
        """,
        """
        CREATE TABLE deployments (
            deployment_id VARCHAR NOT NULL,     -- key: <source>:deployment:<id>
            source        VARCHAR NOT NULL,
            external_id   VARCHAR NOT NULL,
            repo_id       VARCHAR,
            service       VARCHAR,
            environment   VARCHAR,
            sha           VARCHAR,
            ref           VARCHAR,
            status        VARCHAR,              -- success, failure, rolled_back, in_progress ...
            created_at    TIMESTAMP NOT NULL,
            finished_at   TIMESTAMP,
            url           VARCHAR,
            raw           VARCHAR
        )
        """,
        """
        CREATE TABLE builds (
            build_id    VARCHAR NOT NULL,       -- key: <source>:build:<id>[:<attempt>]
            source      VARCHAR NOT NULL,
            external_id VARCHAR NOT NULL,
            repo_id     VARCHAR,
            workflow    VARCHAR,
            job         VARCHAR,
            sha         VARCHAR,
            branch      VARCHAR,
            event       VARCHAR,
            status      VARCHAR,
            conclusion  VARCHAR,                -- success, failure, cancelled, skipped ...
            attempt     INTEGER,
            queued_at   TIMESTAMP,
            started_at  TIMESTAMP,
            finished_at TIMESTAMP,
            url         VARCHAR,
            raw         VARCHAR
        )
        """,
        """
        CREATE TABLE sprints (
            sprint_id  VARCHAR NOT NULL,        -- key: <source>:sprint:<id>
            source     VARCHAR NOT NULL,
            name       VARCHAR NOT NULL,
            team       VARCHAR,
            state      VARCHAR,
            starts_at  TIMESTAMP,
            ends_at    TIMESTAMP,
            raw        VARCHAR
        )
        """,
    ),
)

MIGRATIONS += (
    # 3: people's corrections, which outlive every re-sync and re-classification, and the
    #    verdict everything reads: an override where there is one, else the stored verdict.
    (
        """
        CREATE TABLE overrides (
            item_id     VARCHAR PRIMARY KEY,
            investment  VARCHAR NOT NULL,
            subcategory VARCHAR,
            note        VARCHAR,
            created_by  VARCHAR,
            created_at  TIMESTAMP NOT NULL
        )
        """,
        """
        CREATE VIEW effective_verdicts AS
        SELECT v.item_id,
               coalesce(o.investment, v.investment) AS investment,
               CASE WHEN o.item_id IS NULL THEN v.subcategory ELSE o.subcategory END AS subcategory,
               CASE WHEN o.item_id IS NULL THEN v.confidence ELSE 1.0 END AS confidence,
               CASE WHEN o.item_id IS NULL THEN v.reasons
                    ELSE ['override: ' || coalesce(o.note, 'set by ' || coalesce(o.created_by, 'a person'))]
               END AS reasons,
               o.item_id IS NOT NULL AS overridden,
               v.classifier
        FROM verdicts v LEFT JOIN overrides o USING (item_id)
        """,
    ),
)

MIGRATIONS += (
    # 4: the text model fitted to this store's own labeled items (ktlo.verdicts.refit), kept so a
    #    sync can apply it to new items without refitting; the last few fits are kept.
    (
        """
        CREATE TABLE learned_models (
            model_id     INTEGER PRIMARY KEY,
            fitted_at    TIMESTAMP NOT NULL,
            items        INTEGER NOT NULL,     -- labeled items it was fitted on
            per_class    VARCHAR NOT NULL,     -- JSON {subcategory: items}
            excluded     VARCHAR NOT NULL,     -- JSON {subcategory: items}: too few, left to the built-in
            cv_macro_f1  DOUBLE,               -- cross-validated macro-F1 over its classes
            model        BLOB NOT NULL         -- zlib-compressed JSON of feature counts
        )
        """,
    ),
)

MIGRATIONS += (
    # 5: what the DORA definitions read of changes: the commits a pull request, a deployment
    #    or a push lists (with their times), pushes (ref, before, after), a pull request's
    #    base branch and the deployment a deployment followed (docs/import.md).
    (
        """
        CREATE TABLE change_commits (       -- a commit as a pull request, deployment or push lists it
            owner_id     VARCHAR NOT NULL,  -- the work item, deployment or push that lists it
            sha          VARCHAR NOT NULL,
            authored_at  TIMESTAMP,
            committed_at TIMESTAMP,
            author       VARCHAR,
            is_bot       BOOLEAN NOT NULL
        )
        """,
        """
        CREATE TABLE pushes (               -- a push of commits to a ref (a webhook's payload, an import)
            push_id     VARCHAR NOT NULL,   -- key: <source>:push:<repo_id>:<ref>:<after>
            source      VARCHAR NOT NULL,
            repo_id     VARCHAR,
            ref         VARCHAR,
            before_sha  VARCHAR,
            after_sha   VARCHAR NOT NULL,
            pushed_at   TIMESTAMP,
            raw         VARCHAR
        )
        """,
        "ALTER TABLE work_items ADD COLUMN base_branch VARCHAR",  # a pull request's target branch
        "ALTER TABLE deployments ADD COLUMN previous_id VARCHAR",  # the deployment it followed
    ),
    # 6: random samples of items offered for review (`ktlo review --sample`): only answers
    #    to them measure the verdicts' error (docs/classification.md, "Error bars"); and the
    #    classifier's own investment beside the effective verdict, the stratum an item's
    #    error rate is read from. An answer that names only an investment keeps the
    #    classifier's subcategory when the investments agree (it invents none of its own).
    (
        """
        CREATE TABLE review_samples (
            sample_id  INTEGER PRIMARY KEY,
            seed       BIGINT NOT NULL,      -- random.Random(seed).sample over the sorted frame
            size       INTEGER NOT NULL,     -- items drawn
            frame      INTEGER NOT NULL,     -- items it was drawn from
            scope      VARCHAR NOT NULL,     -- JSON: team, since, until
            drawn_by   VARCHAR,
            drawn_at   TIMESTAMP NOT NULL
        )
        """,
        """
        CREATE TABLE review_sample_items (
            sample_id  INTEGER NOT NULL,
            item_id    VARCHAR NOT NULL,
            position   INTEGER NOT NULL,     -- order of drawing, from 1
            PRIMARY KEY (sample_id, item_id)
        )
        """,
        """
        CREATE OR REPLACE VIEW effective_verdicts AS
        SELECT v.item_id,
               coalesce(o.investment, v.investment) AS investment,
               CASE WHEN o.item_id IS NULL THEN v.subcategory
                    WHEN o.subcategory IS NULL AND o.investment = v.investment THEN v.subcategory
                    ELSE o.subcategory END AS subcategory,
               CASE WHEN o.item_id IS NULL THEN v.confidence ELSE 1.0 END AS confidence,
               CASE WHEN o.item_id IS NULL THEN v.reasons
                    ELSE ['override: ' || coalesce(o.note, 'set by ' || coalesce(o.created_by, 'a person'))]
               END AS reasons,
               o.item_id IS NOT NULL AS overridden,
               v.classifier,
               v.investment AS predicted
        FROM verdicts v LEFT JOIN overrides o USING (item_id)
        """,
    ),
)

MIGRATIONS += (
    # 7: dependencies over time (issue 20): each package version a commit set in a manifest
    #    or lockfile of a repository's history, read by ktlo.ingest.dependencies.
    (
        """
        CREATE TABLE dependency_changes (   -- a package's version as one commit set it in one file
            repo_id     VARCHAR NOT NULL,
            path        VARCHAR NOT NULL,   -- the manifest or lockfile, from the repository's top
            ecosystem   VARCHAR NOT NULL,   -- as OSV names it: PyPI, npm, crates.io, Go, RubyGems, Maven, Packagist
            package     VARCHAR NOT NULL,   -- the registry's name (normalised as the ecosystem does)
            version     VARCHAR,            -- NULL: this commit removed the package from the file
            direct      BOOLEAN,            -- declared in a manifest (TRUE) or only locked (FALSE); NULL unknown
            sha         VARCHAR NOT NULL,   -- the commit that made the change
            changed_at  TIMESTAMP NOT NULL, -- its committer time, UTC
            step        BIGINT NOT NULL     -- the commit's place on HEAD's first-parent chain
                                            -- from the root (0): the order of the changes
        )
        """,
    ),
)

MIGRATIONS += (
    # 8: initiatives (issue 19): the milestone, project or epic a tracker files an item under
    #    (GitHub/GitLab milestone, GitLab epic, Linear project); Jira's epics and parents are
    #    `parent_key`. Items stored before it take theirs from the JSON the tool answered.
    (
        "ALTER TABLE work_items ADD COLUMN initiative VARCHAR",
        """
        UPDATE work_items SET initiative = CASE source
            WHEN 'linear' THEN json_extract_string(raw, '$.project.name')
            ELSE coalesce(json_extract_string(raw, '$.epic.title'),
                          json_extract_string(raw, '$.milestone.title')) END
        WHERE source IN ('github', 'gitlab', 'linear') AND kind <> 'commit'
          AND starts_with(raw, '{') AND json_valid(raw)
        """,
    ),
)

MIGRATIONS += (
    # 9: dependency risk (issue 20): release dates from the package registries and OSV's
    #    advisories with the ranges they affect, cached so `ktlo deps` works offline.
    (
        """
        CREATE TABLE package_releases (     -- one release of a package, as its registry dates it
            ecosystem    VARCHAR NOT NULL,   -- as OSV names it (PyPI, npm, crates.io, Go, ...)
            package      VARCHAR NOT NULL,
            version      VARCHAR NOT NULL,
            released_at  TIMESTAMP,          -- UTC; NULL when the registry gives no date
            yanked       BOOLEAN NOT NULL,   -- yanked, unpublished or deprecated by the registry
            PRIMARY KEY (ecosystem, package, version)
        )
        """,
        """
        CREATE TABLE package_fetches (      -- when a package's releases were last asked for
            ecosystem    VARCHAR NOT NULL,
            package      VARCHAR NOT NULL,
            fetched_at   TIMESTAMP NOT NULL,
            status       VARCHAR NOT NULL,   -- ok, not_found
            PRIMARY KEY (ecosystem, package)
        )
        """,
        """
        CREATE TABLE advisories (           -- an OSV advisory (GHSA, PYSEC, RUSTSEC, GO, ...)
            advisory_id  VARCHAR PRIMARY KEY,
            aliases      VARCHAR[] NOT NULL, -- CVE and other ids of the same advisory
            summary      VARCHAR,
            severity     VARCHAR,            -- band: critical, high, medium, low; NULL unknown
            score        DOUBLE,             -- CVSS v3 base score when a v3 vector is given
            vector       VARCHAR,            -- the CVSS vector it was read from
            published    TIMESTAMP,
            modified     TIMESTAMP,
            withdrawn    TIMESTAMP,
            source       VARCHAR NOT NULL,   -- api or export:<file name>
            fetched_at   TIMESTAMP NOT NULL
        )
        """,
        """
        CREATE TABLE advisory_affects (     -- a stretch of versions an advisory affects
            advisory_id    VARCHAR NOT NULL,
            ecosystem      VARCHAR NOT NULL,
            package        VARCHAR NOT NULL,
            range_type     VARCHAR NOT NULL, -- ECOSYSTEM, SEMVER, or VERSIONS (the explicit list)
            introduced     VARCHAR,          -- '0': from the first version
            fixed          VARCHAR,          -- first version not affected; NULL none
            last_affected  VARCHAR,          -- last version affected; NULL none
            versions       VARCHAR[]         -- range_type VERSIONS: the versions listed
        )
        """,
        """
        CREATE TABLE advisory_checks (      -- when OSV was last asked about a package
            ecosystem    VARCHAR NOT NULL,
            package      VARCHAR NOT NULL,
            checked_at   TIMESTAMP NOT NULL,
            source       VARCHAR NOT NULL,   -- api or export:<file name>
            PRIMARY KEY (ecosystem, package)
        )
        """,
    ),
)

MIGRATIONS += (
    # 10: a commit whose diff git could not read (a blob missing from a damaged or partial
    #     clone) is stored with its files and unknown line counts: NULL, not 0.
    (
        "ALTER TABLE commits ALTER COLUMN lines_added DROP NOT NULL",
        "ALTER TABLE commits ALTER COLUMN lines_deleted DROP NOT NULL",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)
