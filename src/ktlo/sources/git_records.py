"""git's log output turned into `Commit` records; what cannot be read is counted, never fatal.

Dates come in git's raw form (`--date=raw`: seconds since the epoch and the offset as
recorded, `1313584730 +0200`), so an instant never depends on parsing a calendar date.
git accepts commits that no strict reader would: an offset no time zone has (psf/requests
5e6ecda… records `+051800`, which git prints as `+51800`), a date it cannot parse (printed
empty), an author line without an email (printed as the literal placeholder). One such
commit must not cost a history, so each is read as far as it can be and counted in
`ReadIssues`, which the run reports:

    offset no zone has          the instant is kept, the offset read as UTC
    one date unreadable         the commit's other date (author or committer) is used
    author unreadable           stored as `unknown`
    no sha, no date at all      the record is skipped (not stored)
    a diff git cannot read      its files without line counts (ktlo.sources.git reads it
                                again with `--name-only`: a blob missing from a damaged
                                or partial clone)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from ktlo.records import Commit, FileChange

RECORD_START = b"\x1e"
# sha, parents, author name/email/date, committer name/email/date, raw message; dates raw.
# %aN/%aE apply .mailmap, so one person's many spellings collapse as git knows them.
LOG_FORMAT = "%x1e%H%x00%P%x00%aN%x00%aE%x00%ad%x00%cN%x00%cE%x00%cd%x00%B%x00"
DATE_FORMAT = "--date=raw"
HEADER_FIELDS = 9
MAX_EXAMPLES = 5
UNKNOWN_AUTHOR = "unknown"
_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_ZONES: dict[str, tzinfo | None] = {}  # raw offset -> zone (None: no time zone has it)


@dataclass(slots=True)
class ReadIssues:
    """What git printed that could not be read as it was (counts of commits), and examples."""

    offsets_as_utc: int = 0
    dates_missing: int = 0
    authors_missing: int = 0
    skipped: int = 0
    diffs_unreadable: int = 0
    examples: list[str] = field(default_factory=list)  # short shas of the first few

    def note(self, kind: str, sha: str) -> None:
        """Count one commit under `kind` (a field name) and keep its sha as an example."""
        setattr(self, kind, getattr(self, kind) + 1)
        short = sha[:10] if sha else "?"
        if len(self.examples) < MAX_EXAMPLES and short not in self.examples:
            self.examples.append(short)

    def add(self, other: ReadIssues) -> None:
        """Add another read's counts to these."""
        for kind in _KINDS:
            setattr(self, kind, getattr(self, kind) + getattr(other, kind))
        for sha in other.examples:
            if len(self.examples) < MAX_EXAMPLES and sha not in self.examples:
                self.examples.append(sha)

    @property
    def total(self) -> int:
        return sum(getattr(self, kind) for kind in _KINDS)

    def as_json(self) -> dict[str, object]:
        """The `unreadable` object of the JSON `ingest` block (docs/analyze-json.md)."""
        return {
            "offsets_read_as_utc": self.offsets_as_utc,
            "dates_replaced": self.dates_missing,
            "authors_unknown": self.authors_missing,
            "commits_skipped": self.skipped,
            "diffs_unreadable": self.diffs_unreadable,
            "examples": list(self.examples),
        }

    def describe(self) -> str:
        """One sentence for stderr, or "" when everything was read."""
        parts = [
            f"{n:,} with {what}"
            for n, what in (
                (self.offsets_as_utc, "a time-zone offset no zone has (read as UTC)"),
                (self.dates_missing, "an unreadable date (its other date used)"),
                (self.authors_missing, f"an unreadable author (stored as {UNKNOWN_AUTHOR})"),
                (self.skipped, "no readable sha or date (not stored)"),
                (
                    self.diffs_unreadable,
                    "a diff git could not read (stored with their files, line counts unknown)",
                ),
            )
            if n
        ]
        if not parts:
            return ""
        return f"commits git recorded oddly: {'; '.join(parts)} (e.g. {', '.join(self.examples)})"


_KINDS = ("offsets_as_utc", "dates_missing", "authors_missing", "skipped", "diffs_unreadable")


def parse_stream(
    chunks: Iterable[bytes], issues: ReadIssues, names_only: bool = False
) -> Iterator[Commit]:
    """Split git's output into one record per commit and parse each (`names_only`: the
    files are `--name-only`'s names, not `--numstat`'s counts)."""
    pending = b""
    for chunk in chunks:
        pending += chunk
        # A record starts with \x1e right after the NUL that closed the previous one.
        cut = pending.rfind(b"\x00" + RECORD_START)
        if cut < 0:
            continue
        complete, pending = pending[: cut + 1], pending[cut + 1 :]
        yield from _parse_records(complete, issues, names_only)
    if pending.strip():
        yield from _parse_records(pending, issues, names_only)


def _parse_records(blob: bytes, issues: ReadIssues, names_only: bool) -> Iterator[Commit]:
    for record in blob.split(b"\x00" + RECORD_START):
        record = record.lstrip(RECORD_START)
        if record:
            commit = parse_record(record, issues, names_only)
            if commit is not None:
                yield commit


def parse_record(
    record: bytes, issues: ReadIssues | None = None, names_only: bool = False
) -> Commit | None:
    """Parse one commit as formatted by LOG_FORMAT with `-z --numstat` (or `-z
    --name-only`); None if unreadable."""
    issues = issues if issues is not None else ReadIssues()
    try:  # one decode for the whole record: nearly every record is UTF-8
        fields = record.decode().split("\x00")
    except UnicodeDecodeError:
        fields = [decode(f) for f in record.split(b"\x00")]
    sha = fields[0].strip()
    if len(fields) < HEADER_FIELDS or not _SHA.match(sha):
        issues.note("skipped", sha if _SHA.match(sha) else "")
        return None
    try:
        return _commit(sha, fields, issues, names_only)
    except (ValueError, IndexError):  # a numstat line git never prints: the record is damaged
        issues.note("skipped", sha)
        return None


def _commit(sha: str, fields: list[str], issues: ReadIssues, names_only: bool) -> Commit | None:
    parents, an, ae, ad, cn, ce, cd, message = fields[1:HEADER_FIELDS]
    (authored, odd_a), (committed, odd_c) = raw_date(ad), raw_date(cd)
    if authored is None and committed is None:
        issues.note("skipped", sha)
        return None
    if authored is None or committed is None:
        issues.note("dates_missing", sha)
    if odd_a or odd_c:
        issues.note("offsets_as_utc", sha)
    if an == "%aN" and ae == "%aE":  # git prints the placeholder when it cannot parse the line
        issues.note("authors_missing", sha)
        an, ae = UNKNOWN_AUTHOR, ""
    if cn == "%cN" and ce == "%cE":
        cn, ce = UNKNOWN_AUTHOR, ""
    return Commit(
        sha=sha,
        parents=tuple(parents.split()),
        author_name=an,
        author_email=ae,
        authored_at=authored or committed,  # type: ignore[arg-type]  # one of them is set
        committer_name=cn,
        committer_email=ce,
        committed_at=committed or authored,  # type: ignore[arg-type]
        message=message.strip(),
        files=tuple((_parse_names if names_only else _parse_numstat)(fields[HEADER_FIELDS:])),
        lines_known=not names_only,
    )


def raw_date(raw: str) -> tuple[datetime | None, bool]:
    """`1313584730 +0200` -> (that instant in that zone, False); an offset no time zone has
    (`+51800`) -> (the instant in UTC, True); no date (empty, or 0) -> (None, False)."""
    seconds, _, offset = raw.strip().partition(" ")
    try:
        epoch = int(seconds)
    except ValueError:
        return None, False
    if epoch == 0:  # what git prints for a date it could not parse (or that overflowed)
        return None, False
    zone = _ZONES[offset] if offset in _ZONES else _zone(offset)
    try:
        return datetime.fromtimestamp(epoch, zone or UTC), zone is None
    except (OverflowError, OSError, ValueError):
        return None, False


def _zone(offset: str) -> tzinfo | None:
    """The fixed zone of a raw offset (`+0530`), or None when no time zone has it."""
    zone: tzinfo | None = None
    if len(offset) >= 5 and offset[0] in "+-" and offset[1:].isdigit():
        hours, minutes = divmod(int(offset[1:]), 100)
        if hours < 24 and minutes < 60:
            delta = timedelta(hours=hours, minutes=minutes)
            zone = timezone(-delta if offset[0] == "-" else delta)
    if len(_ZONES) < 4096:  # bounded: offsets are few, but the input is not ours
        _ZONES[offset] = zone
    return zone


def _parse_numstat(tokens: list[str]) -> Iterator[FileChange]:
    """`added\\tdeleted\\tpath` entries; a rename has an empty path then old and new names."""
    entries = iter(tokens)
    for token in entries:
        token = token.lstrip("\n")
        if not token:
            continue
        added, deleted, path = token.split("\t", 2)
        old_path = None
        if not path:
            old_path, path = next(entries, ""), next(entries, "")
        binary = added == "-"
        yield FileChange(
            path=path,
            added=None if binary else int(added),
            deleted=None if binary else int(deleted),
            old_path=old_path,
        )


def _parse_names(tokens: list[str]) -> Iterator[FileChange]:
    """`--name-only` paths: the files, their line counts unknown."""
    for token in tokens:
        path = token.lstrip("\n")
        if path:
            yield FileChange(path=path, added=None, deleted=None)


def decode(raw: bytes) -> str:
    """Text from git: UTF-8 when it is, else Latin-1 (the usual legacy encoding), never an error."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def utc_naive(moment: datetime) -> datetime:
    """The instant in UTC without tzinfo, as the store keeps timestamps."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def utc_offset_minutes(moment: datetime) -> int:
    """The offset from UTC the moment was recorded with, in minutes."""
    offset = moment.utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0
