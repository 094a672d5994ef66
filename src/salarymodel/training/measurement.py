"""The measurement model: one generative story of how every figure came to be.

Everything is in log base pay, reference-year USD (:mod:`salarymodel.data.normalise`).
For a country ``c``, an engineer with ``y`` years at employer ``k`` earns

    log pay = m_c(y) + e_k + eps,   eps ~ Normal(0, s_c(y)),

where ``m_c`` is the market's median curve, ``e_k`` the employer's effect
(0 and a wider ``s_c`` for an unknown employer) and ``s_c`` the spread of
pay among engineers like that. A salary site ``u`` does not see that market
exactly: it sees it shifted by its own offset ``d_u`` (who answers its
survey, how it cleans them), and reports one functional of the cell it
describes (a level's years, or the whole market's mix of levels):

* a **mean**: ``log E[pay]`` over the cell's years;
* a **percentile** ``p``: the cell's log quantile (the cell read as one
  normal with the mixture's mean and variance);
* a **range** ``(low, high)``: the cell's central interval of coverage
  ``kappa``; what share a range is meant to span is a guess, so ``kappa``
  is a parameter with a prior centred on the stated ``coverage``;
* the **lowest or highest of k sites' means** (f11/f12): the cell's mean
  plus the expected normal order statistic of ``k`` site offsets, with its
  variance.

A figure dated before the reference year was aged with its country's
index; where that index is consumer prices only (:mod:`salarymodel.data.aging`),
pay's real growth over those years is a parameter ``g_c`` with the prior
the index states, and the figure describes the market ``g_c * t`` lower
(``t``: years from its date to the reference date). With no figure of
another date to learn ``g_c`` from, its uncertainty widens the median's
interval by ``sd * t``, as it should.

Each figure carries a reporting noise (rounding, "approximately") of
:data:`REPORTING_SD`. Individual salaries (records) are draws of one
engineer's pay as their source sees it; they enter through sufficient
statistics (:func:`record_bins`: count, mean and spread of log pay per
source, country, employer and quarter-year of experience), so a survey of
100,000 rows costs what a few hundred bins do. The priors, with their units and
why, are in :func:`measurement_model`, which reads top to bottom. Countries
share only the source and employer scales and the employer spread share
(each country has its own slope scale and spread), so one country's figures
move another's medians only through them.

This module imports NumPyro (JAX): the training side only, never serving.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import integrate, stats

from ..data.figures import group_rank
from ..data.levels import PARTITION_LEVELS
from ..data.sources import source_units
from ..data.statistics import KINDS, CellView, OrderOfSites, kind_of, spans_of

__all__ = [
    "KNOTS",
    "POPULATION_SD",
    "POPULATION_SPREAD_SD",
    "LEVEL_EDGE_SD",
    "REPORTING_SD",
    "SHARED_SITE_SD",
    "SPREAD_TREND_END",
    "MeasurementData",
    "measurement_data",
    "measurement_model",
    "ramps",
    "prior_settings",
    "record_bins",
]

# Knots of the median curve (years): the curve is linear between them, rising by
# a non-negative slope on each segment, and flat past the last.
KNOTS = np.array([0.0, 2.0, 4.0, 7.0, 10.0, 15.0, 20.0, 30.0, 40.0])
# Years over which the prior on a segment's slope halves its scale (about 0.7 per
# 10 years: returns to experience fall off with a career's length).
SLOPE_DECAY_YEARS = 15.0
# Careers level off. The sites' levels end at lead (12 years and more): an open bucket
# gives the average pay over its years, not how pay moves inside them, so past its start
# no figure speaks about the slope and the prior carries it. There each segment's prior
# scale shrinks by a further exp(-(mid - 12) / 5): most of a career's wage growth comes
# in its first decade (Topel and Ward, "Job Mobility and the Careers of Young Men",
# Quarterly Journal of Economics 107(2), 1992: about two thirds of lifetime wage
# growth), so under the prior the median rises about 11% from 12 to 30 years, not 30%.
# A figure that demands more still gets it (the prior is a half-normal, not a cap).
LEVEL_OFF_START = 12.0
LEVEL_OFF_YEARS = 5.0
# Prior scale of each segment's slope early in a career (log pay per year): a
# half-normal of this scale has its median at 4.7% a year and allows 14% (the
# 95th percentile), so figures that demand a steep rise get one. Fixed, the same
# for every country, not learned: a learned scale shared by the countries let one
# German entry-level figure tilt India's curve by 5%, and a learned scale per
# country (eight segments inform it) made the extrapolated medians noisy and the
# sampler diverge near a scale of 0.
SLOPE_SCALE = 0.07
# Prior of each country's spread of log pay among engineers like one another, at 5
# years: 0.25 (about x/1.3) give or take 35%. Not pooled over countries: a pooled
# centre let the US percentile figures set how wide German ranges are read, and
# through that the German curve's slope (a US outlier moved it by 3%).
SPREAD_PRIOR_MEDIAN = 0.25
SPREAD_PRIOR_SD = 0.35
# Years up to which the spread's trend runs (the figures' cells reach 30 years):
# past them the spread is held, not extrapolated, as the median is flat past the
# last knot (a trend run on to 50 years made the spread there unknown to a factor
# of 1.6 either way: not a spread of pay, an artefact of a straight line).
SPREAD_TREND_END = 30.0
# Reporting noise of every figure, log pay: rounding and "approximately" (3%).
REPORTING_SD = 0.03
# What all salary sites share (who answers salary surveys, base pay read as
# asked): an unknown bias of 5% (sd, log) on a country's median that more sites
# cannot remove. It is not identified by figures, so it is added to the
# posterior draws of each median, not sampled.
SHARED_SITE_SD = 0.05
# Prior sd of a population's offset from the market (log pay), for a source of records
# (a survey, a payroll, a job board): Normal(0, 0.5), x/1.65 at one sd. Wider than the
# sites' (a population is who it is, not a view of the same market: product firms in
# India pay 2.6x the market, two sd here), so a population's rows set its own level and
# move the market's only through what it shares (the country's spread and slope).
POPULATION_SD = 0.5
# Prior sd of a population's spread of pay relative to its market's (log of the ratio):
# Normal(0, 0.3), a spread between 0.55x and 1.8x the market's at two sd. A survey of one
# kind of employer is narrower than the market, a job board's mix wider; a few rows leave
# the market's spread, a few hundred set their own.
POPULATION_SPREAD_SD = 0.3
# "Several" sites (a lowest/highest of several whose count the source does not give):
# 3 to 6, fewer more likely (two would be "both"; a dozen would be "many").
SEVERAL = (3, 4, 5, 6)
SEVERAL_PRIOR = (0.4, 0.3, 0.2, 0.1)
# The mix of levels behind an all-levels figure: a Dirichlet around levels.csv's
# share_of_all with this concentration (each share give or take about a third).
LEVEL_MIX_CONCENTRATION = 20.0
# Points per cell at which the curve is read (the cell's years, stratified).
_POINTS = 16
# Where sites put the edges between their levels (entry|mid, mid|senior, senior|lead) is
# uncertain: each is Normal(levels.csv's edge, this sd) in years, so that 95% of the prior
# lies where sites draw that edge (entry ends at 2 to 4 years, mid at 5.5 to 8.5, senior
# at 10 to 14). The first level starts at 0 and the last is drawn up to its table end.
LEVEL_EDGE_SD = (0.5, 0.75, 1.0)


def prior_settings() -> dict[str, str]:
    """Each prior, as the model card and docs/methodology.md state it."""
    return {
        "tau_source": "HalfNormal(0.15): sites' offsets from the market, log pay (sites disagree by 10-20%)",
        "source offsets": "tau_source * StudentT(3): heavy tails, so a site that contradicts the others counts less",
        "population offsets": f"Normal(0, {POPULATION_SD:g}) for each source of records (a survey, a payroll): "
        "its own level, learnt from its rows",
        "population spreads": f"log(population's spread / market's) ~ Normal(0, {POPULATION_SPREAD_SD:g}) for each "
        "source of records: its own spread, learnt from its rows",
        "tau_employer": "HalfNormal(0.4): employers' effects, log pay (IT services vs product firms differ 2x)",
        "employer effects": "tau_employer * StudentT(3), partially pooled over all countries",
        "segment slopes": f"HalfNormal({SLOPE_SCALE:g} * exp(-mid / {SLOPE_DECAY_YEARS:g} - max(mid - "
        f"{LEVEL_OFF_START:g}, 0) / {LEVEL_OFF_YEARS:g})) on each segment between "
        f"knots {KNOTS.astype(int).tolist()} years, each country on its own: never falling, "
        "flattening with years and levelling off past the sites' last level (a median rise of 4.7% a year "
        "early in a career, up to 14%; about 11% in all from 12 to 30 years)",
        "level": "Normal(median log figure of the country - 0.3, 1): the median at 0 years, weak",
        "spread": f"log s_c(5) ~ Normal(log {SPREAD_PRIOR_MEDIAN:g}, {SPREAD_PRIOR_SD:g}) for each country on its own; "
        f"trend of log s_c per 10 years ~ Normal(0, 0.1), held past {SPREAD_TREND_END:g} years",
        "employer spread share": "Beta(6, 2): the spread inside one employer as a share of the market's",
        "range coverage": "Beta(8 c, 8 (1 - c)) around the stated coverage c of each range",
        "sites behind 'several'": "k in "
        + ", ".join(f"{k} ({p:.0%})" for k, p in zip(SEVERAL, SEVERAL_PRIOR))
        + " for a lowest/highest of several sites whose count the source does not give",
        "level edges": "the edges between entry|mid, mid|senior and senior|lead where each country's sites put them: "
        + ", ".join(f"Normal(levels.csv's edge, {sd:g})" for sd in LEVEL_EDGE_SD)
        + " years; a level's figure describes the years between its edges",
        "level mix": f"Dirichlet({LEVEL_MIX_CONCENTRATION:g} x levels.csv's share_of_all) for what an all-levels "
        "figure averages over",
        "reporting noise": f"Normal(0, {REPORTING_SD}) on every reported statistic",
        "shared site bias": f"Normal(0, {SHARED_SITE_SD}) on each country's median, added to the posterior draws",
        "real growth": "Normal(mean, sd) a year, as the country's consumer-price index states it "
        "(wage_index.csv: real_growth_pct, real_growth_sd_pct), over the years from a figure's date to "
        "the reference date; none where the index follows pay",
    }


def slope_prior_scales() -> np.ndarray:
    """Each segment's prior slope scale (log pay per year): flattening with years, and
    faster past :data:`LEVEL_OFF_START` (careers level off)."""
    mid = (KNOTS[:-1] + KNOTS[1:]) / 2
    return SLOPE_SCALE * np.exp(-mid / SLOPE_DECAY_YEARS - np.maximum(mid - LEVEL_OFF_START, 0.0) / LEVEL_OFF_YEARS)


def ramps(years) -> np.ndarray:
    """How far ``years`` lie into each curve segment (years): ``m(y) = level + ramps(y) @ slopes``."""
    years = np.asarray(years, dtype=float)[..., None]
    return np.clip(years - KNOTS[:-1], 0.0, np.diff(KNOTS))


@functools.cache
def _order_statistic(rank: int, k: int) -> tuple[float, float]:
    """Mean and variance of the ``rank``-th smallest of ``k`` standard normals (two
    quadratures, about 0.1 s: kept per (rank, k), of which a survey has a handful, so a
    figures file of a thousand order statistics does not spend minutes on them)."""

    def moment(power: int) -> float:
        def density(x: float) -> float:
            return x**power * k * stats.binom.pmf(rank - 1, k - 1, stats.norm.cdf(x)) * stats.norm.pdf(x)

        return integrate.quad(density, -10, 10)[0]

    mean = moment(1)
    return mean, moment(2) - mean**2


def _cell_years(
    level: str, years_min: float, years_max: float, levels: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stratified years of a cell, their weights, and for each point its partition level
    (-1: years fixed, as given or a source's own bucket) and its place within that level
    (0 to 1): uniform in its range, or the partition levels mixed by their
    ``share_of_all`` for an all-levels figure."""
    fractions = (np.arange(_POINTS) + 0.5) / _POINTS
    if level != "all":
        # A level's years as levels.csv gives them follow its sampled edges; years a figure
        # states itself (f05: mid at 5 to 10 years) or a source's own bucket are fixed.
        stated = level not in PARTITION_LEVELS or (years_min, years_max) != tuple(
            levels.loc[level, ["years_min", "years_max"]].astype(float)
        )
        which = -1 if stated else PARTITION_LEVELS.index(level)
        years = years_min + (years_max - years_min) * fractions
        return years, np.full(_POINTS, 1 / _POINTS), np.full(_POINTS, which), fractions
    per = _POINTS // len(PARTITION_LEVELS)
    within = (np.arange(per) + 0.5) / per
    points, weights = [], []
    for name in PARTITION_LEVELS:
        low, high, share = levels.loc[name, ["years_min", "years_max", "share_of_all"]].astype(float)
        points.append(low + (high - low) * within)
        weights.append(np.full(per, share / per))
    weights_all = np.concatenate(weights)
    of_level = np.repeat(np.arange(len(PARTITION_LEVELS)), per)
    return np.concatenate(points), weights_all / weights_all.sum(), of_level, np.tile(within, len(PARTITION_LEVELS))


def level_bounds(levels: pd.DataFrame) -> np.ndarray:
    """The partition levels' bounds in years as levels.csv states them: the first level's
    start, the edges between levels, the last level's end."""
    table = levels.loc[list(PARTITION_LEVELS), ["years_min", "years_max"]].astype(float)
    return np.concatenate([[table["years_min"].iloc[0]], table["years_max"].to_numpy()])


@dataclass(frozen=True)
class MeasurementData:
    """The figures (and records) as the arrays the model reads.

    One entry per reported statistic (a range is one statistic with a low
    and a high value; f02's three percentiles are three). Integer codes index
    ``countries``, ``units`` (source units) and ``employers`` (-1: the market).
    """

    countries: tuple[str, ...]
    units: tuple[str, ...]
    employers: tuple[tuple[str, str], ...]
    ids: tuple[str, ...]
    statistics: tuple[str, ...]
    country: np.ndarray
    unit: np.ndarray
    employer: np.ndarray
    kind: np.ndarray
    z: np.ndarray
    coverage: np.ndarray
    low: np.ndarray
    high: np.ndarray
    order_mean: np.ndarray
    order_var: np.ndarray
    years: np.ndarray
    weights: np.ndarray
    centre: np.ndarray
    # Each point's partition level (-1: fixed years) and its place in it, and the levels'
    # bounds as levels.csv states them (the inner ones are sampled around these).
    year_level: np.ndarray
    year_fraction: np.ndarray
    level_bounds: np.ndarray
    # Years over which each statistic's country adds real growth (0: an index of pay),
    # and each country's prior of that growth (log rate a year; sd 0: none).
    age: np.ndarray = field(default_factory=lambda: np.zeros(0))
    growth_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    growth_sd: np.ndarray = field(default_factory=lambda: np.zeros(0))
    record_age: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # A lowest/highest of k sites: the order statistic's mean and variance for each k the
    # prior allows, the prior's log weights (-inf: not allowed), and the group of figures
    # ranked among the same sites (they share k).
    order_means: np.ndarray = field(default_factory=lambda: np.zeros((0, len(SEVERAL))))
    order_vars: np.ndarray = field(default_factory=lambda: np.zeros((0, len(SEVERAL))))
    order_log_prior: np.ndarray = field(default_factory=lambda: np.zeros((0, len(SEVERAL))))
    order_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    # 1 for an all-levels statistic (it averages over the level mix), and the mix's prior shares.
    is_all: np.ndarray = field(default_factory=lambda: np.zeros(0))
    level_shares: np.ndarray = field(default_factory=lambda: np.zeros(len(PARTITION_LEVELS)))
    record_country: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    record_unit: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    record_employer: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    record_years: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Each bin of records: how many, their mean log pay and the sum of squared
    # deviations from it (sufficient for normal pay with one shared offset).
    record_count: np.ndarray = field(default_factory=lambda: np.zeros(0))
    record_mean: np.ndarray = field(default_factory=lambda: np.zeros(0))
    record_squares: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # 1 for a statistic that enters the likelihood, 0 for one held out (validation):
    # a held-out figure keeps its place, so every refit has the same shapes.
    use: np.ndarray | None = None

    @property
    def range_rows(self) -> np.ndarray:
        """Positions of the ranges among the statistics."""
        return np.flatnonzero(spans_of(self.kind)).astype(np.int32)

    def without(self, ids) -> MeasurementData:
        """The same data with the statistics of figures ``ids`` held out: they stay in
        the arrays (same shapes, so the compiled sampler is reused) but enter no
        likelihood, and each country's level prior is centred without them."""
        held = np.isin(np.asarray(self.ids), list(ids))
        use = np.where(held, 0.0, 1.0 if self.use is None else np.asarray(self.use, dtype=float))
        centre = _centres(
            len(self.countries),
            self.country,
            self.low,
            use,
            self.record_country,
            self.record_mean,
            self.record_count,
            fallback=self.centre,
        )
        return replace(self, use=use, centre=centre)

    def arrays(self) -> dict[str, np.ndarray]:
        """The numeric arrays, for the model function."""
        names = [
            "country",
            "unit",
            "employer",
            "kind",
            "z",
            "coverage",
            "low",
            "high",
            "order_mean",
            "order_var",
            "years",
            "weights",
            "centre",
            "age",
            "growth_mean",
            "growth_sd",
            "record_age",
            "order_means",
            "order_vars",
            "order_log_prior",
            "order_group",
            "is_all",
            "level_shares",
            "record_country",
            "record_unit",
            "record_employer",
            "record_years",
            "record_count",
            "record_mean",
            "record_squares",
            "year_level",
            "year_fraction",
            "level_bounds",
        ]
        arrays = {name: getattr(self, name) for name in names}
        # A source of records is a population where the figures describe the market; in a
        # country no figure covers, its rows are the only view of that market, read as a site's.
        covered = set(self.country.tolist())
        arrays["unit_population"] = np.array(
            [
                unit.startswith("records:") and bool(covered & set(self.record_country[self.record_unit == j].tolist()))
                for j, unit in enumerate(self.units)
            ],
            dtype=float,
        )
        arrays["use"] = np.ones(len(self.kind)) if self.use is None else np.asarray(self.use, dtype=float)
        arrays["range_rows"] = self.range_rows
        arrays["range_coverage"] = self.coverage[self.range_rows]
        return arrays


def _centres(
    n_countries: int,
    country: np.ndarray,
    low: np.ndarray,
    use: np.ndarray,
    record_country: np.ndarray,
    record_mean: np.ndarray,
    record_count: np.ndarray,
    fallback: np.ndarray | None = None,
) -> np.ndarray:
    """Each country's level prior centre: the median of its used log figures and record bins
    (a bin's mean once per bin, so a large survey does not drown the figures), less 0.3
    (``fallback``'s value for a country left with none)."""
    centre = np.zeros(n_countries)
    for c in range(n_countries):
        values = np.concatenate([low[(country == c) & (use > 0)], record_mean[(record_country == c) & (record_count > 0)]])
        if len(values):
            centre[c] = np.median(values) - 0.3
        else:
            assert fallback is not None, "a country with no used figure needs the fallback centre"
            centre[c] = fallback[c]
    return centre


def measurement_data(
    figures: pd.DataFrame,
    levels: pd.DataFrame,
    records: pd.DataFrame | None = None,
    real_growth: dict[str, tuple[float, float]] | None = None,
) -> MeasurementData:
    """Arrays of the model from used, normalised figures (and records).

    Parameters
    ----------
    figures : pandas.DataFrame
        Used figures with ``value_usd``/``value_high_usd`` (reference-year USD)
        and ``real_growth_years`` (0 where absent).
    levels : pandas.DataFrame
        The level/years mapping.
    records : pandas.DataFrame, default=None
        Individual salaries with ``country``, ``years``, ``company`` (None for
        an unknown employer), ``salary_usd``, ``source`` and ``real_growth_years``.
    real_growth : dict, default=None
        Country -> prior (mean, sd) of pay's real growth, log rate a year, for
        countries aged with consumer prices only.
    """
    figures = figures.reset_index(drop=True)
    units_of = source_units(figures)
    ranks = [group_rank(g) if isinstance(g, str) else None for g in figures["group_rank"]]
    record_units = sorted(set(records["source"])) if records is not None else []
    countries = sorted(set(figures["country"]) | (set(records["country"]) if records is not None else set()))
    units = sorted(set(units_of) | {f"records:{s}" for s in record_units})
    pairs = {(c, k) for c, k in zip(figures["country"], figures["company"]) if isinstance(k, str)}
    if records is not None:
        pairs |= {(c, k) for c, k in zip(records["country"], records["company"]) if isinstance(k, str)}
    employers = sorted(pairs)
    columns: dict[str, list] = {
        name: []
        for name in (
            "country",
            "unit",
            "employer",
            "kind",
            "z",
            "coverage",
            "low",
            "high",
            "order_mean",
            "order_var",
            "years",
            "weights",
            "year_level",
            "year_fraction",
            "order_means",
            "order_vars",
            "order_log_prior",
        )
    }
    cache: dict[tuple, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
    for i, row in enumerate(figures.to_dict("records")):
        kind = kind_of(row["statistic"], ranked=bool(ranks[i]))
        key = (row["level"], row["years_min"], row["years_max"])
        if key not in cache:
            cache[key] = _cell_years(row["level"], float(row["years_min"]), float(row["years_max"]), levels)
        rank = ranks[i]
        means, variances, log_prior = np.zeros(len(SEVERAL)), np.zeros(len(SEVERAL)), np.full(len(SEVERAL), -np.inf)
        if rank:  # (-1, k): the lowest of k, rank 1; (1, k): the highest, rank k; k = 0: several
            side, count = rank
            counts, prior = ((count,), (1.0,)) if count else (SEVERAL, SEVERAL_PRIOR)
            for j, (k, p) in enumerate(zip(counts, prior)):
                means[j], variances[j] = _order_statistic(1 if side < 0 else k, k)
                log_prior[j] = np.log(p)
            weight = np.exp(log_prior)
            # The prior mixture's moments (what the checks read before the data pick a k).
            mean = float(weight @ means)
            variance = float(weight @ (variances + means**2) - mean**2)
        else:
            mean, variance, log_prior[0] = 0.0, 0.0, 0.0
        columns["order_means"].append(means)
        columns["order_vars"].append(variances)
        columns["order_log_prior"].append(log_prior)
        company = row["company"] if isinstance(row["company"], str) else None
        columns["country"].append(countries.index(row["country"]))
        columns["unit"].append(units.index(units_of.iloc[i]))
        columns["employer"].append(employers.index((row["country"], company)) if company else -1)
        columns["kind"].append(kind.code)
        columns["z"].append(kind.z)
        columns["coverage"].append(float(row["coverage"]) if kind.spans else 0.5)
        columns["low"].append(float(np.log(row["value_usd"])))
        columns["high"].append(float(np.log(row["value_high_usd"])) if kind.spans else 0.0)
        columns["order_mean"].append(mean)
        columns["order_var"].append(variance)
        columns["years"].append(cache[key][0])
        columns["weights"].append(cache[key][1])
        columns["year_level"].append(cache[key][2])
        columns["year_fraction"].append(cache[key][3])
    arrays = {name: np.asarray(values) for name, values in columns.items()}
    for name in ("country", "unit", "employer", "kind"):
        arrays[name] = arrays[name].astype(np.int32).reshape(-1)
    arrays["year_level"] = arrays["year_level"].astype(np.int32).reshape(len(figures), _POINTS)
    arrays["year_fraction"] = arrays["year_fraction"].astype(float).reshape(len(figures), _POINTS)
    arrays["level_bounds"] = level_bounds(levels)
    for name in ("order_means", "order_vars", "order_log_prior"):
        arrays[name] = np.asarray(columns[name], dtype=float).reshape(len(figures), len(SEVERAL))
    groups = [str(g) if rank else "" for g, rank in zip(figures.get("group", pd.Series([None] * len(figures))), ranks)]
    ranked = sorted(set(groups) - {""})
    # Each figure not ranked is a group of its own (after the ranked groups), so a group's
    # first row always carries its prior.
    arrays["order_group"] = np.array([ranked.index(g) if g else len(ranked) + i for i, g in enumerate(groups)], dtype=np.int32)
    arrays["is_all"] = (figures["level"] == "all").to_numpy(float)
    arrays["level_shares"] = levels.loc[list(PARTITION_LEVELS), "share_of_all"].to_numpy(float)
    arrays["age"] = _years_of_growth(figures, len(figures))
    growth = real_growth or {}
    arrays["growth_mean"] = np.array([growth[c][0] if c in growth else 0.0 for c in countries])
    arrays["growth_sd"] = np.array([growth[c][1] if c in growth else 0.0 for c in countries])
    arrays["years"] = np.asarray(columns["years"], dtype=float).reshape(len(figures), _POINTS)
    arrays["weights"] = np.asarray(columns["weights"], dtype=float).reshape(len(figures), _POINTS)
    extra = record_bins(records, countries, units, employers) if records is not None and len(records) else {}
    centre = _centres(
        len(countries),
        arrays["country"],
        arrays["low"],
        np.ones(len(figures)),
        extra.get("record_country", np.zeros(0, dtype=int)),
        extra.get("record_mean", np.zeros(0)),
        extra.get("record_count", np.zeros(0)),
    )
    return MeasurementData(
        countries=tuple(countries),
        units=tuple(units),
        employers=tuple(employers),
        ids=tuple(figures["id"]),
        statistics=tuple(figures["statistic"]),
        centre=centre,
        **arrays,
        **extra,
    )


def _years_of_growth(frame: pd.DataFrame, rows: int) -> np.ndarray:
    """Each row's ``real_growth_years`` (0 for a frame normalised without them)."""
    if "real_growth_years" not in frame:
        return np.zeros(rows)
    return frame["real_growth_years"].to_numpy(float)


def record_bins(
    records: pd.DataFrame, countries: list[str], units: list[str], employers: list[tuple[str, str]]
) -> dict[str, np.ndarray]:
    """Records as sufficient statistics: one bin per source, country, employer,
    quarter-year of experience and date (its years of real growth).

    Within a bin the model's median and spread are those at the bin's mean years
    (the curve moves by at most 0.1 * 0.125 log pay inside a quarter-year, a
    twentieth of the spread), so the bin's count, mean log pay and sum of squared
    deviations give the rows' likelihood (:func:`measurement_model`).

    Returns
    -------
    dict of ndarray
        ``record_country``, ``record_unit``, ``record_employer`` (-1: the
        market), ``record_years``, ``record_age``, ``record_count``,
        ``record_mean`` and ``record_squares``, one entry per bin.
    """
    employer_code = {pair: j for j, pair in enumerate(employers)}
    frame = pd.DataFrame(
        {
            "country": pd.Categorical(records["country"], categories=countries).codes,
            "unit": pd.Categorical("records:" + records["source"].astype(str), categories=units).codes,
            "employer": [
                employer_code[(c, k)] if isinstance(k, str) else -1 for c, k in zip(records["country"], records["company"])
            ],
            "bin": np.round(records["years"].to_numpy(float) * 4.0),
            "age": _years_of_growth(records, len(records)),
            "years": records["years"].to_numpy(float),
            "log": np.log(records["salary_usd"].to_numpy(float)),
        }
    )
    keys = ["unit", "country", "employer", "bin", "age"]
    groups = frame.groupby(keys, sort=True)
    summary = groups.agg(count=("log", "size"), years=("years", "mean"), mean=("log", "mean"))
    deviation = frame["log"] - groups["log"].transform("mean")
    squares = (deviation**2).groupby([frame[k] for k in keys], sort=True).sum()
    index = summary.index.to_frame(index=False)
    return {
        "record_country": index["country"].to_numpy(np.int32),
        "record_unit": index["unit"].to_numpy(np.int32),
        "record_employer": index["employer"].to_numpy(np.int32),
        "record_years": summary["years"].to_numpy(float),
        "record_age": index["age"].to_numpy(float),
        "record_count": summary["count"].to_numpy(float),
        "record_mean": summary["mean"].to_numpy(float),
        "record_squares": squares.to_numpy(float),
    }


def measurement_model(data: dict, n_countries: int, n_units: int, n_employers: int) -> None:
    """The generative model (NumPyro); ``data`` is :meth:`MeasurementData.arrays`."""
    import jax
    import jax.numpy as jnp
    import numpyro
    import numpyro.distributions as dist
    from jax.scipy.special import logsumexp
    from jax.scipy.special import ndtri as jndtri

    # Shared by all countries: how far sites and employers stray (log pay throughout).
    tau_source = numpyro.sample("tau_source", dist.HalfNormal(0.15))
    tau_employer = numpyro.sample("tau_employer", dist.HalfNormal(0.4))
    employer_share = numpyro.sample("employer_spread_share", dist.Beta(6.0, 2.0))

    # Each country: its median curve (level at 0 years, a non-negative slope per
    # segment, smaller priors later in a career) and its spread, changing with years.
    with numpyro.plate("country", n_countries):
        # Written as the centre plus a standard normal: the sampler starts each chain
        # near 0 on its own scale, so a level whose prior sits at log 100,000 is not
        # started 11 sd away from it (a chain stuck there for a whole run).
        level_raw = numpyro.sample("level_raw", dist.Normal(0.0, 1.0))
        log_spread = numpyro.sample("log_spread", dist.Normal(np.log(SPREAD_PRIOR_MEDIAN), SPREAD_PRIOR_SD))
        spread_trend = numpyro.sample("spread_trend", dist.Normal(0.0, 0.1))
        growth_raw = numpyro.sample("growth_raw", dist.Normal(0.0, 1.0))
        with numpyro.plate("segment", len(KNOTS) - 1, dim=-2):
            slope_raw = numpyro.sample("slope_raw", dist.HalfNormal(1.0))
    level = numpyro.deterministic("level", data["centre"] + level_raw)
    # Pay's real growth a year where a country's index is consumer prices (0 elsewhere): a
    # figure t years before the reference date saw the market lower by growth * t.
    growth = numpyro.deterministic("real_growth", data["growth_mean"] + data["growth_sd"] * growth_raw)
    decay = slope_prior_scales() / SLOPE_SCALE
    slopes = numpyro.deterministic("slopes", slope_raw * SLOPE_SCALE * decay[:, None])  # (segment, country)

    # Each employer's effect: heavy-tailed, partially pooled over all countries. Sampled
    # as the effect itself (centred): the figures fix TikTok's effect, and written as
    # tau_employer times a standard draw it lay on a curved ridge with the scale (the
    # posterior's narrowest direction; 97 steps an iteration against 64 centred).
    with numpyro.plate("employer", max(n_employers, 1)):
        effect = numpyro.sample("employer_effect", dist.StudentT(3.0, 0.0, tau_employer))
    numpyro.deterministic("employer_raw", effect / tau_employer)  # the effect in units of the scale
    # Each source's offset d_u ~ StudentT(3) * tau_source, written as a normal with
    # its own precision weight lambda_u ~ Gamma(3/2, 3/2): a site that contradicts the
    # others gets a small weight (a wide offset) instead of widening every band.
    # Given lambda_u the offset is integrated out exactly (below), which keeps the
    # sampler fast; its conditional draws are recovered after sampling.
    # A population (a source of records) has its own, wider prior instead (POPULATION_SD).
    with numpyro.plate("unit", n_units):
        weight = numpyro.sample("source_weight", dist.Gamma(1.5, 1.5))
    offset_var = jnp.where(data["unit_population"] > 0, POPULATION_SD**2, tau_source**2 / weight)

    def median_and_spread(country, employer, years):
        """Median and spread of log pay at ``years`` (n, points) of each entry's cell."""
        ramp = jnp.clip(years[..., None] - KNOTS[:-1], 0.0, np.diff(KNOTS))
        median = level[country][:, None] + jnp.einsum("nqs,ns->nq", ramp, slopes.T[country])
        known = employer >= 0
        median = median + jnp.where(known, effect[jnp.maximum(employer, 0)], 0.0)[:, None]
        trend_years = jnp.minimum(years, SPREAD_TREND_END) - 5.0
        spread = jnp.exp(log_spread[country][:, None] + spread_trend[country][:, None] * trend_years / 10.0)
        return median, spread * jnp.where(known, employer_share, 1.0)[:, None]

    # Each reported statistic: a functional of its source's view of its cell
    # (before the source's offset, which shifts every statistic of it alike).
    residuals, variances, units = [], [], []
    kind = data["kind"]
    if len(kind):
        # Where a country's sites put the edges between levels: each inner bound around
        # levels.csv's, per country (an edge shared by countries let one US entry figure
        # move Germany's reading of its entry range: countries share only the scales).
        n_edges = len(LEVEL_EDGE_SD)
        edges_raw = numpyro.sample("level_edges_raw", dist.Normal(0.0, 1.0).expand([n_countries, n_edges]).to_event(2))
        inner = data["level_bounds"][1:-1]
        edges = numpyro.deterministic("level_edges", inner + jnp.asarray(LEVEL_EDGE_SD) * edges_raw)  # (country, edge)
        outer = jnp.broadcast_to(data["level_bounds"][jnp.array([0, -1])], (n_countries, 2))
        bounds = jnp.concatenate([outer[:, :1], edges, outer[:, 1:]], axis=1)[data["country"]]
        which = jnp.maximum(data["year_level"], 0)
        start = jnp.take_along_axis(bounds, which, axis=1)
        end = jnp.take_along_axis(bounds, which + 1, axis=1)
        years = jnp.where(data["year_level"] >= 0, start + (end - start) * data["year_fraction"], data["years"])
        median, spread = median_and_spread(data["country"], data["employer"], years)
        median = median - (growth[data["country"]] * data["age"])[:, None]
        # An all-levels figure averages over a mix of levels that is itself uncertain.
        shares = data["level_shares"] / jnp.sum(data["level_shares"])
        mix = numpyro.sample("level_mix", dist.Dirichlet(LEVEL_MIX_CONCENTRATION * shares))
        per = data["years"].shape[1] // len(PARTITION_LEVELS)
        w = jnp.where(data["is_all"][:, None] > 0, jnp.repeat(mix / per, per)[None, :], data["weights"])
        log_mean = logsumexp(median + spread**2 / 2, b=w, axis=1)
        centre = jnp.sum(w * median, axis=1)
        width = jnp.sqrt(jnp.sum(w * (spread**2 + (median - centre[:, None]) ** 2), axis=1))
        with numpyro.plate("range", len(data["range_rows"])):
            coverage = numpyro.sample("coverage", dist.Beta(8.0 * data["range_coverage"], 8.0 * (1.0 - data["range_coverage"])))
        half = jndtri((1.0 + jnp.full(len(kind), 0.5).at[data["range_rows"]].set(coverage)) / 2.0)
        # Each statistic is its kind's functional of the source's view of the cell.
        cell = CellView(log_mean, centre, width, data["z"], half, tau_source * data["order_mean"])
        is_order = kind == OrderOfSites.code
        spanning = [k for k in KINDS if k.spans]
        is_range = functools.reduce(jnp.logical_or, [kind == k.code for k in spanning])
        *chosen, last = KINDS
        low = numpyro.deterministic(
            "predicted_low",
            jnp.select([kind == k.code for k in chosen], [k.predicted(cell) for k in chosen], last.predicted(cell)),
        )
        high = numpyro.deterministic(
            "predicted_high",
            spanning[0].predicted_high(cell)
            if len(spanning) == 1
            else jnp.select([kind == k.code for k in spanning], [k.predicted_high(cell) for k in spanning]),
        )
        # The lowest/highest of k sites' means: their offsets are in the order statistic.
        # Figures ranked among the same sites share k; where the source says "several",
        # k is summed out under its prior (and its posterior is reported).
        # A held-out statistic (use 0) is predicted but enters no likelihood.
        used = data["use"] > 0
        order_sd = jnp.sqrt(REPORTING_SD**2 + tau_source**2 * data["order_vars"])
        order_centre = log_mean[:, None] + tau_source * data["order_means"]
        ranked = is_order & used
        by_k = jnp.where(ranked[:, None], dist.Normal(order_centre, order_sd).log_prob(data["low"][:, None]), 0.0)
        group, segments = data["order_group"], 2 * len(kind)  # codes are below twice the statistics
        grouped = jax.ops.segment_sum(by_k, group, num_segments=segments)
        first = jax.ops.segment_min(jnp.arange(len(kind)), group, num_segments=segments)
        joint = data["order_log_prior"][jnp.minimum(first, len(kind) - 1)] + grouped
        entered = jax.ops.segment_sum(ranked.astype(float), group, num_segments=segments) > 0
        total = logsumexp(joint, axis=1)
        numpyro.factor("order_statistics", jnp.sum(jnp.where(entered, total, 0.0)))
        # Each statistic's posterior weights of k (its group's), for the report.
        numpyro.deterministic("several_probabilities", jnp.exp(joint - total[:, None])[group])
        shifted, spans = ~is_order & used, is_range & used
        residuals += [jnp.where(shifted, data["low"] - low, 0.0), jnp.where(spans, data["high"] - high, 0.0)]
        noise = jnp.full(len(kind), REPORTING_SD**2)
        variances += [jnp.where(shifted, noise, jnp.inf), jnp.where(spans, noise, jnp.inf)]
        units += [data["unit"], data["unit"]]

    # Individual salaries, one bin at a time: n engineers' pay as their source sees the
    # market. Their mean enters the shared-offset likelihood below with variance s^2 / n;
    # the spread around their mean adds -SS / (2 s^2) - (n - 1) log s (constants dropped).
    # A population's engineers spread around its median by its own factor of the market's
    # (sampled only when there are records: a model without them is unchanged).
    within = jnp.zeros(())
    if len(data["record_mean"]):
        with numpyro.plate("unit", n_units):
            spread_raw = numpyro.sample("population_spread_raw", dist.Normal(0.0, 1.0))
        log_factor = numpyro.deterministic("population_spread", POPULATION_SPREAD_SD * spread_raw * (data["unit_population"] > 0))
        median, spread = median_and_spread(data["record_country"], data["record_employer"], data["record_years"][:, None])
        median = median - (growth[data["record_country"]] * data["record_age"])[:, None]
        variance = (spread[:, 0] * jnp.exp(log_factor[data["record_unit"]])) ** 2
        count = data["record_count"]
        residuals.append(data["record_mean"] - median[:, 0])
        variances.append(variance / count)
        units.append(data["record_unit"])
        within = jnp.sum(-0.5 * data["record_squares"] / variance - 0.5 * (count - 1.0) * jnp.log(variance))

    # Everything a source reports shares its offset d_u ~ Normal(0, offset_var_u):
    # the exact marginal likelihood of normal residuals with one shared shift
    # (a rank-one covariance, Sherman-Morrison). Infinite variances mark no entry.
    r, v, u = jnp.concatenate(residuals), jnp.concatenate(variances), jnp.concatenate(units)
    entered = jnp.isfinite(v)
    v_safe = jnp.where(entered, v, 1.0)
    precision = jnp.where(entered, 1.0 / v_safe, 0.0)
    own = jnp.sum(jnp.where(entered, -0.5 * (r**2 * precision + jnp.log(2 * jnp.pi * v_safe)), 0.0))
    a = jax.ops.segment_sum(precision, u, num_segments=n_units)
    b = jax.ops.segment_sum(r * precision, u, num_segments=n_units)
    shrink = 1.0 + offset_var * a
    numpyro.factor("reports", within + own + jnp.sum(-0.5 * jnp.log(shrink) + 0.5 * offset_var * b**2 / shrink))
    # The offsets given everything else, for the report: mean and variance of each.
    numpyro.deterministic("offset_mean", offset_var * b / shrink)
    numpyro.deterministic("offset_var", offset_var / shrink)
