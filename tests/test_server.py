"""The dashboard through its HTTP interface (in process), over the small organisation."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from ktlo.config import Config
from ktlo.effort.allocation import AllocationOptions, allocation
from ktlo.errors import ConfigError
from ktlo.server import is_loopback, serve
from ktlo.server.app import ServerSettings, create_app
from ktlo.store import Store
from tests import estimates, health_work
from tests.report_work import HOSTILE_ID, add_doubts, build_org, write_config

LOCAL = "http://127.0.0.1:8765"


@pytest.fixture
def org(tmp_path: Path) -> tuple[Path, Config]:
    config = write_config(tmp_path)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store)
    return tmp_path / "ktlo.duckdb", config


@pytest.fixture
def client(org: tuple[Path, Config]) -> Iterator[TestClient]:
    app = create_app(ServerSettings(org[0], org[1], check_every=0.1))
    with TestClient(app, base_url=LOCAL) as test_client:
        yield test_client


def test_every_page_has_a_json_twin_with_the_same_numbers(client: TestClient) -> None:
    home = client.get("/")
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    doc = client.get("/index.json").json()
    assert doc["schema"] == "ktlo.report/v2"
    assert f"{doc['organisation']['totals']['person_days']:,.1f} person-days" in home.text
    team = client.get("/teams/payments.json").json()
    assert [c["team"] for c in team["teams"]] == ["payments"]
    page = client.get("/teams/payments")
    assert page.status_code == 200 and "payments" in page.text
    assert '<a href="/teams/payments.json"' in page.text
    items = client.get("/items.json", params={"team": "payments", "subcategory": "bug"}).json()
    assert items["totals"] == {"items": 51, "person_days": 51.0}
    one = client.get(f"/items/{HOSTILE_ID}.json").json()
    assert (one["label"], one["reasons"]) == ("ktlo/bug", ["test"])


def test_filters_change_the_numbers(client: TestClient) -> None:
    whole = client.get("/index.json").json()["organisation"]["totals"]["person_days"]
    since = client.get("/index.json", params={"since": "2026-02-01"}).json()
    assert (whole, since["organisation"]["totals"]["person_days"]) == (180.0, 120.0)
    repo = client.get("/index.json", params={"repo": "github.com/acme/search"}).json()
    assert repo["organisation"]["totals"]["person_days"] == 60.0
    form = client.get("/", params={"team": "", "since": "2026-02-01", "repo": ""})
    assert form.status_code == 200 and "120.0 person-days" in form.text


TWINS = (("/", "/index.json"), ("/teams/{name}", "/teams/{name}.json"),
         ("/items", "/items.json"), ("/items/{item_id}", "/items/{item_id}.json"),
         ("/review", "/review.json"))  # fmt: skip


def test_each_page_and_its_json_twin_take_the_same_filters(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()["paths"]
    for html, twin in TWINS:
        names = [
            [p["name"] for p in spec[path]["get"].get("parameters", [])] for path in (html, twin)
        ]
        assert names[0] == names[1], html
    query = {"period": "week", "since": "2026-02-01", "repo": "github.com/acme/search"}
    link = "period=week&amp;since=2026-02-01&amp;repo=github.com%2Facme%2Fsearch"
    for html, twin in (("/", "/index.json"), ("/teams/search", "/teams/search.json"),
                       ("/items", "/items.json")):  # fmt: skip
        doc = client.get(twin, params=query).json()
        assert (doc["filters"]["period"], doc["filters"]["since"], doc["filters"]["repo"]) == (
            "week", "2026-02-01", "github.com/acme/search")  # fmt: skip
        page = client.get(html, params=query)
        assert page.status_code == 200 and f'<a href="{twin}?{link}"' in page.text, html
        assert 'name="since" value="2026-02-01"' in page.text, html
        bad = {**query, "until": "soon"}
        answers = [client.get(path, params=bad, headers={"accept": "application/json"})
                   for path in (html, twin)]  # fmt: skip
        assert [a.json()["error"]["message"] for a in answers] == [
            "until='soon' is not a date"] * 2, html  # fmt: skip


def test_drill_down_lists_the_items_behind_a_share(client: TestClient) -> None:
    page = client.get("/teams/payments").text
    link = "/items?team=payments&amp;since=2026-02-01&amp;until=2026-03-01&amp;subcategory=bug"
    assert f'<a href="{link}">20.0</a>' in page  # Ana's bug days in February
    items = client.get(link.replace("&amp;", "&"))
    assert items.status_code == 200
    assert '<span id="items-total">20</span> items' in items.text
    data = client.get(link.replace("&amp;", "&").replace("/items?", "/items.json?")).json()
    assert {(i["investment"], i["subcategory"]) for i in data["items"]} == {("ktlo", "bug")}
    assert all(i["first_day"].startswith("2026-02") for i in data["items"])


def test_unknown_names_and_bad_dates_get_a_clear_4xx(client: TestClient) -> None:
    html = client.get("/teams/nope")
    assert html.status_code == 404 and "unknown team &#39;nope&#39;" in html.text
    assert client.get("/teams/nope.json").json() == {
        "error": {"status": 404, "title": "Not found", "message": "unknown team 'nope'",
                  "fix": "known teams: payments, search"}
    }  # fmt: skip
    bad = client.get("/index.json", params={"since": "2026-13-01"})
    assert bad.status_code == 400
    assert bad.json()["error"]["message"] == "since='2026-13-01' is not a date"
    assert client.get("/", params={"until": "soon"}).status_code == 400
    assert client.get("/items/nothing-here").status_code == 404
    assert client.get("/items.json", params={"investment": "fun"}).status_code == 400
    assert client.get("/no/such/page.json").json()["error"]["status"] == 404


def test_source_text_is_escaped_in_every_page(client: TestClient) -> None:
    for url in (f"/items/{HOSTILE_ID}", "/items?team=payments&subcategory=bug", "/"):
        text = client.get(url).text
        assert "<script>alert(" not in text, url
        assert "&lt;script&gt;alert(" in text, url
    assert "A" * 10_000 in client.get(f"/items/{HOSTILE_ID}").text


def test_an_override_made_in_the_page_shows_up_in_ktlo_allocation(
    client: TestClient, org: tuple[Path, Config]
) -> None:
    before = client.get("/items/raj2.json").json()
    assert before["label"] == "new_work/feature"
    answer = client.post(
        "/items/raj2/override", data={"label": "ktlo/security", "note": "a CVE fix"},
        follow_redirects=False,
    )  # fmt: skip
    assert (answer.status_code, answer.headers["location"]) == (303, "/items/raj2")
    after = client.get("/items/raj2.json").json()
    assert (after["label"], after["reasons"]) == ("ktlo/security", ["override: a CVE fix"])
    team = client.get("/teams/payments.json").json()
    assert team["balance"][0]["periods"][0]["by_subcategory"]["security"] == 1.0
    with Store.open(org[0], read_only=True) as store:
        doc = allocation(
            store, org[1], AllocationOptions(team="payments", by="subcategory")
        ).to_json()
    assert {g["key"]: g["person_days"] for g in doc["groups"]}["security"] == 1.0
    wrong = client.post("/items/raj2/override", data={"label": "ktlo/nonsense"})
    assert wrong.status_code == 400 and "unknown category" in wrong.text


def test_the_review_queue_takes_answers_that_become_overrides(org: tuple[Path, Config]) -> None:
    with Store.open(org[0]) as store:
        add_doubts(store)
    with TestClient(create_app(ServerSettings(*org)), base_url=LOCAL) as client:
        review_in_the_dashboard(client, org)


def review_in_the_dashboard(client: TestClient, org: tuple[Path, Config]) -> None:
    queue = client.get("/review.json").json()
    assert queue["schema"] == "ktlo.review/v1"
    assert [(r["item_id"], r["label"], r["why"]) for r in queue["items"]] == [
        (HOSTILE_ID, "ktlo/bug", "uncertain (0.30)"),
        ("raj3", "new_work/feature", "uncertain (0.30)"),
    ]
    page = client.get("/review")
    assert page.text.count('class="confirm"') == 2 and "<script>alert(" not in page.text
    by_team = {t: client.get("/review.json", params={"team": t}).json()["items"]
               for t in ("payments", "search")}  # fmt: skip
    assert (len(by_team["payments"]), by_team["search"]) == (2, [])  # Raj and Ana are payments
    assert client.get("/review.json", params={"team": "nope"}).status_code == 404
    # a confirmation from the payments queue goes back to it, and the item leaves the queue
    kept = client.post("/review/raj3/answer?team=payments", follow_redirects=False)
    assert (kept.status_code, kept.headers["location"]) == (
        303,
        "/review?team=payments&answered=raj3",
    )
    assert [r["item_id"] for r in client.get("/review.json").json()["items"]] == [HOSTILE_ID]
    corrected = client.post(
        f"/review/{HOSTILE_ID}/answer", data={"label": "ktlo/security"},
        headers={"accept": "application/json"},
    ).json()  # fmt: skip
    assert corrected["note"] == "review: corrected from ktlo/bug"
    assert client.get("/review.json").json()["items"] == []
    assert "Saved" in client.get("/review?answered=raj3").text
    with Store.open(org[0], read_only=True) as store:
        stored = dict(store.con.execute("SELECT item_id, note FROM overrides").fetchall())
        doc = allocation(
            store, org[1], AllocationOptions(team="payments", by="subcategory")
        ).to_json()
    assert stored == {"raj3": "review: confirmed", HOSTILE_ID: "review: corrected from ktlo/bug"}
    assert {g["key"]: g["person_days"] for g in doc["groups"]}["security"] == 1.0
    assert client.post("/review/nothing-here/answer").status_code == 404
    wrong = client.post("/review/raj3/answer", data={"label": "ktlo/nonsense"})
    assert wrong.status_code == 400 and "unknown category" in wrong.text


def test_metrics_in_prometheus_text(client: TestClient, org: tuple[Path, Config]) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(answer.text)}
    share = {s.labels["team"]: s.value for s in families["ktlo_ktlo_share"].samples}
    # 60% and 40% of verdicts, corrected by the tests' prior (tests/estimates.py)
    with Store.open(org[0], read_only=True) as store:
        mix = estimates.read_ktlo(store)
    assert share == {
        "payments": estimates.corrected(0.6, mix),
        "search": estimates.corrected(0.4, mix),
    }
    for edge, beyond in (("low", -1), ("high", 1)):
        bound = {s.labels["team"]: s.value for s in families[f"ktlo_ktlo_share_{edge}"].samples}
        assert all((bound[team] - share[team]) * beyond > 0 for team in share), edge
    kinds = {
        (s.labels["team"], s.labels["subcategory"]): s.value
        for s in families["ktlo_subcategory_share"].samples
    }
    assert kinds[("payments", "bug")] == 0.5
    assert "ktlo_budget_over" in families
    assert "ktlo_dependency_libyears" not in families  # no inventory: absent, never a 0


def test_openapi_describes_the_pages_and_the_api_only(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/", "/index.json", "/teams/{name}", "/teams/{name}.json", "/items", "/items.json",
            "/items/{item_id}.json", "/items/{item_id}/override", "/metrics", "/review",
            "/review.json", "/review/{item_id}/answer"} <= paths  # fmt: skip
    assert client.get("/docs").status_code == 404  # it would load scripts from a CDN


def test_a_token_guards_every_path_alike(org: tuple[Path, Config]) -> None:
    app = create_app(ServerSettings(org[0], org[1], token="s3cret", loopback=False))
    with TestClient(app, base_url="http://10.0.0.5:8765") as client:
        for path in ("/", "/teams/payments.json", "/teams/nope.json", "/nothing", "/metrics"):
            for headers in ({}, {"Authorization": "Bearer wrong"}):
                answer = client.get(path, headers=headers)
                assert answer.status_code == 401, path
                assert "nope" not in answer.text and "payments" not in answer.text
        ok = client.get("/teams/payments.json", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        first = client.get("/?token=s3cret", follow_redirects=False)
        assert first.status_code == 303 and first.headers["location"] == "/"
        assert client.get("/").status_code == 200  # the cookie carries it now


def test_another_address_needs_a_token(org: tuple[Path, Config]) -> None:
    with pytest.raises(ConfigError, match="without a token"):
        serve(org[0], org[1], "0.0.0.0", 8765, None)


def test_loopback_checks_host_and_origin(client: TestClient) -> None:
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    posted = client.post(
        "/items/raj2/override", data={"label": "ktlo/bug"},
        headers={"Origin": "http://evil.example"},
    )  # fmt: skip
    assert posted.status_code == 403
    assert client.get("/items/raj2.json").json()["label"] == "new_work/feature"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and not is_loopback("0.0.0.0")


def test_serving_and_syncing_do_not_block_each_other(
    client: TestClient, org: tuple[Path, Config], tmp_path: Path
) -> None:
    """A writer in another process holds the store; the dashboard answers from its copy,
    says so, and catches up when the writer is done. The writer never fails either."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WRITE, str(org[0])], stdout=subprocess.PIPE, text=True
    ) as writer:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "holding"
        deadline = time.monotonic() + 10
        while "being written" not in (page := client.get("/")).text:
            assert page.status_code == 200 and time.monotonic() < deadline, "no notice shown"
            time.sleep(0.1)
        assert client.get("/index.json").status_code == 200
        assert writer.wait(timeout=30) == 0
    while client.get("/items/lee2.json").json()["label"] != "ktlo/incident":
        assert time.monotonic() < deadline + 20, "the dashboard did not catch up"
        time.sleep(0.1)
    assert "being written" not in client.get("/").text


HOLD_AND_WRITE = """
import sys, time
from ktlo.config import Config
from ktlo.verdicts.overrides import set_override
from ktlo.store import Store
with Store.open(sys.argv[1]) as store:
    set_override(store, "lee2", "ktlo/incident", "from a sync", Config())
    store.con.execute("CHECKPOINT")
    print("holding", flush=True)
    time.sleep(2)
"""


def test_metrics_carry_dora_values_once_deployments_are_synced(org: tuple[Path, Config]) -> None:
    with Store.open(org[0]) as store:
        for day in range(2, 28):
            health_work.deployment(store, f"d{day}", f"2026-03-{day:02d} 10:00")
    app = create_app(ServerSettings(org[0], org[1]))
    with TestClient(app, base_url=LOCAL) as client:
        families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}
        page = client.get("/").text
    frequency = families["ktlo_dora_deployment_frequency"].samples[0]
    assert frequency.labels == {"scope": "organisation"} and frequency.value > 0
    assert "Deployment frequency" in page
    assert "no incidents synced yet — run `ktlo sync`" in page


def test_metrics_carry_dependency_risk_from_the_store(tmp_path: Path) -> None:
    from ktlo.ingest.dependency_risk import load_export, refresh
    from tests.registries_fake import FakeRegistries
    from tests.test_dependency_risk import NOW as RECORDED
    from tests.test_dependency_risk import clients, export_zip, history

    config = write_config(tmp_path)
    with Store.open(tmp_path / "ktlo.duckdb") as store:
        build_org(store)
        history(store)  # payments patched one requests advisory; shop lags on lodash
        refresh(store, clients(FakeRegistries()), now=RECORDED, ask_osv=False)
        load_export(store, export_zip(tmp_path), RECORDED)
    app = create_app(ServerSettings(tmp_path / "ktlo.duckdb", config))
    with TestClient(app, base_url=LOCAL) as client:
        families = {f.name: f for f in text_string_to_metric_families(client.get("/metrics").text)}

    def values(name: str, *keys: str) -> dict[tuple[str, ...], float]:
        return {tuple(s.labels[k] for k in keys): s.value for s in families[name].samples}

    shop, payments = "github.com/acme/shop", "github.com/acme/payments"
    assert values("ktlo_dependency_libyears", "repo") == {(shop,): 0.52, (payments,): 1.02}
    opened = values("ktlo_open_vulnerabilities", "repo", "severity")
    assert (opened[(shop, "high")], opened[(shop, "medium")], opened[(shop, "critical")]) == (
        1,
        1,
        0,
    )
    assert opened[(payments, "medium")] == 1
    assert values("ktlo_time_to_patch_days", "team", "quantile") == {
        ("", "0.5"): 2.54,
        ("", "0.9"): 2.54,
    }
    assert values(
        "ktlo_dependency_packages_unchecked",
    ) == {(): 0.0}
