"""`python -m losscli` runs the command-line tool."""

from losscli.cli import main

main()
