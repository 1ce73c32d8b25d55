"""Freshness and vulnerabilities on a real repository's history (issue 20), end to end.

Until the inventory (ktlo.ingest.dependencies, another branch) is merged, this fills
`dependency_changes` from the pinned `name==version` lines of a repository's requirements
files over its history (one `git log -p` read), then runs the same refresh and documents as
`ktlo deps`. Only the packages named by --only are asked about, so a run makes a few
registry look-ups, not one per package of a large lockfile.

    .venv/bin/python bench/deps_risk_real.py /work/.mirror/pallets+flask/repo \
        --glob 'requirements/*.txt' --as-of 2024-12-31 \
        --only werkzeug,jinja2,click,itsdangerous,blinker,markupsafe
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from ktlo.config import Config
from ktlo.ingest.dependency_risk import default_client, refresh
from ktlo.metrics.dependency_risk import dependency_risk
from ktlo.store import Store

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def changes(repo: Path, glob: str, only: set[str]) -> list[tuple]:  # type: ignore[type-arg]
    """(path, package, version or None, sha, time) for each pin a commit set or removed."""
    out = subprocess.run(
        ["git", "-C", str(repo), "log", "--reverse", "--first-parent", "-m", "--format=COMMIT %H %ct", "-p", "--unified=0",
         "--", glob], capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rows, sha, when, path, before = [], "", datetime.now(UTC), "", ""
    for line in out.splitlines():
        if line.startswith("COMMIT "):
            _, sha, stamp = line.split(" ", 2)
            when = datetime.fromtimestamp(int(stamp), UTC).replace(tzinfo=None)
        elif line.startswith("--- "):
            before = line[6:] if line.startswith("--- a/") else ""
        elif line.startswith("+++ "):
            path = line[6:] if line.startswith("+++ b/") else before  # a deleted file: its pins go
        elif line[:1] in "+-" and not line.startswith(("+++", "---")) and path:
            pin = PIN.match(line[1:])
            if pin and pin[1].lower() in only:
                version = pin[2] if line[0] == "+" else None
                rows.append((path, pin[1].lower(), version, sha, when))
    # A line removed and added in the same commit is an update: keep the added version.
    added = {(p, n, s) for p, n, v, s, _ in rows if v is not None}
    return [r for r in rows if r[2] is not None or (r[0], r[1], r[3]) not in added]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", type=Path)
    parser.add_argument("--glob", default="requirements/*.txt")
    parser.add_argument("--only", required=True, help="comma-separated PyPI names to ask about")
    parser.add_argument("--db", type=Path)
    parser.add_argument(
        "--as-of", type=date.fromisoformat, help="the day to measure (default today)"
    )
    args = parser.parse_args()
    only = {n.strip().lower() for n in args.only.split(",")}
    db = args.db or Path(tempfile.mkdtemp()) / "deps.duckdb"
    repo_id = f"local:{args.repo.name if args.repo.name != 'repo' else args.repo.parent.name}"
    started = time.perf_counter()
    found = changes(args.repo, args.glob, only)
    with Store.open(db) as store:
        store.insert(
            "dependency_changes",
            ["repo_id", "path", "ecosystem", "package", "version", "direct", "sha", "changed_at"],
            [(repo_id, p, "PyPI", n, v, None, s, w) for p, n, v, s, w in found],
        )
        until = datetime.combine(args.as_of, datetime.max.time()) if args.as_of else datetime.max
        outcome = refresh(store, default_client(), in_use_at=until)
        risk = dependency_risk(store, Config(), as_of=args.as_of)
    took = time.perf_counter() - started
    print(f"{len(found)} pin changes read; {outcome.releases_fetched} packages' releases fetched; "
          f"{took:.1f} s", file=sys.stderr)  # fmt: skip
    sections = {name: getattr(risk, name).to_json()
                for name in ("freshness", "vulnerabilities", "time_to_patch")}  # fmt: skip
    print(json.dumps({**sections, "not_refreshed": outcome.not_refreshed}, indent=2))


if __name__ == "__main__":
    main()
