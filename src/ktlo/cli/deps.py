"""`ktlo deps`: the dependencies each repository holds now, from its history."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from ktlo.cli.inputs import command_inputs, open_store
from ktlo.cli.options import config_option, store_option
from ktlo.cli.output import emit


@click.command(name="deps")
@click.option("--team", help="Only this team's repositories (a name from ktlo.toml).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (ktlo.deps/v1).")
@click.option("--csv", "as_csv", is_flag=True, help="Print one CSV row per package.")
@config_option
@store_option
def deps_command(
    team: str | None, as_json: bool, as_csv: bool, config_path: Path | None, db: Path | None
) -> None:
    """Which package at which version each repository holds, since when, and how often its
    dependencies move. Reads the manifests' and lockfiles' history of every repository the
    store knows first (only what is new since the last run).

    Example: ktlo deps --team payments --json
    """
    from ktlo.ingest.dependencies import update_known_repositories
    from ktlo.metrics.dependencies import DepsDocument, Refresh, inventory, package_rows
    from ktlo.planning.team import find_team
    from ktlo.render.dependencies import render_deps

    config, path = command_inputs(config_path, db)
    if team is not None:
        find_team(config, team)  # an unknown team is one clear error
    with open_store(path) as store:
        results, notes = update_known_repositories(store)
        doc = DepsDocument(
            schema="ktlo.deps/v1",
            team=team,
            inventory=inventory(store, config, team),
            refreshed=[
                Refresh(
                    repo_id=r.repo_id,
                    commits=r.commits,
                    revisions=r.revisions,
                    changes=r.changes,
                    malformed=len(r.malformed),
                )
                for r in results
            ],  # fmt: skip
            notes=notes
            + [_unreadable_note(r.repo_id, r.unreadable) for r in results if r.unreadable],
        )
    emit(doc, as_json, as_csv, render_deps, package_rows)
    for note in doc.notes:
        click.echo(f"Note: {note}", err=True)


def _unreadable_note(repo_id: str, unreadable: Sequence[Sequence[str]]) -> str:
    path, sha, why = unreadable[0]
    more = f" and {len(unreadable) - 1} more" if len(unreadable) > 1 else ""
    return (
        f"{repo_id}: {len(unreadable)} file revision(s) in its history could not be read and were skipped "
        f"(their packages taken as unchanged): {path} at {sha[:10]} ({why}){more}"
    )
