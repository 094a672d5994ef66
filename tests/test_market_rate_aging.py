"""Today's money by the market rate of a fixed job: India's figures are aged with
consumer prices, and pay's real growth on top is a parameter with a stated prior."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from salarymodel.data.aging import load_wage_index, month_ordinal
from salarymodel.data.shipped import raw_data_file
from salarymodel.training.measurement import measurement_data
from salarymodel.training.state_file import training_state


def test_the_shipped_indian_series_is_consumer_prices_with_a_stated_prior():
    series = load_wage_index()
    assert series["US"].real_growth is None and series["DE"].real_growth is None  # indices of pay
    india = series["IN"]
    assert "Consumer prices" in india.series and "CC BY 4.0" in india.source
    mean, sd = india.real_growth
    assert (math.expm1(mean), sd) == pytest.approx((0.01, 0.02))
    # Its movements are the shipped consumer-price table's, year by year.
    cpi = pd.read_csv(raw_data_file("cpi.csv")).query("country == 'IN'").set_index("year")["index"]
    for year in range(2020, 2025):
        moved = india.factor(month_ordinal(year - 1, 7), month_ordinal(year, 7))
        assert moved == pytest.approx(cpi[year] / cpi[year - 1], abs=1e-4), year


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (("1.0", "2.0", "1.5", "2.0"), "differ between rows"),
        (("a lot", "2.0", "a lot", "2.0"), "must both be percentages"),
        (("1.0", "0", "1.0", "0"), "an sd above 0"),
        (("30", "2", "30", "2"), "a mean from -20 to 20"),
    ],
)
def test_a_bad_real_growth_prior_is_refused_naming_the_file_and_country(tmp_path, values, message):
    path = tmp_path / "wage_index.csv"
    path.write_text(
        "country,period,change_pct,series,source,real_growth_pct,real_growth_sd_pct\n"
        f"XX,2019-07,,prices,somewhere,{values[0]},{values[1]}\n"
        f"XX,2020-07,5.0,prices,somewhere,{values[2]},{values[3]}\n"
    )
    with pytest.raises(ValueError, match=message) as error:
        load_wage_index(path)
    assert "wage_index.csv, XX: real_growth_pct and real_growth_sd_pct" in str(error.value)


def test_a_table_without_the_prior_columns_ages_with_pay_alone(tmp_path):
    path = tmp_path / "wage_index.csv"
    path.write_text("country,period,change_pct,series,source\nXX,2019-07,,pay,somewhere\nXX,2020-07,3.0,pay,somewhere\n")
    assert load_wage_index(path)["XX"].real_growth is None


def test_indian_figures_are_moved_by_prices_and_leave_four_years_of_real_growth(training_data):
    used = training_data.used_figures().set_index("id")
    assert (used.loc[["f21", "f22", "f25"], "real_growth_years"] == 4.0).all()
    assert (used.loc[used["country"] != "IN", "real_growth_years"] == 0.0).all()
    # Aged with consumer prices alone (the model adds the real growth): the CPI factor
    # (the table's index is rounded to two decimals, its movements to a hundredth of a percent).
    assert used.loc["f21", "aging_factor"] == pytest.approx(used.loc["f21", "cpi_factor"], rel=1e-4)


def test_records_of_an_earlier_year_carry_their_years_of_real_growth(training_data):
    records = pd.DataFrame(
        {
            "country": ["IN", "IN", "IN"],
            "years": [3.0, 3.0, 3.0],
            "company": [None, None, None],
            "salary_usd": [12_000.0, 13_000.0, 14_000.0],
            "source": "survey",
            "real_growth_years": [4.0, 4.0, 0.0],
        }
    )
    growth = {"IN": training_data.wages["IN"].real_growth}
    data = measurement_data(training_data.used_figures(), training_data.levels, records, growth)
    # Rows of two dates are two bins (they saw the market at different real levels).
    assert sorted(data.record_age.tolist()) == [0.0, 4.0] and sorted(data.record_count.tolist()) == [1.0, 2.0]
    india = data.countries.index("IN")
    assert data.growth_sd[india] == pytest.approx(0.02) and data.growth_sd[data.countries.index("US")] == 0.0


def test_the_real_growths_uncertainty_is_in_indias_median(model):
    posterior = training_state(model).posterior
    india = posterior.data.countries.index("IN")
    growth = posterior.draws["real_growth"][:, india]
    # No Indian figure of another date speaks about it: its posterior is its prior.
    assert np.median(growth) == pytest.approx(math.log1p(0.01), abs=0.006)
    assert np.std(growth) == pytest.approx(0.02, rel=0.15)
    # The 2019 figures pin the market of 2019, so the market of 2023 moves with the growth
    # over four years, draw by draw: a slope of up to 4 (years) in log pay (less, as the
    # level mix and the spread also move with it: measured 3.5 on seed 0).
    slope = np.polyfit(growth, posterior.draws["level"][:, india], 1)[0]
    assert 2.5 <= slope <= 4.5
    for country in ("US", "DE"):  # an index of pay: no growth term at all
        assert np.all(posterior.draws["real_growth"][:, posterior.data.countries.index(country)] == 0.0)


def test_served_indian_money_adds_the_posterior_median_growth_to_prices(model):
    served, prices = model.core.money.wages["IN"], load_wage_index()["IN"]
    growth = float(
        np.median(
            training_state(model).posterior.draws["real_growth"][:, training_state(model).posterior.data.countries.index("IN")]
        )
    )
    start, end = month_ordinal(2023, 7), month_ordinal(2024, 7)
    assert served.factor(start, end) == pytest.approx(prices.factor(start, end) * math.exp(growth), rel=1e-9)
    assert "real growth" in served.series
    later, now = model.predict("India", 5, as_of="2024-07-01"), model.predict("India", 5, as_of="2023-07-01")
    assert later.median / now.median == pytest.approx(served.factor(start, end), rel=1e-6)
    assert model.core.money.wages["US"].series == load_wage_index()["US"].series  # an index of pay, as published


def test_the_card_gives_the_aging_of_the_2019_indian_figures_to_today_with_its_interval(model_dir):
    card = json.loads((model_dir / "salary_model.json").read_text())
    (india,) = card["measurement_model"]["real_growth"]
    aging = india["aging"]
    assert india["country"] == "IN" and "Consumer prices" in india["series"] and aging["from"] == "2019-07"
    factor = aging["factor"]
    # At most 1.65x to today (Aon's incumbents' increments gave 1.88x), with its 80% interval.
    assert factor["median"] <= 1.65 and factor["low_80"] < factor["median"] < factor["high_80"]
    assert aging["prices"] < factor["high_80"] and factor["low_80"] < aging["prices"] * 1.2
    markdown = (model_dir / "salary_model.md").read_text()
    assert (
        "IN pay's real growth over consumer prices" in markdown
        and f"a figure of 2019-07 in the money of {aging['to']}" in markdown
    )
