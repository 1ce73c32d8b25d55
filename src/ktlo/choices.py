"""The fixed names ktlo's options accept, in a module that imports nothing.

The library checks its arguments against these and the CLI offers them as choices; keeping
them here lets `ktlo --help` declare every option without loading DuckDB or pydantic.
"""

from __future__ import annotations

#: Bucket sizes of shares, trends and windows (`--period`).
PERIODS = ("week", "month", "quarter")

#: What `ktlo allocation --by` groups effort by.
GROUPINGS = ("investment", "subcategory", "team", "repo", "person", "initiative", "category")

#: The DORA definitions `ktlo health --definition` offers (ktlo.metrics.definitions).
DEFINITIONS = ("ktlo", "devlake-2023", "devlake-2021", "fourkeys", "middleware")

#: The four DORA figures, as `ktlo health --explain` names them.
DORA_FIGURES = ("deployment_frequency", "lead_time", "change_failure_rate", "recovery_time")
