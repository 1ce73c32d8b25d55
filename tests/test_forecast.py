"""Forecasts: a known trend and season are recovered, back-tests score them, capacity is right."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import load_config
from ktlo.planning.forecast import backtest, fit, forecast_series
from ktlo.planning.outlook import outlook_from_history
from ktlo.render.terminal import _stale_note
from ktlo.store import Store
from tests.work import add_commit

MONTHS = [date(2024 + (m // 12), m % 12 + 1, 1) for m in range(30)]


def test_a_linear_trend_is_recovered_exactly() -> None:
    shares = [0.20 + 0.01 * t for t in range(12)]
    model = fit(shares, [d.month for d in MONTHS[:12]], 12)
    assert (round(model.intercept, 6), round(model.slope, 6), round(model.sigma, 9)) == (
        0.2,
        0.01,
        0.0,
    )
    ahead = forecast_series(MONTHS[:12], shares, "month", 3)
    assert [a["share"] for a in ahead] == [0.32, 0.33, 0.34]
    assert [a["start"] for a in ahead] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert all(a["low"] == a["share"] == a["high"] for a in ahead)


def test_seasonality_is_used_with_two_full_years() -> None:
    # flat 30% with a December spike of +10 points
    shares = [0.30 + (0.10 if d.month == 12 else 0.0) for d in MONTHS[:24]]
    ahead = forecast_series(MONTHS[:24], shares, "month", 12)
    december = next(a for a in ahead if a["start"].endswith("-12-01"))
    june = next(a for a in ahead if a["start"].endswith("-06-01"))
    assert december["share"] == pytest.approx(0.40, abs=0.005)
    assert june["share"] == pytest.approx(0.30, abs=0.005)


def test_the_band_widens_with_noise_and_horizon() -> None:
    shares = [0.3 + 0.05 * math.sin(t * 1.7) for t in range(18)]
    ahead = forecast_series(MONTHS[:18], shares, "month", 6)
    widths = [a["high"] - a["low"] for a in ahead]
    assert widths[0] > 0 and widths == sorted(widths)


def test_backtest_beats_naive_on_a_trend() -> None:
    shares = [0.15 + 0.02 * t for t in range(16)]
    result = backtest(MONTHS[:16], shares, "month")
    assert result["origins"] == 12
    assert result["mae_by_horizon"][1] == 0.0
    assert result["naive_mae_by_horizon"][3] == pytest.approx(0.06)


def test_forecast_command_with_capacity(store: Store, tmp_path: Path) -> None:
    # Ana: KTLO on 1 of 4 working days in Jan, 2 of 4 in Feb, 3 of 4 in Mar, 4 of 4 in Apr 2026
    for month in range(1, 5):
        for day in range(4):
            kind = ("ktlo", "bug") if day < month else ("new_work", "feature")
            add_commit(
                store, f"c{month}{day}", "Ana Lima", f"2026-0{month}-0{day + 5}T10:00:00", kind
            )
    # May has begun: one feature on the 4th, the newest day of effort in the store
    add_commit(store, "c50", "Ana Lima", "2026-05-04T10:00:00", ("new_work", "feature"))
    # every verdict checked by a person, so the shares are exactly those of the verdicts
    store.con.execute(
        "INSERT INTO overrides SELECT item_id, investment, subcategory, 'checked', 'test', "
        "TIMESTAMP '2026-05-04' FROM verdicts"
    )
    db = str(store.path)
    store.close()
    config = tmp_path / "ktlo.toml"
    config.write_text(
        '[[teams]]\nname = "payments"\nmembers = ["ana"]\n[people.ana]\nname = "Ana Lima"\ncapacity = 0.5\n'
    )
    result = CliRunner().invoke(
        main,
        [
            "forecast",
            "--team",
            "payments",
            "--horizon",
            "1",
            "--json",
            "--db",
            db,
            "--config",
            str(config),
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [h["share"] for h in doc["history"]] == [0.25, 0.5, 0.75, 1.0]
    # May so far (0%) is shown but not fitted: the trend would otherwise bend down
    assert doc["in_progress"] == {"start": "2026-05-01", "share": 0.0, "person_days": 0.5}
    may = doc["forecast"][0]
    assert (may["start"], may["share"]) == ("2026-05-01", 1.0)  # the trend runs to 125%, clipped
    # capacity as measured: Ana gave 2 person-days a month (4 days at 0.5) of the 10-11 her
    # configured half-time allows; May's configured 10.5 (21 days × 0.5) scaled alike
    assert may["capacity_person_days"] == 2.0
    assert doc["capacity"] == {
        "measured_fte": 0.09,  # 6 person-days over the 64 working days of Feb-Apr
        "periods": ["2026-02", "2026-03", "2026-04"],
        "configured_fte": 0.5,
        "measured_share_of_configured": 0.1875,
    }
    assert may["new_work_person_days"] == 0.0
    # the history ends with the effort stored, not today, and says so when that is long ago
    assert doc["as_of"] == "2026-05-04"
    shown = CliRunner().invoke(main, ["forecast", "--team", "payments", "--db", db,
                                      "--config", str(config)])  # fmt: skip
    behind = (date.today() - date(2026, 5, 4)).days
    stale = f"The effort stored ends 2026-05-04, {behind} days before today"
    assert (stale in " ".join(shown.stdout.split())) == (behind > 7)
    assert _stale_note("2026-05-04", today=date(2026, 5, 11)) == ""  # a week: recent enough
    assert _stale_note("2026-05-04", today=date(2026, 5, 12)).startswith(
        "The effort stored ends 2026-05-04, 8 days before today"
    )
    short = CliRunner().invoke(
        main, ["forecast", "--period", "quarter", "--db", db, "--config", str(config)]
    )
    assert short.exit_code == 1 and "a forecast needs 4" in short.output


def test_capacity_is_measured_without_members_and_for_no_team(tmp_path: Path) -> None:
    """Nothing configured to scale by: the measured FTE × the period's working days."""
    (tmp_path / "ktlo.toml").write_text('[[teams]]\nname = "payments"\nrepositories = ["shop"]\n')
    config = load_config(tmp_path / "ktlo.toml")
    history = [{"start": d.isoformat(), "share": 0.3, "person_days": 20.0} for d in MONTHS[:6]]
    for team in ("payments", "(no team)", None):
        doc = outlook_from_history(config, team, history, 1, "month")
        # 60 person-days over the 22 + 23 + 20 working days of Apr-Jun 2024; Jul-Sep: 23, 22, 21
        assert doc.capacity and doc.capacity.measured_fte == 0.92
        assert [f.capacity_person_days for f in doc.forecast] == [21.2, 20.3, 19.4]
