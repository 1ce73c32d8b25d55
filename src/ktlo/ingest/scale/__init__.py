"""Scale-out: many repositories mined in parallel, one process writing the store.

- `discover`: the repositories under some folders; a repository's HEAD from its files.
- `mining`: the worker's job, `mine(task) -> MinedChunk` (git, parsing, classification; no store).
- `executors`: where it runs, behind `concurrent.futures.Executor`: this process, local
  processes (`--jobs N`) or a Dask cluster (`--executor dask://HOST:PORT`).
- `runner`: `ingest_many`, the single writer that dispatches work and loads results.

Import from the modules themselves: this package imports none of them, so a command that
reads only `outcomes` (a document's `ingest` block) does not load the runner and its
process pools. See docs/scaling.md.
"""
