"""`python -m ktlo` runs the CLI."""

from ktlo.launch import main

if __name__ == "__main__":  # worker processes import this module again; they must not run the CLI
    main()
