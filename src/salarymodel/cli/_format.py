"""Text for the command lines: table cells (amounts, relative changes) and long id lists."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["text_columns", "first_ids"]


def first_ids(ids, shown: int, where: str) -> str:
    """The first ``shown`` ids, then how many more and ``where`` to see them all
    (a survey can put thousands of figures behind one line)."""
    ids = list(ids)
    more = len(ids) - shown
    return ", ".join(ids[:shown]) + (f" and {more:,} more ({where})" if more > 0 else "")


def _amount(value: float | None) -> str:
    return "" if value is None or value != value else f"{value:,.0f}"


def _change(value: float | None) -> str:
    return "" if value is None or value != value else f"{value:+.1%}"


def text_columns(table: pd.DataFrame, *, amounts: tuple[str, ...] = (), changes: tuple[str, ...] = ()) -> pd.DataFrame:
    """Write ``amounts`` as ``12,345`` and ``changes`` as ``+1.2%`` in place
    (blank where missing) and return ``table``."""
    for column in amounts:
        table[column] = table[column].map(_amount)
    for column in changes:
        table[column] = table[column].map(_change)
    return table
