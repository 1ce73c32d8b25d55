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

SCHEMA_VERSION = len(MIGRATIONS)
