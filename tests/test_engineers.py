"""The synthetic training set: engineers drawn from the posterior predictive."""

from __future__ import annotations

import pandas as pd
import pytest

from salarymodel.training.engineers import COLUMNS, draw_engineers
from salarymodel.training.state_file import training_state


@pytest.fixture(scope="module")
def rows(model):
    return draw_engineers(training_state(model).training_data, training_state(model).posterior, rows_per_country=3000, seed=0)


def test_each_country_gets_its_budget_shared_by_the_market_and_its_employers(rows, model):
    assert list(rows.columns) == COLUMNS
    assert rows.groupby("country").size().to_dict() == {"DE": 3000, "IN": 3000, "US": 3000}
    india = rows[rows["country"] == "IN"]
    assert india["company"].isna().any()
    assert set(india["company"].dropna()) == {"Microsoft", "Accenture", "Quantiphi", "Tata Consultancy Services", "Infosys"}
    assert set(rows.loc[rows["country"] == "US", "company"].dropna()) == {"TikTok"}
    # Years reach the served grid's end, densest early in a career.
    assert rows["years"].max() > 40 and (rows["years"] < 12.5).mean() == pytest.approx(0.5, abs=0.02)


def test_total_pay_and_countryless_figures_stay_out(training_data):
    excluded = training_data.figures.set_index("id")["excluded"]
    assert excluded["f16"].startswith("total compensation") and excluded["f27"].startswith("names no country")
    assert not {"f16", "f27"} & set(training_data.used_figures()["id"])


def test_same_seed_gives_identical_rows_and_another_seed_differs(model):
    first = draw_engineers(training_state(model).training_data, training_state(model).posterior, rows_per_country=500, seed=7)
    again = draw_engineers(training_state(model).training_data, training_state(model).posterior, rows_per_country=500, seed=7)
    other = draw_engineers(training_state(model).training_data, training_state(model).posterior, rows_per_country=500, seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first["salary_usd"].equals(other["salary_usd"])


def test_columns_levels_and_local_currency(rows, training_data):
    germany = rows[rows["country"] == "DE"].iloc[0]
    assert germany["currency"] == "EUR"
    assert germany["salary_local"] == pytest.approx(germany["salary_usd"] * training_data.basis.per_usd["EUR"])
    assert set(rows.loc[rows["years"] < 3, "level"]) == {"entry"}


def test_a_figure_whose_percentiles_fall_is_refused_by_name(tmp_path):
    from helpers import figures_with, shipped_figures
    from salarymodel.data.training_data import training_data

    f02 = shipped_figures()
    f02 = f02[f02["id"] == "f02"].to_dict("records")
    falling = [{**row, "id": "f98", "value": str(100_000 - 10_000 * k)} for k, row in enumerate(f02)]
    with pytest.raises(ValueError, match="Figure 'f98': its quantiles/range must rise with the percentile"):
        training_data(figures_with(tmp_path, falling))
