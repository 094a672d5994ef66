"""Compiling a fitted model into the plain tables that serve it.

The training side (scikit-learn estimator, training plan, figures) is
evaluated once on the years grid for every (country, company) cell; what
serving needs is kept as numpy arrays and JSON-able metadata
(:class:`salarymodel.serving.model.SalaryModel`), so a saved model loads without
unpickling and without importing scikit-learn, scipy or pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.aging import figure_month, load_wage_index, month_ordinal
from ..data.figures import level_edges, local_currencies
from ..data.fx import monthly_rates_per_usd
from ..data.names import country_labels, country_names_for, load_company_aliases
from ..serving.grid import YEARS_GRID
from ..serving.model import SalaryModel, TrainingState
from ..serving.money import MoneyTable
from .provenance import provenance_tables
from .synthetic import TrainingPlan

__all__ = ["compile_model", "model_cells"]


def model_cells(estimator, plan: TrainingPlan) -> list[tuple[str, str | None]]:
    """The (country, company) cells a model serves: each market, then employers."""
    countries = sorted(estimator.scores_)
    used = plan.used_figures()
    companies = {c: sorted(set(used.loc[(used["country"] == c) & used["company"].notna(), "company"]))
                 for c in countries}
    return [(c, None) for c in countries] + [(c, k) for c in countries for k in companies[c]]


def _money_table(plan: TrainingPlan, local_currency: dict[str, str]) -> MoneyTable:
    """The aging and currency tables for a plan's countries (shipped indices, ECB months)."""
    first_year = int(plan.used_figures()["year"].min())
    return MoneyTable(reference_month=figure_month(plan.basis.reference_year), first_month=figure_month(first_year),
                      reference_per_usd=plan.basis.per_usd, local_currency=local_currency,
                      wages=load_wage_index(), fx_first_month=month_ordinal(first_year, 1),
                      fx_rates=monthly_rates_per_usd(first_year, 1))


def _median_interval(median: np.ndarray, bootstrap: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """10th/90th percentile of the bootstrap medians, always holding the median."""
    if bootstrap is None or len(bootstrap) == 0:
        return median, median
    low, high = median.copy(), median.copy()
    # A replicate either drew a cell (a whole row of values) or not (a row of
    # NaN): percentiles per cell over the replicates that drew it, which is
    # what nanpercentile computes, a hundred times faster.
    for cell in range(bootstrap.shape[1]):
        rows = bootstrap[:, cell]
        drawn = rows[~np.isnan(rows).any(axis=1)]
        if len(drawn):
            low[cell], high[cell] = np.percentile(drawn, [10, 90], axis=0)
    return np.fmin(low, median), np.fmax(high, median)


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


def compile_model(estimator, plan: TrainingPlan, metadata: dict,
                  bootstrap: np.ndarray | None = None) -> SalaryModel:
    """Evaluate a fitted estimator into a serving :class:`SalaryModel`.

    Parameters
    ----------
    estimator : SalaryRegressor
        Fitted on log reference-year USD salary.
    plan : TrainingPlan
        Figures, money basis and cell distributions the training set came from.
    metadata : dict
        Seed, rows and other facts for the model card (JSON-able).
    bootstrap : ndarray of shape (replicates, cells, grid), default=None
        Log medians refitted on resampled figures (:mod:`salarymodel.training.uncertainty`).

    Returns
    -------
    SalaryModel
        With its training side attached (``model.estimator``, ``model.plan``).
    """
    countries = sorted(estimator.scores_)
    used = plan.used_figures()
    local = {c: code for c, code in local_currencies(used).items() if c in countries}
    cells = model_cells(estimator, plan)
    shape = (len(cells), len(YEARS_GRID))
    frame = pd.DataFrame([(c, k, y) for c, k in cells for y in YEARS_GRID], columns=["country", "company", "years"])
    centre, scale = estimator.centre_scale(frame)
    median = estimator.predict(frame).reshape(shape)
    median_low, median_high = _median_interval(median, bootstrap)
    support, source, source_lists = provenance_tables(used, cells, YEARS_GRID)
    money = _money_table(plan, local)
    money_meta, fx = money.to_meta()
    tables = {
        "centre": centre.reshape(shape), "scale": scale.reshape(shape),
        "band_scale": estimator.centre_scale(frame, band=True)[1].reshape(shape),
        "median": median, "median_low": median_low, "median_high": median_high,
        "support": np.asarray(support, dtype=np.int8), "source": np.asarray(source, dtype=np.int32),
        "fx_rates": fx,
    }
    for country in countries:
        tables[f"scores_{country}"] = np.sort(np.asarray(estimator.scores_[country], dtype=float))
        tables[f"band_scores_{country}"] = np.sort(np.asarray(estimator.band_scores_[country], dtype=float))
    meta = {
        "countries": countries,
        "cells": [[c, k] for c, k in cells],
        "local_currency": local,
        "company_aliases": load_company_aliases(),
        "country_names": country_names_for(countries),
        "country_labels": country_labels(countries),
        "level_edges": list(level_edges(plan.levels)),
        "reference_year": int(plan.basis.reference_year),
        "reference_per_usd": {k: float(v) for k, v in plan.basis.per_usd.items()},
        "source_lists": [list(ids) for ids in source_lists],
        "money": money_meta,
        "metadata": metadata,
        "fidelity": {"columns": [], "records": []},
    }
    model = SalaryModel(tables, meta, training=TrainingState(estimator, plan))
    # The fidelity of every figure is evidence the served model carries (explain reads it).
    from .fidelity import fidelity_table

    table = fidelity_table(model.quantiles, plan, model.countries)
    meta["fidelity"] = {"columns": list(table.columns),
                        "records": [[_json_value(v) for v in row] for row in table.itertuples(index=False)]}
    return model
