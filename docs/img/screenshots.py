"""Take the README's screenshots of the report and the dashboard on the demo organisation.

    .venv/bin/python docs/img/screenshots.py

Runs `ktlo demo` into a temporary folder, writes the HTML report, starts `ktlo serve`, and
photographs the main pages in headless Chromium (the same set-up as the browser tests).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.browser import chromium, serve, wait_for_charts  # noqa: E402

OUT = Path(__file__).resolve().parent
WIDTH, HEIGHT = 1366, 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo"
        ktlo = [sys.executable, "-m", "ktlo"]
        subprocess.run([*ktlo, "demo", "--out", str(demo)], check=True, capture_output=True)
        db, config = demo / "ktlo.duckdb", demo / "ktlo.toml"
        report = Path(tmp) / "report.html"
        subprocess.run(
            [*ktlo, "report", "--db", str(db), "--config", str(config), "--html", str(report)],
            check=True,
        )
        with serve(db, config) as base, chromium() as (context, _):
            page = context.new_page()
            page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
            shots = {
                "report.png": report.as_uri(),
                "dashboard.png": base + "/",
                "team.png": base + "/teams/payments",
                "items.png": base + "/items?team=payments&investment=ktlo&since=2026-08-01",
                "review.png": base + "/review?limit=8",
            }
            for name, url in shots.items():
                page.goto(url)
                wait_for_charts(page)
                page.screenshot(path=str(OUT / name))
            first = page.locator("table.items tbody tr th a").first.get_attribute("href")
            page.goto(base + (first or "/items/" + quote("none")))
            page.screenshot(path=str(OUT / "item.png"))
            page.goto(base + "/#health")
            wait_for_charts(page)
            page.locator("#health").screenshot(path=str(OUT / "health.png"))
            page.goto(base + "/teams/payments")
            wait_for_charts(page)
            top = page.locator("#forecast").bounding_box()
            end = page.locator("#rotation").bounding_box()
            if top and end:  # the forecast and, below it, the rotation calendar beside its load
                clip = {"x": top["x"], "y": top["y"], "width": top["width"],
                        "height": end["y"] + end["height"] - top["y"]}  # fmt: skip
                page.screenshot(path=str(OUT / "planning.png"), full_page=True, clip=clip)
    print("wrote", ", ".join(sorted(p.name for p in OUT.glob("*.png"))))


if __name__ == "__main__":
    main()
