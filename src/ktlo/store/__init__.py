"""The DuckDB store: schema and migrations, batched idempotent upserts, sync cursors, one writer."""

from ktlo.store.store import Store, default_store_path

__all__ = ["Store", "default_store_path"]
