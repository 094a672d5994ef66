"""Which reported figures stand behind an estimate, and how well.

For every (country, company) cell of a model and every point of its years
grid, :func:`provenance_tables` records the ids of the figures that inform
the estimate and a support grade. The rule, applied at the grid point at or
below the requested years (0.05-year steps):

* A market figure *covers* ``years`` when ``years_min <= years < years_max``
  of its cell (half-open, like the levels, so a level edge is not a 0.05-year
  sliver covered by two levels; the country's last year is included); "all
  levels" figures inform every estimate of their country but cover no level
  in particular.
* ``extrapolated``: the years lie outside every market figure of the
  country (e.g. Germany past 12 years), so the curve is carried flat.
* Otherwise by the number of level-specific market figures covering the
  years: ``strong`` for two or more, ``moderate`` for one, ``thin`` for none
  (only all-levels figures, e.g. every Indian figure).
* A known employer grades its own figures the same way (an employer known
  only from an all-levels figure is ``thin``), and the estimate takes the
  weaker of the market's and the employer's grade.

Sources list the covering figures (or, when none covers the years, the
nearest level-specific ones the curve borrows from), then the country's
all-levels figures, then the employer's figures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SUPPORT_GRADES", "provenance_tables", "covering_matrix"]

from ..serving.estimate import SUPPORT_GRADES  # noqa: E402  (one vocabulary for serving and provenance)

_STRONG, _MODERATE, _THIN, _EXTRAPOLATED = range(4)


def _grade(covering: np.ndarray) -> np.ndarray:
    return np.where(covering >= 2, _STRONG, np.where(covering == 1, _MODERATE, _THIN))


def covering_matrix(frame: pd.DataFrame, grid: np.ndarray, last: float) -> np.ndarray:
    """Boolean matrix (grid points x figures): which figure covers which years."""
    low = frame["years_min"].to_numpy(float)
    high = frame["years_max"].to_numpy(float)
    below = (grid[:, None] < high[None, :]) | ((high[None, :] >= last) & (grid[:, None] <= high[None, :]))
    return (grid[:, None] >= low[None, :]) & below


def provenance_tables(
    figures: pd.DataFrame, cells: list[tuple[str, str | None]], grid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    """Support grade and source list for every cell and grid point.

    Parameters
    ----------
    figures : pandas.DataFrame
        The used figures (one row per id is enough).
    cells : list of (country, company or None)
    grid : ndarray
        Years grid.

    Returns
    -------
    support : ndarray of int8, shape (len(cells), len(grid))
        Index into :data:`SUPPORT_GRADES`.
    source_index : ndarray of int32, same shape
        Index into ``source_lists``.
    source_lists : list of tuple of str
    """
    figures = figures.drop_duplicates("id")
    support = np.empty((len(cells), len(grid)), dtype=np.int8)
    source_index = np.empty((len(cells), len(grid)), dtype=np.int32)
    lists: dict[tuple[str, ...], int] = {}
    markets: dict[str, tuple] = {}
    for k, (country, company) in enumerate(cells):
        if country not in markets:
            markets[country] = _market_sources(figures, country, grid)
        grade, last, nearest, near_index, all_levels = markets[country]
        grade = grade.copy()
        own: tuple[str, ...] = ()
        if company is not None:
            mine = figures[(figures["country"] == country) & (figures["company"] == company)]
            own = tuple(mine["id"])
            own_covers = covering_matrix(mine[mine["level"] != "all"], grid, last)
            grade = np.maximum(grade, _grade(own_covers.sum(axis=1)))
        support[k] = grade
        # A country's cells share its market's few distinct lists of nearest figures;
        # each cell adds its own figures to each of them once.
        combined = np.array([lists.setdefault(near + all_levels + own, len(lists)) for near in nearest], dtype=np.int32)
        source_index[k] = combined[near_index]
    return support, source_index, list(lists)


def _market_sources(figures: pd.DataFrame, country: str, grid: np.ndarray):
    """A country's market support grade per grid point, its last year, the
    distinct tuples of level figures nearest each grid point (with an index
    per point into them) and its all-levels figures."""
    market = figures[(figures["country"] == country) & figures["company"].isna()]
    specific = market[market["level"] != "all"]
    all_levels = tuple(market.loc[market["level"] == "all", "id"])
    last = float(market["years_max"].max()) if len(market) else np.inf
    covers = covering_matrix(specific, grid, last)
    grade = _grade(covers.sum(axis=1))
    outside = (grid < market["years_min"].min()) | (grid > market["years_max"].max())
    grade[outside] = _EXTRAPOLATED
    # Distance from each grid point to each specific figure's years, for borrowing.
    distance = np.maximum(specific["years_min"].to_numpy(float)[None, :] - grid[:, None], 0) + np.maximum(
        grid[:, None] - specific["years_max"].to_numpy(float)[None, :], 0
    )
    ids = specific["id"].to_numpy()
    distinct: dict[tuple[str, ...], int] = {}
    near_index = np.empty(len(grid), dtype=np.int64)
    for g in range(len(grid)):
        if covers.shape[1] and covers[g].any():
            near = tuple(ids[covers[g]])
        elif distance.shape[1]:
            near = tuple(ids[distance[g] == distance[g].min()])
        else:
            near = ()
        near_index[g] = distinct.setdefault(near, len(distinct))
    return grade, last, list(distinct), near_index, all_levels
