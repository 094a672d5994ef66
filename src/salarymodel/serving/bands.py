"""Confidence bands: scores, their conformal quantiles, and percentiles of
one engineer's salary read from a model's tables.

The band logic is kept apart from the point model. A score turns an observed
log salary into a number of local scales above or below the centre; its
inverse turns a score back into a bound. Calibration keeps the sorted
scores of held-out rows.

A served band is two percentiles of one predictive distribution per cell
and years: ``centre + scale * (S + r Z)``, the within-source spread ``S``
(conformal scores, per country) plus the median's uncertainty ``r Z`` in
units of the scale (:mod:`salarymodel.training.predictive` builds each
country's table of its quantiles over ``r`` and normal-score levels).
:func:`quantile_rows` reads one percentile for every cell and years point,
non-decreasing in years (pay never falls with experience), so a band's
ends are p(1-c)/2 and p(1+c)/2, exactly what :func:`percentiles` gives.

Numpy and the standard library only: serving imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np

from ..errors import ParameterError
from .constraints import CONFIDENCE, Interval

__all__ = [
    "NormalisedResidualScore",
    "conformal_bounds",
    "check_confidence",
    "check_percentile",
    "R_GRID",
    "Z_GRID",
    "quantile_rows",
    "band_levels",
    "rising_in_levels",
]

# Grids of the predictive shape tables: r (the median's sd over the
# within-source scale) and normal-score levels. Levels reach +-3.5 sd, so
# a band up to 99.95% or a percentile in [0.03, 99.97] can be read.
R_STEP = 0.1
R_GRID = np.round(np.arange(0.0, 8.0 + 1e-9, R_STEP), 10)
Z_STEP = 0.1
Z_GRID = np.round(np.arange(-3.5, 3.5 + 1e-9, Z_STEP), 10)
_NORMAL = NormalDist()


class NormalisedResidualScore:
    """Signed residual in log salary, in units of the local scale.

    ``score(y, centre, scale) = (y - centre) / scale`` and
    ``bound(centre, scale, s) = centre + s * scale`` invert each other.
    Signed scores give asymmetric bands where the residuals are skewed, and
    their median shifts the centre to an honest median.
    """

    @staticmethod
    def score(y: np.ndarray, centre: np.ndarray, scale: np.ndarray) -> np.ndarray:
        """Scores of observations ``y`` (log salary)."""
        scores: np.ndarray = (y - centre) / scale
        return scores

    @staticmethod
    def bound(centre: np.ndarray, scale: np.ndarray, s: np.ndarray | float) -> np.ndarray:
        """Log-salary bound(s) at score ``s``; inverse of :meth:`score`."""
        bounds: np.ndarray = centre + s * scale
        return bounds


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


def quantile_rows(
    level: float,
    centre: np.ndarray,
    scale: np.ndarray,
    ratio_low: np.ndarray,
    ratio_high: np.ndarray,
    cell_country: np.ndarray,
    shapes: np.ndarray,
    scale_high: np.ndarray | None = None,
    median: np.ndarray | None = None,
) -> np.ndarray:
    """Log-salary quantile at probability ``level`` for every cell and years point.

    Parameters
    ----------
    level : float
        Probability in (0, 1) within the tables' range.
    centre, scale : ndarray of shape (cells, grid)
        Centre and the scale below the median.
    ratio_low, ratio_high : ndarray of shape (cells, grid)
        The median's sd over the scale, below and above the median (they
        differ only past the data, where the median's downside stays put).
    cell_country : ndarray of int, shape (cells,)
        Row of ``shapes`` for each cell.
    shapes : ndarray of shape (countries, len(R_GRID), len(Z_GRID))
        Quantiles of ``S + r Z`` per country.
    scale_high : ndarray of shape (cells, grid), default=None
        The scale above the median; ``scale`` when None. A side's own scale
        lets a skewed predictive (an employer known from one figure, whose
        heavy-tailed effect stretches one tail) keep its shape on that side.
    median : ndarray of shape (cells, grid), default=None
        These rows at level 0.5, when the caller has them (a model's median
        table); computed when None and needed.

    Returns
    -------
    ndarray of shape (cells, grid)
        Non-decreasing along the grid, and in ``level``: a level above 0.5 is
        never below the median (each side's scale would otherwise leave a
        small step down just above it).
    """
    z = _NORMAL.inv_cdf(level)
    t = min(max((z - Z_GRID[0]) / Z_STEP, 0.0), len(Z_GRID) - 1.0)
    j = min(int(t), len(Z_GRID) - 2)
    g = t - j
    column = shapes[:, :, j] * (1.0 - g) + shapes[:, :, j + 1] * g  # (countries, R)
    above = level > 0.5
    ratio = ratio_high if above else ratio_low
    side_scale = scale_high if above and scale_high is not None else scale
    u = np.clip(ratio / R_STEP, 0.0, len(R_GRID) - 1.0)
    i = np.minimum(u.astype(np.int64), len(R_GRID) - 2)
    h = u - i
    by_cell = column[cell_country]  # (cells, R)
    s = np.take_along_axis(by_cell, i, axis=1) * (1.0 - h) + np.take_along_axis(by_cell, i + 1, axis=1) * h
    rows = np.maximum.accumulate(centre + side_scale * s, axis=1)
    if above:  # the upper side's own scale and ratio start at the median, never below it
        if median is None:
            median = quantile_rows(0.5, centre, scale, ratio_low, ratio_high, cell_country, shapes)
        rows = np.maximum(rows, median)
    return rows


def conformal_bounds(sorted_scores: np.ndarray, confidence: float) -> tuple[float, float]:
    """Lower and upper score of an equal-tailed conformal band.

    Each tail gets ``(1 - confidence) / 2``. With ``n`` calibration scores
    the upper bound is the ``ceil((n + 1) * (1 + c) / 2)``-th smallest score
    and the lower one its mirror, the finite-sample levels that guarantee
    coverage of at least ``confidence`` for exchangeable data. When ``n`` is
    too small for the level the bound is infinite, never silently clipped.

    Parameters
    ----------
    sorted_scores : ndarray of shape (n,)
        Calibration scores, ascending.
    confidence : float
        Nominal coverage in (0, 1).

    Returns
    -------
    (float, float)
    """
    n = len(sorted_scores)
    upper_rank = math.ceil((n + 1) * (1 + confidence) / 2)  # 1-based
    lower_rank = n + 1 - upper_rank
    low = sorted_scores[lower_rank - 1] if lower_rank >= 1 else -math.inf
    high = sorted_scores[upper_rank - 1] if upper_rank <= n else math.inf
    return float(low), float(high)
