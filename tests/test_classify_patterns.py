"""The classifier's patterns rewritten to be searched faster find exactly what the patterns
as first written found: a verdict may not move because a regex was made cheaper."""

from __future__ import annotations

import random
import re

import pytest

from ktlo.classify import features, prepare, signals

# The patterns as they were written before being made faster: the reference.
CODE = re.compile(r"`|\w\(\)|[a-z]_[a-z]|[a-z][A-Z]|\w::\w")
CLI_OPTION = re.compile(r"(?<![\w-])--?[a-z][\w-]+")
TRAILER = re.compile(r"\n(?:[A-Za-z][\w-]*(?:-by|-to)?:\s.*$|\(cherry picked from .*\)$)", re.M)

SUBJECTS = [
    "",
    "`",
    "fix foo() and bar_baz in Foo::Bar",
    "a()b_c dE x::y `z`",
    "_a (b) A::b ::c a:: ::",
    "Fix the NULL check in foo_bar() for v2.3.1 (#12)",
    "t/t5510: use --no-tags and -v with git-fetch",
    "a--b -x --y -- -1 x-y-z --über",
    "mixedCase at the end: endsWithA",
    "(leading) _underscore `tick and ()",
    "ÀÉ_é éB é() é::é",  # word characters that are not ASCII
    "\u212a_k k\u212a",  # KELVIN SIGN: not [a-z] or [A-Z], though its lower case is
]


def reference_code_start(text: str) -> int | None:
    found = CODE.search(text)
    return found.start() if found else None


def code_start(text: str) -> int | None:
    found = features._CODE.search(text)
    return features._code_start(found) if found else None


def random_texts(alphabet: list[str], count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(count)]


CODE_ALPHABET = list("aZ_:()` .é1ßK-") + ["\u212a", "::", "()"]
TRAILER_ALPHABET = [
    *"aB-: \n\t_1\r\x0bé",
    "by",
    "to",
    "-by:",
    "(cherry picked from x)",
    ": ",
    "**",
    "[ ]",
    "[x]",
    "<!--",
    "-->",
    "```",
    "`",
    "*",
    "[",
    "<",
]


@pytest.mark.parametrize("text", SUBJECTS)
def test_a_name_from_the_code_starts_where_the_written_pattern_finds_it(text: str) -> None:
    assert code_start(text) == reference_code_start(text)


def test_names_from_the_code_on_random_texts() -> None:
    texts = random_texts(CODE_ALPHABET, 50_000, seed=1)
    assert [code_start(t) for t in texts] == [reference_code_start(t) for t in texts]


def test_the_shape_feature_names_the_word_the_written_pattern_named() -> None:
    # the word around the start is what a reason shows: "a name from the code "foo_bar()""
    found = features.shape_features("Fix the NULL check in foo_bar()", "Fix the NULL", True)
    assert ("shape:code", "foo_bar()") in found
    found = features.shape_features("handle x in foo_bar", "handle x in foo_bar", True)
    assert ("shape:code", "foo_bar") in found


@pytest.mark.parametrize("text", SUBJECTS)
def test_a_command_line_option_is_what_the_written_pattern_finds(text: str) -> None:
    found, expected = features._CLI_OPTION.search(text), CLI_OPTION.search(text)
    assert (found and found.span()) == (expected and expected.span())


def test_command_line_options_on_random_texts() -> None:
    for text in random_texts([*CODE_ALPHABET, "-", "--", "-a", " -", "x-"], 50_000, seed=2):
        found, expected = features._CLI_OPTION.search(text), CLI_OPTION.search(text)
        assert (found and found.span()) == (expected and expected.span()), text


def reference_clean(body: str) -> str:
    """`prepare.clean_body` as it was: every body through the trailer pattern as written."""
    body = TRAILER.sub("\n", "\n" + body[: prepare.MAX_BODY + 100])[1:]
    if "<!--" in body or "```" in body or "[ ]" in body or "[x]" in body or "**" in body:
        body = prepare._BOILERPLATE.sub(" ", body)
    return body.strip()[: prepare.MAX_BODY]


@pytest.mark.parametrize(
    "body",
    [
        "Explain why.\n\nSigned-off-by: A <a@example.com>\nReviewed-by: B",
        "Acked-by:x\nCo-authored-to: y\nX-by-by: z\nkey:\tvalue\nnot a: trailer here",
        "a line\n(cherry picked from commit 0123abc)\nafter",
        "no colon, no trailer\njust words",
        "Fixes: #12\nURL: https://example.com/x\n:leading colon\n-dash: x",
        "é-by: not ASCII first\nÉtienne-by: x\nA-é: y",
    ],
)
def test_trailers_are_removed_as_the_written_pattern_removes_them(body: str) -> None:
    assert prepare.clean_body(body) == reference_clean(body)


def test_trailers_on_random_texts() -> None:
    for text in random_texts(TRAILER_ALPHABET, 50_000, seed=3):
        assert prepare.clean_body(text) == reference_clean(text), text


def test_no_character_outside_ascii_lowers_to_a_letter_of_an_advisory_prefix() -> None:
    """What lets `_ADVISORY_PREFIX` fold case in ASCII alone, as `str.lower` would."""
    letters = set("cveghsa-")
    outside = (chr(c) for c in range(128, 0x110000) if not 0xD800 <= c < 0xE000)
    assert [c for c in outside if letters & set(c.lower())] == []


@pytest.mark.parametrize(
    "text",
    ["Fixes CVE-2024-1234", "cVe-", "see ghsa-", "GHSA-", "ghſa-x", "cve -", "cve‐x", "-cve-", ""],
)
def test_an_advisory_id_is_looked_for_where_the_lowered_text_names_one(text: str) -> None:
    lowered = text.lower()
    may = "cve-" in lowered or "ghsa-" in lowered
    assert bool(signals._ADVISORY_PREFIX.search(text)) == may


def test_advisory_prefixes_on_random_texts() -> None:
    alphabet = [*"cveCVEghsaGHSA- ſK\u212aİ1", "cve-", "GHSA-"]
    for text in random_texts(alphabet, 50_000, seed=4):
        lowered = text.lower()
        may = "cve-" in lowered or "ghsa-" in lowered
        assert bool(signals._ADVISORY_PREFIX.search(text)) == may, text


AREA_PREFIX = re.compile(r"^(?:[\w./+*,{}-]{1,30}(?:\([^)]{0,30}\))?:\s+){1,3}")
CONVENTIONAL = re.compile(r"^(?P<type>[a-zA-Z]+)(?:\((?P<scope>[^)]{0,40})\))?(?P<bang>!)?:\s*")


def reference_split_area(subject: str) -> tuple[str, str]:
    """`prepare.split_area` as it was: the pattern as written, and the rest after the
    prefixes stripped to see if there is any."""
    match = ":" in subject and AREA_PREFIX.match(subject)
    if not match or not subject[match.end() :].strip():
        return "", subject
    return match[0].strip(), subject[match.end() :]


def test_the_spaces_a_pattern_takes_are_the_spaces_strip_removes() -> None:
    """What lets `split_area` see an empty rest from where its pattern ended."""
    outside = (chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    assert [c for c in outside if bool(re.fullmatch(r"\s", c)) != (not c.strip())] == []


def test_area_prefixes_on_random_texts() -> None:
    alphabet = [*"ab:( ) \t\u00a0\u2003x.", "net: ", "a(b): ", "x:", ": ", "w" * 29, "z" * 31]
    for text in random_texts(alphabet, 50_000, seed=5):
        assert prepare.split_area(text) == reference_split_area(text), text


def opens_with(pattern: re.Pattern[str]) -> str:
    """Every code point that `pattern` (a pattern's opening character, as written in it)
    matches."""
    return "".join(
        c for c in map(chr, range(0x110000)) if not "\ud800" <= c <= "\udfff" and pattern.match(c)
    )


@pytest.mark.parametrize(
    ("opens", "first"),
    [
        (prepare.MERGE_OPENS, re.compile(r"m", re.IGNORECASE)),  # ^Merge ...
        (prepare._DRAFT_OPENS, re.compile(r"[dw\[]", re.IGNORECASE)),  # draft, wip, [wip]
        (prepare._RESOLVE_OPENS, re.compile(r"r", re.IGNORECASE)),  # ^Resolve "..."
        (prepare._TICKET_OPENS, re.compile(r"\[|[A-Z]")),  # [ABC-1] or ABC-1
    ],
)
def test_a_pattern_is_skipped_only_where_it_cannot_open(opens: str, first: re.Pattern[str]) -> None:
    """The gates are the characters the patterns' first parts match, case folded as the
    patterns fold them (Unicode: "K" matches k, "ſ" matches s)."""
    assert sorted(opens) == sorted(opens_with(first))


def reference_clean_subject(title: str) -> str:
    """`prepare.clean_subject` as it was: every pattern tried on every subject."""
    subject = prepare._DRAFT_PREFIX.sub("", title, count=1)
    quoted = prepare._RESOLVE_QUOTED.match(subject)
    if quoted:
        subject = quoted[1]
    subject = prepare._TICKET_PREFIX.sub("", subject, count=1)
    return prepare._PR_SUFFIX.sub("", subject).strip()


def test_subjects_cleaned_on_random_texts() -> None:
    alphabet = [*' \tdDwWrR[]A-1:(#)"', "draft", "WIP:", "[wip]", 'Resolve "', "ABC-12 ", "[x] "]
    for text in random_texts(alphabet, 50_000, seed=6):
        assert prepare.clean_subject(text) == reference_clean_subject(text), text


def test_conventional_prefixes_on_random_texts() -> None:
    alphabet = [*"aZ(x)!: \t1-é", "fix", "feat(", "(api)", "!:", ": ", "))", "(("]
    for text in random_texts(alphabet, 50_000, seed=7):
        found, expected = signals._CONVENTIONAL.match(text), CONVENTIONAL.match(text)
        assert (found and found.groupdict()) == (expected and expected.groupdict()), text
        assert (found and found.end()) == (expected and expected.end()), text
