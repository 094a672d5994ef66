"""The rows a model serves: each country's market, its employers, and each
population's view of a cell (:mod:`salarymodel.serving.populations`)."""

from __future__ import annotations

from ..data.training_data import TrainingData
from .posterior import Posterior

__all__ = ["Cell", "model_cells", "served_rows", "table_rows"]

Cell = tuple[str, str | None]


def model_cells(countries, data: TrainingData, employers=()) -> list[tuple[str, str | None]]:
    """The (country, company) cells a model serves: each market, then the employers of
    the used figures and the given ``(country, company)`` pairs (e.g. the records')."""
    used = data.used_figures()
    companies = {c: set(used.loc[(used["country"] == c) & used["company"].notna(), "company"]) for c in countries}
    for country, company in employers:
        companies[country].add(company)
    return [(c, None) for c in countries] + [(c, k) for c in countries for k in sorted(companies[c])]


def served_rows(data: TrainingData, posterior: Posterior) -> tuple[list[Cell], list[tuple[str, int, int]]]:
    """The cells a model serves and its populations' rows after them: (name, cell, unit),
    one for each cell of a country the population has records in."""
    cells = model_cells(sorted(posterior.data.countries), data, posterior.data.employers)
    populations = []
    for name, unit, covered in posterior.population_units():
        populations += [(name, i, unit) for i, (country, _) in enumerate(cells) if country in covered]
    return cells, populations


def table_rows(cells: list[Cell], populations: list[tuple[str, int, int]]) -> list[tuple[int, int | None]]:
    """Each row of a model's tables as (cell, unit): the cells' own (unit None), then each
    population's view of a cell (:func:`served_rows`' order)."""
    return [(i, None) for i in range(len(cells))] + [(cell, unit) for _, cell, unit in populations]
