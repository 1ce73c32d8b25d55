"""Option decorators and parameter types the commands share (no library imports here)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click


class RelativeOrIsoDate(click.ParamType[date]):
    """`2026-01-31`, or a span back from today: `90d`, `12w`, `6m`, `2y`."""

    name = "DATE"
    _SPAN = re.compile(r"^(\d+)([dwmy])$")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        span = self._SPAN.match(text)
        if span:
            days = int(span[1]) * {"d": 1, "w": 7, "m": 30, "y": 365}[span[2]]
            return date.today() - timedelta(days=days)
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail(f"{text!r} is not a date: use YYYY-MM-DD or a span such as 90d, 12w, 6m, 1y")


class BudgetBand(click.ParamType[tuple[float, float]]):
    """`20-40` (percent) -> (0.2, 0.4), the fields of `ktlo.metrics.repository.Budget` (not imported
    here: it loads DuckDB, and `ktlo analyze` starts git before that)."""

    name = "LOW-HIGH"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[float, float]:
        if isinstance(value, tuple):
            return value
        match = re.fullmatch(r"\s*(\d{1,3})\s*-\s*(\d{1,3})\s*%?\s*", str(value))
        if not match or not int(match[1]) <= int(match[2]) <= 100:
            self.fail(f"{value!r} is not a band: use LOW-HIGH in percent, e.g. 20-40")
        return int(match[1]) / 100, int(match[2]) / 100


def store_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--db: the store, found by the one rule every command follows (cli/inputs.py)."""
    return click.option(
        "--db",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="KTLO_DB",
        help="The store file (default: ./ktlo.duckdb; only `ktlo analyze PATH` alone keeps "
        "that repository's own store in ~/.cache/ktlo). Env: KTLO_DB.",
    )(func)


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """--config: the ktlo.toml, found by the one rule every command follows (cli/inputs.py)."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="KTLO_CONFIG",
        help="The ktlo.toml to use (default: ./ktlo.toml when present). Env: KTLO_CONFIG.",
    )(func)


def output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option("--csv", "as_csv", is_flag=True, help="Print rows as CSV.")(func)
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")(func)


def since_until_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--since and --until: the days to include."""
    func = click.option("--until", type=RelativeOrIsoDate(), help="Day after the last to include.")(
        func
    )
    return click.option(
        "--since",
        type=RelativeOrIsoDate(),
        help="First day to include (YYYY-MM-DD or 90d, 6m, 1y).",
    )(func)


def scale_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--jobs and --executor: where repositories are mined (docs/scaling.md)."""
    func = click.option(
        "--executor",
        envvar="KTLO_EXECUTOR",
        help="local (default), or dask://HOST:PORT to mine on a Dask cluster. Env: KTLO_EXECUTOR.",
    )(func)
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(1),
        help="Local processes mining at once (default: [git] jobs in ktlo.toml, else the cores).",
    )(func)
