"""Held-out samples of real public histories: draw them, and measure ktlo on them.

The texts are never committed (they belong to their projects); what is committed is
`eval/real/<set>.csv` with `repo,sha,kind,label` rows, and this script rebuilds the texts
from bare clones (`fetch`ed mirrors: <mirrors>/<owner>+<name>/repo).

    python eval/real.py sample SET --repos owner/name,... --per-repo N --out DIR
        random non-merge commits (subject, body, files with line counts) -> DIR/SET.jsonl
    python eval/real.py titles SET --repos owner/name,... --per-repo N --out DIR
        random pull-request titles (squash subjects ending "(#123)", or the title in a
        "Merge pull request" body) -> DIR/SET.jsonl, kind pull_request, title only
    python eval/real.py eval eval/real/SET.csv [--json]
        binary macro-F1 per repository and overall, and the KTLO share (truth vs ktlo)

Sampling is seeded by the set and repository names, so a sample can be drawn again.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

MIRRORS = Path(os.environ.get("KTLO_MIRRORS", "/work/.mirror"))
_PR_SUFFIX = re.compile(r"\(#\d+\)\s*$")
_MERGE_PR = re.compile(r"^Merge pull request #\d+ from ")


def git_dir(repo: str) -> Path:
    path = MIRRORS / repo.replace("/", "+") / "repo"
    if not path.exists():
        sys.exit(f"Error: no mirror of {repo} at {path} — fetch it first")
    return path


def git(repo: str, *args: str) -> str:
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir(repo)), *args], capture_output=True, check=True
    )
    return out.stdout.decode("utf-8", errors="replace")


def commit(repo: str, sha: str) -> dict[str, Any]:
    """Subject, body and files (with added/deleted lines) of one commit."""
    message = git(repo, "show", "-s", "--format=%B", sha).strip()
    title, _, body = message.partition("\n")
    files = []
    stat = git(repo, "show", "--numstat", "-M", "--format=", sha)
    for line in stat.splitlines():
        parts = line.split("\t")
        if len(parts) == 3:
            files.append({"path": parts[2], "added": parts[0], "deleted": parts[1]})
    return {"title": title.strip(), "body": body.strip(), "files": files}


def pr_title(repo: str, sha: str) -> str:
    message = git(repo, "show", "-s", "--format=%B", sha).strip()
    subject, _, body = message.partition("\n")
    if _MERGE_PR.match(subject):
        return body.strip().partition("\n")[0].strip()
    return _PR_SUFFIX.sub("", subject).strip()


def _rng(set_name: str, repo: str) -> random.Random:
    return random.Random(f"{set_name}:{repo}")


def sample_commits(set_name: str, repo: str, n: int) -> Iterator[dict[str, Any]]:
    shas = git(repo, "rev-list", "--no-merges", "HEAD").split()
    for sha in sorted(_rng(set_name, repo).sample(shas, min(n, len(shas)))):
        yield {"id": f"{repo}@{sha}", "repo": repo, "sha": sha, "kind": "commit",
               **commit(repo, sha)}  # fmt: skip


def sample_titles(set_name: str, repo: str, n: int) -> Iterator[dict[str, Any]]:
    log = git(repo, "log", "--format=%H%x1f%P%x1f%s%x1f%b%x1e", "HEAD")
    candidates = []
    for record in log.split("\x1e"):
        fields = record.strip().split("\x1f")
        if len(fields) < 4:
            continue
        sha, parents, subject, body = fields
        merged_pr = _MERGE_PR.match(subject) and body.strip()
        squashed = len(parents.split()) == 1 and _PR_SUFFIX.search(subject)
        if merged_pr or squashed:
            candidates.append(sha)
    for sha in sorted(_rng(set_name, repo).sample(candidates, min(n, len(candidates)))):
        title = pr_title(repo, sha)
        if title:
            yield {"id": f"{repo}@{sha}", "repo": repo, "sha": sha, "kind": "pull_request",
                   "title": title, "body": "", "files": []}  # fmt: skip


def draw(args: argparse.Namespace, sampler: Any) -> None:
    out = Path(args.out) / f"{args.set}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = [row for repo in args.repos.split(",") for row in sampler(args.set, repo, args.per_repo)]
    out.write_text("".join(json.dumps(row) + "\n" for row in rows))
    print(f"{len(rows)} items -> {out}", file=sys.stderr)


def labeled_items(path: Path) -> list[tuple[str, Any]]:
    """(repo, LabeledItem) for each row of a committed label file, texts rebuilt from mirrors."""
    from ktlo.classify.evaluate import LabeledItem, normalise_label
    from ktlo.records import WorkText

    items = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            label = normalise_label(row["label"])
            if label is None:
                sys.exit(f"Error: {path}: unknown label {row['label']!r}")
            repo, sha, kind = row["repo"], row["sha"], row.get("kind") or "commit"
            if kind == "pull_request":
                work = WorkText(title=pr_title(repo, sha), kind="pull_request")
            else:
                c = commit(repo, sha)
                files = tuple(f["path"] for f in c["files"])
                added, deleted = _lines(c["files"])
                work = WorkText(
                    title=c["title"], body=c["body"], files=files, kind="commit",
                    lines_added=added, lines_deleted=deleted,
                )  # fmt: skip
            text = f"{work.title}\n{work.body}".strip()
            items.append((repo, LabeledItem(f"{repo}@{sha}", text, label, work)))
    return items


def _lines(files: list[dict[str, str]]) -> tuple[int, int]:
    """Lines added and deleted (binary files, shown as "-", count none)."""
    added = sum(int(f["added"]) for f in files if f["added"].isdigit())
    deleted = sum(int(f["deleted"]) for f in files if f["deleted"].isdigit())
    return added, deleted


def measure(path: Path) -> dict[str, Any]:
    """Binary macro-F1, subcategory accuracy and KTLO shares per repository and overall."""
    from ktlo.classify import classify
    from ktlo.classify.evaluate import evaluate
    from ktlo.classify.taxonomy import KTLO, OTHER, investment_of

    items = labeled_items(path)
    by_repo: dict[str, list[Any]] = defaultdict(list)
    for repo, item in items:
        by_repo[repo].append(item)
    result: dict[str, Any] = {"set": path.stem, "repositories": {}}
    for repo, group in [*sorted(by_repo.items()), ("(all)", [i for _, i in items])]:
        report = evaluate(group)
        decided = [i for i in group if investment_of(i.label) != OTHER]
        guesses = [classify(i.work).investment for i in decided if i.work is not None]
        result["repositories"][repo] = {
            "items": len(group),
            "binary_macro_f1": round(report["binary"]["macro_f1"], 3),
            "subcategory_accuracy": round(report["accuracy"], 3),
            "ktlo_share_truth": _share([investment_of(i.label) for i in decided], KTLO),
            "ktlo_share_ktlo": _share(guesses, KTLO),
        }
    return result


def _share(values: list[str], kind: str) -> float | None:
    return round(values.count(kind) / len(values), 3) if values else None


def evaluate_sets(args: argparse.Namespace) -> None:
    results = [measure(Path(p)) for p in args.files]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for res in results:
        print(f"{res['set']}")
        print(f"  {'repository':28} {'items':>5} {'binary F1':>9} {'sub acc':>7} {'KTLO truth':>10} {'KTLO ktlo':>9}")
        for repo, row in res["repositories"].items():
            share = row["ktlo_share_ktlo"]
            print(
                f"  {repo:28} {row['items']:>5} {row['binary_macro_f1']:>9.3f} "
                f"{row['subcategory_accuracy']:>7.3f} {row['ktlo_share_truth'] or 0:>10.1%} "
                f"{share if share is None else format(share, '.1%'):>9}"
            )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("sample", "titles"):
        p = sub.add_parser(name)
        p.add_argument("set")
        p.add_argument("--repos", required=True)
        p.add_argument("--per-repo", type=int, default=100)
        p.add_argument("--out", required=True)
    p = sub.add_parser("eval")
    p.add_argument("files", nargs="+")
    p.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "sample":
        draw(args, sample_commits)
    elif args.command == "titles":
        draw(args, sample_titles)
    else:
        evaluate_sets(args)


if __name__ == "__main__":
    main()
