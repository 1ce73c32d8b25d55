"""Do two revisions of the classifier give the same verdicts on real commits, byte for byte?

    python bench/classify_same.py [--base REV] [--per-repo N] [MIRROR ...]

Reads up to N commits (default 5,000) of each fetched mirror (default: every bare
repository under /work/.mirror, ten at least are expected), and classifies each in four
ways, with the code of `--base` (default HEAD, taken with `git archive`) and with the
code of this working tree:

- as a commit, as the ingest reads it (subject, body, files, author, lines added/removed);
- as a pull request or an issue (subject and body, some with a label), as the sources do;
- by its words alone (`classify_text`, what the learned model reads);
- as a line of `ktlo classify --jsonl -` (the JSON line written back).

Every verdict (kind, subcategory, confidence, reasons) is written to a file per revision,
and the two files are compared line by line; the first differences are printed. Exit
status 1 when they differ. `--dump FILE` writes this tree's verdicts alone.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIRRORS = Path("/work/.mirror")
LABELS = ("bug", "enhancement", "type: security", "dependencies", "docs", "kind/feature", "")
_LOG = "--format=%x1e%H%x1f%an <%ae>%x1f%B%x1f"


def read_commits(repo: Path, most: int) -> list[dict[str, object]]:
    """The newest `most` commits of `repo` (merges included, as the ingest reads them)."""
    out = subprocess.run(
        ["git", "-C", str(repo), "log", f"--max-count={most}", "--numstat", "--no-renames", _LOG],
        capture_output=True, check=True,
    ).stdout.decode(errors="replace")  # fmt: skip
    commits = []
    for record in out.split("\x1e")[1:]:
        sha, author, message, stat = record.split("\x1f", 3)
        title, _, body = message.strip().partition("\n")
        files, added, deleted = [], 0, 0
        for line in stat.strip().splitlines():
            a, d, path = line.split("\t", 2)
            files.append(path)
            added += int(a) if a.isdigit() else 0
            deleted += int(d) if d.isdigit() else 0
        merge = not files and title.startswith("Merge")
        commits.append({
            "sha": sha, "title": title, "body": body.strip(), "files": files, "author": author,
            "added": None if merge else added, "deleted": None if merge else deleted,
        })  # fmt: skip
    return commits


def dump(commits_file: Path, out_file: Path) -> None:
    """Classify every commit of `commits_file` four ways with the importable ktlo."""
    from ktlo.classify.classifier import classify, classify_text
    from ktlo.classify.jsonl import classify_lines, verdict_line
    from ktlo.records import WorkText

    commits = json.loads(commits_file.read_text())
    lines, jsonl = [], []
    for n, c in enumerate(commits):
        commit = WorkText(
            c["title"], c["body"], tuple(c["files"]), author=c["author"], kind="commit",
            lines_added=c["added"], lines_deleted=c["deleted"],
        )  # fmt: skip
        label = LABELS[n % len(LABELS)]
        tracker = WorkText(
            c["title"], c["body"], labels=(label,) if label else (), author=c["author"],
            kind="pull_request" if n % 2 else "issue",
        )  # fmt: skip
        for way, verdict in (
            ("commit", classify(commit)),
            ("tracker", classify(tracker)),
            ("text", classify_text(commit)),
        ):
            lines.append(f"{c['sha'][:12]} {way} {verdict_line(c['sha'][:12], verdict)}")
        item = {"id": n, "title": c["title"], "body": c["body"], "files": c["files"]}
        jsonl.append(json.dumps(item | ({"labels": [label]} if label else {})))
    written = io.StringIO()
    classify_lines(jsonl, written)
    lines += [f"jsonl {line}" for line in written.getvalue().splitlines()]
    out_file.write_text("\n".join(lines) + "\n")


def run_dump(src: Path, commits_file: Path, out_file: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, __file__, "--dump-commits", str(commits_file), "--dump", str(out_file)]
    subprocess.run(cmd, env=env, check=True)


def export(rev: str, into: Path) -> Path:
    """The `src` folder of revision `rev`, written under `into`."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", rev, "src"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def compare(base: Path, head: Path) -> int:
    a, b = base.read_text().splitlines(), head.read_text().splitlines()
    differ = [(x, y) for x, y in zip(a, b, strict=False) if x != y]
    for x, y in differ[:10]:
        print(f"- {x}\n+ {y}")
    digest = hashlib.sha256(b"\n".join(s.encode() for s in b)).hexdigest()[:16]
    print(json.dumps({
        "verdicts": len(b), "base_verdicts": len(a), "different": len(differ),
        "sha256_head": digest,
    }))  # fmt: skip
    return 0 if not differ and len(a) == len(b) else 1


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("mirrors", nargs="*", type=Path)
    parser.add_argument("--base", default="HEAD", help="the revision to compare with")
    parser.add_argument("--per-repo", type=int, default=5_000)
    parser.add_argument("--dump", type=Path, help="write this tree's verdicts here, only")
    parser.add_argument("--dump-commits", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dump_commits:  # the child: the importable ktlo is the revision's
        dump(args.dump_commits, args.dump)
        return
    mirrors = args.mirrors or sorted(
        p / "repo" for p in MIRRORS.glob("*+*") if (p / "repo").is_dir()
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        commits, read = [], 0
        for repo in mirrors:
            try:
                commits += read_commits(repo, args.per_repo)
                read += 1
            except subprocess.CalledProcessError:  # a partial mirror: some blobs absent
                print(f"skipped {repo}: git log --numstat failed", file=sys.stderr)
        print(f"{len(commits)} commits of {read} repositories", file=sys.stderr)
        (work / "commits.json").write_text(json.dumps(commits))
        if args.dump:
            run_dump(ROOT / "src", work / "commits.json", args.dump)
            return
        run_dump(export(args.base, work / "base"), work / "commits.json", work / "base.txt")
        run_dump(ROOT / "src", work / "commits.json", work / "head.txt")
        sys.exit(compare(work / "base.txt", work / "head.txt"))


if __name__ == "__main__":
    main()
