"""Issue types and labels of every tracker mapped to four standard types.

    requirement   something users or the business asked for: story, feature, epic, enhancement
    bug           something that does not work as it should
    incident      an outage, a page, a production emergency, a postmortem action
    task          everything else: chores, sub-tasks, questions, spikes

The issue type decides when the tracker has one; otherwise the most urgent matching label
(incident > bug > requirement > task); an item with neither is a `task`. A source's
`types` option adds or overrides entries, e.g. `types = { "Defect" = "bug" }`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ktlo.classify.signals import normalise_label

STANDARD_TYPES = ("requirement", "bug", "incident", "task")
DEFAULT_TYPE = "task"

_NAMES: dict[str, str] = {
    name: kind
    for kind, names in {
        "incident": [
            "incident", "outage", "sev0", "sev1", "sev2", "sev 0", "sev 1", "sev 2", "p0",
            "production incident", "postmortem", "post mortem", "hotfix", "emergency", "on call",
        ],
        "bug": [
            "bug", "bugs", "defect", "regression", "crash", "bug report", "confirmed bug",
            "problem", "fault", "error",
        ],
        "requirement": [
            "story", "user story", "feature", "feature request", "new feature", "enhancement",
            "epic", "requirement", "improvement", "initiative", "capability",
        ],
        "task": [
            "task", "sub task", "subtask", "chore", "spike", "question", "maintenance",
            "tech debt", "todo",
        ],
    }.items()
    for name in names
}  # fmt: skip
_URGENCY = {"incident": 0, "bug": 1, "requirement": 2, "task": 3}


def standard_type(
    issue_type: str | None,
    labels: Iterable[str] = (),
    overrides: Mapping[str, str] | None = None,
    default: str | None = DEFAULT_TYPE,
) -> str | None:
    """The standard type of an item from its issue type, else its labels, else `default`."""
    names = {normalise_label(k): v for k, v in (overrides or {}).items()}
    if issue_type:
        found = _lookup(issue_type, names)
        if found:
            return found
    matches = [kind for label in labels if (kind := _lookup(label, names))]
    if matches:
        return min(matches, key=_URGENCY.__getitem__)
    return default


def _lookup(name: str, overrides: Mapping[str, str]) -> str | None:
    key = normalise_label(name)
    return overrides.get(key) or _NAMES.get(key)
