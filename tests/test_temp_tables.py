"""The registry of temporary tables (ktlo.store.temp_tables) stays true to the code, and a
reader whose caller skipped the builder is told which function builds what it needs."""

from __future__ import annotations

import ast
import importlib
import re
from datetime import datetime
from pathlib import Path

import pytest

from ktlo.config import load_config
from ktlo.demo.configuration import demo_config
from ktlo.effort.allocation import build_allocation, drivers
from ktlo.effort.capitalization import capitalization
from ktlo.errors import MissingTableError
from ktlo.metrics.common import HealthOptions
from ktlo.metrics.health import health
from ktlo.metrics.repository import AnalyzeOptions, analyze
from ktlo.planning.flow import build_flow
from ktlo.report.document import report_document
from ktlo.report.model import ReportFilters, apply_filters, prepare
from ktlo.store import Store
from ktlo.store.temp_tables import TEMP_TABLES
from ktlo.verdicts.moves import snapshot
from ktlo.verdicts.reclassify import reclassify

SRC = Path(__file__).resolve().parent.parent / "src"
CREATED = re.compile(r"CREATE (?:OR REPLACE )?TEMP (?:TABLE|VIEW) ([A-Za-z_]\w*)")


def _created_in_code() -> dict[str, set[str]]:
    """Each temporary table a literal `CREATE ... TEMP` names -> the functions that create it."""
    found: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts)
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, ast.FunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    for name in CREATED.findall(node.value):
                        found.setdefault(name, set()).add(f"{module}.{fn.name}")
    return found


def test_every_temporary_table_the_code_creates_is_registered_with_its_builder() -> None:
    created = _created_in_code()
    assert created, "the scan found no CREATE TEMP statement"
    for name, builders in created.items():
        assert name in TEMP_TABLES, f"{name} (created by {sorted(builders)}) is not registered"
        assert TEMP_TABLES[name].builder in builders, name


def test_every_registered_builder_exists_and_names_its_table() -> None:
    for table in TEMP_TABLES.values():
        module, function = table.builder.rsplit(".", 1)
        loaded = importlib.import_module(module)
        assert callable(getattr(loaded, function)), table.builder
        assert table.name in Path(loaded.__file__ or "").read_text(encoding="utf-8"), table.name


def test_registered_columns_are_the_ones_the_builders_make(tmp_path: Path) -> None:
    """Every stage's builders run on an empty store with the demo's configuration (its
    custom categories make allocation build theirs): each table they leave has the
    registered columns, in order, and each is registered."""
    (tmp_path / "ktlo.toml").write_text(demo_config(), encoding="utf-8")
    config = load_config(tmp_path / "ktlo.toml")
    seen: dict[str, tuple[str, ...]] = {}
    with Store.open(tmp_path / "ktlo.duckdb") as store:

        def grab() -> None:
            for name, columns in store.con.execute(
                "SELECT table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
                "WHERE database_name = 'temp' GROUP BY table_name"
            ).fetchall():
                seen[name] = tuple(columns)

        for build in (
            lambda: analyze(store, AnalyzeOptions(), config),
            lambda: build_allocation(store, config, None, None),
            lambda: capitalization(store, config),
            *(
                lambda d=d: health(store, config, HealthOptions(definition=d))
                for d in ("ktlo", "devlake-2023", "fourkeys", "middleware")
            ),
            lambda: health(store, config, HealthOptions(team="payments")),
            lambda: snapshot(store),
            lambda: build_flow(store, config, datetime(2026, 1, 1)),
            lambda: reclassify(store, config),
            lambda: (prepare(store, config), apply_filters(store, config, ReportFilters())),
        ):
            build()
            grab()
    expected = {n: t.columns for n, t in TEMP_TABLES.items() if not t.scratch}
    assert seen == expected


def test_a_reader_whose_caller_built_nothing_names_the_builder(store: Store) -> None:
    with pytest.raises(MissingTableError) as drivers_error:
        drivers(store, ["payments"])
    assert "alloc" in str(drivers_error.value)
    assert "ktlo.effort.allocation.build_allocation" in str(drivers_error.value)
    with pytest.raises(MissingTableError) as report_error:
        report_document(store, load_config(None), ReportFilters())
    assert "ktlo.report.model.prepare" in str(report_error.value)


READS = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)")
# Readers inside report/ read the tables `prepare` builds, guarded once by report_document.
GUARDED_ELSEWHERE = ("ktlo.report.sections.", "ktlo.report.items.", "ktlo.metrics.common.in_scope")


def _unguarded_readers() -> list[str]:
    """Public functions whose SQL reads a registered temporary table that they neither build,
    nor get from a builder they call, nor check with `require`."""
    shared = {n for n, t in TEMP_TABLES.items() if not t.scratch}
    found = []
    for path in sorted(SRC.rglob("*.py")):
        module = ".".join(path.relative_to(SRC).with_suffix("").parts)
        for fn in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(fn, ast.FunctionDef) or fn.name.startswith("_"):
                continue
            name = f"{module}.{fn.name}"
            text = " ".join(
                n.value
                for n in ast.walk(fn)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            )
            called = {
                n.func.id if isinstance(n.func, ast.Name) else getattr(n.func, "attr", "")
                for n in ast.walk(fn)
                if isinstance(n, ast.Call)
            }
            for table in (set(READS.findall(text)) & shared) - set(CREATED.findall(text)):
                builder = TEMP_TABLES[table].builder.rsplit(".", 1)[1]
                if not ({"require", "build_once", builder} & called) and not name.startswith(
                    GUARDED_ELSEWHERE
                ):
                    found.append(f"{name} reads {table}")
    return found


def test_every_reader_of_another_stages_table_names_what_it_needs() -> None:
    """A public function reading a temporary table it does not build calls `require`, so a
    caller that skipped the builder gets MissingTableError naming it, not DuckDB's error."""
    assert _unguarded_readers() == []
