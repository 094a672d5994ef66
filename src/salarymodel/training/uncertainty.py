"""The median's uncertainty: how well the sources pin down a market's median.

This is part (b) of every band (part (a) is the spread of salaries within
the market, :mod:`salarymodel.training.estimator`). In log salary, for a
country ``c`` at ``y`` years of experience:

* **inside the data**: ``var_b(y) = tau_c**2 / n_c(y)``, where ``tau_c`` is
  the between-source spread (:mod:`salarymodel.training.effects`) and
  ``n_c(y)`` the number of independent source units behind the market at
  ``y``: the units of the level-specific figures covering ``y`` (or, where
  none does, the nearest ones the curve borrows from) and of every
  all-levels figure. More sources, a better-known median.
* **past the last year the country's figures cover** (``Y_c``): the median
  is held at its value there. Pay never falls with experience (the model's
  assumption), so an engineer past the data earns at least what one at
  ``Y_c`` does in distribution: the downside stays ``var_b(Y_c)``. Only the
  upside grows, by ``tau_c**2`` per :data:`GROWTH_YEARS` years of distance,
  at most one ``tau_c**2`` (as unsure as one more source's level).
* **a known employer** adds the posterior variance of its partially pooled
  effect (``k * noise``, :class:`~salarymodel.training.effects.SourceEffects`).

Each country's variance uses only its own figures and its ``tau_c`` (which a
one-source country borrows from the pooled estimate, a stated assumption).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .effects import source_units
from .provenance import covering_matrix

__all__ = ["GROWTH_YEARS", "sources_behind", "median_variance"]

# Years past the data over which the median's upside grows by one tau**2.
GROWTH_YEARS = 10.0


def sources_behind(figures: pd.DataFrame, country: str, grid: np.ndarray) -> tuple[np.ndarray, float]:
    """Independent source units behind a country's market at each grid point,
    and the last year its figures cover.

    Parameters
    ----------
    figures : pandas.DataFrame
        Used figures (one row per id is enough), with ``source_detail`` and ``group``.
    country : str
    grid : ndarray
        Years.

    Returns
    -------
    (ndarray of int, float)
    """
    first = figures.drop_duplicates("id")
    units = source_units(first)
    market = first[(first["country"] == country) & first["company"].isna()]
    if market.empty:
        return np.ones(len(grid), dtype=int), float(np.inf)
    last = float(market["years_max"].max())
    all_units = set(units[market.index[market["level"] == "all"]])
    specific = market[market["level"] != "all"]
    counts = np.empty(len(grid), dtype=int)
    if specific.empty:
        counts[:] = max(len(all_units), 1)
        return counts, last
    specific_units = units[specific.index].to_numpy()
    covers = covering_matrix(specific, grid, last)
    low = specific["years_min"].to_numpy(float)
    high = specific["years_max"].to_numpy(float)
    distance = np.maximum(low[None, :] - grid[:, None], 0) + np.maximum(grid[:, None] - high[None, :], 0)
    for g in range(len(grid)):
        chosen = covers[g] if covers[g].any() else distance[g] == distance[g].min()
        counts[g] = len(set(specific_units[chosen]) | all_units)
    return counts, last


def median_variance(plan, cells: list[tuple[str, str | None]], grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Downside and upside variance (log) of the median, per cell and grid point.

    Parameters
    ----------
    plan : TrainingPlan
    cells : list of (country, company or None)
    grid : ndarray
        Years.

    Returns
    -------
    (ndarray, ndarray)
        ``var_low`` and ``var_high`` of shape (len(cells), len(grid)); equal
        inside the data.
    """
    used = plan.used_figures()
    effects = plan.effects
    var_low = np.empty((len(cells), len(grid)))
    var_high = np.empty_like(var_low)
    per_country: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for country in {c for c, _ in cells}:
        counts, last = sources_behind(used, country, grid)
        tau2 = effects.tau_source[country] ** 2
        inside = tau2 / counts
        edge = inside[np.searchsorted(grid, min(last, grid[-1]), side="right") - 1]
        beyond = grid > last
        low = np.where(beyond, edge, inside)
        growth = tau2 * np.minimum((grid - last) / GROWTH_YEARS, 1.0)
        high = np.where(beyond, edge + growth, inside)
        per_country[country] = (low, high)
    for k, (country, company) in enumerate(cells):
        extra = 0.0
        if company is not None:
            extra = effects.employer_effects.get((country, company), {}).get("posterior_variance", 0.0)
        var_low[k] = per_country[country][0] + extra
        var_high[k] = per_country[country][1] + extra
    return var_low, var_high
