"""``python -m autoserum`` runs the CLI."""

from autoserum.cli import main

main()
