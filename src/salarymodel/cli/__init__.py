"""Command lines: one module per command, and the ``salarymodel`` console script.

:mod:`.train`, :mod:`.predict` (with CSV batch scoring in ``_batch``),
:mod:`.evaluate`, :mod:`.benchmark`, and :mod:`.console` (the entry point that
dispatches to them). Each also runs as ``python -m salarymodel.<command>``.
Commands sit on top: they may import every stage; no stage imports them.
"""
