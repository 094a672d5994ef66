"""Populations: the market as one source of records sees it.

A population is a named source of individual salaries (a survey, a
payroll, a job board) that a model was trained with (``train --records``:
each distinct ``source``). The measurement model gives it its own offset
from the market, learnt from its rows; training compiles, for every cell of
the countries it has rows in, the predictive distribution of pay as that
population sees it (the market's median plus the population's offset, with
the offset's uncertainty) into extra rows of the tables
(``ModelMeta.populations``).

:meth:`ModelCore.population_view <salarymodel.serving.core.ModelCore.population_view>`
turns those rows into a core of their own: the same tables with the
population's rows in place of the cells', so every question a model answers
(predict, percentiles, rank, ranges, curve, a frame, explain) is answered
for the population by the same code.
"""

from __future__ import annotations

import dataclasses

from ..errors import ParameterError, ParameterTypeError
from .constraints import shown
from .model_io.records import ModelMeta, ServingTables

__all__ = ["PER_CELL_TABLES", "population_tables", "population_countries", "check_population"]

# The tables with one row per cell (the others are per country or per currency).
PER_CELL_TABLES = (
    "quantiles",
    "median",
    "median_low",
    "median_high",
    "support",
    "source",
)


def population_tables(tables: ServingTables, meta: ModelMeta, rows: dict[int, int]) -> tuple[ServingTables, ModelMeta]:
    """The tables and document of a model answering as one population.

    Parameters
    ----------
    tables, meta : ServingTables, ModelMeta
        The model's.
    rows : dict of int to int
        The population's rows: cell -> its own row (``CellLookup.populations``).
    """
    cells, own = list(rows), list(rows.values())
    replaced = {}
    for name in PER_CELL_TABLES:
        table = getattr(tables, name)[: len(meta.cells)].copy()
        table[cells] = getattr(tables, name)[own]
        replaced[name] = table
    return dataclasses.replace(tables, **replaced), dataclasses.replace(meta, populations=())


def population_countries(meta: ModelMeta, rows: dict[int, int]) -> list[str]:
    """The countries a population has rows in (sorted)."""
    return sorted({meta.cells[cell][0] for cell in rows})


def check_population(population: object, known: dict[str, dict[int, int]], owner: str) -> str:
    """The population's name, or a :class:`ParameterError` naming the ones the model has."""
    if not isinstance(population, str):
        raise ParameterTypeError(
            "population",
            f"The 'population' parameter of {owner} must be the name of a population (text), or None for the "
            f"market. Got {shown(population)} of type {type(population).__name__} instead.",
        )
    if population not in known:
        names = ", ".join(repr(name) for name in sorted(known)) if known else None
        fix = (
            f"It has {names}."
            if names
            else "It has none: train with --records FILE, whose 'source' column names each population."
        )
        raise ParameterError(
            "population",
            f"The 'population' parameter of {owner} must name a population this model was trained with. "
            f"Got {shown(population)}. {fix}",
        )
    return population
