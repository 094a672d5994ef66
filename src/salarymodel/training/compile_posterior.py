"""Serving tables from the measurement model's posterior predictive.

For each served cell and years point the posterior predictive of one
engineer's log base pay is the mixture over posterior draws ``j`` of
``Normal(m_j(y), s_j(y))`` (the market's median with the shared site bias
and the employer's effect, and the spread among engineers). The tables keep
the serving form ``centre + scale * (S + r Z)`` (:mod:`salarymodel.serving.bands`):

* the score shape ``S`` is the regression's, and each side's scale (``scale``
  below the median, ``scale_high`` above) is the regression's within-market
  spread, learned from the synthetic engineers
  (:mod:`salarymodel.training.engineers`), times a factor fitted with that
  side's ratio;
* ``centre`` is the predictive median, so the served median is the posterior's;
* ``r`` below and above the median (the median's uncertainty, read off the
  posterior, with whatever skew it has past the data) and each side's scale
  factor are chosen so that the
  served 5th, 10th and 25th percentiles (75th, 90th, 95th above) are as close
  to the predictive's as this two-piece form allows: the largest of their
  errors, each over its weight in :data:`FITTED_LEVELS`, is made smallest. A
  cell whose predictive is normal-shaped gets its 10th and 90th exactly; an
  employer known from one figure, whose effect is heavy-tailed, spreads the
  error over its percentiles instead of putting it all on the 25th.

The median's own 80% interval is the posterior's 10th and 90th percentile of
the cell's median. Everything is computed on a coarse years grid (the
posterior's curves are piecewise linear, knots at whole years) and
interpolated onto the serving grid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from ..serving.bands import R_GRID, Z_GRID, Z_STEP
from ..serving.grid import YEARS_GRID
from .posterior import Posterior

__all__ = ["COARSE_YEARS", "FITTED_LEVELS", "predictive_quantile", "posterior_tables"]

# Years at which the posterior is read (every half year; its curves bend at whole years).
COARSE_YEARS = np.linspace(0.0, float(YEARS_GRID[-1]), int(2 * YEARS_GRID[-1]) + 1)
# The percentiles each side's ratio is fitted to, with the weight of each one's error
# (the 5th and 95th, read from the same two-piece form, are allowed three times as much).
FITTED_LEVELS = {
    ("ratio_low", "scale"): {0.05: 3.0, 0.1: 1.0, 0.25: 1.0},
    ("ratio_high", "scale_high"): {0.75: 1.0, 0.9: 1.0, 0.95: 3.0},
}
# Multipliers of the regression's within-market scale tried for each side: a side's own
# scale lets a skewed predictive keep its shape (an employer known from one figure has a
# heavy-tailed effect: its lower tail is long, and one ratio cannot match its 5th, 10th
# and 25th percentiles at once).
_SCALE_FACTORS = np.round(np.arange(0.5, 2.0 + 1e-9, 0.05), 10)
_FACTOR_COST = 0.01  # log pay per log unit of the factor: 0.7x costs 0.0036
# Ratios tried between the points of R_GRID (serving interpolates linearly between them).
_FINE_R = np.linspace(0.0, float(R_GRID[-1]), 1601)
_COARSE_STRIDE = 10  # the coarse pass tries every tenth of them
_NEWTON_STEPS = 10
_CONVERGED = 1e-9  # log pay: far below any served digit


def predictive_quantile(median: np.ndarray, spread: np.ndarray, level: float) -> np.ndarray:
    """Quantile at ``level`` of the mixture of ``Normal(median[j], spread[j])`` over draws.

    Parameters
    ----------
    median, spread : ndarray of shape (draws, points)
    level : float

    Returns
    -------
    ndarray of shape (points,)
        Newton's method from the mixture's normal approximation (the mixture's
        CDF is smooth and its density positive, so a few steps converge).
    """
    x = median.mean(axis=0) + np.sqrt(median.var(axis=0) + (spread**2).mean(axis=0)) * ndtri(level)
    for _ in range(_NEWTON_STEPS):
        u = (x - median) / spread
        cdf = ndtr(u).mean(axis=0)
        density = (np.exp(-0.5 * u * u) / spread).mean(axis=0) / np.sqrt(2.0 * np.pi)
        step = (cdf - level) / np.maximum(density, 1e-12)
        x = x - step
        if np.abs(step).max() < _CONVERGED:
            break
    return x


def _shape_column(shape: np.ndarray, level: float) -> np.ndarray:
    """Quantile of ``S + r Z`` at ``level`` for every r in R_GRID (one country's table)."""
    t = (float(ndtri(level)) - Z_GRID[0]) / Z_STEP
    j = int(t)
    return shape[:, j] * (1.0 - (t - j)) + shape[:, j + 1] * (t - j)


def posterior_tables(
    posterior: Posterior,
    cells: list[tuple[str, str | None]],
    estimator,
    shapes: np.ndarray,
    countries: list[str],
    populations: tuple[tuple[int, int], ...] = (),
) -> dict[str, np.ndarray]:
    """``centre``, ``scale``, ``scale_high``, ``ratio_low``, ``ratio_high``, ``median_low`` and ``median_high``
    tables, shape (cells + populations, len(YEARS_GRID)), from the posterior and the fitted regression.

    Parameters
    ----------
    posterior : Posterior
    cells : list of (country, company or None)
    estimator : SalaryRegressor
        Fitted on the synthetic engineers (its within-market scale is used).
    shapes : ndarray of shape (countries, len(R_GRID), len(Z_GRID))
        Each country's score-shape table.
    countries : list of str
        Row of ``shapes`` of each country.
    populations : tuple of (int, int), default=()
        Rows after the cells': (cell, unit) answers for ``cells[cell]`` as the
        source of records ``posterior.data.units[unit]`` sees it.
    """
    frame = pd.DataFrame([(c, k, y) for c, k in cells for y in COARSE_YEARS], columns=["country", "company", "years"])
    _, scale = estimator.centre_scale(frame, within=True)
    scale = scale.reshape(len(cells), len(COARSE_YEARS))
    rows = [(i, None) for i in range(len(cells))] + list(populations)
    scale = scale[[cell for cell, _ in rows]]
    names = ("centre", "scale", "scale_high", "ratio_low", "ratio_high", "median_low", "median_high")
    coarse = {name: np.empty((len(rows), len(COARSE_YEARS))) for name in names}
    for i, (cell, unit) in enumerate(rows):
        country, company = cells[cell]
        if unit is None:
            median = posterior.median_draws(country, company, COARSE_YEARS)
        else:
            median = posterior.population_median_draws(country, company, COARSE_YEARS, unit)
        spread = posterior.spread_draws(country, company, COARSE_YEARS)
        centre = predictive_quantile(median, spread, 0.5)
        shape = shapes[countries.index(country)]
        for (ratio, scaled), levels in FITTED_LEVELS.items():
            # Each side's (scale multiplier, ratio) pair minimising its largest weighted error.
            side = [
                (predictive_quantile(median, spread, level) - centre, _shape_column(shape, level), weight)
                for level, weight in levels.items()
            ]

            def worst(r: np.ndarray, side=side, i=i) -> np.ndarray:
                """Largest weighted error at ratios ``r`` (factors, ratios, years)."""
                out = np.zeros(r.shape)
                for target, column, weight in side:  # target: log distance from the median
                    served = _SCALE_FACTORS[:, None, None] * np.interp(r, R_GRID, column) * scale[i][None, None, :]
                    np.maximum(out, np.abs(served - target) / weight, out=out)
                return out

            # Each error is monotone in r on either side of its zero, so their maximum has one
            # minimum over r: a coarse pass finds its neighbourhood, a fine pass the point.
            tried = _FINE_R[::_COARSE_STRIDE]
            coarse_r = np.broadcast_to(tried[None, :, None], (len(_SCALE_FACTORS), len(tried), len(COARSE_YEARS)))
            near = _COARSE_STRIDE * worst(coarse_r).argmin(axis=1)[:, None, :]
            fine = np.clip(near + np.arange(-_COARSE_STRIDE, _COARSE_STRIDE + 1)[None, :, None], 0, len(_FINE_R) - 1)
            errors = worst(_FINE_R[fine])
            # A factor other than 1 must earn its place (a small cost per log unit), so cells
            # whose predictive the regression's scale fits keep it, smooth in years.
            errors += _FACTOR_COST * np.abs(np.log(_SCALE_FACTORS))[:, None, None]
            best = errors.reshape(-1, len(COARSE_YEARS)).argmin(axis=0)
            factor, r = np.unravel_index(best, errors.shape[:2])
            years = np.arange(len(COARSE_YEARS))
            coarse[ratio][i] = _FINE_R[fine[factor, r, years]]
            coarse[scaled][i] = _SCALE_FACTORS[factor] * scale[i]
        coarse["centre"][i] = centre
        coarse["median_low"][i], coarse["median_high"][i] = np.quantile(median, [0.1, 0.9], axis=0)

    def serve(values: np.ndarray) -> np.ndarray:
        return np.stack([np.interp(YEARS_GRID, COARSE_YEARS, row) for row in values])

    tables = {name: serve(values) for name, values in coarse.items()}
    # Pay never falls with experience: the posterior's curves are monotone draw by draw,
    # so these are too up to Monte Carlo noise, which the running maximum removes.
    for name in ("centre", "median_low", "median_high"):
        tables[name] = np.maximum.accumulate(tables[name], axis=1)
    return tables
