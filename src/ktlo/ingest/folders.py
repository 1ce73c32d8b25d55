"""A folder inside a repository as what an analysis covers: `ktlo analyze repo/src/flask`.

The repository's history is read and stored whole, once, whichever folders are asked for:
one cursor and one copy of each commit, so a whole-repository run and folder runs of the
same repository share a store without counting anything twice, and a person's day is split
across all of their commits in it, not only the folder's. A folder's analysis then counts
what `git log --full-history -- FOLDER` lists: the commits that changed a file under the
folder (a rename into or out of it included), with only those files' lines, and file and
directory paths relative to the folder. Merges carry no files, so none is counted.

Several folders of one repository in one run count the commits under any of them, with
paths relative to the repository's root (relative to one of them would be ambiguous).
"""

from __future__ import annotations

from collections.abc import Sequence

from ktlo.store import Store


def create_folder_scope(store: Store, folders: Sequence[tuple[str, str]]) -> None:
    """Temporary tables `scope_folders(repo_id, folder, strip)` and
    `scope_folder_files(item_id, path, added, deleted)`: each stored file change under one of
    `folders` ((repo_id, folder) pairs), its path relative to the folder."""
    count: dict[str, int] = {}
    for repo_id, _ in folders:
        count[repo_id] = count.get(repo_id, 0) + 1
    rows = [
        (repo_id, f"{folder.strip('/')}/", len(folder.strip("/")) + 1 if count[repo_id] == 1 else 0)
        for repo_id, folder in dict.fromkeys(folders)
    ]
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE scope_folders (repo_id VARCHAR, folder VARCHAR, strip INTEGER)"
    )
    store.insert("scope_folders", ["repo_id", "folder", "strip"], rows)
    store.con.execute(
        """
        CREATE OR REPLACE TEMP TABLE scope_folder_files AS
        SELECT DISTINCT ON (f.item_id, f.path) f.item_id,
               substr(CASE WHEN starts_with(f.path, sf.folder) THEN f.path ELSE f.old_path END,
                      sf.strip + 1) AS path,
               f.added, f.deleted
        FROM commit_files f
        JOIN commits c USING (item_id)
        JOIN scope_folders sf ON sf.repo_id = c.repo_id
        WHERE starts_with(f.path, sf.folder) OR starts_with(coalesce(f.old_path, ''), sf.folder)
        ORDER BY f.item_id, f.path, sf.strip DESC
        """
    )


def folder_rows(folders: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """The `folders` list of the JSON document: which folders of which repositories it covers."""
    return [{"repo_id": r, "folder": f.strip("/")} for r, f in dict.fromkeys(folders)]
