"""Model families compared by the evaluation report, behind one interface.

Each candidate fits log salary from country, company and years and answers
``interval(X, confidence)`` and ``quantiles(X, levels)`` in log salary, so
the report scores them on the same split with the same code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import make_pipeline

from .spline_baseline import NonNegativeRidge, SalaryFeatures

__all__ = ["LogNormalSpline", "BoostedQuantiles", "CANDIDATES"]


class LogNormalSpline:
    """A monotone spline ridge centre with one log-normal spread for everyone."""

    name = "spline ridge + constant log-normal band"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> LogNormalSpline:
        # Rises non-negative (the median never falls with years), offsets free.
        features = SalaryFeatures().fit(X)
        self.centre_ = make_pipeline(features, NonNegativeRidge(alpha=1.0, positive=features.positive_)).fit(X, y)
        self.sigma_ = float(np.std(y - self.centre_.predict(X)))
        return self

    def interval(self, X: pd.DataFrame, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        centre, half = self.centre_.predict(X), float(ndtri((1 + confidence) / 2)) * self.sigma_
        return centre - half, centre + half

    def quantiles(self, X: pd.DataFrame, levels: np.ndarray) -> np.ndarray:
        return self.centre_.predict(X)[:, None] + self.sigma_ * ndtri(np.asarray(levels))[None, :]


class BoostedQuantiles:
    """Gradient-boosted trees, one per quantile level (pinball loss), each
    constrained to rise with years like the other families."""

    name = "gradient-boosted quantiles"
    LEVELS = (0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975)

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def _encode(self, X: pd.DataFrame) -> np.ndarray:
        country = X["country"].map(self.countries_).fillna(-1).to_numpy(float)
        company = X["company"].astype(object).where(X["company"].notna(), "")
        company = company.map(self.companies_).fillna(-1).to_numpy(float)
        return np.column_stack([country, company, X["years"].to_numpy(float)])

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> BoostedQuantiles:
        self.countries_ = {c: i for i, c in enumerate(sorted(X["country"].unique()))}
        companies = X["company"].astype(object).where(X["company"].notna(), "")
        self.companies_ = {c: i for i, c in enumerate(sorted(companies.unique()))}
        features = self._encode(X)
        self.models_ = [
            HistGradientBoostingRegressor(
                loss="quantile",
                quantile=q,
                max_iter=150,
                categorical_features=[0, 1],
                monotonic_cst=[0, 0, 1],
                random_state=self.seed,
            ).fit(features, y)
            for q in self.LEVELS
        ]
        return self

    def _level_matrix(self, X: pd.DataFrame) -> np.ndarray:
        features = self._encode(X)
        # Sorting each row removes crossings between separately fitted levels.
        return np.sort(np.column_stack([m.predict(features) for m in self.models_]), axis=1)

    def interval(self, X: pd.DataFrame, confidence: float) -> tuple[np.ndarray, np.ndarray]:
        matrix = self._level_matrix(X)
        low = self.LEVELS.index(round((1 - confidence) / 2, 4))
        high = self.LEVELS.index(round((1 + confidence) / 2, 4))
        return matrix[:, low], matrix[:, high]

    def quantiles(self, X: pd.DataFrame, levels: np.ndarray) -> np.ndarray:
        matrix = self._level_matrix(X)
        known = ndtri(np.asarray(self.LEVELS))
        wanted = ndtri(np.asarray(levels))
        return np.array([np.interp(wanted, known, row) for row in matrix])


CANDIDATES = (LogNormalSpline, BoostedQuantiles)
