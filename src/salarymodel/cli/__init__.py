"""Command lines: one module per command, and the ``salarymodel`` console script.

:mod:`.train`, :mod:`.predict` (with CSV batch scoring in ``_batch``),
:mod:`.ranges`, :mod:`.evaluate`, :mod:`.serve`, and :mod:`.console` (the
``salarymodel`` script and ``python -m salarymodel <command>``, which dispatch
to them).
Commands sit on top: they may import every stage; no stage imports them.
"""
