"""What a change does, read as features: its opening verb, what it acts on, its files.

A subject is read as `[area:] [adverb] VERB OBJECT...`:

    verb:<class>           the opening verb's class (verbs.toml): fix, add, remove, ...
    verb:<class>+<cue>     the verb with the first class of word after it: "add … tests"
    verb:none              no opening verb: a noun phrase or a reported symptom
    obj:<cue>              a class of word after the verb (cues.toml): defect, docs, ...
    also:<class>           a verb further on ("Small fix for …", "… and remove …")
    area:<cue>             a class of word in the "area:" prefix ("docs:", "tests:")
    body:<cue>, body:<class>   the same classes in the body (the model damps them)
    files:<role>           tests, docs, build files, how many files
    shape:<shape>          a version number, an issue reference, one word, a question,
                           a capitalised noun phrase
    kind:<kind>            commit, pull_request or issue

No feature says which way it leans: the weights (weights.toml) do, fitted on the
development sets. Each feature keeps the words that produced it, for the reasons shown.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, lru_cache
from itertools import compress

from ktlo.classify import signals
from ktlo.classify.vocabulary import HERE, cues, tokens, verbs

_VERSION = re.compile(r"(?<![\w.])v?\d+(?:\.\d+)+[\w.+-]*|(?<![\w.])v\d+\b")
_REF = re.compile(r"(?:^|[\s(])(?:#|gh-|!)\d+\b", re.IGNORECASE)
# A name from the code: a backtick, `name()`, `snake_case`, `camelCase` or `a::b`, that is
# `` `|\w\(\)|[a-z]_[a-z]|[a-z][A-Z]|\w::\w ``. Searched as written, the engine tries every
# alternative at every position; here each form is found from its second character (rare
# in prose: `(`, `_`, `:`, a capital), which the engine skips to, with the character before
# it checked behind. The same matches, each starting one character later but a backtick's
# (`_code_start`; tests/test_classify_patterns.py compares the two).
_CODE = re.compile(r"[`(_:A-Z](?:(?<=`)|(?<=\w\()\)|(?<=[a-z]_)[a-z]|(?<=[a-z][A-Z])|(?<=\w:):\w)")
_DIGIT = re.compile(r"\d")  # what every version has: most subjects have none
_NUMBER = re.compile(r"(?<![\w.])v?\d+(?:\.\d+)*\b")
# `(?<![\w-])--?[a-z][\w-]+`, opening with its dash so that the engine skips to each dash
# instead of trying the lookbehind at every position: the same matches
_CLI_OPTION = re.compile(r"-(?<![\w-]-)-?[a-z][\w-]+")
_FINITE = frozenset("is are was were be been has have had should must can will would".split())


# One feature of an item and the words that produced it: (name, words). A plain tuple, ~20
# per item, the cheapest object Python makes.
Feature = tuple[str, str]


@cache
def _skippable() -> frozenset[str]:
    import tomllib

    data = tomllib.loads((HERE / "verbs.toml").read_text(encoding="utf-8"))
    return frozenset(data["leading"]["skip"])


def subject_features(area: str, lead: str) -> list[Feature]:
    """Features of a subject: its area prefix, opening verb, and the words after it."""
    found: list[Feature] = []
    if area:
        found += _area_features(area)
    words = tokens(lead)
    start = 1 if len(words) > 1 and words[0] in _skippable() else 0
    verb = _verb_at(words, start) if words else None
    if verb is None and start:
        start, verb = 0, _verb_at(words, 0)
    rest = start + verb[1] if verb else 0
    if verb:
        found.append((verb[4], verb[3]))
    else:
        found.append(("verb:none", words[0] if words else ""))
    first_cue = True
    classes: set[str] = set()
    heads: dict[str, str] = {}
    for _, _, cls, text, _, name in _scan(words, rest, _index()):
        classes.add(cls)
        found.append((name, text))
        if cls.startswith("also:"):  # a later verb
            continue
        if verb and first_cue:
            found.append((f"{verb[4]}+{cls}", f"{verb[3]} … {text}"))
        first_cue = False
        heads.setdefault(cls, text)
    if not verb and heads:
        # a subject without an opening verb is said of its symptom, if it names one
        # ("Avatar upload fails": fails), else of what it names
        cls = min(heads, key=_HEAD_ORDER.index)
        found.append((f"verb:none+{cls}", heads[cls]))
    if not verb and classes & _SYMPTOMS:
        found.append(("shape:symptom", lead))
    elif not verb and _FINITE.intersection(words[1:]):
        found.append(("shape:statement", lead))
    if "runtime" in classes and _NUMBER.search(lead):
        found.append(("shape:runtime_version", lead))
    if "vague" in classes:
        found.append(("shape:vague", lead))
    return found


@lru_cache(maxsize=1 << 12)
def _area_features(area: str) -> tuple[Feature, ...]:
    """The word classes of an "area:" prefix, remembered: a repository's areas recur (git's
    20,000 newest commits name 2,641 areas; tokio's 4,446 commits 134)."""
    return tuple((term[4], term[3]) for term in _scan(tokens(area), 0, _area_index()))


# Which class of word a subject without an opening verb is read by, first match first.
_HEAD_ORDER = (
    "incident", "defect", "error", "negation", "missing", "security", "performance",
    "reliability", "docs", "tests", "ci", "build", "lint", "release", "dependency", "runtime",
    "debt", "vague", "capability", "project", "platform", "i18n", "config", "message",
    "ops_topic", "security_topic", "perf_topic", "interface",
)  # fmt: skip

# Word classes that make a subject without an opening verb a report of what goes wrong
# ("Avatar upload fails for PNG files", "Unable to save a draft").
_SYMPTOMS = frozenset({"defect", "error", "negation", "missing", "incident"})


# A term of the vocabulary as the scans read it, everything about it computed once:
# (its words, how many, its class, the words joined, its feature's name in a body, in a
# subject or area). The tables below hold each word's terms in the order they are tried.
Term = tuple[tuple[str, ...], int, str, str, str, str]
# A word's terms in a scan's table: as a tuple; or, where phrases open with the word, by
# the word after it (`_by_next_word`).
Terms = tuple[Term, ...] | dict[str, tuple[Term, ...]]


def _by_next_word(terms: tuple[Term, ...]) -> Terms:
    """A word's terms as `_scan` tries them. Where phrases open with the word (`is` in
    "is down", `test` in nine forms of "test case"), they are keyed by the word after it:
    for each second word, the terms that can match there (the single words, and the
    phrases with that second word), in their order; "" for any other (single words alone).
    A common word that opens a rare phrase then costs a lookup, not a comparison per phrase."""
    if all(term[1] == 1 for term in terms):
        return terms
    table = {
        second: tuple(t for t in terms if t[1] == 1 or t[0][1] == second)
        for second in {t[0][1] for t in terms if t[1] > 1}
    }
    table[""] = tuple(t for t in terms if t[1] == 1)
    return table


@cache
def _index() -> dict[str, Terms]:
    """Cues and verbs in one index by first word: a cue first, then a verb (as `also:`),
    for `_scan` and `body_features`. After the opening verb a cue is named `obj:<class>`,
    a verb `also:<class>` (its class)."""
    index: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    for word, entries in cues().by_first.items():
        index.setdefault(word, []).extend((phrase, cls, "obj:" + cls) for phrase, cls, _ in entries)
    for word, entries in verbs().by_first.items():
        index.setdefault(word, []).extend(
            (phrase, "also:" + cls, "also:" + cls)
            for phrase, cls, _ in entries
            if cls not in _QUIET
        )
    return {
        word: _by_next_word(
            tuple(
                (
                    phrase,
                    len(phrase),
                    cls,
                    " ".join(phrase),
                    "body:" + cls.removeprefix("also:"),
                    name,
                )
                for phrase, cls, name in entries
            )
        )
        for word, entries in index.items()
    }


@cache
def _area_index() -> dict[str, Terms]:
    """Cues by first word, named as an "area:" prefix reads them (`area:<class>`)."""
    return {
        word: _by_next_word(
            tuple(
                (phrase, len(phrase), cls, " ".join(phrase), "area:" + cls, "area:" + cls)
                for phrase, cls, _ in entries
            )
        )
        for word, entries in cues().by_first.items()
    }


@cache
def _verb_index() -> dict[str, tuple[Term, ...]]:
    """The opening verbs by first word, named `verb:<class>`, longest first."""
    return {
        word: tuple(
            (phrase, len(phrase), cls, " ".join(phrase), "verb:" + cls, "verb:" + cls)
            for phrase, cls, _ in entries
        )
        for word, entries in verbs().by_first.items()
    }


def _verb_at(words: list[str], start: int) -> Term | None:
    """The longest opening verb at `words[start]` (`verbs().match_at`, precomputed)."""
    for term in _verb_index().get(words[start], ()):
        # a one-word verb is the word it was found by; a phrase is compared (longest first)
        if term[1] == 1 or tuple(words[start : start + term[1]]) == term[0]:
            return term
    return None


# Verbs too common after the opening word to say anything ("make", "show", "update").
_QUIET = frozenset({"make", "show", "update"})


def _scan(words: list[str], start: int, index: dict[str, Terms]) -> list[Term]:
    """The terms of `index` in `words` from `start`, left to right (at each word the first
    of its terms that matches); the words of a phrase are not read again."""
    out: list[Term] = []
    # most words open no term: find the few that do, in C (None or () for the others)
    opening = list(map(index.get, words))
    last = len(words) - 1
    position = start
    for i in compress(range(len(opening)), opening):
        if i < position:  # before `start`, or inside a phrase matched before
            continue
        found = opening[i]
        # where phrases open, the terms the next word allows
        terms = (
            found.get(words[i + 1] if i < last else "") or found[""]
            if isinstance(found, dict)
            else found
        )
        for term in terms or ():  # (compress left out the None)
            length = term[1]
            # a one-word term matches, and a two-word one (its second word chose it)
            if length <= 2 or tuple(words[i : i + length]) == term[0]:
                out.append(term)
                position = i + length
                break
    return out


def body_features(body: str) -> list[Feature]:
    """Classes of words and verbs in the body (each once, with the words first read as it)."""
    if not body:
        return []
    seen: dict[str, str] = {}
    for term in _scan(tokens(body), 0, _index()):
        seen.setdefault(term[4], term[3])
    return list(seen.items())


def file_features(files: tuple[str, ...]) -> list[Feature]:
    """Roles of the files touched."""
    roles = signals.file_roles(files)
    paths = roles.paths
    n = len(paths)
    if not n:
        return []
    found = []
    if roles.test == n:
        found.append(("files:only_tests", paths[0]))
    elif roles.test:
        found.append(("files:tests", "tests"))
    if 0 < roles.doc < n:
        found.append(("files:docs", "docs"))
    if roles.build == n:
        found.append(("files:only_build", paths[0]))
    size = (
        "files:1" if n == 1 else "files:2-5" if n <= 5 else "files:6-20" if n <= 20 else "files:21+"
    )
    found.append((size, f"{n} files"))
    return found


def _word_at(text: str, at: int) -> str:
    """The whitespace-separated word of `text` that holds position `at`."""
    start = text.rfind(" ", 0, at) + 1
    end = text.find(" ", at)
    return text[start : end if end >= 0 else len(text)]


def _code_start(found: re.Match[str]) -> int:
    """Where the name `_CODE` found starts: one character before the match, but for a
    backtick (the one form found from its first character)."""
    return found.start() if found[0] == "`" else found.start() - 1


def size_features(added: int | None, deleted: int | None) -> list[Feature]:
    """How big the change is, and whether it mostly adds or mostly rewrites."""
    if added is None or deleted is None:
        return []
    total = added + deleted
    size = "0" if total < 1 else "1-9" if total < 10 else "10-99" if total < 100 else (
        "100-999" if total < 1000 else "1000+"
    )  # fmt: skip
    found = [(f"size:{size}", f"{added}+ {deleted}-")]
    if total >= 10:
        share = added / total
        lean = "adds" if share >= 0.8 else "removes" if share <= 0.2 else "rewrites"
        found.append((f"size:{lean}", f"{added}+ {deleted}-"))
    return found


def shape_features(
    subject: str, lead: str, has_verb: bool, earlier: Sequence[Feature] = ()
) -> list[Feature]:
    """Facts about how the subject is written (each regex only when its character is there)."""
    found = []
    version = "." in subject and _DIGIT.search(subject) and _VERSION.search(subject)
    if version:
        found.append(("shape:version", version[0]))
    ref = ("#" in subject or "gh-" in subject or "!" in subject) and _REF.search(subject)
    if ref:
        found.append(("shape:ref", ref[0].strip()))
    option = "-" in subject and _CLI_OPTION.search(subject)
    if option:
        found.append(("shape:cli_option", option[0]))
    # `_CODE` needs a backtick, "()", "_", "::" or a capital after the first character
    code = (
        ("`" in subject or "(" in subject or "_" in subject or ":" in subject
         or not subject[1:].islower())
        and _CODE.search(subject)
    )  # fmt: skip
    if code:
        found.append(("shape:code", _word_at(subject, _code_start(code))))
    if len(lead.split(None, 1)) <= 1:  # one word at most (no need to split them all)
        found.append(("shape:one_word", lead))
    elif (
        not has_verb
        and lead[:1].isupper()
        and _FINITE.isdisjoint(w.lower() for w in lead.split())
        and not any(f[0] in ("shape:symptom", "shape:vague") for f in earlier)
    ):
        found.append(("shape:noun_phrase", lead))
    if subject.endswith("?"):
        found.append(("shape:question", "?"))
    return found
