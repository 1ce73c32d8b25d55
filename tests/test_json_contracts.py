"""Every command's JSON on the demo, byte for byte as recorded (tests/contracts.py).

The JSON documents are ktlo's public contracts (docs/*-json.md): a change of code that is
not meant to change what a command answers (a restructuring, a speed-up) must leave them
byte-identical, and one that is meant to must say so by updating the recorded digests:

    KTLO_UPDATE_CONTRACTS=1 .venv/bin/python -m pytest tests/test_json_contracts.py

(inside the test session: its fixed measured error, tests/conftest.py, is part of the answer).
`.venv/bin/python tests/contracts.py FOLDER` writes the documents themselves, to diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.contracts import DIGESTS, digests, outputs


@pytest.mark.slow
def test_every_commands_json_on_the_demo_is_as_recorded(demo: Path, tmp_path: Path) -> None:
    recorded = json.loads(DIGESTS.read_text())
    texts = outputs(demo)
    found = digests(texts)
    if os.environ.get("KTLO_UPDATE_CONTRACTS") == "1":
        DIGESTS.write_text(json.dumps(found, indent=2) + "\n")
        recorded = found
    changed = sorted(name for name in recorded if found.get(name) != recorded[name])
    for name in changed:  # to diff against the same command run on the code before
        (tmp_path / f"{name}.json").write_text(texts[name])
    assert not changed, f"these commands now answer differently on the demo: {changed} ({tmp_path})"
    assert sorted(found) == sorted(recorded)
