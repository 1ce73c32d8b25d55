"""Structural signals: facts about a work item that decide its kind without reading prose.

Each function returns a (subcategory, Reason) pair when its signal is present, else None.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from ktlo.classify.vocabulary import conventions
from ktlo.records import Reason

Signal = tuple[str, Reason]

_SECURITY_ID = re.compile(r"\b(CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3})\b", re.IGNORECASE)
# Whether a text may hold an advisory id at all: `"cve-" in text.lower() or "ghsa-" in
# text.lower()`, found from each dash instead of lowering the whole text (a body may be
# long). ASCII case-folding is the same here: no other character's lower case holds any
# of these letters (tests/test_classify_patterns.py checks every code point).
_ADVISORY_PREFIX = re.compile(r"-(?:(?<=cve-)|(?<=ghsa-))", re.IGNORECASE | re.ASCII)
_REVERT = re.compile(r"^(?:revert(?:s|ed)?\b|this reverts commit\b)", re.IGNORECASE)
# (the type and scope read possessively: what follows them is never a letter, or never
# inside the brackets, so giving characters back could not make a match)
_CONVENTIONAL = re.compile(r"^(?P<type>[a-zA-Z]++)(?:\((?P<scope>[^)]{0,40}+)\))?(?P<bang>!)?:\s*")
_GITMOJI = re.compile(r"(:[a-z0-9_+-]+:|[^\w\s\"'\[(#@`<]{1,3})\s*")
_BOT_NAME = re.compile(r"\[bot\]|(?:^|[-_. ])bot(?:$|[-_. @])", re.IGNORECASE)

_LOCKFILES = frozenset(
    """package-lock.json npm-shrinkwrap.json yarn.lock pnpm-lock.yaml poetry.lock pipfile.lock
    pipfile uv.lock pdm.lock cargo.lock go.sum go.mod gemfile.lock composer.lock mix.lock
    packages.lock.json gradle.lockfile pubspec.lock podfile.lock package.resolved flake.lock
    requirements.txt constraints.txt renovate.json .nvmrc .node-version .python-version
    .ruby-version .tool-versions dependabot.yml""".split()
)
_CI_FILES = frozenset(
    """.gitlab-ci.yml .travis.yml jenkinsfile azure-pipelines.yml bitbucket-pipelines.yml
    .drone.yml appveyor.yml cloudbuild.yaml cloudbuild.yml .cirrus.yml codecov.yml""".split()
)
_CI_DIRS = (".github/workflows/", ".circleci/", ".buildkite/", ".github/actions/", ".gitlab/ci/")
_DOC_SUFFIXES = frozenset(".md .rst .adoc .asciidoc .txt .rdoc .textile".split())
_DOC_NAMES = frozenset(
    "license licence copying authors contributors notice changelog changes news".split()
)


@lru_cache(maxsize=4096)
def shared_reason(signal: str, detail: str) -> Reason:
    """The same Reason object for the same words (reasons are immutable, and the same few
    labels, prefixes and bots recur: `ktlo classify --jsonl` writes a reason it has seen
    once from what it wrote then)."""
    return Reason(signal, detail)


# The structural signals' reasons that never change, made once.
_REVERTS = Reason("revert", "reverts an earlier change")
_ONLY_LOCKFILES = Reason("files", "only dependency manifests and lockfiles changed")
_ONLY_CI = Reason("files", "only CI configuration changed")
_ONLY_DOCS = Reason("files", "only documentation changed")
_ONLY_UPKEEP = Reason("files", "only tests, documentation and CI changed")


def label_signal(labels: Iterable[str], issue_type: str) -> Signal | None:
    """A label or issue type that names a kind of work (`bug`, `type: security`, `kind/feature`)."""
    if not issue_type and not labels:
        return None
    found: list[tuple[int, str, Reason]] = []
    candidates = [("issue_type", issue_type)] if issue_type else []
    candidates += [("label", label) for label in labels]
    for signal, raw in candidates:
        sub = conventions()["labels"].get(normalise_label(raw))
        if sub:
            found.append(
                (_LABEL_PRIORITY.index(sub), sub, shared_reason(signal, f'"{raw}" → {sub}'))
            )
    if not found:
        return None
    _, sub, reason = min(found, key=lambda f: f[0])
    return sub, reason


# When an item carries several kind labels, the most specific and urgent one wins.
_LABEL_PRIORITY = (
    "security", "incident", "bug", "performance", "reliability", "dependency",
    "tech_debt", "maintenance", "project", "feature",
)  # fmt: skip


def normalise_label(label: str) -> str:
    text = label.strip().lower()
    text = re.sub(r"^(?:type|kind|t|k|category|area|issue[ -]?type)\s*[:/]\s*", "", text)
    text = re.sub(r"^[^\w]+|[^\w]+$", "", text)
    return re.sub(r"[\s_\-]+", " ", text)


def bot_signal(author: str, title: str) -> Signal | None:
    """Dependency and housekeeping bots (dependabot, renovate, pre-commit-ci, ...)."""
    if not author:
        return None
    sub = _bot_kind(author)
    if sub is None:
        return None
    if sub == "dependency" and _SECURITY_ID.search(title):
        sub = "security"
    return sub, shared_reason("bot_author", f"{author} is a {sub} bot")


@lru_cache(maxsize=4096)
def _bot_kind(author: str) -> str | None:
    """The kind of work of the first known bot named in `author` (cached: authors recur)."""
    lowered = author.lower()
    for bot, sub in conventions()["bots"].items():
        if bot in lowered:
            return sub
    return None


def is_bot(author_name: str, author_email: str = "") -> bool:
    """A known automation account, or one whose name says it is a bot."""
    who = f"{author_name} {author_email}".lower()
    return any(bot in who for bot in conventions()["bots"]) or bool(_BOT_NAME.search(author_name))


def revert_signal(title: str, body: str) -> Signal | None:
    if _REVERT.search(title) or "This reverts commit" in body:
        return "incident", _REVERTS
    return None


def security_id_signal(text: str) -> Signal | None:
    if not _ADVISORY_PREFIX.search(text):  # most texts: skip the id's regex
        return None
    match = _SECURITY_ID.search(text)
    if match:
        return "security", shared_reason("security_advisory", f"mentions {match[1].upper()}")
    return None


def files_signal(files: Iterable[str]) -> Signal | None:
    """Changes confined to lockfiles, CI configuration or documentation."""
    roles = file_roles(files if isinstance(files, tuple) else tuple(files))
    n = len(roles.paths)
    if not n:
        return None
    if roles.lockfile == n:
        return "dependency", _ONLY_LOCKFILES
    if roles.ci == n:
        return "maintenance", _ONLY_CI
    if roles.doc == n:
        return "maintenance", _ONLY_DOCS
    if roles.upkeep == n and roles.test != n:
        return "maintenance", _ONLY_UPKEEP
    return None


class FileRoles(NamedTuple):
    """The paths of a change (empty ones left out) and how many of them have each role."""

    paths: tuple[str, ...]
    lockfile: int
    ci: int
    doc: int
    test: int
    build: int
    upkeep: int  # a doc, CI configuration or a test


@lru_cache(maxsize=4096)
def file_roles(files: tuple[str, ...]) -> FileRoles:
    """How many of `files` have each role (cached: the structural signals and the text
    model's features both read it, and small changes to the same files recur)."""
    paths = files if all(files) else tuple(filter(None, files))
    if not paths:
        return FileRoles(paths, 0, 0, 0, 0, 0, 0)
    # each path's roles as counts, summed role by role in C (a change may touch hundreds)
    lockfile, ci, doc, test, build, upkeep = map(sum, zip(*map(_role_counts, paths), strict=True))
    return FileRoles(paths, lockfile, ci, doc, test, build, upkeep)


@lru_cache(maxsize=1 << 16)
def _role_counts(path: str) -> tuple[int, int, int, int, int, int]:
    """`file_role(path)` as 0/1 counts, with whether it is upkeep (a doc, CI or a test)."""
    role = file_role(path)
    upkeep = role.doc or role.ci or role.test
    return (*map(int, role), int(upkeep))  # type: ignore[return-value]


class FileRole(NamedTuple):
    """What a path is for (several may hold: a doc under tests/)."""

    lockfile: bool
    ci: bool
    doc: bool
    test: bool
    build: bool


@lru_cache(maxsize=1 << 16)
def file_role(path: str) -> FileRole:
    """The roles of one path (cached: the same paths recur in every commit of a repository;
    its lower case and its name are made once for every role)."""
    lowered, name = path.lower(), _name(path)
    lockfile = _lockfile_name(name)
    return FileRole(
        lockfile, _ci(lowered, name), not lockfile and _doc(lowered, name),
        _test(lowered, name), bool(_BUILD_FILE.search(lowered)),
    )  # fmt: skip


def only_tests(files: Iterable[str]) -> bool:
    roles = [file_role(f) for f in files if f]
    return bool(roles) and all(r.test for r in roles)


def only_build_files(files: Iterable[str]) -> bool:
    """Every path is build or tool configuration (Makefiles, autoconf, CMake, editor settings)."""
    roles = [file_role(f) for f in files if f]
    return bool(roles) and all(r.build for r in roles)


# Build-system and tool configuration: a change confined to these is upkeep of the
# build far more often than a capability (though "add a --with-zstd option" can be one,
# so this is a vote for maintenance, not a verdict).
_BUILD_FILE = re.compile(
    r"(?:^|/)(?:makefile(?:\.[\w.]+)?|[\w.-]+\.(?:mk|am|m4|cmake|bzl)|configure\.(?:ac|in)"
    r"|cmakelists\.txt|meson\.build|meson_options\.txt|build\.bazel|workspace|setup\.cfg|tox\.ini"
    r"|\.editorconfig|\.gitignore|\.gitattributes|\.dir-locals\.el|\.clang-format|\.clang-tidy"
    r"|\.pre-commit-config\.yaml|\.dockerignore|\.mailmap)$"
)


def conventional_signal(subject: str) -> tuple[Signal, str] | None:
    """`type(scope)!: rest` with a known type; returns the signal and the rest of the subject.

    The reason's signal is `conventional_type` when the type settles the kind on its own
    (docs, ci, test, ...), `conventional_commit` when the text may still refine it.
    """
    match = ":" in subject and _CONVENTIONAL.match(subject)
    if not match:
        return None
    kind = match["type"].lower()
    sub = conventions()["conventional_types"].get(kind)
    if not sub:
        return None
    scope = (match["scope"] or "").strip().lower()
    scoped = conventions()["conventional_scopes"].get(scope)
    prefix = match[0].strip()
    decisive = kind in conventions()["decisive_types"]
    if scoped and (sub != "feature" or scoped == "security"):
        sub, decisive = scoped, True
    signal = "conventional_type" if decisive else "conventional_commit"
    return (sub, shared_reason(signal, f'"{prefix}" → {sub}')), subject[match.end() :]


def gitmoji_signal(subject: str) -> tuple[Signal, str] | None:
    """A gitmoji (emoji or `:code:`) opening the subject."""
    stripped = subject.lstrip()
    first = stripped[:1]
    if first.isalnum() or first == "_":  # a word character (`\w`) opens no gitmoji
        return None
    match = _GITMOJI.match(stripped)
    if not match:
        return None
    token = match[1].replace("\ufe0f", "")
    gitmoji = conventions()["gitmoji"]
    sub = gitmoji.get(token) or gitmoji.get(match[1])
    if not sub:
        return None
    return (sub, shared_reason("gitmoji", f"{match[1]} → {sub}")), stripped[match.end() :]


def _name(path: str) -> str:
    """The file name, lower-cased (PurePosixPath(path).name, without building a path: this
    runs for every file of every item)."""
    return path.rstrip("/").rpartition("/")[2].lower()


def _suffix(name: str) -> str:
    """PurePosixPath(name).suffix: from the last dot, none for `.bashrc` or `name.`."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def _is_lockfile(path: str) -> bool:
    return _lockfile_name(_name(path))


def _lockfile_name(name: str) -> bool:
    return name in _LOCKFILES or bool(_REQUIREMENTS.fullmatch(name))


_REQUIREMENTS = re.compile(r"requirements[\w.-]*\.(?:txt|in)")
_TEST_NAME = re.compile(r"(?:_test|_spec|\.test|\.spec|tests?)\.\w+$")


def _is_ci(path: str) -> bool:
    return _ci(path.lower(), _name(path))


def _ci(lowered: str, name: str) -> bool:
    return name in _CI_FILES or lowered.startswith(_CI_DIRS)


def is_doc(path: str) -> bool:
    name = _name(path)
    return not _lockfile_name(name) and _doc(path.lower(), name)


def _doc(lowered: str, name: str) -> bool:
    """A document by its folder, suffix or name (a lockfile is not: the caller checks)."""
    stem = name.split(".", 1)[0]
    return (
        lowered.startswith(("docs/", "doc/", "documentation/"))
        or _suffix(name) in _DOC_SUFFIXES
        or stem in _DOC_NAMES
    )


def is_test(path: str) -> bool:
    return _test(path.lower(), _name(path))


def _test(lowered: str, name: str) -> bool:
    return (
        any(map(("/" + lowered).__contains__, _TEST_DIRS))
        or name.startswith("test_")
        or (("test" in name or "spec" in name) and bool(_TEST_NAME.search(name)))
    )


_TEST_DIRS = ("/test/", "/tests/", "/__tests__/", "/spec/", "/testdata/")
