"""Table cells as text for the command lines: amounts and relative changes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["text_columns"]


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
