"""Spline features and ridge solvers of the evaluation's regression baselines.

:class:`SalaryFeatures` is a sparse design of country and company
indicators plus per-country monotone splines of years; :class:`GramRidge`
and :class:`NonNegativeRidge` solve ridge regressions on it, with chosen
coefficients held non-negative so a fitted curve never falls with years.
:mod:`.candidates` fits them beside the served model; training never does.
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

__all__ = ["SalaryFeatures", "GramRidge", "NonNegativeRidge", "FEATURES"]

FEATURES = ["country", "company", "years"]


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
