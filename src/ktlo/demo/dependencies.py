"""The demo's dependencies: real lockfiles in its repositories, and a vulnerability story.

Each repository locks a handful of libraries that exist only in this demo (their release
dates are demo data below, never asked of a registry): the Python services pin them in
`requirements.txt`, the web and mobile apps in `package.json` and `package-lock.json` (v3).
Every dependency commit of the demo's history rewrites those files: an advisory published
since the last one is answered first (the affected library to its newest release), else
the library whose version is oldest moves one release on. The story:

- payments' dependency wave (August to October) answers GHSA-demo-2026-0001, a critical
  advisory in `paykit`, within two weeks of its publication: a person's commit names the
  advisory, so its `security` work and person-days are linked to the patch (time to patch,
  `ktlo deps`);
- search's indexer lags: it pins `yamlette` below the fix of GHSA-demo-2026-0002 (high)
  and never moves it, while platform's infra patches the same advisory within days;
- the web and mobile apps answer GHSA-demo-2026-0003 (medium, `datewise`) on their cadence.

`seed_registry_cache` writes the release dates into the store and `write_osv_export` the
advisories as an OSV export zip, so `ktlo deps --offline --osv-export` shows them with no
network. The identifiers hold letters no real GHSA id has (`demo`): they name nothing real.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ktlo.demo.organisation import END

if TYPE_CHECKING:
    from ktlo.demo.history import DemoCommit
    from ktlo.store import Store

OSV_EXPORT = "osv-demo.zip"  # under exports/
FIRST_RELEASE = date(2024, 6, 3)
BEHIND_AT_START = timedelta(days=200)  # a repository's first lockfile is this far behind
#: Demo data, never stale: an online `ktlo deps` on the demo would otherwise ask the
#: registries about libraries that exist only here and replace these dates with "not found".
CACHED_AT = datetime(9999, 12, 31)


@dataclass(frozen=True, slots=True)
class Library:
    ecosystem: str
    name: str
    every: int  # days between two releases
    phase: int  # days after FIRST_RELEASE of its first one
    major: int


LIBRARIES = {
    lib.name: lib
    for lib in (
        Library("PyPI", "paykit", 16, 3, 2), Library("PyPI", "ledgerly", 23, 9, 1),
        Library("PyPI", "tinyhttp", 12, 1, 0), Library("PyPI", "cryptokit", 19, 5, 3),
        Library("PyPI", "retrykit", 27, 11, 1), Library("PyPI", "jsonspeed", 14, 4, 4),
        Library("PyPI", "sqlwing", 21, 7, 2), Library("PyPI", "logbridge", 17, 2, 1),
        Library("PyPI", "yamlette", 25, 6, 5), Library("PyPI", "dateparse2", 31, 13, 2),
        Library("npm", "fetchy", 11, 2, 3), Library("npm", "datewise", 15, 8, 2),
        Library("npm", "cardform", 18, 4, 1), Library("npm", "statebox", 20, 10, 4),
        Library("npm", "uuidish", 29, 3, 9), Library("npm", "formguard", 16, 6, 0),
        Library("npm", "tinyrouter", 22, 12, 5), Library("npm", "i18n-lite", 26, 1, 2),
        Library("npm", "chartlet", 13, 9, 3), Library("npm", "iconset-x", 10, 5, 7),
    )
}  # fmt: skip

REPOSITORIES = {
    "payments-api": ("paykit", "ledgerly", "tinyhttp", "cryptokit", "retrykit", "jsonspeed",
                     "sqlwing", "logbridge"),
    "checkout-web": ("fetchy", "cardform", "datewise", "statebox", "uuidish", "formguard",
                     "tinyrouter", "i18n-lite"),
    "search-service": ("tinyhttp", "jsonspeed", "sqlwing", "logbridge", "retrykit", "dateparse2"),
    "indexer": ("yamlette", "jsonspeed", "tinyhttp", "cryptokit", "logbridge", "dateparse2"),
    "infra": ("yamlette", "retrykit", "tinyhttp", "logbridge", "dateparse2"),
    "ci-tools": ("fetchy", "uuidish", "chartlet", "iconset-x", "i18n-lite"),
    "mobile-app": ("fetchy", "datewise", "statebox", "chartlet", "iconset-x", "i18n-lite",
                   "tinyrouter"),
}  # fmt: skip
PINNED = {("indexer", "yamlette")}  # never moved: the lagging repository


@dataclass(frozen=True, slots=True)
class DemoAdvisory:
    advisory_id: str
    library: str
    fixed: str  # a release of the library, out before the advisory (coordinated disclosure)
    published: datetime
    vector: str
    summary: str


ADVISORIES = (
    DemoAdvisory("GHSA-demo-2026-0001", "paykit", "2.8.2", datetime(2026, 8, 15, 18),
                 "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:N",
                 "paykit: a crafted webhook signature is accepted (demo advisory)"),
    DemoAdvisory("GHSA-demo-2026-0002", "yamlette", "5.4.5", datetime(2026, 6, 5, 9),
                 "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                 "yamlette: unbounded alias expansion exhausts memory (demo advisory)"),
    DemoAdvisory("GHSA-demo-2026-0003", "datewise", "2.7.1", datetime(2026, 3, 19, 16),
                 "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N",
                 "datewise: locale names reach a regular expression unescaped (demo advisory)"),
)  # fmt: skip


def releases(lib: Library) -> list[tuple[str, datetime]]:
    """Every release of `lib` up to the demo's last day: a patch each time, a minor every
    sixth."""
    out = []
    day, minor, patch, count = FIRST_RELEASE + timedelta(days=lib.phase), 0, 0, 0
    while day <= END:
        out.append((f"{lib.major}.{minor}.{patch}", datetime.combine(day, time(14))))
        count += 1
        minor, patch = (minor + 1, 0) if count % 6 == 0 else (minor, patch + 1)
        day += timedelta(days=lib.every)
    return out


def with_lockfiles(commits: list[DemoCommit]) -> list[DemoCommit]:
    """`commits` with every dependency commit rewriting its repository's manifest and
    lockfile (its `files`), and payments' patch naming the advisory it answers."""
    out = list(commits)
    by_repo: dict[str, list[int]] = {}
    for i in sorted(range(len(commits)), key=lambda i: (commits[i].when, i)):
        if commits[i].sub == "dependency" and commits[i].repo in REPOSITORIES:
            by_repo.setdefault(commits[i].repo, []).append(i)
    for repo, indexes in by_repo.items():
        state = _Locked(repo, commits[indexes[0]].when)
        for i in indexes:
            # payments answers its advisory in a person's commit of its own (no issue, so its
            # effort is the patch's), which names it
            own = commits[i].change.issue is None and not commits[i].author[0].endswith("[bot]")
            answer = repo != "payments-api" or own
            bump = state.bump(commits[i].when, answer)
            commit = replace(commits[i], edits=(), files=state.files())
            if bump is not None and repo == "payments-api":
                commit = replace(commit, message=_patch_message(*bump))
            out[i] = commit
    return out


def _patch_message(library: str, before: str, after: str, advisory: str) -> str:
    return f"fix(deps): bump {library} from {before} to {after} ({advisory})"


class _Locked:
    """One repository's locked versions as its dependency commits move them."""

    def __init__(self, repo: str, first: datetime) -> None:
        self.repo = repo
        self.versions = {
            name: _newest(LIBRARIES[name], first - BEHIND_AT_START) for name in REPOSITORIES[repo]
        }
        self.answered: set[str] = set()
        self.project_version = 0

    def bump(self, when: datetime, answer: bool = True) -> tuple[str, str, str, str] | None:
        """Move one library; (library, from, to, advisory) when it answers an advisory
        (only when `answer`)."""
        for advisory in ADVISORIES if answer else ():
            name = advisory.library
            if (advisory.advisory_id in self.answered or name not in self.versions
                    or (self.repo, name) in PINNED or advisory.published > when):  # fmt: skip
                continue
            self.answered.add(advisory.advisory_id)
            before, after = self.versions[name], _newest(LIBRARIES[name], when)
            if after == before:
                continue
            self.versions[name] = after
            if _release_day(name, before) < _release_day(name, advisory.fixed):
                return name, before, after, advisory.advisory_id
            return None
        waiting = {  # left for the commit that answers the advisory
            a.library for a in ADVISORIES
            if a.advisory_id not in self.answered and a.published <= when
        }  # fmt: skip
        behind = [
            (_release_day(name, version), name)
            for name, version in self.versions.items()
            if (self.repo, name) not in PINNED and name not in waiting
            and _newest(LIBRARIES[name], when) != version
        ]  # fmt: skip
        if behind:
            name = min(behind)[1]
            self.versions[name] = _newest(LIBRARIES[name], when)
        else:  # every library current: the project's own version moves (npm), or a comment
            self.project_version += 1
        return None

    def files(self) -> tuple[tuple[str, str], ...]:
        pinned = sorted(self.versions.items())
        if LIBRARIES[pinned[0][0]].ecosystem == "PyPI":
            lines = [f"# {self.repo}: pinned, upgraded by the dependency bot"]
            lines += [f"# checked {self.project_version}"] if self.project_version else []
            lines += [f"{name}=={version}" for name, version in pinned]
            return (("requirements.txt", "\n".join(lines) + "\n"),)
        return _npm(self.repo, f"1.0.{self.project_version}", pinned)


def _npm(repo: str, version: str, pinned: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    """package.json with exact versions, and its package-lock.json (lockfileVersion 3)."""
    declared = dict(pinned)
    manifest = {"name": repo, "version": version, "private": True, "dependencies": declared}
    packages: dict[str, Any] = {"": {"name": repo, "version": version, "dependencies": declared}}
    for name, v in pinned:
        digest = base64.b64encode(hashlib.sha512(f"{name}@{v}".encode()).digest()).decode()
        packages[f"node_modules/{name}"] = {
            "version": v,
            "resolved": f"https://registry.npmjs.org/{name}/-/{name}-{v}.tgz",
            "integrity": f"sha512-{digest}",
        }
    lock = {"name": repo, "version": version, "lockfileVersion": 3, "requires": True,
            "packages": packages}  # fmt: skip
    return (
        ("package.json", json.dumps(manifest, indent=2) + "\n"),
        ("package-lock.json", json.dumps(lock, indent=2) + "\n"),
    )


def _newest(lib: Library, when: datetime) -> str:
    return [v for v, at in releases(lib) if at <= when][-1]


def _release_day(name: str, version: str) -> date:
    return next(at.date() for v, at in releases(LIBRARIES[name]) if v == version)


def seed_registry_cache(store: Store) -> None:
    """The demo libraries' release dates into the store's registry cache (demo data)."""
    from ktlo.ingest.dependency_risk import store_releases
    from ktlo.sources.registries import Release

    for lib in LIBRARIES.values():
        found = [Release(v, at) for v, at in releases(lib)]
        store_releases(store, lib.ecosystem, lib.name, found, CACHED_AT)


def write_osv_export(path: Path) -> Path:
    """The demo's advisories as an OSV export zip (one JSON record per advisory), byte for
    byte the same for the same code."""
    with zipfile.ZipFile(path, "w") as archive:
        for a in ADVISORIES:
            lib = LIBRARIES[a.library]
            stamp = a.published.strftime("%Y-%m-%dT%H:%M:%SZ")
            record = {
                "schema_version": "1.6.0", "id": a.advisory_id, "published": stamp,
                "modified": stamp, "aliases": [], "summary": a.summary,
                "severity": [{"type": "CVSS_V3", "score": a.vector}],
                "affected": [{"package": {"ecosystem": lib.ecosystem, "name": lib.name},
                              "ranges": [{"type": "ECOSYSTEM", "events": [
                                  {"introduced": "0"}, {"fixed": a.fixed}]}]}],
            }  # fmt: skip
            entry = zipfile.ZipInfo(f"{a.advisory_id}.json", date_time=(2026, 11, 20, 0, 0, 0))
            archive.writestr(entry, json.dumps(record, indent=1))  # the same bytes every run
    return path
