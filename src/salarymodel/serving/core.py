"""The core a model serves from: its tables, their names, money, and typed reads.

A :class:`ModelCore` holds the model file's two records
(:mod:`.model_io.records`): ``tables``, numpy arrays per (country, company)
cell and point of the years grid, and ``meta``, what they mean (cells,
names, aliases, wage indices, the fidelity of every reported figure, how
the model was trained); plus one lookup index from names to rows
(:mod:`.lookup`) and the money tables (:mod:`.money`). It resolves inputs,
reads quantiles of the predictive distribution, and estimates one engineer
(:meth:`ModelCore.predict`, the hot path, in plain Python arithmetic).

The feature modules (:mod:`.rank`, :mod:`.pay_ranges`, :mod:`.year_ranges`,
``_frame``, :mod:`.explanations`, ``_dask``, :mod:`.curves`) are functions of a
core; :class:`~.model.SalaryModel` is the public facade over one.

Importing this module imports numpy only: pandas is imported when a frame
is scored or explained, scikit-learn never.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.levels import MAX_YEARS, level_for_years
from ..errors import ParameterError, ParameterTypeError
from .bands import MEDIAN_Z, band_levels, check_confidence, check_percentile, quantile_rows, widened_by_aging
from .constraints import YEARS
from .employer_warning import warn_unknown_employer
from .estimate import SUPPORT_GRADES, SalaryEstimate
from .grid import YEARS_GRID, grid_position
from .lookup import CellLookup, CompanyCell
from .model_io.records import ModelMeta, ServingTables
from .money import MoneyQuote, MoneyTable

if TYPE_CHECKING:
    pass

__all__ = ["ModelCore", "CACHE_BYTES"]

_new_estimate = tuple.__new__
_MEDIAN_Z2 = MEDIAN_Z**2
# Each cache of tables keyed by a level or a confidence (which callers choose freely) holds
# at most this many bytes: the shipped model keeps hundreds of levels, one with thousands
# of employers a few, so no stream of odd confidences can grow a server's memory without end.
CACHE_BYTES = 64 * 1024 * 1024
# A float in a Python list: the object and its pointer.
_PYTHON_FLOAT_BYTES = 32


def _make_room(cache: dict[Any, Any], most: int, entry_bytes: int) -> None:
    """Empty ``cache`` if one more entry of ``entry_bytes`` would pass ``most`` entries or
    :data:`CACHE_BYTES` (one entry is always allowed)."""
    if len(cache) >= min(most, max(1, CACHE_BYTES // max(entry_bytes, 1))):
        cache.clear()


class ModelCore:
    """The tables, names and money of one trained model, and typed reads of them.

    Built by :class:`~.model.SalaryModel` (its ``core``); internal: its
    attributes and methods may change between releases.

    Parameters
    ----------
    tables, meta : ServingTables, ModelMeta
        The model file's records, as :class:`~.model.SalaryModel` takes them.
    """

    def __init__(self, tables: ServingTables, meta: ModelMeta) -> None:
        self.tables = tables
        self.meta = meta
        self._prepare()

    # -- state that is rebuilt, not stored ----------------------------------
    def _prepare(self) -> None:
        meta, tables = self.meta, self.tables
        # Names to table rows; its tables and caches are also bound here for the hot path.
        self.lookup = lookup = CellLookup(meta)
        self.countries, self.cells, self.companies = lookup.countries, lookup.cells, lookup.companies
        self.aliases = lookup.aliases
        self.local_currency = dict(meta.local_currency)
        self.metadata = meta.metadata
        self.reference_year = meta.reference_year
        self.per_usd = dict(meta.reference_per_usd)
        self.source_lists = list(meta.source_lists)
        self.money = MoneyTable.from_record(meta.money, tables.fx_rates)
        # Source id -> publisher, title, published, address, about (facts about the articles).
        self.source_names = {source: dict(fields) for source, fields in meta.sources.items()}
        self._level_edges = meta.level_edges
        self._cell_index = lookup.rows
        self._country_labels = lookup.labels
        self._country_cache, self._company_cache = lookup.country_cache, lookup.company_cache
        self._median_rows = [row.tolist() for row in tables.median]
        self._median_low_rows = [row.tolist() for row in tables.median_low]
        self._median_high_rows = [row.tolist() for row in tables.median_high]
        self.support_rows: list[list[str]] = [[SUPPORT_GRADES[g] for g in row] for row in tables.support.tolist()]
        self.source_rows: list[list[tuple[str, ...]]] = [[self.source_lists[i] for i in row] for row in tables.source.tolist()]
        self._quantile_cache: dict[float, np.ndarray] = {}
        self._band_cache: dict[float, tuple[list[list[float]], list[list[float]]]] = {}
        self._stacked_cache: dict[float, np.ndarray] = {}
        self._positions: dict[float, tuple[int, float]] = {}  # years -> grid_position(years)
        self._money_cache: dict[tuple[object, ...], MoneyQuote] = {}
        self._today, self._next_midnight = dt.date.min, -math.inf
        self._views: dict[str, ModelCore] = {}
        # Level of each grid point (the level edges lie on the grid), read like support.
        self.level_rows: list[str] = [level_for_years(float(y), self._level_edges) for y in YEARS_GRID]

    def __getstate__(self) -> dict[str, Any]:
        # Plain tables travel (to Dask workers, say); what they index is rebuilt.
        return {"tables": self.tables, "meta": self.meta}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.tables, self.meta = state["tables"], state["meta"]
        self._prepare()

    @property
    def reference_date(self) -> str:
        """ISO date of the internal money basis: ``as_of`` at which the model's
        amounts are exactly the reference-year figures (1 July of that year)."""
        return f"{self.reference_year}-07-01"

    def known(self) -> list[dict[str, Any]]:
        """What the model can estimate: each country with its name, currency,
        the employers it has figures for (plus their aliases) and the
        populations (sources of records) that answer there."""
        from .populations import population_countries

        listed = self.lookup.known(self.local_currency)
        for entry in listed:
            entry["populations"] = sorted(
                name
                for name, rows in self.lookup.populations.items()
                if entry["country"] in population_countries(self.meta, rows)
            )
        return listed

    @property
    def populations(self) -> list[str]:
        """The populations (sources of records) the model answers for, by name."""
        return sorted(self.lookup.populations)

    def population_view(self, population: object, country: object = None, *, owner: str = "predict") -> ModelCore:
        """This model answering as ``population`` sees the market (see :mod:`.populations`).

        Raises
        ------
        ParameterError
            The model has no such population, or it has no rows in ``country``.
        """
        from .populations import check_population, population_countries, population_tables

        name = check_population(population, self.lookup.populations, owner)
        rows = self.lookup.populations[name]
        if country is not None:
            code = self.resolve_country(country)
            covered = population_countries(self.meta, rows)
            if code not in covered:
                raise ParameterError(
                    "population",
                    f"The population {name!r} has no records in {self.country_label(code)}, so the model cannot "
                    f"answer as it sees that market. It answers for {', '.join(self.country_label(c) for c in covered)}; "
                    "leave the population out for the market's answer.",
                )
        view = self._views.get(name)
        if view is None:
            view = ModelCore(*population_tables(self.tables, self.meta, rows))
            self._views[name] = view
        return view

    # -- input resolution (validated once, then cached) -------------------
    def resolve_country(self, country: object) -> str:
        """ISO alpha-2 code of a country the model knows, else raise."""
        return self.lookup.country(country)

    def cell_index(self, country: str, company: str | None = None) -> int:
        """Row of the tables for a country code and a known employer (None: the market)."""
        return self._cell_index[(country, company)]

    @property
    def level_edges(self) -> tuple[float, ...]:
        """Years at which entry ends and mid, senior and lead begin (e.g. (3.0, 7.0, 12.0))."""
        return self._level_edges

    def country_label(self, country: str) -> str:
        """The English name of a country code the model knows ('DE' -> 'Germany')."""
        return self._country_labels[country]

    def resolve_company(self, code: str, company: object) -> CompanyCell:
        """Cell index, canonical name, whether the company is known, and for an
        unknown one the closest employer the model knows there (a likely typo).

        None, NaN and pandas.NA (a missing cell of a table) mean the market.
        """
        return self.lookup.company(code, company)

    def today(self) -> dt.date:
        """Today's date (UTC), recomputed once per day rather than per call."""
        now = time.time()
        if now >= self._next_midnight:
            day = int(now // 86400)
            self._today = dt.date.fromordinal(dt.date(1970, 1, 1).toordinal() + day)
            self._next_midnight = (day + 1) * 86400.0
            self._money_cache.clear()  # default dates move with the day
        return self._today

    def money_quote(self, code: str, currency: object = None, as_of: object = None, aging_rate: object = None) -> MoneyQuote:
        """Cached :meth:`MoneyTable.quote`: how reference USD becomes the asked money."""
        hashable = (
            (currency is None or type(currency) is str)
            and (as_of is None or type(as_of) is str)
            and (aging_rate is None or type(aging_rate) is float)
        )
        today = self.today()
        key = (code, currency, as_of, aging_rate)
        quote = self._money_cache.get(key) if hashable else None
        if quote is None:
            quote = self.money.quote(code, currency, as_of, aging_rate, today=today)
            if hashable and len(self._money_cache) < 10_000:  # bounded: inputs can be arbitrary
                self._money_cache[key] = quote
        return quote

    def quantile_table(self, level: float) -> np.ndarray:
        """Log reference-USD quantile at probability ``level`` for every cell
        and grid point (cells, grid), non-decreasing in years; cached."""
        table = self._quantile_cache.get(level)
        if table is None:
            table = self._quantile_rows(level, slice(None))
            _make_room(self._quantile_cache, 512, table.nbytes)  # bounded: levels can be arbitrary
            self._quantile_cache[level] = table
        return table

    def quantile_block(self, levels: Iterable[float], cells: Sequence[int] | np.ndarray, *, keep: bool = True) -> np.ndarray:
        """Log reference-USD quantiles at ``levels`` for the table rows ``cells`` only,
        shape (levels, cells, grid).

        With ``keep``, the full tables are read from (and kept in) the cache
        when all of them fit its byte budget; otherwise, as for a model with
        thousands of employers or levels asked once, only these rows are
        computed, and nothing is kept.
        """
        levels = [float(level) for level in levels]
        rows = np.asarray(cells, dtype=np.int64)
        if keep and len(levels) * self.tables.median.nbytes <= CACHE_BYTES:
            return np.stack([self.quantile_table(level)[rows] for level in levels])
        return np.stack([self._quantile_rows(level, rows) for level in levels])

    def _quantile_rows(self, level: float, rows: slice | np.ndarray) -> np.ndarray:
        """:func:`~.bands.quantile_rows` of the table rows ``rows`` (a slice or indices)."""
        return quantile_rows(level, self.tables.quantiles[rows], self.tables.median[rows])

    def band_tables(self, confidence: object) -> tuple[np.ndarray, np.ndarray]:
        """Low and high log reference-USD tables (cells, grid) of the band at ``confidence``."""
        value = check_confidence(confidence)
        low_level, high_level = band_levels(value)
        return self.quantile_table(low_level), self.quantile_table(high_level)

    def band_rows(self, confidence: object) -> tuple[list[list[float]], list[list[float]]]:
        """The band's low and high tables as Python lists (the hot path reads
        them without numpy); cached per confidence."""
        rows = self._band_cache.get(confidence) if type(confidence) is float else None
        if rows is None:
            value = check_confidence(confidence)
            low, high = self.band_tables(value)
            rows = ([r.tolist() for r in low], [r.tolist() for r in high])
            _make_room(self._band_cache, 64, 2 * low.size * _PYTHON_FLOAT_BYTES)
            self._band_cache[value] = rows
        return rows

    def stacked(self, confidence: float) -> np.ndarray:
        """Low, median and high tables stacked as (3, cells * grid) for batch gathers."""
        block = self._stacked_cache.get(confidence)
        if block is None:
            low, high = self.band_tables(confidence)
            block = np.stack([low, self.tables.median, high]).reshape(3, -1)
            _make_room(self._stacked_cache, 16, block.nbytes)
            self._stacked_cache[confidence] = block
        return block

    # -- the hot path -----------------------------------------------------
    def predict(
        self,
        country: object,
        years: object,
        company: object = None,
        *,
        confidence: float = 0.8,
        currency: object = None,
        as_of: object = None,
        aging_rate: object = None,
        population: str | None = None,
    ) -> SalaryEstimate:
        """Estimate one engineer (the hot path); see :meth:`.model.SalaryModel.predict`."""
        if population is not None:
            return self.population_view(population, country).predict(
                country, years, company, confidence=confidence, currency=currency, as_of=as_of, aging_rate=aging_rate
            )
        code = self._country_cache.get(country) if type(country) is str else None
        if code is None:
            code = self.resolve_country(country)
        if type(years) is float and 0.0 <= years <= MAX_YEARS:  # NaN fails the comparison
            y = years + 0.0  # -0.0 is 0 years, and is said so
        elif type(years) is int and 0 <= years <= MAX_YEARS:
            y = float(years)
        elif isinstance(years, (tuple, list)):
            return self._predict_range(code, years, company, confidence, currency, as_of, aging_rate)
        else:
            y = YEARS.check(years, "predict")  # raises the precise error, or converts numpy numbers
        if company is None:
            cell, canonical, known, suggestion = self._cell_index[(code, None)], None, False, None
        else:
            # Cache keys only for strings: other types go to validation (and its error).
            cached = self._company_cache.get((code, company)) if type(company) is str else None
            cell, canonical, known, suggestion = cached or self.resolve_company(code, company)
            if not known and canonical is not None:
                warn_unknown_employer(canonical, self._country_labels[code], suggestion)
        bands = self._band_cache.get(confidence) if type(confidence) is float else None
        low_rows, high_rows = bands or self.band_rows(confidence)
        # The cache answers only exact types: False must not find 0.0's entry, nor 1 find 1.0's.
        if (
            (currency is None or type(currency) is str)
            and (as_of is None or type(as_of) is str)
            and (aging_rate is None or type(aging_rate) is float)
        ):
            money = self._money_cache.get((code, currency, as_of, aging_rate))
        else:
            money = None
        if money is None or (as_of is None and time.time() >= self._next_midnight):
            money = self.money_quote(code, currency, as_of, aging_rate)
        rate = money.multiplier
        low_row, median_row, high_row = low_rows[cell], self._median_rows[cell], high_rows[cell]
        m_low_row, m_high_row = self._median_low_rows[cell], self._median_high_rows[cell]
        position = self._positions.get(y)
        if position is None:
            position = grid_position(y)
            if len(self._positions) < 10_000:  # bounded: inputs can be arbitrary
                self._positions[y] = position
        i, f = position
        low = low_row[i] + f * (low_row[i + 1] - low_row[i])
        log_median = median_row[i] + f * (median_row[i + 1] - median_row[i])
        high = high_row[i] + f * (high_row[i + 1] - high_row[i])
        m_low = m_low_row[i] + f * (m_low_row[i + 1] - m_low_row[i])
        m_high = m_high_row[i] + f * (m_high_row[i + 1] - m_high_row[i])
        aging_sd = money.aging_sd
        if aging_sd:  # the aging's uncertainty past the reference month, independent of the median's
            extra = _MEDIAN_Z2 * aging_sd * aging_sd
            m_low = log_median - math.sqrt((log_median - m_low) ** 2 + extra)
            m_high = log_median + math.sqrt((m_high - log_median) ** 2 + extra)
        if f >= 1.0:  # the grid's last point: provenance is read there (grid_index, inlined)
            i += 1
        # tuple.__new__ skips the named tuple's argument handling: 20 fields, in order.
        return _new_estimate(
            SalaryEstimate,
            (
                code,
                y,
                canonical,
                known,
                self.level_rows[i],
                money.currency,
                float(confidence),
                math.exp(min(low, log_median)) * rate,
                math.exp(log_median) * rate,
                math.exp(max(high, log_median)) * rate,
                math.exp(m_low) * rate,
                math.exp(m_high) * rate,
                self.support_rows[cell][i],
                self.source_rows[cell][i],
                money.fx_rate,
                money.fx_period,
                money.as_of,
                money.projected,
                self.reference_year,
                suggestion,
                None,
            ),
        )

    def _predict_range(
        self, code: str, years: object, company: object, confidence: object, currency: object, as_of: object, aging_rate: object
    ) -> SalaryEstimate:
        """An estimate for experience lying evenly in a (low, high) range; see :mod:`.year_ranges`."""
        from .year_ranges import check_range, mixture_quantiles, range_median_offsets, range_provenance

        low, high = check_range(years, YEARS.check)
        value = check_confidence(confidence)
        cell, canonical, known, suggestion = (
            (self._cell_index[(code, None)], None, False, None) if company is None else self.resolve_company(code, company)
        )
        if not known and canonical is not None:
            warn_unknown_employer(canonical, self._country_labels[code], suggestion)
        money = self.money_quote(code, currency, as_of, aging_rate)
        low_level, high_level = band_levels(value)
        q_low, q_median, q_high = mixture_quantiles(self, cell, low, high, np.array([low_level, 0.5, high_level]))
        below, above = widened_by_aging(*range_median_offsets(self, cell, low, high), money.aging_sd)
        support, sources, level = range_provenance(self, cell, low, high)
        rate = money.multiplier
        return SalaryEstimate(
            code,
            low,
            canonical,
            known,
            level,
            money.currency,
            value,
            math.exp(min(q_low, q_median)) * rate,
            math.exp(q_median) * rate,
            math.exp(max(q_high, q_median)) * rate,
            math.exp(q_median + below) * rate,
            math.exp(q_median + above) * rate,
            support,
            sources,
            money.fx_rate,
            money.fx_period,
            money.as_of,
            money.projected,
            self.reference_year,
            suggestion,
            high,
        )

    @staticmethod
    def check_q(q: object) -> list[float]:
        if isinstance(q, (str, bytes)) or not hasattr(q, "__iter__"):
            raise ParameterTypeError(
                "q", f"The 'q' parameter of percentiles must be a sequence of percentiles (e.g. (10, 50, 90)). Got {q!r} instead."
            )
        values = [check_percentile(v) for v in q]
        if not values:
            raise ParameterError(
                "q", "The 'q' parameter of percentiles must name at least one percentile. Got an empty sequence."
            )
        return [v / 100.0 for v in values]
