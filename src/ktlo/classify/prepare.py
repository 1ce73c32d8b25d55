"""What the author wrote, with what tools and conventions wrapped around it taken off.

A GitHub merge commit is read through its pull request's title; ticket keys, `Draft:`,
GitLab's `Resolve "..."`, a trailing `(#123)`, trailers, pull-request templates, quoted
replies and code are removed before anything reads the words.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ktlo.records import Reason

_MERGE_PR = re.compile(r"^Merge (?:pull request|PR) #\d+ from (\S+)", re.IGNORECASE)
MERGE_OTHER = re.compile(
    r"^Merge (?:branch|remote-tracking branch|tag|commit|changes)\b", re.IGNORECASE
)
# The characters each pattern below can open with (after its spaces, for those that allow
# them), case folded as the pattern folds it; the empty string, `in` every one of them,
# lets an empty subject through. tests/test_classify_patterns.py checks every code point.
MERGE_OPENS = "Mm"
_DRAFT_OPENS = "DdWw["
_RESOLVE_OPENS = "Rr"
_TICKET_OPENS = "[ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_TICKET_PREFIX = re.compile(r"^\s*(?:\[[^\]]{1,40}\]\s*|[A-Z][A-Z0-9]{1,9}-\d+\s*[:\-–]?\s*)+")
_DRAFT_PREFIX = re.compile(r"^\s*(?:draft|wip|\[wip\]|\[draft\])\s*:?\s*", re.IGNORECASE)
_RESOLVE_QUOTED = re.compile(r'^Resolve "(.+)"$', re.IGNORECASE)
# "net/http: ", "sched/fair: ", "parser(core): ": a subsystem named before the message;
# kernel-style subjects nest them ("net: sched: fix ...")
# (each run read possessively, `{1,30}+`: a run that a colon or a bracket does not end never
# becomes one by giving characters back, so the engine need not try)
_AREA_PREFIX = re.compile(r"^(?:[\w./+*,{}-]{1,30}+(?:\([^)]{0,30}+\))?:\s+){1,3}")
# A trailer line, with the newline before it: a pattern that opens with a character lets
# the regex engine skip to each newline instead of trying `^` at every position. Its key is
# read possessively (`*+`): `Signed-off-by:` is one run of [\w-] and a colon, and a run
# that a colon does not end never becomes one by giving characters back — the same matches
# as `[\w-]*(?:-by|-to)?:` without backtracking through every word of the message.
_TRAILER = re.compile(r"\n(?:[A-Za-z][\w-]*+:\s.*$|\(cherry picked from .*\)$)", re.MULTILINE)
_PR_SUFFIX = re.compile(r"\s*\((?:#|!)\d+\)\s*$")
BRACKET_TAGS = re.compile(r"\[([^\]]{1,40})\]")
# Text a template or a tool wrote, not the author: the checklist ("- [ ] Tests updated")
# and headings ("**What this PR does / why we need it**:") of pull-request templates,
# HTML comments, fenced code and quoted replies. Left in, they read as the author's words.
_BOILERPLATE = re.compile(
    r"<!--.*?-->|```.*?(?:```|$)|^\s*[-*] \[[ xX]\].*$|^\s*>.*$"
    r"|^\s*(?:\*\*[^*\n]{1,80}\*\*:?|#{1,6} [^\n]{0,80})\s*$",
    re.DOTALL | re.MULTILINE,
)
MAX_BODY = 250  # characters of a body worth reading: the author's opening explanation
_READ_THROUGH = Reason("merge", "read the pull request title from the merge commit")


class Prepared(NamedTuple):
    """The author's words: the subject, the subject without an area prefix, and the body."""

    title: str  # the subject as written (merge commits: the pull request's title)
    subject: str  # ticket keys, draft markers and (#123) removed
    body: str  # trailers, templates, code and quotes removed
    merge: Reason | None  # set when a merge commit was read through its pull request


def prepare(title: str, body: str) -> Prepared:
    """Unwrap a merge commit and clean its subject and body."""
    title, body, merge = unwrap_merge(title.strip(), body or "")
    return Prepared(title, clean_subject(title), clean_body(body), merge)


def split_area(subject: str) -> tuple[str, str]:
    """(area, rest): the "area:" prefixes of a subject, and what follows, whose first word
    is usually its verb ("net: sched: fix ..." → ("net: sched:", "fix ..."))."""
    match = ":" in subject and _AREA_PREFIX.match(subject)  # every prefix ends with ":"
    # nothing after the prefixes: its `\s+` took every space there was, so a rest that is
    # only spaces is no rest at all
    if not match or match.end() == len(subject):
        return "", subject
    return match[0].strip(), subject[match.end() :]


def unwrap_merge(title: str, body: str) -> tuple[str, str, Reason | None]:
    """A GitHub merge commit's subject names the branch; its body holds the pull request title."""
    match = title[:1] in MERGE_OPENS and _MERGE_PR.match(title)
    if not match:
        return title, body, None
    lines = body.strip().split("\n", 1)
    branch = match[1].split("/", 1)[-1].replace("-", " ").replace("_", " ")
    inner_title = lines[0].strip() or branch
    inner_body = lines[1] if len(lines) > 1 else ""
    return inner_title, inner_body, _READ_THROUGH


def clean_subject(title: str) -> str:
    """The subject without draft markers, GitLab's `Resolve "..."`, ticket keys and a
    trailing `(#123)`; each pattern tried only where the character it opens with is."""
    subject = title
    if subject.lstrip()[:1] in _DRAFT_OPENS:
        subject = _DRAFT_PREFIX.sub("", subject, count=1)
    quoted = subject[:1] in _RESOLVE_OPENS and _RESOLVE_QUOTED.match(subject)
    if quoted:
        subject = quoted[1]
    if subject.lstrip()[:1] in _TICKET_OPENS:
        subject = _TICKET_PREFIX.sub("", subject, count=1)
    if "(" in subject:  # what `_PR_SUFFIX` removes opens with one
        subject = _PR_SUFFIX.sub("", subject)
    return subject.strip()


def clean_body(body: str) -> str:
    """The author's own words: trailers, pull-request templates, checklists, code and quotes removed."""
    body = body[: MAX_BODY + 100]  # what follows is never read: no need to clean it
    if ":" in body or "(cherry picked from" in body:  # what every trailer line holds
        body = _TRAILER.sub("\n", "\n" + body)[1:]  # each trailer line emptied
    # every marker opens with one of four characters, each found in one fast pass: most
    # bodies hold none of them
    if ("<" in body or "`" in body or "[" in body or "*" in body) and (
        "<!--" in body or "```" in body or "[ ]" in body or "[x]" in body or "**" in body
    ):
        body = _BOILERPLATE.sub(" ", body)
    return body.strip()[:MAX_BODY]
