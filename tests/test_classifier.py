"""The built-in classifier: each signal, each subcategory, and the reasons it gives."""

from __future__ import annotations

import pytest

from ktlo.classify import classify
from ktlo.records import WorkText


def verdict(title: str, **kwargs: object) -> tuple[str | None, list[str]]:
    v = classify(WorkText(title=title, **kwargs))  # type: ignore[arg-type]
    return v.subcategory, [r.signal for r in v.reasons]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("feat(cart): add gift cards", "feature"),
        ("fix(api): handle empty cart", "bug"),
        ("perf: cache price lookups", "performance"),
        ("refactor: split the order service", "tech_debt"),
        ("docs: explain retries", "maintenance"),
        ("ci: run tests on 3.12", "maintenance"),
        ("chore(deps): bump requests to 2.32.3", "dependency"),
        ("build(deps-dev): bump pytest from 8.0 to 8.1", "dependency"),
        ("fix(security): escape user input in search", "security"),
        ("feat!: drop the v1 API", "feature"),
    ],
)
def test_conventional_commit_types_and_scopes(title: str, expected: str) -> None:
    sub, signals = verdict(title)
    assert sub == expected
    assert signals[0] in {"conventional_commit", "conventional_type"}


def test_conventional_type_keeps_investment_but_text_refines_kind() -> None:
    sub, signals = verdict("chore: remove unused feature flags and dead code")
    assert sub == "tech_debt"
    assert signals[0] == "conventional_commit" and "keyword" in signals


def test_unknown_area_prefix_is_not_a_conventional_type() -> None:
    sub, signals = verdict("http2: fix crash on stream reset")
    assert sub == "bug"
    assert "conventional_commit" not in signals


@pytest.mark.parametrize(
    ("title", "body", "expected_signal"),
    [
        ('Revert "feat: new pricing page"', "This reverts commit abc123.", "revert"),
        (
            "Update payments module",
            "Reverted because of the checkout outage.\n\nThis reverts commit 1a2b3c.",
            "revert",
        ),
    ],
)
def test_reverts_are_incidents(title: str, body: str, expected_signal: str) -> None:
    sub, signals = verdict(title, body=body)
    assert (sub, signals[0]) == ("incident", expected_signal)


def test_hotfix_and_rollback_are_incidents() -> None:
    assert verdict("Hotfix: restore checkout after bad deploy")[0] == "incident"
    assert verdict("Roll back the search index schema change")[0] == "incident"


def test_dependency_bot_author() -> None:
    sub, signals = verdict(
        "Update all non-major dependencies", author="renovate[bot] <bot@renovateapp.com>"
    )
    assert (sub, signals) == ("dependency", ["bot_author"])


def test_dependency_bot_with_advisory_is_security() -> None:
    sub, _ = verdict("Bump jinja2 from 3.1.2 to 3.1.4 (CVE-2024-34064)", author="dependabot[bot]")
    assert sub == "security"


@pytest.mark.parametrize(
    "title",
    ["Patch CVE-2024-3094 in the base image", "Apply GHSA-xxxx-yyyy-zzzz fix to the parser"],
)
def test_advisory_ids_are_security(title: str) -> None:
    sub, signals = verdict(title)
    assert (sub, signals[0]) == ("security", "security_advisory")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (("package-lock.json", "yarn.lock"), "dependency"),
        ((".github/workflows/test.yml",), "maintenance"),
        (("docs/setup.md", "README.md"), "maintenance"),
    ],
)
def test_changes_confined_to_lockfiles_ci_or_docs(files: tuple[str, ...], expected: str) -> None:
    sub, signals = verdict("Update things", files=files)
    assert (sub, signals) == (expected, ["files"])


def test_only_tests_without_vocabulary_is_maintenance() -> None:
    assert verdict("Cover the rounding branch", files=("tests/test_money.py",))[0] == "maintenance"


@pytest.mark.parametrize(
    ("labels", "issue_type", "expected"),
    [
        (("type: bug",), "", "bug"),
        (("kind/feature",), "", "feature"),
        (("enhancement", "security"), "", "security"),
        ((), "Epic", "project"),
        ((), "Incident", "incident"),
    ],
)
def test_labels_and_issue_types_decide(
    labels: tuple[str, ...], issue_type: str, expected: str
) -> None:
    sub, signals = verdict("Something about checkout", labels=labels, issue_type=issue_type)
    assert sub == expected
    assert signals[0] in {"label", "issue_type"}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Add missing null check in invoice parser", "bug"),
        ("Add support for SAML login", "feature"),
        ("Checkout page crashes when the coupon is empty", "bug"),
        ("Rotate the leaked Stripe API key", "security"),
        ("Sanitize HTML in comments to prevent XSS", "security"),
        ("Bump lodash from 4.17.20 to 4.17.21", "dependency"),
        ("Upgrade to Postgres 16", "dependency"),
        ("Speed up search indexing by batching writes", "performance"),
        ("Add retry with backoff to the webhook sender", "reliability"),
        ("Fix flaky test in the scheduler suite", "reliability"),
        ("Update README", "maintenance"),
        ("Fix typo in docs", "maintenance"),
        ("Add tests for refund rounding", "maintenance"),
        ("Remove deprecated v1 endpoints", "tech_debt"),
        ("Clean up unused imports", "tech_debt"),
        ("Migrate billing to Stripe", "project"),
        ("Redesign the onboarding flow", "project"),
        ("As a shopper I want to save my cart for later", "feature"),
        ("Postmortem follow-up: add runbook for the payment outage", "incident"),
    ],
)
def test_phrases_of_each_subcategory(title: str, expected: str) -> None:
    assert verdict(title)[0] == expected


def test_what_is_added_decides_over_the_verb() -> None:
    """'add' leans to feature; what is added can say otherwise, and the reasons say so."""
    v = classify(WorkText("Add missing null check"))
    assert v.subcategory == "bug"
    assert any("missing" in r.detail for r in v.reasons)
    assert verdict("Add tests for refund rounding")[0] == "maintenance"
    assert verdict("Add a --json flag to the report command")[0] == "feature"


@pytest.mark.parametrize(
    "title",
    ["Fix N+1 queries on the orders page", "Fix flaky test in the scheduler", "Fix typo in docs"],
)
def test_a_fix_is_ktlo_whatever_it_touches(title: str) -> None:
    assert classify(WorkText(title)).investment == "ktlo"


def test_ticket_prefixes_and_draft_markers_are_ignored() -> None:
    assert verdict("[PAY-1234] Draft: Fix rounding in refunds")[0] == "bug"
    assert verdict("PAY-1234: Add export to CSV")[0] == "feature"
    assert verdict('Resolve "Invoices are emailed twice"')[0] == "bug"


def test_github_merge_commit_is_read_through_its_pr_title() -> None:
    sub, signals = verdict(
        "Merge pull request #12 from acme/fix-crash", body="Fix crash on empty cart"
    )
    assert sub == "bug" and "merge" in signals


def test_plain_merge_is_other() -> None:
    v = classify(WorkText("Merge branch 'main' into feature/x"))
    assert (v.investment, v.subcategory) == ("other", None)


def test_no_text_is_other_with_a_reason() -> None:
    v = classify(WorkText("wip"))
    assert v.investment == "other"
    assert v.reasons[0].signal == "no_signal"


def test_gitmoji() -> None:
    assert verdict("🐛 Fix price rounding")[0] == "bug"
    assert verdict(":arrow_up: Upgrade pydantic")[0] == "dependency"


def test_every_verdict_has_confidence_and_reasons() -> None:
    for title in ["feat: x", "Fix crash", "Bump a from 1.0 to 2.0", "Something vague here", "wip"]:
        v = classify(WorkText(title))
        assert 0 < v.confidence <= 1
        assert v.reasons
