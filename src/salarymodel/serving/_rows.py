"""Reading a table of profiles: columns that may hold anything, made safe to score.

Helpers of :meth:`salarymodel.serving.model.SalaryModel.predict_frame`: factorizing
columns with unhashable cells, reading years from numbers or numeric text,
and reporting bad rows by index label and position.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ParameterError

if TYPE_CHECKING:
    from .core import ModelCore

__all__ = ["factorize", "unwrap", "numeric_years", "problem_table", "require_profile_columns", "employer_names"]


def require_profile_columns(columns: Collection[object]) -> None:
    """Raise if a profiles table lacks ``country`` or ``years``."""
    missing = [c for c in ("country", "years") if c not in columns]
    if missing:
        raise ParameterError(
            "frame",
            f"predict_frame needs columns 'country' and 'years' (and optionally 'company'); "
            f"missing {missing}. Got columns {list(columns)}.",
        )
    read = ("country", "years", "company", "years_max")
    twice = sorted({c for c in columns if c in read and list(columns).count(c) > 1})
    if twice:
        raise ParameterError(
            "frame",
            f"predict_frame reads the column(s) {twice}, which the frame has more than once: keep one "
            "of each (e.g. frame.loc[:, ~frame.columns.duplicated()]).",
        )


class _Unhashable:
    """Hashable stand-in for a cell that is not (a list, a dict), so the column
    can still be factorized; the value itself is validated, and refused, later."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __hash__(self) -> int:
        return hash(repr(self.value))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Unhashable) and repr(self.value) == repr(other.value)


def unwrap(value: object) -> object:
    return value.value if isinstance(value, _Unhashable) else value


def factorize(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and uniques of a column; missing values get code -1."""
    try:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
        return np.asarray(codes), np.asarray(uniques)
    except TypeError:  # unhashable cells
        safe = column.map(lambda v: v if isinstance(v, Hashable) else _Unhashable(v))
        codes, uniques = pd.factorize(safe, use_na_sentinel=True)
        return np.asarray(codes), np.asarray(uniques)


def problem_table(problems: list[tuple[int, str, str]], index: pd.Index) -> pd.DataFrame:
    """Bad rows by index label (and position), in row order."""
    table = pd.DataFrame(problems, columns=["position", "column", "reason"]).sort_values("position", kind="stable")
    table.insert(0, "row", index[table["position"].to_numpy()])
    return table.reset_index(drop=True)


def _one_year(value: object) -> float:
    """A cell as years, NaN when it is not a number (or numeric text)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, np.integer, np.floating)):
        return np.nan
    try:
        return float(value)
    except (ValueError, OverflowError):
        return np.nan


def numeric_years(raw: pd.Series) -> np.ndarray:
    """Years column as floats; anything :meth:`predict` would refuse becomes NaN.

    Numbers and numeric text (as a CSV holds them) are read; booleans
    (``True``, ``np.True_``), complex numbers, dates and durations are not
    years, in a typed column or one cell of an object column.
    """
    kind = raw.dtype.kind
    if kind == "b" or kind in "cmMV":
        return np.full(len(raw), np.nan)
    if kind in "iuf":
        numbers: np.ndarray = raw.to_numpy(dtype=float, na_value=np.nan, copy=True) + 0.0  # -0.0 is 0
        return numbers
    values = raw.to_numpy(dtype=object)
    readable = np.fromiter(
        (type(v) in _YEAR_TYPES or (isinstance(v, (np.integer, np.floating)) and not isinstance(v, np.bool_)) for v in values),
        bool,
        len(values),
    )
    years = np.full(len(values), np.nan)
    if readable.any():
        chosen = values[readable]
        try:
            years[readable] = pd.to_numeric(pd.Series(chosen, dtype=object), errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
        except (OverflowError, TypeError, ValueError):  # ints too large for a float
            years[readable] = [_one_year(v) for v in chosen]
    return years + 0.0  # -0.0 is 0


# Cell types that can hold years: numbers and numeric text (bool is a subclass of int, so exact types).
_YEAR_TYPES = (int, float, str)


def employer_names(core: ModelCore) -> list[str]:
    """The categories of ``predict_frame``'s ``employer`` column: every employer the model knows."""
    return sorted({company for _, company in core.cells if company})
