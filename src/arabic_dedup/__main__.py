"""``python -m arabic_dedup``: the same as the ``arabic-dedup`` command."""

from .cli import entry

raise SystemExit(entry())
