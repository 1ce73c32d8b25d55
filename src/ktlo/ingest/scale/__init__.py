"""Scale-out: many repositories mined in parallel, one process writing the store.

- `discover`: the repositories under some folders; a repository's HEAD from its files.
- `mining`: the worker's job, `mine(task) -> MinedChunk` (git, parsing, classification; no store).
- `executors`: where it runs, behind `concurrent.futures.Executor`: this process, local
  processes (`--jobs N`) or a Dask cluster (`--executor dask://HOST:PORT`).
- `runner`: `ingest_many`, the single writer that dispatches work and loads results.

See docs/scaling.md.
"""

from ktlo.ingest.scale.executors import Engine
from ktlo.ingest.scale.runner import RepoOutcome, RunSummary, ingest_many

__all__ = ["Engine", "RepoOutcome", "RunSummary", "ingest_many"]
