"""What the tests' measured error makes of a share of verdicts, worked by hand.

tests/fixtures/estimate/measured_error.json reads 5 in 6 items of each class right
(sensitivity = specificity = 5/6). For a store whose decided items are read as KTLO in the
share r, the prior means (docs/classification.md, "Error bars") are

    PPV(r) = r·se / (r·se + (1 − r)·(1 − sp)) = 5r / (4r + 1)
    FOR(r) = r·(1 − se) / (r·(1 − se) + (1 − r)·sp) = r / (5 − 4r)

and with no answers a share s of verdicts reads s·PPV(r) + (1 − s)·FOR(r); at r = ½ that
is 1/6 + 2/3·s.
"""

from __future__ import annotations

from ktlo.store import Store


def corrected(share: float, read_ktlo: float) -> float:
    """The corrected share of a group whose verdicts say `share`, in a store read `read_ktlo`."""
    ppv = 5 * read_ktlo / (4 * read_ktlo + 1)
    false_omission = read_ktlo / (5 - 4 * read_ktlo)
    return round(share * ppv + (1 - share) * false_omission, 4)


def read_ktlo(store: Store) -> float:
    """The share of a store's decided items (read as KTLO or new work) read as KTLO."""
    row = store.con.execute(
        "SELECT count(*) FILTER (WHERE predicted = 'ktlo'), "
        "count(*) FILTER (WHERE predicted IN ('ktlo', 'new_work')) FROM effective_verdicts"
    ).fetchone()
    assert row is not None and row[1]
    return float(row[0]) / float(row[1])
