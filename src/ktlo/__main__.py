"""`python -m ktlo` runs the CLI."""

from ktlo.cli import main

main()
