"""Currency and time normalisation."""

from __future__ import annotations

import pandas as pd
import pytest

from salarymodel.figures import load_figures
from salarymodel.normalise import annual_rates_per_usd, load_cpi, normalise_figures


@pytest.fixture(scope="module")
def normalised():
    return normalise_figures(load_figures())


def test_reference_year_defaults_to_latest_year_in_data(normalised):
    assert normalised[1].reference_year == 2023


def test_eur_rate_is_the_ecb_2023_annual_mean(normalised):
    # ECB: the 2023 average reference rate was 1.0813 USD per EUR.
    assert 1 / normalised[1].per_usd["EUR"] == pytest.approx(1.0813, abs=0.002)


def test_2019_figures_are_inflated_with_the_country_cpi(normalised):
    frame, basis = normalised
    cpi = load_cpi()
    f20 = frame.set_index("id").loc["f20"]
    expected = 146_085 * cpi.loc[("US", 2023), "index"] / cpi.loc[("US", 2019), "index"]
    assert f20["value_usd"] == pytest.approx(expected)
    f21 = frame.set_index("id").loc["f21"]
    in_factor = cpi.loc[("IN", 2023), "index"] / cpi.loc[("IN", 2019), "index"]
    assert f21["value_usd"] == pytest.approx(795_677 * in_factor / basis.per_usd["INR"])
    assert {(r["country"], r["from_year"]) for r in basis.cpi_used} == {("US", 2019), ("IN", 2019)}


def test_missing_cpi_row_names_country_and_year():
    figures = load_figures()
    cpi = load_cpi().drop(index=("IN", 2019))
    with pytest.raises(ValueError, match="IN in 2019"):
        normalise_figures(figures, cpi=cpi)


def test_currency_without_ecb_rate_is_refused():
    figures = load_figures()
    figures.loc[0, "currency"] = "ARS"  # the ECB does not quote the Argentine peso
    with pytest.raises(ValueError, match="ARS"):
        normalise_figures(figures)


def test_rates_only_cover_currencies_quoted_all_year():
    rates = annual_rates_per_usd(2023)
    assert "RUB" not in rates  # the ECB suspended the rouble in 2022
    assert {"EUR", "INR", "GBP", "USD"} <= set(rates)
    assert isinstance(pd.Series(rates).sum(), float)
