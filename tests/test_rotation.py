"""The rotation planner: hand-checked plans, then its guarantees under generated teams."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from ktlo.cli import main
from ktlo.planning.rotation import Member, plan_rotation

MONDAY = date(2026, 12, 7)


def primaries(plan) -> list[str | None]:  # type: ignore[no-untyped-def]
    return [s.primary for s in plan.shifts]


def test_round_robin_in_order_of_load() -> None:
    team = [Member("ana", "Ana"), Member("raj", "Raj", past_load=3.0), Member("lee", "Lee")]
    plan = plan_rotation("payments", team, MONDAY, 6)
    assert primaries(plan) == ["ana", "lee", "raj", "ana", "lee", "raj"]
    assert plan.shifts[1].start == MONDAY + timedelta(days=7)
    assert plan.warnings == []


def test_time_off_is_respected_and_the_next_person_steps_in() -> None:
    off = ((MONDAY + timedelta(days=8), MONDAY + timedelta(days=9)),)  # Tue-Wed of week 2
    team = [Member("ana", "Ana"), Member("lee", "Lee", time_off=off), Member("raj", "Raj")]
    plan = plan_rotation("payments", team, MONDAY, 3)
    assert primaries(plan) == ["ana", "raj", "lee"]


def test_two_people_never_repeat_but_one_person_must_and_says_so() -> None:
    pair = [Member("ana", "Ana"), Member("raj", "Raj")]
    plan = plan_rotation("t", pair, MONDAY, 4)
    assert primaries(plan) == ["ana", "raj", "ana", "raj"] and plan.warnings == []
    plan = plan_rotation(
        "t", pair, MONDAY, 3, secondary=True
    )  # two people cannot rest with a secondary
    assert [(s.primary, s.secondary) for s in plan.shifts] == [
        ("ana", "raj"),
        ("raj", "ana"),
        ("ana", "raj"),
    ]
    assert len(plan.warnings) == 2 and all("too small" in w for w in plan.warnings)
    solo = plan_rotation("t", [Member("ana", "Ana")], MONDAY, 2)
    assert primaries(solo) == ["ana", "ana"]
    assert any("too small" in w or "only Ana" in w for w in solo.warnings)


def test_follow_the_sun_splits_the_day_between_regions() -> None:
    team = [
        Member("ana", "Ana", "Europe/Lisbon"), Member("eva", "Eva", "Europe/Berlin"),
        Member("sam", "Sam", "America/Los_Angeles"), Member("joe", "Joe", "America/Denver"),
    ]  # fmt: skip
    plan = plan_rotation("t", team, MONDAY, 2)
    assert set(plan.regions) == {"UTC-8", "UTC+0"}
    first = [s for s in plan.shifts if s.period == 1]
    assert {(s.region, s.hours_utc) for s in first} == {
        ("UTC+0", "09:00-17:00"),
        ("UTC-8", "17:00-09:00"),
    }
    assert {s.primary for s in first} == {"ana", "joe"}


def test_cli_writes_ics_and_csv(tmp_path: Path) -> None:
    config = tmp_path / "ktlo.toml"
    config.write_text(
        '[[teams]]\nname = "payments"\nmembers = ["ana", "raj", "lee"]\n'
        '[people.ana]\nname = "Ana Lima"\ntime_off = [{ start = 2026-12-08, end = 2026-12-09 }]\n'
    )
    ics, csv = tmp_path / "oncall.ics", tmp_path / "oncall.csv"
    result = CliRunner().invoke(
        main,
        ["rotation", "plan", "--team", "payments", "--start", "2026-12-07", "--periods", "3",
         "--secondary", "--ics", str(ics), "--csv", str(csv), "--config", str(config),
         "--db", str(tmp_path / "none.duckdb")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    events = list(Calendar.from_ical(ics.read_bytes()).walk("VEVENT"))
    assert len(events) == 3
    assert "ana" not in str(events[0]["summary"]).split(":")[1]  # Ana is off that week
    assert csv.read_text().splitlines()[0] == "period,start,end,region,hours_utc,primary,secondary"
    unknown = CliRunner().invoke(
        main,
        ["rotation", "plan", "--team", "nope", "--start", "2026-12-07", "--config", str(config)],
    )
    assert unknown.exit_code == 1 and "unknown team 'nope'" in unknown.output


@st.composite
def teams(draw):  # type: ignore[no-untyped-def]
    size = draw(st.integers(1, 7))
    members = []
    for i in range(size):
        offs = draw(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 10)), max_size=3))
        time_off = tuple(
            (MONDAY + timedelta(days=a), MONDAY + timedelta(days=a + b)) for a, b in offs
        )
        load = draw(st.floats(0, 20, allow_nan=False))
        members.append(Member(f"p{i}", f"P{i}", time_off=time_off, past_load=load))
    return members


@settings(max_examples=150, deadline=None)
@given(teams(), st.integers(1, 12), st.sampled_from(["day", "week", "sprint"]), st.booleans())
def test_guarantees(members: list[Member], periods: int, length: str, secondary: bool) -> None:
    plan = plan_rotation("t", members, MONDAY, periods, length, 14, secondary)
    by_person = {m.person: m for m in members}
    previous: set[str] = set()
    for shift in plan.shifts:
        on_duty = [p for p in (shift.primary, shift.secondary) if p]
        # nobody serves during their time off
        assert all(by_person[p].available(shift.start, shift.end) for p in on_duty)
        # primary and secondary are different people
        assert len(on_duty) == len(set(on_duty))
        # a period is uncovered only when everyone is away
        if shift.primary is None:
            assert not any(m.available(shift.start, shift.end) for m in members)
        # back-to-back shifts only when the plan says the team was too small
        if set(on_duty) & previous:
            assert any(f"period {shift.period} " in w and "too small" in w for w in plan.warnings)
        previous = set(on_duty)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 8), st.integers(1, 30))
def test_with_no_time_off_and_equal_history_shifts_differ_by_at_most_one(
    size: int, periods: int
) -> None:
    members = [Member(f"p{i}", f"P{i}") for i in range(size)]
    plan = plan_rotation("t", members, MONDAY, periods)
    counts = [plan.shifts_by_person[m.person] for m in members]
    assert max(counts) - min(counts) <= 1
