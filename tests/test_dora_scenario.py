"""Every DORA definition on tests/dora_scenario.py, each figure worked out by hand from the
peer's own code, and the same figures through the import, saved GitHub and GitLab answers.

Window: March 2026 (`--until 2026-04-01`; March 1 is a Sunday). Times are UTC.

    deployment  service  start        finish       status   head  shipped since the previous
    S0          shop     02-20 10:00  02-20 10:10  success  a0    (shop's first deployment)
    S1          shop     03-03 11:00  03-03 11:20  success  m1    c11 c12 m1      (PR #1)
    S2          shop     03-04 09:00  03-04 09:05  failure  b1    -
    S3          shop     03-04 10:00  03-04 10:15  success  b1    b1  (renovate[bot], pushed to main)
    S4          shop     03-06 17:00  03-06 17:30  success  m3    c21 m2 c31 m3   (#2, #3)
    S5          shop     03-08 09:00  03-08 09:10  success  m4    c41 m4 (#4, the Sunday hotfix)
    S6          shop     03-11 11:00  03-11 11:30  success  m5    c51 m5          (#5)
    S7          shop     03-12 10:00  03-12 10:20  success  m6    r61 m6  (#6 reverts #5)
    S8          shop     03-24 10:00  03-24 10:30  success  m7    c71 m7          (#7)
    T1          search   03-10 10:00  03-10 10:45  success  n1    (search's first deployment)
    T2          search   03-26 13:00  03-26 13:40  success  n2    s21 n2          (search #2)
    no deployment from 03-13 to 03-23 (the week of 03-16 has none); `experiment` (e1, e2) is
    pushed on 03-13 and never merged

    PR        first commit authored/committed  opened  reviews                      merged
    shop #1   c11 03-02 09:00 / 09:30          02 14:00  bob commented 02 16:00,    03 10:00
                                                         carol approved 03 09:00
    shop #2   c21 03-05 10:00 / 03-06 09:00    05 12:00  carol approved 06 10:00    06 11:00
    shop #3   c31 03-06 15:00 / 15:00          06 15:30  -                          06 16:00
    shop #4   c41 03-08 08:00 / 08:00          08 08:10  bob approved 08 08:30      08 08:40
    shop #5   c51 03-10 09:00 / 09:00          10 10:00  carol changes 10 12:00,    11 10:00
                                                         carol approved 11 09:00
    shop #6   r61 03-12 09:00 / 09:00          12 09:05  bob approved 12 09:20      12 09:30
    shop #7   c71 03-23 09:00 / 09:00          23 10:00  bob approved 23 15:00      24 09:00
    search #1 s11 03-09 09:00 / 09:00          09 10:00  dave approved 09 14:00     10 09:00
    search #2 s21 03-25 09:00 / 03-26 08:00    26 09:00  -                          26 12:00

    incident  service  created      resolved     root cause
    I1        shop     03-06 18:00  03-06 20:00  c31
    I2        shop     03-07 09:00  03-07 10:30  -
    I3        shop     03-11 12:00  03-12 10:30  -
    I4        shop     03-25 09:00  open         -
    I5        search   03-26 14:00  03-26 16:00  s21
    I6        shop     03-24 10:15  03-24 10:25  c71   (while S8 was running)

DevLake (apache/incubator-devlake 420e494b; grafana/dashboards/DORA.json "Overall DORA
Metrics", backend/plugins/dora/tasks/*.go). Successful production deployments, by finish.

    frequency  deployment days 03-03, 04, 06, 08, 10, 11, 12, 24, 26. Monday weeks of the
               window's days: Feb 23 (only Mar 1) 0, Mar 2 4, Mar 9 3, Mar 16 0, Mar 23 2,
               Mar 30 0 -> [0,0,0,2,3,4]; max where percent_rank <= 0.5 -> 0. Month: 9.
               2023: week 0 < 1, month 9 >= 1 -> medium. 2021: month >= 1 -> high.
    lead time  prev success by finish (prev_deployment_commit_enricher.go): S1<-S0, S3<-S1,
               S4<-S3 ... T2<-T1; T1 has none. The PR's deployment: the first (by start)
               whose commits since its previous hold the merge sha (change_lead_time_
               calculator.go lines 293-304); search #1 shipped only by T1 -> no deployment.
               minutes = ceil(first commit authored -> opened) + ceil(opened -> merged)
               + ceil(merged -> deployment finished):
               #1 300+1200+80=1580  #2 120+1380+390=1890  #3 30+30+90=150  #4 10+30+30=70
               #5 60+1440+90=1590   #6 5+25+50=80  #7 60+1380+90=1530  search #2 1440+180+100=1720
               sorted 70 80 150 1530 1580 1590 1720 1890: percent_rank <= .5 keeps 4 -> 1530
               = 25.5 h; 2023 high (< 1 week), 2021 high (< 1 week).
    incidents  the latest successful production deployment of the project finished before
               the incident (incident_deploy_connector.go lines 103-116): I1, I2 -> S4;
               I3 -> S6; I6 -> S7 (S8 finished 10:30, after 10:15); I4 -> S8; I5 -> T2.
    CFR        failed S4 S6 S7 S8 T2 / deployments finished in March 9 = 0.5556: low.
    recovery   2023: deployment finished -> resolved, both in the window: I1 150, I2 1020,
               I3 1380, I5 140, I6 17285 (S7 03-12 10:20 -> 03-24 10:25); I4 open.
               sorted 140 150 1020 1380 17285 -> 1020 min = 17 h: high.
               2021: created -> resolved (truncated minutes): 120, 90, 1350, 120, 10 ->
               10 90 120 120 1350 -> 120 = 2 h: high.

fourkeys (dora-team/fourkeys 6cc642e0; queries/*.sql, dashboard/fourkeys_dashboard.json).
A deployment's changes are the commits of the push whose head is the deployed commit
(deployments.sql lines 78-101): S0 {a0}, S1 {c11 c12 m1}, S3 {b1}, S4 {c31 m3} (only the
push of m3: c21 and m2 came in another push), S5 {c41 m4}, S6 {c51 m5}, S7 {r61 m6},
S8 {c71 m7}, T1 {s11 n1}, T2 {s21 n2}. The deployment time is its success status (finish).

    frequency  Sunday weeks: Mar 1-7 {3,4,6} 3 days, Mar 8-14 {8,10,11,12} 4, Mar 15-21 0,
               Mar 22-28 {24,26} 2, Mar 29-31 0. Median days 2 (< 3, not Daily); weeks
               with a deployment [1,1,0,1,0] -> median 1: Weekly (high).
    lead time  deployment finish - commit time, whole minutes, > 0 only: S1 1580 1340 80;
               S3 140; S4 150 90; S5 70 30; S6 1590 90; S7 80 50; S8 1530 90; T1 1545 105;
               T2 1720 100. 18 values, PERCENTILE_CONT: (100 + 105) / 2 = 102.5 min = 1.71 h:
               One day (elite).
    restore    created, or the deployment of its root cause when earlier (incidents.sql line
               5): I1 from S4 17:30 -> 20:00 2 h (truncated); I2 1; I3 22; I5 from T2 13:40 ->
               16:00 2; I6 0 (S8 finished after it began); I4 open. 0 1 2 2 22 -> 2 h: high.
    CFR        (deployment, commit) rows joined to incidents by root cause: (S4,c31) I1,
               (S8,c71) I6, (T2,s21) I5 -> 3 / 9 deployments = 0.3333: 16-45% (medium).

middleware (middlewarehq/middleware 5471e35d). Deployments at their start (conducted_at).

    frequency  9 successful deployments started in March: daily 9 // 31 = 0; weekly 9 // 6
               Monday weeks (Feb 23 .. Mar 30) = 1; monthly 9 -> "1 per week" (high).
    lead time  pull requests merged to main in March, each deployed by the first successful
               deployment of main started at or after its merge (merge_to_deploy):
               first commit (committer time) -> opened (0 if negative) + opened -> first
               review + first review -> first approval (0 if the first approved) + first
               approval -> merge + merge -> deployment start, seconds:
               #1 16200+7200+61200+3600+3600=91800   #2 0+79200+0+3600+21600=104400
               #3 1800+0+0+0+3600=5400   #4 600+1200+0+600+1200=3600
               #5 3600+7200+75600+3600+3600=93600   #6 300+900+0+600+1800=3600
               #7 3600+18000+0+64800+3600=90000   search #1 3600+14400+0+68400+3600=90000
               search #2 3600+0+0+0+3600=7200. Mean 489600 / 9 = 54400 s = 15.11 h: elite.
    incidents  I1..I6, and the revert pull request #6 as an incident of #5: created when #5
               merged (03-11 10:00), resolved when #6 merged (03-12 09:30).
    CFR        deployments of any status started in March, in order: S1 S2 S3 S4 S5 T1 S6
               S7 S8 T2 (10). Each owns the incidents created from its start to the next's:
               S4 {I1, I2}, T1 {the revert, 03-11 10:00 before S6 started at 11:00},
               S6 {I3}, S8 {I6, I4}, T2 {I5} -> 5 / 10 = 0.5: low.
    MTTR       incidents resolved in March: I1 7200, I2 5400, I3 81000, I5 7200, I6 600,
               the revert 84600 -> mean 31000 s = 8.61 h: high.

ktlo (docs/metrics.md): S4 fails by I1, I2 (and the hotfix #4), S6 by I3 (and the revert),
S8 by I4, T2 by I5; I6 names c71, first shipped by S8, which finished after I6 began: that
link is refused, and shop has no deployment in the 24 h before -> unlinked. CFR 4/9.
Recovery: S4 17 h (I2 resolved last), S6 23 h, T2 2.33 h, S8 open -> median 17 h. Lead time
(first commit -> the deployment whose commits hold the change): #1 26.33, #2 31.5, #3 2.5,
#4 1.17, #5 26.5, #6 1.33, #7 25.5, search #2 28.67 h; search #1 only reached production
with search's first deployment (left out) -> median (25.5 + 26.33) / 2 = 25.92 h.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ktlo.config import Config
from ktlo.ingest.sync import sync_source
from ktlo.metrics.common import HealthOptions
from ktlo.metrics.health import health
from ktlo.sources import make_source
from ktlo.sources.base import NullReporter, SourceContext
from ktlo.store import Store
from tests import dora_scenario as scenario

UNTIL = date(2026, 4, 1)
KEYS = ("deployment_frequency", "lead_time", "change_failure_rate", "recovery_time")

EXPECTED: dict[str, dict[str, tuple[Any, Any, Any]]] = {
    "devlake-2023": {
        "deployment_frequency": (0, "medium", "Between once per week and once per month(medium)"),
        "lead_time": (25.5, "high", "Between one day and one week(high)"),
        "change_failure_rate": (0.5556, "low", "> 15%(low)"),
        "recovery_time": (17.0, "high", "Less than one day(high)"),
    },
    "devlake-2021": {
        "deployment_frequency": (0, "high", "Between once per day and once per month(high)"),
        "lead_time": (25.5, "high", "Less than one week(high)"),
        "change_failure_rate": (0.5556, "low", "> 30%(low)"),
        "recovery_time": (2.0, "high", "Less than one day(high)"),
    },
    "fourkeys": {
        "deployment_frequency": (2.0, "high", "Weekly"),
        "lead_time": (1.71, "elite", "One day"),
        "change_failure_rate": (0.3333, "medium", "16-45%"),
        "recovery_time": (2.0, "high", "One day"),
    },
    "middleware": {
        "deployment_frequency": (1, "high", "1 per week"),
        "lead_time": (15.11, "elite", "elite"),
        "change_failure_rate": (0.5, "low", "low"),
        "recovery_time": (8.61, "high", "high"),
    },
    "ktlo": {
        "deployment_frequency": (2.03, "high", None),
        "lead_time": (25.92, "high", None),
        "change_failure_rate": (0.4444, "low", None),
        "recovery_time": (17.0, "high", None),
    },
}


def load(store: Store, source: str, paths: list[Path]) -> None:
    made = make_source(SourceContext(source, {}), {})
    for path in paths:
        result = sync_source(store, made, NullReporter(), path)
        assert result.errors == 0, result.error


def route(name: str, folder: Path) -> list[tuple[str, list[Path]]]:
    """The scenario's files for one route, written to `folder` (one folder per route)."""
    incidents = ("files", [scenario.incidents_file(folder)])
    if name in ("github", "gitlab"):
        writer = scenario.github_files if name == "github" else scenario.gitlab_files
        return [(name, writer(folder)), incidents]
    carrier = {"import": "pushes", "import, no pushes": "deployments"}.get(
        name, name.removeprefix("import, ")
    )
    return [("files", scenario.import_files(folder, carrier)), incidents]


@pytest.fixture(
    scope="module",
    params=["import", "import, no pushes", "import, pushes without repo", "github", "gitlab"],
)
def docs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp(request.param)
    with Store.open(folder / "k.duckdb") as store:
        for source, paths in route(request.param, folder):
            load(store, source, paths)
        return {  # the JSON as `ktlo health --json` writes it
            name: health(
                store, Config(), HealthOptions(until=UNTIL, definition=name, items=True)
            ).to_json()
            for name in EXPECTED
        }


def figures(doc: dict[str, Any]) -> dict[str, tuple[Any, Any, Any]]:
    dora = doc["dora"]
    return {k: (dora[k]["value"], dora[k]["bucket"], dora[k].get("label")) for k in KEYS}


@pytest.mark.parametrize("definition", list(EXPECTED))
def test_every_figure_as_worked_by_hand(docs: dict[str, Any], definition: str) -> None:
    assert figures(docs[definition]) == EXPECTED[definition]


COUNTED = {  # items per figure: deployments, changes, deployments or incidents, incidents
    "devlake-2023": (9, 8, 9, 5),
    "devlake-2021": (9, 8, 9, 5),
    "fourkeys": (9, 18, 9, 6),  # 18 (deployment, commit) rows; I4 is listed, open
    "middleware": (9, 9, 10, 6),  # S2 failed and still counts; the revert is an incident
    "ktlo": (9, 9, 9, 4),  # search #1 listed as left out; S8 listed, unrecovered
}


@pytest.mark.parametrize("definition", list(EXPECTED))
def test_every_figure_lists_what_it_counted(docs: dict[str, Any], definition: str) -> None:
    dora = docs[definition]["dora"]
    assert tuple(len(dora[k]["items"]) for k in KEYS) == COUNTED[definition]


def by(items: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {item[key]: item for item in items}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("imported")
    with Store.open(folder / "k.duckdb") as store:
        for source, paths in route("import", folder):
            load(store, source, paths)
        return {
            name: health(
                store, Config(), HealthOptions(until=UNTIL, definition=name, items=True)
            ).to_json()["dora"]
            for name in EXPECTED
        }


def test_fourkeys_reads_the_push_of_the_deployed_commit(imported: dict[str, Any]) -> None:
    rows = imported["fourkeys"]["lead_time"]["items"]
    shipped = {(r["deployment"], r["commit"]) for r in rows}
    short = {name: scenario.sha(name)[:12] for name in ("c21", "m2", "c31", "m3", "e1", "e2", "b1")}
    assert ("S4", short["c31"]) in shipped and ("S4", short["m3"]) in shipped
    assert not {c for _, c in shipped} & {
        short["c21"],
        short["m2"],
    }  # pushed as m2, never deployed as head
    assert not {c for _, c in shipped} & {short["e1"], short["e2"]}  # the unmerged branch
    assert ("S3", short["b1"]) in shipped  # the bot's commit counts, and S2 (failed) has no rows
    failures = by(imported["fourkeys"]["change_failure_rate"]["items"], "deployment")
    assert [len(failures[d]["failures"]) for d in ("S4", "S8", "T2", "S6")] == [1, 1, 1, 0]


def test_devlake_follows_merge_shas_and_leaves_first_deployments_out(
    imported: dict[str, Any],
) -> None:
    prs = {
        (r["repo"].rsplit("/", 1)[1], r["pull_request"]): r
        for r in imported["devlake-2023"]["lead_time"]["items"]
    }
    assert ("search", "#1") not in prs  # shipped only by search's first deployment
    assert prs[("shop", "#2")]["deployment"] == "S4" and prs[("shop", "#2")]["minutes"] == 1890
    assert {r["found_by"] for r in prs.values()} == {"merge sha in its commits"}
    incidents = by(imported["devlake-2023"]["change_failure_rate"]["items"], "deployment")
    assert incidents["S7"]["incidents"] == ["I6"]  # S8 finished after I6 began
    assert incidents["S4"]["incidents"] == ["I1", "I2"]


def test_middleware_counts_the_revert_and_starts(imported: dict[str, Any]) -> None:
    owned = by(imported["middleware"]["change_failure_rate"]["items"], "deployment")
    assert owned["T1"]["incidents"] == ["#5 reverted by #6"]  # #5 merged before S6 started
    assert owned["S2"]["status"] == "failed" and owned["S8"]["incidents"] == ["I4", "I6"]
    lead = {
        r["pull_request"]: r
        for r in imported["middleware"]["lead_time"]["items"]
        if "shop" in r["repo"]
    }
    assert (lead["#2"]["deployment"], lead["#2"]["merge_to_deploy"]) == (
        "S4",
        21600,
    )  # to S4's start


def test_ktlo_never_blames_a_deployment_that_finished_after_the_incident(
    imported: dict[str, Any],
) -> None:
    dora = imported["ktlo"]
    links = dora["incident_links"]
    assert (links["references_to_later_deployments"], links["unlinked_without_deployment"]) == (
        1,
        1,
    )
    assert all("I6" not in " ".join(f["reasons"]) for f in dora["failures"])
    recovery = by(dora["recovery_time"]["items"], "deployment")
    assert recovery["S8"]["hours"] is None  # I4 is still open
    hours = [i["hours"] for k in ("lead_time", "recovery_time") for i in dora[k]["items"]]
    assert min(h for h in hours if h is not None) >= 0
    left_out = {i["change"]: i["left_out"] for i in dora["lead_time"]["items"] if i["left_out"]}
    assert left_out == {"#1": "shipped by the repository's first deployment"}  # search #1


def test_a_retry_naming_its_failed_attempt_as_previous_still_ships_the_pull_request(
    tmp_path: Path,
) -> None:
    """An export names the failed attempt as the retry's previous deployment; what the retry
    shipped runs from the last successful one (DevLake's previous), so the pull request it
    carried has its deployment."""
    sha = scenario.sha
    (tmp_path / "deployments.json").write_text(json.dumps([
        {"id": "D1", "repo": "github.com/acme/app", "environment": "production", "ref": "main",
         "sha": sha("a"), "status": "success", "created_at": "2026-03-02T10:00:00Z"},
        {"id": "D2", "repo": "github.com/acme/app", "environment": "production", "ref": "main",
         "sha": sha("m"), "status": "failure", "created_at": "2026-03-03T10:00:00Z", "previous": "D1"},
        {"id": "D3", "repo": "github.com/acme/app", "environment": "production", "ref": "main",
         "sha": sha("m"), "status": "success", "created_at": "2026-03-03T11:00:00Z", "previous": "D2"},
        {"id": "D4", "repo": "github.com/acme/app", "environment": "production", "ref": "main",
         "sha": sha("n"), "status": "success", "created_at": "2026-03-04T11:00:00Z", "previous": "D3"},
    ]))  # fmt: skip
    (tmp_path / "pushes.json").write_text(json.dumps([
        {"repo": "github.com/acme/app", "ref": "refs/heads/main", "before": sha("a"), "after": sha("m"),
         "commits": [{"sha": sha("c"), "authored_at": "2026-03-02T12:00:00Z"},
                     {"sha": sha("m"), "authored_at": "2026-03-03T09:00:00Z"}]},
        {"repo": "github.com/acme/app", "ref": "refs/heads/main", "before": sha("m"), "after": sha("n"),
         "commits": [{"sha": sha("n"), "authored_at": "2026-03-04T09:00:00Z"}]},
    ]))  # fmt: skip
    (tmp_path / "work_items.json").write_text(json.dumps({
        "id": "app-1", "number": "1", "kind": "pull_request", "title": "Add", "repo": "github.com/acme/app",
        "created_at": "2026-03-02T13:00:00Z", "merged_at": "2026-03-03T09:00:00Z", "merge_sha": sha("m"),
        "commits": [{"sha": sha("c"), "authored_at": "2026-03-02T12:00:00Z"}],
    }))  # fmt: skip
    with Store.open(tmp_path / "k.duckdb") as store:
        load(
            store,
            "files",
            [tmp_path / f"{n}.json" for n in ("deployments", "pushes", "work_items")],
        )
        dora = health(
            store, Config(), HealthOptions(until=UNTIL, definition="devlake-2023", items=True)
        ).to_json()["dora"]
    # 60 coding + 1200 open + 120 to D3's finish (its creation: no finish given)
    assert [(i["deployment"], i["minutes"]) for i in dora["lead_time"]["items"]] == [("D3", 1380)]
