"""Weights built from their five fitted parts, as eval/fit.py builds them, classify exactly
as the weights loaded from weights.toml: what the model derives from them (the class
groups, each class's position, the new-work factors) is derived by `Weights` itself."""

from __future__ import annotations

import pytest

from ktlo.classify import classify, model
from ktlo.records import WorkText

ITEMS = [
    WorkText("fix crash when the cart is empty", kind="commit"),
    WorkText("Add on-call calendar export", kind="pull_request"),
    WorkText("chore: remove dead code", kind="commit"),
    WorkText("Update docs", body="Explain the new flag.", files=("README.md", "src/a.py")),
    WorkText("Login fails for SSO users", kind="issue"),
    WorkText("wip"),
]


def test_weights_from_their_fitted_parts_classify_as_the_loaded_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = model.weights()
    expected = [classify(item) for item in ITEMS]
    rebuilt = model.Weights(
        loaded.classes, loaded.bias, dict(loaded.table), dict(loaded.new_work_bias), {}
    )
    monkeypatch.setattr(model, "weights", lambda: rebuilt)  # what eval/fit.py's use() does
    assert [classify(item) for item in ITEMS] == expected
    assert {v.investment for v in expected} == {"ktlo", "new_work", "other"}
