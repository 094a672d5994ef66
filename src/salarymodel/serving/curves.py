"""Salary curves: percentiles of base salary read along years of experience."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import ParameterTypeError
from .distribution import Distribution, Query, resolve_query

if TYPE_CHECKING:
    import pandas as pd

    from .core import ModelCore

__all__ = ["salary_curve"]

CURVE_COLUMNS = ["country", "company", "years", "percentile", "salary", "currency", "as_of", "support"]


def salary_curve(
    core: ModelCore,
    country: str,
    company: str | None = None,
    *,
    years: object = None,
    q: tuple[float, ...] = (10, 25, 50, 75, 90),
    currency: str | None = None,
    as_of: object = None,
    aging_rate: float | None = None,
) -> pd.DataFrame:
    """Percentiles of base salary by years of experience (see :meth:`SalaryModel.curve`).

    Parameters
    ----------
    core : ModelCore
        The model (or a population's view of it) to read.
    country, company, years, q, currency, as_of, aging_rate
        As for :meth:`SalaryModel.curve`.

    Returns
    -------
    pandas.DataFrame
        One row per years and percentile, columns :data:`CURVE_COLUMNS`.
    """
    import pandas as pd

    grid = list(range(31)) if years is None else years
    if isinstance(grid, (str, bytes)) or not hasattr(grid, "__iter__"):
        raise ParameterTypeError("years", f"The 'years' parameter of curve must be a sequence of years. Got {grid!r} instead.")
    rows = []
    first: Query | None = None  # the question is resolved once; each year only moves it
    levels: list[float] = []
    for y in grid:
        if first is None:
            levels = core.check_q(q)
            first = query = resolve_query(core, country, y, company, currency=currency, as_of=as_of, aging_rate=aging_rate)
        else:
            query = first.at(y)
        distribution = Distribution(core, query)
        support = distribution.support()
        for percentile, salary in zip((float(v) for v in q), distribution.quantiles(levels).tolist()):
            rows.append(
                (
                    query.country,
                    query.company,
                    query.years,
                    percentile,
                    salary,
                    query.money.currency,
                    query.money.as_of,
                    support,
                )
            )
    return pd.DataFrame(rows, columns=CURVE_COLUMNS)
