"""Synthetic training set that reproduces the reported figures.

Each usable figure becomes a sub-population of synthetic engineers in its
cell (country, company, years range). Salaries inside a figure's cell follow
a distribution fitted to that figure alone:

* quantiles and ranges fix points of the log-salary quantile function; it is
  piecewise linear in normal scores between them (a log-normal for two);
* a mean alone gets the log-normal whose mean it is, with the spread of the
  country's market (or employer) figures that do report one; a market known
  only within employers is a mixture over the employer effects
  (:mod:`salarymodel.training.effects`);
* an employer's figure is moved toward its market by partial pooling.

Figures that disagree about one cell are all kept: the cell holds their
mixture, and rows are shared by source weight, not by figure.

Inside a cell salary follows the country's experience curve: a Gaussian
copula ties each row's salary rank to its rank on the curve, with a strength
set so log salary rises one-for-one with the curve (flat where it is flat).
Ranks are then mapped onto a stratified grid of quantiles, so the statistic
of each figure is reproduced by its own rows almost exactly.

Each row also carries the same engineer as the band describes them
(:mod:`salarymodel.training.predictive`): ``within_salary_usd``, the salary
with its source's offset from the market removed (the spread of salaries as
one source reports it), and ``engineer_salary_usd``, that salary around a
market median drawn from its uncertainty (:mod:`salarymodel.training.uncertainty`).
Every country draws from its own random stream (:mod:`salarymodel.training._seeds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from ..data.aging import load_wage_index
from ..data.figures import exclusion_reasons, level_edges, load_figures, load_levels, local_currencies, quantile_level
from ..data.levels import PARTITION_LEVELS, levels_for_years
from ..data.names import fold_company_names, load_company_aliases
from ..data.normalise import MoneyBasis, load_cpi, normalise_figures
from ..data.tables import TablePaths
from ..errors import ParameterError
from ._seeds import country_rng
from .effects import ExperienceCurve, SourceEffects, estimate_effects, fit_curves, source_units, source_weights
from .uncertainty import median_variance

__all__ = ["CellDistribution", "TrainingPlan", "plan_training_set", "make_training_set", "reported_distribution"]

# Synthetic rows per country: a fixed budget each, so adding one country's
# figures never changes how many rows (or which draws) another country gets.
DEFAULT_ROWS_PER_COUNTRY = 15_000
# Used only when no figure at all reports a spread (a range or two quantiles).
_PRIOR_SIGMA = 0.3
_MAX_RHO = 0.95
_Z75 = float(ndtri(0.75))  # normal score of the 75th percentile
_STRATIFIED_Z = ndtri((np.arange(2000) + 0.5) / 2000)
# Each figure gets at least this many rows, however small its weight, while
# the country's budget allows it for every figure.
_MIN_ROWS = 50


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
        One per used figure id (employer cells after partial pooling).
    curves : dict of str to ExperienceCurve
        Shape of log salary over years, per country.
    effects : SourceEffects
        Between-source and employer spreads, employer shrinkage.
    weights : dict of str to float
        Source weight of each used figure id (1 / figures in its source unit).
    """

    figures: pd.DataFrame
    basis: MoneyBasis
    levels: pd.DataFrame
    cells: dict[str, CellDistribution]
    curves: dict[str, ExperienceCurve]
    effects: SourceEffects
    weights: dict[str, float]
    tables: TablePaths | None = None  # where the wage, price and alias tables came from (None: shipped)

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


def sample_years(
    level: str, years_min: float, years_max: float, levels: pd.DataFrame, n: int, rng: np.random.Generator
) -> np.ndarray:
    """Years of experience in a cell: uniform in its range; an 'all' cell
    mixes the partition levels by their ``share_of_all``."""
    if level != "all":
        return rng.uniform(years_min, years_max, n)
    shares, lows, highs = _partition(levels)
    which = rng.choice(len(PARTITION_LEVELS), size=n, p=shares)
    return rng.uniform(lows[which], highs[which])


def _partition(levels: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shares and year bounds of the partition levels (cached on the frame)."""
    cached = levels.attrs.get("_partition")
    if cached is None:
        table = levels.loc[list(PARTITION_LEVELS)]
        cached = tuple(table[c].to_numpy(float) for c in ("share_of_all", "years_min", "years_max"))
        levels.attrs["_partition"] = cached
    return cached


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
    return CellDistribution(
        figure_id, z, lg, (float((lg[1] - lg[0]) / (z[1] - z[0])), float((lg[-1] - lg[-2]) / (z[-1] - z[-2]))), None
    )


def reported_distribution(records: list[dict]) -> CellDistribution | None:
    """A figure's own distribution, from its reported percentiles or range
    (before any pooling), or None for a figure that reports no spread.

    Parameters
    ----------
    records : list of dict
        The figure's rows (normalised: ``value_usd``, ``value_high_usd``).
    """
    zs, logs, mean = _anchor_points(records)
    if len(zs) < 2 or mean is not None:
        return None
    return _cell_from_anchors(str(records[0]["id"]), zs, logs)


def _pooled(spreads: dict[str, list[float]], country: str | None) -> float | None:
    """Median spread of ``country`` (all countries when None), None if none."""
    values = spreads.get(country, []) if country is not None else [v for vs in spreads.values() for v in vs]
    return float(np.median(values)) if values else None


def dispersion_for(country: str, spreads: dict[str, list[float]]) -> float:
    """Log-normal sigma for a figure that reports no spread: the median
    sigma of the same country's figures that do, else of all such figures."""
    return _pooled(spreads, country) or _pooled(spreads, None) or _PRIOR_SIGMA


def _log_mean(cell: CellDistribution) -> float:
    """Log of the mean salary of a cell (numerically, on stratified scores)."""
    if cell.mean_usd is not None:
        return float(np.log(cell.mean_usd))
    return float(np.log(np.mean(np.exp(cell.log_quantile(_STRATIFIED_Z)))))


def _mixture_cell(
    figure_id: str, effects: np.ndarray, effect_spreads: np.ndarray, sigma: float, mean_usd: float
) -> CellDistribution:
    """Quantile function of a mixture of log-normals N(u, sigma) over employer
    effects ``u`` (each known up to ``effect_spreads``), placed so its mean is
    ``mean_usd``: a market whose figures measured no spread, seen across the
    employers the data know."""
    effects = effects - np.mean(effects)
    sigmas = np.hypot(sigma, effect_spreads)
    x = np.linspace(effects.min() - 5 * sigmas.max(), effects.max() + 5 * sigmas.max(), 600)
    cdf = np.mean(ndtr((x[:, None] - effects[None, :]) / sigmas[None, :]), axis=1)
    keep = (cdf > 1e-4) & (cdf < 1 - 1e-4)
    z, index = np.unique(ndtri(cdf[keep]), return_index=True)
    lg = x[keep][index]
    tails = (float((lg[1] - lg[0]) / (z[1] - z[0])), float((lg[-1] - lg[-2]) / (z[-1] - z[-2])))
    shift = float(np.log(mean_usd)) - _log_mean(CellDistribution(figure_id, z, lg, tails, None))
    return CellDistribution(figure_id, z, lg + shift, tails, mean_usd)


def _years_spread(plan_levels: pd.DataFrame, curve: ExperienceCurve, row: dict) -> float:
    """Spread of the experience curve over a cell's years (log salary)."""
    years = sample_years(row["level"], row["years_min"], row["years_max"], plan_levels, 4000, np.random.default_rng(0))
    return float(np.std(curve(years)))


def _level_points(
    by_id: dict[str, list[dict]], cells: dict[str, CellDistribution], market_sigma: dict[str, float], weights: dict[str, float]
) -> dict[str, list[tuple[float, float, float]]]:
    """(centre years, log median, weight) of each level-specific market figure."""
    points: dict[str, list[tuple[float, float, float]]] = {}
    for figure_id in sorted(by_id):
        row = by_id[figure_id][0]
        if row["level"] == "all" or isinstance(row["company"], str):
            continue
        centre = (row["years_min"] + row["years_max"]) / 2
        if figure_id in cells:
            log_median = cells[figure_id].median_log
        else:  # a mean: median of the log-normal with the country's market spread
            sigma = market_sigma[row["country"]]
            log_median = float(np.log(row["value_usd"]) - sigma**2 / 2)
        points.setdefault(row["country"], []).append((float(centre), log_median, weights[figure_id]))
    return points


def plan_training_set(
    figures: pd.DataFrame | str | Path | None = None,
    *,
    reference_year: int | None = None,
    basis: MoneyBasis | None = None,
    tables: TablePaths | None = None,
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
        Reuse rates already computed (skips reading the ECB table). With a
        basis, figures that already carry ``value_usd`` are taken as
        normalised to it.
    tables : TablePaths, default=None
        Your own wage-index, CPI and alias tables (:mod:`salarymodel.data.tables`);
        the shipped ones when None.

    Returns
    -------
    TrainingPlan
    """
    table: pd.DataFrame = load_figures(figures) if figures is None or isinstance(figures, (str, Path)) else figures
    if "group" not in table:
        table = table.assign(group=None)
    # One employer per name that serving folds together ("TIKTOK Inc." is TikTok, and TCS is
    # Tata Consultancy Services where a figure names it).
    aliases = load_company_aliases((tables or TablePaths()).path("aliases"))
    table = table.assign(company=fold_company_names(table["country"], table["company"], aliases=aliases))
    if basis is not None and "value_usd" in table:
        normalised = table.copy()  # already in the basis's money (a resample of a plan's figures)
    elif basis is not None:
        normalised, basis = normalise_figures(table, reference_year=basis.reference_year, per_usd=basis.per_usd)
    else:
        tables = tables or TablePaths()
        normalised, basis = normalise_figures(
            table,
            reference_year=reference_year,
            wages=load_wage_index(tables.path("wage_index")),
            cpi=load_cpi(tables.path("cpi")),
        )
    normalised["excluded"] = exclusion_reasons(normalised)
    used = normalised[normalised["excluded"] == ""]
    if used.empty:
        raise ValueError("No usable figure: every figure is total pay or names no country.")
    levels = load_levels()
    weights = source_weights(used)

    cells: dict[str, CellDistribution] = {}
    means: dict[str, float] = {}
    market_spreads: dict[str, list[float]] = {}
    employer_spreads: dict[str, list[float]] = {}
    by_id: dict[str, list[dict]] = {}
    for record in used.to_dict("records"):
        by_id.setdefault(record["id"], []).append(record)
    for figure_id, records in by_id.items():
        zs, logs, mean = _anchor_points(records)
        if len(zs) >= 2:
            if mean is not None:
                raise ValueError(f"Figure {figure_id!r} gives both a mean and quantiles; give them separate ids.")
            cells[figure_id] = _cell_from_anchors(figure_id, zs, logs)
            spreads = employer_spreads if isinstance(records[0]["company"], str) else market_spreads
            spreads.setdefault(records[0]["country"], []).append(cells[figure_id].sigma)
        elif mean is not None and not zs:
            means[figure_id] = mean
        else:
            means[figure_id] = np.nan  # a single quantile: spread borrowed below
    countries = sorted(used["country"].unique())
    # The pooled spreads are fixed from here on: each is a median over many
    # figures, so it is taken once per country, not once per figure.
    market_sigma = {c: dispersion_for(c, market_spreads) for c in countries}
    employer_sigma = {c: _pooled(employer_spreads, c) or _pooled(employer_spreads, None) or market_sigma[c] for c in countries}
    within_market = {
        c: _pooled(market_spreads, c)
        or _pooled(employer_spreads, c)
        or _pooled(market_spreads, None)
        or _pooled(employer_spreads, None)
        or _PRIOR_SIGMA
        for c in countries
    }
    curves = fit_curves(_level_points(by_id, cells, market_sigma, weights), countries)

    # Locations (log mean) of every figure, for the source and employer spreads.
    def location(figure_id: str) -> float:
        if figure_id in cells:
            return _log_mean(cells[figure_id])
        row = by_id[figure_id][0]
        if not np.isnan(means[figure_id]):
            return float(np.log(means[figure_id]))
        sigma = market_sigma[row["country"]]
        return float(np.log(row["value_usd"]) - ndtri(quantile_level(row["statistic"])) * sigma + sigma**2 / 2)

    first = used.drop_duplicates("id")
    locations = pd.DataFrame(
        {
            "id": first["id"],
            "country": first["country"],
            "company": first["company"].where(first["company"].notna(), None),
            "level": first["level"],
            "unit": source_units(first),
            "weight": first["id"].map(weights),
            "log_mean": first["id"].map(location),
        }
    )
    effects = estimate_effects(locations)
    employer_effects, effect_spreads = effects.shrunk_effects()

    years_spreads: dict[tuple, float] = {}  # one per distinct cell, however many figures share it
    for figure_id, mean in means.items():
        row = by_id[figure_id][0]
        country, is_employer = row["country"], isinstance(row["company"], str)
        cell_years = (country, row["level"], row["years_min"], row["years_max"])
        if cell_years not in years_spreads:
            years_spreads[cell_years] = _years_spread(levels, curves[country], row)
        years_sd = years_spreads[cell_years]
        within = employer_sigma[country] if is_employer else within_market[country]
        # Between-years spread adds to the within-level spread.
        sigma = float(np.hypot(within, years_sd))
        if np.isnan(mean):
            q = quantile_level(row["statistic"])
            z0, centre = float(ndtri(q)), float(np.log(row["value_usd"]))
            cells[figure_id] = CellDistribution(
                figure_id, np.array([z0 - 1.0, z0 + 1.0]), np.array([centre - sigma, centre + sigma]), (sigma, sigma), None
            )
        elif not is_employer and not market_spreads.get(country) and len(employer_effects) >= 2:
            # The market's spread is known only within employers: spread it
            # across the employers the data know (their pooled effects).
            cells[figure_id] = _mixture_cell(figure_id, employer_effects, effect_spreads, sigma, mean)
        else:
            centre = float(np.log(mean) - sigma**2 / 2)
            cells[figure_id] = CellDistribution(
                figure_id, np.array([-1.0, 1.0]), np.array([centre - sigma, centre + sigma]), (sigma, sigma), mean
            )
    # Partial pooling: an employer's figure moves toward its market.
    for (country, company), effect in effects.employer_effects.items():
        shift = effect["raw"] - effect["shrunk"]
        for figure_id in first.loc[(first["country"] == country) & (first["company"] == company), "id"]:
            cell = cells[figure_id]
            cells[figure_id] = CellDistribution(
                figure_id,
                cell.anchors_z,
                cell.anchors_log - shift,
                cell.tail_slopes,
                None if cell.mean_usd is None else cell.mean_usd * float(np.exp(-shift)),
            )
    return TrainingPlan(normalised, basis, levels, cells, curves, effects, weights, tables)


def _copula_rho(curve_values: np.ndarray, curve_scores: np.ndarray, sigma: float) -> float:
    """Copula strength giving log salary a slope of 1 on the experience curve."""
    if len(curve_values) < 2:  # one row has no rank to tie
        return 0.0
    cov = float(np.cov(curve_values, curve_scores)[0, 1])
    if cov <= 0 or sigma <= 0:
        return 0.0
    return float(np.clip(curve_values.var() / (sigma * cov), 0.0, _MAX_RHO))


def _draw_cell(plan: TrainingPlan, figure_id: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Years and USD salaries for ``n`` engineers of one figure's cell."""
    cell = plan.cells[figure_id]
    country = plan.figure(figure_id)["country"]
    years = plan.sample_years(figure_id, n, rng)
    # Rank by the experience curve, not by years: where the curve is flat
    # (late career) salary no longer rises with years.
    curve_values = plan.curves[country](years)
    curve_scores = ndtri((np.argsort(np.argsort(curve_values, kind="stable")) + 0.5) / n)
    rho = _copula_rho(curve_values, curve_scores, cell.sigma)
    latent = rho * curve_scores + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    # Stratified normal scores, handed out in the order of the latent ranks:
    # the cell's marginal is then the figure's distribution to grid precision.
    grid = ndtri((np.arange(n) + 0.5) / n)
    scores = np.empty(n)
    scores[np.argsort(latent)] = grid
    salary = np.exp(cell.log_quantile(scores))
    if cell.mean_usd is not None:
        salary *= cell.mean_usd / salary.mean()
    return years, salary


def rows_per_figure(plan: TrainingPlan, rows_per_country: int) -> dict[str, int]:
    """Rows of each used figure: each country's ``rows_per_country`` shared
    among its figures by source weight.

    Largest remainders settle the rounding. Each figure gets at least 50
    rows while the budget allows that for all of them, and at least one
    row always: a country's rows add up to about ``rows_per_country``
    (plus what the floor lifts), however many figures it has, so the
    training set stays the same size for a survey of thousands of cells.
    """
    first = plan.used_figures().drop_duplicates("id")
    counts: dict[str, int] = {}
    for _, mine in first.groupby("country", sort=True):
        ids = list(mine["id"])
        weights = np.array([plan.weights[i] for i in ids])
        exact = rows_per_country * weights / weights.sum()
        share = np.floor(exact).astype(int)
        share[np.argsort(share - exact, kind="stable")[: rows_per_country - share.sum()]] += 1
        floor = max(1, min(_MIN_ROWS, rows_per_country // len(ids)))
        counts.update(zip(ids, np.maximum(share, floor).tolist()))
    return counts


def source_offsets(rows: pd.DataFrame, plan: TrainingPlan) -> np.ndarray:
    """Each row's source offset: how far its source unit sits from the others
    in the same cell (country and employer), in log salary.

    A unit's location is its rows' mean distance from the country's
    experience curve, so a source that reports an entry level is not
    mistaken for one that reports higher pay; offsets are centred on the
    row-weighted mean of the cell's units. A cell with one unit has none.
    """
    first = plan.used_figures().drop_duplicates("id")
    unit_of = dict(zip(first["id"], source_units(first)))
    off_curve = np.empty(len(rows))
    countries = rows["country"].to_numpy()
    years = rows["years"].to_numpy(float)
    log_salary = np.log(rows["salary_usd"].to_numpy(float))
    for country in np.unique(countries):
        mine = countries == country
        off_curve[mine] = log_salary[mine] - plan.curves[country](years[mine])
    frame = pd.DataFrame(
        {
            "country": countries,
            "company": rows["company"].fillna("").to_numpy(),
            "unit": rows["figure_id"].map(unit_of).to_numpy(),
            "off": off_curve,
        }
    )
    unit_mean = frame.groupby(["country", "company", "unit"])["off"].transform("mean")
    cell_mean = frame.groupby(["country", "company"])["off"].transform("mean")
    return (unit_mean - cell_mean).to_numpy()


def make_training_set(
    figures: pd.DataFrame | str | Path | None = None,
    *,
    rows_per_country: int = DEFAULT_ROWS_PER_COUNTRY,
    seed: int = 0,
    plan: TrainingPlan | None = None,
) -> pd.DataFrame:
    """Synthetic engineers whose statistics reproduce the reported figures.

    Parameters
    ----------
    figures : DataFrame, str or Path, default=None
        Figures or a figures file; the shipped figures when None.
    rows_per_country : int, default=15000
        Rows of each country, shared among its figures by source weight (a
        source's figures share one source's rows; each figure gets >= 50 while the
        budget allows that for all, >= 1 always).
    seed : int, default=0
        Seed of every random draw: the same seed gives the same set. Each
        country draws from its own stream of it.
    plan : TrainingPlan, default=None
        A plan from :func:`plan_training_set` (then ``figures`` is ignored).

    Returns
    -------
    pandas.DataFrame
        Columns ``country`` (ISO alpha-2), ``company`` (None for the market),
        ``years``, ``level`` (from years), ``salary_usd`` (reference-year
        USD, the consensus of the sources), ``salary_local``, ``currency``,
        ``figure_id``, ``figure_level`` (the level of the figure the row
        stems from), ``within_salary_usd`` (the salary with its source's
        offset removed: the spread within the market as one source reports
        it) and ``engineer_salary_usd`` (that salary around a market median
        drawn from its uncertainty: what the band claims to hold).

    Examples
    --------
    >>> rows = make_training_set(rows_per_country=2000, seed=1)
    >>> rows.groupby("country").size().to_dict()
    {'DE': 2000, 'IN': 2000, 'US': 2000}
    """
    if isinstance(rows_per_country, bool) or not isinstance(rows_per_country, (int, np.integer)) or rows_per_country < 100:
        raise ParameterError(
            "rows_per_country",
            f"The 'rows_per_country' parameter of make_training_set must be an int >= 100. Got {rows_per_country!r} instead.",
        )
    plan = plan or plan_training_set(figures)
    used = plan.used_figures().drop_duplicates("id")
    counts = rows_per_figure(plan, int(rows_per_country))
    local_currency = local_currencies(plan.figures)
    parts = []
    for country, mine in used.groupby("country", sort=True):
        rng = country_rng(seed, country)
        records = mine.to_dict("records")
        sizes = np.array([counts[row["id"]] for row in records])
        years, salary = zip(*(_draw_cell(plan, row["id"], counts[row["id"]], rng) for row in records))
        companies = np.empty(len(records), dtype=object)
        companies[:] = [row["company"] if isinstance(row["company"], str) else None for row in records]
        part = pd.DataFrame(
            {
                "country": country,
                "company": pd.Series(np.repeat(companies, sizes), dtype=object),
                "years": np.concatenate(years),
                "salary_usd": np.concatenate(salary),
                "figure_id": np.repeat([row["id"] for row in records], sizes),
                "figure_level": np.repeat([row["level"] for row in records], sizes),
            }
        )
        # The median's uncertainty of each row's cell, at its years (inside the data: one variance).
        cells = list(dict.fromkeys(zip(part["country"], part["company"])))
        variance, _ = median_variance(plan, cells, _VARIANCE_GRID)
        index = {cell: k for k, cell in enumerate(cells)}
        row_cell = np.array([index[cell] for cell in zip(part["country"], part["company"])])
        position = np.interp(part["years"].to_numpy(), _VARIANCE_GRID, np.arange(len(_VARIANCE_GRID)))
        lower = np.floor(position).astype(int)
        upper = np.minimum(lower + 1, len(_VARIANCE_GRID) - 1)
        weight = position - lower
        row_variance = variance[row_cell, lower] * (1 - weight) + variance[row_cell, upper] * weight
        part["median_draw"] = np.sqrt(row_variance) * rng.standard_normal(len(part))
        parts.append(part)
    rows = pd.concat(parts, ignore_index=True)
    rows.insert(3, "level", levels_for_years(rows["years"].to_numpy(), level_edges(plan.levels)))
    rows["currency"] = rows["country"].map(local_currency)
    rows["salary_local"] = rows["salary_usd"] * rows["currency"].map(plan.basis.per_usd)
    rows["within_salary_usd"] = rows["salary_usd"] * np.exp(-source_offsets(rows, plan))
    rows["engineer_salary_usd"] = rows["within_salary_usd"] * np.exp(rows.pop("median_draw").to_numpy())
    return rows[
        [
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
    ]


# Years at which a row's median variance is read (it changes only at level edges).
_VARIANCE_GRID = np.arange(0.0, 50.0 + 1e-9, 0.25)
