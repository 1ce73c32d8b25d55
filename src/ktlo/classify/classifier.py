"""The built-in classifier: structural signals, then commit conventions, then the text model.

Precedence (highest first): labels and issue types, reverts, bot authors, security
advisory ids, changes confined to lockfiles / CI / docs; then a conventional-commit
type or gitmoji (the text model may refine it within the same investment); then the
text model over what the change does (features.py, model.py). An item that gives the
model nothing to read is `other` (no signal), never a guess. Every verdict lists the
reasons that decided it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import itemgetter
from typing import Protocol

from ktlo.classify import features as F
from ktlo.classify import model, signals
from ktlo.classify.prepare import (
    BRACKET_TAGS,
    MERGE_OPENS,
    MERGE_OTHER,
    Prepared,
    prepare,
    split_area,
)
from ktlo.classify.taxonomy import OTHER, investment_of
from ktlo.records import Reason, Verdict, WorkText

CLASSIFIER_VERSION = "builtin-2"

# The text model's verdicts stay below the strong signals (reclassify.STRONG = 0.85): they
# are not evidence enough to train the learned model or to overrule a linked issue.
TEXT_CONFIDENCE_CAP = 0.8
# A conventional type's subcategory stands unless the model prefers another of the same
# investment by this much probability ("chore: remove dead code" → tech_debt).
REFINE_MARGIN = 0.15
# The kinds whose base rates the development sets measure (real commits and pull requests);
# an issue is read by its words alone, since too few labeled issues say how often they are bugs.
_KINDS_READ = {"commit": "kind:commit", "pull_request": "kind:pull_request"}  # → feature
# Features that say nothing about the work on their own.
_NOT_EVIDENCE = (
    "verb:none", "kind:", "files:1", "files:2-5", "files:6-20", "files:21+", "shape:one_word",
    "size:",
)  # fmt: skip


# Reasons that never change, made once (a reason is immutable).
_MERGE_COMMIT = Reason("merge", "a merge commit carries no work itself")
_NOTHING_READ = Reason("no_signal", "no verb, word or file the model reads says what this work is")
_SAYS_NOTHING = Reason(
    "no_signal", "the words read most like a message that says nothing of the work"
)


class Item(Protocol):
    """What the classifier reads of a work item: a `WorkText`, or any object with its
    fields (`ktlo classify --jsonl` reads its lines into a tuple, cheaper to build)."""

    @property
    def title(self) -> str: ...
    @property
    def body(self) -> str: ...
    @property
    def files(self) -> tuple[str, ...]: ...
    @property
    def labels(self) -> tuple[str, ...]: ...
    @property
    def author(self) -> str: ...
    @property
    def issue_type(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def lines_added(self) -> int | None: ...
    @property
    def lines_deleted(self) -> int | None: ...


def classify(item: Item) -> Verdict:
    """Classify one work item."""
    text = prepare(item.title, item.body)
    if text.merge is None and text.title[:1] in MERGE_OPENS and MERGE_OTHER.match(text.title):
        return Verdict(OTHER, None, 0.9, (_MERGE_COMMIT,))
    tags = tuple(BRACKET_TAGS.findall(text.title)) if "[" in text.title else ()
    decided = _structural(item, text.title, item.body or "", tags)
    if decided:
        sub, reason = decided
        return _verdict(sub, 0.9, [reason, *_merge(text)])
    subject = text.subject
    convention = signals.conventional_signal(subject) or signals.gitmoji_signal(subject)
    if convention:
        (sub, reason), subject = convention
        if reason.signal in ("conventional_type", "gitmoji"):
            return _verdict(sub, 0.9, [reason, *_merge(text)])
    found = read(subject, text.body, item.files, item.kind, (item.lines_added, item.lines_deleted))
    if convention:
        return _refine_convention(sub, reason, found, text)
    return _from_model(found, text, item.kind)


def read(
    subject: str, body: str, files: tuple[str, ...] = (), kind: str = "",
    lines: tuple[int | None, int | None] = (None, None),
) -> list[F.Feature]:  # fmt: skip
    """Every feature the text model reads of an item (its subject already cleaned)."""
    area, lead = split_area(subject)
    found = F.subject_features(area, lead)
    has_verb = "verb:none" not in map(itemgetter(0), found)
    found += F.shape_features(subject, lead, has_verb, found)
    found += F.body_features(body)
    found += F.file_features(files)
    if lines[0] is not None:  # a size read only when known (not for --jsonl lines)
        found += F.size_features(*lines)
    if kind in _KINDS_READ:
        found.append((_KINDS_READ[kind], kind))
    elif kind == "issue":  # no base rate, but read with the titles' shift
        found.append(("kind:issue", kind))
    return found


def classify_text(item: WorkText) -> Verdict:
    """What the words alone say: labels, authors, files and a conventional prefix set aside.

    The learned model reads this as one of its features; for an item whose verdict came
    from a structural signal it is what the text would have decided without that signal.
    """
    text = prepare(item.title, item.body)
    subject = text.subject
    convention = signals.conventional_signal(subject) or signals.gitmoji_signal(subject)
    if convention:
        subject = convention[1]
    return _from_model(read(subject, text.body, (), item.kind), text, item.kind)


def classify_many(items: Iterable[WorkText]) -> Iterator[Verdict]:
    """Classify items in order."""
    for item in items:
        yield classify(item)


def has_evidence(found: list[F.Feature]) -> bool:
    """Whether any feature says something about the work (a verb, a word class, a file role)."""
    for name, _ in found:
        if not name.startswith(_NOT_EVIDENCE):
            return True
    return False


def _structural(item: Item, title: str, body: str, tags: tuple[str, ...]) -> signals.Signal | None:
    labels, issue_type, author = item.labels, item.issue_type, item.author
    return (
        # most items have no labels, issue type or author: no call for them
        (
            signals.label_signal((*labels, *tags), issue_type)
            if labels or tags or issue_type
            else None
        )
        or signals.revert_signal(title, body)
        or (signals.bot_signal(author, title) if author else None)
        # the title and the body apart, the first id found in the title first: an id
        # never spans the newline that would join them (and the body is not copied)
        or signals.security_id_signal(title)
        or signals.security_id_signal(body)
        or signals.files_signal(item.files)
    )


def _refine_convention(sub: str, reason: Reason, found: list[F.Feature], text: Prepared) -> Verdict:
    """Keep the convention's investment; let the model pick a likelier subcategory in it."""
    reading = model.predict(found, among=investment_of(sub))
    best = reading.subcategory
    if (
        best
        and best != sub
        and model.probability(reading, best) > model.probability(reading, sub) + REFINE_MARGIN
    ):
        # only what the words or the files' roles say may move a convention, not the
        # item's kind or size
        why = _why([f for f in found if has_evidence([f])], best, sub)
        if why and why[0].signal != "model":
            return _verdict(best, 0.75, [reason, *why, *_merge(text)])
    return _verdict(sub, 0.85, [reason, *_merge(text)])


def _from_model(found: list[F.Feature], text: Prepared, kind: str) -> Verdict:
    """The text model's verdict on the features `read` found for an item of `kind`."""
    if not has_evidence(found):
        return Verdict(OTHER, None, 0.2, (_NOTHING_READ, *_merge(text)))
    # the kind's group from the kind itself, not searched for among the features
    reading, _, moved = model.read(found, model.kind_group(kind))
    if reading.subcategory is None:
        return Verdict(OTHER, None, reading.confidence, (_SAYS_NOTHING, *_merge(text)))
    reasons = _reasons(moved[:3], reading.subcategory)
    confidence = min(TEXT_CONFIDENCE_CAP, reading.confidence)
    return _verdict(reading.subcategory, confidence, [*reasons, *_merge(text)])


def _why(found: list[F.Feature], cls: str, against: str) -> list[Reason]:
    return _reasons(model.contributions(found, cls, against)[:3], cls)


def _reasons(moved: list[tuple[F.Feature, float]], cls: str) -> list[Reason]:
    """The features that moved `cls` most, as the user reads them."""
    if not moved:
        return [signals.shared_reason("model", f"the text model's likeliest reading → {cls}")]
    get = _REASONS.get  # most are made already: found without a call
    return [
        get((feature, cls, weight)) or _reason(feature, cls, weight) for feature, weight in moved
    ]


def _reason(feature: F.Feature, cls: str, weight: float) -> Reason:
    """One feature as the user reads it: `verb: "fix" → bug (+3.6)`; the same reason object
    for the same feature, class and weight (reasons are immutable, and the same few
    thousand recur: making one costs more than finding it)."""
    key = (feature, cls, weight)
    reason = _REASONS.get(key)
    if reason is None:
        if len(_REASONS) >= 1 << 16:  # bounded: a stream of unusual words cannot grow it
            _REASONS.clear()
        reason = _REASONS[key] = _new_reason(feature, cls, weight)
    return reason


def _new_reason(feature: F.Feature, cls: str, weight: float) -> Reason:
    name, words = feature
    kind, _, what = name.partition(":")
    label = _FIXED_LABELS.get(name)
    if label is None:
        label = _label(kind, what, words if len(words) <= 60 else words[:57] + "…")
    return Reason(_SIGNALS.get(kind, "keyword"), f"{label} → {cls} (+{weight:.1f})")


_REASONS: dict[tuple[F.Feature, str, float], Reason] = {}


def _label(kind: str, what: str, words: str) -> str:
    if kind == "body":
        return f'body says "{words}"'
    if kind == "area":
        return f'area "{words}"'
    if kind == "size":
        return f"{words} lines"
    if kind == "files":
        return f"{words} changed"
    if kind == "shape":
        return f'{_SHAPES.get(what, what)} "{words}"'
    return f'"{words}"'


_SIGNALS = {
    "verb": "verb",
    "also": "verb",
    "files": "files",
    "shape": "shape",
    "kind": "kind",
    "size": "size",
}
_FIXED_LABELS = {
    "verb:none": "no opening verb (a name or a symptom)",
    "kind:pull_request": "a pull request", "kind:issue": "an issue", "kind:commit": "a commit",
    "files:only_tests": "only tests changed", "files:tests": "tests changed too",
    "files:docs": "docs changed too", "files:only_build": "only build files changed",
    "files:1": "one file changed",
    "shape:one_word": "a one-word subject", "shape:question": "a question",
}  # fmt: skip
_SHAPES = {
    "version": "a version number",
    "ref": "an issue reference",
    "code": "a name from the code",
    "cli_option": "a command-line option",
    "noun_phrase": "a noun phrase",
}


def _verdict(sub: str, confidence: float, reasons: list[Reason]) -> Verdict:
    return Verdict(investment_of(sub), sub, confidence, tuple(reasons))


def _merge(text: Prepared) -> list[Reason]:
    return [text.merge] if text.merge else []
