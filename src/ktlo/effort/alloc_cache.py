"""The allocation table kept between commands, keyed by a fingerprint of what it is made of.

`ktlo allocation`, `ktlo budget` and `ktlo capitalization` over the whole history start
from the same `alloc` table (ktlo.effort.allocation.build_allocation): effort, the team
split, verdicts, initiatives and categories, most of their time on a large store. The
first of them to build it saves it beside the store (`<store>.cache/`, a Parquet file);
the next one whose fingerprint is the same reads it back instead.

The fingerprint is everything the table is computed from, so a cached table is never
stale: the stored rows it reads (work items, commits and their files, activities, links,
verdicts, overrides; a sum of row hashes per table, the columns it reads), what
ktlo.toml makes of them (identities, people, capacity and time off, effort weights and
`active_days`, teams, custom categories: the temporary tables built from it, hashed the
same way), which columns were asked for (initiatives, categories), the code that
computes it (its modules' source) and the DuckDB and store schema versions. Any change to
one of them is another fingerprint: the table is computed as before and saved under it;
the older file of the same kind is removed. A store whose folder cannot be written, or a
file that cannot be read, is computed as before, without a word (the figures are the same).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from functools import cache, partial
from pathlib import Path

import duckdb

from ktlo.config import Config
from ktlo.store import Store
from ktlo.store.temp_tables import drop_temp

SUFFIX = ".cache"  # the folder beside the store: `org.duckdb.cache/`
ABANDONED = 3600  # seconds: a file being written that is older was left by a stopped process
IN_USE = ".use-"  # `.<file>.use-<pid>`: the link a process reads a saved table through
# The stored tables the allocation reads and the columns it reads of them (code-chosen SQL).
_STORED = (
    ("work_items", "item_id, source, kind, repo_id, external_id, author_name, author_email, "
                   "created_at, labels, issue_type, refs, project, parent_key, initiative"),
    ("commits", "item_id, is_merge, is_boundary"),
    ("commit_files", "item_id, path"),
    ("activities", "t"),
    ("links", "t"),
    ("verdicts", "item_id, investment, subcategory"),
    ("overrides", "t"),
)  # fmt: skip
# What ktlo.toml made of the store's names, built before the fingerprint is taken.
_DERIVED = ("identity", "person_info", "effort_weights", "time_off", "team_member", "team_repo",
            "team_path")  # fmt: skip
# The modules whose code computes the table: a change to any of them is another table.
_CODE = (
    "ktlo.effort.alloc_cache", "ktlo.effort.allocation", "ktlo.effort.person_days",
    "ktlo.effort.identity", "ktlo.effort.initiatives", "ktlo.effort.categories",
    "ktlo.effort.error_bars",
)  # fmt: skip


def fingerprint(store: Store, config: Config, *, initiatives: bool, categorised: bool) -> str:
    """The fingerprint of the `alloc` table `build_allocation` would build now (module
    docstring); the temporary tables of `_DERIVED` must be built already."""
    from ktlo.effort.categories import rule_rows

    digest = hashlib.sha256(_code_digest().encode())
    rules = rule_rows(config) if categorised else []
    settings = [duckdb.__version__, store.schema_version(), config.effort.active_days,
                initiatives, categorised, repr(rules)]  # fmt: skip
    digest.update(json.dumps(settings, default=str).encode())
    tables = (*_STORED, *((t, "t") for t in _DERIVED))
    rows = store.con.execute(  # one statement: the tables are read in parallel
        " UNION ALL ".join(
            f"SELECT {i} AS i, count(*) AS n, sum(hash({columns})::HUGEINT) AS h FROM {table} t"
            for i, (table, columns) in enumerate(tables)
        )
        + " ORDER BY i"
    ).fetchall()
    digest.update(repr(rows).encode())
    return digest.hexdigest()[:32]


@cache
def _code_digest() -> str:
    """The source of the modules that compute the table; where one cannot be read (an
    install without sources), ktlo's version stands for it."""
    import importlib

    from ktlo import __version__

    digest = hashlib.sha256(__version__.encode())
    for name in _CODE:
        try:
            digest.update(Path(importlib.import_module(name).__file__ or name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


def folder(store: Store) -> Path:
    """Where the store's cached tables are kept: a folder beside it."""
    return store.path.with_name(store.path.name + SUFFIX)


def _files(store: Store, kind: str, key: str, categorised: bool) -> dict[str, Path]:
    """The files of one cached table: `alloc`, and `category_match` when categorised."""
    tables = ("category_match", "alloc") if categorised else ("alloc",)
    return {t: folder(store) / f"{t}-{kind}-{key}.parquet" for t in tables}


def load(store: Store, kind: str, key: str, categorised: bool) -> bool:
    """Read the cached tables of `kind` under `key` into their temporary tables; False
    (nothing read) when there are none or they cannot be read."""
    files = _files(store, kind, key, categorised)
    if not all(path.exists() for path in files.values()):
        return False
    try:
        for table, path in files.items():
            _read(store, table, path)
    except duckdb.Error:  # removed or damaged since: computed as before
        return False
    return True


def _read(store: Store, table: str, path: Path) -> None:
    """`table` as a view over the saved file, through a link of this process's own that
    lives until the store is closed, so that another command replacing the file does not
    pull it from under this one's queries: each query then decodes only the columns it
    reads (1M-item store: `allocation --json` 1.02 -> 0.86 s, `--by category` 1.48 ->
    1.04 s, BENCHMARKS.md). Where no link can be made, the file is copied into a
    temporary table, as before."""
    drop_temp(store, table)
    link = path.with_name(f".{path.name}{IN_USE}{os.getpid()}")
    try:
        link.unlink(missing_ok=True)
        os.link(path, link)
    except OSError:
        store.con.execute(
            f"CREATE TEMP TABLE {table} AS SELECT * FROM read_parquet(?)", [str(path)]
        )
        return
    store.when_closed(partial(link.unlink, missing_ok=True))
    quoted = str(link).replace("'", "''")  # a view's SQL cannot take a parameter
    store.con.execute(f"CREATE TEMP VIEW {table} AS SELECT * FROM read_parquet('{quoted}')")


def _left_behind(path: Path) -> bool:
    """A link of `_read`'s whose process is gone (it was killed before closing its store)."""
    _, _, pid = path.name.rpartition(IN_USE)
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process: alive
        return False
    return False


def save(store: Store, kind: str, key: str, categorised: bool) -> None:
    """Save the temporary tables just built under `key`, replacing older ones of `kind`;
    nothing happens when the folder cannot be written."""
    files = _files(store, kind, key, categorised)
    partial = None
    try:
        folder(store).mkdir(exist_ok=True)
        for old in folder(store).glob("*.parquet"):
            if old.name.split("-")[1:2] == [kind] and old not in files.values():
                old.unlink(missing_ok=True)
        for left in folder(store).glob(".*.parquet.*"):  # a process stopped while writing
            if IN_USE in left.name:  # or a link a process reads through (`_read`)
                if _left_behind(left):
                    left.unlink(missing_ok=True)
            elif time.time() - left.stat().st_mtime > ABANDONED:
                left.unlink(missing_ok=True)
        for table, path in files.items():  # `alloc` last: its file says the set is whole
            partial = path.with_name(f".{path.name}.{os.getpid()}")  # renamed whole, or not
            store.con.table(table).write_parquet(str(partial))
            partial.replace(path)
    except (OSError, duckdb.Error):
        if partial is not None:
            partial.unlink(missing_ok=True)
