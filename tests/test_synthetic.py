"""The synthetic training set reproduces the reported figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from salarymodel import make_training_set
from salarymodel.data.figures import quantile_level
from salarymodel.training.synthetic import plan_training_set


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
        return [(figure["value_usd"], np.quantile(salaries, tail)), (figure["value_high_usd"], np.quantile(salaries, 1 - tail))]
    return [(figure["value_usd"], np.quantile(salaries, quantile_level(figure["statistic"])))]


def _pooling_factor(plan, figure) -> float:
    """How far partial pooling moved an employer's figure (1 for the market)."""
    effect = plan.effects.employer_effects.get((figure["country"], figure["company"]))
    return 1.0 if effect is None else float(np.exp(effect["shrunk"] - effect["raw"]))


def test_every_used_figure_is_reproduced_within_two_percent(rows, shipped_plan):
    # Market figures exactly; an employer's figure after its stated partial pooling.
    checked = 0
    for _, figure in shipped_plan.used_figures().iterrows():
        salaries = rows.loc[rows["figure_id"] == figure["id"], "salary_usd"].to_numpy()
        factor = _pooling_factor(shipped_plan, figure)
        for reported, reproduced in _statistic_pairs(figure, salaries):
            assert reproduced == pytest.approx(reported * factor, rel=0.02), figure["id"]
            checked += 1
    # 27 used figure rows (f02 is three), each of the 9 ranges checked at both ends.
    assert checked == 36


def test_disagreeing_us_entry_figures_are_all_kept(rows):
    entry = rows[(rows["country"] == "US") & (rows["figure_level"] == "entry")]
    assert set(entry["figure_id"]) == {"f02", "f03", "f04"}
    # A mixture of the two sites, none drowned out: f02's site and the site of f03 and f04.
    shares = entry["figure_id"].replace({"f04": "f03"}).value_counts(normalize=True)
    assert shares.min() > 0.4


def test_salary_follows_the_country_experience_curve_inside_each_cell(rows, shipped_plan):
    for figure_id, cell in rows.groupby("figure_id"):
        curve = shipped_plan.curves[cell["country"].iloc[0]](cell["years"].to_numpy())
        if np.std(curve) < 0.05:
            continue  # the curve is flat over this cell: nothing to follow
        slope = np.polyfit(curve, np.log(cell["salary_usd"]), 1)[0]
        assert slope == pytest.approx(1.0, rel=0.35), figure_id


def test_experience_curves_never_fall_and_are_flat_after_the_data(shipped_plan):
    for country, curve in shipped_plan.curves.items():
        years = np.linspace(0, 40, 401)
        values = curve(years)
        assert np.all(np.diff(values) >= -1e-12), country
        assert values[-1] == pytest.approx(curve(np.array([curve.knots_years[-1]]))[0]), country
    # Late career rows (US 15-30 years) no longer rise with years.
    late = make_training_set(plan=shipped_plan, seed=0)
    rows_late = late[(late["country"] == "US") & (late["years"] >= 15)]
    slope = np.polyfit(rows_late["years"], np.log(rows_late["salary_usd"]), 1)[0]
    assert abs(slope) < 0.01


def test_sources_are_weighted_as_units_not_figure_counts(rows, shipped_plan):
    counts = rows["figure_id"].value_counts()
    # Payscale's three figures share one source's rows; f11/f12 (extremes of
    # several site means) share one; an ordinary figure is its own source.
    assert counts["f05"] + counts["f06"] + counts["f07"] == pytest.approx(counts["f01"], abs=3)
    assert counts["f11"] + counts["f12"] == pytest.approx(counts["f01"], abs=2)
    assert shipped_plan.weights["f11"] == shipped_plan.weights["f12"] == 0.5


def test_engineer_draws_add_the_medians_uncertainty_once(rows, shipped_plan):
    from salarymodel.training.uncertainty import median_variance

    draws = np.log(rows["engineer_salary_usd"] / rows["within_salary_usd"])
    for country, years in (("US", (0, 3)), ("DE", (3, 7)), ("IN", (0, 25))):
        mine = (rows["country"] == country) & rows["company"].isna() & rows["years"].between(*years, inclusive="left")
        variance, _ = median_variance(shipped_plan, [(country, None)], np.array([float(years[0]) + 0.5]))
        assert draws[mine].std() == pytest.approx(np.sqrt(variance[0, 0]), rel=0.1), country
    assert shipped_plan.effects.tau_source_basis["US"] == "estimated from its sources"
    assert shipped_plan.effects.tau_source_basis["DE"].startswith("pooled from US")


def test_within_salaries_remove_only_the_offsets_between_sources(rows):
    offsets = np.log(rows["salary_usd"] / rows["within_salary_usd"])
    market = rows["company"].isna()
    # Centred per cell (row-weighted), one value per source unit.
    for country in ("US", "DE", "IN"):
        mine = market & (rows["country"] == country)
        assert offsets[mine].mean() == pytest.approx(0.0, abs=1e-9)
        assert (offsets[mine].groupby(rows.loc[mine, "figure_id"]).std(ddof=0).fillna(0) < 1e-12).all()
    # US entry-level sources disagree (f02 below f03/f04): f02's rows move up, f03's down.
    by_figure = offsets[market].groupby(rows.loc[market, "figure_id"]).first()
    assert by_figure["f02"] < 0 < by_figure["f03"]


def test_company_rows_come_on_top_of_the_market(rows):
    india = rows[rows["country"] == "IN"]
    assert india["company"].isna().any()
    assert set(india["company"].dropna()) == {"Microsoft", "Accenture", "Quantiphi", "Tata Consultancy Services", "Infosys"}
    assert set(rows.loc[rows["country"] == "US", "company"].dropna()) == {"TikTok"}


def test_total_pay_and_countryless_figures_stay_out(rows, shipped_plan):
    assert not {"f16", "f27"} & set(rows["figure_id"])
    excluded = shipped_plan.figures.set_index("id")["excluded"]
    assert excluded["f16"] and excluded["f27"]


def test_same_seed_gives_identical_rows_and_another_seed_differs(shipped_plan):
    first = make_training_set(plan=shipped_plan, seed=7, rows_per_country=2000)
    again = make_training_set(plan=shipped_plan, seed=7, rows_per_country=2000)
    other = make_training_set(plan=shipped_plan, seed=8, rows_per_country=2000)
    pd.testing.assert_frame_equal(first, again)
    assert not first["salary_usd"].equals(other["salary_usd"])


def test_columns_levels_and_local_currency(rows, shipped_plan):
    assert {"country", "company", "years", "level", "salary_usd", "salary_local", "currency", "figure_id"} <= set(rows.columns)
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
    with pytest.raises(ValueError, match="rows_per_country"):
        make_training_set(rows_per_country=10)
