"""Experience as a range: the salary of an engineer whose years lie evenly in
``[low, high]``, the mixture of the per-year distributions.

People think in ranges ("3-5 years") and sources report them. For a range the
model's distribution is the average, over years spread evenly across it, of
the one-year predictive distributions (each read from the same tables as
:meth:`~salarymodel.serving.model.SalaryModel.predict`); its percentiles are
found by inverting that averaged CDF numerically.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from statistics import NormalDist
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..errors import ParameterError, ParameterTypeError
from .bands import Z_GRID
from .grid import GRID_STEP, YEARS_GRID, grid_index, grid_position, interpolate
from .model_io.records import ServingTables

if TYPE_CHECKING:
    import pandas as pd


class RangeReads(Protocol):
    """What a years range reads of a model (its core): the tables, each grid point's
    level, support and sources, and quantile rows of chosen cells."""

    tables: ServingTables
    level_rows: list[str]
    support_rows: list[list[str]]
    source_rows: list[list[tuple[str, ...]]]

    def quantile_block(self, levels: Iterable[float], cells: Sequence[int] | np.ndarray, *, keep: bool = True) -> np.ndarray:
        """Log reference-USD quantiles at ``levels`` for the table rows ``cells``."""
        ...


__all__ = [
    "check_range",
    "cell_quantiles",
    "mixture_cdf",
    "mixture_quantiles",
    "MAX_RANGE_POINTS",
    "RANGE_TEXT",
    "parse_years_text",
    "split_year_ranges",
    "Z_LEVELS",
]

# "3-5", "3 - 5", "3.5–7", "3 to 5": a range of years written as text.
RANGE_TEXT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:-|\u2013|to)\s*(\d+(?:\.\d*)?|\.\d+)\s*$")


def parse_years_text(text: str) -> float | tuple[float, float]:
    """'5' -> 5.0, '3-5' -> (3.0, 5.0); anything else raises ValueError (the
    values are checked later, like any years). Numbers are read by the one reader
    of numbers: '1_0', '٥' and '2,5' are refused, not read as 10, 5 and 25."""
    from ..data.amounts import parse_number

    found = RANGE_TEXT.match(text)
    if found:
        return parse_number(found[1], "The years"), parse_number(found[2], "The years")
    return parse_number(text, "The years")


def split_year_ranges(frame: pd.DataFrame) -> pd.DataFrame:
    """A profiles frame whose text ``years`` cells written as ranges ('3-5') are
    split into ``years`` and ``years_max`` (where that row has no ``years_max``);
    the frame itself when there are none."""
    import pandas as pd

    years = frame["years"]
    if years.dtype != object and not isinstance(years.dtype, pd.StringDtype):
        return frame
    text = years.where(years.map(lambda v: isinstance(v, str)), None)
    parts = text.str.extract(RANGE_TEXT.pattern)
    ranged = parts[0].notna().to_numpy()
    if "years_max" in frame.columns:
        given = frame["years_max"]
        ranged = ranged & (given.isna() | (given.astype(str).str.strip() == "")).to_numpy()  # pandas' array is read-only
    if not ranged.any():
        return frame
    frame = frame.copy()
    low = years.astype(object).to_numpy().copy()
    low[ranged] = parts[0].to_numpy()[ranged]
    high = (
        frame["years_max"].astype(object).to_numpy().copy()
        if "years_max" in frame.columns
        else np.full(len(frame), None, dtype=object)
    )
    high[ranged] = parts[1].to_numpy()[ranged]
    frame["years"], frame["years_max"] = low, high
    return frame


# Years points the mixture averages over: one per grid step, at most this many.
# With the trapezoid rule 41 points stay close to a much finer average (tested
# against 401 points), so a range costs the same whatever its length.
MAX_RANGE_POINTS = 41
_CDF_POINTS = 256
# The probability of each normal score of the tables' grid: the levels a cell's quantile
# function is read at, and between which it is linear in the normal score.
Z_LEVELS = np.array([NormalDist().cdf(float(z)) for z in Z_GRID])


def check_range(years: object, check_one: Callable[[object, str], float], owner: str = "predict") -> tuple[float, float]:
    """A (low, high) pair of years, each checked like one number, low below high."""
    if len(years) != 2:  # type: ignore[arg-type]
        raise ParameterTypeError(
            "years",
            f"The 'years' parameter of {owner} must be a number of years or a (low, high) range such as "
            f"(3, 5). Got {years!r} instead.",
        )
    low, high = check_one(years[0], owner), check_one(years[1], owner)  # type: ignore[index]
    if not low < high:
        raise ParameterError(
            "years", f"The 'years' parameter of {owner} as a range must rise, (low, high) with low < high. Got {years!r} instead."
        )
    return low, high


def _points(low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Years spread evenly over the range and their trapezoid weights (summing to 1)."""
    count = int(min(max(round((high - low) / GRID_STEP) + 1, 2), MAX_RANGE_POINTS))
    weights = np.ones(count)
    weights[[0, -1]] = 0.5
    return np.linspace(low, high, count), weights / weights.sum()


def cell_quantiles(core: RangeReads, cell: int) -> np.ndarray:
    """One cell's quantile function at every grid point, (levels, grid), on the mixture's level grid."""
    return core.quantile_block(Z_LEVELS, [cell])[:, 0]


def mixture_quantiles(
    core: RangeReads, cell: int, low: float, high: float, levels: np.ndarray, quantiles: np.ndarray | None = None
) -> np.ndarray:
    """Log reference-USD quantiles at ``levels`` of the mixture over ``[low, high]``.

    Parameters
    ----------
    core : RangeReads
    cell : int
        Row of the model's tables (country and employer).
    low, high : float
        The range of years.
    levels : ndarray
        Probability levels within the tables' range.
    quantiles : ndarray, default=None
        The cell's :func:`cell_quantiles`, when the caller has them already.

    Returns
    -------
    ndarray of shape (len(levels),)
    """
    x, cdf = mixture_cdf(core, cell, low, high, quantiles)
    values: np.ndarray = np.interp(np.asarray(levels, dtype=float), cdf, x)
    return values


def mixture_cdf(
    core: RangeReads, cell: int, low: float, high: float, quantiles: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The mixture's CDF over ``[low, high]`` on a fixed grid of log reference-USD pay.

    Returns
    -------
    (x, cdf) : tuple of ndarray of shape (256,)
        Log pay and the share of engineers below it; :func:`mixture_quantiles`
        inverts it, ``np.interp(value, x, cdf)`` ranks a value exactly as that
        inverse has it.
    """
    years, weights = _points(low, high)
    # Each year's quantile function on the tables' level grid, (years, levels), read
    # with one linear interpolation in years shared by every level.
    if quantiles is None:
        quantiles = cell_quantiles(core, cell)
    per_year = interpolate(quantiles, years).T
    # The averaged CDF on a fixed grid of log pay (a bounded cost per range, whatever
    # its length).
    x = np.linspace(per_year.min(), per_year.max(), _CDF_POINTS)
    cdf = weights @ np.array([np.interp(x, row, Z_LEVELS) for row in per_year])
    return x, cdf


def range_median_offsets(core: RangeReads, cell: int, low: float, high: float) -> tuple[float, float]:
    """Log offsets of the median's own interval, averaged over the range."""
    years, weights = _points(low, high)
    median = np.interp(years, YEARS_GRID, core.tables.median[cell])
    below = np.interp(years, YEARS_GRID, core.tables.median_low[cell]) - median
    above = np.interp(years, YEARS_GRID, core.tables.median_high[cell]) - median
    return float(weights @ below), float(weights @ above)


def _span(low: float, high: float) -> tuple[int, int]:
    """First and last grid points the range covers: half-open, ``low <= years < high``, as
    the levels are, so a range ending where the next level starts takes nothing from it."""
    first = grid_index(float(low))
    below, weight = grid_position(float(high))
    last = below - 1 if weight == 0 else below  # on a grid point: the one before it
    return first, max(first, last)


def support_codes(core: RangeReads, cell: int) -> np.ndarray:
    """One cell's support grade at every grid point, as its index in ``SUPPORT_GRADES``."""
    from .estimate import SUPPORT_GRADES

    return np.array([SUPPORT_GRADES.index(grade) for grade in core.support_rows[cell]])


def range_support(codes: np.ndarray, low: float, high: float) -> str:
    """The weakest support over the range, from a cell's :func:`support_codes`."""
    from .estimate import SUPPORT_GRADES

    first, last = _span(low, high)
    return SUPPORT_GRADES[int(codes[first : last + 1].max())]


def range_provenance(core: RangeReads, cell: int, low: float, high: float) -> tuple[str, tuple[str, ...], str]:
    """The weakest support over the range, every figure behind it, and the level at its middle."""
    first, last = _span(low, high)
    support = range_support(support_codes(core, cell), low, high)
    sources: dict[str, None] = {}
    for ids in core.source_rows[cell][first : last + 1]:
        sources.update(dict.fromkeys(ids))
    return support, tuple(sources), core.level_rows[grid_index((low + high) / 2)]
