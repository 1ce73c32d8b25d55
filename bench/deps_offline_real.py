"""`ktlo deps --offline` on real repositories' histories, with an OSV export written here.

The export holds a few real, public advisories (their ids, dates, ranges and CVSS vectors
as OSV and the RustSec/GitHub databases publish them) for packages these histories use,
so the vulnerabilities and time-to-patch sections run on data nobody here wrote. Nothing
is fetched: the registries' release dates are not in the store, so freshness says which
packages it could not date.

    .venv/bin/python bench/deps_offline_real.py /work/.mirror/rust-lang+cargo/repo \
        /work/.mirror/expressjs+express/repo /work/.mirror/vitejs+vite/repo
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from ktlo.config import Config
from ktlo.ingest.dependencies import update_inventory
from ktlo.sources import git
from ktlo.store import Store
from ktlo.workflows import DepsOptions, dependencies

CRITICAL = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
HIGH_DOS = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"


def advisory(
    id_: str, published: str, eco: str, name: str, events: list[dict[str, str]],
    aliases: list[str], summary: str, vector: str | None = None, word: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    record: dict[str, Any] = {
        "schema_version": "1.6.0", "id": id_, "modified": published, "published": published,
        "aliases": aliases, "summary": summary,
        "affected": [{"package": {"ecosystem": eco, "name": name},
                      "ranges": [{"type": "SEMVER", "events": events}]}],
    }  # fmt: skip
    if vector:
        record["severity"] = [{"type": "CVSS_V3", "score": vector}]
    if word:
        record["database_specific"] = {"severity": word}
    return record


ADVISORIES = [
    advisory("RUSTSEC-2024-0013", "2024-02-06T12:00:00Z", "crates.io", "libgit2-sys",
             [{"introduced": "0"}, {"fixed": "0.16.2"}], ["CVE-2024-24575", "CVE-2024-24577"],
             "Memory corruption, denial of service, and arbitrary code execution in libgit2",
             CRITICAL),
    advisory("RUSTSEC-2025-0022", "2025-04-04T12:00:00Z", "crates.io", "openssl",
             [{"introduced": "0.10.39"}, {"fixed": "0.10.72"}], ["GHSA-4fcv-w3qc-ppgg"],
             "Use-After-Free in `Md::fetch` and `Cipher::fetch`"),
    advisory("RUSTSEC-2023-0044", "2023-06-20T12:00:00Z", "crates.io", "openssl",
             [{"introduced": "0.10.0"}, {"fixed": "0.10.55"}], ["GHSA-xcf7-rvmh-g6q4"],
             "`openssl` `X509VerifyParamRef::set_host` buffer over-read", word="HIGH"),
    advisory("RUSTSEC-2025-0024", "2025-04-08T12:00:00Z", "crates.io", "crossbeam-channel",
             [{"introduced": "0.5.12"}, {"fixed": "0.5.15"}], ["GHSA-pg9f-39pc-qf8g"],
             "crossbeam-channel: double free on Drop"),
    advisory("GHSA-hrpp-h998-j3pp", "2022-11-26T18:30:28Z", "npm", "qs",
             [{"introduced": "6.9.0"}, {"fixed": "6.9.7"}], ["CVE-2022-24999"],
             "qs vulnerable to Prototype Pollution", HIGH_DOS),
    advisory("GHSA-pxg6-pf52-xh8x", "2024-10-04T20:31:00Z", "npm", "cookie",
             [{"introduced": "0"}, {"fixed": "0.7.0"}], ["CVE-2024-47764"],
             "cookie accepts cookie name, path, and domain with out of bounds characters",
             word="LOW"),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("repos", type=Path, nargs="+")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    export = folder / "all.zip"
    with zipfile.ZipFile(export, "w") as archive:
        for record in ADVISORIES:
            archive.writestr(f"{record['id']}.json", json.dumps(record))
    for path in args.repos:
        with Store.open(folder / f"{path.parent.name}.duckdb") as store:
            started = time.perf_counter()
            update_inventory(store, git.open_repository(path))
            read = time.perf_counter() - started
            doc = dependencies(store, Config(), DepsOptions(offline=True, osv_export=export))
            took = time.perf_counter() - started - read
        _report(path.parent.name, doc, read, took)


def _report(name: str, doc: Any, read: float, took: float) -> None:
    inv, fresh, ttp = doc.inventory, doc.freshness, doc.time_to_patch
    print(f"{name}: {sum(r.packages for r in inv.repositories)} packages in "
          f"{sum(len(r.files) for r in inv.repositories)} files, "
          f"{sum(r.changes for r in inv.repositories)} changes (inventory {read:.1f} s, "
          f"sections {took:.1f} s); dated {fresh.totals.dated}/{fresh.totals.packages}; "
          f"advisories {doc.vulnerabilities.advisories}, open {len(doc.vulnerabilities.open)}, "
          f"unchecked {len(doc.vulnerabilities.unchecked)}; patches {ttp.totals.patches} "
          f"(median {ttp.totals.median_days} d, {ttp.totals.before_publication} before publication)")  # fmt: skip
    for p in ttp.patches:
        print(f"  {p.advisory_id} {p.package} {p.from_version} -> {p.to_version} in {p.path} "
              f"at {p.sha[:10]} {p.patched_at[:10]}: {p.days_to_patch} days")  # fmt: skip
    for v in doc.vulnerabilities.open:
        print(f"  open {v.severity} {v.advisory_id} {v.package} {v.version} in {v.paths}")
    print(f"  not refreshed: {doc.not_refreshed}", file=sys.stderr)


if __name__ == "__main__":
    main()
