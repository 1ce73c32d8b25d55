"""KTLO mode in words: each signal's sentence and scale in its unit, the history as runs, the
risk never shown on a threshold it has not reached, and a card's top health risks."""

from __future__ import annotations

import pytest

from ktlo.planning.ktlo_mode import words
from ktlo.planning.ktlo_mode.scoring import DEFAULT_RULES


@pytest.mark.parametrize(
    ("signal", "value", "said"),
    [
        ("ktlo_share_over_band", 0.3568, "KTLO share 35.7 points above its band"),
        ("ktlo_share_over_band", -0.05, "KTLO share 5.0 points below the top of its band"),
        ("ktlo_share_rising", 0.0248, "KTLO share up 2.5 points from the previous month"),
        ("ktlo_share_rising", -0.0002, "KTLO share unchanged from the previous month"),
        ("incident_rate_rising", 0.5, "incidents up 50% from the previous month"),
        ("incident_rate_rising", -1.0, "no incidents, after some in the previous month"),
        ("mttr_rising", 0.0738, "median time to resolve up 7% from the previous month"),
        ("repeat_incidents", 11, "11 repeat incidents"),
        ("repeat_incidents", 1, "1 repeat incident"),
        ("repeat_incidents", 0, "no repeat incidents"),
        ("change_failure_rate", 0.5946, "59% of deployments failed"),
        ("error_budget_burned", 52.73, "the worst SLO burned 52.7× its error budget"),
        ("error_budget_burned", 0.4, "the worst SLO burned 40% of its error budget"),
        ("error_budget_burned", 0.0, "no SLO burned any of its error budget"),
        ("bug_backlog_growth", 0.1651, "open bugs up 17% from the previous month"),
        ("flaky_build_rate", 0.0124, "1.2% of builds flaky"),
        ("flaky_build_rate", 0.215, "22% of builds flaky"),
        ("alert_noise", 0.5472, "55% of alerts were noise"),
        ("mttr_rising", None, "no data for time to resolve"),
    ],
)
def test_each_signal_reads_as_a_sentence_with_its_unit(
    signal: str, value: float | None, said: str
) -> None:
    assert words.sentence(signal, value, "month") == said


def test_each_default_rule_has_a_scale_in_its_unit() -> None:
    scales = {name: words.scale(name, r.threshold, r.ceiling) for name, r in DEFAULT_RULES.items()}
    assert scales == {
        "ktlo_share_over_band": "full risk at 20 points above",
        "ktlo_share_rising": "full risk at +10 points",
        "incident_rate_rising": "full risk at +100%",
        "mttr_rising": "full risk at +100%",
        "repeat_incidents": "full risk at 3",
        "change_failure_rate": "risk from 15%, full at 45%",
        "error_budget_burned": "risk from 50%, full at 100%",
        "bug_backlog_growth": "full risk at +50%",
        "flaky_build_rate": "risk from 2%, full at 15%",
        "alert_noise": "risk from 50%, full at 90%",
        "open_critical_high": "full risk at 3",
        "critical_high_age": "risk from 7 days, full at 60 days",
        "libyears_rising": "full risk at +50%",
    }


def test_the_history_reads_as_runs() -> None:
    states = ["normal", "normal", "enter", "stay", "stay", "stay"]
    entries = [{"period": f"2026-{5 + k:02d}", "state": s} for k, s in enumerate(states)]
    assert (
        words.history(entries)
        == "normal 2026-05 to 2026-06, entered 2026-07, stayed 2026-08 to 2026-10"
    )


def test_a_risk_is_never_shown_on_a_threshold_it_has_not_reached() -> None:
    assert words.risk_text(0.4992, 0.5, 0.3) == "0.499"  # normal, though 0.50 is the entry
    assert words.risk_text(0.2999, 0.5, 0.3) == "0.2999"
    assert words.risk_text(0.5, 0.5, 0.3) == "0.50"
    assert words.risk_text(0.7383, 0.5, 0.3) == "0.74"
    assert words.risk_text(None) == "no data"


def test_a_cards_health_risks_leave_out_the_ktlo_share_and_signals_adding_nothing() -> None:
    reasons = [
        {"signal": "ktlo_share_over_band", "text": "KTLO share 18.1 points above its band",
         "value": 0.181, "severity": 0.9, "share_of_risk": 0.71},
        {"signal": "flaky_build_rate", "text": "25% of builds flaky", "value": 0.25,
         "severity": 1.0, "share_of_risk": 0.12},
        {"signal": "bug_backlog_growth", "text": "open bugs up 17% from the previous month",
         "value": 0.17, "severity": 0.33, "share_of_risk": 0.05},
        {"signal": "change_failure_rate", "text": "2.1% of deployments failed", "value": 0.021,
         "severity": 0.0, "share_of_risk": 0.0},
        {"signal": "mttr_rising", "text": "no data for time to resolve", "value": None,
         "severity": None, "share_of_risk": None},
    ]  # fmt: skip
    risks = words.health_risks(reasons)
    assert [(r["text"], r["panel"]) for r in risks] == [
        ("25% of builds flaky", "builds"),
        ("open bugs up 17% from the previous month", "bugs"),
    ]
    assert words.has_health_data(reasons)
    assert not words.has_health_data([reasons[0], reasons[4]])
