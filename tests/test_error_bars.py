"""KTLO shares with error bars: the estimator on a hand-worked example, random samples to
label (`ktlo review --sample`), answers from a spreadsheet (`--answers`), and the shares
they correct, through the real command line and store."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ktlo.cli import main
from ktlo.config import Config
from ktlo.effort.allocation import AllocationOptions, allocation
from ktlo.effort.error_bars import (
    STRATA,
    Parts,
    Rate,
    Rates,
    beta_cdf,
    beta_quantile,
    estimate,
    measured_error,
    prior_rates,
    update,
)
from ktlo.errors import ConfigError
from ktlo.metrics.repository import Budget
from ktlo.render.html import environment, render_report
from ktlo.report.document import build_report
from ktlo.report.model import ReportFilters
from ktlo.store import Store
from ktlo.verdicts.overrides import store_overrides
from ktlo.verdicts.refit import learn
from ktlo.verdicts.sampling import SampleScope, draw_sample
from tests.conftest import GitRepo
from tests.report_work import build_org, write_config
from tests.work import add_activity, add_commit, add_item

# The shop fixture's commits, as a person would label them (and as ktlo reads them).
TRUTH = {
    "feat: add checkout service": "new_work/feature",
    "fix(checkout): handle empty cart": "ktlo/bug",
    "refactor: move checkout next to payments": "ktlo/tech_debt",
    "feat: show product photos": "new_work/feature",
    "Fix café menu encoding crash": "ktlo/bug",
    "Add CSV export for invoices": "new_work/feature",
    "docs: explain the checkout flow": "ktlo/maintenance",
    'Revert "docs: explain the checkout flow"': "ktlo/incident",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_the_estimator_on_a_hand_worked_example() -> None:
    # 20 items counted: 4 answered (3 of them KTLO); of the 16 others, 8 read as KTLO
    # (truly KTLO with Beta(8, 2): mean 0.8), 6 as new work (Beta(1, 9): 0.1), 2 as other
    # (Beta(1, 1): 0.5). Expected KTLO among the 16: 8·0.8 + 6·0.1 + 2·0.5 = 8, so the share
    # is (3 + 8) / 20 = 0.55. Variance of their KTLO count: Σ W²·Var θ + S·E[θ(1 − θ)]
    # = 64·16/1100 + 8·(0.16 − 16/1100) + 36·9/1100 + 6·(0.09 − 9/1100) + 4/12 + 2·(0.25 − 1/12)
    # = 266/75; as a fraction of the 16: mean 0.5, variance 266/75/256, the Beta of which
    # is Beta(8.5226, 8.5226), whose 5% quantile is 0.30588 (numerical integration of its
    # density); the interval is 3/20 + 16/20·(0.30588, 0.69412).
    rates = Rates({"ktlo": Rate(8, 2), "new_work": Rate(1, 9), "other": Rate(1, 1)})
    found = estimate(Parts(20, 4, 3, (8, 6, 2), (8, 6, 2)), rates)
    assert found is not None
    assert (found.share, found.low, found.high) == (0.55, 0.3947, 0.7053)
    size = 0.25 / (266 / 75 / 256) - 1
    assert beta_quantile(0.05, size / 2, size / 2) == pytest.approx(0.3058771, abs=1e-6)


def test_beta_quantiles_against_closed_forms() -> None:
    # Beta(a, 1) has CDF x^a; Beta(1, b) has CDF 1 − (1 − x)^b
    for a in (0.5, 1.0, 2.0, 7.5):
        assert beta_quantile(0.05, a, 1.0) == pytest.approx(0.05 ** (1 / a), abs=1e-9)
        assert beta_quantile(0.95, 1.0, a) == pytest.approx(1 - 0.05 ** (1 / a), abs=1e-9)
    assert beta_cdf(0.3, 2.0, 3.0) == pytest.approx(
        1 - (1 - 0.3) ** 4 - 4 * 0.3 * (1 - 0.3) ** 3, abs=1e-12
    )


def test_beta_quantiles_invert_the_cdf_over_a_wide_range_of_shapes() -> None:
    # the search stops without a last evaluation once Halley's step is tiny: the root it
    # returns must still be the quantile, for skewed, flat, U-shaped and very peaked Betas
    rng = random.Random(11)
    for _ in range(3000):
        a, b = (10 ** rng.uniform(-2.5, 3.3) for _ in range(2))
        p = rng.choice([0.05, 0.95, rng.random()])
        x = beta_quantile(p, a, b)
        if min(a, b) > 1000:  # the normal approximation, by design
            continue
        # the true quantile is within 1e-9 of x (the shares are shown to 1e-4)
        assert beta_cdf(max(x - 1e-9, 0), a, b) <= p <= beta_cdf(min(x + 1e-9, 1), a, b), (p, a, b)


def test_answers_count_at_their_value_and_narrow_the_interval() -> None:
    # 20,000 items counted, 37.75% read as KTLO; answers to random samples say that 74% of
    # those read as KTLO are KTLO and 11% of those read as new work are (35% in all)
    prior = prior_rates()
    widths, shares = [], []
    for sampled in (0, 25, 100, 400, 1600):
        read_ktlo = round(sampled * 0.3775)
        answers = {
            "ktlo": (round(read_ktlo * 0.742), read_ktlo),
            "new_work": (round((sampled - read_ktlo) * 0.112), sampled - read_ktlo),
        }
        rates = update(prior, answers)
        assert rates.verified == sampled
        known = sum(k for k, _ in answers.values())
        rest = (7550 - read_ktlo, 12450 - (sampled - read_ktlo), 0)
        found = estimate(Parts(20_000, sampled, known, rest, rest), rates)
        assert found is not None and found.low < found.share < found.high
        widths.append(found.high - found.low)
        shares.append(found.share)
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == len(widths)
    assert abs(shares[-1] - 0.35) < 0.01  # the answers, not the prior, decide
    everything = estimate(Parts(10, 10, 4), prior)
    assert everything is not None and (everything.share, everything.low, everything.high) == (
        0.4,
        0.4,
        0.4,
    )


def test_other_verdicts_widen_the_interval_instead_of_dropping_out() -> None:
    rates = prior_rates()
    decided = estimate(Parts(1000, 0, 0, (500, 500, 0), (500, 500, 0)), rates)
    undecided = estimate(Parts(1000, 0, 0, (400, 400, 200), (400, 400, 200)), rates)
    assert decided is not None and undecided is not None
    assert undecided.high - undecided.low > decided.high - decided.low
    # half KTLO by the tests' prior (Beta(1, 1)): 200 items of `other` add 100 to the estimate
    assert undecided.share == pytest.approx(decided.share, abs=0.001)


def test_the_packaged_measurement_says_where_it_comes_from(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("KTLO_MEASURED_ERROR")
    packaged = measured_error()
    assert packaged["schema"] == "ktlo.measured_error/v1"
    assert packaged["classifier"] and packaged["generated_at"] and packaged["sets"]
    assert packaged["note"]  # which sets, held out or not
    counts = packaged["counts"]["all"]
    assert {truth: set(counts[truth]) for truth in ("ktlo", "new_work")} == {
        "ktlo": set(STRATA),
        "new_work": set(STRATA),
    }
    for rate in prior_rates().by_verdict.values():  # weak: at most 10 items' worth each
        assert rate.alpha + rate.beta <= 12
    broken = tmp_path / "broken.json"
    broken.write_text('{"counts": {"all": {"ktlo": {}}}}')
    monkeypatch.setenv("KTLO_MEASURED_ERROR", str(broken))
    with pytest.raises(ConfigError, match="broken.json is missing or malformed"):
        measured_error()


def analyze(shop: GitRepo, db: Path) -> dict:  # type: ignore[type-arg]
    code, out, err = run("analyze", shop.path, "--db", db, "--json")
    assert code == 0, err
    return json.loads(out)


def draw(db: Path, *args: str) -> list[dict[str, str]]:
    code, out, err = run("review", "--db", db, *args, "--csv")
    assert code == 0, err
    return list(csv.DictReader(io.StringIO(out)))


def titles(db: Path) -> dict[str, str]:
    with Store.open(db, read_only=True) as store:
        return dict(store.con.execute("SELECT item_id, title FROM work_items").fetchall())


def write_answers(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_a_sample_is_drawn_recorded_answered_and_narrows_the_shares(
    shop: GitRepo, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    before = analyze(shop, db)["shares"]["effort"]
    assert before["verified"] == 0
    rows = draw(db, "--sample", "4", "--seed", "11")
    # the spreadsheet to fill: the answer columns first, the verdict left out (blind)
    assert list(rows[0])[:2] == ["item_id", "kind"] and {r["kind"] for r in rows} == {""}
    assert "investment" not in rows[0] and "subcategory" not in rows[0]
    assert len({r["item_id"] for r in rows}) == 4
    again = draw(db, "--sample", "4", "--seed", "11")  # nothing answered yet: the same draw
    assert [r["item_id"] for r in again] == [r["item_id"] for r in rows]
    with Store.open(db, read_only=True) as store:
        recorded = store.query("SELECT sample_id, seed, size, frame FROM review_samples")
    # eight commits by people (the bot's bump has no effort, so it is not in the frame)
    assert recorded == [
        {"sample_id": 1, "seed": 11, "size": 4, "frame": 8},
        {"sample_id": 2, "seed": 11, "size": 4, "frame": 8},
    ]
    named = titles(db)
    for row in rows:
        row["kind"] = TRUTH[named[row["item_id"]]]
    rows[0]["kind"] = ""  # not answered (yet)
    code, out, err = run("review", "--db", db, "--answers", write_answers(tmp_path / "a.csv", rows))
    assert code == 0, err
    assert "stored 3 answers (3 to sampled items); 1 rows left blank" in out
    after = analyze(shop, db)["shares"]["effort"]
    assert after["verified"] == 3
    assert after["ktlo_high"] - after["ktlo_low"] < before["ktlo_high"] - before["ktlo_low"]
    # the rest of the spreadsheet later: loading it again changes nothing it holds
    rows[0]["kind"] = TRUTH[named[rows[0]["item_id"]]]
    code, out, _ = run("review", "--db", db, "--answers", write_answers(tmp_path / "a.csv", rows))
    assert code == 0 and "stored 4 answers (4 to sampled items); 0 rows left blank" in out
    assert analyze(shop, db)["shares"]["effort"]["verified"] == 4
    third = draw(db, "--sample", "10")  # answered items are not offered again
    assert len(third) == 4 and not {r["item_id"] for r in third} & {r["item_id"] for r in rows}
    code, shown, _ = run("review", "--db", db, "--sample", "2")  # in the terminal: how to answer
    assert code == 0 and "Label each with its kind" in shown and "[dim]" not in shown


def test_only_answers_to_sampled_items_measure_the_error(shop: GitRepo, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    before = analyze(shop, db)
    named = {title: item for item, title in titles(db).items()}
    # a review-queue answer: a person says the photos were upkeep after all
    item = named["feat: show product photos"]
    assert run("review", item, "--as", "ktlo/maintenance", "--db", db)[0] == 0
    after = analyze(shop, db)
    assert after["error_rates"] == before["error_rates"]  # not a random sample: no evidence
    assert after["shares"]["commits"]["verified"] == 0
    # ... but the item itself now counts as KTLO, for sure
    assert after["shares"]["commits"]["ktlo"] > before["shares"]["commits"]["ktlo"]
    assert after["shares"]["commits"]["ktlo_verdicts"] == round(7 / 9, 4)


def test_an_investment_alone_invents_no_subcategory(shop: GitRepo, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    analyze(shop, db)
    rows = draw(db, "--sample", "8", "--seed", "3")
    named = titles(db)
    for row in rows:
        row["kind"] = "ktlo"  # as a person who only tells KTLO from new work would
    code, _, err = run("review", "--db", db, "--answers", write_answers(tmp_path / "a.csv", rows))
    assert code == 0, err
    with Store.open(db, read_only=True) as store:
        stored = store.query(
            "SELECT o.item_id, o.subcategory AS answered, e.subcategory AS shown, o.note "
            "FROM overrides o JOIN effective_verdicts e USING (item_id)"
        )
    assert {r["answered"] for r in stored} == {None}
    for row in stored:
        title = named[row["item_id"]]
        if TRUTH[title].startswith("ktlo/"):  # agreed: the classifier's kind is still shown
            assert row["shown"] == TRUTH[title].split("/")[1]
            assert row["note"] == "sampled answer: confirmed"
        else:  # corrected: no kind is made up
            assert row["shown"] is None
            assert row["note"] == f"sampled answer: corrected from {TRUTH[title]}"


def test_bad_answers_are_refused_whole(shop: GitRepo, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    analyze(shop, db)
    rows = draw(db, "--sample", "3", "--seed", "5")
    rows[0]["kind"], rows[1]["kind"], rows[2]["kind"] = "ktlo", "nonsense", "new_work"
    code, _, err = run("review", "--db", db, "--answers", write_answers(tmp_path / "a.csv", rows))
    assert code == 1 and "a.csv line 3: unknown category 'nonsense'" in err
    rows[1]["kind"], rows[2]["item_id"] = "bug", "git:commit:nowhere:123"
    code, _, err = run("review", "--db", db, "--answers", write_answers(tmp_path / "a.csv", rows))
    assert code == 1 and "1 item not in this store, e.g. 'git:commit:nowhere:123'" in err
    (tmp_path / "b.csv").write_text("item_id,label\nx,ktlo\n")
    code, _, err = run("review", "--db", db, "--answers", tmp_path / "b.csv")
    assert code == 1 and "has no kind column" in err
    with Store.open(db, read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM overrides").fetchone() == (0,)


def test_a_sample_within_dates(shop: GitRepo, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    analyze(shop, db)
    rows = draw(db, "--sample", "20", "--since", "2026-03-01")
    named = titles(db)
    assert {named[r["item_id"]] for r in rows} == {  # the March commits only
        "Add CSV export for invoices",
        "docs: explain the checkout flow",
        'Revert "docs: explain the checkout flow"',
    }
    assert all(r["created"] >= "2026-03-01" for r in rows)


def test_sampled_items_are_held_out_of_the_learned_model(store: Store) -> None:
    for k in range(6):
        add_commit(store, f"c{k}", "Ana Lima", f"2026-03-0{k + 2}T10:00:00", title=f"change {k}")
    drawn = draw_sample(store, Config(), 3, SampleScope(), seed=1)
    sampled = {row["item_id"] for row in drawn["items"]}
    assert len(sampled) == 3
    with store.transaction():  # every item answered: three sampled, three not
        store_overrides(store, [(f"c{k}", "ktlo", "bug", "test") for k in range(6)])
    assert learn(store).items == 3  # only the answers nobody drew at random teach the model


def test_the_report_and_the_terminal_show_the_intervals(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store)
        doc = build_report(store, config, ReportFilters())
    html = render_report(doc)
    card = doc.teams[0]  # payments, February: the whole interval above the band
    assert card.last_period_share_low is not None and card.last_period_share_high is not None
    shown = f"({card.last_period_share_low * 100:.0f}–{card.last_period_share_high * 100:.0f}%)"
    assert f'<span class="interval" title="90% interval">{shown}</span>' in html
    periods = [p for b in doc.balance for p in b.periods]
    assert html.count('class="interval"') >= len(periods) + len(doc.teams)
    assert '"share_low": [' in html  # the balance chart draws them as error bars
    # a share over the band whose interval reaches into it is only likely over
    search = Budget(0.2, 0.4)
    assert search.status(0.43, 0.38, 0.5) == "likely over"
    assert (
        'class="status status-likely-over"'
        in environment()
        .from_string('{% from "macros.html" import status %}{{ status("likely over") }}')
        .render()
    )
    code, out, err = run(
        "allocation",
        "--db",
        tmp_path / "ktlo.duckdb",
        "--config",
        config.path,
        "--team",
        "payments",
    )
    assert code == 0, err
    assert re.search(r"KTLO share \d+% \(\d+–\d+%\) overall", out)
    assert "corrected for the verdicts' error measured on other projects" in out


def test_a_sample_answered_one_by_one_without_seeing_the_verdicts(
    shop: GitRepo, tmp_path: Path
) -> None:
    db = tmp_path / "s.duckdb"
    analyze(shop, db)
    result = CliRunner().invoke(
        main,
        ["review", "--db", str(db), "--sample", "3", "--seed", "2", "--ask"],
        input="ktlo/bug\nnonsense\nnew_work\n\n",
    )
    assert result.exit_code == 0, result.output
    assert "Sample #1: 3 of 8 unanswered items (seed 2)" in result.output
    assert "unknown category 'nonsense'" in result.output  # asked again
    assert "conventional_commit" not in result.output and "confidence" not in result.output
    with Store.open(db, read_only=True) as store:
        answered = store.query(
            "SELECT o.investment, o.subcategory FROM review_sample_items s "
            "JOIN overrides o USING (item_id) ORDER BY s.position"
        )
    assert answered == [  # the third was skipped (Enter)
        {"investment": "ktlo", "subcategory": "bug"},
        {"investment": "new_work", "subcategory": None},
    ]


def test_an_item_worked_on_several_days_counts_as_one_item(store: Store) -> None:
    # a pull request Ana worked on for three days (KTLO) and a commit of hers (new work):
    # one item of 3 person-days and one of 1, not four items of a day each
    add_item(store, "pr1", "pull_request", ("ktlo", "bug"))
    for day in ("2026-03-02", "2026-03-04", "2026-03-06"):
        add_activity(store, "pr1", "ana@acme.com", "opened", f"{day}T10:00:00")
    add_commit(store, "c1", "Ana Lima", "2026-03-09T10:00:00", ("new_work", "feature"))
    doc = allocation(store, Config(), AllocationOptions()).to_json()
    totals = doc["totals"]
    assert (totals["person_days"], totals["ktlo_person_days"]) == (4.0, 3.0)
    rates = prior_rates()
    whole = estimate(Parts(4.0, 0, 0, (3.0, 1.0, 0), (9.0, 1.0, 0)), rates)
    by_day = estimate(Parts(4.0, 0, 0, (3.0, 1.0, 0), (3.0, 1.0, 0)), rates)
    assert whole is not None and by_day is not None and whole.low < by_day.low
    assert (totals["ktlo_share"], totals["ktlo_share_low"], totals["ktlo_share_high"]) == (
        whole.share,
        whole.low,
        whole.high,
    )


def test_answers_as_people_type_them(shop: GitRepo, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    analyze(shop, db)
    rows = draw(db, "--sample", "2", "--seed", "9")
    rows[0]["kind"], rows[1]["kind"] = "New work", "KTLO / tech-debt"
    answers = write_answers(tmp_path / "a.csv", rows)
    code, _, err = run("review", "--db", db, "--answers", answers, "--sample", "3")
    assert code == 1 and "--answers loads a file on its own" in err
    code, _, err = run("review", "--db", db, "--answers", answers)
    assert code == 0, err
    with Store.open(db, read_only=True) as store:
        stored = store.query("SELECT investment, subcategory FROM overrides ORDER BY investment")
    assert stored == [
        {"investment": "ktlo", "subcategory": "tech_debt"},
        {"investment": "new_work", "subcategory": None},
    ]
