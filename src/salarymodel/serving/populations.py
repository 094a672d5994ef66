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
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError, ParameterTypeError
from .model_io.records import ModelMeta, ServingTables
from .model_io.schema import shown

if TYPE_CHECKING:
    from .core import ModelCore

__all__ = ["PER_CELL_TABLES", "population_tables", "population_countries", "check_population", "check_frame_countries"]

# The tables with one row per cell (the others are per country or per currency).
PER_CELL_TABLES = (
    "centre",
    "scale",
    "scale_high",
    "ratio_low",
    "ratio_high",
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


def check_frame_countries(core: ModelCore, frame: Any, population: str) -> None:
    """Refuse a pandas or Dask frame with a country ``population`` has no records in (named,
    with its rows' count); a missing column and countries the model does not know are left to
    the frame's own checks. A Dask frame's countries are counted in one pass over it."""
    if not hasattr(frame, "columns") or "country" not in frame.columns:
        return
    counts = frame["country"].value_counts(dropna=True)
    if hasattr(counts, "compute"):
        counts = counts.compute()
    covered = population_countries(core.meta, core.lookup.populations[population])
    outside: dict[str, int] = {}
    for value, count in counts.items():
        try:
            code = core.resolve_country(value)
        except (ValueError, TypeError):
            continue
        if code not in covered:
            label = core.country_label(code)
            outside[label] = outside.get(label, 0) + int(count)
    if outside:
        listed = ", ".join(f"{label} ({count:,} rows)" for label, count in sorted(outside.items()))
        raise ParameterError(
            "population",
            f"The population {population!r} has no records in {listed}, so the model cannot answer as it sees "
            f"those markets. It answers for {', '.join(core.country_label(c) for c in covered)}: score those "
            "rows without the population, or leave them out.",
        )
