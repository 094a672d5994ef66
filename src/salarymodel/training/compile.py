"""Compiling the posterior and its regression into the plain tables that serve it.

Each served row (a country's market, each employer, each population's view
of a cell) has its synthetic engineers (:func:`~.engineers.row_engineers`),
and a :class:`~.quantile_curves.QuantileCurves` regression learns its
quantile curves from them; their predictions at
:data:`~salarymodel.serving.grid.QUANTILE_YEARS` are the row's quantile table.
The median's own 80% interval is the posterior's 10th and 90th percentile of
the row's median. What serving needs is kept as the model file's typed records
(:mod:`salarymodel.serving.model_io.records`), so a saved model loads without
unpickling and without importing scikit-learn, scipy or pandas.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..data.aging import WageSeries, figure_month, month_ordinal
from ..data.figures import BASE_PAY, level_edges
from ..data.fx import monthly_rates_per_usd
from ..data.names import country_labels, country_names_for
from ..data.sources import load_sources
from ..data.training_data import TrainingData
from ..serving.bands import quantile_rows
from ..serving.core import ModelCore
from ..serving.explanations import quantiles
from ..serving.grid import QUANTILE_YEARS, YEARS_GRID, onto_grid
from ..serving.model import SalaryModel
from ..serving.model_io.records import FidelityRecord, ModelMeta, ServingTables, TrainingFacts
from ..serving.money import MoneyTable
from ._seeds import country_rng
from .cells import Cell, served_rows, table_rows
from .engineers import row_engineers
from .posterior import Posterior
from .provenance import provenance_tables
from .quantile_curves import QuantileCurves
from .state_file import TrainingState

__all__ = ["compile_model", "fit_quantile_curves", "served_wages"]


def fit_quantile_curves(
    posterior: Posterior,
    cells: Sequence[Cell],
    populations: Sequence[tuple[str, int, int]],
    *,
    seed: int,
    regression: QuantileCurves | None = None,
) -> list[QuantileCurves]:
    """One fitted regression (a clone of ``regression``) per served row: the cells', then
    the populations', each learnt from that row's synthetic engineers.

    Each country draws its rows' engineers, in row order, from its own stream of ``seed``.
    """
    template = QuantileCurves() if regression is None else regression
    streams: dict[str, np.random.Generator] = {}
    fitted = []
    for cell, unit in table_rows(list(cells), list(populations)):
        country, company = cells[cell]
        rng = streams.setdefault(country, country_rng(seed, country, purpose=11))
        years, pay = row_engineers(posterior, country, company, unit, rng)
        fitted.append(clone(template).fit(years.reshape(-1, 1), pay))
    return fitted


def _median_interval(
    posterior: Posterior, cells: Sequence[Cell], rows: Sequence[tuple[int, int | None]]
) -> tuple[np.ndarray, np.ndarray]:
    """The posterior's 10th and 90th percentiles of each row's median, on the years grid,
    never falling with years (each draw's curve rises; the running maximum removes the
    Monte Carlo noise)."""
    low, high = np.empty((len(rows), len(QUANTILE_YEARS))), np.empty((len(rows), len(QUANTILE_YEARS)))
    for i, (cell, unit) in enumerate(rows):
        median, _ = posterior.row_draws(*cells[cell], QUANTILE_YEARS, unit)
        low[i], high[i] = np.quantile(median, [0.1, 0.9], axis=0)
    return np.maximum.accumulate(onto_grid(low), axis=1), np.maximum.accumulate(onto_grid(high), axis=1)


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


def compile_model(
    curves: Sequence[QuantileCurves], data: TrainingData, metadata: TrainingFacts, posterior: Posterior
) -> SalaryModel:
    """Compile the fitted quantile curves and their posterior into a serving :class:`SalaryModel`.

    Parameters
    ----------
    curves : sequence of QuantileCurves
        :func:`fit_quantile_curves`'s, one per row of :func:`served_rows`.
    data : TrainingData
        The run's figures, money basis and tables.
    metadata : TrainingFacts
        Seed, rows and version, for the model card and the API.
    posterior : Posterior
        The measurement model's posterior the engineers were drawn from (the
        median's interval is read off it).

    Returns
    -------
    SalaryModel
        With its training side as ``model.training`` (a :class:`~.state_file.TrainingState`).
    """
    cells, populations = served_rows(data, posterior)
    countries = sorted(posterior.data.countries)
    used = data.used_figures()
    local = {c: code for c, code in data.local_currencies().items() if c in countries}
    rows = table_rows(cells, populations)
    if len(curves) != len(rows):
        raise ValueError(f"One fitted regression per served row: {len(rows)} rows, {len(curves)} regressions.")
    quantile_table = np.stack([fitted.predict_quantiles(QUANTILE_YEARS.reshape(-1, 1)) for fitted in curves])
    median = quantile_rows(0.5, quantile_table)
    median_low, median_high = _median_interval(posterior, cells, rows)
    median_low, median_high = np.minimum(median_low, median), np.maximum(median_high, median)
    support, source, source_lists = provenance_tables(used, cells, YEARS_GRID)
    # A population's rows rest on the same figures as the cells they answer for (and on its rows).
    same = [cell for cell, _ in rows]
    support, source = np.asarray(support)[same], np.asarray(source)[same]
    money = _money_table(data, posterior, local)
    money_meta, fx = money.to_meta()
    arrays = {
        "quantiles": quantile_table,
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
        "pay": BASE_PAY,
    }
    # Through the model file's own readers: training cannot build a model the loader would refuse.
    typed = ModelMeta.from_json(meta)
    tables = ServingTables.from_arrays(arrays, typed)
    training = TrainingState(list(curves), data, posterior)
    # The fidelity of every figure is evidence the served model carries (explain reads it).
    from .fidelity import fidelity_table

    table = fidelity_table(functools.partial(quantiles, ModelCore(tables, typed)), data, typed.countries)
    fidelity = FidelityRecord.from_json(
        {"columns": list(table.columns), "records": [[_json_value(v) for v in row] for row in table.itertuples(index=False)]},
        "fidelity",
    )
    return SalaryModel(tables, dataclasses.replace(typed, fidelity=fidelity), training=training)
