"""Synthetic engineers drawn from the measurement model's posterior predictive.

Each row is one engineer of a cell (country, and an employer or the
market): a posterior draw ``j`` of the market (its median curve ``m_j``
with the shared site bias, the employer's effect, the spread ``s_j``), a
years of experience, and one base pay from that draw,

    log pay = m_j(years) + s_j(years) * eps,      eps ~ Normal(0, 1).

So the rows hold every uncertainty the posterior has, once: the spread of
pay among engineers, and what the figures leave unknown about the market.
Each row also carries the same engineer around the posterior mean of the
median (``within_salary_usd``: ``mean_j m_j(years) + s_j(years) * eps``),
the spread of pay alone, from which the regression learns the within-market
scale; the median's own uncertainty is read off the posterior when the model
is compiled (:mod:`salarymodel.training.compile`).

Years are drawn densest early in a career (half the rows in the first 12
years), where pay changes fastest, and reach :data:`~salarymodel.data.levels.MAX_YEARS`,
so the fitted curve follows the posterior on the whole served grid. Each
country draws from its own random stream (:mod:`salarymodel.training._seeds`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..data.figures import level_edges
from ..data.levels import MAX_YEARS, levels_for_years
from ..data.training_data import TrainingData
from ._seeds import country_rng
from .compile import model_cells
from .estimator import SalaryRegressor
from .measurement import KNOTS
from .posterior import Posterior

__all__ = ["DEFAULT_ROWS_PER_COUNTRY", "COLUMNS", "REGRESSOR_KNOTS", "draw_engineers", "draw_years", "engineer_regressor"]

# Synthetic engineers per country: a fixed budget each, so one country's figures
# never change how many rows (or which draws) another country gets.
DEFAULT_ROWS_PER_COUNTRY = 15_000
COLUMNS = [
    "country",
    "company",
    "years",
    "level",
    "salary_usd",
    "salary_local",
    "currency",
    "figure_id",
    "figure_level",
    "within_salary_usd",
    "engineer_salary_usd",
]
# Years u * u * MAX_YEARS for u uniform: density falls as 1/sqrt(years), half the
# rows below MAX_YEARS / 4 (12.5 years).
_YEARS_POWER = 2.0
# Rows that share one set of stratified normal scores (neighbours in years).
_BLOCK = 40


def draw_years(n: int, rng: np.random.Generator) -> np.ndarray:
    """Years of experience of ``n`` synthetic engineers, ascending and stratified:
    one in each of ``n`` equal-probability slices, densest early in a career."""
    return MAX_YEARS * ((np.arange(n) + rng.uniform(0.0, 1.0, n)) / n) ** _YEARS_POWER


def stratified_scores(n: int, rng: np.random.Generator) -> np.ndarray:
    """Normal scores for ``n`` rows in years order: each run of :data:`_BLOCK`
    rows gets its own shuffle of stratified scores, so pay at every stage of a
    career spreads exactly as the posterior says, not as one sample happens to."""
    scores = np.empty(n)
    for start in range(0, n, _BLOCK):
        size = min(_BLOCK, n - start)
        scores[start : start + size] = rng.permutation(ndtri((np.arange(size) + 0.5) / size))
    return scores


def draw_engineers(data: TrainingData, posterior: Posterior, *, rows_per_country: int, seed: int) -> pd.DataFrame:
    """The synthetic training set: ``rows_per_country`` engineers per country.

    Parameters
    ----------
    data : TrainingData
        For the money basis, the levels and the local currencies.
    posterior : Posterior
        The measurement model's draws.
    rows_per_country : int
        Rows of each country, shared equally among its cells (the market and
        each employer; the market gets the remainder).
    seed : int
        Seed of the draws; each country draws from its own stream of it.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`. ``salary_usd`` and ``engineer_salary_usd``
        are the engineer's pay (reference-year USD); ``within_salary_usd``
        the same engineer around the posterior mean median; ``figure_id`` is
        ``"posterior"`` and ``figure_level`` the row's own level (rows stem
        from the whole posterior, not one figure).
    """
    cells = model_cells(list(posterior.data.countries), data, posterior.data.employers)
    local_currency = data.local_currencies()
    parts = []
    for country in posterior.data.countries:
        rng = country_rng(seed, country, purpose=7)
        mine = [cell for cell in cells if cell[0] == country]
        sizes = np.full(len(mine), rows_per_country // len(mine))
        sizes[0] += rows_per_country - sizes.sum()
        for (cell_country, company), size in zip(mine, sizes):
            years = draw_years(int(size), rng)
            draw = rng.permutation(np.resize(rng.permutation(posterior.size), int(size)))
            eps = posterior.spread_draws(cell_country, company, years, draw) * stratified_scores(int(size), rng)
            engineer = posterior.median_draws(cell_country, company, years, draw) + eps
            within = posterior.mean_median(cell_country, company, years) + eps
            parts.append(
                pd.DataFrame(
                    {
                        "country": country,
                        "company": pd.Series([company] * int(size), dtype=object),
                        "years": years,
                        "salary_usd": np.exp(engineer),
                        "within_salary_usd": np.exp(within),
                    }
                )
            )
    frame = pd.concat(parts, ignore_index=True)
    frame["level"] = levels_for_years(frame["years"].to_numpy(), level_edges(data.levels))
    frame["figure_id"] = "posterior"
    frame["figure_level"] = frame["level"]
    frame["currency"] = frame["country"].map(local_currency)
    frame["salary_local"] = frame["salary_usd"] * frame["currency"].map(data.basis.per_usd)
    frame["engineer_salary_usd"] = frame["salary_usd"]
    return frame[COLUMNS]


# The regression that compiles the engineers follows the posterior's curves: piecewise
# linear, bending at the measurement model's knots, flat past the last one.
REGRESSOR_KNOTS = (*KNOTS.tolist(), float(MAX_YEARS))


def engineer_regressor(seed: int):
    """The scikit-learn regression fitted to the posterior's engineers (seeded folds)."""
    return SalaryRegressor(random_state=seed, knots=list(REGRESSOR_KNOTS), degree=1)
