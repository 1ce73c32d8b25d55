"""The vocabulary is data with provenance: every entry reads its own example, says where it
came from, and is not written from a single row of an evaluation set."""

from __future__ import annotations

import csv
import tomllib
from functools import cache
from pathlib import Path

import pytest

from ktlo.classify import features, model, vocabulary
from ktlo.classify.taxonomy import SUBCATEGORIES
from ktlo.classify.vocabulary import HERE, Entry, VocabularyError, compile_lexicon, tokens

ROOT = Path(__file__).resolve().parents[1]
DEV_SETS = (ROOT / "eval" / "dev.csv", ROOT / "eval" / "topics-dev.csv")
ENTRIES = [*vocabulary.verbs().entries, *vocabulary.cues().entries]


@cache
def dev_texts() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(row id, words) of the development sets committed here."""
    rows = []
    for path in DEV_SETS:
        with path.open(newline="", encoding="utf-8") as handle:
            rows += [
                (f"{path.name}:{r['id']}", tuple(tokens(r["text"]))) for r in csv.DictReader(handle)
            ]
    return tuple(rows)


def reads(entry: Entry, text: str | tuple[str, ...]) -> bool:
    """Whether any term of `entry` occurs in `text` (or its words) as whole words."""
    lexicon = compile_lexicon([entry])
    words = list(text) if isinstance(text, tuple) else tokens(text)
    return any(lexicon.match_at(words, i) for i in range(len(words)))


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.kind}:{e.cls}")
def test_every_entry_reads_its_own_example(entry: Entry) -> None:
    assert entry.source.strip(), "say where the entry comes from"
    assert reads(entry, entry.example), f"{entry.example!r} does not read as {entry.cls}"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: f"{e.kind}:{e.cls}")
def test_no_entry_matches_only_the_row_it_was_written_from(entry: Entry) -> None:
    """An entry written from a development row (`source = "dev.csv:e0123"`) must read at
    least one other row: a phrase that fits one sentence only is memorised, not general.
    Entries of general vocabulary must read some development row too."""
    lexicon = compile_lexicon([entry])
    matched = [
        row for row, words in dev_texts()
        if any(lexicon.match_at(list(words), i) for i in range(len(words)))
    ]  # fmt: skip
    cited = {part.strip() for part in entry.source.split(",") if ".csv:" in part}
    assert set(matched) - cited, f"{entry.kind} {entry.cls} reads only {sorted(matched)}"


def test_entries_cite_no_frozen_test_row() -> None:
    for entry in ENTRIES:
        assert "test.csv" not in entry.source and "eval/real/test" not in entry.source


def test_a_term_in_two_classes_is_refused() -> None:
    twice = [
        Entry("cue", "docs", ("readme",), "readme", "general"),
        Entry("cue", "tests", ("readme",), "readme", "general"),
    ]
    with pytest.raises(VocabularyError, match="in both 'docs'"):
        compile_lexicon(twice)


def test_inflections_read_as_their_verb_and_overgenerated_forms_yield() -> None:
    lexicon = vocabulary.verbs()
    for word in ("fix", "fixes", "fixed", "fixing", "dropped", "simplifies"):
        assert lexicon.match_at([word], 0), word
    # "read+" makes "readd", which "readd+" (restore) writes as such: the written one wins
    assert lexicon.match_at(["readd"], 0)[1] == "restore"


def test_every_cue_class_has_a_place_in_the_reading_order() -> None:
    classes = {entry.cls for entry in vocabulary.cues().entries}
    assert classes == set(features._HEAD_ORDER)


def test_priors_name_known_features_and_classes() -> None:
    data = tomllib.loads((HERE / "priors.toml").read_text(encoding="utf-8"))
    verb_classes = {e.cls for e in vocabulary.verbs().entries} | {"none"}
    cue_classes = {e.cls for e in vocabulary.cues().entries}
    for prior in data["prior"]:
        assert prior["why"].strip()
        assert set(prior["leans"]) <= {*SUBCATEGORIES, "other"}
        kind, _, name = prior["feature"].partition(":")
        verb, _, cue = name.partition("+")
        if kind == "verb":
            assert verb in verb_classes and (not cue or cue in cue_classes), prior["feature"]
        elif kind == "obj":
            assert name in cue_classes, prior["feature"]


def test_topic_nouns_have_no_prior() -> None:
    """A topic noun says what the work is about, not what it does: no prior leans it."""
    data = tomllib.loads((HERE / "priors.toml").read_text(encoding="utf-8"))
    topics = ("ops_topic", "security_topic", "perf_topic")
    assert not [p for p in data["prior"] if any(t in p["feature"] for t in topics)]


def test_the_weights_say_where_they_were_fitted() -> None:
    fitted = model.weights()
    sets = " ".join(str(s) for s in fitted.meta["fitted_on"])  # type: ignore[union-attr]
    assert "dev" in sets and "test" not in sets
    assert set(fitted.classes) == {*SUBCATEGORIES, "other"}


@pytest.mark.parametrize(
    "text",
    [
        "Fix the NULL check in foo_bar() for v2.3.1 (#12)",
        "tabs\tand\nnewlines\r\nand\x0bvertical\x0cfeeds\x1cand\x1dunit\x1eseparators\x1f",
        "dashes-and/slashes.and:colons;semi,comma",
        "UPPER lower MiXeD 123 _under_ __dunder__",
        "can't won't don't",  # an apostrophe: read by the regex
        "naïve café",  # not ASCII: read by the regex
        "it's 'quoted' o''x don't’s rock'n'roll 5'a",  # apostrophes inside and around words
        "İstanbul’s KELVIN ǅ",  # characters whose lower case is ASCII, or longer
        "",
        "   ",
        '~!@$%^&*+=[]{}|\\<>?`"',
    ],
)
def test_words_are_the_same_with_or_without_the_regex(text: str) -> None:
    # tokens() splits by bytes and reads only the chunks with an apostrophe by the regex;
    # the words must not change
    assert tokens(text) == vocabulary._TOKEN.findall(text.lower().replace("’", "'"))
