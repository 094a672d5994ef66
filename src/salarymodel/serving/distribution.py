"""One engineer's pay for a question resolved once.

A :class:`Query` is a question with every input checked and looked up: the
table row (the market or an employer), the years (one number or a range) and
the money (currency, date and aging). A :class:`Distribution` reads that
row of the served tables: its quantiles, its median and the median's own
interval, and the provenance of the answer. Percentiles, the salary curve,
rank and pay ranges read one; none runs :meth:`~.core.ModelCore.predict`
again (which keeps its own inlined reading, the hot path).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .bands import rising_in_levels, widened_by_aging
from .constraints import YEARS
from .employer_warning import warn_unknown_employer
from .grid import grid_index, interpolate
from .money import MoneyQuote
from .year_ranges import check_range, mixture_cdf, mixture_quantiles, range_median_offsets, range_provenance

if TYPE_CHECKING:
    from .core import ModelCore

__all__ = ["Query", "resolve_query", "Distribution", "salary_percentiles"]


@dataclass(frozen=True, slots=True)
class Query:
    """A question with its inputs checked and looked up.

    Attributes
    ----------
    country : str
        ISO alpha-2 code.
    cell : int
        Row of the tables: the market's, or a known employer's.
    company : str or None
        The employer as the model names it (an unknown one as typed); None for the market.
    company_known : bool
        Whether the model knows that employer (its own row).
    suggestion : str or None
        For an unknown employer, the closest one the model knows there.
    years : float
        Years of experience, or a range's low end.
    years_max : float or None
        A range's high end; None for one number of years.
    money : MoneyQuote
        How reference money becomes the asked currency and date.
    """

    country: str
    cell: int
    company: str | None
    company_known: bool
    suggestion: str | None
    years: float
    years_max: float | None
    money: MoneyQuote

    def at(self, years: object) -> Query:
        """The same question at other ``years`` (a number or a range, checked as predict checks them)."""
        low, high = _checked_years(years)
        return replace(self, years=low, years_max=high)


def _checked_years(years: object) -> tuple[float, float | None]:
    """One number of years, or a (low, high) range, with predict's checks and messages."""
    if isinstance(years, (tuple, list)):
        return check_range(years, YEARS.check)
    return YEARS.check(years, "predict"), None


def resolve_query(
    core: ModelCore,
    country: object,
    years: object,
    company: object = None,
    *,
    currency: object = None,
    as_of: object = None,
    aging_rate: object = None,
) -> Query:
    """Check and look up one question, as :meth:`~.core.ModelCore.predict` does (its
    messages, and its warning for an employer the model does not know)."""
    code = core.resolve_country(country)
    low, years_max = _checked_years(years)
    if company is None:
        cell, canonical, known, suggestion = core.cell_index(code), None, False, None
    else:
        cell, canonical, known, suggestion = core.resolve_company(code, company)
        if not known and canonical is not None:
            warn_unknown_employer(canonical, core.country_label(code), suggestion)
    money = core.money_quote(code, currency, as_of, aging_rate)
    return Query(code, cell, canonical, known, suggestion, low, years_max, money)


class Distribution:
    """One engineer's base pay for a :class:`Query`, read off the served tables.

    Quantiles are in the query's money; ``log_quantile`` is the log of
    reference money (the tables' own unit), for searches such as rank's.
    """

    def __init__(self, core: ModelCore, query: Query) -> None:
        self.core = core
        self.query = query
        self.rate = query.money.multiplier
        self.log_rate = math.log(self.rate)
        self._mixture: tuple[np.ndarray, np.ndarray] | None = None

    def log_quantile(self, level: float) -> float:
        """The log reference-money quantile at probability ``level``."""
        q, cell = self.query, self.query.cell
        if q.years_max is None:
            # Levels asked once are not kept in the core's cache.
            return float(interpolate(self.core.quantile_block((level,), (cell,), keep=False)[0, 0], q.years))
        if self._mixture is None:
            self._mixture = mixture_cdf(self.core, cell, q.years, q.years_max)
        x, cdf = self._mixture
        return float(np.interp(level, cdf, x))

    def quantiles(self, levels: Sequence[float]) -> np.ndarray:
        """Salaries at probabilities ``levels`` in the query's money, non-decreasing in the levels."""
        q, core = self.query, self.core
        if q.years_max is None:
            logs = np.array([float(interpolate(core.quantile_table(level)[q.cell], q.years)) for level in levels])
        else:
            logs = mixture_quantiles(core, q.cell, q.years, q.years_max, np.asarray(levels, dtype=float))
        return np.asarray(rising_in_levels(np.exp(logs) * self.rate, levels))

    def _log_median(self) -> float:
        q, core = self.query, self.core
        if q.years_max is None:
            return float(interpolate(core.tables.median[q.cell], q.years))
        return float(mixture_quantiles(core, q.cell, q.years, q.years_max, np.array([0.5]))[0])

    def median(self) -> float:
        """The median salary in the query's money (the tables' median row, as predict reads it)."""
        return math.exp(self._log_median()) * self.rate

    def median_interval(self) -> tuple[float, float]:
        """The median's own 80% interval in the query's money, widened by the aging's
        uncertainty past the reference month (as predict gives it)."""
        q, core = self.query, self.core
        log_median = self._log_median()
        if q.years_max is None:
            below = float(interpolate(core.tables.median_low[q.cell], q.years)) - log_median
            above = float(interpolate(core.tables.median_high[q.cell], q.years)) - log_median
        else:
            below, above = range_median_offsets(core, q.cell, q.years, q.years_max)
        below, above = widened_by_aging(below, above, q.money.aging_sd)
        median = math.exp(log_median) * self.rate
        return median * math.exp(below), median * math.exp(above)

    def sources(self) -> tuple[str, ...]:
        """The reported figures behind the answer (a range: behind any of its years)."""
        q = self.query
        if q.years_max is None:
            return self.core.source_rows[q.cell][grid_index(q.years)]
        return range_provenance(self.core, q.cell, q.years, q.years_max)[1]

    def support(self) -> str:
        """How well the figures behind the answer support it (a range: its weakest point)."""
        q = self.query
        if q.years_max is None:
            return self.core.support_rows[q.cell][grid_index(q.years)]
        return range_provenance(self.core, q.cell, q.years, q.years_max)[0]


def salary_percentiles(
    core: ModelCore,
    country: object,
    years: object,
    company: object = None,
    *,
    q: Sequence[float] = (10, 25, 50, 75, 90),
    currency: object = None,
    as_of: object = None,
    aging_rate: object = None,
    population: str | None = None,
) -> dict[float, float]:
    """Percentiles of one engineer's salary; see :meth:`.model.SalaryModel.percentiles`."""
    if population is not None:
        core = core.population_view(population, country, owner="percentiles")
    levels = core.check_q(q)
    query = resolve_query(core, country, years, company, currency=currency, as_of=as_of, aging_rate=aging_rate)
    values = Distribution(core, query).quantiles(levels)
    return dict(zip((float(v) for v in q), values.tolist()))
