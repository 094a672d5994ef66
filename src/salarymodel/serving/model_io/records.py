"""The model file's contents as typed records.

A data file (``salary_model-<id>.npz``) holds numpy tables and one JSON
document. Here each is a frozen dataclass whose fields declare their types,
sizes and ranges (:mod:`.schema`): :class:`ServingTables` for the tables and
:class:`ModelMeta` (with :class:`MoneyRecord`, :class:`WageRecord`,
:class:`FidelityRecord` and :class:`TrainingFacts`) for the document. Reading
conforms every field to its declaration, then checks the rules between
fields; writing is the same records as plain arrays and JSON. Training
builds them through the same readers, so it cannot write a file the loader
would refuse.
"""

from __future__ import annotations

import dataclasses
import io
import json
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np

from ...data.aging import PROJECTION_YEARS
from ..bands import Z_GRID
from ..grid import GRID_SIZE, QUANTILE_YEARS
from .schema import Array, Between, FieldError, Items, Record, Text, declared_types, path

__all__ = [
    "META_MEMBER",
    "ServingTables",
    "ModelMeta",
    "MoneyRecord",
    "WageRecord",
    "FidelityRecord",
    "TrainingFacts",
    "FieldError",
    "serving_bytes",
    "member_names",
]

# Log pay in reference USD: salaries between e^0 and e^25 (about 7e10) USD; spreads that keep
# every served quantile finite.
_LOG_PAY = Between(0, 25)
_PER_CELL = ("cells", "grid")

# The JSON document's member in the data file, stored as uint8 bytes.
META_MEMBER = "meta_json"


@dataclass(frozen=True, eq=False)
class ServingTables:
    """The numpy tables serving reads, one row per (country, employer) cell, then one per
    population's view of a cell (``ModelMeta.populations``).

    Log-pay tables are in log reference-year USD: ``quantiles``, one
    engineer's pay at each normal-score level of :data:`~..bands.Z_GRID` and
    each point of :data:`~..grid.QUANTILE_YEARS` (rising along the levels);
    on the years grid, the median and its interval. ``support`` grades (0-3)
    and ``source`` indices into ``ModelMeta.source_lists`` give each point's
    evidence; ``fx_rates`` are the ECB's monthly rates per USD (NaN in a month
    without one).
    """

    quantiles: Annotated[np.ndarray, Array("f8", ("cells", "years", "z"), _LOG_PAY)]
    median: Annotated[np.ndarray, Array("f8", _PER_CELL, _LOG_PAY)]
    median_low: Annotated[np.ndarray, Array("f8", _PER_CELL, _LOG_PAY)]
    median_high: Annotated[np.ndarray, Array("f8", _PER_CELL, _LOG_PAY)]
    support: Annotated[np.ndarray, Array("i1", _PER_CELL, Between(0, 3, rule="support grades from 0 to 3"))]
    source: Annotated[np.ndarray, Array("i4", _PER_CELL, Between(0))]
    fx_rates: Annotated[
        np.ndarray, Array("f8", ("currencies", "months"), Between(1e-9, 1e9, low_open=True, high_open=True), missing=True)
    ]

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: ModelMeta) -> ServingTables:
        """Check each table against its declaration and the document's sizes.

        Raises
        ------
        FieldError
            A table of another dtype or shape, holding NaN, infinity or a
            value out of its range, or a source index with no source list.
        """
        sizes = {
            "cells": meta.rows,
            "grid": GRID_SIZE,
            "years": len(QUANTILE_YEARS),
            "z": len(Z_GRID),
            "currencies": len(meta.money.fx_currencies),
        }
        hints = declared_types(cls)
        checked = {}
        for field in dataclasses.fields(cls):
            declared = next(m for m in hints[field.name].__metadata__ if isinstance(m, Array))
            checked[field.name] = declared.check(arrays[field.name], field.name, sizes)
        tables = cls(**checked)
        if (np.diff(tables.quantiles, axis=2) < 0).any():
            raise FieldError("quantiles", "rising with the level", None, found="a quantile falls from one level to the next")
        if tables.source.size and tables.source.max() >= len(meta.source_lists):
            raise FieldError(
                "source", "indices into source_lists", f"an index of {tables.source.max()} with {len(meta.source_lists)} lists"
            )
        return tables

    def arrays(self) -> dict[str, np.ndarray]:
        """The tables by name, as the data file stores them."""
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}


def member_names() -> set[str]:
    """The members a data file holds (without ``.npy``)."""
    return {field.name for field in dataclasses.fields(ServingTables)} | {META_MEMBER}


# The document's words.
Code = Annotated[str, Text(pattern=r"[A-Z]{2}", rule="an ISO alpha-2 code")]
Currency = Annotated[str, Text(limit=3, rule="an ISO 4217 code")]
Name = Annotated[str, Text()]
LongText = Annotated[str, Text(limit=500)]
# Months since year 0, as the model counts them (month_ordinal).
Month = Annotated[int, Between(1950 * 12, 2100 * 12, rule="a month between 1950 and 2100 (counted from year 0)")]
Rate = Annotated[float, Between(0, low_open=True, rule="a positive rate")]
Finite = Annotated[float, Between()]


@dataclass(frozen=True)
class WageRecord(Record):
    """One country's wage index: published months and their log levels."""

    # Two months at least: the last movement is the projection's rate.
    months: Annotated[tuple[Month, ...], Items(at_least=2, rising=True)]
    # A wage index within x/÷ e^5 of its start.
    log_levels: tuple[Annotated[float, Between(-5, 5, rule="a finite log level within ±5")], ...]
    series: LongText
    source: LongText
    # The sd of the real growth in the levels (log per year): 0 for an index of pay.
    growth_sd: Annotated[float, Between(0, 1, rule="a log rate sd from 0 to 1")] = 0.0

    def check(self, field: str) -> None:
        if len(self.months) != len(self.log_levels):
            raise FieldError(
                path(field, "months"),
                "rising months, one per log level",
                f"{len(self.months)} months for {len(self.log_levels)} levels",
            )


@dataclass(frozen=True)
class MoneyRecord(Record):
    """The money tables' numbers (:class:`~salarymodel.serving.money.MoneyTable`);
    the monthly rates themselves are ``ServingTables.fx_rates``."""

    reference_month: Month
    first_month: Month
    reference_per_usd: dict[Currency, Rate]
    local_currency: dict[Code, Currency]
    wages: dict[Code, WageRecord]
    fx_first_month: Month
    fx_currencies: Annotated[tuple[Currency, ...], Items(at_least=1, distinct=True)]

    def check(self, field: str) -> None:
        # Every answer is aged from the reference month: each index must reach it.
        for country, wages in self.wages.items():
            if not wages.months[0] <= self.reference_month <= wages.months[-1] + 12 * PROJECTION_YEARS:
                raise FieldError(
                    path(field, "reference_month"),
                    f"a month the wage index of {country} covers (or projects, at most {PROJECTION_YEARS} years)",
                    self.reference_month,
                )


# The fidelity columns explain reads: as text, and as numbers it computes with.
_FIDELITY_READ = ("id", "source", "statistic", "currency", "level", "years_min", "years_max", "company")
_FIDELITY_NUMBERS = ("reported_usd", "reported_high_usd", "model_usd", "model_high_usd", "relative_error", "relative_error_high")


def _number_or_missing(value: object) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


@dataclass(frozen=True)
class FidelityRecord(Record):
    """Each reported figure beside the model's value: a table's columns and rows."""

    columns: Annotated[tuple[Name, ...], Items(distinct=True)]
    records: tuple[tuple[object, ...], ...]

    def check(self, field: str) -> None:
        if "id" not in self.columns:
            raise FieldError(path(field, "columns"), "column names, one of them 'id'", self.columns)
        width = len(self.columns)
        short = next((r for r in self.records if len(r) != width), None)
        if short is not None:
            raise FieldError(path(field, "records"), f"rows of {width} values, one per column", short)
        at = self.columns.index("id")
        ids = [record[at] for record in self.records]
        if not all(isinstance(i, str) and Text().accepts(i) for i in ids):
            raise FieldError(path(field, "records"), "rows whose 'id' is a figure id", ids)
        if not self.records:  # a model being compiled has no fidelity yet
            return
        missing = [c for c in (*_FIDELITY_READ, *_FIDELITY_NUMBERS) if c not in self.columns]
        if missing:
            raise FieldError(path(field, "columns"), f"the columns explain reads ({', '.join(missing)} missing)", self.columns)
        for name in _FIDELITY_NUMBERS:
            at = self.columns.index(name)
            bad = next((r[at] for r in self.records if not _number_or_missing(r[at])), None)
            if bad is not None:
                raise FieldError(path(field, "records"), f"numbers (or null) in the column '{name}'", bad)

    def ids(self) -> set[str]:
        """The figure ids the table describes."""
        at = self.columns.index("id")
        return {str(record[at]) for record in self.records}


@dataclass(frozen=True)
class TrainingFacts(Record):
    """How the model was trained, for its card and the API."""

    seed: Annotated[int, Between(0)]
    rows: Annotated[int, Between(0)]
    rows_per_country: Annotated[int, Between(0)]
    version: Name


@dataclass(frozen=True)
class ModelMeta(Record):
    """The data file's JSON document: what the tables' rows and columns mean."""

    NAME = META_MEMBER

    countries: Annotated[tuple[Code, ...], Items(at_least=1, distinct=True)]
    cells: tuple[tuple[Code, Name | None], ...]
    local_currency: dict[Code, Currency]
    company_aliases: dict[Name, Name]
    country_names: dict[Name, Code]
    country_labels: dict[Code, Name]
    level_edges: Annotated[tuple[Finite, Finite, Finite], Items(rising=True)]
    reference_year: Annotated[int, Between(1990, 2100)]
    reference_per_usd: dict[Currency, Rate]
    source_lists: tuple[tuple[Name, ...], ...]
    # Who published each source (publisher, title, published, address, about); a format-9
    # file names none.
    sources: dict[Name, dict[Name, Annotated[str, Text(limit=1000, empty=True, any_character=True)]]] = dataclasses.field(
        default_factory=dict, kw_only=True
    )
    money: MoneyRecord
    metadata: TrainingFacts
    fidelity: FidelityRecord
    # The tables' rows after the cells': each a population (a source of records) and the
    # cell it answers for as that population sees the market. A format-10 file has none.
    populations: tuple[tuple[Name, Annotated[int, Between(0)]], ...] = dataclasses.field(default=(), kw_only=True)
    # The pay the tables describe (figures of other pay are kept out of training). A
    # format-12 file and earlier describe base pay.
    pay: Annotated[str, Text(pattern="base|total", rule="'base' or 'total'")] = dataclasses.field(default="base", kw_only=True)

    @property
    def rows(self) -> int:
        """Rows of every per-cell table: the cells', then the populations'."""
        return len(self.cells) + len(self.populations)

    def check(self, field: str) -> None:
        countries = set(self.countries)
        if any(cell >= len(self.cells) for _, cell in self.populations) or len(set(self.populations)) != len(self.populations):
            raise FieldError("populations", "distinct [population, cell index] pairs of the model's cells", self.populations)
        if any(country not in countries for country, _ in self.cells) or len(set(self.cells)) != len(self.cells):
            raise FieldError("cells", "distinct [country, employer or null] pairs of the model's countries", self.cells)
        if any((country, None) not in self.cells for country in self.countries):
            raise FieldError("cells", "a list with a market cell [country, null] for every country", self.cells)
        for name in ("local_currency", "country_labels"):
            if set(getattr(self, name)) != countries:
                raise FieldError(name, "an object with an entry for every country", getattr(self, name))
        if not set(self.country_names.values()) <= countries:
            raise FieldError("country_names", "an object of names to the model's countries", self.country_names)
        if not set(self.local_currency.values()) <= set(self.reference_per_usd):
            raise FieldError("reference_per_usd", "a rate for every local currency", self.reference_per_usd)
        if not set(self.money.wages) <= countries:
            raise FieldError("money.wages", "an object of the model's countries to wage indices", self.money.wages)
        if self.money.local_currency != self.local_currency or self.money.reference_per_usd != self.reference_per_usd:
            raise FieldError("money", "money tables of the document's currencies and reference rates", self.money.local_currency)
        if self.fidelity.records:
            known = self.fidelity.ids()
            unknown = sorted({name for names in self.source_lists for name in names} - known)
            if unknown:
                raise FieldError("source_lists", "lists of the figure ids the fidelity table describes", unknown[:5])

    def json_bytes(self) -> bytes:
        """The document as compact UTF-8 JSON."""
        return json.dumps(self.to_json(), separators=(",", ":")).encode("utf-8")


def serving_bytes(tables: ServingTables, meta: ModelMeta) -> bytes:
    """The data file: every table and the JSON document, uncompressed (loading is a
    memory copy, and the audit reads each member's header before its data)."""
    # Row-major, as the audit requires of every member.
    members: dict[str, Any] = {name: np.ascontiguousarray(table) for name, table in tables.arrays().items()}
    members[META_MEMBER] = np.frombuffer(meta.json_bytes(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **members)
    return buffer.getvalue()
