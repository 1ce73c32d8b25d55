"""`ktlo deps`' risk sections in the terminal: the open vulnerabilities most severe first,
time to patch, and what was not refreshed, not dated or never checked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from ktlo.metrics.dependencies import DepsDocument

BAND_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "dim",
    "unknown": "dim",
}
SHOWN = 15


def render_risk(doc: DepsDocument, console: Console) -> None:
    """Open vulnerabilities, time to patch, then what the figures could not rest on."""
    vulns, ttp = doc.vulnerabilities, doc.time_to_patch.totals
    if vulns.open:
        console.print(f"\nOpen vulnerabilities ({len(vulns.open)}):")
        for v in vulns.open[:SHOWN]:
            line = Text("  ")
            line.append(f"{v.severity:<8}", style=BAND_STYLE[v.severity])
            age = f", {v.age_days:.0f} days" if v.age_days is not None else ""
            fix = f" → {v.fixed_in}" if v.fixed_in else ""
            line.append(f" {v.advisory_id} {v.package} {v.version}{fix} in {v.repo_id}{age}")
            console.print(line)
        if len(vulns.open) > SHOWN:
            console.print(f"  … and {len(vulns.open) - SHOWN} more (--json for all)")
    if ttp.patches:
        console.print(
            f"\nTime to patch: median {ttp.median_days:.1f} days, 90th percentile "
            f"{ttp.p90_days:.1f} days over {ttp.patches} patches"
        )
    for note in doc.not_refreshed:
        console.print(Text(f"Not refreshed: {note}", style="yellow"))
    if doc.freshness.not_dated:
        console.print(
            Text(f"No release dates for {len(doc.freshness.not_dated)} packages", style="dim")
        )
    if vulns.unchecked:
        console.print(
            Text(f"Never checked against OSV: {len(vulns.unchecked)} packages", style="dim")
        )
    if vulns.unpinned:
        console.print(
            Text(
                f"No exact version (a range no lockfile pins), so not matched against "
                f"advisories: {len(vulns.unpinned)} packages",
                style="dim",
            )
        )
