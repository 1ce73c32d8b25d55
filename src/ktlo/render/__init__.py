"""Renderers: they draw the documents the other stages compute, and compute nothing.

The terminal (`terminal`, `summary`, `health`, `review_queue`, `explain`, `mining`, `sync`,
laid out by `tables` with the words and units of `wording` and the names of `display`),
CSV rows (`rows`), and the HTML report and dashboard pages (`html`, `charts`, `templates/`,
`static/`).
"""
