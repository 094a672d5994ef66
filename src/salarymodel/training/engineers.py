"""Synthetic engineers drawn from the measurement model's posterior predictive.

Each engineer belongs to one served row (a country's market, an employer,
or a population's view of either): a posterior draw ``j`` of its median
curve ``m_j`` (the market's, with the shared site bias or the population's
offset, and the employer's effect) and its spread ``s_j`` (a population's
own: its factor of the market's), a years of
experience, and one base pay from that draw,

    log pay = m_j(years) + s_j(years) * eps,      eps ~ Normal(0, 1).

So the engineers hold every uncertainty the posterior has, once: the spread
of pay among engineers, and what the figures leave unknown about the market.

:func:`row_engineers` is the training set the regression
(:mod:`.quantile_curves`) learns a row's quantile curves from: at every point
of :data:`~salarymodel.serving.grid.QUANTILE_YEARS`, every posterior draw
gives :data:`ENGINEERS_PER_DRAW` engineers with stratified normal scores, so
their quantiles follow the posterior predictive closely. :func:`draw_engineers`
draws a sample of the same engineers at any years (densest early in a career),
``rows_per_country`` per country: the copy written beside a model, and the
held-out engineers the evidence scores the served bands on. Each country
draws from its own random stream (:mod:`salarymodel.training._seeds`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..data.figures import level_edges
from ..data.levels import MAX_YEARS, levels_for_years
from ..data.training_data import TrainingData
from ..serving.grid import QUANTILE_YEARS
from ._seeds import country_rng
from .cells import model_cells
from .posterior import Posterior

__all__ = ["DEFAULT_ROWS_PER_COUNTRY", "COLUMNS", "ENGINEERS_PER_DRAW", "draw_engineers", "draw_years", "row_engineers"]

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
    "engineer_salary_usd",
]
# Engineers each posterior draw gives at each years point of a row's training set (one
# per stratum of the normal scores): 4 keep the served percentiles within 2% of the
# posterior predictive's (p5 and p95 within 4%).
ENGINEERS_PER_DRAW = 4
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
        are the engineer's pay (reference-year USD); ``figure_id`` is
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
            parts.append(
                pd.DataFrame(
                    {
                        "country": country,
                        "company": pd.Series([company] * int(size), dtype=object),
                        "years": years,
                        "salary_usd": np.exp(engineer),
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


def row_engineers(
    posterior: Posterior, country: str, company: str | None, unit: int | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """One served row's training set: years and log pay (reference-year USD) of
    :data:`ENGINEERS_PER_DRAW` engineers per posterior draw at every point of
    :data:`~salarymodel.serving.grid.QUANTILE_YEARS`.

    Parameters
    ----------
    posterior : Posterior
    country, company : str, str or None
        The row's cell (``company`` None for the market).
    unit : int or None
        The population whose view of the cell the row answers for (an index
        into ``posterior.data.units``); None for the sites' consensus.
    rng : numpy.random.Generator
        The country's stream.

    Returns
    -------
    (years, log_pay) : ndarray, ndarray
        Each of length draws x points x :data:`ENGINEERS_PER_DRAW`.
    """
    median, spread = posterior.row_draws(country, company, QUANTILE_YEARS, unit)
    # One score in each equal-probability stratum per draw and point.
    strata = (np.arange(ENGINEERS_PER_DRAW) + rng.uniform(size=(*median.shape, ENGINEERS_PER_DRAW))) / ENGINEERS_PER_DRAW
    pay = median[:, :, None] + spread[:, :, None] * ndtri(strata)
    years = np.broadcast_to(QUANTILE_YEARS[None, :, None], pay.shape)
    return years.ravel(), pay.ravel()
