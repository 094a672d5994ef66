"""Currency and time normalisation."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from salarymodel.data.aging import load_wage_index
from salarymodel.data.figures import load_figures
from salarymodel.data.normalise import annual_rates_per_usd, load_cpi, normalise_figures
from salarymodel.data.shipped import raw_data_file


@pytest.fixture(scope="module")
def normalised():
    return normalise_figures(load_figures())


def _wage_factor_from_file(country: str) -> float:
    """July 2019 -> July 2023 from the published changes, chained here by hand."""
    table = pd.read_csv(raw_data_file("wage_index.csv"))
    rows = table[table["country"] == country].reset_index(drop=True)
    months = [int(p[:4]) * 12 + int(p[5:]) - 1 for p in rows["period"]]
    logs = [0.0]
    for change in rows["change_pct"].iloc[1:]:
        logs.append(logs[-1] + math.log(1 + change / 100))

    def at(month):  # linear in the log index between published months
        for i in range(len(months) - 1):
            if months[i] <= month <= months[i + 1]:
                share = (month - months[i]) / (months[i + 1] - months[i])
                return logs[i] + share * (logs[i + 1] - logs[i])
        raise AssertionError(month)

    return math.exp(at(2023 * 12 + 6) - at(2019 * 12 + 6))


def test_reference_year_defaults_to_latest_year_in_data(normalised):
    assert normalised[1].reference_year == 2023


def test_eur_rate_is_the_ecb_2023_annual_mean(normalised):
    # ECB: the 2023 average reference rate was 1.0813 USD per EUR.
    assert 1 / normalised[1].per_usd["EUR"] == pytest.approx(1.0813, abs=0.002)


def test_2019_figures_are_aged_with_the_country_wage_index(normalised):
    frame, basis = normalised
    f20 = frame.set_index("id").loc["f20"]
    us = _wage_factor_from_file("US")
    assert f20["value_usd"] == pytest.approx(146_085 * us)
    # The comparison column keeps what consumer prices would have done.
    cpi = load_cpi()
    assert f20["cpi_factor"] == pytest.approx(cpi.loc[("US", 2023), "index"] / cpi.loc[("US", 2019), "index"])
    assert f20["cpi_factor"] != pytest.approx(us, rel=1e-3)
    f21 = frame.set_index("id").loc["f21"]
    assert f21["value_usd"] == pytest.approx(795_677 * _wage_factor_from_file("IN") / basis.per_usd["INR"])
    assert {(r["country"], r["from"], r["to"]) for r in basis.aging_used} == {
        ("US", "2019-07", "2023-07"),
        ("IN", "2019-07", "2023-07"),
    }


def test_missing_wage_index_names_the_country_and_the_fix():
    wages = load_wage_index()
    del wages["IN"]
    with pytest.raises(ValueError, match="No wage index for IN.*wage_index.csv"):
        normalise_figures(load_figures(), wages=wages)


def test_malformed_wage_index_rows_are_named(tmp_path):
    path = tmp_path / "wages.csv"
    path.write_text("country,period,change_pct,series,source\nUS,2019-12,,s,x\nUS,2020-13,3.0,s,x\n")
    with pytest.raises(ValueError, match="line 3.*YYYY-MM"):
        load_wage_index(path)
    path.write_text("country,period,change_pct,series,source\nUS,2019-12,,s,x\nUS,2020-12,three,s,x\n")
    with pytest.raises(ValueError, match="line 3.*change_pct"):
        load_wage_index(path)


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
