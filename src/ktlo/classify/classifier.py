"""The built-in classifier: structural signals, then commit conventions, then the phrase model.

Precedence (highest first): labels and issue types, bot authors, reverts, security
advisory ids, changes confined to lockfiles / CI / docs; then a conventional-commit
type or gitmoji (the text may refine it within the same investment); then the
phrase model. Every verdict lists the reasons that decided it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ktlo.classify import signals
from ktlo.classify.lexicon import COMMON_VERBS
from ktlo.classify.taxonomy import (
    KTLO_SUBCATEGORIES,
    NEW_WORK_SUBCATEGORIES,
    OTHER,
    investment_of,
)
from ktlo.classify.text import TextScores, score
from ktlo.records import Reason, Verdict, WorkText

CLASSIFIER_VERSION = "builtin-1"

# How much a conventional type counts for its own subcategory when the text disagrees.
TYPE_BONUS = 2.5
# A feature commit becomes a project only on strong project vocabulary.
PROJECT_OVER_FEATURE = 4.0
MIN_TEXT_SCORE = 1.5
# What a change confined to build configuration adds to maintenance (a vote, not a verdict).
BUILD_FILES_VOTE = 2.5

_MERGE_PR = re.compile(r"^Merge (?:pull request|PR) #\d+ from (\S+)", re.IGNORECASE)
_MERGE_OTHER = re.compile(
    r"^Merge (?:branch|remote-tracking branch|tag|commit|changes)\b", re.IGNORECASE
)
_TICKET_PREFIX = re.compile(r"^\s*(?:\[[^\]]{1,40}\]\s*|[A-Z][A-Z0-9]{1,9}-\d+\s*[:\-–]?\s*)+")
_DRAFT_PREFIX = re.compile(r"^\s*(?:draft|wip|\[wip\]|\[draft\])\s*:?\s*", re.IGNORECASE)
_RESOLVE_QUOTED = re.compile(r'^Resolve "(.+)"$', re.IGNORECASE)
_AREA_PREFIX = re.compile(r"^[\w./+-]{1,30}(?:\([^)]{0,30}\))?:\s+")
_TRAILER = re.compile(
    r"^[A-Za-z][\w-]*(?:-by|-to)?:\s.*$|^\(cherry picked from .*\)$", re.MULTILINE
)
_PR_SUFFIX = re.compile(r"\s*\((?:#|!)\d+\)\s*$")
_BRACKET_TAGS = re.compile(r"\[([^\]]{1,40})\]")


def classify(item: WorkText) -> Verdict:
    """Classify one work item."""
    title, body, merge_reason = _unwrap_merge(item.title.strip(), item.body or "")
    if merge_reason is None and _MERGE_OTHER.match(title):
        return Verdict(
            OTHER, None, 0.9, (Reason("merge", "a merge commit carries no work itself"),)
        )
    tags = tuple(_BRACKET_TAGS.findall(title))
    decided = _structural(item, title, body, tags)
    if decided:
        sub, reason = decided
        return _verdict(sub, 0.9, [reason, *_merge(merge_reason)])
    subject, body = _clean_subject(title), _clean_body(body)
    convention = signals.conventional_signal(subject) or signals.gitmoji_signal(subject)
    if convention:
        (sub, reason), subject = convention
    # "area: message" subjects name a subsystem; the verb that follows tells the kind
    lead = subject if convention else _AREA_PREFIX.sub("", subject, count=1)
    scores = score(subject, body, lead=lead)
    if signals.only_build_files(item.files):
        scores.add("maintenance", "files: only build configuration", BUILD_FILES_VOTE)
    if convention and reason.signal in ("conventional_type", "gitmoji"):
        return _verdict(sub, 0.9, [reason, *_merge(merge_reason)])
    if convention:
        return _refine_convention(sub, reason, scores, merge_reason)
    return _from_text(scores, item, subject, merge_reason)


def classify_text(item: WorkText) -> Verdict:
    """What the words alone say: labels, authors, files and a conventional prefix set aside.

    The learned model reads this as one of its features; for an item whose verdict came
    from a structural signal it is what the text would have decided without that signal.
    """
    title, body, _ = _unwrap_merge(item.title.strip(), item.body or "")
    subject, body = _clean_subject(title), _clean_body(body)
    convention = signals.conventional_signal(subject) or signals.gitmoji_signal(subject)
    if convention:
        subject = convention[1]
    lead = subject if convention else _AREA_PREFIX.sub("", subject, count=1)
    text_only = WorkText(title=subject, kind=item.kind)
    return _from_text(score(subject, body, lead=lead), text_only, subject, None)


def classify_many(items: Iterable[WorkText]) -> Iterator[Verdict]:
    """Classify items in order."""
    for item in items:
        yield classify(item)


def _structural(
    item: WorkText, title: str, body: str, tags: tuple[str, ...]
) -> signals.Signal | None:
    return (
        signals.label_signal((*item.labels, *tags), item.issue_type)
        or signals.revert_signal(title, body)
        or signals.bot_signal(item.author, title)
        or signals.security_id_signal(f"{title}\n{body}")
        or signals.files_signal(item.files)
    )


def _refine_convention(
    sub: str, reason: Reason, scores: TextScores, merge_reason: Reason | None
) -> Verdict:
    """Keep the convention's investment; let strong text pick a more specific subcategory."""
    investment = investment_of(sub)
    among = KTLO_SUBCATEGORIES if investment == "ktlo" else NEW_WORK_SUBCATEGORIES
    adjusted = TextScores(dict(scores.scores), scores.evidence)
    adjusted.scores[sub] = adjusted.scores.get(sub, 0.0) + TYPE_BONUS
    if sub == "feature":
        adjusted.scores["feature"] += PROJECT_OVER_FEATURE - TYPE_BONUS
    best, _, _ = adjusted.best(among)
    if best is None or best == sub:
        return _verdict(sub, 0.85, [reason, *_merge(merge_reason)])
    words = _top_evidence(scores, best)
    return _verdict(best, 0.75, [reason, *words, *_merge(merge_reason)])


def _from_text(
    scores: TextScores, item: WorkText, subject: str, merge_reason: Reason | None
) -> Verdict:
    best, top, second = scores.best()
    if best is None or top < MIN_TEXT_SCORE:
        return _fallback(subject, item)
    strength = min(top, 6.0) / 6.0
    margin = (top - second) / top
    confidence = round(0.3 + 0.35 * strength + 0.25 * margin, 2)
    return _verdict(best, confidence, [*_top_evidence(scores, best), *_merge(merge_reason)])


def _fallback(subject: str, item: WorkText) -> Verdict:
    """No vocabulary matched: decide from the files, else from the shape of the subject."""
    if signals.only_tests(item.files):
        return _verdict("maintenance", 0.6, [Reason("files", "only tests changed")])
    words = _WORDS.findall(subject.lower())
    if len(words) < 2:
        return Verdict(OTHER, None, 0.2, (Reason("no_signal", "too little text to decide"),))
    if _names_a_capability(subject, words, item.kind):
        return _verdict("feature", 0.3, [Reason("no_signal", "names a capability, not a change")])
    reason = Reason("no_signal", "no vocabulary of new capability; most such changes are upkeep")
    return _verdict("maintenance", 0.25, [reason])


def _names_a_capability(subject: str, words: list[str], kind: str) -> bool:
    """A title that is a noun phrase ("Tags on bookmarks") names a thing to have.

    Commits rarely read so: an unexplained commit is mostly upkeep ("help text",
    "every day"), so for commits and pull requests it takes a capitalised phrase
    ("Email digests") with no verb at all.
    """
    if words[0] in COMMON_VERBS or words[0].endswith("ed") or _FINITE.intersection(words):
        return False
    if _head(words) in _VAGUE_HEADS:  # "Some changes", "Config tweaks": what changed is not said
        return False
    return kind == "issue" or subject[:1].isupper()


def _head(words: list[str]) -> str:
    """The head noun of a noun phrase: its last word before a preposition or a clause
    ("screen" in "conflict resolution screen for offline edits")."""
    for k, word in enumerate(words[1:], start=1):
        if word in _PHRASE_BREAKS:
            return words[k - 1]
    return words[-1]


_PHRASE_BREAKS = frozenset(
    "for on in of with to that which when where from by at after before via without".split()
)
# Head nouns that say something changed without naming what: never a capability
# ("updates" and "edit" are left out: "Live updates" and "Bulk edit" are capabilities).
_VAGUE_HEADS = frozenset(
    "change changes tweak tweaks stuff things misc wip cleanup adjustments improvements "
    "modifications bits progress fixes".split()
)


# Words that make a title a sentence about the code rather than the name of a capability.
_FINITE = frozenset(
    "is are was were be been has have had should must can cannot will would does do did "
    "now not no don't doesn't".split()
)


_WORDS = re.compile(r"[a-z][a-z'-]*")


def _top_evidence(scores: TextScores, sub: str, most: int = 3) -> list[Reason]:
    phrases = sorted((e for e in scores.evidence if e[1] == sub), key=lambda e: -e[2])[:most]
    return [
        Reason("keyword", f'"{phrase}" → {sub} (+{weight:.1f})') for phrase, _, weight in phrases
    ]


def _verdict(sub: str, confidence: float, reasons: list[Reason]) -> Verdict:
    return Verdict(investment_of(sub), sub, confidence, tuple(reasons))


def _merge(reason: Reason | None) -> list[Reason]:
    return [reason] if reason else []


def _unwrap_merge(title: str, body: str) -> tuple[str, str, Reason | None]:
    """A GitHub merge commit's subject names the branch; its body holds the pull request title."""
    match = _MERGE_PR.match(title)
    if not match:
        return title, body, None
    lines = body.strip().split("\n", 1)
    branch = match[1].split("/", 1)[-1].replace("-", " ").replace("_", " ")
    inner_title = lines[0].strip() or branch
    inner_body = lines[1] if len(lines) > 1 else ""
    return (
        inner_title,
        inner_body,
        Reason("merge", "read the pull request title from the merge commit"),
    )


def _clean_subject(title: str) -> str:
    subject = _DRAFT_PREFIX.sub("", title, count=1)
    quoted = _RESOLVE_QUOTED.match(subject)
    if quoted:
        subject = quoted[1]
    subject = _TICKET_PREFIX.sub("", subject, count=1)
    return _PR_SUFFIX.sub("", subject).strip()


def _clean_body(body: str) -> str:
    """The author's own words: trailers, pull-request templates, checklists, code and quotes removed."""
    body = _TRAILER.sub("", body)
    if "<!--" in body or "```" in body or "[ ]" in body or "[x]" in body or "**" in body:
        body = _BOILERPLATE.sub(" ", body)
    return body.strip()


# Text a template or a tool wrote, not the author: the checklist ("- [ ] Tests updated")
# and headings ("**What this PR does / why we need it**:") of pull-request templates,
# HTML comments, fenced code and quoted replies. Left in, they vote for `maintenance`.
_BOILERPLATE = re.compile(
    r"<!--.*?-->|```.*?(?:```|$)|^\s*[-*] \[[ xX]\].*$|^\s*>.*$"
    r"|^\s*(?:\*\*[^*\n]{1,80}\*\*:?|#{1,6} [^\n]{0,80})\s*$",
    re.DOTALL | re.MULTILINE,
)
