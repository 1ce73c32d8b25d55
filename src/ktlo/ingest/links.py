"""References between work items found in text: `PROJ-123`, `#45`, `owner/repo#67`, `GH-8`."""

from __future__ import annotations

import re

_ISSUE_KEY = re.compile(r"\b([A-Z][A-Z0-9]{1,9})-([1-9][0-9]{0,6})\b")
_HASH_REF = re.compile(r"(?<![\w&/])((?:[\w.-]+/[\w.-]+)?#[1-9][0-9]{0,6})\b")
# Upper-case prefixes that look like issue keys but name standards, encodings or advisories.
_NOT_KEYS = frozenset(
    """UTF ISO SHA MD RFC PEP CVE GHSA CWE TLS SSL HTTP AES RSA ECMA IEC ES JSR WCAG
    COVID ARM X86 AMD64 PR MR GH IE IPV VT TCP UDP IP DDR USB CP DES""".split()
)


_GH_REF = re.compile(r"\b(?:GH|gh)-([1-9][0-9]{0,6})\b")
_DASH_DIGIT = re.compile(r"-[1-9]")  # what every issue key has; most texts have none


def extract_refs(*texts: str) -> list[str]:
    """Issue keys and #numbers mentioned in the texts, in order of appearance, without repeats."""
    found: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        # each pattern only where its tell-tale characters are (this runs for every commit)
        if "-" in text and _DASH_DIGIT.search(text):
            for match in _ISSUE_KEY.finditer(text):
                if match[1] not in _NOT_KEYS:
                    found[match[0]] = None
        if "#" in text:
            for match in _HASH_REF.finditer(text):
                found[match[1]] = None
        if "H-" in text or "h-" in text:
            for match in _GH_REF.finditer(text):
                found[f"#{match[1]}"] = None
    return list(found)
