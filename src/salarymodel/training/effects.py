"""Source and employer effects: disagreement between figures as quantities.

The reported figures are not samples of one population: each salary site
reports its own view, and employers pay differently. This module turns the
figures into the few quantities the generator needs to draw those effects:

* **Source units and weights.** Figures are grouped into the sources that
  produced them: a named site (``source_detail``, e.g. Payscale's three
  figures) is one unit, a ``group`` (e.g. f11/f12, the lowest and highest of
  several site means) is one unit, every other figure is its own unit. Each
  unit weighs the same within its country, shared by its figures, so three
  Payscale figures count as one source, not three.
* **Experience curves** (:class:`ExperienceCurve`): per country, a weighted
  isotonic (non-decreasing) fit of log salary through the centres of its
  level-specific market figures, linear between centres, continued below the
  first centre at the first slope and **flat after the last**, so pay never
  falls and stops rising where the data stop. A country without level
  figures borrows the median shape of the others.
* **Between-source spread** ``tau_source``: the weighted spread, between
  source units, of log mean salary among market figures of the same country
  and level. A country with fewer than two units at every level (one source)
  takes the pooled value of the countries that have them.
* **Employer effects**: log mean of an employer figure minus the log mean of
  its country's market figures at the same level (source-weighted). Their
  spread ``tau_employer`` (pooled over all countries, less the source noise
  each carries) sets how far a single employer figure is trusted: the effect
  is shrunk toward the market with the usual random-effects weight
  ``k = tau_employer**2 / (tau_employer**2 + noise)``. The noise of one
  employer figure is counted once: its own source's error ``tau_source**2``
  plus the error of the market reference it is measured from,
  ``tau_source**2 / n`` with ``n`` the source units behind that reference.
  An employer several figures report is their weighted mean distance, its
  own error ``tau_source**2`` divided by the source units that report it.
  What remains unknown about the effect, ``k * noise``, enters the
  employer's band once (:mod:`salarymodel.training.uncertainty`).

All quantities are in log salary; every choice is stated in docs/methodology.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["ExperienceCurve", "SourceEffects", "source_units", "source_weights", "fit_curves", "estimate_effects"]

# Used only when no country has two source units at one level: an assumed
# between-source spread of 15% (log), stated in the model card.
PRIOR_TAU_SOURCE = 0.15
_FALLBACK_SOURCE = "prior: no country has two sources at one level"


def source_units(figures: pd.DataFrame) -> pd.Series:
    """The source unit of each figure row (see the module docstring).

    Parameters
    ----------
    figures : pandas.DataFrame
        Figures with ``id``, ``source``, ``source_detail`` and ``group``.

    Returns
    -------
    pandas.Series
        A unit label per row, same index.
    """
    detail = figures["source_detail"].fillna("").astype(str)
    group = figures["group"].fillna("").astype(str) if "group" in figures else pd.Series("", index=figures.index)
    units = figures["id"].astype(str).copy()
    named = detail != ""
    units[named] = figures.loc[named, "source"].astype(str) + "/" + detail[named]
    grouped = group != ""
    units[grouped] = "group:" + group[grouped]
    return units


def source_weights(figures: pd.DataFrame) -> dict[str, float]:
    """Weight of each figure id: 1 / (figures in its source unit).

    Every source unit weighs 1, shared equally by its figures.
    """
    first = figures.drop_duplicates("id")
    units = source_units(first)
    sizes = units.map(units.value_counts())
    return {str(i): 1.0 / float(n) for i, n in zip(first["id"], sizes)}


@dataclass(frozen=True)
class ExperienceCurve:
    """Log-salary shape of a country's market over years of experience.

    Attributes
    ----------
    knots_years, knots_log : ndarray
        Knots of the piecewise-linear curve (non-decreasing in log salary).
    first_slope : float
        Slope continued below the first knot (log salary per year, >= 0).
    source : str
        How the curve was obtained.
    """

    knots_years: np.ndarray
    knots_log: np.ndarray
    first_slope: float
    source: str

    def __call__(self, years: np.ndarray) -> np.ndarray:
        """Log-salary curve at ``years`` (flat after the last knot)."""
        years = np.asarray(years, dtype=float)
        inside = np.interp(years, self.knots_years, self.knots_log)
        below = self.knots_log[0] - self.first_slope * (self.knots_years[0] - years)
        return np.where(years < self.knots_years[0], below, inside)

    def to_dict(self) -> dict:
        """JSON-friendly form for the model card."""
        return {
            "knots_years": [float(v) for v in self.knots_years],
            "log_salary_relative": [float(v - self.knots_log[0]) for v in self.knots_log],
            "first_slope_per_year": self.first_slope,
            "source": self.source,
        }


def _shape_through(centres: np.ndarray, logs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted isotonic fit through level points, pooled at equal centres."""
    # Imported here: serving imports this module (via the plan) but never fits.
    from sklearn.isotonic import IsotonicRegression

    fitted = IsotonicRegression(increasing=True).fit(centres, logs, sample_weight=weights).predict(centres)
    knots = np.unique(centres)
    return knots, np.array([fitted[centres == k].mean() for k in knots])


def fit_curves(points: dict[str, list[tuple[float, float, float]]], countries: list[str]) -> dict[str, ExperienceCurve]:
    """Experience curve per country from (centre years, log salary, weight) points.

    Parameters
    ----------
    points : dict
        Level-specific market points per country.
    countries : list of str
        Every country of the model; those without two distinct centres
        borrow the median shape of the others (flat if none has a shape).

    Returns
    -------
    dict of str to ExperienceCurve
    """
    curves: dict[str, ExperienceCurve] = {}
    for country in countries:
        data = points.get(country, [])
        centres = np.array([p[0] for p in data], dtype=float)
        if len(np.unique(centres)) < 2:
            continue
        knots, logs = _shape_through(centres, np.array([p[1] for p in data]), np.array([p[2] for p in data]))
        slope = float(max((logs[1] - logs[0]) / (knots[1] - knots[0]), 0.0))
        curves[country] = ExperienceCurve(knots, logs, slope, f"isotonic fit through {len(data)} level figures")
    fitted = dict(curves)
    for country in countries:
        if country in curves:
            continue
        if not fitted:
            curves[country] = ExperienceCurve(np.array([0.0, 1.0]), np.zeros(2), 0.0, "flat: no country reports two levels")
            continue
        # Borrow the median shape, read on the union of the fitted knots.
        knots = np.unique(np.concatenate([c.knots_years for c in fitted.values()]))
        shapes = np.array([c(knots) - c(knots[:1])[0] for c in fitted.values()])
        logs = np.maximum.accumulate(np.median(shapes, axis=0))
        slope = float(np.median([c.first_slope for c in fitted.values()]))
        curves[country] = ExperienceCurve(knots, logs, slope, f"median shape of {', '.join(sorted(fitted))} (no level figures)")
    return curves


@dataclass
class SourceEffects:
    """Between-source and between-employer spreads, and employer shrinkage.

    Attributes
    ----------
    tau_source : dict of str to float
        Between-source spread of log mean salary per country.
    tau_source_basis : dict of str to str
        Whether each country's spread was estimated or pooled.
    n_sources : dict of str to int
        Source units behind one level of each country's market: the median
        over its levels of the units reporting that level, every all-levels
        unit counted at each level (it informs them all).
    tau_employer : float
        Between-employer spread of log mean salary (pooled over countries).
    employer_effects : dict
        ``(country, company) -> {"raw": d, "weight": k, "shrunk": k * d,
        "noise": v, "posterior_variance": k * v}``: the employer's log
        distance from its market, the weight its figure gets, the effect the
        model uses, the noise of the raw distance and what stays unknown.
    """

    tau_source: dict[str, float]
    tau_source_basis: dict[str, str]
    n_sources: dict[str, int]
    tau_employer: float
    employer_effects: dict[tuple[str, str], dict[str, float]] = field(default_factory=dict)

    def market_noise(self, country: str) -> float:
        """``tau**2 * (1 + 1/n)``: a new source's deviation from our market consensus."""
        return self.tau_source[country] ** 2 * (1.0 + 1.0 / max(self.n_sources.get(country, 1), 1))

    def shrunk_effects(self) -> tuple[np.ndarray, np.ndarray]:
        """The employer effects the model uses (pooled over countries) and
        the posterior spread of each (``sqrt(k * noise)``)."""
        items = list(self.employer_effects.items())
        effects = np.array([e["shrunk"] for _, e in items], dtype=float)
        spreads = np.array([np.sqrt(e["posterior_variance"]) for _, e in items], dtype=float)
        return effects, spreads

    def to_dict(self) -> dict:
        """JSON-friendly form for the model card."""
        return {
            "tau_source": self.tau_source,
            "tau_source_basis": self.tau_source_basis,
            "n_sources": self.n_sources,
            "tau_employer": self.tau_employer,
            "employer_effects": [{"country": c, "company": k, **v} for (c, k), v in self.employer_effects.items()],
        }


def _weighted_spread(groups: list[tuple[np.ndarray, np.ndarray]]) -> float | None:
    """Pooled weighted within-group variance of values, or None without data.

    Each group is (values, weights) of one level; the unbiased weighted
    variance uses the effective sample size of the weights.
    """
    numerator = denominator = 0.0
    for values, weights in groups:
        if len(values) < 2:
            continue
        w = weights / weights.sum()
        centre = float(np.sum(w * values))
        numerator += float(np.sum(w * (values - centre) ** 2))
        denominator += 1.0 - float(np.sum(w**2))
    return numerator / denominator if denominator > 0 else None


def estimate_effects(locations: pd.DataFrame) -> SourceEffects:
    """Estimate source and employer spreads from figure locations.

    Parameters
    ----------
    locations : pandas.DataFrame
        One row per used figure: ``id``, ``country``, ``company`` (None for
        the market), ``level``, ``unit`` (source unit), ``weight`` and
        ``log_mean`` (log of the figure's mean salary, reference-year USD).

    Returns
    -------
    SourceEffects
    """
    market = locations[locations["company"].isna()]
    countries = sorted(locations["country"].unique())
    tau: dict[str, float] = {}
    basis: dict[str, str] = {}
    n_sources: dict[str, int] = {}
    variances: list[tuple[float, float]] = []
    for country in countries:
        mine = market[market["country"] == country]
        # Typical number of sources behind one level of the country: an
        # all-levels source informs every level.
        all_units = set(mine.loc[mine["level"] == "all", "unit"])
        per_level = [len(set(level["unit"]) | all_units) for name, level in mine.groupby("level") if name != "all"]
        n_sources[country] = int(np.median(per_level)) if per_level else max(len(all_units), 1)
        groups = []
        for _, level in mine.groupby("level"):
            # One value per source unit: its figures' weighted mean location.
            weighted = (level["log_mean"] * level["weight"]).groupby(level["unit"]).sum()
            unit_weight = level["weight"].groupby(level["unit"]).sum()
            groups.append(((weighted / unit_weight).to_numpy(float), unit_weight.to_numpy(float)))
        variance = _weighted_spread(groups)
        if variance is not None:
            tau[country] = float(np.sqrt(variance))
            basis[country] = "estimated from its sources"
            variances.append((variance, float(len(mine))))
    pooled = (
        float(np.sqrt(np.average([v for v, _ in variances], weights=[n for _, n in variances])))
        if variances
        else PRIOR_TAU_SOURCE
    )
    for country in countries:
        if country not in tau:
            tau[country] = pooled
            basis[country] = (
                ("pooled from " + ", ".join(c for c in countries if c in basis and "estimated" in basis[c]) + " (one source)")
                if variances
                else _FALLBACK_SOURCE
            )

    # Each market reference (country and level, else the whole country) once:
    # its source-weighted log mean and the source units it averages.
    references: dict[tuple, tuple[float, int]] = {}
    for key, same in [*market.groupby(["country", "level"]), *market.groupby(["country"])]:
        references[tuple(key)] = (float(np.average(same["log_mean"], weights=same["weight"])), int(same["unit"].nunique()))
    # An employer's distance from its market: the weighted mean over its figures.
    # Its noise, once: the employer figures' own source error (one source unit
    # unless several report it) plus the error of the references they are read against.
    raw: dict[tuple[str, str], tuple[float, float]] = {}
    for (country, company), mine in locations[locations["company"].notna()].groupby(["country", "company"], sort=False):
        distances, reference_errors, weights = [], [], []
        for level, log_mean, weight in zip(mine["level"], mine["log_mean"], mine["weight"]):
            reference = references.get((country, level)) or references.get((country,))
            if reference is None:
                continue
            distances.append(float(log_mean) - reference[0])
            reference_errors.append(1.0 / reference[1])
            weights.append(float(weight))
        if not distances:
            continue
        own_units = int(mine["unit"].nunique())
        noise = tau[country] ** 2 * (1.0 / own_units + float(np.average(reference_errors, weights=weights)))
        raw[(country, company)] = (float(np.average(distances, weights=weights)), noise)
    result = SourceEffects(tau, basis, n_sources, 0.0)
    # Method of moments: the raw distances' spread beyond their noise.
    if raw:
        excess = float(np.mean([d**2 - noise for d, noise in raw.values()]))
        result.tau_employer = float(np.sqrt(max(excess, 0.0)))
    for key, (d, noise) in raw.items():
        denominator = result.tau_employer**2 + noise
        weight = result.tau_employer**2 / denominator if denominator > 0 else 0.0
        result.employer_effects[key] = {
            "raw": d,
            "weight": weight,
            "shrunk": weight * d,
            "noise": noise,
            "posterior_variance": weight * noise,
        }
    return result
