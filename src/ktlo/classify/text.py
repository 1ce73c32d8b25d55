"""The phrase model: scores each subcategory from the weighted phrases a text contains.

All phrases are compiled into one alternation with a named group each, longest first,
and matched in a single left-to-right pass: a longer phrase consumes its words, so
"add missing null check" counts as a bug phrase and never as the feature word "add".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ktlo.classify.lexicon import LEADING_VERBS, PHRASES

BODY_WEIGHT = 0.35
BODY_CAP = 2.0  # the body supports a verdict; it should not outvote the subject alone

# Whole phrases that overrule what their first word, or a shorter phrase, would say
# on their own; tried before all others, in the order declared.
PHRASES_OVERRULING_VERBS: dict[str, list[tuple[str, float]]] = {
    # a gateway error is an outage report, not a gateway project
    "incident": [
        (r"(?:50[234] )?(?:bad gateway|service unavailable|gateway time-?out)(?: 50[234])?", 4.5),
    ],
    # supporting a new version of a runtime is keeping up with it, not a new capability
    "dependency": [
        (
            r"(?:(?:add|adds|added|adding|declare|declares|initial|experimental|official) )?"
            r"(?:(?:initial|experimental|official|full) )?support (?:for )?"
            r"(?:python|py|node(?:\.?js)?|ruby|php|java|jdk|go|golang|rust|perl|\.net|dotnet|"
            r"django|rails|postgres(?:ql)?|mysql|ubuntu|debian|alpine|kubernetes|k8s|"
            r"react|angular|vue|electron|typescript|gcc|clang|llvm|xcode|ios|android) "
            r"v?\d+(?:\.\d+)*",
            6.0,
        ),
        (
            r"(?:python|py|node(?:\.?js)?|ruby|php|java|jdk|go|golang|rust|django|rails|"
            r"postgres(?:ql)?|kubernetes|k8s|typescript) v?\d+(?:\.\d+)*(?: and v?\d+(?:\.\d+)*)? support",
            5.0,
        ),
    ],
    "reliability": [
        (
            r"(?:fix|fixes|fixed|fixing|deflake|de-flake|stabili[sz]e)(?: (?:a|an|the|some))? "
            r"(?:flaky|flakey|intermittent|timing[- ]dependent|racy|brittle) (?:\w+ )?tests?",
            6.0,
        ),
    ],
    "maintenance": [
        (
            r"(?:fix|fixes|fixed|fixing|correct|corrected|update|updated|updates|improve|improved|"
            r"clarify|clarified|tweak|add|adds|added|adding)(?: (?:a|an|the|some|more|missing|broken|"
            r"outdated|several|minor|small|new|all|lots of|more))?(?: \w+)?(?: \w+)? (?:typos?|docs?|documentation|"
            r"docstrings?|lint(?:ing| errors| warnings)?|links?|comments?|spelling|grammar|wording|"
            r"tests?|test cases?|unit ?tests?|ci|build|formatting|readme|examples?|changelog|clarifications?|explanations?|notes?|redirects?|"
            r"translations?|release notes|badges?|copyright|licen[sc]e|warnings?|compiler warnings?)",
            6.0,
        ),
    ],
}


@dataclass(slots=True)
class TextScores:
    """Per-subcategory scores and the phrases that produced them, strongest first."""

    scores: dict[str, float] = field(default_factory=dict)
    evidence: list[tuple[str, str, float]] = field(default_factory=list)  # (phrase, sub, weight)

    def add(self, sub: str, phrase: str, weight: float) -> None:
        self.scores[sub] = self.scores.get(sub, 0.0) + weight
        self.evidence.append((phrase, sub, weight))

    def best(self, among: tuple[str, ...] | None = None) -> tuple[str | None, float, float]:
        """The best subcategory (optionally among some), its score and the runner-up's."""
        best: str | None = None
        top = second = 0.0
        for sub, value in self.scores.items():  # one pass: this runs for every item
            if among is not None and sub not in among:
                continue
            if best is None or value > top:
                best, top, second = sub, value, (top if best is not None else 0.0)
            elif value > second:
                second = value
        return best, top, second


def _compile() -> tuple[dict[str, re.Pattern[str]], dict[str, re.Pattern[str]]]:
    """Alternations keyed by the two characters a phrase can open with.

    Matching is tried only at word starts, and only with the phrases that can begin
    with the two characters found there: a handful of regex attempts per text
    instead of hundreds per character. Phrases whose opening cannot be bounded to
    two characters go into a per-first-character fallback that is always tried too.
    """
    entries = [(p, s, w) for s, items in PHRASES.items() for p, w in items]
    entries.sort(key=lambda e: -len(e[0]))
    overruling = [(p, s, w) for s, items in PHRASES_OVERRULING_VERBS.items() for p, w in items]
    entries = overruling + entries  # tried first, in the order declared
    by_two: dict[str, list[int]] = {}
    by_one: dict[str, list[int]] = {}
    for index, (pattern, _, _) in enumerate(entries):
        heads = _heads(pattern)
        if heads is None:
            heads = set(_ANY_START)
        for head in heads:
            (by_two if len(head) == 2 else by_one).setdefault(head, []).append(index)
    for key in list(by_two):  # a two-character bucket must also hold the shorter openings
        by_two[key] = sorted(set(by_two[key]) | set(by_one.get(key[0], [])))
    _META.extend((sub, weight) for _, sub, weight in entries)
    return _alternations(entries, by_two), _alternations(entries, by_one)


def _alternations(
    entries: list[tuple[str, str, float]], buckets: dict[str, list[int]]
) -> dict[str, re.Pattern[str]]:
    return {
        key: re.compile(
            "(?:"
            + "|".join(f"(?P<g{i}>{entries[i][0]})" for i in indexes)
            + r")(?:(?<=\s)|(?![\w]))"
        )
        for key, indexes in buckets.items()
    }


_ANY_START = "abcdefghijklmnopqrstuvwxyz0123456789"
_META: list[tuple[str, float]] = []
_MAX_EXPANSION = 64  # an opening with more alternatives than this is not worth indexing


def _heads(pattern: str) -> set[str] | None:
    """The one- or two-character openings of `pattern`'s matches, or None when unbounded."""
    try:
        parsed = list(re._parser.parse(pattern))  # type: ignore[attr-defined]
        heads = _expand(parsed, 2, 0)
    except (re.error, RecursionError, AttributeError, _Unbounded):
        return None
    if "" in heads or len(heads) > _MAX_EXPANSION:
        return None
    return heads


class _Unbounded(Exception):
    pass


def _expand(items: list[tuple[Any, Any]], k: int, depth: int) -> set[str]:
    """Strings of up to k characters that a match of `items` can open with."""
    if k == 0 or not items:
        return {""}
    if depth > 12:
        raise _Unbounded
    (op, arg), rest = items[0], items[1:]
    name = str(op)
    if name == "LITERAL":
        return {chr(arg) + tail for tail in _expand(rest, k - 1, depth + 1)}
    if name == "IN":
        chars = _charset(arg)
        tails = _expand(rest, k - 1, depth + 1)
        return {c + t for c in chars for t in tails}
    if name == "SUBPATTERN":
        return _expand(list(arg[-1]) + rest, k, depth + 1)
    if name == "BRANCH":
        return set().union(*(_expand(list(b) + rest, k, depth + 1) for b in arg[1]))
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, body = arg
        once = list(body) if high == 1 else list(body) + [(op, (max(0, low - 1), high - 1, body))]
        heads = _expand(once + rest, k, depth + 1)
        return heads | _expand(rest, k, depth + 1) if low == 0 else heads
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return _expand(rest, k, depth + 1)
    raise _Unbounded


def _charset(arg: list[tuple[Any, Any]]) -> set[str]:
    chars: set[str] = set()
    for op, value in arg:
        if str(op) == "LITERAL":
            chars.add(chr(value))
        elif str(op) == "RANGE":
            chars |= {chr(c) for c in range(value[0], value[1] + 1)}
        else:
            raise _Unbounded
    return chars


_BY_TWO: dict[str, re.Pattern[str]] = {}
_BY_ONE: dict[str, re.Pattern[str]] = {}


def _ensure_compiled() -> None:
    """Compile the phrase tables on first use (80 ms), so commands that never classify start fast."""
    if not _BY_TWO:
        by_two, by_one = _compile()
        _BY_ONE.update(by_one)
        _BY_TWO.update(by_two)


_WORD = re.compile(r"\w+")
_FIRST_WORD = re.compile(r"[a-z][a-z'-]*")
# A subject that names a documentation or configuration file is about that file.
_DOC_OR_CONFIG_FILE = re.compile(
    r"[\w/.-]+\.(?:md|rst|txt|adoc|html|po|pot|ya?ml|json|toml|ini|cfg|conf)\b", re.IGNORECASE
)
MAX_SCANNED = 1000  # characters of a body worth reading


def score(subject: str, body: str = "", lead: str | None = None) -> TextScores:
    """Score a subject line (full weight) and a body (damped and capped) for every subcategory.

    `lead` is the part of the subject whose first word is its verb (the subject
    without an "area:" prefix); by default the subject itself.
    """
    _ensure_compiled()
    result = TextScores()
    lead = subject if lead is None else lead
    first_phrase = _score_into(result, subject, 1.0)
    named_file = _DOC_OR_CONFIG_FILE.search(subject)
    if named_file:
        result.add("maintenance", named_file[0], 2.5)
    word = _FIRST_WORD.match(lead.lower())
    lead_at = len(subject) - len(lead)
    # the verb counts unless a longer phrase opening with it already spoke ("fix typo")
    if word and not (
        first_phrase and first_phrase[0] == lead_at and first_phrase[1] > lead_at + word.end()
    ):
        verb = LEADING_VERBS.get(word[0])
        if verb:
            result.add(verb[0], f"{word[0]}…", verb[1])
    if body:
        body_scores = TextScores()
        _score_into(body_scores, body, BODY_WEIGHT)
        for sub, value in body_scores.scores.items():
            result.scores[sub] = result.scores.get(sub, 0.0) + min(value, BODY_CAP)
        result.evidence.extend(body_scores.evidence)
    return result


def _score_into(result: TextScores, text: str, weight: float) -> tuple[int, int] | None:
    """Add every phrase found in `text`; return where the first one starts and ends."""
    text = text[:MAX_SCANNED].lower()
    first: tuple[int, int] | None = None
    resume = 0
    for word in _WORD.finditer(text):
        start = word.start()
        if start < resume:
            continue
        bucket = _BY_TWO.get(text[start : start + 2]) or _BY_ONE.get(text[start])
        match = bucket.match(text, start) if bucket else None
        if match is None or match.lastgroup is None:
            continue
        sub, base = _META[int(match.lastgroup[1:])]
        if first is None:
            first = match.span()
        result.add(sub, match[0], base * weight)
        resume = match.end()
    return first
