"""Compiling a fitted model into the plain tables that serve it.

The training side (scikit-learn estimator, training plan, figures) is
evaluated once on the years grid for every (country, company) cell; what
serving needs is kept as the model file's typed records
(:mod:`salarymodel.serving.model_file`), so a saved model loads without
unpickling and without importing scikit-learn, scipy or pandas.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..data.aging import figure_month, load_wage_index, month_ordinal
from ..data.figures import level_edges, local_currencies
from ..data.fx import monthly_rates_per_usd
from ..data.names import country_labels, country_names_for, load_company_aliases
from ..data.sources import load_sources
from ..data.tables import TablePaths
from ..serving.bands import band_levels, quantile_rows
from ..serving.grid import YEARS_GRID
from ..serving.model import SalaryModel, TrainingState
from ..serving.model_file import FidelityRecord, ModelMeta, ServingTables, TrainingFacts
from ..serving.money import MoneyTable
from .compile_posterior import posterior_tables
from .posterior import Posterior
from .predictive import shape_table
from .provenance import provenance_tables
from .synthetic import TrainingPlan
from .uncertainty import median_variance

__all__ = ["compile_model", "model_cells"]


def model_cells(countries, plan: TrainingPlan, employers=()) -> list[tuple[str, str | None]]:
    """The (country, company) cells a model serves: each market, then the employers of
    the used figures and the given ``(country, company)`` pairs (e.g. the records')."""
    used = plan.used_figures()
    companies = {c: set(used.loc[(used["country"] == c) & used["company"].notna(), "company"]) for c in countries}
    for country, company in employers:
        companies[country].add(company)
    return [(c, None) for c in countries] + [(c, k) for c in countries for k in sorted(companies[c])]


def _money_table(plan: TrainingPlan, local_currency: dict[str, str]) -> MoneyTable:
    """The aging and currency tables for a plan's countries (shipped indices, ECB months)."""
    first_year = int(plan.used_figures()["year"].min())
    return MoneyTable(
        reference_month=figure_month(plan.basis.reference_year),
        first_month=figure_month(first_year),
        reference_per_usd=plan.basis.per_usd,
        local_currency=local_currency,
        wages=load_wage_index(_tables(plan).path("wage_index")),
        fx_first_month=month_ordinal(first_year, 1),
        fx_rates=monthly_rates_per_usd(first_year, 1),
    )


def _tables(plan: TrainingPlan) -> TablePaths:
    return getattr(plan, "tables", None) or TablePaths()


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


def compile_model(estimator, plan: TrainingPlan, metadata: TrainingFacts, posterior: Posterior | None = None) -> SalaryModel:
    """Evaluate a fitted estimator into a serving :class:`SalaryModel`.

    Parameters
    ----------
    estimator : SalaryRegressor
        Fitted on log reference-year USD salary (consensus and within-source).
    plan : TrainingPlan
        Figures, money basis, cell distributions and effects the training set came from.
    metadata : TrainingFacts
        Seed, rows and version, for the model card and the API.
    posterior : Posterior, default=None
        The measurement model's posterior the training set was drawn from: then
        the centre, the median's uncertainty and the median's interval are the
        posterior predictive's (:mod:`salarymodel.training.compile_posterior`);
        without it, the moment estimates of the plan (the validation's refits).

    Returns
    -------
    SalaryModel
        With its training side attached (``model.estimator``, ``model.plan``).
    """
    countries = sorted(estimator.fits_)
    used = plan.used_figures()
    local = {c: code for c, code in local_currencies(used).items() if c in countries}
    cells = model_cells(countries, plan, posterior.data.employers if posterior is not None else ())
    shapes = np.stack([shape_table(estimator.within_scores_[c]) for c in countries])
    cell_country = np.array([countries.index(c) for c, _ in cells])
    populations: list[tuple[str, int, int]] = []  # (name, cell, unit): rows after the cells'
    if posterior is not None:
        for name, unit, covered in posterior.population_units():
            populations += [(name, i, unit) for i, (country, _) in enumerate(cells) if country in covered]
        pairs = tuple((cell, unit) for _, cell, unit in populations)
        read = posterior_tables(posterior, cells, estimator, shapes, countries, pairs)
        centre, scale, ratio_low, ratio_high = read["centre"], read["scale"], read["ratio_low"], read["ratio_high"]
        scale_high = read["scale_high"]
        row_country = np.concatenate([cell_country, cell_country[[cell for _, cell, _ in populations]]]).astype(int)
        median = quantile_rows(0.5, centre, scale, ratio_low, ratio_high, row_country, shapes)
        median_low, median_high = np.minimum(read["median_low"], median), np.maximum(read["median_high"], median)
    else:
        shape = (len(cells), len(YEARS_GRID))
        frame = pd.DataFrame([(c, k, y) for c, k in cells for y in YEARS_GRID], columns=["country", "company", "years"])
        centre, scale = estimator.centre_scale(frame, within=True)
        centre, scale = centre.reshape(shape), scale.reshape(shape)
        scale_high = scale  # the moment model's distribution is symmetric in its scale
        # Part (b), the median's uncertainty, in units of the within-source scale.
        var_low, var_high = median_variance(plan, cells, YEARS_GRID)
        ratio_low, ratio_high = np.sqrt(var_low) / scale, np.sqrt(var_high) / scale
        median = quantile_rows(0.5, centre, scale, ratio_low, ratio_high, cell_country, shapes)
        # The median's own 80% interval is part (b) alone, around the median.
        low_level, _ = band_levels(0.8)
        z = float(-ndtri(low_level))
        median_low = median - z * np.sqrt(var_low)
        median_high = median + z * np.sqrt(var_high)
    support, source, source_lists = provenance_tables(used, cells, YEARS_GRID)
    # A population's rows rest on the same figures as the cells they answer for (and on its rows).
    same = [i for i in range(len(cells))] + [cell for _, cell, _ in populations]
    support, source = np.asarray(support)[same], np.asarray(source)[same]
    money = _money_table(plan, local)
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
        "company_aliases": load_company_aliases(_tables(plan).path("aliases")),
        "country_names": country_names_for(countries),
        "country_labels": country_labels(countries),
        "level_edges": list(level_edges(plan.levels)),
        "reference_year": int(plan.basis.reference_year),
        "reference_per_usd": {k: float(v) for k, v in plan.basis.per_usd.items()},
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
    training = TrainingState(estimator, plan, posterior)
    # The fidelity of every figure is evidence the served model carries (explain reads it).
    from .fidelity import fidelity_table

    table = fidelity_table(SalaryModel(tables, typed).quantiles, plan, typed.countries)
    fidelity = FidelityRecord.from_json(
        {"columns": list(table.columns), "records": [[_json_value(v) for v in row] for row in table.itertuples(index=False)]},
        "fidelity",
    )
    return SalaryModel(tables, dataclasses.replace(typed, fidelity=fidelity), training=training)
