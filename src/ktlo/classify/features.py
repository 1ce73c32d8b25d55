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
from functools import cache

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
    for _, cls, text in cues().find(tokens(area)) if area else ():
        found.append((f"area:{cls}", text))
    words = tokens(lead)
    start = 1 if len(words) > 1 and words[0] in _skippable() else 0
    verb = verbs().match_at(words, start) if words else None
    if verb is None and start:
        start, verb = 0, verbs().match_at(words, 0)
    rest = start + verb[0] if verb else 0
    if verb:
        found.append((f"verb:{verb[1]}", verb[2]))
    else:
        found.append(("verb:none", words[0] if words else ""))
    first_cue = True
    classes: set[str] = set()
    heads: dict[str, str] = {}
    for index, cls, text in _scan(words, rest):
        classes.add(cls)
        if cls.startswith("also:"):
            found.append((cls, text))
            continue
        found.append((f"obj:{cls}", text))
        if verb and first_cue:
            found.append((f"verb:{verb[1]}+{cls}", f"{verb[2]} … {text}"))
        first_cue = False
        heads.setdefault(cls, text)
        del index
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


@cache
def _index() -> dict[str, tuple[tuple[tuple[str, ...], int, str, str, str], ...]]:
    """Cues and verbs in one index by first word: a cue first, then a verb (as `also:`);
    each entry as (words, how many, class, the words joined, its body feature's name) for
    `_scan` and `body_features`."""
    index: dict[str, list[tuple[tuple[str, ...], str, str]]] = {}
    for word, entries in cues().by_first.items():
        index.setdefault(word, []).extend(entries)
    for word, entries in verbs().by_first.items():
        index.setdefault(word, []).extend(
            (phrase, f"also:{cls}", term) for phrase, cls, term in entries if cls not in _QUIET
        )
    return {
        word: tuple(
            (phrase, len(phrase), cls, " ".join(phrase), "body:" + cls.removeprefix("also:"))
            for phrase, cls, _ in entries
        )
        for word, entries in index.items()
    }


# Verbs too common after the opening word to say anything ("make", "show", "update").
_QUIET = frozenset({"make", "show", "update"})


def _scan(words: list[str], start: int) -> list[tuple[int, str, str]]:
    """Cue classes and later verbs (`also:<class>`) from `start`, left to right."""
    out: list[tuple[int, str, str]] = []
    get = _index().get
    # most words open no term: find the few that do in one pass
    hits = [(i, entries) for i, word in enumerate(words) if (entries := get(word))]
    position = start
    for i, entries in hits:
        if i < position:  # before `start`, or inside a phrase matched before
            continue
        for phrase, length, cls, text, _ in entries:
            if length == 1 or tuple(words[i : i + length]) == phrase:
                out.append((i, cls, text))
                position = i + length
                break
    return out


def body_features(body: str) -> list[Feature]:
    """Classes of words and verbs in the body (each once, with the words first read as it)."""
    if not body:
        return []
    words = tokens(body)
    get = _index().get
    seen: dict[str, str] = {}
    position = 0
    # the same scan as `_scan`, naming each hit as a body feature as it is found
    for i, entries in [(i, entries) for i, word in enumerate(words) if (entries := get(word))]:
        if i < position:  # inside a phrase matched before
            continue
        for phrase, length, _, text, name in entries:
            if length == 1 or tuple(words[i : i + length]) == phrase:
                if name not in seen:
                    seen[name] = text
                position = i + length
                break
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
    size = "1" if n == 1 else "2-5" if n <= 5 else "6-20" if n <= 20 else "21+"
    found.append((f"files:{size}", f"{n} files"))
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
    words = lead.split()
    if len(words) <= 1:
        found.append(("shape:one_word", lead))
    elif (
        not has_verb
        and lead[:1].isupper()
        and _FINITE.isdisjoint(w.lower() for w in words)
        and not any(f[0] in ("shape:symptom", "shape:vague") for f in earlier)
    ):
        found.append(("shape:noun_phrase", lead))
    if subject.endswith("?"):
        found.append(("shape:question", "?"))
    return found
