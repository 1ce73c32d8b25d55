"""Every command's JSON on a store, normalised to what must not change between runs.

    .venv/bin/python tests/contracts.py FOLDER

FOLDER holds `ktlo.duckdb` and `ktlo.toml` (a demo's output folder). Each command of
`COMMANDS` runs in-process as a user types it; what legitimately differs between two runs
(when it ran, how long it took, where the folder is) is blanked, and the rest is compared
byte for byte by tests/test_json_contracts.py against the digests in
tests/fixtures/json_contracts.json (recorded by that test, see its docstring). Run as a
script, it writes the documents to KTLO_CONTRACTS_OUT (default /tmp/ktlo-contracts) to diff
two versions of the code.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

DIGESTS = Path(__file__).resolve().parent / "fixtures" / "json_contracts.json"

COMMANDS: dict[str, list[str]] = {
    "analyze": ["analyze", "--json"],
    "allocation": ["allocation", "--json"],
    "allocation_team": ["allocation", "--by", "team", "--json"],
    "allocation_person": ["allocation", "--by", "person", "--json"],
    "allocation_repo": ["allocation", "--by", "repo", "--json"],
    "allocation_payments": ["allocation", "--team", "payments", "--by", "subcategory", "--json"],
    "allocation_initiative": ["allocation", "--by", "initiative", "--period", "quarter", "--json"],
    "allocation_category": ["allocation", "--by", "category", "--period", "quarter", "--json"],
    "budget": ["budget", "--json"],
    "capitalization": ["capitalization", "--json"],
    "health": ["health", "--json"],
    "health_payments": ["health", "--team", "payments", "--period", "week", "--json"],
    "mode": ["mode", "--json"],
    "forecast": ["forecast", "--team", "payments", "--json"],
    "sprints": ["sprints", "--json"],
    "flow": ["flow", "--json"],
    "flow_payments": ["flow", "--team", "payments", "--period", "week", "--json"],
    "flow_mobile_storm": ["flow", "--team", "mobile", "--period", "2026-09", "--json"],
    "report": ["report", "--json"],
    "review": ["review", "--json"],
    "overrides": ["override", "--list", "--json"],
    "rotation_review": ["rotation", "review", "--team", "payments", "--json"],
    "rotation_plan": ["rotation", "plan", "--team", "search", "--start", "2026-12-07", "--json"],
    "explain_issue": ["explain", "PAY-101", "--json"],
    "deps": ["deps", "--offline", "--as-of", "2026-11-20", "--json"],
}

_VARYING = {"generated_at", "seconds", "created_at_of_override"}


def outputs(folder: Path) -> dict[str, str]:
    """Each command's JSON, normalised, by name (run in `folder`, as a user would)."""
    from click.testing import CliRunner

    from ktlo.cli import main

    found: dict[str, str] = {}
    here = Path.cwd()
    os.chdir(folder)
    try:
        for name, args in COMMANDS.items():
            result = CliRunner().invoke(main, args, catch_exceptions=False)
            assert result.exit_code == 0, f"ktlo {' '.join(args)}: {result.output}"
            document = json.loads(result.stdout)
            # written byte for byte as Python's json module writes it (ktlo.cli.output)
            as_json_module = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            assert result.stdout == as_json_module, f"ktlo {' '.join(args)}: written otherwise"
            found[name] = normalised(document, folder)
    finally:
        os.chdir(here)
    return found


def normalised(document: Any, folder: Path) -> str:
    """The document as text, without what differs between two identical runs."""
    text = json.dumps(_blank(document), indent=1, ensure_ascii=False)
    return re.sub(re.escape(str(folder.resolve())), "<folder>", text)


def _blank(value: Any) -> Any:
    if isinstance(value, dict):
        if "created_by" in value and "created_at" in value:  # an override: when it was made
            value = {**value, "created_at": "<when>"}
        return {k: "<varies>" if k in _VARYING else _blank(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_blank(v) for v in value]
    return value


def digests(found: dict[str, str]) -> dict[str, str]:
    return {name: hashlib.sha256(text.encode()).hexdigest()[:16] for name, text in found.items()}


if __name__ == "__main__":
    folder = Path(sys.argv[1])
    found = outputs(folder)
    out = Path(os.environ.get("KTLO_CONTRACTS_OUT", "/tmp/ktlo-contracts"))
    out.mkdir(parents=True, exist_ok=True)
    for name, text in found.items():
        (out / f"{name}.json").write_text(text)
    print(f"{len(found)} documents written to {out}")
