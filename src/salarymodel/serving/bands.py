"""Confidence bands and percentiles of one engineer's salary, read from a model's tables.

A model keeps, for every served row, the quantiles of one engineer's log pay
at each normal-score level of :data:`Z_GRID` and each point of
:data:`~.grid.QUANTILE_YEARS` (the regression's predictions,
:mod:`salarymodel.training.quantile_curves`). :func:`quantile_rows` reads one
percentile for every row on the serving grid: linear in the normal score
between levels and in years between points, non-decreasing in years (pay never
falls with experience). A band's ends are the percentiles (1-c)/2 and
(1+c)/2, exactly what :func:`percentiles` gives.

Numpy and the standard library only: serving imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

from ..errors import ParameterError
from .constraints import CONFIDENCE, Interval
from .grid import onto_grid

__all__ = [
    "check_confidence",
    "check_percentile",
    "Z_GRID",
    "quantile_rows",
    "band_levels",
    "rising_in_levels",
]

# The normal-score levels a model's quantile tables keep. They reach +-3.5 sd, so a band
# up to 99.95% or a percentile in [0.03, 99.97] can be read.
Z_STEP = 0.1
Z_GRID = np.round(np.arange(-3.5, 3.5 + 1e-9, Z_STEP), 10)
_NORMAL = NormalDist()


def check_confidence(confidence: object, owner: str = "predict") -> float:
    """Validate a confidence level: a real number strictly between 0 and 1 the tables can read."""
    value = CONFIDENCE.check(confidence, owner)
    if _NORMAL.inv_cdf((1 + value) / 2) > Z_GRID[-1] + 1e-12:
        raise ParameterError(
            "confidence",
            f"The 'confidence' parameter of {owner} must be at most "
            f"{2 * _NORMAL.cdf(Z_GRID[-1]) - 1:.4f}: the model's tables reach "
            f"{Z_GRID[-1]:g} standard deviations. Got {confidence!r} instead.",
        )
    return value


# The median's own interval is an 80% one: its half-width in normal scores.
MEDIAN_Z = NormalDist().inv_cdf(0.9)


def widened_by_aging(below: float, above: float, aging_sd: float) -> tuple[float, float]:
    """The median interval's log offsets (``below`` <= 0 <= ``above``) with the aging's
    uncertainty past the reference month added, the two independent. predict inlines
    the same sum on its hot path."""
    extra = (MEDIAN_Z * aging_sd) ** 2
    return -math.sqrt(below * below + extra), math.sqrt(above * above + extra)


# A percentile the tables can read: within the normal scores of their grid. The words give
# the bounds rounded inwards, so every number they allow is accepted.
_LOWEST, _HIGHEST = 100 * _NORMAL.cdf(Z_GRID[0]), 100 * _NORMAL.cdf(Z_GRID[-1])
_PERCENTILE_WORDS = (
    f"a percentile between {math.ceil(_LOWEST * 1000) / 1000:g} and {math.floor(_HIGHEST * 1000) / 1000:g} (e.g. 10, 50, 90)"
)
PERCENTILE = Interval("q", _LOWEST, _HIGHEST, "both", _PERCENTILE_WORDS, type_rule=_PERCENTILE_WORDS)


def check_percentile(q: object, owner: str = "percentiles", parameter: str = "q") -> float:
    """Validate one percentile (10 for the 10th): a number the tables can read.

    ``parameter`` is the argument the caller was given it as (``q``, ``target``,
    ``spread``), so the error names what the user typed.
    """
    return PERCENTILE.renamed(parameter).check(q, owner)


def rising_in_levels(values: np.ndarray, levels: Sequence[float] | np.ndarray, axis: int = 0) -> np.ndarray:
    """``values`` made non-decreasing along ``axis`` in the order of their ``levels``.

    A caller may list levels in any order (``q=(90, 10)``); the running maximum
    that keeps interpolated quantiles from crossing must run from the lowest
    level up, then return to the caller's order.
    """
    order = np.argsort(np.asarray(levels, dtype=float), kind="stable")
    rising = np.maximum.accumulate(np.take(np.asarray(values), order, axis=axis), axis=axis)
    return np.take(rising, np.argsort(order, kind="stable"), axis=axis)


def band_levels(confidence: float) -> tuple[float, float]:
    """Probability levels of an equal-tailed band's ends: ((1-c)/2, (1+c)/2)."""
    return (1.0 - confidence) / 2.0, (1.0 + confidence) / 2.0


def quantile_rows(level: float, quantiles: np.ndarray, median: np.ndarray | None = None) -> np.ndarray:
    """Log-salary quantile at probability ``level`` for every row on the years grid.

    Parameters
    ----------
    level : float
        Probability in (0, 1) within the tables' range.
    quantiles : ndarray of shape (rows, len(QUANTILE_YEARS), len(Z_GRID))
        The model's quantile tables (or some of their rows).
    median : ndarray of shape (rows, GRID_SIZE), default=None
        These rows at level 0.5, when the caller has them: a level above 0.5
        is then never below the median, one below never above it.

    Returns
    -------
    ndarray of shape (rows, GRID_SIZE)
        Non-decreasing along the grid.
    """
    z = _NORMAL.inv_cdf(level)
    t = min(max((z - Z_GRID[0]) / Z_STEP, 0.0), len(Z_GRID) - 1.0)
    j = min(int(t), len(Z_GRID) - 2)
    g = t - j
    column = np.ascontiguousarray(quantiles[:, :, j] * (1.0 - g) + quantiles[:, :, j + 1] * g)
    rows = np.maximum.accumulate(onto_grid(column), axis=1)
    if median is not None and level != 0.5:
        rows = np.maximum(rows, median) if level > 0.5 else np.minimum(rows, median)
    return rows
