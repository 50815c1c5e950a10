"""``python -m vadapt``: the same as the ``vadapt`` command."""

from vadapt.cli import main

main()
