"""The scikit-learn estimator: log salary from country, company and years.

:class:`SalaryRegressor` is fitted one country at a time (its own spline
knots, ridge and folds, seeded by the country's code), so one country's
rows never move another's fit. Per country it fits a centre (ridge on a
monotone spline curve of years plus company offsets) on the consensus
salaries, and two local scales with their conformal scores, each training
row scored out of fold (cross-conformal):

* the *consensus* scale and scores describe salaries as the sources'
  consensus has them, sources' disagreement included (validation reads a
  held-out figure on it);
* the *within* scale and scores describe salaries around the median as one
  source reports them (``y_within``: each row with its source's offset
  removed). This is part (a) of a band; part (b), the median's own
  uncertainty, is added when the model is compiled
  (:mod:`salarymodel.training.predictive`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.optimize import nnls
from sklearn.base import BaseEstimator, RegressorMixin, TransformerMixin
from sklearn.preprocessing import SplineTransformer
from sklearn.utils.validation import check_is_fitted

from ..errors import ParameterError
from ..serving.bands import NormalisedResidualScore, check_confidence, conformal_bounds
from ..serving.grid import YEARS_GRID
from ._seeds import country_rng

__all__ = ["SalaryFeatures", "SalaryRegressor", "GramRidge", "NonNegativeRidge", "FEATURES"]

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
    basis is taken, so a curve is flat (not wild) outside its data. The
    spline block is written as reverse cumulative sums of the B-spline
    basis: with non-negative coefficients on it (:class:`NonNegativeRidge`)
    each curve is non-decreasing in years. The matrix is sparse: each row has
    one country indicator, its country's spline columns and at most one
    company indicator, so its size grows with the rows, not with rows times
    employers.

    Parameters
    ----------
    n_knots : int, default=6
        Knots of the B-spline basis over the observed years.
    degree : int, default=3
        Degree of the spline pieces.
    knots : array-like of float, default=None
        Knot positions (years), overriding ``n_knots``: with ``degree=1``
        and the measurement model's knots the curve is piecewise linear
        where the posterior's curves are.

    Attributes
    ----------
    positive_ : ndarray of bool
        Which columns are spline rises (their coefficients must be
        non-negative); the indicators' may take either sign.
    """

    def __init__(self, *, n_knots: int = 6, degree: int = 3, knots=None) -> None:
        self.n_knots = n_knots
        self.degree = degree
        self.knots = knots

    def fit(self, X: pd.DataFrame, y=None) -> SalaryFeatures:
        country, company, years = _columns(X)
        self.countries_ = np.unique(country)
        pairs = sorted({(c, k) for c, k in zip(country, company) if k})
        self.companies_ = pairs
        frame = pd.DataFrame({"country": country, "years": years})
        span = frame.groupby("country")["years"].agg(["min", "max"])
        self.years_range_ = {c: (float(span.at[c, "min"]), float(span.at[c, "max"])) for c in self.countries_}
        if self.knots is None:
            spline = SplineTransformer(n_knots=self.n_knots, degree=self.degree, extrapolation="constant")
        else:
            spline = SplineTransformer(
                knots=np.asarray(self.knots, dtype=float).reshape(-1, 1), degree=self.degree, extrapolation="constant"
            )
        self.spline_ = spline.fit(years.reshape(-1, 1))
        n_rises = self.spline_.n_features_out_ - 1
        self.positive_ = np.concatenate(
            [
                np.zeros(len(self.countries_), bool),
                np.ones(len(self.countries_) * n_rises, bool),
                np.zeros(len(self.companies_), bool),
            ]
        )
        self.n_features_in_ = len(FEATURES)
        return self

    def transform(self, X: pd.DataFrame) -> sparse.csr_matrix:
        check_is_fitted(self)
        country, company, years = _columns(X)
        country_idx = pd.Index(self.countries_).get_indexer(country)
        if (country_idx < 0).any():
            unknown = sorted(set(country[country_idx < 0]))
            raise ValueError(f"Unknown country code(s) {unknown}; the model knows {list(self.countries_)}.")
        lows = np.array([self.years_range_[c][0] for c in self.countries_])[country_idx]
        highs = np.array([self.years_range_[c][1] for c in self.countries_])[country_idx]
        basis = self.spline_.transform(np.clip(years, lows, highs).reshape(-1, 1))
        # Column j of a block = sum of basis functions j..end: a rise at knot j. The
        # first (the sum of all, 1 on every row) is the country indicator itself.
        rises = np.cumsum(basis[:, ::-1], axis=1)[:, ::-1][:, 1:]
        n, n_rises = rises.shape
        n_countries = len(self.countries_)
        rise_columns = n_countries + country_idx[:, None] * n_rises + np.arange(n_rises)[None, :]
        pair_index = (
            pd.MultiIndex.from_tuples(self.companies_, names=["country", "company"])
            if self.companies_
            else pd.MultiIndex.from_arrays([[], []], names=["country", "company"])
        )
        company_idx = pair_index.get_indexer(pd.MultiIndex.from_arrays([country, company]))
        has_company = company_idx >= 0
        rows = np.concatenate([np.arange(n), np.repeat(np.arange(n), n_rises), np.flatnonzero(has_company)])
        columns = np.concatenate([country_idx, rise_columns.ravel(), n_countries * (1 + n_rises) + company_idx[has_company]])
        values = np.concatenate([np.ones(n), rises.ravel(), np.ones(int(has_company.sum()))])
        return sparse.csr_matrix((values, (rows, columns)), shape=(n, len(self.positive_)))


class GramRidge(RegressorMixin, BaseEstimator):
    """Ridge regression with a free intercept, solved on the Gram matrix, with
    chosen coefficients held non-negative.

    Solves ``min ||y - b0 - X b||^2 + alpha ||b||^2`` subject to ``b[j] >= 0``
    for the columns ``positive`` names, exactly: the free coefficients are
    solved for in closed form given the constrained ones, which leaves a small
    non-negative least-squares problem on the Cholesky factor of its Schur
    complement. The cost is one ``X.T @ X`` (sparse ``X`` welcome) and a
    factorisation of the free block, not a pass over the rows per iteration.

    Parameters
    ----------
    alpha : float or array-like of float, default=1.0
        L2 penalty, one for every column or one per column.
    positive : {"all"} or array-like of bool, default=None
        Columns whose coefficients must be non-negative: None for none (plain
        ridge), ``"all"`` for every column, or a mask.
    """

    def __init__(self, *, alpha: float | np.ndarray = 1.0, positive=None) -> None:
        self.alpha = alpha
        self.positive = positive

    def _positive_mask(self, n_columns: int) -> np.ndarray:
        if self.positive is None:
            return np.zeros(n_columns, bool)
        if isinstance(self.positive, str) and self.positive == "all":
            return np.ones(n_columns, bool)
        mask = np.asarray(self.positive, dtype=bool)
        if mask.shape != (n_columns,):
            raise ValueError(f"The 'positive' mask has {mask.size} entries; X has {n_columns} columns.")
        return mask

    def fit(self, X, y: np.ndarray) -> GramRidge:
        X = X.tocsr() if sparse.issparse(X) else np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        n, p = X.shape
        x_mean, y_mean = np.asarray(X.mean(axis=0)).ravel(), float(y.mean())
        raw_gram = X.T @ X
        gram = (raw_gram.toarray() if sparse.issparse(raw_gram) else raw_gram) - n * np.outer(x_mean, x_mean)
        gram[np.diag_indices(p)] += np.broadcast_to(np.asarray(self.alpha, dtype=float), (p,))
        target = np.asarray(X.T @ (y - y_mean)).ravel()
        positive = self._positive_mask(p)
        free = ~positive
        coef = np.zeros(p)
        if free.any():
            factor = cho_factor(gram[np.ix_(free, free)], lower=True)
            solve_free = lambda rhs: cho_solve(factor, rhs)  # noqa: E731
        if positive.any():
            # Given the rises b_P, the free part is A_FF^-1 (c_F - A_FP b_P); what is left
            # is b_P' S b_P - 2 r' b_P with S the Schur complement: a non-negative
            # least-squares problem on S's Cholesky factor, ||L' b - L^-1 r||^2.
            schur, rest = gram[np.ix_(positive, positive)], target[positive]
            if free.any():
                cross = gram[np.ix_(free, positive)]
                schur = schur - cross.T @ solve_free(cross)
                rest = rest - cross.T @ solve_free(target[free])
            lower = np.tril(cho_factor(schur, lower=True)[0])
            coef[positive], _ = nnls(lower.T, solve_triangular(lower, rest, lower=True), maxiter=50 * int(positive.sum()))
        if free.any():
            coef[free] = solve_free(target[free] - gram[np.ix_(free, positive)] @ coef[positive])
        self.coef_ = coef
        self.intercept_ = y_mean - float(x_mean @ coef)
        self.n_features_in_ = p
        return self

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = X if sparse.issparse(X) else np.asarray(X, dtype=float)
        return np.asarray(X @ self.coef_).ravel() + self.intercept_


class NonNegativeRidge(GramRidge):
    """:class:`GramRidge` with every coefficient non-negative by default (same
    problem as ``Ridge(positive=True)``, solved exactly and much faster).

    Parameters
    ----------
    alpha : float, default=1.0
        L2 penalty.
    positive : {"all"} or array-like of bool, default="all"
        Columns held non-negative.
    """

    def __init__(self, *, alpha: float = 1.0, positive="all") -> None:
        super().__init__(alpha=alpha, positive=positive)


class CountryFit:
    """What :class:`SalaryRegressor` learned for one country."""

    __slots__ = ("features", "centre", "scale", "scores", "within_scale", "within_scores")

    def __init__(self, features, centre, scale, scores, within_scale, within_scores) -> None:
        self.features, self.centre, self.scale, self.scores = features, centre, scale, scores
        self.within_scale, self.within_scores = within_scale, within_scores

    def __getstate__(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    def __setstate__(self, state: dict) -> None:
        for name, value in state.items():
            setattr(self, name, value)


class SalaryRegressor(RegressorMixin, BaseEstimator):
    """Median, consensus spread and within-source spread of log salary.

    Parameters
    ----------
    n_knots : int, default=6
        Spline knots of each country's curve.
    alpha : float, default=1.0
        Ridge penalty of the centre and scale fits.
    cv : int, default=5
        Folds of the cross-conformal calibration: every training row is
        scored by centre and scale models fitted without its fold, so all
        rows serve as calibration scores; the final centre and scales use
        all rows.
    random_state : int, default=0
        Seed of the fold assignment (each country draws its own stream).
    knots : array-like of float, default=None
        Knot positions (years) of every curve, overriding ``n_knots``.
    degree : int, default=3
        Degree of the spline pieces (1: piecewise linear).

    Attributes
    ----------
    fits_ : dict of str to CountryFit
        Per country: features, centre ridge, consensus and within scale
        ridges, and their sorted out-of-fold scores.
    scores_ : dict of str to ndarray
        Sorted out-of-fold consensus scores per country.
    within_scores_ : dict of str to ndarray
        Sorted out-of-fold within-source scores per country.
    """

    def __init__(
        self, *, n_knots: int = 6, alpha: float = 1.0, cv: int = 5, random_state: int = 0, knots=None, degree: int = 3
    ) -> None:
        self.n_knots = n_knots
        self.alpha = alpha
        self.cv = cv
        self.random_state = random_state
        self.knots = knots
        self.degree = degree

    def _centre_ridge(self, features: SalaryFeatures) -> NonNegativeRidge:
        # Non-negative rises keep every median curve non-decreasing in years.
        return NonNegativeRidge(alpha=self.alpha, positive=features.positive_)

    def _fit_scale(self, design, centre, y: np.ndarray, features: SalaryFeatures) -> GramRidge:
        residual = y - centre.predict(design)
        # The country and employer offsets of the log scale take half the penalty of the
        # spline's: the penalty a +1/-1 pair of columns gives one free effect (the encoding
        # this scale was validated with against the posterior's percentiles).
        alpha = np.where(features.positive_, self.alpha, self.alpha / 2.0)
        return GramRidge(alpha=alpha).fit(design, np.log(np.abs(residual) + _RESIDUAL_FLOOR))

    def fit(self, X: pd.DataFrame, y: np.ndarray, y_within: np.ndarray | None = None) -> SalaryRegressor:
        """Fit each country's centre and scales, and calibrate scores out of fold.

        Parameters
        ----------
        X : DataFrame with columns country, company, years
        y : array-like of shape (n,)
            Log salary as the sources' consensus has it.
        y_within : array-like of shape (n,), default=None
            Log salary with each row's source offset removed (the spread
            within the market); None means ``y``.

        Returns
        -------
        self
        """
        if isinstance(self.cv, bool) or not isinstance(self.cv, (int, np.integer)) or self.cv < 2:
            raise ParameterError("cv", f"The 'cv' parameter of SalaryRegressor must be an int >= 2. Got {self.cv!r} instead.")
        y = np.asarray(y, dtype=float)
        y_within = y if y_within is None else np.asarray(y_within, dtype=float)
        if not (np.isfinite(y).all() and np.isfinite(y_within).all()) or y_within.shape != y.shape:
            raise ValueError("y and y_within (log salary) must be finite and of the same length.")
        X = X.reset_index(drop=True)
        country = X["country"].astype(str).to_numpy()
        self.fits_ = {}
        for code in np.unique(country):
            rows = np.flatnonzero(country == code)
            self.fits_[str(code)] = self._fit_country(X.iloc[rows].reset_index(drop=True), y[rows], y_within[rows], str(code))
        self.scores_ = {c: f.scores for c, f in self.fits_.items()}
        self.within_scores_ = {c: f.within_scores for c, f in self.fits_.items()}
        self.n_features_in_ = len(FEATURES)
        return self

    def _fit_country(self, X: pd.DataFrame, y: np.ndarray, y_within: np.ndarray, code: str) -> CountryFit:
        features = SalaryFeatures(n_knots=self.n_knots, degree=self.degree, knots=self.knots).fit(X)
        design = features.transform(X)
        folds = country_rng(self.random_state, code, purpose=1).permutation(len(y)) % self.cv
        centre_out, log_scale_out, log_within_out = np.empty(len(y)), np.empty(len(y)), np.empty(len(y))
        for fold in range(self.cv):
            inside, outside = folds != fold, folds == fold
            centre = self._centre_ridge(features).fit(design[inside], y[inside])
            centre_out[outside] = centre.predict(design[outside])
            log_scale_out[outside] = self._fit_scale(design[inside], centre, y[inside], features).predict(design[outside])
            log_within_out[outside] = self._fit_scale(design[inside], centre, y_within[inside], features).predict(design[outside])
        scores = np.sort(NormalisedResidualScore.score(y, centre_out, np.exp(log_scale_out)))
        within_scores = np.sort(NormalisedResidualScore.score(y_within, centre_out, np.exp(log_within_out)))
        centre = self._centre_ridge(features).fit(design, y)
        return CountryFit(
            features,
            centre,
            self._fit_scale(design, centre, y, features),
            scores,
            self._fit_scale(design, centre, y_within, features),
            within_scores,
        )

    def _by_country(self, X: pd.DataFrame) -> list[tuple[np.ndarray, CountryFit, np.ndarray]]:
        """(rows, fit, design) per country present in ``X``."""
        check_is_fitted(self)
        country = X["country"].astype(str).to_numpy()
        unknown = sorted(set(country) - set(self.fits_))
        if unknown:
            raise ValueError(f"Unknown country code(s) {unknown}; the model knows {sorted(self.fits_)}.")
        parts = []
        for code in np.unique(country):
            rows = np.flatnonzero(country == code)
            fit = self.fits_[str(code)]
            parts.append((rows, fit, fit.features.transform(X.iloc[rows])))
        return parts

    def centre_scale(self, X: pd.DataFrame, *, within: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Centre (log salary) and the consensus scale, or the within-source scale."""
        centre, scale = np.empty(len(X)), np.empty(len(X))
        for rows, fit, design in self._by_country(X):
            centre[rows] = fit.centre.predict(design)
            scale[rows] = np.exp((fit.within_scale if within else fit.scale).predict(design))
        return centre, scale

    def predict_interval(self, X: pd.DataFrame, confidence: float = 0.8) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Low, median and high log salary of the within-source spread alone
        (no median uncertainty), at ``confidence``."""
        confidence = check_confidence(confidence, "predict_interval")
        centre, scale = self.centre_scale(X, within=True)
        country = X["country"].astype(str).to_numpy()
        bounds = {c: conformal_bounds(self.within_scores_[c], confidence) for c in self.fits_}
        rows = np.array([bounds[c] for c in country]).reshape(len(X), 2)
        median = self.predict(X)
        low = np.minimum(NormalisedResidualScore.bound(centre, scale, rows[:, 0]), median)
        high = np.maximum(NormalisedResidualScore.bound(centre, scale, rows[:, 1]), median)
        return low, median, high

    def consensus_quantiles(self, X: pd.DataFrame, levels: np.ndarray) -> np.ndarray:
        """Log-salary quantiles of the consensus distribution, shape (rows, levels)."""
        centre, scale = self.centre_scale(X)
        by_country = {c: np.quantile(self.scores_[c], levels) for c in self.fits_}
        scores = np.array([by_country[c] for c in X["country"].astype(str)]).reshape(len(X), len(levels))
        return centre[:, None] + scale[:, None] * scores

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Median log salary of the consensus, non-decreasing in years.

        The centre never falls with years, but centre + median score x scale
        can dip where the scale grows; the median is therefore the running
        maximum over years of that curve, read on :data:`YEARS_GRID`.
        """
        country, company, years = _columns(X)
        out = np.empty(len(X))
        pairs = pd.DataFrame({"country": country, "company": company}).groupby(["country", "company"]).indices
        keys = list(pairs)
        # Every pair's grid in one frame: one feature transform per country.
        grid = pd.DataFrame(
            {
                "country": np.repeat([c for c, _ in keys], len(YEARS_GRID)),
                "company": np.repeat(np.array([k or None for _, k in keys], dtype=object), len(YEARS_GRID)),
                "years": np.tile(YEARS_GRID, len(keys)),
            }
        )
        centre, scale = self.centre_scale(grid)
        medians = np.array([np.median(self.scores_[c]) for c, _ in keys])[:, None]
        curves = np.maximum.accumulate(centre.reshape(len(keys), -1) + scale.reshape(len(keys), -1) * medians, axis=1)
        for curve, rows in zip(curves, pairs.values()):
            out[rows] = np.interp(years[rows], YEARS_GRID, curve)
        return out
