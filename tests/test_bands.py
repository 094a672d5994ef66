"""Bands that are right, not just wide: one meaning, each
uncertainty once, percentiles and salary curves from one distribution."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri

from helpers import a_users_figure, figures_with, shipped_figures, uk_figures
from salarymodel.data.statistics import statistic_kind
from salarymodel.data.training_data import training_data
from salarymodel.evidence.sharpness import figure_sharpness, interval_score
from salarymodel.serving.explanations import band_parts
from salarymodel.serving.grid import YEARS_GRID
from salarymodel.train import train
from salarymodel.training.cells import model_cells

MONEY_2023 = "2023-07-01"


def _ratio(model, country, years, company=None, confidence=0.8):
    e = model.predict(country, years, company, confidence=confidence, as_of=MONEY_2023)
    return e.high / e.low


@pytest.mark.parametrize("years", [5, 10, 15])
def test_us_band_is_near_the_sources_own_spread(model, years):
    # Payscale's own 10th-90th ranges are 1.8x; with the median's
    # uncertainty on top the band may reach 2.6x, not the 2.7-3.4x it was.
    assert 1.8 <= _ratio(model, "US", years) <= 2.6


@pytest.mark.parametrize("years", [1, 4])
def test_germany_band_is_near_the_sources_own_spread(model, years):
    assert _ratio(model, "Germany", years) <= 2.5


def test_band_stays_wide_where_sources_disagree_but_never_wider_than_before(model):
    # India is known only across its employers, US entry from disagreeing
    # sources: wider than the US mid band, at most the previous 5.2x.
    assert _ratio(model, "India", 4) > _ratio(model, "US", 5)
    assert _ratio(model, "India", 4) <= 5.2 and _ratio(model, "US", 1) <= 3.4


def test_low_end_never_falls_with_years_for_any_cell_or_confidence(model):
    for confidence in (0.5, 0.8, 0.9, 0.95, 0.99):
        low, high = model.core.band_tables(confidence)
        assert (np.diff(low, axis=1) >= 0).all() and (np.diff(high, axis=1) >= 0).all()
    for country, company in model.core.cells:
        lows = [model.predict(country, y, company, as_of=MONEY_2023).low for y in YEARS_GRID[::20]]
        assert all(b >= a for a, b in zip(lows, lows[1:])), (country, company)


def test_past_the_data_the_posterior_curve_rises_only_as_its_prior_allows(model):
    # Past the figures the curve's slopes are their prior's (shrinking with years), so
    # the median may still rise, boundedly, and the median's interval widens.
    at_12, at_30 = model.predict("DE", 12, as_of=MONEY_2023), model.predict("DE", 30, as_of=MONEY_2023)
    assert at_12.median <= at_30.median <= 1.4 * at_12.median and at_30.low >= at_12.low
    assert at_30.median_high / at_30.median_low > at_12.median_high / at_12.median_low
    assert math.log(at_30.high / at_30.low) / math.log(at_12.high / at_12.low) <= 1.5


def test_median_always_lies_inside_its_own_interval(model):
    assert (model.tables.median_low <= model.tables.median).all()
    assert (model.tables.median <= model.tables.median_high).all()


def test_the_posterior_median_is_surer_where_more_sources_report(model):
    us = model.predict("US", 1, as_of=MONEY_2023)
    de = model.predict("DE", 1, as_of=MONEY_2023)
    assert us.median_high / us.median_low < de.median_high / de.median_low


def test_percentiles_are_the_bands_ends(model):
    p = model.percentiles("US", 5, q=(5, 10, 25, 50, 75, 90, 95), as_of=MONEY_2023)
    e80 = model.predict("US", 5, confidence=0.8, as_of=MONEY_2023)
    e90 = model.predict("US", 5, confidence=0.9, as_of=MONEY_2023)
    assert p[10] == pytest.approx(e80.low, rel=1e-9) and p[90] == pytest.approx(e80.high, rel=1e-9)
    assert p[5] == pytest.approx(e90.low, rel=1e-9) and p[95] == pytest.approx(e90.high, rel=1e-9)
    assert p[50] == pytest.approx(e80.median, rel=1e-9)
    assert list(p.values()) == sorted(p.values())


def test_percentiles_follow_currency_and_money_like_predict(model):
    e = model.predict("India", 3, "TCS", currency="USD", as_of="2026-06")
    p = model.percentiles("India", 3, "TCS", q=(10, 90), currency="USD", as_of="2026-06")
    assert (p[10], p[90]) == pytest.approx((e.low, e.high), rel=1e-9)


def test_predict_frame_percentile_columns_match_percentiles(model):
    frame = pd.DataFrame({"country": ["US", "DE", "IN"], "years": [5, 4.37, 12], "company": [None, None, "Infosys"]})
    out = model.predict_frame(frame, percentiles=(10, 50, 90), as_of=MONEY_2023)
    for row, (country, years, company) in enumerate(zip(frame["country"], frame["years"], frame["company"])):
        p = model.percentiles(country, years, company, q=(10, 50, 90), as_of=MONEY_2023)
        assert [out.at[row, "p10"], out.at[row, "p50"], out.at[row, "p90"]] == pytest.approx(list(p.values()), rel=1e-9)
        assert out.at[row, "p10"] == pytest.approx(out.at[row, "low"], rel=1e-9)


def test_curve_is_a_tidy_frame_of_percentiles_by_years(model):
    curve = model.curve("Germany", years=[1, 5, 12], q=(10, 50, 90), as_of=MONEY_2023)
    assert list(curve.columns) == ["country", "company", "years", "percentile", "salary", "currency", "as_of", "support"]
    assert len(curve) == 9 and set(curve["currency"]) == {"EUR"}
    wide = curve.pivot(index="years", columns="percentile", values="salary")
    assert (wide.diff().dropna() >= 0).all().all()  # every percentile rises or stays with years
    assert wide.at[5.0, 50.0] == pytest.approx(model.predict("DE", 5, as_of=MONEY_2023).median, rel=1e-9)


@pytest.mark.parametrize("q", [[0.0], [100], [50, float("nan")], [], "10,90"])
def test_bad_percentiles_are_refused_by_name(model, q):
    with pytest.raises((ValueError, TypeError), match="'q' parameter of percentiles"):
        model.percentiles("US", 5, q=q)


@pytest.mark.parametrize("years", [0.0, 1.0, 4.0, 8.0, 12.0, 20.0, 30.0, 45.0])
def test_the_explained_band_parts_reproduce_the_served_intervals_on_every_cell(model, years):
    z = 1.2815515655446004  # the 80% intervals' normal score
    for country, company in model.core.cells:
        parts = band_parts(model.core, country, years, company)
        e = model.predict(country, years, company)
        # The median's uncertainty is the served median interval, on each side.
        assert e.median * math.exp(-z * parts["median_sd_low"]) == pytest.approx(e.median_low, rel=1e-9)
        assert e.median * math.exp(z * parts["median_sd_high"]) == pytest.approx(e.median_high, rel=1e-9)
        # With the spread within the market it gives the band back (the two sides share one
        # spread, so a skewed band is reproduced to within its skew).
        width = z * (
            math.hypot(parts["within_sd"], parts["median_sd_low"]) + math.hypot(parts["within_sd"], parts["median_sd_high"])
        )
        assert width == pytest.approx(math.log(e.high / e.low), rel=0.05), (country, company, years)
        assert parts["within_sd"] > 0 and 0 < parts["median_share"] < 1


def test_every_figure_is_inside_its_predictive_interval_or_named_an_outlier(model_dir):
    from salarymodel.serving.model_io.folder import read_card

    checks = read_card(model_dir)["measurement_model"]["predictive_checks"]
    named = {(item["id"], item["statistic"]) for item in checks["outliers"]}
    for row in checks["figures"]:
        assert row["inside"] or (row["id"], row["statistic"]) in named, row
    # Germany's three ranges (one source each, nothing to contradict) are all inside.
    assert all(row["inside"] for row in checks["figures"] if row["country"] == "DE")


def test_spread_figures_are_reproduced_within_15_percent_or_say_why(model):
    table = model.fidelity()
    spread = table[table["statistic"].ne("mean") & table["status"].ne("excluded")]
    for row in spread.itertuples():
        worst = np.nanmax(np.abs([row.relative_error, row.relative_error_high]))
        if worst <= statistic_kind(row.statistic).tolerance:
            assert row.status == "reproduced"
        else:
            assert row.status == "not reproduced" and ("disagree" in row.reason or "pooled" in row.reason), row
    # Germany's three ranges (one source, nothing to disagree with) are all reproduced.
    assert (table.loc[table["country"] == "DE", "status"] == "reproduced").all()


def test_interval_score_is_proper_for_a_known_distribution():
    rng = np.random.default_rng(0)
    y = rng.normal(size=200_000)
    z = float(ndtri(0.9))
    best = interval_score(-z, z, y, 0.8).mean()
    for low, high in ((-1.5 * z, 1.5 * z), (-0.7 * z, 0.7 * z), (-z + 0.3, z + 0.3)):
        assert interval_score(low, high, y, 0.8).mean() > best


def test_sharpness_is_scored_on_every_figure_that_reports_a_spread(model):
    table = figure_sharpness(model)
    assert set(table["id"]) == {"f02", "f04", "f05", "f07", "f17", "f18", "f19", "f22", "f23", "f26"}
    # The band covers most of each figure's salaries, except where sites contradict each
    # other (f02, US entry, against f03/f04: the band's centre sits between them).
    coverage = table.set_index("id")["coverage"]
    assert (coverage.drop("f02") > 0.5).all() and coverage["f02"] < 0.5
    # Its score is its width plus what it misses: never below the width.
    assert (table["interval_score"] >= table["width"] - 1e-12).all()


@pytest.mark.slow  # samples a posterior of its own (a fourth country's figures)
def test_another_countrys_figures_move_a_posterior_median_only_through_the_shared_scales(tmp_path, model):
    # Countries share only the source and employer scales (and the employer spread
    # share): a new country's figures move others' medians by little
    # (2%, beside the fits' Monte Carlo error of about 0.5%).
    after = train(uk_figures(tmp_path)).model
    assert "GB" in after.core.countries
    for country, company in [("DE", None), ("IN", None), ("IN", "TCS"), ("US", None)]:
        for years in (1, 4, 9.5):
            a = model.predict(country, years, company, as_of=MONEY_2023).median
            b = after.predict(country, years, company, as_of=MONEY_2023).median
            assert abs(b / a - 1) <= 0.025, (country, company, years, b / a)


def test_an_experience_range_is_the_mixture_of_its_years(model):
    # The mixture rebuilt here from one-year percentiles, years spread evenly over 3-5.
    q = np.arange(1, 1000) / 10  # 0.1 .. 99.9
    years = np.linspace(3, 5, 41)
    per_year = np.array([list(model.percentiles("DE", y, q=tuple(q), as_of=MONEY_2023).values()) for y in years])
    grid = np.unique(per_year)
    cdf = np.mean([np.interp(grid, row, q / 100) for row in per_year], axis=0)
    expected = np.interp([0.1, 0.5, 0.9], cdf, grid)
    e = model.predict("DE", (3, 5), as_of=MONEY_2023)
    assert (e.years, e.years_max) == (3.0, 5.0)
    assert [e.low, e.median, e.high] == pytest.approx(list(expected), rel=0.005)
    one = model.predict("DE", 4, as_of=MONEY_2023)
    assert e.high / e.low > one.high / one.low  # a range holds more experience, so more spread
    p = model.percentiles("DE", (3, 5), q=(10, 90), as_of=MONEY_2023)
    assert (p[10], p[90]) == pytest.approx((e.low, e.high), rel=1e-9)


def test_ranges_in_frames_and_on_the_command_line(model, model_dir):
    import subprocess
    import sys

    frame = pd.DataFrame({"country": ["DE", "DE", "US"], "years": [3, 4, 5], "years_max": [5, None, 4]})
    out = model.predict_frame(frame, as_of=MONEY_2023, errors="coerce")
    assert out.at[0, "median"] == pytest.approx(model.predict("DE", (3, 5), as_of=MONEY_2023).median, rel=1e-12)
    assert out.at[1, "median"] == pytest.approx(model.predict("DE", 4, as_of=MONEY_2023).median, rel=1e-12)
    assert "years_max" in out.at[2, "error"]  # a range must rise
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "salarymodel",
            "predict",
            "--model",
            str(model_dir),
            "--country",
            "DE",
            "--years",
            "3-5",
            "--as-of",
            MONEY_2023,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    e = model.predict("DE", (3, 5), as_of=MONEY_2023)
    assert done.stdout.startswith(
        f"80% of ML engineers in Germany with 3-5 years of experience earn between {e.low:,.0f} and {e.high:,.0f} EUR"
    )


@pytest.mark.parametrize("years", [(5, 3), (3,), (3, 5, 7), (3, 60), (float("nan"), 5)])
def test_bad_ranges_are_refused_by_name(model, years):
    with pytest.raises((ValueError, TypeError), match="'years' parameter"):
        model.predict("DE", years)


def test_an_employer_under_another_spelling_trains_as_that_employer(tmp_path):
    # Serving folds "TIKTOK Inc." onto TikTok; training must count both spellings as
    # one employer, or a user's figure under the other spelling is never reachable.
    extra = a_users_figure("TikTok", company="TIKTOK Inc.")
    extra["value"] = str(float(extra["value"]) * 1.1)
    data = training_data(figures_with(tmp_path, [extra]))
    assert [k for c, k in model_cells(["US"], data) if k is not None] == ["TikTok"]
    used = data.used_figures().set_index("id")
    assert used.loc["f99", "company"] == used.loc["f15", "company"] == "TikTok"


def test_an_employer_under_its_alias_trains_as_that_employer(tmp_path):
    # Serving answers "TCS" as Tata Consultancy Services (the alias table); a user's
    # figure under the alias must train that employer, not a second one no query reaches.
    tcs = a_users_figure("Tata Consultancy Services")
    extra = {**tcs, "company": "TCS", "value": str(float(tcs["value"]) * 1.1)}
    data = training_data(figures_with(tmp_path, [extra]))
    indian = [k for c, k in model_cells(["IN"], data) if k is not None]
    assert "TCS" not in indian and indian.count("Tata Consultancy Services") == 1
    shipped_id = shipped_figures().set_index("company").loc["Tata Consultancy Services", "id"]
    used = data.used_figures().set_index("id")
    assert used.loc["f99", "company"] == used.loc[shipped_id, "company"] == "Tata Consultancy Services"


def test_every_served_quantile_rises_with_its_level_through_the_median(model):
    # Each side of the median has its own scale and ratio; just above 0.5 the upper side's
    # formula could start a little below the median itself (it did, by up to 0.06% of pay over
    # the shipped model's cells and years).
    levels = [0.3, 0.5 - 1e-9, 0.5, 0.5 + 1e-9, 0.5 + 1e-4, 0.51, 0.7]
    tables = np.stack([model.core.quantile_table(level) for level in levels])
    assert (np.diff(tables, axis=0) >= 0).all()
    assert (tables[2] == model.tables.median).all()  # the 0.5 quantile is the served median
