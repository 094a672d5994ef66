"""The scikit-learn regression that compiles synthetic engineers into serving tables.

:class:`QuantileCurves` learns, from engineers of one served row (a market,
an employer, or a population's view of either), the quantiles of log pay at
every level of :data:`~salarymodel.serving.bands.Z_GRID` as smooth curves
over years of experience. Its predictions at
:data:`~salarymodel.serving.grid.QUANTILE_YEARS` *are* that row's serving
table; nothing later adjusts them.

It is a binned quantile regression: the engineers come on a grid of years
(:mod:`.engineers`), so each years point's quantiles are read off its own
engineers; a ridge regression on a spline basis of years then fits each
level's curve through them (weighted by the engineers at each point), which
smooths the Monte Carlo noise across years; sorting each prediction over the
levels (monotone rearrangement) keeps the curves from crossing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtr
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import Ridge
from sklearn.preprocessing import SplineTransformer
from sklearn.utils.validation import check_is_fitted

from ..data.levels import MAX_YEARS
from ..serving.bands import Z_GRID

__all__ = ["QuantileCurves", "DEFAULT_KNOTS"]

# A knot at every whole year: the posterior's median curves bend only at whole years
# (the measurement model's knots) and its spread's trend ends at one.
DEFAULT_KNOTS = tuple(float(y) for y in range(int(MAX_YEARS) + 1))


def _years(X: pd.DataFrame | np.ndarray) -> np.ndarray:
    """The years column of ``X`` (a frame with ``years``, or an array of one column)."""
    if isinstance(X, pd.DataFrame):
        if "years" not in X.columns:
            raise ValueError(f"X must have a 'years' column; it has {list(X.columns)}.")
        return X["years"].to_numpy(dtype=float)
    values = np.asarray(X, dtype=float)
    if values.ndim != 2 or values.shape[1] != 1:
        raise ValueError(f"X must be one column of years; got shape {values.shape}.")
    return values[:, 0]


class QuantileCurves(RegressorMixin, BaseEstimator):
    """Quantile curves of log pay over years, one per probability level.

    Parameters
    ----------
    levels : array-like of float, default=None
        Probability levels, ascending; the normal-score grid
        :data:`~salarymodel.serving.bands.Z_GRID` when None.
    knots : array-like of float, default=None
        Knots of the spline basis over years; :data:`DEFAULT_KNOTS` when None.
    degree : int, default=1
        Degree of the spline pieces (1: piecewise linear, as the posterior's curves are).
    alpha : float, default=1e-3
        Ridge penalty on each level's spline coefficients around their mean
        (the intercept is not penalised), relative to the engineers' weight,
        so the smoothing does not depend on how many were drawn.

    Attributes
    ----------
    levels_ : ndarray of shape (levels,)
    points_ : ndarray of shape (points,)
        The distinct years of the training engineers.
    n_engineers_ : int
        How many engineers it learnt from.
    binned_ : ndarray of shape (points, levels)
        Each point's empirical quantiles (what the curves are fitted to).
    spline_ : SplineTransformer
    ridge_ : Ridge
        One output per level.
    """

    def __init__(self, *, levels=None, knots=None, degree: int = 1, alpha: float = 1e-3) -> None:
        self.levels = levels
        self.knots = knots
        self.degree = degree
        self.alpha = alpha

    def fit(self, X: pd.DataFrame | np.ndarray, y: np.ndarray) -> QuantileCurves:
        """Learn the curves from engineers at years ``X`` with log pay ``y``.

        Each distinct years value must hold enough engineers for its quantiles
        (the synthetic set has thousands at each).
        """
        years, pay = _years(X), np.asarray(y, dtype=float)
        if len(years) != len(pay) or not len(pay):
            raise ValueError(f"X and y must have the same, non-zero length; got {len(years)} and {len(pay)}.")
        levels = ndtr(Z_GRID) if self.levels is None else np.asarray(self.levels, dtype=float)
        if np.any(np.diff(levels) <= 0) or levels[0] <= 0 or levels[-1] >= 1:
            raise ValueError("levels must rise strictly within (0, 1).")
        self.points_, inverse, counts = np.unique(years, return_inverse=True, return_counts=True)
        order = np.argsort(inverse, kind="stable")
        groups = np.split(pay[order], np.cumsum(counts)[:-1])
        self.levels_ = levels
        self.binned_ = np.stack([np.quantile(group, levels) for group in groups])
        knots = np.asarray(DEFAULT_KNOTS if self.knots is None else self.knots, dtype=float).reshape(-1, 1)
        self.spline_ = SplineTransformer(knots=knots, degree=self.degree, extrapolation="linear").fit(knots)
        weight = counts / counts.mean()
        self.ridge_ = Ridge(alpha=self.alpha).fit(
            self.spline_.transform(self.points_.reshape(-1, 1)), self.binned_, sample_weight=weight
        )
        self.n_features_in_, self.n_engineers_ = 1, len(pay)
        return self

    def predict_quantiles(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Log pay at every level for years ``X``, shape (rows, levels), rising along the levels."""
        check_is_fitted(self)
        design = self.spline_.transform(_years(X).reshape(-1, 1))
        return np.sort(np.asarray(self.ridge_.predict(design)).reshape(len(design), -1), axis=1)

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The median curve: log pay at the level nearest 0.5."""
        column = int(np.abs(self.levels_ - 0.5).argmin())
        return self.predict_quantiles(X)[:, column]
