"""KTLO mode: when a team should make reliability its main focus, and when it can stop.

`scoring` turns each signal into risk with hysteresis, `answer` reads the signals per
complete period and gives each team's answer (`ktlo mode`), `words` says them as sentences
with units. docs/ktlo-mode.md defines the model.
"""
