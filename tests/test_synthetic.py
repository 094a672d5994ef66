"""The synthetic training set reproduces the reported figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salarymodel import make_training_set
from salarymodel.figures import quantile_level
from salarymodel.synthetic import plan_training_set


@pytest.fixture(scope="module")
def shipped_plan():
    return plan_training_set()


@pytest.fixture(scope="module")
def rows(shipped_plan):
    return make_training_set(plan=shipped_plan, seed=0)


def _statistic_pairs(figure: pd.Series, salaries: np.ndarray):
    """(reported, reproduced) pairs for one figure row."""
    if figure["statistic"] == "mean":
        return [(figure["value_usd"], salaries.mean())]
    if figure["statistic"] == "range":
        tail = (1 - figure["coverage"]) / 2
        return [(figure["value_usd"], np.quantile(salaries, tail)),
                (figure["value_high_usd"], np.quantile(salaries, 1 - tail))]
    return [(figure["value_usd"], np.quantile(salaries, quantile_level(figure["statistic"])))]


def test_every_used_figure_is_reproduced_within_two_percent(rows, shipped_plan):
    checked = 0
    for _, figure in shipped_plan.used_figures().iterrows():
        salaries = rows.loc[rows["figure_id"] == figure["id"], "salary_usd"].to_numpy()
        for reported, reproduced in _statistic_pairs(figure, salaries):
            assert reproduced == pytest.approx(reported, rel=0.02), figure["id"]
            checked += 1
    # 27 used figure rows (f02 is three), each of the 9 ranges checked at both ends.
    assert checked == 36


def test_disagreeing_us_entry_figures_are_all_kept(rows):
    entry = rows[(rows["country"] == "US") & (rows["figure_level"] == "entry")]
    assert set(entry["figure_id"]) == {"f02", "f03", "f04"}
    shares = entry["figure_id"].value_counts(normalize=True)
    assert shares.min() > 0.3  # a mixture, none drowned out


def test_salary_rises_with_years_inside_each_cell_like_its_country_curve(rows, shipped_plan):
    for figure_id, cell in rows.groupby("figure_id"):
        if cell["years"].max() - cell["years"].min() < 2.5:
            continue
        slope = np.polyfit(cell["years"], np.log(cell["salary_usd"]), 1)[0]
        country_slope = shipped_plan.slopes[cell["country"].iloc[0]]
        assert slope > 0, figure_id
        assert slope == pytest.approx(country_slope, rel=0.35), figure_id


def test_company_rows_come_on_top_of_the_market(rows):
    india = rows[rows["country"] == "IN"]
    assert india["company"].isna().any()
    assert set(india["company"].dropna()) == {"Microsoft", "Accenture", "Quantiphi",
                                              "Tata Consultancy Services", "Infosys"}
    assert set(rows.loc[rows["country"] == "US", "company"].dropna()) == {"TikTok"}


def test_total_pay_and_countryless_figures_stay_out(rows, shipped_plan):
    assert not {"f16", "f27"} & set(rows["figure_id"])
    excluded = shipped_plan.figures.set_index("id")["excluded"]
    assert excluded["f16"] and excluded["f27"]


def test_same_seed_gives_identical_rows_and_another_seed_differs(shipped_plan):
    first = make_training_set(plan=shipped_plan, seed=7, n_rows=2000)
    again = make_training_set(plan=shipped_plan, seed=7, n_rows=2000)
    other = make_training_set(plan=shipped_plan, seed=8, n_rows=2000)
    pd.testing.assert_frame_equal(first, again)
    assert not first["salary_usd"].equals(other["salary_usd"])


def test_columns_levels_and_local_currency(rows, shipped_plan):
    assert {"country", "company", "years", "level", "salary_usd", "salary_local", "currency",
            "figure_id"} <= set(rows.columns)
    germany = rows[rows["country"] == "DE"].iloc[0]
    assert germany["currency"] == "EUR"
    assert germany["salary_local"] == pytest.approx(germany["salary_usd"] * shipped_plan.basis.per_usd["EUR"])
    assert set(rows.loc[rows["years"] < 3, "level"]) == {"entry"}


def test_mean_only_cells_borrow_the_country_spread(shipped_plan):
    # India's market mean (f21) has no spread of its own: it gets at least the
    # median spread of India's employer ranges.
    ranges = [shipped_plan.cells[f].sigma for f in ("f22", "f23", "f26")]
    assert shipped_plan.cells["f21"].sigma >= np.median(ranges)


def test_n_rows_is_validated():
    with pytest.raises(ValueError, match="n_rows"):
        make_training_set(n_rows=10)
