"""The program name a command's help shows: ``salarymodel predict`` when run
through the console script, ``python -m salarymodel.predict`` otherwise."""

from __future__ import annotations

import sys

__all__ = ["prog"]


def prog(module_form: str) -> str:
    """``sys.argv[0]`` when the console script set it, else ``module_form``."""
    name = sys.argv[0] if sys.argv else ""
    return name if name.startswith("salarymodel ") else module_form
