"""Aging pay in time with wage indices, as compensation surveys do.

A salary figure is moved between dates with what pay did (a wage index),
not with what consumer goods did (CPI). ``data/raw/wage_index.csv`` holds
one published annual movement per row, with its series and source; the
first row of each country is the base of its chain (index 1). Between rows
the log index is interpolated linearly by month; past the last published
row it moves at a stated annual rate (by default the last published
movement, overridable) and the result is flagged as projected.

An index should follow pay at a fixed experience (a market rate, or a
salary structure's movement), not what incumbents receive, which includes
their merit and promotion increases. Where no such index is published, a
country's rows are consumer prices and give the prior of pay's real growth
on top of them (``real_growth_pct``, ``real_growth_sd_pct``: a normal prior
of the annual rate, in percent); the measurement model then learns that
rate with everything else (:mod:`salarymodel.training.measurement`), and
its uncertainty is part of each figure's.

Dates resolve to months: a figure of year Y describes pay around 1 July Y,
and ``as_of`` is read as the first day of its month.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ParameterError, ParameterTypeError
from .shipped import raw_data_file

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FIGURE_MONTH",
    "PROJECTION_YEARS",
    "WageSeries",
    "load_wage_index",
    "month_ordinal",
    "month_label",
    "parse_as_of",
    "figure_month",
]

# A figure reported for year Y is read as pay around 1 July Y.
FIGURE_MONTH = 7
# How far past its last published value a wage index may be projected.
PROJECTION_YEARS = 3
# The year-to-year sd of an index's annual rate (log) where it has fewer than three
# annual changes to measure it by: about the shipped indices' (0.008-0.026).
FALLBACK_RATE_SD = 0.02

_WAGE_COLUMNS = ("country", "period", "change_pct", "series", "source")
# Optional: a prices-only series states the prior of pay's real growth on top of it.
_GROWTH_COLUMNS = ("real_growth_pct", "real_growth_sd_pct")
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
_AS_OF = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")


def month_ordinal(year: int, month: int) -> int:
    """Months since year 0: consecutive months differ by one."""
    return int(year) * 12 + int(month) - 1


def month_label(ordinal: int) -> str:
    """'YYYY-MM' of a month ordinal."""
    return f"{ordinal // 12:04d}-{ordinal % 12 + 1:02d}"


def figure_month(year: int) -> int:
    """Month a figure of ``year`` describes (July of that year)."""
    return month_ordinal(year, FIGURE_MONTH)


def parse_as_of(value: object) -> dt.date:
    """A date from 'YYYY-MM-DD', 'YYYY-MM', a ``date``/``datetime`` or pandas Timestamp.

    Raises
    ------
    TypeError, ValueError
        Naming the value and the accepted forms.
    """
    if type(value).__name__ == "NaTType":  # pandas.NaT (a datetime subclass): a missing date, not a date
        raise ParameterError(
            "as_of",
            "The 'as_of' parameter must be a date such as '2026-07-01'. Got NaT (a missing date) instead; pass None for today.",
        )
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp, without importing pandas here
        stamp: dt.date = value.to_pydatetime().date()
        return stamp
    if not isinstance(value, str):
        raise ParameterTypeError(
            "as_of",
            f"The 'as_of' parameter must be a date such as '2026-07-01' (a string, "
            f"datetime.date or Timestamp). Got {value!r} of type {type(value).__name__} instead.",
        )
    match = _AS_OF.match(value)
    try:
        if match is None:
            raise ValueError
        year, month, day = int(match[1]), int(match[2]), int(match[3] or 1)
        return dt.date(year, month, day)
    except ValueError:
        raise ParameterError(
            "as_of",
            f"The 'as_of' parameter must be a date written YYYY-MM-DD or YYYY-MM, such as '2026-07-01'. Got {value!r} instead.",
        ) from None


@dataclass(frozen=True)
class WageSeries:
    """One country's wage index: months and log levels, base 0 at the first row.

    Attributes
    ----------
    country : str
        ISO alpha-2 code.
    months : ndarray of int
        Month ordinals of the published points, increasing.
    log_levels : ndarray of float
        Natural log of the chained index at those months.
    series, source : str
        What the index measures and where its last value was published.
    real_growth : tuple of float, optional
        For a consumer-price series: the prior mean and sd of pay's real growth
        on top of it (log rate per year); None for an index of pay.
    growth_sd : float, default=0.0
        The sd of the real growth already in ``log_levels`` (log rate per year):
        a served consumer-price series carries its posterior's; 0 for an index of pay.
    """

    country: str
    months: np.ndarray
    log_levels: np.ndarray
    series: str
    source: str
    real_growth: tuple[float, float] | None = None
    growth_sd: float = 0.0

    @property
    def last_published(self) -> int:
        """Month ordinal of the last published value."""
        return int(self.months[-1])

    @property
    def last_annual_rate(self) -> float:
        """The last published movement, as an annual rate (the default projection)."""
        step = (self.log_levels[-1] - self.log_levels[-2]) * 12 / (self.months[-1] - self.months[-2])
        return math.expm1(step)

    @property
    def rate_sd(self) -> float:
        """The year-to-year sd of the index's annual rate (log), from its yearly changes
        back from the last published month; :data:`FALLBACK_RATE_SD` with fewer than three."""
        yearly = np.arange(self.last_published, int(self.months[0]) - 1, -12)[::-1]
        changes = np.diff(np.interp(yearly, self.months, self.log_levels))
        return float(np.std(changes, ddof=1)) if len(changes) >= 3 else FALLBACK_RATE_SD

    def aging_sd(self, month: int, reference_month: int, aging_rate: float | None = None) -> float:
        """The sd (log) of the aging factor from ``reference_month`` to ``month``.

        Two parts, taken as independent: the real growth's own uncertainty over
        the distance (``growth_sd`` times the years between), and past the last
        published month the projection's. Each year's rate is read as the index's
        mean rate give or take ``rate_sd``; projecting h years at the last published
        rate misses by h times that rate's own deviation plus the h years' deviations,
        an sd of ``rate_sd * sqrt(h * (h + 1))``. With a given ``aging_rate`` the rate is
        the caller's, so only the years' deviations remain: ``rate_sd * sqrt(h)``.
        """
        growth = self.growth_sd * abs(month - reference_month) / 12
        ahead = max(month - self.last_published, 0) / 12
        projection = self.rate_sd * math.sqrt(ahead * (ahead + 1) if aging_rate is None else ahead)
        return math.hypot(growth, projection)

    def log_level(self, month: int, aging_rate: float | None = None) -> tuple[float, bool]:
        """Log index at ``month`` and whether it is projected past the data.

        Raises
        ------
        ValueError
            Before the first published month, or more than
            :data:`PROJECTION_YEARS` past the last.
        """
        first, last = int(self.months[0]), self.last_published
        if month < first:
            raise ParameterError(
                "as_of",
                f"The wage index for {self.country} starts in {month_label(first)}; "
                f"{month_label(month)} is before it. Add earlier rows to a copy of wage_index.csv and "
                "retrain with it: python -m salarymodel.train --wage-index FILE.",
            )
        if month <= last:
            return float(np.interp(month, self.months, self.log_levels)), False
        if month - last > 12 * PROJECTION_YEARS:
            raise ParameterError(
                "as_of",
                f"The wage index for {self.country} is published up to {month_label(last)} and "
                f"projected at most {PROJECTION_YEARS} years past it (to "
                f"{month_label(last + 12 * PROJECTION_YEARS)}); {month_label(month)} is later. "
                "Add the newer published values to a copy of wage_index.csv and retrain with it: "
                "python -m salarymodel.train --wage-index FILE.",
            )
        rate = self.last_annual_rate if aging_rate is None else aging_rate
        return float(self.log_levels[-1] + math.log1p(rate) * (month - last) / 12), True

    def factor(self, from_month: int, to_month: int) -> float:
        """Index at ``to_month`` over index at ``from_month``."""
        return math.exp(self.log_level(to_month)[0] - self.log_level(from_month)[0])


def load_wage_index(path: str | Path | None = None) -> dict[str, WageSeries]:
    """Read and chain the wage-index table.

    Parameters
    ----------
    path : str or Path, default=None
        A table with columns country, period (YYYY-MM), change_pct (blank on
        each country's first row), series, source; the shipped one when None.

    Returns
    -------
    dict of str to WageSeries

    Raises
    ------
    ValueError
        Naming the row and the problem.
    """
    import pandas as pd  # training side only: serving reads the compiled MoneyTable

    path = Path(path) if path is not None else raw_data_file("wage_index.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in _WAGE_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path} lacks the column(s) {', '.join(missing)}; expected {', '.join(_WAGE_COLUMNS)}.")
    series: dict[str, WageSeries] = {}
    for country, rows in table.groupby("country", sort=True):
        months: list[int] = []
        logs: list[float] = []
        for line, row in rows.iterrows():
            where = f"{path.name} line {line + 2} ({country} {row['period']!r})"
            match = _PERIOD.match(row["period"].strip())
            if match is None or not 1 <= int(match[2]) <= 12:
                raise ValueError(f"{where}: period must be YYYY-MM.")
            month = month_ordinal(int(match[1]), int(match[2]))
            change = row["change_pct"].strip()
            if not months:
                if change:
                    raise ValueError(f"{where}: the first row of a country is the base of the chain; leave change_pct empty.")
                months.append(month)
                logs.append(0.0)
                continue
            try:
                pct = float(change)
            except ValueError:
                raise ValueError(f"{where}: change_pct must be a percentage such as 3.1.") from None
            if not (math.isfinite(pct) and -100 < pct <= 1000) or month <= months[-1]:
                # Above 1000% a period is a typo (a level for a change, say); no wage index moves so.
                raise ValueError(
                    f"{where}: change_pct must be a percentage above -100 and at most 1000 (got "
                    f"{change}), and periods must increase."
                )
            months.append(month)
            logs.append(logs[-1] + math.log1p(pct / 100))
            if abs(logs[-1]) > 5:  # the bound a model file's audit holds wage indices to
                raise ValueError(
                    f"{where}: the index is now {math.exp(logs[-1]):.3g} times its base; a wage index "
                    "within e^5 (about 148 times) of its base is read. Check the changes above."
                )
        if len(months) < 2:
            raise ValueError(f"{path.name}: {country} needs a base row and at least one published change.")
        last = rows.iloc[-1]
        growth = _real_growth(rows, path.name, country) if set(_GROWTH_COLUMNS) <= set(table.columns) else None
        series[country] = WageSeries(country, np.array(months), np.array(logs), last["series"], last["source"], growth)
    return series


def _real_growth(rows: pd.DataFrame, name: str, country: str) -> tuple[float, float] | None:
    """A country's prior of real growth (log rate per year), from its rows' two columns
    (blank on every row for an index of pay; the same on every row that gives them)."""
    given = {(row["real_growth_pct"].strip(), row["real_growth_sd_pct"].strip()) for _, row in rows.iterrows()} - {("", "")}
    if not given:
        return None
    where = f"{name}, {country}: real_growth_pct and real_growth_sd_pct"
    if len(given) > 1:
        raise ValueError(f"{where} differ between rows; give one prior per country (the same on every row).")
    mean_text, sd_text = given.pop()
    try:
        mean, sd = float(mean_text), float(sd_text)
    except ValueError:
        raise ValueError(f"{where} must both be percentages, such as 1.0 and 2.0 (got {mean_text!r}, {sd_text!r}).") from None
    if not (math.isfinite(mean) and -20 <= mean <= 20 and math.isfinite(sd) and 0 < sd <= 20):
        raise ValueError(
            f"{where} must be a mean from -20 to 20 and an sd above 0 and at most 20, in percent a year "
            f"(got {mean_text}, {sd_text})."
        )
    return math.log1p(mean / 100), sd / 100
