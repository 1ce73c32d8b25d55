"""The built-in classifier's generalising habits: whole words, subject over template text, files, scope."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ktlo.classify import classify
from ktlo.classify.evaluate import evaluate, read_labeled
from ktlo.records import WorkText


def label(title: str, **kwargs: object) -> str:
    return classify(WorkText(title=title, **kwargs)).label  # type: ignore[arg-type]


def test_a_phrase_never_matches_inside_a_longer_word() -> None:
    # "config" (maintenance) used to match the start of "configurable" (feature)
    assert label("make Blooms-Gateway queue settings configurable") == "new_work/feature"
    assert label("Add config endpoint") == "new_work/feature"


def test_pull_request_templates_and_checklists_do_not_vote() -> None:
    own = "Adds a `--dry-run` option."
    template = (
        "**What this PR does / why we need it**:\n\n" + own + "\n\n**Checklist**\n"
        "- [ ] Documentation added\n- [ ] Tests updated\n- [x] CHANGELOG.md updated\n"
        "<!-- Thanks for contributing! -->\n```\nmake test docs\n```"
    )
    with_template = classify(WorkText(title="cli: dry runs", body=template))
    assert with_template == classify(WorkText(title="cli: dry runs", body=own))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("update karma to version 5.1.0", "ktlo/dependency"),
        ("update @bazel/buildifier to version 3.2.0", "ktlo/dependency"),
        ("release 11.0.0-beta.6", "ktlo/maintenance"),
        ("rewrite url when image-set and url exist at the same time", "ktlo/maintenance"),
        ("add --profile option to the build command", "new_work/feature"),
    ],
)
def test_versions_urls_and_docs_are_not_new_work(title: str, expected: str) -> None:
    assert label(title) == expected


@pytest.mark.parametrize(
    "title",
    [
        "Redesign the alerting strategy",
        "Rethink our on-call and alerting strategy across all services",
        "Migrate all services from Jenkins to GitHub Actions",
        "Split the payments monolith into services",
        "Company-wide SSO rollout",
    ],
)
def test_scope_words_name_a_project(title: str) -> None:
    assert label(title, kind="issue") == "new_work/project"


def test_tuning_alerts_is_ktlo() -> None:
    assert label("Tune noisy disk alerts", kind="issue") == "ktlo/reliability"


def test_tests_docs_and_ci_together_are_maintenance() -> None:
    files = ("tests/test_api.py", "docs/api.md", ".github/workflows/ci.yml")
    assert label("Tidy things around the API", files=files) == "ktlo/maintenance"


def test_eval_reads_json_lines_with_files_and_kind(tmp_path: Path) -> None:
    sample = tmp_path / "sample.jsonl"
    rows = [
        {"id": 1, "title": "Refresh the lock", "files": ["poetry.lock"], "label": "dependency"},
        {"id": 2, "title": "Tags on bookmarks", "kind": "issue", "label": "feature"},
        {"id": 3, "title": "tags on bookmarks", "label": "feature"},
    ]
    sample.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    report = evaluate(read_labeled(sample))
    assert [m["id"] for m in report["mistakes"]] == ["3"]  # a commit needs more than a noun
    csv_sample = tmp_path / "sample.csv"
    csv_sample.write_text(
        "id,text,label,kind\n2,Tags on bookmarks,feature,issue\n", encoding="utf-8"
    )
    assert evaluate(read_labeled(csv_sample))["mistakes"] == []


@pytest.mark.parametrize(
    "title",
    [
        "Storefront returns 502 Bad Gateway after deploy",
        "Bad gateway on the admin console",
        "The status website is down",
    ],
)
def test_gateway_errors_and_sites_down_are_incidents(title: str) -> None:
    # "gateway" alone names a thing; "bad gateway", "is down" name an outage
    assert label(title, kind="issue") == "ktlo/incident"


@pytest.mark.parametrize(
    "title",
    [
        "Avatar upload fails for PNG files",
        "Sidebar layout breaks on narrow screens",
        "Invoice export aborted halfway",
        "Shipping date is off by 1 in the order summary",
    ],
)
def test_reported_symptoms_are_bugs(title: str) -> None:
    # no "fix" anywhere: the subject is a symptom, not a capability
    assert label(title, kind="issue") == "ktlo/bug"


@pytest.mark.parametrize(
    "title",
    [
        "Add support for Python 3.13",
        "Declare support for Django 5.1",
        "Go 1.23 support",
    ],
)
def test_supporting_a_runtime_version_is_a_dependency(title: str) -> None:
    assert label(title) == "ktlo/dependency"


def test_support_for_a_capability_stays_a_feature() -> None:
    assert label("Add support for webhooks in the notifier") == "new_work/feature"
    assert label("Ability for admins to pin a comment") == "new_work/feature"


def test_format_the_noun_is_not_formatting() -> None:
    # "format" the verb is upkeep (`format code with black`); the noun is an output format
    assert label("Parquet output format for the exporter") == "new_work/feature"
    assert label("format the code with black") == "ktlo/maintenance"


@pytest.mark.parametrize("title", ["Video player", "Calendar events", "Keyboard shortcuts"])
def test_a_capitalised_noun_phrase_names_a_capability(title: str) -> None:
    assert label(title) == "new_work/feature"
    assert label(title, kind="issue") == "new_work/feature"


def test_no_evidence_is_no_signal_not_upkeep() -> None:
    # nothing the model reads: counted apart as `other`, never guessed as maintenance
    for title in ("quorble zimbo", "wip"):
        verdict = classify(WorkText(title=title))
        assert verdict.investment == "other"
        assert verdict.reasons[0].signal == "no_signal"


def test_a_change_confined_to_build_configuration_votes_for_upkeep() -> None:
    build = ("configure.ac", "m4/zstd.m4", "Makefile.am")
    assert label("Link zstd statically", files=build) == "ktlo/maintenance"
    # a vote, not a verdict: a clear bug stays a bug
    assert label("Fix crash when CC is unset", files=("Makefile",)) == "ktlo/bug"


@pytest.mark.parametrize("title", ["dark theme support", "editor: multi-cursor support."])
def test_a_title_ending_in_support_names_a_capability(title: str) -> None:
    assert label(title) == "new_work/feature"


@pytest.mark.parametrize("title", ["Bulk edit for product prices", "Video player"])
def test_a_noun_phrase_naming_a_thing_to_have_stays_a_capability(title: str) -> None:
    assert label(title) == "new_work/feature"
