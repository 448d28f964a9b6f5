"""``python -m powertail``: the same as the ``powertail`` command."""

from powertail.cli import main

main()
