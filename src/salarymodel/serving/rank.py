"""Where a salary stands: its percentile among ML engineers like the one asked about.

The percentile is read from the same predictive distribution as
:meth:`~salarymodel.serving.model.SalaryModel.percentiles`, by inverting it:
``rank(..., salary=percentiles(..., q=(p,))[p]).percentile == p``. Its
interval says how far the answer could move if the market's median sat at
either end of its own 80% interval (``median_low`` / ``median_high``): the
salary is ranked again with the distribution shifted there.

Numpy and the standard library only: serving imports this module.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

from .bands import Z_GRID
from .constraints import SALARY
from .distribution import Distribution, resolve_query
from .words import amount, engineers

if TYPE_CHECKING:
    from .core import ModelCore

__all__ = ["SalaryRank", "check_salary", "salary_rank"]

_NORMAL = NormalDist()
# Percentiles are read in normal scores within the tables' range (+-3.5 sd: the
# 0.023rd to 99.977th percentile); a salary beyond it is reported at that end.
_Z_LOW, _Z_HIGH = float(Z_GRID[0]), float(Z_GRID[-1])
# The search on the normal score stops within 1e-12 (in log pay, or in score: far below
# 1e-9 in percentile); the step limit only bounds a pathological table.
_TOLERANCE = 1e-12
_MAX_STEPS = 200


@dataclass(frozen=True)
class SalaryRank:
    """Where one salary stands among ML engineers like the one asked about.

    Attributes
    ----------
    country : str
        ISO 3166 alpha-2 code.
    country_name : str
        The country's English name.
    years, years_max : float, float or None
        Years of experience (a range when ``years_max`` is set).
    company : str or None
        The employer, when the model knows it (otherwise the market).
    company_known : bool
        Whether the employer is known in that country.
    salary : float
        The salary ranked, in ``currency``.
    currency, as_of : str
        The money the salary and amounts are in.
    percentile : float
        Share of engineers like this who earn less, in percent (0.023-99.977).
    percentile_low, percentile_high : float
        The percentile if the market's median sat at the high or the low end
        of its own 80% interval.
    median, p75 : float
        The 50th and 75th percentiles, in ``currency``.
    compa_ratio : float
        ``salary / median``.
    beyond : str or None
        'below' or 'above' when the salary lies outside the range the tables
        read (the percentile is then that end), else None.
    """

    country: str
    country_name: str
    years: float
    years_max: float | None
    company: str | None
    company_known: bool
    salary: float
    currency: str
    as_of: str
    percentile: float
    percentile_low: float
    percentile_high: float
    median: float
    p75: float
    compa_ratio: float
    beyond: str | None

    @property
    def gap_to_median(self) -> float:
        """``median - salary``: what brings the salary to the 50th percentile (negative above it)."""
        return self.median - self.salary

    @property
    def gap_to_p75(self) -> float:
        """``p75 - salary``: what brings the salary to the 75th percentile (negative above it)."""
        return self.p75 - self.salary

    def sentence(self) -> str:
        """The answer in words: '<salary> <currency> is about the <n>th percentile for ML
        engineers in <country> with <years> (base salary, money of <as_of>; ...).'"""
        who = engineers(self.country_name, self.years, self.years_max, self.company if self.company_known else None)
        salary, median = (
            f"{amount(self.salary, self.currency)} {self.currency}",
            f"{amount(self.median, self.currency)} {self.currency}",
        )
        money = f"base salary, money of {self.as_of}"
        if self.beyond is not None:
            share = 100.0 - self.percentile if self.beyond == "below" else self.percentile
            side = "lower" if self.beyond == "below" else "higher"
            return f"{salary} is {side} than what {share:.2f}% of {who} earn ({money}; median {median})."
        return (
            f"{salary} is about the {_ordinal(self.percentile)} percentile for {who} "
            f"({money}; between the {_ordinal(self.percentile_low)} and {_ordinal(self.percentile_high)} as far "
            f"as the market's median is known; median {median})."
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able fields, the gaps included."""
        fields = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {**fields, "gap_to_median": self.gap_to_median, "gap_to_p75": self.gap_to_p75}


def _ordinal(percentile: float) -> str:
    """31.2 -> '31st'; below 1 or above 99 keep one decimal ('0.4th', '99.6th')."""
    if 1.0 <= percentile <= 99.0:
        whole = int(round(percentile))
        suffix = "th" if 10 <= whole % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(whole % 10, "th")
        return f"{whole}{suffix}"
    return f"{percentile:.1f}th"


def check_salary(salary: object, owner: str = "rank") -> float:
    """A salary: a finite number from one unit to a trillion (not a bool)."""
    return SALARY.check(salary, owner)


def _percentile(quantile: Callable[[float], float], target: float) -> tuple[float, str | None]:
    """The lowest level (percent) at which ``quantile`` reaches ``target``.

    The quantile function is increasing and piecewise linear in the normal
    score (the shape tables are linear between their points), so regula falsi
    lands in a few steps where bisection takes fifty; the Illinois rule halves
    a stale end's weight so it never stalls, and the bracket always shrinks.
    The search starts on one side of the median: just above it the function
    may stay at the median for a moment, and a salary equal to the median is
    its 50th percentile.
    """
    low, high = _Z_LOW, _Z_HIGH
    f_low = quantile(_NORMAL.cdf(low)) - target
    if f_low >= 0:
        return 100.0 * _NORMAL.cdf(low), "below"
    f_high = quantile(_NORMAL.cdf(high)) - target
    if f_high <= 0:
        return 100.0 * _NORMAL.cdf(high), "above"
    at_median = quantile(0.5) - target
    if at_median == 0:
        return 50.0, None
    if at_median > 0:
        high, f_high = 0.0, at_median
    else:
        low, f_low = 0.0, at_median
    kept = 0  # which end stayed last time: -1 low, +1 high
    for _ in range(_MAX_STEPS):
        middle = (low * f_high - high * f_low) / (f_high - f_low)
        if not low < middle < high:  # rounding at a converged bracket: bisect instead
            middle = (low + high) / 2
        value = quantile(_NORMAL.cdf(middle)) - target
        if value < 0:
            low, f_low = middle, value
            if kept == -1:
                f_high /= 2
            kept = -1
        else:
            high, f_high = middle, value
            if kept == 1:
                f_low /= 2
            kept = 1
        if abs(value) <= _TOLERANCE or high - low <= _TOLERANCE:
            return 100.0 * _NORMAL.cdf(middle), None
    return 100.0 * _NORMAL.cdf((low + high) / 2), None


def salary_rank(
    core: ModelCore,
    country: object,
    years: object,
    salary: object,
    company: object = None,
    *,
    currency: object = None,
    as_of: object = None,
    aging_rate: object = None,
) -> SalaryRank:
    """Rank ``salary`` among ML engineers like the one asked about; see :meth:`SalaryModel.rank`."""
    value = check_salary(salary)
    query = resolve_query(core, country, years, company, currency=currency, as_of=as_of, aging_rate=aging_rate)
    distribution = Distribution(core, query)
    quantile = distribution.log_quantile
    target = math.log(value) - distribution.log_rate
    percentile, beyond = _percentile(quantile, target)
    # The same salary against the distribution moved to each end of the median's 80% interval.
    median = distribution.median()
    median_low, median_high = distribution.median_interval()
    up, down = math.log(median_high / median), math.log(median / median_low)
    low_end, _ = _percentile(quantile, target - up)
    high_end, _ = _percentile(quantile, target + down)
    p75 = math.exp(quantile(0.75) + distribution.log_rate)
    return SalaryRank(
        query.country,
        core.country_label(query.country),
        query.years,
        query.years_max,
        query.company if query.company_known else None,
        query.company_known,
        value,
        query.money.currency,
        query.money.as_of,
        percentile,
        low_end,
        high_end,
        median,
        max(p75, median),
        value / median,
        beyond,
    )
