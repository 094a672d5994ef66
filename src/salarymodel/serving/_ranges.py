"""Experience as a range: the salary of an engineer whose years lie evenly in
``[low, high]``, the mixture of the per-year distributions.

People think in ranges ("3-5 years") and sources report them. For a range the
model's distribution is the average, over years spread evenly across it, of
the one-year predictive distributions (each read from the same tables as
:meth:`~salarymodel.serving.model.SalaryModel.predict`); its percentiles are
found by inverting that averaged CDF numerically.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from .bands import Z_GRID
from .grid import GRID_STEP, YEARS_GRID

__all__ = ["check_range", "mixture_quantiles", "MAX_RANGE_POINTS"]

# Years points the mixture averages over: one per grid step, at most this many.
MAX_RANGE_POINTS = 401
_LEVELS = np.array([NormalDist().cdf(float(z)) for z in Z_GRID])


def check_range(years: object, check_one, owner: str = "predict") -> tuple[float, float]:
    """A (low, high) pair of years, each checked like one number, low below high."""
    if len(years) != 2:  # type: ignore[arg-type]
        raise TypeError(f"The 'years' parameter of {owner} must be a number of years or a (low, high) range such as "
                        f"(3, 5). Got {years!r} instead.")
    low, high = check_one(years[0], owner), check_one(years[1], owner)  # type: ignore[index]
    if not low < high:
        raise ValueError(f"The 'years' parameter of {owner} as a range must rise, (low, high) with low < high. "
                         f"Got {years!r} instead.")
    return low, high


def _points(low: float, high: float) -> np.ndarray:
    count = int(min(max(round((high - low) / GRID_STEP) + 1, 2), MAX_RANGE_POINTS))
    return np.linspace(low, high, count)


def mixture_quantiles(model, cell: int, low: float, high: float, levels: np.ndarray) -> np.ndarray:
    """Log reference-USD quantiles at ``levels`` of the mixture over ``[low, high]``.

    Parameters
    ----------
    model : SalaryModel
    cell : int
        Row of the model's tables (country and employer).
    low, high : float
        The range of years.
    levels : ndarray
        Probability levels within the tables' range.

    Returns
    -------
    ndarray of shape (len(levels),)
    """
    years = _points(low, high)
    # Each year's quantile function on the tables' level grid: (years, levels).
    per_year = np.stack([np.interp(years, YEARS_GRID, model.quantile_table(float(p))[cell]) for p in _LEVELS],
                        axis=1)
    x = np.unique(per_year)
    cdf = np.mean([np.interp(x, row, _LEVELS) for row in per_year], axis=0)
    return np.interp(np.asarray(levels, dtype=float), cdf, x)


def range_median_offsets(model, cell: int, low: float, high: float) -> tuple[float, float]:
    """Log offsets of the median's own interval, averaged over the range."""
    years = _points(low, high)
    median = np.interp(years, YEARS_GRID, model.median_table[cell])
    below = np.interp(years, YEARS_GRID, model.median_low_table[cell]) - median
    above = np.interp(years, YEARS_GRID, model.median_high_table[cell]) - median
    return float(np.mean(below)), float(np.mean(above))


def range_provenance(model, cell: int, low: float, high: float) -> tuple[str, tuple[str, ...], str]:
    """The weakest support over the range, every figure behind it, and the level at its middle."""
    first = int(low / GRID_STEP + 1e-9)
    last = min(int(high / GRID_STEP + 1e-9), len(YEARS_GRID) - 1)
    grades = model._support_rows[cell][first:last + 1]
    from .estimate import SUPPORT_GRADES

    support = max(grades, key=SUPPORT_GRADES.index)
    sources: dict[str, None] = {}
    for ids in model._source_rows[cell][first:last + 1]:
        sources.update(dict.fromkeys(ids))
    middle = int(((low + high) / 2) / GRID_STEP + 1e-9)
    return support, tuple(sources), model._level_rows[min(middle, len(YEARS_GRID) - 1)]
