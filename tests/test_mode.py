"""KTLO mode: risk scoring and the enter / stay / exit / normal answer, worked by hand."""

from __future__ import annotations

import pytest

from ktlo.planning.ktlo_mode.scoring import DEFAULT_RULES, ModeSettings, SignalRule, assess, decide

SETTINGS = ModeSettings()


def test_risk_is_the_weighted_mean_of_signal_severities() -> None:
    rules = {"a": SignalRule(0.75, 0.0, 1.0, "a"), "b": SignalRule(0.25, 10.0, 20.0, "b")}
    result = assess({"a": 0.4, "b": 20.0}, ModeSettings(rules=rules))
    assert result.risk == pytest.approx(0.75 * 0.4 + 0.25 * 1.0)
    shares = {s.signal: s.share_of_risk for s in result.signals}
    assert shares == {
        "a": pytest.approx(0.3 / 0.55, abs=1e-3),
        "b": pytest.approx(0.25 / 0.55, abs=1e-3),
    }


def test_missing_signals_are_left_out_not_counted_as_safe() -> None:
    rules = {"a": SignalRule(0.5, 0.0, 1.0, "a"), "b": SignalRule(0.5, 0.0, 1.0, "b")}
    result = assess({"a": 1.0, "b": None}, ModeSettings(rules=rules))
    assert result.risk == 1.0
    assert next(s for s in result.signals if s.signal == "b").severity is None


def test_a_team_that_should_enter() -> None:
    values = {"ktlo_share_over_band": 0.18, "incident_rate_rising": 1.5, "repeat_incidents": 4,
              "error_budget_burned": 1.2, "mttr_rising": 0.8, "change_failure_rate": 0.3}  # fmt: skip
    assert assess(values, SETTINGS).risk > SETTINGS.enter
    assert decide([0.1, 0.2, 0.7], SETTINGS) == ["normal", "normal", "enter"]


def test_a_team_that_stays_for_the_minimum_then_exits() -> None:
    # risk falls below exit right after entering: it stays the minimum two periods first
    assert decide([0.6, 0.1, 0.1, 0.1], SETTINGS) == ["enter", "stay", "exit", "normal"]


def test_a_team_between_the_thresholds_stays() -> None:
    assert decide([0.6, 0.45, 0.4, 0.35, 0.2], SETTINGS) == [
        "enter",
        "stay",
        "stay",
        "stay",
        "exit",
    ]


def test_flapping_around_the_entry_threshold_does_not_flap() -> None:
    risks = [0.49, 0.51, 0.49, 0.51, 0.49, 0.51]
    assert decide(risks, SETTINGS) == ["normal", "enter", "stay", "stay", "stay", "stay"]


def test_default_weights_add_up_to_one() -> None:
    assert sum(rule.weight for rule in DEFAULT_RULES.values()) == pytest.approx(1.0)
