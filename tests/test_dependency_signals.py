"""Dependency risk as a KTLO signal (issue 20, item 4): KTLO mode's dependency signals and
the forecast's expected patch work, worked by hand over the small organisation."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from ktlo.config import Config, load_config
from ktlo.ingest.dependency_risk import load_export, refresh
from ktlo.planning.ktlo_mode.answer import ktlo_mode
from ktlo.planning.ktlo_mode.scoring import ModeSettings, SignalRule, assess
from ktlo.store import Store
from tests.registries_fake import FakeRegistries
from tests.report_work import CONFIG, build_org
from tests.test_dependency_risk import NOW, clients, export_zip

SHOP = "github.com/acme/shop"

#: The ten effort and health signals' weights before the dependency signals came (they
#: summed to 1): a team without dependency data must score exactly as with these.
OLD_WEIGHTS = {"ktlo_share_over_band": 0.20, "ktlo_share_rising": 0.05,
               "incident_rate_rising": 0.15, "mttr_rising": 0.10, "repeat_incidents": 0.15,
               "change_failure_rate": 0.10, "error_budget_burned": 0.15,
               "bug_backlog_growth": 0.04, "flaky_build_rate": 0.03, "alert_noise": 0.03}  # fmt: skip


def organisation(tmp_path: Path, *, lockfile: bool = True) -> tuple[Path, Config]:
    """The report's organisation; payments owns acme/shop, which locks lodash 4.17.20
    (from 2020-09-01) and never upgrades it; search's repositories have no lockfile."""
    path = tmp_path / "ktlo.toml"
    path.write_text(CONFIG.replace('services = ["checkout"]', 'services = ["checkout"]\nrepositories = ["acme/shop"]'))  # fmt: skip
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store)
        if lockfile:
            at = datetime(2020, 9, 1, 10)
            store.insert(
                "dependency_changes",
                ["repo_id", "path", "ecosystem", "package", "version", "direct", "sha",
                 "changed_at", "step"],
                [(SHOP, "package-lock.json", "npm", "lodash", "4.17.20", True, "b1", at, 1)],
            )  # fmt: skip
            refresh(store, clients(FakeRegistries()), now=NOW, ask_osv=False)
            load_export(store, export_zip(tmp_path), NOW)
    return tmp_path / "ktlo.duckdb", load_config(path)


def test_open_high_vulnerabilities_and_their_age_add_to_the_teams_risk(tmp_path: Path) -> None:
    db, config = organisation(tmp_path)
    with Store.open(db, read_only=True) as store:
        doc = ktlo_mode(store, config)
    assert doc.last_period == "2026-02"
    payments = next(t for t in doc.teams if t.team == "payments")
    reasons = {r.signal: r for r in payments.reasons}
    # lodash 4.17.20 is open to GHSA-35jh-r3h4-6jhm (high, CVSS 7.2), published 2021-05-06
    # 16:05:51 UTC; the medium GHSA-29mw-wpgm-hmr9 does not count. At the end of February
    # 2026: 1,760 days to 1 March less 16:05:51 = 1,759.33 days.
    opened, age, libyears = (reasons[s] for s in ("open_critical_high", "critical_high_age", "libyears_rising"))  # fmt: skip
    assert (opened.value, opened.severity, opened.weight) == (1.0, 0.333, 0.05)  # 1 of 3
    assert (age.value, age.severity, age.weight) == (1759.3, 1.0, 0.03)  # past 60 days
    assert (libyears.value, libyears.severity) == (0.0, 0.0)  # 0.52 libyears, both months
    assert opened.text == "1 open critical or high vulnerability"
    assert age.text == "the oldest open critical or high vulnerability public for 1759 days"
    # the risk is the weighted mean over the signals with data: 0.05/3 + 0.03 added above
    scored = [r for r in payments.reasons if r.severity is not None]
    added = sum(r.weight * r.severity for r in scored)
    assert payments.risk == pytest.approx(added / sum(r.weight for r in scored), abs=1e-4)
    assert age.share_of_risk == pytest.approx(0.03 / added, abs=1e-3)
    # search has no lockfile: said so, and left out of its risk rather than read as safe
    search = {r.signal: r for r in next(t for t in doc.teams if t.team == "search").reasons}
    assert search["open_critical_high"].value is None
    assert search["open_critical_high"].text.startswith("no dependency data: no manifest")


def test_without_dependency_data_the_risk_is_as_before_and_says_so(tmp_path: Path) -> None:
    db, config = organisation(tmp_path, lockfile=False)
    with Store.open(db, read_only=True) as store:
        doc = ktlo_mode(store, config)
    for team in doc.teams:
        reasons = {r.signal: r for r in team.reasons}
        for signal in ("open_critical_high", "critical_high_age", "libyears_rising"):
            assert reasons[signal].value is None and reasons[signal].share_of_risk is None
            assert reasons[signal].text == (
                "no dependency data: no manifest or lockfile inventoried in its repositories "
                "(`ktlo deps`)"
            )
        old = ModeSettings(rules={name: SignalRule(w, reasons[name].threshold,
                                                    reasons[name].ceiling, "") for name, w in OLD_WEIGHTS.items()})  # fmt: skip
        before = assess({name: reasons[name].value for name in OLD_WEIGHTS}, old)
        assert team.risk == pytest.approx(before.risk, abs=1e-4), team.team


def test_the_forecast_shows_the_expected_patch_work_and_what_it_rests_on(tmp_path: Path) -> None:
    from ktlo.planning.outlook import outlook
    from tests.report_work import LONG_FROM

    path = tmp_path / "ktlo.toml"
    path.write_text(CONFIG.replace('services = ["checkout"]', 'services = ["checkout"]\nrepositories = ["acme/shop"]'))  # fmt: skip
    config = load_config(path)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store, LONG_FROM)
        before = outlook(store, config, "payments", 1, "month").patch_work
        # three of Raj's Monday bumps (one person-day each, his only item those days) were
        # security fixes; acme/shop locks lodash 4.17.20
        store.con.execute(
            "UPDATE verdicts SET subcategory = 'security' WHERE item_id IN ('raj1', 'raj6', 'raj11')"
        )
        at = datetime(2020, 9, 1, 10)
        store.insert(
            "dependency_changes",
            ["repo_id", "path", "ecosystem", "package", "version", "direct", "sha", "changed_at",
             "step"],
            [(SHOP, "package-lock.json", "npm", "lodash", "4.17.20", True, "b1", at, 1)],
        )  # fmt: skip
        load_export(store, export_zip(tmp_path), NOW)
        doc = outlook(store, config, "payments", 1, "month")
    assert before is not None and before.open_advisories is None
    assert before.text.startswith("no dependency data: no manifest or lockfile inventoried")
    work = doc.patch_work
    assert work is not None
    # GHSA-35jh-r3h4-6jhm (high) and GHSA-29mw-wpgm-hmr9 (medium) are open on lodash 4.17.20;
    # the withdrawn GHSA-p6mc-m468-83gw is not. 2 × the median of 1.0, 1.0, 1.0 person-days.
    assert (work.open_advisories, work.security_fixes, work.person_days_per_fix) == (2, 3, 1.0)
    assert work.person_days == 2.0
    assert work.text == (
        "2 open advisories × 1 person-day (the median of 3 security fixes of payments) "
        "= 2 person-days"
    )


def test_a_range_no_lockfile_pins_leaves_the_vulnerability_signals_unknown(
    tmp_path: Path,
) -> None:
    """Only a manifest's range (`>= 4.17.0, < 5`, spaces and all): nothing could be matched
    against OSV, so the team's open critical/high count is unknown, not a reassuring 0."""
    db, config = organisation(tmp_path)
    with Store.open(db) as store:
        store.con.execute(
            "UPDATE dependency_changes SET path = 'package.json', version = '>= 4.17.0, < 5'"
        )
        doc = ktlo_mode(store, config)
    reasons = {r.signal: r for r in next(t for t in doc.teams if t.team == "payments").reasons}
    assert reasons["open_critical_high"].value is None
    assert reasons["critical_high_age"].value is None
