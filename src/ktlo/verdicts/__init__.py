"""Verdicts: what each stored item is (KTLO of which kind, or new work), and why.

`reclassify` re-applies rules, the classifier and inheritance to the store; `refit` fits
each organisation's own model from the items its strong signals label, and `moves` says
what a refit moved; `project_scope` promotes large new work to projects; people correct
verdicts through `overrides`, answer the `review_queue` and random `sampling`; `explain`
shows an item's verdict with its reasons, found by the ids of `refs`.
"""
