"""Freshness and known vulnerabilities (issue 20): registries and OSV answers shaped as their
documented APIs, served by fakes; the inventory's rows inserted as ktlo's inventory writes them."""

from __future__ import annotations

import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from ktlo.cli import main
from ktlo.config import Config
from ktlo.ingest.dependency_risk import load_export, refresh, store_releases
from ktlo.metrics.dependency_risk import dependency_risk
from ktlo.metrics.severity import band, cvss3_score
from ktlo.metrics.versions import compare, is_prerelease
from ktlo.sources import registries
from ktlo.sources.http import ApiClient
from ktlo.sources.osv import read_advisory
from ktlo.store import Store
from tests.fake_api import FakeTime
from tests.registries_fake import ADVISORIES, FakeOsv, FakeRegistries, advisory

PAYMENTS = "github.com/acme/payments"
SHOP = "github.com/acme/shop"
CONFIG = Config.model_validate(
    {"teams": [{"name": "payments", "repositories": ["acme/payments"]},
               {"name": "storefront", "repositories": ["acme/shop"]}]}
)  # fmt: skip
NOW = datetime(2024, 6, 15, 12, 0)


def clients(fake: FakeRegistries | FakeOsv, clock: FakeTime | None = None):  # type: ignore[no-untyped-def]
    """A client factory whose requests all go to `fake`, waiting on a fake clock."""
    clock = clock or FakeTime()

    def make(source: str, base_url: str) -> ApiClient:
        return ApiClient(source, base_url, transport=httpx2.MockTransport(fake.handle),
                         sleep=clock.sleep, clock=clock.time, concurrency=1)  # fmt: skip

    return make


def change(store: Store, repo: str, path: str, eco: str, pkg: str, version: str | None,
           sha: str, when: str) -> None:  # fmt: skip
    at = datetime.fromisoformat(when)  # a linear history: the chain's order is the clock's
    store.insert(
        "dependency_changes",
        ["repo_id", "path", "ecosystem", "package", "version", "direct", "sha", "changed_at",
         "step"],
        [(repo, path, eco, pkg, version, True, sha, at, int(at.timestamp()))],
    )  # fmt: skip


def history(store: Store) -> None:
    """payments patched one requests advisory and still carries another; shop lags on lodash."""
    change(
        store, PAYMENTS, "requirements.txt", "PyPI", "requests", "2.28.0", "a1", "2023-01-10T09:00"
    )
    change(
        store,
        PAYMENTS,
        "requirements.txt",
        "PyPI",
        "requests",
        "2.31.0",
        "a2",
        "2023-05-25T09:36:32",
    )
    change(store, PAYMENTS, "requirements.txt", "PyPI", "flask", "2.0.0", "a1", "2023-01-10T09:00")
    change(store, PAYMENTS, "requirements.txt", "PyPI", "flask", None, "a3", "2023-02-01T09:00")
    change(store, SHOP, "package-lock.json", "npm", "lodash", "4.17.20", "b1", "2020-09-01T10:00")


# -- version order and severity ------------------------------------------------------------


def test_semver_precedence_follows_the_specification() -> None:
    # semver.org, item 11: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta
    # < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0
    order = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
             "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0", "2.0.0"]  # fmt: skip
    for eco in ("npm", "crates.io", "Go"):
        assert all(compare(eco, a, b) == -1 for a, b in zip(order, order[1:], strict=False))
    assert compare("Go", "v1.3.2", "1.3.2") == 0
    assert compare("npm", "1.0.0+build.5", "1.0.0") == 0
    assert compare("Go", "v0.0.0-20230101000000-abcdef123456", "v0.1.0") == -1
    assert compare("npm", "^1.2.0", "1.2.0") is None


def test_pypi_rubygems_and_maven_order_their_own_way() -> None:
    assert compare("PyPI", "2.0rc1", "2.0") == -1 and compare("PyPI", "2.0.post1", "2.0") == 1
    assert compare("PyPI", "1.10", "1.9") == 1 and compare("PyPI", "2.0", "2.0.0") == 0
    assert (
        compare("RubyGems", "3.0.0.beta1", "3.0.0") == -1
        and compare("RubyGems", "2.2", "2.2.0") == 0
    )
    assert compare("Maven", "33.2.1-jre", "33.0.0-jre") == 1
    assert (
        compare("Maven", "5.3.1.RELEASE", "5.3.1") == 0 and compare("Maven", "1.0-rc1", "1.0") == -1
    )
    assert is_prerelease("PyPI", "3.0.0b1") and is_prerelease("RubyGems", "3.0.0.beta1")
    assert not is_prerelease("Maven", "33.2.1-jre") and is_prerelease("Maven", "33.0.0-rc1-jre")
    assert compare("Maven", "33.2.1-jre", "33.2.1") == 1  # an unknown qualifier comes after
    assert is_prerelease("npm", "1.0.0-rc.1") and not is_prerelease("npm", "1.0.0")


def test_cvss_v3_scores_and_bands_match_the_specification() -> None:
    assert cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H") == 9.8
    assert cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H") == 10.0
    assert cvss3_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N") == 6.1
    assert cvss3_score("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H") == 7.2
    assert cvss3_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N") == 0.0
    assert cvss3_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:N/SA:N") is None
    assert [band(s) for s in (9.0, 8.9, 7.0, 6.9, 4.0, 3.9, 0.1, 0.0)] == [
        "critical", "high", "high", "medium", "medium", "low", "low", None]  # fmt: skip


def test_an_advisory_reads_its_ranges_and_falls_back_to_the_databases_word() -> None:
    high = read_advisory(advisory("GHSA-35jh-r3h4-6jhm"))
    assert (high.severity, high.score, high.aliases) == ("high", 7.2, ("CVE-2021-23337",))
    redos = read_advisory(advisory("GHSA-29mw-wpgm-hmr9"))  # only a CVSS v4 vector
    assert (redos.severity, redos.score) == ("medium", None)
    assert [(a.range_type, a.introduced, a.fixed, a.versions) for a in redos.affects] == [
        ("SEMVER", "4.0.0", "4.17.21", ()), ("VERSIONS", None, None, ("4.17.20",))]  # fmt: skip
    assert read_advisory(advisory("GHSA-p6mc-m468-83gw")).withdrawn == datetime(
        2020, 7, 30, 18, 5, 51
    )


# -- registries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "name", "expected"),
    [
        (registries.pypi_releases, "requests",
         {("2.28.0", "2022-06-09T14:44:35.143564", False), ("2.31.0", "2023-05-22T15:12:42.313790", False),
          ("2.32.0", "2024-05-20T15:08:31.904614", True), ("2.32.3", "2024-05-29T15:37:47.027329", False),
          ("3.0.0b1", "2024-06-10T09:00:00", False), ("0.0.1", None, False)}),
        (registries.npm_releases, "lodash",
         {("4.17.19", "2020-07-08T17:14:40.866000", True), ("4.17.20", "2020-08-13T16:53:54.152000", False),
          ("4.17.21", "2021-02-20T15:42:16.891000", False)}),
        (registries.crates_releases, "serde",
         {("1.0.203", "2024-05-25T17:20:22.153041", False), ("1.0.200", "2024-05-01T01:31:04.417520", True),
          ("1.0.150", "2022-12-11T21:59:50.263913", False)}),
        (registries.go_releases, "github.com/BurntSushi/toml",
         {("v1.2.1", "2022-10-09T12:54:17", False), ("v1.3.0", "2023-05-26T12:12:00", False),
          ("v1.3.2", "2023-06-08T06:47:55", False)}),
        (registries.rubygems_releases, "rack",
         {("3.0.8", "2023-06-14T22:45:53.231000", False), ("3.0.0.beta1", "2022-08-08T20:40:33", False),
          ("2.2.7", "2023-04-24T23:34:03", False)}),
        (registries.maven_releases, "com.google.guava:guava",
         {("33.2.1-jre", "2024-06-03T21:43:20", False), ("33.0.0-jre", "2023-12-21T21:10:00", False),
          ("32.1.3-jre", "2023-10-03T13:50:00", False)}),
        (registries.packagist_releases, "monolog/monolog",
         {("3.6.0", "2024-04-12T21:02:21", False), ("3.5.0", "2023-10-27T15:32:31", False),
          ("2.9.3", "2024-04-12T20:52:51", False)}),
    ],
)  # fmt: skip
def test_each_registry_dates_every_release(reader, name, expected, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(registries, "MAVEN_ROWS", 2)  # Maven Central's pages: 2 requests for 3
    fake = FakeRegistries()
    with clients(fake)("registry", "https://registry.test") as client:
        found = reader(client, name)
    assert {
        (r.version, r.released_at.isoformat() if r.released_at else None, r.yanked) for r in found
    } == expected
    if reader is registries.maven_releases:
        assert [r.split("start=")[1][:1] for r in fake.requests] == ["0", "2"]
    if reader is registries.go_releases:  # upper case escaped as the proxy protocol says
        assert fake.requests[0] == "GET /github.com/!burnt!sushi/toml/@v/list"


def test_a_429_from_a_registry_waits_as_asked_then_stores_the_releases(store: Store) -> None:
    history(store)
    fake = FakeRegistries()
    fake.fail("/pypi/requests/json", (429, {"Retry-After": "7"}, {"message": "Too Many Requests"}))
    clock = FakeTime()
    outcome = refresh(store, clients(fake, clock), now=NOW, ask_osv=False)
    assert clock.sleeps == [7.0]
    assert outcome.not_refreshed == [] and outcome.releases_fetched == 2
    dated = store.query(
        "SELECT version FROM package_releases WHERE package = 'requests' ORDER BY version"
    )
    assert [r["version"] for r in dated] == [
        "0.0.1",
        "2.28.0",
        "2.31.0",
        "2.32.0",
        "2.32.3",
        "3.0.0b1",
    ]
    # Fresh for a day: a second run asks nothing.
    before = len(fake.requests)
    refresh(store, clients(fake, clock), now=NOW, ask_osv=False)
    assert len(fake.requests) == before


def test_releases_through_a_real_local_server(httpserver: HTTPServer, store: Store) -> None:
    fake = FakeRegistries()
    httpserver.expect_request(__import__("re").compile(".*")).respond_with_handler(
        fake.werkzeug_handler
    )
    change(store, SHOP, "package-lock.json", "npm", "lodash", "4.17.20", "b1", "2020-09-01T10:00")
    make = lambda source, url: ApiClient(source, url, concurrency=1)  # noqa: E731
    outcome = refresh(store, make, now=NOW, urls={"npm": httpserver.url_for("/")}, ask_osv=False)
    assert outcome.releases_fetched == 1
    assert fake.headers_seen[0]["user-agent"] == "ktlo"


# -- OSV ---------------------------------------------------------------------------------------


def test_osv_querybatch_reads_every_page_and_each_advisory_once(store: Store) -> None:
    history(store)
    osv = FakeOsv(page_size=1)
    outcome = refresh(store, clients(osv), now=NOW, urls={})
    batches = [b for b in osv.bodies if b and "queries" in b]
    # flask (used once), lodash and requests: first page of all three, then only those with more
    assert [len(b["queries"]) for b in batches] == [3, 2, 1]  # lodash has 3, requests 2
    assert [q.get("page_token") for q in batches[1]["queries"]] == ["1", "1"]
    stored = {r["advisory_id"] for r in store.query("SELECT advisory_id FROM advisories")}
    assert stored == set(ADVISORIES)
    assert outcome.advisories_fetched == 5
    assert sum(1 for r in osv.requests if r.startswith("GET /v1/vulns/")) == 5
    # Asked again after a day: nothing has changed, so no advisory is read again.
    refresh(store, clients(osv), now=datetime(2024, 6, 17), urls={})
    assert sum(1 for r in osv.requests if r.startswith("GET /v1/vulns/")) == 5


def test_unreachable_registries_and_osv_are_named_and_the_cache_still_answers(store: Store) -> None:
    history(store)
    store_releases(store, "npm", "lodash", [registries.Release("4.17.20", datetime(2020, 8, 13)),
                                            registries.Release("4.17.21", datetime(2021, 2, 20))],
                   datetime(2024, 1, 1))  # fmt: skip

    def down(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ConnectError("network is unreachable", request=request)

    clock = FakeTime()

    def make(source: str, base_url: str) -> ApiClient:
        return ApiClient(source, base_url, transport=httpx2.MockTransport(down), attempts=2,
                         sleep=clock.sleep, clock=clock.time)  # fmt: skip

    outcome = refresh(store, make, now=NOW)
    assert [n.split(" (")[0] for n in outcome.not_refreshed] == [
        "PyPI: 1 packages not refreshed", "npm: 1 packages not refreshed", "OSV: 3 packages not checked"]  # fmt: skip
    doc = dependency_risk(store, CONFIG, as_of=date(2024, 6, 15))
    shop = next(r for r in doc.freshness.repositories if r.repo_id == SHOP)
    assert shop.totals.versions_behind == 1 and shop.totals.libyears == 0.52
    assert doc.freshness.not_dated == ["PyPI requests"]
    assert doc.vulnerabilities.unchecked == ["PyPI requests", "npm lodash"]


def export_zip(tmp_path: Path) -> Path:
    path = tmp_path / "all.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for advisory_id in ADVISORIES:
            archive.writestr(f"{advisory_id}.json", json.dumps(advisory(advisory_id)))
        other = {**advisory("GHSA-35jh-r3h4-6jhm"), "id": "GHSA-xxxx-unused"}
        other["affected"] = [
            {**other["affected"][0], "package": {"ecosystem": "npm", "name": "left-pad"}}
        ]
        archive.writestr("GHSA-xxxx-unused.json", json.dumps(other))
    return path


# -- the figures -------------------------------------------------------------------------------


def stocked(store: Store, tmp_path: Path) -> None:
    """The history, the registries' dates as recorded, and OSV's export."""
    history(store)
    refresh(store, clients(FakeRegistries()), now=NOW, ask_osv=False)
    assert load_export(store, export_zip(tmp_path), NOW) == 5  # left-pad's is not kept
    store.insert(
        "work_items",
        ["item_id", "source", "kind", "repo_id", "external_id", "title", "body", "is_bot",
         "created_at", "labels", "refs"],
        [(f"git:commit:{PAYMENTS}:a2", "git", "commit", PAYMENTS, "a2",
          "Bump requests to 2.31.0", "Fixes cve-2023-32681 (proxy auth leak)", False,
          datetime(2023, 5, 25, 9, 36), [], [])],
    )  # fmt: skip
    store.insert(
        "verdicts",
        [
            "item_id",
            "investment",
            "subcategory",
            "confidence",
            "reasons",
            "classifier",
            "classified_at",
        ],
        [(f"git:commit:{PAYMENTS}:a2", "ktlo", "security", 0.9, ["cve"], "test", NOW)],
    )


def test_libyears_and_versions_behind_per_repository_and_team(store: Store, tmp_path: Path) -> None:
    stocked(store, tmp_path)
    doc = dependency_risk(store, CONFIG, as_of=date(2024, 6, 15)).freshness
    payments = next(r for r in doc.repositories if r.repo_id == PAYMENTS)
    (requests,) = payments.packages  # flask was removed
    # 2.31.0 (2023-05-22) against 2.32.3 (2024-05-29): 2.32.0 is yanked, 3.0.0b1 a pre-release
    assert (requests.latest, requests.versions_behind) == ("2.32.3", 1)
    days = (
        datetime(2024, 5, 29, 15, 37, 47, 27329) - datetime(2023, 5, 22, 15, 12, 42, 313790)
    ).total_seconds() / 86400
    assert requests.libyears == round(days / 365.25, 4)
    shop = next(r for r in doc.repositories if r.repo_id == SHOP)
    assert shop.packages[0].latest == "4.17.21" and shop.totals.versions_behind == 1
    assert [(t.team, t.repositories) for t in doc.teams] == [("payments", 1), ("storefront", 1)]
    assert doc.totals.libyears == round(requests.libyears + shop.packages[0].libyears, 2)


def test_open_vulnerabilities_time_to_patch_and_the_security_work_that_closed_one(
    store: Store, tmp_path: Path
) -> None:
    stocked(store, tmp_path)
    risk = dependency_risk(store, CONFIG, as_of=date(2024, 6, 15), with_effort=False)
    doc, ttp = risk.vulnerabilities, risk.time_to_patch
    assert [(v.repo_id, v.advisory_id, v.severity, v.fixed_in) for v in doc.open] == [
        (SHOP, "GHSA-35jh-r3h4-6jhm", "high", "4.17.21"),
        (SHOP, "GHSA-29mw-wpgm-hmr9", "medium", "4.17.21"),
        (PAYMENTS, "GHSA-9wx4-h78v-vm56", "medium", "2.32.0"),
    ]  # the withdrawn lodash advisory counts for nothing
    shop = next(r for r in doc.repositories if r.repo_id == SHOP)
    assert (shop.open.high, shop.open.medium) == (1, 1)
    (patch,) = ttp.patches
    assert (patch.advisory_id, patch.from_version, patch.to_version, patch.sha) == (
        "GHSA-j8r2-6x86-q33q",
        "2.28.0",
        "2.31.0",
        "a2",
    )
    assert patch.days_to_patch == 2.54  # published 2023-05-22 20:36:32, patched 2023-05-25 09:36:32
    assert patch.items == [f"git:commit:{PAYMENTS}:a2"]
    assert ttp.totals.patches == 1 and ttp.totals.median_days == 2.54
    assert next(t for t in doc.teams if t.team == "payments").open.medium == 1
    assert next(t for t in ttp.teams if t.team == "payments").totals.patches == 1


def test_a_team_sees_only_its_repositories(store: Store, tmp_path: Path) -> None:
    stocked(store, tmp_path)
    doc = dependency_risk(store, CONFIG, team="storefront", as_of=date(2024, 6, 15))
    assert [r.repo_id for r in doc.freshness.repositories] == [SHOP]
    assert {v.repo_id for v in doc.vulnerabilities.open} == {
        SHOP
    } and doc.time_to_patch.patches == []


def test_ktlo_deps_offline_with_an_export_has_the_four_sections(tmp_path: Path) -> None:
    db = tmp_path / "ktlo.duckdb"
    with Store.open(db) as store:
        history(store)
        refresh(store, clients(FakeRegistries()), now=NOW, ask_osv=False)
    config = tmp_path / "ktlo.toml"
    config.write_text('[[teams]]\nname = "payments"\nrepositories = ["acme/payments"]\n')
    args = ["deps", "--offline", "--osv-export", str(export_zip(tmp_path)), "--db", str(db),
            "--config", str(config)]  # fmt: skip
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["schema"] == "ktlo.deps/v1"
    assert [r["repo_id"] for r in doc["inventory"]["repositories"]] == [PAYMENTS, SHOP]
    assert doc["not_refreshed"] == ["offline: no registry nor OSV was asked"]
    assert len(doc["vulnerabilities"]["open"]) == 3 and doc["vulnerabilities"]["unchecked"] == []
    assert doc["time_to_patch"]["totals"]["patches"] == 1
    assert doc["time_to_patch"]["patches"][0]["advisory_id"] == "GHSA-j8r2-6x86-q33q"
    shop = next(r for r in doc["freshness"]["repositories"] if r["repo_id"] == SHOP)
    assert shop["totals"]["libyears"] == 0.52
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0 and "GHSA-35jh-r3h4-6jhm" in text.stdout
    assert "Not refreshed: offline" in text.stdout and "Time to patch: median 2.5" in text.stdout
    rows = CliRunner().invoke(main, [*args, "--csv"]).stdout.splitlines()
    assert rows[0].endswith(",sha,latest,libyears,versions_behind,open_advisories")
    (lodash,) = [r for r in rows if ",lodash," in r]
    assert lodash.startswith(f"{SHOP},,package-lock.json,npm,lodash,4.17.20,")
    assert lodash.endswith(
        ",b1,4.17.21,0.5228,1,GHSA-35jh-r3h4-6jhm (high);GHSA-29mw-wpgm-hmr9 (medium)"
    )
    unknown = CliRunner().invoke(main, [*args, "--team", "nobody"])
    assert unknown.exit_code == 1 and "Error: unknown team 'nobody'" in unknown.output


def test_as_of_a_past_day_only_what_was_released_and_published_by_then(
    store: Store, tmp_path: Path
) -> None:
    stocked(store, tmp_path)
    doc = dependency_risk(store, CONFIG, as_of=date(2024, 1, 1))
    payments = next(r for r in doc.freshness.repositories if r.repo_id == PAYMENTS)
    (requests,) = payments.packages
    assert (requests.latest, requests.libyears, requests.versions_behind) == ("2.31.0", 0.0, 0)
    # GHSA-9wx4-h78v-vm56 was published on 2024-05-20: not open yet
    assert {v.advisory_id for v in doc.vulnerabilities.open if v.repo_id == PAYMENTS} == set()
    before = dependency_risk(store, CONFIG, as_of=date(2023, 5, 24))
    assert before.time_to_patch.patches == [] and [v.advisory_id for v in before.vulnerabilities.open if v.repo_id == PAYMENTS] == [
        "GHSA-j8r2-6x86-q33q"]  # fmt: skip


def test_a_version_no_rule_orders_is_matched_against_the_explicit_list() -> None:
    from ktlo.metrics.vulnerabilities import Range, is_affected

    listed = [Range("VERSIONS", None, None, None, ("2.0.0-custom+build",)),
              Range("ECOSYSTEM", "0", "1.5", None, ())]  # fmt: skip
    assert is_affected("RubyGems", "1.2", listed) and not is_affected("RubyGems", "1.5", listed)
    assert is_affected("RubyGems", "2.0.0-custom+build", listed)
    assert not is_affected("RubyGems", "main", listed)  # a branch name: no order, not listed


def test_a_file_that_is_not_an_export_is_one_clear_error(tmp_path: Path) -> None:
    from ktlo.errors import InputError

    bad = tmp_path / "all.zip"
    bad.write_text("not a zip")
    with (
        Store.open(tmp_path / "s.duckdb") as store,
        pytest.raises(InputError, match="not an OSV export"),
    ):
        load_export(store, bad)


def test_an_advisory_spelling_a_pypi_name_its_own_way_still_matches(
    store: Store, tmp_path: Path
) -> None:
    # OSV keeps the advisory's spelling (GHSA-h75v-3vvj-5mfj names `Jinja2`); the inventory
    # writes PEP 503 names. They are one package.
    change(
        store, PAYMENTS, "requirements/dev.txt", "PyPI", "jinja2", "3.1.3", "c1", "2024-01-20T10:00"
    )
    change(
        store,
        PAYMENTS,
        "requirements/dev.txt",
        "PyPI",
        "jinja2",
        "3.1.4",
        "c2",
        "2024-05-07T14:20:59",
    )
    record = {
        **advisory("GHSA-9wx4-h78v-vm56"),
        "id": "GHSA-h75v-3vvj-5mfj",
        "published": "2024-05-06T14:20:59Z",
    }
    record["affected"] = [{"package": {"ecosystem": "PyPI", "name": "Jinja2"},
                           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1.4"}]}]}]  # fmt: skip
    path = tmp_path / "PyPI.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("GHSA-h75v-3vvj-5mfj.json", json.dumps(record))
    assert load_export(store, path, NOW) == 1
    risk = dependency_risk(store, CONFIG, as_of=date(2024, 6, 1))
    assert [(p.advisory_id, p.from_version, p.to_version, p.days_to_patch) for p in risk.time_to_patch.patches] == [
        ("GHSA-h75v-3vvj-5mfj", "3.1.3", "3.1.4", 1.0)]  # fmt: skip
    assert risk.vulnerabilities.unchecked == []


def test_with_no_inventory_it_says_so_instead_of_zero_libyears(tmp_path: Path) -> None:
    """An empty inventory printed a table header and `libyears 0.0`: a zero meaning unknown."""
    db = str(tmp_path / "ktlo.duckdb")
    Store.open(tmp_path / "ktlo.duckdb").close()
    shown = CliRunner().invoke(main, ["deps", "--offline", "--db", db])
    assert shown.exit_code == 0, shown.output
    assert "No dependencies found" in shown.stdout and "libyears" not in shown.stdout
    assert "every section is empty, not zero" in shown.stderr
    doc = json.loads(CliRunner().invoke(main, ["deps", "--offline", "--db", db, "--json"]).stdout)
    assert any("no manifest or lockfile" in n for n in doc["notes"])
    assert doc["freshness"]["totals"]["packages"] == 0


def test_one_commit_moving_a_manifest_and_its_lockfile_is_one_patch(
    store: Store, tmp_path: Path
) -> None:
    stocked(store, tmp_path)
    for version, sha, when in (("2.28.0", "a1", "2023-01-10T09:00"),
                               ("2.31.0", "a2", "2023-05-25T09:36:32")):  # fmt: skip
        change(store, PAYMENTS, "poetry.lock", "PyPI", "requests", version, sha, when)
    ttp = dependency_risk(store, CONFIG, as_of=date(2024, 6, 15), with_effort=False).time_to_patch
    assert [(p.advisory_id, p.sha) for p in ttp.patches] == [("GHSA-j8r2-6x86-q33q", "a2")]
    assert ttp.totals.patches == 1


def test_a_range_no_lockfile_pins_is_unknown_not_free_of_advisories(tmp_path: Path) -> None:
    """express's package.json says `^2.2.1`: it was matched against nothing and shown as 0."""
    db = tmp_path / "ranges.duckdb"
    with Store.open(db) as store:
        stocked(store, tmp_path)
        change(store, SHOP, "package.json", "npm", "lodash", "^4.17.0", "b2", "2020-09-02T10:00")
        store.con.execute("DELETE FROM dependency_changes WHERE path = 'package-lock.json'")
        doc = dependency_risk(store, CONFIG, as_of=date(2024, 6, 15), with_effort=False)
    assert [v.repo_id for v in doc.vulnerabilities.open] == [PAYMENTS]  # no version to match
    assert doc.vulnerabilities.unpinned == ["npm lodash ^4.17.0"]
    shown = CliRunner().invoke(
        main, ["deps", "--offline", "--db", str(db), "--as-of", "2024-06-15"]
    )
    assert shown.exit_code == 0, shown.output
    assert "not matched against advisories: 1 packages" in shown.output


def test_a_go_pseudo_version_is_dated_by_the_commit_time_it_carries() -> None:
    """The Go proxy lists tagged releases only: a pseudo-version had no release date, so no
    libyears. Its own time (go.dev/ref/mod#pseudo-versions) dates it."""
    from ktlo.metrics.dependency_risk import InUse, ReleaseRow, package_freshness

    releases = [ReleaseRow("v0.3.0", datetime(2023, 1, 2, 15, 4, 5), False),
                ReleaseRow("v0.4.0", datetime(2024, 1, 2, 15, 4, 5), False)]  # fmt: skip
    used = InUse("github.com/a/b", "Go", "golang.org/x/text",
                 "v0.3.1-0.20230102150405-abcdef123456", ("go.mod",))  # fmt: skip
    fresh = package_freshness(used, releases)
    assert fresh.released_at == "2023-01-02T15:04:05"
    # 2023-01-02 to 2024-01-02 is 365 days: 365 / 365.25 = 0.9993 libyears, one release behind
    assert (fresh.latest, fresh.libyears, fresh.versions_behind) == ("v0.4.0", 0.9993, 1)


def test_a_manifest_range_its_lockfile_pins_is_matched_through_the_lockfile(
    store: Store, tmp_path: Path
) -> None:
    """prometheus: 113 of 116 manifest ranges were listed as unmatched although the
    repository's lockfile pins each of them."""
    stocked(store, tmp_path)
    change(store, SHOP, "package.json", "npm", "lodash", "^4.17.0", "b2", "2020-09-02T10:00")
    doc = dependency_risk(store, CONFIG, as_of=date(2024, 6, 15), with_effort=False)
    assert doc.vulnerabilities.unpinned == []
    assert {v.advisory_id for v in doc.vulnerabilities.open if v.repo_id == SHOP} == {
        "GHSA-35jh-r3h4-6jhm", "GHSA-29mw-wpgm-hmr9"}  # fmt: skip
