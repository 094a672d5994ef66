"""Compiling a fitted model into the plain tables that serve it.

The training side (scikit-learn estimator, posterior, figures) is
evaluated once on the years grid for every (country, company) cell; what
serving needs is kept as the model file's typed records
(:mod:`salarymodel.serving.model_io.records`), so a saved model loads without
unpickling and without importing scikit-learn, scipy or pandas.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pandas as pd

from ..data.aging import WageSeries, figure_month, month_ordinal
from ..data.figures import level_edges
from ..data.fx import monthly_rates_per_usd
from ..data.names import country_labels, country_names_for
from ..data.sources import load_sources
from ..data.training_data import TrainingData
from ..serving.bands import quantile_rows
from ..serving.core import ModelCore
from ..serving.explanations import quantiles
from ..serving.grid import YEARS_GRID
from ..serving.model import SalaryModel
from ..serving.model_io.records import FidelityRecord, ModelMeta, ServingTables, TrainingFacts
from ..serving.money import MoneyTable
from .compile_posterior import posterior_tables
from .posterior import Posterior
from .predictive import shape_table
from .provenance import provenance_tables
from .state_file import TrainingState

__all__ = ["compile_model", "model_cells", "served_wages"]


def model_cells(countries, data: TrainingData, employers=()) -> list[tuple[str, str | None]]:
    """The (country, company) cells a model serves: each market, then the employers of
    the used figures and the given ``(country, company)`` pairs (e.g. the records')."""
    used = data.used_figures()
    companies = {c: set(used.loc[(used["country"] == c) & used["company"].notna(), "company"]) for c in countries}
    for country, company in employers:
        companies[country].add(company)
    return [(c, None) for c in countries] + [(c, k) for c in countries for k in sorted(companies[c])]


def served_wages(data: TrainingData, posterior: Posterior) -> dict[str, WageSeries]:
    """The indices serving ages pay with: each index of pay as published; a consumer-price
    index with pay's real growth added at its posterior median (its uncertainty is in the
    median's interval at the reference date, through the figures it aged, and the growth's
    posterior sd goes with the series, so serving widens that interval with the distance)."""
    served = dict(data.wages)
    for c, country in enumerate(posterior.data.countries):
        series = data.wages.get(country)
        if series is None or series.real_growth is None or posterior.data.growth_sd[c] <= 0:
            continue
        draws = posterior.draws["real_growth"][:, c]
        growth = float(np.median(draws))
        served[country] = WageSeries(
            country,
            series.months,
            series.log_levels + growth * (series.months - series.months[0]) / 12.0,
            f"{series.series}; real growth {np.expm1(growth):.1%} a year (posterior median)",
            series.source,
            growth_sd=float(np.std(draws)),
        )
    return served


def _money_table(data: TrainingData, posterior: Posterior, local_currency: dict[str, str]) -> MoneyTable:
    """The aging and currency tables for the run's countries (its wage indices, ECB months)."""
    first_year = int(data.used_figures()["year"].min())
    return MoneyTable(
        reference_month=figure_month(data.basis.reference_year),
        first_month=figure_month(first_year),
        reference_per_usd=data.basis.per_usd,
        local_currency=local_currency,
        wages=served_wages(data, posterior),
        fx_first_month=month_ordinal(first_year, 1),
        fx_rates=monthly_rates_per_usd(first_year, 1),
    )


def _json_value(value: object) -> object:
    """A fidelity cell as JSON: numpy scalars to Python (NaN stays a float), missing text to None."""
    if isinstance(value, (np.floating, float)):
        return float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA:
        return None
    return value


def compile_model(estimator, data: TrainingData, metadata: TrainingFacts, posterior: Posterior) -> SalaryModel:
    """Evaluate a fitted estimator and its posterior into a serving :class:`SalaryModel`.

    Parameters
    ----------
    estimator : SalaryRegressor
        Fitted on the posterior's engineers (log reference-year USD).
    data : TrainingData
        The run's figures, money basis and tables.
    metadata : TrainingFacts
        Seed, rows and version, for the model card and the API.
    posterior : Posterior
        The measurement model's posterior the engineers were drawn from: the
        centre, the median's uncertainty and the median's interval are its
        posterior predictive's (:mod:`salarymodel.training.compile_posterior`).

    Returns
    -------
    SalaryModel
        With its training side as ``model.training`` (a :class:`~.state_file.TrainingState`).
    """
    countries = sorted(estimator.fits_)
    used = data.used_figures()
    local = {c: code for c, code in data.local_currencies().items() if c in countries}
    cells = model_cells(countries, data, posterior.data.employers)
    shapes = np.stack([shape_table(estimator.within_scores_[c]) for c in countries])
    cell_country = np.array([countries.index(c) for c, _ in cells])
    populations: list[tuple[str, int, int]] = []  # (name, cell, unit): rows after the cells'
    for name, unit, covered in posterior.population_units():
        populations += [(name, i, unit) for i, (country, _) in enumerate(cells) if country in covered]
    pairs = tuple((cell, unit) for _, cell, unit in populations)
    read = posterior_tables(posterior, cells, estimator, shapes, countries, pairs)
    centre, scale, ratio_low, ratio_high = read["centre"], read["scale"], read["ratio_low"], read["ratio_high"]
    scale_high = read["scale_high"]
    row_country = np.concatenate([cell_country, cell_country[[cell for _, cell, _ in populations]]]).astype(int)
    median = quantile_rows(0.5, centre, scale, ratio_low, ratio_high, row_country, shapes)
    median_low, median_high = np.minimum(read["median_low"], median), np.maximum(read["median_high"], median)
    support, source, source_lists = provenance_tables(used, cells, YEARS_GRID)
    # A population's rows rest on the same figures as the cells they answer for (and on its rows).
    same = [i for i in range(len(cells))] + [cell for _, cell, _ in populations]
    support, source = np.asarray(support)[same], np.asarray(source)[same]
    money = _money_table(data, posterior, local)
    money_meta, fx = money.to_meta()
    arrays = {
        "centre": centre,
        "scale": scale,
        "scale_high": scale_high,
        "ratio_low": ratio_low,
        "ratio_high": ratio_high,
        "shapes": shapes,
        "median": median,
        "median_low": median_low,
        "median_high": median_high,
        "support": np.asarray(support, dtype=np.int8),
        "source": np.asarray(source, dtype=np.int32),
        "fx_rates": fx,
    }
    meta = {
        "countries": countries,
        "cells": [[c, k] for c, k in cells],
        "local_currency": local,
        "company_aliases": data.aliases,
        "country_names": country_names_for(countries),
        "country_labels": country_labels(countries),
        "level_edges": list(level_edges(data.levels)),
        "reference_year": int(data.basis.reference_year),
        "reference_per_usd": {k: float(v) for k, v in data.basis.per_usd.items()},
        "source_lists": [list(ids) for ids in source_lists],
        # Who published each source the figures name (facts, shown beside them by explain).
        "sources": {source: names for source, names in load_sources().items() if source in set(used["source"])},
        "money": money_meta,
        "metadata": metadata.to_json(),
        "fidelity": {"columns": ["id"], "records": []},
        "populations": [[name, cell] for name, cell, _ in populations],
    }
    # Through the model file's own readers: training cannot build a model the loader would refuse.
    typed = ModelMeta.from_json(meta)
    tables = ServingTables.from_arrays(arrays, typed)
    training = TrainingState(estimator, data, posterior)
    # The fidelity of every figure is evidence the served model carries (explain reads it).
    from .fidelity import fidelity_table

    table = fidelity_table(functools.partial(quantiles, ModelCore(tables, typed)), data, typed.countries)
    fidelity = FidelityRecord.from_json(
        {"columns": list(table.columns), "records": [[_json_value(v) for v in row] for row in table.itertuples(index=False)]},
        "fidelity",
    )
    return SalaryModel(tables, dataclasses.replace(typed, fidelity=fidelity), training=training)
