"""Version order per ecosystem: which of two versions is newer, and is a version a pre-release.

- PyPI: PEP 440 (`packaging.version`, what pip itself uses).
- npm, crates.io, Go, Packagist: Semantic Versioning 2.0 precedence (a leading `v` dropped,
  build metadata ignored, a pre-release below its release; Go's pseudo-versions are
  pre-releases, so they order by their timestamp as Go does).
- RubyGems, Maven and anything else: segments split on `.`, `-`, `_` and between digits and
  letters; numbers compare as numbers; a segment with letters marks a pre-release
  (`1.0.a` < `1.0`, `1.0-rc1` < `1.0`) unless it is a release qualifier (`ga`, `final`,
  `release`), as RubyGems' `Gem::Version` and Maven's `ComparableVersion` read them; Maven
  reads a qualifier it does not know (`33.2.1-jre`, `-sp1`) as after the release.

`version_key` answers None for a text the ecosystem cannot order (a range such as `^1.2`, a
git sha); callers then fall back to comparing the text with an explicit list of versions.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from packaging.version import InvalidVersion, Version

SEMVER_ECOSYSTEMS = frozenset({"npm", "crates.io", "Go", "Packagist"})
_SEMVER = re.compile(
    r"^v?(?P<core>\d+(?:\.\d+){0,3})(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)
_SEGMENT = re.compile(r"\d+|[A-Za-z]+")
_RELEASE_WORDS = frozenset({"ga", "final", "release", "r"})
# Pre-release words in their order (Maven's ComparableVersion); others sort among them by text.
_PRE_WORDS = {"snapshot": 0, "dev": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "milestone": 3,
              "m": 3, "rc": 4, "cr": 4, "pre": 4, "preview": 4}  # fmt: skip

Key = tuple[Any, ...]


@lru_cache(maxsize=65536)
def version_key(ecosystem: str, version: str) -> Key | None:
    """A key that orders `version` among its ecosystem's versions, or None if it is not one."""
    text = version.strip()
    if not text:
        return None
    if ecosystem == "PyPI":
        try:
            parsed = Version(text)
        except InvalidVersion:
            return None
        return (0, parsed)
    if ecosystem in SEMVER_ECOSYSTEMS:
        return _semver_key(text)
    return _segment_key(text, maven=ecosystem == "Maven")


def canonical_name(ecosystem: str, name: str) -> str:
    """A package's name as its ecosystem compares names: PyPI's PEP 503 form (`Jinja2` and
    `jinja2` are one package, as are `zope.interface` and `zope-interface`); others as given."""
    if ecosystem == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    return name


def is_prerelease(ecosystem: str, version: str) -> bool:
    """Whether `version` is a pre-release (alpha, beta, rc, dev, a Go pseudo-version...)."""
    key = version_key(ecosystem, version)
    if key is None:
        return False
    if ecosystem == "PyPI":
        parsed: Version = key[1]
        return parsed.is_prerelease
    return bool(key[2][0] == 0)


# A Go pseudo-version names a commit by its UTC time: v0.0.0-20240102150405-abcdef123456,
# v1.2.4-0.20240102150405-abcdef123456, v1.2.3-pre.0.20240102150405-abcdef123456
# (https://go.dev/ref/mod#pseudo-versions).
_GO_PSEUDO = re.compile(
    r"^v\d+\.\d+\.\d+-(?:[0-9A-Za-z.-]*\.)?(\d{14})-[0-9a-f]{12}(?:\+incompatible)?$"
)


def pseudo_version_time(version: str) -> datetime | None:
    """The commit time (UTC, naive as the store keeps times) a Go pseudo-version carries, or
    None for any other version: the proxy lists only tagged releases, so this is its date."""
    found = _GO_PSEUDO.match(version)
    if found is None:
        return None
    try:
        return datetime.strptime(found.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def compare(ecosystem: str, left: str, right: str) -> int | None:
    """-1, 0 or 1 as `left` is older, the same or newer than `right`; None if either has no order."""
    a, b = version_key(ecosystem, left), version_key(ecosystem, right)
    if a is None or b is None:
        return None
    return (a > b) - (a < b)


def _semver_key(text: str) -> Key | None:
    match = _SEMVER.match(text)
    if not match:
        return None
    core = [int(part) for part in match["core"].split(".")]
    core += [0] * (4 - len(core))
    pre = match["pre"]
    if pre is None:
        # A release sorts after every pre-release of the same core: (1,) > (0, ...).
        return (1, tuple(core), (1,))
    idents = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (1, tuple(core), (0, idents))


def _segment_key(text: str, *, maven: bool = False) -> Key | None:
    segments = _SEGMENT.findall(text.lower().lstrip("v"))
    if not segments or not segments[0].isdigit():
        return None
    numbers: list[int] = []
    tail: list[tuple[int, int, str]] = []
    for segment in segments:
        if segment.isdigit() and not tail:
            numbers.append(int(segment))
        elif segment.isdigit():
            tail.append((1, int(segment), ""))
        elif segment not in _RELEASE_WORDS:
            tail.append((0, _PRE_WORDS.get(segment, 5), segment))
    while numbers and numbers[-1] == 0:
        numbers.pop()  # 1.0 == 1.0.0
    # A release (no tail) sorts after its pre-releases: (1,) > (0, ...). Maven reads a
    # qualifier it does not know (`-jre`, `-android`, `-sp1`) as after the release.
    post = maven and bool(tail) and tail[0][0] == 0 and tail[0][2] not in _PRE_WORDS
    suffix: tuple[Any, ...] = (1,) if not tail else (2 if post else 0, *tail)
    return (2, tuple(numbers), suffix)
