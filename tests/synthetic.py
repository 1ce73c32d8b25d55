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
