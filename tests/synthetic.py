"""Large synthetic repositories built in one `git fast-import` (thousands of commits per second)."""

from __future__ import annotations

import subprocess
from pathlib import Path

SUBJECTS = (
    "fix: handle empty cart in checkout",
    "feat: add gift cards",
    "Bump lodash from 4.17.{n} to 4.17.{m}",
    "refactor: split the order service",
    "docs: explain retries",
    "Add retry with backoff to webhook sender",
    "Speed up search indexing",
    "Add CSV export for invoices",
)


def build_repo(path: Path, commits: int, files_per_commit: int = 3) -> Path:
    """A linear history of `commits` commits, each touching a few files, authored a day apart."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    stream = []
    for i in range(commits):
        subject = SUBJECTS[i % len(SUBJECTS)].format(n=i % 90, m=i % 90 + 1)
        message = f"{subject} ({i})\n".encode()
        when = 1_700_000_000 + i * 3600
        author = f"dev{i % 7} <dev{i % 7}@example.com> {when} +0000"
        stream.append(b"commit refs/heads/main\n")
        stream.append(f"author {author}\ncommitter {author}\n".encode())
        stream.append(b"data %d\n%s\n" % (len(message), message))
        for f in range(files_per_commit):
            content = f"line {i}\n".encode() * (1 + (i + f) % 5)
            stream.append(f"M 644 inline src/module{(i + f) % 40}/file{f}.py\n".encode())
            stream.append(b"data %d\n%s\n" % (len(content), content))
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    return path


def build_branchy_repo(path: Path) -> Path:
    """Seven commits: a branch merged with --no-ff, a rename, a binary file, a Latin-1 message."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)

    def commit(ref: str, mark: int, message: bytes, changes: bytes, extra: bytes = b"") -> bytes:
        who = f"Ana <ana@example.com> {1_700_000_000 + mark * 86400} +0100".encode()
        head = b"commit %s\nmark :%d\nauthor %s\ncommitter %s\n" % (ref.encode(), mark, who, who)
        return head + b"data %d\n%s\n" % (len(message), message) + extra + changes

    def put(name: str, content: bytes) -> bytes:
        return b"M 644 inline %s\ndata %d\n%s\n" % (name.encode(), len(content), content)

    stream = [
        commit("refs/heads/main", 1, b"feat: add checkout", put("src/a.py", b"x = 1\n")),
        commit("refs/heads/main", 2, b"fix: empty cart", put("src/a.py", b"x = 2\ny = 3\n")),
        commit(
            "refs/heads/topic", 3, b"Add CSV export", put("src/export.py", b"e\n"), b"from :2\n"
        ),
        commit("refs/heads/main", 4, b"refactor: move a", b"R src/a.py src/b.py\n", b"from :2\n"),
        commit(
            "refs/heads/main", 5, b"feat: logo", put("assets/logo.png", b"\x89PNG\r\n\x1a\n\x00")
        ),
        commit("refs/heads/main", 6, b"Merge branch 'topic'", b"", b"from :5\nmerge :3\n"),
        commit("refs/heads/main", 7, "Fix café menu".encode("latin-1"), put("src/m.py", b"m\n")),
    ]
    subprocess.run(
        ["git", "-C", str(path), "fast-import", "--quiet"], input=b"".join(stream), check=True
    )
    subprocess.run(["git", "-C", str(path), "checkout", "-q", "main"], check=True)
    return path
