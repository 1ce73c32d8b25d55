"""Effort: activity turned into person-days, and person-days into shares.

`identity` merges one person's emails, names and handles; `person_days` spreads each
working day over what the person had in hand; `allocation` sums person-days per
investment, kind, team, repository and period (`ktlo allocation`, `ktlo budget`);
`error_bars` corrects a KTLO share for the verdicts' measured error and gives its interval.
"""
