"""Ingest: work brought into the store, crash-safe and resumable.

`history` reads a git repository's history (started early by `prefetch`, limited to a
folder by `folders`), `scale` mines many repositories at once, `sync` runs the configured
sources and `load` stores what they yield (checked by `record_rules`, one item per real
thing by `same_item`, references between items found by `links`).
"""
