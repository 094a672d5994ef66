"""Synthetic training set that reproduces the reported figures.

Each usable figure becomes a sub-population of synthetic engineers in its
cell (country, company, years range). Salaries inside a figure's cell follow
a distribution fitted to that figure alone:

* quantiles and ranges fix points of the log-salary quantile function; it is
  piecewise linear in normal scores between them (a log-normal for two);
* a mean alone gets the log-normal whose mean it is, with the spread of the
  country's figures that do report one (:func:`dispersion_for`).

Figures that disagree about one cell are all kept: the cell holds their
mixture, so the spread between sources shows up in the model's band.

Inside a cell salary rises with years: a Gaussian copula ties each row's
salary rank to its years rank, with a strength set so the log-salary slope
matches the country's level curve (the line through its level figures).
Ranks are then mapped onto a stratified grid of quantiles, so the statistic
of each figure is reproduced by its own rows almost exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtri

from .figures import (
    PARTITION_LEVELS,
    exclusion_reasons,
    level_edges,
    levels_for_years,
    load_figures,
    load_levels,
    local_currencies,
    quantile_level,
)
from .normalise import MoneyBasis, normalise_figures

__all__ = ["CellDistribution", "TrainingPlan", "plan_training_set", "make_training_set"]

DEFAULT_ROWS = 40_000
# Slope bounds for the level curve, in log salary per year of experience:
# pay is assumed never to fall with experience, and no faster than 15%/year.
_SLOPE_BOUNDS = (0.0, 0.15)
# Used only when no country in the data reports two levels: a prior of 5%/year.
_PRIOR_SLOPE = 0.05
# Used only when no figure at all reports a spread (a range or two quantiles).
_PRIOR_SIGMA = 0.3
_MAX_RHO = 0.95
_Z75 = float(ndtri(0.75))  # normal score of the 75th percentile


@dataclass(frozen=True)
class CellDistribution:
    """Log-salary distribution of one figure's cell (reference-year USD).

    Attributes
    ----------
    figure_id : str
        The figure it reproduces.
    anchors_z, anchors_log : ndarray
        Points of the quantile function: normal score -> log salary.
    tail_slopes : tuple of float
        Slope (log salary per normal score) below the first and above the
        last anchor.
    mean_usd : float or None
        The mean the rows are scaled to, for a mean figure.
    """

    figure_id: str
    anchors_z: np.ndarray
    anchors_log: np.ndarray
    tail_slopes: tuple[float, float]
    mean_usd: float | None

    def log_quantile(self, z: np.ndarray) -> np.ndarray:
        """Log salary at normal scores ``z``."""
        inside = np.interp(z, self.anchors_z, self.anchors_log)
        below = self.anchors_log[0] + self.tail_slopes[0] * (z - self.anchors_z[0])
        above = self.anchors_log[-1] + self.tail_slopes[1] * (z - self.anchors_z[-1])
        return np.where(z < self.anchors_z[0], below, np.where(z > self.anchors_z[-1], above, inside))

    @property
    def sigma(self) -> float:
        """Spread as a log-normal sigma: the interquartile width over 1.349."""
        q = self.log_quantile(np.array([-_Z75, _Z75]))
        return float((q[1] - q[0]) / (2 * _Z75))

    @property
    def median_log(self) -> float:
        """Log salary at the median."""
        return float(self.log_quantile(np.array([0.0]))[0])


@dataclass
class TrainingPlan:
    """Everything the generator decided, kept for reports and provenance.

    Attributes
    ----------
    figures : pandas.DataFrame
        Normalised figures with ``excluded`` (reason, '' when used).
    basis : MoneyBasis
        Reference year and rates.
    levels : pandas.DataFrame
        The level/years mapping used.
    cells : dict of str to CellDistribution
        One per used figure id.
    slopes : dict of str to float
        Log-salary slope per year of experience, per country.
    slope_source : dict of str to str
        How each country's slope was obtained.
    """

    figures: pd.DataFrame
    basis: MoneyBasis
    levels: pd.DataFrame
    cells: dict[str, CellDistribution]
    slopes: dict[str, float]
    slope_source: dict[str, str]

    def used_figures(self) -> pd.DataFrame:
        """Rows of the figures that enter the model."""
        return self.figures[self.figures["excluded"] == ""]

    def sample_years(self, figure_id: str, n: int, rng: np.random.Generator) -> np.ndarray:
        """Draw years of experience for ``n`` engineers of a figure's cell."""
        row = self.figure(figure_id)
        return sample_years(row["level"], row["years_min"], row["years_max"], self.levels, n, rng)

    def figure(self, figure_id: str) -> dict:
        """The (first) row of a figure, as a dict."""
        if not hasattr(self, "_by_id"):
            self._by_id: dict[str, dict] = {}
            for record in self.figures.to_dict("records"):
                self._by_id.setdefault(record["id"], record)
        return self._by_id[figure_id]


def sample_years(level: str, years_min: float, years_max: float, levels: pd.DataFrame,
                 n: int, rng: np.random.Generator) -> np.ndarray:
    """Years of experience in a cell: uniform in its range; an 'all' cell
    mixes the partition levels by their ``share_of_all``."""
    if level != "all":
        return rng.uniform(years_min, years_max, n)
    shares = levels.loc[list(PARTITION_LEVELS), "share_of_all"].to_numpy(float)
    which = rng.choice(len(PARTITION_LEVELS), size=n, p=shares)
    low = levels.loc[list(PARTITION_LEVELS), "years_min"].to_numpy(float)[which]
    high = levels.loc[list(PARTITION_LEVELS), "years_max"].to_numpy(float)[which]
    return rng.uniform(low, high)


def years_variance(level: str, years_min: float, years_max: float, levels: pd.DataFrame) -> float:
    """Variance of the years drawn by :func:`sample_years` for a cell."""
    if level != "all":
        return (years_max - years_min) ** 2 / 12
    table = levels.loc[list(PARTITION_LEVELS)]
    share = table["share_of_all"].to_numpy(float)
    low, high = table["years_min"].to_numpy(float), table["years_max"].to_numpy(float)
    mean = float(np.sum(share * (low + high) / 2))
    second = float(np.sum(share * (low**2 + low * high + high**2) / 3))
    return second - mean**2


def _anchor_points(records: list[dict]) -> tuple[list[float], list[float], float | None]:
    """Quantile anchors (z, log value) and the mean of one figure's rows."""
    zs, logs, mean = [], [], None
    for row in records:
        if row["statistic"] == "range":
            tail = (1 - row["coverage"]) / 2
            zs += [float(ndtri(tail)), float(ndtri(1 - tail))]
            logs += [np.log(row["value_usd"]), np.log(row["value_high_usd"])]
        elif row["statistic"] == "mean":
            mean = float(row["value_usd"])
        else:
            zs.append(float(ndtri(quantile_level(row["statistic"]))))
            logs.append(float(np.log(row["value_usd"])))
    return zs, logs, mean


def _cell_from_anchors(figure_id: str, zs: list[float], logs: list[float]) -> CellDistribution:
    order = np.argsort(zs)
    z, lg = np.asarray(zs)[order], np.asarray(logs)[order]
    if np.any(np.diff(lg) <= 0) or np.any(np.diff(z) <= 0):
        raise ValueError(
            f"Figure {figure_id!r}: its quantiles/range must rise with the percentile. "
            f"Got values {np.exp(lg).round(0).tolist()} at normal scores {z.round(3).tolist()}."
        )
    return CellDistribution(figure_id, z, lg, (float((lg[1] - lg[0]) / (z[1] - z[0])),
                                                 float((lg[-1] - lg[-2]) / (z[-1] - z[-2]))), None)


def dispersion_for(country: str, spreads: dict[str, list[float]]) -> float:
    """Log-normal sigma for a figure that reports no spread: the median
    sigma of the same country's figures that do, else of all such figures."""
    if spreads.get(country):
        return float(np.median(spreads[country]))
    pooled = [s for values in spreads.values() for s in values]
    return float(np.median(pooled)) if pooled else _PRIOR_SIGMA


def _level_slopes(figures: pd.DataFrame, cells: dict[str, CellDistribution],
                  spreads: dict[str, list[float]]) -> tuple[dict[str, float], dict[str, str]]:
    """Log-salary slope per year per country, from its level-specific figures."""
    slopes, source = {}, {}
    for country, group in figures.groupby("country"):
        points = []
        for figure_id, rows in group[(group["level"] != "all") & group["company"].isna()].groupby("id"):
            row = rows.iloc[0]
            centre = (row["years_min"] + row["years_max"]) / 2
            if figure_id in cells:
                points.append((centre, cells[figure_id].median_log))
            else:  # a mean: median of the log-normal with the country's spread
                sigma = dispersion_for(country, spreads)
                points.append((centre, np.log(rows["value_usd"].iloc[0]) - sigma**2 / 2))
        centres = np.array([p[0] for p in points])
        if len(points) >= 2 and np.ptp(centres) > 0:
            slope = float(np.polyfit(centres, [p[1] for p in points], 1)[0])
            slopes[country] = float(np.clip(slope, *_SLOPE_BOUNDS))
            source[country] = f"fitted through {len(points)} level figures"
    fitted = list(slopes.values())
    for country in figures["country"].dropna().unique():
        if country not in slopes:
            slopes[country] = float(np.median(fitted)) if fitted else _PRIOR_SLOPE
            source[country] = ("median of the other countries' slopes (no level figures)"
                               if fitted else "prior of 5%/year (no country reports two levels)")
    return slopes, source


def plan_training_set(
    figures: pd.DataFrame | str | Path | None = None,
    *,
    reference_year: int | None = None,
    basis: MoneyBasis | None = None,
) -> TrainingPlan:
    """Decide the distribution behind every usable figure.

    Parameters
    ----------
    figures : DataFrame, str or Path, default=None
        Figures (from :func:`load_figures`) or a path to a figures file; the
        shipped figures when None.
    reference_year : int, default=None
        Year whose money the plan is in; the latest year in the figures.
    basis : MoneyBasis, default=None
        Reuse rates already computed (skips reading the ECB table).

    Returns
    -------
    TrainingPlan
    """
    if figures is None or isinstance(figures, (str, Path)):
        figures = load_figures(figures)
    if basis is not None:
        normalised, basis = normalise_figures(figures, reference_year=basis.reference_year,
                                              per_usd=basis.per_usd)
    else:
        normalised, basis = normalise_figures(figures, reference_year=reference_year)
    normalised["excluded"] = exclusion_reasons(normalised)
    used = normalised[normalised["excluded"] == ""]
    if used.empty:
        raise ValueError("No usable figure: every figure is total pay or names no country.")

    cells: dict[str, CellDistribution] = {}
    means: dict[str, float] = {}
    spreads: dict[str, list[float]] = {}
    by_id: dict[str, list[dict]] = {}
    for record in used.to_dict("records"):
        by_id.setdefault(record["id"], []).append(record)
    for figure_id, records in by_id.items():
        zs, logs, mean = _anchor_points(records)
        if len(zs) >= 2:
            if mean is not None:
                raise ValueError(f"Figure {figure_id!r} gives both a mean and quantiles; "
                                 "give them separate ids.")
            cells[figure_id] = _cell_from_anchors(figure_id, zs, logs)
            spreads.setdefault(records[0]["country"], []).append(cells[figure_id].sigma)
        elif mean is not None and not zs:
            means[figure_id] = mean
        else:
            means[figure_id] = np.nan  # a single quantile: spread borrowed below
    slopes, slope_source = _level_slopes(used, cells, spreads)
    levels = load_levels()
    for figure_id, mean in means.items():
        row = by_id[figure_id][0]
        within = dispersion_for(row["country"], spreads)
        years_sd = np.sqrt(years_variance(row["level"], row["years_min"], row["years_max"], levels))
        # Between-years spread adds to the within-level spread of the country.
        sigma = float(np.hypot(within, slopes[row["country"]] * years_sd))
        if np.isnan(mean):
            q = quantile_level(row["statistic"])
            z0, centre = float(ndtri(q)), float(np.log(row["value_usd"]))
            mean_usd = None
        else:
            z0, centre, mean_usd = 0.0, float(np.log(mean) - sigma**2 / 2), mean
        cells[figure_id] = CellDistribution(
            figure_id, np.array([z0 - 1.0, z0 + 1.0]), np.array([centre - sigma, centre + sigma]),
            (sigma, sigma), mean_usd)
    return TrainingPlan(normalised, basis, levels, cells, slopes, slope_source)


def _copula_rho(years: np.ndarray, years_scores: np.ndarray, slope: float, sigma: float) -> float:
    """Copula strength giving a log-salary-on-years slope of ``slope``."""
    cov = float(np.cov(years, years_scores)[0, 1])
    if cov <= 0 or sigma <= 0:
        return 0.0
    return float(np.clip(slope * years.var() / (sigma * cov), 0.0, _MAX_RHO))


def _draw_cell(plan: TrainingPlan, figure_id: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Years and USD salaries for ``n`` engineers of one figure's cell."""
    cell = plan.cells[figure_id]
    country = plan.figure(figure_id)["country"]
    years = plan.sample_years(figure_id, n, rng)
    years_scores = ndtri((np.argsort(np.argsort(years)) + 0.5) / n)
    rho = _copula_rho(years, years_scores, plan.slopes[country], cell.sigma)
    latent = rho * years_scores + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    # Stratified normal scores, handed out in the order of the latent ranks:
    # the cell's marginal is then the figure's distribution to grid precision.
    grid = ndtri((np.arange(n) + 0.5) / n)
    scores = np.empty(n)
    scores[np.argsort(latent)] = grid
    salary = np.exp(cell.log_quantile(scores))
    if cell.mean_usd is not None:
        salary *= cell.mean_usd / salary.mean()
    return years, salary


def make_training_set(
    figures: pd.DataFrame | str | Path | None = None,
    *,
    n_rows: int = DEFAULT_ROWS,
    seed: int = 0,
    plan: TrainingPlan | None = None,
) -> pd.DataFrame:
    """Synthetic engineers whose statistics reproduce the reported figures.

    Parameters
    ----------
    figures : DataFrame, str or Path, default=None
        Figures or a figures file; the shipped figures when None.
    n_rows : int, default=40000
        Total rows, shared equally among the used figures.
    seed : int, default=0
        Seed of every random draw: the same seed gives the same set.
    plan : TrainingPlan, default=None
        A plan from :func:`plan_training_set` (then ``figures`` is ignored).

    Returns
    -------
    pandas.DataFrame
        Columns ``country`` (ISO alpha-2), ``company`` (None for the market),
        ``years``, ``level`` (from years), ``salary_usd`` (reference-year
        USD), ``salary_local``, ``currency``, ``figure_id`` and
        ``figure_level`` (the level of the figure the row stems from).

    Examples
    --------
    >>> rows = make_training_set(n_rows=3000, seed=1)
    >>> sorted(rows["country"].unique())
    ['DE', 'IN', 'US']
    """
    if not isinstance(n_rows, (int, np.integer)) or n_rows < 100:
        raise ValueError(f"The 'n_rows' parameter of make_training_set must be an int >= 100. Got {n_rows!r} instead.")
    plan = plan or plan_training_set(figures)
    used = plan.used_figures().drop_duplicates("id").to_dict("records")
    per_figure = max(int(n_rows) // len(used), 50)
    rng = np.random.default_rng(seed)
    local_currency = local_currencies(plan.figures)
    years, salary = zip(*(_draw_cell(plan, row["id"], per_figure, rng) for row in used))

    def repeat(key: str) -> np.ndarray:
        values = np.empty(len(used), dtype=object)
        values[:] = [row[key] if isinstance(row[key], str) else None for row in used]
        return np.repeat(values, per_figure)

    rows = pd.DataFrame({"country": repeat("country"), "company": pd.Series(repeat("company"), dtype=object),
                         "years": np.concatenate(years), "salary_usd": np.concatenate(salary),
                         "figure_id": repeat("id"), "figure_level": repeat("level")})
    rows.insert(3, "level", levels_for_years(rows["years"].to_numpy(), level_edges(plan.levels)))
    rows["currency"] = rows["country"].map(local_currency)
    rows["salary_local"] = rows["salary_usd"] * rows["currency"].map(plan.basis.per_usd)
    return rows[["country", "company", "years", "level", "salary_usd", "salary_local",
                 "currency", "figure_id", "figure_level"]]
