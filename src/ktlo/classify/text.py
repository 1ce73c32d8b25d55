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

# Whole phrases that overrule what their first word would say on its own.
PHRASES_OVERRULING_VERBS: dict[str, list[tuple[str, float]]] = {
    "maintenance": [
        (
            r"(?:fix|fixes|fixed|fixing|correct|corrected|update|updated|updates|improve|improved|"
            r"clarify|clarified|tweak|add|adds|added|adding)(?: (?:a|an|the|some|more|missing|broken|"
            r"outdated|several|minor|small|new|all|lots of|more))?(?: \w+)?(?: \w+)? (?:typos?|docs?|documentation|"
            r"docstrings?|lint(?:ing| errors| warnings)?|links?|comments?|spelling|grammar|wording|"
            r"tests?|test cases?|unit tests?|ci|build|formatting|readme|examples?|changelog|"
            r"translations?|release notes|badges?|copyright|licen[sc]e|warnings?|compiler warnings?)",
            6.0,
        ),
    ],
    "reliability": [
        (
            r"(?:fix|fixes|fixed|fixing|deflake|de-flake|stabili[sz]e)(?: (?:a|an|the|some))? "
            r"(?:flaky|flakey|intermittent|timing[- ]dependent|racy|brittle) (?:\w+ )?tests?",
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
        ranked = sorted(
            ((s, v) for s, v in self.scores.items() if among is None or s in among),
            key=lambda sv: -sv[1],
        )
        if not ranked:
            return None, 0.0, 0.0
        return ranked[0][0], ranked[0][1], ranked[1][1] if len(ranked) > 1 else 0.0


def _compile() -> dict[str, re.Pattern[str]]:
    """One alternation per possible first character, longest phrases first.

    Matching is tried only at word starts, and only with the phrases that can begin
    with the character found there: a few dozen regex attempts per text instead of
    hundreds per character.
    """
    entries = [(p, s, w) for s, items in PHRASES_OVERRULING_VERBS.items() for p, w in items]
    entries += [(p, s, w) for s, items in PHRASES.items() for p, w in items]
    entries.sort(key=lambda e: -len(e[0]))
    buckets: dict[str, list[int]] = {}
    for index, (pattern, _, _) in enumerate(entries):
        for char in _first_chars(pattern) or _ANY_START:
            buckets.setdefault(char, []).append(index)
    _META.extend((sub, weight) for _, sub, weight in entries)
    return {
        char: re.compile(
            "|".join(f"(?P<g{i}>{entries[i][0]})" for i in indexes) + r"(?:(?<=\s)|(?![\w]))"
        )
        for char, indexes in buckets.items()
    }


_ANY_START = "abcdefghijklmnopqrstuvwxyz0123456789"
_META: list[tuple[str, float]] = []


def _first_chars(pattern: str) -> set[str] | None:
    """The characters a match of `pattern` can start with, or None when that is not bounded."""
    try:
        parsed = re._parser.parse(pattern)  # type: ignore[attr-defined]
    except Exception:  # a private module: any surprise means "try this phrase everywhere"
        return None
    chars, nullable = _first_of_sequence(list(parsed))
    return None if chars is None or nullable else chars


def _first_of_sequence(items: list[tuple[Any, Any]]) -> tuple[set[str] | None, bool]:
    found: set[str] = set()
    for op, arg in items:
        chars, nullable = _first_of_item(str(op), arg)
        if chars is None:
            return None, False
        found |= chars
        if not nullable:
            return found, False
    return found, True


def _first_of_item(op: str, arg: Any) -> tuple[set[str] | None, bool]:
    if op == "LITERAL":
        return {chr(arg)}, False
    if op == "IN":
        chars: set[str] = set()
        for inner_op, inner_arg in arg:
            if str(inner_op) == "LITERAL":
                chars.add(chr(inner_arg))
            elif str(inner_op) == "RANGE":
                chars |= {chr(c) for c in range(inner_arg[0], inner_arg[1] + 1)}
            else:
                return None, False
        return chars, False
    if op == "SUBPATTERN":
        return _first_of_sequence(list(arg[-1]))
    if op == "BRANCH":
        union: set[str] = set()
        any_nullable = False
        for branch in arg[1]:
            chars_b, nullable_b = _first_of_sequence(list(branch))
            if chars_b is None:
                return None, False
            union |= chars_b
            any_nullable = any_nullable or nullable_b
        return union, any_nullable
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        chars_r, nullable_r = _first_of_sequence(list(arg[2]))
        return chars_r, nullable_r or arg[0] == 0
    if op in ("AT", "ASSERT", "ASSERT_NOT"):
        return set(), True
    return None, False


_BUCKETS = _compile()
_WORD = re.compile(r"\w+")
_FIRST_WORD = re.compile(r"[a-z][a-z'-]*")
MAX_SCANNED = 1000  # characters of a body worth reading


def score(subject: str, body: str = "") -> TextScores:
    """Score a subject line (full weight) and a body (damped and capped) for every subcategory."""
    result = TextScores()
    first_phrase_at = _score_into(result, subject, 1.0)
    word = _FIRST_WORD.match(subject.lower())
    if word and first_phrase_at != 0:
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


def _score_into(result: TextScores, text: str, weight: float) -> int | None:
    """Add every phrase found in `text`; return where the first one starts."""
    text = text[:MAX_SCANNED].lower()
    first: int | None = None
    resume = 0
    for word in _WORD.finditer(text):
        start = word.start()
        if start < resume:
            continue
        bucket = _BUCKETS.get(text[start])
        match = bucket.match(text, start) if bucket else None
        if match is None or match.lastgroup is None:
            continue
        sub, base = _META[int(match.lastgroup[1:])]
        if first is None:
            first = match.start()
        result.add(sub, match[0], base * weight)
        resume = match.end()
    return first
