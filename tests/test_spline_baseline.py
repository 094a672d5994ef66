"""The regression behind the serving tables: a sparse design whose size grows
with the rows (not rows times employers) and a ridge solved on its Gram matrix
that agrees with scikit-learn's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import lsq_linear
from sklearn.linear_model import Ridge

from salarymodel.evidence.spline_baseline import GramRidge, NonNegativeRidge, SalaryFeatures


def _frame(n_rows: int, n_companies: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    companies = np.array([None] + [f"Employer {i}" for i in range(n_companies)], dtype=object)
    return pd.DataFrame(
        {
            "country": rng.choice(["US", "DE", "IN"], n_rows),
            "company": rng.choice(companies, n_rows),
            "years": rng.uniform(0, 20, n_rows),
        }
    )


def test_the_design_is_sparse_with_a_bounded_number_of_entries_per_row():
    frame = _frame(5_000, 400)
    features = SalaryFeatures().fit(frame)
    design = features.transform(frame)
    assert sparse.issparse(design)
    n_rises = features.spline_.n_features_out_ - 1
    per_row = np.diff(design.indptr)
    # One country indicator, that country's rises, at most one employer indicator.
    assert per_row.max() <= 1 + n_rises + 1
    assert design.shape[1] == len(features.positive_) == len(features.countries_) * (1 + n_rises) + len(features.companies_)
    named = frame["company"].notna().to_numpy()
    employer_block = design[:, len(features.countries_) * (1 + n_rises) :]
    np.testing.assert_array_equal(np.asarray(employer_block.sum(axis=1)).ravel(), named.astype(float))


def _problem(seed: int = 1):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 12))
    y = X @ rng.normal(size=12) + rng.normal(scale=0.3, size=300)
    return X, y


def test_gram_ridge_without_constraints_is_scikit_learns_ridge():
    X, y = _problem()
    ours = GramRidge(alpha=2.0).fit(sparse.csr_matrix(X), y)
    theirs = Ridge(alpha=2.0).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-10)
    assert ours.intercept_ == pytest.approx(theirs.intercept_, abs=1e-10)


def _bounded_least_squares(X, y, alpha, mask):
    # The same problem as bounded least squares on the centred, penalty-augmented system.
    p = X.shape[1]
    centred, target = X - X.mean(axis=0), y - y.mean()
    augmented = np.vstack([centred, np.sqrt(alpha) * np.eye(p)])
    lower = np.where(mask, 0.0, -np.inf)
    return lsq_linear(augmented, np.concatenate([target, np.zeros(p)]), bounds=(lower, np.inf), tol=1e-12).x


def _objective(X, y, alpha, coef):
    centred, target = X - X.mean(axis=0), y - y.mean()
    return float(np.sum((target - centred @ coef) ** 2) + alpha * coef @ coef)


def test_non_negative_ridge_solves_scikit_learns_positive_ridge_exactly():
    X, y = _problem()
    ours = NonNegativeRidge(alpha=2.0).fit(X, y)
    assert (ours.coef_ >= 0).all() and (ours.coef_ == 0).any()
    np.testing.assert_allclose(ours.coef_, _bounded_least_squares(X, y, 2.0, np.ones(12, bool)), atol=1e-7)
    # Ridge(positive=True) stops at its solver's tolerance: never a lower objective.
    theirs = Ridge(alpha=2.0, positive=True).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-3)
    assert _objective(X, y, 2.0, ours.coef_) <= _objective(X, y, 2.0, theirs.coef_) + 1e-9


def test_a_mask_holds_only_its_columns_non_negative():
    X, y = _problem()
    mask = np.arange(12) % 2 == 0
    ours = GramRidge(alpha=2.0, positive=mask).fit(X, y)
    np.testing.assert_allclose(ours.coef_, _bounded_least_squares(X, y, 2.0, mask), atol=1e-7)
    assert (ours.coef_[mask] >= 0).all() and (ours.coef_[~mask] < 0).any()


def test_a_mask_of_the_wrong_length_is_refused():
    X, y = _problem()
    with pytest.raises(ValueError, match="mask has 3 entries; X has 12 columns"):
        GramRidge(positive=[True, False, True]).fit(X, y)
