"""Sources of work: each module turns one tool's data into ktlo's records.

- `git`: local git repositories, read through one streaming `git log`.
"""
