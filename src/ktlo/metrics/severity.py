"""An advisory's severity: the CVSS v3 base score from its vector, and the band it falls in.

The score follows the CVSS v3.1 specification (section 7: base metrics, `Roundup`); the
bands are its qualitative rating scale: 0.1-3.9 low, 4.0-6.9 medium, 7.0-8.9 high,
9.0-10.0 critical. Without a v3 vector the band is the one the database states (GitHub's
`database_specific.severity`: LOW, MODERATE, HIGH, CRITICAL), else unknown (None).
"""

from __future__ import annotations

import math

BANDS = ("critical", "high", "medium", "low")
_WEIGHTS: dict[str, dict[str, float]] = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_PRIVILEGES = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}
_NAMED = {"critical": "critical", "high": "high", "moderate": "medium", "medium": "medium",
          "low": "low"}  # fmt: skip


def cvss3_score(vector: str) -> float | None:
    """The base score of a `CVSS:3.x/AV:../AC:../...` vector, or None if it is not one."""
    parts = vector.strip().split("/")
    if not parts or not parts[0].startswith("CVSS:3"):
        return None
    metrics = dict(p.split(":", 1) for p in parts[1:] if ":" in p)
    try:
        scope = metrics["S"]
        w = {name: table[metrics[name]] for name, table in _WEIGHTS.items()}
        privileges = _PRIVILEGES[scope][metrics["PR"]]
    except KeyError:
        return None
    iss = 1 - (1 - w["C"]) * (1 - w["I"]) * (1 - w["A"])
    if scope == "U":
        impact = 6.42 * iss
    else:
        impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
    exploitability = 8.22 * w["AV"] * w["AC"] * privileges * w["UI"]
    if impact <= 0:
        return 0.0
    total = impact + exploitability if scope == "U" else 1.08 * (impact + exploitability)
    return _roundup(min(total, 10.0))


def band(score: float | None) -> str | None:
    """The qualitative band of a CVSS score (None for no score, or 0.0: none)."""
    if score is None or score <= 0:
        return None
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    return "medium" if score >= 4.0 else "low"


def named_band(text: str | None) -> str | None:
    """A database's own word for the severity (GitHub's MODERATE is medium)."""
    return _NAMED.get((text or "").strip().lower())


def _roundup(value: float) -> float:
    """CVSS v3.1's Roundup: the smallest number with one decimal that is >= value."""
    whole = round(value * 100000)
    if whole % 10000 == 0:
        return whole / 100000.0
    return (math.floor(whole / 10000) + 1) / 10.0
