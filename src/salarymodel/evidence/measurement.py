"""The measurement model's report: its posterior checked against every figure.

:func:`measurement_section` fits :mod:`salarymodel.training.measurement` to a
model's figures (and optional individual salaries) and reports what a
statistician checks first: the sampler's diagnostics, each hyperparameter's
posterior median and 80% interval, each country's slope and spread, a
posterior predictive check of every reported statistic (inside its own 90%
predictive interval, or named as an outlier with its source's posterior
weight), the market median and one-engineer band it implies at 1, 4
and 8 years, and, for a country aged with consumer prices, pay's real
growth and the aging factor of its oldest figures to today with its
interval. ``python -m salarymodel.evaluate --measurement`` prints it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..data.aging import PROJECTION_YEARS, figure_month, month_label, month_ordinal
from ..data.statistics import OrderOfSites, spans_of
from ..data.training_data import TrainingData
from ..training.bayes import fit_posterior
from ..training.measurement import REPORTING_SD, prior_settings
from ..training.posterior import Posterior, SamplerSettings

__all__ = ["predictive_checks", "measurement_section", "real_growth_section"]

_CHECK_YEARS = (1, 4, 8)


def predictive_checks(posterior: Posterior, level: float = 0.9) -> pd.DataFrame:
    """Each reported statistic against the interval a site the model has not seen would get.

    A replicated statistic is the model's functional of the cell, shifted by a
    new site's offset, drawn from the sites' distribution (``tau_source`` times
    a Student t with 3 degrees of freedom), not by the posterior offset of the
    figure's own site, which the figure itself has moved toward it (or, for the
    lowest/highest of k sites, the order statistic's own spread), plus the
    reporting noise. A figure outside this interval is one no new site would
    be expected to report.
    """
    data, draws = posterior.data, posterior.draws
    rng = np.random.default_rng([posterior.seed, 29])
    order = data.kind == OrderOfSites.code
    shape = (posterior.size, len(data.kind))
    new_site = draws["tau_source"][:, None] * rng.standard_t(3.0, size=shape)
    offsets = np.where(order[None, :], 0.0, new_site)
    order_sd = np.sqrt(REPORTING_SD**2 + draws["tau_source"][:, None] ** 2 * data.order_var[None, :])
    noise_sd = np.where(order[None, :], order_sd, REPORTING_SD)
    replicated = {
        "low": draws["predicted_low"] + offsets + noise_sd * rng.standard_normal(offsets.shape),
        "high": draws["predicted_high"] + offsets + REPORTING_SD * rng.standard_normal(offsets.shape),
    }
    tail = (1 - level) / 2
    weights = draws["source_weight"].mean(axis=0)
    rows = []
    for i, (figure_id, statistic) in enumerate(zip(data.ids, data.statistics)):
        spans = bool(spans_of(data.kind[i])[0])
        parts = [("low", data.low[i])] + ([("high", data.high[i])] if spans else [])
        for part, observed in parts:
            low, mid, high = np.quantile(replicated[part][:, i], [tail, 0.5, 1 - tail])
            rows.append(
                {
                    "id": figure_id,
                    "statistic": f"{statistic} {part}" if spans else statistic,
                    "country": data.countries[data.country[i]],
                    "reported_usd": float(np.exp(observed)),
                    "predictive_low_usd": float(np.exp(low)),
                    "predictive_median_usd": float(np.exp(mid)),
                    "predictive_high_usd": float(np.exp(high)),
                    "percentile": float(np.mean(replicated[part][:, i] <= observed)),
                    "inside": bool(low <= observed <= high),
                    "source": data.units[data.unit[i]] if not order[i] else "order statistic",
                    "source_weight": float(weights[data.unit[i]]) if not order[i] else None,
                }
            )
    return pd.DataFrame(rows).astype({"source_weight": object})


def _cells(posterior: Posterior, data: TrainingData) -> list[dict]:
    """Market median (with its 80% interval) and the 80% band for one engineer."""
    rng = np.random.default_rng([posterior.seed, 30])
    local = data.local_currencies()
    rows = []
    for country in posterior.data.countries:
        rate = data.basis.per_usd.get(local.get(country, "USD"), 1.0)
        years = np.asarray(_CHECK_YEARS, dtype=float)
        median = posterior.median_draws(country, None, years)
        engineer = median + posterior.spread_draws(country, None, years) * rng.standard_normal(median.shape)
        for j, y in enumerate(_CHECK_YEARS):
            m_low, m_mid, m_high = np.exp(np.quantile(median[:, j], [0.1, 0.5, 0.9])) * rate
            b_low, b_mid, b_high = np.exp(np.quantile(engineer[:, j], [0.1, 0.5, 0.9])) * rate
            rows.append(
                {
                    "country": country,
                    "currency": local.get(country, "USD"),
                    "years": y,
                    "median": float(b_mid),
                    "band_low": float(b_low),
                    "band_high": float(b_high),
                    "band_ratio": float(b_high / b_low),
                    "market_median_low": float(m_low),
                    "market_median": float(m_mid),
                    "market_median_high": float(m_high),
                }
            )
    return rows


def _populations(posterior: Posterior) -> list[dict]:
    """Each population (source of records): where it has rows, how many, its offset from
    the market as a pay ratio and its spread of pay as a multiple of the market's (posterior
    medians and 80% intervals)."""
    found = []
    for name, unit, countries in posterior.population_units():
        rows = int(posterior.data.record_count[posterior.data.record_unit == unit].sum())
        found.append(
            {
                "name": name,
                "countries": countries,
                "rows": rows,
                "ratio": _interval(np.exp(posterior.draws["source_offset"][:, unit])),
                "spread_ratio": _interval(np.exp(posterior.draws["population_spread"][:, unit])),
            }
        )
    return found


def _interval(values: np.ndarray) -> dict:
    low, mid, high = np.quantile(values, [0.1, 0.5, 0.9])
    return {"median": float(mid), "low_80": float(low), "high_80": float(high)}


def real_growth_section(posterior: Posterior, data: TrainingData, today: dt.date | None = None) -> list[dict]:
    """For each country aged with consumer prices: pay's real growth a year, and the aging
    factor of its oldest figures to ``today``'s month (at most as far as its index is
    projected), both as posterior medians with 80% intervals; the prices' part alone beside."""
    today = today or dt.datetime.now(dt.UTC).date()
    used = data.used_figures()
    found = []
    for c, country in enumerate(posterior.data.countries):
        if posterior.data.growth_sd[c] <= 0:
            continue
        series = data.wages[country]
        start = figure_month(int(used.loc[used["country"] == country, "year"].min()))
        end = min(month_ordinal(today.year, today.month), series.last_published + 12 * PROJECTION_YEARS)
        prices = series.log_level(end)[0] - series.log_level(start)[0]
        growth = posterior.draws["real_growth"][:, c]
        mean, sd = series.real_growth or (0.0, 0.0)
        found.append(
            {
                "country": country,
                "series": series.series,
                "source": series.source,
                "prior": f"Normal({np.expm1(mean):.1%}, {sd:.1%}) a year",
                "growth_per_year": _interval(np.expm1(growth)),
                "aging": {
                    "from": month_label(start),
                    "to": month_label(end),
                    "prices": float(np.exp(prices)),
                    "factor": _interval(np.exp(prices + growth * (end - start) / 12.0)),
                },
            }
        )
    return found


def measurement_section(
    data: TrainingData,
    *,
    seed: int = 0,
    settings: SamplerSettings | None = None,
    posterior: Posterior | None = None,
) -> dict:
    """The whole measurement-model report as data (see the module docstring); ``posterior``,
    when given, is the fit of these figures and records (else it is fitted)."""
    posterior = posterior or fit_posterior(data, seed=seed, settings=settings)
    checks = predictive_checks(posterior)
    outliers = checks[~checks["inside"]]
    summary = posterior.summary()
    return {
        **summary,
        "priors": prior_settings(),
        "records": int(posterior.data.record_count.sum()),
        "predictive_checks": {
            "level": 0.9,
            "statistics": int(len(checks)),
            "inside": int(checks["inside"].sum()),
            "outliers": [
                {"id": r.id, "statistic": r.statistic, "percentile": r.percentile, "source_weight": r.source_weight}
                for r in outliers.itertuples()
            ],
            "figures": checks.to_dict("records"),
        },
        "populations": _populations(posterior),
        "real_growth": real_growth_section(posterior, data),
        "cells": _cells(posterior, data),
        "diagnostics_pass": not posterior.diagnostics.problems(),
        "diagnostics_problems": posterior.diagnostics.problems(),
    }
