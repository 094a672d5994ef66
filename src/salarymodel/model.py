"""The scikit-learn estimator: log salary from country, company and years.

:class:`SalaryRegressor` fits a centre (ridge regression on per-country
spline curves of years plus company offsets), a local scale (the same
features on the log absolute residual) and conformal scores per country,
each training row scored out of fold (cross-conformal). Bands are equal-tailed conformal
bands on the normalised residual (:mod:`salarymodel.bands`), so they adapt
to where the reported figures disagree, and they widen linearly with the
distance in years from the country's data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer
from sklearn.utils.validation import check_is_fitted

from .bands import NormalisedResidualScore, check_confidence, conformal_bounds

__all__ = ["SalaryFeatures", "SalaryRegressor", "FEATURES"]

FEATURES = ["country", "company", "years"]
# Residuals below 1% of salary are floored before taking logs for the scale fit.
_RESIDUAL_FLOOR = 0.01


def _columns(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Country codes, company keys ('' for the market) and years as arrays."""
    missing = [c for c in FEATURES if c not in X.columns]
    if missing:
        raise ValueError(f"X must have columns {FEATURES}; missing {missing}.")
    country = X["country"].astype(str).to_numpy()
    company = X["company"].astype(object).where(X["company"].notna(), "").astype(str).to_numpy()
    years = X["years"].to_numpy(dtype=float)
    return country, company, years


class SalaryFeatures(TransformerMixin, BaseEstimator):
    """Design matrix: country and company indicators plus per-country splines.

    Years are clamped to each country's observed range before the spline
    basis is taken, so a curve is flat (not wild) outside its data.

    Parameters
    ----------
    n_knots : int, default=6
        Knots of the B-spline basis over the observed years.
    degree : int, default=3
        Degree of the spline pieces.
    """

    def __init__(self, *, n_knots: int = 6, degree: int = 3) -> None:
        self.n_knots = n_knots
        self.degree = degree

    def fit(self, X: pd.DataFrame, y=None) -> SalaryFeatures:
        country, company, years = _columns(X)
        self.countries_ = np.unique(country)
        pairs = sorted({(c, k) for c, k in zip(country, company) if k})
        self.companies_ = pairs
        frame = pd.DataFrame({"country": country, "years": years})
        span = frame.groupby("country")["years"].agg(["min", "max"])
        self.years_range_ = {c: (float(span.at[c, "min"]), float(span.at[c, "max"])) for c in self.countries_}
        self.spline_ = SplineTransformer(n_knots=self.n_knots, degree=self.degree,
                                         extrapolation="constant").fit(years.reshape(-1, 1))
        self.n_features_in_ = len(FEATURES)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self)
        country, company, years = _columns(X)
        index = {c: i for i, c in enumerate(self.countries_)}
        country_idx = np.array([index.get(c, -1) for c in country])
        if (country_idx < 0).any():
            unknown = sorted(set(country[country_idx < 0]))
            raise ValueError(f"Unknown country code(s) {unknown}; the model knows {list(self.countries_)}.")
        lows = np.array([self.years_range_[c][0] for c in self.countries_])[country_idx]
        highs = np.array([self.years_range_[c][1] for c in self.countries_])[country_idx]
        basis = self.spline_.transform(np.clip(years, lows, highs).reshape(-1, 1))
        n, n_basis = basis.shape
        n_countries = len(self.countries_)
        onehot = np.zeros((n, n_countries))
        onehot[np.arange(n), country_idx] = 1.0
        curves = np.zeros((n, n_countries * n_basis))
        for i in range(n_countries):
            rows = country_idx == i
            curves[rows, i * n_basis:(i + 1) * n_basis] = basis[rows]
        offsets = np.zeros((n, len(self.companies_)))
        for col, (pair_country, pair_company) in enumerate(self.companies_):
            offsets[(country == pair_country) & (company == pair_company), col] = 1.0
        return np.hstack([onehot, curves, offsets])

    def distance_outside(self, country: np.ndarray, years: np.ndarray) -> np.ndarray:
        """Years between each row and its country's observed range (0 inside)."""
        lows = np.array([self.years_range_[c][0] for c in country])
        highs = np.array([self.years_range_[c][1] for c in country])
        return np.maximum(lows - years, 0.0) + np.maximum(years - highs, 0.0)


class SalaryRegressor(RegressorMixin, BaseEstimator):
    """Median and conformal band of log salary.

    Parameters
    ----------
    n_knots : int, default=6
        Spline knots of each country's curve.
    alpha : float, default=1.0
        Ridge penalty of the centre and scale fits.
    cv : int, default=5
        Folds of the cross-conformal calibration: every training row is
        scored by centre and scale models fitted without its fold, so all
        rows serve as calibration scores (less noise per country than one
        held-out split); the final centre and scale use all rows.
    widening : float, default=0.05
        Relative growth of the band's scale per year of distance from the
        country's observed years (5% per year by default).
    random_state : int, default=0
        Seed of the fold assignment.

    Attributes
    ----------
    centre_ : Pipeline
        Features -> ridge on log salary.
    scale_ : Pipeline
        Features -> ridge on the log absolute residual.
    scores_ : dict of str to ndarray
        Sorted out-of-fold scores per country (Mondrian calibration).
    """

    def __init__(self, *, n_knots: int = 6, alpha: float = 1.0, cv: int = 5,
                 widening: float = 0.05, random_state: int = 0) -> None:
        self.n_knots = n_knots
        self.alpha = alpha
        self.cv = cv
        self.widening = widening
        self.random_state = random_state

    def _fit_centre_scale(self, design: np.ndarray, y: np.ndarray) -> tuple[Ridge, Ridge]:
        centre = Ridge(alpha=self.alpha).fit(design, y)
        residual = y - centre.predict(design)
        scale = Ridge(alpha=self.alpha).fit(design, np.log(np.abs(residual) + _RESIDUAL_FLOOR))
        return centre, scale

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> SalaryRegressor:
        """Fit centre and scale, and calibrate scores out of fold.

        Parameters
        ----------
        X : DataFrame with columns country, company, years
        y : array-like of shape (n,)
            Log salary.

        Returns
        -------
        self
        """
        if isinstance(self.cv, bool) or not isinstance(self.cv, (int, np.integer)) or self.cv < 2:
            raise ValueError(f"The 'cv' parameter of SalaryRegressor must be an int >= 2. Got {self.cv!r} instead.")
        y = np.asarray(y, dtype=float)
        if not np.isfinite(y).all():
            raise ValueError("y (log salary) must be finite.")
        X = X.reset_index(drop=True)
        features = SalaryFeatures(n_knots=self.n_knots).fit(X)
        design = features.transform(X)
        folds = np.random.default_rng(self.random_state).permutation(len(y)) % self.cv
        centre_out, log_scale_out = np.empty(len(y)), np.empty(len(y))
        for fold in range(self.cv):
            inside, outside = folds != fold, folds == fold
            centre, scale = self._fit_centre_scale(design[inside], y[inside])
            centre_out[outside] = centre.predict(design[outside])
            log_scale_out[outside] = scale.predict(design[outside])
        # Training rows lie inside the data, so no widening enters the scores.
        scores = NormalisedResidualScore.score(y, centre_out, np.exp(log_scale_out))
        country = X["country"].astype(str).to_numpy()
        self.scores_ = {c: np.sort(scores[country == c]) for c in features.countries_}
        centre, scale = self._fit_centre_scale(design, y)
        self.centre_ = Pipeline([("features", features), ("ridge", centre)])
        self.scale_ = Pipeline([("features", features), ("ridge", scale)])
        self.n_features_in_ = len(FEATURES)
        return self

    def centre_scale(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Centre (log salary) and band scale, widened outside the data."""
        check_is_fitted(self)
        centre = self.centre_.predict(X)
        features = self.centre_.named_steps["features"]
        distance = features.distance_outside(X["country"].astype(str).to_numpy(), X["years"].to_numpy(float))
        scale = np.exp(self.scale_.predict(X)) * (1.0 + self.widening * distance)
        return centre, scale

    def score_bounds(self, country: str, confidence: float) -> tuple[float, float, float]:
        """Lower, median and upper calibration score for a country."""
        scores = self.scores_[country]
        low, high = conformal_bounds(scores, confidence)
        return low, float(np.median(scores)), high

    def predict_interval(self, X: pd.DataFrame, confidence: float = 0.8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Low, median and high log salary at ``confidence``."""
        confidence = check_confidence(confidence, "predict_interval")
        centre, scale = self.centre_scale(X)
        country = X["country"].astype(str).to_numpy()
        bounds = np.array([self.score_bounds(c, confidence) for c in self.scores_])
        index = {c: i for i, c in enumerate(self.scores_)}
        rows = bounds[[index[c] for c in country]]
        return tuple(NormalisedResidualScore.bound(centre, scale, rows[:, j]) for j in range(3))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Median log salary."""
        return self.predict_interval(X, 0.5)[1]
