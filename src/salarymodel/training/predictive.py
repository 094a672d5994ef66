"""One engineer's salary distribution: the within-market spread plus the
median's uncertainty, each counted once.

For a cell at ``y`` years, log salary is

    centre(y) + scale(y) * S + D,      D ~ Normal(0, var_b(y))

where ``scale(y) * S`` is the spread of salaries around the market's median
*as one source reports it* (out-of-fold conformal scores ``S`` of the
within-source residuals, per country, :mod:`salarymodel.training.estimator`)
and ``D`` is our uncertainty about that median (the posterior's, read by
:mod:`salarymodel.training.compile_posterior`). Dividing by ``scale(y)``, the
quantiles depend on the ratio ``r = sd_b / scale`` alone, so each country
keeps one small table: the quantiles of ``S + r Z`` over a grid of ``r`` and
of normal-score levels (:data:`salarymodel.serving.bands.R_GRID`,
:data:`~salarymodel.serving.bands.Z_GRID`). Serving reads it with numpy.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from ..serving.bands import R_GRID, Z_GRID

__all__ = ["shape_table"]

# Atoms of a country's score distribution used in the convolution.
_ATOMS = 200


def shape_table(scores: np.ndarray) -> np.ndarray:
    """Quantiles of ``S + r Z`` for every ``r`` in R_GRID and level in Z_GRID.

    Parameters
    ----------
    scores : ndarray
        A country's within-source conformal scores (any order).

    Returns
    -------
    ndarray of shape (len(R_GRID), len(Z_GRID))
        Non-decreasing along the levels.
    """
    levels = ndtr(Z_GRID)
    scores = np.sort(np.asarray(scores, dtype=float))
    atoms = np.quantile(scores, (np.arange(_ATOMS) + 0.5) / _ATOMS)
    table = np.empty((len(R_GRID), len(Z_GRID)))
    table[0] = np.quantile(scores, levels)
    for i, r in enumerate(R_GRID[1:], start=1):
        x = np.linspace(scores[0] - 6 * r, scores[-1] + 6 * r, 900)
        cdf = ndtr((x[:, None] - atoms[None, :]) / r).mean(axis=1)
        keep = np.concatenate([[True], np.diff(cdf) > 0])
        table[i] = np.interp(levels, cdf[keep], x[keep])
    return np.maximum.accumulate(table, axis=1)
